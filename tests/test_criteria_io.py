"""Loading, validating and writing criteria sheets and rule sets."""

from __future__ import annotations

import pickle
import re
from pathlib import Path

import pytest
from attrs import evolve

from ocop_scoring.criteria_io import dump_sheet, load_ruleset, load_sheet, parse_sheet, save_sheet, sheet_to_data
from ocop_scoring.errors import CriteriaSheetError, RuleSetError
from tests.conftest import DATA

BROKEN = DATA / "criteria/broken"


@pytest.mark.parametrize(
    ("fixture", "where", "expected"),
    [
        (
            "option_above_max",
            ":25: parts[A].groups[1].criteria[1.1].options[3].points",
            "expected at most the criterion's maximum 30, got 31",
        ),
        (
            "max_not_best",
            ":18: parts[A].groups[1].criteria[1.1].max_points",
            "expected the points of its best option (30), got 25",
        ),
        ("group_sum", ":14: parts[A].groups[1].max_points", "expected the sum of its criteria's maxima (40), got 45"),
        ("parts_not_100", ":6: total_points", "expected the sum of the parts' maxima (100), got 90"),
        ("part_not_ruleset", ":42: parts[B].max_points", "expected 25 (rule set qd26-2026), got 20"),
        (
            "duplicate_code",
            ":28: parts[A].groups[1].criteria[1.1].code",
            "expected a code not used earlier in this sheet (first used on line 16), got '1.1'",
        ),
        (
            "star_bad_level",
            ":23: parts[A].groups[1].criteria[1.1].options[2].star",
            "expected one of the star levels 3, 4, 5, got 6",
        ),
        (
            "star_twice",
            ":26: parts[A].groups[1].criteria[1.1].options[3].star",
            "each star level marked once per criterion (already on option 2)",
        ),
        (
            "star_on_criterion",
            ":30: parts[A].groups[1].criteria[1.2].star",
            "expected the star marker under one of the criterion's options",
        ),
        (
            "points_not_number",
            ":22: parts[A].groups[1].criteria[1.1].options[2].points",
            "expected a whole number >= 0, got 'hai mươi'",
        ),
        ("yaml_syntax", ":46: yaml", "expected valid YAML"),
        ("unknown_ruleset", ":3: ruleset", "expected one of qd1048-2019, qd148-2023, qd26-2026, got 'qd999-2030'"),
        (
            "case_missing",
            ":57: parts[B].groups[2].options[3].case",
            "expected one of the criterion's cases a, b, got nothing",
        ),
        ("wrong_format", ":1: format", "expected 'ocop-criteria/1', got 'ocop-criteria/2'"),
        (
            "condition_unknown",
            ":32: parts[A].groups[1].criteria[1.2].condition.criterion",
            "expected a scored criterion of this sheet other than itself, got '9.9'",
        ),
        ("no_options", ":84: parts[C].groups[3].criteria[3.1].sub_criteria[3.1.2]", "expected options, got neither"),
        ("duplicate_key", ":5: title_vi", "expected each key once per mapping"),
    ],
)
def test_broken_sheet_reports_file_line_key_and_expectation(fixture, where, expected, library):
    """Each broken sheet is rejected with file, line, key and what was expected."""
    path = BROKEN / f"{fixture}.yaml"

    with pytest.raises(CriteriaSheetError) as excinfo:
        load_sheet(path, library.rulesets)

    lines = [str(p) for p in excinfo.value.problems]
    assert any(line.startswith(f"{path}{where}:") and expected in line for line in lines), lines


def test_every_problem_of_a_file_reported_at_once(library, tmp_path):
    """Two independent defects in one file give two problems in one error."""
    text = (DATA / "criteria/valid/tiny.yaml").read_text(encoding="utf-8")
    text = text.replace("                star: 3", "                star: 7").replace(
        "ruleset: qd26-2026", "ruleset: nope"
    )
    path = tmp_path / "tiny.yaml"
    path.write_text(text, encoding="utf-8")

    with pytest.raises(CriteriaSheetError) as excinfo:
        load_sheet(path, library.rulesets)

    keys = [p.key for p in excinfo.value.problems]
    assert {"ruleset", "parts[A].groups[1].criteria[1.1].options[2].star"} <= set(keys)
    assert str(excinfo.value).startswith(f"{len(keys)} problem")


def test_sheet_id_must_match_file_name(library, tmp_path):
    """A sheet file called x.yaml must declare id: x (ids are a contract)."""
    path = tmp_path / "other.yaml"
    path.write_text((DATA / "criteria/valid/tiny.yaml").read_text(encoding="utf-8"), encoding="utf-8")

    with pytest.raises(
        CriteriaSheetError, match=r"other.yaml:2: id: expected the file name without .yaml \('other'\), got 'tiny'"
    ):
        load_sheet(path, library.rulesets)


def test_non_utf8_sheet_names_the_line(library, tmp_path):
    """A sheet saved in a legacy encoding is refused with the line of the first bad byte."""
    path = tmp_path / "tiny.yaml"
    path.write_bytes((DATA / "criteria/valid/tiny.yaml").read_text(encoding="utf-8").encode("cp1258", errors="replace"))

    with pytest.raises(CriteriaSheetError, match=r"tiny.yaml:4: encoding: expected UTF-8 text"):
        load_sheet(path, library.rulesets)


def test_nfd_text_is_normalised_on_load(library, tmp_path):
    """Text typed in decomposed form (NFD) loads as NFC, so codes and labels compare equal."""
    import unicodedata

    text = (DATA / "criteria/valid/tiny.yaml").read_text(encoding="utf-8")
    path = tmp_path / "tiny.yaml"
    path.write_text(unicodedata.normalize("NFD", text), encoding="utf-8")

    sheet = load_sheet(path, library.rulesets)

    assert sheet.title_vi == "Bộ tiêu chí thử"
    assert unicodedata.is_normalized("NFC", sheet.leaves[0].text_vi)


def test_sheet_round_trips_through_save_and_load(library, tmp_path):
    """A sheet written by save_sheet loads back equal (except its file hash)."""
    original = library.sheet("qd26-2026-26")
    path = save_sheet(original, tmp_path / "qd26-2026-26.yaml")

    again = load_sheet(path, library.rulesets)

    assert evolve(again, sha256="") == evolve(original, sha256="")
    assert sheet_to_data(again) == sheet_to_data(original)


def test_official_files_round_trip_byte_for_byte_in_data(library):
    """The writer produces the same data as every official file holds (nothing lost on save)."""
    for sheet_id, path in library.paths.items():
        reparsed = parse_sheet(dump_sheet(library.sheet(sheet_id)), str(path), library.rulesets, expected_id=sheet_id)
        assert evolve(reparsed, sha256="") == evolve(library.sheet(sheet_id), sha256=""), sheet_id


def test_sheet_for_an_older_rule_set_is_accepted(library, tmp_path):
    """The loader accepts sheets written for qd1048-2019 when their parts follow it (A 35, C 40)."""
    text = (DATA / "criteria/valid/tiny.yaml").read_text(encoding="utf-8")
    text = text.replace("ruleset: qd26-2026", "ruleset: qd1048-2019")
    text = text.replace("    label_vi: Phần A\n    max_points: 40", "    label_vi: Phần A\n    max_points: 35")
    text = text.replace(
        "        text_vi: Nhóm 1\n        max_points: 40", "        text_vi: Nhóm 1\n        max_points: 35"
    )
    text = text.replace(
        "            text_vi: Tiêu chí 1.1\n            max_points: 30",
        "            text_vi: Tiêu chí 1.1\n            max_points: 25",
    )
    text = text.replace(
        "              - points: 30\n                star: 4", "              - points: 25\n                star: 4"
    )
    text = text.replace("    label_vi: Phần C\n    max_points: 35", "    label_vi: Phần C\n    max_points: 40")
    text = text.replace(
        "        text_vi: Nhóm 3\n        max_points: 35", "        text_vi: Nhóm 3\n        max_points: 40"
    )
    text = text.replace(
        "            text_vi: Tiêu chí 3.1\n            max_points: 35",
        "            text_vi: Tiêu chí 3.1\n            max_points: 40",
    )
    text = text.replace("                max_points: 15\n", "                max_points: 20\n").replace(
        "                  - points: 15\n", "                  - points: 20\n"
    )
    path = tmp_path / "tiny.yaml"
    path.write_text(text, encoding="utf-8")
    # 1048 prints no star markers (the rule set claims none): a marked sheet is refused, line by line
    with pytest.raises(
        CriteriaSheetError, match=r"tiny.yaml:\d+: .*\.star: expected (one of the star levels|no star marker)"
    ):
        load_sheet(path, library.rulesets)
    path.write_text(re.sub(r"\n *star: \d", "", text), encoding="utf-8")

    sheet = load_sheet(path, library.rulesets)

    assert sheet.ruleset_id == "qd1048-2019"
    assert [(p.code, p.max_points) for p in sheet.parts] == [("A", 35), ("B", 25), ("C", 40)]
    assert sheet.star_minimums() == []


def test_same_sheet_against_the_wrong_rule_set_is_refused(library, tmp_path):
    """A 40/25/35 sheet declared for 1048 (35/25/40) is refused naming both parts."""
    text = (
        (DATA / "criteria/valid/tiny.yaml")
        .read_text(encoding="utf-8")
        .replace("ruleset: qd26-2026", "ruleset: qd1048-2019")
    )
    path = tmp_path / "tiny.yaml"
    path.write_text(text, encoding="utf-8")

    with pytest.raises(CriteriaSheetError) as excinfo:
        load_sheet(path, library.rulesets)

    text = str(excinfo.value)
    assert "parts[A].max_points: expected 35 (rule set qd1048-2019), got 40" in text
    assert "parts[C].max_points: expected 40 (rule set qd1048-2019), got 35" in text


def test_broken_rule_set_lists_every_problem(tmp_path):
    """A rule set whose parts do not add up and whose bands go backwards is refused with both problems."""
    path = tmp_path / "bad.yaml"
    path.write_text(
        "format: ocop-ruleset/1\nid: bad\ndecision_vi: x\ntitle_vi: x\ntitle_en: x\nsource: x\n"
        "effective_from: '2026-01-01'\ntotal_points: 100\n"
        "parts:\n  - {code: A, max_points: 50}\n  - {code: B, max_points: 40}\n"
        "bands:\n  - {stars: 1, min_total: 0}\n  - {stars: 2, min_total: 60}\n  - {stars: 3, min_total: 50}\n"
        "levels:\n  - {code: province, name_vi: x, name_en: x, certifies_stars: [3]}\n",
        encoding="utf-8",
    )

    with pytest.raises(RuleSetError) as excinfo:
        load_ruleset(path)

    text = str(excinfo.value)
    assert "bad.yaml:9: parts: expected maxima adding up to total_points 100, got 90" in text
    assert "bad.yaml:15: bands[2]: expected bands in increasing order of stars and min_total" in text


def test_errors_pickle(library):
    """Errors cross process boundaries (kernels, workers) intact."""
    with pytest.raises(CriteriaSheetError) as excinfo:
        load_sheet(BROKEN / "option_above_max.yaml", library.rulesets)

    again = pickle.loads(pickle.dumps(excinfo.value))

    assert str(again) == str(excinfo.value)
    assert again.problems == excinfo.value.problems


def test_missing_file_is_a_problem_not_a_traceback(library, tmp_path):
    """A path that does not exist is reported as a problem of that path."""
    with pytest.raises(CriteriaSheetError, match=r"nope\.yaml: file: expected a readable file"):
        load_sheet(tmp_path / "nope.yaml", library.rulesets)


def test_loading_leaves_files_untouched(library, tmp_path):
    """Validation never writes: the official file's bytes are the same afterwards."""
    path = Path(library.paths["qd26-2026-01"])
    before = path.read_bytes()

    load_sheet(path, library.rulesets)

    assert path.read_bytes() == before
