"""A deliberately plain re-implementation of the council calculation, for cross-checking.

Written from the issue's wording, row by row with ``Fraction``s and no numpy,
so that the engine's vectorised arithmetic is checked by something that
shares none of its code.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from fractions import Fraction

from ocop_scoring.model import CouncilRules, RuleSet, Scorecard, Sheet


def reference_council(
    cards: Iterable[Scorecard],
    sheets: Mapping[str, Sheet],
    ruleset: RuleSet,
    rules: CouncilRules | None = None,
    rejected: Iterable[str] = (),
) -> dict[str, dict]:
    rules = rules or CouncilRules()
    rejected = set(rejected)
    products: dict[str, dict[str, dict[str, int]]] = {}
    sheet_of: dict[str, str] = {}
    for card in cards:
        sheet = sheets[card.sheet_id]
        points = {}
        for code, number in card.choices:
            # option 0 is "không đạt": none of the printed options applies, 0 points
            points[code] = 0 if number == 0 else sheet.leaf(code).options[number - 1].points
        for leaf in sheet.leaves:
            if leaf.condition and points.get(leaf.condition.criterion, 0) < leaf.condition.min_points:
                points[leaf.code] = 0
        products.setdefault(card.product_id, {})[card.member_id] = points
        sheet_of[card.product_id] = card.sheet_id
    out: dict[str, dict] = {}
    for pid, members in products.items():
        sheet = sheets[sheet_of[pid]]
        part_of = sheet.leaf_part
        n = len(members)
        totals = {m: sum(p.values()) for m, p in members.items()}
        mean = Fraction(sum(totals.values()), n)
        parts = {
            code: Fraction(sum(v for m in members.values() for c, v in m.items() if part_of[c] == code), n)
            for code, _ in ruleset.parts
        }
        band = max(b.stars for b in ruleset.bands if mean >= b.min_total)
        allowed = band
        ok_so_far = True
        for star in sorted(ruleset.minimum_star_levels):
            met = True
            for s, code, required in sheet.star_minimums():
                if s != star or rules.minimum_rule == "none":
                    continue
                values = [m[code] for m in members.values()]
                if rules.minimum_rule == "mean":
                    met &= Fraction(sum(values), n) >= required
                else:
                    met &= min(values) >= required
            ok_so_far &= met
            if not ok_so_far:
                allowed = min(allowed, star - 1)
                break
        stars = 0 if pid in rejected else min(band, allowed)
        # Điều 7.3 (a provincial council): 90 or more goes to the Ministry by score; 3★-4★ are proposed
        if pid in rejected:
            outcome = "rejected"
        elif mean >= 90:
            outcome = "forward_to_ministry"
        elif stars >= 3:
            outcome = "propose_recognition"
        else:
            outcome = "not_recognised"
        # knock-out rules the ticks decide: a member at or below max_points on any of the rule's criteria
        knockouts = {}
        for node in sheet.nodes():
            for rule in node.knockout_rules:
                if rule.decided_by != "ticks":
                    continue
                who = {m for m, p in members.items() if any(p[c] <= rule.max_points for c in rule.criteria)}
                if who:
                    knockouts[(node.code, rule.note)] = who
        spread = max(totals.values()) - min(totals.values())
        flagged = spread > rules.spread_threshold if rules.spread_strict else spread >= rules.spread_threshold
        out[pid] = {
            "sheet_id": sheet.sheet_id,
            "members": n,
            "totals": totals,
            "mean": mean,
            "parts": parts,
            "band": band,
            "stars": stars,
            "spread": spread,
            "flagged": flagged,
            "key": (mean, parts.get("C", 0), parts.get("A", 0), parts.get("B", 0)),
            "outcome": outcome,
            "knockouts": knockouts,
        }
    for pid, r in out.items():
        if pid in rejected:
            r["rank"] = r["overall_rank"] = None
            continue
        r["overall_rank"] = 1 + sum(1 for q, o in out.items() if q not in rejected and o["key"] > r["key"])
        r["rank"] = 1 + sum(
            1 for q, o in out.items() if q not in rejected and o["sheet_id"] == r["sheet_id"] and o["key"] > r["key"]
        )
    return out
