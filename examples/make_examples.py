"""Write the example import files: products and members lists as a council secretary keeps them.

Run ``python examples/make_examples.py [DIR]`` (default: this folder) to write
``products.csv``, ``products.xlsx``, ``members.csv`` and ``members.xlsx``. The
CSV and XLSX files hold the same lists (``ocop session import-products`` /
``add-members`` read either); the workbooks have a title row above the header
row, typed numbers and dates, like a list kept in Excel. The output is
byte-for-byte reproducible (fixed workbook dates and zip timestamps), so a test
can check the committed copies.

The products and people are invented; any likeness to a real producer is by
region and product type only.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import sys
import zipfile
from pathlib import Path

FIXED_TIME = dt.datetime(2026, 3, 2, 8, 0, 0)

PRODUCT_HEADER = (
    "STT",
    "Mã sản phẩm",
    "Tên sản phẩm",
    "Chủ thể",
    "Xã/phường",
    "Tỉnh/thành phố",
    "Bộ tiêu chí",
    "Mã OCOP",
    "Ngày nộp hồ sơ",
    "Ghi chú hồ sơ",
)

# product id, name, producer, commune, sheet number (Phụ lục II), OCOP code, dossier date, notes
PRODUCTS: tuple[tuple[str, str, str, str, int, str, dt.date, str], ...] = (
    (
        "LD26-01",
        "Cà phê Arabica Cầu Đất rang xay",
        "HTX Nông nghiệp Cầu Đất",
        "phường Xuân Trường - Đà Lạt",
        13,
        "68-24817-01-2026",
        dt.date(2026, 2, 10),
        "Đủ hồ sơ",
    ),
    (
        "LD26-02",
        "Trà atiso túi lọc Langbiang",
        "Công ty TNHH Thảo mộc Langbiang",
        "xã Lạc Dương",
        12,
        "68-24826-01-2026",
        dt.date(2026, 2, 10),
        "Đủ hồ sơ",
    ),
    (
        "LD26-03",
        "Dâu tây sấy dẻo Đà Lạt",
        "Cơ sở chế biến nông sản Hồng Phúc",
        "phường Lâm Viên - Đà Lạt",
        7,
        "68-24796-03-2026",
        dt.date(2026, 2, 11),
        "Bổ sung phiếu kiểm nghiệm chỉ tiêu vi sinh\nBổ sung ảnh nhãn mới",
    ),
    (
        "LD26-04",
        "Hồng treo gió Đà Lạt",
        "Tổ hợp tác hồng treo gió Trại Mát",
        "phường Lang Biang - Đà Lạt",
        7,
        "68-24799-02-2026",
        dt.date(2026, 2, 11),
        "",
    ),
    (
        "LD26-05",
        "Trà Ô long Bảo Lộc",
        "Công ty CP Chè Tâm Châu Bảo Lộc",
        "phường 1 Bảo Lộc",
        11,
        "68-25036-01-2026",
        dt.date(2026, 2, 12),
        "Đủ hồ sơ",
    ),
    (
        "LD26-06",
        "Khăn choàng tơ lụa Bảo Lộc",
        "HTX Dâu tằm tơ Đại Lào",
        "phường B'Lao",
        22,
        "",
        dt.date(2026, 2, 12),
        "Sản phẩm đăng ký lần đầu, chưa có mã OCOP",
    ),
    (
        "LD26-07",
        "Rượu cần K'Ho",
        "HTX Du lịch - Dịch vụ Lang Biang",
        "xã Lạc Dương",
        15,
        "68-24826-02-2026",
        dt.date(2026, 2, 13),
        "",
    ),
    (
        "LD26-08",
        "Mật ong hoa cà phê Di Linh",
        "Hộ kinh doanh ong mật Hòa Bắc",
        "xã Di Linh",
        4,
        "68-25198-01-2026",
        dt.date(2026, 2, 13),
        "Đủ hồ sơ",
    ),
    (
        "LD26-09",
        "Sầu riêng Ri6 Đạ Huoai",
        "HTX Nông nghiệp Đạ Huoai",
        "xã Đạ Huoai",
        1,
        "68-25280-04-2026",
        dt.date(2026, 2, 16),
        "",
    ),
    (
        "LD26-10",
        "Nước mắm cá cơm Phan Thiết",
        "Công ty TNHH Nước mắm Thanh Hải",
        "phường Phú Thủy",
        9,
        "68-22936-05-2026",
        dt.date(2026, 2, 16),
        "Bổ sung giấy chứng nhận cơ sở đủ điều kiện an toàn thực phẩm",
    ),
    (
        "LD26-11",
        "Thanh long ruột đỏ Hàm Thuận",
        "HTX Thanh long Hàm Thuận Bắc",
        "xã Hàm Thuận Bắc",
        1,
        "68-22960-02-2026",
        dt.date(2026, 2, 17),
        "",
    ),
    (
        "LD26-12",
        "Lan hồ điệp chậu Đà Lạt",
        "Công ty TNHH Hoa lan Thái Phiên",
        "phường Xuân Hương - Đà Lạt",
        23,
        "",
        dt.date(2026, 2, 17),
        "Đăng ký lần đầu",
    ),
    (
        "LD26-13",
        "Du lịch cộng đồng buôn Bon Đưng",
        "HTX Du lịch cộng đồng Bon Đưng",
        "xã Lạc Dương",
        26,
        "68-24826-03-2026",
        dt.date(2026, 2, 18),
        "Đủ hồ sơ",
    ),
)

MEMBER_HEADER = ("STT", "Mã thành viên", "Họ và tên", "Vai trò", "Đơn vị công tác")

# member id (the XLSX leaves it blank: the same ids are generated), name, role as written, organisation
MEMBERS: tuple[tuple[str, str, str, str], ...] = (
    ("TV01", "Nguyễn Văn Hải", "Chủ tịch Hội đồng", "Phó Chủ tịch UBND tỉnh Lâm Đồng"),
    ("TV02", "Trần Thị Thu Hà", "Phó Chủ tịch Hội đồng", "Giám đốc Sở Nông nghiệp và Môi trường"),
    ("TV03", "Lê Quang Minh", "Ủy viên", "Sở Công Thương"),
    ("TV04", "Phạm Thị Ngọc Lan", "Ủy viên", "Sở Khoa học và Công nghệ"),
    ("TV05", "K' Brél", "Uỷ viên", "Sở Văn hóa, Thể thao và Du lịch"),
    ("TV06", "Hoàng Thị Mai", "Ủy viên", "Sở Y tế"),
    ("TV07", "Võ Đình Khoa", "Ủy viên", "Liên minh Hợp tác xã tỉnh"),
    ("TV08", "Đinh Thị Thanh Tâm", "Ủy viên", "Ngân hàng Nông nghiệp và Phát triển nông thôn chi nhánh Lâm Đồng"),
    ("TV09", "Bùi Văn Thắng", "Ủy viên", "Chuyên gia OCOP, Trường Đại học Đà Lạt"),
    ("TK01", "Ngô Thị Phương Thảo", "Thư ký", "Văn phòng Điều phối nông thôn mới tỉnh"),
)

PRODUCTS_TITLE = "DANH SÁCH SẢN PHẨM ĐĂNG KÝ ĐÁNH GIÁ, PHÂN HẠNG OCOP NĂM 2026"
PRODUCTS_SUBTITLE = "(Kèm theo Tờ trình số      /TTr-VPĐP ngày     tháng 3 năm 2026 của Văn phòng Điều phối nông thôn mới tỉnh Lâm Đồng)"
MEMBERS_TITLE = "DANH SÁCH THÀNH VIÊN HỘI ĐỒNG ĐÁNH GIÁ, PHÂN HẠNG SẢN PHẨM OCOP CẤP TỈNH NĂM 2026"
MEMBERS_SUBTITLE = "(Kèm theo Quyết định số      /QĐ-UBND ngày     tháng 3 năm 2026 của Ủy ban nhân dân tỉnh Lâm Đồng)"


def product_rows() -> list[list[object]]:
    """The products as typed in a workbook: numbers and dates are typed values."""
    return [
        [i, pid, name, producer, commune, "Lâm Đồng", sheet, code, day, notes]
        for i, (pid, name, producer, commune, sheet, code, day, notes) in enumerate(PRODUCTS, start=1)
    ]


def member_rows(*, with_ids: bool) -> list[list[object]]:
    """The members; without ids the importer generates the same TV01… / TK01…."""
    return [
        [i, member_id if with_ids else None, name, role, organisation]
        for i, (member_id, name, role, organisation) in enumerate(MEMBERS, start=1)
    ]


def csv_text(header: tuple[str, ...], rows: list[list[object]]) -> str:
    """A CSV as Excel's "CSV UTF-8" writes it (dates day/month/year, sheet numbers with two digits)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        cells = []
        for column, value in zip(header, row, strict=True):
            if value is None:
                cells.append("")
            elif isinstance(value, dt.date):
                cells.append(value.strftime("%d/%m/%Y"))
            elif column == "Bộ tiêu chí":
                cells.append(f"{value:02d}")
            else:
                cells.append(str(value))
        writer.writerow(cells)
    return out.getvalue()


def workbook_bytes(title: str, subtitle: str, header: tuple[str, ...], rows: list[list[object]], widths) -> bytes:
    """A one-sheet workbook: title and subtitle rows, a blank row, the header row, the list."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Border, Font, Side
    from openpyxl.utils import get_column_letter

    book = Workbook()
    sheet = book.active
    sheet.title = "Danh sách"
    last = get_column_letter(len(header))
    sheet.append([title])
    sheet.append([subtitle])
    sheet.append([])
    sheet.append(list(header))
    for row in rows:
        sheet.append(row)
    sheet.merge_cells(f"A1:{last}1")
    sheet.merge_cells(f"A2:{last}2")
    sheet["A1"].font = Font(name="Times New Roman", size=14, bold=True)
    sheet["A1"].alignment = Alignment(horizontal="center")
    sheet["A2"].font = Font(name="Times New Roman", size=12, italic=True)
    sheet["A2"].alignment = Alignment(horizontal="center")
    thin = Side(style="thin")
    box = Border(left=thin, right=thin, top=thin, bottom=thin)
    for row in sheet.iter_rows(min_row=4, max_row=4 + len(rows)):
        for cell in row:
            cell.border = box
            cell.font = Font(name="Times New Roman", size=12, bold=cell.row == 4)
            cell.alignment = Alignment(
                vertical="center", wrap_text=True, horizontal="center" if cell.row == 4 else None
            )
            if header[cell.column - 1] == "Bộ tiêu chí":
                cell.number_format = "00"
            elif header[cell.column - 1] == "Ngày nộp hồ sơ":
                cell.number_format = "dd/mm/yyyy"
    for i, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(i)].width = width
    sheet.freeze_panes = "A5"
    book.properties.creator = "Văn phòng Điều phối nông thôn mới tỉnh Lâm Đồng"
    book.properties.created = FIXED_TIME
    book.properties.modified = FIXED_TIME
    raw = io.BytesIO()
    book.save(raw)
    return _fixed_zip_times(raw.getvalue())


def _fixed_zip_times(data: bytes) -> bytes:
    """The same archive with every member dated FIXED_TIME, so that the bytes are reproducible."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            fixed = zipfile.ZipInfo(info.filename, date_time=FIXED_TIME.timetuple()[:6])
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = info.external_attr
            content = src.read(info)
            if info.filename == "docProps/core.xml":  # openpyxl dates "modified" at the time of saving
                stamp = FIXED_TIME.strftime("%Y-%m-%dT%H:%M:%SZ").encode()
                content = re.sub(rb"(<dcterms:modified[^>]*>)[^<]*", rb"\g<1>" + stamp, content)
            dst.writestr(fixed, content)
    return out.getvalue()


def write_examples(folder: Path) -> list[Path]:
    """Write the four example files into ``folder`` and return their paths."""
    folder.mkdir(parents=True, exist_ok=True)
    files = {
        # Excel's "CSV UTF-8 (Comma delimited)" starts with a byte-order mark; the importer accepts both.
        "products.csv": ("\ufeff" + csv_text(PRODUCT_HEADER, product_rows())).encode("utf-8"),
        "members.csv": csv_text(MEMBER_HEADER, member_rows(with_ids=True)).encode("utf-8"),
        "products.xlsx": workbook_bytes(
            PRODUCTS_TITLE, PRODUCTS_SUBTITLE, PRODUCT_HEADER, product_rows(), (5, 12, 34, 34, 28, 14, 11, 19, 14, 40)
        ),
        "members.xlsx": workbook_bytes(
            MEMBERS_TITLE, MEMBERS_SUBTITLE, MEMBER_HEADER, member_rows(with_ids=False), (5, 14, 26, 24, 50)
        ),
    }
    paths = []
    for name, data in files.items():
        path = folder / name
        path.write_bytes(data)
        paths.append(path)
    return paths


def main(argv: list[str] | None = None) -> int:
    """Write the examples into the folder given (default: the folder of this script)."""
    args = sys.argv[1:] if argv is None else argv
    folder = Path(args[0]) if args else Path(__file__).resolve().parent
    for path in write_examples(folder):
        print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
