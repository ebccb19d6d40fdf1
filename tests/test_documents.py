"""The council's documents: XLSX (reproducible bytes) and PDF, laid out like the official forms."""

from __future__ import annotations

import re

import openpyxl
import pytest
from attrs import evolve

from ocop_scoring.demo import demo_dir
from ocop_scoring.documents import filled_sheet, minutes, summary_table, write_documents
from ocop_scoring.report import SessionReport, load_source
from ocop_scoring.scoring import score_card

SESSION = demo_dir() / "session.json"


@pytest.fixture(scope="module")
def report():
    return SessionReport(load_source(SESSION))


def test_xlsx_documents_are_complete_and_reproducible(report, tmp_path):
    """Every document is written; writing twice gives identical bytes."""
    a = write_documents(report, tmp_path / "a", formats=("xlsx",))
    b = write_documents(report, tmp_path / "b", formats=("xlsx",))

    names = sorted(p.relative_to(tmp_path / "a").as_posix() for p in a.xlsx)
    assert names == sorted(
        ["bang-tong-hop.xlsx", "bien-ban.xlsx", "de-nghi-5-sao.xlsx", *(f"phieu/P{i:02d}.xlsx" for i in range(1, 11))]
    )
    for x, y in zip(a.xlsx, b.xlsx, strict=True):
        assert x.read_bytes() == y.read_bytes(), x.name


def test_filled_sheet_has_ticks_totals_comment_and_signature(report, tmp_path):
    """P04, member TV01: one x per criterion, the totals the engine counts, the signature block."""
    write_documents(report, tmp_path, formats=("xlsx",))
    wb = openpyxl.load_workbook(tmp_path / "phieu" / "P04.xlsx")
    assert len(wb.worksheets) == 9
    ws = wb.worksheets[0]
    values = [[c.value for c in row] for row in ws.iter_rows()]
    flat = [str(v) for row in values for v in row if v is not None]

    assert flat[0].startswith("BỘ TIÊU CHÍ MẬT ONG")
    assert "(Kiêm phiếu đánh giá sản phẩm OCOP)" in flat
    marks = sum(1 for row in values if row[3] == "x")
    assert marks == len(report.src.sheets["qd26-2026-04"].leaves)
    total_row = next(row for row in values if row[1] == "TỔNG ĐIỂM")
    assert total_row[2] == dict(report.result.product("P04").member_totals)["TV01"]
    assert "Ý kiến của người đánh giá:" in flat and "(Ký và ghi rõ họ tên)" in flat and "Người đánh giá" in flat


def test_summary_minutes_and_five_star_list(report, tmp_path):
    """The summary carries every member total and result; the minutes the quorum and discussions; P03 is proposed for 5★."""
    write_documents(report, tmp_path, formats=("xlsx",))
    summary = [
        [c.value for c in r] for r in openpyxl.load_workbook(tmp_path / "bang-tong-hop.xlsx").worksheets[0].iter_rows()
    ]
    minutes = " ".join(
        str(c.value)
        for r in openpyxl.load_workbook(tmp_path / "bien-ban.xlsx").worksheets[0].iter_rows()
        for c in r
        if c.value
    )
    five = [
        [c.value for c in r] for r in openpyxl.load_workbook(tmp_path / "de-nghi-5-sao.xlsx").worksheets[0].iter_rows()
    ]

    p05 = next(r for r in summary if r[1] == "P05")
    assert "18 (!)" in p05 and "66.00" in p05
    assert "BIÊN BẢN HỌP HỘI ĐỒNG ĐÁNH GIÁ, PHÂN HẠNG SẢN PHẨM OCOP" in minutes
    assert "→ đủ điều kiện tiến hành" in minutes and "P05: chênh lệch 18 điểm" in minutes
    assert [r[1] for r in five if r[1] and str(r[1]).startswith("P")] == ["P03"]


def _text(ws) -> list[list[str]]:
    """A document's rows as lists of its non-empty cell texts."""
    return [[str(c.value) for c in cells if c is not None and c.value not in (None, "")] for cells, _ in ws.rows]


def test_filled_sheet_shows_not_met(report):
    """A criterion ticked "không đạt" (option 0) reads "Không đạt (0 điểm)" with its x after the printed options,
    on a criterion without a printed 0-point option (1.1 of sheet 4) and on one with it (1.2); totals follow."""
    state = report.src.state
    card = state.card("P04", "TV01")
    sheet = report.src.sheets["qd26-2026-04"]
    assert not sheet.leaf("1.1").prints_zero_option and sheet.leaf("1.2").prints_zero_option
    choices = {**dict(card.choices), "1.1": 0, "1.2": 0}
    card = evolve(card, choices=tuple(choices.items()))
    product = next(p for p in state.products if p.product_id == "P04")

    rows = _text(filled_sheet(sheet, product, "Trần Thị Bình", "", card, state.session.name, ""))

    not_met = [i for i, row in enumerate(rows) if row[:1] == ["Không đạt (0 điểm)"]]
    assert len(not_met) == 2
    for i, code in zip(not_met, ("1.1", "1.2"), strict=True):
        assert rows[i] == ["Không đạt (0 điểm)", "0", "x"]
        heading = max(j for j in range(i) if rows[j][:1] == [code])
        options = rows[heading + 1 : i]
        assert options and all("x" not in row for row in options)  # no printed option ticked
        assert [row[0][:2] for row in options if re.match(r"\d+\. ", row[0])] == [
            f"{n}." for n in range(1, len(sheet.leaf(code).options) + 1)
        ]
    assert sum(1 for row in rows if row[-1:] == ["x"]) == len(sheet.leaves)
    total = next(row for row in rows if row[:1] == ["TỔNG ĐIỂM"])
    assert total == ["TỔNG ĐIỂM", str(score_card(sheet, choices).total)]


def test_results_are_proposals_not_recognitions(report):
    """The council proposes ("đề xuất công nhận N★"); P03 (90+) is "đạt từ 90 điểm: đề nghị Bộ đánh giá 5★" and is
    not counted among the products proposed for recognition; nothing says the council "công nhận"."""
    summary = _text(summary_table(report))
    minutes_rows = _text(minutes(report))
    text = " ".join(" ".join(row) for row in minutes_rows)

    proposals = {row[1]: row[-1] for row in summary if len(row) > 2 and re.fullmatch(r"P\d\d", row[1])}
    assert proposals["P01"] == "đề xuất công nhận 4★"
    assert proposals["P02"] == "đề xuất công nhận 3★"
    assert proposals["P03"] == "đạt từ 90 điểm: đề nghị Bộ đánh giá 5★"
    assert proposals["P07"] == "1★: không đủ điều kiện đề xuất công nhận"
    assert proposals["P10"] == "bị loại, không xếp hạng"
    results = {row[1][:3]: row[2:] for row in minutes_rows if len(row) == 4 and re.match(r"P\d\d — ", row[1])}
    assert results["P03"] == ["97.89 điểm", "đạt từ 90 điểm: đề nghị Bộ đánh giá 5★"]
    assert results["P01"] == ["85.00 điểm, 4 sao", "đề xuất công nhận 4★"]
    proposed = sum(1 for r in report.result if r.outcome == "propose_recognition")
    assert proposed == 7 and report.result.product("P03").outcome == "forward_to_ministry"
    assert (
        "Kết quả: 5 sản phẩm đề xuất công nhận 3★; 2 sản phẩm đề xuất công nhận 4★; 1 sản phẩm đạt từ 90 điểm trở"
        " lên, đề nghị Bộ Nông nghiệp và Môi trường đánh giá 5★; 1 sản phẩm không đủ điều kiện đề xuất công nhận;"
        " 1 sản phẩm bị loại." in text
    )
    assert "Hội đồng đề xuất Chủ tịch UBND cấp tỉnh công nhận 7 sản phẩm" in text
    assert "không tính vào số sản phẩm đề xuất công nhận ở cấp tỉnh" in text
    for document in (summary, minutes_rows):
        for row in document:
            for cell_text in row:  # every "công nhận" is proposed ("đề xuất" / "đề nghị"), never done by the council
                for m in re.finditer("công nhận", cell_text):
                    assert re.search(r"(đề xuất|đề nghị)[^.;]*$", cell_text[: m.start()]), cell_text
    assert "sao" not in results["P03"][0]  # a provincial council does not rate 5★


def test_minutes_record_triggered_knockouts(report):
    """Knock-out notes triggered by ticks are in the minutes: criterion, members, and that the council decides
    (P05: not decided yet, a line to fill in; P10: rejected, with the reason)."""
    rows = _text(minutes(report))
    heading = rows.index(["IV. GHI CHÚ LOẠI DO PHIẾU ĐÁNH GIÁ KÍCH HOẠT"])
    section = [row[0] for row in rows[heading + 1 : rows.index(["V. KẾT QUẢ VÀ KIẾN NGHỊ"])]]
    p05 = report.result.product("P05")
    assert [(f.criterion, f.members) for f in p05.knockout_triggered] == [("6.1", ("TV07",))]

    assert len(section) == 2
    assert section[0].startswith("P05, tiêu chí 6.1: «")
    assert "phiếu của TV07 (Đặng Văn Giang) cho 0 điểm ở tiêu chí 6.1" in section[0]
    assert re.search(r"Việc loại sản phẩm do Hội đồng quyết định\. Quyết định của Hội đồng: …+$", section[0])
    assert section[1].startswith("P10, tiêu chí 6.1: «")
    assert "phiếu của TV05 (Hoàng Văn Em), TV07 (Đặng Văn Giang) cho 0 điểm" in section[1]
    assert "Quyết định của Hội đồng: loại sản phẩm (lý do: Hồ sơ bị loại:" in section[1]


@pytest.mark.slow
def test_pdf_documents(report, tmp_path):
    """Each document is also printed to PDF by headless Chromium."""
    written = write_documents(report, tmp_path, formats=("pdf",))

    assert len(written.pdf) == 13
    assert all(p.read_bytes()[:5] == b"%PDF-" for p in written.pdf)


@pytest.mark.slow
def test_pdf_documents_from_inside_an_event_loop(report, tmp_path):
    """A kernel (Voilà, Jupyter) calls us inside a running asyncio loop: printing still works."""
    import asyncio
    from concurrent.futures import ThreadPoolExecutor

    async def from_kernel():
        return write_documents(report, tmp_path, formats=("pdf",))

    # a thread of its own: this test process may already run a loop (pytest-playwright's)
    with ThreadPoolExecutor(max_workers=1) as pool:
        written = pool.submit(asyncio.run, from_kernel()).result()

    assert len(written.pdf) == 13
    assert all(p.read_bytes()[:5] == b"%PDF-" for p in written.pdf)
