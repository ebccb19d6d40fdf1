"""The programme page: recognised OCOP products by star, sheet, group, commune, province and year,
against a province's own targets, in large type (``notebooks/programme.ipynb?token=…``).

Layer: views. Imports: ipywidgets, programme (counting and its HTML tables), programme_charts, texts,
views.common and views.contract. Holds no rules: every count comes from ``ocop_scoring.programme``.

Results are confidential: a token of any session of the store opens the page (the page spans every
session). The store is read once when the page opens and again on "Cập nhật" (refresh); the province
select only re-renders (charts are cached per province and language until the next read).
"""

from __future__ import annotations

import contextlib
import html
import logging
import traceback
from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any

import ipywidgets as ipw

from ocop_scoring import programme as prog
from ocop_scoring.errors import AccessDenied, OcopError
from ocop_scoring.texts import Texts, load_texts
from ocop_scoring.views import contract
from ocop_scoring.views.common import (
    STYLE,
    LangToggle,
    StatusLine,
    error_page,
    error_text,
    large_type_css,
    page_context,
    reports_errors,
)

log = logging.getLogger(__name__)
esc = html.escape
CHART_FONT = 16  # points (the charts are shown at their own size: about the page's type at 1920 px)
CHART_WIDTH = 11.0  # inches: about 900 px once matplotlib crops its margins (the chart column at 1920 px)


# --- renderers (pure: a programme in, HTML out) ---------------------------------------------------------


def render_head(data: prog.Programme, province: str | None, texts: Texts, lang: str) -> str:
    """The title, the province shown and the counts in words."""
    title = texts.t("prog_title", lang)
    where = province or texts.t("prog_all_provinces", lang)
    lines = "".join(f"<div class='ocop-prog-line'>{esc(line)}</div>" for line in prog.summary_lines(data, lang))
    totals = data.totals()
    return (
        f'<div class="ocop-prog-head" data-province="{esc(province or "")}" data-recognised="{totals.recognised}" '
        f'data-provisional="{totals.provisional_total}" data-products="{len(data.products)}">'
        f'<div class="ocop-prog-title">{esc(title)} — {esc(where)}</div>{lines}</div>'
    )


def render_progress(
    data: prog.Programme,
    province: str | None,
    targets: Mapping[str, prog.Targets],
    as_of: int,
    texts: Texts,
    lang: str,
) -> str:
    """Progress against the targets of the province shown (with all provinces: of each province of the
    data that has a targets file), or why there is none."""
    out = []
    if province:
        chosen = targets.get(prog.province_key(province))
        if chosen is None:
            message = texts.t("prog_no_targets", lang).format(province=province, slug=prog.province_slug(province))
            return f'<div class="ocop-prog-none">{esc(message)}</div>'
        shown = [(province, chosen)]
    else:
        present = {prog.province_key(p) for p in data.provinces()}
        shown = [(t.province, t) for key, t in sorted(targets.items()) if key in present]
        if not shown:
            names = ", ".join(t.province for _, t in sorted(targets.items())) or "—"
            return (
                f'<div class="ocop-prog-none">{esc(texts.t("prog_pick_province", lang).format(provinces=names))}</div>'
            )
    for name, chosen in shown:
        local = data.select(name)
        out.append(f'<div class="ocop-dash-h">{esc(texts.t("prog_targets_title", lang).format(province=name))}</div>')
        out.append(prog.progress_html(local.progress(chosen, as_of), chosen, lang))
    return "".join(out)


def render_tables(
    data: prog.Programme, province: str | None, targets: prog.Targets | None, as_of: int, texts: Texts, lang: str
) -> str:
    """The tables of counts: by star, by year (cumulative, with the targets), by product group, by
    sheet, by province (all provinces) and by commune."""
    t = texts.t
    out = []
    totals = replace(data.totals(), key=t("prog_all", lang))
    out.append(f'<div class="ocop-dash-h2">{esc(t("prog_by_stars", lang))}</div>')
    out.append(prog.tally_table_html([totals], "", lang, dimension="stars", footer=False))
    first = targets.targets[0].year if targets else None
    rows = data.cumulative(first, as_of if data.years() or targets else None)
    if rows:
        out.append(f'<div class="ocop-dash-h2">{esc(t("prog_by_year", lang))}</div>')
        out.append(prog.cumulative_table_html(rows, targets, lang))
    dimensions = [("group", "prog_by_group"), ("sheet", "prog_by_sheet")]
    dimensions.append(("commune", "prog_by_commune") if province else ("province", "prog_by_province"))
    for dimension, title in dimensions:
        out.append(f'<div class="ocop-dash-h2">{esc(t(title, lang))}</div>')
        head = t(f"prog_dim_{dimension}", lang)
        out.append(prog.tally_table_html(data.by(dimension), head, lang, dimension=dimension))
    if data.totals().provisional_total:
        out.append(f'<div class="ocop-legend">{esc(t("prog_legend_table", lang))}</div>')
    return "".join(out)


def render_charts(
    data: prog.Programme, province: str | None, targets: prog.Targets | None, as_of: int, texts: Texts, lang: str
) -> str:
    """The charts: cumulative by year against the targets, by star and group, by province or commune."""
    from ocop_scoring.programme_charts import by_place_svg, cumulative_svg, stars_by_group_svg

    t = texts.t
    figures = [
        (
            "cumulative",
            t("prog_chart_cumulative", lang),
            cumulative_svg(data, targets, lang, as_of=as_of, font_size=CHART_FONT, width=CHART_WIDTH),
        ),
        (
            "stars-group",
            t("prog_chart_stars_group", lang),
            stars_by_group_svg(data, lang, font_size=CHART_FONT, wrap=26, width=CHART_WIDTH),
        ),
    ]
    if province:
        figures.append(
            (
                "commune",
                t("prog_chart_commune", lang),
                by_place_svg(data, lang, dimension="commune", font_size=CHART_FONT, width=CHART_WIDTH),
            )
        )
    else:
        figures.append(
            (
                "province",
                t("prog_chart_province", lang),
                by_place_svg(data, lang, font_size=CHART_FONT, width=CHART_WIDTH),
            )
        )
    return "".join(
        f'<figure class="ocop-prog-chart" data-chart="{name}"><figcaption>{esc(title)}</figcaption>{svg}</figure>'
        for name, title, svg in figures
    )


# --- the widget ----------------------------------------------------------------------------------------


class ProgrammePage(ipw.VBox):
    """The programme page: a province select, the counts, the progress against targets, the charts.

    ``refresh()`` reads every session of the store once (``programme.from_store``); ``show(province)``
    re-renders from that read.
    """

    def __init__(
        self,
        store: Any,
        *,
        texts: Texts | None = None,
        lang: str = "vi",
        province: str | None = None,
        as_of: int | None = None,
        targets: Mapping[str, prog.Targets] | None = None,
    ) -> None:
        self.store = store
        self.texts = texts or load_texts()
        self.lang = lang if lang in ("vi", "en") else "vi"
        self.province = province or None
        self.as_of_given = as_of
        self.data: prog.Programme | None = None
        self.reads = 0
        self._charts: dict[tuple[str, str], str] = {}
        self._busy = False

        self.status = StatusLine(self.texts, self.lang)
        if targets is None:
            try:
                targets = prog.all_targets()
            except OcopError as exc:  # a broken targets file: say so, count without targets
                log.warning("targets: %s", exc)
                self.status.show_error(str(exc))
                targets = {}
        self.targets = dict(targets)
        self.head_html = ipw.HTML()
        self.head_html.add_class("ocop-prog-header")
        self.picker_label = ipw.HTML()
        self.picker = ipw.Dropdown(options=[("", "")], value="")
        self.picker.add_class(contract.PROVINCE_PICKER)
        self.refresh_button = ipw.Button(icon="refresh")
        self.refresh_button.add_class(contract.PROGRAMME_REFRESH)
        self.lang_toggle = LangToggle(self.lang)
        self.progress_html = ipw.HTML()
        self.progress_html.add_class("ocop-programme-progress")
        self.tables_html = ipw.HTML()
        self.tables_html.add_class(contract.PROGRAMME_TABLES)
        self.charts_html = ipw.HTML()
        self.charts_html.add_class(contract.PROGRAMME_CHARTS)
        controls = ipw.HBox([self.picker_label, self.picker, self.refresh_button, self.lang_toggle])
        controls.add_class("ocop-prog-controls")
        left = ipw.VBox([self.progress_html, self.tables_html])
        left.add_class("ocop-prog-left")
        body = ipw.HBox([left, self.charts_html])
        body.add_class("ocop-prog-body")
        style = ipw.HTML(STYLE + PROGRAMME_STYLE)
        style.layout.display = "none"
        super().__init__([style, controls, self.head_html, self.status, body])
        self.add_class("ocop-app")
        self.add_class(contract.PROGRAMME)
        self._set_labels()
        self.picker.observe(self._on_pick, names="value")
        self.lang_toggle.observe(self._on_lang, names="value")
        self.refresh_button.on_click(self._on_refresh)

    # --- the verbs --------------------------------------------------------------------------------

    @property
    def as_of(self) -> int:
        """The year the progress is seen from: the one given, else this year (or the data's last year, if later)."""
        if self.as_of_given is not None:
            return self.as_of_given
        years = self.data.years() if self.data is not None else []
        return max([date.today().year, *years])

    def refresh(self) -> None:
        """Read every session of the store again and re-render."""
        self.data = prog.from_store(self.store)
        self.reads += 1
        self._charts.clear()
        self._sync_picker()
        self.render()

    def show(self, province: str | None) -> None:
        """Show one province ("" or None: all provinces)."""
        self.picker.value = province or ""

    def render(self) -> None:
        """Re-render every part from the last read."""
        if self.data is None:
            return
        lang = self.lang
        province = self.province
        data = self.data.select(province)
        targets = self.targets.get(prog.province_key(province)) if province else None
        as_of = self.as_of
        with contextlib.ExitStack() as stack:
            for widget in (self.head_html, self.progress_html, self.tables_html, self.charts_html):
                stack.enter_context(widget.hold_sync())
            self.head_html.value = render_head(data, province, self.texts, lang)
            self.progress_html.value = render_progress(self.data, province, self.targets, as_of, self.texts, lang)
            self.tables_html.value = render_tables(data, province, targets, as_of, self.texts, lang)
            key = (province or "", lang)
            if key not in self._charts:
                self._charts[key] = render_charts(data, province, targets, as_of, self.texts, lang)
            self.charts_html.value = self._charts[key]

    # --- internals ------------------------------------------------------------------------------

    def _options(self) -> list[tuple[str, str]]:
        names = list(self.data.provinces()) if self.data is not None else []
        known = {prog.province_key(n) for n in names}
        names += [t.province for key, t in self.targets.items() if key not in known]
        names.sort(key=prog.sort_key)
        return [(self.texts.t("prog_all_provinces", self.lang), ""), *((n, n) for n in names)]

    def _sync_picker(self) -> None:
        options = self._options()
        values = {v for _, v in options}
        wanted = self.province if self.province in values else ""
        if not wanted and self.province:
            match = next((v for v in values if v and prog.province_key(v) == prog.province_key(self.province)), "")
            wanted = match
        self._busy = True
        try:
            self.picker.options = options
            self.picker.value = wanted
        finally:
            self._busy = False
        self.province = wanted or None

    def _set_labels(self) -> None:
        self.picker_label.value = f'<span class="ocop-dash-h2">{esc(self.texts.t("prog_province", self.lang))}</span>'
        self.refresh_button.description = self.texts.t("prog_refresh", self.lang)

    @reports_errors
    def _on_pick(self, change: Mapping[str, Any]) -> None:
        if self._busy:
            return
        self.province = change["new"] or None
        self.render()

    @reports_errors
    def _on_lang(self, change: Mapping[str, Any]) -> None:
        self.lang = change["new"] if change["new"] in ("vi", "en") else "vi"
        self.status.lang = self.lang
        self._set_labels()
        self._sync_picker()
        self.render()

    @reports_errors
    def _on_refresh(self, _button: Any) -> None:
        self.refresh()


# --- the page ---------------------------------------------------------------------------------------------


def programme_app(
    store: Any = None,
    session: str | None = None,
    token: str | None = None,
    lang: str | None = None,
    *,
    province: str | None = None,
    as_of: int | None = None,
) -> ipw.Widget:
    """The programme page (``notebooks/programme.ipynb``): a token of any session of the store opens it.

    Args:
        store: A ``SessionStore``, a SQLAlchemy URL or a SQLite file; None: ``$OCOP_STORE``.
        session: A session whose province is shown first (default: the token's session); the page
            shows the province of at least half that session's products, else every province.
        token: An access token of any session of the store; None: the link's ``?token=``.
        lang: ``vi`` or ``en``; None: the link's ``?lang=``, else Vietnamese.
        province: The province to show first (overrides the session's).
        as_of: The year progress is seen from (default: this year).

    Returns:
        The page, or a page that says why it cannot be shown (a bad link, no store).
    """
    from ocop_scoring.store import SessionStore

    texts = load_texts()
    store_arg = str(store) if isinstance(store, str | Path) else None
    ctx = page_context(store=store_arg, session=session, token=token, lang=lang)
    page_lang = ctx.lang
    try:
        opened = store if isinstance(store, SessionStore) else SessionStore(ctx.store_url, create=False)
        if not ctx.token:
            return error_page(texts.t("bad_link_title", page_lang), texts.t("prog_no_token", page_lang))
        actor = opened.actor_for_token(ctx.token)
        first = province
        if first is None:
            session_id = ctx.session_id if ctx.session_id in {s.session_id for s in opened.sessions()} else None
            state = opened.state(session_id or str(actor.session_id))
            first = prog.main_province(state.products)
        page = ProgrammePage(opened, texts=texts, lang=page_lang, province=first, as_of=as_of)
        page.refresh()
    except AccessDenied:
        return error_page(texts.t("bad_link_title", page_lang), texts.t("prog_bad_token", page_lang))
    except OcopError as exc:
        return error_page(
            texts.t("no_session_title", page_lang),
            texts.t("prog_store_error", page_lang).format(detail=error_text(exc, texts, page_lang)),
        )
    except Exception:  # noqa: BLE001 - a page, never a traceback; the details go to the log
        log.error("programme page failed\n%s", traceback.format_exc())
        return error_page(texts.t("no_session_title", page_lang), texts.t("unexpected_error", page_lang))
    return page


__all__: Sequence[str] = (
    "ProgrammePage",
    "programme_app",
    "render_charts",
    "render_head",
    "render_progress",
    "render_tables",
)


# --- style: the dashboard's large type (DASH_STYLE), two columns ---------------------------------------------

PROGRAMME_STYLE = (
    "<style>"
    + large_type_css("ocop-programme", 13)
    + """
.ocop-programme .ocop-prog-controls { align-items: center; gap: 0.6em; width: 100%; }
.ocop-programme .ocop-prog-controls select { font-size: 1em; height: auto; min-width: 18em; padding: 0.1em 0.3em; }
.ocop-programme .ocop-prog-controls .widget-dropdown { width: auto; height: auto; }
.ocop-programme .ocop-prog-controls button { font-size: 0.85em; height: auto; padding: 0.2em 0.6em; width: auto; }
.ocop-programme .ocop-prog-controls .ocop-lang { margin-left: auto; }
.ocop-programme .ocop-prog-title { font-size: 1.35em; font-weight: 700; line-height: 1.2; margin: 0.2em 0; }
.ocop-programme .ocop-prog-line { font-size: 1em; }
.ocop-programme .ocop-prog-body { width: 100%; align-items: flex-start; gap: 1.2em; }
.ocop-programme .ocop-prog-left { flex: 1 1 50%; min-width: 0; }
.ocop-programme .ocop-programme-charts { flex: 1 1 50%; min-width: 0; }
.ocop-programme .ocop-dash-h { font-weight: 700; font-size: 1.05em; margin: 0.5em 0 0.15em; }
.ocop-programme .ocop-dash-h2 { font-weight: 700; margin: 0.55em 0 0.1em; }
.ocop-programme th, .ocop-programme td { border: 1px solid #666; padding: 0.1em 0.35em; }
.ocop-programme thead th, .ocop-programme tfoot th, .ocop-programme tfoot td { background: #e6e6e6; font-weight: 700; }
.ocop-programme tbody th { text-align: left; font-weight: 400; max-width: 22em; }
.ocop-programme .ocop-num { text-align: right; white-space: nowrap; }
.ocop-programme .ocop-prov-count { color: #555; font-size: 0.85em; }
.ocop-programme .ocop-prog-target { color: #b00020; font-weight: 700; }
.ocop-programme .ocop-prog-targets ul { margin: 0.2em 0; padding: 0; list-style: none; }
.ocop-programme .ocop-prog-targets li { margin: 0.25em 0; padding: 0.1em 0.5em; border-left: 0.4em solid #777; }
.ocop-programme .ocop-prog-targets li.ocop-prog-status-met, .ocop-programme .ocop-prog-targets li.ocop-prog-status-on_track {
  border-left-color: #0a6b2d;
}
.ocop-programme .ocop-prog-targets li.ocop-prog-status-missed, .ocop-programme .ocop-prog-targets li.ocop-prog-status-behind {
  border-left-color: #b00020; background: #fdeef0;
}
.ocop-programme .ocop-prog-asof { margin: 0.1em 0; }
.ocop-programme .ocop-prog-source { font-size: 0.75em; color: #333; margin: 0.2em 0; }
.ocop-programme .ocop-prog-none { margin: 0.4em 0; color: #333; }
.ocop-programme .ocop-legend { font-size: 0.8em; margin-top: 0.3em; color: #222; }
.ocop-programme figure.ocop-prog-chart { margin: 0 0 0.8em; }
.ocop-programme figure.ocop-prog-chart figcaption { font-weight: 700; margin-bottom: 0.2em; }
.ocop-programme figure.ocop-prog-chart svg { max-width: 100%; height: auto; }
</style>
"""
)
