"""Explanations render in Vietnamese and English, as text, HTML and DataFrames, from every step."""

from __future__ import annotations

import doctest

import pytest

import ocop_scoring.explain
import ocop_scoring.model
from ocop_scoring.demo import demo_rejections, demo_scorecards
from ocop_scoring.explain import explanation_frame, points_frame, render_html, render_step, render_text
from ocop_scoring.scoring import build_card_set, score_council
from ocop_scoring.texts import load_texts


@pytest.fixture(scope="module")
def demo_result(library):
    return score_council(
        build_card_set(demo_scorecards(library.sheets), library.sheets),
        library.sheets,
        library.ruleset("qd26-2026"),
        rejections=demo_rejections(),
    )


def test_every_rule_has_a_template_in_both_languages(demo_result):
    """Every step rule the engine emits has a Vietnamese and an English template."""
    texts = load_texts()
    rules = {s.rule for pid in demo_result.product_ids for s in demo_result.explain(pid).steps}

    assert rules >= {
        "rules",
        "member_total",
        "council_mean",
        "part_mean",
        "band",
        "band_top",
        "minimum_mean",
        "star_band",
        "star_capped",
        "knockout",
        "spread",
        "recognition",
        "rank",
        "not_ranked",
        "condition",
    }
    for rule in rules:
        assert texts.has_template(rule), rule
        assert "{" not in render_step(demo_result.explain("P04").steps[0], "vi")
    for pid in demo_result.product_ids:
        for step in demo_result.explain(pid).steps:
            for lang in ("vi", "en"):
                text = render_step(step, lang)
                assert "{" not in text, (step.rule, lang, text)


def test_text_html_and_frames(demo_result):
    """One explanation renders as text, as HTML with a points table, and as two DataFrames."""
    ex = demo_result.explain("P04")

    text = render_text(ex, "vi")
    html = render_html(ex, "en")
    steps = explanation_frame(ex, "vi")
    points = points_frame(ex, "vi")

    assert text.startswith("Diễn giải cách tính: sản phẩm P04")
    assert '<table class="ocop-points">' in html and 'data-rule="star_capped"' in html
    assert list(steps.columns) == ["Bước", "Quy tắc", "Đối tượng", "Diễn giải", "Đạt"]
    assert len(steps) == len(ex.steps)
    assert list(points["Tổng"]) == [t for _, t in demo_result.product("P04").member_totals]
    assert list(points.columns[-4:]) == ["Phần A", "Phần B", "Phần C", "Tổng"]


def test_decimal_comma_in_vietnamese(demo_result):
    """Vietnamese shows 80,89; English 80.89."""
    ex = demo_result.explain("P04")
    mean = next(s for s in ex.steps if s.rule == "council_mean")

    assert "≈ 80,89" in render_step(mean, "vi")
    assert "≈ 80.89" in render_step(mean, "en")


def test_explanation_repr_html(demo_result):
    """In a notebook a bare explanation displays its working."""
    assert demo_result.product("P01").explanation._repr_html_().startswith('<div class="ocop-explanation"')


def test_doctests_of_pure_helpers():
    """The doctests of the explain and model helpers pass (rounding, number format, bands)."""
    for module in (ocop_scoring.explain, ocop_scoring.model):
        failures, _ = doctest.testmod(module)
        assert failures == 0, module.__name__


def test_import_is_cheap_and_widget_free():
    """Importing the core pulls in no widget or notebook machinery."""
    import subprocess
    import sys

    code = "import sys, ocop_scoring.scoring, ocop_scoring.cli; print(sorted(m for m in ('ipywidgets', 'IPython', 'voila', 'papermill', 'sqlalchemy') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)

    assert out.stdout.strip() == "[]"
