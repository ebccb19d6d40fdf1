"""A small, fast XLSX writer for the council's documents: plain SpreadsheetML, fixed styles.

Layer: report. Imports: standard library only.

openpyxl builds a Python object per cell and takes ~0.3 s per styled scoring sheet; a 300-product ×
12-member council files 3,600 of them. This writer streams rows as XML text with a fixed stylesheet
(about 1 ms per sheet) and writes the same bytes for the same content (no timestamps), so that the
documents of a session are reproducible. It writes what the documents need and nothing more:
inline strings, numbers, a formula with its cached value, merged cells, column widths, row heights,
print titles, A4 pages fitted to width, and frozen header rows.
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from xml.sax.saxutils import escape

# Named styles -> index into cellXfs (see _STYLES).
STYLE = {
    "default": 0,
    "title": 1,
    "bold": 2,
    "part": 3,
    "group": 4,
    "criterion": 5,
    "text": 6,
    "number": 7,
    "mark": 8,
    "header": 9,
    "wrap": 10,
    "note": 11,
    "warning": 12,
    "total": 13,
    "subtitle": 14,
    "chosen": 15,
    "center": 16,
}

_FONTS = (
    '<font><sz val="11"/><name val="Times New Roman"/></font>',  # 0
    '<font><b/><sz val="13"/><name val="Times New Roman"/></font>',  # 1 title
    '<font><b/><sz val="11"/><name val="Times New Roman"/></font>',  # 2 bold
    '<font><i/><sz val="9"/><color rgb="FF595959"/><name val="Times New Roman"/></font>',  # 3 note
    '<font><b/><sz val="11"/><color rgb="FFC00000"/><name val="Times New Roman"/></font>',  # 4 warning
    '<font><i/><sz val="11"/><name val="Times New Roman"/></font>',  # 5 subtitle
)
_FILLS = (
    '<fill><patternFill patternType="none"/></fill>',
    '<fill><patternFill patternType="gray125"/></fill>',
    '<fill><patternFill patternType="solid"><fgColor rgb="FFD9D9D9"/><bgColor indexed="64"/></patternFill></fill>',  # 2 part
    '<fill><patternFill patternType="solid"><fgColor rgb="FFEDEDED"/><bgColor indexed="64"/></patternFill></fill>',  # 3 group
    '<fill><patternFill patternType="solid"><fgColor rgb="FFFFF2CC"/><bgColor indexed="64"/></patternFill></fill>',  # 4 mark
    '<fill><patternFill patternType="solid"><fgColor rgb="FFD9E1F2"/><bgColor indexed="64"/></patternFill></fill>',  # 5 header
    '<fill><patternFill patternType="solid"><fgColor rgb="FFE2EFDA"/><bgColor indexed="64"/></patternFill></fill>',  # 6 chosen
)
_BORDERS = (
    "<border><left/><right/><top/><bottom/><diagonal/></border>",
    '<border><left style="thin"><color rgb="FF808080"/></left><right style="thin"><color rgb="FF808080"/></right>'
    '<top style="thin"><color rgb="FF808080"/></top><bottom style="thin"><color rgb="FF808080"/></bottom><diagonal/></border>',
)


def _xf(font: int, fill: int, border: int, *, h: str = "", v: str = "center", wrap: bool = False) -> str:
    align = f'<alignment{f" horizontal={chr(34)}{h}{chr(34)}" if h else ""} vertical="{v}"{" wrapText=" + chr(34) + "1" + chr(34) if wrap else ""}/>'
    return (
        f'<xf numFmtId="0" fontId="{font}" fillId="{fill}" borderId="{border}" xfId="0"'
        f' applyFont="1" applyFill="1" applyBorder="1" applyAlignment="1">{align}</xf>'
    )


_STYLES = (
    _xf(0, 0, 0),  # default
    _xf(1, 0, 0, h="center", wrap=True),  # title
    _xf(2, 0, 0, wrap=True),  # bold
    _xf(2, 2, 1, wrap=True),  # part
    _xf(2, 3, 1, wrap=True),  # group
    _xf(2, 0, 1, wrap=True),  # criterion
    _xf(0, 0, 1, wrap=True),  # text
    _xf(0, 0, 1, h="center"),  # number
    _xf(2, 4, 1, h="center"),  # mark
    _xf(2, 5, 1, h="center", wrap=True),  # header
    _xf(0, 0, 0, wrap=True, v="top"),  # wrap
    _xf(3, 0, 0, wrap=True),  # note
    _xf(4, 0, 0, wrap=True),  # warning
    _xf(2, 0, 1, h="center"),  # total
    _xf(5, 0, 0, h="center", wrap=True),  # subtitle
    _xf(0, 6, 1, wrap=True),  # chosen
    _xf(0, 0, 0, h="center", wrap=True),  # center
)

_STYLESHEET = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    f'<fonts count="{len(_FONTS)}">{"".join(_FONTS)}</fonts>'
    f'<fills count="{len(_FILLS)}">{"".join(_FILLS)}</fills>'
    f'<borders count="{len(_BORDERS)}">{"".join(_BORDERS)}</borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    f'<cellXfs count="{len(_STYLES)}">{"".join(_STYLES)}</cellXfs>'
    '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
    "</styleSheet>"
)

_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f]")


def column_letter(index: int) -> str:
    """1 -> A, 27 -> AA."""
    letters = ""
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


@dataclass(frozen=True)
class Cell:
    """A value with a style; a ``formula`` keeps ``value`` as its cached result."""

    value: str | int | float | None
    style: str = "default"
    formula: str | None = None


def cell(value: str | int | float | None, style: str = "default") -> Cell:
    """A styled cell."""
    return Cell(value, style)


@dataclass
class Worksheet:
    """Rows of cells, with the page set-up a printed council document needs."""

    title: str
    widths: Sequence[float]
    rows: list[tuple[Sequence[Cell | None], float | None]] = field(default_factory=list)
    merges: list[str] = field(default_factory=list)
    print_title_rows: tuple[int, int] | None = None  # repeated on each printed page
    freeze_row: int | None = None  # rows above are frozen
    landscape: bool = False

    def add(self, cells: Sequence[Cell | None], height: float | None = None, merge_to: int | None = None) -> int:
        """Append a row; ``merge_to`` merges its first cell across that many columns. Returns its number."""
        self.rows.append((cells, height))
        number = len(self.rows)
        if merge_to and merge_to > 1:
            self.merges.append(f"A{number}:{column_letter(merge_to)}{number}")
        return number

    def blank(self) -> int:
        """An empty row."""
        return self.add([])

    def xml(self) -> str:
        out = [
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
            'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
            '<sheetPr><pageSetUpPr fitToPage="1"/></sheetPr><sheetViews><sheetView workbookViewId="0">'
        ]
        if self.freeze_row:
            out.append(
                f'<pane ySplit="{self.freeze_row}" topLeftCell="A{self.freeze_row + 1}" activePane="bottomLeft" state="frozen"/>'
            )
        out.append('</sheetView></sheetViews><sheetFormatPr defaultRowHeight="15"/><cols>')
        out.extend(
            f'<col min="{i}" max="{i}" width="{w:g}" customWidth="1"/>' for i, w in enumerate(self.widths, start=1)
        )
        out.append("</cols><sheetData>")
        for r, (cells, height) in enumerate(self.rows, start=1):
            attrs = f' ht="{height:g}" customHeight="1"' if height else ""
            out.append(f'<row r="{r}"{attrs}>')
            for c, item in enumerate(cells, start=1):
                if item is None:
                    continue
                ref = f"{column_letter(c)}{r}"
                s = STYLE[item.style]
                if item.formula is not None:
                    cached = "" if item.value is None else f"<v>{item.value}</v>"
                    out.append(f'<c r="{ref}" s="{s}"><f>{escape(item.formula)}</f>{cached}</c>')
                elif item.value is None or item.value == "":
                    out.append(f'<c r="{ref}" s="{s}"/>')
                elif isinstance(item.value, int | float) and not isinstance(item.value, bool):
                    out.append(f'<c r="{ref}" s="{s}"><v>{item.value}</v></c>')
                else:
                    text = escape(_CONTROL.sub("", str(item.value)))
                    out.append(f'<c r="{ref}" s="{s}" t="inlineStr"><is><t xml:space="preserve">{text}</t></is></c>')
            out.append("</row>")
        out.append("</sheetData>")
        if self.merges:
            out.append(
                f'<mergeCells count="{len(self.merges)}">'
                + "".join(f'<mergeCell ref="{m}"/>' for m in self.merges)
                + "</mergeCells>"
            )
        orientation = "landscape" if self.landscape else "portrait"
        out.append(
            '<printOptions horizontalCentered="1"/>'
            '<pageMargins left="0.5" right="0.4" top="0.55" bottom="0.55" header="0.25" footer="0.25"/>'
            f'<pageSetup paperSize="9" orientation="{orientation}" fitToWidth="1" fitToHeight="0"/>'
            "<headerFooter><oddFooter>&amp;C&amp;P / &amp;N</oddFooter></headerFooter></worksheet>"
        )
        return "".join(out)


def _sheet_name(title: str, used: set[str]) -> str:
    name = re.sub(r"[\[\]:*?/\\]", "-", title)[:31] or "Sheet"
    base, n = name, 2
    while name.lower() in used:
        suffix = f" ({n})"
        name = base[: 31 - len(suffix)] + suffix
        n += 1
    used.add(name.lower())
    return name


def write_workbook(path: str | Path, sheets: Iterable[Worksheet], *, compress: int = 6) -> Path:
    """Write the worksheets as one .xlsx file (atomically); the bytes depend only on the content."""
    sheets = list(sheets)
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    used: set[str] = set()
    names = [_sheet_name(s.title, used) for s in sheets]
    workbook = [
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets>'
    ]
    workbook.extend(
        f'<sheet name="{escape(n, {chr(34): "&quot;"})}" sheetId="{i}" r:id="rId{i}"/>'
        for i, n in enumerate(names, start=1)
    )
    workbook.append("</sheets>")
    titles = [(i, s) for i, s in enumerate(sheets) if s.print_title_rows]
    if titles:
        workbook.append("<definedNames>")
        for i, s in titles:
            a, b = s.print_title_rows or (1, 1)
            quoted = names[i].replace("'", "''")
            workbook.append(
                f'<definedName name="_xlnm.Print_Titles" localSheetId="{i}">\'{escape(quoted)}\'!${a}:${b}</definedName>'
            )
        workbook.append("</definedNames>")
    workbook.append("</workbook>")
    rels = [
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    ]
    rels.extend(
        f'<Relationship Id="rId{i}" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet{i}.xml"/>'
        for i in range(1, len(sheets) + 1)
    )
    rels.append(
        f'<Relationship Id="rId{len(sheets) + 1}" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/></Relationships>'
    )
    content_types = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
        '<Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
        + "".join(
            f'<Override PartName="/xl/worksheets/sheet{i}.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
            for i in range(1, len(sheets) + 1)
        )
        + "</Types>"
    )
    root_rels = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/>'
        "</Relationships>"
    )
    tmp = target.with_name(target.name + ".tmp")
    fixed = (1980, 1, 1, 0, 0, 0)  # a fixed zip timestamp: same content, same bytes

    def put(z: zipfile.ZipFile, name: str, text: str) -> None:
        info = zipfile.ZipInfo(name, fixed)
        info.compress_type = zipfile.ZIP_DEFLATED
        z.writestr(info, text.encode("utf-8"), compresslevel=compress)

    with zipfile.ZipFile(tmp, "w") as z:
        put(z, "[Content_Types].xml", content_types)
        put(z, "_rels/.rels", root_rels)
        put(z, "xl/workbook.xml", "".join(workbook))
        put(z, "xl/_rels/workbook.xml.rels", "".join(rels))
        put(z, "xl/styles.xml", _STYLESHEET)
        for i, sheet in enumerate(sheets, start=1):
            put(z, f"xl/worksheets/sheet{i}.xml", sheet.xml())
    tmp.replace(target)
    return target


def text_height(text: str, width_chars: float, *, line_pt: float = 15.0, minimum: float = 15.0) -> float:
    """A row height that shows ``text`` wrapped in a column ``width_chars`` wide (Excel cannot
    size merged or wrapped rows by itself when the file is opened)."""
    lines = 0
    for paragraph in str(text).split("\n"):
        lines += max(1, -(-len(paragraph) // max(int(width_chars * 1.05), 1)))
    return max(minimum, lines * line_pt)
