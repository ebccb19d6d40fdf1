"""The ``ocop`` command line as scripts use it: real processes, exit codes, output contracts."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from ocop_scoring.demo import demo_dir
from tests.conftest import DATA, REPO, best_choices

OCOP = [sys.executable, "-m", "ocop_scoring.cli"]
HEADER = "product_id,sheet_id,member_id,criterion,option\n"


def ocop(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONIOENCODING": "utf-8"}
    return subprocess.run([*OCOP, *args], capture_output=True, text=True, cwd=cwd or REPO, env=env, timeout=120)


def test_score_json_contract():
    """--format json prints {ruleset, products} sorted by product_id with every contract field."""
    out = ocop("score", str(demo_dir() / "scores.csv"), "--format", "json")

    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert data["ruleset"] == "qd26-2026"
    ids = [p["product_id"] for p in data["products"]]
    assert ids == sorted(ids)
    p01 = data["products"][0]
    for key, kind in [
        ("product_id", str),
        ("sheet_id", str),
        ("members", int),
        ("member_totals", dict),
        ("mean_total", str),
        ("part_means", dict),
        ("band_stars", int),
        ("stars", int),
        ("unmet_minimums", list),
        ("spread", int),
        ("needs_discussion", bool),
        ("recognized", bool),
        ("rank", int),
        ("overall_rank", int),
    ]:
        assert isinstance(p01[key], kind), key
    assert set(p01["part_means"]) == {"A", "B", "C"}
    p04 = next(p for p in data["products"] if p["product_id"] == "P04")
    assert p04["unmet_minimums"] == [
        {"criterion": "5.1", "for_stars": 4, "required": 5, "mean_points": "3.00", "lowest_points": 3}
    ]


def test_score_demo_with_rules_and_rejections():
    """--demo scores the bundled council with its knock-out; --spread-inclusive flags a spread of exactly 10."""
    strict = json.loads(ocop("score", "--demo", "--format", "json").stdout)
    inclusive = json.loads(ocop("score", "--demo", "--format", "json", "--spread-inclusive").stdout)

    by_id = {p["product_id"]: p for p in strict["products"]}
    assert by_id["P10"]["rejected"] and by_id["P10"]["stars"] == 0 and by_id["P10"]["rank"] is None
    assert by_id["P09"]["spread"] == 10 and not by_id["P09"]["needs_discussion"]
    assert {p["product_id"]: p["needs_discussion"] for p in inclusive["products"]}["P09"] is True
    assert by_id["P03"]["forwarded_to"] == "central" and by_id["P03"]["stars"] == 5


def test_score_table_and_csv():
    """The table and CSV formats print one row per product."""
    table = ocop("score", "--demo")
    as_csv = ocop("score", "--demo", "--format", "csv")

    assert table.returncode == 0 and "P05" in table.stdout and "18 !" in table.stdout
    assert as_csv.stdout.splitlines()[0].startswith("product_id,sheet_id,members,mean_total")
    assert len(as_csv.stdout.splitlines()) == 11


def test_explain_in_vietnamese_and_english():
    """--explain prints the whole calculation in plain Vietnamese, or English with --lang en."""
    vi = ocop("score", "--demo", "--explain", "P04")
    en = ocop("score", "--demo", "--explain", "P04", "--lang", "en")

    assert vi.returncode == 0
    assert "Tổng điểm trung bình = (" in vi.stdout
    assert (
        "Yêu cầu tối thiểu 4 sao ở tiêu chí 5.1: cần ≥ 5 điểm; trung bình hội đồng = 27 / 9 ≈ 3,00 → KHÔNG đạt."
        in vi.stdout
    )
    assert "4 stars by score, but the 4-star minimum is not met on 5.1 → 3 stars." in en.stdout


def test_explain_unknown_product():
    """Explaining a product that was not scored is a clear input error."""
    out = ocop("score", "--demo", "--explain", "NOPE")

    assert out.returncode == 2
    assert "no scorecards for product 'NOPE'" in out.stderr
    assert "Traceback" not in out.stderr


def test_bad_scores_file_exit_2_with_lines(tmp_path, library):
    """Bad input: exit 2, one message per problem naming the file's line, no traceback."""
    sheet = library.sheet("qd26-2026-01")
    rows = [f"P1,{sheet.sheet_id},TV01,{c},{n}" for c, n in best_choices(sheet).items()]
    rows[0] = "P1,qd26-2026-01,TV01,1.1,abc"
    rows.append("P1,qd26-2026-01,TV01,1.2,2")
    path = tmp_path / "bad.csv"
    path.write_text(HEADER + "\n".join(rows) + "\n", encoding="utf-8")

    out = ocop("score", str(path))

    assert out.returncode == 2
    assert "Traceback" not in out.stderr
    assert f"{path}: line 2: option: expected a whole number" in out.stderr
    assert (
        f"{path}: line {len(rows) + 1}: row: expected one row per product, member and criterion (first on line 3)"
        in out.stderr
    )


def test_incomplete_card_message(tmp_path, library):
    """An incomplete scorecard names product, member and the missing criteria."""
    sheet = library.sheet("qd26-2026-01")
    rows = [f"P7,{sheet.sheet_id},TV05,{c},{n}" for c, n in best_choices(sheet).items() if c != "8"]
    path = tmp_path / "inc.csv"
    path.write_text(HEADER + "\n".join(rows) + "\n", encoding="utf-8")

    out = ocop("score", str(path))

    assert out.returncode == 2
    assert (
        "line 2: scorecard: expected a complete scorecard for product P7, member TV05 on qd26-2026-01, got no row for criterion 8"
        in out.stderr
    )


def test_missing_file_and_usage_errors(tmp_path):
    """A missing file and a wrong option are input errors (exit 2) with a message."""
    missing = ocop("score", str(tmp_path / "nope.csv"))
    usage = ocop("score", "--format", "xml")

    assert missing.returncode == 2 and "expected a readable file" in missing.stderr
    assert usage.returncode == 2 and "invalid choice: 'xml'" in usage.stderr


def test_sheets_list_show_validate():
    """sheets list shows 26 sheets; show prints options and markers; validate of the official folder exits 0."""
    listing = ocop("sheets", "list")
    shown = ocop("sheets", "show", "qd26-2026-04")
    valid = ocop("sheets", "validate")

    assert listing.returncode == 0 and len(listing.stdout.splitlines()) == 26
    assert "qd26-2026-26  VI.1" in listing.stdout
    assert "3. Có trên 2 chỉ tiêu = 3" in shown.stdout
    assert "Văn bản in ghi 13 điểm" in shown.stdout
    assert valid.returncode == 0 and "0 problems" in valid.stderr


def test_sheets_validate_broken_exit_1():
    """validate prints every problem of the broken files as file:line: key: expected …, got … and exits 1."""
    out = ocop(
        "sheets",
        "validate",
        str(DATA / "criteria/broken/option_above_max.yaml"),
        str(DATA / "criteria/broken/star_bad_level.yaml"),
    )

    assert out.returncode == 1
    lines = out.stdout.splitlines()
    assert any(
        line.endswith(
            "option_above_max.yaml:25: parts[A].groups[1].criteria[1.1].options[3].points: expected at most the criterion's maximum 30, got 31"
        )
        for line in lines
    )
    assert any("star_bad_level.yaml:23:" in line for line in lines)
    assert "problems in 2 files" in out.stderr


def test_sheets_show_unknown():
    """An unknown sheet id is an input error naming the known range."""
    out = ocop("sheets", "show", "qd26-2026-27")

    assert out.returncode == 2
    assert "unknown criteria sheet 'qd26-2026-27' (known: qd26-2026-01 … qd26-2026-26)" in out.stderr


def test_ruleset_mismatch_is_refused():
    """Scoring 26/2026 sheets under another rule set is refused, naming the right one."""
    out = ocop("score", "--demo", "--ruleset", "qd148-2023")

    assert out.returncode == 2
    assert "belongs to rule set qd26-2026, not qd148-2023" in out.stderr


def test_demo_command_prints_results_and_every_explanation():
    """ocop demo (the README's main job until the apps exist) prints the table and each product's working."""
    out = ocop("demo")

    assert out.returncode == 0
    assert out.stdout.count("Diễn giải cách tính: sản phẩm") == 10


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_every_output_is_nfc(lang):
    """What the CLI prints is NFC text."""
    import unicodedata

    out = ocop("score", "--demo", "--explain", "P02", "--lang", lang)

    assert unicodedata.is_normalized("NFC", out.stdout)
