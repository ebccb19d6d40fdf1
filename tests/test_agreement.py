"""Agreement statistics, checked against the `krippendorff` and `pingouin` packages on the same data."""

from __future__ import annotations

import krippendorff
import numpy as np
import pandas as pd
import pingouin
import pytest

from ocop_scoring.agreement import Ratings, agreement, complete_block, icc_k, krippendorff_alpha_interval
from ocop_scoring.demo import demo_dir
from ocop_scoring.report import SessionReport, load_source


@pytest.mark.parametrize("seed", range(8))
def test_alpha_equals_the_krippendorff_package(seed):
    """Interval α with gaps (recusals, missing cards) equals the reference implementation."""
    rng = np.random.default_rng(seed)
    values = rng.normal(70, 8, (rng.integers(3, 40), rng.integers(2, 13))).round()
    values[rng.random(values.shape) < 0.15] = np.nan

    ours = krippendorff_alpha_interval(values)
    theirs = krippendorff.alpha(reliability_data=values.T, level_of_measurement="interval")

    assert ours == pytest.approx(theirs, abs=1e-9)


@pytest.mark.parametrize("seed", range(6))
def test_icc_equals_pingouin(seed):
    """ICC(2,k) and ICC(3,k) on complete data equal pingouin's ICC(A,k) and ICC(C,k)."""
    rng = np.random.default_rng(seed)
    n, k = int(rng.integers(3, 30)), int(rng.integers(2, 12))
    values = (rng.normal(70, 8, (n, 1)) + rng.normal(0, 4, (n, k)) + rng.normal(0, 2, (1, k))).round()
    frame = pd.DataFrame(
        [(i, j, values[i, j]) for i in range(n) for j in range(k)], columns=["product", "member", "total"]
    )
    table = pingouin.intraclass_corr(frame, targets="product", raters="member", ratings="total").set_index("Type")[
        "ICC"
    ]

    icc2, icc3 = icc_k(values)

    assert icc2 == pytest.approx(table["ICC(A,k)"], abs=1e-9)
    assert icc3 == pytest.approx(table["ICC(C,k)"], abs=1e-9)


def test_demo_session_agreement_and_leniency():
    """On the demo council: α from the members' totals; ICC on the complete block; leniency in plain words."""
    result = SessionReport(load_source(demo_dir() / "session.json")).result
    ratings = Ratings.from_result(result)
    session, *sheets = agreement(result)
    _block, rows, cols = complete_block(ratings.values)

    assert session.alpha == pytest.approx(
        krippendorff.alpha(reliability_data=ratings.values.T, level_of_measurement="interval"), abs=1e-9
    )
    assert (session.icc_products, session.icc_members) == (len(rows), len(cols)) == (9, 9)  # 81 cells beat 10 x 8
    assert {a.scope for a in sheets} == {r.sheet_id for r in result}
    tv04 = next(m for m in session.leniency if m.member_id == "TV04")
    dev = np.nanmean(ratings.values[:, ratings.members.index("TV04")] - np.nanmean(ratings.values, axis=1))
    assert tv04.mean_deviation == pytest.approx(dev)
    assert tv04.sentence("vi").startswith("TV04 chấm cao hơn hội đồng trung bình 2,4 điểm trên 10 sản phẩm")


def test_icc_needs_complete_data():
    """With no two members sharing two products, the ICCs are left out, not guessed."""
    values = np.array([[70, np.nan], [np.nan, 60.0]])

    assert icc_k(complete_block(values)[0]) == (None, None)
