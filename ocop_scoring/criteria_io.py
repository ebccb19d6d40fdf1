"""Read, validate and write criteria sheets and rule sets.

Layer: loader. Imports: errors, model, yamlio. The only module that reads the
files of ``criteria/``.

Every check a person editing a sheet can get wrong is made here, and every
problem of a file is reported at once as ``file:line: key: expected …, got …``.
"""

from __future__ import annotations

import hashlib
import itertools
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from fractions import Fraction
from pathlib import Path
from typing import Any

from ocop_scoring.errors import (
    CriteriaSheetError,
    Problem,
    RuleSetError,
    UnknownRuleSetError,
    UnknownSheetError,
    verbatim,
)
from ocop_scoring.model import (
    Amendment,
    Anomaly,
    Band,
    Case,
    Classification,
    Condition,
    Criterion,
    KnockoutRule,
    Level,
    Option,
    Part,
    RuleSet,
    Sheet,
)
from ocop_scoring.yamlio import LineDict, dump_yaml, read_yaml

SHEET_FORMAT = "ocop-criteria/1"
RULESET_FORMAT = "ocop-ruleset/1"
_CHILD_KEY = {"group": "criteria", "criterion": "sub_criteria"}
_CHILD_KIND = {"group": "criterion", "criterion": "sub_criterion"}


def default_criteria_dir() -> Path:
    """Where the official sheets and rule sets are.

    ``OCOP_CRITERIA_DIR`` if set; else the repository's ``criteria/`` (a source
    checkout or an editable install); else the copy packaged in the wheel.
    """
    env = os.environ.get("OCOP_CRITERIA_DIR")
    if env:
        return Path(env)
    here = Path(__file__).resolve().parent
    repo = here.parent / "criteria"
    if (repo / "rulesets").is_dir():
        return repo
    return here / "_criteria"


def file_sha256(path: Path) -> str:
    """SHA-256 of a file's bytes."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


class _Checker:
    """Collects problems for one file; each helper returns a placeholder on error."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.problems: list[Problem] = []

    def add(self, where: LineDict | int | None, key: str, expected: str, got: object, field_: str = "") -> None:
        line = (where.line_of(field_) if field_ else where.line) if isinstance(where, LineDict) else where
        self.problems.append(Problem(self.path, line, key, expected, got))

    def mapping(self, value: Any, where: LineDict | int | None, key: str) -> LineDict | None:
        if isinstance(value, LineDict):
            return value
        self.add(where, key, "a mapping", _describe(value))
        return None

    def text(self, obj: LineDict, name: str, key: str, *, required: bool = True) -> str | None:
        value = obj.get(name)
        if value is None:
            if required:
                self.add(obj, f"{key}.{name}" if key else name, "a text", verbatim("nothing"))
            return None
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            self.add(obj, f"{key}.{name}" if key else name, "a text", _describe(value), name)
            return None
        text = str(value).strip()
        if required and not text:
            self.add(obj, f"{key}.{name}" if key else name, "a non-empty text", value, name)
        return text

    def code(self, obj: LineDict, name: str, key: str) -> str | None:
        value = obj.get(name)
        if isinstance(value, bool) or not isinstance(value, str | int) or str(value).strip() == "":
            self.add(
                obj, f"{key}.{name}" if key else name, "a code (write it in quotes, e.g. '1.1')", _describe(value), name
            )
            return None
        if isinstance(value, float):
            return None
        return str(value).strip()

    def whole(self, obj: LineDict, name: str, key: str, *, minimum: int = 0, required: bool = True) -> int | None:
        value = obj.get(name)
        if value is None and not required:
            return None
        if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
            self.add(obj, f"{key}.{name}" if key else name, f"a whole number >= {minimum}", _describe(value), name)
            return None
        return value

    def texts(self, obj: LineDict, name: str, key: str) -> tuple[str, ...]:
        value = obj.get(name)
        if value is None:
            return ()
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            self.add(obj, f"{key}.{name}", "a list of texts", _describe(value), name)
            return ()
        return tuple(v.strip() for v in value)

    def known_keys(self, obj: LineDict, allowed: Iterable[str], key: str) -> None:
        allowed = set(allowed)
        for name in obj:
            if name == "star" and "options" in allowed:
                self.add(
                    obj.line_of(name), f"{key}.star", "the star marker under one of the criterion's options", obj[name]
                )
            elif name not in allowed:
                self.add(
                    obj.line_of(name),
                    f"{key}.{name}" if key else name,
                    f"one of the keys {', '.join(sorted(allowed))}",
                    name,
                )


def _describe(value: Any) -> object:
    if value is None:
        return verbatim("nothing")
    if isinstance(value, LineDict):
        return verbatim("a mapping")
    if isinstance(value, list):
        return verbatim("a list")
    return value


# --- rule sets -------------------------------------------------------------------------------------


def load_ruleset(path: Path | str) -> RuleSet:
    """Load and check one rule-set file.

    Raises:
        RuleSetError: Listing every problem of the file.
    """
    path = Path(path)
    data, problems = read_yaml(path)
    check = _Checker(str(path))
    check.problems.extend(problems)
    ruleset = _build_ruleset(check, data, path) if data is not None else None
    if check.problems or ruleset is None:
        raise RuleSetError(str(path), check.problems)
    return ruleset


def _fraction(check: _Checker, obj: LineDict, name: str, key: str) -> Fraction | None:
    value = obj.get(name)
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        check.add(obj, f"{key}.{name}", "a number >= 0", _describe(value), name)
        return None
    try:
        number = Fraction(str(value))
    except ValueError:
        check.add(obj, f"{key}.{name}", "a number >= 0", value, name)
        return None
    if number < 0:
        check.add(obj, f"{key}.{name}", "a number >= 0", value, name)
        return None
    return number


def _build_ruleset(check: _Checker, data: Any, path: Path) -> RuleSet | None:
    top = check.mapping(data, 1, "(file)")
    if top is None:
        return None
    if top.get("format") != RULESET_FORMAT:
        check.add(top, "format", f"{RULESET_FORMAT!r}", top.get("format"), "format")
        return None
    check.known_keys(
        top,
        [
            "format",
            "id",
            "decision_vi",
            "title_vi",
            "title_en",
            "status_vi",
            "effective_from",
            "source",
            "sheets",
            "total_points",
            "parts",
            "bands",
            "recognized_from_stars",
            "minimum_star_levels",
            "levels",
            "certificate_months",
            "rerating",
            "amendments",
            "notes",
        ],
        "",
    )
    rid = check.code(top, "id", "")
    if rid and rid != path.stem:
        check.add(top, "id", f"the file name without .yaml ({path.stem!r})", rid, "id")
    texts = {n: check.text(top, n, "") or "" for n in ("decision_vi", "title_vi", "title_en", "source")}
    effective = check.text(top, "effective_from", "") or ""
    total = check.whole(top, "total_points", "", minimum=1) or 100
    parts: list[tuple[str, int]] = []
    raw_parts = top.get("parts")
    if not isinstance(raw_parts, list) or not raw_parts:
        check.add(top, "parts", "a list of parts", _describe(raw_parts), "parts")
    else:
        for i, raw in enumerate(raw_parts):
            part = check.mapping(raw, top.line_of("parts"), f"parts[{i}]")
            if part is None:
                continue
            code = check.code(part, "code", f"parts[{i}]")
            mx = check.whole(part, "max_points", f"parts[{i}]")
            if code and mx is not None:
                parts.append((code, mx))
        if parts and sum(m for _, m in parts) != total:
            check.add(top, "parts", f"maxima adding up to total_points {total}", sum(m for _, m in parts), "parts")
    bands: list[Band] = []
    raw_bands = top.get("bands")
    if not isinstance(raw_bands, list) or not raw_bands:
        check.add(top, "bands", "a list of star bands", _describe(raw_bands), "bands")
    else:
        for i, raw in enumerate(raw_bands):
            band = check.mapping(raw, top.line_of("bands"), f"bands[{i}]")
            if band is None:
                continue
            stars = check.whole(band, "stars", f"bands[{i}]", minimum=1)
            low = _fraction(check, band, "min_total", f"bands[{i}]")
            if stars is not None and low is not None:
                if bands and (stars <= bands[-1].stars or low <= bands[-1].min_total):
                    check.add(
                        band,
                        f"bands[{i}]",
                        "bands in increasing order of stars and min_total",
                        verbatim(f"{stars}★ from {low}"),
                    )
                bands.append(Band(stars, low, str(band.get("text_vi") or "")))
        if bands and bands[0].min_total != 0:
            check.add(top, "bands[0].min_total", "0 (the lowest band starts at 0)", bands[0].min_total, "bands")
    levels: list[Level] = []
    levels.extend(_levels(check, top, ""))
    amendments: list[Amendment] = []
    raw_amend = top.get("amendments")
    if raw_amend is not None:
        if not isinstance(raw_amend, list):
            check.add(top, "amendments", "a list of amendments", _describe(raw_amend), "amendments")
        else:
            for i, raw in enumerate(raw_amend):
                akey = f"amendments[{i}]"
                am = check.mapping(raw, top.line_of("amendments"), akey)
                if am is None:
                    continue
                check.known_keys(am, ("from", "decision_vi", "note_vi", "note_en", "levels"), akey)
                start = _date_text(check, am, "from", akey)
                amendments.append(
                    Amendment(
                        start or "",
                        check.text(am, "decision_vi", akey) or "",
                        check.text(am, "note_vi", akey) or "",
                        check.text(am, "note_en", akey, required=False) or "",
                        tuple(_levels(check, am, akey + ".")),
                    )
                )
    if levels:
        codes = {lv.code for lv in levels}
        for i, lv in enumerate(levels):
            if lv.forwards_to is not None and lv.forwards_to not in codes:
                check.add(
                    top.line_of("levels"),
                    f"levels[{i}].forwards_to",
                    f"one of {', '.join(sorted(codes))}",
                    lv.forwards_to,
                )
    recognized = check.whole(top, "recognized_from_stars", "", minimum=1) or 3
    min_levels = top.get("minimum_star_levels", [3, 4, 5])
    if not isinstance(min_levels, list) or not all(isinstance(s, int) for s in min_levels):
        check.add(top, "minimum_star_levels", "a list of star levels", _describe(min_levels), "minimum_star_levels")
        min_levels = [3, 4, 5]
    months = check.whole(top, "certificate_months", "", minimum=1, required=False)
    opens = closes = None
    rerating = top.get("rerating")
    if rerating is not None:
        rr = check.mapping(rerating, top.line_of("rerating"), "rerating")
        if rr is not None:
            opens = check.whole(rr, "opens_days_before_expiry", "rerating", minimum=1)
            closes = check.whole(rr, "closes_days_before_expiry", "rerating", minimum=0)
            if opens is not None and closes is not None and closes >= opens:
                check.add(rr, "rerating", "the window to open before it closes", verbatim(f"{opens} to {closes} days"))
    if check.problems or rid is None:
        return None
    return RuleSet(
        ruleset_id=rid,
        decision_vi=texts["decision_vi"],
        title_vi=texts["title_vi"],
        title_en=texts["title_en"],
        source=texts["source"],
        effective_from=effective,
        parts=tuple(parts),
        bands=tuple(bands),
        levels=tuple(levels),
        amendments=tuple(amendments),
        total_points=total,
        recognized_from_stars=recognized,
        minimum_star_levels=tuple(min_levels),
        certificate_months=months,
        rerating_opens_days=opens,
        rerating_closes_days=closes,
        status_vi=str(top.get("status_vi") or ""),
        notes=check.texts(top, "notes", ""),
        sha256=file_sha256(path),
    )


FORWARD_POLICIES = ("forward", "propose_at_star")


def _levels(check: _Checker, top: LineDict, prefix: str) -> list[Level]:
    """A ``levels`` list (of a rule set or of one of its amendments)."""
    levels: list[Level] = []
    raw_levels = top.get("levels")
    if not isinstance(raw_levels, list) or not raw_levels:
        check.add(top, f"{prefix}levels", "a list of rating levels", _describe(raw_levels), "levels")
        return levels
    for i, raw in enumerate(raw_levels):
        lv = check.mapping(raw, top.line_of("levels"), f"{prefix}levels[{i}]")
        if lv is None:
            continue
        key = f"{prefix}levels[{i}]"
        check.known_keys(
            lv,
            (
                "code",
                "name_vi",
                "name_en",
                "certifies_stars",
                "forwards_to",
                "forwards_from_total",
                "forward_when_minimums_unmet",
            ),
            key,
        )
        code = check.code(lv, "code", key) or "?"
        stars = lv.get("certifies_stars", [])
        if not isinstance(stars, list) or not all(isinstance(s, int) and not isinstance(s, bool) for s in stars):
            check.add(lv, f"{key}.certifies_stars", "a list of star levels", _describe(stars), "certifies_stars")
            stars = []
        fwd = lv.get("forwards_to")
        fwd_total = _fraction(check, lv, "forwards_from_total", key) if fwd is not None else None
        policy = lv.get("forward_when_minimums_unmet", "forward")
        if policy not in FORWARD_POLICIES:
            check.add(
                lv,
                f"{key}.forward_when_minimums_unmet",
                " or ".join(FORWARD_POLICIES),
                _describe(policy),
                "forward_when_minimums_unmet",
            )
            policy = "forward"
        levels.append(
            Level(
                code,
                check.text(lv, "name_vi", key) or code,
                check.text(lv, "name_en", key) or code,
                tuple(stars),
                str(fwd) if fwd is not None else None,
                fwd_total,
                policy,
            )
        )
    return levels


def _date_text(check: _Checker, obj: LineDict, name: str, key: str) -> str | None:
    """An ISO date (YYYY-MM-DD) written in quotes."""
    value = obj.get(name)
    text = str(value) if isinstance(value, str | date) else None
    try:
        date.fromisoformat(text or "")
    except ValueError:
        check.add(obj, f"{key}.{name}", "a date YYYY-MM-DD in quotes", _describe(value), name)
        return None
    return text


# --- sheets ----------------------------------------------------------------------------------------


def load_sheet(path: Path | str, rulesets: Mapping[str, RuleSet] | None = None) -> Sheet:
    """Load and check one criteria sheet.

    Args:
        path: The sheet file.
        rulesets: Rule sets by id; the sheet's parts must match its rule set's.
            Defaults to the rule sets of the default criteria folder.

    Raises:
        CriteriaSheetError: Listing every problem of the file.
    """
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise CriteriaSheetError(
            str(path), [Problem(str(path), None, "file", "a readable file", verbatim(exc.strerror or str(exc)))]
        ) from None
    return parse_sheet(raw, str(path), rulesets, expected_id=path.stem)


def parse_sheet(
    raw: bytes | str,
    name: str,
    rulesets: Mapping[str, RuleSet] | None = None,
    *,
    expected_id: str | None = None,
) -> Sheet:
    """Check and build a sheet from the text of a sheet file.

    Args:
        raw: The file's bytes (UTF-8) or text.
        name: The name to show in problems (a path).
        rulesets: Rule sets by id (default: the official ones).
        expected_id: When given, the sheet's id must equal it (the file stem).

    Raises:
        CriteriaSheetError: Listing every problem.
    """
    if rulesets is None:
        rulesets = load_rulesets()
    data_bytes = raw.encode("utf-8") if isinstance(raw, str) else raw
    check = _Checker(name)
    try:
        text = data_bytes.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data_bytes[: exc.start].count(b"\n") + 1
        raise CriteriaSheetError(
            name, [Problem(name, line, "encoding", "UTF-8 text", verbatim(f"byte 0x{data_bytes[exc.start]:02x}"))]
        ) from None
    data, problems = read_yaml(name, text)
    check.problems.extend(problems)
    sheet = _SheetBuilder(check, rulesets, expected_id).build(data) if data is not None else None
    if check.problems or sheet is None:
        raise CriteriaSheetError(name, check.problems)
    return _with_sha(sheet, hashlib.sha256(data_bytes).hexdigest())


def _with_sha(sheet: Sheet, sha: str) -> Sheet:
    from attrs import evolve

    return evolve(sheet, sha256=sha)


def validate_sheet_file(path: Path | str, rulesets: Mapping[str, RuleSet] | None = None) -> list[Problem]:
    """Return every problem of a sheet file (empty when it is valid)."""
    try:
        load_sheet(path, rulesets)
    except CriteriaSheetError as exc:
        return list(exc.problems)
    return []


@dataclass
class _SheetBuilder:
    check: _Checker
    rulesets: Mapping[str, RuleSet]
    expected_id: str | None
    codes: dict[str, int] = field(default_factory=dict)
    leaves: dict[str, Criterion] = field(default_factory=dict)
    conditions: list[tuple[str, Condition, int, str]] = field(default_factory=list)
    rule_criteria: list[tuple[str, int, str]] = field(default_factory=list)
    star_levels: tuple[int, ...] = (3, 4, 5)

    def build(self, data: Any) -> Sheet | None:
        check = self.check
        top = check.mapping(data, 1, "(file)")
        if top is None:
            return None
        if top.get("format") != SHEET_FORMAT:
            check.add(top, "format", repr(SHEET_FORMAT), top.get("format"), "format")
            return None
        check.known_keys(
            top,
            [
                "format",
                "id",
                "ruleset",
                "number",
                "title_vi",
                "title_en",
                "heading_vi",
                "classification",
                "classification_line_vi",
                "classification_line_en",
                "source",
                "notes",
                "dossier_knockouts_vi",
                "dossier_knockouts_en",
                "star_note_vi",
                "star_note_en",
                "total_points",
                "parts",
            ],
            "",
        )
        sid = check.code(top, "id", "")
        if sid and self.expected_id and sid != self.expected_id:
            check.add(top, "id", f"the file name without .yaml ({self.expected_id!r})", sid, "id")
        rid = check.code(top, "ruleset", "")
        ruleset = self.rulesets.get(rid) if rid else None
        if rid and ruleset is None:
            check.add(top, "ruleset", f"one of {', '.join(sorted(self.rulesets))}", rid, "ruleset")
        if ruleset is not None:
            self.star_levels = ruleset.minimum_star_levels
        number = check.whole(top, "number", "", minimum=1, required=False)
        title = check.text(top, "title_vi", "") or ""
        source = check.text(top, "source", "") or ""
        total = check.whole(top, "total_points", "", minimum=1)
        classification = self._classification(top)
        parts = self._parts(top, ruleset, total)
        for code, line, key in self.rule_criteria:
            if code not in self.leaves:
                check.add(line, key, "scored criteria of this sheet", code)
        for code, cond, line, key in self.conditions:
            target = self.leaves.get(cond.criterion)
            if target is None or cond.criterion == code:
                check.add(
                    line,
                    f"{key}.condition.criterion",
                    "a scored criterion of this sheet other than itself",
                    cond.criterion,
                )
        dossier_vi = check.texts(top, "dossier_knockouts_vi", "")
        dossier_en = self._parallel(top, "dossier_knockouts_en", "", dossier_vi)
        if check.problems or sid is None or rid is None or total is None:
            return None
        return Sheet(
            sheet_id=sid,
            ruleset_id=rid,
            title_vi=title,
            source=source,
            parts=tuple(parts),
            number=number,
            title_en=check.text(top, "title_en", "", required=False),
            heading_vi=check.text(top, "heading_vi", "", required=False),
            classification=classification,
            classification_line_vi=check.text(top, "classification_line_vi", "", required=False),
            dossier_knockouts_vi=dossier_vi,
            star_note_vi=check.text(top, "star_note_vi", "", required=False),
            total_points=total,
            notes=check.texts(top, "notes", ""),
            dossier_knockouts_en=dossier_en,
            star_note_en=check.text(top, "star_note_en", "", required=False),
            classification_line_en=check.text(top, "classification_line_en", "", required=False),
        )

    def _classification(self, top: LineDict) -> Classification | None:
        raw = top.get("classification")
        if raw is None:
            return None
        c = self.check.mapping(raw, top.line_of("classification"), "classification")
        if c is None:
            return None
        pieces = {}
        for name in ("sector", "group", "subgroup"):
            item = c.get(name)
            if item is None:
                if name != "subgroup":
                    self.check.add(c, f"classification.{name}", "a mapping with code and vi", verbatim("nothing"))
                continue
            m = self.check.mapping(item, c.line_of(name), f"classification.{name}")
            if m is not None:
                self.check.known_keys(m, ("code", "vi", "en"), f"classification.{name}")
                pieces[name] = (
                    self.check.code(m, "code", f"classification.{name}") or "",
                    self.check.text(m, "vi", f"classification.{name}") or "",
                    self.check.text(m, "en", f"classification.{name}", required=False),
                )
        if "sector" not in pieces or "group" not in pieces:
            return None
        sub = pieces.get("subgroup")
        return Classification(
            pieces["sector"][0],
            pieces["sector"][1],
            pieces["group"][0],
            pieces["group"][1],
            sub[0] if sub else None,
            sub[1] if sub else None,
            self.check.text(c, "ministry_vi", "classification", required=False),
            pieces["sector"][2],
            pieces["group"][2],
            sub[2] if sub else None,
        )

    def _parts(self, top: LineDict, ruleset: RuleSet | None, total: int | None) -> list[Part]:
        check = self.check
        raw_parts = top.get("parts")
        if not isinstance(raw_parts, list) or not raw_parts:
            check.add(top, "parts", "a list of parts", _describe(raw_parts), "parts")
            return []
        parts: list[Part] = []
        expected = dict(ruleset.parts) if ruleset else {}
        for i, raw in enumerate(raw_parts):
            p = check.mapping(raw, top.line_of("parts"), f"parts[{i}]")
            if p is None:
                continue
            code = check.code(p, "code", f"parts[{i}]") or str(i)
            key = f"parts[{code}]"
            check.known_keys(p, ("code", "label_vi", "label_en", "max_points", "groups", "anomaly"), key)
            mx = check.whole(p, "max_points", key)
            if ruleset is not None:
                if code not in expected:
                    check.add(
                        p,
                        f"{key}.code",
                        f"a part of rule set {ruleset.ruleset_id} ({', '.join(expected)})",
                        code,
                        "code",
                    )
                elif mx is not None and expected[code] != mx:
                    check.add(
                        p, f"{key}.max_points", f"{expected[code]} (rule set {ruleset.ruleset_id})", mx, "max_points"
                    )
            groups = self._children(p, "groups", "group", key)
            if mx is not None and groups and all(g is not None for g in groups):
                got = sum(g.max_points for g in groups)
                if got != mx:
                    check.add(p, f"{key}.max_points", f"the sum of its groups' maxima ({got})", mx, "max_points")
            parts.append(
                Part(
                    code,
                    check.text(p, "label_vi", key) or "",
                    mx or 0,
                    tuple(g for g in groups if g),
                    check.text(p, "label_en", key, required=False),
                    self._anomaly(p, key),
                )
            )
        if ruleset is not None:
            missing = [c for c in expected if c not in {p.code for p in parts}]
            if missing:
                check.add(
                    top,
                    "parts",
                    f"parts {', '.join(expected)} of rule set {ruleset.ruleset_id}",
                    verbatim(f"no part {', '.join(missing)}"),
                    "parts",
                )
        if total is not None and parts:
            got = sum(p.max_points for p in parts)
            if got != total:
                check.add(top, "total_points", f"the sum of the parts' maxima ({got})", total, "total_points")
        return parts

    def _children(self, obj: LineDict, name: str, kind: str, key: str) -> list[Criterion | None]:
        raw = obj.get(name)
        if not isinstance(raw, list) or not raw:
            self.check.add(obj, f"{key}.{name}", "a non-empty list", _describe(raw), name)
            return []
        return [self._node(item, kind, key, name, obj.line_of(name), i) for i, item in enumerate(raw)]

    def _node(self, raw: Any, kind: str, parent_key: str, list_name: str, line: int, index: int) -> Criterion | None:
        check = self.check
        n = check.mapping(raw, line, f"{parent_key}.{list_name}[{index}]")
        if n is None:
            return None
        code = check.code(n, "code", f"{parent_key}.{list_name}[{index}]")
        key = f"{parent_key}.{list_name}[{code if code else index}]"
        child_key = _CHILD_KEY.get(kind)
        allowed = [
            "code",
            "text_vi",
            "text_en",
            "max_points",
            "options",
            "notes_vi",
            "notes_en",
            "knockout_vi",
            "knockout_en",
            "knockout_rules",
            "cases",
            "cases_en",
            "condition",
            "anomaly",
        ]
        if child_key:
            allowed.append(child_key)
        check.known_keys(n, allowed, key)
        if code is not None:
            if code in self.codes:
                check.add(
                    n,
                    f"{key}.code",
                    f"a code not used earlier in this sheet (first used on line {self.codes[code]})",
                    code,
                    "code",
                )
            else:
                self.codes[code] = n.line_of("code")
        text = check.text(n, "text_vi", key) or ""
        mx = check.whole(n, "max_points", key)
        has_options = "options" in n
        has_children = bool(child_key) and child_key in n
        if has_options == has_children:
            expected = "either options or " + (child_key or "") if child_key else "options"
            check.add(n, key, expected, verbatim("both" if has_options else "neither"))
        cases = self._cases(n, key)
        options: list[Option] = []
        children: list[Criterion | None] = []
        if has_options:
            options = self._options(n, key, mx, {c.code for c in cases})
        elif has_children and child_key:
            children = self._children(n, child_key, _CHILD_KIND[kind], key)
            if mx is not None and children and all(c is not None for c in children):
                got = sum(c.max_points for c in children if c)
                if got != mx:
                    check.add(n, f"{key}.max_points", f"the sum of its criteria's maxima ({got})", mx, "max_points")
        condition = None
        if "condition" in n:
            c = check.mapping(n.get("condition"), n.line_of("condition"), f"{key}.condition")
            if c is not None:
                check.known_keys(c, ("criterion", "min_points", "note_vi", "note_en"), f"{key}.condition")
                crit = check.code(c, "criterion", f"{key}.condition")
                mp = check.whole(c, "min_points", f"{key}.condition", minimum=1)
                note = check.text(c, "note_vi", f"{key}.condition") or ""
                note_en = check.text(c, "note_en", f"{key}.condition", required=False) or ""
                if crit is not None and mp is not None:
                    condition = Condition(crit, mp, note, note_en)
                    if code:
                        self.conditions.append((code, condition, c.line_of("criterion"), key))
        notes_vi = check.texts(n, "notes_vi", key)
        knockout_vi = check.texts(n, "knockout_vi", key)
        knockout_rules = self._knockout_rules(n, key, code, knockout_vi)
        if code is None or mx is None:
            return None
        node = Criterion(
            code=code,
            kind=kind,  # type: ignore[arg-type]
            text_vi=text,
            max_points=mx,
            text_en=check.text(n, "text_en", key, required=False),
            options=tuple(options),
            children=tuple(c for c in children if c),
            notes_vi=notes_vi,
            knockout_vi=knockout_vi,
            cases=cases,
            condition=condition,
            anomaly=self._anomaly(n, key),
            notes_en=self._parallel(n, "notes_en", key, notes_vi),
            knockout_en=self._parallel(n, "knockout_en", key, knockout_vi),
            knockout_rules=knockout_rules,
        )
        if node.is_leaf:
            self.leaves[code] = node
        return node

    def _cases(self, n: LineDict, key: str) -> tuple[Case, ...]:
        raw = n.get("cases")
        if raw is None:
            return ()
        m = self.check.mapping(raw, n.line_of("cases"), f"{key}.cases")
        if m is None:
            return ()
        english: dict[str, str] = {}
        if n.get("cases_en") is not None:
            e = self.check.mapping(n.get("cases_en"), n.line_of("cases_en"), f"{key}.cases_en")
            if e is not None:
                for code, text in e.items():
                    if str(code) not in {str(k) for k in m}:
                        self.check.add(
                            e.line_of(code),
                            f"{key}.cases_en.{code}",
                            f"one of the cases {', '.join(map(str, m))}",
                            code,
                        )
                    elif not isinstance(text, str) or not text.strip():
                        self.check.add(e.line_of(code), f"{key}.cases_en.{code}", "a non-empty text", _describe(text))
                    else:
                        english[str(code)] = text.strip()
        out = []
        for code, text in m.items():
            if not isinstance(text, str) or not text.strip():
                self.check.add(m.line_of(code), f"{key}.cases.{code}", "the case's printed text", _describe(text))
                continue
            out.append(Case(str(code), text.strip(), english.get(str(code))))
        if len(out) < 2:
            self.check.add(m, f"{key}.cases", "at least two cases", len(out))
        return tuple(out)

    def _parallel(self, obj: LineDict, name: str, key: str, vi: tuple[str, ...]) -> tuple[str, ...]:
        """An English list beside a Vietnamese one: absent, or the same length."""
        en = self.check.texts(obj, name, key)
        if en and len(en) != len(vi):
            where = f"{key}.{name}" if key else name
            self.check.add(obj, where, f"one English text per Vietnamese one ({len(vi)})", len(en), name)
            return ()
        return en

    def _knockout_rules(
        self, n: LineDict, key: str, code: str | None, knockout_vi: tuple[str, ...]
    ) -> tuple[KnockoutRule, ...]:
        """``knockout_rules``: one entry per printed knock-out note, saying how it is applied."""
        raw = n.get("knockout_rules")
        check = self.check
        if raw is None:
            return ()
        if not isinstance(raw, list):
            check.add(n, f"{key}.knockout_rules", "a list of rules", _describe(raw), "knockout_rules")
            return ()
        rules: list[KnockoutRule] = []
        for i, item in enumerate(raw):
            rkey = f"{key}.knockout_rules[{i}]"
            r = check.mapping(item, n.line_of("knockout_rules"), rkey)
            if r is None:
                continue
            check.known_keys(r, ("note", "decided_by", "criteria", "max_points"), rkey)
            note = check.whole(r, "note", rkey, minimum=1)
            if note is not None and note > len(knockout_vi):
                check.add(
                    r,
                    f"{rkey}.note",
                    f"the number of one of the criterion's {len(knockout_vi)} knock-out notes",
                    note,
                    "note",
                )
                note = None
            decided = r.get("decided_by")
            if decided not in ("ticks", "council"):
                check.add(r, f"{rkey}.decided_by", "ticks or council", _describe(decided), "decided_by")
                continue
            criteria: tuple[str, ...] = ()
            max_points = 0
            if decided == "ticks":
                raw_c = r.get("criteria", [code] if code else [])
                if not isinstance(raw_c, list) or not raw_c or not all(isinstance(c, str) for c in raw_c):
                    check.add(r, f"{rkey}.criteria", "a list of criterion codes (quoted)", _describe(raw_c), "criteria")
                    continue
                criteria = tuple(c.strip() for c in raw_c)
                for c in criteria:
                    self.rule_criteria.append(
                        (c, r.line_of("criteria") if "criteria" in r else r.line_of("decided_by"), f"{rkey}.criteria")
                    )
                mp = check.whole(r, "max_points", rkey, required=False)
                max_points = 0 if mp is None else mp
            elif "criteria" in r or "max_points" in r:
                check.add(r, rkey, "criteria and max_points only on a rule decided by ticks", verbatim("council"))
            if note is not None:
                rules.append(KnockoutRule(note - 1, decided, criteria, max_points))  # type: ignore[arg-type]
        return tuple(rules)

    def _options(self, n: LineDict, key: str, mx: int | None, case_codes: set[str]) -> list[Option]:
        check = self.check
        raw = n.get("options")
        if not isinstance(raw, list) or not raw:
            check.add(n, f"{key}.options", "a non-empty list of options", _describe(raw), "options")
            return []
        options: list[Option] = []
        stars_seen: dict[int, int] = {}
        last_case_index = -1
        case_order = list(dict.fromkeys(sorted(case_codes)))
        for i, item in enumerate(raw, start=1):
            o = check.mapping(item, n.line_of("options"), f"{key}.options[{i}]")
            if o is None:
                continue
            okey = f"{key}.options[{i}]"
            check.known_keys(o, ("points", "text_vi", "text_en", "star", "case", "anomaly"), okey)
            pts = check.whole(o, "points", okey)
            if pts is not None and mx is not None and pts > mx:
                check.add(o, f"{okey}.points", f"at most the criterion's maximum {mx}", pts, "points")
            star = o.get("star")
            if star is not None:
                if isinstance(star, bool) or star not in self.star_levels:
                    check.add(
                        o,
                        f"{okey}.star",
                        f"one of the star levels {', '.join(map(str, self.star_levels))}"
                        if self.star_levels
                        else "no star marker (the rule set claims no star minimums)",
                        star,
                        "star",
                    )
                    star = None
                elif star in stars_seen:
                    check.add(
                        o,
                        f"{okey}.star",
                        f"each star level marked once per criterion (already on option {stars_seen[star]})",
                        star,
                        "star",
                    )
                else:
                    stars_seen[star] = i
            case = o.get("case")
            if case_codes:
                if case is None or str(case) not in case_codes:
                    check.add(
                        o,
                        f"{okey}.case",
                        f"one of the criterion's cases {', '.join(case_order)}",
                        _describe(case),
                        "case",
                    )
                else:
                    idx = case_order.index(str(case))
                    if idx < last_case_index:
                        check.add(
                            o,
                            f"{okey}.case",
                            "options in printed order: every option of case a before case b",
                            case,
                            "case",
                        )
                    last_case_index = max(last_case_index, idx)
            elif case is not None:
                check.add(o, f"{okey}.case", "no case (the criterion has no cases)", case, "case")
            text = check.text(o, "text_vi", okey) or ""
            if pts is None:
                continue
            options.append(
                Option(
                    number=i,
                    text_vi=text,
                    points=pts,
                    text_en=check.text(o, "text_en", okey, required=False),
                    star=star,
                    case=str(case) if case is not None else None,
                    anomaly=self._anomaly(o, okey),
                )
            )
        if options and mx is not None and len(options) == len(raw):
            best = max(o.points for o in options)
            if best != mx:
                check.add(n, f"{key}.max_points", f"the points of its best option ({best})", mx, "max_points")
        marked = sorted((s, options[i - 1].points) for s, i in stars_seen.items() if i - 1 < len(options))
        for (s1, p1), (s2, p2) in itertools.pairwise(marked):
            if p2 < p1:
                check.add(
                    n,
                    f"{key}.options",
                    f"the {s2}★ minimum to need at least the {s1}★ minimum ({p1} points)",
                    p2,
                    "options",
                )
        return options

    def _anomaly(self, obj: LineDict, key: str) -> Anomaly | None:
        raw = obj.get("anomaly")
        if raw is None:
            return None
        a = self.check.mapping(raw, obj.line_of("anomaly"), f"{key}.anomaly")
        if a is None:
            return None
        printed = a.get("printed")
        if printed is None or isinstance(printed, LineDict | list):
            self.check.add(
                a, f"{key}.anomaly.printed", "what the source prints, as text", _describe(printed), "printed"
            )
            printed = ""
        note = self.check.text(a, "note_vi", f"{key}.anomaly") or ""
        return Anomaly(str(printed), note, self.check.text(a, "note_en", f"{key}.anomaly", required=False) or "")


# --- library ---------------------------------------------------------------------------------------


def load_rulesets(criteria_dir: Path | str | None = None) -> dict[str, RuleSet]:
    """Load every rule set of ``criteria_dir/rulesets``.

    Raises:
        RuleSetError: If a rule-set file has problems.
    """
    base = Path(criteria_dir) if criteria_dir else default_criteria_dir()
    return {rs.ruleset_id: rs for rs in (load_ruleset(p) for p in sorted((base / "rulesets").glob("*.yaml")))}


@dataclass(frozen=True)
class Library:
    """The rule sets and sheets of a criteria folder."""

    root: Path
    rulesets: Mapping[str, RuleSet]
    sheets: Mapping[str, Sheet]
    paths: Mapping[str, Path]

    def sheet(self, sheet_id: str) -> Sheet:
        """Return a sheet by id.

        Raises:
            UnknownSheetError: If there is no such sheet.
        """
        try:
            return self.sheets[sheet_id]
        except KeyError:
            raise UnknownSheetError(sheet_id, sorted(self.sheets)) from None

    def ruleset(self, ruleset_id: str) -> RuleSet:
        """Return a rule set by id.

        Raises:
            UnknownRuleSetError: If there is no such rule set.
        """
        try:
            return self.rulesets[ruleset_id]
        except KeyError:
            raise UnknownRuleSetError(ruleset_id, sorted(self.rulesets)) from None

    def sheets_of(self, ruleset_id: str) -> list[Sheet]:
        """The sheets written for a rule set, by id."""
        return [s for sid, s in sorted(self.sheets.items()) if s.ruleset_id == ruleset_id]


def load_library(criteria_dir: Path | str | None = None) -> Library:
    """Load every rule set and sheet of a criteria folder (default: the official one).

    Sheets live in one sub-folder per rule set (``criteria/qd26-2026/*.yaml``).

    Raises:
        RuleSetError: If a rule set has problems.
        CriteriaSheetError: If a sheet has problems (the first broken file).
    """
    base = Path(criteria_dir) if criteria_dir else default_criteria_dir()
    rulesets = load_rulesets(base)
    sheets: dict[str, Sheet] = {}
    paths: dict[str, Path] = {}
    for rid in sorted(rulesets):
        for path in sorted((base / rid).glob("*.yaml")):
            sheet = load_sheet(path, rulesets)
            sheets[sheet.sheet_id] = sheet
            paths[sheet.sheet_id] = path
    return Library(base, rulesets, sheets, paths)


# --- writing ---------------------------------------------------------------------------------------


def sheet_to_data(sheet: Sheet) -> dict[str, Any]:
    """The file form of a sheet (what ``parse_sheet`` reads back)."""

    def anomaly(a: Anomaly | None) -> dict[str, str] | None:
        if a is None:
            return None
        out = {"printed": a.printed, "note_vi": a.note_vi}
        if a.note_en:
            out["note_en"] = a.note_en
        return out

    def node(n: Criterion) -> dict[str, Any]:
        out: dict[str, Any] = {"code": n.code, "text_vi": n.text_vi, "text_en": n.text_en, "max_points": n.max_points}
        if n.anomaly:
            out["anomaly"] = anomaly(n.anomaly)
        if n.condition:
            out["condition"] = {
                "criterion": n.condition.criterion,
                "min_points": n.condition.min_points,
                "note_vi": n.condition.note_vi,
            }
            if n.condition.note_en:
                out["condition"]["note_en"] = n.condition.note_en
        if n.notes_vi:
            out["notes_vi"] = list(n.notes_vi)
        if n.notes_en:
            out["notes_en"] = list(n.notes_en)
        if n.knockout_vi:
            out["knockout_vi"] = list(n.knockout_vi)
        if n.knockout_en:
            out["knockout_en"] = list(n.knockout_en)
        if n.knockout_rules:
            out["knockout_rules"] = [knockout_rule(r) for r in n.knockout_rules]
        if n.cases:
            out["cases"] = {c.code: c.text_vi for c in n.cases}
            if any(c.text_en for c in n.cases):
                out["cases_en"] = {c.code: c.text_en for c in n.cases if c.text_en}
        if n.children:
            out[_CHILD_KEY[n.kind]] = [node(c) for c in n.children]
        else:
            out["options"] = [option(o) for o in n.options]
        if n.anomaly:  # after the options, as in the sheet files
            out["anomaly"] = out.pop("anomaly")
        return {k: v for k, v in out.items() if v is not None}

    def knockout_rule(r: KnockoutRule) -> dict[str, Any]:
        out: dict[str, Any] = {"note": r.note + 1, "decided_by": r.decided_by}
        if r.decided_by == "ticks":
            out["criteria"] = list(r.criteria)
            out["max_points"] = r.max_points
        return out

    def option(o: Option) -> dict[str, Any]:
        out: dict[str, Any] = {"points": o.points}
        if o.star is not None:
            out["star"] = o.star
        if o.case is not None:
            out["case"] = o.case
        out["text_vi"] = o.text_vi
        if o.text_en is not None:
            out["text_en"] = o.text_en
        if o.anomaly:
            out["anomaly"] = anomaly(o.anomaly)
        return out

    data: dict[str, Any] = {
        "format": SHEET_FORMAT,
        "id": sheet.sheet_id,
        "ruleset": sheet.ruleset_id,
        "number": sheet.number,
        "title_vi": sheet.title_vi,
        "title_en": sheet.title_en,
        "heading_vi": sheet.heading_vi,
    }
    c = sheet.classification
    if c is not None:

        def entry(code: str | None, vi: str | None, en: str | None) -> dict[str, Any]:
            return {"code": code, "vi": vi, **({"en": en} if en else {})}

        cls: dict[str, Any] = {
            "sector": entry(c.sector_code, c.sector_vi, c.sector_en),
            "group": entry(c.group_code, c.group_vi, c.group_en),
        }
        if c.subgroup_code:
            cls["subgroup"] = entry(c.subgroup_code, c.subgroup_vi, c.subgroup_en)
        if c.ministry_vi:
            cls["ministry_vi"] = c.ministry_vi
        data["classification"] = cls
    data["classification_line_vi"] = sheet.classification_line_vi
    data["classification_line_en"] = sheet.classification_line_en
    data["source"] = sheet.source
    data["notes"] = list(sheet.notes) or None
    data["dossier_knockouts_vi"] = list(sheet.dossier_knockouts_vi) or None
    data["dossier_knockouts_en"] = list(sheet.dossier_knockouts_en) or None
    data["star_note_vi"] = sheet.star_note_vi
    data["star_note_en"] = sheet.star_note_en
    data["total_points"] = sheet.total_points
    data["parts"] = [
        {
            k: v
            for k, v in {
                "code": p.code,
                "label_vi": p.label_vi,
                "label_en": p.label_en,
                "max_points": p.max_points,
                "anomaly": anomaly(p.anomaly),
                "groups": [node(g) for g in p.groups],
            }.items()
            if v is not None
        }
        for p in sheet.parts
    ]
    return {k: v for k, v in data.items() if v is not None}


def dump_sheet(sheet: Sheet, header: str = "") -> str:
    """The text of a sheet file."""
    return header + dump_yaml(sheet_to_data(sheet))


def save_sheet(sheet: Sheet, path: Path | str) -> Path:
    """Write a sheet file atomically (never over an official sheet: the caller chooses the path)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(dump_sheet(sheet), encoding="utf-8")
    tmp.replace(path)
    return path
