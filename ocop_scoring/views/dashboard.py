"""The projector dashboard: scoring progress, live results per sheet, and one product's whole calculation.

Layer: views. Imports: ipywidgets, traitlets, the store, scoring results, explain (renderers), texts,
views.common and views.contract. Holds no rules: every number comes from ``store.results`` and its
``explain``; this module only lays them out.

What it says follows the engine's words: a provincial council *proposes* (``ProductResult.outcome``:
"Đề xuất công nhận 4★", "Đạt từ 90 điểm: đề nghị Bộ đánh giá 5★"), never "recognised"; a member's
"không đạt" (option 0) shows as such in the points grid, never as a bare 0; a knock-out rule the
ticks trigger (``ProductResult.knockout_triggered``) flags the product (⚑, the criterion, the members,
the note), the rejection staying the council's decision.

One page per projector (``notebooks/council.ipynb?token=…``; any token of the session may view).
The page reads the store once per change: one ``Poller`` (0.5 s) compares ``data_version`` and,
when it moved, ``refresh`` reads one ``state`` and one ``results`` and re-renders under
``hold_sync``. Tables are HTML strings in ``ipw.HTML`` widgets (never an Output widget, see
VOILA_NOTES P3), and a widget is pushed to the browser only when its HTML changed, so an
abandoned page sends nothing and its kernel is culled as idle.
"""

from __future__ import annotations

import contextlib
import html
import logging
import re
import traceback
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from fractions import Fraction
from functools import cached_property
from pathlib import Path
from typing import Any

import ipywidgets as ipw
import traitlets

from ocop_scoring.errors import AccessDenied, OcopError
from ocop_scoring.explain import format_mean, format_points, render_step
from ocop_scoring.model import NOT_MET, Card, Product, RuleSet, SessionState, Sheet
from ocop_scoring.scoring import CouncilResult, ProductResult
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
    large_type_css,
    page_context,
    reports_errors,
)

log = logging.getLogger(__name__)
esc = html.escape

PROGRESS_STATES = ("submitted", "draft", "not_started", "recused")
STATE_ICONS = {"submitted": "✔", "draft": "✎", "not_started": "○", "recused": "⊘"}
PROVISIONAL_ICON = "◔"
DISCUSSION_ICON = "⚠"
CAPPED_ICON = "↓"
KNOCKOUT_ICON = "✗"
KO_FLAG_ICON = "⚑"  # a knock-out rule triggered by the ticks: the council decides
PASS_ICON = "✔"
FAIL_ICON = "✖"
MINIMUM_RULES = ("minimum_mean", "minimum_every")
_DECISION_NAME = re.compile(r"\D*?\S*\d\S*")  # up to the first word holding a digit: the decision's number
STABILITY_SHOWN = 2  # the product view names this many deciding changes of each kind, then "and N other …"
UNMET_SHOWN = 2  # the results table lists this many unmet minimums, then "+N" (the product view lists all)
# Classes of this page beyond the contract (reported to the lead).
NOT_MET_CELL = "ocop-mx-not-met"  # a points-grid cell where the member chose "không đạt" (option 0)
KO_FLAG = "ocop-ko-flag"  # the ⚑ of a triggered knock-out rule (results row; data-criteria)
KO_FLAGS = "ocop-ko-flags"  # the product view's box of triggered knock-out rules (one .ocop-ko-flag-line each)


# --- UI state: which product the projector shows, in which language -----------------------------------


@dataclass(frozen=True)
class DashboardState:
    """What the projector shows, apart from the data: the language and the chosen product."""

    lang: str = "vi"
    selected: str | None = None  # None: follow the product last submitted


def select_product(state: DashboardState, product_id: str | None) -> DashboardState:
    """Show one product in the product view (``None`` or ``""``: follow the product last submitted)."""
    return replace(state, selected=product_id or None)


def set_lang(state: DashboardState, lang: str) -> DashboardState:
    """Switch the page's language."""
    return replace(state, lang=lang if lang in ("vi", "en") else "vi")


# --- what one refresh read ---------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class Snapshot:
    """One consistent read of the session: its state, its results, the pinned sheets and rule set."""

    version: int
    state: SessionState
    results: CouncilResult
    sheets: Mapping[str, Sheet]
    ruleset: RuleSet

    @cached_property
    def groups(self) -> list[tuple[str, list[Product]]]:
        """Products grouped by sheet (sheets in id order, products in session order)."""
        groups: dict[str, list[Product]] = {}
        for product in self.state.products:
            groups.setdefault(product.sheet_id, []).append(product)
        return [(sheet_id, groups[sheet_id]) for sheet_id in sorted(groups)]

    @cached_property
    def ordered(self) -> list[Product]:
        """Products in the order the dashboard lists them."""
        return [p for _, products in self.groups for p in products]

    @cached_property
    def scored(self) -> dict[str, ProductResult]:
        """The result of every product with at least one submitted card."""
        return {pid: self.results.product(pid) for pid in self.results.product_ids}

    @cached_property
    def quorum(self) -> int:
        """Submitted cards a product needs for a result that is not provisional."""
        return self.state.quorum_needed()

    def provisional(self, result: ProductResult) -> bool:
        """Whether a result rests on fewer cards than the quorum."""
        return result.members < self.quorum

    @cached_property
    def stabilities(self) -> dict[str, Any]:
        """Each scored product's star stability (advisory), computed once per read of the store."""
        from ocop_scoring.stability import stability

        if not len(self.results):
            return {}
        try:
            return stability(self.results)
        except Exception:  # noqa: BLE001 - advisory: the projector shows the results without it
            log.warning("stability analysis failed\n%s", traceback.format_exc())
            return {}

    @cached_property
    def agreements(self) -> dict[str, Any]:
        """Agreement among members (advisory) by scope: ``"session"`` and each sheet id, computed once."""
        from ocop_scoring.agreement import agreement

        if not len(self.results):
            return {}
        try:
            return {a.scope: a for a in agreement(self.results)}
        except Exception:  # noqa: BLE001 - advisory: the projector shows the results without it
            log.warning("agreement analysis failed\n%s", traceback.format_exc())
            return {}


def auto_product(snapshot: Snapshot) -> str | None:
    """The product the projector shows by default: the one last submitted, else the first flagged, else the first."""
    latest: Card | None = None
    for card in snapshot.state.cards:
        if card.product_id not in snapshot.scored or not card.is_submitted or not card.submitted_at:
            continue
        if card.round != snapshot.state.product(card.product_id).round:
            continue
        if latest is None or (card.submitted_at or "") > (latest.submitted_at or ""):
            latest = card
    if latest is not None:
        return latest.product_id
    for product in snapshot.ordered:
        result = snapshot.scored.get(product.product_id)
        if result is not None and result.needs_discussion:
            return product.product_id
    for product in snapshot.ordered:
        if product.product_id in snapshot.scored:
            return product.product_id
    return snapshot.ordered[0].product_id if snapshot.ordered else None


# --- renderers (pure: a snapshot in, an HTML string out) ----------------------------------------------


def _stars(n: int) -> str:
    return f"{n}★"


def _given_name(name: str) -> str:
    """The name a Vietnamese council uses to address a member: the last word."""
    words = name.split()
    return words[-1] if words else ""


def _local_time(stamp: str | None) -> datetime | None:
    if not stamp:
        return None
    try:
        return datetime.fromisoformat(stamp).astimezone()
    except ValueError:
        return None


def last_change(state: SessionState) -> datetime | None:
    """The time of the session's last change that carries a time (a card saved or submitted, the session made)."""
    stamps = [state.session.created_at, state.session.finalised_at or "", state.session.imported_at or ""]
    for card in state.cards:
        stamps.append(card.updated_at)
        stamps.append(card.submitted_at or "")
    times = [t for t in (_local_time(s) for s in stamps) if t is not None]
    return max(times) if times else None


def _decision_name(ruleset: RuleSet, texts: Texts, lang: str) -> str:
    """The decision's name without its date: the rule set's decision line up to the decision's number
    (on the English page: "Decision No. 26/2026/QĐ-TTg", the number being the document's own)."""
    match = _DECISION_NAME.match(ruleset.decision_vi)
    if not match:
        return ruleset.ruleset_id
    name = match.group(0).strip()
    return texts.t("dash_decision", lang).format(name=name, number=name.split()[-1])


def _ruleset_title(ruleset: RuleSet, lang: str) -> str:
    return ruleset.title_en if lang == "en" and ruleset.title_en else ruleset.decision_vi


def sheet_title(sheet: Sheet | None, sheet_id: str, texts: Texts, lang: str) -> str:
    """A sheet's group header: its number and title in the page's language."""
    if sheet is None:
        return sheet_id
    title = (sheet.title_en if lang == "en" else None) or sheet.title_vi
    number = sheet.number if sheet.number is not None else sheet_id
    return texts.t("dash_sheet_head", lang).format(number=number, title=title)


def render_header(snapshot: Snapshot, texts: Texts, lang: str) -> str:
    """The session's name, round, level, rule set, quorum, counts and the time of the last change."""
    state = snapshot.state
    session = state.session
    members = len(state.scoring_members)
    scored = sum(1 for r in snapshot.scored.values() if not snapshot.provisional(r))
    when = last_change(state)
    when_text = when.strftime("%H:%M:%S %d/%m/%Y") if when else texts.t("dash_never", lang)
    level = texts.t("level_" + session.level, lang)
    q = session.quorum
    items = [
        f'<span class="ocop-dash-round">{esc(session.round_label)}</span>' if session.round_label else "",
        f'<span class="ocop-dash-level">{esc(texts.t("dash_level", lang).format(level=level))}</span>',
        f'<span class="ocop-dash-ruleset" title="{esc(_ruleset_title(snapshot.ruleset, lang))}">'
        f"{esc(texts.t('dash_ruleset', lang).format(decision=_decision_name(snapshot.ruleset, texts, lang)))}</span>",
        f'<span class="ocop-dash-quorum" data-needed="{snapshot.quorum}" title="{q.numerator}/{q.denominator}">'
        f"{esc(texts.t('dash_quorum', lang).format(needed=snapshot.quorum, members=members))}</span>",
        f'<span class="ocop-dash-scored" data-scored="{scored}" data-total="{len(state.products)}">'
        f"{esc(texts.t('dash_scored', lang).format(scored=scored, total=len(state.products)))}</span>",
        f'<span class="ocop-dash-updated" data-version="{snapshot.version}">'
        f"{esc(texts.t('dash_updated', lang).format(time=when_text))}</span>",
    ]
    badge = (
        f' <span class="ocop-dash-final">{esc(texts.t("dash_finalised", lang))}</span>' if not session.is_open else ""
    )
    meta = ' <span class="ocop-dash-sep">·</span> '.join(i for i in items if i)
    return (
        f'<div class="ocop-dash-head" data-session="{esc(session.session_id)}">'
        f'<div class="ocop-dash-title">{esc(session.name)}{badge}</div>'
        f'<div class="ocop-dash-meta">{meta}</div></div>'
    )


def render_progress(snapshot: Snapshot, texts: Texts, lang: str) -> str:
    """The product x member grid: each cell not started / draft / submitted / recused (colour and icon)."""
    state = snapshot.state
    members = state.scoring_members
    rows = len(snapshot.ordered) + 2
    out = [
        f'<div class="ocop-dash-box" style="--rows:{rows}">',
        f'<div class="ocop-dash-h">{esc(texts.t("dash_progress_title", lang))}</div>',
        '<table class="ocop-grid"><thead><tr>',
        f'<th class="ocop-grid-pid">{esc(texts.t("dash_col_product", lang))}</th>',
    ]
    for m in members:
        title = f"{m.name} ({m.organisation})" if m.organisation else m.name
        out.append(
            f'<th class="ocop-grid-member" title="{esc(title)}" data-member="{esc(m.member_id)}">'
            f"{esc(m.member_id)}<br><small>{esc(_given_name(m.name))}</small></th>"
        )
    out.append(f'<th class="ocop-grid-done">{esc(texts.t("dash_col_done", lang))}</th></tr></thead><tbody>')
    words = {s: texts.t("dash_state_" + s, lang) for s in PROGRESS_STATES}
    for product in snapshot.ordered:
        pid = product.product_id
        knocked = product.knockout is not None
        out.append(f'<tr data-product="{esc(pid)}"><th class="ocop-grid-pid">{esc(pid)}')
        if knocked:
            out.append(f' <span class="ocop-ko">{KNOCKOUT_ICON}</span>')
        out.append("</th>")
        eligible = 0
        for m in members:
            st = state.progress(pid, m.member_id)
            eligible += st != "recused"
            out.append(
                f'<td class="ocop-st ocop-st-{st}" data-member="{esc(m.member_id)}" data-state="{st}">'
                f"{STATE_ICONS[st]}</td>"
            )
        done = len(state.submitted_cards(pid))
        met = " ocop-quorum-met" if done >= snapshot.quorum else ""
        out.append(f'<td class="ocop-grid-done{met}" data-done="{done}">{done}/{eligible}</td></tr>')
    out.append("</tbody></table>")
    legend = " ".join(
        f'<span class="ocop-st ocop-st-{s}">{STATE_ICONS[s]}</span>&nbsp;{esc(words[s])}' for s in PROGRESS_STATES
    )
    out.append(f'<div class="ocop-legend">{legend}</div></div>')
    return "".join(out)


def unmet_text(result: ProductResult, texts: Texts, lang: str, limit: int | None = None) -> str:
    """The unmet star minimums: ``5.1 (4★ ≥ 5)``, comma separated (the first ``limit``, then ``+N``)."""
    template = texts.t("dash_unmet_item", lang)
    items = [
        template.format(criterion=u.criterion, stars=u.for_stars, required=u.required) for u in result.unmet_minimums
    ]
    if limit is not None and len(items) > limit:
        items = [*items[:limit], f"+{len(items) - limit}"]
    return ", ".join(items)


def _keep_items_whole(text: str) -> str:
    """Escape a comma-separated list so that a line breaks only between its items."""
    return ", ".join(esc(item).replace(" ", "&nbsp;") for item in text.split(", "))


def outcome_text(result: ProductResult, snapshot: Snapshot, texts: Texts, lang: str, *, short: bool = False) -> str:
    """What the council proposes for the product (``ProductResult.outcome``), in the council's words: a
    proposal ("Đề xuất công nhận 4★"), a forwarding ("Đạt từ 90 điểm: đề nghị Bộ đánh giá 5★"), a rejection,
    or nothing to propose; never "recognised" (the recognition is the Chairman's or the Minister's decision).
    ``short``: the results table's wording (one line of its last column where the language allows)."""
    prefix = "dash_proposal_" if short else "dash_outcome_"
    standing = result.standing  # a decision recorded with the session says what became of the proposal
    if standing.decided:
        return standing.words(texts.t("dash_standing_" + standing.status, lang))
    if result.rejected or result.outcome == "rejected":
        return f"{KNOCKOUT_ICON} {texts.t(prefix + 'rejected', lang)}"
    level = snapshot.results.level
    total = format_points(level.forwards_from_total, lang) if level.forwards_from_total is not None else "-"
    key = prefix + result.outcome
    if texts.t(key, lang) == key:  # an outcome this page has no words for: say nothing is proposed
        key = prefix + "not_recognised"
    return texts.t(key, lang).format(stars=result.stars, total=total, from_stars=snapshot.ruleset.recognized_from_stars)


def knockout_flag_title(result: ProductResult, texts: Texts, lang: str) -> str:
    """The tooltip of a row's ⚑: which criteria triggered a knock-out note; the council decides."""
    criteria = ", ".join(flag.criterion for flag in result.knockout_triggered)
    return texts.t("dash_ko_flag_title", lang).format(criteria=criteria)


def knockout_flag_mark(result: ProductResult, texts: Texts, lang: str) -> str:
    """`` ⚑`` after the star of a results row whose cards trigger a knock-out rule (the criteria in its tooltip
    and ``data-criteria``; the product view says the rest); empty when none does."""
    if not result.knockout_triggered:
        return ""
    criteria = ", ".join(flag.criterion for flag in result.knockout_triggered)
    return (
        f' <span class="{KO_FLAG}" data-criteria="{esc(criteria)}" '
        f'title="{esc(knockout_flag_title(result, texts, lang))}">{KO_FLAG_ICON}</span>'
    )


def _knockout_note(sheet: Sheet | None, criterion: str, note: int, lang: str) -> str:
    """The printed knock-out note a flag applies, in the page's language (Vietnamese where no gloss)."""
    if sheet is None:
        return ""
    node = sheet.criterion(criterion)
    vi = node.knockout_vi[note] if note < len(node.knockout_vi) else ""
    en = node.knockout_en[note] if note < len(node.knockout_en) else ""
    return (en if lang == "en" and en else vi) or ""


def render_knockout_flags(snapshot: Snapshot, result: ProductResult, texts: Texts, lang: str) -> str:
    """The product view's box of knock-out rules the ticks trigger: the criterion, the members, the note,
    and where the council's decision stands (rejected, kept with its reason, or still to decide)."""
    if not result.knockout_triggered:
        return ""
    product = snapshot.state.product(result.product_id)
    sheet = snapshot.sheets.get(result.sheet_id)
    names = {m.member_id: m.name for m in snapshot.state.members}
    lines = []
    for flag in result.knockout_triggered:
        members = ", ".join(flag.members)
        line = texts.t("dash_ko_flag_line", lang).format(
            criterion=flag.criterion, members=members, note=_knockout_note(sheet, flag.criterion, flag.note, lang)
        )
        who = ", ".join(f"{m} {names.get(m, '')}".strip() for m in flag.members)
        lines.append(
            f'<div class="ocop-ko-flag-line" data-criterion="{esc(flag.criterion)}" data-members="{esc(members)}" '
            f'title="{esc(who)}">{KO_FLAG_ICON} {esc(line)}</div>'
        )
    kept = product.knockout_kept
    if result.rejected:
        decision, state = texts.t("dash_ko_flag_rejected", lang), "rejected"
    elif kept:
        decision, state = texts.t("dash_ko_flag_kept", lang).format(reason=kept), "kept"
    else:
        decision, state = texts.t("dash_ko_flag_pending", lang), "pending"
    return (
        f'<div class="{KO_FLAGS}" data-product="{esc(result.product_id)}" data-decision="{state}">'
        f'{"".join(lines)}<div class="ocop-ko-flag-decision">{esc(decision)}</div></div>'
    )


def _rank_text(result: ProductResult) -> str:
    if result.rank is None:
        return "—"
    tie = "=" if result.tied_with else ""
    return f"{result.rank}{tie} ({result.overall_rank})"


def _result_row(product: Product, result: ProductResult | None, snapshot: Snapshot, texts: Texts, lang: str) -> str:
    pid = product.product_id
    part_codes = [code for code, _ in snapshot.ruleset.parts]
    classes = [contract.row_class(pid)]
    name = f'<td class="ocop-name" title="{esc(product.name)}">{esc(product.name)}</td>'
    if result is None:
        knocked = product.knockout is not None
        if knocked:
            classes.append("ocop-knocked-out")
        status = f"{KNOCKOUT_ICON} {texts.t('dash_knocked_out', lang)}" if knocked else texts.t("dash_no_cards", lang)
        return (
            f'<tr class="{" ".join(classes)} ocop-no-cards" data-product="{esc(pid)}" data-mean="" data-stars="" '
            'data-members="0">'
            f'<th class="ocop-pid">{esc(pid)}</th>{name}<td class="ocop-num">0</td>'
            f'<td class="ocop-pending" colspan="{len(part_codes) + 8}">{esc(status)}</td></tr>'
        )
    provisional = snapshot.provisional(result)
    if provisional:
        classes.append("ocop-provisional")
    if result.rejected:
        classes.append("ocop-knocked-out")
    if result.needs_discussion:
        classes.append("ocop-discussion")
    if result.recognized:
        classes.append("ocop-recognised")
    if result.knockout_triggered:
        classes.append("ocop-ko-flagged")
    parts = dict(result.part_means)
    members = f"{result.members}"
    if provisional:
        members += (
            f' <span class="ocop-prov" title="{esc(texts.t("dash_provisional", lang))}">{PROVISIONAL_ICON}</span>'
        )
    spread = f'<td class="ocop-num">{result.spread}</td>'
    if result.needs_discussion:
        spread = (
            f'<td class="ocop-num ocop-flag-cell" title="{esc(texts.t("dash_discussion", lang))}">'
            f"{result.spread}&nbsp;{DISCUSSION_ICON}</td>"
        )
    if result.rejected:
        stars = f'<span class="ocop-ko">{KNOCKOUT_ICON}</span>'
    elif result.stars < result.band_stars:
        stars = f'{_stars(result.stars)} <span class="ocop-capped">{CAPPED_ICON}</span>'
    else:
        stars = _stars(result.stars)
    stars += knockout_flag_mark(result, texts, lang)
    unmet = unmet_text(result, texts, lang)
    shown = unmet_text(result, texts, lang, limit=UNMET_SHOWN)
    cells = [
        f'<th class="ocop-pid">{esc(pid)}</th>',
        name,
        f'<td class="ocop-num">{members}</td>',
        f'<td class="ocop-num ocop-mean">{format_mean(result.mean_total, lang)}</td>',
        *(
            f'<td class="ocop-num ocop-part">{format_mean(parts[c], lang) if c in parts else "—"}</td>'
            for c in part_codes
        ),
        spread,
        f'<td class="ocop-num">{_stars(result.band_stars)}</td>',
        f'<td class="ocop-num ocop-stars">{stars}</td>',
        f'<td class="ocop-unmet" title="{esc(unmet)}">{_keep_items_whole(shown) if shown else "—"}</td>',
        f'<td class="ocop-num">{_rank_text(result)}</td>',
        f'<td class="ocop-recog" title="{esc(outcome_text(result, snapshot, texts, lang))}">'
        f"{esc(outcome_text(result, snapshot, texts, lang, short=True))}</td>",
    ]
    return (
        f'<tr class="{" ".join(classes)}" data-product="{esc(pid)}" data-mean="{result.mean_text}" '
        f'data-stars="{result.stars}" '
        f'data-members="{result.members}" data-provisional="{int(provisional)}" '
        f'data-rejected="{int(result.rejected)}" data-outcome="{esc(result.outcome)}">{"".join(cells)}</tr>'
    )


def render_results(snapshot: Snapshot, texts: Texts, lang: str) -> str:
    """The live results table: one row per product, grouped by sheet under the sheet's title."""
    part_codes = [code for code, _ in snapshot.ruleset.parts]
    heads = [
        ("ocop-pid", texts.t("dash_col_product", lang)),
        ("ocop-name", texts.t("dash_col_name", lang)),
        ("ocop-num", texts.t("dash_col_members", lang)),
        ("ocop-num", texts.t("dash_col_mean", lang)),
        *(("ocop-num ocop-part", c) for c in part_codes),
        ("ocop-num", texts.t("dash_col_spread", lang)),
        ("ocop-num", texts.t("dash_col_band", lang)),
        ("ocop-num", texts.t("dash_col_stars", lang)),
        ("ocop-unmet", texts.t("dash_col_unmet", lang)),
        ("ocop-num", texts.t("dash_col_rank", lang)),
        ("ocop-recog", texts.t("dash_col_recognition", lang)),
    ]
    rows = len(snapshot.ordered) + 0.75 * len(snapshot.groups) + 2
    out = [
        f'<div class="ocop-dash-box" style="--rows:{rows:.2f}">',
        f'<div class="ocop-dash-h">{esc(texts.t("dash_results_title", lang))}</div>',
        '<table class="ocop-res"><thead><tr>',
        *(f'<th class="{cls}">{esc(label)}</th>' for cls, label in heads),
        "</tr></thead>",
    ]
    for sheet_id, products in snapshot.groups:
        title = sheet_title(snapshot.sheets.get(sheet_id), sheet_id, texts, lang)
        out.append(
            f'<tbody class="ocop-sheet-group" data-sheet="{esc(sheet_id)}"><tr class="ocop-sheet-head">'
            f'<th colspan="{len(heads)}" title="{esc(sheet_id)}">{esc(title)}</th></tr>'
        )
        out.extend(_result_row(p, snapshot.scored.get(p.product_id), snapshot, texts, lang) for p in products)
        out.append("</tbody>")
    out.append("</table>")
    rules = snapshot.results.rules
    legend = texts.t("dash_legend_results", lang).format(
        needed=snapshot.quorum, op=">" if rules.spread_strict else "≥", threshold=rules.spread_threshold
    )
    out.append(f'<div class="ocop-legend">{esc(legend)}</div></div>')
    return "".join(out)


def render_matrix(snapshot: Snapshot, product_id: str, texts: Texts, lang: str) -> str:
    """The member x criterion points, one table per part (part sums per member, the member totals last)."""
    explanation = snapshot.results.explain(product_id)
    sheet = snapshot.sheets[explanation.sheet_id]
    member_steps = {s.subject: dict(s.args) for s in explanation.steps if s.rule == "member_total"}
    checks: dict[str, bool] = {}
    for s in explanation.steps:
        if s.rule in MINIMUM_RULES and s.ok is not None:
            checks[s.subject] = checks.get(s.subject, True) and s.ok
    zeroed = {(s.subject, s.arg("criterion")) for s in explanation.steps if s.rule == "condition"}
    part_means = {s.subject: s.arg("mean") for s in explanation.steps if s.rule == "part_mean"}
    means = [s.arg("mean") for s in explanation.steps if s.rule == "council_mean"]
    n = len(explanation.members)
    names = {m.member_id: m.name for m in snapshot.state.members}
    parts = [p for p in sheet.parts if p.code in explanation.criterion_parts]
    columns = len(explanation.criteria) + 2 * len(parts) + 1  # criteria, a member and a sum column per part, total
    not_met_short, not_met_full = texts.t("dash_not_met_short", lang), texts.t("dash_not_met_full", lang)
    not_met_seen = False
    out = [
        f'<div class="ocop-dash-h2">{esc(texts.t("dash_matrix_title", lang))}</div>',
        f'<div class="ocop-matrix" data-product="{esc(product_id)}" style="--mxcols:{columns}">',
    ]
    for index, part in enumerate(parts):
        last = index == len(parts) - 1
        cols = [i for i, p in enumerate(explanation.criterion_parts) if p == part.code]
        out.append(
            f'<table class="ocop-mx" data-part="{esc(part.code)}">'
            f'<thead><tr><th class="ocop-mx-who" rowspan="2"></th>'
            f'<th class="ocop-mx-part" colspan="{len(cols) + 1}">{esc(texts.t("part", lang))} {esc(part.code)} '
            f"({part.max_points})</th>"
        )
        if last:
            out.append(f'<th class="ocop-mx-total" rowspan="2">{esc(texts.t("total", lang))}</th>')
        out.append("</tr><tr>")
        for i in cols:
            code = explanation.criteria[i]
            minimums = sheet.leaf(code).star_minimums()
            cls, mark, title = "", "", code
            if minimums:
                mark = "★"
                title += ": " + ", ".join(f"{s}★ ≥ {pts}" for s, pts in sorted(minimums.items()))
                if code in checks:
                    cls = " ocop-mx-pass" if checks[code] else " ocop-mx-fail"
            out.append(f'<th class="ocop-mx-code{cls}" title="{esc(title)}">{esc(code)}{mark}</th>')
        out.append(f'<th class="ocop-mx-sum">{esc(part.code)}</th></tr></thead><tbody>')
        for m, member in enumerate(explanation.members):
            out.append(
                f'<tr data-member="{esc(member)}"><th class="ocop-mx-who" title="{esc(names.get(member, member))}">'
            )
            out.append(f"{esc(member)}</th>")
            for i in cols:
                value = explanation.points[m][i]
                if explanation.options[m][i] == NOT_MET:
                    not_met_seen = True
                    out.append(
                        f'<td class="{NOT_MET_CELL}" title="{esc(member)}, {esc(explanation.criteria[i])}: '
                        f'{esc(not_met_full)}">{esc(not_met_short)}</td>'
                    )
                    continue
                zero = (member, explanation.criteria[i]) in zeroed
                out.append(f'<td class="ocop-mx-zeroed">{value}*</td>' if zero else f"<td>{value}</td>")
            sums = member_steps.get(member, {})
            out.append(f'<td class="ocop-mx-sum">{sums.get(part.code, "")}</td>')
            if last:
                out.append(f'<td class="ocop-mx-total">{sums.get("total", "")}</td>')
            out.append("</tr>")
        out.append(f'</tbody><tfoot><tr><th class="ocop-mx-who">{esc(texts.t("dash_matrix_mean", lang))}</th>')
        for i in cols:
            code = explanation.criteria[i]
            mean = Fraction(sum(row[i] for row in explanation.points), n)
            cls = ""
            if code in checks:
                cls = ' class="ocop-mx-pass"' if checks[code] else ' class="ocop-mx-fail"'
            out.append(f"<td{cls}>{format_points(mean, lang)}</td>")
        part_mean = part_means.get(part.code)
        out.append(f'<td class="ocop-mx-sum">{format_mean(part_mean, lang) if part_mean is not None else ""}</td>')
        if last:
            out.append(f'<td class="ocop-mx-total">{format_mean(means[0], lang) if means else ""}</td>')
        out.append("</tr></tfoot></table>")
    out.append("</div>")
    if not_met_seen:
        legend = texts.t("dash_not_met_legend", lang).format(short=not_met_short, full=not_met_full)
        out.append(f'<div class="ocop-legend ocop-mx-legend">{esc(legend)}</div>')
    return "".join(out)


def render_steps(snapshot: Snapshot, product_id: str, texts: Texts, lang: str) -> str:
    """Every step of the working as a sentence (``explain.render_step``), checks marked met / not met."""
    explanation = snapshot.results.explain(product_id)
    out = [
        f'<div class="ocop-dash-h2">{esc(texts.t("dash_steps_title", lang))}</div>',
        '<ol class="ocop-dash-steps">',
    ]
    for step in explanation.steps:
        cls, icon = "", ""
        if step.ok is not None:
            cls, icon = ("ok", PASS_ICON) if step.ok else ("fail", FAIL_ICON)
        icon_html = f'<span class="ocop-step-icon">{icon}</span> ' if icon else ""
        out.append(
            f'<li data-rule="{esc(step.rule)}" class="{cls}">{icon_html}{esc(render_step(step, lang, texts))}</li>'
        )
    out.append("</ol>")
    return "".join(out)


def _stat(value: float | None, lang: str) -> str:
    return "—" if value is None else format_points(Fraction(value).limit_denominator(10**6), lang, 2)


def _signed(value: Fraction, lang: str) -> str:
    if abs(value) < Fraction(1, 20):
        return "0"
    return ("+" if value > 0 else "−") + format_points(abs(value), lang, 1)


def render_stability(snapshot: Snapshot, product_id: str, texts: Texts, lang: str) -> str:
    """One line: is the product's star stable, or what would change it (advisory; never the result)."""
    found = snapshot.stabilities.get(product_id)
    if found is None:
        return ""
    stable = "true" if found.stable else "false"
    return (
        f'<div class="{contract.STABILITY}" data-product="{esc(product_id)}" data-stable="{stable}" '
        f'title="{esc(texts.t("stab_official", lang))}"><b>{esc(texts.t("stab_title", lang))}:</b> '
        f"{esc(found.sentence(lang, limit=STABILITY_SHOWN))}</div>"
    )


def render_agreement_line(snapshot: Snapshot, product_id: str, texts: Texts, lang: str) -> str:
    """One line, advisory: the members' agreement (α of the session and of the product's sheet) and how
    far each member's total on this product lies from the council's mean."""
    result = snapshot.scored.get(product_id)
    session = snapshot.agreements.get("session")
    if result is None or session is None:
        return ""
    sheet = snapshot.sheets.get(result.sheet_id)
    number = sheet.number if sheet is not None and sheet.number is not None else result.sheet_id
    by_sheet = snapshot.agreements.get(result.sheet_id)
    alphas = [f"α {esc(texts.t('agr_scope_session', lang))} {_stat(session.alpha, lang)}"]
    sheet_label = esc(texts.t("agr_scope_sheet", lang).format(number=number))
    if by_sheet is not None and by_sheet.products >= 2:  # one product: no α of its own
        alphas.append(f"{sheet_label} {_stat(by_sheet.alpha, lang)}")
    half = Fraction(snapshot.results.rules.spread_threshold, 2)
    deviations = sorted(
        ((member, total - result.mean_total) for member, total in result.member_totals),
        key=lambda md: (-abs(md[1]), md[0]),
    )
    items = []
    for member, deviation in deviations:
        far = ' class="ocop-agr-far"' if abs(deviation) > half else ""
        items.append(
            f'<span data-member="{esc(member)}" data-deviation="{float(deviation):.2f}"{far}>'
            f"{esc(member)}&nbsp;{_signed(deviation, lang)}</span>"
        )
    alpha_attr = "" if session.alpha is None else f"{session.alpha:.6f}"
    return (
        f'<div class="{contract.AGREEMENT_LINE}" data-product="{esc(product_id)}" data-alpha="{alpha_attr}" '
        f'title="{esc(texts.t("agr_advisory", lang))}"><b>{esc(texts.t("agr_line_head", lang))}:</b> '
        f'{" · ".join(alphas)} <span class="ocop-dash-sep">·</span> '
        f"{esc(texts.t('agr_product_dev', lang))}: {', '.join(items)}</div>"
    )


def render_detail(snapshot: Snapshot, product_id: str | None, texts: Texts, lang: str) -> str:
    """The product view: a summary line, the points matrix, every step of the calculation, then (advisory)
    the star's stability and the members' agreement."""
    if product_id is None or not snapshot.state.has_product(product_id):
        return f'<div class="ocop-detail-empty">{esc(texts.t("dash_detail_none", lang))}</div>'
    product = snapshot.state.product(product_id)
    sheet = snapshot.sheets.get(product.sheet_id)
    title = (
        f'<div class="ocop-detail-title"><b>{esc(product_id)}</b> — {esc(product.name)}'
        f'<span class="ocop-detail-sheet">{esc(sheet_title(sheet, product.sheet_id, texts, lang))}</span></div>'
    )
    result = snapshot.scored.get(product_id)
    if result is None:
        message = texts.t("dash_detail_no_cards", lang).format(product=product_id)
        if product.knockout is not None:
            message += f" {KNOCKOUT_ICON} {texts.t('dash_knocked_out', lang)}: {product.knockout}"
        return (
            f'<div class="ocop-detail-body" data-product="{esc(product_id)}" data-mean="" data-stars="">{title}'
            f'<div class="ocop-detail-empty">{esc(message)}</div></div>'
        )
    provisional = snapshot.provisional(result)
    stars = f"{KNOCKOUT_ICON} {texts.t('dash_knocked_out', lang)}" if result.rejected else _stars(result.stars)
    if not result.rejected and result.stars < result.band_stars:
        stars += f" {CAPPED_ICON}"
    kpis = [
        f'{esc(texts.t("dash_summary_mean", lang))} <b class="ocop-kpi-mean">{format_mean(result.mean_total, lang)}</b>',
        f"{esc(texts.t('dash_summary_band', lang))} <b>{_stars(result.band_stars)}</b>",
        f"{esc(texts.t('dash_summary_stars', lang))} <b>{esc(stars)}</b>",
    ]
    unmet = unmet_text(result, texts, lang)
    if unmet:
        kpis.append(f'{esc(texts.t("dash_col_unmet", lang))}: <b class="ocop-bad">{esc(unmet)}</b>')
    if result.rank is not None:
        kpis.append(esc(texts.t("dash_summary_rank", lang).format(rank=result.rank, overall=result.overall_rank)))
    kpis.append(f"<b>{esc(outcome_text(result, snapshot, texts, lang))}</b>")
    if result.needs_discussion:
        kpis.append(f'<span class="ocop-flag">{DISCUSSION_ICON} {esc(texts.t("dash_discussion", lang))}</span>')
    if provisional:
        kpis.append(f'<span class="ocop-prov">{PROVISIONAL_ICON} {esc(texts.t("dash_provisional", lang))}</span>')
    summary = '<div class="ocop-detail-kpis">' + ' <span class="ocop-dash-sep">·</span> '.join(kpis) + "</div>"
    return (
        f'<div class="ocop-detail-body" data-product="{esc(product_id)}" data-mean="{result.mean_text}" '
        f'data-stars="{result.stars}" data-outcome="{esc(result.outcome)}">{title}{summary}'
        f"{render_knockout_flags(snapshot, result, texts, lang)}"
        f"{render_matrix(snapshot, product_id, texts, lang)}{render_steps(snapshot, product_id, texts, lang)}"
        f'<div class="ocop-dash-advice">{render_stability(snapshot, product_id, texts, lang)}'
        f"{render_agreement_line(snapshot, product_id, texts, lang)}</div></div>"
    )


# --- the widget --------------------------------------------------------------------------------------


class CouncilDashboard(ipw.VBox):
    """The projector page: header, progress grid and live results on one tab, one product's working on another.

    ``refresh()`` reads the store (one ``data_version``, one ``state``, one ``results``) and
    re-renders; ``poller`` calls it only when the store changed and a browser is watching.
    ``selected_product_id`` is the port: the product the product view shows.
    """

    selected_product_id = traitlets.Unicode(None, allow_none=True)

    def __init__(
        self,
        store: Any,
        session_id: str,
        *,
        texts: Texts | None = None,
        lang: str = "vi",
        interval: float = 0.5,
    ) -> None:
        self.store = store
        self.session_id = session_id
        self.texts = texts or load_texts()
        self.view = DashboardState(lang=lang if lang in ("vi", "en") else "vi")
        self.lang = self.view.lang
        self.snapshot: Snapshot | None = None
        self.renders = 0
        self.live = False
        self._sheets: Mapping[str, Sheet] | None = None
        self._ruleset: RuleSet | None = None
        self._picker_busy = False
        self._failing = False

        self.status = StatusLine(self.texts, self.lang)
        self.heartbeat = Heartbeat()
        self.poller = Poller(self._version, self._refresh_from_poll, self.heartbeat, interval=interval)
        self.header_html = ipw.HTML()
        self.header_html.add_class("ocop-dash-header")
        self.lang_toggle = LangToggle(self.lang)
        self.progress_html = ipw.HTML()
        self.progress_html.add_class(contract.PROGRESS)
        self.results_html = ipw.HTML()
        self.results_html.add_class(contract.RESULTS)
        self.picker = ipw.Dropdown(options=[(self.texts.t("dash_pick_auto", self.lang), "")], value="")
        self.picker.add_class(contract.DETAIL_PICKER)
        self.picker_label = ipw.HTML()
        self.picker_label.add_class("ocop-dash-picklabel")
        self.detail_html = ipw.HTML()
        self.detail_html.add_class(contract.DETAIL)
        overview = ipw.HBox([self.progress_html, self.results_html])
        overview.add_class("ocop-dash-overview")
        detail_box = ipw.VBox([ipw.HBox([self.picker_label, self.picker]), self.detail_html])
        detail_box.add_class("ocop-dash-detailbox")
        self.tabs = ipw.Tab(children=[overview, detail_box])
        self.tabs.add_class("ocop-dash-tabs")
        top = ipw.HBox([self.header_html, self.lang_toggle])
        top.add_class("ocop-dash-top")
        style = ipw.HTML(STYLE + DASH_STYLE)
        style.layout.display = "none"
        super().__init__([style, top, self.status, self.tabs, self.heartbeat])
        self.add_class("ocop-app")
        self.add_class("ocop-dash")
        self._set_labels()
        self.picker.observe(self._on_pick, names="value")
        self.lang_toggle.observe(self._on_lang, names="value")

    # --- the verbs --------------------------------------------------------------------------------

    def refresh(self) -> None:
        """Read the session (one state, one results) and re-render whatever changed."""
        version = self.store.data_version(self.session_id)
        state = self.store.state(self.session_id)
        results = self.store.results(self.session_id, state)
        if self._sheets is None or self._ruleset is None:  # pinned by content: read once
            self._sheets = self.store.sheets(self.session_id)
            self._ruleset = self.store.ruleset(self.session_id)
        self.snapshot = Snapshot(version, state, results, self._sheets, self._ruleset)
        self.render()

    def render(self) -> None:
        """Re-render every part from the last snapshot; widgets whose HTML is unchanged send nothing."""
        snapshot = self.snapshot
        if snapshot is None:
            return
        lang = self.view.lang
        with contextlib.ExitStack() as stack:
            for widget in (self.header_html, self.progress_html, self.results_html, self.picker, self.detail_html):
                stack.enter_context(widget.hold_sync())
            self.header_html.value = render_header(snapshot, self.texts, lang)
            self.progress_html.value = render_progress(snapshot, self.texts, lang)
            self.results_html.value = render_results(snapshot, self.texts, lang)
            self._sync_picker(snapshot)
            self._render_detail()
        self.renders += 1

    def reset(self) -> None:
        """Back to the overview, the product view following the product last submitted."""
        self.view = select_product(self.view, None)
        self._picker_busy = True
        try:
            self.picker.value = ""
        finally:
            self._picker_busy = False
        self.tabs.selected_index = 0
        self.render()

    def freeze(self) -> None:
        """Stop following the store (the picture stays as it is)."""
        self.poller.stop()
        self.picker.disabled = True
        self.lang_toggle.disabled = True

    def unfreeze(self) -> None:
        """Follow the store again."""
        self.picker.disabled = False
        self.lang_toggle.disabled = False
        if self.live:
            self.poller.start(current=self.poller.last)

    def start(self, *, live: bool) -> None:
        """Take the current snapshot's version as seen; with ``live``, poll the store on the kernel's loop."""
        self.live = live
        self.poller.last = self.snapshot.version if self.snapshot is not None else None
        if live:
            self.poller.start(current=self.poller.last)

    def show_product(self, product_id: str | None) -> None:
        """Show one product in the product view (``None``: follow the product last submitted)."""
        self.picker.value = product_id or ""

    # --- internals ------------------------------------------------------------------------------

    def _version(self) -> int:
        return int(self.store.data_version(self.session_id))

    def _refresh_from_poll(self) -> None:
        try:
            self.refresh()
        except Exception:  # noqa: BLE001 - shown on the page and logged; the next poll tries again
            if not self._failing:
                log.warning("dashboard refresh failed\n%s", traceback.format_exc())
            self._failing = True
            self.poller.last = None
            self.status.show_error(self.texts.t("dash_refresh_failed", self.lang))
            return
        if self._failing:
            self._failing = False
            self.status.clear()

    def _shown_product(self, snapshot: Snapshot) -> str | None:
        chosen = self.view.selected
        if chosen is not None and snapshot.state.has_product(chosen):
            return chosen
        return auto_product(snapshot)

    def _render_detail(self) -> None:
        snapshot = self.snapshot
        if snapshot is None:
            return
        product_id = self._shown_product(snapshot)
        self.selected_product_id = product_id
        self.detail_html.value = render_detail(snapshot, product_id, self.texts, self.view.lang)

    def _picker_options(self, snapshot: Snapshot) -> list[tuple[str, str]]:
        options = [(self.texts.t("dash_pick_auto", self.view.lang), "")]
        options.extend((f"{p.product_id} — {p.name}", p.product_id) for p in snapshot.ordered)
        return options

    def _sync_picker(self, snapshot: Snapshot) -> None:
        options = self._picker_options(snapshot)
        if list(self.picker.options) == options:
            return
        keep = self.picker.value if self.picker.value in {v for _, v in options} else ""
        self._picker_busy = True
        try:
            self.picker.options = options
            self.picker.value = keep
        finally:
            self._picker_busy = False
        if not keep:
            self.view = select_product(self.view, None)

    def _set_labels(self) -> None:
        lang = self.view.lang
        self.tabs.titles = (self.texts.t("dash_tab_overview", lang), self.texts.t("dash_tab_detail", lang))
        self.picker_label.value = f'<span class="ocop-dash-h2">{esc(self.texts.t("dash_pick_label", lang))}</span>'

    @reports_errors
    def _on_pick(self, change: Mapping[str, Any]) -> None:
        if self._picker_busy:
            return
        self.view = select_product(self.view, change["new"] or None)
        with self.detail_html.hold_sync():
            self._render_detail()

    @reports_errors
    def _on_lang(self, change: Mapping[str, Any]) -> None:
        self.view = set_lang(self.view, change["new"])
        self.lang = self.view.lang
        self.status.lang = self.lang
        self._set_labels()
        if self.snapshot is not None:
            options = self._picker_options(self.snapshot)
            value = self.picker.value
            self._picker_busy = True
            try:
                self.picker.options = options
                self.picker.value = value
            finally:
                self._picker_busy = False
        self.render()


# --- the page ----------------------------------------------------------------------------------------


def _in_kernel() -> bool:
    """Whether this runs in a Jupyter kernel (where the poller has an event loop to run on)."""
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    shell = get_ipython()
    return shell is not None and getattr(shell, "kernel", None) is not None


def council_app(
    store: Any = None,
    session: str | None = None,
    token: str | None = None,
    lang: str | None = None,
    *,
    live: bool | None = None,
    interval: float = 0.5,
) -> ipw.Widget:
    """The projector page (``notebooks/council.ipynb``): any token of the session may view it.

    Args:
        store: A ``SessionStore``, a SQLAlchemy URL or a SQLite file; None: ``$OCOP_STORE``.
        session: The session id; None: the token's session (checked against ``$OCOP_SESSION``).
        token: An access token of the session; None: the link's ``?token=``.
        lang: ``vi`` or ``en``; None: the link's ``?lang=``, else Vietnamese.
        live: Poll the store for changes; None: when running in a kernel.
        interval: Seconds between two polls of the store's data version.

    Returns:
        The dashboard, or a page that says why it cannot be shown (a bad link, no such session).
    """
    from ocop_scoring.store import SessionStore

    texts = load_texts()
    store_arg = str(store) if isinstance(store, str | Path) else None
    ctx = page_context(store=store_arg, session=session, token=token, lang=lang)
    page_lang = ctx.lang
    try:
        opened = store if isinstance(store, SessionStore) else SessionStore(ctx.store_url, create=False)
        if not ctx.token:
            return error_page(texts.t("bad_link_title", page_lang), texts.t("dash_no_token", page_lang))
        actor = opened.actor_for_token(ctx.token, ctx.session_id)
        session_id = ctx.session_id or actor.session_id
        dashboard = CouncilDashboard(opened, str(session_id), texts=texts, lang=page_lang, interval=interval)
        dashboard.refresh()
    except AccessDenied:
        return error_page(texts.t("bad_link_title", page_lang), texts.t("dash_bad_token", page_lang))
    except OcopError as exc:
        return error_page(
            texts.t("no_session_title", page_lang),
            texts.t("dash_store_error", page_lang).format(detail=error_text(exc, texts, page_lang)),
        )
    except Exception:  # noqa: BLE001 - a page, never a traceback; the details go to the log
        log.error("council page failed\n%s", traceback.format_exc())
        return error_page(texts.t("no_session_title", page_lang), texts.t("unexpected_error", page_lang))
    dashboard.start(live=_in_kernel() if live is None else live)
    return dashboard


__all__: Sequence[str] = (
    "CouncilDashboard",
    "DashboardState",
    "Snapshot",
    "auto_product",
    "council_app",
    "outcome_text",
    "render_agreement_line",
    "render_detail",
    "render_knockout_flags",
    "render_progress",
    "render_results",
    "render_stability",
    "select_product",
    "set_lang",
)


# --- style: legible from the back of the room at 1920x1080 and 1280x720 -----------------------------

DASH_STYLE = (
    "<style>"
    + large_type_css("ocop-dash", 12)
    + """
.ocop-dash .ocop-dash-top { align-items: center; justify-content: space-between; width: 100%; }
.ocop-dash .ocop-dash-header { flex: 1 1 auto; min-width: 0; }
.ocop-dash .ocop-dash-title { font-size: 1.3em; font-weight: 700; line-height: 1.2; }
.ocop-dash .ocop-dash-meta { font-size: 0.9em; margin-top: 0.1em; }
.ocop-dash .ocop-dash-sep { color: #777; }
.ocop-dash .ocop-dash-final { background: #0a6b2d; color: #fff; padding: 0 0.4em; margin-left: 0.5em; font-size: 0.8em; }
.ocop-dash .ocop-lang { flex: 0 0 auto; }
.ocop-dash .ocop-lang button { font-size: 0.8em; height: auto; padding: 0.2em 0.4em; }
.ocop-dash .ocop-dash-tabs .lm-TabBar { font-size: var(--fs); min-height: 2.1em !important; max-height: none !important; height: auto !important; }
.ocop-dash .ocop-dash-tabs .lm-TabBar-tab {
  font-size: calc(var(--fs) * 0.9) !important; flex: 0 0 auto !important; min-width: 0 !important; max-width: none !important;
  max-height: none !important; min-height: 2.1em !important; line-height: 2.1em !important; padding: 0 1.2em !important;
}
.ocop-dash .ocop-dash-tabs .lm-TabBar-tab.lm-mod-current { font-weight: 700; }
.ocop-dash .ocop-dash-tabs .widget-tab-contents { padding: 0.4em; }
.ocop-dash .ocop-dash-overview { width: 100%; align-items: flex-start; gap: 0.8em; }
.ocop-dash .ocop-progress { flex: 0 0 auto; }
.ocop-dash .ocop-results { flex: 1 1 0; min-width: 0; }
.ocop-dash .ocop-dash-box {
  font-size: min(1em, calc((100vh - 11em) / (var(--rows) * 1.7)));
}
.ocop-dash .ocop-dash-h { font-weight: 700; font-size: 1em; margin-bottom: 0.15em; }
.ocop-dash .ocop-dash-h2 { font-weight: 700; margin: 0.3em 0 0.1em; }
.ocop-dash th, .ocop-dash td { border: 1px solid #666; padding: 0.12em 0.3em; }
.ocop-dash thead th { background: #e6e6e6; font-weight: 700; vertical-align: bottom; line-height: 1.15; }
.ocop-dash .ocop-legend { font-size: 0.8em; margin-top: 0.25em; color: #222; }
/* progress grid */
.ocop-dash .ocop-grid th.ocop-grid-member {
  font-size: 0.72em; font-weight: 700; text-align: left; writing-mode: vertical-rl; transform: rotate(180deg);
  white-space: nowrap; padding: 0.3em 0.1em; line-height: 1.15;
}
.ocop-dash .ocop-grid th.ocop-grid-member small { font-size: 1em; font-weight: 400; }
.ocop-dash .ocop-grid td.ocop-st { text-align: center; font-weight: 700; width: 1.45em; padding: 0.12em 0.1em; }
.ocop-dash .ocop-st-submitted { background: #0a6b2d; color: #fff; }
.ocop-dash .ocop-st-draft { background: #ffd24d; color: #000; }
.ocop-dash .ocop-st-not_started { background: #fff; color: #555; }
.ocop-dash .ocop-st-recused { background: #c8c8c8; color: #000; }
.ocop-dash .ocop-legend .ocop-st { display: inline-block; width: 1.4em; text-align: center; border: 1px solid #666; }
.ocop-dash .ocop-grid-done { text-align: right; white-space: nowrap; }
.ocop-dash .ocop-grid thead th.ocop-grid-done, .ocop-dash .ocop-grid thead th.ocop-grid-pid { font-size: 0.72em; }
.ocop-dash td.ocop-quorum-met { font-weight: 700; }
.ocop-dash .ocop-grid-pid, .ocop-dash .ocop-pid { text-align: left; white-space: nowrap; }
/* results */
.ocop-dash table.ocop-res { width: 100%; table-layout: auto; }
.ocop-dash .ocop-res td, .ocop-dash .ocop-res th { white-space: nowrap; }
.ocop-dash .ocop-res thead th { white-space: normal; font-size: 0.85em; }
.ocop-dash .ocop-res .ocop-num { text-align: right; }
.ocop-dash .ocop-res .ocop-name { min-width: 6em; max-width: 7em; overflow: hidden; text-overflow: ellipsis; }
.ocop-dash .ocop-res .ocop-mean { font-weight: 700; font-size: 1.1em; }
.ocop-dash .ocop-res .ocop-part { color: #222; }
.ocop-dash .ocop-res .ocop-stars { font-weight: 700; font-size: 1.1em; }
.ocop-dash .ocop-res td.ocop-unmet {
  color: #b00020; font-weight: 700; font-size: 0.85em; white-space: normal; min-width: 7.5em; max-width: 12em;
  line-height: 1.1;
}
.ocop-dash .ocop-res td.ocop-recog { font-size: 0.85em; white-space: normal; min-width: 11.5em; max-width: 21em; line-height: 1.1; }
.ocop-dash .ocop-res td.ocop-part { font-size: 0.9em; }
.ocop-dash .ocop-res td.ocop-flag-cell { background: #b00020; color: #fff; font-weight: 700; }
.ocop-dash tr.ocop-sheet-head th {
  background: #1f3a68; color: #fff; text-align: left; font-size: 0.78em; padding: 0.05em 0.4em; font-weight: 600;
}
.ocop-dash tr.ocop-provisional td, .ocop-dash tr.ocop-provisional th { font-style: italic; color: #444; background: #f3f3f3; }
.ocop-dash tr.ocop-knocked-out td, .ocop-dash tr.ocop-knocked-out th { text-decoration: line-through; color: #b00020; }
.ocop-dash tr.ocop-knocked-out td.ocop-recog, .ocop-dash tr.ocop-knocked-out td.ocop-pending { text-decoration: none; font-weight: 700; }
.ocop-dash tr.ocop-no-cards td.ocop-pending { color: #555; font-style: italic; }
.ocop-dash .ocop-flag { background: #b00020; color: #fff; font-weight: 700; padding: 0 0.25em; font-style: normal; }
.ocop-dash .ocop-capped, .ocop-dash .ocop-ko, .ocop-dash .ocop-bad { color: #b00020; font-weight: 700; }
.ocop-dash .ocop-prov { font-style: normal; font-weight: 700; }
/* product view */
.ocop-dash .ocop-dash-detailbox { width: 100%; }
.ocop-dash .ocop-detail-picker select { font-size: 0.9em; height: auto; min-width: 24em; }
.ocop-dash .ocop-detail-picker { width: auto; }
.ocop-dash .ocop-dash-picklabel { width: auto; margin-right: 0.5em; }
.ocop-dash .ocop-detail, .ocop-dash .ocop-results, .ocop-dash .ocop-progress { margin: 0; }
.ocop-dash .ocop-detail { width: 100%; }
.ocop-dash .ocop-detail-title { font-size: 1.15em; }
.ocop-dash .ocop-detail-sheet { font-size: 0.75em; color: #333; margin-left: 0.8em; }
.ocop-dash .ocop-detail-kpis { margin: 0.2em 0; }
.ocop-dash .ocop-kpi-mean { font-size: 1.25em; }
.ocop-dash .ocop-matrix {
  display: flex; flex-wrap: nowrap; gap: 0.5em; width: 100%;
  font-family: "DejaVu Sans Condensed", "Arial Narrow", "DejaVu Sans", sans-serif;
  font-size: min(0.85vw, calc((100vw - 80px) / (var(--mxcols) * 2.7))); line-height: 1.2;
  justify-content: space-between;
}
.ocop-dash table.ocop-mx { table-layout: auto; flex: 0 1 auto; }
.ocop-dash .ocop-mx td, .ocop-dash .ocop-mx th { text-align: center; padding: 0.1em 0.15em; white-space: nowrap; }
.ocop-dash .ocop-mx th.ocop-mx-who { text-align: left; background: #e6e6e6; }
.ocop-dash .ocop-mx th.ocop-mx-part { background: #1f3a68; color: #fff; }
.ocop-dash .ocop-mx .ocop-mx-sum { background: #eef2fa; font-weight: 700; }
.ocop-dash .ocop-mx .ocop-mx-total { background: #dfe6f3; font-weight: 700; }
.ocop-dash .ocop-mx tfoot td, .ocop-dash .ocop-mx tfoot th { border-top: 2px solid #000; font-weight: 700; }
.ocop-dash .ocop-mx .ocop-mx-pass { background: #d7efdd; }
.ocop-dash .ocop-mx .ocop-mx-fail { background: #b00020; color: #fff; }
.ocop-dash .ocop-mx .ocop-mx-zeroed { color: #555; font-style: italic; }
.ocop-dash .ocop-mx td.ocop-mx-not-met { color: #8a1c1c; background: #fdecea; font-weight: 700; font-size: 0.85em; }
.ocop-dash .ocop-mx-legend { margin-top: 0.1em; }
.ocop-dash .ocop-ko-flag { color: #fff; background: #c45100; font-weight: 700; padding: 0 0.25em; font-style: normal;
  text-decoration: none; }
.ocop-dash .ocop-ko-flags { border-left: 0.35em solid #c45100; background: #fff3e6; padding: 0.1em 0.5em;
  margin: 0.2em 0; font-size: 0.85em; line-height: 1.25; }
.ocop-dash .ocop-ko-flags[data-decision="rejected"] { border-left-color: #b00020; }
.ocop-dash .ocop-ko-flag-line { font-weight: 700; color: #7a2e00; }
.ocop-dash .ocop-ko-flag-decision { font-style: italic; color: #222; }
.ocop-dash ol.ocop-dash-steps {
  columns: 2; column-gap: 3.2em; margin: 0.2em 0 0 2.2em; padding: 0; font-size: 0.78em; line-height: 1.15;
}
.ocop-dash ol.ocop-dash-steps li { break-inside: avoid; margin: 0; }
.ocop-dash ol.ocop-dash-steps li.fail { color: #b00020; font-weight: 700; }
.ocop-dash ol.ocop-dash-steps li.ok .ocop-step-icon { color: #0a6b2d; }
.ocop-dash .ocop-detail-empty { font-size: 1.1em; margin: 1em 0; color: #333; }
.ocop-dash .ocop-dash-advice { display: flex; flex-wrap: wrap; align-items: baseline; gap: 0 1.5em; margin-top: 0.2em; }
.ocop-dash .ocop-stability {
  font-size: 0.78em; line-height: 1.15; padding: 0 0.4em; border-left: 0.35em solid #0a6b2d;
}
.ocop-dash .ocop-stability[data-stable="false"] { border-left-color: #c98a00; background: #fff7e0; }
.ocop-dash .ocop-agreement-line { font-size: 0.72em; line-height: 1.15; color: #222; }
.ocop-dash .ocop-agreement-line .ocop-agr-far { font-weight: 700; }
@media (max-width: 1600px) {
  .ocop-dash .ocop-matrix { flex-wrap: wrap; font-size: 1.05vw; justify-content: flex-start; gap: 0.6em 1.2em; }
  .ocop-dash ol.ocop-dash-steps { font-size: 0.9em; }
}
</style>
"""
)
