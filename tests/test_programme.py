"""The OCOP programme view: counts across a store's sessions, years, merged product codes, targets files.

The store is ``two_sessions`` (tests/conftest.py): hd-2025, the demo council of 2025 with P10 knocked
out, finalised; db-2026, an open council of Điện Biên products (D01-D05), D05 a re-rating of P01.
"""

from __future__ import annotations

from fractions import Fraction

import pytest

from ocop_scoring import programme as prog
from ocop_scoring.demo import demo_dir
from ocop_scoring.errors import TargetsError
from ocop_scoring.store import SessionStore


def _row(tallies, key):
    return next(t for t in tallies if t.key == key)


def test_counts_across_two_sessions(two_sessions):
    """Hand-computed: hd-2025 gives 3★ P02 P04 P05 P08 P09, 4★ P01 P06 (certified), P03 97.89 forwarded to the
    Ministry (not recognised by the province, Decision 26/2026 Điều 7.3), P07 1★, P10 rejected; db-2026 gives
    D02 3★ provisional, D01 forwarded, D03 1★, D04 unscored; D05 merges into P01."""
    p = prog.from_store(two_sessions)

    totals = p.totals()
    assert (len(p.products), p.merged) == (14, 1)
    assert dict(totals.certified) == {3: 5, 4: 2, 5: 0} and totals.recognised == 7
    assert dict(totals.provisional) == {3: 1, 4: 0, 5: 0} and totals.provisional_total == 1
    # not recognised: P07, D03 (1★) and the two forwarded to the Ministry (P03, D01)
    assert (totals.not_recognised, totals.rejected, totals.unscored, totals.total) == (4, 1, 1, 14)
    assert sorted(x.product_id for x in p.products if x.forwarded_to == "central") == ["D01", "P03"]
    assert [(s.session_id, s.certified, s.products) for s in p.sessions] == [
        ("db-2026", False, 4),
        ("hd-2025", True, 10),
    ]
    assert "D05" not in {x.product_id for x in p.products}
    assert [x.product_id for x in p.dropped] == ["D05"]
    dien_bien = p.select("điện biên")
    assert (len(dien_bien.products), dien_bien.merged, [s.session_id for s in dien_bien.sessions]) == (
        4,
        0,
        ["db-2026"],
    )

    stars = p.stars()
    assert [(t.key, t.recognised, t.provisional_total) for t in stars] == [("3★", 5, 1), ("4★", 2, 0), ("5★", 0, 0)]

    by_year = p.by("year")
    assert [(t.key, t.recognised, t.provisional_total, t.not_recognised, t.rejected, t.unscored) for t in by_year] == [
        ("2025", 7, 0, 2, 1, 0),
        ("2026", 0, 1, 2, 0, 1),
    ]
    assert p.cumulative(2023) == [(2023, 0, 0), (2024, 0, 0), (2025, 7, 7), (2026, 7, 8)]

    provinces = p.by("province")
    assert len(provinces) == 2  # the demo's Lâm Đồng and Điện Biên ("Tỉnh Điện Biên" is the same province)
    dien_bien = _row(provinces, "Điện Biên")
    assert (dien_bien.recognised, dict(dien_bien.provisional), dien_bien.not_recognised, dien_bien.unscored) == (
        0,
        {3: 1, 4: 0, 5: 0},
        2,
        1,
    )
    lam_dong = _row(provinces, "Lâm Đồng")
    assert (dict(lam_dong.certified), lam_dong.rejected, lam_dong.total) == ({3: 5, 4: 2, 5: 0}, 1, 10)
    assert p.provinces()[0] == "Lâm Đồng"  # most products first

    group = _row(p.by("group"), "I.2 Thực phẩm thô, sơ chế")  # sheets 3 and 4: P03 and D01 forwarded, P04 3★
    assert (dict(group.certified), dict(group.provisional)) == ({3: 1, 4: 0, 5: 0}, {3: 0, 4: 0, 5: 0})
    sheet3 = _row(p.by("sheet"), "3. Gạo, ngũ cốc, hạt sơ chế khác")
    assert (sheet3.certified[5], sheet3.provisional[5], sheet3.not_recognised) == (0, 0, 2)
    commune = _row(p.by("commune"), "xã Mường Phăng, Điện Biên")
    assert (commune.provisional_total, commune.not_recognised) == (1, 1)
    sector = _row(p.by("sector"), "II. Sản phẩm đồ uống")
    assert sector.not_recognised == 2


def test_stars_are_the_engines(two_sessions):
    """Every product's star and recognition are the store's own results."""
    p = prog.from_store(two_sessions)
    for x in p.products:
        result = two_sessions.results(x.session_id)
        if x.product_id not in result:
            assert x.stars is None and not x.scored
            continue
        r = result.product(x.product_id)
        assert (x.stars, x.recognised, x.rejected) == (0 if r.rejected else r.stars, r.recognized, r.rejected)


def test_progress_against_dien_bien_targets(two_sessions):
    """As of 2026: the 2020 target (21) is missed with none counted; the 2030 target (62) has 0 certified
    and 1 provisional (D02; D01 is forwarded to the Ministry), 62 to go in 4 years, behind the plan's
    straight line (21 + 41 × 6/10 = 45.6)."""
    targets = prog.targets_for("Tỉnh Điện Biên")
    assert targets is not None and [(t.year, t.cumulative) for t in targets.targets] == [(2020, 21), (2030, 62)]

    first, second = prog.from_store(two_sessions).select("Điện Biên").progress(targets, 2026)

    assert (first.status, first.achieved, first.gap, first.years_left) == ("missed", 0, 21, 0)
    assert (second.status, second.achieved, second.provisional, second.gap, second.years_left) == (
        "behind",
        0,
        1,
        62,
        4,
    )
    assert second.expected == Fraction(228, 5) and second.per_year == Fraction(31, 2)
    sentence = second.sentence("vi")
    for part in (
        "Mục tiêu đến năm 2030: 62",
        "thêm 41 sản phẩm",
        "đã đạt 0",
        "thêm 1 tạm tính",
        "còn thiếu 62",
        "còn 4 năm",
        "15,5",
        "45,6",
    ):
        assert part in sentence, part
    assert "Behind the plan" in second.sentence("en")


def test_progress_statuses(two_sessions):
    """Met, on track, behind and open, each against a small hand-made plan (7 certified in 2025)."""
    p = prog.from_store(two_sessions)

    def status(*targets, as_of=2026):
        plan = prog.Targets("x", "test", tuple(prog.Target(y, n) for y, n in targets))
        return [(t.status, t.achieved, t.gap) for t in p.progress(plan, as_of)]

    assert status((2025, 7)) == [("met", 7, 0)]
    assert status((2025, 8)) == [("missed", 7, 1)]
    assert status((2024, 0), (2028, 10)) == [("met", 0, 0), ("on_track", 7, 3)]  # expected 5 by 2026
    assert status((2024, 0), (2028, 20)) == [("met", 0, 0), ("behind", 7, 13)]  # expected 10 by 2026
    assert status((2030, 100)) == [("open", 7, 93)]
    assert p.progress(prog.Targets("x", "t", (prog.Target(2030, 100),)), 2026)[0].per_year == Fraction(93, 4)


def test_year_from_meeting_date_else_product_code(library, tmp_path, make_session):
    """A session without a meeting date counts each product in its code's year."""
    with SessionStore(tmp_path / "y.sqlite") as store:
        make_session(store, with_cards=False)
        p = prog.from_store(store)
    assert {(x.year, x.year_from) for x in p.products} == {(2026, "product_code")}
    assert all(not x.certified and not x.scored for x in p.products)
    assert prog.year_of("2024-11-02", "83-29215-01-2026") == (2024, "held_on")


def test_a_session_file_counts_like_its_store(two_sessions, tmp_path):
    """The bundled demo session file: 7 certified OCOP products in 2026, P10 rejected, P07 below 3★, P03 forwarded."""
    p = prog.from_session_file(demo_dir() / "session.json")

    assert [(t.key, t.recognised) for t in p.stars()] == [("3★", 5), ("4★", 2), ("5★", 0)]
    assert p.years() == [2026]
    assert (p.totals().rejected, p.totals().not_recognised) == (1, 2)


def test_merging_prefers_the_certified_then_the_latest_rating():
    """Two ratings of one code: the certified one wins over a later provisional one; among equals the latest."""
    base = {
        "name": "x",
        "sheet_id": "s",
        "sheet_number": 1,
        "sheet_title": "",
        "sector": "",
        "group": "",
        "commune": "",
        "province": "",
        "year_from": "held_on",
        "rejected": False,
        "recognised": True,
        "product_code": "C-1",
    }
    old = prog.ProgrammeProduct(session_id="a", product_id="1", year=2024, stars=3, certified=True, **base)
    new = prog.ProgrammeProduct(session_id="b", product_id="1", year=2025, stars=4, certified=False, **base)
    newer = prog.ProgrammeProduct(session_id="c", product_id="1", year=2026, stars=5, certified=True, **base)

    assert prog.merge_codes([new, old]) == ([old], [new])
    assert prog.merge_codes([old, newer, new]) == ([newer], [old, new])


def test_packaged_targets_files_are_valid_and_cite_their_source():
    """Every packaged targets file loads, is named for its province; Điện Biên's says where its figures come from."""
    assert prog.check_targets_dir() == []
    dien_bien = prog.load_targets(prog.targets_dir() / "dien-bien.yaml")
    assert dien_bien.province == "Điện Biên"
    assert "issue" in dien_bien.source and "đối chiếu" in dien_bien.source
    assert prog.targets_for("Vĩnh Long") is None
    assert prog.province_slug("Tỉnh Điện Biên") == "dien-bien"


BROKEN = """\
format: ocop-targets/1
province: Điện Biên
source: ""
targets:
  - year: 2030
    cumulative: 62
  - year: 2020
    cumulative: 21
  - year: 2035
    cumulative: ten
    colour: red
  - year: 2040
    cumulative: 50
  - 2045
"""


def test_targets_file_problems_have_lines(tmp_path):
    """Each defect is reported with its file, line and key, all at once."""
    path = tmp_path / "dien-bien.yaml"
    path.write_text(BROKEN, encoding="utf-8")

    with pytest.raises(TargetsError) as caught:
        prog.load_targets(path)

    found = {(p.line, p.key) for p in caught.value.problems}
    assert found == {
        (3, "source"),
        (7, "targets[2].year"),
        (10, "targets[3].cumulative"),
        (11, "targets[3].colour"),
        (13, "targets[4].cumulative"),
        (4, "targets[5]"),
    }
    text = str(caught.value)
    assert f"{path}:7: targets[2].year: expected a year after 2030 (targets in year order), got 2020" in text
    assert f"{path}:13: targets[4].cumulative: expected at least 62, the 2030 target" in text


@pytest.mark.parametrize(
    ("text", "line", "key"),
    [
        ("format: ocop-targets/2\nprovince: X\n", 1, "format"),
        ("format: ocop-targets/1\nprovince: X\nsource: s\ntargets: [\n", 5, "yaml"),
        (
            "format: ocop-targets/1\nprovince: X\nprovince: Y\nsource: s\ntargets:\n  - {year: 2030, cumulative: 1}\n",
            3,
            "province",
        ),
        ("format: ocop-targets/1\nprovince: X\nsource: s\ntargets: []\n", 4, "targets"),
        (
            "format: ocop-targets/1\nprovince: X\nsource: s\ntargets:\n  - {year: 1890, cumulative: 1}\n",
            5,
            "targets[1].year",
        ),
    ],
)
def test_targets_file_refusals(tmp_path, text, line, key):
    """A wrong format, bad YAML, a duplicate key, no targets, a year out of range: refused with the line."""
    path = tmp_path / "x.yaml"
    path.write_text(text, encoding="utf-8")

    with pytest.raises(TargetsError) as caught:
        prog.load_targets(path)

    assert (line, key) in {(p.line, p.key) for p in caught.value.problems}


def test_targets_file_named_for_another_province(tmp_path):
    """The folder check names a file whose province does not match its file name."""
    (tmp_path / "lai-chau.yaml").write_text(
        "format: ocop-targets/1\nprovince: Điện Biên\nsource: s\ntargets:\n  - {year: 2030, cumulative: 1}\n",
        encoding="utf-8",
    )

    problems = prog.check_targets_dir(tmp_path)

    assert [(p.key, p.got) for p in problems] == [("province", "Điện Biên")]
