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
    case: str = ""  # a choose-one-case sheet's case (sheet 26: "a" community tourism, "b" a tourist site)


@dataclass(frozen=True)
class DemoMember:
    """A council member of the demo."""

    member_id: str
    name: str
    role: str  # chair / member / secretary
    organisation: str
    leniency: float  # shift of this member's ticks


def _load() -> dict[str, Any]:
    from ocop_scoring.yamlio import read_yaml

    path = Path(__file__).resolve().parent / "data" / "demo" / "council.yaml"
    data, problems = read_yaml(path)
    if problems or not isinstance(data, dict) or data.get("format") != "ocop-demo/1":
        msg = "; ".join(str(p) for p in problems) or f"{path}: expected format ocop-demo/1"
        raise RuntimeError(msg)
    return data


_DATA = _load()
PRODUCTS: tuple[DemoProduct, ...] = tuple(
    DemoProduct(
        p["product_id"],
        p["code"],
        p["name"],
        p["producer"],
        p["commune"],
        p["province"],
        p["sheet_id"],
        float(p["level"]),
        int(p["stars"]),
        p.get("notes", ""),
        p.get("case", ""),
    )
    for p in _DATA["products"]
)
MEMBERS: tuple[DemoMember, ...] = tuple(
    DemoMember(m["member_id"], m["name"], m["role"], m["organisation"], float(m["leniency"])) for m in _DATA["members"]
)
REJECTION_REASON: str = _DATA["rejection_reason"]
RECUSED: dict[tuple[str, str], str] = {(r["product_id"], r["member_id"]): r["reason"] for r in _DATA["recusals"]}
SEED: int = int(_DATA["seed"])
SESSION_NAME: str = _DATA["session_name"]
ROUND_LABEL: str = _DATA["round_label"]
HELD_ON: str = _DATA["held_on"]


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
        span: dict[str, tuple[int, int]] = {}
        for leaf in sheet.leaves:
            options = _case_options(leaf.options, product.case)
            span[leaf.code] = (options[0].number, options[-1].number)
            pick = _pick(options, product.level + rng.uniform(-0.15, 0.15))
            marked = [o.number for o in options if o.star is not None and o.star <= product.stars]
            floor[leaf.code] = max(marked) if marked else options[0].number
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
                first, last = span[leaf.code]
                low = first if harsh else floor[leaf.code]
                if product.notes == "story" and leaf.code == "5.1":
                    low = 1
                chosen[leaf.code] = min(max(number, low), last)
            if product.product_id == "P02" and member.member_id in ("TV03", "TV07"):
                chosen["5.1"] = 1  # "Không có câu chuyện sản phẩm": 5.2 counts 0
            cards.append(Scorecard(product.product_id, member.member_id, product.sheet_id, tuple(chosen.items())))
    return cards


def _case_options(options: tuple, case: str) -> tuple:
    """A criterion's options a product of ``case`` may get (all of them on a criterion without cases)."""
    if not any(o.case for o in options):
        return options
    return tuple(o for o in options if o.case in (None, case or "a"))


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
            [
                "STT",
                "Mã sản phẩm",
                "Tên sản phẩm",
                "Chủ thể",
                "Xã/phường",
                "Tỉnh/thành phố",
                "Bộ tiêu chí",
                "Mã OCOP",
                "Trường hợp",
            ]
        )
        for i, p in enumerate(PRODUCTS, start=1):
            w.writerow([i, p.product_id, p.name, p.producer, p.commune, p.province, p.sheet_id, p.code, p.case])
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
        store.create_session(sid, SESSION_NAME, library, round_label=ROUND_LABEL, held_on=HELD_ON)
        store.add_members(sid, [MemberSpec(m.member_id, m.name, m.role, m.organisation) for m in MEMBERS])
        store.add_products(
            sid,
            [
                ProductSpec(p.product_id, p.name, p.sheet_id, p.code, p.producer, p.commune, p.province, case=p.case)
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
