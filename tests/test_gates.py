"""The law's gates (Decision 26/2026): "không đạt" makes every printed star minimum fail-able, knock-out rules
the ticks decide, and the outcome of each product as Điều 7 routes it."""

from __future__ import annotations

from collections import Counter

import pytest
from attrs import evolve

from ocop_scoring.explain import render_text
from ocop_scoring.model import NOT_MET, CouncilRules, Rejection, Scorecard
from ocop_scoring.scoring import build_card_set, score_council
from tests.conftest import best_choices, worst_choices


def run(library, sheet, by_member, *, rules=None, rejections=(), ruleset=None):
    cards = [Scorecard("P", m, sheet.sheet_id, tuple(c.items())) for m, c in by_member.items()]
    sheets = {sheet.sheet_id: sheet}
    rs = ruleset or library.ruleset("qd26-2026")
    return score_council(build_card_set(cards, sheets), sheets, rs, rules, rejections).product("P")


def markers_on_lowest_option(library):
    """Every printed star marker that stands on a criterion's lowest printed option: (sheet, criterion, star)."""
    out = []
    for sheet in library.sheets_of("qd26-2026"):
        for leaf in sheet.leaves:
            lowest = min(o.points for o in leaf.options)
            for o in leaf.options:
                if o.star is not None and o.points == lowest:
                    out.append((sheet, leaf.code, o.star))
    return out


def test_128_markers_stand_on_a_lowest_option(library):
    """The count the issue measured: 128 of the 575 markers (103 at 3★, 25 at 4★) could never fail without option 0."""
    found = markers_on_lowest_option(library)
    assert len(found) == 128
    assert Counter(star for _, _, star in found) == {3: 103, 4: 25}


def test_every_marker_on_a_lowest_option_fails_through_khong_dat(library):
    """For each of the 128, a council that ticks the lowest printed option meets that minimum; one whose
    members tick "không đạt" there fails it, and the star falls below the marker's level."""
    for sheet, code, star in markers_on_lowest_option(library):
        best = best_choices(sheet, "a")
        lowest = min(sheet.leaf(code).options, key=lambda o: (o.points, o.number)).number
        ticked = run(library, sheet, {"TV01": {**best, code: lowest}, "TV02": best})
        assert (code, star) not in {(u.criterion, u.for_stars) for u in ticked.unmet_minimums}, (sheet.sheet_id, code)
        failed = run(library, sheet, {"TV01": {**best, code: NOT_MET}, "TV02": {**best, code: NOT_MET}})
        unmet = {(u.criterion, u.for_stars) for u in failed.unmet_minimums}
        assert any(c == code and s <= star for c, s in unmet), (sheet.sheet_id, code, star, unmet)
        assert failed.stars < star, (sheet.sheet_id, code)


def test_lowest_total_is_zero_on_every_sheet_and_sheet_26_reaches_1_star(library):
    for sheet in library.sheets_of("qd26-2026"):
        zero = {leaf.code: NOT_MET for leaf in sheet.leaves}
        result = run(library, sheet, {"TV01": zero})
        assert (result.total_sum, result.band_stars, result.stars) == (0, 1, 1), sheet.sheet_id
    s26 = library.sheet("qd26-2026-26")
    printed = run(library, s26, {"TV01": worst_choices(s26)})
    assert printed.total_sum == 31  # the lowest printed options alone: a tourism product was at least 2★
    assert printed.band_stars == 2
    first = s26.leaves[0]
    mostly_zero = {**{leaf.code: NOT_MET for leaf in s26.leaves}, first.code: len(first.options)}
    assert run(library, s26, {"TV01": mostly_zero}).stars == 1


def test_option_0_on_a_criterion_printing_a_zero_option_is_worth_the_same(library):
    sheet = library.sheet("qd26-2026-01")
    leaf = sheet.leaf("1.5")
    assert leaf.prints_zero_option and leaf.options[0].points == 0
    best = best_choices(sheet)
    a = run(library, sheet, {"TV01": {**best, "1.5": 1}})
    b = run(library, sheet, {"TV01": {**best, "1.5": NOT_MET}})
    assert a.total_sum == b.total_sum


def test_a_blank_is_not_khong_dat(library):
    from ocop_scoring.errors import ScorecardError

    sheet = library.sheet("qd26-2026-01")
    card = best_choices(sheet)
    del card["3.5"]
    with pytest.raises(ScorecardError, match=r"incomplete scorecard, missing 3\.5"):
        run(library, sheet, {"TV01": card})


def test_the_explanation_says_khong_dat(library):
    sheet = library.sheet("qd26-2026-01")
    result = run(library, sheet, {"TV01": {**best_choices(sheet), "3.5": NOT_MET, "10": NOT_MET}})
    vi, en = render_text(result.explanation, "vi"), render_text(result.explanation, "en")
    assert "TV01 chọn «không đạt» (không đạt phương án nào được in, 0 điểm) ở tiêu chí 3.5, 10." in vi
    assert "TV01 chose «not met» (none of the printed options applies, 0 points) on criterion 3.5, 10." in en


# --- knock-out rules ---------------------------------------------------------------------------------------------


def test_knockout_rules_by_kind(library):
    """46 notes: 17 decided by ticks, 29 by the council; every note has exactly one rule."""
    kinds: Counter[str] = Counter()
    for sheet in library.sheets_of("qd26-2026"):
        for node, rule in sheet.knockout_rules():
            kinds[rule.decided_by] += 1
            assert 0 <= rule.note < len(node.knockout_vi)
            if rule.decided_by == "ticks":
                assert rule.criteria and all(sheet.has_leaf(c) for c in rule.criteria)
        for node in sheet.nodes():
            assert sorted(r.note for r in node.knockout_rules) == list(range(len(node.knockout_vi)))
    assert kinds == {"ticks": 17, "council": 29}


def test_a_ticks_rule_flags_the_product_and_names_the_members(library):
    """Sheet 16: "Nếu được 0 điểm tại một trong các chỉ tiêu trên …" over the sensory criteria 6.1-6.4."""
    sheet = library.sheet("qd26-2026-16")
    [(node, rule)] = [(n, r) for n, r in sheet.knockout_rules() if r.decided_by == "ticks"]
    assert set(rule.criteria) == {"6.1", "6.2", "6.3", "6.4"} and rule.max_points == 0
    best = best_choices(sheet)
    result = run(library, sheet, {"TV01": {**best, "6.3": NOT_MET}, "TV02": best, "TV03": {**best, "6.1": NOT_MET}})
    [flag] = result.knockout_triggered
    assert (flag.criterion, flag.members) == (node.code, ("TV01", "TV03"))
    assert not result.rejected and result.outcome != "rejected"  # a flag, not a rejection: the council decides
    text = render_text(result.explanation, "vi")
    assert "được kích hoạt bởi phiếu của TV01, TV03" in text and "Hội đồng quyết định" in text
    assert not run(library, sheet, {"TV01": best}).knockout_triggered


def test_a_council_rule_is_never_triggered_by_ticks(library):
    """Sheet 1, 1.1: imported raw materials … a council judgement: nothing is flagged whatever the ticks."""
    sheet = library.sheet("qd26-2026-01")
    council_rules = [(n.code, r) for n, r in sheet.knockout_rules() if r.decided_by == "council"]
    assert council_rules
    zero = {leaf.code: NOT_MET for leaf in sheet.leaves}
    assert run(library, sheet, {"TV01": zero}).knockout_triggered == ()


# --- the outcome of each product (Điều 7) ------------------------------------------------------------------------


def scaled(sheet, share, *, keep_markers=True):
    """A card worth at most ``share`` of 100: the best options, then "không đạt" from the end on criteria
    without a star marker (so the minimums stay met), then on any criterion."""
    card = best_choices(sheet)
    total = sum(sheet.leaf(c).option(n).points for c, n in card.items())
    marked = {c for _, c, _ in sheet.star_minimums()}
    for pass_ in (1, 2):
        for leaf in reversed(sheet.leaves):
            if total <= share * 100:
                return card
            if pass_ == 1 and (leaf.code in marked or leaf.condition is not None or leaf.code == "5.1"):
                continue
            total -= sheet.leaf(leaf.code).option(card[leaf.code]).points
            card[leaf.code] = NOT_MET
    return card


def test_each_provincial_outcome(library):
    sheet = library.sheet("qd26-2026-03")
    best = best_choices(sheet)
    assert run(library, sheet, {"TV01": best}).outcome == "forward_to_ministry"
    r = run(library, sheet, {"TV01": best})
    assert (r.stars, r.recognized, r.forwarded_to) == (5, False, "central")
    mid = run(library, sheet, {"TV01": scaled(sheet, 0.8)})
    assert (mid.stars, mid.outcome, mid.recognized, mid.forwarded_to) == (4, "propose_recognition", True, None)
    low = run(library, sheet, {"TV01": scaled(sheet, 0.4)})
    assert (low.stars, low.outcome, low.recognized) == (2, "not_recognised", False)
    rejected = run(library, sheet, {"TV01": best}, rejections=[Rejection("P", "hồ sơ")])
    assert (rejected.outcome, rejected.forwarded_to) == ("rejected", None)


def test_a_90_point_product_missing_a_5_star_minimum(library):
    """Forwarded by score (the default, Điều 7.3's words); with the other reading, proposed at the star it reached."""
    sheet = library.sheet("qd26-2026-01")
    five = [(c, s) for s, c, _ in sheet.star_minimums() if s == 5]
    assert five
    code = five[0][0]
    best = best_choices(sheet)
    card = {**best, code: min(sheet.leaf(code).options, key=lambda o: o.points).number}
    forwarded = run(library, sheet, {"TV01": card})
    assert forwarded.mean_total >= 90 and forwarded.stars == 4
    assert forwarded.outcome == "forward_to_ministry"
    text = render_text(forwarded.explanation, "vi")
    assert "theo quy tắc đã chọn" in text and "vẫn được gửi Bộ đánh giá 5 sao" in text

    rs = library.ruleset("qd26-2026")
    province = evolve(rs.levels[0], forward_when_minimums_unmet="propose_at_star")
    other = evolve(rs, levels=(province, *rs.levels[1:]))
    proposed = run(library, sheet, {"TV01": card}, ruleset=other)
    assert (proposed.outcome, proposed.stars, proposed.forwarded_to) == ("propose_recognition", 4, None)
    assert "được đề xuất công nhận 4 sao tại tỉnh" in render_text(proposed.explanation, "vi")


def test_each_central_outcome(library):
    sheet = library.sheet("qd26-2026-03")
    central = CouncilRules(level="central")
    assert run(library, sheet, {"TV01": best_choices(sheet)}, rules=central).outcome == "propose_5_star"
    below = run(library, sheet, {"TV01": scaled(sheet, 0.8)}, rules=central)
    assert (below.outcome, below.recognized) == ("below_5_star", False)
    rejected = run(library, sheet, {"TV01": best_choices(sheet)}, rules=central, rejections=[Rejection("P", "x")])
    assert rejected.outcome == "rejected"


def test_qd148_certifies_3_stars_at_the_province_from_the_1489_amendment(library):
    """Decision 148/2023 as amended by 1489/QĐ-TTg: councils sitting from 2025-07-06 use the amended levels."""
    rs = library.ruleset("qd148-2023")
    before, after = rs.levels_on("2025-07-05"), rs.levels_on("2025-07-06")
    assert before != after
    assert 3 in next(lv for lv in after if lv.code == "province").certifies_stars
    assert rs.minimum_star_levels == () or list(rs.minimum_star_levels) == []
