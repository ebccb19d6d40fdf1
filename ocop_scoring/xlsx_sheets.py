"""Paper-like XLSX scoring sheets: one workbook per member and product, read back into choices.

Layer: loader. Imports: errors, model, scoring (``score_card``), openpyxl.

``write_scoring_sheet`` lays a criteria sheet out like the printed form of
Decision 26/2026 ("Bộ tiêu chí … (Kiêm phiếu đánh giá sản phẩm OCOP)"): a
title block, then one row per part, group, criterion and option, with a
yellow "Chọn (x)" cell beside every option. The member (or the secretary,
copying a paper form) types an ``x`` beside one option per criterion.

The printed sheets are checklists: a product may reach none of a criterion's
options ("không đạt", 0 points; option 0, ``model.NOT_MET``). Every scored
criterion whose printed options have no 0-point one gets, after them, a box
"Không đạt (0 điểm)" (italic, grey), read back as option 0. A criterion
that prints a 0-point option needs no box (that option is "không đạt"); a
choice 0 given to the writer there is pre-marked on that option. A criterion
with no mark at all stays blank, as before: incomplete unless the sheet lets
it be left blank.

A very hidden worksheet ``_ocop`` holds the metadata (``ScoringSheetMeta``)
and the map from each mark cell's row to (criterion, option), with a digest
over both; ``read_scoring_sheet`` reads the marks through that map only (never
from the visible text), checks that each mapped row still shows its criterion
code (and option number, or the box's label) so that no row was inserted or
deleted, and reports every problem of the file at once as a
``ScoresInputError``.

The layout is versioned by the ``format`` cell (``_ocop!B1``, covered by the
digest). ``ocop-scoring-sheet/2`` (written now): the map's option -1 is a
criterion's own row, 0 the "Không đạt" box, 1… the printed options.
``ocop-scoring-sheet/1`` (sheets written before the box existed) is still
read: there the map's option 0 is the criterion's own row and there is no
box, so such a sheet can only record printed options.

Row heights are set explicitly (an estimate from a word wrap): neither Excel
nor LibreOffice fits merged rows by itself, and fixed heights print the same
in both.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import re
import unicodedata
import zipfile
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from attrs import frozen
from openpyxl import Workbook, load_workbook
from openpyxl.formatting.rule import FormulaRule
from openpyxl.styles import Alignment, Border, Font, PatternFill, Protection, Side
from openpyxl.workbook.protection import WorkbookProtection
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.formula import ArrayFormula, DataTableFormula
from openpyxl.worksheet.worksheet import Worksheet

from ocop_scoring.errors import ProblemCollector, ScorecardError, ScoresInputError, verbatim
from ocop_scoring.model import NOT_MET, NOT_MET_TEXT_VI, Criterion, Option, Sheet
from ocop_scoring.scoring import score_card

FORMAT = "ocop-scoring-sheet/2"  # the layout written now: with the "Không đạt (0 điểm)" boxes
FORMAT_1 = "ocop-scoring-sheet/1"  # the layout before the boxes: still read
FORMATS = (FORMAT, FORMAT_1)
HEADING = -1  # the map's option for a criterion's own row (format 1 wrote 0 there)
NOT_MET_LABEL = "Không đạt (0 điểm)"  # the box after the printed options (option 0, model.NOT_MET)
META_SHEET = "_ocop"
WORKSHEET = "Phiếu đánh giá"
COLUMNS = ("Mã", "Tiêu chí / Phương án", "Điểm", "Chọn (x)")
MARK_COLUMN = "D"
COMMENT_LABEL = "Ý kiến của người đánh giá:"
MAX_FILE_BYTES = 20 * 1024 * 1024
MAX_UNZIPPED_BYTES = 200 * 1024 * 1024
MAX_CELL_CHARS = 1000
ACCEPTED_MARKS = ("x", "X", "✓", "✔", "1", "TRUE")
_MARKS = frozenset({"x", "✓", "✔", "1", "true"})
_META_FIELDS = ("session_id", "product_id", "member_id", "sheet_id", "sheet_sha256", "round")
_LAYOUT_FIELDS = ("worksheet", "comment_cell", "table_rows")
_MAP_HEADER = ("map", "criterion", "option")
_CELL_RE = re.compile(r"^A([1-9]\d{0,6})$")
_ROWS_RE = re.compile(r"^([1-9]\d{0,6}):([1-9]\d{0,6})$")
_MARK_HELP = "x (or X, ✓, ✔, 1, TRUE)"
_LO_BOOLEANS = {"=TRUE()": True, "=TRUE": True, "=FALSE()": False, "=FALSE": False}


@frozen
class ScoringSheetMeta:
    """What a generated scoring sheet is for: the session, product, member, criteria sheet and round."""

    session_id: str
    product_id: str
    member_id: str
    sheet_id: str
    sheet_sha256: str  # the criteria sheet's file digest when the form was made (Sheet.sha256)
    round: int  # 1 for the first scoring, 2… after a discussion


@frozen
class FilledSheet:
    """A scoring sheet read back: its metadata, the marked options in printed order and the comment.

    ``choices`` holds (criterion code, option number); 0 is a ticked "Không đạt" box.
    """

    meta: ScoringSheetMeta
    choices: tuple[tuple[str, int], ...]
    comment: str


# --- writing -----------------------------------------------------------------------------------------

_FONT_NAME = "Times New Roman"
_WIDTHS = {"A": 8.0, "B": 66.0, "C": 8.0, "D": 9.0}
_TABLE_WIDTH = sum(_WIDTHS.values())
_LINE_PT = {9: 12.5, 10: 14.0, 11: 15.0, 13: 17.5}
_THIN = Side(style="thin", color="808080")
_BORDER = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
_MARK_FILL = PatternFill("solid", fgColor="FFF2CC")
_PART_FILL = PatternFill("solid", fgColor="D9D9D9")
_GROUP_FILL = PatternFill("solid", fgColor="EDEDED")
_HEADER_FILL = PatternFill("solid", fgColor="D9E1F2")
_CHOSEN_FILL = PatternFill("solid", fgColor="E2EFDA", bgColor="E2EFDA")
_RED = "C00000"
_GREY = "7F7F7F"
_UNLOCKED = Protection(locked=False)


def _font(size: int = 11, *, bold: bool = False, italic: bool = False, color: str | None = None) -> Font:
    return Font(name=_FONT_NAME, size=size, bold=bold, italic=italic, color=color)


def _wrapped_lines(text: str, width: float, *, bold: bool = False, size: int = 11) -> int:
    """Lines a wrapped cell needs: a greedy word wrap, slightly pessimistic so nothing is cut off.

    Times New Roman 11 fits roughly 1.5 characters of Vietnamese text per unit
    of column width in LibreOffice's PDF and about 1.35 by Excel's pixel
    arithmetic (a unit is one Calibri 11 digit); 1.3 leaves a margin.
    """
    per_line = max(4, int(width * (1.2 if bold else 1.3) * 11 / size) - 2)
    lines = 0
    for paragraph in text.split("\n"):
        used = 0
        count = 1
        for word in paragraph.split():
            need = len(word) if used == 0 else used + 1 + len(word)
            if need <= per_line:
                used = need
                continue
            count += 1
            used = len(word)
            while used > per_line:
                count += 1
                used -= per_line
        lines += count
    return max(1, lines)


class _Writer:
    """Lays out the visible worksheet row by row and records the mark-cell map."""

    def __init__(self, ws: Worksheet, sheet: Sheet, choices: Mapping[str, int]) -> None:
        self.ws = ws
        self.sheet = sheet
        self.choices = choices
        self.row = 0
        self.heights: dict[int, float] = {}
        self.marks: list[tuple[int, str, int]] = []  # (row, criterion, option); HEADING: criterion row, 0: box
        self.leaf_rows: dict[str, tuple[int, int]] = {}  # first and last option row of each leaf

    # one row ---------------------------------------------------------------------------------------

    def _fit(self, row: int, text: str, width: float, *, size: int = 11, bold: bool = False) -> None:
        lines = _wrapped_lines(text, width, bold=bold, size=size)
        height = lines * _LINE_PT.get(size, size * 1.4) + 3
        self.heights[row] = max(self.heights.get(row, 0.0), height)

    def wide(
        self,
        text: str,
        *,
        size: int = 11,
        bold: bool = False,
        italic: bool = False,
        color: str | None = None,
        align: str = "left",
        first: str = "A",
    ) -> int:
        """A row whose text spans the table (merged ``first``:D), outside the table grid."""
        self.row += 1
        r = self.row
        cell = self.ws[f"{first}{r}"]
        cell.value = text
        cell.font = _font(size, bold=bold, italic=italic, color=color)
        cell.alignment = Alignment(horizontal=align, vertical="center", wrap_text=True)
        self.ws.merge_cells(f"{first}{r}:D{r}")
        width = _TABLE_WIDTH - (_WIDTHS["A"] if first == "B" else 0)
        self._fit(r, text, width, size=size, bold=bold)
        return r

    def blank(self, height: float = 8.0) -> None:
        self.row += 1
        self.heights[self.row] = height

    def table_row(
        self,
        code: str,
        text: str,
        points: int | None,
        *,
        font: Font,
        code_font: Font | None = None,
        fill: PatternFill | None = None,
        indent: int = 0,
        mark: bool = False,
    ) -> int:
        """A row of the table grid: code, text, points and the (locked or yellow) mark cell."""
        self.row += 1
        r = self.row
        ws = self.ws
        values = (code or None, text, points, None)
        for column, value in zip("ABCD", values, strict=True):
            cell = ws[f"{column}{r}"]
            cell.value = value
            cell.border = _BORDER
            cell.font = font
            if fill is not None:
                cell.fill = fill
        ws[f"A{r}"].font = code_font or font
        ws[f"A{r}"].alignment = Alignment(horizontal="center", vertical="top")
        ws[f"B{r}"].alignment = Alignment(horizontal="left", vertical="top", wrap_text=True, indent=indent)
        ws[f"C{r}"].alignment = Alignment(horizontal="center", vertical="top")
        ws[f"D{r}"].alignment = Alignment(horizontal="center", vertical="center")
        if mark:
            ws[f"D{r}"].fill = _MARK_FILL
            ws[f"D{r}"].protection = _UNLOCKED
            ws[f"D{r}"].font = _font(12, bold=True)
        self._fit(r, text, _WIDTHS["B"] - indent * 2.5, bold=bool(font.b), size=int(font.sz or 11))
        return r

    def note(self, text: str, *, color: str | None = None, size: int = 10, indent: int = 1) -> int:
        """A note row inside the grid (not scored): italic text in column B."""
        return self.table_row(
            "", text, None, font=_font(size, italic=True, color=color), indent=indent, code_font=_font(size)
        )

    # the sheet -------------------------------------------------------------------------------------

    def title_block(self, meta: ScoringSheetMeta, info: Mapping[str, str]) -> None:
        sheet = self.sheet
        heading = sheet.heading_vi or f"BỘ TIÊU CHÍ {sheet.title_vi.upper()}"
        self.wide(heading, size=13, bold=True, align="center")
        if "kiêm phiếu" not in heading.lower():
            self.wide("(Kiêm phiếu đánh giá sản phẩm OCOP)", italic=True, bold=True, align="center")
        if sheet.classification_line_vi:
            self.wide(sheet.classification_line_vi, italic=True, align="center")
        source = sheet.source.split(";")[0].strip()
        if source:
            self.wide(source, size=9, italic=True, color=_GREY, align="center")
        self.blank()
        dots = "…" * 30
        lines = (
            ("Tên sản phẩm", info["product_name"]),
            ("Mã sản phẩm", info["product_code"]),
            ("Chủ thể sản xuất", info["producer"]),
            ("Phiên đánh giá", info["session_name"]),
            ("Người đánh giá", info["member_name"]),
        )
        for label, value in lines:
            self.wide(f"{label}: {value or dots}")
        self.wide(f"Vòng chấm: {meta.round}")
        for text in sheet.dossier_knockouts_vi:
            self.wide(text, size=10, italic=True, color=_RED)
        self.wide(
            "Hướng dẫn: với mỗi tiêu chí, đánh dấu x vào một ô màu vàng (cột “Chọn (x)”) bên cạnh phương án được "
            f"chọn; nếu sản phẩm không đạt phương án nào, đánh dấu x vào ô “{NOT_MET_LABEL}”. Không chèn, xoá hay "
            "di chuyển dòng.",
            size=10,
            italic=True,
        )
        self.blank()

    def header(self) -> int:
        self.row += 1
        r = self.row
        for column, text in zip("ABCD", COLUMNS, strict=True):
            cell = self.ws[f"{column}{r}"]
            cell.value = text
            cell.font = _font(11, bold=True)
            cell.fill = _HEADER_FILL
            cell.border = _BORDER
            cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        self.heights[r] = 30.0
        return r

    def part(self, code: str, label: str, max_points: int, anomaly_note: str | None) -> None:
        self.row += 1
        r = self.row
        ws = self.ws
        for column in "ABCD":
            ws[f"{column}{r}"].border = _BORDER
            ws[f"{column}{r}"].fill = _PART_FILL
            ws[f"{column}{r}"].font = _font(11, bold=True)
        ws[f"A{r}"].value = label
        ws[f"A{r}"].alignment = Alignment(horizontal="left", vertical="center", wrap_text=True)
        ws.merge_cells(f"A{r}:B{r}")
        ws[f"C{r}"].value = max_points
        ws[f"C{r}"].alignment = Alignment(horizontal="center", vertical="center")
        self._fit(r, label, _WIDTHS["A"] + _WIDTHS["B"], bold=True)
        if anomaly_note:
            self.note(anomaly_note, color=_GREY, size=9)

    def node(self, node: Criterion) -> None:
        indent = 1 if node.kind == "sub_criterion" else 0
        fill = _GROUP_FILL if node.kind == "group" else None
        heading_row = self.table_row(
            node.code, node.text_vi, node.max_points, font=_font(11, bold=True), fill=fill, indent=indent
        )
        if node.is_leaf:
            self.marks.append((heading_row, node.code, HEADING))
        if node.condition is not None:
            self.note(f"({node.condition.note_vi})", indent=indent + 1)
        for text in node.notes_vi:
            self.note(text, indent=indent + 1)
        for text in node.knockout_vi:
            self.note(text, color=_RED, indent=indent + 1)
        if node.anomaly is not None:
            self.note(_anomaly_text(node.anomaly.note_vi), color=_GREY, size=9, indent=indent + 1)
        if node.is_leaf:
            self.options(node, indent + 1)
        for child in node.children:
            self.node(child)

    def options(self, leaf: Criterion, indent: int) -> None:
        cases = {case.code: case.text_vi for case in leaf.cases}
        current_case: str | None = None
        first = last = 0
        chosen = self.choices.get(leaf.code)
        if chosen == NOT_MET and leaf.prints_zero_option:
            # no box here: the printed 0-point option is "không đạt" (the same 0 points)
            chosen = next(o.number for o in leaf.options if o.points == 0)
        for option in leaf.options:
            if option.case is not None and option.case != current_case:
                current_case = option.case
                self.table_row(
                    "", cases.get(option.case, option.case), None, font=_font(11, bold=True, italic=True), indent=indent
                )
            r = self.table_row(
                leaf.code,
                _option_text(option),
                option.points,
                font=_font(11),
                code_font=_font(9, color=_GREY),
                indent=indent,
                mark=True,
            )
            if chosen == option.number:
                self.ws[f"D{r}"].value = "x"
            self.marks.append((r, leaf.code, option.number))
            first = first or r
            last = r
            if option.anomaly is not None:
                self.note(_anomaly_text(option.anomaly.note_vi), color=_GREY, size=9, indent=indent + 1)
                last = self.row
        if not leaf.prints_zero_option:
            r = self.table_row(
                leaf.code,
                NOT_MET_LABEL,
                0,
                font=_font(11, italic=True, color=_GREY),
                code_font=_font(9, color=_GREY),
                indent=indent,
                mark=True,
            )
            if chosen == NOT_MET:
                self.ws[f"D{r}"].value = "x"
            self.marks.append((r, leaf.code, NOT_MET))
            last = r
        self.leaf_rows[leaf.code] = (first, last)

    def total(self) -> int:
        self.row += 1
        r = self.row
        ws = self.ws
        for column in "ABCD":
            ws[f"{column}{r}"].border = _BORDER
            ws[f"{column}{r}"].fill = _PART_FILL
            ws[f"{column}{r}"].font = _font(12, bold=True)
        ws[f"A{r}"].value = "Tổng điểm"
        ws[f"A{r}"].alignment = Alignment(horizontal="right", vertical="center")
        ws.merge_cells(f"A{r}:B{r}")
        ws[f"C{r}"].value = self._total_formula()
        ws[f"C{r}"].alignment = Alignment(horizontal="center", vertical="center")
        self.heights[r] = 21.0
        return r

    def _total_formula(self) -> str:
        """Sum of the marked options' points; a conditional criterion counts only when its condition holds."""

        def leaf_sum(code: str) -> str:
            a, b = self.leaf_rows[code]
            return f'SUMPRODUCT((D{a}:D{b}<>"")*C{a}:C{b})'

        terms = []
        for leaf in self.sheet.leaves:
            cond = leaf.condition
            if cond is not None and cond.criterion in self.leaf_rows:
                terms.append(f"IF({leaf_sum(cond.criterion)}>={cond.min_points},{leaf_sum(leaf.code)},0)")
            else:
                terms.append(leaf_sum(leaf.code))
        return "=" + "+".join(terms) if terms else "=0"

    def closing(self, sheet: Sheet, meta: ScoringSheetMeta, member_name: str, comment: str) -> str:
        if sheet.star_note_vi:
            self.wide(sheet.star_note_vi, size=10, italic=True)
        self.blank()
        self.wide(COMMENT_LABEL, bold=True)
        self.row += 1
        top = self.row
        self.row += 4
        ws = self.ws
        cell = ws[f"A{top}"]
        cell.value = comment or None
        cell.font = _font(11)
        cell.alignment = Alignment(horizontal="left", vertical="top", wrap_text=True)
        cell.protection = _UNLOCKED
        for r in range(top, self.row + 1):
            self.heights[r] = 20.0
            for column in "ABCD":
                ws[f"{column}{r}"].border = _BORDER
                ws[f"{column}{r}"].protection = _UNLOCKED
        ws.merge_cells(f"A{top}:D{self.row}")
        self.blank(12)
        self.wide("……, ngày …… tháng …… năm ……", italic=True, align="center", first="B")
        self.wide("Người đánh giá", bold=True, align="center", first="B")
        self.wide("(Ký và ghi rõ họ tên)", italic=True, align="center", first="B")
        for _ in range(3):
            self.blank(20)
        self.wide(member_name or "", bold=True, align="center", first="B")
        self.blank()
        self.wide(
            f"Mã phiếu: {meta.session_id} / {meta.product_id} / {meta.member_id} / {meta.sheet_id} / vòng {meta.round}"
            " (phiếu do bộ công cụ OCOP tạo; không chèn hay xoá dòng)",
            size=9,
            italic=True,
            color=_GREY,
        )
        return f"A{top}"


def _option_text(option: Option) -> str:
    stars = f" {'*' * option.star}" if option.star else ""
    return f"{option.number}. {option.text_vi}{stars}"


def _anomaly_text(note: str) -> str:
    return f"Ghi chú của bộ công cụ: {note}"


def write_scoring_sheet(
    path: str | os.PathLike[str],
    sheet: Sheet,
    meta: ScoringSheetMeta,
    *,
    product_name: str = "",
    product_code: str = "",
    producer: str = "",
    member_name: str = "",
    session_name: str = "",
    choices: Mapping[str, int] | None = None,
    comment: str = "",
) -> Path:
    """Write one member's scoring sheet for one product, laid out like the printed form.

    ``choices`` (criterion code -> option number, 0 for "không đạt") are
    pre-marked with ``x`` and ``comment`` written into the comment cell, e.g.
    to print a card entered on screen. A 0 is marked in the criterion's
    "Không đạt (0 điểm)" box, or on its printed 0-point option when it prints
    one (and then reads back as that option, worth the same 0 points).

    Raises:
        ValueError: If ``meta`` names another sheet or another version of it.
        ScorecardError: If ``choices`` name an unknown criterion or option.
    """
    if meta.sheet_id != sheet.sheet_id:
        msg = f"meta.sheet_id: expected {sheet.sheet_id!r} (the sheet written), got {meta.sheet_id!r}"
        raise ValueError(msg)
    if meta.sheet_sha256 != sheet.sha256:
        msg = f"meta.sheet_sha256: expected {sheet.sha256!r} (the sheet written), got {meta.sheet_sha256!r}"
        raise ValueError(msg)
    if isinstance(meta.round, bool) or not isinstance(meta.round, int) or meta.round < 1:
        msg = f"meta.round: expected a whole number >= 1, got {meta.round!r}"
        raise ValueError(msg)
    chosen = dict(choices or {})
    for code, number in chosen.items():
        sheet.leaf(code).option(number)
    path = Path(path)

    wb = Workbook()
    ws = wb.active
    ws.title = WORKSHEET
    writer = _Writer(ws, sheet, chosen)
    info = {
        "product_name": product_name,
        "product_code": product_code,
        "producer": producer,
        "session_name": session_name,
        "member_name": member_name,
    }
    writer.title_block(meta, info)
    header_row = writer.header()
    for part in sheet.parts:
        writer.part(part.code, part.label_vi, part.max_points, part.anomaly and _anomaly_text(part.anomaly.note_vi))
        for group in part.groups:
            writer.node(group)
    writer.total()
    table_rows = f"{header_row + 1}:{writer.row}"
    comment_cell = writer.closing(sheet, meta, member_name, unicodedata.normalize("NFC", comment))
    last_row = writer.row

    for column, width in _WIDTHS.items():
        ws.column_dimensions[column].width = width
    for r, height in writer.heights.items():
        ws.row_dimensions[r].height = round(height, 1)
    ws.freeze_panes = f"A{header_row + 1}"
    ws.print_title_rows = f"{header_row}:{header_row}"
    ws.print_area = f"A1:D{last_row}"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.orientation = ws.ORIENTATION_PORTRAIT
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_options.horizontalCentered = True
    ws.page_margins.left = ws.page_margins.right = 0.5
    ws.page_margins.top = ws.page_margins.bottom = 0.6
    ws.oddFooter.left.text = f"{meta.product_id} · {meta.member_id}"
    ws.oddFooter.left.size = 8
    ws.oddFooter.center.text = "Trang &P/&N"
    ws.oddFooter.center.size = 8
    ws.sheet_view.zoomScale = 100

    mark_rows = [r for r, _, option in writer.marks if option != HEADING]
    if mark_rows:
        validation = DataValidation(
            type="list",
            formula1='"x"',
            allow_blank=True,
            showErrorMessage=False,
            sqref=" ".join(f"D{r}" for r in mark_rows),
        )
        ws.add_data_validation(validation)
        ws.conditional_formatting.add(  # the chosen option's row turns green
            f"B{mark_rows[0]}:C{mark_rows[-1]}", FormulaRule(formula=[f"LEN($D{mark_rows[0]})>0"], fill=_CHOSEN_FILL)
        )
    ws.protection.sheet = True
    ws.protection.formatRows = False  # a member may still resize rows and columns to read long texts
    ws.protection.formatColumns = False

    layout = {"worksheet": WORKSHEET, "comment_cell": comment_cell, "table_rows": table_rows}
    _write_meta(wb, meta, layout, writer.marks)
    wb.security = WorkbookProtection(lockStructure=True)
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)
    return path


def _digest(
    meta: Mapping[str, Any], layout: Mapping[str, str], marks: Iterable[tuple[int, str, int]], fmt: str = FORMAT
) -> str:
    """The digest over the metadata, layout and map as written on disk in the layout ``fmt``."""
    payload = {
        "format": fmt,
        "meta": {name: str(meta[name]).strip() for name in _META_FIELDS},
        "layout": {name: str(layout[name]).strip() for name in _LAYOUT_FIELDS},
        "map": [[r, code, option] for r, code, option in marks],
    }
    text = json.dumps(payload, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _write_meta(
    wb: Workbook, meta: ScoringSheetMeta, layout: Mapping[str, str], marks: list[tuple[int, str, int]]
) -> None:
    ws = wb.create_sheet(META_SHEET)
    values = {name: getattr(meta, name) for name in _META_FIELDS}
    ws.append(
        [
            "format",
            FORMAT,
            "Written by ocop_scoring; do not edit. Map option -1: the criterion's row; 0: its Không đạt box;"
            " 1…: its printed options.",
        ]
    )
    for name in _META_FIELDS:
        ws.append([name, values[name]])
    for name in _LAYOUT_FIELDS:
        ws.append([name, layout[name]])
    ws.append(["digest", _digest(values, layout, marks)])
    ws.append(list(_MAP_HEADER))
    for r, code, option in marks:
        ws.append([r, code, option])
    ws.sheet_state = "veryHidden"
    ws.protection.sheet = True


# --- reading -----------------------------------------------------------------------------------------


class _Problems(ProblemCollector):
    """The problems of one filled scoring sheet, raised as ``ScoresInputError``."""

    def __init__(self, path: str) -> None:
        super().__init__(path, ScoresInputError)


def _shown(value: object, limit: int = 40) -> object:
    """A cell value to echo in a message, long texts cut."""
    if isinstance(value, str) and len(value) > limit:
        return verbatim(f"{len(value):,} characters starting {value[:limit]!r}…")
    return value


def _is_formula(cell: Any) -> bool:
    return getattr(cell, "data_type", None) == "f" or isinstance(cell.value, ArrayFormula | DataTableFormula)


def _formula_text(cell: Any) -> str:
    value = cell.value
    text = value if isinstance(value, str) else getattr(value, "text", None) or str(value)
    return text if len(text) <= 40 else f"{text[:40]}…"


def read_scoring_sheet(path: str | os.PathLike[str], sheets: Mapping[str, Sheet]) -> FilledSheet:
    """Read a filled scoring sheet back into its metadata, choices and comment.

    Raises:
        ScoresInputError: Listing every problem of the file: not an XLSX
            workbook (or over 20 MB), not a toolkit scoring sheet, missing or
            altered metadata, a form made for another version of the criteria
            sheet, rows inserted or deleted, a mark that is not x, a formula in
            a mark cell, two marks for one criterion, no mark for a criterion
            that needs one, a cell over 1,000 characters.
    """
    shown = str(path)
    path = Path(path)
    problems = _Problems(shown)
    _check_file(path, problems)
    problems.raise_if_any()
    try:
        wb = load_workbook(path, read_only=True, data_only=False)
    except Exception as exc:  # openpyxl raises many kinds for a damaged or foreign file  # noqa: BLE001 - a damaged workbook is a problem of the file
        problems.add(
            None, "file", "an XLSX scoring sheet made by the toolkit", verbatim(f"an unreadable workbook ({exc})")
        )
        problems.raise_if_any()
        raise AssertionError from None  # unreachable
    try:
        return _read(wb, sheets, problems)
    finally:
        wb.close()


def _check_file(path: Path, problems: _Problems) -> None:
    try:
        size = path.stat().st_size
    except OSError as exc:
        problems.add(None, "file", "a readable file", verbatim(exc.strerror or str(exc)))
        return
    if not path.is_file():
        problems.add(None, "file", "a readable file", verbatim("a folder"))
        return
    if size > MAX_FILE_BYTES:
        problems.add(None, "file", "an XLSX file of at most 20 MB", verbatim(f"{size:,} bytes"))
        return
    with path.open("rb") as fh:
        magic = fh.read(8)
    if magic.startswith(b"\xd0\xcf\x11\xe0"):
        problems.add(None, "file", "an XLSX workbook (.xlsx)", verbatim("an old .xls or a password-protected workbook"))
        return
    if not zipfile.is_zipfile(path):
        problems.add(None, "file", "an XLSX workbook (.xlsx)", verbatim("a file that is not XLSX"))
        return
    try:
        with zipfile.ZipFile(path) as zf:
            unzipped = sum(info.file_size for info in zf.infolist())
    except (zipfile.BadZipFile, OSError) as exc:
        problems.add(None, "file", "an XLSX workbook (.xlsx)", verbatim(f"a damaged file ({exc})"))
        return
    if unzipped > MAX_UNZIPPED_BYTES:
        problems.add(None, "file", "an XLSX workbook of at most 200 MB unpacked", verbatim(f"{unzipped:,} bytes"))


def _read(wb: Any, sheets: Mapping[str, Sheet], problems: _Problems) -> FilledSheet:
    if META_SHEET not in wb.sheetnames:
        problems.add(
            None,
            META_SHEET,
            "a scoring sheet made by the toolkit (its hidden sheet _ocop)",
            verbatim(f"a workbook without it (sheets: {', '.join(wb.sheetnames)})"),
        )
        problems.raise_if_any()
    meta, layout, marks, sheet = _read_meta(wb[META_SHEET], sheets, problems)
    if meta is None or sheet is None or marks is None or layout is None:
        problems.raise_if_any()
        raise AssertionError("unreachable")  # pragma: no cover
    worksheet_name = layout["worksheet"]
    if worksheet_name not in wb.sheetnames:
        problems.add(None, "worksheet", f"the worksheet {worksheet_name!r}", verbatim("no such worksheet"))
        problems.raise_if_any()
    ws = wb[worksheet_name]
    comment_row = int(layout["comment_cell"][1:])
    first, last = (int(v) for v in layout["table_rows"].split(":"))
    wanted = {r for r, _, _ in marks} | set(range(first, last + 1)) | {comment_row - 1, comment_row}
    cells: dict[int, dict[str, Any]] = {}
    for row in ws.iter_rows(min_row=1, max_row=max(wanted), max_col=4):
        for cell in row:
            r = getattr(cell, "row", None)
            if r in wanted and cell.value is not None:
                cells.setdefault(r, {})[cell.column_letter] = cell

    if not _check_layout(sheet, marks, cells, problems):
        problems.raise_if_any()
    label = _text_of(cells.get(comment_row - 1, {}).get("A"))
    if label != COMMENT_LABEL:
        got = f"{_shown(label)!r} there" if label else "nothing there"
        problems.add(
            comment_row - 1,
            "Ý kiến của người đánh giá",
            f"the label {COMMENT_LABEL!r} on this row, as generated (no row inserted or deleted)",
            verbatim(got),
        )
        problems.raise_if_any()
    choices, comment = _read_marks(sheet, marks, cells, (first, last), comment_row, problems)
    problems.raise_if_any()
    return FilledSheet(meta, choices, comment)


def _text_of(cell: Any) -> str:
    return _plain(None if cell is None else cell.value)


def _plain(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def _read_meta(
    ws: Any, sheets: Mapping[str, Sheet], problems: _Problems
) -> tuple[ScoringSheetMeta | None, dict[str, str] | None, list[tuple[int, str, int]] | None, Sheet | None]:
    where = "_ocop"
    fields: dict[str, tuple[int, Any]] = {}
    map_start: int | None = None
    raw_map: list[tuple[int, tuple[Any, ...]]] = []
    for r, row in enumerate(ws.iter_rows(max_col=3, values_only=True), start=1):
        values = tuple(row) + (None,) * (3 - len(row))
        if map_start is None:
            if values[:3] == _MAP_HEADER:
                map_start = r
            elif isinstance(values[0], str) and values[0] not in fields:
                fields[values[0]] = (r, values[1])
        elif any(v is not None for v in values):
            raw_map.append((r, values))
    count_before = len(problems.items)

    line, fmt = fields.get("format", (None, None))
    if fmt not in FORMATS:
        problems.add(
            line or 1,
            f"{where}.format",
            f"{FORMAT} (or the older {FORMAT_1})",
            verbatim("nothing") if fmt is None else _shown(fmt),
        )
    texts: dict[str, str] = {}
    for name in (*_META_FIELDS, *_LAYOUT_FIELDS, "digest"):
        line, value = fields.get(name, (None, None))
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        if name == "sheet_sha256" and line is not None and value is None:
            value = ""  # a sheet built in code has no file digest
        elif value is None or (isinstance(value, str) and not value.strip()) or isinstance(value, bool):
            problems.add(line, f"{where}.{name}", "a value written by the toolkit", verbatim("nothing"))
            continue
        if isinstance(value, str) and len(value) > MAX_CELL_CHARS:
            problems.add(line, f"{where}.{name}", f"at most {MAX_CELL_CHARS:,} characters", _shown(value))
            continue
        texts[name] = str(value).strip()
    round_ = None
    if "round" in texts:
        if re.fullmatch(r"[1-9]\d{0,5}", texts["round"]):
            round_ = int(texts["round"])
        else:
            problems.add(fields["round"][0], f"{where}.round", "a whole number >= 1", _shown(fields["round"][1]))
    if "comment_cell" in texts and not _CELL_RE.match(texts["comment_cell"]):
        problems.add(fields["comment_cell"][0], f"{where}.comment_cell", "a cell such as A140", texts["comment_cell"])
        del texts["comment_cell"]
    if "table_rows" in texts and not _ROWS_RE.match(texts["table_rows"]):
        problems.add(fields["table_rows"][0], f"{where}.table_rows", "rows such as 20:130", texts["table_rows"])
        del texts["table_rows"]

    marks: list[tuple[int, str, int]] = []
    if map_start is None:
        problems.add(None, f"{where}.map", "the map of mark cells written by the toolkit", verbatim("nothing"))
    for r, values in raw_map:
        row, code, option = values[:3]
        if (
            isinstance(row, int | float)
            and not isinstance(row, bool)
            and float(row).is_integer()
            and row >= 1
            and isinstance(code, str | int | float)
            and isinstance(option, int | float)
            and not isinstance(option, bool)
            and float(option).is_integer()
        ):
            marks.append((int(row), _plain(code), int(option)))
        else:
            problems.add(r, f"{where}.map", "row, criterion, option", verbatim(repr(values)))

    sheet = None
    sheet_id = texts.get("sheet_id")
    if sheet_id is not None:
        sheet = sheets.get(sheet_id)
        if sheet is None:
            known = sorted(sheets)
            hint = f"{known[0]} … {known[-1]}" if known else "none loaded"
            problems.add(fields["sheet_id"][0], f"{where}.sheet_id", f"a known criteria sheet ({hint})", sheet_id)
    if len(problems.items) > count_before:
        return None, None, None, None

    assert sheet is not None and round_ is not None and isinstance(fmt, str)
    digest = _digest(texts, texts, marks, fmt)
    if digest != texts["digest"]:
        problems.add(
            fields["digest"][0],
            where,
            "the metadata written by the toolkit",
            verbatim("altered metadata (its digest does not match)"),
        )
        return None, None, None, None
    meta = ScoringSheetMeta(
        texts["session_id"], texts["product_id"], texts["member_id"], sheet.sheet_id, texts["sheet_sha256"], round_
    )
    if meta.sheet_sha256 != sheet.sha256:
        problems.add(
            fields["sheet_sha256"][0],
            f"{where}.sheet_sha256",
            f"the sheet this form was generated for ({sheet.sheet_id} is now sha256 {sheet.sha256[:12]}…)",
            verbatim(f"a form made from another version of {sheet.sheet_id} (sha256 {meta.sheet_sha256[:12]}…)"),
        )
        return None, None, None, None
    if fmt == FORMAT_1:  # its option 0 is the criterion's row; it has no "Không đạt" box
        marks = [(r, code, HEADING if option == 0 else option) for r, code, option in marks]
    if not _map_fits(sheet, marks, with_boxes=fmt != FORMAT_1):
        problems.add(
            map_start,
            f"{where}.map",
            f"a mark cell for every option of {sheet.sheet_id}",
            verbatim("a map that does not fit the sheet"),
        )
        return None, None, None, None
    layout = {name: texts[name] for name in _LAYOUT_FIELDS}
    return meta, layout, marks, sheet


def _map_fits(sheet: Sheet, marks: list[tuple[int, str, int]], *, with_boxes: bool) -> bool:
    expected = sorted(
        (leaf.code, n)
        for leaf in sheet.leaves
        for n in (HEADING, *range(1, len(leaf.options) + 1))
        + ((NOT_MET,) if with_boxes and not leaf.prints_zero_option else ())
    )
    rows = [r for r, _, _ in marks]
    return sorted((code, option) for _, code, option in marks) == expected and len(set(rows)) == len(rows)


def _check_layout(
    sheet: Sheet, marks: list[tuple[int, str, int]], cells: Mapping[int, Mapping[str, Any]], problems: _Problems
) -> bool:
    """Whether every mapped row still shows what was written there: no row inserted or deleted.

    A criterion's row shows its code and text; an option's row its criterion's
    code and "N. " before the option text; a "Không đạt" box its criterion's
    code and the box's label.
    """
    wrong: list[tuple[int, str, int, str]] = []
    for r, code, option in sorted(marks):
        row = cells.get(r, {})
        shown_code = _text_of(row.get("A"))
        text = _text_of(row.get("B"))
        if option == HEADING:
            fits = text == sheet.leaf(code).text_vi.strip()
        elif option == NOT_MET:
            fits = text == NOT_MET_LABEL
        else:
            fits = text.startswith(f"{option}. ")
        if shown_code != code or not fits:
            wrong.append((r, code, option, shown_code))
    if not wrong:
        return True
    r, code, option, shown_code = wrong[0]
    if option == HEADING:
        what = f"the row of criterion {code}"
    elif option == NOT_MET:
        what = f"the box {NOT_MET_LABEL!r} of criterion {code}"
    else:
        what = f"option {option} of criterion {code}"
    got = f"the code cell {shown_code!r}" if shown_code else "an empty code cell"
    if len(wrong) > 1:
        got += f" ({len(wrong) - 1} more rows below have moved too)"
    problems.add(
        r, f"criterion {code}", f"{what} on this row, as generated (no row inserted or deleted)", verbatim(got)
    )
    return False


def _read_marks(
    sheet: Sheet,
    marks: list[tuple[int, str, int]],
    cells: Mapping[int, Mapping[str, Any]],
    table: tuple[int, int],
    comment_row: int,
    problems: _Problems,
) -> tuple[tuple[tuple[str, int], ...], str]:
    start = len(problems.items)
    heading_row = {code: r for r, code, option in marks if option == HEADING}
    option_rows = {r: (code, option) for r, code, option in marks if option != HEADING}
    marked: dict[str, list[tuple[int, int]]] = {}
    troubled: set[str] = set()
    for r in sorted(option_rows):
        code, option = option_rows[r]
        cell = cells.get(r, {}).get(MARK_COLUMN)
        if cell is None:
            continue
        value = cell.value
        if _is_formula(cell):
            # LibreOffice saves a typed TRUE or FALSE as the formula =TRUE() or =FALSE()
            value = _LO_BOOLEANS.get(value.upper().replace(" ", "")) if isinstance(value, str) else None
            if value is None:
                problems.add(
                    r,
                    f"criterion {code}",
                    f"a typed mark {_MARK_HELP} in Chọn (x), not a formula",
                    verbatim(f"the formula {_formula_text(cell)}"),
                )
                troubled.add(code)
                continue
        if isinstance(value, str) and len(value) > MAX_CELL_CHARS:
            problems.add(r, f"criterion {code}", f"at most {MAX_CELL_CHARS:,} characters", _shown(value))
            troubled.add(code)
            continue
        verdict = _mark(value)
        if verdict is None:
            continue
        if not verdict:
            problems.add(r, f"criterion {code}", f"a mark {_MARK_HELP} in Chọn (x), or an empty cell", _shown(value))
            troubled.add(code)
            continue
        marked.setdefault(code, []).append((r, option))

    for code, found in marked.items():
        if len(found) > 1:
            rows = _join([str(r) for r, _ in found])
            options = _join([str(o) if o != NOT_MET else NOT_MET_TEXT_VI for _, o in found])
            problems.add(
                found[-1][0],
                f"criterion {code}",
                "one marked option",
                verbatim(f"marks on rows {rows} (options {options})"),
            )
            troubled.add(code)

    first, last = table
    for r in range(first, last + 1):
        if r in option_rows:
            continue
        cell = cells.get(r, {}).get(MARK_COLUMN)
        if cell is None or (not _is_formula(cell) and _text_of(cell) == ""):
            continue
        got = verbatim(f"the formula {_formula_text(cell)}") if _is_formula(cell) else _shown(cell.value)
        problems.add(r, "Chọn (x)", "marks only in the yellow cells beside the options", got)

    choices = {code: found[0][1] for code, found in marked.items() if code not in troubled}
    settled = {code: found[0][1] for code, found in marked.items()}
    try:
        missing = score_card(sheet, settled).missing
    except ScorecardError:  # pragma: no cover - the map was checked against the sheet
        missing = ()
    for code in missing:
        leaf = sheet.leaf(code)
        if code in troubled or (leaf.condition is not None and leaf.condition.criterion in troubled):
            continue
        problems.add(heading_row.get(code), f"criterion {code}", "one option marked x", verbatim("no mark"))

    comment = ""
    cell = cells.get(comment_row, {}).get("A")
    if cell is not None:
        if _is_formula(cell):
            problems.add(
                comment_row,
                "Ý kiến của người đánh giá",
                "a typed text, not a formula",
                verbatim(f"the formula {_formula_text(cell)}"),
            )
        else:
            text = unicodedata.normalize("NFC", _text_of(cell))
            if len(text) > MAX_CELL_CHARS:
                problems.add(
                    comment_row, "Ý kiến của người đánh giá", f"at most {MAX_CELL_CHARS:,} characters", _shown(text)
                )
            comment = text
    problems.items[start:] = sorted(problems.items[start:], key=lambda p: p.line or 0)
    ordered = tuple((leaf.code, choices[leaf.code]) for leaf in sheet.leaves if leaf.code in choices)
    return ordered, comment


def _mark(value: object) -> bool | None:
    """None for an empty cell, True for an accepted mark, False for anything else."""
    if value is None:
        return None
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return not math.isnan(value) and value == 1
    text = unicodedata.normalize("NFC", str(value)).strip()
    if not text:
        return None
    return text.lower() in _MARKS


def _join(items: list[str]) -> str:
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} and {items[-1]}"
