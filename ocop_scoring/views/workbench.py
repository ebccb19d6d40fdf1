"""The criteria workbench page: browse, edit a copy, check as you type, compare, version, Excel, what-if.

Layer: views. Imports: ipywidgets, criteria_io, store, texts, workbench, views.common. Holds no
rules: every check is ``workbench.check_sheet`` (the loader's own code), every number comes from
``workbench.what_if`` (the scoring engine), every file is written by ``workbench.save_version``.
The page writes no file of its own: the Excel export is a data: link.
"""

from __future__ import annotations

import base64
import html
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import partial
from pathlib import Path
from typing import Any

import ipywidgets as ipw

from ocop_scoring import workbench as wb
from ocop_scoring.criteria_io import Library, load_library
from ocop_scoring.errors import AccessDenied, CriteriaSheetError, OcopError, Problem
from ocop_scoring.explain import round_half_up
from ocop_scoring.model import Criterion, Sheet
from ocop_scoring.texts import Texts, load_texts
from ocop_scoring.views import contract
from ocop_scoring.views.common import STYLE, LangToggle, StatusLine, error_page, page_context, reports_errors
from ocop_scoring.views.contract import (  # page-specific classes
    ADD_OPTION,
    DOWNLOAD,
    EXPAND,
    EXPORT,
    FIT_MAXIMA,
    IMPORT,
    MAX_POINTS,
    NODE_PICKER,
    OPT_DOWN,
    OPT_POINTS,
    OPT_REMOVE,
    OPT_TEXT_EN,
    OPT_TEXT_VI,
    OPT_UP,
    OPTION_PREFIX,
    RESET,
    RULESET_PICKER,
    STAR_PREFIX,
    TEXT_EN,
    TEXT_VI,
    TOKEN,
    TREE,
    VERSION_NAME,
    WHATIF_TABLE,
)

log = logging.getLogger(__name__)

XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

WB_STYLE = """
<style>
.ocop-wb .ocop-wb-tree { max-height: 78vh; overflow-y: auto; border: 1px solid #bbb; padding: 4px 8px; background: #fff; }
.ocop-wb .ocop-wb-crit { margin: 6px 0 2px 0; }
.ocop-wb .ocop-wb-crit-head { font-weight: 600; }
.ocop-wb .ocop-wb-sub { margin-left: 1.2em; }
.ocop-wb .ocop-wb-selected { background: #e8f0fe; outline: 2px solid #1f4e9a; }
.ocop-wb .ocop-wb-changed { background: #fff4c2; }
.ocop-wb ol.ocop-wb-opts { margin: 2px 0 2px 0; padding-left: 2.2em; }
.ocop-wb ol.ocop-wb-opts li { margin: 1px 0; }
.ocop-wb .ocop-wb-pts { font-weight: 700; white-space: nowrap; }
.ocop-wb .ocop-wb-max { color: #555; font-weight: 400; white-space: nowrap; }
.ocop-wb .ocop-wb-panel { border: 1px solid #bbb; padding: 4px 10px; margin: 6px 0; background: #fafafa; }
.ocop-wb .ocop-wb-panel h4, .ocop-wb h3 { margin: 4px 0; }
.ocop-wb .ocop-wb-ok { color: #0a6b2d; font-weight: 600; }
.ocop-wb .ocop-wb-bad { color: #b00020; font-weight: 600; }
.ocop-wb ul.ocop-wb-problems li { color: #b00020; margin: 2px 0; }
.ocop-wb table.ocop-table { font-size: 14px; margin: 4px 0; }
.ocop-wb table.ocop-table th { background: #eef2f8; text-align: left; }
.ocop-wb tr.ocop-wb-up td { background: #e2efda; }
.ocop-wb tr.ocop-wb-down td { background: #fbe3e3; }
.ocop-wb .ocop-wb-help { color: #555; font-size: 13px; }
.ocop-wb .ocop-wb-intro { color: #333; font-size: 15px; padding: 4px 0; }
.ocop-wb .ocop-wb-optnum { font-weight: 700; min-width: 2em; padding-top: 4px; }
.ocop-wb .ocop-wb-optstar { min-width: 5em; padding-top: 4px; }
.ocop-wb .widget-button { min-width: 2.4em; }
.ocop-wb textarea, .ocop-wb input { font-family: inherit; font-size: 14px; }
.ocop-wb details.ocop-wb-group > summary { cursor: pointer; }
.ocop-wb details.ocop-wb-group[open] { padding-bottom: 4px; }
</style>
"""


def sheet_label(sheet: Sheet, texts: Texts, lang: str = "vi") -> str:
    """How the sheet picker names an official sheet: ``qd26-2026-04 — <title> (official)``."""
    title = sheet.title_en if lang == "en" and sheet.title_en else sheet.title_vi
    return f"{sheet.sheet_id} — {title} ({texts.t('wb_official', lang)})"


def version_label(version: wb.Version, texts: Texts, lang: str = "vi") -> str:
    """How the sheet picker names a saved version."""
    return f"{version.sheet_id} ({texts.t('wb_version', lang)})"


def node_label(node: Criterion, lang: str = "vi") -> str:
    """How the item picker names a group or criterion: indented by depth, code, then the text."""
    depth = 0 if node.kind == "group" else len(node.code.split(".")) - 1
    text = _text(node, lang)
    short = text if len(text) <= 70 else text[:69] + "…"
    return "\u2003" * (depth + 1) + f"{node.code} — {short}"


def _star(n: int | None) -> str:
    return f'<span class="ocop-star">{"★" * n}</span>' if n else ""


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


def _text(obj: Any, lang: str) -> str:
    if lang == "en" and getattr(obj, "text_en", None):
        return str(obj.text_en)
    return str(obj.text_vi)


def render_tree(
    sheet: Sheet, texts: Texts, lang: str, *, selected: str | None, changed: set[str], expand: bool = False
) -> str:
    """The sheet as a readable tree: parts, groups, criteria, options with points and ★ markers.

    Each criterion group folds (``<details>``); the group holding the selected item, and every
    group with a change, are open (all of them with ``expand``).
    """
    out = [f'<div class="{TREE}-body" data-sheet="{_e(sheet.sheet_id)}">']
    title = sheet.title_en if lang == "en" and sheet.title_en else sheet.title_vi
    out.append(f"<div><b>{_e(sheet.sheet_id)}</b> — {_e(title)}</div>")

    def anomaly(a: Any) -> str:
        if a is None:
            return ""
        note = a.note_en if lang == "en" and a.note_en else a.note_vi
        return f'<div class="ocop-anomaly-note">! {_e(note)}</div>'

    def head(n: Criterion, tag: str, cls: str) -> str:
        return (
            f'<{tag} class="{cls}">{_e(n.code)}. {_e(_text(n, lang))} '
            f'<span class="ocop-wb-max">[{n.max_points}]</span></{tag}>'
        )

    def body(n: Criterion, depth: int) -> Iterator[str]:
        yield anomaly(n.anomaly)
        if n.condition is not None:
            cond = texts.t("wb_condition", lang).format(criterion=n.condition.criterion, points=n.condition.min_points)
            yield f'<div class="ocop-note">({_e(cond)})</div>'
        for k in n.knockout_vi:
            yield f'<div class="ocop-knockout-note">{_e(k)}</div>'
        if n.options:
            yield '<ol class="ocop-wb-opts">'
            for o in n.options:
                case = f"<i>{_e(o.case)})</i> " if o.case else ""
                yield (
                    f'<li data-option="{o.number}" data-points="{o.points}" data-star="{o.star or ""}">{case}'
                    f'{_e(_text(o, lang))} = <span class="ocop-wb-pts">{o.points}</span> {_star(o.star)}'
                    f"{anomaly(o.anomaly)}</li>"
                )
            yield "</ol>"
        for child in n.children:
            yield from node(child, depth + 1)

    def classes(n: Criterion, base: str) -> str:
        out = [base]
        if n.code == selected:
            out.append("ocop-wb-selected")
        if n.code in changed:
            out.append("ocop-wb-changed")
        return " ".join(out)

    def node(n: Criterion, depth: int) -> Iterator[str]:
        base = "ocop-wb-crit" + (" ocop-wb-sub" if depth > 1 else "")
        yield f'<div class="{classes(n, base)}" data-code="{_e(n.code)}">'
        yield head(n, "div", "ocop-wb-crit-head")
        yield from body(n, depth)
        yield "</div>"

    for part in sheet.parts:
        label = part.label_en if lang == "en" and part.label_en else part.label_vi
        cls = "ocop-part-head" + (" ocop-wb-selected" if selected == f"part:{part.code}" else "")
        cls += " ocop-wb-changed" if f"part:{part.code}" in changed else ""
        out.append(f'<div class="{cls}">{_e(label)} <span class="ocop-wb-max">[{part.max_points}]</span></div>')
        out.append(anomaly(part.anomaly))
        for group in part.groups:
            codes = {n.code for n in group.walk()}
            is_open = expand or selected in codes or bool(codes & changed)
            out.append(
                f'<details class="{classes(group, "ocop-wb-group")}" data-code="{_e(group.code)}"'
                f"{' open' if is_open else ''}>"
            )
            out.append(head(group, "summary", "ocop-group-head"))
            out.extend(body(group, 0))
            out.append("</details>")
    out.append("</div>")
    return "".join(out)


def render_problems(problems: list[Problem], texts: Texts, lang: str, *, head: str | None = None) -> str:
    """The problems of an edit (or of an imported workbook) in plain words."""
    if not problems:
        return (
            f'<div class="ocop-wb-validation-body" data-count="0"><span class="ocop-wb-ok">✔ '
            f"{_e(texts.t('wb_valid', lang))}</span></div>"
        )
    items = "".join(
        f'<li data-key="{_e(p.key)}" title="{_e(p)}">{_e(wb.describe_problem(p, texts, lang))}</li>' for p in problems
    )
    head = head or texts.t("wb_problems", lang).format(n=len(problems))
    return (
        f'<div class="ocop-wb-validation-body" data-count="{len(problems)}"><span class="ocop-wb-bad">✖ {_e(head)}'
        f'</span><ul class="ocop-wb-problems">{items}</ul></div>'
    )


def render_diff(changes: list[wb.Change], official: Sheet, texts: Texts, lang: str) -> str:
    """The differences from the official sheet as a table."""
    if not changes:
        return (
            f'<div class="ocop-wb-diff-body" data-count="0">'
            f"{_e(texts.t('wb_no_diff', lang).format(sheet=official.sheet_id))}</div>"
        )
    rows = []
    for c in changes:
        where, what, before, after = wb.describe_change(c, texts, lang)
        rows.append(
            f'<tr data-where="{_e(c.where)}" data-code="{_e(c.code)}" data-option="{c.option or ""}" '
            f'data-field="{_e(c.field)}"><td>{_e(where)}</td><td>{_e(what)}</td><td>{_e(before)}</td>'
            f"<td>{_e(after)}</td></tr>"
        )
    head = "".join(
        f"<th>{_e(texts.t(k, lang))}</th>" for k in ("wb_col_where", "wb_col_what", "wb_col_before", "wb_col_after")
    )
    return (
        f'<div class="ocop-wb-diff-body" data-count="{len(changes)}">'
        f"{_e(texts.t('wb_diff_count', lang).format(n=len(changes), sheet=official.sheet_id))}"
        f'<table class="ocop-table"><thead><tr>{head}</tr></thead><tbody>{"".join(rows)}</tbody></table></div>'
    )


def _mean(value: Any, lang: str) -> str:
    text = str(round_half_up(value))
    return text.replace(".", ",") if lang == "vi" else text


def _stars_cell(result: Any, texts: Texts, lang: str) -> str:
    if result.rejected:
        return _e(texts.t("wb_rejected", lang))
    recognized = texts.t("wb_recognized" if result.recognized else "wb_not_recognized", lang)
    extra = ""
    if result.forwarded_to:
        extra = "; " + texts.t("wb_forwarded", lang).format(level=texts.t(f"level_{result.forwarded_to}", lang))
    return f"{_star(result.stars)} {result.stars} ({_e(recognized)}{_e(extra)})"


def render_changes(result: wb.WhatIf, names: dict[str, str], texts: Texts, lang: str) -> str:
    """The products whose star (or recognition) would change, one row each (``ocop-change-<id>``)."""
    if not result.changes:
        msg = texts.t("wb_no_changes", lang).format(n=len(result.products), sheet=result.sheet_id)
        return f'<div class="ocop-wb-changes-body" data-count="0"><h4>{_e(texts.t("wb_changes_head", lang))}</h4>{_e(msg)}</div>'
    keys = (
        "wb_col_product",
        "wb_col_name",
        "wb_col_old_mean",
        "wb_col_old_stars",
        "wb_col_new_mean",
        "wb_col_new_stars",
        "wb_col_why",
    )
    head = "".join(f"<th>{_e(texts.t(k, lang))}</th>" for k in keys)
    rows = []
    for c in result.changes:
        direction = "ocop-wb-up" if c.new_stars > c.old_stars else "ocop-wb-down" if c.new_stars < c.old_stars else ""
        why = "".join(f"<li>{_e(w)}</li>" for w in wb.describe_why(c, texts, lang))
        old = result.official.product(c.product_id)
        new = result.edited.product(c.product_id)
        rows.append(
            f'<tr class="{contract.change_class(c.product_id)} {direction}" data-product="{_e(c.product_id)}" '
            f'data-old-stars="{c.old_stars}" data-new-stars="{c.new_stars}" '
            f'data-old-mean="{old.mean_text}" data-new-mean="{new.mean_text}" '
            f'data-old-recognized="{str(c.old_recognized).lower()}" data-new-recognized="{str(c.new_recognized).lower()}">'
            f"<td><b>{_e(c.product_id)}</b></td><td>{_e(names.get(c.product_id, ''))}</td>"
            f"<td>{_mean(c.old_mean, lang)}</td><td>{_stars_cell(old, texts, lang)}</td>"
            f"<td>{_mean(c.new_mean, lang)}</td><td>{_stars_cell(new, texts, lang)}</td>"
            f"<td><ul>{why}</ul></td></tr>"
        )
    return (
        f'<div class="ocop-wb-changes-body" data-count="{len(result.changes)}">'
        f"<h4>{_e(texts.t('wb_changes_head', lang))}</h4>"
        f'<table class="ocop-table"><thead><tr>{head}</tr></thead><tbody>{"".join(rows)}</tbody></table></div>'
    )


def render_side_by_side(result: wb.WhatIf, names: dict[str, str], texts: Texts, lang: str) -> str:
    """Every product of the sheet: the official result beside the what-if result."""
    keys = (
        "wb_col_product",
        "wb_col_name",
        "wb_col_old_mean",
        "wb_col_old_stars",
        "wb_col_new_mean",
        "wb_col_new_stars",
        "wb_col_changed",
    )
    head = "".join(f"<th>{_e(texts.t(k, lang))}</th>" for k in keys)
    changed = {c.product_id for c in result.changes}
    rows = []
    for pid in result.products:
        old, new = result.official.product(pid), result.edited.product(pid)
        rows.append(
            f'<tr data-product="{_e(pid)}" data-old-stars="{old.stars}" data-new-stars="{new.stars}">'
            f"<td>{_e(pid)}</td><td>{_e(names.get(pid, ''))}</td><td>{_mean(old.mean_total, lang)}</td>"
            f"<td>{_stars_cell(old, texts, lang)}</td><td>{_mean(new.mean_total, lang)}</td>"
            f"<td>{_stars_cell(new, texts, lang)}</td><td>{'●' if pid in changed else ''}</td></tr>"
        )
    left_out = ""
    if result.problems:
        items = "".join(f"<li>{_e(wb.describe_tick_problem(p, texts, lang))}</li>" for p in result.problems[:50])
        more = f"<li>… (+{len(result.problems) - 50})</li>" if len(result.problems) > 50 else ""
        left_out = (
            f'<div class="ocop-wb-left-out" data-count="{len(result.left_out)}"><b>{_e(texts.t("wb_left_out", lang))}</b>'
            f"<ul>{items}{more}</ul></div>"
        )
    return (
        f"<h4>{_e(texts.t('wb_side_head', lang).format(sheet=result.sheet_id))}</h4>"
        f'<table class="ocop-table"><thead><tr>{head}</tr></thead><tbody>{"".join(rows)}</tbody></table>{left_out}'
    )


class CriteriaWorkbench(ipw.VBox):
    """The criteria workbench for evaluators between rounds.

    Args:
        library: The official criteria (rule sets and sheets).
        store: The session store for the what-if (None: what-if unavailable).
        session_id: The session to preselect for the what-if.
        token: An access token from the page's link (never shown).
        lang: ``vi`` or ``en``.
        texts: The packaged texts.
        drafts_dir: Where versions are saved (default: ``workbench.default_drafts_dir()``).
    """

    def __init__(
        self,
        library: Library,
        *,
        store: Any = None,
        session_id: str | None = None,
        token: str | None = None,
        lang: str = "vi",
        texts: Texts | None = None,
        drafts_dir: Path | str | None = None,
    ) -> None:
        self.library = library
        self.store = store
        self.texts = texts or load_texts()
        self.lang = lang
        self.drafts_dir = wb.drafts_root(drafts_dir)
        self._url_token = token or ""
        self._quiet = 0
        self.versions: list[wb.Version] = []
        self.picked: Sheet | None = None
        self.official: Sheet | None = None
        self.edited: Sheet | None = None
        self.node_code: str | None = None
        self.problems: list[Problem] = []
        self.changes: list[wb.Change] = []
        self.result: wb.WhatIf | None = None
        self._labels: list[tuple[Any, str, str]] = []
        self._store_note = ""
        self._names: dict[str, str] = {}

        self.status = StatusLine(self.texts, lang)
        self.lang_toggle = LangToggle(lang)
        self.lang_toggle.layout = ipw.Layout(flex="0 0 auto", width="auto")
        self.title = ipw.HTML(layout=ipw.Layout(flex="1 1 auto", margin="0 2em 0 0"))
        self.ruleset_picker = self._dropdown(RULESET_PICKER, "wb_ruleset", width="30em")
        self.sheet_picker = self._dropdown(contract.SHEET_PICKER, "wb_sheet", width="44em")
        self.reset_button = self._button(RESET, "wb_reset")
        self.expand = ipw.ToggleButton(value=False, layout=ipw.Layout(width="auto"))
        self.expand.add_class(EXPAND)
        self._label(self.expand, "description", "wb_expand")
        self.tree = ipw.HTML(layout=ipw.Layout(width="100%"))
        self.tree.add_class(TREE)
        self.node_picker = self._dropdown(NODE_PICKER, "wb_node", width="100%")
        self.text_vi = self._textarea(TEXT_VI, "wb_text_vi")
        self.text_en = self._textarea(TEXT_EN, "wb_text_en")
        self.max_points = ipw.IntText(continuous_update=False, layout=ipw.Layout(width="16em"))
        self.max_points.add_class(MAX_POINTS)
        self._label(self.max_points, "description", "wb_max_points")
        self.max_points.style.description_width = "initial"
        self.stars_box = ipw.HBox()
        self.options_head = ipw.HTML()
        self.options_box = ipw.VBox()
        self.add_option_button = self._button(ADD_OPTION, "wb_add_option")
        self.fit_button = self._button(FIT_MAXIMA, "wb_fit_maxima", tooltip="wb_fit_help")
        self.validation = ipw.HTML()
        self.validation.add_class(contract.VALIDATION)
        self.diff = ipw.HTML()
        self.diff.add_class(contract.DIFF)
        self.version_name = ipw.Text(continuous_update=False, layout=ipw.Layout(width="30em"))
        self.version_name.add_class(VERSION_NAME)
        self._label(self.version_name, "description", "wb_version_name")
        self._label(self.version_name, "placeholder", "wb_version_placeholder")
        self.version_name.style.description_width = "initial"
        self.save_button = self._button(contract.SAVE_VERSION, "wb_save", style="primary")
        self.drafts_note = ipw.HTML()
        self.export_button = self._button(EXPORT, "wb_export")
        self.download = ipw.HTML()
        self.download.add_class(DOWNLOAD)
        self.upload = ipw.FileUpload(accept=".xlsx", multiple=False)
        self.upload.add_class(IMPORT)
        self._label(self.upload, "description", "wb_import")
        self.upload.layout.width = "14em"
        self.session_picker = self._dropdown(contract.WHATIF_SESSION, "wb_whatif_session", width="40em")
        self.token_box = ipw.Password(layout=ipw.Layout(width="24em"))
        self.token_box.add_class(TOKEN)
        self._label(self.token_box, "description", "wb_token")
        self.token_box.style.description_width = "initial"
        self.run_button = self._button(contract.WHATIF_RUN, "wb_whatif_run", style="primary")
        self.changes_view = ipw.HTML()
        self.changes_view.add_class(contract.WHATIF_CHANGES)
        self.side_view = ipw.HTML()
        self.side_view.add_class(WHATIF_TABLE)
        self.headings = {
            key: ipw.HTML()
            for key in (
                "wb_tree_head",
                "wb_edit_head",
                "wb_validation_head",
                "wb_diff_head",
                "wb_save_head",
                "wb_xlsx_head",
                "wb_whatif_head",
            )
        }
        self.help = {key: ipw.HTML() for key in ("wb_xlsx_help", "wb_whatif_help", "wb_whatif_store")}

        editor = ipw.VBox(
            [
                self.headings["wb_edit_head"],
                self.node_picker,
                self.text_vi,
                self.text_en,
                self.max_points,
                self.stars_box,
                self.options_head,
                self.options_box,
                ipw.HBox([self.add_option_button, self.fit_button]),
            ],
            layout=ipw.Layout(border="1px solid #bbb", padding="4px 10px"),
        )
        tree_head = ipw.HBox(
            [self.headings["wb_tree_head"], self.expand],
            layout=ipw.Layout(justify_content="space-between", align_items="center"),
        )
        left = ipw.VBox([tree_head, self.tree], layout=ipw.Layout(width="46%"))
        right = ipw.VBox(
            [
                editor,
                self._panel(self.headings["wb_validation_head"], self.validation),
                self._panel(self.headings["wb_diff_head"], self.diff),
            ],
            layout=ipw.Layout(width="53%", margin="0 0 0 1%"),
        )
        save = self._panel(
            self.headings["wb_save_head"], ipw.HBox([self.version_name, self.save_button]), self.drafts_note
        )
        xlsx = self._panel(
            self.headings["wb_xlsx_head"],
            self.help["wb_xlsx_help"],
            ipw.HBox([self.export_button, self.download, self.upload]),
        )
        whatif = self._panel(
            self.headings["wb_whatif_head"],
            self.help["wb_whatif_help"],
            self.help["wb_whatif_store"],
            ipw.HBox([self.session_picker, self.token_box, self.run_button]),
            ipw.HBox(
                [
                    ipw.Box([self.changes_view], layout=ipw.Layout(width="55%")),
                    ipw.Box([self.side_view], layout=ipw.Layout(width="44%", margin="0 0 0 1%")),
                ]
            ),
        )
        top = ipw.HBox([self.title, self.lang_toggle], layout=ipw.Layout(justify_content="space-between"))
        pickers = ipw.HBox([self.ruleset_picker, self.sheet_picker, self.reset_button])
        super().__init__(
            [
                ipw.HTML(STYLE + WB_STYLE),
                top,
                pickers,
                self.status,
                ipw.HBox([left, right]),
                ipw.HBox(
                    [
                        ipw.Box([save], layout=ipw.Layout(width="50%")),
                        ipw.Box([xlsx], layout=ipw.Layout(width="49%", margin="0 0 0 1%")),
                    ]
                ),
                whatif,
            ]
        )
        self.add_class("ocop-app")
        self.add_class("ocop-wb")

        self.lang_toggle.observe(self._on_lang, names="value")
        self.ruleset_picker.observe(self._on_ruleset, names="value")
        self.sheet_picker.observe(self._on_sheet, names="value")
        self.reset_button.on_click(self._on_reset)
        self.expand.observe(self._on_expand, names="value")
        self.node_picker.observe(self._on_node, names="value")
        self.text_vi.observe(partial(self._on_node_field, "text_vi"), names="value")
        self.text_en.observe(partial(self._on_node_field, "text_en"), names="value")
        self.max_points.observe(partial(self._on_node_field, "max_points"), names="value")
        self.add_option_button.on_click(self._on_add_option)
        self.fit_button.on_click(self._on_fit)
        self.save_button.on_click(self._on_save)
        self.export_button.on_click(self._on_export)
        self.upload.observe(self._on_upload, names="value")
        self.run_button.on_click(self._on_run)

        self._apply_labels()
        self._fill_sessions(session_id)
        self.versions = wb.list_versions(self.drafts_dir)
        with self._silent():
            self.ruleset_picker.options = self._ruleset_options()
            self.ruleset_picker.value = self._default_ruleset()
            self.sheet_picker.options = self._sheet_options()
        first = self.sheet_picker.options[0][1] if self.sheet_picker.options else None
        if first is not None:
            with self._silent():
                self.sheet_picker.value = first
            self._pick(first)

    # --- building blocks ----------------------------------------------------------------------------

    def _label(self, widget: Any, attr: str, key: str) -> None:
        self._labels.append((widget, attr, key))

    def _dropdown(self, cls: str, key: str, *, width: str) -> ipw.Dropdown:
        d = ipw.Dropdown(options=[], layout=ipw.Layout(width=width))
        d.style.description_width = "initial"
        d.add_class(cls)
        self._label(d, "description", key)
        return d

    def _button(self, cls: str, key: str, *, style: str = "", tooltip: str | None = None) -> ipw.Button:
        b = ipw.Button(button_style=style, layout=ipw.Layout(width="auto"))
        b.add_class(cls)
        self._label(b, "description", key)
        if tooltip:
            self._label(b, "tooltip", tooltip)
        return b

    def _textarea(self, cls: str, key: str) -> ipw.Textarea:
        t = ipw.Textarea(continuous_update=False, rows=2, layout=ipw.Layout(width="100%"))
        t.style.description_width = "11em"
        t.add_class(cls)
        self._label(t, "description", key)
        return t

    @staticmethod
    def _panel(*children: Any) -> ipw.VBox:
        box = ipw.VBox(list(children), layout=ipw.Layout(width="100%"))
        box.add_class("ocop-wb-panel")
        return box

    @contextmanager
    def _silent(self) -> Iterator[None]:
        """Set widget values without their observers editing the sheet."""
        self._quiet += 1
        try:
            yield
        finally:
            self._quiet -= 1

    def t(self, key: str, **values: Any) -> str:
        """A text in the page's language."""
        text = self.texts.t(key, self.lang)
        return text.format(**values) if values else text

    def _apply_labels(self) -> None:
        for widget, attr, key in self._labels:
            setattr(widget, attr, self.t(key))
        self.title.value = f"<div class='ocop-wb-intro' title='{_e(self.t('wb_title'))}'>{_e(self.t('wb_intro'))}</div>"
        for key, widget in self.headings.items():
            widget.value = f"<h3>{_e(self.t(key))}</h3>"
        self.help["wb_xlsx_help"].value = f"<div class='ocop-wb-help'>{_e(self.t('wb_xlsx_help'))}</div>"
        self.help["wb_whatif_help"].value = f"<div class='ocop-wb-help'>{_e(self.t('wb_whatif_help'))}</div>"
        self.drafts_note.value = f"<div class='ocop-wb-help'>{_e(self.t('wb_drafts_at', path=self.drafts_dir))}</div>"
        note = self._store_note
        self.help["wb_whatif_store"].value = f"<div class='ocop-wb-bad'>{_e(self.t(note))}</div>" if note else ""
        self.token_box.placeholder = self.t("wb_token_from_link") if self._url_token else self.t("wb_token_placeholder")

    # --- pickers ------------------------------------------------------------------------------------

    def _ruleset_options(self) -> list[tuple[str, str]]:
        out = []
        for rid, rs in sorted(self.library.rulesets.items(), key=lambda kv: kv[1].effective_from, reverse=True):
            count = len(self.library.sheets_of(rid))
            out.append((f"{rid} — {rs.decision_vi} ({count})", rid))
        return out

    def _default_ruleset(self) -> str:
        if self.store is not None and self.session_picker.value:
            try:
                rid = self.store.session(self.session_picker.value).ruleset_id
                if rid in self.library.rulesets:
                    return rid
            except OcopError:
                log.info("session %s not readable", self.session_picker.value)
        with_sheets = [v for _, v in self._ruleset_options() if self.library.sheets_of(v)]
        return with_sheets[0] if with_sheets else self._ruleset_options()[0][1]

    def _sheet_options(self) -> list[tuple[str, str]]:
        rid = self.ruleset_picker.value
        options = [
            (sheet_label(s, self.texts, self.lang), f"official:{s.sheet_id}") for s in self.library.sheets_of(rid)
        ]
        options += [
            (version_label(v, self.texts, self.lang), f"version:{v.path}") for v in self.versions if v.ruleset_id == rid
        ]
        return options

    def _node_options(self) -> list[tuple[str, str]]:
        assert self.edited is not None
        out: list[tuple[str, str]] = []
        for part in self.edited.parts:
            out.append((self.t("wb_part_label", code=part.code), f"part:{part.code}"))
            for group in part.groups:
                out.extend((node_label(n, self.lang), n.code) for n in group.walk())
        return out

    def _fill_sessions(self, session_id: str | None) -> None:
        if self.store is None:
            self._store_note = "wb_no_store"
            self.session_picker.disabled = self.run_button.disabled = self.token_box.disabled = True
            self._apply_labels()
            return
        sessions = self.store.sessions()
        if not sessions:
            self._store_note = "wb_no_sessions"
            self.run_button.disabled = True
            self._apply_labels()
            return
        self._store_note = ""
        wanted = session_id
        if wanted is None and self._url_token:
            try:
                wanted = self.store.actor_for_token(self._url_token).session_id
            except OcopError:
                wanted = None
        with self._silent():
            self.session_picker.options = [(f"{s.session_id} — {s.name}", s.session_id) for s in sessions]
            ids = [s.session_id for s in sessions]
            self.session_picker.value = wanted if wanted in ids else ids[0]

    # --- state changes ------------------------------------------------------------------------------

    def _pick(self, value: str) -> None:
        """Show a sheet as picked (official, or a saved version) and start editing a copy of it."""
        kind, _, ref = value.partition(":")
        sheet = wb.load_version(ref, self.library.rulesets) if kind == "version" else self.library.sheet(ref)
        official = self.library.sheet(wb.official_id(sheet.sheet_id))
        self.picked, self.official, self.edited = sheet, official, sheet
        self.result = None
        self.changes_view.value = self.side_view.value = ""
        self.download.value = ""
        self._refresh_nodes(keep=self.node_code)
        self._after_edit(rebuild=True)

    def _refresh_nodes(self, keep: str | None = None) -> None:
        options = self._node_options()
        values = [v for _, v in options]
        with self._silent():
            self.node_picker.options = options
            self.node_picker.value = keep if keep in values else self._first_leaf(values)
        self.node_code = self.node_picker.value

    def _first_leaf(self, values: list[str]) -> str | None:
        assert self.edited is not None
        leaves = [v for v in values if not v.startswith("part:") and self.edited.has_leaf(v)]
        return leaves[0] if leaves else (values[0] if values else None)

    def _after_edit(self, *, rebuild: bool = False) -> None:
        """Re-check the edit, re-list the differences, redraw the tree (and the form if asked)."""
        assert self.edited is not None and self.official is not None
        self.problems = wb.check_sheet(self.edited, self.library.rulesets)
        self.changes = wb.diff_sheets(self.official, self.edited)
        self.validation.value = render_problems(self.problems, self.texts, self.lang)
        self.diff.value = render_diff(self.changes, self.official, self.texts, self.lang)
        changed = {("part:" + c.code) if c.where == "part" else c.code for c in self.changes}
        self.tree.value = render_tree(
            self.edited, self.texts, self.lang, selected=self.node_code, changed=changed, expand=self.expand.value
        )
        if rebuild:
            self._build_form()

    def _node(self) -> Criterion | None:
        if self.edited is None or self.node_code is None or self.node_code.startswith("part:"):
            return None
        return self.edited.criterion(self.node_code)

    def _build_form(self) -> None:
        """Fill the form with the selected item: texts, maximum, star minimums, one row per option."""
        assert self.edited is not None
        code = self.node_code
        with self._silent():
            if code is None:
                return
            if code.startswith("part:"):
                part = next(p for p in self.edited.parts if p.code == code[5:])
                self.text_vi.value = part.label_vi
                self.text_en.value = part.label_en or ""
                self.max_points.value = part.max_points
                self.stars_box.children = ()
                self.options_head.value = ""
                self.options_box.children = ()
                self.add_option_button.layout.display = "none"
                return
            node = self.edited.criterion(code)
            self.text_vi.value = node.text_vi
            self.text_en.value = node.text_en or ""
            self.max_points.value = node.max_points
            if not node.options:
                self.stars_box.children = ()
                self.options_head.value = f"<div class='ocop-wb-help'>{_e(self.t('wb_no_options'))}</div>"
                self.options_box.children = ()
                self.add_option_button.layout.display = "none"
                return
            self.add_option_button.layout.display = None
            self.options_head.value = f"<b>{_e(self.t('wb_options_head'))}</b>"
            self.stars_box.children = tuple(self._star_picker(node, level) for level in self._star_levels())
            self.options_box.children = tuple(self._option_row(node, o.number) for o in node.options)

    def _star_levels(self) -> tuple[int, ...]:
        assert self.edited is not None
        rs = self.library.rulesets.get(self.edited.ruleset_id)
        return rs.minimum_star_levels if rs else (3, 4, 5)

    def _star_picker(self, node: Criterion, level: int) -> ipw.Dropdown:
        current = next((o.number for o in node.options if o.star == level), 0)
        choices = [(self.t("wb_star_none"), 0)] + [(str(o.number), o.number) for o in node.options]
        d = ipw.Dropdown(
            options=choices,
            value=current,
            description=self.t("wb_star_minimum", stars=level),
            layout=ipw.Layout(width="17em", margin="0 1.5em 0 0"),
        )
        d.style.description_width = "initial"
        d.add_class(f"{STAR_PREFIX}{level}")
        d.observe(partial(self._on_star, level), names="value")
        return d

    def _option_row(self, node: Criterion, number: int) -> ipw.HBox:
        o = node.options[number - 1]
        num = ipw.HTML(f"<div class='ocop-wb-optnum'>{number}.</div>")
        text_vi = ipw.Textarea(value=o.text_vi, continuous_update=False, rows=2, layout=ipw.Layout(width="100%"))
        text_vi.add_class(OPT_TEXT_VI)
        text_en = ipw.Text(
            value=o.text_en or "",
            continuous_update=False,
            placeholder=self.t("wb_text_en"),
            layout=ipw.Layout(width="100%"),
        )
        text_en.add_class(OPT_TEXT_EN)
        points = ipw.IntText(
            value=o.points, continuous_update=False, description=self.t("wb_points"), layout=ipw.Layout(width="9em")
        )
        points.style.description_width = "initial"
        points.add_class(OPT_POINTS)
        star = ipw.HTML(f"<div class='ocop-wb-optstar'>{_star(o.star)}</div>")
        up = ipw.Button(
            description=self.t("wb_move_up"), tooltip=self.t("wb_move_up_tip"), layout=ipw.Layout(width="2.6em")
        )
        up.add_class(OPT_UP)
        up.disabled = number == 1
        down = ipw.Button(
            description=self.t("wb_move_down"), tooltip=self.t("wb_move_down_tip"), layout=ipw.Layout(width="2.6em")
        )
        down.add_class(OPT_DOWN)
        down.disabled = number == len(node.options)
        remove = ipw.Button(
            description=self.t("wb_remove"),
            tooltip=self.t("wb_remove_tip"),
            button_style="danger",
            layout=ipw.Layout(width="2.6em"),
        )
        remove.add_class(OPT_REMOVE)
        text_vi.observe(partial(self._on_option_field, number, "text_vi"), names="value")
        text_en.observe(partial(self._on_option_field, number, "text_en"), names="value")
        points.observe(partial(self._on_option_field, number, "points"), names="value")
        up.on_click(partial(self._on_move, number, number - 1))
        down.on_click(partial(self._on_move, number, number + 1))
        remove.on_click(partial(self._on_remove, number))
        row = ipw.HBox(
            [num, ipw.VBox([text_vi, text_en], layout=ipw.Layout(flex="1 1 auto")), points, star, up, down, remove],
            layout=ipw.Layout(width="100%", align_items="flex-start"),
        )
        row.add_class("ocop-wb-option")
        row.add_class(f"{OPTION_PREFIX}{number}")
        return row

    # --- handlers -----------------------------------------------------------------------------------

    @reports_errors
    def _on_lang(self, change: dict[str, Any]) -> None:
        self.lang = change["new"]
        self.status.lang = self.lang
        self._apply_labels()
        with self._silent():
            keep_rs, keep_sheet = self.ruleset_picker.value, self.sheet_picker.value
            self.ruleset_picker.options = self._ruleset_options()
            self.ruleset_picker.value = keep_rs
            self.sheet_picker.options = self._sheet_options()
            self.sheet_picker.value = keep_sheet
        if self.edited is not None:
            self._refresh_nodes(keep=self.node_code)
            self._after_edit(rebuild=True)
        self._render_result()

    @reports_errors
    def _on_ruleset(self, change: dict[str, Any]) -> None:
        if self._quiet:
            return
        options = self._sheet_options()
        with self._silent():
            self.sheet_picker.options = options
        if not options:
            self.status.show_info(self.t("wb_no_sheets"))
            return
        with self._silent():
            self.sheet_picker.value = options[0][1]
        self._pick(options[0][1])

    @reports_errors
    def _on_sheet(self, change: dict[str, Any]) -> None:
        if self._quiet or change["new"] is None:
            return
        self._pick(change["new"])
        assert self.picked is not None
        self.status.show_info(self.t("wb_picked", sheet=self.picked.sheet_id))

    @reports_errors
    def _on_reset(self, _button: Any) -> None:
        if self.sheet_picker.value:
            self._pick(self.sheet_picker.value)
            self.status.show_info(self.t("wb_reset_done"))

    @reports_errors
    def _on_expand(self, _change: dict[str, Any]) -> None:
        if self.edited is not None:
            self._after_edit()

    @reports_errors
    def _on_node(self, change: dict[str, Any]) -> None:
        if self._quiet:
            return
        self.node_code = change["new"]
        self._after_edit(rebuild=True)

    def _edit(self, make: Callable[[Sheet], Sheet], *, rebuild: bool = False) -> None:
        assert self.edited is not None
        self.edited = make(self.edited)
        self.result = None
        if rebuild:
            self._refresh_nodes(keep=self.node_code)
        self._after_edit(rebuild=rebuild)
        self.status.clear()

    @reports_errors
    def _on_node_field(self, name: str, change: dict[str, Any]) -> None:
        if self._quiet or self.node_code is None:
            return
        value = change["new"]
        if name == "text_en":
            value = value.strip() or None
        if self.node_code.startswith("part:"):
            field = {"text_vi": "label_vi", "text_en": "label_en"}.get(name, name)
            self._edit(lambda s: wb.edit_part(s, self.node_code[5:], **{field: value}))
        else:
            code = self.node_code
            self._edit(lambda s: wb.edit_node(s, code, **{name: value}), rebuild=name == "text_vi")

    @reports_errors
    def _on_option_field(self, number: int, name: str, change: dict[str, Any]) -> None:
        if self._quiet or self.node_code is None:
            return
        value = change["new"]
        if name == "text_en":
            value = value.strip() or None
        code = self.node_code
        self._edit(lambda s: wb.edit_option(s, code, number, **{name: value}))

    @reports_errors
    def _on_star(self, level: int, change: dict[str, Any]) -> None:
        if self._quiet or self.node_code is None:
            return
        code = self.node_code
        self._edit(lambda s: wb.set_star_minimum(s, code, level, change["new"] or None), rebuild=True)

    @reports_errors
    def _on_move(self, number: int, to: int, _button: Any) -> None:
        code = self.node_code
        assert code is not None
        self._edit(lambda s: wb.move_option(s, code, number, to), rebuild=True)

    @reports_errors
    def _on_remove(self, number: int, _button: Any) -> None:
        code = self.node_code
        assert code is not None
        self._edit(lambda s: wb.remove_option(s, code, number), rebuild=True)

    @reports_errors
    def _on_add_option(self, _button: Any) -> None:
        code = self.node_code
        assert code is not None
        self._edit(lambda s: wb.add_option(s, code), rebuild=True)

    @reports_errors
    def _on_fit(self, _button: Any) -> None:
        self._edit(wb.fit_maxima, rebuild=True)

    @reports_errors
    def _on_save(self, _button: Any) -> None:
        assert self.edited is not None and self.official is not None
        name = self.version_name.value.strip()
        try:
            wb.slugify(name)
        except wb.WorkbenchError:
            self.status.show_error(self.t("wb_need_name"))
            return
        if self.problems:
            self.status.show_error(self.t("wb_fix_first", n=len(self.problems)))
            return
        try:
            path = wb.save_version(
                self.edited,
                name,
                self.drafts_dir,
                official=self.official,
                rulesets=self.library.rulesets,
                texts=self.texts,
            )
        except wb.VersionExistsError:
            self.status.show_error(self.t("wb_version_exists", name=name, sheet=self.official.sheet_id))
            return
        self.versions = wb.list_versions(self.drafts_dir)
        value = f"version:{path}"
        with self._silent():
            self.sheet_picker.options = self._sheet_options()
            self.sheet_picker.value = value
        self._pick(value)
        self.version_name.value = ""
        self.status.show_ok(self.t("wb_saved", sheet=path.stem, path=path))

    @reports_errors
    def _on_export(self, _button: Any) -> None:
        assert self.edited is not None
        data = wb.sheet_to_xlsx(self.edited)
        name = f"{self.edited.sheet_id}.xlsx"
        href = f"data:{XLSX_MIME};base64,{base64.b64encode(data).decode('ascii')}"
        self.download.value = (
            f'<a class="ocop-wb-download-link" download="{_e(name)}" href="{href}" data-bytes="{len(data)}" '
            f'style="font-weight:600; margin: 0 1em; line-height: 2.2em">⬇ {_e(self.t("wb_download", name=name))}</a>'
        )

    @reports_errors
    def _on_upload(self, change: dict[str, Any]) -> None:
        files = change["new"]
        if not files:
            return
        item = files[0]
        name = str(item.get("name") or "upload.xlsx")
        content = bytes(item.get("content") or b"")
        try:
            sheet = wb.read_sheet_xlsx(content, self.library.rulesets, name=name)
        except CriteriaSheetError as exc:
            head = self.t("wb_import_problems", name=name)
            self.validation.value = render_problems(list(exc.problems), self.texts, self.lang, head=head)
            self.status.show_error(self.t("wb_import_failed", name=name, n=len(exc.problems)))
            return
        finally:
            with self._silent():
                self.upload.value = ()
        base = wb.official_id(sheet.sheet_id)
        if base not in self.library.sheets:
            self.status.show_error(self.t("wb_import_unknown", name=name, sheet=sheet.sheet_id))
            return
        official = self.library.sheet(base)
        with self._silent():
            if self.ruleset_picker.value != official.ruleset_id:
                self.ruleset_picker.value = official.ruleset_id
                self.sheet_picker.options = self._sheet_options()
            self.sheet_picker.value = f"official:{base}"
        self.picked, self.official, self.edited = official, official, sheet
        self.result = None
        self.changes_view.value = self.side_view.value = ""
        self._refresh_nodes(keep=self.node_code)
        self._after_edit(rebuild=True)
        self.status.show_ok(self.t("wb_imported", name=name, sheet=sheet.sheet_id))

    @reports_errors
    def _on_run(self, _button: Any) -> None:
        assert self.edited is not None
        if self.store is None or not self.session_picker.value:
            self.status.show_error(self.t("wb_no_store"))
            return
        if self.problems:
            self.status.show_error(self.t("wb_fix_first", n=len(self.problems)))
            return
        session_id = self.session_picker.value
        token = self.token_box.value.strip() or self._url_token
        try:
            self.store.actor_for_token(token, session_id)
        except AccessDenied:
            self.status.show_error(self.t("wb_token_invalid", session=session_id))
            return
        ruleset = self.store.ruleset(session_id)
        if ruleset.ruleset_id != self.edited.ruleset_id:
            self.status.show_error(
                self.t(
                    "wb_whatif_ruleset", session=session_id, ruleset=ruleset.ruleset_id, other=self.edited.ruleset_id
                )
            )
            return
        state = self.store.state(session_id)
        self.result = wb.what_if(state, self.store.sheets(session_id), ruleset, self.edited)
        self._names = {p.product_id: p.name for p in state.products}
        self._session_id = session_id
        self._render_result()
        if not self.result.products:
            self.status.show_info(self.t("wb_whatif_no_products", session=session_id, sheet=self.result.sheet_id))
        else:
            self.status.show_ok(self.t("wb_whatif_done", n=len(self.result.changes)))

    def _render_result(self) -> None:
        result = self.result
        if result is None:
            return
        names = self._names
        self.changes_view.value = render_changes(result, names, self.texts, self.lang)
        side = render_side_by_side(result, names, self.texts, self.lang)
        official = self.library.sheets.get(result.sheet_id)
        if official is not None and result.pinned_sha256 and result.pinned_sha256 != official.sha256:
            side += f"<div class='ocop-wb-help'>{_e(self.t('wb_pinned_differs', sheet=result.sheet_id))}</div>"
        self.side_view.value = side

    # --- the common verbs ---------------------------------------------------------------------------

    def refresh(self) -> None:
        """Re-read the saved versions and the sessions."""
        self.versions = wb.list_versions(self.drafts_dir)
        with self._silent():
            keep = self.sheet_picker.value
            self.sheet_picker.options = self._sheet_options()
            if keep in [v for _, v in self.sheet_picker.options]:
                self.sheet_picker.value = keep
        self._fill_sessions(self.session_picker.value)

    def reset(self) -> None:
        """Discard the edits."""
        self._on_reset(None)

    def freeze(self) -> None:
        """Disable every control."""
        for widget in self._controls():
            widget.disabled = True

    def unfreeze(self) -> None:
        """Enable the controls again."""
        for widget in self._controls():
            widget.disabled = False

    def _controls(self) -> list[Any]:
        return [
            self.ruleset_picker,
            self.sheet_picker,
            self.reset_button,
            self.node_picker,
            self.text_vi,
            self.text_en,
            self.max_points,
            self.add_option_button,
            self.fit_button,
            self.version_name,
            self.save_button,
            self.export_button,
            self.upload,
            self.run_button,
        ]


def criteria_app(
    store: Any = None,
    session: str | None = None,
    token: str | None = None,
    lang: str | None = None,
    *,
    library: Library | None = None,
    drafts_dir: Path | str | None = None,
) -> ipw.Widget:
    """The criteria workbench page (``notebooks/criteria.ipynb``).

    Args:
        store: A ``SessionStore``, a store URL or file, or None for ``$OCOP_STORE``.
        session: The session to preselect for the what-if (default: the link's, ``$OCOP_SESSION``).
        token: An access token (default: the link's ``?token=``).
        lang: ``vi`` or ``en`` (default: the link's ``?lang=``, ``$OCOP_LANG``, ``vi``).
        library: The official criteria (default: the criteria folder).
        drafts_dir: Where versions are saved (default: ``$OCOP_DRAFTS_DIR`` …).
    """
    from ocop_scoring.store import SessionStore

    texts = load_texts()
    ctx = page_context(store=store if isinstance(store, str) else None, session=session, token=token, lang=lang)
    try:
        lib = library or load_library()
        if isinstance(store, SessionStore):
            store_obj: Any = store
        else:
            try:
                store_obj = SessionStore(store if isinstance(store, Path) else ctx.store_url, create=False)
            except OcopError:
                log.info("no session store: the what-if is not available")
                store_obj = None
        return CriteriaWorkbench(
            lib,
            store=store_obj,
            session_id=ctx.session_id,
            token=ctx.token,
            lang=ctx.lang,
            texts=texts,
            drafts_dir=drafts_dir,
        )
    except OcopError as exc:
        return error_page(texts.t("wb_error_title", ctx.lang), str(exc))


__all__ = ["CriteriaWorkbench", "criteria_app", "node_label", "render_tree", "sheet_label", "version_label"]
