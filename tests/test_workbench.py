"""The criteria workbench library: edits, checks as the loader, differences, versions, Excel, what-if."""

from __future__ import annotations

import hashlib
import io
from fractions import Fraction
from pathlib import Path

import pytest
from attrs import evolve
from openpyxl import load_workbook

from ocop_scoring import workbench as wb
from ocop_scoring.criteria_io import dump_sheet, load_sheet
from ocop_scoring.errors import CriteriaSheetError
from ocop_scoring.model import Sheet
from ocop_scoring.store import SessionStore
from ocop_scoring.texts import load_texts
from tests.conftest import DATA, REPO

BROKEN = DATA / "criteria/broken"
SHEET_IDS = [f"qd26-2026-{n:02d}" for n in range(1, 27)]


@pytest.fixture
def sheet4(library) -> Sheet:
    """Sheet 4 of Decision 26/2026 (honey and other food products), the demo's P04."""
    return library.sheet("qd26-2026-04")


@pytest.fixture
def drafts(tmp_path, monkeypatch) -> Path:
    """A private drafts folder through $OCOP_DRAFTS_DIR."""
    folder = tmp_path / "drafts"
    monkeypatch.setenv("OCOP_DRAFTS_DIR", str(folder))
    return folder


@pytest.fixture
def session(tmp_path, make_session):
    """The demo council, every card submitted, in a fresh SQLite store: (store, session id)."""
    store = SessionStore(tmp_path / "s.sqlite")
    sid = make_session(store)
    yield store, sid
    store.close()


def criteria_digest() -> str:
    """One digest over every file of the official criteria folder."""
    h = hashlib.sha256()
    for path in sorted((REPO / "criteria").rglob("*")):
        if path.is_file():
            h.update(str(path.relative_to(REPO)).encode())
            h.update(path.read_bytes())
    return h.hexdigest()


# --- edits and checks ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fixture", "edit"),
    [
        ("option_above_max", lambda s: wb.edit_option(s, "1.1", 3, points=31)),
        ("group_sum", lambda s: wb.edit_node(s, "1", max_points=45)),
        ("max_not_best", lambda s: wb.edit_node(s, "1.1", max_points=25)),
        ("star_twice", lambda s: wb.edit_option(s, "1.1", 3, star=3)),
    ],
)
def test_check_sheet_reports_what_the_loader_reports_for_the_same_defect(library, tiny, fixture, edit):
    """An edit with the defect of a broken fixture file gets the loader's own problems (key, expected, got)."""
    edited = edit(evolve(tiny, sheet_id=fixture))
    from_file = load_problems(BROKEN / f"{fixture}.yaml", library)

    problems = wb.check_sheet(edited, library.rulesets)

    assert from_file
    assert [(p.key, p.expected, p.got) for p in problems] == [(p.key, p.expected, p.got) for p in from_file]


def load_problems(path: Path, library) -> list:
    with pytest.raises(CriteriaSheetError) as excinfo:
        load_sheet(path, library.rulesets)
    return list(excinfo.value.problems)


def test_check_sheet_lines_point_into_the_written_text(library, sheet4):
    """A problem's line is the line of the written sheet text that holds the faulty value."""
    edited = wb.edit_option(sheet4, "5.1", 5, points=6)

    problems = wb.check_sheet(edited, library.rulesets)

    lines = dump_sheet(edited).splitlines()
    by_key = {p.key: p for p in problems}
    assert set(by_key) == {
        "parts[B].groups[5].criteria[5.1].options[5].points",
        "parts[B].groups[5].criteria[5.1].max_points",
    }
    assert lines[by_key["parts[B].groups[5].criteria[5.1].options[5].points"].line - 1].strip() == "- points: 6"
    assert by_key["parts[B].groups[5].criteria[5.1].options[5].points"].expected == "at most the criterion's maximum 5"


def test_unedited_official_sheets_check_clean(library):
    """Every official sheet passes check_sheet unchanged (the round trip through the text loses nothing)."""
    for sheet_id in SHEET_IDS:
        assert wb.check_sheet(library.sheet(sheet_id), library.rulesets) == [], sheet_id


def test_set_star_minimum_moves_the_marker(sheet4):
    """Moving 5.1's 4★ marker to option 4 leaves exactly one 4★ marker, on option 4 (3 points)."""
    edited = wb.set_star_minimum(sheet4, "5.1", 4, 4)

    leaf = edited.leaf("5.1")
    assert [o.star for o in leaf.options] == [None, None, None, 4, None]
    assert leaf.star_minimums() == {4: 3}
    assert sheet4.leaf("5.1").star_minimums() == {4: 5}  # the official sheet object is untouched


def test_option_edits_renumber_in_printed_order(sheet4):
    """Adding, moving and removing options keeps the numbers 1, 2, 3 … in printed order."""
    added = wb.add_option(sheet4, "5.1", at=2, points=1, text_vi="Mới")
    moved = wb.move_option(added, "5.1", 2, 6)
    removed = wb.remove_option(moved, "5.1", 1)

    assert [(o.number, o.text_vi) for o in added.leaf("5.1").options][:3] == [
        (1, "Không có câu chuyện sản phẩm"),
        (2, "Mới"),
        (3, "Có câu chuyện sản phẩm"),
    ]
    assert [o.text_vi for o in moved.leaf("5.1").options][-1] == "Mới"
    assert [o.number for o in removed.leaf("5.1").options] == [1, 2, 3, 4, 5]
    assert removed.leaf("5.1").options[0].text_vi == "Có câu chuyện sản phẩm"


def test_edits_refuse_unknown_places_with_a_message(sheet4):
    """An unknown code, option, field or position is refused naming what was expected."""
    with pytest.raises(wb.WorkbenchError, match=r"expected a criterion or group code, got '9\.9'"):
        wb.edit_node(sheet4, "9.9", text_vi="x")
    with pytest.raises(wb.WorkbenchError, match=r"criterion 5\.1: expected an option between 1 and 5, got 6"):
        wb.edit_option(sheet4, "5.1", 6, points=1)
    with pytest.raises(wb.WorkbenchError, match="expected fields among"):
        wb.edit_option(sheet4, "5.1", 1, colour="red")
    with pytest.raises(wb.WorkbenchError, match="scored through its criteria"):
        wb.add_option(sheet4, "5")
    with pytest.raises(wb.WorkbenchError, match="expected a part code"):
        wb.edit_part(sheet4, "D", label_vi="x")


def test_fit_maxima_sets_criteria_and_groups_from_below(library, sheet4):
    """After raising an option, fit_maxima fixes the criterion's and group's maxima; the part sum remains to fix."""
    edited = wb.fit_maxima(wb.edit_option(sheet4, "5.1", 5, points=6))

    assert edited.leaf("5.1").max_points == 6
    assert edited.criterion("5").max_points == sheet4.criterion("5").max_points + 1
    assert [p.key for p in wb.check_sheet(edited, library.rulesets)] == ["parts[B].max_points"]


# --- differences ---------------------------------------------------------------------------------------


def test_diff_lists_exactly_the_marker_move(sheet4):
    """Moving 5.1's 4★ marker from option 5 to option 4 is two changes, nothing else."""
    edited = wb.set_star_minimum(sheet4, "5.1", 4, 4)

    assert wb.diff_sheets(sheet4, edited) == [
        wb.Change("option", "5.1", 4, "star", None, 4),
        wb.Change("option", "5.1", 5, "star", 4, None),
    ]
    assert wb.diff_sheets(sheet4, sheet4) == []


def test_diff_lists_exactly_texts_points_and_option_changes(sheet4):
    """Text, points, maximum, a removed and an added option are each listed once, in printed order."""
    edited = wb.edit_node(sheet4, "1.1", text_en="Where the product comes from")
    edited = wb.edit_option(edited, "1.5", 2, points=0)
    edited = wb.remove_option(edited, "5.2", 3)
    edited = wb.edit_node(edited, "5.2", max_points=1)
    edited = wb.add_option(edited, "7", points=0, text_vi="Không có chỉ tiêu nào")
    old_en = sheet4.criterion("1.1").text_en
    removed = sheet4.leaf("5.2").options[2].text_vi

    changes = wb.diff_sheets(sheet4, edited)

    assert changes == [
        wb.Change("criterion", "1.1", None, "text_en", old_en, "Where the product comes from"),
        wb.Change("option", "1.5", 2, "points", 1, 0),
        wb.Change("criterion", "5.2", None, "max_points", 2, 1),
        wb.Change("option", "5.2", 3, "removed", removed, None),
        wb.Change("option", "7", 4, "added", None, "Không có chỉ tiêu nào"),
    ]


def test_diff_reports_moved_options_by_their_numbers(sheet4):
    """A moved option is reported with its old and new number (scorecards record numbers)."""
    edited = wb.move_option(sheet4, "5.2", 3, 1)

    assert wb.diff_sheets(sheet4, edited) == [
        wb.Change("option", "5.2", 1, "number", 3, 1),
        wb.Change("option", "5.2", 2, "number", 1, 2),
        wb.Change("option", "5.2", 3, "number", 2, 3),
    ]


def test_changes_and_problems_read_in_vietnamese_and_english(library, sheet4):
    """A change and a problem are described in plain words in both languages."""
    texts = load_texts()
    change = wb.diff_sheets(sheet4, wb.set_star_minimum(sheet4, "5.1", 4, 4))[0]
    problem = wb.check_sheet(wb.edit_option(sheet4, "5.1", 5, points=6), library.rulesets)[0]

    assert wb.describe_change(change, texts, "vi") == ("tiêu chí 5.1 › phương án 4", "dấu sao", "—", "★★★★")
    assert wb.describe_change(change, texts, "en") == ("criterion 5.1 › option 4", "star marker", "—", "★★★★")
    assert wb.describe_problem(problem, texts, "vi") == (
        "Phần B › nhóm 5 › tiêu chí 5.1 › phương án 5 › điểm: cần at most the criterion's maximum 5; hiện là 6"
    )
    assert wb.describe_problem(problem, texts, "en").startswith("Part B › group 5 › criterion 5.1 › option 5 › points:")


# --- versions ------------------------------------------------------------------------------------------


def test_save_version_writes_a_named_copy_outside_criteria(library, sheet4, drafts):
    """A version goes to <drafts>/<ruleset>/<id>--<slug>.yaml with its id and provenance; criteria/ is untouched."""
    before = criteria_digest()
    edited = wb.set_star_minimum(sheet4, "5.1", 4, 4)

    path = wb.save_version(edited, "Câu chuyện: 4★ = phương án 4", rulesets=library.rulesets)

    assert path == drafts.resolve() / "qd26-2026" / "qd26-2026-04--cau-chuyen-4-phuong-an-4.yaml"
    assert criteria_digest() == before
    version = wb.load_version(path, library.rulesets)
    assert version.sheet_id == "qd26-2026-04--cau-chuyen-4-phuong-an-4"
    assert version.leaf("5.1").star_minimums() == {4: 3}
    assert version.notes[0].startswith(f"derived_from: qd26-2026-04 sha256:{sheet4.sha256} saved:")
    assert "Câu chuyện: 4★ = phương án 4" in version.notes[0]
    assert wb.derived_from(version)[:2] == ("qd26-2026-04", sheet4.sha256)
    assert wb.diff_sheets(sheet4, version) == wb.diff_sheets(sheet4, edited)
    assert wb.list_versions() == [
        wb.Version(path, version.sheet_id, "qd26-2026-04", "qd26-2026", "cau-chuyen-4-phuong-an-4")
    ]


def test_save_version_refuses_to_overwrite_unless_asked(library, sheet4, drafts):
    """A second version of the same name is refused; replace=True replaces it."""
    first = wb.save_version(wb.set_star_minimum(sheet4, "5.1", 4, 4), "thử", rulesets=library.rulesets)

    with pytest.raises(wb.VersionExistsError, match="expected a name not used yet for qd26-2026-04"):
        wb.save_version(sheet4, "Thử", rulesets=library.rulesets)
    assert wb.load_version(first, library.rulesets).leaf("5.1").star_minimums() == {4: 3}

    again = wb.save_version(sheet4, "Thử", rulesets=library.rulesets, replace=True)
    assert again == first
    assert wb.load_version(first, library.rulesets).leaf("5.1").star_minimums() == {4: 5}


def test_a_version_of_a_version_keeps_the_official_base(library, sheet4, drafts):
    """Saving an edit of a saved version names the official sheet, never the version, as its base."""
    path = wb.save_version(wb.set_star_minimum(sheet4, "5.1", 4, 4), "a", rulesets=library.rulesets)
    version = wb.load_version(path, library.rulesets)

    second = wb.save_version(wb.edit_node(version, "5.1", text_en="Story"), "b", rulesets=library.rulesets)

    loaded = wb.load_version(second, library.rulesets)
    assert loaded.sheet_id == "qd26-2026-04--b"
    assert [n for n in loaded.notes if n.startswith("derived_from:")] == [loaded.notes[0]]
    assert wb.derived_from(loaded)[:2] == ("qd26-2026-04", sheet4.sha256)


def test_save_version_refuses_criteria_folder_bad_names_and_invalid_sheets(library, sheet4, drafts):
    """Never into criteria/, never a name without letters, never a sheet with problems; nothing is written."""
    before = criteria_digest()

    with pytest.raises(wb.WorkbenchError, match="outside the official criteria folder"):
        wb.save_version(sheet4, "x", REPO / "criteria" / "drafts", rulesets=library.rulesets)
    with pytest.raises(wb.WorkbenchError, match="expected a name with letters or digits"):
        wb.save_version(sheet4, " ★ ", rulesets=library.rulesets)
    with pytest.raises(CriteriaSheetError, match="at most the criterion's maximum 5"):
        wb.save_version(wb.edit_option(sheet4, "5.1", 5, points=6), "x", rulesets=library.rulesets)

    assert criteria_digest() == before
    assert wb.list_versions() == []


def test_default_drafts_dir_follows_xdg(monkeypatch, tmp_path):
    """Without $OCOP_DRAFTS_DIR, versions go to $XDG_DATA_HOME/ocop-scoring/criteria-drafts."""
    monkeypatch.delenv("OCOP_DRAFTS_DIR", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))

    assert wb.default_drafts_dir() == tmp_path / "ocop-scoring" / "criteria-drafts"


# --- Excel ---------------------------------------------------------------------------------------------


@pytest.mark.slow
def test_xlsx_round_trip_of_every_official_sheet(library):
    """Each of the 26 official sheets comes back from its XLSX export equal, field for field."""
    for sheet_id in SHEET_IDS:
        sheet = library.sheet(sheet_id)

        back = wb.read_sheet_xlsx(wb.sheet_to_xlsx(sheet), library.rulesets)

        assert evolve(back, sha256=sheet.sha256) == sheet, sheet_id


def _workbook(sheet: Sheet):
    return load_workbook(io.BytesIO(wb.sheet_to_xlsx(sheet)))


def _row_of(ws, kind: str, code: str, option: int | None = None) -> int:
    for row in ws.iter_rows(min_row=2):
        if row[0].value == kind and row[1].value == code and (option is None or row[2].value == option):
            return row[0].row
    raise AssertionError(f"no {kind} row {code} {option}")


def _save(book) -> bytes:
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_xlsx_edit_comes_back_as_the_edit(library, sheet4):
    """Moving the 4★ marker in Excel (G column) imports as the same edit the library makes."""
    book = _workbook(sheet4)
    ws = book["criteria"]
    ws[f"G{_row_of(ws, 'option', '5.1', 4)}"] = 4
    ws[f"G{_row_of(ws, 'option', '5.1', 5)}"] = None

    back = wb.read_sheet_xlsx(_save(book), library.rulesets, name="sheet4.xlsx")

    assert wb.diff_sheets(sheet4, back) == wb.diff_sheets(sheet4, wb.set_star_minimum(sheet4, "5.1", 4, 4))


def test_broken_xlsx_reports_every_problem_by_cell(library, sheet4):
    """A formula, points that are not whole numbers and an unknown kind are each reported at their cell."""
    book = _workbook(sheet4)
    ws = book["criteria"]
    r_formula = _row_of(ws, "option", "5.1", 2)
    r_text = _row_of(ws, "option", "5.1", 3)
    r_half = _row_of(ws, "criterion", "5.2")
    r_kind = _row_of(ws, "option", "1.1", 1)
    ws[f"F{r_formula}"] = "=1+1"
    ws[f"F{r_text}"] = "năm"
    ws[f"F{r_half}"] = 2.5
    ws[f"A{r_kind}"] = "choice"

    with pytest.raises(CriteriaSheetError) as excinfo:
        wb.read_sheet_xlsx(_save(book), library.rulesets, name="broken.xlsx")

    found = {(p.line, p.key, p.expected, p.got) for p in excinfo.value.problems}
    assert (r_formula, f"F{r_formula}", "a typed value, not a formula", "the formula =1+1") in found
    assert (r_text, f"F{r_text}", "a whole number >= 0", "năm") in found
    assert (r_half, f"F{r_half}", "a whole number >= 0", 2.5) in found
    kinds = [p for p in excinfo.value.problems if p.key == f"A{r_kind}"]
    assert len(kinds) == 1
    assert kinds[0].expected.startswith("a kind among part, group, criterion")
    assert kinds[0].got == "choice"
    assert str(excinfo.value.problems[0]).startswith("broken.xlsx:")


def test_xlsx_sheet_rules_are_reported_at_the_cell_they_come_from(library, sheet4):
    """An option above its criterion's maximum (a loader rule) is reported at that option's points cell."""
    book = _workbook(sheet4)
    ws = book["criteria"]
    row = _row_of(ws, "option", "5.1", 5)
    ws[f"F{row}"] = 6
    crit = _row_of(ws, "criterion", "5.1")

    with pytest.raises(CriteriaSheetError) as excinfo:
        wb.read_sheet_xlsx(_save(book), library.rulesets, name="s.xlsx")

    assert [(p.line, p.key, p.expected, p.got) for p in excinfo.value.problems] == [
        (row, f"F{row}", "at most the criterion's maximum 5", 6),
        (crit, f"F{crit}", "the points of its best option (6)", 5),
    ]


def test_xlsx_refuses_what_is_not_a_workbench_workbook(library, sheet4, tmp_path):
    """Not XLSX, too big, or without the workbench's worksheets: one problem naming the file."""
    big = tmp_path / "big.xlsx"
    big.write_bytes(b"PK" + b"\0" * (wb.XLSX_MAX_BYTES + 1))
    book = _workbook(sheet4)
    del book["sheet"]

    cases = [
        (b"kind,code\n", "a file that is not XLSX"),
        (big, "bytes"),
        (_save(book), "worksheets criteria"),
    ]
    for source, got in cases:
        with pytest.raises(CriteriaSheetError) as excinfo:
            wb.read_sheet_xlsx(source, library.rulesets, name="x.xlsx")
        assert len(excinfo.value.problems) == 1
        assert got in str(excinfo.value.problems[0].got)


def test_xlsx_export_writes_texts_starting_with_equals_as_text(library, sheet4):
    """A text that starts with '=' is written as text, never as a formula, and reads back the same."""
    edited = wb.edit_option(sheet4, "5.1", 1, text_vi="=không có")

    back = wb.read_sheet_xlsx(wb.sheet_to_xlsx(edited), library.rulesets)

    assert back.leaf("5.1").options[0].text_vi == "=không có"


# --- what if -------------------------------------------------------------------------------------------


def test_what_if_marker_on_option_4_lifts_p04_to_4_stars(session, sheet4):
    """P04's nine members all ticked 5.1 option 4 (3 points): mean 27/9 = 3 < 5 caps it at 3★; a 4★ marker on
    option 4 (3 points) is met (27 >= 3 x 9), so P04 reaches its band, 4★ (mean 728/9 = 80.89); nothing else moves."""
    store, sid = session
    state = store.state(sid)
    assert [dict(c.choices)["5.1"] for c in state.submitted_cards("P04")] == [4] * 9

    result = wb.what_if(state, store.sheets(sid), store.ruleset(sid), wb.set_star_minimum(sheet4, "5.1", 4, 4))

    assert result.products == ("P04",)
    assert result.problems == ()
    assert result.changes == (
        wb.StarChange(
            "P04",
            Fraction(728, 9),
            Fraction(728, 9),
            4,
            4,
            3,
            4,
            True,
            True,
            None,
            None,
            (),
            (wb.MinimumChange(4, "5.1", 5, 3, False, True, Fraction(3)),),
        ),
    )
    assert [r.stars for r in result.official] == [4, 3, 5, 3, 3, 4, 1, 3, 3, 2]
    assert [r.stars for r in result.edited] == [4, 3, 5, 4, 3, 4, 1, 3, 3, 2]


def test_what_if_lowering_points_drops_p02_below_a_3_star_minimum(session, library):
    """Sheet 1, 2.3 option 2 from 2 to 0 points: P02's ticks are 1,2,2,2,1,2,2,2,2 (16 points, mean 16/9);
    afterwards 2 points, mean 2/9 < the 3★ minimum of 1 (option 1), so P02 falls 3★ -> 2★ while its total
    falls 486 -> 472 (mean 52.44, still the 3★ band). P01 ticked option 3 on every card: unchanged."""
    store, sid = session
    state = store.state(sid)
    sheet1 = library.sheet("qd26-2026-01")
    assert [dict(c.choices)["2.3"] for c in state.submitted_cards("P02")] == [1, 2, 2, 2, 1, 2, 2, 2, 2]
    assert {dict(c.choices)["2.3"] for c in state.submitted_cards("P01")} == {3}

    result = wb.what_if(state, store.sheets(sid), store.ruleset(sid), wb.edit_option(sheet1, "2.3", 2, points=0))

    assert result.products == ("P01", "P02")
    [change] = result.changes
    assert (change.product_id, change.old_stars, change.new_stars) == ("P02", 3, 2)
    assert (change.old_mean, change.new_mean) == (Fraction(486, 9), Fraction(472, 9))
    assert (change.old_band, change.new_band) == (3, 3)
    assert change.points == (wb.PointsChange("2.3", Fraction(16, 9), Fraction(2, 9)),)
    assert change.minimums == (wb.MinimumChange(3, "2.3", 1, 1, True, False, Fraction(2, 9)),)
    texts = load_texts()
    assert wb.describe_why(change, texts, "en") == [
        "now misses the 3★ minimum on 2.3",
        "mean points on 2.3: 1.78 → 0.22",
    ]


def test_what_if_reports_ticks_the_edit_cannot_take(session, sheet4):
    """With 5.1 cut to three options, the nine ticks of option 4 are problems and P04 is left out, no crash."""
    store, sid = session
    edited = wb.remove_option(wb.remove_option(sheet4, "5.1", 5), "5.1", 4)
    edited = wb.set_star_minimum(wb.edit_option(edited, "5.1", 3, points=5), "5.1", 4, 3)

    result = wb.what_if(store.state(sid), store.sheets(sid), store.ruleset(sid), edited)

    assert result.left_out == ("P04",)
    assert len(result.problems) == 9
    assert {(p.criterion, p.option, p.kind, p.options) for p in result.problems} == {("5.1", 4, "option", 3)}
    assert result.products == ()
    assert result.changes == ()
    assert wb.describe_tick_problem(result.problems[0], load_texts(), "en") == (
        "P04, member TV01: criterion 5.1 has option 4 ticked, but the edit has only 3 options"
    )


def test_what_if_refuses_an_invalid_or_foreign_sheet(session, sheet4, library):
    """An edit with problems, or a sheet of another rule set, is refused before anything is scored."""
    store, sid = session
    state, sheets, ruleset = store.state(sid), store.sheets(sid), store.ruleset(sid)

    with pytest.raises(CriteriaSheetError):
        wb.what_if(state, sheets, ruleset, wb.edit_option(sheet4, "5.1", 5, points=6))
    with pytest.raises(wb.WorkbenchError, match="expected a sheet of rule set qd26-2026"):
        wb.what_if(state, sheets, ruleset, evolve(sheet4, ruleset_id="qd148-2023"))


def test_what_if_with_a_saved_version_uses_the_official_id(session, sheet4, library, drafts):
    """A saved version (id qd26-2026-04--…) replaces the official sheet it derives from."""
    store, sid = session
    path = wb.save_version(wb.set_star_minimum(sheet4, "5.1", 4, 4), "p04", rulesets=library.rulesets)

    result = wb.what_if(store.state(sid), store.sheets(sid), store.ruleset(sid), wb.load_version(path))

    assert (result.sheet_id, result.edited_id) == ("qd26-2026-04", "qd26-2026-04--p04")
    assert [(c.product_id, c.old_stars, c.new_stars) for c in result.changes] == [("P04", 3, 4)]
