"""The secretary's page: paper sheets typed in, progress, lists, re-scoring rounds and the end of the session.

Layer: views. Imports: ipywidgets, the store, the imports readers, the texts,
``views.common``, ``views.scoring_form``, ``views.member``. Holds no rules: every
action is a store call with the secretary's actor, and the store's refusals are
shown as they are.

Four tabs: Nhập phiếu (a member's card for a product: fast keyboard entry or the
full form, and the secretary's actions on it), Tiến độ (product × member grid),
Danh sách (members and products, imports), Kết thúc (products flagged by the
spread rule, a new round, finalising).
"""

from __future__ import annotations

import html
import logging
import traceback
from collections.abc import Callable, Mapping
from typing import Any

import ipywidgets as ipw

from ocop_scoring.errors import ImportFileError, OcopError, StoreError
from ocop_scoring.model import SessionState
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
    ENTRY_MODE,
    FINALISE_BOX,
    FLAGGED_PICKER,
    UNRECUSE,
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
from ocop_scoring.views.scoring_form import FORM_CSS, ScoringForm, describe_error, tr

log = logging.getLogger(__name__)

# Classes of this page beyond the contract (reported to the lead).
TAB_CLASSES = ("ocop-tab-entry", "ocop-tab-progress", "ocop-tab-lists", "ocop-tab-finish")

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
        self.new_round_button.on_click(self._on_new_round)
        self.finalise_button.on_click(self._on_finalise)
        self.confirm_button.on_click(self._on_confirm)
        self.cancel_button.on_click(self._on_cancel)
        super().__init__(
            [
                self.status,
                self.summary_head,
                self.summary,
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
        if compute:
            self.refresh(self.state, force=True)

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
        for product in state.products:
            result = results.get(product.product_id)
            submitted = len(state.submitted_cards(product.product_id))
            flag = ""
            if product.knockout is not None:
                flag = t("secretary_grid_knockout")
            elif result is not None and result.needs_discussion:
                flag = t("secretary_flag_spread", spread=result.spread)
                flagged.append(
                    (
                        f"{product.product_id} · {product.name} — {t('secretary_spread', spread=result.spread)}",
                        product.product_id,
                    )
                )
            rows.append(
                f'<tr data-product="{_esc(product.product_id)}" data-flagged="{int(bool(flag) and product.knockout is None)}">'
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


# --- the page ----------------------------------------------------------------------------------------


class SecretaryApp(ipw.VBox):
    """The secretary's page: four tabs kept live by one poller."""

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
        self.tabs = ipw.Tab([self.entry, self.progress, self.lists, self.finish], layout=ipw.Layout(width="100%"))
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
        if self.tabs.selected_index == 3:
            self.finish.refresh(state)
        else:
            self.finish.state = state

    @reports_errors
    def _on_tab(self, change: Mapping[str, Any]) -> None:
        if change["new"] == 3:
            self.finish.refresh(self.store.state(self.session_id))

    @reports_errors
    def _on_lang(self, change: Mapping[str, Any]) -> None:
        self.page.lang = change["new"]
        self._apply_texts()
        self.entry.apply_texts()
        self.progress.refresh(self.state)
        self.lists.apply_texts()
        self.finish.apply_texts(compute=self.tabs.selected_index == 3)


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
