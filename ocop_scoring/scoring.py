"""The council calculation: member totals, exact means, bands, star minimums, knock-outs, ranks.

Layer: scoring. Imports: errors, model, explain. Pure; no I/O.

The calculation runs on integer numpy arrays, one block per sheet: the
member x criterion points of every scorecard. Sums are integers, means are
compared as integers (``sum >= threshold * n``), and ranks compare exact
rationals brought to a common denominator; no float ever decides a star.

Every number of a ``CouncilResult`` is kept in the arrays of the one pass
that computed it (points, sums, each minimum check, the cap, the rank keys).
``CouncilResult.explain(product_id)`` reads those arrays back into an
``Explanation``: the working is recorded by the pass, never recomputed, so
numbers and explanation cannot drift apart, and a national run does not pay
for 20,000 explanation objects nobody asked for.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from functools import cached_property, lru_cache
from typing import Any

import numpy as np
from attrs import field, frozen

from ocop_scoring.errors import ScorecardError, UnknownSheetError
from ocop_scoring.explain import Explanation, Step, round_half_up
from ocop_scoring.model import NOT_MET, Band, CouncilRules, Level, Rejection, RuleSet, Scorecard, SessionState, Sheet
from ocop_scoring.recognition import Standing, has_decisions, standing

RANK_KEYS = ("total", "C", "A", "B")
NOT_TICKED = -1  # in the option arrays: the member left the criterion blank (0 is "không đạt")  # exact mean, then mean Part C, A, B; all descending


# --- compiled sheets ---------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class SheetPlan:
    """A sheet compiled to arrays for the calculation."""

    sheet: Sheet
    codes: tuple[str, ...]  # scored criteria in printed order
    index: Mapping[str, int]  # code -> column
    option_count: np.ndarray  # int16 per leaf
    points_table: np.ndarray  # int16 (leaves x max_options+1); column 0 = "không đạt" = 0 points
    valid_table: np.ndarray  # bool (leaves x max_options+1); column 0 is valid on every leaf
    part_codes: tuple[str, ...]
    part_slices: tuple[tuple[int, int], ...]  # contiguous columns of each part
    conditions: tuple[tuple[int, int, int], ...]  # (leaf, condition leaf, min points)
    requirements: tuple[tuple[int, int, int], ...]  # (star, leaf, points), by star then printed order
    req_leaves: np.ndarray  # the leaf of each requirement
    req_points: np.ndarray  # the points each requirement needs
    req_by_star: Mapping[int, list[int]]  # star level -> its requirements (indices)
    knockouts: tuple[tuple[str, int, np.ndarray, int], ...] = ()  # tick rules: (criterion, note, leaves, max points)
    case_table: np.ndarray | None = None  # int8 (leaves x max_options+1): 1 + index in case_codes; 0 = no case
    case_codes: tuple[str, ...] = ()  # the cases of a choose-one-case sheet (sheet 26: "a", "b")

    def case_of(self, leaf: int, option: int) -> str | None:
        """The case an option belongs to (None: an option of every case, or "không đạt")."""
        if self.case_table is None or not 0 <= option < self.case_table.shape[1]:
            return None
        k = int(self.case_table[leaf, option])
        return self.case_codes[k - 1] if k else None

    @cached_property
    def req_rows(self) -> tuple[np.ndarray, np.ndarray]:
        """The distinct leaves the requirements name (sorted), and each requirement's row among them."""
        unique, inverse = np.unique(self.req_leaves, return_inverse=True)
        return unique.astype(np.intp), inverse.astype(np.intp)

    @cached_property
    def req_star_rows(self) -> dict[int, slice | list[int]]:
        """The requirements of each star level, as a slice when consecutive (they are: by star, then printed)."""
        out: dict[int, slice | list[int]] = {}
        for star, rows in self.req_by_star.items():
            out[star] = slice(rows[0], rows[-1] + 1) if rows == list(range(rows[0], rows[-1] + 1)) else rows
        return out

    @cached_property
    def part_bound(self) -> int:
        """The largest member total of any part in absolute value: whether a part sums in the points' own dtype."""
        largest = np.abs(self.points_table.astype(np.int64)).max(axis=1, initial=0)
        return max((int(largest[a:b].sum()) for a, b in self.part_slices), default=0)

    @property
    def leaf_parts(self) -> tuple[str, ...]:
        """Part code of each column."""
        out: list[str] = []
        for code, (a, b) in zip(self.part_codes, self.part_slices, strict=True):
            out.extend([code] * (b - a))
        return tuple(out)


@lru_cache(maxsize=512)
def plan_sheet(sheet: Sheet) -> SheetPlan:
    """Compile a sheet's leaves, options and star markers into lookup arrays (memoised per sheet)."""
    leaves = sheet.leaves
    codes = tuple(leaf.code for leaf in leaves)
    index = {c: i for i, c in enumerate(codes)}
    width = max(len(leaf.options) for leaf in leaves) + 1
    table = np.zeros((len(leaves), width), dtype=np.int16)
    valid = np.zeros((len(leaves), width), dtype=bool)
    valid[:, NOT_MET] = True  # "không đạt": none of the printed options applies, 0 points
    for i, leaf in enumerate(leaves):
        for option in leaf.options:
            table[i, option.number] = option.points
            valid[i, option.number] = True
    part_codes: list[str] = []
    slices: list[tuple[int, int]] = []
    start = 0
    for part in sheet.parts:
        count = sum(1 for g in part.groups for n in g.walk() if n.is_leaf)
        part_codes.append(part.code)
        slices.append((start, start + count))
        start += count
    conditions = tuple(
        (index[leaf.code], index[leaf.condition.criterion], leaf.condition.min_points)
        for leaf in leaves
        if leaf.condition is not None and leaf.condition.criterion in index
    )
    requirements = tuple((star, index[code], pts) for star, code, pts in sheet.star_minimums())
    case_codes = tuple(sorted({o.case for leaf in leaves for o in leaf.options if o.case}))
    case_table = None
    if case_codes:
        case_table = np.zeros((len(leaves), width), dtype=np.int8)
        for i, leaf in enumerate(leaves):
            for option in leaf.options:
                if option.case:
                    case_table[i, option.number] = 1 + case_codes.index(option.case)
    return SheetPlan(
        sheet=sheet,
        codes=codes,
        index=index,
        option_count=np.array([len(leaf.options) for leaf in leaves], dtype=np.int16),
        points_table=table,
        valid_table=valid,
        part_codes=tuple(part_codes),
        part_slices=tuple(slices),
        conditions=conditions,
        requirements=requirements,
        req_leaves=np.array([leaf for _, leaf, _ in requirements], dtype=np.intp),
        req_points=np.array([pts for _, _, pts in requirements], dtype=np.int64),
        req_by_star={
            star: [r for r, (s, _, _) in enumerate(requirements) if s == star]
            for star in {s for s, _, _ in requirements}
        },
        knockouts=tuple(
            (node.code, rule.note, np.array([index[c] for c in rule.criteria], dtype=np.intp), rule.max_points)
            for node, rule in sheet.knockout_rules()
            if rule.decided_by == "ticks" and all(c in index for c in rule.criteria)
        ),
        case_table=case_table,
        case_codes=case_codes,
    )


# --- scorecards in columnar form ---------------------------------------------------------------------


@frozen(eq=False)
class SheetCards:
    """The scorecards of one sheet: one row per (product, member), one column per scored criterion.

    ``card_product`` is non-decreasing (cards grouped by product); ``options``
    holds the option numbers ticked (``NOT_TICKED`` = -1 = left blank, 0 =
    "không đạt"), ``points`` their points.
    """

    sheet_id: str
    product_ids: tuple[str, ...] = field(converter=tuple)
    card_product: np.ndarray = field()
    card_member: np.ndarray = field()  # int32 index into CardSet.member_ids
    options: np.ndarray = field()  # int8 (cards x leaves)
    points: np.ndarray = field()  # int16 (cards x leaves)

    @property
    def card_count(self) -> int:
        """Number of scorecards."""
        return int(self.card_product.shape[0])


@frozen(eq=False)
class CardSet:
    """Every scorecard to score, grouped by sheet."""

    member_ids: tuple[str, ...] = field(converter=tuple)
    blocks: tuple[SheetCards, ...] = field(converter=tuple)

    @property
    def product_count(self) -> int:
        """Number of products with at least one scorecard."""
        return sum(len(b.product_ids) for b in self.blocks)


@frozen
class CardProblem:
    """One defect of one scorecard, before any line numbers are known."""

    kind: str  # "option" | "missing"
    block: int
    card: int
    leaf: int
    value: int = 0


def check_options(plan: SheetPlan, options: np.ndarray) -> tuple[np.ndarray, list[tuple[int, int, str]]]:
    """Validate option numbers and map them to points in one gather.

    Args:
        plan: The compiled sheet.
        options: int (cards x leaves) option numbers; ``NOT_TICKED`` (-1) = left blank, 0 = "không đạt".

    Returns:
        The points (int16, cards x leaves) and the defects as (card, leaf, kind)
        with kind "option" (no such option), "missing" (not ticked but required)
        or "case" (an option of another case than the card's first case-bound
        tick, in printed order: sheet 26, criteria 8, 9 and 15).
    """
    cards, leaves = options.shape
    width = plan.points_table.shape[1]
    safe = np.clip(options, 0, width - 1).astype(np.intp, copy=False)
    cols = np.arange(leaves)
    in_range = (options >= 0) & (options < width)
    valid = plan.valid_table[cols, safe] & in_range
    ticked = options != NOT_TICKED
    bad_option = ticked & ~valid
    points = plan.points_table[cols, safe]
    points[bad_option] = 0
    required = np.ones((cards, leaves), dtype=bool)
    for leaf, cond, minimum in plan.conditions:
        required[:, leaf] = points[:, cond] >= minimum
    missing = ~ticked & required
    problems: list[tuple[int, int, str]] = []
    if bad_option.any() or missing.any():
        for c, leaf in zip(*np.nonzero(bad_option), strict=True):
            problems.append((int(c), int(leaf), "option"))
        for c, leaf in zip(*np.nonzero(missing), strict=True):
            problems.append((int(c), int(leaf), "missing"))
    if plan.case_table is not None:
        case = np.where(ticked & valid, plan.case_table[cols, safe], 0)
        bound = case > 0
        first = case[np.arange(cards), np.argmax(bound, axis=1)]
        mixed = bound & (case != first[:, None])
        for c, leaf in zip(*np.nonzero(mixed), strict=True):
            problems.append((int(c), int(leaf), "case"))
    return points, problems


def case_message(plan: SheetPlan, choices: Mapping[str, int], leaf: int, where: str = "") -> str:
    """Why a tick of one case cannot stand on a card of the other (sheet 26: one card, one case)."""
    code = plan.codes[leaf]
    number = choices[code]
    found = first_case(plan, choices)
    case, by = found if found is not None else ("?", "?")
    return (
        f"{where}criterion {code}: expected an option of case {case} (the case of criterion {by} on the same card; "
        f"a product is scored in one case), got option {number} of case {plan.case_of(leaf, number)}"
    )


def first_case(plan: SheetPlan, choices: Mapping[str, int]) -> tuple[str, str] | None:
    """The case of a card (its first case-bound tick in printed order) and the criterion that set it."""
    if plan.case_table is None:
        return None
    for leaf, code in enumerate(plan.codes):
        number = choices.get(code)
        if number is not None:
            case = plan.case_of(leaf, number)
            if case is not None:
                return case, code
    return None


def build_card_set(
    scorecards: Iterable[Scorecard],
    sheets: Mapping[str, Sheet],
    *,
    allow_incomplete: bool = False,
) -> CardSet:
    """Arrange scorecards for the calculation, checking each against its sheet.

    Raises:
        ScorecardError: Naming every unknown sheet or criterion, option out of
            range, product on two sheets, and (unless ``allow_incomplete``)
            every incomplete scorecard with its missing criteria.
    """
    by_sheet: dict[str, dict[str, dict[str, Scorecard]]] = {}
    product_sheet: dict[str, str] = {}
    errors: list[str] = []
    for card in scorecards:
        if card.sheet_id not in sheets:
            raise UnknownSheetError(card.sheet_id, sorted(sheets))
        first = product_sheet.setdefault(card.product_id, card.sheet_id)
        if first != card.sheet_id:
            errors.append(f"product {card.product_id}: scored on {first} and on {card.sheet_id}")
            continue
        cards = by_sheet.setdefault(card.sheet_id, {}).setdefault(card.product_id, {})
        if card.member_id in cards:
            errors.append(f"product {card.product_id}, member {card.member_id}: two scorecards")
            continue
        cards[card.member_id] = card
    members: dict[str, int] = {}
    blocks: list[SheetCards] = []
    for sheet_id in sorted(by_sheet):
        plan = plan_sheet(sheets[sheet_id])
        products = sorted(by_sheet[sheet_id])
        rows: list[tuple[int, int, dict[str, int], Scorecard]] = []
        for p, pid in enumerate(products):
            for mid in sorted(by_sheet[sheet_id][pid]):
                card = by_sheet[sheet_id][pid][mid]
                rows.append((p, members.setdefault(mid, len(members)), dict(card.choices), card))
        options = np.full((len(rows), len(plan.codes)), NOT_TICKED, dtype=np.int16)
        for r, (_, _, choices, card) in enumerate(rows):
            for code, number in choices.items():
                col = plan.index.get(code)
                if col is None:
                    errors.append(
                        f"product {card.product_id}, member {card.member_id}: sheet {sheet_id} has no scored criterion {code!r}"
                    )
                    continue
                if (
                    isinstance(number, bool)
                    or not isinstance(number, int)
                    or not NOT_MET <= number <= int(plan.option_count[col])
                ):
                    errors.append(
                        f"product {card.product_id}, member {card.member_id}, criterion {code}: expected an option "
                        f"between 0 (không đạt) and {int(plan.option_count[col])}, got {number!r}"
                    )
                    continue
                options[r, col] = number
        points, problems = check_options(plan, options)
        missing: dict[int, list[str]] = {}
        for card_i, leaf, kind in problems:
            if kind == "missing":
                missing.setdefault(card_i, []).append(plan.codes[leaf])
            elif kind == "case":
                card = rows[card_i][3]
                errors.append(
                    case_message(
                        plan, dict(card.choices), leaf, f"product {card.product_id}, member {card.member_id}, "
                    )
                )
        if not allow_incomplete:
            for card_i, codes in missing.items():
                card = rows[card_i][3]
                errors.append(
                    f"product {card.product_id}, member {card.member_id}: incomplete scorecard, missing {', '.join(codes)}"
                )
        blocks.append(
            SheetCards(
                sheet_id,
                tuple(products),
                np.array([r[0] for r in rows], dtype=np.int32),
                np.array([r[1] for r in rows], dtype=np.int32),
                options.astype(np.int8),
                points,
            )
        )
    if errors:
        raise ScorecardError("\n".join(errors))
    return CardSet(tuple(sorted(members, key=members.__getitem__)), tuple(blocks))


# --- one scorecard (the live form) -------------------------------------------------------------------


@frozen
class CardResult:
    """One member's card, scored: what the form shows while the member ticks."""

    total: int
    part_totals: tuple[tuple[str, int], ...]
    group_totals: tuple[tuple[str, int], ...]
    points: tuple[tuple[str, int], ...]  # criterion -> points counted
    not_counted: tuple[str, ...]  # criteria ticked but counted 0 by a condition
    not_applicable: tuple[str, ...]  # criteria that need no answer (condition not met)
    missing: tuple[str, ...]  # criteria still to tick
    band_stars: int | None  # the band this total alone would give

    @property
    def is_complete(self) -> bool:
        """Whether every required criterion is ticked."""
        return not self.missing


def score_card(sheet: Sheet, choices: Mapping[str, int], ruleset: RuleSet | None = None) -> CardResult:
    """Score one possibly incomplete card.

    Raises:
        ScorecardError: For an unknown criterion or an option out of range.
    """
    points: dict[str, int] = {}
    for code, number in choices.items():
        leaf = sheet.leaf(code)
        if number is not None:
            points[code] = leaf.option(number).points
    counted = dict(points)
    not_counted: list[str] = []
    not_applicable: list[str] = []
    for leaf in sheet.leaves:
        cond = leaf.condition
        if cond is not None and points.get(cond.criterion, 0) < cond.min_points and cond.criterion in points:
            not_applicable.append(leaf.code)
            if leaf.code in counted:
                not_counted.append(leaf.code)
                counted[leaf.code] = 0
    missing = tuple(leaf.code for leaf in sheet.leaves if leaf.code not in points and leaf.code not in not_applicable)
    groups: list[tuple[str, int]] = []
    parts: list[tuple[str, int]] = []
    for part in sheet.parts:
        part_sum = 0
        for group in part.groups:
            g = sum(counted.get(n.code, 0) for n in group.walk() if n.is_leaf)
            groups.append((group.code, g))
            part_sum += g
        parts.append((part.code, part_sum))
    total = sum(v for _, v in parts)
    band = ruleset.band_for(total, 1).stars if ruleset else None
    return CardResult(
        total,
        tuple(parts),
        tuple(groups),
        tuple((leaf.code, counted[leaf.code]) for leaf in sheet.leaves if leaf.code in counted),
        tuple(not_counted),
        tuple(not_applicable),
        missing,
        band,
    )


# --- the council calculation -------------------------------------------------------------------------


@frozen
class UnmetMinimum:
    """A star minimum the product does not reach."""

    criterion: str
    for_stars: int
    required: int
    mean_points: Fraction
    lowest_points: int


@frozen
class KnockoutFlag:
    """A knock-out rule decided by ticks that the cards trigger (the council still decides the rejection)."""

    criterion: str  # the criterion whose printed note it is
    note: int  # 0-based index of the note in that criterion's knockout_vi
    members: tuple[str, ...]  # the members whose ticks trigger it


OUTCOMES = (
    "not_recognised",
    "propose_recognition",
    "forward_to_ministry",
    "rejected",
    "propose_5_star",
    "below_5_star",
    "forward_to_province",
)


@frozen
class ProductResult:
    """The council's result for one product, with its explanation."""

    product_id: str
    sheet_id: str
    members: int
    member_totals: tuple[tuple[str, int], ...]
    total_sum: int
    mean_total: Fraction
    part_means: tuple[tuple[str, Fraction], ...]
    band_stars: int
    stars: int
    unmet_minimums: tuple[UnmetMinimum, ...]
    spread: int
    needs_discussion: bool
    recognized: bool
    rejected: bool
    rejection_reason: str | None
    certified_by: str | None
    forwarded_to: str | None
    rank: int | None
    overall_rank: int | None
    tied_with: tuple[str, ...]
    _council: CouncilResult = field(repr=False, eq=False)
    outcome: str = "not_recognised"  # one of OUTCOMES: what the council proposes for the product
    knockout_triggered: tuple[KnockoutFlag, ...] = ()

    @property
    def mean_text(self) -> str:
        """The mean as ``ocop score`` prints it: rounded half-up to 2 decimals."""
        return str(round_half_up(self.mean_total))

    @cached_property
    def explanation(self) -> Explanation:
        """The working, read back from the arrays of the pass that computed this result."""
        return self._council.explain(self.product_id)

    def as_json(self) -> dict[str, Any]:
        """The JSON form (the contract of ``ocop score --format json``)."""
        return {
            "product_id": self.product_id,
            "sheet_id": self.sheet_id,
            "members": self.members,
            "member_totals": dict(self.member_totals),
            "mean_total": self.mean_text,
            "part_means": {k: str(round_half_up(v)) for k, v in self.part_means},
            "band_stars": self.band_stars,
            "stars": self.stars,
            "unmet_minimums": [
                {
                    "criterion": u.criterion,
                    "for_stars": u.for_stars,
                    "required": u.required,
                    "mean_points": str(round_half_up(u.mean_points)),
                    "lowest_points": u.lowest_points,
                }
                for u in self.unmet_minimums
            ],
            "spread": self.spread,
            "needs_discussion": self.needs_discussion,
            "recognized": self.recognized,
            "rejected": self.rejected,
            "rejection_reason": self.rejection_reason,
            "certified_by": self.certified_by,
            "forwarded_to": self.forwarded_to,
            "rank": self.rank,
            "overall_rank": self.overall_rank,
            "tied_with": list(self.tied_with),
            "outcome": self.outcome,
            "knockout_triggered": [
                {"criterion": k.criterion, "members": list(k.members)} for k in self.knockout_triggered
            ],
            **self._recognition_json(),
        }

    @property
    def standing(self) -> Standing:
        """Where the product stands after the council: proposed, recognised (by which decision), forwarded …"""
        return standing(self.product_id, self.outcome, self.stars, self._council.state)

    def _recognition_json(self) -> dict[str, Any]:
        state = self._council.state
        if not has_decisions(state, self.product_id):
            return {}
        return {"recognition": self.standing.as_json()}


@dataclass(eq=False)
class _Block:
    """Everything the pass computed for one sheet (arrays indexed by card or by product)."""

    plan: SheetPlan
    cards: SheetCards
    counted: np.ndarray  # counted points (after conditions), leaves x cards
    zeroed: np.ndarray  # bool leaves x cards: ticked but counted 0 by a condition
    starts: np.ndarray  # first card of each product
    n: np.ndarray  # members per product
    part_totals: np.ndarray  # parts x cards
    totals: np.ndarray  # cards
    total_sum: np.ndarray  # products
    part_sum: np.ndarray  # products x parts
    tmax: np.ndarray
    tmin: np.ndarray
    req_sum: np.ndarray  # products x requirements
    req_min: np.ndarray | None  # products x requirements (every-member rule only; else read from points)
    req_ok: np.ndarray  # products x requirements (bool, under the rule in force)
    band_index: np.ndarray
    band_stars: np.ndarray
    stars: np.ndarray  # after minimums and knock-outs
    capped_at: np.ndarray  # the first star level whose minimums failed (0 = none)
    rejected: np.ndarray
    flagged: np.ndarray
    forwarded: np.ndarray
    offset: int  # index of the block's first product in the global arrays
    outcome: np.ndarray | None = None  # int8 index into OUTCOMES per product
    knockout_hits: tuple[tuple[int, np.ndarray], ...] = ()  # (tick rule of plan.knockouts, bool per card)


class CouncilResult:
    """The results of one calculation over every product, in ``product_id`` order."""

    def __init__(
        self,
        ruleset: RuleSet,
        rules: CouncilRules,
        members: tuple[str, ...],
        blocks: list[_Block],
        rank: np.ndarray,
        overall_rank: np.ndarray,
        rejections: Mapping[str, str],
    ) -> None:
        self.ruleset = ruleset
        self.rules = rules
        self.member_ids = members
        self._blocks = blocks
        self._rank = rank
        self._overall = overall_rank
        self._rejections = dict(rejections)
        self.state: SessionState | None = None  # the session scored, when scored from one (its decisions)
        self.level = ruleset.level(rules.level, rules.on) if rules.level else ruleset.first_level_on(rules.on)

    @property
    def blocks(self) -> list[_Block]:
        """The pass's arrays, one block per sheet (read-only: for analyses such as star stability)."""
        return self._blocks

    @cached_property
    def _where(self) -> dict[str, tuple[int, int]]:
        """Block and position of each product."""
        return {pid: (b, p) for b, block in enumerate(self._blocks) for p, pid in enumerate(block.cards.product_ids)}

    @cached_property
    def product_ids(self) -> tuple[str, ...]:
        """Every product scored, sorted by id."""
        return tuple(sorted(self._where))

    def __len__(self) -> int:
        return sum(len(b.n) for b in self._blocks)

    def __iter__(self) -> Iterator[ProductResult]:
        for pid in self.product_ids:
            yield self.product(pid)

    def __contains__(self, product_id: object) -> bool:
        return product_id in self._where

    def product(self, product_id: str) -> ProductResult:
        """The result of one product.

        Raises:
            ScorecardError: If no scorecard of that product was scored.
        """
        try:
            b, p = self._where[product_id]
        except KeyError:
            msg = f"no scorecards for product {product_id!r}"
            raise ScorecardError(msg) from None
        block = self._blocks[b]
        a, z = int(block.starts[p]), int(block.starts[p] + block.n[p])
        n = int(block.n[p])
        members = tuple(
            (self.member_ids[m], int(t)) for m, t in zip(block.cards.card_member[a:z], block.totals[a:z], strict=True)
        )
        g = block.offset + p
        rejected = bool(block.rejected[p])
        stars = int(block.stars[p])
        outcome = OUTCOMES[int(block.outcome[p])]
        certified = self.level.code if outcome in ("propose_recognition", "propose_5_star") else None
        return ProductResult(
            product_id=product_id,
            sheet_id=block.plan.sheet.sheet_id,
            members=n,
            member_totals=members,
            total_sum=int(block.total_sum[p]),
            mean_total=Fraction(int(block.total_sum[p]), n),
            part_means=tuple(
                (code, Fraction(int(block.part_sum[p, i]), n)) for i, code in enumerate(block.plan.part_codes)
            ),
            band_stars=int(block.band_stars[p]),
            stars=stars,
            unmet_minimums=tuple(self._unmet(block, p)),
            spread=int(block.tmax[p] - block.tmin[p]),
            needs_discussion=bool(block.flagged[p]),
            recognized=certified is not None and stars >= self.ruleset.recognized_from_stars,
            rejected=rejected,
            rejection_reason=self._rejections.get(product_id),
            certified_by=certified,
            forwarded_to=self.level.forwards_to if (block.forwarded[p] and not rejected) else None,
            rank=None if self._rank[g] < 0 else int(self._rank[g]),
            overall_rank=None if self._overall[g] < 0 else int(self._overall[g]),
            tied_with=self._ties(g),
            council=self,
            outcome=outcome,
            knockout_triggered=self._knockouts(block, a, z),
        )

    def _knockouts(self, block: _Block, a: int, z: int) -> tuple[KnockoutFlag, ...]:
        flags = []
        for r, hit in block.knockout_hits:
            rows = np.nonzero(hit[a:z])[0]
            if len(rows):
                criterion, note, _, _ = block.plan.knockouts[r]
                members = tuple(self.member_ids[int(block.cards.card_member[a + i])] for i in rows)
                flags.append(KnockoutFlag(criterion, note, members))
        return tuple(flags)

    def _unmet(self, block: _Block, p: int) -> Iterator[UnmetMinimum]:
        n = int(block.n[p])
        for r, (star, leaf, required) in enumerate(block.plan.requirements):
            if star > block.band_stars[p] or block.req_ok[p, r]:
                continue
            yield UnmetMinimum(
                block.plan.codes[leaf], star, required, Fraction(int(block.req_sum[p, r]), n), _lowest(block, p, r)
            )

    def _ties(self, g: int) -> tuple[str, ...]:
        group = self._tie_groups.get(g)
        return tuple(pid for pid in group if pid != self._global_ids[g]) if group else ()

    @cached_property
    def _global_ids(self) -> list[str]:
        out: list[str] = []
        for block in self._blocks:
            out.extend(block.cards.product_ids)
        return out

    @cached_property
    def _tie_groups(self) -> dict[int, tuple[str, ...]]:
        """Products sharing a rank within their sheet (equal on every rank key)."""
        groups: dict[tuple[int, int], list[int]] = {}
        for b, block in enumerate(self._blocks):
            ranks = self._rank[block.offset : block.offset + len(block.n)]
            values, counts = np.unique(ranks[ranks >= 0], return_counts=True)
            for value in values[counts > 1]:
                members = np.nonzero(ranks == value)[0] + block.offset
                groups[(b, int(value))] = [int(i) for i in members]
        out: dict[int, tuple[str, ...]] = {}
        for members in groups.values():
            ids = tuple(self._global_ids[i] for i in members)
            for i in members:
                out[i] = ids
        return out

    def as_json(self) -> dict[str, Any]:
        """``{"ruleset": …, "rules": …, "products": [...]}`` as ``ocop score --format json`` prints it."""
        return {
            "ruleset": self.ruleset.ruleset_id,
            "rules": {
                "minimum_rule": self.rules.minimum_rule,
                "spread_threshold": self.rules.spread_threshold,
                "spread_strict": self.rules.spread_strict,
                "level": self.level.code,
            },
            "products": [p.as_json() for p in self],
        }

    def explain(self, product_id: str) -> Explanation:
        """The working of one product, read from the arrays of the pass."""
        result = self.product(product_id)
        b, p = self._where[product_id]
        block = self._blocks[b]
        plan = block.plan
        a, z = int(block.starts[p]), int(block.starts[p] + block.n[p])
        n = int(block.n[p])
        member_names = [self.member_ids[m] for m in block.cards.card_member[a:z]]
        steps: list[Step] = [
            Step(
                "rules",
                product_id,
                (
                    ("ruleset", self.ruleset.ruleset_id),
                    ("sheet", plan.sheet.sheet_id),
                    ("minimum_rule", self.rules.minimum_rule),
                    ("spread_threshold", self.rules.spread_threshold),
                    ("spread_op", ">" if self.rules.spread_strict else ">="),
                    ("level", self.level.code),
                ),
            )
        ]
        for c in range(a, z):
            for leaf, cond, minimum in plan.conditions:
                if block.counted[cond, c] < minimum:
                    steps.append(
                        Step(
                            "condition",
                            member_names[c - a],
                            (
                                ("criterion", plan.codes[leaf]),
                                ("condition", plan.codes[cond]),
                                ("condition_points", int(block.counted[cond, c])),
                                ("min_points", minimum),
                                ("ticked_points", int(block.cards.points[c, leaf])),
                                ("counted", 0),
                            ),
                        )
                    )
        for c in range(a, z):
            not_met = [
                plan.codes[j]
                for j in np.nonzero(block.cards.options[c] == NOT_MET)[0]
                if not plan.sheet.leaves[j].prints_zero_option
            ]
            if not_met:
                steps.append(Step("not_met", member_names[c - a], (("criteria", ", ".join(not_met)),)))
        for c in range(a, z):
            args: list[tuple[str, Any]] = [
                (code, int(block.part_totals[i, c])) for i, code in enumerate(plan.part_codes)
            ]
            args.append(("total", int(block.totals[c])))
            args.append(("parts", tuple(int(v) for v in block.part_totals[:, c])))
            steps.append(Step("member_total", member_names[c - a], tuple(args)))
        totals = tuple(int(t) for t in block.totals[a:z])
        total_sum = int(block.total_sum[p])
        steps.append(
            Step(
                "council_mean",
                product_id,
                (("totals", totals), ("sum", total_sum), ("n", n), ("mean", Fraction(total_sum, n))),
            )
        )
        for i, code in enumerate(plan.part_codes):
            s = int(block.part_sum[p, i])
            steps.append(Step("part_mean", code, (("part", code), ("sum", s), ("n", n), ("mean", Fraction(s, n)))))
        band: Band = self.ruleset.bands[int(block.band_index[p])]
        upper = (
            self.ruleset.bands[int(block.band_index[p]) + 1].min_total
            if int(block.band_index[p]) + 1 < len(self.ruleset.bands)
            else None
        )
        steps.append(
            Step(
                "band" if upper is not None else "band_top",
                product_id,
                (
                    ("mean", Fraction(total_sum, n)),
                    ("low", band.min_total),
                    ("high", upper if upper is not None else self.ruleset.total_points),
                    ("stars", band.stars),
                ),
            )
        )
        if self.rules.minimum_rule == "none":
            steps.append(Step("minimums_off", product_id, ()))
        else:
            band_stars = int(block.band_stars[p])
            for r, (star, leaf, required) in enumerate(plan.requirements):
                if star > band_stars:
                    continue
                rule = "minimum_mean" if self.rules.minimum_rule == "mean" else "minimum_every"
                steps.append(
                    Step(
                        rule,
                        plan.codes[leaf],
                        (
                            ("criterion", plan.codes[leaf]),
                            ("stars", star),
                            ("required", required),
                            ("sum", int(block.req_sum[p, r])),
                            ("n", n),
                            ("mean", Fraction(int(block.req_sum[p, r]), n)),
                            ("lowest", _lowest(block, p, r)),
                        ),
                        ok=bool(block.req_ok[p, r]),
                    )
                )
        capped = int(block.capped_at[p])
        if capped:
            failed = [
                plan.codes[leaf]
                for r, (star, leaf, _) in enumerate(plan.requirements)
                if star == capped and not block.req_ok[p, r]
            ]
            steps.append(
                Step(
                    "star_capped",
                    product_id,
                    (
                        ("band_stars", int(block.band_stars[p])),
                        ("failed_stars", capped),
                        ("failed", ", ".join(failed)),
                        ("stars", min(int(block.band_stars[p]), capped - 1)),
                    ),
                )
            )
        else:
            steps.append(
                Step(
                    "star_band",
                    product_id,
                    (("band_stars", int(block.band_stars[p])), ("stars", int(block.band_stars[p]))),
                )
            )
        for flag in result.knockout_triggered:
            node = plan.sheet.criterion(flag.criterion)
            rule = next(r for r in node.knockout_rules if r.note == flag.note and r.decided_by == "ticks")
            steps.append(
                Step(
                    "knockout_triggered",
                    flag.criterion,
                    (
                        ("criterion", flag.criterion),
                        ("criteria", ", ".join(rule.criteria)),
                        ("max_points", rule.max_points),
                        ("members", ", ".join(flag.members)),
                        ("note_vi", node.knockout_vi[flag.note]),
                        (
                            "note_en",
                            node.knockout_en[flag.note]
                            if flag.note < len(node.knockout_en)
                            else node.knockout_vi[flag.note],
                        ),
                        ("confirmed", result.rejected),
                    ),
                )
            )
        if result.rejected:
            steps.append(Step("knockout", product_id, (("reason", result.rejection_reason or ""),)))
        steps.append(
            Step(
                "spread",
                product_id,
                (
                    ("max", int(block.tmax[p])),
                    ("min", int(block.tmin[p])),
                    ("spread", result.spread),
                    ("op", ">" if self.rules.spread_strict else ">="),
                    ("threshold", self.rules.spread_threshold),
                ),
                ok=not result.needs_discussion,
            )
        )
        steps.append(
            Step(
                "recognition",
                product_id,
                (
                    ("stars", result.stars),
                    ("recognized", result.recognized),
                    ("from_stars", self.ruleset.recognized_from_stars),
                    ("level", self.level.code),
                    ("certified_by", result.certified_by or "-"),
                    ("forwarded_to", result.forwarded_to or "-"),
                    (
                        "forward_total",
                        self.level.forwards_from_total if self.level.forwards_from_total is not None else "-",
                    ),
                ),
            )
        )
        forward_total = self.level.forwards_from_total
        reaches_forward = forward_total is not None and Fraction(total_sum, n) >= forward_total
        if reaches_forward and not result.rejected and result.stars < int(block.band_stars[p]):
            steps.append(
                Step(
                    "forward_policy_" + self.level.forward_when_minimums_unmet,
                    product_id,
                    (("mean", Fraction(total_sum, n)), ("forward_total", forward_total), ("stars", result.stars)),
                )
            )
        steps.append(
            Step(
                "outcome_" + result.outcome,
                product_id,
                (
                    ("stars", result.stars),
                    ("mean", Fraction(total_sum, n)),
                    ("forward_total", forward_total if forward_total is not None else "-"),
                ),
            )
        )
        if result.rank is not None:
            part_mean = dict(result.part_means)
            steps.append(
                Step(
                    "rank",
                    product_id,
                    (
                        ("mean", result.mean_total),
                        ("C_mean", part_mean.get("C", Fraction(0))),
                        ("A_mean", part_mean.get("A", Fraction(0))),
                        ("B_mean", part_mean.get("B", Fraction(0))),
                        ("rank", result.rank),
                        ("sheet", plan.sheet.sheet_id),
                        ("overall_rank", result.overall_rank),
                        ("tied_with", ", ".join(result.tied_with) or "-"),
                    ),
                )
            )
        else:
            steps.append(Step("not_ranked", product_id, ()))
        return Explanation(
            product_id=product_id,
            sheet_id=plan.sheet.sheet_id,
            ruleset_id=self.ruleset.ruleset_id,
            members=tuple(member_names),
            criteria=plan.codes,
            criterion_parts=plan.leaf_parts,
            options=tuple(tuple(int(v) for v in row) for row in block.cards.options[a:z]),
            points=tuple(tuple(int(v) for v in row) for row in block.counted[:, a:z].T),
            steps=tuple(steps),
        )

    def table(self) -> list[dict[str, Any]]:
        """One flat row per product (for CSV and DataFrames)."""
        rows = []
        for r in self:
            rows.append(
                {
                    "product_id": r.product_id,
                    "sheet_id": r.sheet_id,
                    "members": r.members,
                    "mean_total": r.mean_text,
                    **{f"mean_{k}": str(round_half_up(v)) for k, v in r.part_means},
                    "spread": r.spread,
                    "needs_discussion": r.needs_discussion,
                    "band_stars": r.band_stars,
                    "stars": r.stars,
                    "unmet_minimums": " ".join(f"{u.criterion}({u.for_stars}★≥{u.required})" for u in r.unmet_minimums),
                    "rejected": r.rejected,
                    "recognized": r.recognized,
                    "certified_by": r.certified_by or "",
                    "forwarded_to": r.forwarded_to or "",
                    "rank": "" if r.rank is None else r.rank,
                    "overall_rank": "" if r.overall_rank is None else r.overall_rank,
                    "outcome": r.outcome,
                }
            )
        return rows


def _lowest(block: _Block, p: int, r: int) -> int:
    """The lowest member's points on requirement ``r`` of product ``p`` (from the pass's arrays)."""
    if block.req_min is not None:
        return int(block.req_min[p, r])
    a = int(block.starts[p])
    leaf = block.plan.requirements[r][1]
    return int(block.counted[leaf, a : a + int(block.n[p])].min())


def score_council(
    cards: CardSet,
    sheets: Mapping[str, Sheet],
    ruleset: RuleSet,
    rules: CouncilRules | None = None,
    rejections: Iterable[Rejection] = (),
) -> CouncilResult:
    """Aggregate every product's scorecards into the council's results.

    Args:
        cards: The scorecards, checked and arranged by ``build_card_set`` or a reader.
        sheets: The sheets by id (pinned sheets for a session).
        ruleset: The rule set in force.
        rules: The council's settings (minimum rule, spread rule, level).
        rejections: Knock-outs: these products get no star and no rank.

    Returns:
        Every product's result, with the arrays its explanation is read from.
    """
    rules = rules or CouncilRules()
    level = ruleset.level(rules.level, rules.on) if rules.level else ruleset.first_level_on(rules.on)
    rejected_reason = {r.product_id: r.reason for r in rejections}
    blocks: list[_Block] = []
    offset = 0
    for cards_block in cards.blocks:
        try:
            sheet = sheets[cards_block.sheet_id]
        except KeyError:
            raise UnknownSheetError(cards_block.sheet_id, sorted(sheets)) from None
        plan = plan_sheet(sheet)
        blocks.append(_score_block(plan, cards_block, ruleset, rules, level, rejected_reason, offset))
        offset += len(cards_block.product_ids)
    rank, overall = _rank(blocks, offset)
    return CouncilResult(ruleset, rules, cards.member_ids, blocks, rank, overall, rejected_reason)


def _score_block(
    plan: SheetPlan,
    cards: SheetCards,
    ruleset: RuleSet,
    rules: CouncilRules,
    level: Level,
    rejected_reason: Mapping[str, str],
    offset: int,
) -> _Block:
    # Work leaf-major (one contiguous row per criterion): sums over criteria then run over
    # whole rows, several times faster than along the short rows of the card-major input.
    counted = np.array(cards.points.T, order="C", copy=True)  # a copy: conditions write into it
    zeroed = np.zeros((0, 0), dtype=bool)
    if plan.conditions:
        zeroed = np.zeros(counted.shape, dtype=bool)
        for leaf, cond, minimum in plan.conditions:
            off = counted[cond] < minimum
            zeroed[leaf] = off & (counted[leaf] != 0)
            counted[leaf, off] = 0
    product_count = len(cards.product_ids)
    n = np.bincount(cards.card_product, minlength=product_count).astype(np.int64)
    starts = np.zeros(product_count, dtype=np.int64)
    np.cumsum(n[:-1], out=starts[1:])
    # every product scored by the same number of members (the usual council): its cards are the
    # consecutive runs of ``group`` columns, and per-product sums need no reduceat (see _per_product)
    group = int(n[0]) if product_count and bool((n == n[0]).all()) else 0
    # The rows summed per product, in one array: each part's member totals, then each leaf a star minimum
    # names (once, though it may carry a minimum for several stars). In the points' own dtype when a
    # card's part total fits it (<= 100 on every sheet): no cast per point; sums per product are int64.
    parts = len(plan.part_slices)
    unique, row = plan.req_rows
    card_dtype = counted.dtype if plan.part_bound <= np.iinfo(counted.dtype).max else np.int64
    rows = np.empty((parts + len(unique), counted.shape[1]), dtype=card_dtype)
    for i, (a, b) in enumerate(plan.part_slices):
        np.add.reduce(counted[a:b], axis=0, dtype=card_dtype, out=rows[i])
    np.take(counted, unique, axis=0, out=rows[parts:])
    part_totals = rows[:parts].astype(np.int64)
    totals = part_totals.sum(axis=0)
    # a product's sums fit that dtype too when its members' cannot overflow it (9 members: <= 900)
    narrow = bool(group) and plan.part_bound * group <= np.iinfo(card_dtype).max
    sums = _per_product(np.add, rows, starts, group, narrow)
    part_sum = sums[:parts].T
    total_sum = sums[:parts].sum(axis=0)
    tmax = _per_product(np.maximum, totals, starts, group, True)
    tmin = _per_product(np.minimum, totals, starts, group, True)
    req_min: np.ndarray | None = None  # lowest member's points: needed by the every-member rule only
    if plan.requirements:
        req_rows = rows[parts:]
        req_sum_rows = sums[parts:][row]  # requirements x products
        req_sum = req_sum_rows.T
        if rules.minimum_rule == "mean":
            req_ok_rows = req_sum_rows >= plan.req_points[:, None] * n[None, :]
        elif rules.minimum_rule == "every-member":
            req_min_rows = _per_product(np.minimum, req_rows, starts, group, True)[row]
            req_min = req_min_rows.T
            req_ok_rows = req_min_rows >= plan.req_points[:, None]
        else:
            req_ok_rows = np.ones(req_sum_rows.shape, dtype=bool)
        req_ok = req_ok_rows.T
    else:
        req_sum = np.zeros((product_count, 0), dtype=np.int64)
        req_ok = np.zeros((product_count, 0), dtype=bool)
        req_ok_rows = req_ok.T
    band_index = np.zeros(product_count, dtype=np.int64)
    for i, band in enumerate(ruleset.bands[1:], start=1):
        band_index[total_sum * band.min_total.denominator >= band.min_total.numerator * n] = i
    band_stars = np.array([b.stars for b in ruleset.bands], dtype=np.int64)[band_index]
    stars = band_stars.copy()
    capped_at = np.zeros(product_count, dtype=np.int64)
    met_so_far = np.ones(product_count, dtype=bool)
    for star in sorted(ruleset.minimum_star_levels):
        rows = plan.req_star_rows.get(star)
        if rows is None:
            continue
        met = req_ok_rows[rows].all(axis=0)
        newly_failed = met_so_far & ~met & (band_stars >= star)
        capped_at[newly_failed] = star
        met_so_far &= met
        stars[~met_so_far & (stars >= star)] = star - 1
    if rejected_reason:
        rejected = np.fromiter((pid in rejected_reason for pid in cards.product_ids), dtype=bool, count=product_count)
    else:
        rejected = np.zeros(product_count, dtype=bool)
    stars[rejected] = 0
    spread = tmax - tmin
    flagged = spread > rules.spread_threshold if rules.spread_strict else spread >= rules.spread_threshold
    forward_total = level.forwards_from_total
    if forward_total is not None:
        forwarded = total_sum * forward_total.denominator >= forward_total.numerator * n
        forwarded &= ~rejected
        if level.forward_when_minimums_unmet == "propose_at_star":
            # forward only what reaches the band's star after its minimums; the rest is proposed here
            forwarded &= stars >= band_stars
    else:
        forwarded = np.zeros(product_count, dtype=bool)
    outcome = _outcomes(level, ruleset, stars, rejected, forwarded)
    knockout_hits = []
    for r, (_, _, leaves, max_points) in enumerate(plan.knockouts):
        hit = np.zeros(len(cards.points), dtype=bool)
        for leaf in leaves.tolist():  # column views: no gather of the card-major arrays
            hit |= (cards.points[:, leaf] <= max_points) & (cards.options[:, leaf] != NOT_TICKED)
        if hit.any():
            knockout_hits.append((r, hit))
    return _Block(
        plan,
        cards,
        counted,
        zeroed,
        starts,
        n,
        part_totals,
        totals,
        total_sum,
        part_sum,
        tmax,
        tmin,
        req_sum,
        req_min,
        req_ok,
        band_index,
        band_stars,
        stars,
        capped_at,
        rejected,
        flagged,
        forwarded,
        offset,
        outcome,
        tuple(knockout_hits),
    )


def _per_product(ufunc: np.ufunc, values: np.ndarray, starts: np.ndarray, group: int, narrow: bool) -> np.ndarray:
    """``ufunc`` over each product's cards (the last axis), as int64: ``ufunc.reduceat(values, starts, axis=-1)``.

    When every product has ``group`` consecutive cards, the result is built by
    ``group`` passes over strided views instead: the same numbers, without
    reduceat's cost per (row, product) pair, which dominated the calculation.
    ``narrow``: no result can overflow ``values``' dtype, so the passes run in it
    (no cast per element) and only the result is widened.
    """
    if group:
        view = values.reshape(*values.shape[:-1], -1, group)
        out = view[..., 0].copy() if narrow else view[..., 0].astype(np.int64)
        for j in range(1, group):
            ufunc(out, view[..., j], out=out)
        return out.astype(np.int64, copy=False)
    return ufunc.reduceat(values, starts, axis=-1, dtype=np.int64)


def _outcomes(
    level: Level, ruleset: RuleSet, stars: np.ndarray, rejected: np.ndarray, forwarded: np.ndarray
) -> np.ndarray:
    """What the council proposes for each product (an index into ``OUTCOMES``).

    A council that certifies 5★ (the central council) proposes 5★ or finds the product below it;
    a provincial council forwards products at or above its threshold (to the Ministry, Điều 7.3)
    and proposes the stars it certifies (3★, 4★) for recognition by the Chủ tịch UBND tỉnh.
    """
    code = OUTCOMES.index
    out = np.full(len(stars), code("not_recognised"), dtype=np.int8)
    certifiable = np.zeros(len(stars), dtype=bool)
    for star in level.certifies_stars or ():  # (np.isin costs more than the rest of the block's logic)
        certifiable |= stars == star
    certifiable &= stars >= ruleset.recognized_from_stars
    if level.forwards_to is None and 5 in level.certifies_stars:
        out[:] = code("below_5_star")
        out[certifiable] = code("propose_5_star")
    else:
        out[certifiable] = code("propose_recognition")
        forward = "forward_to_ministry" if level.forwards_to == "central" else f"forward_to_{level.forwards_to}"
        out[forwarded] = code(forward) if forward in OUTCOMES else code("not_recognised")
    out[rejected] = code("rejected")
    return out


def _rank(blocks: Sequence[_Block], count: int) -> tuple[np.ndarray, np.ndarray]:
    """Competition ranks within each sheet and over all products, on exact keys.

    Keys: mean total, then mean Part C, A, B (all descending). Means are
    brought to a common denominator (the lcm of the member counts) so the
    comparison is exact integer arithmetic. Rejected products are not ranked.
    Returns (rank in sheet, overall rank) with -1 for "not ranked".
    """
    if count == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    n = np.concatenate([b.n for b in blocks])
    sums = [np.concatenate([b.total_sum for b in blocks])]
    for part in ("C", "A", "B"):
        cols = []
        for b in blocks:
            if part in b.plan.part_codes:
                cols.append(b.part_sum[:, b.plan.part_codes.index(part)])
            else:
                cols.append(np.zeros(len(b.n), dtype=np.int64))
        sums.append(np.concatenate(cols))
    sheet_no = np.concatenate([np.full(len(b.n), i) for i, b in enumerate(blocks)])
    rejected = np.concatenate([b.rejected for b in blocks])
    denominator = 1
    for value in np.unique(n):
        denominator = math.lcm(denominator, int(value))
    biggest = max(int(s.max(initial=0)) for s in sums)
    keys = np.empty((count, 4), dtype=np.int64)
    if denominator * max(biggest, 1) < 2**62:
        scale = denominator // n
        for i, s in enumerate(sums):
            keys[:, i] = s * scale
    else:  # pathological member counts: exact Python rationals, replaced by their order
        for i, s in enumerate(sums):
            fracs = [Fraction(int(s[j]), int(n[j])) for j in range(count)]
            position = {v: k for k, v in enumerate(sorted(set(fracs)))}
            keys[:, i] = [position[v] for v in fracs]
    key = _single_key(keys)
    rank = np.full(count, -1, dtype=np.int64)
    overall = np.full(count, -1, dtype=np.int64)
    eligible = ~rejected
    # the order among equal keys is free: a tie's rank is the position of its first member either way
    order = np.argsort(-np.where(rejected, -1, key))
    _competition(order, key, eligible, overall)
    by_sheet = order[np.argsort(sheet_no[order].astype(np.int16 if len(blocks) < 32000 else np.int64), kind="stable")]
    _competition(by_sheet, key, eligible, rank, group=sheet_no)
    return rank, overall


def _single_key(keys: np.ndarray) -> np.ndarray:
    """One int64 per row that orders as the rows do lexicographically (column 0 first)."""
    radix = int(keys.max(initial=0)) + 1
    if radix ** keys.shape[1] < 2**62:
        key = np.zeros(len(keys), dtype=np.int64)
        for i in range(keys.shape[1]):
            key = key * radix + keys[:, i]
        return key
    order = np.lexsort(keys.T[::-1])
    ordered = keys[order]
    new = np.ones(len(keys), dtype=np.int64)
    new[1:] = (ordered[1:] != ordered[:-1]).any(axis=1)
    key = np.empty(len(keys), dtype=np.int64)
    key[order] = np.cumsum(new)
    return key


def _competition(
    order: np.ndarray, key: np.ndarray, eligible: np.ndarray, out: np.ndarray, group: np.ndarray | None = None
) -> None:
    """Write competition ranks (1, 2, 2, 4) along ``order`` (descending ``key``) into ``out``."""
    order = order[eligible[order]]
    if len(order) == 0:
        return
    k = key[order]
    position = np.arange(len(order))
    new_key = np.ones(len(order), dtype=bool)
    new_key[1:] = k[1:] != k[:-1]
    if group is not None:
        g = group[order]
        new_group = np.ones(len(order), dtype=bool)
        new_group[1:] = g[1:] != g[:-1]
        group_start = np.maximum.accumulate(np.where(new_group, position, 0))
        new_key |= new_group
    else:
        group_start = 0
    first_of_tie = np.maximum.accumulate(np.where(new_key, position, 0))
    out[order] = first_of_tie - group_start + 1


def score_session(state: SessionState, sheets: Mapping[str, Sheet], ruleset: RuleSet) -> CouncilResult:
    """The results of a council session: each product's submitted cards of its current round.

    Recused members' cards and drafts are left out; knocked-out products are rejected.
    """
    cards = [
        card.as_scorecard(product.sheet_id)
        for product in state.products
        for card in state.submitted_cards(product.product_id)
    ]
    rejections = [Rejection(p.product_id, p.knockout) for p in state.products if p.knockout is not None]
    result = score_council(build_card_set(cards, sheets), sheets, ruleset, state.session.rules, rejections)
    result.state = state
    return result
