"""The secretary's page: paper sheets typed in, progress, lists, re-scoring rounds and the end of the session.

Layer: views. Imports: ipywidgets, the store, the imports readers, the texts,
``views.common``, ``views.scoring_form``, ``views.member``. Holds no rules: every
action is a store call with the secretary's actor, and the store's refusals are
shown as they are.

Five tabs: Nhập phiếu (a member's card for a product: fast keyboard entry or the
full form, and the secretary's actions on it), Tiến độ (product × member grid),
Danh sách (members and products, imports), Kết thúc (products flagged by the
spread rule, a new round; the knock-outs the ticks trigger, each confirmed or
kept with a reason by the council; finalising), Công nhận (after the meeting,
also on a finalised session: the recognition decision of the Chủ tịch UBND tỉnh
for the products awaiting it, each product's standing, the decisions recorded,
and the central council's results for the products forwarded to the Ministry).
"""

from __future__ import annotations

import html
import json
import logging
import traceback
from collections.abc import Callable, Mapping
from datetime import date
from typing import Any

import ipywidgets as ipw

from ocop_scoring.errors import (
    ImportFileError,
    OcopError,
    Problem,
    ProblemsError,
    ScoresInputError,
    StoreError,
    verbatim,
)
from ocop_scoring.model import SessionState
from ocop_scoring.recognition import Standing
from ocop_scoring.texts import Texts, load_texts
from ocop_scoring.views import contract
from ocop_scoring.views.common import (
    STYLE,
    Heartbeat,
    LangToggle,
    Poller,
    StatusLine,
    error_page,
    error_text,
    page_context,
    reports_errors,
)
from ocop_scoring.views.contract import (  # page-specific classes
    ACTIONS,
    AWAITING_PREFIX,
    CENTRAL_DATE,
    CENTRAL_NUMBER,
    CENTRAL_REPORT,
    DECISION_DATE,
    DECISION_NUMBER,
    DECISIONS,
    ENTRY_MODE,
    FINALISE_BOX,
    FLAGGED_PICKER,
    KO_BOX,
    KO_CONFIRM,
    KO_KEEP,
    KO_KEEP_REASON,
    KO_PANEL,
    KO_PICKER,
    KO_REASON,
    RECOGNISE,
    RECOGNITION,
    STANDINGS,
    UNRECUSE,
    UPLOAD_CENTRAL,
    UPLOAD_REPORT,
)
from ocop_scoring.views.member import (
    PROGRESS_ICONS,
    ProductPicker,
    member_progress,
    progress_label,
    resolve_actor,
    start_polling,
)
from ocop_scoring.views.scoring_form import FORM_CSS, ScoringForm, describe_error, in_lang, tr

log = logging.getLogger(__name__)

# Classes of this page beyond the contract (reported to the lead).
TAB_CLASSES = ("ocop-tab-entry", "ocop-tab-progress", "ocop-tab-lists", "ocop-tab-finish", "ocop-tab-recognition")
FINISH_TAB, RECOGNITION_TAB = 3, 4  # the tabs that compute results (only while shown)
CENTRAL_MAX_BYTES = 10 * 1024 * 1024  # a central council's results file larger than this is refused

SECRETARY_CSS = """
<style>
.ocop-secretary-actions { border: 1px solid #bbb; background: #f6f7fb; padding: 6px 10px; margin-top: 14px; }
table.ocop-grid { border-collapse: collapse; font-size: 14px; }
table.ocop-grid th, table.ocop-grid td { border: 1px solid #aaa; padding: 2px 6px; text-align: center; }
table.ocop-grid td.ocop-grid-name, table.ocop-grid th.ocop-grid-name { text-align: left; max-width: 26em; }
table.ocop-grid td[data-status=submitted] { background: #dff3e4; color: #0a6b2d; }
table.ocop-grid td[data-status=draft] { background: #fff4cc; color: #7a5a00; }
table.ocop-grid td[data-status=not_started] { background: #fff; color: #999; }
table.ocop-grid td[data-status=recused] { background: #eee; color: #555; }
table.ocop-grid tr.ocop-grid-knockout td { background: #f3dede; color: #b00020; }
table.ocop-grid tr.ocop-grid-short td.ocop-grid-count { color: #b00020; font-weight: 700; }
table.ocop-list { border-collapse: collapse; font-size: 14px; margin-bottom: 10px; }
table.ocop-list th, table.ocop-list td { border: 1px solid #aaa; padding: 2px 6px; text-align: left; vertical-align: top; }
table.ocop-list th { background: #ededed; }
.ocop-app table.ocop-list a { color: #1a56c4; text-decoration: underline; }
.ocop-upload-report ul { margin: 2px 0 2px 1.2em; padding: 0; font-size: 13px; }
.ocop-upload-report .ocop-bad { color: #b00020; font-weight: 600; }
.ocop-upload-report .ocop-good { color: #0a6b2d; font-weight: 600; }
.ocop-finalise-box { border: 1px solid #e0a0a0; background: #fff8f8; padding: 6px 10px; margin-top: 14px; }
.ocop-flag { color: #b00020; font-weight: 700; }
.ocop-ko-box { border: 1px solid #e0a0a0; background: #fff8f8; padding: 6px 10px; margin-top: 14px; }
.ocop-ko-card { border-left: 5px solid #b00020; background: #fff; padding: 6px 10px; margin: 6px 0; }
.ocop-ko-card .ocop-ko-title { font-weight: 700; color: #b00020; font-size: 16px; }
.ocop-ko-card ul { margin: 4px 0 4px 1.2em; padding: 0; }
.ocop-ko-card li { margin-bottom: 4px; }
.ocop-ko-card .ocop-ko-note { font-style: italic; }
.ocop-ko-card .ocop-ko-who { color: #333; font-size: 13px; }
.ocop-ko-card .ocop-ko-council { color: #1f4e9a; font-weight: 600; margin-top: 4px; }
.ocop-ko-decision { margin-top: 6px; font-weight: 700; }
.ocop-ko-decision[data-decision=pending] { color: #7a5a00; }
.ocop-ko-decision[data-decision=knocked_out] { color: #b00020; }
.ocop-ko-decision[data-decision=kept] { color: #0a6b2d; }
.ocop-ko-label { font-weight: 600; margin-top: 6px; }
.ocop-recognition-box, .ocop-central-box { border: 1px solid #9cc3a6; background: #f5fbf6; padding: 6px 10px; margin-top: 10px; }
table.ocop-list tr[data-standing=recognised] td.ocop-standing, table.ocop-list tr[data-standing=central_5_star] td.ocop-standing { color: #0a6b2d; font-weight: 600; }
table.ocop-list tr[data-standing=proposed] td.ocop-standing, table.ocop-list tr[data-standing=central_below] td.ocop-standing { color: #1f4e9a; font-weight: 600; }
table.ocop-list tr[data-standing=forwarded] td.ocop-standing { color: #7a3aa0; font-weight: 600; }
table.ocop-list tr[data-standing=rejected] td.ocop-standing { color: #b00020; }
.ocop-central-report ul { margin: 2px 0 2px 1.2em; padding: 0; font-size: 13px; }
.ocop-central-report .ocop-bad { color: #b00020; font-weight: 600; }
.ocop-central-report .ocop-good { color: #0a6b2d; font-weight: 600; }
.ocop-app .lm-TabBar-tab, .ocop-app .p-TabBar-tab { font-size: 15px; min-width: 10em; }
</style>
"""


def _esc(text: Any) -> str:
    return html.escape("" if text is None else str(text))


class Page:
    """What the secretary's tabs share: the store, the session, the actor, the texts and the language."""

    def __init__(self, store: Any, session_id: str, actor: Any, texts: Texts, lang: str) -> None:
        self.store = store
        self.session_id = session_id
        self.actor = actor
        self.texts = texts
        self.lang = lang

    def t(self, key: str, **values: Any) -> str:
        """A text in the page's language."""
        return tr(self.texts, key, self.lang, **values)


# --- Nhập phiếu --------------------------------------------------------------------------------------


class EntryTab(ipw.VBox):
    """A member's card for a product: fast entry or the full form, and the secretary's actions on it."""

    def __init__(self, page: Page, state: SessionState, on_change: Callable[[], None]) -> None:
        self.page = page
        self.texts = page.texts
        self.state = state
        self.on_change = on_change
        ruleset = page.store.ruleset(page.session_id)
        self.forms: dict[str, ScoringForm] = {}
        self._ruleset = ruleset
        self.mode = "entry"
        self.member_picker = ipw.Dropdown(options=[], layout=ipw.Layout(width="30em"))
        self.member_picker.add_class(contract.MEMBER_PICKER)
        self.product_picker = ProductPicker(width="44em")
        self.mode_toggle = ipw.ToggleButtons(
            options=[("entry", "entry"), ("radio", "radio")], value="entry", style={"button_width": "16em"}
        )
        self.mode_toggle.add_class(ENTRY_MODE)
        self.member_label = ipw.HTML("")
        self.product_label = ipw.HTML("")
        self.form_box = ipw.VBox([], layout=ipw.Layout(width="100%"))
        self.actions_head = ipw.HTML("")
        self.reason = ipw.Text(value="", layout=ipw.Layout(width="40em"))
        self.reason.add_class(contract.REASON)
        self.reopen_button = ipw.Button(button_style="warning", layout=ipw.Layout(width="18em"))
        self.reopen_button.add_class(contract.REOPEN)
        self.knockout_button = ipw.Button(button_style="danger", layout=ipw.Layout(width="14em"))
        self.knockout_button.add_class(contract.KNOCKOUT)
        self.unrecuse_button = ipw.Button(layout=ipw.Layout(width="18em"))
        self.unrecuse_button.add_class(UNRECUSE)
        self.actions = ipw.VBox(
            [
                self.actions_head,
                self.reason,
                ipw.HBox([self.reopen_button, self.knockout_button, self.unrecuse_button]),
            ]
        )
        self.actions.add_class(ACTIONS)

        self._setting_member = False
        self._relabelling = False
        self.member_picker.observe(self._on_member, names="value")
        self.product_picker.observe(self._on_product, names="value")
        self.mode_toggle.observe(self._on_mode, names="value")
        self.reopen_button.on_click(self._on_reopen)
        self.knockout_button.on_click(self._on_knockout)
        self.unrecuse_button.on_click(self._on_unrecuse)
        super().__init__(
            [
                ipw.HBox([self.member_label, self.member_picker], layout=ipw.Layout(align_items="center")),
                ipw.HBox([self.product_label, self.product_picker], layout=ipw.Layout(align_items="center")),
                self.mode_toggle,
                self.form_box,
                self.actions,
            ],
            layout=ipw.Layout(width="100%"),
        )
        self.add_class(TAB_CLASSES[0])
        members = state.scoring_members
        first_member = members[0].member_id if members else None
        self._set_members(state, first_member)
        self.form_box.children = (self.form,)
        self.apply_texts()
        if first_member is not None and state.products:
            self._set_products(state, state.products[0].product_id)
            self.form.show(state, state.products[0].product_id, first_member)
        self._update_actions()

    @property
    def form(self) -> ScoringForm:
        """The form shown (built on first use for each mode)."""
        form = self.forms.get(self.mode)
        if form is None:
            page = self.page
            form = ScoringForm(
                page.store,
                page.session_id,
                page.actor,
                ruleset=self._ruleset,
                texts=page.texts,
                lang=page.lang,
                entry=self.mode == "entry",
            )
            form.on_saved = self._on_saved
            self.forms[self.mode] = form
        return form

    def _on_saved(self, product_id: str, member_id: str, progress: str) -> None:
        """A write of the form: relabel the product list when the card's progress changed."""
        state = self.state
        if member_id != self.member_picker.value or not state.has_product(product_id):
            return
        if member_progress(state, product_id, member_id) != progress:
            self.on_change()  # the product list, the progress grid and the lists follow at once

    @property
    def status(self) -> StatusLine:
        """The status line of the form shown (the actions report there too)."""
        return self.form.status

    @property
    def lang(self) -> str:
        """The page's language."""
        return self.page.lang

    def t(self, key: str, **values: Any) -> str:
        """A text in the page's language."""
        return self.page.t(key, **values)

    def apply_texts(self) -> None:
        """Label everything in the page's language."""
        self.member_label.value = f"<b>{_esc(self.t('secretary_pick_member'))}</b>&nbsp;"
        self.product_label.value = f"<b>{_esc(self.t('secretary_pick_product'))}</b>&nbsp;"
        self._relabelling = True  # new labels reset the toggle's value: not a change of mode
        try:
            with self.mode_toggle.hold_sync():
                self.mode_toggle.options = [
                    (self.t("secretary_mode_entry"), "entry"),
                    (self.t("secretary_mode_form"), "radio"),
                ]
                self.mode_toggle.value = self.mode
        finally:
            self._relabelling = False
        self.actions_head.value = (
            f"<b>{_esc(self.t('secretary_actions'))}</b> "
            f'<span class="ocop-note">{_esc(self.t("secretary_actions_hint"))}</span>'
        )
        self.reason.placeholder = self.t("secretary_reason_placeholder")
        self.reopen_button.description = self.t("secretary_reopen")
        self.unrecuse_button.description = self.t("secretary_unrecuse")
        for form in self.forms.values():
            form.set_lang(self.page.lang)
        self._set_members(self.state, self.member_picker.value)
        if self.member_picker.value:
            self._set_products(self.state, self.product_picker.value)
        self._update_actions()

    def _set_members(self, state: SessionState, value: str | None) -> None:
        options = [
            (f"{m.member_id} · {m.name} ({self.t('member_role_' + m.role)})", m.member_id)
            for m in state.scoring_members
        ]
        if not any(v == value for _, v in options):
            value = options[0][1] if options else None
        if tuple(options) == tuple(self.member_picker.options) and value == self.member_picker.value:
            return
        self._setting_member = True
        try:
            with self.member_picker.hold_sync():
                self.member_picker.options = options
                if value is not None:
                    self.member_picker.value = value
        finally:
            self._setting_member = False

    def _set_products(self, state: SessionState, value: str | None) -> None:
        member_id = self.member_picker.value
        if member_id is None:
            return
        options = [
            (
                f"{p.product_id} · {p.name} — "
                f"{progress_label(self.texts, self.lang, member_progress(state, p.product_id, member_id))}",
                p.product_id,
            )
            for p in state.products
        ]
        self.product_picker.set_options(options, value)

    def _show(self, state: SessionState) -> None:
        member_id, product_id = self.member_picker.value, self.product_picker.value
        if member_id and product_id:
            self.form.show(state, product_id, member_id)
        self._update_actions()

    def _update_actions(self) -> None:
        form = self.form
        shown = form.shown
        is_open = self.state.session.is_open
        self.reopen_button.disabled = not (is_open and shown is not None and shown.status == "submitted")
        knocked = shown is not None and shown.knockout is not None
        self.knockout_button.description = self.t("secretary_clear_knockout" if knocked else "secretary_knockout")
        self.knockout_button.button_style = "" if knocked else "danger"
        self.knockout_button.disabled = not is_open or shown is None
        self.unrecuse_button.disabled = not (is_open and shown is not None and shown.recusal is not None)
        self.reason.disabled = not is_open

    def refresh(self, state: SessionState) -> None:
        """Show the store's state: member and product lists, and the card shown."""
        self.state = state
        self._set_members(state, self.member_picker.value)
        self._set_products(state, self.product_picker.value)
        if self.form.product is None:
            self._show(state)  # the first members and products were just imported
        else:
            self.form.refresh(state)
        self._update_actions()

    @reports_errors
    def _on_member(self, change: Mapping[str, Any]) -> None:
        if self._setting_member or not change["new"]:
            return
        state = self.page.store.state(self.page.session_id)
        self.state = state
        with self.hold_sync():
            self._set_products(state, self.product_picker.value)
            self._show(state)

    @reports_errors
    def _on_product(self, change: Mapping[str, Any]) -> None:
        if self.product_picker.setting or not change["new"]:
            return
        state = self.page.store.state(self.page.session_id)
        self.state = state
        with self.hold_sync():
            self._set_products(state, change["new"])
            self._show(state)

    @reports_errors
    def _on_mode(self, change: Mapping[str, Any]) -> None:
        if self._relabelling or change["new"] == self.mode or change["new"] not in ("entry", "radio"):
            return
        self.mode = change["new"]
        state = self.page.store.state(self.page.session_id)
        self.state = state
        form = self.form
        with self.hold_sync():
            self.form_box.children = (form,)
            self._show(state)

    def _reason(self) -> str | None:
        reason = self.reason.value.strip()
        if not reason:
            self.status.show_error(self.t("secretary_need_reason"))
            return None
        return reason

    def _act(self, run: Callable[[], Any], message: str) -> None:
        try:
            run()
        except OcopError as exc:
            self.status.show_error(describe_error(exc, self.texts, self.lang))
            return
        self.reason.value = ""
        self.on_change()
        state = self.page.store.state(self.page.session_id)
        self.refresh(state)
        self.status.show_ok(message)

    @reports_errors
    def _on_reopen(self, _button: Any) -> None:
        reason = self._reason()
        pid, mid = self.product_picker.value, self.member_picker.value
        if reason is None or not pid or not mid:
            return
        store, sid, actor = self.page.store, self.page.session_id, self.page.actor
        self._act(
            lambda: store.reopen(sid, actor, pid, mid, reason), self.t("secretary_reopened", product=pid, member=mid)
        )

    @reports_errors
    def _on_knockout(self, _button: Any) -> None:
        reason = self._reason()
        pid = self.product_picker.value
        shown = self.form.shown
        if reason is None or not pid or shown is None:
            return
        store, sid, actor = self.page.store, self.page.session_id, self.page.actor
        if shown.knockout is not None:
            self._act(
                lambda: store.clear_knockout(sid, actor, pid, reason), self.t("secretary_knockout_cleared", product=pid)
            )
        else:
            self._act(lambda: store.knock_out(sid, actor, pid, reason), self.t("secretary_knocked_out", product=pid))

    @reports_errors
    def _on_unrecuse(self, _button: Any) -> None:
        reason = self._reason()
        pid, mid = self.product_picker.value, self.member_picker.value
        if reason is None or not pid or not mid:
            return
        store, sid, actor = self.page.store, self.page.session_id, self.page.actor
        self._act(
            lambda: store.unrecuse(sid, actor, pid, mid, reason),
            self.t("secretary_unrecused", product=pid, member=mid),
        )


# --- Tiến độ -----------------------------------------------------------------------------------------


def progress_grid_html(state: SessionState, texts: Texts, lang: str) -> str:
    """Product × member: who has submitted, who is drafting, who has not started, who is recused."""
    t = lambda key, **kw: tr(texts, key, lang, **kw)  # noqa: E731
    members = state.scoring_members
    needed = state.quorum_needed()
    head = "".join(
        f'<th title="{_esc(m.name)}" data-member="{_esc(m.member_id)}">{_esc(m.member_id)}</th>' for m in members
    )
    rows = []
    waiting: dict[str, int] = {}
    for product in state.products:
        submitted = len(state.submitted_cards(product.product_id))
        cells = []
        for m in members:
            progress = state.progress(product.product_id, m.member_id)
            if progress in ("draft", "not_started") and product.knockout is None:
                waiting[m.member_id] = waiting.get(m.member_id, 0) + 1
            cells.append(
                f'<td data-product="{_esc(product.product_id)}" data-member="{_esc(m.member_id)}" '
                f'data-status="{progress}" title="{_esc(t("member_status_" + progress))}">{PROGRESS_ICONS[progress]}</td>'
            )
        classes = []
        if product.knockout is not None:
            classes.append("ocop-grid-knockout")
        elif submitted < needed:
            classes.append("ocop-grid-short")
        status = (
            t("secretary_grid_knockout")
            if product.knockout is not None
            else t("secretary_grid_count", done=submitted, needed=needed)
        )
        round_note = f" ({_esc(t('form_round', n=product.round))})" if product.round > 1 else ""
        rows.append(
            f'<tr class="{" ".join(classes)}" data-product="{_esc(product.product_id)}" data-submitted="{submitted}">'
            f'<td class="ocop-grid-name">{_esc(product.product_id)} · {_esc(product.name)}{round_note}</td>'
            f'<td class="ocop-grid-count">{_esc(status)}</td>{"".join(cells)}</tr>'
        )
    waiting_row = "".join(f"<td>{waiting.get(m.member_id, 0)}</td>" for m in members)
    legend = " · ".join(
        f"{PROGRESS_ICONS[k]} {_esc(t('member_status_' + k))}" for k in ("submitted", "draft", "not_started", "recused")
    )
    return (
        f'<div class="ocop-progress-grid" data-quorum="{needed}">'
        f'<table class="ocop-grid"><thead><tr><th class="ocop-grid-name">{_esc(t("secretary_grid_product"))}</th>'
        f"<th>{_esc(t('secretary_grid_submitted'))}</th>{head}</tr></thead><tbody>{''.join(rows)}"
        f'<tr class="ocop-grid-waiting"><td class="ocop-grid-name"><b>{_esc(t("secretary_grid_waiting"))}</b></td>'
        f"<td></td>{waiting_row}</tr></tbody></table>"
        f'<div class="ocop-note">{legend} · {_esc(t("secretary_grid_quorum", needed=needed))}</div></div>'
    )


class ProgressTab(ipw.VBox):
    """Who has not submitted yet: the product × member grid."""

    def __init__(self, page: Page, state: SessionState) -> None:
        self.page = page
        self.grid = ipw.HTML("")
        self.grid.add_class(contract.PROGRESS)
        super().__init__([self.grid], layout=ipw.Layout(width="100%"))
        self.add_class(TAB_CLASSES[1])
        self.refresh(state)

    def refresh(self, state: SessionState) -> None:
        """Redraw the grid if anything changed."""
        new = progress_grid_html(state, self.page.texts, self.page.lang)
        if self.grid.value != new:
            self.grid.value = new


# --- Danh sách ---------------------------------------------------------------------------------------


def problems_html(exc: OcopError, texts: Texts, lang: str) -> str:
    """Every problem of a refused import, one per line."""
    if isinstance(exc, ImportFileError):
        items = "".join(f"<li>{_esc(p)}</li>" for p in exc.problems)
        head = tr(texts, "secretary_import_problems", lang, count=len(exc.problems))
        return f'<div class="ocop-bad">✖ {_esc(head)}</div><ul>{items}</ul>'
    return f'<div class="ocop-bad">✖ {_esc(tr(texts, "secretary_import_refused", lang, detail=error_text(exc, texts, lang)))}</div>'


class ListsTab(ipw.VBox):
    """Members and products of the session, and their imports from the secretary's lists."""

    def __init__(self, page: Page, state: SessionState, on_change: Callable[[], None]) -> None:
        self.page = page
        self.texts = page.texts
        self.on_change = on_change
        self.status = StatusLine(page.texts, page.lang)
        self.members_head = ipw.HTML("")
        self.members = ipw.HTML("")
        self.products_head = ipw.HTML("")
        self.products = ipw.HTML("")
        self.upload_members = ipw.FileUpload(accept=".csv,.xlsx", multiple=False, layout=ipw.Layout(width="auto"))
        self.upload_members.add_class(contract.UPLOAD_MEMBERS)
        self.upload_products = ipw.FileUpload(accept=".csv,.xlsx", multiple=False, layout=ipw.Layout(width="auto"))
        self.upload_products.add_class(contract.UPLOAD_PRODUCTS)
        self.upload_hint = ipw.HTML("")
        self.report = ipw.HTML("")
        self.report.add_class(UPLOAD_REPORT)
        self.upload_members.observe(self._on_members_file, names="value")
        self.upload_products.observe(self._on_products_file, names="value")
        super().__init__(
            [
                self.upload_hint,
                ipw.HBox([self.upload_members, self.upload_products]),
                self.report,
                self.status,
                self.members_head,
                self.members,
                self.products_head,
                self.products,
            ],
            layout=ipw.Layout(width="100%"),
        )
        self.add_class(TAB_CLASSES[2])
        self.state = state
        self.apply_texts()

    @property
    def lang(self) -> str:
        """The page's language."""
        return self.page.lang

    def t(self, key: str, **values: Any) -> str:
        """A text in the page's language."""
        return self.page.t(key, **values)

    def apply_texts(self) -> None:
        """Label everything in the page's language."""
        self.status.lang = self.lang
        self.upload_members.description = self.t("secretary_upload_members")
        self.upload_products.description = self.t("secretary_upload_products")
        self.upload_hint.value = f'<div class="ocop-note">{_esc(self.t("secretary_upload_hint"))}</div>'
        self.members_head.value = f"<h3>{_esc(self.t('secretary_members'))}</h3>"
        self.products_head.value = f"<h3>{_esc(self.t('secretary_products'))}</h3>"
        self.refresh(self.state, force=True)

    def refresh(self, state: SessionState, *, force: bool = False) -> None:
        """Redraw the lists if the session changed."""
        if state == self.state and not force:
            return
        self.state = state
        t = self.t
        member_rows = "".join(
            f'<tr data-member="{_esc(m.member_id)}"><td>{_esc(m.member_id)}</td><td>{_esc(m.name)}</td>'
            f"<td>{_esc(t('member_role_' + m.role))}</td><td>{_esc(m.organisation)}</td>"
            + (
                f'<td><a href="member.ipynb?token={_esc(m.token)}" target="_blank">{_esc(t("secretary_link"))}</a></td>'
                if m.scores
                else "<td></td>"
            )
            + "</tr>"
            for m in state.members
        )
        members = (
            f'<table class="ocop-list"><thead><tr><th>{_esc(t("secretary_col_member"))}</th>'
            f"<th>{_esc(t('secretary_col_name'))}</th><th>{_esc(t('secretary_col_role'))}</th>"
            f"<th>{_esc(t('secretary_col_organisation'))}</th><th>{_esc(t('secretary_col_link'))}</th></tr></thead>"
            f"<tbody>{member_rows}</tbody></table>"
        )
        product_rows = "".join(
            f'<tr data-product="{_esc(p.product_id)}"><td>{_esc(p.product_id)}</td><td>{_esc(p.name)}</td>'
            f"<td>{_esc(p.sheet_id)}</td><td>{_esc(p.producer)}</td>"
            f"<td>{_esc(', '.join(x for x in (p.commune, p.province) if x))}</td>"
            f"<td>{_esc(p.product_code)}</td><td>{p.round}</td>"
            f'<td class="ocop-flag">{_esc(p.knockout or "")}</td></tr>'
            for p in state.products
        )
        products = (
            f'<table class="ocop-list"><thead><tr><th>{_esc(t("secretary_col_product"))}</th>'
            f"<th>{_esc(t('secretary_col_name'))}</th><th>{_esc(t('secretary_col_sheet'))}</th>"
            f"<th>{_esc(t('secretary_col_producer'))}</th><th>{_esc(t('secretary_col_place'))}</th>"
            f"<th>{_esc(t('secretary_col_code'))}</th><th>{_esc(t('secretary_col_round'))}</th>"
            f"<th>{_esc(t('secretary_col_knockout'))}</th></tr></thead><tbody>{product_rows}</tbody></table>"
        )
        if self.members.value != members:
            self.members.value = members
        if self.products.value != products:
            self.products.value = products

    def _import(self, upload: ipw.FileUpload, files: Any, run: Callable[[bytes, str], list[str]]) -> None:
        if not files:
            return
        item = files[0]
        name = str(item.get("name", "")) if isinstance(item, Mapping) else ""
        data = bytes(item["content"]) if isinstance(item, Mapping) else b""
        try:
            added = run(data, name)
        except OcopError as exc:
            self.report.value = problems_html(exc, self.texts, self.lang)
            self.status.show_error(self.t("secretary_import_nothing", file=name))
        else:
            self.report.value = (
                f'<div class="ocop-good">✔ {_esc(self.t("secretary_import_ok", file=name, count=len(added)))}</div>'
                f"<ul><li>{_esc(', '.join(added))}</li></ul>"
            )
            self.status.show_ok(self.t("secretary_import_ok", file=name, count=len(added)))
            self.on_change()
        finally:
            upload.value = ()

    @reports_errors
    def _on_members_file(self, change: Mapping[str, Any]) -> None:
        from ocop_scoring.imports import read_members_data

        page = self.page

        def run(data: bytes, name: str) -> list[str]:
            state = page.store.state(page.session_id)
            specs = read_members_data(data, name, existing_ids=[m.member_id for m in state.members])
            added = page.store.add_members(page.session_id, specs, actor=page.actor)
            return [f"{m.member_id} {m.name}" for m in added]

        self._import(self.upload_members, change["new"], run)

    @reports_errors
    def _on_products_file(self, change: Mapping[str, Any]) -> None:
        from ocop_scoring.imports import read_products_data

        page = self.page

        def run(data: bytes, name: str) -> list[str]:
            state = page.store.state(page.session_id)
            specs = read_products_data(
                data,
                name,
                page.store.sheets(page.session_id),
                existing_ids=[p.product_id for p in state.products],
            )
            added = page.store.add_products(page.session_id, specs, actor=page.actor)
            return [f"{p.product_id} {p.name}" for p in added]

        self._import(self.upload_products, change["new"], run)


# --- Kết thúc ----------------------------------------------------------------------------------------


def knockout_reason(flags: Any, sheet: Any) -> str:
    """The reason a confirmed knock-out records: "tiêu chí X: <the sheet's note>" for each rule triggered.

    Vietnamese whatever the page's language: it goes into the council's minutes (the CLI's words too).
    """
    return "; ".join(f"tiêu chí {f.criterion}: {sheet.criterion(f.criterion).knockout_vi[f.note]}" for f in flags)


def knockout_decision(product: Any) -> str:
    """The council's decision on a flagged product: ``knocked_out``, ``kept`` or ``pending``."""
    if product.knockout is not None:
        return "knocked_out"
    if product.knockout_kept is not None:
        return "kept"
    return "pending"


def _codes(flags: Any) -> str:
    return ", ".join(dict.fromkeys(f.criterion for f in flags))


class KnockoutSection(ipw.VBox):
    """The knock-outs the ticks trigger: the rule, the note, whose ticks, and the council's decision.

    The sheet's rule only flags a product; the secretary records the council's
    decision: confirm the knock-out (``store.knock_out``, the reason prefilled
    with the note) or keep the product with a reason (``store.keep_despite_knockout``).
    """

    def __init__(self, page: Page, on_change: Callable[[], None]) -> None:
        self.page = page
        self.texts = page.texts
        self.on_change = on_change
        self.status = StatusLine(page.texts, page.lang)
        self.head = ipw.HTML("")
        self.picker_label = ipw.HTML("")
        self.picker = ipw.Dropdown(options=[], layout=ipw.Layout(width="56em"))
        self.picker.add_class(KO_PICKER)
        self.panel = ipw.HTML("")
        self.panel.add_class(KO_PANEL)
        self.reason_label = ipw.HTML("")
        self.reason = ipw.Textarea(value="", rows=3, layout=ipw.Layout(width="60em"))
        self.reason.add_class(KO_REASON)
        self.confirm_button = ipw.Button(button_style="danger", layout=ipw.Layout(width="16em"))
        self.confirm_button.add_class(KO_CONFIRM)
        self.keep_label = ipw.HTML("")
        self.keep_reason = ipw.Text(value="", layout=ipw.Layout(width="60em"))
        self.keep_reason.add_class(KO_KEEP_REASON)
        self.keep_button = ipw.Button(layout=ipw.Layout(width="16em"))
        self.keep_button.add_class(KO_KEEP)
        self.actions = ipw.VBox(
            [
                ipw.HBox([self.picker_label, self.picker], layout=ipw.Layout(align_items="center")),
                self.panel,
                self.reason_label,
                self.reason,
                self.confirm_button,
                self.keep_label,
                self.keep_reason,
                self.keep_button,
            ]
        )
        super().__init__([self.head, self.actions, self.status], layout=ipw.Layout(width="100%"))
        self.add_class(KO_BOX)
        self.state: SessionState | None = None
        self.flags: dict[str, Any] = {}  # product id -> the KnockoutFlags its cards trigger
        self._prefilled_for: str | None = None  # the product whose note the reason holds
        self._setting = False
        self.picker.observe(self._on_pick, names="value")
        self.confirm_button.on_click(self._on_confirm)
        self.keep_button.on_click(self._on_keep)
        self.apply_texts()

    @property
    def lang(self) -> str:
        """The page's language."""
        return self.page.lang

    def t(self, key: str, **values: Any) -> str:
        """A text in the page's language."""
        return self.page.t(key, **values)

    def apply_texts(self) -> None:
        """Label everything in the page's language."""
        self.status.lang = self.lang
        self.head.value = (
            f'<h3>{_esc(self.t("sec_ko_head"))}</h3><div class="ocop-note">{_esc(self.t("sec_ko_hint"))}</div>'
        )
        self.picker_label.value = f"<b>{_esc(self.t('sec_ko_pick'))}</b>&nbsp;"
        self.reason_label.value = f'<div class="ocop-ko-label">{_esc(self.t("sec_ko_reason_label"))}</div>'
        self.confirm_button.description = self.t("sec_ko_confirm")
        self.keep_label.value = f'<div class="ocop-ko-label">{_esc(self.t("sec_ko_keep_label"))}</div>'
        self.keep_reason.placeholder = self.t("sec_ko_keep_placeholder")
        self.keep_button.description = self.t("sec_ko_keep")
        if self.state is not None:
            self.show(self.state, self.flags)

    def show(self, state: SessionState, flags: Mapping[str, Any]) -> None:
        """Show the flagged products (``flags``: product id -> the rules its cards trigger) and their decisions."""
        self.state = state
        self.flags = dict(flags)
        t = self.t
        options = []
        for pid, found in self.flags.items():
            product = state.product(pid)
            decision = t(
                {"pending": "sec_ko_pending", "knocked_out": "sec_ko_knocked_out", "kept": "sec_ko_kept"}[
                    knockout_decision(product)
                ]
            )
            options.append(
                (t("sec_ko_option", product=pid, name=product.name, codes=_codes(found), decision=decision), pid)
            )
        if not options:
            self.actions.layout.display = "none"
            self.head.value = f'<h3>{_esc(t("sec_ko_head"))}</h3><div class="ocop-note">{_esc(t("sec_ko_none"))}</div>'
            return
        self.head.value = f'<h3>{_esc(t("sec_ko_head"))}</h3><div class="ocop-note">{_esc(t("sec_ko_hint"))}</div>'
        self.actions.layout.display = ""
        value = self.picker.value
        if value not in self.flags:
            value = options[0][1]
        if tuple(options) != tuple(self.picker.options) or value != self.picker.value:
            self._setting = True
            try:
                with self.picker.hold_sync():
                    self.picker.options = options
                    self.picker.value = value
            finally:
                self._setting = False
        self._show_product(value)

    def _show_product(self, pid: str) -> None:
        state = self.state
        if state is None or pid not in self.flags:
            return
        t, lang = self.t, self.lang
        product = state.product(pid)
        sheet = self.page.store.sheet(self.page.session_id, product.sheet_id)
        items = []
        for flag in self.flags[pid]:
            criterion = sheet.criterion(flag.criterion)
            en = criterion.knockout_en[flag.note] if flag.note < len(criterion.knockout_en) else None
            note = in_lang(criterion.knockout_vi[flag.note], en, lang)
            members = ", ".join(f"{m} ({state.member(m).name})" if state.has_member(m) else m for m in flag.members)
            items.append(
                f'<li data-criterion="{_esc(flag.criterion)}" data-members="{_esc(" ".join(flag.members))}">'
                f"<b>{_esc(t('sec_ko_criterion', code=flag.criterion))}</b> — "
                f"{_esc(in_lang(criterion.text_vi, criterion.text_en, lang))}<br>"
                f'<span class="ocop-ko-note">«{_esc(note)}»</span><br>'
                f'<span class="ocop-ko-who">{_esc(t("sec_ko_members", members=members))}</span></li>'
            )
        decision = knockout_decision(product)
        if decision == "knocked_out":
            line = t("sec_ko_knocked_out_line", reason=product.knockout)
        elif decision == "kept":
            line = t("sec_ko_kept_line", reason=product.knockout_kept)
        else:
            line = t("sec_ko_pending_line")
        extra = f'<div class="ocop-note">{_esc(t("sec_ko_withdraw_first"))}</div>' if decision == "knocked_out" else ""
        panel = (
            f'<div class="ocop-ko-card" data-product="{_esc(pid)}" data-decision="{decision}">'
            f'<div class="ocop-ko-title">{_esc(t("sec_ko_title", product=pid, name=product.name))}</div>'
            f"<ul>{''.join(items)}</ul>"
            f'<div class="ocop-ko-council">{_esc(t("sec_ko_council"))}</div>'
            f'<div class="ocop-ko-decision" data-decision="{decision}">{_esc(line)}</div>{extra}</div>'
        )
        if self.panel.value != panel:
            self.panel.value = panel
        if self._prefilled_for != pid:  # a reason being edited is never overwritten by a refresh
            self.reason.value = knockout_reason(self.flags[pid], sheet)
            self.keep_reason.value = ""
            self._prefilled_for = pid
        is_open = state.session.is_open
        self.confirm_button.disabled = not is_open or decision == "knocked_out"
        self.keep_button.disabled = not is_open or decision == "knocked_out"
        self.reason.disabled = self.keep_reason.disabled = not is_open

    @reports_errors
    def _on_pick(self, change: Mapping[str, Any]) -> None:
        if self._setting or not change["new"]:
            return
        self.status.clear()
        self._show_product(change["new"])

    def _act(self, run: Callable[[], Any], message: str) -> bool:
        try:
            run()
        except OcopError as exc:
            log.info("refused: %s", exc)
            self.status.show_error(describe_error(exc, self.texts, self.lang))
            return False
        self.on_change()
        self.status.show_ok(message)
        return True

    @reports_errors
    def _on_confirm(self, _button: Any) -> None:
        pid, reason = self.picker.value, self.reason.value.strip()
        if not pid:
            return
        if not reason:
            self.status.show_error(self.t("secretary_need_reason"))
            return
        page = self.page
        self._act(
            lambda: page.store.knock_out(page.session_id, page.actor, pid, reason),
            self.t("sec_ko_done", product=pid, reason=reason),
        )

    @reports_errors
    def _on_keep(self, _button: Any) -> None:
        pid, reason = self.picker.value, self.keep_reason.value.strip()
        if not pid:
            return
        if not reason:
            self.status.show_error(self.t("secretary_need_reason"))
            return
        page = self.page
        if self._act(
            lambda: page.store.keep_despite_knockout(page.session_id, page.actor, pid, reason),
            self.t("sec_ko_kept_done", product=pid),
        ):
            self.keep_reason.value = ""


class FinishTab(ipw.VBox):
    """Products flagged by the spread rule (a new round), the quorum, and finalising the session."""

    def __init__(self, page: Page, state: SessionState, on_change: Callable[[], None]) -> None:
        self.page = page
        self.texts = page.texts
        self.on_change = on_change
        self.status = StatusLine(page.texts, page.lang)
        self.summary_head = ipw.HTML("")
        self.summary = ipw.HTML("")
        self.round_head = ipw.HTML("")
        self.flagged_picker = ipw.Dropdown(options=[], layout=ipw.Layout(width="36em"))
        self.flagged_picker.add_class(FLAGGED_PICKER)
        self.reason = ipw.Text(value="", layout=ipw.Layout(width="40em"))
        self.reason.add_class(contract.REASON)
        self.new_round_button = ipw.Button(button_style="warning", layout=ipw.Layout(width="16em"))
        self.new_round_button.add_class(contract.NEW_ROUND)
        self.finalise_head = ipw.HTML("")
        self.finalise_button = ipw.Button(button_style="danger", layout=ipw.Layout(width="16em", height="40px"))
        self.finalise_button.add_class(contract.FINALISE)
        self.confirm_text = ipw.HTML("")
        self.confirm_button = ipw.Button(button_style="danger", layout=ipw.Layout(width="12em", height="36px"))
        self.confirm_button.add_class(contract.CONFIRM)
        self.cancel_button = ipw.Button(layout=ipw.Layout(width="8em", height="36px"))
        self.cancel_button.add_class(contract.CANCEL)
        self.confirm_box = ipw.VBox(
            [self.confirm_text, ipw.HBox([self.confirm_button, self.cancel_button])],
            layout=ipw.Layout(display="none"),
        )
        finalise_box = ipw.VBox([self.finalise_head, self.finalise_button, self.confirm_box])
        finalise_box.add_class(FINALISE_BOX)
        self.knockouts = KnockoutSection(page, self._knockout_decided)
        self.new_round_button.on_click(self._on_new_round)
        self.finalise_button.on_click(self._on_finalise)
        self.confirm_button.on_click(self._on_confirm)
        self.cancel_button.on_click(self._on_cancel)
        super().__init__(
            [
                self.status,
                self.summary_head,
                self.summary,
                self.knockouts,
                self.round_head,
                ipw.HBox([self.flagged_picker]),
                self.reason,
                self.new_round_button,
                finalise_box,
            ],
            layout=ipw.Layout(width="100%"),
        )
        self.add_class(TAB_CLASSES[3])
        self.state = state
        self.shown_state: SessionState | None = None  # the state the results were computed for
        self.apply_texts(compute=False)

    @property
    def lang(self) -> str:
        """The page's language."""
        return self.page.lang

    def t(self, key: str, **values: Any) -> str:
        """A text in the page's language."""
        return self.page.t(key, **values)

    def apply_texts(self, *, compute: bool = True) -> None:
        """Label everything in the page's language."""
        self.status.lang = self.lang
        self.summary_head.value = f"<h3>{_esc(self.t('secretary_results'))}</h3>"
        self.round_head.value = (
            f"<h3>{_esc(self.t('secretary_new_round_head'))}</h3>"
            f'<div class="ocop-note">{_esc(self.t("secretary_new_round_hint"))}</div>'
        )
        self.reason.placeholder = self.t("secretary_reason_placeholder")
        self.new_round_button.description = self.t("secretary_new_round")
        self.finalise_head.value = (
            f"<h3>{_esc(self.t('secretary_finalise_head'))}</h3>"
            f'<div class="ocop-note">{_esc(self.t("secretary_finalise_hint"))}</div>'
        )
        self.finalise_button.description = self.t("secretary_finalise")
        self.confirm_button.description = self.t("form_confirm")
        self.cancel_button.description = self.t("form_cancel")
        self.knockouts.apply_texts()
        if compute:
            self.refresh(self.state, force=True)

    def _knockout_decided(self) -> None:
        """A knock-out confirmed or a product kept: the page follows, and this tab even when not shown."""
        self.on_change()
        self.refresh(self.page.store.state(self.page.session_id))

    def refresh(self, state: SessionState, *, force: bool = False) -> None:
        """Recompute the results (from the store) and show the flagged products and the quorum.

        The page calls this only while the tab is shown (the results cost a council calculation).
        """
        self.state = state
        if state == self.shown_state and not force:
            return
        self.shown_state = state
        t = self.t
        results = {r.product_id: r for r in self.page.store.results(self.page.session_id, state)}
        needed = state.quorum_needed()
        rows = []
        flagged: list[tuple[str, str]] = []
        knockout_flags: dict[str, Any] = {}
        for product in state.products:
            result = results.get(product.product_id)
            submitted = len(state.submitted_cards(product.product_id))
            flag = ""
            spread_flag = False
            if product.knockout is not None:
                flag = t("secretary_grid_knockout")
            elif result is not None and result.needs_discussion:
                flag = t("secretary_flag_spread", spread=result.spread)
                spread_flag = True
                flagged.append(
                    (
                        f"{product.product_id} · {product.name} — {t('secretary_spread', spread=result.spread)}",
                        product.product_id,
                    )
                )
            ko_decision = ""
            if result is not None and result.knockout_triggered:
                knockout_flags[product.product_id] = result.knockout_triggered
                ko_decision = knockout_decision(product)
                if ko_decision != "knocked_out":
                    key = "sec_ko_flag_kept" if ko_decision == "kept" else "sec_ko_flag_pending"
                    flag = "; ".join(x for x in (flag, t(key, codes=_codes(result.knockout_triggered))) if x)
            rows.append(
                f'<tr data-product="{_esc(product.product_id)}" data-flagged="{int(spread_flag)}"'
                f' data-knockout-flag="{ko_decision}">'
                f"<td>{_esc(product.product_id)}</td><td>{_esc(product.name)}</td>"
                f"<td>{_esc(t('secretary_grid_count', done=submitted, needed=needed))}</td>"
                f"<td>{_esc(result.mean_text if result else '')}</td>"
                f"<td>{_esc(result.spread if result else '')}</td>"
                f"<td>{_esc(t('stars_label', n=result.stars) if result and result.stars else '')}</td>"
                f'<td class="ocop-flag">{_esc(flag)}</td></tr>'
            )
        summary = (
            f'<table class="ocop-list"><thead><tr><th>{_esc(t("secretary_col_product"))}</th>'
            f"<th>{_esc(t('secretary_col_name'))}</th><th>{_esc(t('secretary_col_cards'))}</th>"
            f"<th>{_esc(t('secretary_col_mean'))}</th><th>{_esc(t('secretary_col_spread'))}</th>"
            f"<th>{_esc(t('secretary_col_stars'))}</th><th>{_esc(t('secretary_col_flag'))}</th></tr></thead>"
            f"<tbody>{''.join(rows)}</tbody></table>"
        )
        if self.summary.value != summary:
            self.summary.value = summary
        self.knockouts.show(state, knockout_flags)
        options = flagged or [(t("secretary_no_flagged"), "")]
        if tuple(options) != tuple(self.flagged_picker.options):
            value = self.flagged_picker.value
            if not any(v == value for _, v in options):
                value = options[0][1]
            with self.flagged_picker.hold_sync():
                self.flagged_picker.options = options
                self.flagged_picker.value = value
        is_open = state.session.is_open
        self.new_round_button.disabled = not (is_open and flagged)
        self.finalise_button.disabled = not is_open
        if not is_open:
            self.status.show_info(t("secretary_finalised", when=state.session.finalised_at or ""))

    def _ask(self, question: str) -> None:
        self.confirm_text.value = f"<b>{_esc(question)}</b>"
        self.confirm_box.layout.display = ""

    @reports_errors
    def _on_new_round(self, _button: Any) -> None:
        pid = self.flagged_picker.value
        reason = self.reason.value.strip()
        if not pid:
            self.status.show_error(self.t("secretary_no_flagged"))
            return
        if not reason:
            self.status.show_error(self.t("secretary_need_reason"))
            return
        page = self.page
        try:
            new = page.store.open_round(page.session_id, page.actor, pid, reason)
        except OcopError as exc:
            self.status.show_error(describe_error(exc, self.texts, self.lang))
            return
        self.reason.value = ""
        self.on_change()
        self.status.show_ok(self.t("secretary_round_opened", product=pid, n=new))

    @reports_errors
    def _on_finalise(self, _button: Any) -> None:
        self._ask(self.t("secretary_finalise_question"))
        self.status.show_info(self.t("form_confirm_hint"))

    @reports_errors
    def _on_cancel(self, _button: Any) -> None:
        self.confirm_box.layout.display = "none"
        self.status.show_info(self.t("form_cancelled"))

    @reports_errors
    def _on_confirm(self, _button: Any) -> None:
        self.confirm_box.layout.display = "none"
        page = self.page
        try:
            digest = page.store.finalise(page.session_id, page.actor)
        except StoreError as exc:
            state = page.store.state(page.session_id)
            needed = state.quorum_needed()
            short = [
                f"{p.product_id} ({len(state.submitted_cards(p.product_id))}/{needed})"
                for p in state.products
                if p.knockout is None and len(state.submitted_cards(p.product_id)) < needed
            ]
            if short and state.session.is_open:
                self.status.show_error(self.t("secretary_finalise_refused", needed=needed, products=", ".join(short)))
            else:
                self.status.show_error(describe_error(exc, self.texts, self.lang))
            log.info("finalise refused: %s", exc)
            return
        self.on_change()
        self.status.show_ok(self.t("secretary_finalised_ok", digest=digest[:16]))


# --- Công nhận --------------------------------------------------------------------------------------


def day_text(iso: str, lang: str) -> str:
    """A decision's date as the page shows it: 01/07/2026 in Vietnamese, 2026-07-01 in English."""
    if lang != "vi":
        return iso
    try:
        return date.fromisoformat(iso).strftime("%d/%m/%Y")
    except ValueError:
        return iso


def standing_text(st: Standing, texts: Texts, lang: str) -> str:
    """A product's standing after the council, in words (Decision 26/2026, Điều 7)."""
    t = lambda key, **kw: tr(texts, key, lang, **kw)  # noqa: E731
    if st.status == "recognised" and st.decision is not None:
        return t(
            "sec_standing_recognised", n=st.stars, number=st.decision.number, date=day_text(st.decision.signed_on, lang)
        )
    if st.status == "central_below" and st.central is not None:
        return t("sec_standing_central_below", mean=st.central.mean_total, n=st.stars)
    if st.status in ("proposed", "not_recognised"):
        return t(f"sec_standing_{st.status}", n=st.stars)
    if st.status in ("forwarded", "central_5_star", "rejected"):
        return t(f"sec_standing_{st.status}")
    return st.status


def read_central_file(data: bytes, name: str) -> Any:
    """The JSON document of a central council's results file, or ScoresInputError naming the file."""
    if len(data) > CENTRAL_MAX_BYTES:
        got = verbatim(f"{len(data):,} bytes")
        raise ScoresInputError(name, [Problem(name, None, "file", f"at most {CENTRAL_MAX_BYTES:,} bytes", got)])
    try:
        return json.loads(data.decode("utf-8-sig"))
    except UnicodeDecodeError as exc:
        raise ScoresInputError(
            name, [Problem(name, None, "encoding", "UTF-8 text", verbatim(f"byte {exc.start}: {exc.reason}"))]
        ) from None
    except json.JSONDecodeError as exc:
        raise ScoresInputError(
            name, [Problem(name, exc.lineno, "json", "the JSON of `ocop score --format json`", verbatim(exc.msg))]
        ) from None


class RecognitionTab(ipw.VBox):
    """After the meeting: the recognition decision, each product's standing, the decisions recorded,
    and the central council's results. Works on a finalised session (the store allows these writes)."""

    def __init__(self, page: Page, state: SessionState, on_change: Callable[[], None]) -> None:
        self.page = page
        self.texts = page.texts
        self.on_change = on_change
        self.status = StatusLine(page.texts, page.lang)
        self.central_status = StatusLine(page.texts, page.lang)
        self.head = ipw.HTML("")
        self.finalised_note = ipw.HTML("")
        self.awaiting_label = ipw.HTML("")
        self.checks: dict[str, ipw.Checkbox] = {}
        self.checks_box = ipw.VBox([])
        self.number_label = ipw.HTML("")
        self.number = ipw.Text(value="", layout=ipw.Layout(width="16em"))
        self.number.add_class(DECISION_NUMBER)
        self.date_label = ipw.HTML("")
        self.date = ipw.DatePicker(value=None, layout=ipw.Layout(width="12em"))
        self.date.add_class(DECISION_DATE)
        self.record_button = ipw.Button(button_style="primary", layout=ipw.Layout(width="22em", height="36px"))
        self.record_button.add_class(RECOGNISE)
        recognition_box = ipw.VBox(
            [
                self.head,
                self.finalised_note,
                self.awaiting_label,
                self.checks_box,
                ipw.HBox(
                    [self.number_label, self.number, self.date_label, self.date],
                    layout=ipw.Layout(align_items="center"),
                ),
                self.record_button,
                self.status,
            ]
        )
        recognition_box.add_class(RECOGNITION)
        recognition_box.add_class("ocop-recognition-box")
        self.standings_head = ipw.HTML("")
        self.standings = ipw.HTML("")
        self.standings.add_class(STANDINGS)
        self.decisions_head = ipw.HTML("")
        self.decisions = ipw.HTML("")
        self.decisions.add_class(DECISIONS)
        self.central_head = ipw.HTML("")
        self.central_number_label = ipw.HTML("")
        self.central_number = ipw.Text(value="", layout=ipw.Layout(width="16em"))
        self.central_number.add_class(CENTRAL_NUMBER)
        self.central_date_label = ipw.HTML("")
        self.central_date = ipw.DatePicker(value=None, layout=ipw.Layout(width="12em"))
        self.central_date.add_class(CENTRAL_DATE)
        self.upload = ipw.FileUpload(accept=".json", multiple=False, layout=ipw.Layout(width="24em"))
        self.upload.add_class(UPLOAD_CENTRAL)
        self.central_report = ipw.HTML("")
        self.central_report.add_class(CENTRAL_REPORT)
        central_box = ipw.VBox(
            [
                self.central_head,
                ipw.HBox(
                    [self.central_number_label, self.central_number, self.central_date_label, self.central_date],
                    layout=ipw.Layout(align_items="center"),
                ),
                self.upload,
                self.central_report,
                self.central_status,
            ]
        )
        central_box.add_class("ocop-central-box")
        self.record_button.on_click(self._on_record)
        self.upload.observe(self._on_central_file, names="value")
        super().__init__(
            [
                recognition_box,
                self.standings_head,
                self.standings,
                self.decisions_head,
                self.decisions,
                central_box,
            ],
            layout=ipw.Layout(width="100%"),
        )
        self.add_class(TAB_CLASSES[RECOGNITION_TAB])
        self.state = state
        self.shown_state: SessionState | None = None  # the state the standings were computed for
        self.apply_texts(compute=False)

    @property
    def lang(self) -> str:
        """The page's language."""
        return self.page.lang

    def t(self, key: str, **values: Any) -> str:
        """A text in the page's language."""
        return self.page.t(key, **values)

    def apply_texts(self, *, compute: bool = True) -> None:
        """Label everything in the page's language."""
        t = self.t
        self.status.lang = self.central_status.lang = self.lang
        self.head.value = f'<h3>{_esc(t("sec_rec_head"))}</h3><div class="ocop-note">{_esc(t("sec_rec_hint"))}</div>'
        self.number_label.value = f"<b>{_esc(t('sec_rec_number'))}</b>&nbsp;"
        self.number.placeholder = t("sec_rec_number_placeholder")
        self.date_label.value = f"&nbsp;&nbsp;<b>{_esc(t('sec_rec_date'))}</b>&nbsp;"
        self.record_button.description = t("sec_rec_record")
        self.standings_head.value = f"<h3>{_esc(t('sec_standings_head'))}</h3>"
        self.decisions_head.value = f"<h3>{_esc(t('sec_decisions_head'))}</h3>"
        self.central_head.value = (
            f'<h3>{_esc(t("sec_central_head"))}</h3><div class="ocop-note">{_esc(t("sec_central_hint"))}</div>'
        )
        self.central_number_label.value = f"<b>{_esc(t('sec_central_number'))}</b>&nbsp;"
        self.central_number.placeholder = t("sec_rec_number_placeholder")
        self.central_date_label.value = f"&nbsp;&nbsp;<b>{_esc(t('sec_central_date'))}</b>&nbsp;"
        self.upload.description = t("sec_central_upload")
        if compute:
            self.refresh(self.state, force=True)

    def refresh(self, state: SessionState, *, force: bool = False) -> None:
        """Recompute the standings (from the store) and show them with the decisions recorded.

        The page calls this only while the tab is shown (the standings cost a council calculation).
        """
        self.state = state
        if state == self.shown_state and not force:
            return
        self.shown_state = state
        t = self.t
        results = self.page.store.results(self.page.session_id, state)
        standings: dict[str, tuple[Any, Standing]] = {}
        for product in state.products:
            if product.product_id in results:
                result = results.product(product.product_id)
                standings[product.product_id] = (result, result.standing)
        self._set_awaiting(state, standings)
        self.finalised_note.value = (
            "" if state.session.is_open else f'<div class="ocop-status-info">ℹ {_esc(t("sec_rec_finalised"))}</div>'
        )
        rows = []
        for product in state.products:
            pid = product.product_id
            if pid in standings:
                result, st = standings[pid]
                council = (
                    t("sec_council_mean", mean=result.mean_text)
                    if result.rejected
                    else t("sec_council_score", mean=result.mean_text, stars=result.stars)
                )
                status, words = st.status, standing_text(st, self.texts, self.lang)
            else:
                council, status, words = "", "no_result", t("sec_standing_no_result")
            rows.append(
                f'<tr data-product="{_esc(pid)}" data-standing="{status}"><td>{_esc(pid)}</td>'
                f"<td>{_esc(product.name)}</td><td>{_esc(council)}</td>"
                f'<td class="ocop-standing">{_esc(words)}</td></tr>'
            )
        html_standings = (
            f'<table class="ocop-list"><thead><tr><th>{_esc(t("secretary_col_product"))}</th>'
            f"<th>{_esc(t('secretary_col_name'))}</th><th>{_esc(t('sec_col_council'))}</th>"
            f"<th>{_esc(t('sec_col_standing'))}</th></tr></thead><tbody>{''.join(rows)}</tbody></table>"
        )
        if self.standings.value != html_standings:
            self.standings.value = html_standings
        decisions = self._decisions_html(state)
        if self.decisions.value != decisions:
            self.decisions.value = decisions

    def _set_awaiting(self, state: SessionState, standings: Mapping[str, tuple[Any, Standing]]) -> None:
        """One checkbox per product awaiting recognition (ticked when it first appears)."""
        t = self.t
        children = []
        checks: dict[str, ipw.Checkbox] = {}
        for product in state.products:
            pid = product.product_id
            if pid not in standings or not standings[pid][1].can_be_recognised:
                continue
            result, st = standings[pid]
            label = f"{pid} · {product.name} — {standing_text(st, self.texts, self.lang)}"
            if result.knockout_triggered and knockout_decision(product) == "pending":
                label += f" ({t('sec_rec_flag_pending')})"
            box = self.checks.get(pid)
            if box is None:
                box = ipw.Checkbox(value=True, indent=False, layout=ipw.Layout(width="auto"))
                box.add_class(AWAITING_PREFIX + pid)
            if box.description != label:
                box.description = label
            checks[pid] = box
            children.append(box)
        self.checks = checks
        if tuple(children) != tuple(self.checks_box.children):
            self.checks_box.children = tuple(children)
        key = "sec_rec_awaiting" if checks else "sec_rec_none_awaiting"
        self.awaiting_label.value = f"<b>{_esc(t(key))}</b>"
        self.record_button.disabled = not checks

    def _decisions_html(self, state: SessionState) -> str:
        t = self.t
        if not state.decisions:
            return f'<div class="ocop-note">{_esc(t("sec_decisions_none"))}</div>'
        rows = []
        for d in state.decisions:
            if d.kind == "central_result":
                what = "; ".join(
                    t("sec_central_item", product=r.product_id, mean=r.mean_total, stars=r.stars) for r in d.results
                )
            else:
                what = ", ".join(
                    f"{pid} · {state.product(pid).name}" if state.has_product(pid) else pid for pid in d.products
                )
            rows.append(
                f'<tr data-seq="{d.seq}" data-kind="{_esc(d.kind)}" data-products="{_esc(" ".join(d.products))}">'
                f"<td>{_esc(t('sec_kind_' + d.kind))}</td><td>{_esc(d.number)}</td>"
                f"<td>{_esc(day_text(d.signed_on, self.lang))}</td><td>{_esc(what)}</td></tr>"
            )
        return (
            f'<table class="ocop-list"><thead><tr><th>{_esc(t("sec_col_kind"))}</th>'
            f"<th>{_esc(t('sec_col_number'))}</th><th>{_esc(t('sec_col_date'))}</th>"
            f"<th>{_esc(t('sec_col_products'))}</th></tr></thead><tbody>{''.join(rows)}</tbody></table>"
        )

    def _changed(self) -> None:
        self.on_change()
        self.refresh(self.page.store.state(self.page.session_id))

    @reports_errors
    def _on_record(self, _button: Any) -> None:
        number, day = self.number.value.strip(), self.date.value
        chosen = [pid for pid, box in self.checks.items() if box.value]
        if not number or day is None:
            self.status.show_error(self.t("sec_rec_need_fields"))
            return
        if not chosen:
            self.status.show_error(self.t("sec_rec_none_chosen"))
            return
        page = self.page
        try:
            decision = page.store.recognise(page.session_id, number, day.isoformat(), chosen, actor=page.actor)
        except OcopError as exc:
            log.info("recognition refused: %s", exc)
            self.status.show_error(describe_error(exc, self.texts, self.lang))
            return
        self.number.value = ""
        self._changed()
        self.status.show_ok(
            self.t(
                "sec_rec_done",
                number=decision.number,
                date=day_text(decision.signed_on, self.lang),
                products=", ".join(decision.products),
            )
        )

    @reports_errors
    def _on_central_file(self, change: Mapping[str, Any]) -> None:
        files = change["new"]
        if not files:
            return
        item = files[0]
        name = str(item.get("name", "")) if isinstance(item, Mapping) else ""
        data = bytes(item["content"]) if isinstance(item, Mapping) else b""
        page = self.page
        number, day = self.central_number.value.strip(), self.central_date.value
        try:
            if not number or day is None:
                self.central_report.value = ""
                self.central_status.show_error(self.t("sec_rec_need_fields"))
                return
            document = read_central_file(data, name)
            decision = page.store.import_central_result(
                page.session_id, document, number, day.isoformat(), name=name, actor=page.actor
            )
        except ProblemsError as exc:
            items = "".join(f"<li>{_esc(p)}</li>" for p in exc.problems)
            head = self.t("sec_central_problems", file=name, count=len(exc.problems))
            self.central_report.value = f'<div class="ocop-bad">✖ {_esc(head)}</div><ul>{items}</ul>'
            self.central_status.show_error(head)
        except OcopError as exc:
            detail = error_text(exc, self.texts, self.lang)
            message = self.t("sec_central_refused", file=name, detail=detail)
            self.central_report.value = f'<div class="ocop-bad">✖ {_esc(message)}</div>'
            self.central_status.show_error(message)
        else:
            products = ", ".join(
                self.t("sec_central_item", product=r.product_id, mean=r.mean_total, stars=r.stars)
                for r in decision.results
            )
            message = self.t("sec_central_done", file=name, products=products)
            self.central_report.value = f'<div class="ocop-good">✔ {_esc(message)}</div>'
            self.central_number.value = ""
            self._changed()
            self.central_status.show_ok(message)
        finally:
            self.upload.value = ()


# --- the page ----------------------------------------------------------------------------------------


class SecretaryApp(ipw.VBox):
    """The secretary's page: five tabs kept live by one poller."""

    def __init__(
        self,
        store: Any,
        session_id: str,
        actor: Any,
        *,
        texts: Texts | None = None,
        lang: str = "vi",
        poll_interval: float = 1.0,
    ) -> None:
        self.texts = texts or load_texts()
        self.page = Page(store, session_id, actor, self.texts, lang)
        self.store, self.session_id, self.actor = store, session_id, actor
        state = store.state(session_id)
        self.state = state
        self.title = ipw.HTML("")
        self.lang_toggle = LangToggle(lang)
        self.entry = EntryTab(self.page, state, self._changed)
        self.progress = ProgressTab(self.page, state)
        self.lists = ListsTab(self.page, state, self._changed)
        self.finish = FinishTab(self.page, state, self._changed)
        self.recognition = RecognitionTab(self.page, state, self._changed)
        self.tabs = ipw.Tab(
            [self.entry, self.progress, self.lists, self.finish, self.recognition], layout=ipw.Layout(width="100%")
        )
        self.heartbeat = Heartbeat()
        self.lang_toggle.observe(self._on_lang, names="value")
        self.tabs.observe(self._on_tab, names="selected_index")
        header = ipw.HBox(
            [self.title, self.lang_toggle],
            layout=ipw.Layout(width="100%", justify_content="space-between", align_items="flex-start"),
        )
        super().__init__(
            [ipw.HTML(STYLE + FORM_CSS + SECRETARY_CSS), header, self.tabs, self.heartbeat],
            layout=ipw.Layout(width="100%", max_width="1400px", padding="0 8px"),
        )
        self.add_class("ocop-app")
        self.add_class("ocop-secretary-app")
        self._apply_texts()
        self.poller = Poller(
            lambda: store.data_version(session_id), self.refresh, self.heartbeat, interval=poll_interval
        )
        start_polling(self.poller, state.session.head_seq)

    @property
    def status(self) -> StatusLine:
        """The status line of the entry tab (handlers of the page itself report there)."""
        return self.entry.status

    @property
    def lang(self) -> str:
        """The page's language."""
        return self.page.lang

    def _apply_texts(self) -> None:
        t = self.page.t
        self.tabs.titles = (
            t("secretary_tab_entry"),
            t("secretary_tab_progress"),
            t("secretary_tab_lists"),
            t("secretary_tab_finish"),
            t("sec_tab_recognition"),
        )
        session = self.state.session
        self.title.value = (
            f'<div class="ocop-page-title"><div style="font-size:17px">{_esc(session.name)}'
            + (f" · {_esc(session.round_label)}" if session.round_label else "")
            + f" · {_esc(t('secretary_session', session=session.session_id))}</div></div>"
        )

    def _changed(self) -> None:
        """A write of this page: show its effects at once (the poller would a second later)."""
        self.refresh()

    def refresh(self) -> None:
        """Read the store again and update every tab."""
        state = self.store.state(self.session_id)
        self.state = state
        self.entry.refresh(state)
        self.progress.refresh(state)
        self.lists.refresh(state)
        for index, tab in ((FINISH_TAB, self.finish), (RECOGNITION_TAB, self.recognition)):
            if self.tabs.selected_index == index:
                tab.refresh(state)
            else:
                tab.state = state

    @reports_errors
    def _on_tab(self, change: Mapping[str, Any]) -> None:
        if change["new"] == FINISH_TAB:
            self.finish.refresh(self.store.state(self.session_id))
        elif change["new"] == RECOGNITION_TAB:
            self.recognition.refresh(self.store.state(self.session_id))

    @reports_errors
    def _on_lang(self, change: Mapping[str, Any]) -> None:
        self.page.lang = change["new"]
        self._apply_texts()
        self.entry.apply_texts()
        self.progress.refresh(self.state)
        self.lists.apply_texts()
        self.finish.apply_texts(compute=self.tabs.selected_index == FINISH_TAB)
        self.recognition.apply_texts(compute=self.tabs.selected_index == RECOGNITION_TAB)


def secretary_app(
    store: Any = None,
    session: str | None = None,
    token: str | None = None,
    lang: str | None = None,
    *,
    poll_interval: float = 1.0,
) -> ipw.Widget:
    """The secretary's page, or a page saying why the link cannot be used (never a traceback).

    Only the secretary's token opens it. Arguments as ``member_app``.
    """
    texts = load_texts()
    ctx = page_context(store=store if isinstance(store, str) else None, session=session, token=token, lang=lang)
    try:
        st, actor, refusal = resolve_actor(
            texts,
            ctx.lang,
            store if store is not None and not isinstance(store, str) else ctx.store_url,
            ctx.session_id,
            ctx.token,
            allow_finalised=True,
        )
        if refusal is not None:
            return refusal
        if actor.role != "secretary":
            return error_page(tr(texts, "bad_link_title", ctx.lang), tr(texts, "secretary_not_secretary", ctx.lang))
        return SecretaryApp(st, actor.session_id, actor, texts=texts, lang=ctx.lang, poll_interval=poll_interval)
    except Exception:  # noqa: BLE001 - a page, not a traceback; the traceback goes to the log
        log.error("secretary page failed\n%s", traceback.format_exc())
        return error_page(tr(texts, "member_error_title", ctx.lang), tr(texts, "unexpected_error", ctx.lang))
