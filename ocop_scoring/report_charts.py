"""The report's charts as SVG text (matplotlib, Agg), identical for identical inputs.

Layer: report. Imports: matplotlib (lazily), texts.
"""

from __future__ import annotations

import io
from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

from ocop_scoring.texts import load_texts

STAR_COLOURS = {0: "#9e9e9e", 1: "#d7301f", 2: "#fc8d59", 3: "#fdcc8a", 4: "#78c679", 5: "#238443"}
PART_COLOURS = {"A": "#4575b4", "B": "#fdae61", "C": "#1a9850"}


def _plt() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    matplotlib.rcParams.update(
        {"svg.hashsalt": "ocop-scoring", "svg.fonttype": "path", "font.family": "DejaVu Sans", "font.size": 9}
    )
    return plt


def _svg(fig: Any) -> str:
    buffer = io.StringIO()
    fig.savefig(buffer, format="svg", metadata={"Date": None, "Creator": None}, bbox_inches="tight")
    import matplotlib.pyplot as plt

    plt.close(fig)
    text = buffer.getvalue()
    return text[text.index("<svg") :]


def stars_by_group_svg(rows: Sequence[Mapping[str, Any]], lang: str = "vi") -> str:
    """Products by star (stacked) for each product group (ngành / nhóm)."""
    plt = _plt()
    t = load_texts()
    groups = sorted({r["group"] or r["sheet_id"] for r in rows})
    counts = {
        g: Counter(0 if r["rejected"] else int(r["stars"]) for r in rows if (r["group"] or r["sheet_id"]) == g)
        for g in groups
    }
    fig, ax = plt.subplots(figsize=(8, 0.45 * max(len(groups), 3) + 1))
    left = [0] * len(groups)
    for stars in (1, 2, 3, 4, 5, 0):
        values = [counts[g].get(stars, 0) for g in groups]
        label = t.t("rep_rejected", lang) if stars == 0 else f"{stars}★"
        ax.barh(groups, values, left=left, color=STAR_COLOURS[stars], label=label, edgecolor="white")
        left = [a + b for a, b in zip(left, values, strict=True)]
    ax.invert_yaxis()
    ax.set_xlabel(t.t("rep_axis_products", lang))
    ax.legend(ncol=6, loc="lower center", bbox_to_anchor=(0.5, 1.0), frameon=False)
    ax.xaxis.get_major_locator().set_params(integer=True)
    return _svg(fig)


def part_means_svg(rows: Sequence[Mapping[str, Any]], ruleset: Any, lang: str = "vi") -> str:
    """Each product's mean Part A, B, C (stacked), with the star bands as vertical lines."""
    plt = _plt()
    t = load_texts()
    ids = [r["product_id"] for r in rows]
    fig, ax = plt.subplots(figsize=(8, 0.22 * max(len(ids), 6) + 1))
    left = [0.0] * len(ids)
    for part, _max in ruleset.parts:
        values = [float(r.get(f"mean_{part}", 0) or 0) for r in rows]
        ax.barh(
            ids,
            values,
            left=left,
            color=PART_COLOURS.get(part, "#888"),
            label=f"{t.t('part', lang)} {part}",
            edgecolor="white",
        )
        left = [a + b for a, b in zip(left, values, strict=True)]
    for band in ruleset.bands[1:]:
        ax.axvline(float(band.min_total), color="#555", linewidth=0.6, linestyle="--")
        ax.text(float(band.min_total), -0.8, f"{band.stars}★", ha="center", fontsize=7, color="#555")
    ax.set_xlim(0, ruleset.total_points)
    ax.invert_yaxis()
    ax.set_xlabel(t.t("rep_axis_points", lang))
    ax.legend(ncol=3, loc="lower center", bbox_to_anchor=(0.5, 1.02), frameon=False)
    if len(ids) > 60:
        ax.set_yticks([])
    return _svg(fig)


def member_spread_svg(result: Any, lang: str = "vi") -> str:
    """Each product's member totals (dots) and their range, red when over the spread threshold."""
    plt = _plt()
    t = load_texts()
    products = list(result)
    fig, ax = plt.subplots(figsize=(8, 0.22 * max(len(products), 6) + 1))
    for i, r in enumerate(products):
        totals = [v for _, v in r.member_totals]
        colour = "#b00020" if r.needs_discussion else "#1f4e9a"
        ax.hlines(i, min(totals), max(totals), color=colour, linewidth=1.2)
        ax.plot(totals, [i] * len(totals), "o", markersize=3, color=colour)
    ax.set_yticks(range(len(products)))
    ax.set_yticklabels([r.product_id for r in products])
    if len(products) > 60:
        ax.set_yticks([])
    ax.invert_yaxis()
    ax.set_xlabel(t.t("rep_axis_member_totals", lang))
    return _svg(fig)
