"""Every file of criteria/ loads clean, and the data says what Decision 26/2026 prints."""

from __future__ import annotations

import unicodedata
from collections import Counter
from pathlib import Path

import pytest

from ocop_scoring.criteria_io import load_ruleset, validate_sheet_file
from tests.conftest import REPO

CRITERIA = REPO / "criteria"
SHEET_FILES = sorted((CRITERIA / "qd26-2026").glob("*.yaml"))


def test_all_26_sheets_present_with_contract_ids(library):
    """Sheet ids are qd26-2026-01 … qd26-2026-26, numbered as in Phụ lục II."""
    ids = [s.sheet_id for s in library.sheets_of("qd26-2026")]

    assert ids == [f"qd26-2026-{n:02d}" for n in range(1, 27)]
    assert [library.sheet(i).number for i in ids] == list(range(1, 27))


@pytest.mark.parametrize("path", SHEET_FILES + sorted((CRITERIA / "rulesets").glob("*.yaml")), ids=lambda p: p.name)
def test_every_criteria_file_loads_clean(path: Path, library):
    """No official file has a single validation problem."""
    if path.parent.name == "rulesets":
        load_ruleset(path)
    else:
        assert validate_sheet_file(path, library.rulesets) == []


@pytest.mark.parametrize("path", sorted(CRITERIA.rglob("*.yaml")), ids=lambda p: p.name)
def test_data_files_are_nfc_utf8(path: Path):
    """Vietnamese text in data files is stored normalised to NFC."""
    text = path.read_text(encoding="utf-8")

    assert unicodedata.normalize("NFC", text) == text


def test_star_markers_count_575(library):
    """The decision prints 575 markers: 179 for 3★, 290 for 4★, 106 for 5★."""
    counts = Counter(star for s in library.sheets_of("qd26-2026") for star, _, _ in s.star_minimums())

    assert sum(counts.values()) == 575
    assert counts == {3: 179, 4: 290, 5: 106}


def test_sheet_1_minimums_as_printed(library):
    """Sheet 1's markers, read off the printed sheet (ocop-rules.md §1.3)."""
    mins = library.sheet("qd26-2026-01").star_minimums()

    assert [(c, p) for s, c, p in mins if s == 3] == [
        ("2.2", 2),
        ("2.3", 1),
        ("3.5", 1),
        ("4.1", 2),
        ("5.3", 1),
        ("9", 2),
        ("10", 1),
    ]
    assert [(c, p) for s, c, p in mins if s == 5] == [("1.3", 3), ("1.5", 3), ("4.1", 5)]
    assert len([1 for s, _, _ in mins if s == 4]) == 12


def test_parts_and_totals_match_the_rule_set(library):
    """Every sheet has parts A 40, B 25, C 35 adding up to 100."""
    for sheet in library.sheets_of("qd26-2026"):
        assert [(p.code, p.max_points) for p in sheet.parts] == [("A", 40), ("B", 25), ("C", 35)]
        assert sum(leaf.max_points for leaf in sheet.leaves) == 100


def test_scored_units_are_leaves_with_printed_codes(library):
    """Leaves carry the printed codes: 1.1, sub-criteria 6.1.2 on tea, groups scored directly such as 7."""
    tea = library.sheet("qd26-2026-11")
    fresh = library.sheet("qd26-2026-01")

    assert tea.has_leaf("6.1.2") and not tea.has_leaf("6.1")
    assert fresh.has_leaf("1.1") and fresh.has_leaf("7") and fresh.has_leaf("12")
    assert sum(len(s.leaves) for s in library.sheets_of("qd26-2026")) == 787


def test_anomalies_recorded_with_the_value_used(library):
    """Each printing anomaly (criteria/README.md) is in the data with a note, never fixed silently."""
    s4, s11, s23, s26 = (library.sheet(f"qd26-2026-{n:02d}") for n in (4, 11, 23, 26))

    opt = s4.leaf("7").options[2]
    assert (opt.text_vi, opt.points, opt.anomaly.printed) == ("Có trên 2 chỉ tiêu", 3, "13")
    opt = s11.leaf("6.1.1").options[1]
    assert (opt.text_vi, opt.points, opt.anomaly.printed) == ("Có rất ít tạp chất, chấp nhận được", 1, "11")
    for n in (4, 7, 10, 11):
        opt = library.sheet(f"qd26-2026-{n:02d}").leaf("1.2").options[0]
        assert (opt.text_vi, opt.points, opt.anomaly.printed) == ("Không được cấp giấy chứng nhận chất lượng", 0, "")
    assert (s23.leaf("9").max_points, s23.leaf("9").anomaly.printed) == (4, "4 1")
    part_a = s26.parts[0]
    assert (part_a.max_points, part_a.anomaly.printed) == (40, "(35 Điểm)")
    assert "(35 Điểm)" in part_a.label_vi
    yes_no = [
        leaf
        for s in library.sheets_of("qd26-2026")
        for leaf in s.leaves
        if leaf.anomaly and "Không" in leaf.anomaly.note_vi
    ]
    assert len(yes_no) == 22
    assert all([(o.text_vi, o.points) for o in leaf.options] == [("Không", 0), ("Có", 1)] for leaf in yes_no)


def test_story_condition_on_sheets_1_to_25(library):
    """5.2 counts only when 5.1 scores (Chỉ áp dụng khi có câu chuyện sản phẩm) on sheets 1-25, not 26."""
    for sheet in library.sheets_of("qd26-2026"):
        conditions = [
            (leaf.code, leaf.condition.criterion, leaf.condition.min_points) for leaf in sheet.leaves if leaf.condition
        ]
        expected = [] if sheet.number == 26 else [("5.2", "5.1", 1)]
        assert conditions == expected, sheet.sheet_id


def test_case_criteria_of_sheet_26(library):
    """Criteria 8, 9, 15 of sheet 26 list case a's options, then case b's."""
    s26 = library.sheet("qd26-2026-26")

    for code in ("8", "9", "15"):
        leaf = s26.leaf(code)
        assert [c.code for c in leaf.cases] == ["a", "b"]
        assert [o.case for o in leaf.options] == ["a", "a", "b", "b"]


def test_classification_paths(library):
    """Classification follows Phụ lục I: sheet 7 is I.3.c, sheet 13 has no sub-group, 26 is VI.1."""
    assert library.sheet("qd26-2026-07").classification.path == "I.3.c"
    assert library.sheet("qd26-2026-13").classification.path == "I.6"
    assert library.sheet("qd26-2026-26").classification.path == "VI.1"


def test_knockout_notes_kept(library):
    """Criterion-level knock-out notes and the dossier knock-outs are carried."""
    knockouts = [leaf for s in library.sheets_of("qd26-2026") for n in s.nodes() for leaf in [n] if n.knockout_vi]

    # 44 printed as notes of their criteria, and 2 printed inside option 3 of 6.2 on sheets 21 and 22
    # (recorded as knock-out notes of 6.2, with an anomaly note saying where they stand in print)
    assert len(knockouts) == 46
    assert all(s.dossier_knockouts_vi for s in library.sheets_of("qd26-2026") if s.number != 26)


def test_rulesets_as_the_decisions_print_them(library):
    """Parts, bands, levels and certificate rules of 26/2026, 148/2023 and 1048/2019."""
    qd26, qd148, qd1048 = (library.ruleset(r) for r in ("qd26-2026", "qd148-2023", "qd1048-2019"))

    assert qd26.parts == (("A", 40), ("B", 25), ("C", 35))
    assert qd148.parts == (("A", 40), ("B", 25), ("C", 35))
    assert qd1048.parts == (("A", 35), ("B", 25), ("C", 40))
    assert [(b.stars, b.min_total) for b in qd26.bands] == [(1, 0), (2, 30), (3, 50), (4, 70), (5, 90)]
    assert [(lv.code, lv.certifies_stars, lv.forwards_to, lv.forwards_from_total) for lv in qd26.levels] == [
        ("province", (3, 4), "central", 90),
        ("central", (5,), None, None),
    ]
    assert (qd26.certificate_months, qd26.rerating_opens_days, qd26.rerating_closes_days) == (36, 180, 120)
    assert [(lv.code, lv.certifies_stars, lv.forwards_from_total) for lv in qd148.levels] == [
        ("district", (3,), 70),
        ("province", (4,), 90),
        ("central", (5,), None),
    ]
    assert [(lv.code, lv.certifies_stars, lv.forwards_from_total) for lv in qd1048.levels] == [
        ("district", (), 50),
        ("province", (3, 4), 90),
        ("central", (5,), None),
    ]
    assert qd26.recognized_from_stars == 3


def test_no_sheets_invented_for_148_and_1048(library):
    """No official sheet of 148/2023 or 1048/2019 is available, so none is shipped."""
    assert library.sheets_of("qd148-2023") == []
    assert library.sheets_of("qd1048-2019") == []
