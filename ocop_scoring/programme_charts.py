"""The programme view's charts as SVG text (matplotlib, Agg), identical for identical inputs.

Layer: report. Imports: matplotlib (lazily, through report_charts' settings), programme, texts.

- ``cumulative_svg``: recognised products by year, cumulative (certified bars, provisional on top,
  hatched), against a province's targets (red diamonds joined by the plan's straight line);
- ``stars_by_group_svg``: recognised products by star for each product group (stacked);
- ``by_place_svg``: recognised products by star for each province or commune (stacked).

``font_size`` is the text size in points and ``width`` the figure's width in inches: the page
shows its charts at their own size (never scaled up), so every chart's text has the same size.
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence

from ocop_scoring.programme import RECOGNISED_STARS, Programme, Tally, Targets, sort_key
from ocop_scoring.report_charts import STAR_COLOURS, _plt, _svg
from ocop_scoring.texts import load_texts

PROVISIONAL_COLOUR = "#bdbdbd"
TARGET_COLOUR = "#b00020"
CERTIFIED_COLOUR = "#238443"
WIDTH = 8.0


def cumulative_svg(
    programme: Programme,
    targets: Targets | None = None,
    lang: str = "vi",
    *,
    as_of: int | None = None,
    font_size: float = 9,
    width: float = WIDTH,
) -> str:
    """Recognised products by year, cumulative up to ``as_of`` (default: the last product's year),
    with the targets when given (the axis spans the targets' years too)."""
    plt = _plt()
    t = load_texts()
    target_years = [x.year for x in targets.targets] if targets else []
    first = min(target_years) if target_years else None
    rows = programme.cumulative(first, as_of)
    with plt.rc_context({"font.size": font_size}):
        fig, ax = plt.subplots(figsize=(width, 3.2 * max(1.0, font_size / 9) ** 0.5))
        if rows:
            years = [y for y, _, _ in rows]
            certified = [c for _, c, _ in rows]
            provisional = [w - c for _, c, w in rows]
            ax.bar(years, certified, color=CERTIFIED_COLOUR, label=t.t("prog_legend_certified", lang), width=0.7)
            if any(provisional):
                ax.bar(
                    years,
                    provisional,
                    bottom=certified,
                    color=PROVISIONAL_COLOUR,
                    hatch="//",
                    edgecolor="#777",
                    linewidth=0.4,
                    label=t.t("prog_legend_provisional", lang),
                    width=0.7,
                )
            for year, value, total in rows:
                if total:
                    label = str(value) if total == value else f"{value} +{total - value}"
                    ax.text(year, total, label, ha="center", va="bottom", fontsize=font_size * 0.85)
        if targets:
            xs = [x.year for x in targets.targets]
            ys = [x.cumulative for x in targets.targets]
            ax.plot(
                xs,
                ys,
                linestyle="--",
                color=TARGET_COLOUR,
                marker="D",
                markersize=font_size * 0.7,
                linewidth=1.2,
                label=t.t("prog_legend_target", lang),
            )
            for x, y in zip(xs, ys, strict=True):
                ax.annotate(
                    str(y),
                    (x, y),
                    textcoords="offset points",
                    xytext=(0, font_size * 0.6),
                    ha="center",
                    color=TARGET_COLOUR,
                    fontweight="bold",
                )
        axis_years = [y for y, _, _ in rows] + target_years
        if axis_years:
            lo, hi = min(axis_years), max(axis_years)
            step = 1 if hi - lo <= 16 else max(1, (hi - lo) // 12)
            ax.set_xticks(list(range(lo, hi + 1, step)))
            ax.set_xlim(lo - 0.6, hi + 0.6)
        heights = [w for _, _, w in rows] + [x.cumulative for x in (targets.targets if targets else ())]
        ax.set_ylim(0, max([1, *heights]) * 1.18)
        ax.yaxis.get_major_locator().set_params(integer=True)
        ax.set_xlabel(t.t("prog_axis_year", lang))
        ax.set_ylabel(t.t("prog_axis_products", lang))
        ax.spines[["top", "right"]].set_visible(False)
        if rows or targets:
            ax.legend(ncol=3, loc="lower center", bbox_to_anchor=(0.5, 1.0), frameon=False)
        return _svg(fig)


def stars_by_group_svg(
    programme: Programme, lang: str = "vi", *, font_size: float = 9, wrap: int = 40, width: float = WIDTH
) -> str:
    """Recognised products by star for each product group."""
    return _stacked(programme.by("group"), lang, font_size=font_size, wrap=wrap, width=width)


def by_place_svg(
    programme: Programme,
    lang: str = "vi",
    *,
    dimension: str = "province",
    font_size: float = 9,
    limit: int = 20,
    width: float = WIDTH,
) -> str:
    """Recognised products by star for each province (or commune: ``dimension="commune"``), the
    ``limit`` places with most products (the rest summed as one bar)."""
    tallies = sorted(
        (x for x in programme.by(dimension) if x.recognised + x.provisional_total),
        key=lambda x: (-(x.recognised + x.provisional_total), sort_key(x.key)),
    )
    if len(tallies) > limit:
        rest = tallies[limit - 1 :]
        other = Tally(
            load_texts().t("prog_other_places", lang).format(count=len(rest)),
            {s: sum(x.certified[s] for x in rest) for s in RECOGNISED_STARS},
            {s: sum(x.provisional[s] for x in rest) for s in RECOGNISED_STARS},
            0,
            0,
            0,
        )
        tallies = [*tallies[: limit - 1], other]
    return _stacked(tallies, lang, font_size=font_size, wrap=34, width=width)


def _stacked(tallies: Sequence[Tally], lang: str, *, font_size: float, wrap: int, width: float) -> str:
    plt = _plt()
    t = load_texts()
    shown = [x for x in tallies if x.recognised + x.provisional_total]
    labels = [textwrap.fill(x.key, wrap) for x in shown]
    lines = sum(label.count("\n") + 1 for label in labels)
    with plt.rc_context({"font.size": font_size}):
        height = 0.3 * font_size / 9 * max(lines, 3) + 1.1
        fig, ax = plt.subplots(figsize=(width, height))
        if not shown:
            ax.text(0.5, 0.5, t.t("prog_none", lang), ha="center", va="center", transform=ax.transAxes)
            ax.set_yticks([])
            ax.set_xticks([])
            return _svg(fig)
        left = [0] * len(shown)
        for stars in RECOGNISED_STARS:
            values = [x.certified[stars] for x in shown]
            ax.barh(labels, values, left=left, color=STAR_COLOURS[stars], label=f"{stars}★", edgecolor="white")
            left = [a + b for a, b in zip(left, values, strict=True)]
        provisional = [x.provisional_total for x in shown]
        if any(provisional):
            ax.barh(
                labels,
                provisional,
                left=left,
                color=PROVISIONAL_COLOUR,
                hatch="//",
                edgecolor="#777",
                linewidth=0.4,
                label=t.t("prog_legend_provisional", lang),
            )
        for i, x in enumerate(shown):
            total = x.recognised + x.provisional_total
            ax.text(total, i, f" {total}", va="center", fontsize=font_size * 0.9)
        ax.invert_yaxis()
        ax.set_xlabel(t.t("prog_axis_products", lang))
        ax.xaxis.get_major_locator().set_params(integer=True)
        ax.set_xlim(0, max(x.recognised + x.provisional_total for x in shown) * 1.12 + 0.5)
        ax.spines[["top", "right"]].set_visible(False)
        ax.legend(ncol=4, loc="lower center", bbox_to_anchor=(0.5, 1.0), frameon=False)
        return _svg(fig)


__all__: Sequence[str] = ("by_place_svg", "cumulative_svg", "stars_by_group_svg")
