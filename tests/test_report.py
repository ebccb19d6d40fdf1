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


def test_results_table_says_what_the_council_proposes():
    """The results table's last column is the council's proposal (from the outcome): "đề xuất công nhận N★", and
    for P03 (90+ at a provincial council) "đạt từ 90 điểm: đề nghị Bộ đánh giá 5★"; never that the council
    recognises."""
    vi = str(build_session_report(SESSION).results_by_sheet())
    en = str(build_session_report(SESSION, lang="en").results_by_sheet())

    def last_cells(html: str) -> dict[str, str]:
        rows = re.findall(r"<tr data-product='(P\d\d)'[^>]*>(.*?)</tr>", html)
        return {pid: re.findall(r"<td>(.*?)</td>", cells)[-1] for pid, cells in rows}

    assert "<th>Đề xuất của hội đồng</th>" in vi and "<th>Council&#x27;s proposal</th>" in en
    assert last_cells(vi) == {
        "P01": "đề xuất công nhận 4★",
        "P02": "đề xuất công nhận 3★",
        "P03": "đạt từ 90 điểm: đề nghị Bộ đánh giá 5★",
        "P04": "đề xuất công nhận 3★",
        "P05": "đề xuất công nhận 3★",
        "P06": "đề xuất công nhận 4★",
        "P07": "1★: không đủ điều kiện đề xuất công nhận",
        "P08": "đề xuất công nhận 3★",
        "P09": "đề xuất công nhận 3★",
        "P10": "bị loại, không xếp hạng",
    }
    english = last_cells(en)
    assert english["P01"] == "proposed for recognition at 4★"
    assert english["P03"] == "90 points or more: proposed to the Ministry for 5★ rating"
    assert "công nhận" not in vi.replace("đề xuất công nhận", "")
    assert "certif" not in en and "recognised" not in en


def _attrs(html: str, tag: str, attr: str) -> list[dict[str, str]]:
    """The attributes of every ``tag`` carrying ``attr`` (single or double quotes)."""
    out = []
    for match in re.finditer(rf"<{tag}\b[^>]*\b{attr}=[^>]*>", html):
        out.append(dict(re.findall(r"""([\w-]+)=["']([^"']*)["']""", match.group(0))))
    return out


def test_report_agreement_section_for_the_demo():
    """Session α as the library computes it (0,98), each sheet's α and ICCs, every member's leniency in
    advisory words."""
    from fractions import Fraction

    from ocop_scoring.agreement import agreement
    from ocop_scoring.explain import format_points

    report = build_session_report(SESSION)
    expected = agreement(report.result)

    block = str(report.agreement())

    alpha = format_points(Fraction(expected[0].alpha).limit_denominator(10**6), "vi", 2)
    assert alpha == "0,98"
    assert _attrs(block, "section", "data-alpha")[0]["data-alpha"] == f"{expected[0].alpha:.6f}"
    assert f"trên tổng điểm): {alpha} (10 sản phẩm, 9 thành viên" in block
    scopes = [a["data-scope"] for a in _attrs(block, "tr", "data-scope")]
    assert scopes == ["session", *sorted({report.result.product(p).sheet_id for p in report.result.product_ids})]
    session_row = block[block.index("data-scope='session'") :].split("</tr>")[0]
    assert f"<td>{alpha}</td>" in session_row
    assert "— (1 sản phẩm)" in block  # sheets with one product: no α
    members = [a["data-member"] for a in _attrs(block, "tr", "data-member")]
    assert members == [m.member_id for m in expected[0].leniency] and len(members) == 9
    assert "TV04 chấm cao hơn hội đồng trung bình 2,4 điểm trên 10 sản phẩm" in block
    assert "chỉ để tham khảo" in block and "không đánh giá cá nhân" in block


def test_report_stability_section_for_the_demo():
    """One line per product: P05's star hangs on TV03's card; P07 is stable; P08's 3★ hangs on 3.5, where every
    member ticked the 3★ minimum and one step down is "không đạt" (0); P10 is rejected; each product's calculation
    ends with the same sentence."""
    from ocop_scoring.stability import stability

    report = build_session_report(SESSION)
    expected = stability(report.result)

    block = str(report.stability())

    lines = {a["data-product"]: a["data-stable"] for a in _attrs(block, "li", "data-product")}
    assert lines == {pid: ("true" if s.stable else "false") for pid, s in expected.items()}
    assert (lines["P05"], lines["P07"], lines["P08"]) == ("false", "true", "false")
    p05 = block[block.index("data-product='P05'") :].split("</li>")[0]
    assert "bỏ phiếu của TV03 thì thành 2★" in p05
    p08 = block[block.index("data-product='P08'") :].split("</li>")[0]
    assert "hạ tiêu chí 3.5 một mức (thành 2★)" in p08
    summary = _attrs(block, "p", "data-fragile")[0]
    assert (summary["data-stable"], summary["data-fragile"], summary["data-rejected"]) == ("1", "8", "1")
    assert "Kết quả chính thức không thay đổi" in block
    article = str(report.explanations(["P05"]))
    assert "Độ vững của hạng sao:" in article and "bỏ phiếu của TV03 thì thành 2★" in article


def test_report_programme_section_for_the_demo():
    """The demo's products (a Lâm Đồng council): 7 OCOP products (3★ 5, 4★ 2); P03 at 90+ goes to the Ministry
    for 5★ and is not counted (the province does not recognise it, Điều 7.3); P07 below 3★, P10 rejected; the
    province has no targets file (counts only); two charts."""
    report = build_session_report(SESSION)

    block = str(report.programme())

    section = _attrs(block, "section", "data-recognised")[0]
    assert (section["data-recognised"], section["data-provisional"]) == ("7", "0")
    assert "7 sản phẩm OCOP chính thức (3★: 5, 4★: 2, 5★: 0) trong 10 sản phẩm của 1 phiên." in block
    assert "1 sản phẩm từ 90 điểm được đề nghị Bộ đánh giá 5★" in block
    places = {a["data-key"]: a for a in _attrs(block, "tr", "data-key") if a["data-key"]}
    assert places["Lâm Đồng"]["data-total"] == "10" and places["Lâm Đồng"]["data-recognised"] == "7"
    p03 = places["xã Đạ Tẻh, Lâm Đồng"]  # P03's commune: 97.89 points, forwarded, not recognised here
    assert (p03["data-total"], p03["data-recognised"]) == ("1", "0")
    assert "ocop-prog-no-targets" in block and "Lâm Đồng" in block
    assert "ocop-prog-targets" not in block
    assert block.count("<svg") == 2
    assert build_session_report(SESSION).programme().html == block  # deterministic, charts included


def test_report_programme_against_dien_bien_targets(two_sessions, tmp_path):
    """A session file of Điện Biên's council: its products against the province's targets."""
    from ocop_scoring.store.session_file import dumps

    path = tmp_path / "db-2026.json"
    path.write_bytes(dumps(two_sessions.export_session("db-2026")))

    block = str(build_session_report(path).programme())
    english = str(build_session_report(path, lang="en").programme())

    assert "Tiến độ so với mục tiêu của Điện Biên" in block
    status = {a["data-year"]: a for a in _attrs(block, "li", "data-status")}
    assert (status["2020"]["data-status"], status["2030"]["data-status"]) == ("missed", "behind")
    # provisional: D02 (3★); D01 (the demo's P03, 90+) goes to the Ministry and is not counted by the province
    assert (status["2030"]["data-achieved"], status["2030"]["data-provisional"]) == ("0", "1")
    assert "issue" in block  # where the targets come from
    assert block.count("<svg") == 3
    assert "Progress against Điện Biên&#x27;s targets" in english


def test_new_sections_leave_the_results_table_alone():
    """The analyses change no result: the results CSV is the same before and after them."""
    report = build_session_report(SESSION)
    before = report.results_csv()

    for block in (report.agreement(), report.stability(), report.programme(), report.explanations()):
        assert str(block)

    assert report.results_csv() == before == build_session_report(SESSION).results_csv()
