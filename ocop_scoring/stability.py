"""Star stability: which stars are solid, and which hang on one member's tick.

Layer: scoring (analysis). Imports: scoring (the engine's own block calculation), model, texts.
Pure; the official result is never changed.

For each product, would the star change
(a) leaving out any one member (their card removed, everything else as officially computed);
(b) under another reasonable aggregation: the median (band from the median member total,
    minimums on each criterion's median points), the mean without the highest and the lowest
    totals (as figure skating does; only with 3 members or more), or the ``every-member``
    minimum rule;
(c) if any one member moved any one criterion by one option (to the next or previous option in
    printed order, within the same case), with the story condition applied as the engine does?

(a) and (c) are computed by the engine itself: every variant of a product is a small set of
scorecards, and all variants of a sheet go through one call of the same block calculation that
produced the official result, so the analysis cannot apply different rules.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from statistics import median

import numpy as np

from ocop_scoring.model import NOT_MET, CouncilRules, Criterion
from ocop_scoring.scoring import NOT_TICKED, CouncilResult, SheetCards, _score_block, score_council
from ocop_scoring.texts import load_texts


@dataclass(frozen=True)
class Step:
    """One member moving one criterion by one option, and the star it would give."""

    member_id: str
    criterion: str
    direction: int  # +1 next option, -1 previous option
    option: int  # the option it would become
    stars: int


@dataclass(frozen=True)
class Stability:
    """Whether one product's star is stable, and what would change it."""

    product_id: str
    stars: int
    rejected: bool
    without: tuple[tuple[str, int], ...]  # (member left out, star) where the star changes
    aggregations: tuple[tuple[str, int], ...]  # (median / trimmed / every-member, star) where it changes
    steps: tuple[Step, ...]  # one-option changes that change the star

    @property
    def stable(self) -> bool:
        """No single change of the kinds analysed moves the star."""
        return not (self.without or self.aggregations or self.steps)

    def sentence(self, lang: str = "vi", limit: int = 3) -> str:
        """Plain words, e.g. "3★ giữ nguyên trừ khi TV04 hạ tiêu chí 4.1 một mức (thành 2★)"."""
        t = load_texts()
        if self.rejected:
            return t.t("rep_rec_rejected", lang)
        if self.stable:
            return t.t("stab_stable", lang).format(stars=self.stars)
        parts = []
        for member, new in self.without[:limit]:
            parts.append(t.t("stab_without", lang).format(member=member, new=new))
        for how, new in self.aggregations:
            parts.append(t.t("stab_aggregation", lang).format(how=t.t(f"stab_how_{how}", lang), new=new))
        groups: dict[tuple[str, int, int], list[str]] = {}
        for step in self.steps:
            groups.setdefault((step.criterion, step.direction, step.stars), []).append(step.member_id)
        for (criterion, direction_, new), members in list(groups.items())[:limit]:
            direction = t.t("stab_up" if direction_ > 0 else "stab_down", lang)
            who = ", ".join(members) if len(members) <= 3 else f"{', '.join(members[:3])} …"
            parts.append(
                t.t("stab_step", lang).format(
                    stars=self.stars, member=who, direction=direction, criterion=criterion, new=new
                )
            )
        if len(groups) > limit:
            parts.append(t.t("stab_more", lang).format(count=sum(len(m) for m in list(groups.values())[limit:])))
        return t.t("stab_fragile", lang).format(stars=self.stars) + " " + "; ".join(parts) + "."


def stability(result: CouncilResult) -> dict[str, Stability]:
    """The stability of every product of a calculation, by product id."""
    ruleset, rules = result.ruleset, result.rules
    every = _every_member_stars(result) if rules.minimum_rule != "every-member" else {}
    out: dict[str, Stability] = {}
    for block in result.blocks:
        plan, cards = block.plan, block.cards
        variants = _Variants()
        for p, pid in enumerate(cards.product_ids):
            if block.rejected[p]:
                continue
            a, n = int(block.starts[p]), int(block.n[p])
            rows = np.arange(a, a + n)
            if n >= 2:
                for i in range(n):
                    variants.add(pid, ("without", i), np.delete(rows, i), None)
            for i in range(n):
                row = a + i
                for j, code in enumerate(plan.codes):
                    current = int(cards.options[row, j])
                    if current == NOT_TICKED:
                        continue  # left blank (5.2 without a story)
                    leaf = plan.sheet.leaves[j]
                    for direction in (-1, 1):
                        new = _step(leaf, current, direction)
                        if new is not None:
                            variants.add(pid, ("step", i, code, direction, new), rows, (i, j, new))
        stars = variants.score(plan, cards, ruleset, rules, result)
        position = {pid: p for p, pid in enumerate(cards.product_ids)}
        by_product: dict[str, dict[str, list[object]]] = {}
        for (pid, key), star in zip(variants.keys, stars, strict=True):
            p = position[pid]
            if star == int(block.stars[p]):
                continue
            entry = by_product.setdefault(pid, {"without": [], "steps": []})
            a, n = int(block.starts[p]), int(block.n[p])
            member_ids = [result.member_ids[m] for m in cards.card_member[a : a + n]]
            if key[0] == "without":
                entry["without"].append((member_ids[key[1]], star))
            else:
                _, i, code, direction, new = key
                entry["steps"].append(Step(member_ids[i], code, direction, new, star))
        for p, pid in enumerate(cards.product_ids):
            r = result.product(pid)
            if r.rejected:
                out[pid] = Stability(pid, 0, True, (), (), ())
                continue
            aggregations = []
            for how, star in _other_aggregations(block, p, result).items():
                if star is not None and star != r.stars:
                    aggregations.append((how, star))
            if pid in every and every[pid] != r.stars:
                aggregations.append(("every", every[pid]))
            found = by_product.get(pid, {"without": [], "steps": []})
            steps = sorted(found["steps"], key=lambda s: (s.member_id, plan.codes.index(s.criterion), s.direction))  # type: ignore[union-attr,attr-defined]
            out[pid] = Stability(pid, r.stars, False, tuple(found["without"]), tuple(aggregations), tuple(steps))  # type: ignore[arg-type]
    return out


def _step(leaf: Criterion, current: int, direction: int) -> int | None:
    """The option one step up or down from ``current`` on the printed list, or None.

    "Không đạt" (0) sits just below the first printed option when no printed
    option is worth 0 points (there it is the same as that option, so no step
    goes to it); a step never crosses from one case (a/b) to the other.
    """
    count = len(leaf.options)
    lowest = 1 if leaf.prints_zero_option else NOT_MET
    new = current + direction
    if not lowest <= new <= count:
        return None
    if NOT_MET in (current, new):
        return new
    if leaf.options[new - 1].case != leaf.options[current - 1].case:
        return None
    return new


class _Variants:
    """Variants of products as sets of card rows (optionally with one changed option)."""

    def __init__(self) -> None:
        self.keys: list[tuple[str, tuple[object, ...]]] = []
        self.rows: list[np.ndarray] = []
        self.changes: list[tuple[int, int, int] | None] = []

    def add(self, pid: str, key: tuple[object, ...], rows: np.ndarray, change: tuple[int, int, int] | None) -> None:
        self.keys.append((pid, key))
        self.rows.append(rows)
        self.changes.append(change)

    def score(
        self, plan: object, cards: SheetCards, ruleset: object, rules: CouncilRules, result: CouncilResult
    ) -> list[int]:
        """Every variant's star, by the engine's block calculation in one call."""
        if not self.keys:
            return []
        lengths = np.array([len(r) for r in self.rows])
        rows = np.concatenate(self.rows)
        options = cards.options[rows].astype(np.int16)
        points = cards.points[rows].copy()
        offsets = np.concatenate([[0], np.cumsum(lengths)[:-1]])
        table = plan.points_table  # type: ignore[attr-defined]
        for v, change in enumerate(self.changes):
            if change is None:
                continue
            i, j, new = change
            r = offsets[v] + i
            options[r, j] = new
            points[r, j] = table[j, new]
        product_index = np.repeat(np.arange(len(self.keys), dtype=np.int32), lengths)
        variant_cards = SheetCards(
            cards.sheet_id,
            tuple(str(k) for k in range(len(self.keys))),
            product_index,
            cards.card_member[rows],
            options.astype(np.int8),
            points,
        )
        level = result.level
        block = _score_block(plan, variant_cards, ruleset, rules, level, {}, 0)  # type: ignore[arg-type]
        return [int(s) for s in block.stars]


def _every_member_stars(result: CouncilResult) -> dict[str, int]:
    """Stars under the every-member minimum rule (the same cards, the engine again)."""
    from attrs import evolve

    from ocop_scoring.model import Rejection
    from ocop_scoring.scoring import CardSet

    cards = CardSet(result.member_ids, tuple(b.cards for b in result.blocks))
    sheets = {b.plan.sheet.sheet_id: b.plan.sheet for b in result.blocks}
    rejections = [
        Rejection(pid, result.product(pid).rejection_reason or "")
        for pid in result.product_ids
        if result.product(pid).rejected
    ]
    other = score_council(cards, sheets, result.ruleset, evolve(result.rules, minimum_rule="every-member"), rejections)
    return {r.product_id: r.stars for r in other}


def _other_aggregations(block: object, p: int, result: CouncilResult) -> dict[str, int | None]:
    """Stars from the median and from the mean without the extremes (exact rationals)."""
    a, n = int(block.starts[p]), int(block.n[p])  # type: ignore[attr-defined]
    counted = block.counted[:, a : a + n]  # type: ignore[attr-defined]  # leaves x members
    plan = block.plan  # type: ignore[attr-defined]
    totals = [int(v) for v in block.totals[a : a + n]]  # type: ignore[attr-defined]
    out: dict[str, int | None] = {}
    per_leaf = [[int(v) for v in counted[j]] for j in range(counted.shape[0])]
    every = result.rules.minimum_rule == "every-member"
    out["median"] = _star(
        Fraction(median(totals)),
        {j: Fraction(min(v) if every else median(v)) for j, v in enumerate(per_leaf)},
        plan,
        result,
    )
    if n >= 3:
        order = sorted(range(n), key=lambda i: (totals[i], i))
        keep = order[1:-1]
        mean_total = Fraction(sum(totals[i] for i in keep), len(keep))
        leaf_values = {
            j: Fraction(min(v[i] for i in keep)) if every else Fraction(sum(v[i] for i in keep), len(keep))
            for j, v in enumerate(per_leaf)
        }
        out["trimmed"] = _star(mean_total, leaf_values, plan, result)
    return out


def _star(total: Fraction, leaf_values: dict[int, Fraction], plan: object, result: CouncilResult) -> int:
    """The star of a total and per-criterion values under the rule set's bands and the council's minimum rule."""
    ruleset = result.ruleset
    band = max(b.stars for b in ruleset.bands if total >= b.min_total)
    if result.rules.minimum_rule == "none":
        return band
    allowed = band
    met_so_far = True
    for star in sorted(ruleset.minimum_star_levels):
        met = all(leaf_values[leaf] >= pts for s, leaf, pts in plan.requirements if s == star)  # type: ignore[attr-defined]
        met_so_far = met_so_far and met
        if not met_so_far and allowed >= star:
            allowed = star - 1
    return min(band, allowed)


def summary(stabilities: Sequence[Stability]) -> dict[str, int]:
    """How many products are stable, fragile, rejected."""
    out = {"stable": 0, "fragile": 0, "rejected": 0}
    for s in stabilities:
        out["rejected" if s.rejected else ("stable" if s.stable else "fragile")] += 1
    return out
