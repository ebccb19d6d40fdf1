"""Agreement and star stability for a 300-product x 12-member session (issue 6).

Figures, in one run on a session built once (untimed, the store benchmark's generator):
- ``stability(result)``: leave-one-out, other aggregations, every one-option change, target <= 5 s;
  baseline in the same run: the straightforward way, one ``score_council`` per variant, timed on a
  sample of variants and extrapolated to all of them; the ratio;
- ``agreement(result)`` (α, ICC(2,k), ICC(3,k), leniency; session and per sheet), target <= 1 s;
  baseline: the ``krippendorff`` and ``pingouin`` packages on the same matrices (α and the ICCs only).
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any


def add_arguments(parser: argparse._ArgumentGroup) -> None:
    """Options of this benchmark."""
    parser.add_argument("--analysis-products", type=int, default=300, help="products of the analysed session (300)")
    parser.add_argument("--analysis-members", type=int, default=12, help="scoring members (12)")
    parser.add_argument("--analysis-repeat", type=int, default=3, help="repetitions (medians reported)")


def fig(name: str, label: str, value: float, unit: str, target: float | None = None, op: str = "<=") -> dict[str, Any]:
    out: dict[str, Any] = {"name": name, "label": label, "value": value, "unit": unit}
    if target is not None:
        out.update(target=target, op=op)
    return out


def run(args: argparse.Namespace) -> dict[str, Any]:
    import numpy as np
    from bench_store import DASHBOARD_SESSION, dashboard_session

    from ocop_scoring.agreement import Ratings, agreement, complete_block
    from ocop_scoring.criteria_io import load_library
    from ocop_scoring.model import Scorecard
    from ocop_scoring.scoring import build_card_set, score_council
    from ocop_scoring.stability import stability
    from ocop_scoring.store import SessionStore

    figures: list[dict[str, Any]] = []
    info: dict[str, Any] = {}
    lib = load_library()
    with tempfile.TemporaryDirectory(prefix="ocop-bench-analysis-") as tmp:
        store = SessionStore(Path(tmp) / "s.sqlite")
        dashboard_session(store, lib, args.analysis_products, args.analysis_members, 2026)
        result = store.results(DASHBOARD_SESSION)
        state = store.state(DASHBOARD_SESSION)
        sheets = store.sheets(DASHBOARD_SESSION)
        store.close()

    runs = []
    for _ in range(args.analysis_repeat):
        t = time.perf_counter()
        found = stability(result)
        runs.append(time.perf_counter() - t)
    ours = statistics.median(runs)
    figures.append(
        fig("stability_s", f"stability ({len(result)} products x {args.analysis_members} members)", ours, "s", 5.0)
    )
    fragile = sum(1 for s in found.values() if not s.stable and not s.rejected)
    info["fragile_products"] = fragile
    info["steps_changing_a_star"] = sum(len(s.steps) for s in found.values())

    # baseline: one full rescoring per variant (a sample), extrapolated
    cards = [c.as_scorecard(p.sheet_id) for p in state.products for c in state.submitted_cards(p.product_id)]
    by_product: dict[str, list[Scorecard]] = {}
    for c in cards:
        by_product.setdefault(c.product_id, []).append(c)
    # what stability() examines per product: each member left out, and each tick moved one option
    # down and one up (an upper bound: the first and last options move one way only)
    variants = sum(len(own) + 2 * sum(len(c.choices) for c in own) for own in by_product.values())
    sample_pid = next(iter(by_product))
    own = by_product[sample_pid]
    timings = []
    for i in range(12):
        card = own[i % len(own)]
        code, option = card.choices[i % len(card.choices)]
        new = 1 if option > 1 else 2
        changed = [
            Scorecard(
                c.product_id,
                c.member_id,
                c.sheet_id,
                tuple((k, new if (k == code and c is card) else v) for k, v in c.choices),
            )
            for c in own
        ]
        t = time.perf_counter()
        score_council(build_card_set(changed, sheets), sheets, result.ruleset, result.rules)
        timings.append(time.perf_counter() - t)
    baseline = statistics.median(timings) * variants
    figures.append(
        fig(
            "stability_baseline_s",
            f"baseline: one score_council per variant ({variants} variants, extrapolated)",
            baseline,
            "s",
        )
    )
    figures.append(
        fig("stability_speedup", "speed-up of the stability analysis over the baseline", baseline / ours, "x")
    )

    runs = []
    for _ in range(args.analysis_repeat):
        t = time.perf_counter()
        agreement(result)
        runs.append(time.perf_counter() - t)
    ours_agr = statistics.median(runs)
    figures.append(
        fig("agreement_s", "agreement (α, ICC(2,k), ICC(3,k), leniency; session and 26 sheets)", ours_agr, "s", 1.0)
    )

    import krippendorff
    import pandas as pd
    import pingouin

    ratings = Ratings.from_result(result)
    t = time.perf_counter()
    krippendorff.alpha(reliability_data=ratings.values.T, level_of_measurement="interval")
    block, _, _ = complete_block(ratings.values)
    n, k = block.shape
    frame = pd.DataFrame({"p": np.repeat(np.arange(n), k), "m": np.tile(np.arange(k), n), "v": block.ravel()})
    pingouin.intraclass_corr(frame, targets="p", raters="m", ratings="v")
    reference = time.perf_counter() - t
    figures.append(
        fig("agreement_reference_s", "reference packages: krippendorff α + pingouin ICC (session only)", reference, "s")
    )
    return {"figures": figures, "info": info}
