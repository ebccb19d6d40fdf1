"""Write the binary fixtures of tests/test_imports.py (the CSV fixtures beside it are written by hand).

Run ``python tests/data/imports/make_fixtures.py`` from the repository root after
regenerating ``examples/`` (``truncated.xlsx`` and ``workbook_named.csv`` are cut
from ``examples/products.xlsx``). Big hostile files (a 10 MB cell, a zip bomb,
over 100,000 rows, over 20 MB) are made by the tests in a temporary folder.
"""

from __future__ import annotations

import io
import random
import re
import unicodedata
import zipfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
EXAMPLES = HERE.parents[2] / "examples"

TEXT = "Mã sản phẩm,Tên sản phẩm,Bộ tiêu chí\nSP01,Bưởi da xanh,01\nSP02,Xoài cát Hòa Lộc,01\n"


def _fixed(book_bytes: bytes) -> bytes:
    """Zip timestamps and workbook dates fixed, so that regenerating changes nothing."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(book_bytes)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            content = src.read(info)
            if info.filename == "docProps/core.xml":
                content = re.sub(rb"(<dcterms:(created|modified)[^>]*>)[^<]*", rb"\g<1>2026-03-02T08:00:00Z", content)
            dst.writestr(zipfile.ZipInfo(info.filename, date_time=(2026, 3, 2, 8, 0, 0)), content)
    return out.getvalue()


def _save(book) -> bytes:
    raw = io.BytesIO()
    book.save(raw)
    return _fixed(raw.getvalue())


def formulas_workbook() -> bytes:
    """Formulas, an error value and a text starting with '@' in imported columns; a formula STT (allowed)."""
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(["STT", "Mã sản phẩm", "Tên sản phẩm", "Chủ thể", "Bộ tiêu chí"])
    sheet.append(["=ROW()-1", "SP01", '=UPPER("bưởi da xanh")', "HTX Mỹ Thạnh An", 1])
    sheet.append(["=ROW()-1", "SP02", "Xoài cát Hòa Lộc", "Tổ hợp tác Hòa Lộc", '="qd26-2026-"&"01"'])
    sheet.append(["=ROW()-1", "SP03", "Gạo ST25", "#N/A", 3])
    sheet.append(["=ROW()-1", "SP04", "Mật ong hoa nhãn", "@SUM(A1:A3)", 4])
    sheet.append(["=ROW()-1", "SP05", "Nước mắm nhĩ", "Công ty Hưng Thịnh", 9])
    return _save(book)


def typed_workbook() -> bytes:
    """A secretary's workbook: an instructions sheet first, then the list under a title, typed numbers and dates."""
    import datetime as dt

    from openpyxl import Workbook

    book = Workbook()
    notes = book.active
    notes.title = "Hướng dẫn"
    notes.append(["Điền danh sách sản phẩm ở trang tính 'Danh sách'."])
    sheet = book.create_sheet("Danh sách")
    sheet.append(["DANH SÁCH SẢN PHẨM ĐĂNG KÝ ĐÁNH GIÁ, PHÂN HẠNG OCOP NĂM 2026"])
    sheet.merge_cells("A1:G1")
    sheet.append([])
    sheet.append(["STT", "Mã\nsản phẩm", "Tên sản phẩm", "Bộ tiêu chí", "Mã OCOP", "Ngày nộp", "Ghi chú hồ sơ"])
    sheet.append([1, 101, "  Bưởi   da xanh  ", 7, "83-29215-01-2026", dt.datetime(2026, 2, 10), "Đủ hồ sơ"])
    sheet.append([2, 102.0, unicodedata.normalize("NFD", "Xoài cát Hòa Lộc"), 1.0, None, dt.date(2026, 2, 11), None])
    sheet.append([None, None, None, None, None, None, None])
    sheet.append([3, "SP-103", "Mứt gừng", "qd26-2026-07", None, None, "Bổ sung\r\nphiếu kiểm nghiệm"])
    sheet["D4"].number_format = "00"
    return _save(book)


def members_workbook() -> bytes:
    """Members under a title row, ids left blank to be generated."""
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(["DANH SÁCH THÀNH VIÊN HỘI ĐỒNG ĐÁNH GIÁ, PHÂN HẠNG SẢN PHẨM OCOP CẤP TỈNH NĂM 2026"])
    sheet.append(["STT", "Mã thành viên", "Họ và tên", "Vai trò", "Đơn vị công tác"])
    sheet.append([1, None, "Nguyễn Văn An", "Chủ tịch", "UBND tỉnh"])
    sheet.append([2, None, "Ngô Thị Lan", "Thư ký", "Văn phòng Điều phối"])
    sheet.append([3, None, "Trần Thị Bình", "Ủy viên", "Sở Công Thương"])
    sheet.append([4, None, "Lê Văn Cường", "Ủy viên", "Sở Y tế"])
    return _save(book)


def ods_renamed() -> bytes:
    """A zip archive that is not an Excel workbook (an OpenDocument spreadsheet's first part)."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr(
            zipfile.ZipInfo("mimetype", date_time=(2026, 3, 2, 8, 0, 0)),
            "application/vnd.oasis.opendocument.spreadsheet",
        )
        archive.writestr(zipfile.ZipInfo("content.xml", date_time=(2026, 3, 2, 8, 0, 0)), "<office:document-content/>")
    return out.getvalue()


def garbage() -> bytes:
    """A PNG image named .csv: binary data."""
    rng = random.Random(26)
    return b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(rng.randrange(256) for _ in range(300))


def cp1258(text: str) -> bytes:
    """``text`` in Windows-1258 (Vietnamese ANSI): base letters precomposed, tone marks combining."""
    tones = "\u0300\u0301\u0303\u0309\u0323"
    out = b""
    for char in text:
        try:
            out += char.encode("cp1258")
        except UnicodeEncodeError:
            parts = unicodedata.normalize("NFD", char)
            base = unicodedata.normalize("NFC", "".join(c for c in parts if c not in tones))
            out += (base + "".join(c for c in parts if c in tones)).encode("cp1258")
    return out


def main() -> None:
    """Write every binary fixture beside this script."""
    products = (EXAMPLES / "products.xlsx").read_bytes()
    files = {
        "products_cp1258.csv": cp1258(TEXT),
        "products_utf16.csv": TEXT.replace(",", "\t").encode("utf-16"),
        "garbage.csv": garbage(),
        "truncated.xlsx": products[: len(products) // 2],
        "workbook_named.csv": products,
        "spreadsheet.ods.xlsx": ods_renamed(),
        "old_excel.xls": b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504),
        "products_formulas.xlsx": formulas_workbook(),
        "products_typed.xlsx": typed_workbook(),
        "members_blank_ids.xlsx": members_workbook(),
    }
    for name, data in files.items():
        (HERE / name).write_bytes(data)
        print(HERE / name)


if __name__ == "__main__":
    main()
