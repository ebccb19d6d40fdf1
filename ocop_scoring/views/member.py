"""The member's page: a council member scores the session's products from a personal link.

Layer: views. Imports: ipywidgets, the store, the texts, ``views.common``, ``views.scoring_form``.
The page shows only the member's own cards (the member is the token's, never a
query parameter); the store enforces the same.
"""

from __future__ import annotations

import asyncio
import html
import logging
import traceback
from typing import Any

import ipywidgets as ipw

from ocop_scoring.errors import AccessDenied, OcopError
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
    page_context,
    reports_errors,
)
from ocop_scoring.views.scoring_form import FORM_CSS, ScoringForm, tr

log = logging.getLogger(__name__)

PROGRESS_ICONS = {"submitted": "✔", "draft": "✎", "not_started": "○", "recused": "⊘", "knockout": "✗"}


def open_store(store: Any) -> Any:
    """The store object: the one given, or one opened from a URL / path (never created by a page)."""
    from ocop_scoring.store import SessionStore

    if isinstance(store, SessionStore):
        return store
    return SessionStore(store, create=False)


def member_progress(state: SessionState, product_id: str, member_id: str) -> str:
    """``knockout`` for a knocked-out product, else the card's progress (``SessionState.progress``)."""
    if state.product(product_id).knockout is not None:
        return "knockout"
    return state.progress(product_id, member_id)


def progress_label(texts: Texts, lang: str, progress: str) -> str:
    """``✔ đã nộp`` and so on."""
    return f"{PROGRESS_ICONS[progress]} {tr(texts, 'member_status_' + progress, lang)}"


def progress_html(texts: Texts, lang: str, counts: dict[str, int], *, who: str = "") -> str:
    """The member's progress line: done of total, drafts, not started, not scored."""
    total = counts.get("submitted", 0) + counts.get("draft", 0) + counts.get("not_started", 0)
    parts = [
        tr(texts, "member_progress_done", lang, done=counts.get("submitted", 0), total=total),
        tr(texts, "member_progress_draft", lang, n=counts.get("draft", 0)),
        tr(texts, "member_progress_not_started", lang, n=counts.get("not_started", 0)),
    ]
    if counts.get("recused"):
        parts.append(tr(texts, "member_progress_recused", lang, n=counts["recused"]))
    if counts.get("knockout"):
        parts.append(tr(texts, "member_progress_knockout", lang, n=counts["knockout"]))
    return (
        f'<div class="ocop-progress-line" data-done="{counts.get("submitted", 0)}" data-total="{total}"'
        f' data-member="{html.escape(who)}"><b>{html.escape(tr(texts, "member_progress", lang))}</b> '
        + html.escape(" · ".join(parts))
        + "</div>"
    )


class ProductPicker(ipw.Dropdown):
    """The products in council order, each with the card's progress; relabelling keeps the choice."""

    def __init__(self, width: str = "48em") -> None:
        super().__init__(options=[], layout=ipw.Layout(width=width))
        self.add_class(contract.PRODUCT_PICKER)
        self.setting = False

    def set_options(self, options: list[tuple[str, str]], value: str | None) -> None:
        """Replace the labels (and keep ``value`` selected) without firing a product switch."""
        if not any(v == value for _, v in options):
            value = options[0][1] if options else None
        if tuple(options) == tuple(self.options) and value == self.value:
            return
        self.setting = True
        try:
            with self.hold_sync():
                self.options = options
                if value is not None:
                    self.value = value
        finally:
            self.setting = False


class MemberApp(ipw.VBox):
    """The member's page: progress, the product picker and the scoring form, kept live by one poller."""

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
        self.store = store
        self.session_id = session_id
        self.actor = actor
        self.member_id: str = actor.member_id
        self.texts = texts or load_texts()
        self.lang = lang
        state = store.state(session_id)
        self.state = state
        self.form = ScoringForm(
            store, session_id, actor, ruleset=store.ruleset(session_id), texts=self.texts, lang=lang
        )
        self.form.on_saved = self._on_saved
        self.status: StatusLine = self.form.status
        self.title = ipw.HTML("")
        self.lang_toggle = LangToggle(lang)
        self.progress = ipw.HTML("")
        self.progress.add_class(contract.PROGRESS)
        self.picker_label = ipw.HTML("")
        self.picker = ProductPicker()
        self.heartbeat = Heartbeat()
        self._progress: dict[str, str] = {}

        self.picker.observe(self._on_pick, names="value")
        self.lang_toggle.observe(self._on_lang, names="value")
        header = ipw.HBox(
            [self.title, self.lang_toggle],
            layout=ipw.Layout(width="100%", justify_content="space-between", align_items="flex-start"),
        )
        picker_row = ipw.HBox([self.picker_label, self.picker], layout=ipw.Layout(align_items="center"))
        super().__init__(
            [ipw.HTML(STYLE + FORM_CSS), header, self.progress, picker_row, self.form, self.heartbeat],
            layout=ipw.Layout(width="100%", max_width="1280px", padding="0 8px"),
        )
        self.add_class("ocop-app")
        self.add_class("ocop-member-app")
        self._apply_texts()
        first = self._first_product(state)
        self._apply_state(state, value=first)
        if first is not None:
            self.form.show(state, first, self.member_id)
        self.poller = Poller(
            lambda: store.data_version(session_id), self.refresh, self.heartbeat, interval=poll_interval
        )
        start_polling(self.poller, state.session.head_seq)

    def t(self, key: str, **values: Any) -> str:
        """A text in the page's language."""
        return tr(self.texts, key, self.lang, **values)

    def _apply_texts(self) -> None:
        state = self.state
        member = state.member(self.member_id)
        role = self.t("member_role_" + member.role)
        self.title.value = (
            '<div class="ocop-page-title"><div style="font-size:17px">'
            + html.escape(self.t("member_who", name=member.name, member=member.member_id, role=role))
            + "</div>"
            + f'<div style="color:#444">{html.escape(state.session.name)}'
            + (f" · {html.escape(state.session.round_label)}" if state.session.round_label else "")
            + "</div></div>"
        )
        self.picker_label.value = f"<b>{html.escape(self.t('member_pick_product'))}</b>&nbsp;"

    def _first_product(self, state: SessionState) -> str | None:
        products = state.products_for(self.member_id)
        for product in products:
            if member_progress(state, product.product_id, self.member_id) in ("draft", "not_started"):
                return product.product_id
        return products[0].product_id if products else None

    def _apply_state(self, state: SessionState, value: str | None = None) -> None:
        self.state = state
        self._progress = {
            p.product_id: member_progress(state, p.product_id, self.member_id)
            for p in state.products_for(self.member_id)
        }
        self._relabel(value)

    def _relabel(self, value: str | None = None) -> None:
        names = {p.product_id: p.name for p in self.state.products}
        options = [
            (f"{pid} · {names.get(pid, '')} — {progress_label(self.texts, self.lang, progress)}", pid)
            for pid, progress in self._progress.items()
        ]
        self.picker.set_options(options, value if value is not None else self.picker.value)
        counts: dict[str, int] = {}
        for progress in self._progress.values():
            counts[progress] = counts.get(progress, 0) + 1
        new = progress_html(self.texts, self.lang, counts, who=self.member_id)
        if self.progress.value != new:
            self.progress.value = new

    def _on_saved(self, product_id: str, member_id: str, progress: str) -> None:
        if member_id != self.member_id or self._progress.get(product_id) == progress:
            return
        self._progress[product_id] = progress
        self._relabel()

    @reports_errors
    def _on_pick(self, change: dict[str, Any]) -> None:
        if self.picker.setting or not change["new"]:
            return
        state = self.store.state(self.session_id)
        with self.hold_sync():
            self._apply_state(state)
            self.form.show(state, change["new"], self.member_id)

    @reports_errors
    def _on_lang(self, change: dict[str, Any]) -> None:
        self.lang = change["new"]
        self.status.lang = self.lang
        self._apply_texts()
        self._relabel()
        self.form.set_lang(self.lang)

    def refresh(self) -> None:
        """Read the store again: the product list, the progress and the current card's state."""
        state = self.store.state(self.session_id)
        self._apply_state(state)
        self.form.refresh(state)


def start_polling(poller: Poller, version: int) -> None:
    """Start the page's poller on the kernel's running loop (none in a plain script: refresh by hand)."""
    poller.last = version
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return
    poller.start(version)


def resolve_actor(
    texts: Texts, lang: str, store: Any, session: str | None, token: str | None, *, allow_finalised: bool = False
) -> tuple[Any, Any, ipw.Widget | None]:
    """``(store, actor, None)``, or ``(None, None, error page)`` for an unusable link."""
    t = lambda key, **kw: tr(texts, key, lang, **kw)  # noqa: E731
    try:
        st = open_store(store)
    except OcopError:
        log.warning("no store\n%s", traceback.format_exc())
        return None, None, error_page(t("no_session_title"), t("member_no_store"))
    if not token:
        return None, None, error_page(t("bad_link_title"), t("member_no_token"))
    try:
        actor = st.actor_for_token(token, session)
    except AccessDenied:
        return None, None, error_page(t("bad_link_title"), t("member_bad_token"))
    try:
        current = st.session(actor.session_id)
    except OcopError:
        return None, None, error_page(t("no_session_title"), t("member_no_session"))
    if not current.is_open and not allow_finalised:
        return (
            None,
            None,
            error_page(t("member_finalised_title"), t("member_finalised", when=current.finalised_at or "")),
        )
    return st, actor, None


def member_app(
    store: Any = None,
    session: str | None = None,
    token: str | None = None,
    lang: str | None = None,
    *,
    poll_interval: float = 1.0,
) -> ipw.Widget:
    """The member's page, or a page saying why the link cannot be used (never a traceback).

    Args:
        store: A ``SessionStore``, a SQLAlchemy URL or a SQLite path; None: ``$OCOP_STORE``.
        session: The session; None: the token's (``?session=`` or ``$OCOP_SESSION`` must agree).
        token: The member's personal token; None: the page URL's ``?token=``.
        lang: ``"vi"`` or ``"en"``; None: ``?lang=`` or Vietnamese.
        poll_interval: Seconds between two looks at the store.
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
        )
        if refusal is not None:
            return refusal
        if actor.role not in ("member", "chair"):
            return error_page(tr(texts, "bad_link_title", ctx.lang), tr(texts, "member_not_a_member", ctx.lang))
        return MemberApp(st, actor.session_id, actor, texts=texts, lang=ctx.lang, poll_interval=poll_interval)
    except Exception:  # noqa: BLE001 - a page, not a traceback; the traceback goes to the log
        log.error("member page failed\n%s", traceback.format_exc())
        return error_page(tr(texts, "member_error_title", ctx.lang), tr(texts, "unexpected_error", ctx.lang))
