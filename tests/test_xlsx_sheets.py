"""Paper-like XLSX scoring sheets: written like the printed form, marked like a member would, read back exactly."""

from __future__ import annotations

import random
import re
import shutil
import subprocess
import unicodedata
import zipfile
from collections.abc import Callable, Mapping
from pathlib import Path

import pytest
from attrs import evolve
from openpyxl import Workbook, load_workbook
from openpyxl.worksheet.worksheet import Worksheet

from ocop_scoring import xlsx_sheets
from ocop_scoring.errors import ScorecardError, ScoresInputError
from ocop_scoring.model import Sheet
from ocop_scoring.xlsx_sheets import (
    COLUMNS,
    COMMENT_LABEL,
    FORMAT,
    FORMAT_1,
    NOT_MET_LABEL,
    WORKSHEET,
    FilledSheet,
    ScoringSheetMeta,
    read_scoring_sheet,
    write_scoring_sheet,
)
from tests.conftest import DATA, best_choices

SHEET_IDS = [f"qd26-2026-{n:02d}" for n in range(1, 27)]
LIBREOFFICE = shutil.which("libreoffice") or shutil.which("soffice")
FIXTURE = DATA / "xlsx/qd26-2026-11-libreoffice.xlsx"


# --- helpers -----------------------------------------------------------------------------------------


@pytest.fixture
def here(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Work in a fresh folder so that messages name files as ``card.xlsx``."""
    monkeypatch.chdir(tmp_path)
    return tmp_path


def meta_for(sheet: Sheet, member: str = "TV01", round_: int = 1) -> ScoringSheetMeta:
    return ScoringSheetMeta("S2026-1", "P01", member, sheet.sheet_id, sheet.sha256, round_)


def write(sheet: Sheet, path: str | Path = "card.xlsx", **kwargs) -> Path:
    return write_scoring_sheet(path, sheet, meta_for(sheet), **kwargs)


def option_rows(ws: Worksheet) -> dict[tuple[str, int], int]:
    """Where a member sees each option: (criterion code, option number) -> row, from the visible text.

    Option 0 is the box "Không đạt (0 điểm)" after the printed options.
    """
    found: dict[tuple[str, int], int] = {}
    for code_cell, text_cell in ws.iter_rows(min_col=1, max_col=2):
        if code_cell.value is None or not isinstance(text_cell.value, str):
            continue
        match = re.match(r"(\d+)\. ", text_cell.value)
        if match:
            found[(str(code_cell.value), int(match.group(1)))] = code_cell.row
        elif text_cell.value == NOT_MET_LABEL:
            found[(str(code_cell.value), 0)] = code_cell.row
    return found


def heading_row(ws: Worksheet, code: str) -> int:
    """The row of a criterion's (or group's) heading: the first row showing its code."""
    return next(cell.row for (cell,) in ws.iter_rows(min_col=1, max_col=1) if cell.value == code)


def edit(path: Path | str, change: Callable[[Worksheet, dict[tuple[str, int], int]], None]) -> None:
    """Open the file with openpyxl, change the visible worksheet, save it: what a member's spreadsheet does."""
    wb = load_workbook(path)
    ws = wb[WORKSHEET]
    change(ws, option_rows(ws))
    wb.save(path)


def mark(path: Path | str, choices: Mapping[str, int | None], value: object = "x") -> None:
    """Type ``value`` beside each chosen option (and nothing beside the others of those criteria).

    0 ticks the "Không đạt" box; None leaves the criterion without any mark.
    """

    def change(ws: Worksheet, rows: dict[tuple[str, int], int]) -> None:
        for (code, number), r in rows.items():
            if code in choices:
                ws[f"D{r}"] = value if choices[code] == number else None

    edit(path, change)


def problems(path: str | Path, sheets: Mapping[str, Sheet]) -> list[str]:
    with pytest.raises(ScoresInputError) as excinfo:
        read_scoring_sheet(path, sheets)
    return [str(p) for p in excinfo.value.problems]


def random_card(sheet: Sheet) -> dict[str, int]:
    """A valid, complete card; on sheets 1-25, 5.2 is sometimes left blank when 5.1 says "no story".

    About one criterion in five with a "Không đạt" box has it ticked (option 0).
    """
    rng = random.Random(sheet.sheet_id)
    choices = {
        leaf.code: 0 if not leaf.prints_zero_option and rng.random() < 0.2 else rng.randint(1, len(leaf.options))
        for leaf in sheet.leaves
    }
    for leaf in sheet.leaves:
        cond = leaf.condition
        if cond is not None and rng.random() < 0.5:
            choices[cond.criterion] = 1  # option 1 of 5.1 is "Không có câu chuyện sản phẩm" (0 points)
            assert sheet.leaf(cond.criterion).option(1).points < cond.min_points
            if rng.random() < 0.5:
                del choices[leaf.code]
    return choices


def printed_order(sheet: Sheet, choices: Mapping[str, int]) -> tuple[tuple[str, int], ...]:
    return tuple((leaf.code, choices[leaf.code]) for leaf in sheet.leaves if leaf.code in choices)


# --- round trips ---------------------------------------------------------------------------------------


def test_the_26_official_sheets_are_all_covered(library):
    """The parametrised round trips below cover exactly the 26 sheets of Decision 26/2026."""
    assert [s.sheet_id for s in library.sheets_of("qd26-2026")] == SHEET_IDS


@pytest.mark.parametrize("sheet_id", SHEET_IDS)
def test_round_trip_best_options(library, here, sheet_id):
    """A sheet pre-marked with the best option everywhere reads back as the same card, comment and metadata."""
    sheet = library.sheet(sheet_id)
    choices = best_choices(sheet)
    path = write(sheet, choices=choices, comment="Đạt yêu cầu.", member_name="Trần Thị Bình")

    filled = read_scoring_sheet(path, library.sheets)

    assert filled == FilledSheet(meta_for(sheet), printed_order(sheet, choices), "Đạt yêu cầu.")


@pytest.mark.parametrize("sheet_id", SHEET_IDS)
def test_round_trip_random_card_marked_by_hand(library, here, sheet_id):
    """A random valid card typed into a blank sheet with openpyxl reads back in printed order."""
    sheet = library.sheet(sheet_id)
    choices = random_card(sheet)
    path = write(sheet)
    mark(path, choices)

    filled = read_scoring_sheet(path, library.sheets)

    assert filled.choices == printed_order(sheet, choices)
    assert 0 in dict(filled.choices).values()  # some "Không đạt" boxes ticked
    assert filled.comment == ""
    assert filled.meta == meta_for(sheet)


def test_tea_sheet_sub_criteria(library, here):
    """Sheet 11 prints 6.1 then its sub-criteria 6.1.1 and 6.1.2, each with its own options, and reads them back."""
    sheet = library.sheet("qd26-2026-11")
    path = write(sheet)
    wb = load_workbook(path)
    ws = wb[WORKSHEET]
    rows = option_rows(ws)

    assert heading_row(ws, "6.1") < heading_row(ws, "6.1.1") < rows[("6.1.1", 1)] < heading_row(ws, "6.1.2")
    assert ws[f"B{heading_row(ws, '6.1')}"].value == "Ngoại hình"
    assert ws[f"C{heading_row(ws, '6.1')}"].value == 4
    assert ("6.1", 1) not in rows  # 6.1 is scored through its sub-criteria
    assert ws[f"B{rows[('6.1.1', 2)]}"].value == "2. Có rất ít tạp chất, chấp nhận được"
    assert ws[f"C{rows[('6.1.1', 2)]}"].value == 1  # printed 11: the anomaly's value is used, and noted
    assert ws[f"B{rows[('6.1.1', 2)] + 1}"].value.startswith("Ghi chú của bộ công cụ: Văn bản in ghi 11 điểm")

    choices = {**best_choices(sheet), "6.1.1": 2, "6.1.2": 1, "6.2.3": 3}
    mark(path, choices)
    assert read_scoring_sheet(path, library.sheets).choices == printed_order(sheet, choices)


def test_tourism_sheet_cases_are_numbered_case_a_then_case_b(library, here):
    """Sheet 26 heads case a's options "Trường hợp 1: …" and case b's "Trường hợp 2: …"; numbering runs on."""
    sheet = library.sheet("qd26-2026-26")
    path = write(sheet)
    ws = load_workbook(path)[WORKSHEET]
    rows = option_rows(ws)
    b = {r: ws[f"B{r}"].value for r in range(heading_row(ws, "8"), rows[("8", 4)] + 1)}

    assert list(b.values()) == [
        "Đáp ứng điều kiện kinh doanh dịch vụ",
        "Lựa chọn một trong hai trường hợp sau:",
        "Trường hợp 1: Dịch vụ du lịch do cộng đồng cung cấp",
        f"1. {sheet.leaf('8').option(1).text_vi}",
        f"2. {sheet.leaf('8').option(2).text_vi}",
        "Trường hợp 2: Điểm dịch vụ du lịch",
        f"3. {sheet.leaf('8').option(3).text_vi}",
        f"4. {sheet.leaf('8').option(4).text_vi}",
    ]
    assert sheet.leaf("8").option(3).case == "b"

    choices = {**best_choices(sheet), "8": 3, "9": 2, "15": 4}
    mark(path, choices)
    filled = read_scoring_sheet(path, library.sheets)
    assert dict(filled.choices)["8"] == 3
    assert filled.choices == printed_order(sheet, choices)


@pytest.mark.parametrize("value", ["x", "X", " x ", "✓", "✔", 1, 1.0, "1", True, "true", "TRUE"])
def test_accepted_marks(library, here, value):
    """x, X, ✓, ✔, 1 and TRUE (typed or as a number or boolean) all mark an option."""
    sheet = library.sheet("qd26-2026-01")
    choices = best_choices(sheet)
    path = write(sheet)
    mark(path, choices, value)

    assert read_scoring_sheet(path, library.sheets).choices == printed_order(sheet, choices)


def test_story_structure_may_stay_blank_without_a_story(library, here):
    """5.2 "Chỉ áp dụng khi có câu chuyện sản phẩm" may be left blank when 5.1 is "no story"."""
    sheet = library.sheet("qd26-2026-05")
    choices = {**best_choices(sheet), "5.1": 1}
    del choices["5.2"]
    path = write(sheet)
    mark(path, choices)

    filled = read_scoring_sheet(path, library.sheets)

    assert "5.2" not in dict(filled.choices)
    assert filled.choices == printed_order(sheet, choices)


def test_comment_is_stripped_and_nfc(library, here):
    """The comment comes back stripped and NFC-normalised, whatever form the member's keyboard typed."""
    sheet = library.sheet("qd26-2026-01")
    path = write(sheet, choices=best_choices(sheet))
    nfd = unicodedata.normalize("NFD", "Cần bổ sung phiếu kiểm nghiệm.")

    def change(ws: Worksheet, rows: dict[tuple[str, int], int]) -> None:
        label = next(c.row for (c,) in ws.iter_rows(min_col=1, max_col=1) if c.value == COMMENT_LABEL)
        ws[f"A{label + 1}"] = f"\n  {nfd}  \n"

    edit(path, change)
    comment = read_scoring_sheet(path, library.sheets).comment

    assert comment == "Cần bổ sung phiếu kiểm nghiệm."
    assert unicodedata.is_normalized("NFC", comment)


def test_reads_a_sheet_saved_by_libreoffice(library):
    """A sheet marked, then saved again by LibreOffice Calc (hidden sheet, =TRUE() for TRUE) reads back.

    The file predates the "Không đạt" boxes (layout ocop-scoring-sheet/1): such sheets still import.
    """
    sheet = library.sheet("qd26-2026-11")
    expected = {leaf.code: len(leaf.options) for leaf in sheet.leaves}
    expected["5.1"] = 1
    del expected["5.2"]
    pinned = {sheet.sheet_id: evolve(sheet, sha256="2ffa36051bd4a9d4e3a1527166b8e4e43b1d211063200be3f2f8578333a60aab")}

    filled = read_scoring_sheet(FIXTURE, pinned)

    assert filled.meta == ScoringSheetMeta(
        "S-2026-07", "P-CHE-01", "TV05", sheet.sheet_id, pinned[sheet.sheet_id].sha256, 2
    )
    assert filled.choices == printed_order(sheet, expected)
    assert filled.comment == "Sản phẩm đặc sản; cần bổ sung câu chuyện sản phẩm."


# --- "không đạt": the box after the printed options ------------------------------------------------------


def test_not_met_box_after_the_printed_options(library, here):
    """A criterion without a printed 0-point option gets a "Không đạt (0 điểm)" box after its options, in italic grey
    with a yellow, unlocked mark cell; a criterion that prints a 0-point option (1.2 on sheet 1) gets none."""
    sheet = library.sheet("qd26-2026-01")
    ws = load_workbook(write(sheet))[WORKSHEET]
    rows = option_rows(ws)
    box = rows[("1.1", 0)]

    assert box == rows[("1.1", 3)] + 1 < heading_row(ws, "1.2")
    assert [ws[f"{c}{box}"].value for c in "ABCD"] == ["1.1", NOT_MET_LABEL, 0, None]
    assert ws[f"B{box}"].font.i and ws[f"B{box}"].font.color.rgb == "007F7F7F"
    assert ws[f"B{rows[('1.1', 3)]}"].font.i is not True  # the printed options stay upright and black
    assert ws[f"D{box}"].fill.fgColor.rgb == "00FFF2CC" and ws[f"D{box}"].protection.locked is False
    assert f"D{box}" in str(ws.data_validations.dataValidation[0].sqref)
    with_box = {code for code, n in rows if n == 0}
    assert with_box == {leaf.code for leaf in sheet.leaves if not leaf.prints_zero_option}
    assert "1.2" not in with_box and sheet.leaf("1.2").option(1).points == 0
    assert any(
        NOT_MET_LABEL in str(c.value) for (c,) in ws.iter_rows(min_col=1, max_col=1, max_row=heading_row(ws, "1"))
    )


def test_a_ticked_box_reads_as_option_0(library, here):
    """An x in the box is option 0 ("không đạt", 0 points); the other criteria read as before."""
    sheet = library.sheet("qd26-2026-01")
    path = write(sheet)
    choices = {**best_choices(sheet), "1.1": 0, "9": 0}
    mark(path, choices)

    filled = read_scoring_sheet(path, library.sheets)

    assert dict(filled.choices)["1.1"] == 0 and dict(filled.choices)["9"] == 0
    assert filled.choices == printed_order(sheet, choices)


def test_pre_marked_not_met_round_trip(library, here):
    """Choices with 0 are pre-marked in the box and read back as 0; on a criterion that prints a 0-point option
    (1.2), 0 is marked on that option and reads back as it (the same 0 points)."""
    sheet = library.sheet("qd26-2026-01")
    choices = {**best_choices(sheet), "1.1": 0, "3.4": 0, "1.2": 0}
    path = write(sheet, choices=choices)
    ws = load_workbook(path)[WORKSHEET]
    rows = option_rows(ws)

    assert ws[f"D{rows[('1.1', 0)]}"].value == "x" and ws[f"D{rows[('1.1', 3)]}"].value is None
    assert ws[f"D{rows[('1.2', 1)]}"].value == "x"
    filled = read_scoring_sheet(path, library.sheets)
    assert filled.choices == printed_order(sheet, {**choices, "1.2": 1})


def test_a_criterion_with_neither_option_nor_box_stays_blank(library, here):
    """No tick at all is not "không đạt": the criterion is still reported without a mark."""
    sheet = library.sheet("qd26-2026-01")
    path = write(sheet, choices=best_choices(sheet))
    ws = load_workbook(path)[WORKSHEET]
    mark(path, {"1.1": None})

    assert problems(path, library.sheets) == [
        f"card.xlsx:{heading_row(ws, '1.1')}: criterion 1.1: expected one option marked x, got no mark"
    ]


def test_refuses_the_box_and_an_option_both_marked(library, card):
    """The box and a printed option ticked together are two marks for one criterion."""
    rows = option_rows(load_workbook(card)[WORKSHEET])
    edit(card, lambda ws, rows: ws.__setitem__(f"D{rows[('1.3', 0)]}", "x"))

    assert problems("card.xlsx", library.sheets) == [
        f"card.xlsx:{rows[('1.3', 0)]}: criterion 1.3: expected one marked option, got marks on rows"
        f" {rows[('1.3', 3)]} and {rows[('1.3', 0)]} (options 3 and Không đạt)"
    ]


def test_refuses_a_deleted_box_row(library, card):
    """Deleting a box row is noticed on that row, like any moved row."""
    ws = load_workbook(card)[WORKSHEET]
    rows = option_rows(ws)
    at = rows[("1.1", 0)]
    moved = sum(
        1
        for r in (*rows.values(), *(heading_row(ws, leaf.code) for leaf in library.sheet("qd26-2026-01").leaves))
        if r > at
    )
    edit(card, lambda ws, rows: ws.delete_rows(at))

    assert problems("card.xlsx", library.sheets) == [
        f"card.xlsx:{at}: criterion 1.1: expected the box 'Không đạt (0 điểm)' of criterion 1.1 on this row, as"
        f" generated (no row inserted or deleted), got the code cell '1.2' ({moved} more rows below have moved too)"
    ]


def test_a_ticked_box_is_option_0_in_the_store(library, here):
    """`ocop session import-scores` of a sheet with a ticked box stores option 0, scored 0 points."""
    from ocop_scoring.model import MemberSpec, ProductSpec
    from ocop_scoring.store import OPERATOR, SessionStore
    from ocop_scoring.store.scores_import import collect_cards

    with SessionStore(here / "store.sqlite") as store:
        store.create_session("hd-2026-1", "Hội đồng thử", library)
        store.add_members("hd-2026-1", [MemberSpec("TV01", "Trần Thị Bình")])
        store.add_products("hd-2026-1", [ProductSpec("P01", "Cam sành", "qd26-2026-01")])
        sheet = store.sheets("hd-2026-1")["qd26-2026-01"]
        path = write_scoring_sheet(
            "P01_TV01.xlsx", sheet, ScoringSheetMeta("hd-2026-1", "P01", "TV01", sheet.sheet_id, sheet.sha256, 1)
        )
        choices = {**best_choices(sheet), "1.1": 0, "10": 0}
        mark(path, choices)

        entries = collect_cards(store, "hd-2026-1", [path])
        store.enter_cards("hd-2026-1", OPERATOR, entries)
        card = store.state("hd-2026-1").card("P01", "TV01")

        assert dict(card.choices) == choices
        assert card.is_submitted
        best = sum(leaf.option(choices[leaf.code]).points for leaf in sheet.leaves if choices[leaf.code])
        result = store.results("hd-2026-1").product("P01")
        assert dict(result.member_totals)["TV01"] == best
        assert best == 100 - 3 - 5  # 1.1 (3 points) and 10 (5 points) not met


def _as_layout_1(path: Path) -> None:
    """Rewrite a sheet as the layout before the "Không đạt" boxes (ocop-scoring-sheet/1): the box rows emptied,
    the map's criterion rows as option 0 and no box entries, the digest recomputed: what an old file holds."""
    wb = load_workbook(path)
    meta = wb["_ocop"]
    values = {row[0]: row[1] for row in meta.iter_rows(max_col=2, values_only=True)}
    header = next(c.row for (c,) in meta.iter_rows(max_col=1) if c.value == "map")
    old_map = [tuple(row) for row in meta.iter_rows(min_row=header + 1, max_col=3, values_only=True)]
    ws = wb[WORKSHEET]
    for r, _, option in old_map:
        if option == 0:
            for column in "ABCD":
                ws[f"{column}{r}"] = None
    new_map = [(r, code, 0 if option == -1 else option) for r, code, option in old_map if option != 0]
    meta.delete_rows(header + 1, len(old_map))
    for entry in new_map:
        meta.append(list(entry))
    layout = {name: values[name] for name in ("worksheet", "comment_cell", "table_rows")}
    digest_row = next(c.row for (c,) in meta.iter_rows(max_col=1) if c.value == "digest")
    meta[f"B{digest_row}"] = xlsx_sheets._digest(values, layout, new_map, FORMAT_1)
    meta["B1"] = FORMAT_1
    wb.save(path)


def test_an_old_layout_sheet_still_reads(library, here):
    """A sheet of the layout before the boxes (format ocop-scoring-sheet/1) imports as before: its criterion rows
    checked, its options read; the rows the boxes now take are not mark cells there."""
    sheet = library.sheet("qd26-2026-01")
    path = write(sheet)
    rows = option_rows(load_workbook(path)[WORKSHEET])
    _as_layout_1(path)
    assert load_workbook(path)["_ocop"]["B1"].value == "ocop-scoring-sheet/1"
    choices = random_card(sheet)
    choices = {code: n or 1 for code, n in choices.items()}  # an old sheet has no box to tick
    mark(path, choices)

    filled = read_scoring_sheet(path, library.sheets)

    assert filled.choices == printed_order(sheet, choices)
    assert filled.meta == meta_for(sheet)
    edit(path, lambda ws, _: ws.__setitem__(f"D{rows[('1.1', 0)]}", "x"))
    assert problems(path, library.sheets) == [
        f"card.xlsx:{rows[('1.1', 0)]}: Chọn (x): expected marks only in the yellow cells beside the options, got 'x'"
    ]


def test_an_old_layout_sheet_with_a_box_map_is_refused(library, here):
    """A map with box entries under the old format (or none under the new one) does not fit the sheet."""
    sheet = library.sheet("qd26-2026-01")
    path = write(sheet)
    wb = load_workbook(path)
    meta = wb["_ocop"]
    values = {row[0]: row[1] for row in meta.iter_rows(max_col=2, values_only=True)}
    header = next(c.row for (c,) in meta.iter_rows(max_col=1) if c.value == "map")
    entries = [tuple(row) for row in meta.iter_rows(min_row=header + 1, max_col=3, values_only=True)]
    layout = {name: values[name] for name in ("worksheet", "comment_cell", "table_rows")}
    digest_row = next(c.row for (c,) in meta.iter_rows(max_col=1) if c.value == "digest")
    meta[f"B{digest_row}"] = xlsx_sheets._digest(values, layout, entries, FORMAT_1)
    meta["B1"] = FORMAT_1
    wb.save(path)

    assert problems(path, library.sheets) == [
        f"card.xlsx:{header}: _ocop.map: expected a mark cell for every option of qd26-2026-01, got a map that does"
        " not fit the sheet"
    ]


# --- the layout ------------------------------------------------------------------------------------------


def test_layout_of_the_generated_sheet(library, here):
    """Title block, table columns, headings, ★ markers, notes, total, comment box, signature, print and lock set-up."""
    sheet = library.sheet("qd26-2026-11")
    path = write(
        sheet,
        product_name="Chè Shan tuyết Suối Giàng",
        product_code="YB-01",
        producer="HTX Chè Suối Giàng",
        member_name="Lê Văn Cường",
        session_name="Hội đồng cấp tỉnh, kỳ 1/2026",
        choices={"1.1": 2},
    )
    wb = load_workbook(path)
    assert wb.sheetnames == [WORKSHEET, "_ocop"]
    assert wb["_ocop"].sheet_state == "veryHidden"
    assert wb["_ocop"]["A1"].value == "format"
    assert wb["_ocop"]["B1"].value == FORMAT
    ws = wb[WORKSHEET]
    texts = [ws[f"A{r}"].value for r in range(1, 12)]
    assert texts[:3] == [
        "BỘ TIÊU CHÍ CHÈ TƯƠI, CHÈ CHẾ BIẾN",
        "(Kiêm phiếu đánh giá sản phẩm OCOP)",
        "(Sản phẩm: Thực phẩm. Nhóm: Chè)",
    ]
    for line in (
        "Tên sản phẩm: Chè Shan tuyết Suối Giàng",
        "Mã sản phẩm: YB-01",
        "Chủ thể sản xuất: HTX Chè Suối Giàng",
        "Phiên đánh giá: Hội đồng cấp tỉnh, kỳ 1/2026",
        "Người đánh giá: Lê Văn Cường",
    ):
        assert line in texts

    header = next(c.row for (c,) in ws.iter_rows(min_col=1, max_col=1) if c.value == "Mã")
    assert [ws.cell(header, c).value for c in range(1, 5)] == list(COLUMNS)
    assert ws.freeze_panes == f"A{header + 1}"
    assert ws.print_title_rows == f"${header}:${header}"
    assert ws.page_setup.paperSize == 9  # A4
    assert ws.page_setup.orientation == "portrait"
    assert (ws.page_setup.fitToWidth, ws.page_setup.fitToHeight) == (1, 0)
    assert ws.sheet_properties.pageSetUpPr.fitToPage
    assert ws.protection.sheet and not ws.protection.password

    part_a = header + 1
    assert ws[f"A{part_a}"].value == "Phần A: SẢN PHẨM VÀ SỨC MẠNH CỦA CỘNG ĐỒNG (40 Điểm)"
    assert f"A{part_a}:B{part_a}" in ws.merged_cells
    assert ws[f"C{part_a}"].value == 40
    group_1 = heading_row(ws, "1")
    assert (ws[f"B{group_1}"].value, ws[f"C{group_1}"].value, ws[f"B{group_1}"].font.b) == (
        "TỔ CHỨC SẢN XUẤT",
        18,
        True,
    )
    crit = heading_row(ws, "1.1")
    assert (ws[f"B{crit}"].value, ws[f"C{crit}"].value, ws[f"B{crit}"].font.b) == ("Nguồn nguyên liệu", 3, True)
    assert (
        ws[f"B{crit + 1}"].value == "Ghi chú: Bị loại nếu sử dụng toàn bộ nguyên liệu nhập khẩu hoặc không rõ nguồn gốc"
    )
    assert ws[f"B{crit + 1}"].font.color.rgb == "00C00000"  # knock-out notes in red
    rows = option_rows(ws)
    option = rows[("1.1", 2)]
    assert ws[f"B{option}"].value == "2. Sử dụng nguyên liệu có nguồn gốc trong tỉnh từ 50% đến dưới 75% ***"
    assert ws[f"C{option}"].value == 2
    assert ws[f"D{option}"].value == "x"  # pre-marked
    assert ws[f"D{rows[('1.1', 1)]}"].value is None
    assert ws[f"B{rows[('1.5', 4)]}"].value.endswith(" *****")
    assert ws[f"B{heading_row(ws, '5.2') + 1}"].value == "(Chỉ áp dụng khi có câu chuyện sản phẩm)"

    for r in rows.values():  # every mark cell yellow and unlocked; the text beside it locked
        assert ws[f"D{r}"].fill.fgColor.rgb == "00FFF2CC"
        assert ws[f"D{r}"].protection.locked is False
        assert ws[f"B{r}"].protection.locked is True
        assert ws[f"B{r}"].alignment.wrap_text
    assert ws[f"D{crit}"].protection.locked is True

    total = next(c.row for (c,) in ws.iter_rows(min_col=1, max_col=1) if c.value == "Tổng điểm")
    assert ws[f"C{total}"].value.startswith("=SUMPRODUCT(")
    assert "IF(SUMPRODUCT(" in ws[f"C{total}"].value  # 5.2 counts only with a story
    label = next(c.row for (c,) in ws.iter_rows(min_col=1, max_col=1) if c.value == COMMENT_LABEL)
    assert total < label
    assert f"A{label + 1}:D{label + 5}" in ws.merged_cells
    assert ws[f"A{label + 1}"].protection.locked is False
    signature = [ws[f"B{r}"].value for r in range(label + 6, ws.max_row + 1) if ws[f"B{r}"].value]
    assert signature[:4] == ["……, ngày …… tháng …… năm ……", "Người đánh giá", "(Ký và ghi rõ họ tên)", "Lê Văn Cường"]
    assert ws.print_area == f"'{WORKSHEET}'!$A$1:$D${ws.max_row}"


def test_blank_fields_print_dotted_lines(library, here):
    """Product and member fields left empty print dotted lines to fill in by hand."""
    sheet = library.sheet("qd26-2026-01")
    ws = load_workbook(write(sheet))[WORKSHEET]
    texts = {ws[f"A{r}"].value for r in range(1, 15)}

    assert "Tên sản phẩm: " + "…" * 30 in texts
    assert "Người đánh giá: " + "…" * 30 in texts


def test_write_refuses_inconsistent_input(library, here):
    """Writing refuses a meta for another sheet or version, a bad round, and choices the sheet does not have."""
    sheet = library.sheet("qd26-2026-01")
    with pytest.raises(ValueError, match=r"^meta.sheet_id: expected 'qd26-2026-01' \(the sheet written\), got 'x'$"):
        write_scoring_sheet("a.xlsx", sheet, evolve(meta_for(sheet), sheet_id="x"))
    with pytest.raises(ValueError, match=r"^meta.sheet_sha256: expected '[0-9a-f]{64}' \(the sheet written\), got ''$"):
        write_scoring_sheet("a.xlsx", sheet, evolve(meta_for(sheet), sheet_sha256=""))
    with pytest.raises(ValueError, match=r"^meta.round: expected a whole number >= 1, got 0$"):
        write_scoring_sheet("a.xlsx", sheet, evolve(meta_for(sheet), round=0))
    with pytest.raises(ScorecardError, match=r"^criterion 1.1: expected an option between 0 and 3, got 4$"):
        write(sheet, choices={"1.1": 4})
    with pytest.raises(ScorecardError, match=r"^sheet qd26-2026-01 has no criterion '9.9'$"):
        write(sheet, choices={"9.9": 1})
    assert not Path("a.xlsx").exists()


# --- refusals ------------------------------------------------------------------------------------------


@pytest.fixture
def sheet01(library) -> Sheet:
    return library.sheet("qd26-2026-01")


@pytest.fixture
def card(sheet01, here) -> Path:
    """A complete card on sheet 1 (best options), to be damaged by each test."""
    return write(sheet01, choices=best_choices(sheet01))


def _zip_without_workbook(path: Path) -> None:
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("a.txt", "hi")


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (
            b"product_id,sheet_id\n",
            "card.xlsx: file: expected an XLSX workbook (.xlsx), got a file that is not XLSX",
        ),
        (
            b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504),
            "card.xlsx: file: expected an XLSX workbook (.xlsx), got an old .xls or a password-protected workbook",
        ),
        (
            _zip_without_workbook,
            "card.xlsx: file: expected an XLSX scoring sheet made by the toolkit, got an unreadable workbook"
            " (\"There is no item named '[Content_Types].xml' in the archive\")",
        ),
        (None, "card.xlsx: file: expected a readable file, got No such file or directory"),
    ],
    ids=["csv", "xls", "zip", "missing"],
)
def test_refuses_what_is_not_an_xlsx_file(library, here, content, expected):
    """A CSV, an old .xls, a zip that is no workbook and a missing file are each named for what they are."""
    path = here / "card.xlsx"
    if isinstance(content, bytes):
        path.write_bytes(content)
    elif content is not None:
        content(path)

    assert problems("card.xlsx", library.sheets) == [expected]


def test_refuses_a_file_over_20_mb_without_loading_it(library, here, monkeypatch):
    """A file over 20 MB is refused from its size alone; openpyxl never opens it."""
    with open("card.xlsx", "wb") as fh:
        fh.truncate(20 * 1024 * 1024 + 1)
    monkeypatch.setattr(xlsx_sheets, "load_workbook", lambda *a, **k: pytest.fail("loaded a file over 20 MB"))

    assert problems("card.xlsx", library.sheets) == [
        "card.xlsx: file: expected an XLSX file of at most 20 MB, got 20,971,521 bytes"
    ]


def test_refuses_a_workbook_that_is_not_a_scoring_sheet(library, here):
    """An ordinary workbook (no hidden _ocop sheet) is not taken for a scoring sheet."""
    wb = Workbook()
    wb.active.title = "Điểm"
    wb.save("card.xlsx")

    assert problems("card.xlsx", library.sheets) == [
        "card.xlsx: _ocop: expected a scoring sheet made by the toolkit (its hidden sheet _ocop), got a workbook"
        " without it (sheets: Điểm)"
    ]


def _edit_meta(path: Path, cells: Mapping[str, object]) -> None:
    wb = load_workbook(path)
    for coordinate, value in cells.items():
        wb["_ocop"][coordinate] = value
    wb.save(path)


def test_refuses_altered_metadata(library, card):
    """Changing the member in the hidden metadata (here TV01 to TV02) breaks its digest."""
    _edit_meta(card, {"B4": "TV02"})

    assert problems("card.xlsx", library.sheets) == [
        "card.xlsx:11: _ocop: expected the metadata written by the toolkit, got altered metadata (its digest does"
        " not match)"
    ]


def test_refuses_altered_map(library, card):
    """Pointing a map entry at another row is caught by the digest too."""
    wb = load_workbook(card)
    wb["_ocop"]["A14"] = wb["_ocop"]["A14"].value + 1
    wb.save(card)

    assert problems("card.xlsx", library.sheets) == [
        "card.xlsx:11: _ocop: expected the metadata written by the toolkit, got altered metadata (its digest does"
        " not match)"
    ]


def test_refuses_missing_metadata(library, card):
    """A missing member id and a foreign format version are both reported."""
    _edit_meta(card, {"B1": "ocop-scoring-sheet/9", "B4": None, "B7": "zwei"})

    assert problems("card.xlsx", library.sheets) == [
        "card.xlsx:1: _ocop.format: expected ocop-scoring-sheet/2 (or the older ocop-scoring-sheet/1), got"
        " 'ocop-scoring-sheet/9'",
        "card.xlsx:4: _ocop.member_id: expected a value written by the toolkit, got nothing",
        "card.xlsx:7: _ocop.round: expected a whole number >= 1, got 'zwei'",
    ]


def test_refuses_a_form_made_for_another_version_of_the_sheet(library, card, sheet01):
    """A form whose criteria sheet has changed since it was generated is refused, naming both digests."""
    changed = evolve(sheet01, sha256="ab" * 32)

    assert problems("card.xlsx", {sheet01.sheet_id: changed}) == [
        f"card.xlsx:6: _ocop.sheet_sha256: expected the sheet this form was generated for (qd26-2026-01 is now"
        f" sha256 abababababab…), got a form made from another version of qd26-2026-01 (sha256"
        f" {sheet01.sha256[:12]}…)"
    ]


def test_refuses_an_unknown_sheet(library, card):
    """A form for a sheet that is not loaded is refused."""
    others = {sid: s for sid, s in library.sheets.items() if sid != "qd26-2026-01"}

    assert problems("card.xlsx", others) == [
        "card.xlsx:5: _ocop.sheet_id: expected a known criteria sheet (qd26-2026-02 … qd26-2026-26), got 'qd26-2026-01'"
    ]


def test_refuses_two_marks_for_one_criterion(library, card):
    """Two marks for one criterion name both rows and both options."""
    rows = option_rows(load_workbook(card)[WORKSHEET])
    edit(card, lambda ws, rows: ws.__setitem__(f"D{rows[('1.2', 1)]}", "x"))

    assert problems("card.xlsx", library.sheets) == [
        f"card.xlsx:{rows[('1.2', 3)]}: criterion 1.2: expected one marked option, got marks on rows"
        f" {rows[('1.2', 1)]} and {rows[('1.2', 3)]} (options 1 and 3)"
    ]


def test_refuses_a_criterion_without_mark(library, card):
    """A criterion left blank (no option, no "Không đạt" box) is named on its heading row; 5.2 needs a mark
    while 5.1 is blank too."""
    ws = load_workbook(card)[WORKSHEET]
    mark(card, {"1.5": None, "5.1": None, "5.2": None})

    assert problems("card.xlsx", library.sheets) == [
        f"card.xlsx:{heading_row(ws, '1.5')}: criterion 1.5: expected one option marked x, got no mark",
        f"card.xlsx:{heading_row(ws, '5.1')}: criterion 5.1: expected one option marked x, got no mark",
        f"card.xlsx:{heading_row(ws, '5.2')}: criterion 5.2: expected one option marked x, got no mark",
    ]


@pytest.mark.parametrize(("value", "shown"), [("2", "'2'"), ("xx", "'xx'"), (2, "2"), ("o", "'o'"), (False, "False")])
def test_refuses_a_mark_that_is_not_x(library, card, value, shown):
    """Anything but x, X, ✓, ✔, 1 or TRUE in a mark cell is named with its value (and not also called missing)."""
    rows = option_rows(load_workbook(card)[WORKSHEET])
    mark(card, {"1.3": 2}, value)

    assert problems("card.xlsx", library.sheets) == [
        f"card.xlsx:{rows[('1.3', 2)]}: criterion 1.3: expected a mark x (or X, ✓, ✔, 1, TRUE) in Chọn (x), or an"
        f" empty cell, got {shown}"
    ]


def test_refuses_a_formula_in_a_mark_cell(library, card):
    """A formula in a mark cell is refused, even one that would show x."""
    rows = option_rows(load_workbook(card)[WORKSHEET])
    mark(card, {"2.1": 1}, '=IF(TRUE,"x","")')

    assert problems("card.xlsx", library.sheets) == [
        f"card.xlsx:{rows[('2.1', 1)]}: criterion 2.1: expected a typed mark x (or X, ✓, ✔, 1, TRUE) in Chọn (x),"
        f' not a formula, got the formula =IF(TRUE,"x","")'
    ]


@pytest.mark.parametrize("where", ["inserted", "deleted"])
def test_refuses_rows_inserted_or_deleted(library, card, where):
    """A row inserted or deleted above the marks moves them off the mapped rows; the first moved row is named."""
    ws = load_workbook(card)[WORKSHEET]
    rows = option_rows(ws)
    at = rows[("1.3", 2)]
    mapped = [*rows.values(), *(heading_row(ws, leaf.code) for leaf in library.sheet("qd26-2026-01").leaves)]
    moved = sum(1 for r in mapped if r > at)
    if where == "inserted":
        edit(card, lambda ws, rows: ws.insert_rows(at))
        got = "an empty code cell"
    else:
        edit(card, lambda ws, rows: ws.delete_rows(at))
        got = "the code cell '1.3'"

    assert problems("card.xlsx", library.sheets) == [
        f"card.xlsx:{at}: criterion 1.3: expected option 2 of criterion 1.3 on this row, as generated (no row"
        f" inserted or deleted), got {got} ({moved} more rows below have moved too)"
    ]


def test_refuses_a_moved_comment_box(library, card):
    """A row deleted between the table and the comment box is noticed before the wrong cell is read."""
    ws = load_workbook(card)[WORKSHEET]
    label = next(c.row for (c,) in ws.iter_rows(min_col=1, max_col=1) if c.value == COMMENT_LABEL)
    edit(card, lambda ws, rows: ws.delete_rows(label - 1))

    assert problems("card.xlsx", library.sheets) == [
        f"card.xlsx:{label}: Ý kiến của người đánh giá: expected the label 'Ý kiến của người đánh giá:' on this"
        " row, as generated (no row inserted or deleted), got nothing there"
    ]


def test_refuses_cells_over_1000_characters(library, card):
    """A mark cell or comment over 1,000 characters is refused and only its start is echoed."""
    ws = load_workbook(card)[WORKSHEET]
    rows = option_rows(ws)
    label = next(c.row for (c,) in ws.iter_rows(min_col=1, max_col=1) if c.value == COMMENT_LABEL)

    def change(ws: Worksheet, rows: dict[tuple[str, int], int]) -> None:
        ws[f"D{rows[('1.6', 1)]}"] = "x" * 1001
        ws[f"A{label + 1}"] = "Ý kiến " * 200

    edit(card, change)

    assert problems("card.xlsx", library.sheets) == [
        f"card.xlsx:{rows[('1.6', 1)]}: criterion 1.6: expected at most 1,000 characters, got 1,001 characters"
        f" starting '{'x' * 40}'…",
        f"card.xlsx:{label + 1}: Ý kiến của người đánh giá: expected at most 1,000 characters, got 1,399 characters"
        f" starting '{('Ý kiến ' * 6)[:40]}'…",
    ]


def test_refuses_a_mark_outside_the_option_cells(library, card):
    """An x typed beside a criterion heading (the sheet unprotected) is not silently ignored."""
    ws = load_workbook(card)[WORKSHEET]
    crit = heading_row(ws, "2.2")
    edit(card, lambda ws, rows: ws.__setitem__(f"D{crit}", "x"))

    assert problems("card.xlsx", library.sheets) == [
        f"card.xlsx:{crit}: Chọn (x): expected marks only in the yellow cells beside the options, got 'x'"
    ]


def test_reports_every_problem_at_once_in_row_order(library, card):
    """Several defects in one file come back together, in the order of their rows."""
    ws = load_workbook(card)[WORKSHEET]
    rows = option_rows(ws)

    def change(ws: Worksheet, rows: dict[tuple[str, int], int]) -> None:
        ws[f"D{rows[('4.1', 1)]}"] = "=1"
        ws[f"D{rows[('1.1', 1)]}"] = "x"
        ws[f"D{rows[('2.3', 3)]}"] = None
        ws[f"D{rows[('3.1', 1)]}"] = "v"

    edit(card, change)

    with pytest.raises(ScoresInputError) as excinfo:
        read_scoring_sheet("card.xlsx", library.sheets)
    assert str(excinfo.value).splitlines() == [
        "4 problems in card.xlsx:",
        f"  card.xlsx:{rows[('1.1', 3)]}: criterion 1.1: expected one marked option, got marks on rows"
        f" {rows[('1.1', 1)]} and {rows[('1.1', 3)]} (options 1 and 3)",
        f"  card.xlsx:{heading_row(ws, '2.3')}: criterion 2.3: expected one option marked x, got no mark",
        f"  card.xlsx:{rows[('3.1', 1)]}: criterion 3.1: expected a mark x (or X, ✓, ✔, 1, TRUE) in Chọn (x), or an"
        " empty cell, got 'v'",
        f"  card.xlsx:{rows[('4.1', 1)]}: criterion 4.1: expected a typed mark x (or X, ✓, ✔, 1, TRUE) in Chọn (x),"
        " not a formula, got the formula =1",
    ]


# --- printing --------------------------------------------------------------------------------------------


@pytest.mark.skipif(LIBREOFFICE is None, reason="LibreOffice is not installed")
def test_renders_to_a4_pdf_with_libreoffice(library, here):
    """LibreOffice prints the sheet on A4 portrait pages, the table header on every page and the total computed."""
    sheet = library.sheet("qd26-2026-11")
    path = write(sheet, choices=best_choices(sheet), product_name="Chè Shan tuyết", member_name="Lê Văn Cường")
    subprocess.run(
        [
            LIBREOFFICE,
            f"-env:UserInstallation={(here / 'lo-profile').as_uri()}",
            "--headless",
            "--convert-to",
            "pdf",
            "--outdir",
            str(here),
            str(path),
        ],
        check=True,
        capture_output=True,
        timeout=240,
    )
    pdf = path.with_suffix(".pdf").read_bytes()

    assert pdf.startswith(b"%PDF")
    boxes = re.findall(rb"/MediaBox\s*\[\s*0 0 ([\d.]+) ([\d.]+)\s*\]", pdf)
    assert boxes
    assert all(round(float(w)) == 595 and round(float(h)) == 842 for w, h in boxes)  # A4 portrait, in points
    pdftotext = shutil.which("pdftotext")
    if pdftotext is None:
        return
    text = subprocess.run(
        [pdftotext, "-layout", str(path.with_suffix(".pdf")), "-"], check=True, capture_output=True, text=True
    ).stdout
    pages = [page for page in text.split("\f") if page.strip()]
    assert len(pages) > 1
    assert "BỘ TIÊU CHÍ CHÈ TƯƠI, CHÈ CHẾ BIẾN" in pages[0]
    assert all("Chọn (x)" in page for page in pages)  # the header row repeats
    assert re.search(r"Tổng điểm\s+100\b", text)
    assert "(Ký và ghi rõ họ tên)" in pages[-1]
