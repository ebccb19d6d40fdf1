"""The published report: recomputed from raw cards, checked, reproducible, equal to `ocop score`."""

from __future__ import annotations

import json
import re
import subprocess
import sys

import pytest

from ocop_scoring.demo import demo_dir
from ocop_scoring.report import SessionReport, build_session_report, load_source
from tests.conftest import REPO

SESSION = demo_dir() / "session.json"


def test_bundled_demo_session_file_checks_out():
    """The bundled demo session file verifies (chain, pins, tables) and scores like the demo CSV."""
    src = load_source(SESSION)
    csv_src = load_source(demo_dir() / "scores.csv", rejections=demo_dir() / "rejections.csv")

    assert src.problems == []
    assert SessionReport(src).result.as_json()["products"] == SessionReport(csv_src).result.as_json()["products"]


def test_report_numbers_equal_ocop_score(tmp_path):
    """The report's results CSV and HTML rows carry exactly what `ocop score` prints for the same session."""
    report = build_session_report(SESSION, results_csv=tmp_path / "results.csv")
    score = subprocess.run(
        [sys.executable, "-m", "ocop_scoring.cli", "score", str(SESSION), "--format", "json"],
        capture_output=True,
        text=True,
        cwd=REPO,
        check=True,
    )
    expected = {p["product_id"]: p for p in json.loads(score.stdout)["products"]}

    import csv

    with (tmp_path / "results.csv").open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == len(expected) == 10
    for values in rows:
        e = expected[values["product_id"]]
        assert (values["mean_total"], int(values["stars"]), int(values["band_stars"])) == (
            e["mean_total"],
            e["stars"],
            e["band_stars"],
        )
    html = str(report.results_by_sheet())
    for pid, mean, stars in row_numbers(html):
        assert (mean, int(stars)) == (expected[pid]["mean_total"], expected[pid]["stars"])


def test_results_csv_is_byte_identical_across_runs():
    """Two reports of the same inputs give the same results-table bytes."""
    a = build_session_report(SESSION).results_csv()
    b = build_session_report(SESSION).results_csv()

    assert a == b


def row_numbers(html: str) -> list[tuple[str, str, str]]:
    """(product, mean, stars) of every results row, whatever the attribute order and quotes."""
    rows = re.findall(r"<tr[^>]*data-product[^>]*>", html)

    def attr(tag: str, name: str) -> str:
        return re.search(name + r"""=["']([^"']*)["']""", tag).group(1)

    return [(attr(t, "data-product"), attr(t, "data-mean"), attr(t, "data-stars")) for t in rows]


def test_tampered_session_file_is_reported_loudly(tmp_path):
    """A session file edited outside the toolkit still reports, under a red warning naming the edit."""
    doc = json.loads(SESSION.read_text(encoding="utf-8"))
    doc["cards"][0]["choices"]["1.1"] = 1
    path = tmp_path / "edited.json"
    path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")

    block = str(build_session_report(path).integrity())

    assert 'data-ok="false"' in block
    assert "CẢNH BÁO" in block and "changed behind the audit log&#x27;s back" in block


def test_csv_source_and_english(tmp_path):
    """A scores CSV reports too, in English when asked."""
    report = build_session_report(demo_dir() / "scores.csv", lang="en", rejections=demo_dir() / "rejections.csv")

    assert "Integrity check" not in str(report.integrity())
    assert "Each product&#x27;s calculation" in str(report.explanations(["P01"]))
    assert "<svg" in str(report.charts())


@pytest.mark.slow
def test_ocop_report_html_pdf_twice(tmp_path):
    """`ocop report` writes HTML without input cells, a PDF and the results CSV; a second run gives the same CSV and numbers."""
    runs = []
    for i in (1, 2):
        out = tmp_path / f"run{i}"
        proc = subprocess.run(
            [sys.executable, "-m", "ocop_scoring.cli", "report", str(SESSION), "--out", str(out)],
            capture_output=True,
            text=True,
            cwd=REPO,
            timeout=600,
        )
        assert proc.returncode == 0, proc.stderr[-3000:]
        runs.append(out)
    a, b = runs
    assert (a / "results.csv").read_bytes() == (b / "results.csv").read_bytes()
    html_a, html_b = ((r / "report.html").read_text(encoding="utf-8") for r in runs)
    assert row_numbers(html_a) == row_numbers(html_b) and len(row_numbers(html_a)) == 10
    assert "build_session_report(" not in html_a  # no input cells
    assert (a / "report.pdf").read_bytes()[:5] == b"%PDF-"
    assert (a / "report.ipynb").exists()
    assert "cdn." not in html_a and "https://" not in re.sub(
        r"xmlns(:\w+)?=\"[^\"]+\"|https?://(www\.w3\.org|purl\.org|creativecommons\.org)[^\"' )]*", "", html_a
    )


def test_report_of_a_store_session(tmp_path, make_session):
    """`ocop report SESSION --store …` exports the session next to the report and computes from that file."""
    from ocop_scoring.store import SessionStore

    store = SessionStore(tmp_path / "s.sqlite")
    make_session(store)
    out = tmp_path / "rep"
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "ocop_scoring.cli",
            "report",
            "hd-2026-1",
            "--store",
            str(tmp_path / "s.sqlite"),
            "--out",
            str(out),
            "--format",
            "html",
        ],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=600,
    )

    assert proc.returncode == 0, proc.stderr[-2000:]
    assert (out / "session.json").exists() and (out / "report.html").exists() and not (out / "report.pdf").exists()
