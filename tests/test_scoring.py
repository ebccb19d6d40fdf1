"""The council calculation: golden examples checked by hand against the decision text, and unit rules."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest

from ocop_scoring.errors import ScorecardError, SettingsError
from ocop_scoring.model import CouncilRules, Rejection, Scorecard
from ocop_scoring.scoring import build_card_set, score_card, score_council
from tests.conftest import best_choices, option_worth, worst_choices


def run(cards, library, ruleset_id="qd26-2026", rules=None, rejections=(), sheets=None):
    sheets = sheets or library.sheets
    return score_council(build_card_set(cards, sheets), sheets, library.ruleset(ruleset_id), rules, rejections)


def tiny_card(tiny, product, member, a11=3, a12=2, b2=2, c1=2, c2=2):
    """A card on the tiny sheet by option numbers (1.1: 0/20/30, 1.2: 0/10, 2: 5,25|10,25, 3.1.1: 0/20, 3.1.2: 5/15)."""
    return Scorecard(
        product, member, tiny.sheet_id, (("1.1", a11), ("1.2", a12), ("2", b2), ("3.1.1", c1), ("3.1.2", c2))
    )


def tiny_sheets(library, tiny):
    return {**library.sheets, tiny.sheet_id: tiny}


# --- golden examples on sheet 1 (Rau, củ, quả, hạt tươi), points read off the printed sheet -----------


def test_golden_sheet1_top_marks_but_no_documented_story(library, make_cards):
    """Sheet 1, three members tick the best option everywhere except 5.1, where they tick option 4.

    By hand from the printed sheet: 5.1 option 4 ("… tờ rơi và website") is worth 3 instead of 5, so
    each member totals 100 - 2 = 98; the mean 98 is in [90, 100] (5★ by score). The 3★ and 5★
    markers are met, but 5.1's 4★ marker (option 5, 5 points) is not: mean 3 < 5. Since a level
    counts only when every lower level from 3★ up is met, the star is 3★. At 90 or more the
    product still goes to the Ministry (Điều 7.3: by score).
    """
    sheet = library.sheet("qd26-2026-01")
    choices = {**best_choices(sheet), "5.1": 4}
    result = run(make_cards(sheet, "P1", {"TV01": choices, "TV02": choices, "TV03": choices}), library).product("P1")

    assert (result.mean_text, result.band_stars, result.stars) == ("98.00", 5, 3)
    assert [(u.criterion, u.for_stars, u.required, u.mean_points) for u in result.unmet_minimums] == [("5.1", 4, 5, 3)]
    assert result.forwarded_to == "central"
    assert result.certified_by is None
    capped = result.explanation.steps_of("star_capped")
    assert [(s.arg("band_stars"), s.arg("failed_stars"), s.arg("failed"), s.arg("stars")) for s in capped] == [
        (5, 4, "5.1", 3)
    ]


def test_golden_sheet1_minimum_on_mean_vs_every_member(library, make_cards):
    """Sheet 1, criterion 4.1 (3★ needs option 2 = 2 points, 4★ option 3 = 3 points).

    Members tick 4.1 worth 1, 3 and 3 points and the best option elsewhere. By hand: totals
    100 - 4 = 96, 100 - 2 = 98, 98; mean 292/3 = 97.33 (5★ by score). On the council mean,
    4.1 = 7/3 = 2.33: the 3★ minimum (2) is met, the 4★ minimum (3) is not → 3★. Checked on
    every member's card, the lowest is 1 < 2 → the 3★ minimum fails → 2★. With no minimum
    check the band decides → 5★.
    """
    sheet = library.sheet("qd26-2026-01")
    best = best_choices(sheet)
    cards = make_cards(
        sheet,
        "P1",
        {
            "TV01": {**best, "4.1": option_worth(sheet, "4.1", 1)},
            "TV02": {**best, "4.1": option_worth(sheet, "4.1", 3)},
            "TV03": {**best, "4.1": option_worth(sheet, "4.1", 3)},
        },
    )

    mean = run(cards, library, rules=CouncilRules(minimum_rule="mean")).product("P1")
    every = run(cards, library, rules=CouncilRules(minimum_rule="every-member")).product("P1")
    none = run(cards, library, rules=CouncilRules(minimum_rule="none")).product("P1")

    assert dict(mean.member_totals) == {"TV01": 96, "TV02": 98, "TV03": 98}
    assert (mean.mean_text, mean.band_stars) == ("97.33", 5)
    assert (mean.stars, every.stars, none.stars) == (3, 2, 5)
    assert [(u.criterion, u.for_stars) for u in every.unmet_minimums] == [("4.1", 3), ("4.1", 4), ("4.1", 5)]
    assert "trên phiếu của từng thành viên" in str(every.explanation)


def test_golden_sheet1_story_rule(library, make_cards):
    """Sheet 1: 5.2 (story structure) counts 0 when 5.1 says there is no story.

    One member ticks 5.1 option 1 "Không có câu chuyện sản phẩm" (0 points) and 5.2 option 3
    (2 points). By hand: 100 - 5 (5.1) - 2 (5.2 not counted) = 93.
    """
    sheet = library.sheet("qd26-2026-01")
    cards = make_cards(sheet, "P1", {"TV01": {**best_choices(sheet), "5.1": 1, "5.2": 3}})

    result = run(cards, library).product("P1")

    assert dict(result.member_totals) == {"TV01": 93}
    step = result.explanation.steps_of("condition")[0]
    assert (step.subject, step.arg("criterion"), step.arg("ticked_points"), step.arg("counted")) == (
        "TV01",
        "5.2",
        2,
        0,
    )


def test_story_rule_lets_5_2_be_left_blank(library, make_cards):
    """With no story, a member need not answer 5.2: the card is complete without it."""
    sheet = library.sheet("qd26-2026-01")
    choices = {**best_choices(sheet), "5.1": 1}
    del choices["5.2"]

    result = run(make_cards(sheet, "P1", {"TV01": choices}), library).product("P1")

    assert dict(result.member_totals) == {"TV01": 93}


def test_golden_sheet26_case_b_options_follow_case_a(library, make_cards):
    """Sheet 26 criterion 8: options 1-2 are case a (1, 3 points), 3-4 case b (1, 3 points)."""
    sheet = library.sheet("qd26-2026-26")

    a = run(make_cards(sheet, "T", {"TV01": {**best_choices(sheet, "a"), "8": 1}}), library).product("T")
    b = run(make_cards(sheet, "T", {"TV01": best_choices(sheet, "b")}), library).product("T")

    assert best_choices(sheet, "b")["8"] == 4
    assert dict(a.member_totals)["TV01"] == 98
    assert dict(b.member_totals)["TV01"] == 100


def test_sheet26_a_card_mixing_cases_is_refused(library, make_cards):
    """Criteria 8, 9 and 15 of sheet 26 describe the product in case a or b: one card, one case; "không đạt" fits both."""
    sheet = library.sheet("qd26-2026-26")
    mixed = {**best_choices(sheet, "a"), "9": 4}  # 8 in case a, 9 in case b

    with pytest.raises(ScorecardError) as err:
        run(make_cards(sheet, "T", {"TV01": mixed}), library)
    assert str(err.value) == (
        "product T, member TV01, criterion 9: expected an option of case a (the case of criterion 8 on the same card; "
        "a product is scored in one case), got option 4 of case b"
    )
    fine = run(make_cards(sheet, "T", {"TV01": {**best_choices(sheet, "b"), "9": 0}}), library).product("T")
    assert dict(fine.member_totals)["TV01"] == 98


def test_all_worst_options_gives_one_star(library, make_cards):
    """Ticking the lowest option everywhere on sheet 1 totals 15 points → 1★.

    By hand from the printed sheet, the lowest options worth points are 1.1 (1), 1.3 (1), 1.4 (1),
    1.6 (1), 2.3 (1), 3.1 (1), 3.3 (1), 3.4 (1), 3.5 (1), 4.1 (1), 9 (2), 10 (1), 11 (1), 12 (1): 15.
    """
    sheet = library.sheet("qd26-2026-01")
    result = run(make_cards(sheet, "P", {"TV01": worst_choices(sheet)}), library).product("P")

    assert result.total_sum == sum(min(o.points for o in leaf.options) for leaf in sheet.leaves) == 15
    assert (result.band_stars, result.stars, result.recognized) == (1, 1, False)


# --- bands, exactness, rounding ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("totals", "shown", "band"),
    [
        ((70, 70, 70), "70.00", 4),
        ((70, 70, 69), "69.67", 3),
        ((90, 90, 89), "89.67", 4),
        ((90, 90, 90), "90.00", 5),
        ((50, 49), "49.50", 2),
        ((30, 29), "29.50", 1),
        ((100,), "100.00", 5),
    ],
)
def test_band_edges_use_the_exact_mean(totals, shown, band, library, tiny):
    """Bands are [0,30) 1★, [30,50) 2★, [50,70) 3★, [70,90) 4★, [90,100] 5★ on the exact mean."""
    sheets = tiny_sheets(library, tiny)
    cards = [Scorecard("P", f"M{i}", "tiny", _tiny_total(100)) for i in range(len(totals))]
    cardset = _with_card_totals(build_card_set(cards, sheets), totals)

    result = score_council(cardset, sheets, library.ruleset("qd26-2026"), CouncilRules(minimum_rule="none")).product(
        "P"
    )

    assert result.mean_text == shown
    assert result.band_stars == band


def _tiny_total(total):
    """Choices on the tiny sheet summing to ``total`` (any total from 10 to 100 reachable by 5s, plus 1.2 tweaks)."""
    for a11, p11 in ((1, 0), (2, 20), (3, 30)):
        for a12, p12 in ((1, 0), (2, 10)):
            if p11 == 0 and p12:
                continue
            for b2, pb in ((1, 5), (2, 25), (3, 10)):
                for c1, p1 in ((1, 0), (2, 20)):
                    for c2, p2 in ((1, 5), (2, 15)):
                        if p11 + p12 + pb + p1 + p2 == total:
                            return (("1.1", a11), ("1.2", a12), ("2", b2), ("3.1.1", c1), ("3.1.2", c2))
    return _tiny_total_fine(total)


def _tiny_total_fine(total):
    raise AssertionError(f"no tiny card totals {total}")


def _with_card_totals(cardset, totals):
    """Set each card's total by adjusting its first criterion's points (for totals no tick reaches)."""
    block = cardset.blocks[0]
    points = block.points.copy()
    for i, total in enumerate(totals):
        delta = total - int(points[i].sum())
        for col in range(points.shape[1] - 1, -1, -1):  # from Part C backwards, so 1.1 (the condition) stays > 0
            step = max(delta, -int(points[i, col]) + (1 if col == 0 else 0)) if delta < 0 else delta
            points[i, col] += step
            delta -= step
            if delta == 0:
                break
    return type(cardset)(
        cardset.member_ids,
        (type(block)(block.sheet_id, block.product_ids, block.card_product, block.card_member, block.options, points),),
    )


def test_display_rounds_half_up(library, tiny):
    """8 members totalling 561: mean 70.125 is shown 70.13 (half-up, not banker's 70.12)."""
    sheets = tiny_sheets(library, tiny)
    totals = [70] * 7 + [71]
    cards = [
        Scorecard("P", f"M{i}", "tiny", _tiny_total(t)) if t == 70 else Scorecard("P", f"M{i}", "tiny", _tiny_total(70))
        for i, t in enumerate(totals)
    ]
    result = score_council(
        _with_total(build_card_set(cards, sheets), 561),
        sheets,
        library.ruleset("qd26-2026"),
        CouncilRules(minimum_rule="none"),
    ).product("P")

    assert result.mean_total == Fraction(561, 8)
    assert result.mean_text == "70.13"


def _with_total(cardset, total):
    """Adjust the first card's points so the product's sum is ``total`` (for means no sheet can reach)."""
    block = cardset.blocks[0]
    points = block.points.copy()
    points[0, 0] += total - int(points.sum())
    return type(cardset)(
        cardset.member_ids,
        (type(block)(block.sheet_id, block.product_ids, block.card_product, block.card_member, block.options, points),),
    )


def test_no_float_decides_the_star(library, tiny):
    """200 members averaging 69.995 are shown 70.00 yet get 3★: the band is decided on 13999/200."""
    sheets = tiny_sheets(library, tiny)
    cards = [Scorecard("P", f"M{i:03d}", "tiny", _tiny_total(70)) for i in range(200)]
    result = score_council(
        _with_total(build_card_set(cards, sheets), 13999),
        sheets,
        library.ruleset("qd26-2026"),
        CouncilRules(minimum_rule="none"),
    ).product("P")

    assert result.mean_total == Fraction(13999, 200)
    assert result.mean_text == "70.00"
    assert result.band_stars == 3


# --- minimums, knock-outs, spread, recognition ------------------------------------------------------------


def test_minimum_levels_are_cumulative(library, tiny):
    """A product at 5★ by score that misses a 4★ minimum but meets the 5★ one gets 3★ (levels from 3★ up)."""
    sheets = tiny_sheets(library, tiny)
    # 1.1 = 20 (3★ met, 4★ not), 3.1.1 = 20 (5★ marker met), B 25, 1.2 10, 3.1.2 15 → 90
    result = run([tiny_card(tiny, "P", "M", a11=2)], library, sheets=sheets).product("P")

    assert (result.total_sum, result.band_stars, result.stars) == (90, 5, 3)


def test_missing_a_3_star_minimum_caps_at_2(library, tiny):
    """1.1 = 0 misses the 3★ minimum: at most 2★ whatever the score."""
    sheets = tiny_sheets(library, tiny)
    result = run([tiny_card(tiny, "P", "M", a11=1, a12=2)], library, sheets=sheets).product("P")

    assert (result.total_sum, result.band_stars, result.stars) == (60, 3, 2)


def test_knocked_out_product_gets_no_star_and_no_rank(library, tiny):
    """A rejected product gets 0 stars, is not recognised, not ranked, and others rank without it."""
    sheets = tiny_sheets(library, tiny)
    cards = [tiny_card(tiny, "P1", "M"), tiny_card(tiny, "P2", "M", c1=1)]

    result = run(cards, library, sheets=sheets, rejections=[Rejection("P1", "Hồ sơ giả mạo")])

    p1, p2 = result.product("P1"), result.product("P2")
    assert (p1.stars, p1.recognized, p1.rank, p1.overall_rank, p1.rejection_reason) == (
        0,
        False,
        None,
        None,
        "Hồ sơ giả mạo",
    )
    assert (p2.rank, p2.overall_rank) == (1, 1)
    assert "Hồ sơ giả mạo" in str(p1.explanation)


@pytest.mark.parametrize(
    ("spread", "strict", "flagged"), [(10, True, False), (11, True, True), (10, False, True), (9, False, False)]
)
def test_spread_rule(spread, strict, flagged, library, tiny):
    """Discussion when max - min of member totals is over 10 (or at least 10 when configured)."""
    sheets = tiny_sheets(library, tiny)
    cards = [Scorecard("P", "A", "tiny", _tiny_total(80)), Scorecard("P", "B", "tiny", _tiny_total(80))]
    cardset = _spread(build_card_set(cards, sheets), spread)

    result = score_council(cardset, sheets, library.ruleset("qd26-2026"), CouncilRules(spread_strict=strict)).product(
        "P"
    )

    assert result.spread == spread
    assert result.needs_discussion is flagged


def _spread(cardset, spread):
    block = cardset.blocks[0]
    points = block.points.copy()
    points[1, -1] -= spread
    return type(cardset)(
        cardset.member_ids,
        (type(block)(block.sheet_id, block.product_ids, block.card_product, block.card_member, block.options, points),),
    )


def test_recognition_and_forwarding_under_each_rule_set(library, tiny):
    """26/2026: province certifies 3-4★, forwards 90+. 148/2023 district: certifies 3★, forwards 70+."""
    sheets = tiny_sheets(library, tiny)
    cards = [
        tiny_card(tiny, "P90", "M"),
        tiny_card(tiny, "P75", "M", b2=3, c2=1),
        tiny_card(tiny, "P60", "M", b2=1, c2=1, c1=2, a11=2, a12=2),
    ]

    qd26 = run(cards, library, sheets=sheets)
    assert [(r.product_id, r.stars, r.certified_by, r.forwarded_to) for r in qd26] == [
        ("P60", 3, "province", None),
        ("P75", 4, "province", None),
        ("P90", 5, None, "central"),
    ]
    # the same cards judged by a 148-era district council
    tiny148 = _as_ruleset(tiny, "qd148-2023")
    d148 = score_council(
        build_card_set([Scorecard(c.product_id, c.member_id, "tiny", c.choices) for c in cards], {"tiny": tiny148}),
        {"tiny": tiny148},
        library.ruleset("qd148-2023"),
    )
    assert [(r.product_id, r.certified_by, r.forwarded_to) for r in d148] == [
        ("P60", "district", None),
        ("P75", None, "province"),
        ("P90", None, "province"),
    ]


def _as_ruleset(sheet, ruleset_id):
    from attrs import evolve

    return evolve(sheet, ruleset_id=ruleset_id)


def test_unknown_council_level_is_a_settings_error(library, tiny):
    """A level the rule set does not have is refused by name."""
    with pytest.raises(SettingsError, match="has no level 'district'"):
        run(
            [tiny_card(tiny, "P", "M")],
            library,
            sheets=tiny_sheets(library, tiny),
            rules=CouncilRules(level="district"),
        )


def test_council_rules_are_checked():
    """Settings outside the allowed values are refused with the field and value."""
    with pytest.raises(SettingsError, match="minimum_rule: expected one of mean, every-member, none, got 'median'"):
        CouncilRules(minimum_rule="median")
    with pytest.raises(SettingsError, match="spread_threshold: expected a whole number >= 0"):
        CouncilRules(spread_threshold=-1)


# --- ranking -------------------------------------------------------------------------------------------


def test_ranking_ties_break_on_part_c_then_a_then_b(library, tiny):
    """Equal means rank by mean Part C, then A, then B; equal on all four share a rank (1, 1, 3, 4)."""
    sheets = tiny_sheets(library, tiny)
    cards = [
        tiny_card(tiny, "X", "M", c1=1, c2=2),  # 30+10+25+0+15 = 80, C 15
        tiny_card(tiny, "Y", "M", a12=1, c2=1),  # 30+0+25+20+5 = 80, C 25
        tiny_card(tiny, "Z", "M", a12=1, c2=1),  # same as Y
        tiny_card(tiny, "W", "M", a11=2, c1=1, c2=2),  # 20+10+25+0+15 = 70
    ]

    result = run(cards, library, sheets=sheets)

    assert {r.product_id: (r.mean_text, r.rank, r.overall_rank) for r in result} == {
        "W": ("70.00", 4, 4),
        "X": ("80.00", 3, 3),
        "Y": ("80.00", 1, 1),
        "Z": ("80.00", 1, 1),
    }
    assert result.product("Y").tied_with == ("Z",)


def test_rank_within_sheet_and_overall(library, make_cards):
    """Ranks restart on each sheet; the overall rank runs over every product."""
    s1, s3 = library.sheet("qd26-2026-01"), library.sheet("qd26-2026-03")
    cards = [
        *make_cards(s1, "A", {"TV01": best_choices(s1)}),
        *make_cards(s1, "B", {"TV01": {**best_choices(s1), "1.1": 1}}),
        *make_cards(s3, "C", {"TV01": {**best_choices(s3), "1.1": 2}}),
    ]

    result = run(cards, library)

    assert [(r.product_id, r.rank, r.overall_rank) for r in result] == [("A", 1, 1), ("B", 2, 3), ("C", 1, 2)]


# --- input checks --------------------------------------------------------------------------------------


def test_incomplete_card_names_product_member_and_missing_criteria(library, make_cards):
    """An incomplete scorecard is refused naming the product, the member and what is missing."""
    sheet = library.sheet("qd26-2026-01")
    choices = best_choices(sheet)
    del choices["6.3"], choices["12"]

    with pytest.raises(ScorecardError, match=r"product P1, member TV02: incomplete scorecard, missing 6.3, 12"):
        build_card_set(make_cards(sheet, "P1", {"TV02": choices}), library.sheets)


def test_option_out_of_range_and_unknown_criterion(library):
    """Every wrong tick is named at once."""
    card = Scorecard("P", "M", "qd26-2026-01", (("1.1", 4), ("9.9", 1)))

    with pytest.raises(ScorecardError) as excinfo:
        build_card_set([card], library.sheets)

    text = str(excinfo.value)
    assert "criterion 1.1: expected an option between 0 (không đạt) and 3, got 4" in text
    assert "sheet qd26-2026-01 has no scored criterion '9.9'" in text


def test_product_on_two_sheets_is_refused(library, make_cards):
    """One product is scored on one sheet."""
    s1, s3 = library.sheet("qd26-2026-01"), library.sheet("qd26-2026-03")
    cards = [*make_cards(s1, "P", {"A": best_choices(s1)}), *make_cards(s3, "P", {"B": best_choices(s3)})]

    with pytest.raises(ScorecardError, match="product P: scored on qd26-2026-01 and on qd26-2026-03"):
        build_card_set(cards, library.sheets)


# --- one card (the live form) --------------------------------------------------------------------------


def test_score_card_running_totals(library, qd26):
    """A partial card gives group, part and overall totals, what is missing, and the band it alone gives."""
    sheet = library.sheet("qd26-2026-01")
    result = score_card(sheet, {"1.1": 3, "1.2": 3, "5.1": 1, "5.2": 3}, qd26)

    assert result.total == 5
    assert dict(result.group_totals)["1"] == 5
    assert dict(result.part_totals) == {"A": 5, "B": 0, "C": 0}
    assert result.not_counted == ("5.2",)
    assert "5.2" not in result.missing and "1.3" in result.missing
    assert result.band_stars == 1
    assert not result.is_complete


def test_score_card_rejects_wrong_option(library):
    """A tick out of range is refused with the criterion and the allowed range."""
    with pytest.raises(ScorecardError, match=r"criterion 1\.1: expected an option between 0 and 3, got 5"):
        score_card(library.sheet("qd26-2026-01"), {"1.1": 5})


def test_empty_council(library):
    """No scorecards: no products, no error."""
    result = score_council(build_card_set([], library.sheets), library.sheets, library.ruleset("qd26-2026"))

    assert len(result) == 0
    assert result.as_json()["products"] == []


def test_points_arrays_are_integers(library, make_cards):
    """The calculation runs on integer arrays (no float anywhere in the pass)."""
    sheet = library.sheet("qd26-2026-01")
    cardset = build_card_set(make_cards(sheet, "P", {"M": best_choices(sheet)}), library.sheets)

    assert all(np.issubdtype(b.points.dtype, np.integer) for b in cardset.blocks)
