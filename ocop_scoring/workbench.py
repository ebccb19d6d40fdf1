"""The criteria workbench: edit a copy of a sheet, check it as the loader would, compare, version, what-if.

Layer: workbench (above scoring, below the views). Imports: errors, model, criteria_io,
scoring, texts, openpyxl. No widgets.

- Edits take a ``Sheet`` and return an edited ``Sheet`` (frozen objects, ``attrs.evolve``);
  options are renumbered by position after every add, remove or move.
- ``check_sheet`` validates an edited sheet by writing it as a sheet file and reading
  it back with ``criteria_io.parse_sheet``: every rule (maxima, sums, parts, markers,
  codes) is the loader's own code. Keys and lines refer to the written text.
- ``diff_sheets`` lists what an edit changed, one ``Change`` per field.
- ``save_version`` writes an edit as a new named version in the drafts folder, never
  in ``criteria/``; ``list_versions`` and ``load_version`` read them back.
- ``write_sheet_xlsx`` / ``read_sheet_xlsx``: one row per part, group, criterion and
  option for evaluators who prefer Excel; every problem of an imported workbook is
  reported by cell.
- ``what_if`` rescores a session's submitted cards with the edited sheet in place of
  the official one and lists the products whose star (or recognition) would change.

File I/O happens only in ``save_version``, ``list_versions``, ``load_version``,
``load_official`` and the XLSX functions given a path; everything else is pure.
"""

from __future__ import annotations

import io
import os
import re
import unicodedata
import zipfile
from collections.abc import Iterator, Mapping, Sequence
from datetime import UTC, datetime
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np
from attrs import evolve, field, frozen
from openpyxl.worksheet.formula import ArrayFormula, DataTableFormula

from ocop_scoring.criteria_io import default_criteria_dir, dump_sheet, load_rulesets, load_sheet, parse_sheet
from ocop_scoring.errors import CriteriaSheetError, OcopError, Problem, verbatim
from ocop_scoring.explain import round_half_up
from ocop_scoring.model import (
    NOT_MET,
    Anomaly,
    Case,
    Classification,
    Condition,
    Criterion,
    KnockoutRule,
    Option,
    Part,
    RuleSet,
    SessionState,
    Sheet,
)
from ocop_scoring.scoring import NOT_TICKED, CouncilResult, check_options, plan_sheet, score_card, score_session
from ocop_scoring.texts import Texts

VERSION_SEPARATOR = "--"
DERIVED_PREFIX = "derived_from:"
_SLUG_MAX = 40


class WorkbenchError(OcopError):
    """An edit, a version or a what-if that cannot be done as asked."""


class VersionExistsError(WorkbenchError):
    """A version of that name exists already (``replace=True`` replaces it)."""


# --- ids -------------------------------------------------------------------------------------------


def official_id(sheet_id: str) -> str:
    """The official sheet a sheet id derives from.

    >>> official_id("qd26-2026-04--story-4-star"), official_id("qd26-2026-04")
    ('qd26-2026-04', 'qd26-2026-04')
    """
    return sheet_id.split(VERSION_SEPARATOR, 1)[0]


def slugify(name: str) -> str:
    """The file-name form of a version name: ASCII letters, digits and dashes, at most 40 characters.

    >>> slugify("Story: 4★ = option 4!")
    'story-4-option-4'

    Raises:
        WorkbenchError: If nothing usable is left (no letter or digit).
    """
    text = unicodedata.normalize("NFC", str(name)).replace("\u0111", "d").replace("\u0110", "D")
    text = "".join(ch for ch in unicodedata.normalize("NFD", text) if not unicodedata.combining(ch))
    slug = re.sub(r"[^A-Za-z0-9]+", "-", text).strip("-").lower()[:_SLUG_MAX].strip("-")
    if not slug:
        msg = f"version name: expected a name with letters or digits, got {name!r}"
        raise WorkbenchError(msg)
    return slug


# --- edits -----------------------------------------------------------------------------------------

_NODE_FIELDS = frozenset({"text_vi", "text_en", "max_points"})
_PART_FIELDS = frozenset({"label_vi", "label_en", "max_points"})
_OPTION_FIELDS = frozenset({"text_vi", "text_en", "points", "star", "case"})


def _check_fields(changes: Mapping[str, Any], allowed: frozenset[str], what: str) -> None:
    unknown = sorted(set(changes) - allowed)
    if unknown:
        msg = f"{what}: expected fields among {', '.join(sorted(allowed))}, got {', '.join(unknown)}"
        raise WorkbenchError(msg)


def _map_node(sheet: Sheet, code: str, change: Any) -> Sheet:
    """Return ``sheet`` with the node ``code`` replaced by ``change(node)``."""
    found = False

    def walk(node: Criterion) -> Criterion:
        nonlocal found
        if node.code == code:
            found = True
            return change(node)
        if not node.children:
            return node
        children = tuple(walk(c) for c in node.children)
        if all(a is b for a, b in zip(children, node.children, strict=True)):
            return node
        return evolve(node, children=children)

    parts = tuple(evolve(p, groups=tuple(walk(g) for g in p.groups)) for p in sheet.parts)
    if not found:
        msg = f"sheet {sheet.sheet_id}: expected a criterion or group code, got {code!r}"
        raise WorkbenchError(msg)
    return evolve(sheet, parts=parts, sha256="")


def edit_node(sheet: Sheet, code: str, **changes: Any) -> Sheet:
    """Change a group's, criterion's or sub-criterion's ``text_vi``, ``text_en`` or ``max_points``.

    >>> from ocop_scoring.criteria_io import load_library
    >>> s = edit_node(load_library().sheet("qd26-2026-04"), "5.1", text_en="Story")
    >>> s.criterion("5.1").text_en
    'Story'

    Raises:
        WorkbenchError: For an unknown code or field.
    """
    _check_fields(changes, _NODE_FIELDS, f"criterion {code}")
    return _map_node(sheet, code, lambda n: evolve(n, **changes))


def edit_part(sheet: Sheet, code: str, **changes: Any) -> Sheet:
    """Change a part's ``label_vi``, ``label_en`` or ``max_points``.

    Raises:
        WorkbenchError: For an unknown part or field.
    """
    _check_fields(changes, _PART_FIELDS, f"part {code}")
    if code not in {p.code for p in sheet.parts}:
        msg = f"sheet {sheet.sheet_id}: expected a part code ({', '.join(p.code for p in sheet.parts)}), got {code!r}"
        raise WorkbenchError(msg)
    parts = tuple(evolve(p, **changes) if p.code == code else p for p in sheet.parts)
    return evolve(sheet, parts=parts, sha256="")


def _renumber(options: Sequence[Option]) -> tuple[Option, ...]:
    return tuple(o if o.number == i else evolve(o, number=i) for i, o in enumerate(options, start=1))


def _with_options(sheet: Sheet, code: str, change: Any) -> Sheet:
    def apply(node: Criterion) -> Criterion:
        if node.children:
            msg = f"criterion {code}: expected a criterion scored by options, got one scored through its criteria"
            raise WorkbenchError(msg)
        return evolve(node, options=_renumber(change(list(node.options))))

    return _map_node(sheet, code, apply)


def _option_index(options: Sequence[Option], code: str, number: int) -> int:
    if isinstance(number, bool) or not isinstance(number, int) or not 1 <= number <= len(options):
        msg = f"criterion {code}: expected an option between 1 and {len(options)}, got {number!r}"
        raise WorkbenchError(msg)
    return number - 1


def edit_option(sheet: Sheet, code: str, number: int, **changes: Any) -> Sheet:
    """Change an option's ``text_vi``, ``text_en``, ``points``, ``star`` or ``case``.

    ``star`` is set as given (a second marker of the same level is then a problem
    ``check_sheet`` reports); ``set_star_minimum`` moves a marker instead.

    Raises:
        WorkbenchError: For an unknown criterion, option or field.
    """
    _check_fields(changes, _OPTION_FIELDS, f"criterion {code}, option {number}")

    def change(options: list[Option]) -> list[Option]:
        i = _option_index(options, code, number)
        options[i] = evolve(options[i], **changes)
        return options

    return _with_options(sheet, code, change)


def set_star_minimum(sheet: Sheet, code: str, stars: int, number: int | None) -> Sheet:
    """Move the ``stars``★ marker of a criterion to option ``number`` (None: remove it).

    The marked option's points are the minimum the criterion must reach for that
    star. An option carries one marker: a different marker on the target option
    is replaced.

    Raises:
        WorkbenchError: For an unknown criterion or option.
    """

    def change(options: list[Option]) -> list[Option]:
        target = None if number is None else _option_index(options, code, number)
        out = []
        for i, o in enumerate(options):
            if i == target:
                out.append(o if o.star == stars else evolve(o, star=stars))
            elif o.star == stars:
                out.append(evolve(o, star=None))
            else:
                out.append(o)
        return out

    return _with_options(sheet, code, change)


def add_option(
    sheet: Sheet,
    code: str,
    *,
    at: int | None = None,
    points: int = 0,
    text_vi: str = "",
    text_en: str | None = None,
    case: str | None = None,
) -> Sheet:
    """Insert an option at position ``at`` (1-based; default: after the last one).

    Raises:
        WorkbenchError: For an unknown criterion or a position out of range.
    """

    def change(options: list[Option]) -> list[Option]:
        position = len(options) + 1 if at is None else at
        if isinstance(position, bool) or not isinstance(position, int) or not 1 <= position <= len(options) + 1:
            msg = f"criterion {code}: expected a position between 1 and {len(options) + 1}, got {at!r}"
            raise WorkbenchError(msg)
        options.insert(position - 1, Option(position, text_vi, points, text_en, None, case))
        return options

    return _with_options(sheet, code, change)


def remove_option(sheet: Sheet, code: str, number: int) -> Sheet:
    """Remove option ``number``; the options after it move up one number.

    Raises:
        WorkbenchError: For an unknown criterion or option.
    """

    def change(options: list[Option]) -> list[Option]:
        del options[_option_index(options, code, number)]
        return options

    return _with_options(sheet, code, change)


def move_option(sheet: Sheet, code: str, number: int, to: int) -> Sheet:
    """Move option ``number`` to position ``to``; the options between shift by one.

    Raises:
        WorkbenchError: For an unknown criterion, option or position.
    """

    def change(options: list[Option]) -> list[Option]:
        i = _option_index(options, code, number)
        j = _option_index(options, code, to)
        options.insert(j, options.pop(i))
        return options

    return _with_options(sheet, code, change)


def fit_maxima(sheet: Sheet) -> Sheet:
    """Set every maximum from below: a scored criterion's to its best option, a node's to its criteria's sum.

    Parts are left alone: their maxima are the rule set's.
    """

    def fit(node: Criterion) -> Criterion:
        if node.children:
            children = tuple(fit(c) for c in node.children)
            best = sum(c.max_points for c in children)
            return evolve(node, children=children, max_points=best)
        if node.options:
            return evolve(node, max_points=max(o.points for o in node.options))
        return node

    parts = tuple(evolve(p, groups=tuple(fit(g) for g in p.groups)) for p in sheet.parts)
    return evolve(sheet, parts=parts, sha256="")


# --- checking ---------------------------------------------------------------------------------------


def check_sheet(sheet: Sheet, rulesets: Mapping[str, RuleSet] | None = None) -> list[Problem]:
    """Every problem of a sheet, found exactly as the loader finds them in a file.

    The sheet is written as a sheet file (``dump_sheet``) and read back with
    ``parse_sheet``; the problems' lines and keys refer to that text.

    Args:
        sheet: The sheet, typically an edited copy.
        rulesets: Rule sets by id (default: the official ones).
    """
    try:
        checked_sheet(sheet, rulesets)
    except CriteriaSheetError as exc:
        return list(exc.problems)
    return []


def checked_sheet(sheet: Sheet, rulesets: Mapping[str, RuleSet] | None = None) -> Sheet:
    """The sheet as the loader builds it from its file text (options renumbered, text stripped).

    Raises:
        CriteriaSheetError: Listing every problem.
    """
    text = dump_sheet(sheet)
    return parse_sheet(text, f"{sheet.sheet_id}.yaml (edited copy)", rulesets, expected_id=sheet.sheet_id)


_KEY_TOKEN = re.compile(r"([^.\[\]]+)(?:\[([^\]]*)\])?")


def key_path(key: str) -> list[tuple[str, str | None]]:
    """Split a problem key into (name, index) steps; codes with dots stay whole.

    >>> key_path("parts[B].groups[5].criteria[5.1].options[5].points")
    [('parts', 'B'), ('groups', '5'), ('criteria', '5.1'), ('options', '5'), ('points', None)]
    """
    steps: list[tuple[str, str | None]] = []
    pos = 0
    while pos < len(key):
        match = _KEY_TOKEN.match(key, pos)
        if match is None:
            break
        steps.append((match.group(1), match.group(2)))
        pos = match.end()
        if pos < len(key) and key[pos] == ".":
            pos += 1
    return steps


def describe_problem(problem: Problem, texts: Texts, lang: str = "vi") -> str:
    """A problem in plain words: where (part, group, criterion, option, field), what is expected, what is there.

    The expectation is the loader's own wording.
    """
    where = describe_key(problem.key, texts, lang)
    got = problem.got if isinstance(problem.got, str) else repr(problem.got)
    return texts.t("wb_problem", lang).format(where=where, expected=problem.expected, got=got)


def describe_key(key: str, texts: Texts, lang: str = "vi") -> str:
    """A key path in plain words (``Part B › group 5 › criterion 5.1 › option 5 › points`` in English)."""
    words = []
    for name, index in key_path(key):
        if index is not None and name in _STEP_WORDS:
            words.append(texts.t(_STEP_WORDS[name], lang).format(code=index))
        else:
            label = texts.t(f"wb_field_{name}", lang)
            words.append(name if label == f"wb_field_{name}" else label)
    return " › ".join(words) or key


_STEP_WORDS = {
    "parts": "wb_where_part",
    "groups": "wb_where_group",
    "criteria": "wb_where_criterion",
    "sub_criteria": "wb_where_criterion",
    "options": "wb_where_option",
}


# --- differences ------------------------------------------------------------------------------------


@frozen
class Change:
    """One difference between the official sheet and an edited one.

    ``where`` is ``sheet``, ``part``, ``group``, ``criterion`` or ``option``;
    ``code`` the part's or node's code (the criterion's for an option);
    ``option`` the option's number (in the edited sheet, in the official one
    for a removed option); ``field`` the field changed, or ``added`` /
    ``removed`` / ``number`` (an option that moved).
    """

    where: str
    code: str
    option: int | None
    field: str
    old: Any = None
    new: Any = None


_SHEET_FIELDS = (
    "number",
    "title_vi",
    "title_en",
    "heading_vi",
    "classification",
    "classification_line_vi",
    "source",
    "star_note_vi",
    "dossier_knockouts_vi",
    "total_points",
)
_NODE_DIFF_FIELDS = (
    "text_vi",
    "text_en",
    "max_points",
    "notes_vi",
    "knockout_vi",
    "cases",
    "condition",
    "anomaly",
)
_OPTION_DIFF_FIELDS = ("text_vi", "text_en", "points", "star", "case", "anomaly")


def _where(node: Criterion) -> str:
    return "group" if node.kind == "group" else "criterion"


def diff_sheets(official: Sheet, edited: Sheet) -> list[Change]:
    """Every difference from ``official`` to ``edited``, in printed order.

    Nodes are matched by code, options by text (then by position among the
    unmatched ones). The provenance ``notes`` and ids are not compared.
    """
    changes: list[Change] = []
    for name in _SHEET_FIELDS:
        old, new = getattr(official, name), getattr(edited, name)
        if old != new:
            changes.append(Change("sheet", "", None, name, old, new))
    old_parts = {p.code: p for p in official.parts}
    new_parts = {p.code: p for p in edited.parts}
    for part in official.parts:
        other = new_parts.get(part.code)
        if other is None:
            changes.append(Change("part", part.code, None, "removed", part.label_vi, None))
            continue
        for name in ("label_vi", "label_en", "max_points", "anomaly"):
            old, new = getattr(part, name), getattr(other, name)
            if old != new:
                changes.append(Change("part", part.code, None, name, old, new))
    old_nodes = {n.code: n for n in official.nodes()}
    new_nodes = {n.code: n for n in edited.nodes()}
    old_parent = _parents(official)
    new_parent = _parents(edited)
    for part in edited.parts:
        if part.code not in old_parts:
            changes.append(Change("part", part.code, None, "added", None, part.label_vi))
    for node in official.nodes():
        other = new_nodes.get(node.code)
        if other is None:
            changes.append(Change(_where(node), node.code, None, "removed", node.text_vi, None))
            continue
        if old_parent[node.code] != new_parent[node.code]:
            changes.append(
                Change(_where(node), node.code, None, "parent", old_parent[node.code], new_parent[node.code])
            )
        for name in _NODE_DIFF_FIELDS:
            old, new = getattr(node, name), getattr(other, name)
            if old != new:
                changes.append(Change(_where(node), node.code, None, name, old, new))
        changes.extend(_diff_options(node.code, node.options, other.options))
    for node in edited.nodes():
        if node.code not in old_nodes:
            changes.append(Change(_where(node), node.code, None, "added", None, node.text_vi))
            changes.extend(Change("option", node.code, o.number, "added", None, o.text_vi) for o in node.options)
    return changes


def _parents(sheet: Sheet) -> dict[str, str]:
    out: dict[str, str] = {}

    def walk(node: Criterion, parent: str) -> None:
        out[node.code] = parent
        for child in node.children:
            walk(child, node.code)

    for part in sheet.parts:
        for group in part.groups:
            walk(group, part.code)
    return out


def _diff_options(code: str, old: Sequence[Option], new: Sequence[Option]) -> list[Change]:
    if old == new:
        return []
    pairs: list[tuple[Option, Option]] = []
    unmatched_new = list(new)
    unmatched_old: list[Option] = []
    for o in old:
        match = next((n for n in unmatched_new if n.text_vi == o.text_vi), None)
        if match is None:
            unmatched_old.append(o)
        else:
            unmatched_new.remove(match)
            pairs.append((o, match))
    for o, n in zip(unmatched_old, unmatched_new, strict=False):
        pairs.append((o, n))
    removed = unmatched_old[len(unmatched_new) :]
    added = unmatched_new[len(unmatched_old) :]
    changes: list[Change] = []
    for o, n in sorted(pairs, key=lambda pair: pair[1].number):
        if o.number != n.number:
            changes.append(Change("option", code, n.number, "number", o.number, n.number))
        for name in _OPTION_DIFF_FIELDS:
            a, b = getattr(o, name), getattr(n, name)
            if a != b:
                changes.append(Change("option", code, n.number, name, a, b))
    changes.extend(Change("option", code, o.number, "removed", o.text_vi, None) for o in removed)
    changes.extend(Change("option", code, n.number, "added", None, n.text_vi) for n in added)
    return changes


def _show(value: Any, texts: Texts, lang: str) -> str:
    if value is None:
        return "—"
    if isinstance(value, tuple):
        return "; ".join(_show(v, texts, lang) for v in value) or "—"
    if isinstance(value, Anomaly):
        return value.note_en if lang == "en" and value.note_en else value.note_vi
    if isinstance(value, Case):
        return f"{value.code}: {value.text_vi}"
    if isinstance(value, Classification):
        return f"{value.path} {value.subgroup_vi or value.group_vi}"
    if isinstance(value, Condition):
        return texts.t("wb_condition", lang).format(criterion=value.criterion, points=value.min_points)
    return str(value)


def describe_change(change: Change, texts: Texts, lang: str = "vi") -> tuple[str, str, str, str]:
    """A change as four cells: where, what, before, after (in ``lang``)."""
    if change.where == "sheet":
        where = texts.t("wb_where_sheet", lang)
    elif change.where == "part":
        where = texts.t("wb_where_part", lang).format(code=change.code)
    elif change.where == "group":
        where = texts.t("wb_where_group", lang).format(code=change.code)
    else:
        where = texts.t("wb_where_criterion", lang).format(code=change.code)
    if change.where == "option":
        where += " › " + texts.t("wb_where_option", lang).format(code=change.option)
    key = f"wb_field_sheet_{change.field}" if change.where == "sheet" else f"wb_field_{change.field}"
    if texts.t(key, lang) == key:
        key = f"wb_field_{change.field}"
    label = texts.t(key, lang)
    if label == key:
        label = change.field
    if change.field == "star":
        old = "★" * change.old if change.old else "—"
        new = "★" * change.new if change.new else "—"
        return where, label, old, new
    return where, label, _show(change.old, texts, lang), _show(change.new, texts, lang)


# --- versions ---------------------------------------------------------------------------------------


@frozen
class Version:
    """A saved named version of a sheet: ``<drafts>/<ruleset>/<official id>--<slug>.yaml``."""

    path: Path
    sheet_id: str
    official_id: str
    ruleset_id: str
    slug: str


def default_drafts_dir() -> Path:
    """Where versions are saved: ``$OCOP_DRAFTS_DIR``, else ``$XDG_DATA_HOME/ocop-scoring/criteria-drafts``."""
    env = os.environ.get("OCOP_DRAFTS_DIR")
    if env:
        return Path(env)
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "ocop-scoring" / "criteria-drafts"


def drafts_root(drafts_dir: Path | str | None = None) -> Path:
    """The drafts folder to use, refusing any folder inside the official criteria folder.

    Raises:
        WorkbenchError: If the folder is (inside) the criteria folder.
    """
    root = Path(drafts_dir) if drafts_dir is not None else default_drafts_dir()
    resolved = root.expanduser().resolve()
    official = default_criteria_dir().resolve()
    if resolved == official or official in resolved.parents:
        msg = f"drafts folder: expected a folder outside the official criteria folder {official}, got {resolved}"
        raise WorkbenchError(msg)
    return resolved


def derived_from(sheet: Sheet) -> tuple[str, str, str] | None:
    """(official id, its sha256, when) from a version's provenance note, if it has one."""
    for note in sheet.notes:
        if note.startswith(DERIVED_PREFIX):
            match = re.match(rf"{DERIVED_PREFIX} (\S+) sha256:([0-9a-f]*) saved:(\S+)", note)
            if match:
                return match.group(1), match.group(2), match.group(3)
    return None


def load_official(sheet_id: str, ruleset_id: str, rulesets: Mapping[str, RuleSet] | None = None) -> Sheet:
    """The official sheet a version derives from, from the official criteria folder.

    Raises:
        CriteriaSheetError: If it cannot be read.
    """
    return load_sheet(default_criteria_dir() / ruleset_id / f"{official_id(sheet_id)}.yaml", rulesets)


def save_version(
    sheet: Sheet,
    name: str,
    drafts_dir: Path | str | None = None,
    *,
    official: Sheet | None = None,
    rulesets: Mapping[str, RuleSet] | None = None,
    replace: bool = False,
    texts: Texts | None = None,
) -> Path:
    """Save an edited sheet as a new named version (never over an official sheet).

    Writes ``<drafts>/<ruleset>/<official id>--<slug(name)>.yaml`` with the sheet's id
    changed to match and a first ``notes`` line naming the official sheet, its
    sha256, the time and the name.

    Args:
        sheet: The edited sheet (its id is the official id or an earlier version's).
        name: The version's name, as a person typed it.
        drafts_dir: The drafts folder (default: ``default_drafts_dir()``).
        official: The official sheet it derives from (default: read from the criteria folder).
        rulesets: Rule sets by id (default: the official ones).
        replace: Replace an existing version of that name.
        texts: The packaged texts (the note's wording).

    Raises:
        WorkbenchError: For an empty name, an existing version (unless ``replace``),
            a drafts folder inside the criteria folder.
        CriteriaSheetError: If the sheet has problems (nothing is written).
    """
    from ocop_scoring.texts import load_texts

    texts = texts or load_texts()
    slug = slugify(name)
    base = official_id(sheet.sheet_id)
    rulesets = rulesets if rulesets is not None else load_rulesets()
    if official is None:
        official = load_official(base, sheet.ruleset_id, rulesets)
    if official.sheet_id != base:
        msg = f"official sheet: expected {base}, got {official.sheet_id}"
        raise WorkbenchError(msg)
    root = drafts_root(drafts_dir)
    new_id = f"{base}{VERSION_SEPARATOR}{slug}"
    folder = root / sheet.ruleset_id
    path = folder / f"{new_id}.yaml"
    if path.exists() and not replace:
        msg = (
            f"version name: expected a name not used yet for {base} (choose another name), got {name!r} ({path} exists)"
        )
        raise VersionExistsError(msg)
    at = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    words = " / ".join(
        texts.t("wb_derived_note", lang).format(name=name.strip(), sheet=base, at=at) for lang in ("vi", "en")
    )
    note = f"{DERIVED_PREFIX} {base} sha256:{official.sha256} saved:{at} — {words}"
    notes = (note, *(n for n in sheet.notes if not n.startswith(DERIVED_PREFIX)))
    draft = evolve(sheet, sheet_id=new_id, notes=notes, sha256="")
    problems = check_sheet(draft, rulesets)
    if problems:
        raise CriteriaSheetError(str(path), problems)
    folder.mkdir(parents=True, exist_ok=True)
    tmp = folder / f".{new_id}.{os.getpid()}.tmp"
    tmp.write_text(dump_sheet(draft), encoding="utf-8")
    try:
        if replace:
            tmp.replace(path)
        else:
            try:
                os.link(tmp, path)  # atomic and exclusive: never replaces a version saved meanwhile
            except FileExistsError:
                msg = f"version name: expected a name not used yet for {base}, got {name!r} ({path} exists)"
                raise VersionExistsError(msg) from None
    finally:
        tmp.unlink(missing_ok=True)
    return path


def list_versions(drafts_dir: Path | str | None = None) -> list[Version]:
    """Every saved version in the drafts folder, by rule set and id (read from the file names only)."""
    root = drafts_root(drafts_dir)
    if not root.is_dir():
        return []
    out = []
    for folder in sorted(p for p in root.iterdir() if p.is_dir()):
        for path in sorted(folder.glob("*.yaml")):
            stem = path.stem
            if VERSION_SEPARATOR not in stem:
                continue
            base, slug = stem.split(VERSION_SEPARATOR, 1)
            out.append(Version(path, stem, base, folder.name, slug))
    return out


def load_version(path: Path | str, rulesets: Mapping[str, RuleSet] | None = None) -> Sheet:
    """Load a saved version (checked like any sheet file).

    Raises:
        CriteriaSheetError: Listing every problem of the file.
    """
    return load_sheet(path, rulesets)


# --- XLSX -------------------------------------------------------------------------------------------

XLSX_FORMAT = "ocop-criteria-xlsx/2"
XLSX_FORMATS_READ = ("ocop-criteria-xlsx/1", XLSX_FORMAT)  # /1 had no notes_en column nor English meta keys
XLSX_COLUMNS = ("kind", "code", "option", "text_vi", "text_en", "points", "star", "case", "notes", "notes_en")
XLSX_CRITERIA = "criteria"
XLSX_META = "sheet"
XLSX_MAX_BYTES = 5 * 1024 * 1024
XLSX_MAX_UNZIPPED = 50 * 1024 * 1024
XLSX_MAX_ROWS = 5000
XLSX_MAX_CELL = 4000
XLSX_KINDS = (
    "part",
    "group",
    "criterion",
    "sub_criterion",
    "option",
    "case",
    "condition",
    "knockout",
    "knockout_rule",
    "anomaly",
)
_NODE_KINDS = ("group", "criterion", "sub_criterion")
_COL = {name: chr(ord("A") + i) for i, name in enumerate(XLSX_COLUMNS)}
_FIELD_COLUMN = {
    "points": "points",
    "max_points": "points",
    "min_points": "points",
    "text_vi": "text_vi",
    "label_vi": "text_vi",
    "note_vi": "text_vi",
    "text_en": "text_en",
    "label_en": "text_en",
    "note_en": "text_en",
    "star": "star",
    "case": "case",
    "code": "code",
    "criterion": "code",
    "options": "option",
    "notes_vi": "notes",
    "notes_en": "notes_en",
    "printed": "notes",
    "decided_by": "text_vi",
    "criteria": "code",
    "note": "option",
}
_META_KEYS = (
    "format",
    "id",
    "ruleset",
    "number",
    "title_vi",
    "title_en",
    "heading_vi",
    "classification.sector.code",
    "classification.sector.vi",
    "classification.group.code",
    "classification.group.vi",
    "classification.subgroup.code",
    "classification.subgroup.vi",
    "classification.ministry_vi",
    "classification.sector.en",
    "classification.group.en",
    "classification.subgroup.en",
    "classification_line_vi",
    "classification_line_en",
    "source",
    "star_note_vi",
    "star_note_en",
    "total_points",
    "note",
    "dossier_knockout_vi",
    "dossier_knockout_en",
)
_META_REPEATED = ("note", "dossier_knockout_vi", "dossier_knockout_en")


def _xlsx_rows(sheet: Sheet) -> Iterator[dict[str, Any]]:
    def anomaly(a: Anomaly | None) -> Iterator[dict[str, Any]]:
        if a is not None:
            yield {"kind": "anomaly", "text_vi": a.note_vi, "text_en": a.note_en or None, "notes": a.printed}

    def node(n: Criterion) -> Iterator[dict[str, Any]]:
        yield {
            "kind": n.kind,
            "code": n.code,
            "text_vi": n.text_vi,
            "text_en": n.text_en,
            "points": n.max_points,
            "notes": "\n".join(n.notes_vi) or None,
            "notes_en": "\n".join(n.notes_en) or None,
        }
        yield from anomaly(n.anomaly)
        if n.condition is not None:
            yield {
                "kind": "condition",
                "code": n.condition.criterion,
                "points": n.condition.min_points,
                "text_vi": n.condition.note_vi,
                "text_en": n.condition.note_en or None,
            }
        for c in n.cases:
            yield {"kind": "case", "code": c.code, "text_vi": c.text_vi, "text_en": c.text_en}
        for i, k in enumerate(n.knockout_vi):
            yield {"kind": "knockout", "text_vi": k, "text_en": n.knockout_en[i] if i < len(n.knockout_en) else None}
        for rule in n.knockout_rules:
            yield {
                "kind": "knockout_rule",
                "option": rule.note + 1,
                "text_vi": rule.decided_by,
                "code": ", ".join(rule.criteria) or None,
                "points": rule.max_points if rule.decided_by == "ticks" else None,
            }
        for o in n.options:
            yield {
                "kind": "option",
                "code": n.code,
                "option": o.number,
                "text_vi": o.text_vi,
                "text_en": o.text_en,
                "points": o.points,
                "star": o.star,
                "case": o.case,
            }
            yield from anomaly(o.anomaly)
        for c in n.children:
            yield from node(c)

    for part in sheet.parts:
        yield {
            "kind": "part",
            "code": part.code,
            "text_vi": part.label_vi,
            "text_en": part.label_en,
            "points": part.max_points,
        }
        yield from anomaly(part.anomaly)
        for group in part.groups:
            yield from node(group)


def _meta_rows(sheet: Sheet) -> list[tuple[str, Any]]:
    c = sheet.classification
    rows: list[tuple[str, Any]] = [
        ("format", XLSX_FORMAT),
        ("id", sheet.sheet_id),
        ("ruleset", sheet.ruleset_id),
        ("number", sheet.number),
        ("title_vi", sheet.title_vi),
        ("title_en", sheet.title_en),
        ("heading_vi", sheet.heading_vi),
    ]
    if c is not None:
        rows += [
            ("classification.sector.code", c.sector_code),
            ("classification.sector.vi", c.sector_vi),
            ("classification.group.code", c.group_code),
            ("classification.group.vi", c.group_vi),
            ("classification.subgroup.code", c.subgroup_code),
            ("classification.subgroup.vi", c.subgroup_vi),
            ("classification.ministry_vi", c.ministry_vi),
            ("classification.sector.en", c.sector_en),
            ("classification.group.en", c.group_en),
            ("classification.subgroup.en", c.subgroup_en),
        ]
    rows += [
        ("classification_line_vi", sheet.classification_line_vi),
        ("classification_line_en", sheet.classification_line_en),
        ("source", sheet.source),
        ("star_note_vi", sheet.star_note_vi),
        ("star_note_en", sheet.star_note_en),
        ("total_points", sheet.total_points),
    ]
    rows += [("note", n) for n in sheet.notes]
    rows += [("dossier_knockout_vi", k) for k in sheet.dossier_knockouts_vi]
    rows += [("dossier_knockout_en", k) for k in sheet.dossier_knockouts_en]
    return [(k, v) for k, v in rows if v is not None]


def sheet_to_xlsx(sheet: Sheet) -> bytes:
    """The sheet as an XLSX workbook: worksheet ``criteria`` (one row per part, group, criterion,
    option and note) and worksheet ``sheet`` (the sheet's own fields)."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Side

    thin = Side(style="thin", color="A6A6A6")
    border = Border(left=thin, right=thin, top=thin, bottom=thin)
    fills = {
        "header": PatternFill("solid", fgColor="D9E1F2"),
        "part": PatternFill("solid", fgColor="D9D9D9"),
        "group": PatternFill("solid", fgColor="EDEDED"),
    }
    wrap = Alignment(wrap_text=True, vertical="top")
    top = Alignment(vertical="top")
    wb = Workbook()
    ws = wb.active
    ws.title = XLSX_CRITERIA
    for i, name in enumerate(XLSX_COLUMNS, start=1):
        cell = ws.cell(row=1, column=i, value=name)
        cell.font = Font(bold=True)
        cell.fill = fills["header"]
        cell.border = border
    widths = {"kind": 13, "code": 9, "option": 7, "text_vi": 70, "text_en": 50, "points": 8, "star": 6, "case": 6}
    for name, width in {**widths, "notes": 40, "notes_en": 40}.items():
        ws.column_dimensions[_COL[name]].width = width
    ws.freeze_panes = "A2"
    for r, row in enumerate(_xlsx_rows(sheet), start=2):
        kind = row["kind"]
        for i, name in enumerate(XLSX_COLUMNS, start=1):
            value = row.get(name)
            cell = ws.cell(row=r, column=i)
            _put(cell, value)
            cell.border = border
            cell.alignment = wrap if name in ("text_vi", "text_en", "notes", "notes_en") else top
            if kind in fills:
                cell.fill = fills[kind]
            if kind in ("part", "group", "criterion", "sub_criterion"):
                cell.font = Font(bold=True)
            elif kind not in ("option",):
                cell.font = Font(italic=True, color="595959")
    meta = wb.create_sheet(XLSX_META)
    meta.column_dimensions["A"].width = 30
    meta.column_dimensions["B"].width = 110
    for r, (key, value) in enumerate(_meta_rows(sheet), start=1):
        meta.cell(row=r, column=1, value=key).font = Font(bold=True)
        cell = meta.cell(row=r, column=2)
        _put(cell, value)
        cell.alignment = wrap
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _put(cell: Any, value: Any) -> None:
    cell.value = value
    if isinstance(value, str) and value.startswith("="):
        cell.data_type = "s"  # a text, never a formula


def write_sheet_xlsx(sheet: Sheet, path: Path | str) -> Path:
    """Write ``sheet_to_xlsx(sheet)`` to a file."""
    path = Path(path)
    path.write_bytes(sheet_to_xlsx(sheet))
    return path


class _Cells:
    """Problems located by cell, collected while an imported workbook is read; each helper returns a
    placeholder (None) after reporting, so that reading goes on and every problem is found."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.problems: list[Problem] = []

    def add(self, row: int | None, ref: str, expected: str, got: object) -> None:
        self.problems.append(Problem(self.name, row, ref, expected, got))

    def raw(self, value: Any, row: int, ref: str) -> Any:
        if isinstance(value, _Formula):
            self.add(row, ref, "a typed value, not a formula", value.shown)
            return None
        if isinstance(value, str):
            if len(value) > XLSX_MAX_CELL:
                self.add(row, ref, f"at most {XLSX_MAX_CELL:,} characters", _shown(value))
                return None
            return unicodedata.normalize("NFC", value).strip() or None
        return value

    def text(self, value: Any, row: int, ref: str) -> str | None:
        value = self.raw(value, row, ref)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            self.add(row, ref, "a text", _shown(str(value)))
            return None
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        return str(value)

    def code(self, value: Any, row: int, ref: str) -> str | None:
        value = self.raw(value, row, ref)
        if value is None:
            return None
        if isinstance(value, float):
            self.add(
                row,
                ref,
                "a code typed as text (in Excel, type '1.1 with an apostrophe)",
                verbatim(f"the number {value!r}"),
            )
            return None
        if isinstance(value, bool) or not isinstance(value, str | int):
            self.add(row, ref, "a code", _shown(str(value)))
            return None
        return str(value)

    def whole(self, value: Any, row: int, ref: str) -> int | None:
        value = self.raw(value, row, ref)
        if value is None:
            return None
        number: int | None = None
        if isinstance(value, int) and not isinstance(value, bool):
            number = value
        elif (isinstance(value, float) and value.is_integer()) or (isinstance(value, str) and value.isdigit()):
            number = int(value)
        if number is None or number < 0:
            self.add(row, ref, "a whole number >= 0", _shown(value))
            return None
        return number


def _shown(value: object, limit: int = 40) -> object:
    if isinstance(value, str) and len(value) > limit:
        return verbatim(f"{len(value):,} characters starting {value[:limit]!r}…")
    return value


@frozen
class _Formula:
    shown: str


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _check_xlsx_bytes(data: bytes, cells: _Cells) -> bool:
    mb = XLSX_MAX_BYTES // (1024 * 1024)
    if len(data) > XLSX_MAX_BYTES:
        cells.add(None, "file", f"an XLSX file of at most {mb} MB", verbatim(f"{len(data):,} bytes"))
        return False
    if data.startswith(b"\xd0\xcf\x11\xe0"):
        cells.add(None, "file", "an XLSX workbook (.xlsx)", verbatim("an old .xls or a password-protected workbook"))
        return False
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            unzipped = sum(info.file_size for info in zf.infolist())
    except (zipfile.BadZipFile, OSError):
        cells.add(None, "file", "an XLSX workbook (.xlsx)", verbatim("a file that is not XLSX"))
        return False
    if unzipped > XLSX_MAX_UNZIPPED:
        cells.add(
            None,
            "file",
            f"an XLSX workbook of at most {XLSX_MAX_UNZIPPED // (1024 * 1024)} MB unpacked",
            verbatim(f"{unzipped:,} bytes"),
        )
        return False
    return True


def _worksheet_rows(ws: Any, width: int, cells: _Cells, prefix: str) -> list[tuple[int, list[Any]]]:
    """(row number, values) of each non-empty row; a formula cell's value is a ``_Formula``."""
    out = []
    for r, row in enumerate(ws.iter_rows(max_col=width), start=1):
        values: list[Any] = []
        for cell in row:
            value = getattr(cell, "value", None)
            if getattr(cell, "data_type", None) == "f" or isinstance(value, ArrayFormula | DataTableFormula):
                text = value if isinstance(value, str) else getattr(value, "text", None) or str(value)
                value = _Formula(verbatim(f"the formula {text[:40]}"))
            values.append(value)
        values += [None] * (width - len(values))
        if all(_blank(v) for v in values):
            continue
        if r > XLSX_MAX_ROWS:
            cells.add(r, f"{prefix}A{r}", f"at most {XLSX_MAX_ROWS:,} rows", verbatim("more"))
            break
        out.append((r, values))
    return out


def read_sheet_xlsx(
    source: bytes | Path | str,
    rulesets: Mapping[str, RuleSet] | None = None,
    *,
    name: str | None = None,
) -> Sheet:
    """Read a sheet from an XLSX workbook made by ``sheet_to_xlsx`` (and edited in Excel).

    The sheet built from the cells then goes through ``check_sheet``; each of its
    problems is reported at the cell it comes from.

    Args:
        source: The workbook's bytes, or a path.
        rulesets: Rule sets by id (default: the official ones).
        name: The name to show in problems (default: the path, or ``upload.xlsx``).

    Raises:
        CriteriaSheetError: Listing every problem as ``name:row: CELL: expected …, got …``:
            not an XLSX file or over 5 MB, a formula, an unknown kind, a number that is
            not whole, a row out of place, and every rule of a sheet file.
    """
    from openpyxl import load_workbook

    if isinstance(source, bytes | bytearray | memoryview):
        data, shown = bytes(source), name or "upload.xlsx"
    else:
        path = Path(source)
        shown = name or str(path)
        try:
            size = path.stat().st_size
            if size > XLSX_MAX_BYTES:
                mb = XLSX_MAX_BYTES // (1024 * 1024)
                problem = Problem(shown, None, "file", f"an XLSX file of at most {mb} MB", verbatim(f"{size:,} bytes"))
                raise CriteriaSheetError(shown, [problem])
            data = path.read_bytes()
        except OSError as exc:
            raise CriteriaSheetError(
                shown, [Problem(shown, None, "file", "a readable file", verbatim(exc.strerror or str(exc)))]
            ) from None
    cells = _Cells(shown)
    if not _check_xlsx_bytes(data, cells):
        raise CriteriaSheetError(shown, cells.problems)
    try:
        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    except Exception as exc:  # noqa: BLE001 - openpyxl raises many kinds for a damaged or foreign file
        raise CriteriaSheetError(
            shown, [Problem(shown, None, "file", "an XLSX workbook", verbatim(f"an unreadable workbook ({exc})"))]
        ) from None
    try:
        missing = [n for n in (XLSX_CRITERIA, XLSX_META) if n not in wb.sheetnames]
        for ws_name in missing:
            cells.add(
                None,
                ws_name,
                f"a worksheet named {ws_name!r} (a workbook exported by the workbench)",
                verbatim(f"worksheets {', '.join(wb.sheetnames)}"),
            )
        if missing:
            raise CriteriaSheetError(shown, cells.problems)
        meta_rows = _worksheet_rows(wb[XLSX_META], 2, cells, f"{XLSX_META}!")
        rows = _worksheet_rows(wb[XLSX_CRITERIA], len(XLSX_COLUMNS), cells, "")
    finally:
        wb.close()
    builder = _XlsxBuilder(cells)
    make_sheet = builder.meta(meta_rows)
    parts = builder.criteria(rows)
    if cells.problems or make_sheet is None or parts is None:
        raise CriteriaSheetError(shown, cells.problems)
    sheet = make_sheet(parts)
    problems = check_sheet(sheet, rulesets)
    if problems:
        raise CriteriaSheetError(shown, [builder.locate(p) for p in problems])
    return checked_sheet(sheet, rulesets)


class _XlsxBuilder:
    """Builds a Sheet from the rows of an imported workbook; remembers each key's row for problems."""

    def __init__(self, cells: _Cells) -> None:
        self.cells = cells
        self.rows: dict[str, int] = {}
        self.meta_rows: dict[str, int] = {}

    def meta(self, rows: list[tuple[int, list[Any]]]) -> Any:
        """Read worksheet ``sheet``; return a function parts -> Sheet (None after problems)."""
        cells = self.cells
        values: dict[str, Any] = {}
        repeated: dict[str, list[str]] = {k: [] for k in _META_REPEATED}
        for r, (key_cell, value) in rows:
            key = cells.text(key_cell, r, f"{XLSX_META}!A{r}")
            if key is None:
                continue
            if key not in _META_KEYS:
                cells.add(r, f"{XLSX_META}!A{r}", f"one of the keys {', '.join(_META_KEYS)}", _shown(key))
                continue
            ref = f"{XLSX_META}!B{r}"
            got: Any = cells.whole(value, r, ref) if key in ("number", "total_points") else cells.text(value, r, ref)
            if key in repeated:
                if got is not None:
                    repeated[key].append(got)
                continue
            if key in values:
                cells.add(
                    r,
                    f"{XLSX_META}!A{r}",
                    "each key once",
                    verbatim(f"a second {key!r} (first on row {self.meta_rows[key]})"),
                )
                continue
            values[key] = got
            self.meta_rows[key] = r
        if values.get("format") not in XLSX_FORMATS_READ:
            row = self.meta_rows.get("format")
            cells.add(
                row,
                f"{XLSX_META}!B{row}" if row else f"{XLSX_META}!format",
                f"format {XLSX_FORMAT!r} (a workbook exported by the workbench)",
                values.get("format") or verbatim("nothing"),
            )
        for key in ("id", "ruleset", "title_vi", "source", "total_points"):
            if values.get(key) is None:
                row = self.meta_rows.get(key)
                cells.add(
                    row,
                    f"{XLSX_META}!B{row}" if row else f"{XLSX_META}!{key}",
                    f"a value for {key}",
                    verbatim("nothing"),
                )
        if cells.problems:
            return None
        classification = None
        if values.get("classification.sector.code") is not None or values.get("classification.group.code") is not None:
            classification = Classification(
                values.get("classification.sector.code") or "",
                values.get("classification.sector.vi") or "",
                values.get("classification.group.code") or "",
                values.get("classification.group.vi") or "",
                values.get("classification.subgroup.code"),
                values.get("classification.subgroup.vi"),
                values.get("classification.ministry_vi"),
                values.get("classification.sector.en"),
                values.get("classification.group.en"),
                values.get("classification.subgroup.en"),
            )

        def build(parts: tuple[Part, ...]) -> Sheet:
            return Sheet(
                sheet_id=values["id"],
                ruleset_id=values["ruleset"],
                title_vi=values["title_vi"],
                source=values["source"],
                parts=parts,
                number=values.get("number"),
                title_en=values.get("title_en"),
                heading_vi=values.get("heading_vi"),
                classification=classification,
                classification_line_vi=values.get("classification_line_vi"),
                dossier_knockouts_vi=tuple(repeated["dossier_knockout_vi"]),
                star_note_vi=values.get("star_note_vi"),
                total_points=values["total_points"],
                notes=tuple(repeated["note"]),
                dossier_knockouts_en=tuple(repeated["dossier_knockout_en"]),
                star_note_en=values.get("star_note_en"),
                classification_line_en=values.get("classification_line_en"),
            )

        return build

    def criteria(self, rows: list[tuple[int, list[Any]]]) -> tuple[Part, ...] | None:
        """Read worksheet ``criteria`` into parts (None after problems)."""
        cells = self.cells
        header = [str(v).strip() if v is not None else "" for v in rows[0][1]] if rows and rows[0][0] == 1 else None
        if header is not None and header[-1] == "" and header[:-1] == list(XLSX_COLUMNS[:-1]):
            header[-1] = "notes_en"  # a workbook of format /1, written before the English notes column
        if header != list(XLSX_COLUMNS):
            cells.add(
                1, "A1", f"the header row {', '.join(XLSX_COLUMNS)}", _shown(", ".join(header or []) or "nothing", 80)
            )
            return None
        parts: list[dict[str, Any]] = []
        part: dict[str, Any] | None = None
        group: dict[str, Any] | None = None
        criterion: dict[str, Any] | None = None
        last_node: dict[str, Any] | None = None
        last_any: dict[str, Any] | None = None
        for r, raw in rows[1:]:
            v = dict(zip(XLSX_COLUMNS, raw, strict=True))

            def at(name: str, r: int = r, v: dict[str, Any] = v) -> tuple[Any, int, str]:
                return v[name], r, f"{_COL[name]}{r}"

            kind = cells.text(*at("kind"))
            if kind not in XLSX_KINDS:
                cells.add(
                    r, f"A{r}", f"a kind among {', '.join(XLSX_KINDS)}", _shown(kind) if kind else verbatim("nothing")
                )
                continue
            unused: tuple[str, ...] = ()
            if kind == "part":
                part = {
                    "row": r,
                    "code": cells.code(*at("code")),
                    "label_vi": cells.text(*at("text_vi")) or "",
                    "label_en": cells.text(*at("text_en")),
                    "max": cells.whole(*at("points")),
                    "groups": [],
                    "anomaly": None,
                }
                if part["code"] is None and _blank(v["code"]):
                    cells.add(r, f"B{r}", "the part's code (A, B, C)", verbatim("nothing"))
                parts.append(part)
                group = criterion = last_node = None
                last_any = part
                unused = ("option", "star", "case", "notes")
            elif kind in _NODE_KINDS:
                parent = {"group": part, "criterion": group, "sub_criterion": criterion}[kind]
                if parent is None:
                    above = {"group": "part", "criterion": "group", "sub_criterion": "criterion"}[kind]
                    cells.add(r, f"A{r}", f"a {kind} row below a {above} row", kind)
                    continue
                notes = cells.text(*at("notes")) or ""
                notes_en = cells.text(*at("notes_en")) or ""
                node = {
                    "row": r,
                    "kind": kind,
                    "code": cells.code(*at("code")),
                    "text_vi": cells.text(*at("text_vi")) or "",
                    "text_en": cells.text(*at("text_en")),
                    "max": cells.whole(*at("points")),
                    "notes": tuple(line.strip() for line in notes.split("\n") if line.strip()),
                    "notes_en": tuple(line.strip() for line in notes_en.split("\n") if line.strip()),
                    "options": [],
                    "children": [],
                    "cases": [],
                    "knockout": [],
                    "knockout_en": [],
                    "knockout_rules": [],
                    "condition": None,
                    "anomaly": None,
                }
                if node["code"] is None and _blank(v["code"]):
                    cells.add(r, f"B{r}", f"the {kind}'s code", verbatim("nothing"))
                parent["groups" if kind == "group" else "children"].append(node)
                if kind == "group":
                    group, criterion = node, None
                elif kind == "criterion":
                    criterion = node
                last_node = last_any = node
                unused = ("option", "star", "case")
            elif kind == "anomaly":
                if last_any is None:
                    cells.add(r, f"A{r}", "an anomaly row below the part, criterion or option it is about", kind)
                    continue
                last_any["anomaly"] = {
                    "row": r,
                    "note_vi": cells.text(*at("text_vi")) or "",
                    "note_en": cells.text(*at("text_en")) or "",
                    "printed": cells.text(*at("notes")) or "",
                }
                unused = ("code", "option", "points", "star", "case", "notes_en")
            elif last_node is None:
                cells.add(r, f"A{r}", f"a {kind} row below the group or criterion it belongs to", kind)
                continue
            elif kind == "option":
                number = cells.whole(*at("option"))
                expected = len(last_node["options"]) + 1
                if number != expected and not (number is None and not _blank(v["option"])):
                    cells.add(
                        r,
                        f"C{r}",
                        f"{expected} (options are numbered 1, 2, 3 … in order under their criterion)",
                        number if number is not None else verbatim("nothing"),
                    )
                code = cells.code(*at("code"))
                if code is not None and code != last_node["code"]:
                    cells.add(r, f"B{r}", f"the code of the criterion above ({last_node['code']}) or nothing", code)
                option = {
                    "row": r,
                    "text_vi": cells.text(*at("text_vi")) or "",
                    "text_en": cells.text(*at("text_en")),
                    "points": cells.whole(*at("points")),
                    "star": cells.whole(*at("star")),
                    "case": cells.text(*at("case")),
                    "anomaly": None,
                }
                if option["points"] is None and _blank(v["points"]):
                    cells.add(r, f"F{r}", "the option's points (a whole number >= 0)", verbatim("nothing"))
                last_node["options"].append(option)
                last_any = option
                unused = ("notes", "notes_en")
            elif kind == "case":
                code = cells.code(*at("code"))
                if code is None:
                    if _blank(v["code"]):
                        cells.add(r, f"B{r}", "the case's code (a, b)", verbatim("nothing"))
                    continue
                last_node["cases"].append(
                    {
                        "row": r,
                        "code": code,
                        "text_vi": cells.text(*at("text_vi")) or "",
                        "text_en": cells.text(*at("text_en")),
                    }
                )
                unused = ("option", "points", "star", "case", "notes", "notes_en")
            elif kind == "condition":
                if last_node["condition"] is not None:
                    first = last_node["condition"]["row"]
                    cells.add(r, f"A{r}", "one condition per criterion", verbatim(f"a second (first on row {first})"))
                    continue
                crit = cells.code(*at("code"))
                points = cells.whole(*at("points"))
                if crit is None and _blank(v["code"]):
                    cells.add(r, f"B{r}", "the code of the criterion the condition depends on", verbatim("nothing"))
                if points is None and _blank(v["points"]):
                    cells.add(r, f"F{r}", "the points that criterion must reach", verbatim("nothing"))
                last_node["condition"] = {
                    "row": r,
                    "criterion": crit,
                    "min_points": points,
                    "note_vi": cells.text(*at("text_vi")) or "",
                    "note_en": cells.text(*at("text_en")) or "",
                }
                unused = ("option", "star", "case", "notes", "notes_en")
            elif kind == "knockout_rule":
                decided_by = cells.text(*at("text_vi"))
                if decided_by not in ("ticks", "council"):
                    cells.add(r, f"D{r}", "ticks or council (who decides the rule)", _shown(decided_by or "nothing"))
                    continue
                note = cells.whole(*at("option"))
                criteria = cells.text(*at("code")) or ""
                points = cells.whole(*at("points"))
                last_node["knockout_rules"].append(
                    KnockoutRule(
                        (note or 1) - 1,
                        decided_by,
                        tuple(c.strip() for c in criteria.split(",") if c.strip()),
                        points or 0,
                    )
                )
                unused = ("star", "case", "notes", "notes_en")
            else:  # knockout
                text = cells.text(*at("text_vi"))
                if text:
                    last_node["knockout"].append(text)
                    en = cells.text(*at("text_en"))
                    if en:
                        last_node["knockout_en"].append(en)
                unused = ("code", "option", "points", "star", "case", "notes", "notes_en")
            for name in unused:
                if not _blank(v[name]):
                    cells.add(r, f"{_COL[name]}{r}", f"nothing in {name} on a {kind} row", _shown(v[name]))
        if not parts and not cells.problems:
            cells.add(2, "A2", "part rows (kind part), each followed by its groups", verbatim("none"))
        if cells.problems:
            return None
        return tuple(self._part(p) for p in parts)

    def _anomaly(self, raw: dict[str, Any] | None, key: str) -> Anomaly | None:
        if raw is None:
            return None
        self.rows[f"{key}.anomaly"] = raw["row"]
        return Anomaly(raw["printed"], raw["note_vi"], raw["note_en"])

    def _part(self, raw: dict[str, Any]) -> Part:
        key = f"parts[{raw['code']}]"
        self.rows[key] = raw["row"]
        groups = tuple(self._node(g, key, "groups") for g in raw["groups"])
        return Part(
            raw["code"], raw["label_vi"], raw["max"], groups, raw["label_en"], self._anomaly(raw["anomaly"], key)
        )

    def _node(self, raw: dict[str, Any], parent_key: str, list_name: str) -> Criterion:
        key = f"{parent_key}.{list_name}[{raw['code']}]"
        self.rows[key] = raw["row"]
        if raw["options"] and raw["children"]:
            self.cells.add(
                raw["row"],
                f"A{raw['row']}",
                "a node scored either by its options or by the criteria below it, not both",
                verbatim("both"),
            )
        options = []
        for i, o in enumerate(raw["options"], start=1):
            okey = f"{key}.options[{i}]"
            self.rows[okey] = o["row"]
            options.append(
                Option(
                    i, o["text_vi"], o["points"], o["text_en"], o["star"], o["case"], self._anomaly(o["anomaly"], okey)
                )
            )
        for c in raw["cases"]:
            self.rows.setdefault(f"{key}.cases", c["row"])
            self.rows[f"{key}.cases.{c['code']}"] = c["row"]
        condition = None
        if raw["condition"] is not None:
            cond = raw["condition"]
            self.rows[f"{key}.condition"] = cond["row"]
            condition = Condition(cond["criterion"], cond["min_points"], cond["note_vi"], cond["note_en"])
        child_list = "criteria" if raw["kind"] == "group" else "sub_criteria"
        return Criterion(
            code=raw["code"],
            kind=raw["kind"],
            text_vi=raw["text_vi"],
            max_points=raw["max"],
            text_en=raw["text_en"],
            options=tuple(options),
            children=tuple(self._node(c, key, child_list) for c in raw["children"]),
            notes_vi=raw["notes"],
            knockout_vi=tuple(raw["knockout"]),
            cases=tuple(Case(c["code"], c["text_vi"], c["text_en"]) for c in raw["cases"]),
            condition=condition,
            anomaly=self._anomaly(raw["anomaly"], key),
            notes_en=raw["notes_en"],
            knockout_en=tuple(raw["knockout_en"]),
            knockout_rules=tuple(raw["knockout_rules"]),
        )

    def locate(self, problem: Problem) -> Problem:
        """A problem of the written sheet text, moved to the cell it comes from."""
        steps = key_path(problem.key)
        for cut in range(len(steps), 0, -1):
            prefix = ".".join(f"{n}[{i}]" if i is not None else n for n, i in steps[:cut])
            row = self.rows.get(prefix)
            if row is not None:
                rest = steps[cut:]
                column = _COL[_FIELD_COLUMN.get(rest[0][0] if rest else "", "kind")]
                return Problem(self.cells.name, row, f"{column}{row}", problem.expected, problem.got)
        top = steps[0][0] if steps else problem.key
        if top in self.meta_rows:
            row = self.meta_rows[top]
            return Problem(self.cells.name, row, f"{XLSX_META}!B{row}", problem.expected, problem.got)
        return Problem(self.cells.name, None, problem.key, problem.expected, problem.got)


# --- what if ----------------------------------------------------------------------------------------


@frozen
class TickProblem:
    """A submitted card's tick the edited sheet cannot take (the product is left out of the what-if)."""

    product_id: str
    member_id: str
    criterion: str
    option: int | None  # the option ticked (None: nothing ticked)
    kind: str  # "criterion" (no such scored criterion), "option" (no such option), "missing" (now required)
    options: int = 0  # how many options the criterion has on the edited sheet


@frozen
class PointsChange:
    """The council's mean points on a criterion, before and after the edit."""

    criterion: str
    old_mean: Fraction
    new_mean: Fraction


@frozen
class MinimumChange:
    """A star minimum that changed or whose outcome changed for a product."""

    stars: int
    criterion: str
    old_required: int | None  # None: no marker at that level
    new_required: int | None
    old_met: bool | None  # None: not checked (the band was below that level)
    new_met: bool | None
    mean_points: Fraction  # the council's mean points on the criterion (edited sheet)


@frozen
class StarChange:
    """A product whose star (or recognition, or forwarding) would change, and why."""

    product_id: str
    old_mean: Fraction
    new_mean: Fraction
    old_band: int
    new_band: int
    old_stars: int
    new_stars: int
    old_recognized: bool
    new_recognized: bool
    old_forwarded: str | None
    new_forwarded: str | None
    points: tuple[PointsChange, ...] = field(converter=tuple)
    minimums: tuple[MinimumChange, ...] = field(converter=tuple)


@frozen
class WhatIf:
    """A session rescored with an edited sheet, beside its official result."""

    sheet_id: str  # the official sheet replaced
    edited_id: str  # the edited sheet's id (a version's id, or the official id)
    pinned_sha256: str  # the session's pinned copy of the official sheet
    products: tuple[str, ...] = field(converter=tuple)  # products on that sheet, compared
    changes: tuple[StarChange, ...] = field(converter=tuple)
    problems: tuple[TickProblem, ...] = field(converter=tuple)
    official: CouncilResult = field(eq=False, repr=False)
    edited: CouncilResult = field(eq=False, repr=False)

    @property
    def left_out(self) -> tuple[str, ...]:
        """Products left out because a tick does not fit the edited sheet."""
        return tuple(dict.fromkeys(p.product_id for p in self.problems))


def _tick_problems(state: SessionState, product_ids: Sequence[str], sheet: Sheet) -> list[TickProblem]:
    plan = plan_sheet(sheet)
    problems: list[TickProblem] = []
    for pid in product_ids:
        for card in state.submitted_cards(pid):
            row = np.full((1, len(plan.codes)), NOT_TICKED, dtype=np.int16)
            bad: set[int] = set()
            for code, number in card.choices:
                col = plan.index.get(code)
                if col is None:
                    problems.append(TickProblem(pid, card.member_id, code, number, "criterion"))
                    continue
                count = int(plan.option_count[col])
                if not NOT_MET <= number <= count:
                    problems.append(TickProblem(pid, card.member_id, code, number, "option", count))
                    bad.add(col)
                    continue
                row[0, col] = number
            _, found = check_options(plan, row)
            for _, leaf, kind in found:
                if kind == "missing" and leaf not in bad:
                    code = plan.codes[leaf]
                    problems.append(
                        TickProblem(pid, card.member_id, code, None, "missing", int(plan.option_count[leaf]))
                    )
    return problems


def _mean_points(state: SessionState, product_id: str, sheet: Sheet) -> dict[str, Fraction]:
    cards = state.submitted_cards(product_id)
    sums: dict[str, int] = {}
    for card in cards:
        for code, points in score_card(sheet, dict(card.choices)).points:
            sums[code] = sums.get(code, 0) + points
    n = max(len(cards), 1)
    return {leaf.code: Fraction(sums.get(leaf.code, 0), n) for leaf in sheet.leaves}


def what_if(state: SessionState, official_sheets: Mapping[str, Sheet], ruleset: RuleSet, edited: Sheet) -> WhatIf:
    """Rescore a session with ``edited`` in place of the official sheet it derives from.

    The submitted cards of each product's current round are scored twice with
    ``score_session``: with the session's pinned sheets, and with the edited
    sheet substituted. Ticks are option numbers: a tick the edited sheet has no
    option for (or a criterion now required and left blank) is reported as a
    ``TickProblem`` and that product is left out of the comparison.

    Args:
        state: The session's state (``SessionStore.state``).
        official_sheets: The session's pinned sheets by id (``SessionStore.sheets``).
        ruleset: The session's rule set.
        edited: The edited sheet (its id is the official id or a version's).

    Raises:
        WorkbenchError: If the edited sheet is for another rule set.
        CriteriaSheetError: If the edited sheet has problems (``check_sheet``).
    """
    base = official_id(edited.sheet_id)
    if edited.ruleset_id != ruleset.ruleset_id:
        msg = f"what-if: expected a sheet of rule set {ruleset.ruleset_id} (the session's), got one of {edited.ruleset_id}"
        raise WorkbenchError(msg)
    checked_sheet(edited, {ruleset.ruleset_id: ruleset})
    substitute = evolve(edited, sheet_id=base)
    on_sheet = tuple(p.product_id for p in state.products if p.sheet_id == base)
    problems = _tick_problems(state, on_sheet, substitute) if on_sheet else []
    bad = {p.product_id for p in problems}
    official = score_session(state, official_sheets, ruleset)
    kept = evolve(state, cards=tuple(c for c in state.cards if c.product_id not in bad))
    sheets = {**official_sheets, base: substitute}
    rescored = score_session(kept, sheets, ruleset)
    compared = tuple(pid for pid in on_sheet if pid in official and pid in rescored)
    old_sheet = official_sheets.get(base)
    changes = []
    for pid in compared:
        a, b = official.product(pid), rescored.product(pid)
        if (a.stars, a.recognized, a.forwarded_to) == (b.stars, b.recognized, b.forwarded_to):
            continue
        changes.append(_why(state, pid, a, b, old_sheet, substitute))
    return WhatIf(
        sheet_id=base,
        edited_id=edited.sheet_id,
        pinned_sha256=old_sheet.sha256 if old_sheet is not None else "",
        products=compared,
        changes=tuple(changes),
        problems=tuple(problems),
        official=official,
        edited=rescored,
    )


def _why(state: SessionState, pid: str, a: Any, b: Any, old_sheet: Sheet | None, new_sheet: Sheet) -> StarChange:
    old_points = _mean_points(state, pid, old_sheet) if old_sheet is not None else {}
    new_points = _mean_points(state, pid, new_sheet)
    points = [
        PointsChange(code, old_points.get(code, Fraction(0)), mean)
        for code, mean in new_points.items()
        if old_points.get(code, Fraction(0)) != mean
    ]
    old_req = {(s, c): p for s, c, p in old_sheet.star_minimums()} if old_sheet is not None else {}
    new_req = {(s, c): p for s, c, p in new_sheet.star_minimums()}
    old_unmet = {(u.for_stars, u.criterion) for u in a.unmet_minimums}
    new_unmet = {(u.for_stars, u.criterion) for u in b.unmet_minimums}
    order = {leaf.code: i for i, leaf in enumerate(new_sheet.leaves)}
    minimums = []
    for stars, code in sorted(set(old_req) | set(new_req), key=lambda k: (k[0], order.get(k[1], -1))):
        old_met = None if (stars, code) not in old_req or stars > a.band_stars else (stars, code) not in old_unmet
        new_met = None if (stars, code) not in new_req or stars > b.band_stars else (stars, code) not in new_unmet
        if old_req.get((stars, code)) == new_req.get((stars, code)) and old_met == new_met:
            continue
        minimums.append(
            MinimumChange(
                stars,
                code,
                old_req.get((stars, code)),
                new_req.get((stars, code)),
                old_met,
                new_met,
                new_points.get(code, Fraction(0)),
            )
        )
    return StarChange(
        pid,
        a.mean_total,
        b.mean_total,
        a.band_stars,
        b.band_stars,
        a.stars,
        b.stars,
        a.recognized,
        b.recognized,
        a.forwarded_to,
        b.forwarded_to,
        points,
        minimums,
    )


def _mean(value: Fraction, lang: str) -> str:
    text = str(round_half_up(value))
    return text.replace(".", ",") if lang == "vi" else text


def describe_why(change: StarChange, texts: Texts, lang: str = "vi") -> list[str]:
    """Why a product's star would change, one sentence per cause, in ``lang``."""
    out = []
    if change.old_band != change.new_band:
        out.append(
            texts.t("wb_why_band", lang).format(
                old=_mean(change.old_mean, lang),
                new=_mean(change.new_mean, lang),
                old_band=change.old_band,
                new_band=change.new_band,
            )
        )
    for m in change.minimums:
        if m.old_required != m.new_required:
            out.append(
                texts.t("wb_why_marker", lang).format(
                    stars=m.stars,
                    criterion=m.criterion,
                    old="—" if m.old_required is None else m.old_required,
                    new="—" if m.new_required is None else m.new_required,
                    mean=_mean(m.mean_points, lang),
                )
            )
        if m.old_met != m.new_met and m.new_met is not None:
            key = "wb_why_met" if m.new_met else "wb_why_unmet"
            out.append(texts.t(key, lang).format(stars=m.stars, criterion=m.criterion))
    for p in change.points:
        out.append(
            texts.t("wb_why_points", lang).format(
                criterion=p.criterion, old=_mean(p.old_mean, lang), new=_mean(p.new_mean, lang)
            )
        )
    return out


def describe_tick_problem(problem: TickProblem, texts: Texts, lang: str = "vi") -> str:
    """A tick the edited sheet cannot take, in ``lang``."""
    return texts.t(f"wb_tick_{problem.kind}", lang).format(
        product=problem.product_id,
        member=problem.member_id,
        criterion=problem.criterion,
        option=problem.option,
        options=problem.options,
    )


__all__ = [
    "Change",
    "MinimumChange",
    "PointsChange",
    "StarChange",
    "TickProblem",
    "Version",
    "VersionExistsError",
    "WhatIf",
    "WorkbenchError",
    "add_option",
    "check_sheet",
    "checked_sheet",
    "default_drafts_dir",
    "derived_from",
    "describe_change",
    "describe_problem",
    "describe_tick_problem",
    "describe_why",
    "diff_sheets",
    "edit_node",
    "edit_option",
    "edit_part",
    "fit_maxima",
    "list_versions",
    "load_official",
    "load_version",
    "move_option",
    "official_id",
    "read_sheet_xlsx",
    "remove_option",
    "save_version",
    "set_star_minimum",
    "sheet_to_xlsx",
    "slugify",
    "what_if",
    "write_sheet_xlsx",
]
