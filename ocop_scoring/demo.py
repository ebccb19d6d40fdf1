"""The demo council: realistic products, members and scorecards, generated deterministically.

Layer: loader (uses the official sheets). Run ``python -m ocop_scoring.demo DIR``
to write the bundled demo files (``scores.csv``, ``rejections.csv``,
``products.csv``, ``members.csv``); a test checks the committed copies match.

The products are invented (any likeness to a real producer is by region and
product type only); the points come from a seeded generator so that the demo
shows every path of the calculation: a 5★ candidate forwarded to the
Ministry, a star capped by a minimum, a spread over 10 points, a recusal,
a knock-out, a 2★ product, and the story condition (5.2 counted 0).
"""

from __future__ import annotations

import csv
import random
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ocop_scoring.model import Rejection, Scorecard, Sheet


@dataclass(frozen=True)
class DemoProduct:
    """A product of the demo council and how the generator should score it."""

    product_id: str
    code: str  # official product code (T)-(X)-(STT)-year
    name: str
    producer: str
    commune: str
    province: str
    sheet_id: str
    level: float  # 0..1, where members' ticks centre on
    stars: int  # the star the consensus is built to reach (minimums met up to it)
    notes: str = ""


@dataclass(frozen=True)
class DemoMember:
    """A council member of the demo."""

    member_id: str
    name: str
    role: str  # chair / member / secretary
    organisation: str
    leniency: float  # shift of this member's ticks


PRODUCTS: tuple[DemoProduct, ...] = (
    DemoProduct(
        "P01",
        "83-29215-01-2026",
        "Bưởi da xanh Mỹ Thạnh An",
        "HTX Bưởi da xanh Mỹ Thạnh An",
        "xã Phú Nhuận",
        "Vĩnh Long",
        "qd26-2026-01",
        0.80,
        4,
    ),
    DemoProduct(
        "P02",
        "82-28543-03-2026",
        "Xoài cát Hòa Lộc",
        "Tổ hợp tác xoài Hòa Lộc",
        "xã Hòa Hưng",
        "Đồng Tháp",
        "qd26-2026-01",
        0.55,
        3,
    ),
    DemoProduct(
        "P03",
        "94-31171-02-2026",
        "Gạo ST25 ruộng tôm",
        "HTX Nông nghiệp Hòa Tú",
        "xã Hòa Tú 1",
        "Cần Thơ",
        "qd26-2026-03",
        0.97,
        5,
    ),
    DemoProduct(
        "P04",
        "33-12046-05-2026",
        "Mật ong hoa nhãn Hưng Yên",
        "Cơ sở ong mật Đức Thắng",
        "xã Nghĩa Trụ",
        "Hưng Yên",
        "qd26-2026-04",
        0.78,
        4,
        "story",
    ),
    DemoProduct(
        "P05",
        "91-30655-01-2026",
        "Nước mắm nhĩ cá cơm",
        "Công ty TNHH Nước mắm Hưng Thịnh",
        "đặc khu Phú Quốc",
        "An Giang",
        "qd26-2026-09",
        0.70,
        3,
        "spread",
    ),
    DemoProduct(
        "P06",
        "15-04546-04-2026",
        "Chè Shan tuyết cổ thụ Suối Giàng",
        "HTX Chè Suối Giàng",
        "xã Suối Giàng",
        "Lào Cai",
        "qd26-2026-11",
        0.82,
        4,
        "recusal",
    ),
    DemoProduct(
        "P07",
        "52-21634-07-2026",
        "Rượu Bàu Đá truyền thống",
        "Hộ kinh doanh rượu Bàu Đá",
        "xã Nhơn Lộc",
        "Gia Lai",
        "qd26-2026-14",
        0.22,
        1,
    ),
    DemoProduct(
        "P08",
        "46-19774-02-2026",
        "Nón lá bài thơ Phú Cam",
        "Tổ hợp tác nón lá Phú Cam",
        "phường Thuận Hóa",
        "Huế",
        "qd26-2026-21",
        0.60,
        3,
    ),
    DemoProduct(
        "P09",
        "11-03256-01-2026",
        "Du lịch cộng đồng bản Lác",
        "HTX Du lịch cộng đồng bản Lác",
        "xã Mai Châu",
        "Phú Thọ",
        "qd26-2026-26",
        0.68,
        3,
    ),
    DemoProduct(
        "P10",
        "82-28780-06-2026",
        "Mứt mãng cầu sấy dẻo",
        "Cơ sở chế biến Thanh Bình",
        "xã Thanh Bình",
        "Đồng Tháp",
        "qd26-2026-07",
        0.50,
        2,
        "rejected",
    ),
)

MEMBERS: tuple[DemoMember, ...] = (
    DemoMember("TV01", "Nguyễn Văn An", "chair", "UBND tỉnh (Phó Chủ tịch)", 0.00),
    DemoMember("TV02", "Trần Thị Bình", "member", "Sở Nông nghiệp và Môi trường", 0.03),
    DemoMember("TV03", "Lê Văn Cường", "member", "Sở Công Thương", -0.04),
    DemoMember("TV04", "Phạm Thị Dung", "member", "Sở Y tế", 0.06),
    DemoMember("TV05", "Hoàng Văn Em", "member", "Sở Khoa học và Công nghệ", -0.02),
    DemoMember("TV06", "Vũ Thị Phương", "member", "Sở Văn hóa, Thể thao và Du lịch", 0.01),
    DemoMember("TV07", "Đặng Văn Giang", "member", "Sở An toàn thực phẩm", -0.05),
    DemoMember("TV08", "Bùi Thị Hạnh", "member", "Liên minh Hợp tác xã tỉnh", 0.04),
    DemoMember("TV09", "Đỗ Văn Hùng", "member", "Chuyên gia OCOP (Trường Đại học Nông Lâm)", -0.01),
    DemoMember("TK01", "Ngô Thị Lan", "secretary", "Văn phòng Điều phối nông thôn mới tỉnh", 0.0),
)

REJECTION_REASON = "Hồ sơ bị loại: không đáp ứng về hồ sơ đăng ký theo quy định (thiếu giấy chứng nhận cơ sở đủ điều kiện an toàn thực phẩm)"
RECUSED = {("P06", "TV05"): "Có quan hệ gia đình với chủ thể sản phẩm"}
SEED = 2057


def scoring_members() -> list[DemoMember]:
    """Members who score (chair and members; the secretary does not)."""
    return [m for m in MEMBERS if m.role != "secretary"]


def demo_scorecards(sheets: Mapping[str, Sheet]) -> list[Scorecard]:
    """Every member's complete scorecard for every demo product (recusals left out).

    Per product the generator fixes a consensus tick per criterion (near the
    product's level; at least the marked option of every star minimum up to
    the product's intended star), then each member moves a few criteria one
    option up or down, more often in the direction of their leniency.
    """
    rng = random.Random(SEED)
    cards: list[Scorecard] = []
    for product in PRODUCTS:
        sheet = sheets[product.sheet_id]
        consensus: dict[str, int] = {}
        floor: dict[str, int] = {}
        for leaf in sheet.leaves:
            pick = _pick(leaf.options, product.level + rng.uniform(-0.15, 0.15))
            marked = [o.number for o in leaf.options if o.star is not None and o.star <= product.stars]
            floor[leaf.code] = max(marked) if marked else 1
            consensus[leaf.code] = max(pick, floor[leaf.code])
        if product.notes == "story":
            consensus["5.1"] = 4  # story on leaflets and website, not in e-traceability: misses 4★ minimum 5.1 ≥ 5
        for member in scoring_members():
            if (product.product_id, member.member_id) in RECUSED:
                continue
            harsh = product.notes == "spread" and member.member_id == "TV07"
            chosen: dict[str, int] = {}
            for leaf in sheet.leaves:
                number = consensus[leaf.code]
                roll = rng.random()
                if harsh:
                    number -= 1 if roll < 0.5 else 0
                elif roll < 0.07 + max(member.leniency, 0):
                    number += 1
                elif roll > 0.93 + min(member.leniency, 0):
                    number -= 1
                low = 1 if harsh else floor[leaf.code]
                if product.notes == "story" and leaf.code == "5.1":
                    low = 1
                chosen[leaf.code] = min(max(number, low), len(leaf.options))
            if product.product_id == "P02" and member.member_id in ("TV03", "TV07"):
                chosen["5.1"] = 1  # "Không có câu chuyện sản phẩm": 5.2 counts 0
            cards.append(Scorecard(product.product_id, member.member_id, product.sheet_id, tuple(chosen.items())))
    return cards


def _pick(options: tuple, target: float) -> int:
    """The option whose share of the criterion's best points is nearest to ``target``."""
    best = max(o.points for o in options) or 1
    target = min(max(target, 0.0), 1.0)
    return min(options, key=lambda o: (abs(o.points / best - target), o.number)).number


def demo_rejections() -> list[Rejection]:
    """The demo's knock-outs."""
    return [Rejection(p.product_id, REJECTION_REASON) for p in PRODUCTS if p.notes == "rejected"]


def write_demo_files(directory: Path, sheets: Mapping[str, Sheet]) -> list[Path]:
    """Write the demo council as CSV files (the bundled copies come from here)."""
    from ocop_scoring.scores_io import write_scores_csv

    directory.mkdir(parents=True, exist_ok=True)
    written = []
    path = directory / "scores.csv"
    write_scores_csv(demo_scorecards(sheets), path, sheets)
    written.append(path)
    path = directory / "rejections.csv"
    with path.open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["product_id", "reason"])
        for r in demo_rejections():
            w.writerow([r.product_id, r.reason])
    written.append(path)
    # products and members in the layout a secretary keeps (docs/import-formats.md)
    path = directory / "products.csv"
    with path.open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(
            ["STT", "Mã sản phẩm", "Tên sản phẩm", "Chủ thể", "Xã/phường", "Tỉnh/thành phố", "Bộ tiêu chí", "Mã OCOP"]
        )
        for i, p in enumerate(PRODUCTS, start=1):
            w.writerow([i, p.product_id, p.name, p.producer, p.commune, p.province, p.sheet_id, p.code])
    written.append(path)
    path = directory / "members.csv"
    roles = {"chair": "Chủ tịch Hội đồng", "member": "Thành viên", "secretary": "Thư ký"}
    with path.open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["STT", "Mã thành viên", "Họ và tên", "Vai trò", "Đơn vị công tác"])
        for i, m in enumerate(MEMBERS, start=1):
            w.writerow([i, m.member_id, m.name, roles[m.role], m.organisation])
    written.append(path)
    return written


def write_demo_session_file(path: Path, library: Any) -> Path:
    """Run the demo council through a temporary store (every card submitted, P10 knocked out) and
    export it: the bundled ``session.json`` the report notebook shows by default."""
    import tempfile

    from ocop_scoring.model import MemberSpec, ProductSpec
    from ocop_scoring.store import OPERATOR, SessionStore
    from ocop_scoring.store.session_file import dumps

    with tempfile.TemporaryDirectory() as tmp:
        store = SessionStore(Path(tmp) / "demo.sqlite")
        sid = "demo-2026-1"
        store.create_session(
            sid,
            "Hội đồng đánh giá, phân hạng sản phẩm OCOP cấp tỉnh (phiên trình diễn)",
            library,
            round_label="Đợt 1/2026",
            held_on="2026-06-20",
        )
        store.add_members(sid, [MemberSpec(m.member_id, m.name, m.role, m.organisation) for m in MEMBERS])
        store.add_products(
            sid,
            [
                ProductSpec(p.product_id, p.name, p.sheet_id, p.code, p.producer, p.commune, p.province)
                for p in PRODUCTS
            ],
        )
        for (pid, mid), reason in RECUSED.items():
            store.recuse(sid, OPERATOR, pid, mid, reason)
        store.enter_cards(
            sid,
            OPERATOR,
            [(c.product_id, c.member_id, dict(c.choices), None) for c in demo_scorecards(library.sheets)],
            submit=True,
        )
        for r in demo_rejections():
            store.knock_out(sid, OPERATOR, r.product_id, r.reason)
        store.finalise(sid)
        path.write_bytes(dumps(store.export_session(sid)))
        store.close()
    return path


def demo_dir() -> Path:
    """Where the bundled demo files are."""
    return Path(__file__).resolve().parent / "data" / "demo"


if __name__ == "__main__":
    from ocop_scoring.criteria_io import load_library

    target = Path(sys.argv[1]) if len(sys.argv) > 1 else demo_dir()
    library = load_library()
    for written in write_demo_files(target, library.sheets):
        print(f"wrote {written}")
    if "--session" in sys.argv:  # timestamped: regenerate only when the demo changes
        print(f"wrote {write_demo_session_file(target / 'session.json', library)}")
