"""Domain model: immutable criteria sheets, rule sets, council rules and scorecards.

Layer: model. Imports: errors. No I/O, no widgets, no numpy.

Points are whole numbers (every sheet of Decisions 1048/2019, 148/2023 and
26/2026 prints whole points), so every sum is an ``int`` and every mean is a
``fractions.Fraction``: no float ever decides a star.
"""

from __future__ import annotations

from collections.abc import Iterator
from fractions import Fraction
from functools import cached_property
from typing import Any, Literal

from attrs import field, frozen

from ocop_scoring.errors import ScorecardError, SettingsError

NodeKind = Literal["group", "criterion", "sub_criterion"]
MinimumRule = Literal["mean", "every-member", "none"]
MINIMUM_RULES: tuple[MinimumRule, ...] = ("mean", "every-member", "none")


@frozen
class Anomaly:
    """A place where the printed decision is defective, and the value used instead.

    ``printed`` is what the source prints (verbatim), the data holds the value
    used, and the notes say why. Anomalies are recorded, never fixed silently.
    """

    printed: str
    note_vi: str
    note_en: str = ""


NOT_MET = 0  # option number of "không đạt": none of the printed options applies (0 points)
NOT_MET_TEXT_VI = "Không đạt"
NOT_MET_TEXT_EN = "Not met"


@frozen
class Option:
    """One answer a member can tick for a scored criterion.

    Options are numbered from 1 in printed order. Number 0 (``NOT_MET``) is
    "không đạt": the product reaches none of the printed options and gets 0
    points. The printed sheet is a checklist, so every scored criterion
    accepts it (Decision 26/2026, Phụ lục II); it is not a printed option.
    """

    number: int  # 1-based position in printed order (case a's options, then case b's); 0 = không đạt
    text_vi: str
    points: int
    text_en: str | None = None
    star: int | None = None  # the printed ***/****/***** marker: minimum for that star level
    case: str | None = None  # "a" / "b" for "Lựa chọn một trong hai trường hợp sau"
    anomaly: Anomaly | None = None

    @property
    def is_not_met(self) -> bool:
        """Whether this is the "không đạt" choice rather than a printed option."""
        return self.number == NOT_MET


NOT_MET_OPTION = Option(NOT_MET, NOT_MET_TEXT_VI, 0, NOT_MET_TEXT_EN)


@frozen
class KnockoutRule:
    """How a printed knock-out note of a criterion is applied.

    ``decided_by``: ``"ticks"`` when the note names a condition the ticks
    record (sheet 16: "Nếu được 0 điểm tại một trong các chỉ tiêu trên …"):
    the rule is triggered by any member whose points on one of ``criteria``
    are at most ``max_points``; ``"council"`` when it needs the council's
    judgement (a copied product, imported raw materials): nothing is
    triggered automatically. Either way the rejection itself stays the
    council's decision: a triggered rule flags the product.
    """

    note: int  # 0-based index into the criterion's knockout_vi
    decided_by: Literal["ticks", "council"]
    criteria: tuple[str, ...] = field(default=(), converter=tuple)  # ticks: the criteria it reads
    max_points: int = 0  # ticks: triggered at or below this many points


@frozen
class Case:
    """One of the alternatives of a choose-one-case criterion."""

    code: str
    text_vi: str
    text_en: str | None = None


@frozen
class Condition:
    """The criterion counts only when another criterion reaches ``min_points``.

    Sheets 1-25: 5.2 "Chỉ áp dụng khi có câu chuyện sản phẩm" counts 0 when
    5.1 scores 0 (no product story).
    """

    criterion: str
    min_points: int
    note_vi: str
    note_en: str = ""


@frozen
class Criterion:
    """A node of the sheet: a criterion group, a criterion or a sub-criterion.

    A node either has ``options`` (it is scored directly: a leaf) or
    ``children``. Leaves are the scored units.
    """

    code: str
    kind: NodeKind
    text_vi: str
    max_points: int
    text_en: str | None = None
    options: tuple[Option, ...] = field(default=(), converter=tuple)
    children: tuple[Criterion, ...] = field(default=(), converter=tuple)
    notes_vi: tuple[str, ...] = field(default=(), converter=tuple)
    knockout_vi: tuple[str, ...] = field(default=(), converter=tuple)
    cases: tuple[Case, ...] = field(default=(), converter=tuple)
    condition: Condition | None = None
    anomaly: Anomaly | None = None
    notes_en: tuple[str, ...] = field(default=(), converter=tuple)
    knockout_en: tuple[str, ...] = field(default=(), converter=tuple)
    knockout_rules: tuple[KnockoutRule, ...] = field(default=(), converter=tuple)

    @property
    def is_leaf(self) -> bool:
        """Whether this node is scored directly."""
        return bool(self.options)

    def option(self, number: int) -> Option:
        """Return option ``number`` (1-based; 0 is "không đạt", worth 0 points).

        Raises:
            ScorecardError: If there is no such option.
        """
        if isinstance(number, bool) or not isinstance(number, int) or not 0 <= number <= len(self.options):
            msg = f"criterion {self.code}: expected an option between 0 and {len(self.options)}, got {number!r}"
            raise ScorecardError(msg)
        return NOT_MET_OPTION if number == NOT_MET else self.options[number - 1]

    @property
    def prints_zero_option(self) -> bool:
        """Whether a printed option is worth 0 points (then "không đạt" needs no box of its own)."""
        return any(o.points == 0 for o in self.options)

    def star_minimums(self) -> dict[int, int]:
        """Points required on this criterion for each marked star level."""
        return {o.star: o.points for o in self.options if o.star is not None}

    def walk(self) -> Iterator[Criterion]:
        """Yield this node and every node below it, in printed order."""
        yield self
        for child in self.children:
            yield from child.walk()


@frozen
class Part:
    """Part A, B or C of a sheet."""

    code: str
    label_vi: str
    max_points: int
    groups: tuple[Criterion, ...] = field(converter=tuple)
    label_en: str | None = None
    anomaly: Anomaly | None = None


@frozen
class Classification:
    """Where the sheet sits in Phụ lục I: ngành / nhóm / phân nhóm."""

    sector_code: str
    sector_vi: str
    group_code: str
    group_vi: str
    subgroup_code: str | None = None
    subgroup_vi: str | None = None
    ministry_vi: str | None = None
    sector_en: str | None = None
    group_en: str | None = None
    subgroup_en: str | None = None

    @property
    def path(self) -> str:
        """The classification path, e.g. ``I.3.c``."""
        parts = [self.sector_code, self.group_code]
        if self.subgroup_code:
            parts.append(self.subgroup_code)
        return ".".join(parts)


@frozen(cache_hash=True)
class Sheet:
    """One official criteria sheet (bộ tiêu chí kiêm phiếu đánh giá) of one product group."""

    sheet_id: str
    ruleset_id: str
    title_vi: str
    source: str
    parts: tuple[Part, ...] = field(converter=tuple)
    number: int | None = None
    title_en: str | None = None
    heading_vi: str | None = None
    classification: Classification | None = None
    classification_line_vi: str | None = None
    dossier_knockouts_vi: tuple[str, ...] = field(default=(), converter=tuple)
    star_note_vi: str | None = None
    total_points: int = 100
    notes: tuple[str, ...] = field(default=(), converter=tuple)
    sha256: str = ""  # digest of the file it came from, for provenance and pinning
    dossier_knockouts_en: tuple[str, ...] = field(default=(), converter=tuple)
    star_note_en: str | None = None
    classification_line_en: str | None = None

    @cached_property
    def leaves(self) -> tuple[Criterion, ...]:
        """The scored units in printed order."""
        return tuple(n for n in self.nodes() if n.is_leaf)

    @cached_property
    def _by_code(self) -> dict[str, Criterion]:
        return {n.code: n for n in self.nodes()}

    @cached_property
    def leaf_part(self) -> dict[str, str]:
        """Part code of each leaf."""
        return {n.code: p.code for p in self.parts for g in p.groups for n in g.walk() if n.is_leaf}

    @cached_property
    def leaf_group(self) -> dict[str, str]:
        """Criterion-group code of each leaf."""
        return {n.code: g.code for p in self.parts for g in p.groups for n in g.walk() if n.is_leaf}

    def nodes(self) -> Iterator[Criterion]:
        """Yield every group, criterion and sub-criterion in printed order."""
        for part in self.parts:
            for group in part.groups:
                yield from group.walk()

    def criterion(self, code: str) -> Criterion:
        """Return the node with this code.

        Raises:
            ScorecardError: If the sheet has no such criterion.
        """
        try:
            return self._by_code[code]
        except KeyError:
            msg = f"sheet {self.sheet_id} has no criterion {code!r}"
            raise ScorecardError(msg) from None

    def leaf(self, code: str) -> Criterion:
        """Return the scored criterion with this code.

        Raises:
            ScorecardError: If there is no such criterion or it is not scored directly.
        """
        node = self.criterion(code)
        if not node.is_leaf:
            leaves = ", ".join(n.code for n in node.walk() if n.is_leaf)
            msg = f"sheet {self.sheet_id}: criterion {code} is scored through {leaves}"
            raise ScorecardError(msg)
        return node

    def has_leaf(self, code: str) -> bool:
        """Whether ``code`` names a scored criterion of this sheet."""
        node = self._by_code.get(code)
        return node is not None and node.is_leaf

    def star_minimums(self) -> list[tuple[int, str, int]]:
        """Every printed star marker as (star level, criterion code, points required)."""
        out = [(s, leaf.code, pts) for leaf in self.leaves for s, pts in leaf.star_minimums().items()]
        return sorted(out, key=lambda t: t[0])

    def knockout_rules(self) -> list[tuple[Criterion, KnockoutRule]]:
        """Every knock-out rule with the criterion whose note it applies, in printed order."""
        return [(node, rule) for node in self.nodes() for rule in node.knockout_rules]

    def anomalies(self) -> list[tuple[str, Anomaly]]:
        """Every recorded anomaly with the place it belongs to."""
        found: list[tuple[str, Anomaly]] = []
        for part in self.parts:
            if part.anomaly:
                found.append((f"part {part.code}", part.anomaly))
            for group in part.groups:
                for node in group.walk():
                    if node.anomaly:
                        found.append((f"criterion {node.code}", node.anomaly))
                    for option in node.options:
                        if option.anomaly:
                            found.append((f"criterion {node.code} option {option.number}", option.anomaly))
        return found


@frozen
class Band:
    """A star band: a mean from ``min_total`` (inclusive) up to the next band gives ``stars``."""

    stars: int
    min_total: Fraction
    text_vi: str = ""


@frozen
class Level:
    """A rating level (district, province, central) and what it decides."""

    code: str
    name_vi: str
    name_en: str
    certifies_stars: tuple[int, ...] = field(converter=tuple)
    forwards_to: str | None = None
    forwards_from_total: Fraction | None = None
    # A product at or above forwards_from_total whose minimums for the next level's star are not
    # met: "forward" it by score anyway (Decision 26/2026, Điều 7.3 đ-e: "đạt từ 90 trở lên"), or
    # "propose_at_star": keep it here and propose it at the star it reached. The law does not say.
    forward_when_minimums_unmet: str = "forward"


@frozen
class Amendment:
    """A later decision that changes a rule set's levels from a date (1489/2025 for 148/2023)."""

    from_date: str  # ISO date
    decision_vi: str
    note_vi: str
    note_en: str
    levels: tuple[Level, ...] = field(converter=tuple)


@frozen
class RuleSet:
    """A decision's rules: parts, star bands, levels, certificate validity."""

    ruleset_id: str
    decision_vi: str
    title_vi: str
    title_en: str
    source: str
    effective_from: str
    parts: tuple[tuple[str, int], ...] = field(converter=tuple)
    bands: tuple[Band, ...] = field(converter=tuple)
    levels: tuple[Level, ...] = field(converter=tuple)
    amendments: tuple[Amendment, ...] = field(default=(), converter=tuple)
    total_points: int = 100
    recognized_from_stars: int = 3
    minimum_star_levels: tuple[int, ...] = field(default=(3, 4, 5), converter=tuple)
    certificate_months: int | None = None
    rerating_opens_days: int | None = None
    rerating_closes_days: int | None = None
    status_vi: str = ""
    notes: tuple[str, ...] = field(default=(), converter=tuple)
    sha256: str = ""

    def band_for(self, total_sum: int, count: int) -> Band:
        """Return the band of the exact mean ``total_sum / count``.

        >>> from fractions import Fraction as F
        >>> rs = RuleSet("x", "", "", "", "", "", (("A", 100),),
        ...              (Band(1, F(0)), Band(2, F(30)), Band(3, F(50))), ())
        >>> rs.band_for(149, 3).stars, rs.band_for(150, 3).stars
        (2, 3)
        """
        chosen = self.bands[0]
        for band in self.bands:
            if band.min_total * count <= total_sum:
                chosen = band
        return chosen

    def amendment_on(self, on: str | None) -> Amendment | None:
        """The latest amendment in force on the ISO date ``on`` (None: no date, no amendment)."""
        found = None
        for amendment in self.amendments:
            if on and amendment.from_date <= on:
                found = amendment
        return found

    def levels_on(self, on: str | None = None) -> tuple[Level, ...]:
        """The rating levels in force on the ISO date ``on`` (the decision's own without a date)."""
        amendment = self.amendment_on(on)
        return amendment.levels if amendment else self.levels

    def level(self, code: str, on: str | None = None) -> Level:
        """Return the rating level called ``code`` (as in force on ``on``).

        Raises:
            SettingsError: If the rule set has no such level.
        """
        levels = self.levels_on(on)
        for level in levels:
            if level.code == code:
                return level
        known = ", ".join(lv.code for lv in levels)
        msg = f"rule set {self.ruleset_id} has no level {code!r}; expected one of {known}"
        raise SettingsError(msg)

    def first_level_on(self, on: str | None = None) -> Level:
        """The level that rates first on ``on`` (the council the toolkit serves by default)."""
        return self.levels_on(on)[0]

    @property
    def first_level(self) -> Level:
        """The level that rates first (the council the toolkit serves by default)."""
        return self.levels[0]


@frozen
class CouncilRules:
    """The settings a council chooses where the decision leaves room.

    Defaults: minimums checked on the council mean, discussion when the spread
    of member totals is over 10 points.
    """

    minimum_rule: MinimumRule = "mean"
    spread_threshold: int = 10
    spread_strict: bool = True  # True: spread > threshold; False: spread >= threshold
    level: str | None = None  # the council's rating level; None: the rule set's first level
    on: str | None = None  # ISO date the council sits (a rule set's amendments apply from their date)

    def __attrs_post_init__(self) -> None:
        if self.minimum_rule not in MINIMUM_RULES:
            msg = f"minimum_rule: expected one of {', '.join(MINIMUM_RULES)}, got {self.minimum_rule!r}"
            raise SettingsError(msg)
        if (
            isinstance(self.spread_threshold, bool)
            or not isinstance(self.spread_threshold, int)
            or (self.spread_threshold < 0)
        ):
            msg = f"spread_threshold: expected a whole number >= 0, got {self.spread_threshold!r}"
            raise SettingsError(msg)

    def spread_flags(self, spread: int) -> bool:
        """Whether a spread of member totals needs discussion under these rules."""
        if self.spread_strict:
            return spread > self.spread_threshold
        return spread >= self.spread_threshold


@frozen
class Scorecard:
    """One member's ticks for one product: criterion code -> option number."""

    product_id: str
    member_id: str
    sheet_id: str
    choices: tuple[tuple[str, int], ...] = field(converter=tuple)

    def as_dict(self) -> dict[str, int]:
        """The choices as a mapping."""
        return dict(self.choices)


@frozen
class Rejection:
    """A knock-out: the product is rejected and gets no star."""

    product_id: str
    reason: str


ROLES = ("chair", "member", "secretary")
SCORING_ROLES = ("chair", "member")


@frozen
class MemberSpec:
    """A council member as imported or typed in, before the store gives a token."""

    member_id: str
    name: str
    role: str = "member"  # chair / member / secretary
    organisation: str = ""


@frozen
class ProductSpec:
    """A product as imported or typed in."""

    product_id: str
    name: str
    sheet_id: str
    product_code: str = ""  # official (T)-(X)-(STT)-year when known
    producer: str = ""
    commune: str = ""
    province: str = ""
    dossier_notes: str = ""
    case: str = ""  # a choose-one-case sheet's case (sheet 26: "a" or "b"); "" = set by the first case-bound tick


CARD_STATUSES = ("draft", "submitted")
SESSION_STATUSES = ("open", "finalised")


@frozen
class Session:
    """A council session: who rates what under which rules (one round of a provincial council)."""

    session_id: str
    name: str
    level: str
    ruleset_id: str
    rules: CouncilRules
    quorum: Fraction
    status: str = "open"
    round_label: str = ""
    held_on: str = ""
    created_at: str = ""
    finalised_at: str | None = None
    head_seq: int = 0
    head_hash: str = ""
    ruleset_sha256: str = ""
    imported_at: str | None = None

    @property
    def is_open(self) -> bool:
        """Whether the session still accepts changes."""
        return self.status == "open"


@frozen
class Member:
    """A council member of a session."""

    member_id: str
    name: str
    role: str
    organisation: str = ""
    token: str = field(default="", repr=False)  # personal access token (a secret)

    @property
    def scores(self) -> bool:
        """Whether this member fills scorecards (the chair and members do; the secretary does not)."""
        return self.role in SCORING_ROLES


@frozen
class Product:
    """A product submitted to a session."""

    product_id: str
    name: str
    sheet_id: str
    product_code: str = ""
    producer: str = ""
    commune: str = ""
    province: str = ""
    dossier_notes: str = ""
    knockout: str | None = None  # the reason when knocked out
    round: int = 1  # the current scoring round (a new round after a discussion)
    case: str | None = None  # sheet 26: the case the product is scored in ("a" / "b"); None: not yet known
    knockout_kept: str | None = None  # why the council kept a product whose tick-decided knock-out was triggered


@frozen
class Card:
    """One member's scorecard for one product in one round."""

    product_id: str
    member_id: str
    round: int
    status: str
    choices: tuple[tuple[str, int], ...] = field(converter=tuple)
    comment: str = ""
    updated_at: str = ""
    submitted_at: str | None = None

    @property
    def is_submitted(self) -> bool:
        """Whether the member has submitted (locked) the card."""
        return self.status == "submitted"

    def as_scorecard(self, sheet_id: str) -> Scorecard:
        """The card as the scoring engine takes it."""
        return Scorecard(self.product_id, self.member_id, sheet_id, self.choices)


@frozen
class Recusal:
    """A member who does not score a product, and why."""

    product_id: str
    member_id: str
    reason: str


@frozen
class AuditEntry:
    """One append-only, hash-chained record of a change."""

    seq: int
    at: str
    actor: str
    action: str
    target: tuple[tuple[str, Any], ...] = field(converter=tuple)
    before: Any = None
    after: Any = None
    reason: str = ""
    prev_hash: str = ""
    hash: str = ""


DECISION_KINDS = ("recognition", "central_result")


@frozen
class CentralResult:
    """One product's result from the Ministry's central council (Decision 26/2026, Điều 7.4)."""

    product_id: str
    mean_total: str  # the central council's mean, as printed (e.g. "88.50")
    stars: int  # the star it reached there (5: recognised 5★ by the Ministry)


@frozen
class Decision:
    """A decision recorded against a session's results.

    ``recognition``: the Chủ tịch UBND tỉnh's decision recognising the products
    the council proposed (Điều 7.3 e), or a product of 90+ that the central
    council rated below 90 (Điều 7.4, last paragraph). ``central_result``: the
    central council's results for the products the province forwarded.
    """

    seq: int
    kind: str  # one of DECISION_KINDS
    number: str  # e.g. "123/QĐ-UBND"
    signed_on: str  # ISO date
    products: tuple[str, ...] = field(converter=tuple)
    results: tuple[CentralResult, ...] = field(default=(), converter=tuple)
    recorded_at: str = ""


@frozen
class SessionState:
    """Everything of a session at one moment: what the dashboard and the forms show."""

    session: Session
    members: tuple[Member, ...] = field(converter=tuple)
    products: tuple[Product, ...] = field(converter=tuple)
    cards: tuple[Card, ...] = field(converter=tuple)
    recusals: tuple[Recusal, ...] = field(converter=tuple)
    sheet_hashes: tuple[tuple[str, str], ...] = field(default=(), converter=tuple)
    decisions: tuple[Decision, ...] = field(default=(), converter=tuple)

    def recognition(self, product_id: str) -> Decision | None:
        """The recognition decision recorded for a product, if any (the latest)."""
        found = [d for d in self.decisions if d.kind == "recognition" and product_id in d.products]
        return found[-1] if found else None

    def central_result(self, product_id: str) -> tuple[CentralResult, Decision] | None:
        """The central council's result for a forwarded product, if it has come back (the latest)."""
        for d in reversed(self.decisions):
            if d.kind == "central_result":
                for r in d.results:
                    if r.product_id == product_id:
                        return r, d
        return None

    @cached_property
    def _cards(self) -> dict[tuple[str, str, int], Card]:
        return {(c.product_id, c.member_id, c.round): c for c in self.cards}

    @cached_property
    def _recused(self) -> dict[tuple[str, str], str]:
        return {(r.product_id, r.member_id): r.reason for r in self.recusals}

    @cached_property
    def _products(self) -> dict[str, Product]:
        return {p.product_id: p for p in self.products}

    @cached_property
    def _members(self) -> dict[str, Member]:
        return {m.member_id: m for m in self.members}

    def product(self, product_id: str) -> Product:
        """A product by id (KeyError if absent)."""
        return self._products[product_id]

    def member(self, member_id: str) -> Member:
        """A member by id (KeyError if absent)."""
        return self._members[member_id]

    def has_product(self, product_id: str) -> bool:
        """Whether the session has this product."""
        return product_id in self._products

    def has_member(self, member_id: str) -> bool:
        """Whether the session has this member."""
        return member_id in self._members

    @property
    def scoring_members(self) -> tuple[Member, ...]:
        """The chair and members (who fill scorecards), in council order."""
        return tuple(m for m in self.members if m.scores)

    def card(self, product_id: str, member_id: str, round_: int | None = None) -> Card | None:
        """A member's card for a product in a round (default: the product's current round)."""
        if round_ is None:
            product = self._products.get(product_id)
            if product is None:
                return None
            round_ = product.round
        return self._cards.get((product_id, member_id, round_))

    def recusal(self, product_id: str, member_id: str) -> str | None:
        """The reason a member does not score a product, if recused."""
        return self._recused.get((product_id, member_id))

    def progress(self, product_id: str, member_id: str) -> str:
        """ "recused", "submitted", "draft" or "not_started" for the product's current round."""
        if (product_id, member_id) in self._recused:
            return "recused"
        card = self.card(product_id, member_id)
        if card is None:
            return "not_started"
        return card.status

    @cached_property
    def _submitted(self) -> dict[str, list[Card]]:
        out: dict[str, list[Card]] = {p.product_id: [] for p in self.products}
        for c in self.cards:
            product = self._products.get(c.product_id)
            if (
                product is not None
                and c.round == product.round
                and c.is_submitted
                and (c.product_id, c.member_id) not in self._recused
            ):
                out[c.product_id].append(c)
        return out

    def submitted_cards(self, product_id: str) -> list[Card]:
        """The submitted cards of the product's current round, from members not recused."""
        return list(self._submitted[product_id])

    def quorum_needed(self) -> int:
        """Submitted cards a product needs: the quorum fraction of the scoring members, rounded up."""
        total = len(self.scoring_members)
        q = self.session.quorum * total
        return -(-q.numerator // q.denominator)

    def products_for(self, member_id: str) -> list[Product]:
        """The products a member is assigned: every product of the session, in council order."""
        _ = member_id
        return list(self.products)
