"""The published report and the council's documents for a 300-product x 12-member session.

Figures (one run, on a session file built once, untimed):
- the full report, HTML and PDF (`run_report`: papermill + nbconvert + Chromium), target <= 60 s;
  its parts: papermill (the notebook executing), HTML export, PDF printing;
- the XLSX documents (`write_documents(..., formats=("xlsx",))`: 300 workbooks of filled sheets with
  12 worksheets each, the summary table, the minutes, the 5-star list), target <= 20 s;
- baseline in the same run: the same filled sheets written with openpyxl (the toolkit's XLSX
  scoring-sheet writer) for a sample of cards, extrapolated to all 3,600, and the ratio;
- the PDF documents (no target; reported).
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

TARGET_REPORT_S = 60.0
TARGET_XLSX_S = 20.0


def add_arguments(parser: argparse._ArgumentGroup) -> None:
    """Options of this benchmark."""
    parser.add_argument("--report-products", type=int, default=300, help="products of the report's session (300)")
    parser.add_argument("--report-members", type=int, default=12, help="scoring members (12)")
    parser.add_argument(
        "--baseline-sample", type=int, default=40, help="cards written with openpyxl for the baseline (40)"
    )
    parser.add_argument("--skip-pdf-documents", action="store_true", help="do not time the PDF documents")


def fig(name: str, label: str, value: float, unit: str, target: float | None = None, op: str = "<=") -> dict[str, Any]:
    out: dict[str, Any] = {"name": name, "label": label, "value": value, "unit": unit}
    if target is not None:
        out.update(target=target, op=op)
    return out


def build_session_file(folder: Path, products: int, members: int) -> Path:
    """A finalised-like session of ``products`` x ``members`` (every card submitted), exported."""
    from bench_store import DASHBOARD_SESSION, dashboard_session

    from ocop_scoring.criteria_io import load_library
    from ocop_scoring.store import SessionStore
    from ocop_scoring.store.session_file import dumps

    lib = load_library()
    store = SessionStore(folder / "report.sqlite")
    dashboard_session(store, lib, products, members, 2026)
    path = folder / "session.json"
    path.write_bytes(dumps(store.export_session(DASHBOARD_SESSION)))
    store.close()
    return path


def run(args: argparse.Namespace) -> dict[str, Any]:
    from ocop_scoring.documents import product_sheets, write_documents
    from ocop_scoring.report import SessionReport, load_source, run_report
    from ocop_scoring.xlsx_sheets import ScoringSheetMeta, write_scoring_sheet

    figures: list[dict[str, Any]] = []
    info: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="ocop-bench-report-") as tmp:
        folder = Path(tmp)
        t = time.perf_counter()
        session = build_session_file(folder, args.report_products, args.report_members)
        info["setup_s"] = round(time.perf_counter() - t, 1)
        info["session_file_mib"] = round(session.stat().st_size / 2**20, 1)

        t = time.perf_counter()
        written = run_report(session, folder / "report", formats=("html", "pdf"))
        total = time.perf_counter() - t
        figures.append(
            fig(
                "report_s",
                f"full report, HTML + PDF ({args.report_products} x {args.report_members})",
                total,
                "s",
                TARGET_REPORT_S,
            )
        )
        info["report_html_mib"] = round(written["html"].stat().st_size / 2**20, 1)
        info["report_pdf_mib"] = round(written["pdf"].stat().st_size / 2**20, 1)
        t = time.perf_counter()
        run_report(session, folder / "report-html", formats=("html",))
        html_only = time.perf_counter() - t
        figures.append(fig("report_html_s", "  … HTML only (papermill + nbconvert)", html_only, "s"))
        figures.append(fig("report_pdf_s", "  … so the PDF printing took", max(total - html_only, 0.0), "s"))

        report = SessionReport(load_source(session))
        cards = sum(len(report.src.state.submitted_cards(p.product_id)) for p in report.src.state.products)
        t = time.perf_counter()
        docs = write_documents(report, folder / "docs", formats=("xlsx",))
        xlsx_s = time.perf_counter() - t
        figures.append(
            fig(
                "documents_xlsx_s",
                f"XLSX documents ({len(docs.xlsx)} files, {cards} filled sheets)",
                xlsx_s,
                "s",
                TARGET_XLSX_S,
            )
        )

        # baseline: the same filled sheets through openpyxl (the toolkit's form writer), extrapolated
        state = report.src.state
        sample = []
        for product in state.products:
            for card in state.submitted_cards(product.product_id):
                sample.append((product, card))
                if len(sample) >= args.baseline_sample:
                    break
            if len(sample) >= args.baseline_sample:
                break
        per_card = []
        for product, card in sample:
            sheet = report.src.sheets[product.sheet_id]
            meta = ScoringSheetMeta(
                state.session.session_id, product.product_id, card.member_id, sheet.sheet_id, sheet.sha256, card.round
            )
            t = time.perf_counter()
            write_scoring_sheet(
                folder / "base.xlsx",
                sheet,
                meta,
                product_name=product.name,
                member_name=card.member_id,
                choices=dict(card.choices),
            )
            per_card.append(time.perf_counter() - t)
        baseline = statistics.median(per_card) * cards
        figures.append(
            fig("baseline_openpyxl_s", "baseline: the filled sheets with openpyxl (extrapolated)", baseline, "s")
        )
        figures.append(fig("xlsx_speedup", "speed-up of the XLSX documents over openpyxl", baseline / xlsx_s, "x"))
        t = time.perf_counter()
        sheets_rows = sum(len(ws.rows) for p in state.products[:20] for ws in product_sheets(report, p))
        info["rows_in_20_products"] = sheets_rows
        info["build_rows_20_products_s"] = round(time.perf_counter() - t, 3)

        if not args.skip_pdf_documents:
            t = time.perf_counter()
            pdfs = write_documents(report, folder / "docs-pdf", formats=("pdf",))
            figures.append(
                fig(
                    "documents_pdf_s", f"PDF documents ({len(pdfs.pdf)} files, no target)", time.perf_counter() - t, "s"
                )
            )
    return {"figures": figures, "info": info}
