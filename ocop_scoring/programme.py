"""The OCOP programme view: recognised products by star, sheet, group, commune, province and year,
against a province's own targets.

Layer: analysis (above the store, below the views). Imports: yamlio, criteria_io (its checker),
scoring, model, texts; the store only through the object passed in. No widgets.

What is counted (the decisions, in one place):

- A product's star is the official result, recomputed by the engine from the submitted cards of its
  current round (``score_session``), exactly as the dashboard and ``ocop score`` show it.
- A product is *recognised* when the engine says so: not rejected and at least the rule set's
  ``recognized_from_stars`` (3★ under 26/2026) and proposed for recognition at its council's level.
  A product forwarded to a higher council (90 points or more at a provincial council: a 5★
  candidate) is not recognised by the province (Decision 26/2026, Điều 7.3 đ–e) and is not counted
  until the central council's result returns; ``forwarded_to`` says it awaits that council.
- A finalised session's products are *certified*; an open session's products are *provisional*
  (shown apart, never added to what a province has achieved).
- Provinces are counted by name without "Tỉnh"/"Thành phố" in front ("Tỉnh Điện Biên" is Điện Biên);
  communes within their province.
- The year is the session's ``held_on`` year, else the last 4-digit group of the product code
  ((T)-(X)-(STT)-year), else unknown.
- A product code found in several sessions is one product: the certified rating wins over a
  provisional one, then the latest (year, meeting date, session id). Products without a code are
  never merged.
- Only products rated in the store (or the session file) are counted: products recognised before
  the toolkit was used, or elsewhere, are not there.

Targets are data files ``ocop_scoring/data/targets/<slug>.yaml`` (``format: ocop-targets/1``),
checked with file and line like every other data file.
"""

from __future__ import annotations

import html
import re
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from fractions import Fraction
from pathlib import Path
from typing import Any

from ocop_scoring.errors import Problem, TargetsError
from ocop_scoring.explain import format_points
from ocop_scoring.texts import load_texts

TARGETS_FORMAT = "ocop-targets/1"
RECOGNISED_STARS = (3, 4, 5)
DIMENSIONS = ("stars", "sheet", "group", "sector", "commune", "province", "year")
_YEAR_IN_CODE = re.compile(r"(?<!\d)(\d{4})(?!\d)")
UNKNOWN = "—"


# --- the products -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ProgrammeProduct:
    """One rated product as the programme counts it."""

    session_id: str
    product_id: str
    name: str
    product_code: str
    sheet_id: str
    sheet_number: int | None
    sheet_title: str  # the sheet's Vietnamese title
    sector: str  # "I. Sản phẩm thực phẩm"
    group: str  # "I.3 Thực phẩm chế biến"
    commune: str
    province: str
    year: int | None
    year_from: str  # "held_on", "product_code" or ""
    stars: int | None  # None: no submitted card yet
    rejected: bool
    recognised: bool
    certified: bool  # the session is finalised (else provisional)
    forwarded_to: str | None = None
    held_on: str = ""

    @property
    def scored(self) -> bool:
        """Whether the product has a result (at least one submitted card)."""
        return self.stars is not None or self.rejected

    @property
    def place(self) -> str:
        """The commune with its province (communes of the same name differ by province)."""
        if self.commune and self.province:
            return f"{self.commune}, {self.province}"
        return self.commune or self.province or UNKNOWN

    def key(self, dimension: str) -> str:
        """The product's value along one counting dimension (``DIMENSIONS``)."""
        if dimension == "stars":
            if self.rejected:
                return "✗"
            return f"{self.stars}★" if self.stars is not None else UNKNOWN
        if dimension == "sheet":
            if self.sheet_number is None:
                return self.sheet_id
            return f"{self.sheet_number}. {self.sheet_title}" if self.sheet_title else str(self.sheet_number)
        if dimension == "group":
            return self.group or UNKNOWN
        if dimension == "sector":
            return self.sector or UNKNOWN
        if dimension == "commune":
            return self.place
        if dimension == "province":
            return self.province or UNKNOWN
        if dimension == "year":
            return str(self.year) if self.year is not None else UNKNOWN
        msg = f"unknown dimension {dimension!r}; expected one of {', '.join(DIMENSIONS)}"
        raise ValueError(msg)


def year_of(held_on: str, product_code: str) -> tuple[int | None, str]:
    """The year a product counts in, and where it came from.

    >>> year_of("2026-06-20", "83-29215-01-2025"), year_of("", "83-29215-01-2025"), year_of("", "P1")
    ((2026, 'held_on'), (2025, 'product_code'), (None, ''))
    """
    match = re.match(r"\s*(\d{4})", held_on or "")
    if match:
        return int(match.group(1)), "held_on"
    groups = _YEAR_IN_CODE.findall(product_code or "")
    if groups:
        return int(groups[-1]), "product_code"
    return None, ""


def _labels(sheet: Any) -> tuple[str, str, int | None, str]:
    number = getattr(sheet, "number", None)
    title = getattr(sheet, "title_vi", "") or ""
    c = getattr(sheet, "classification", None)
    if c is None:
        return "", "", number, title
    sector = f"{c.sector_code}. {c.sector_vi[:1]}{c.sector_vi[1:].lower()}"
    group = f"{c.sector_code}.{c.group_code} {c.group_vi}"
    return sector, group, number, title


def products_of(state: Any, result: Any, sheets: Mapping[str, Any]) -> list[ProgrammeProduct]:
    """The products of one session (a ``SessionState`` and its ``CouncilResult``)."""
    session = state.session
    certified = not session.is_open
    out = []
    for p in state.products:
        sector, group, number, title = _labels(sheets.get(p.sheet_id))
        year, source = year_of(session.held_on, p.product_code)
        r = result.product(p.product_id) if p.product_id in result else None
        rejected = p.knockout is not None or bool(r is not None and r.rejected)
        out.append(
            ProgrammeProduct(
                session_id=session.session_id,
                product_id=p.product_id,
                name=p.name,
                product_code=p.product_code,
                sheet_id=p.sheet_id,
                sheet_number=number,
                sheet_title=title,
                sector=sector,
                group=group,
                commune=" ".join(p.commune.split()),
                province=clean_province(p.province),
                year=year,
                year_from=source,
                stars=None if r is None else (0 if r.rejected else int(r.stars)),
                rejected=rejected,
                recognised=bool(r is not None and r.recognized),
                certified=certified,
                forwarded_to=r.forwarded_to if r is not None else None,
                held_on=session.held_on,
            )
        )
    return out


def products_of_result(result: Any, sheets: Mapping[str, Any], *, session_id: str = "") -> list[ProgrammeProduct]:
    """The products of a calculation without a session (a scores CSV): no names, places or years."""
    out = []
    for r in result:
        sector, group, number, title = _labels(sheets.get(r.sheet_id))
        out.append(
            ProgrammeProduct(
                session_id=session_id,
                product_id=r.product_id,
                name="",
                product_code="",
                sheet_id=r.sheet_id,
                sheet_number=number,
                sheet_title=title,
                sector=sector,
                group=group,
                commune="",
                province="",
                year=None,
                year_from="",
                stars=0 if r.rejected else int(r.stars),
                rejected=bool(r.rejected),
                recognised=bool(r.recognized),
                certified=True,
                forwarded_to=r.forwarded_to,
            )
        )
    return out


# --- counting -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Tally:
    """Counts for one value of a dimension (one province, one year, …)."""

    key: str
    certified: Mapping[int, int]  # star -> recognised products of finalised sessions
    provisional: Mapping[int, int]  # star -> recognised products of open sessions
    not_recognised: int  # scored below the recognised star (not rejected)
    rejected: int
    unscored: int  # no submitted card yet

    @property
    def recognised(self) -> int:
        """Recognised products of finalised sessions."""
        return sum(self.certified.values())

    @property
    def provisional_total(self) -> int:
        """Recognised products of open sessions (provisional)."""
        return sum(self.provisional.values())

    @property
    def total(self) -> int:
        """Every product counted under this key."""
        return self.recognised + self.provisional_total + self.not_recognised + self.rejected + self.unscored


@dataclass(frozen=True)
class SessionSummary:
    """One session of the programme."""

    session_id: str
    name: str
    held_on: str
    certified: bool
    products: int


@dataclass(frozen=True)
class Programme:
    """Every rated product of a store (or of one session), ready to count."""

    products: tuple[ProgrammeProduct, ...]
    sessions: tuple[SessionSummary, ...] = ()
    dropped: tuple[ProgrammeProduct, ...] = ()  # ratings left out: their product code was rated again
    province: str | None = None  # set by ``select``

    @property
    def merged(self) -> int:
        """How many ratings were left out because their product code was rated again."""
        return len(self.dropped)

    def select(self, province: str | None) -> Programme:
        """Only one province's products and the sessions that rated them (``None``: all)."""
        if not province:
            return replace(self, province=None)
        wanted = province_key(province)
        products = tuple(p for p in self.products if province_key(p.province) == wanted)
        counts = Counter(p.session_id for p in products)
        return replace(
            self,
            products=products,
            sessions=tuple(replace(s, products=counts[s.session_id]) for s in self.sessions if counts[s.session_id]),
            dropped=tuple(p for p in self.dropped if province_key(p.province) == wanted),
            province=province,
        )

    def provinces(self) -> list[str]:
        """The provinces named by the products, most products first."""
        counts = Counter(p.province for p in self.products if p.province)
        return [name for name, _ in sorted(counts.items(), key=lambda kv: (-kv[1], sort_key(kv[0])))]

    def years(self) -> list[int]:
        """The years with products, ascending."""
        return sorted({p.year for p in self.products if p.year is not None})

    def stars(self) -> list[Tally]:
        """Recognised products by star (3★, 4★, 5★), certified and provisional."""
        return [_tally(f"{s}★", [p for p in self.products if p.recognised and p.stars == s]) for s in RECOGNISED_STARS]

    def by(self, dimension: str) -> list[Tally]:
        """Counts per value of ``dimension`` (sheet, group, sector, commune, province, year, stars)."""
        if dimension not in DIMENSIONS:
            msg = f"unknown dimension {dimension!r}; expected one of {', '.join(DIMENSIONS)}"
            raise ValueError(msg)
        groups: dict[str, list[ProgrammeProduct]] = {}
        for p in self.products:
            groups.setdefault(p.key(dimension), []).append(p)
        keys = sorted(groups, key=_key_order(dimension))
        return [_tally(k, groups[k]) for k in keys]

    def totals(self) -> Tally:
        """Counts over every product."""
        return _tally("", list(self.products))

    def cumulative(self, start: int | None = None, end: int | None = None) -> list[tuple[int, int, int]]:
        """(year, recognised certified up to that year, the same with provisional) for every year from
        ``start`` (or the first product's year, when earlier) to ``end`` (or the last product's year,
        when later); products of unknown year are left out."""
        span = [*self.years(), *(y for y in (start, end) if y is not None)]
        if not span:
            return []
        certified = provisional = 0
        per_year = Counter(p.year for p in self.products if p.recognised and p.certified and p.year is not None)
        per_year_prov = Counter(
            p.year for p in self.products if p.recognised and not p.certified and p.year is not None
        )
        out = []
        for year in range(min(span), max(span) + 1):
            certified += per_year.get(year, 0)
            provisional += per_year_prov.get(year, 0)
            out.append((year, certified, certified + provisional))
        return out

    def achieved(self, up_to: int | None = None) -> tuple[int, int]:
        """Recognised products (certified, provisional) with a year up to ``up_to`` (None: all, the
        products of unknown year included)."""
        chosen = [
            p for p in self.products if p.recognised and (up_to is None or (p.year is not None and p.year <= up_to))
        ]
        certified = sum(1 for p in chosen if p.certified)
        return certified, len(chosen) - certified

    def progress(self, targets: Targets, as_of: int) -> list[TargetProgress]:
        """How far the products go towards each target of ``targets``, seen in the year ``as_of``."""
        out = []
        previous: Target | None = None
        for target in targets.targets:
            past = target.year < as_of
            achieved, provisional = self.achieved(target.year if past else None)
            gap = max(0, target.cumulative - achieved)
            years_left = max(0, target.year - as_of)
            expected: Fraction | None = None
            if previous is not None and not past:
                span = target.year - previous.year
                expected = previous.cumulative + Fraction(
                    (target.cumulative - previous.cumulative) * (as_of - previous.year), span
                )
                expected = max(Fraction(previous.cumulative), min(expected, Fraction(target.cumulative)))
            if achieved >= target.cumulative:
                status = "met"
            elif past:
                status = "missed"
            elif expected is None:
                status = "open"
            else:
                status = "on_track" if achieved >= expected else "behind"
            per_year = Fraction(gap, years_left) if gap and years_left else None
            out.append(
                TargetProgress(
                    target, as_of, achieved, provisional, gap, years_left, status, expected, per_year, targets.province
                )
            )
            previous = target
        return out


def _tally(key: str, products: Sequence[ProgrammeProduct]) -> Tally:
    certified: Counter[int] = Counter()
    provisional: Counter[int] = Counter()
    not_recognised = rejected = unscored = 0
    for p in products:
        if not p.scored:
            unscored += 1
        elif p.rejected:
            rejected += 1
        elif p.recognised:
            (certified if p.certified else provisional)[int(p.stars or 0)] += 1
        else:
            not_recognised += 1
    return Tally(
        key,
        {s: certified.get(s, 0) for s in RECOGNISED_STARS},
        {s: provisional.get(s, 0) for s in RECOGNISED_STARS},
        not_recognised,
        rejected,
        unscored,
    )


def sort_key(text: str) -> tuple[int, str]:
    """Vietnamese-friendly order: letters without their marks first, the unknown value last."""
    if text == UNKNOWN:
        return (1, "")
    return (0, strip_marks(text).casefold() + "\x00" + text)


def _key_order(dimension: str) -> Callable[[str], Any]:
    if dimension == "year":
        return lambda k: (k == UNKNOWN, int(k) if k != UNKNOWN else 0)
    if dimension in ("stars", "sheet"):
        return lambda k: (k == UNKNOWN, int(m.group(0)) if (m := re.match(r"\d+", k)) else 99, k)
    if dimension in ("group", "sector"):
        return lambda k: (k == UNKNOWN, _roman_path(k), k)
    return sort_key


_ROMAN = {"I": 1, "II": 2, "III": 3, "IV": 4, "V": 5, "VI": 6, "VII": 7, "VIII": 8, "IX": 9, "X": 10}


def _roman_path(label: str) -> tuple[int, ...]:
    head = label.split(" ", 1)[0].rstrip(".")
    parts = head.split(".")
    out = [_ROMAN.get(parts[0], 99)]
    out.extend(int(x) if x.isdigit() else 99 for x in parts[1:])
    return tuple(out)


def merge_codes(products: Iterable[ProgrammeProduct]) -> tuple[list[ProgrammeProduct], list[ProgrammeProduct]]:
    """One entry per product code (the certified, then the latest rating wins); products without a
    code are kept as they are. Returns the products kept and the ratings left out."""
    keep: dict[str, ProgrammeProduct] = {}
    out: list[ProgrammeProduct] = []
    dropped: list[ProgrammeProduct] = []
    for p in products:
        code = p.product_code.strip()
        if not code:
            out.append(p)
            continue
        other = keep.get(code)
        if other is None:
            keep[code] = p
            continue
        if _rank(p) > _rank(other):
            keep[code], p = p, other
        dropped.append(p)
    out.extend(keep.values())
    out.sort(key=lambda p: (p.session_id, p.product_id))
    dropped.sort(key=lambda p: (p.session_id, p.product_id))
    return out, dropped


def _rank(p: ProgrammeProduct) -> tuple[Any, ...]:
    return (p.certified, p.scored, p.year or 0, p.held_on, p.session_id)


# --- where the products come from ------------------------------------------------------------------------


def from_store(store: Any) -> Programme:
    """Every session of a store: finalised sessions certified, open ones provisional."""
    from ocop_scoring.scoring import score_session

    products: list[ProgrammeProduct] = []
    sessions = []
    for s in store.sessions():
        state = store.state(s.session_id)
        sheets = store.sheets(s.session_id)
        result = score_session(state, sheets, store.ruleset(s.session_id))
        rows = products_of(state, result, sheets)
        products.extend(rows)
        sessions.append(SessionSummary(s.session_id, s.name, s.held_on, not s.is_open, len(rows)))
    kept, dropped = merge_codes(products)
    counts = Counter(p.session_id for p in kept)
    sessions = [replace(s, products=counts[s.session_id]) for s in sessions]
    return Programme(tuple(kept), tuple(sessions), tuple(dropped))


def from_session(state: Any, result: Any, sheets: Mapping[str, Any]) -> Programme:
    """One session (a state and its results)."""
    rows = products_of(state, result, sheets)
    s = state.session
    return Programme(tuple(rows), (SessionSummary(s.session_id, s.name, s.held_on, not s.is_open, len(rows)),))


def from_session_file(path: str | Path) -> Programme:
    """One session file (``ocop session export``), recomputed with its pinned sheets.

    Raises:
        ScoresInputError: For a file that is not a session file.
    """
    from ocop_scoring.scoring import score_session
    from ocop_scoring.store.session_file import pinned_from_document, read_session_file, state_from_document

    doc = read_session_file(path)
    state = state_from_document(doc)
    ruleset, sheets = pinned_from_document(doc)
    return from_session(state, score_session(state, sheets, ruleset), sheets)


# --- targets ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    """A province's planned number of OCOP products, cumulative, by a year."""

    year: int
    cumulative: int
    note_vi: str = ""
    note_en: str = ""

    def note(self, lang: str) -> str:
        """The note in ``lang`` (Vietnamese when there is no English)."""
        return (self.note_en if lang == "en" else "") or self.note_vi


@dataclass(frozen=True)
class Targets:
    """A province's targets file."""

    province: str
    source: str
    targets: tuple[Target, ...]
    path: str = ""


@dataclass(frozen=True)
class TargetProgress:
    """How far the counted products go towards one target."""

    target: Target
    as_of: int
    achieved: int  # certified recognised products (up to the target's year when it is past)
    provisional: int  # recognised products of open sessions, not in ``achieved``
    gap: int
    years_left: int
    status: str  # met / missed / on_track / behind / open
    expected: Fraction | None  # the plan's straight line from the previous target, in ``as_of``
    per_year: Fraction | None  # products needed per remaining year
    province: str = ""

    def sentence(self, lang: str = "vi") -> str:
        """Plain words: the target, what is achieved, the gap, the years left and whether on track."""
        t = load_texts()
        note = self.target.note(lang)
        parts = [
            t.t("prog_target", lang).format(
                year=self.target.year,
                target=self.target.cumulative,
                note=f" ({note})" if note else "",
            ),
            t.t("prog_achieved", lang).format(achieved=self.achieved),
        ]
        if self.provisional:
            parts.append(t.t("prog_with_provisional", lang).format(count=self.provisional))
        if self.gap:
            parts.append(t.t("prog_gap", lang).format(gap=self.gap))
        if self.years_left:
            parts.append(t.t("prog_years_left", lang).format(years=self.years_left))
        if self.per_year is not None:
            parts.append(t.t("prog_per_year", lang).format(count=format_points(self.per_year, lang, 1)))
        status = t.t(f"prog_status_{self.status}", lang)
        if self.expected is not None and self.status in ("on_track", "behind"):
            status += " " + t.t("prog_expected", lang).format(expected=format_points(self.expected, lang, 1))
        return "; ".join(parts) + ". " + status


def clean_province(name: str) -> str:
    """A province's name as counted: NFC, single spaces, without "Tỉnh"/"Thành phố" in front.

    >>> clean_province(" Tỉnh  Điện Biên"), clean_province("Thành phố Huế")
    ('Điện Biên', 'Huế')
    """
    text = " ".join(unicodedata.normalize("NFC", name or "").split())
    low = text.casefold()
    for prefix in ("tỉnh ", "thành phố ", "tp. ", "tp "):
        if low.startswith(prefix):
            return text[len(prefix) :].strip()
    return text


def province_key(name: str) -> str:
    """A province's name for comparing: without "tỉnh"/"thành phố", case and spacing.

    >>> province_key("Tỉnh  Điện Biên") == province_key("điện biên")
    True
    """
    text = unicodedata.normalize("NFC", name or "").strip().casefold()
    for prefix in ("tỉnh ", "thành phố ", "tp. ", "tp "):
        if text.startswith(prefix):
            text = text[len(prefix) :]
    return " ".join(text.split())


def strip_marks(text: str) -> str:
    """Vietnamese text without its marks (đ as d).

    >>> strip_marks("Điện Biên")
    'Dien Bien'
    """
    decomposed = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def province_slug(name: str) -> str:
    """The file name of a province's targets.

    >>> province_slug("Tỉnh Điện Biên"), province_slug("Bà Rịa - Vũng Tàu")
    ('dien-bien', 'ba-ria-vung-tau')
    """
    return re.sub(r"[^a-z0-9]+", "-", strip_marks(province_key(name)).lower()).strip("-")


def targets_dir() -> Path:
    """The packaged targets folder."""
    return Path(__file__).resolve().parent / "data" / "targets"


def targets_for(province: str, directory: str | Path | None = None) -> Targets | None:
    """A province's targets, or None when there is no file for it.

    Raises:
        TargetsError: If the province's file has problems.
    """
    if not province:
        return None
    path = Path(directory or targets_dir()) / f"{province_slug(province)}.yaml"
    if not path.is_file():
        return None
    return load_targets(path)


def all_targets(directory: str | Path | None = None) -> dict[str, Targets]:
    """Every targets file of a folder, by province key."""
    base = Path(directory or targets_dir())
    out = {}
    for path in sorted(base.glob("*.yaml")):
        targets = load_targets(path)
        out[province_key(targets.province)] = targets
    return out


def load_targets(path: str | Path) -> Targets:
    """Load and check one targets file.

    Raises:
        TargetsError: Listing every problem, each with the file and line.
    """
    from ocop_scoring.criteria_io import _Checker, _describe
    from ocop_scoring.yamlio import LineDict, read_yaml

    path = Path(path)
    data, problems = read_yaml(path)
    check = _Checker(str(path))
    check.problems.extend(problems)
    if data is None:
        raise TargetsError(str(path), check.problems)
    top = check.mapping(data, 1, "(file)")
    if top is None:
        raise TargetsError(str(path), check.problems)
    if top.get("format") != TARGETS_FORMAT:
        check.add(top, "format", repr(TARGETS_FORMAT), _describe(top.get("format")), "format")
        raise TargetsError(str(path), check.problems)
    check.known_keys(top, ["format", "province", "source", "targets", "notes"], "")
    province = check.text(top, "province", "") or ""
    source = check.text(top, "source", "") or ""
    items = top.get("targets")
    targets: list[Target] = []
    if not isinstance(items, list) or not items:
        check.add(top, "targets", "a list of {year, cumulative} entries", _describe(items), "targets")
    else:
        for index, item in enumerate(items, 1):
            key = f"targets[{index}]"
            if not isinstance(item, LineDict):
                check.add(top.line_of("targets"), key, "a mapping with year and cumulative", _describe(item))
                continue
            check.known_keys(item, ["year", "cumulative", "note_vi", "note_en"], key)
            year = check.whole(item, "year", key, minimum=1990)
            if year is not None and year > 2100:
                check.add(item, f"{key}.year", "a year from 1990 to 2100", year, "year")
                year = None
            cumulative = check.whole(item, "cumulative", key, minimum=0)
            note_vi = check.text(item, "note_vi", key, required=False) or ""
            note_en = check.text(item, "note_en", key, required=False) or ""
            if year is None or cumulative is None:
                continue
            if targets and year <= targets[-1].year:
                check.add(item, f"{key}.year", f"a year after {targets[-1].year} (targets in year order)", year, "year")
            elif targets and cumulative < targets[-1].cumulative:
                check.add(
                    item,
                    f"{key}.cumulative",
                    f"at least {targets[-1].cumulative}, the {targets[-1].year} target (a cumulative count)",
                    cumulative,
                    "cumulative",
                )
            else:
                targets.append(Target(year, cumulative, note_vi, note_en))
    if check.problems:
        raise TargetsError(str(path), check.problems)
    return Targets(province, source, tuple(targets), str(path))


def check_targets_dir(directory: str | Path | None = None) -> list[Problem]:
    """Every problem of every targets file of a folder (also: a file named for another province)."""
    base = Path(directory or targets_dir())
    problems: list[Problem] = []
    for path in sorted(base.glob("*.yaml")):
        try:
            targets = load_targets(path)
        except TargetsError as exc:
            problems.extend(exc.problems)
            continue
        if province_slug(targets.province) != path.stem:
            problems.append(
                Problem(
                    str(path), None, "province", f"a province whose file name is {path.stem}.yaml", targets.province
                )
            )
    return problems


# --- HTML (the page and the report lay out the same tables) -----------------------------------------------


def _count(certified: int, provisional: int) -> str:
    extra = f' <span class="ocop-prov-count">+{provisional}</span>' if provisional else ""
    return f"{certified}{extra}"


def tally_table_html(
    tallies: Sequence[Tally], head: str, lang: str = "vi", *, dimension: str = "", footer: bool = True
) -> str:
    """A table of counts: one row per value, recognised products by star (certified, ``+n``
    provisional), then below 3★, rejected and not scored where any, the total, and a totals row."""
    t = load_texts()
    esc = html.escape
    rows = list(tallies)
    show = {
        "not_recognised": any(x.not_recognised for x in rows),
        "rejected": any(x.rejected for x in rows),
        "unscored": any(x.unscored for x in rows),
    }
    cols = [f"{s}★" for s in RECOGNISED_STARS] + [t.t("prog_col_recognised", lang)]
    cols += [t.t(f"prog_col_{k}", lang) for k, on in show.items() if on]
    cols.append(t.t("prog_col_total", lang))
    out = [
        f'<table class="ocop-prog-table" data-dimension="{esc(dimension)}"><thead><tr><th>{esc(head)}</th>',
        *(f'<th class="ocop-num">{esc(c)}</th>' for c in cols),
        "</tr></thead><tbody>",
    ]

    def cells(x: Tally) -> list[str]:
        values = [_count(x.certified[s], x.provisional[s]) for s in RECOGNISED_STARS]
        values.append(f"<b>{_count(x.recognised, x.provisional_total)}</b>")
        values += [str(getattr(x, k)) for k, on in show.items() if on]
        values.append(str(x.total))
        return [f'<td class="ocop-num">{v}</td>' for v in values]

    for x in rows:
        out.append(
            f'<tr data-key="{esc(x.key)}" data-recognised="{x.recognised}" data-provisional="{x.provisional_total}" '
            f'data-total="{x.total}">'
            f"<th>{esc(x.key)}</th>{''.join(cells(x))}</tr>"
        )
    total = Tally(
        t.t("prog_col_total", lang),
        {s: sum(x.certified[s] for x in rows) for s in RECOGNISED_STARS},
        {s: sum(x.provisional[s] for x in rows) for s in RECOGNISED_STARS},
        sum(x.not_recognised for x in rows),
        sum(x.rejected for x in rows),
        sum(x.unscored for x in rows),
    )
    if not footer:
        out.append("</tbody></table>")
        return "".join(out)
    out.append(
        f'</tbody><tfoot><tr data-key="" data-recognised="{total.recognised}" '
        f'data-provisional="{total.provisional_total}" data-total="{total.total}"><th>{esc(total.key)}</th>'
        f"{''.join(cells(total))}</tr></tfoot></table>"
    )
    return "".join(out)


def cumulative_table_html(rows: Sequence[tuple[int, int, int]], targets: Targets | None, lang: str = "vi") -> str:
    """Recognised products by year, cumulative (certified, and with provisional), with the targets."""
    t = load_texts()
    by_year = {x.year: x.cumulative for x in targets.targets} if targets else {}
    years = sorted({y for y, _, _ in rows} | set(by_year))
    values = {y: (c, w) for y, c, w in rows}
    heads = [t.t("prog_col_year", lang), t.t("prog_col_cumulative", lang), t.t("prog_col_with_provisional", lang)]
    if targets:
        heads.append(t.t("prog_col_target", lang))
    out = ['<table class="ocop-prog-table ocop-prog-years"><thead><tr>']
    out.extend(f"<th>{html.escape(h)}</th>" for h in heads)
    out.append("</tr></thead><tbody>")
    for y in years:
        c, w = values.get(y, ("", ""))
        target = by_year.get(y, "")
        out.append(
            f'<tr data-year="{y}" data-cumulative="{c}" data-with-provisional="{w}" data-target="{target}">'
            f'<th>{y}</th><td class="ocop-num">{c}</td><td class="ocop-num">{w}</td>'
            + (f'<td class="ocop-num ocop-prog-target">{target}</td>' if targets else "")
            + "</tr>"
        )
    out.append("</tbody></table>")
    return "".join(out)


def progress_html(progress: Sequence[TargetProgress], targets: Targets, lang: str = "vi") -> str:
    """The progress sentences against a province's targets, and where the targets come from."""
    t = load_texts()
    esc = html.escape
    items = "".join(
        f'<li class="ocop-prog-status-{p.status}" data-year="{p.target.year}" data-target="{p.target.cumulative}" '
        f'data-achieved="{p.achieved}" data-provisional="{p.provisional}" data-gap="{p.gap}" '
        f'data-years-left="{p.years_left}" data-status="{p.status}">{esc(p.sentence(lang))}</li>'
        for p in progress
    )
    as_of = esc(t.t("prog_as_of", lang).format(year=progress[0].as_of)) if progress else ""
    return (
        f'<div class="ocop-prog-targets" data-province="{esc(targets.province)}">'
        f"<ul>{items}</ul><p class='ocop-prog-asof'>{as_of}</p>"
        f"<p class='ocop-prog-source'><b>{esc(t.t('prog_targets_source', lang))}:</b> {esc(targets.source)}</p></div>"
    )


def summary_lines(programme: Programme, lang: str = "vi") -> list[str]:
    """The counts in words: certified, provisional, forwarded, merged ratings."""
    t = load_texts()
    totals = programme.totals()
    stars = programme.stars()
    certified = {f"s{s}": x.recognised for s, x in zip(RECOGNISED_STARS, stars, strict=True)}
    provisional = {f"s{s}": x.provisional_total for s, x in zip(RECOGNISED_STARS, stars, strict=True)}
    lines = [
        t.t("prog_summary", lang).format(
            recognised=totals.recognised,
            products=len(programme.products),
            sessions=max(1, len(programme.sessions)),
            **certified,
        )
    ]
    if totals.provisional_total:
        lines.append(t.t("prog_summary_provisional", lang).format(provisional=totals.provisional_total, **provisional))
    forwarded = sum(1 for p in programme.products if p.forwarded_to)
    if forwarded:
        lines.append(t.t("prog_forwarded", lang).format(count=forwarded))
    if programme.merged:
        lines.append(t.t("prog_merged", lang).format(count=programme.merged))
    return lines


def main_province(products: Iterable[ProgrammeProduct], share: Fraction = Fraction(1, 2)) -> str | None:
    """The province of at least ``share`` of the products (a provincial council's own), else None."""
    items = [p.province for p in products]
    counts = Counter(province_key(x) for x in items if x)
    if not counts or not items:
        return None
    key, count = max(counts.items(), key=lambda kv: (kv[1], kv[0]))
    if Fraction(count, len(items)) < share:
        return None
    return next(x for x in items if x and province_key(x) == key)


__all__: Sequence[str] = (
    "DIMENSIONS",
    "Programme",
    "ProgrammeProduct",
    "SessionSummary",
    "Tally",
    "Target",
    "TargetProgress",
    "Targets",
    "TargetsError",
    "all_targets",
    "check_targets_dir",
    "clean_province",
    "cumulative_table_html",
    "from_session",
    "from_session_file",
    "from_store",
    "load_targets",
    "main_province",
    "merge_codes",
    "products_of",
    "products_of_result",
    "progress_html",
    "province_key",
    "province_slug",
    "sort_key",
    "summary_lines",
    "tally_table_html",
    "targets_for",
    "year_of",
)
