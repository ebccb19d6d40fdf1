"""Read a council secretary's products list and members list (CSV or XLSX) into checked specs.

Layer: loader. Imports: errors, model; openpyxl only inside the workbook path.

The layouts are documented in ``docs/import-formats.md``. Both readers are all
or nothing: they return every row or raise :class:`ImportFileError` listing
every problem of the file (``file:line: column: expected …, got …``, the line
being the row number Excel shows). Anything wrong with the file itself — its
size, encoding, a damaged or disguised workbook, a zip bomb, a formula, a
spreadsheet-formula prefix, an over-long cell, a control character — is such a
problem too: nothing else is ever raised for bad input.

Bounds: a file is read only up to 20 MB, a workbook only if it unpacks to at
most 200 MB (zipfile never inflates a part beyond its declared size), at most
100,000 rows, cells of at most 1,000 characters, and at most 200 problems are
listed.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import unicodedata
import warnings
import zipfile
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ocop_scoring.errors import ImportFileError, ProblemCollector, verbatim
from ocop_scoring.model import MemberSpec, ProductSpec, Sheet

__all__ = [
    "MAX_CELL_CHARS",
    "MAX_FILE_BYTES",
    "MAX_ROWS",
    "read_members",
    "read_members_data",
    "read_products",
    "read_products_data",
]

MAX_FILE_BYTES = 20 * 1024 * 1024
MAX_UNPACKED_BYTES = 200 * 1024 * 1024
MAX_ZIP_ENTRIES = 10_000
MAX_ROWS = 100_000
MAX_CELL_CHARS = 1_000
MAX_ID_CHARS = 40
MAX_PROBLEMS = 200
HEADER_ROWS = 10  # the header row is looked for among the first rows
HEADER_COLUMNS = 256  # … and the first columns of a workbook
GOT_CHARS = 60  # a problem shows at most this much of a cell

_ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")
_PRODUCT_CODE = re.compile(r"\d{1,6}-\d{1,9}-\d{1,6}-\d{4}", re.ASCII)
_SHEET_NUMBER = re.compile(r"0*(\d{1,3})(?:[.,]0+)?", re.ASCII)
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ufeff]")
_FORMULA_START = re.compile(r"[=+@]|-[^\W\d_]")
_DASHES = re.compile(r"\s*[-‐‑‒–—]\s*")
_NEWLINES = re.compile(r"\r\n|\r|\n")
_QUOTED = re.compile(r'"[^"]*(?:""[^"]*)*"')
_DELIMITERS = (",", ";", "\t")
_SIZE_EXPECTED = f"a file of at most {MAX_FILE_BYTES // 2**20} MB ({MAX_FILE_BYTES:,} bytes)"


# --- columns ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Field:
    """One column of a layout: its Vietnamese header, English alias and other accepted spellings."""

    name: str
    vi: str
    required: bool = False
    aliases: tuple[str, ...] = ()
    multiline: bool = False
    imported: bool = True

    @property
    def label(self) -> str:
        return f"'{self.vi}' (or '{self.name}')"


_STT = _Field("no", "STT", aliases=("Số TT", "TT", "No."), imported=False)

PRODUCT_FIELDS: tuple[_Field, ...] = (
    _STT,
    _Field("product_id", "Mã sản phẩm", required=True, aliases=("Mã SP",)),
    _Field("name", "Tên sản phẩm", required=True, aliases=("Tên SP",)),
    _Field("producer", "Chủ thể"),
    _Field("commune", "Xã/phường"),
    _Field("province", "Tỉnh/thành phố"),
    _Field("sheet", "Bộ tiêu chí", required=True),
    _Field("product_code", "Mã OCOP"),
    _Field("dossier_notes", "Ghi chú hồ sơ", multiline=True),
    _Field("case", "Trường hợp"),  # sheet 26: the case the product is scored in (a / b, or 1 / 2)
)
_CASE = re.compile(r"(?:truong hop\s*)?([12ab])", re.ASCII)

MEMBER_FIELDS: tuple[_Field, ...] = (
    _STT,
    _Field("member_id", "Mã thành viên"),
    _Field("name", "Họ và tên", required=True, aliases=("Họ tên",)),
    _Field("role", "Vai trò", required=True),
    _Field("organisation", "Đơn vị công tác", aliases=("organization",)),
)

_ROLE_WORDS = {
    "chu tich": "chair",
    "chu tich hoi dong": "chair",
    "chair": "chair",
    "pho chu tich": "member",
    "pho chu tich hoi dong": "member",
    "thanh vien": "member",
    "thanh vien hoi dong": "member",
    "uy vien": "member",
    "uy vien hoi dong": "member",
    "member": "member",
    "thu ky": "secretary",
    "thu ky hoi dong": "secretary",
    "secretary": "secretary",
}
_ROLES_EXPECTED = "a role: Chủ tịch, Phó Chủ tịch, Thành viên, Ủy viên or Thư ký (or chair, member, secretary)"
_ID_PREFIX = {"chair": "TV", "member": "TV", "secretary": "TK"}


def _fold(text: str) -> str:
    """Lower case without diacritics, whitespace collapsed: 'Ủy  viên' -> 'uy vien'."""
    decomposed = unicodedata.normalize("NFD", text.casefold().replace("đ", "d"))
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(bare.split())


def _header_key(text: str) -> str:
    """The form in which header cells are compared (case, diacritics, '_', '*' and spacing ignored)."""
    key = _fold(text.replace("\ufeff", "").replace("_", " "))
    key = re.sub(r"\s*(\(\*\)|\*)$", "", key)
    return re.sub(r"\s*/\s*", "/", key).strip()


def _header_index(fields: Sequence[_Field]) -> dict[str, _Field]:
    index: dict[str, _Field] = {}
    for f in fields:
        for spelling in (f.vi, f.name, *f.aliases):
            index[_header_key(spelling)] = f
    return index


# --- problems --------------------------------------------------------------------------------------


class _Problems(ProblemCollector):
    """The problems of one products or members list, raised as ``ImportFileError``."""

    def __init__(self, path: str) -> None:
        super().__init__(path, ImportFileError, MAX_PROBLEMS)


def _clip(text: str) -> str:
    """At most GOT_CHARS characters of ``text``, for a problem's ``got``."""
    return text if len(text) <= GOT_CHARS else text[:GOT_CHARS] + "…"


def _column_letter(index: int) -> str:
    """Excel's name of the 0-based column ``index``: 0 -> A, 27 -> AB."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


# --- raw cells -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Formula:
    """A workbook cell holding a formula (its text, starting with '=')."""

    text: str


@dataclass(frozen=True)
class _ExcelError:
    """A workbook cell holding an error value such as #N/A."""

    text: str


@dataclass(frozen=True)
class _TooLong:
    """A CSV cell too long for the csv module: its length and first characters."""

    length: int
    start: str


@dataclass(frozen=True)
class _BadRow:
    """A CSV record the csv module could not read."""

    message: str


Raw = str | _Formula | _ExcelError | _TooLong | None


def _is_blank(raw: Raw) -> bool:
    return raw is None or (isinstance(raw, str) and not raw.strip())


def _plain(raw: Raw) -> str:
    """The text of a header cell (anything that is not plain text matches no column)."""
    return raw if isinstance(raw, str) else ""


# --- reading the file ------------------------------------------------------------------------------


@dataclass
class _Header:
    line: int
    columns: dict[str, tuple[int, str]]  # field name -> (0-based column, header as written)
    duplicates: list[tuple[_Field, tuple[int, str], tuple[int, str]]]
    complete: bool
    where: str = ""  # " of sheet 'X'" when a workbook has several worksheets

    @property
    def score(self) -> int:
        return len(self.columns)


@dataclass
class _Table:
    header: _Header
    rows: Iterable[tuple[int, Sequence[Raw] | _BadRow]]


def _match_header(line: int, cells: Sequence[Raw], fields: Sequence[_Field]) -> _Header:
    index = _header_index(fields)
    columns: dict[str, tuple[int, str]] = {}
    duplicates = []
    for i, raw in enumerate(cells):
        text = _plain(raw)
        if not text.strip() or len(text) > MAX_CELL_CHARS:
            continue
        field = index.get(_header_key(text))
        if field is None:
            continue
        written = " ".join(unicodedata.normalize("NFC", text).replace("\ufeff", "").split())
        if field.name in columns:
            duplicates.append((field, columns[field.name], (i, written)))
        else:
            columns[field.name] = (i, written)
    complete = all(f.name in columns for f in fields if f.required)
    return _Header(line, columns, duplicates, complete)


def _best_header(candidates: Iterable[_Header]) -> _Header | None:
    best: _Header | None = None
    for header in candidates:
        if header.complete:
            return header
        if header.score and (best is None or header.score > best.score):
            best = header
    return best


def _read_table(
    path: Path, fields: Sequence[_Field], problems: _Problems, what: str, data: bytes | None = None
) -> _Table:
    """Open the file (or take its uploaded ``data``), find its header row, and return it with the rows below."""
    data = _read_bytes(path, problems) if data is None else _check_data(data, problems)
    suffix = path.suffix.lower()
    is_zip = data[:4] in _ZIP_MAGIC
    is_ole = data[:8] == _OLE_MAGIC
    if not data.strip():
        raise problems.fail(None, "file", f"a {what} list with a header row", verbatim("an empty file"))
    if is_ole:
        raise problems.fail(
            None,
            "file",
            "a .xlsx workbook or a CSV UTF-8 file",
            verbatim(
                "an Excel 97-2003 (.xls) or password-protected workbook; save it as Excel Workbook (.xlsx)"
                " without a password, or as CSV UTF-8"
            ),
        )
    if suffix in (".xlsx", ".xlsm", ".xls") or (is_zip and suffix not in (".csv", ".txt", ".tsv")):
        if not is_zip:
            looks_text = _looks_like_text(data)
            got = (
                f"a text file named {suffix} (a CSV? rename it to .csv)"
                if looks_text
                else "neither a workbook nor text (a damaged or unrelated file)"
            )
            raise problems.fail(None, "file", "an Excel workbook (.xlsx)", verbatim(got))
        return _read_xlsx(data, fields, problems)
    if is_zip:
        raise problems.fail(
            None,
            "file",
            "a CSV text file",
            verbatim(f"an Excel workbook named {suffix}; rename it to .xlsx, or save it as CSV UTF-8"),
        )
    return _read_csv(data, fields, problems, what)


def _read_bytes(path: Path, problems: _Problems) -> bytes:
    try:
        if not path.is_file():
            reason = "a folder" if path.is_dir() else ("no such file" if not path.exists() else "not a regular file")
            raise problems.fail(None, "file", "a readable file", verbatim(reason))
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise problems.fail(None, "file", _SIZE_EXPECTED, verbatim(f"{size:,} bytes"))
        with path.open("rb") as handle:
            data = handle.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise problems.fail(None, "file", "a readable file", verbatim(exc.strerror or type(exc).__name__)) from None
    if len(data) > MAX_FILE_BYTES:
        raise problems.fail(None, "file", _SIZE_EXPECTED, verbatim("a larger file"))
    return data


def _check_data(data: bytes, problems: _Problems) -> bytes:
    """The bytes of an uploaded file, within the same size bound as a file read from disk."""
    if len(data) > MAX_FILE_BYTES:
        raise problems.fail(None, "file", _SIZE_EXPECTED, verbatim(f"{len(data):,} bytes"))
    return data


def _looks_like_text(data: bytes) -> bool:
    head = data[:4096]
    if b"\x00" in head:
        return False
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        return exc.start > len(head) - 4  # only a character cut at the end of the sample
    return True


def _missing_header(fields: Sequence[_Field], first: str) -> tuple[str, object]:
    required = ", ".join(f"'{f.vi}'" for f in fields if f.required)
    english = ", ".join(f.name for f in fields if f.required)
    expected = f"a header row in the first {HEADER_ROWS} rows with the columns {required} (or {english})"
    return expected, verbatim(f"no such row; the first row is {_clip(first)!r}" if first else "no text in those rows")


def _check_header(header: _Header | None, fields: Sequence[_Field], problems: _Problems, first: str) -> None:
    if header is None:
        expected, got = _missing_header(fields, first)
        raise problems.fail(None, "header", expected, got)
    for field in fields:
        if field.required and field.name not in header.columns:
            problems.add(
                header.line, "header", f"a column {field.label}", verbatim(f"none in the header row{header.where}")
            )
    for field, (i, a), (j, b) in header.duplicates:
        problems.add(
            header.line,
            "header",
            f"one column {field.label}",
            verbatim(f"'{a}' in column {_column_letter(i)} and '{b}' in column {_column_letter(j)}"),
        )
    problems.raise_if_any()


# CSV


def _read_csv(data: bytes, fields: Sequence[_Field], problems: _Problems, what: str) -> _Table:
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        raise problems.fail(
            1,
            "encoding",
            "UTF-8 text (in Excel: Save As → CSV UTF-8 (Comma delimited) (*.csv))",
            verbatim("UTF-16 text (Excel's 'Unicode Text')"),
        )
    head = data[:4096]
    if b"\x00" in head or sum(byte < 32 and byte not in b"\t\n\r" for byte in head) > len(head) // 10:
        raise problems.fail(
            None, "file", "a CSV text file or an Excel workbook (.xlsx)", verbatim("binary data (an unrelated file?)")
        )
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise problems.fail(
            line,
            "encoding",
            "UTF-8 text (in Excel: Save As → CSV UTF-8 (Comma delimited) (*.csv))",
            verbatim(f"byte 0x{data[exc.start]:02x}, which is not UTF-8 (an older Vietnamese encoding?)"),
        ) from None
    if not text.strip():
        raise problems.fail(None, "file", f"a {what} list with a header row", verbatim("an empty file"))
    if "\x00" in text:
        line = text.count("\n", 0, text.index("\x00")) + 1
        raise problems.fail(line, "file", "a CSV text file", verbatim("binary data (NUL bytes)"))
    first = next((line.strip() for line in io.StringIO(text, newline="") if line.strip()), "")
    headers: list[tuple[str, _Header]] = []
    for delimiter in _DELIMITERS:
        for line, row in _csv_rows(text, delimiter):
            if line > HEADER_ROWS:
                break
            if not isinstance(row, _BadRow):
                headers.append((delimiter, _match_header(line, row, fields)))
    complete = [(d, h) for d, h in headers if h.complete]
    if complete:
        delimiter, header = min(complete, key=lambda dh: (dh[1].line, _DELIMITERS.index(dh[0])))
    else:
        partial = [(d, h) for d, h in headers if h.score]
        delimiter, header = max(partial, key=lambda dh: dh[1].score) if partial else (",", None)
    _check_header(header, fields, problems, first)
    assert header is not None
    rows = ((line, row) for line, row in _csv_rows(text, delimiter) if line > header.line)
    return _Table(header, rows)


def _csv_rows(text: str, delimiter: str) -> Iterator[tuple[int, Sequence[Raw] | _BadRow]]:
    """The CSV records with their 1-based row numbers (a quoted multi-line cell is one row).

    A cell longer than the csv module's field limit is read by ``_scan_record``
    without copying it; the reader then resumes after that record.
    """
    position = 0  # offset in ``text`` of the next physical line
    skip_to = 0  # physical lines starting before this offset belong to a record already read

    def lines() -> Iterator[str]:
        nonlocal position
        for line in io.StringIO(text, newline=""):
            start = position
            position += len(line)
            if start >= skip_to:
                yield line

    reader = csv.reader(lines(), delimiter=delimiter)
    number = 0
    while True:
        start = max(position, skip_to)
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            number += 1
            if "field limit" in str(exc):
                cells, end = _scan_record(text, start, delimiter)
                skip_to = end
                yield number, cells
            else:
                yield number, _BadRow(str(exc))
            continue
        number += 1
        yield number, row


def _scan_record(text: str, start: int, delimiter: str) -> tuple[list[Raw], int]:
    """Read the CSV record at ``start``, marking over-long cells; return it and the offset after it."""
    unquoted = re.compile(f"[^{re.escape(delimiter)}\r\n]*")
    cells: list[Raw] = []
    i, n = start, len(text)
    while True:
        if i < n and text[i] == '"':
            match = _QUOTED.match(text, i)
            end = match.end() if match else n
            span = text[i + 1 : end - 1] if match else text[i + 1 : n]
            tail = unquoted.match(text, end)
            assert tail is not None
            after = tail.end()
            length = len(span) - span.count('""') + (after - end)
            value = (span.replace('""', '"') + text[end:after]) if length <= MAX_CELL_CHARS else None
        else:
            match = unquoted.match(text, i)
            assert match is not None
            after = match.end()
            span = text[i:after]
            length = len(span)
            value = span if length <= MAX_CELL_CHARS else None
        cells.append(value if value is not None else _TooLong(length, span[:GOT_CHARS]))
        if after < n and text[after] == delimiter:
            i = after + 1
            continue
        if text.startswith("\r\n", after):
            after += 2
        elif after < n:
            after += 1
        return cells, after


# XLSX


def _read_xlsx(data: bytes, fields: Sequence[_Field], problems: _Problems) -> _Table:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            infos = archive.infolist()
    except Exception:  # zipfile raises many kinds of error on a damaged archive  # noqa: BLE001 - a damaged file is a problem of the file
        raise problems.fail(
            None,
            "file",
            "an Excel workbook (.xlsx)",
            verbatim("a damaged or incomplete workbook (open it in Excel and save it again)"),
        ) from None
    if len(infos) > MAX_ZIP_ENTRIES:
        raise problems.fail(
            None, "file", f"a workbook of at most {MAX_ZIP_ENTRIES:,} parts", verbatim(f"{len(infos):,} parts")
        )
    unpacked = sum(info.file_size for info in infos)
    if unpacked > MAX_UNPACKED_BYTES:
        raise problems.fail(
            None,
            "file",
            f"a workbook that unpacks to at most {MAX_UNPACKED_BYTES // 2**20} MB",
            verbatim(f"{unpacked / 2**20:,.0f} MB unpacked (a zip bomb?)"),
        )
    if "xl/workbook.xml" not in {info.filename for info in infos}:
        raise problems.fail(
            None, "file", "an Excel workbook (.xlsx)", verbatim("a zip archive that is not an Excel workbook")
        )
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return _read_workbook(data, fields, problems)
    except ImportFileError:
        raise
    except Exception as exc:  # noqa: BLE001 - a damaged file is a problem of the file
        raise problems.fail(
            None,
            "file",
            "an Excel workbook (.xlsx) that Excel can open",
            verbatim(f"a damaged workbook ({type(exc).__name__}: {_clip(str(exc))})"),
        ) from None


def _read_workbook(data: bytes, fields: Sequence[_Field], problems: _Problems) -> _Table:
    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(data), read_only=True, data_only=False, keep_links=False)
    try:
        sheets = list(book.worksheets)
        headers: list[tuple[Any, _Header]] = []
        first = ""
        for sheet in sheets:
            sheet.reset_dimensions()  # the stored size may be wrong; read what is there
            rows = sheet.iter_rows(min_row=1, max_row=HEADER_ROWS, max_col=HEADER_COLUMNS)
            for line, cells in enumerate(rows, start=1):
                values = [_cell_raw(cell) for cell in cells]
                if not first:
                    first = " | ".join(_plain(v).strip() for v in values if _plain(v).strip())
                header = _match_header(line, values, fields)
                if len(sheets) > 1:
                    header.where = f" of worksheet '{sheet.title}'"
                headers.append((sheet, header))
        chosen = _best_header(h for _, h in headers)
        _check_header(chosen, fields, problems, first)
        assert chosen is not None
        sheet = next(s for s, h in headers if h is chosen)
        width = max(i for i, _ in chosen.columns.values()) + 1
        rows_out: list[tuple[int, Sequence[Raw] | _BadRow]] = []
        wanted = sorted({i for i, _ in chosen.columns.values()})
        for line, cells in enumerate(sheet.iter_rows(min_row=chosen.line + 1, max_col=width), start=chosen.line + 1):
            if line > MAX_ROWS:
                raise problems.fail(
                    None, "file", f"a worksheet of at most {MAX_ROWS:,} rows", verbatim(f"a row numbered {line:,}")
                )
            values: list[Raw] = [None] * width
            for i in wanted:
                if i < len(cells):
                    values[i] = _cell_raw(cells[i])
            if any(not _is_blank(v) for v in values):
                rows_out.append((line, values))
        return _Table(chosen, rows_out)
    finally:
        book.close()


def _cell_raw(cell: Any) -> Raw:
    """A workbook cell as text, or a marker for a formula or an error value."""
    value = cell.value
    kind = getattr(cell, "data_type", "n")
    if value is None:
        return None
    if kind == "f" or not isinstance(value, str | int | float | bool | dt.date | dt.time | dt.timedelta):
        text = value if isinstance(value, str) else str(getattr(value, "text", "") or value)
        return _Formula(text if text.startswith("=") else "=" + text)
    if kind == "e":
        return _ExcelError(str(value))
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat(sep=" ")
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    return str(value)


# --- cells -----------------------------------------------------------------------------------------


@dataclass
class _Row:
    """The imported cells of one data row, cleaned; a cell with a problem is None."""

    line: int
    values: dict[str, str | None]


def _rows(table: _Table, fields: Sequence[_Field], problems: _Problems) -> Iterator[_Row]:
    imported = [f for f in fields if f.imported and f.name in table.header.columns]
    count = 0
    for line, cells in table.rows:
        if line > MAX_ROWS:
            raise problems.fail(
                None, "file", f"a file of at most {MAX_ROWS:,} rows", verbatim(f"a row numbered {line:,}")
            )
        if isinstance(cells, _BadRow):
            problems.add(line, "file", "a well-formed CSV row", verbatim(_clip(cells.message)))
            continue
        raws = {}
        for field in imported:
            i = table.header.columns[field.name][0]
            raws[field.name] = cells[i] if i < len(cells) else None
        if all(_is_blank(raw) for raw in raws.values()):
            continue
        count += 1
        values = {f.name: _clean(raws[f.name], f, line, table.header.columns[f.name][1], problems) for f in imported}
        yield _Row(line, values)
    if not count and not problems.items:
        problems.add(table.header.line + 1, "file", "at least one row below the header", verbatim("no rows"))


def _clean(raw: Raw, field: _Field, line: int, key: str, problems: _Problems) -> str | None:
    """The cell's text, stripped and NFC; None (with a problem) when it cannot be imported."""
    if raw is None:
        return ""
    if isinstance(raw, _Formula):
        problems.add(line, key, "a typed value, not a formula", _clip(raw.text))
        return None
    if isinstance(raw, _ExcelError):
        problems.add(line, key, "a value, not an Excel error", raw.text)
        return None
    if isinstance(raw, _TooLong):
        problems.add(
            line,
            key,
            f"at most {MAX_CELL_CHARS:,} characters",
            verbatim(f"{raw.length:,} characters starting {raw.start[:GOT_CHARS] + '…'!r}"),
        )
        return None
    if len(raw) > MAX_CELL_CHARS:
        problems.add(
            line,
            key,
            f"at most {MAX_CELL_CHARS:,} characters",
            verbatim(f"{len(raw):,} characters starting {raw[:GOT_CHARS] + '…'!r}"),
        )
        return None
    control = _CONTROL.search(raw)
    if control:
        problems.add(
            line,
            key,
            "text without control characters",
            verbatim(f"U+{ord(control.group()):04X} at character {control.start() + 1} of {_clip(raw)!r}"),
        )
        return None
    text = unicodedata.normalize("NFC", raw)
    if field.multiline:
        text = "\n".join(" ".join(part.split()) for part in _NEWLINES.split(text)).strip()
    else:
        text = " ".join(text.split())
    if _FORMULA_START.match(text):
        problems.add(
            line,
            key,
            "text that does not start with =, +, @ or - and a letter (a spreadsheet would run it as a formula)",
            _clip(text),
        )
        return None
    return text


# --- products --------------------------------------------------------------------------------------


class _SheetFinder:
    """Finds a criteria sheet by id, by its number in Phụ lục II, or by its title."""

    def __init__(self, sheets: Mapping[str, Sheet]) -> None:
        self.by_id = {sid.casefold(): sid for sid in sheets}
        self.by_number: dict[int, list[str]] = {}
        self.by_title: dict[str, list[str]] = {}
        for sid, sheet in sorted(sheets.items()):
            if sheet.number is not None:
                self.by_number.setdefault(sheet.number, []).append(sid)
            if sheet.title_vi:
                self.by_title.setdefault(_fold(sheet.title_vi), []).append(sid)
        ids = sorted(sheets)
        numbers = sorted(self.by_number)
        if not ids:
            self.expected = "a criteria sheet id (no criteria sheets are loaded)"
        else:
            self.expected = f"a criteria sheet: its id ({ids[0]} … {ids[-1]})"
            if numbers:
                self.expected += f", its number in Phụ lục II ({numbers[0]} … {numbers[-1]})"
            self.expected += " or its title"

    def find(self, text: str) -> tuple[str | None, str]:
        """The sheet id, or None and what was expected."""
        sid = self.by_id.get(text.casefold())
        if sid:
            return sid, ""
        number = _SHEET_NUMBER.fullmatch(text)
        found = self.by_number.get(int(number.group(1)), []) if number else self.by_title.get(_fold(text), [])
        if len(found) == 1:
            return found[0], ""
        if len(found) > 1:
            return None, f"one criteria sheet; write its id ({', '.join(found)})"
        return None, self.expected


def read_products(
    path: Path | str, sheets: Mapping[str, Sheet], *, existing_ids: Collection[str] = ()
) -> list[ProductSpec]:
    """Read a products list (CSV or XLSX) and check every row.

    ``sheets`` are the criteria sheets a product may be scored on (``Library.sheets``);
    ``existing_ids`` the product ids already in the session (compared ignoring case).

    Raises:
        ImportFileError: Listing every problem of the file; nothing is returned then.
    """
    return _read_products(Path(path), None, sheets, existing_ids)


def _read_products(
    path: Path, data: bytes | None, sheets: Mapping[str, Sheet], existing_ids: Collection[str]
) -> list[ProductSpec]:
    problems = _Problems(str(path))
    table = _read_table(path, PRODUCT_FIELDS, problems, "products", data)
    finder = _SheetFinder(sheets)
    existing = {str(i).casefold() for i in existing_ids}
    seen_ids: dict[str, int] = {}
    seen_codes: dict[str, int] = {}
    columns = table.header.columns
    out: list[ProductSpec] = []
    for row in _rows(table, PRODUCT_FIELDS, problems):
        v = row.values

        def add(name: str, expected: str, got: object, row: _Row = row) -> None:
            problems.add(row.line, columns[name][1], expected, got)

        ok = all(value is not None for value in v.values())
        product_id = _check_id(v["product_id"], "product", existing, seen_ids, row.line, add, "product_id")
        ok &= product_id is not None
        name = v["name"]
        if name == "":
            add("name", "the product's name", verbatim("an empty cell"))
            ok = False
        sheet_id = None
        if v["sheet"] == "":
            add("sheet", finder.expected, verbatim("an empty cell"))
        elif v["sheet"] is not None:
            sheet_id, expected = finder.find(v["sheet"])
            if sheet_id is None:
                add("sheet", expected, _clip(v["sheet"]))
        ok &= sheet_id is not None
        code = v.get("product_code") or ""
        if code:
            code = _DASHES.sub("-", code)
            if not _PRODUCT_CODE.fullmatch(code):
                add(
                    "product_code",
                    "an OCOP code of four groups of digits joined by '-', the year last (e.g. 83-29215-01-2026)",
                    _clip(v["product_code"] or ""),
                )
                ok = False
            elif code in seen_codes:
                add("product_code", f"a code used once in the file (also on line {seen_codes[code]})", code)
                ok = False
            else:
                seen_codes[code] = row.line
        case = ""
        if v.get("case"):
            m = _CASE.fullmatch(_fold(v["case"]))
            if m is None:
                add("case", "a case: a or 1 (Trường hợp 1), b or 2 (Trường hợp 2), or nothing", _clip(v["case"]))
                ok = False
            else:
                case = {"1": "a", "2": "b"}.get(m.group(1), m.group(1))
        if ok:
            assert product_id is not None and name is not None and sheet_id is not None
            out.append(
                ProductSpec(
                    product_id=product_id,
                    name=name,
                    sheet_id=sheet_id,
                    product_code=code,
                    producer=v.get("producer") or "",
                    commune=v.get("commune") or "",
                    province=v.get("province") or "",
                    dossier_notes=v.get("dossier_notes") or "",
                    case=case,
                )
            )
    problems.raise_if_any()
    return out


def _check_id(
    value: str | None,
    what: str,
    existing: set[str],
    seen: dict[str, int],
    line: int,
    add: Callable[[str, str, object], None],
    column: str,
    *,
    required: bool = True,
) -> str | None:
    """A checked id (recorded in ``seen``), "" when blank and optional, None after a problem."""
    if value is None:
        return None
    if value == "":
        if required:
            add(column, f"the {what}'s id", verbatim("an empty cell"))
            return None
        return ""
    if len(value) > MAX_ID_CHARS or not _ID.fullmatch(value):
        add(
            column,
            f"a {what} id of at most {MAX_ID_CHARS} ASCII letters, digits, '-', '_' or '.'",
            _clip(value),
        )
        return None
    key = value.casefold()
    if key in existing:
        add(column, f"a {what} id not already in the session", value)
        return None
    if key in seen:
        add(column, f"a {what} id used once in the file (also on line {seen[key]})", value)
        return None
    seen[key] = line
    return value


# --- members ---------------------------------------------------------------------------------------


def read_members(path: Path | str, *, existing_ids: Collection[str] = ()) -> list[MemberSpec]:
    """Read a council members list (CSV or XLSX) and check every row.

    A blank member id is given the next free TV01, TV02… (chair and members,
    in file order) or TK01… (secretaries), skipping ``existing_ids`` and the
    ids written in the file.

    Raises:
        ImportFileError: Listing every problem of the file; nothing is returned then.
    """
    return _read_members(Path(path), None, existing_ids)


def _read_members(path: Path, data: bytes | None, existing_ids: Collection[str]) -> list[MemberSpec]:
    problems = _Problems(str(path))
    table = _read_table(path, MEMBER_FIELDS, problems, "members", data)
    existing = {str(i).casefold() for i in existing_ids}
    seen_ids: dict[str, int] = {}
    columns = table.header.columns
    chair_line: int | None = None
    pending: list[tuple[str, str, str, str]] = []  # member_id ("" = to generate), name, role, organisation
    for row in _rows(table, MEMBER_FIELDS, problems):
        v = row.values

        def add(name: str, expected: str, got: object, row: _Row = row) -> None:
            problems.add(row.line, columns[name][1], expected, got)

        ok = all(value is not None for value in v.values())
        member_id = _check_id(
            v.get("member_id", ""), "member", existing, seen_ids, row.line, add, "member_id", required=False
        )
        ok &= member_id is not None
        name = v["name"]
        if name == "":
            add("name", "the member's full name", verbatim("an empty cell"))
            ok = False
        role = None
        if v["role"] == "":
            add("role", _ROLES_EXPECTED, verbatim("an empty cell"))
        elif v["role"] is not None:
            role = _ROLE_WORDS.get(_fold(v["role"]))
            if role is None:
                add("role", _ROLES_EXPECTED, _clip(v["role"]))
            elif role == "chair" and chair_line is not None:
                add("role", f"one chair (the chair is on line {chair_line})", v["role"])
                role = None
            elif role == "chair":
                chair_line = row.line
        ok &= role is not None
        if ok:
            assert member_id is not None and name is not None and role is not None
            pending.append((member_id, name, role, v.get("organisation") or ""))
    problems.raise_if_any()
    taken = existing | set(seen_ids)
    counters = dict.fromkeys(_ID_PREFIX.values(), 0)
    out: list[MemberSpec] = []
    for member_id, name, role, organisation in pending:
        if not member_id:
            prefix = _ID_PREFIX[role]
            while True:
                counters[prefix] += 1
                member_id = f"{prefix}{counters[prefix]:02d}"
                if member_id.casefold() not in taken:
                    break
            taken.add(member_id.casefold())
        out.append(MemberSpec(member_id=member_id, name=name, role=role, organisation=organisation))
    return out


# --- uploaded files (the secretary's page): the same readers on the bytes of a file -----------------


def _upload_name(filename: str) -> Path:
    """The uploaded file's name as the problems show it (only its last part; it is never opened)."""
    name = Path(str(filename or "").replace("\\", "/")).name
    return Path(name or "upload")


def read_products_data(
    data: bytes, filename: str, sheets: Mapping[str, Sheet], *, existing_ids: Collection[str] = ()
) -> list[ProductSpec]:
    """Read an uploaded products list: the bytes of a CSV or XLSX file called ``filename``.

    Exactly as ``read_products`` (the name's suffix tells CSV from XLSX; problems name the file).

    Raises:
        ImportFileError: Listing every problem of the file; nothing is returned then.
    """
    return _read_products(_upload_name(filename), bytes(data), sheets, existing_ids)


def read_members_data(data: bytes, filename: str, *, existing_ids: Collection[str] = ()) -> list[MemberSpec]:
    """Read an uploaded members list: the bytes of a CSV or XLSX file called ``filename``.

    Exactly as ``read_members``.

    Raises:
        ImportFileError: Listing every problem of the file; nothing is returned then.
    """
    return _read_members(_upload_name(filename), bytes(data), existing_ids)
