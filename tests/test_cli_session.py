"""``ocop session …`` end to end, as a secretary runs it: real processes on a real store file."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys

import openpyxl

from ocop_scoring.demo import REJECTION_REASON, demo_dir
from tests.conftest import REPO

ENV = {**os.environ, "PYTHONIOENCODING": "utf-8"}


def ocop(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ocop_scoring.cli", *args],
        capture_output=True,
        text=True,
        env=ENV,
        cwd=REPO,
        timeout=180,
    )


def test_a_whole_session_from_the_command_line(tmp_path):
    """Create, import members and products (XLSX), fill an XLSX scoring sheet, import CSV scores, finalise, verify."""
    store = str(tmp_path / "council.sqlite")
    s = ("--store", store)
    assert (
        ocop(
            "session",
            "create",
            "ld-2026-1",
            "--name",
            "Hội đồng OCOP tỉnh Lâm Đồng đợt 1/2026",
            "--date",
            "2026-06-20",
            *s,
        ).returncode
        == 0
    )
    assert ocop("session", "add-members", "ld-2026-1", str(REPO / "examples/members.xlsx"), *s).returncode == 0
    assert ocop("session", "import-products", "ld-2026-1", str(REPO / "examples/products.xlsx"), *s).returncode == 0
    out = ocop(
        "session",
        "scoring-sheets",
        "ld-2026-1",
        "--out",
        str(tmp_path / "sheets"),
        "--product",
        "LD26-01",
        "--member",
        "TV03",
        *s,
    )
    assert out.returncode == 0, out.stderr
    form = tmp_path / "sheets" / "LD26-01_TV03.xlsx"
    wb = openpyxl.load_workbook(form)
    ws = wb["Phiếu đánh giá"]
    # mark the first option of every criterion, as a member would (the mark column is D, yellow cells)
    marked = set()
    for row in ws.iter_rows(min_col=1, max_col=4):
        code, _text, _points, mark = row
        if mark.fill.fgColor.rgb in ("00FFF2CC", "FFFFF2CC") and code.value not in marked:
            mark.value = "x"
            marked.add(code.value)
    wb.save(form)

    imported = ocop("session", "import-scores", "ld-2026-1", str(form), *s)
    status = json.loads(ocop("session", "status", "ld-2026-1", "--format", "json", *s).stdout)

    assert imported.returncode == 0, imported.stderr
    p = next(p for p in status["products"] if p["product_id"] == "LD26-01")
    assert p["progress"]["TV03"] == "submitted"
    finalise = ocop("session", "finalize", "ld-2026-1", *s)
    assert finalise.returncode == 2 and "below the quorum" in finalise.stderr


def test_results_verify_export_and_finalise(tmp_path):
    """The demo council through the CLI: results equal `ocop score` of the export; finalised sessions refuse writes."""
    store = str(tmp_path / "council.sqlite")
    s = ("--store", store)
    ocop("session", "create", "hd", "--name", "Hội đồng", *s)
    ocop("session", "add-members", "hd", str(demo_dir() / "members.csv"), *s)
    ocop("session", "import-products", "hd", str(demo_dir() / "products.csv"), *s)
    assert ocop("session", "import-scores", "hd", str(demo_dir() / "scores.csv"), *s).returncode == 0
    assert ocop("session", "knockout", "hd", "P10", "--reason", REJECTION_REASON, *s).returncode == 0
    export = tmp_path / "hd.json"
    assert ocop("session", "export", "hd", "--out", str(export), *s).returncode == 0

    from_store = ocop("session", "results", "hd", "--format", "json", *s)
    from_file = ocop("score", str(export), "--format", "json")
    from_csv = ocop(
        "score", str(demo_dir() / "scores.csv"), "--rejections", str(demo_dir() / "rejections.csv"), "--format", "json"
    )

    assert from_store.stdout == from_file.stdout
    assert json.loads(from_file.stdout)["products"] == json.loads(from_csv.stdout)["products"]
    assert ocop("session", "verify", "hd", *s).returncode == 0
    assert ocop("session", "finalize", "hd", *s).returncode == 0
    refused = ocop("session", "reopen", "hd", "P01", "TV01", "--reason", "x", *s)
    assert refused.returncode == 2 and "is finalised" in refused.stderr
    with sqlite3.connect(store) as raw:
        raw.execute("UPDATE ocop_cards SET status='draft' WHERE product_id='P02' AND member_id='TV05'")
    tampered = ocop("session", "verify", "hd", *s)
    assert tampered.returncode == 1
    assert (
        "scorecard P02/TV05 round 1: changed behind the audit log's back (status draft vs submitted)" in tampered.stdout
    )


def test_unknown_session_and_store_errors(tmp_path):
    """Naming a session that does not exist is a clear error, not a traceback."""
    out = ocop("session", "status", "nope", "--store", str(tmp_path / "x.sqlite"))

    assert out.returncode == 2
    assert "no session 'nope'" in out.stderr and "Traceback" not in out.stderr
