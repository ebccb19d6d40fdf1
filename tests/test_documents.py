"""The council's documents: XLSX (reproducible bytes) and PDF, laid out like the official forms."""

from __future__ import annotations

import openpyxl
import pytest

from ocop_scoring.demo import demo_dir
from ocop_scoring.documents import write_documents
from ocop_scoring.report import SessionReport, load_source

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
