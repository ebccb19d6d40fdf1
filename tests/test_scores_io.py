"""Reading the long scores CSV: every defect named with its line, nothing scored from a bad file."""

from __future__ import annotations

from pathlib import Path

import pytest

from ocop_scoring.demo import demo_dir
from ocop_scoring.errors import ScoresInputError
from ocop_scoring.model import Scorecard
from ocop_scoring.scores_io import parse_scores_csv, read_rejections_csv, read_scores_csv, write_scores_csv
from ocop_scoring.scoring import build_card_set, score_council
from tests.conftest import best_choices

HEADER = "product_id,sheet_id,member_id,criterion,option\n"


def full_card_rows(sheet, product="P1", member="TV01", overrides=None):
    choices = {**best_choices(sheet), **(overrides or {})}
    return [f"{product},{sheet.sheet_id},{member},{code},{number}" for code, number in choices.items()]


def problems(text: str | bytes, library) -> list[str]:
    data = text.encode("utf-8") if isinstance(text, str) else text
    with pytest.raises(ScoresInputError) as excinfo:
        parse_scores_csv(data, library.sheets, name="s.csv")
    return [str(p) for p in excinfo.value.problems]


def test_reads_the_demo_file(library):
    """The bundled demo CSV reads into 10 products and 9 scoring members."""
    cards = read_scores_csv(demo_dir() / "scores.csv", library.sheets)

    assert cards.product_count == 10
    assert len(cards.member_ids) == 9


def test_csv_and_scorecards_give_identical_results(library):
    """Reading the CSV and building from Scorecard objects give the same results (two paths, one engine)."""
    from ocop_scoring.demo import demo_scorecards

    qd26 = library.ruleset("qd26-2026")
    a = score_council(read_scores_csv(demo_dir() / "scores.csv", library.sheets), library.sheets, qd26).as_json()
    b = score_council(build_card_set(demo_scorecards(library.sheets), library.sheets), library.sheets, qd26).as_json()

    assert a == b


def test_bad_header(library):
    """A file without the contract header is refused at line 1."""
    assert problems("product,sheet,member,crit,opt\n", library) == [
        "s.csv:1: header: expected product_id,sheet_id,member_id,criterion,option, got 'product,sheet,member,crit,opt'"
    ]


def test_unknown_sheet_criterion_option(library):
    """Unknown sheet, unknown criterion, option not a number and out of range: each with its line."""
    sheet = library.sheet("qd26-2026-01")
    rows = full_card_rows(sheet)
    rows[0] = "P1,qd26-2026-01,TV01,1.1,x"  # line 2
    rows[1] = "P1,qd26-2026-01,TV01,1.2,9"  # line 3
    rows[2] = "P1,qd26-2026-01,TV01,9.9,1"  # line 4
    rows.append("P2,qd99-2030-01,TV01,1.1,1")  # last line
    found = problems(HEADER + "\n".join(rows) + "\n", library)
    last = len(rows) + 1

    assert (
        "s.csv:2: option: expected a whole number (the option's position on the sheet, from 1; 0 for không đạt), got 'x'"
        in found
    )
    assert (
        "s.csv:3: option: expected an option between 0 (không đạt) and 3 for criterion 1.2 of qd26-2026-01, got 9"
        in found
    )
    assert "s.csv:4: criterion: expected a scored criterion of sheet qd26-2026-01, got '9.9'" in found
    assert (
        f"s.csv:{last}: sheet_id: expected a known criteria sheet (see `ocop sheets list`), got 'qd99-2030-01'" in found
    )


def test_group_code_of_a_criterion_with_sub_criteria_gets_a_hint(library):
    """Scoring 6.1 on the tea sheet points to its sub-criteria 6.1.1, 6.1.2."""
    sheet = library.sheet("qd26-2026-11")
    rows = [*full_card_rows(sheet), "P1,qd26-2026-11,TV01,6.1,1"]

    found = problems(HEADER + "\n".join(rows) + "\n", library)

    assert any("got '6.1'" in f and "6.1 is scored through 6.1.1, 6.1.2" in f for f in found)


def test_duplicate_row_names_the_first(library):
    """A second row for the same product, member and criterion names the line of the first."""
    sheet = library.sheet("qd26-2026-01")
    rows = [*full_card_rows(sheet), "P1,qd26-2026-01,TV01,1.1,2"]

    found = problems(HEADER + "\n".join(rows) + "\n", library)

    assert found == [
        f"s.csv:{len(rows) + 1}: row: expected one row per product, member and criterion (first on line 2), "
        "got a second row for product P1, member TV01, criterion 1.1"
    ]


def test_incomplete_scorecard_names_product_member_and_missing(library):
    """A card missing criteria is named with its first line, its product, its member and the missing codes."""
    sheet = library.sheet("qd26-2026-01")
    rows = [r for r in full_card_rows(sheet, member="TV03") if r.split(",")[3] not in ("6.3", "12")]

    found = problems(HEADER + "\n".join(rows) + "\n", library)

    assert found == [
        "s.csv:2: scorecard: expected a complete scorecard for product P1, member TV03 on qd26-2026-01, got no row for criteria 6.3, 12"
    ]


def test_product_on_two_sheets(library):
    """One product on two sheets is refused at the line where the second sheet appears."""
    s1, s3 = library.sheet("qd26-2026-01"), library.sheet("qd26-2026-03")
    rows = full_card_rows(s1) + full_card_rows(s3, member="TV02")

    found = problems(HEADER + "\n".join(rows) + "\n", library)

    assert found == [
        f"s.csv:{len(full_card_rows(s1)) + 2}: sheet_id: expected the sheet used for product P1 on line 2, got 'qd26-2026-03'"
    ]


def test_wrong_encoding_names_the_line(library):
    """A file saved in Windows-1258 is refused at the line of the first non-UTF-8 byte."""
    sheet = library.sheet("qd26-2026-01")
    rows = full_card_rows(sheet)
    rows[3] = rows[3].replace("TV01", "Thành")
    data = (HEADER + "\n".join(rows) + "\n").encode("cp1258")

    found = problems(data, library)

    assert len(found) == 1 and found[0].startswith("s.csv:5: encoding: expected UTF-8 text")


def test_wrong_field_count_and_empty_line(library):
    """A row with too few fields, and an empty line, are named by line."""
    sheet = library.sheet("qd26-2026-01")
    rows = full_card_rows(sheet)
    rows[4] = "P1,qd26-2026-01,TV01,1.5"
    rows[6] = ""

    found = problems(HEADER + "\n".join(rows) + "\n", library)

    assert "s.csv:6: row: expected 5 fields (product_id,sheet_id,member_id,criterion,option), got 4 fields" in found
    assert any(f.startswith("s.csv:8: ") for f in found)


def test_bom_and_crlf_are_fine(library):
    """Excel's UTF-8 BOM and Windows line ends read normally."""
    sheet = library.sheet("qd26-2026-01")
    data = ("\ufeff" + HEADER + "\n".join(full_card_rows(sheet)) + "\n").replace("\n", "\r\n").encode("utf-8")

    cards = parse_scores_csv(data, library.sheets)

    assert cards.product_count == 1


def test_header_only_file(library):
    """A file with a header and no rows says so."""
    assert problems(HEADER, library) == ["s.csv:2: rows: expected at least one score row, got none"]


def test_many_identical_defects_are_summarised(library):
    """The same defect on 300 lines is one message with the count, not 300 messages."""
    sheet = library.sheet("qd26-2026-01")
    rows = []
    for p in range(10):
        rows += full_card_rows(sheet, product=f"P{p}", member="TV01")
    rows = [r.replace("qd26-2026-01", "nope") for r in rows]

    found = problems(HEADER + "\n".join(rows) + "\n", library)

    assert found == [
        f"s.csv:2: sheet_id: expected a known criteria sheet (see `ocop sheets list`) (the same on {len(rows) - 1} more lines), got 'nope'"
    ]


def test_write_then_read_round_trip(library, tmp_path: Path):
    """Scorecards written as CSV read back to the same results."""
    sheet = library.sheet("qd26-2026-01")
    cards = [Scorecard("P1", m, sheet.sheet_id, tuple(best_choices(sheet).items())) for m in ("A", "B")]
    path = tmp_path / "out.csv"
    write_scores_csv(cards, path, library.sheets)

    again = read_scores_csv(path, library.sheets)

    qd26 = library.ruleset("qd26-2026")
    assert (
        score_council(again, library.sheets, qd26).as_json()
        == score_council(build_card_set(cards, library.sheets), library.sheets, qd26).as_json()
    )


def test_rejections_csv(tmp_path: Path):
    """Knock-outs read from product_id,reason; a duplicate product is refused with both lines."""
    path = tmp_path / "r.csv"
    path.write_text("product_id,reason\nP1,Hồ sơ giả mạo\nP1,again\n", encoding="utf-8")

    with pytest.raises(
        ScoresInputError, match=r"r.csv:3: product_id: expected each product once \(first on line 2\), got 'P1'"
    ):
        read_rejections_csv(path)
