"""The scoring form: one member's card for one product, ticked on screen or typed in from paper.

Layer: views. Imports: ipywidgets, the store, the model, ``scoring.score_card`` and the texts.
Holds no rules: the store decides who may write what; the form shows what the
store allows and what ``score_card`` computes.

- ``ScoringForm`` shows the official sheet of the chosen product (parts, groups,
  criteria, sub-criteria, options in printed order, ★ minimums, notes,
  knock-out notes, anomalies, case headings), saves every tick at once
  (``store.tick``), keeps a sticky running total (``ocop-total``), the
  comment, the submit with confirmation and the recusal.
- Every scored criterion accepts "không đạt" (option 0, ``model.NOT_MET``, 0
  points): a radio group whose printed options have no 0-point option ends
  with an extra choice "Không đạt (0 điểm)" (class ``ocop-not-met-choice`` on
  the group: its last label); where a printed option is worth 0, ticking it is
  the way. No tick stays a blank (the card is incomplete).
- With ``entry=True`` it is the secretary's fast keyboard entry: one text box
  per scored criterion (``ocop-entry-<code>``); the secretary types the
  option number (``0``: không đạt) and presses Tab.
- On the English page every text of the sheet (criteria, options, notes,
  knock-out notes, conditions, anomalies, cases) is its English gloss; the
  Vietnamese only where a gloss is missing.
- The widgets of a sheet are built once per (sheet, language) and reused when
  another product on the same sheet is shown; a tick updates only the totals
  widget (and, when a condition flips, the conditioned criterion's state).
"""

from __future__ import annotations

import html
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import ipywidgets as ipw
from ipywidgets.widgets.widget_description import DescriptionStyle
from ipywidgets.widgets.widget_string import HTMLStyle

from ocop_scoring.errors import AccessDenied, OcopError, ScorecardError, SessionFinalised
from ocop_scoring.model import NOT_MET, Card, Criterion, Product, RuleSet, SessionState, Sheet
from ocop_scoring.scoring import CardResult, score_card
from ocop_scoring.texts import Texts, load_texts
from ocop_scoring.views import contract
from ocop_scoring.views.common import StatusLine, error_text, local_time, reports_errors
from ocop_scoring.views.contract import (  # page-specific classes
    CONFIRM_BOX,
    ENTRY_INFO_PREFIX,
    LOCK_LINE,
    NOT_APPLICABLE,
    PRODUCT_HEAD,
    STICKY,
)

log = logging.getLogger(__name__)

# Classes of this module beyond the contract (reported to the lead).
NOT_MET_CHOICE = "ocop-not-met-choice"  # a radio group whose last label is the extra "Không đạt (0 điểm)"

FORM_CSS = """
<style>
/* The page scrolls as a document (Voilà's lab shell scrolls an inner panel): full-page screenshots and
   printing see the whole form, and the sticky totals bar sticks to the window. */
html, body { height: auto !important; overflow: visible !important; }
#main.jp-LabShell, #jp-main-content-panel, #rendered_cells { position: static !important; height: auto !important;
  width: auto !important; overflow: visible !important; contain: none !important; }
/* lumino widgets clip (overflow: hidden), which would stop the totals bar from sticking */
body *:has(.ocop-sticky) { overflow: visible !important; contain: none !important; }
.jp-InternalAnchorLink, .anchor-link { display: none !important; }
.ocop-app { overflow: visible !important; }
.ocop-app select, .ocop-app input[type=text], .ocop-app textarea { font-size: 15px; }
.ocop-app .widget-dropdown > select { height: 30px; }
.ocop-app .widget-radio, .ocop-app .widget-radio-box { height: auto !important; overflow: visible !important; }
.ocop-app .widget-radio-box label { height: auto !important; white-space: normal !important; display: flex !important;
  align-items: flex-start; }
.ocop-app .widget-radio-box label input[type=radio] { order: -1; flex: 0 0 auto; margin: 4px 8px 0 0; }
.ocop-app textarea { font-family: inherit; }
.ocop-app .widget-button, .ocop-app .jupyter-button { font-size: 15px; }
button.ocop-submit, .ocop-submit { font-size: 16px !important; font-weight: 600; }
.ocop-app .widget-box, .ocop-app .widget-vbox, .ocop-app .widget-hbox { overflow: visible; }
.ocop-sticky { position: sticky; top: 0; z-index: 20; background: #fffbe6; border: 1px solid #e0c860;
  padding: 4px 10px; margin-bottom: 6px; box-shadow: 0 2px 4px rgba(0,0,0,.12); }
.ocop-sticky .ocop-totals { position: static; border: 0; padding: 0; background: transparent; }
.ocop-totals .ocop-total-line { font-size: 17px; }
.ocop-totals .ocop-total-value { font-size: 26px; font-weight: 700; }
.ocop-totals .ocop-subtotals { font-size: 13px; color: #333; margin-top: 2px; }
.ocop-totals .ocop-subtotals b { color: #111; }
.ocop-totals .ocop-missing { color: #7a5a00; font-size: 13px; }
.ocop-totals .ocop-complete { color: #0a6b2d; font-size: 13px; font-weight: 600; }
.ocop-product-head { font-size: 15px; margin: 4px 0 2px 0; }
.ocop-product-head .ocop-product-name { font-size: 20px; font-weight: 700; }
.ocop-product-head .ocop-sheet-title { color: #333; }
.ocop-lock-line { font-size: 16px; font-weight: 600; }
.ocop-lock-line .ocop-locked { color: #0a6b2d; }
.ocop-lock-line .ocop-lock-warn { color: #b00020; }
.ocop-case-head { font-size: 13px; margin-left: 1em; color: #1f4e9a; }
.ocop-case-head b { color: #1f4e9a; }
.ocop-cond-note { color: #555; font-size: 13px; margin-left: 1em; font-style: italic; }
.ocop-crit-head .ocop-max, .ocop-group-head .ocop-max { font-weight: 400; color: #555; font-size: 13px; }
.ocop-app .widget-radio-box label { line-height: 1.35; margin: 2px 0; padding-left: 2px; }
.ocop-app .widget-radio-box { padding-left: 1.2em; }
.ocop-app .widget-radio-box input[type=radio] { transform: scale(1.15); }
.ocop-app .widget-radio .widget-label { display: none; }
.ocop-app .widget-html-content { line-height: 1.4; }
.ocop-app .ocop-na label { color: #999; }
.ocop-app .widget-radio-box label:has(input:checked) { font-weight: 700; background: #e6efff; color: #0b2e6b;
  border-radius: 3px; }
.ocop-app .ocop-na label:has(input:checked) { background: #eee; color: #777; text-decoration: line-through; }
/* the extra "Không đạt (0 điểm)" choice: after the printed options, set apart and muted */
.ocop-app .ocop-not-met-choice .widget-radio-box label:last-child { margin-top: 6px; padding: 2px 10px 2px 4px;
  width: fit-content; border: 1px dashed #8c8c8c; border-radius: 4px; color: #555; font-style: italic;
  background: #fafafa; }
.ocop-app .ocop-not-met-choice .widget-radio-box label:last-child:has(input:checked) { border: 2px solid #8a1c1c;
  background: #fdecea; color: #8a1c1c; font-style: normal; font-weight: 700; }
.ocop-app .ocop-na.ocop-not-met-choice .widget-radio-box label:last-child { color: #999; border-color: #ccc; }
.ocop-confirm-box { background: #fff4f4; border: 1px solid #e0a0a0; padding: 6px 10px; }
.ocop-entry-row { align-items: center; border-bottom: 1px solid #eee; }
.ocop-entry-row .widget-text input { font-size: 18px; text-align: center; font-weight: 700; }
.ocop-entry-code { font-weight: 700; min-width: 3.2em; }
.ocop-entry-ok { color: #0a6b2d; }
.ocop-entry-bad { color: #b00020; font-weight: 600; }
.ocop-entry-na { color: #777; font-style: italic; }
.ocop-entry-part { background: #d9d9d9; font-weight: 700; padding: 2px 8px; margin-top: 6px; }
</style>
"""


def tr(texts: Texts, key: str, lang: str, **values: Any) -> str:
    """A text of the texts files in ``lang``, with its ``{names}`` filled in."""
    template = texts.t(key, lang)
    return template.format(**values) if values else template


def describe_error(exc: OcopError, texts: Texts, lang: str) -> str:
    """A store refusal in the page's language (the store's own words kept as the detail)."""
    if isinstance(exc, SessionFinalised):
        return tr(texts, "form_err_finalised", lang)
    detail = error_text(exc, texts, lang)
    if isinstance(exc, AccessDenied):
        return tr(texts, "form_err_denied", lang, detail=detail)
    if isinstance(exc, ScorecardError):
        return tr(texts, "form_err_card", lang, detail=detail)
    return tr(texts, "form_err_store", lang, detail=detail)


def stars(n: int) -> str:
    """★ repeated ``n`` times."""
    return "★" * n


def _esc(text: str | None) -> str:
    return html.escape(text or "")


def in_lang(vi: str | None, en: str | None, lang: str) -> str:
    """A sheet text in ``lang``: the English gloss on the English page, else (or where it is missing) the Vietnamese."""
    return (en if lang == "en" and en else vi) or ""


def notes_in_lang(vi: tuple[str, ...], en: tuple[str, ...], lang: str) -> list[str]:
    """A list of notes in ``lang``, note by note (a note without its gloss stays Vietnamese)."""
    return [in_lang(note, en[i] if i < len(en) else None, lang) for i, note in enumerate(vi)]


def not_met_label(texts: Texts, lang: str) -> str:
    """The extra choice of a criterion without a printed 0-point option: ``Không đạt (0 điểm)``."""
    return tr(texts, "form_not_met", lang)


def option_label(texts: Texts, lang: str, leaf: Criterion, number: int) -> str:
    """``N. text — P điểm`` plus the ★ minimum the option marks (``★★★★ tối thiểu 4 sao``); 0: không đạt."""
    if number == NOT_MET:
        return not_met_label(texts, lang)
    option = leaf.options[number - 1]
    text = (option.text_en if lang == "en" and option.text_en else option.text_vi).strip()
    label = tr(texts, "form_option_label", lang, n=option.number, text=text, points=option.points)
    if option.star is not None:
        label += "  " + tr(texts, "form_star_minimum", lang, marks=stars(option.star), n=option.star)
    return label


def node_text(node: Criterion, lang: str) -> str:
    """A criterion's text in ``lang`` (Vietnamese where the English is missing)."""
    return in_lang(node.text_vi, node.text_en, lang).strip()


def radio_options(
    texts: Texts, lang: str, leaf: Criterion, *, not_met: bool | None = None, case: str | None = None
) -> list[tuple[str, int]]:
    """A criterion's radio choices: the printed options, then "không đạt" (0) when no printed option is
    worth 0 points (``not_met=True`` adds it anyway: a card holding 0 on such a criterion shows it).
    With ``case`` (sheet 26, a product whose case is known) only that case's options are offered."""
    options = [
        (option_label(texts, lang, leaf, o.number), o.number)
        for o in leaf.options
        if case is None or o.case in (None, case)
    ]
    if not_met or (not_met is None and not leaf.prints_zero_option):
        options.append((not_met_label(texts, lang), NOT_MET))
    return options


def render_totals(
    sheet: Sheet, result: CardResult, texts: Texts, lang: str, *, product_id: str = "", member_id: str = ""
) -> str:
    """The running total: overall, band, parts and groups, in one HTML block carrying ``data-total``."""
    band = result.band_stars
    band_html = (
        f' <span class="ocop-star" title="{_esc(tr(texts, "form_band_title", lang))}">{stars(band)}</span> '
        + _esc(tr(texts, "form_band", lang, n=band))
        if band
        else ""
    )
    parts = " · ".join(
        f"<b>{_esc(code)}</b> {value}/{part.max_points}"
        for (code, value), part in zip(result.part_totals, sheet.parts, strict=True)
    )
    group_max = {g.code: g.max_points for p in sheet.parts for g in p.groups}
    groups = " · ".join(f"<b>{_esc(code)}</b>: {value}/{group_max[code]}" for code, value in result.group_totals)
    if result.missing:
        shown = ", ".join(result.missing[:12]) + (" …" if len(result.missing) > 12 else "")
        state = (
            f'<span class="ocop-missing">'
            f"{_esc(tr(texts, 'form_missing', lang, count=len(result.missing), codes=shown))}</span>"
        )
    else:
        state = f'<span class="ocop-complete">{_esc(tr(texts, "form_complete", lang))}</span>'
    not_counted = ""
    if result.not_counted:
        not_counted = (
            f' <span class="ocop-missing">'
            f"{_esc(tr(texts, 'form_not_counted', lang, codes=', '.join(result.not_counted)))}</span>"
        )
    return (
        f'<div class="ocop-totals" data-total="{result.total}" data-band="{band or 0}" '
        f'data-missing="{len(result.missing)}" data-product="{_esc(product_id)}" data-member="{_esc(member_id)}">'
        f'<div class="ocop-total-line">{_esc(tr(texts, "form_total", lang))}: '
        f'<span class="ocop-total-value">{result.total}</span>/{sheet.total_points}{band_html}'
        f" &nbsp; {state}{not_counted}</div>"
        f'<div class="ocop-subtotals">{_esc(tr(texts, "form_parts", lang))}: {parts}</div>'
        f'<div class="ocop-subtotals">{_esc(tr(texts, "form_groups", lang))}: {groups}</div>'
        "</div>"
    )


# --- the widgets of one sheet ----------------------------------------------------------------------


@dataclass
class SheetView:
    """The widgets of one sheet in one language: a box to show, and one input per scored criterion."""

    sheet: Sheet
    lang: str
    entry: bool
    box: ipw.VBox
    inputs: dict[str, ipw.ValueWidget]
    infos: dict[str, ipw.HTML] = field(default_factory=dict)  # entry mode: what the number means
    disabled: dict[str, tuple[bool, bool]] = field(default_factory=dict)  # (disabled, not applicable)


def _node_head_html(node: Criterion, texts: Texts, lang: str) -> str:
    kind_class = "ocop-group-head" if node.kind == "group" else "ocop-crit-head"
    indent = ' style="margin-left:1.5em"' if node.kind == "sub_criterion" else ""
    out = [
        f'<div class="{kind_class}"{indent}>{_esc(node.code)}. {_esc(node_text(node, lang))} '
        f'<span class="ocop-max">({_esc(tr(texts, "form_max_points", lang, points=node.max_points))})</span></div>'
    ]
    for note in notes_in_lang(node.notes_vi, node.notes_en, lang):
        out.append(f'<div class="ocop-note">{_esc(note)}</div>')
    for note in notes_in_lang(node.knockout_vi, node.knockout_en, lang):
        out.append(f'<div class="ocop-knockout-note">{_esc(note)}</div>')
    if node.condition is not None:
        condition = node.condition
        out.append(
            f'<div class="ocop-cond-note">{_esc(in_lang(condition.note_vi, condition.note_en, lang))} '
            f"({_esc(tr(texts, 'form_condition', lang, code=condition.criterion, points=condition.min_points))})</div>"
        )
    if node.anomaly is not None:
        out.append(
            f'<div class="ocop-anomaly-note"{_printed_title(node.anomaly.printed, lang)}>⚠ '
            f"{_esc(in_lang(node.anomaly.note_vi, node.anomaly.note_en, lang))}</div>"
        )
    for option in node.options:
        if option.anomaly is not None:
            note = in_lang(option.anomaly.note_vi, option.anomaly.note_en, lang)
            out.append(
                f'<div class="ocop-anomaly-note" data-option="{option.number}">⚠ '
                f"{_esc(tr(texts, 'form_option_anomaly', lang, n=option.number))}: {_esc(note)}</div>"
            )
    if node.cases:
        rows = []
        for case in node.cases:
            numbers = ", ".join(str(o.number) for o in node.options if o.case == case.code)
            text = in_lang(case.text_vi, case.text_en, lang)
            rows.append(
                f'<div class="ocop-case-head" data-case="{_esc(case.code)}"><b>{_esc(text)}</b> — '
                f"{_esc(tr(texts, 'form_case_options', lang, numbers=numbers))}</div>"
            )
        out.extend(rows)
    return "".join(out)


def _printed_title(printed: str, lang: str) -> str:
    """The printed (Vietnamese) text of an anomaly as a tooltip, on the Vietnamese page only."""
    return f' title="{_esc(printed)}"' if printed and lang != "en" else ""


def _part_label(sheet: Sheet, index: int, texts: Texts, lang: str) -> str:
    part = sheet.parts[index]
    if lang == "en" and part.label_en:
        return tr(texts, "form_part_en", lang, code=part.code, label=part.label_en, points=part.max_points)
    return part.label_vi


def _part_head_html(sheet: Sheet, index: int, texts: Texts, lang: str) -> str:
    part = sheet.parts[index]
    out = f'<div class="ocop-part-head">{_esc(_part_label(sheet, index, texts, lang))}</div>'
    if part.anomaly is not None:
        note = in_lang(part.anomaly.note_vi, part.anomaly.note_en, lang)
        out += f'<div class="ocop-anomaly-note"{_printed_title(part.anomaly.printed, lang)}>⚠ {_esc(note)}</div>'
    return out


@dataclass
class SharedLooks:
    """One layout and one style model shared by all the widgets of a kind (fewer models to create in the browser)."""

    radio_layout: ipw.Layout = field(default_factory=lambda: ipw.Layout(width="auto", margin="0 0 4px 0"))
    radio_style: DescriptionStyle = field(default_factory=DescriptionStyle)
    html_layout: ipw.Layout = field(default_factory=ipw.Layout)
    html_style: HTMLStyle = field(default_factory=HTMLStyle)

    def html(self, value: str) -> ipw.HTML:
        """An HTML widget with the shared layout and style."""
        return ipw.HTML(value, layout=self.html_layout, style=self.html_style)


def build_radio_view(
    sheet: Sheet, texts: Texts, lang: str, on_input: Callable[[str, Any], None], looks: SharedLooks | None = None
) -> SheetView:
    """The sheet as the member sees it: headings, notes and one radio group per scored criterion.

    The headings between two radio groups are one HTML widget (the part's, the group's and the
    criterion's), so a sheet is about 65 widgets. A group whose printed options have no 0-point
    option ends with "Không đạt (0 điểm)" (value 0) and carries ``NOT_MET_CHOICE``.
    """
    looks = looks or SharedLooks()
    children: list[ipw.Widget] = []
    inputs: dict[str, ipw.ValueWidget] = {}
    heads: list[str] = []
    for index, part in enumerate(sheet.parts):
        heads.append(_part_head_html(sheet, index, texts, lang))
        for group in part.groups:
            for node in group.walk():
                heads.append(_node_head_html(node, texts, lang))
                if not node.is_leaf:
                    continue
                children.append(looks.html("".join(heads)))
                heads = []
                radio = ipw.RadioButtons(
                    options=radio_options(texts, lang, node),
                    value=None,
                    layout=looks.radio_layout,
                    style=looks.radio_style,
                )
                radio.add_class(contract.criterion_class(node.code))
                if not node.prints_zero_option:
                    radio.add_class(NOT_MET_CHOICE)
                radio.observe(lambda change, code=node.code: on_input(code, change["new"]), names="value")
                inputs[node.code] = radio
                children.append(radio)
    if heads:
        children.append(looks.html("".join(heads)))
    box = ipw.VBox(children, layout=ipw.Layout(width="100%"))
    return SheetView(sheet, lang, False, box, inputs)


def build_entry_view(
    sheet: Sheet, texts: Texts, lang: str, on_input: Callable[[str, Any], None], looks: SharedLooks | None = None
) -> SheetView:
    """The secretary's fast entry: one box per scored criterion in printed order, Tab to the next; 0 = không đạt."""
    looks = looks or SharedLooks()
    box_layout = ipw.Layout(width="5em")
    label_layout = ipw.Layout(width="30em", flex="0 0 30em")
    info_layout = ipw.Layout(width="auto", flex="1 1 0")
    row_layout = ipw.Layout(width="100%")
    children: list[ipw.Widget] = []
    inputs: dict[str, ipw.ValueWidget] = {}
    infos: dict[str, ipw.HTML] = {}
    for index, part in enumerate(sheet.parts):
        children.append(
            looks.html(f'<div class="ocop-entry-part">{_esc(_part_label(sheet, index, texts, lang))}</div>')
        )
        for leaf in (n for g in part.groups for n in g.walk() if n.is_leaf):
            box = ipw.Text(value="", placeholder=f"0–{len(leaf.options)}", continuous_update=False, layout=box_layout)
            box.add_class(contract.entry_class(leaf.code))
            box.observe(lambda change, code=leaf.code: on_input(code, change["new"]), names="value")
            label = ipw.HTML(
                f'<span class="ocop-entry-code">{_esc(leaf.code)}</span> {_esc(node_text(leaf, lang))} '
                f'<span class="ocop-max">({_esc(tr(texts, "form_max_points", lang, points=leaf.max_points))})</span>',
                layout=label_layout,
                style=looks.html_style,
            )
            info = ipw.HTML("", layout=info_layout, style=looks.html_style)
            info.add_class(ENTRY_INFO_PREFIX + leaf.code.replace(".", "_"))
            inputs[leaf.code] = box
            infos[leaf.code] = info
            row = ipw.HBox([box, label, info], layout=row_layout)
            row.add_class("ocop-entry-row")
            children.append(row)
    return SheetView(sheet, lang, True, ipw.VBox(children, layout=ipw.Layout(width="100%")), inputs, infos)


# --- the form --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CardShown:
    """What the form last loaded from the store for its card (to tell a change made elsewhere)."""

    session_status: str
    round: int
    knockout: str | None
    recusal: str | None
    status: str
    choices: tuple[tuple[str, int], ...]
    comment: str
    submitted_at: str | None


def card_shown(state: SessionState, product_id: str, member_id: str) -> CardShown:
    """The store's view of one card, as the form shows it."""
    product = state.product(product_id)
    card = state.card(product_id, member_id)
    return CardShown(
        state.session.status,
        product.round,
        product.knockout,
        state.recusal(product_id, member_id),
        card.status if card else "not_started",
        card.choices if card else (),
        card.comment if card else "",
        card.submitted_at if card else None,
    )


class ScoringForm(ipw.VBox):
    """One member's card for one product: the sheet, live totals, comment, submit, recusal.

    Args:
        store: The session store (a ``SessionStore``).
        session_id: The session.
        actor: Who writes (the member by token, or the secretary for any member).
        ruleset: The session's rule set (for the band a total would give).
        texts: The UI texts.
        lang: ``"vi"`` or ``"en"``.
        entry: The secretary's fast keyboard entry instead of radio groups.
        allow_recusal: Offer the recusal row.
    """

    def __init__(
        self,
        store: Any,
        session_id: str,
        actor: Any,
        *,
        ruleset: RuleSet,
        texts: Texts | None = None,
        lang: str = "vi",
        entry: bool = False,
        allow_recusal: bool = True,
    ) -> None:
        self.store = store
        self.session_id = session_id
        self.actor = actor
        self.ruleset = ruleset
        self.texts = texts or load_texts()
        self.lang = lang
        self.entry = entry
        self.allow_recusal = allow_recusal
        self.product: Product | None = None
        self.member_id: str | None = None
        self.sheet: Sheet | None = None
        self.shown: CardShown | None = None
        self.choices: dict[str, int] = {}
        self.result: CardResult | None = None
        self.locked = False
        self.pending: str | None = None  # "submit" / "recuse" awaiting confirmation
        self._loading = False
        self._views: dict[tuple[str, str, bool], SheetView] = {}
        self.looks = SharedLooks()
        self.view: SheetView | None = None
        # the page updates its progress after a write: on_saved(product_id, member_id, progress)
        self.on_saved: Callable[[str, str, str], None] | None = None

        self.status = StatusLine(self.texts, lang)
        self.totals = ipw.HTML('<div class="ocop-totals" data-total="0"></div>')
        self.totals.add_class(contract.TOTAL)
        self.sticky = ipw.VBox([self.totals, self.status], layout=ipw.Layout(width="100%"))
        self.sticky.add_class(STICKY)
        self.head = ipw.HTML("")
        self.head.add_class(PRODUCT_HEAD)
        self.lock_line = ipw.HTML("")
        self.lock_line.add_class(LOCK_LINE)
        self.body = ipw.VBox([], layout=ipw.Layout(width="100%"))
        self.comment = ipw.Textarea(value="", continuous_update=False, layout=ipw.Layout(width="100%", height="5em"))
        self.comment.add_class(contract.COMMENT)
        self.comment_label = ipw.HTML("")
        self.submit_button = ipw.Button(
            button_style="primary", layout=ipw.Layout(width="16em", height="40px", margin="8px 0")
        )
        self.submit_button.add_class(contract.SUBMIT)
        self.confirm_text = ipw.HTML("")
        self.confirm_button = ipw.Button(button_style="danger", layout=ipw.Layout(width="12em", height="36px"))
        self.confirm_button.add_class(contract.CONFIRM)
        self.cancel_button = ipw.Button(layout=ipw.Layout(width="8em", height="36px"))
        self.cancel_button.add_class(contract.CANCEL)
        self.confirm_box = ipw.VBox(
            [self.confirm_text, ipw.HBox([self.confirm_button, self.cancel_button])],
            layout=ipw.Layout(display="none", width="100%"),
        )
        self.confirm_box.add_class(CONFIRM_BOX)
        self.recuse_label = ipw.HTML("")
        self.recuse_reason = ipw.Text(value="", continuous_update=True, layout=ipw.Layout(width="40em"))
        self.recuse_reason.add_class(contract.RECUSE_REASON)
        self.recuse_button = ipw.Button(button_style="warning", layout=ipw.Layout(width="16em"))
        self.recuse_button.add_class(contract.RECUSE)
        self.recuse_box = ipw.VBox(
            [self.recuse_label, ipw.HBox([self.recuse_reason, self.recuse_button])],
            layout=ipw.Layout(margin="12px 0 0 0", display="" if allow_recusal else "none"),
        )

        self.comment.observe(self._on_comment, names="value")
        self.submit_button.on_click(self._on_submit)
        self.confirm_button.on_click(self._on_confirm)
        self.cancel_button.on_click(self._on_cancel)
        self.recuse_button.on_click(self._on_recuse)
        self._apply_texts()
        super().__init__(
            [
                self.sticky,
                self.head,
                self.lock_line,
                self.body,
                self.comment_label,
                self.comment,
                self.submit_button,
                self.confirm_box,
                self.recuse_box,
            ],
            layout=ipw.Layout(width="100%"),
        )
        self.add_class("ocop-form")

    # --- texts ---------------------------------------------------------------------------------------

    def t(self, key: str, **values: Any) -> str:
        """A text in the form's language."""
        return tr(self.texts, key, self.lang, **values)

    def _apply_texts(self) -> None:
        self.status.lang = self.lang
        self.comment_label.value = f"<b>{_esc(self.t('form_comment_label'))}</b>"
        self.comment.placeholder = self.t("form_comment_placeholder")
        self.submit_button.description = self.t("form_submit")
        self.confirm_button.description = self.t("form_confirm")
        self.cancel_button.description = self.t("form_cancel")
        self.recuse_label.value = f"<b>{_esc(self.t('form_recuse_label'))}</b>"
        self.recuse_reason.placeholder = self.t("form_recuse_placeholder")
        self.recuse_button.description = self.t("form_recuse")

    def set_lang(self, lang: str) -> None:
        """Show the form in another language (the sheet's widgets for it are built once)."""
        if lang == self.lang:
            return
        self.lang = lang
        self._apply_texts()
        if self.product is not None and self.member_id is not None:
            state = self.store.state(self.session_id)
            self.show(state, self.product.product_id, self.member_id, force=True)

    # --- showing a card ------------------------------------------------------------------------------

    def _sheet_view(self, sheet: Sheet) -> SheetView:
        key = (sheet.sheet_id, self.lang, self.entry)
        view = self._views.get(key)
        if view is None:
            build = build_entry_view if self.entry else build_radio_view
            view = build(sheet, self.texts, self.lang, self._on_input, self.looks)
            self._views[key] = view
        return view

    def show(self, state: SessionState, product_id: str, member_id: str, *, force: bool = False) -> None:
        """Show ``member_id``'s card for ``product_id`` as the store has it."""
        product = state.product(product_id)
        shown = card_shown(state, product_id, member_id)
        same_card = (
            self.product is not None
            and self.product.product_id == product_id
            and self.member_id == member_id
            and self.view is not None
            and self.view.lang == self.lang
        )
        if same_card and not force and shown == self.shown and product == self.product:
            return
        sheet = self.store.sheet(self.session_id, product.sheet_id)
        view = self._sheet_view(sheet)
        if not same_card or force:
            self.pending = None
            self.confirm_box.layout.display = "none"
            self.recuse_reason.value = ""
            if not same_card:
                self.status.clear()
        with self.hold_sync():
            self.product, self.member_id, self.sheet = product, member_id, sheet
            self.shown = shown
            self.choices = dict(shown.choices)
            self.locked = (
                shown.session_status != "open"
                or shown.knockout is not None
                or shown.recusal is not None
                or shown.status == "submitted"
            )
            self.head.value = self._head_html(state, product, sheet, member_id)
            self.lock_line.value = self._lock_html(shown)
            self._load_view(view)
            if self.body.children != (view.box,):
                self.body.children = (view.box,)
            self.view = view
            self._loading = True
            try:
                if self.comment.value != shown.comment:
                    self.comment.value = shown.comment
            finally:
                self._loading = False
            self.comment.disabled = self.locked
            self.submit_button.disabled = self.locked
            self.submit_button.layout.display = "none" if shown.status == "submitted" else ""
            can_recuse = (
                self.allow_recusal
                and shown.session_status == "open"
                and shown.knockout is None
                and shown.recusal is None
                and shown.status != "submitted"
            )
            self.recuse_box.layout.display = "" if can_recuse else "none"
            self._update_totals()

    def _case(self, sheet: Sheet) -> str | None:
        """The case the shown product is scored in (sheet 26): its record's, else the card's first case-bound tick."""
        if self.product is not None and self.product.case:
            return self.product.case
        for leaf in sheet.leaves:
            number = self.choices.get(leaf.code)
            if leaf.cases and number:
                return leaf.option(number).case
        return None

    def _load_view(self, view: SheetView) -> None:
        """Put the card's choices into the sheet's inputs (no save: the values come from the store)."""
        case = self._case(view.sheet)
        self._loading = True
        try:
            for code, widget in view.inputs.items():
                number = self.choices.get(code)
                if view.entry:
                    text = "" if number is None else str(number)
                    if widget.value != text:
                        widget.value = text
                    view.infos[code].value = self._entry_info(view.sheet, code, number)
                    continue
                leaf = view.sheet.leaf(code)
                if leaf.prints_zero_option or leaf.cases:
                    # "không đạt" is shown where a printed option is worth 0 only for a card that holds it;
                    # a choose-one-case criterion offers only the product's case once it is known
                    options = radio_options(
                        self.texts,
                        view.lang,
                        leaf,
                        not_met=(number == NOT_MET) if leaf.prints_zero_option else None,
                        case=case if leaf.cases else None,
                    )
                    if tuple(v for _, v in options) != tuple(widget._options_values):
                        widget.options = options
                if widget.value != number:
                    widget.value = number
        finally:
            self._loading = False
        self._update_disabled(view, force=True)

    def _update_disabled(self, view: SheetView, *, force: bool = False) -> None:
        result = score_card(view.sheet, self.choices)
        not_applicable = set(result.not_applicable)
        for code, widget in view.inputs.items():
            disabled = self.locked or code in not_applicable
            key = (disabled, code in not_applicable)
            if force or view.disabled.get(code) != key:
                if widget.disabled != disabled:
                    widget.disabled = disabled
                view.disabled[code] = key
                if code in not_applicable:
                    widget.add_class(NOT_APPLICABLE)
                elif NOT_APPLICABLE in widget._dom_classes:
                    widget.remove_class(NOT_APPLICABLE)
                if view.entry and code in not_applicable and not self.locked:
                    view.infos[code].value = f'<span class="ocop-entry-na">{_esc(self.t("form_not_applicable"))}</span>'
                elif view.entry and not force:
                    view.infos[code].value = self._entry_info(view.sheet, code, self.choices.get(code))

    def _entry_info(self, sheet: Sheet, code: str, number: int | None) -> str:
        if number is None:
            return ""
        leaf = sheet.leaf(code)
        return f'<span class="ocop-entry-ok">→ {_esc(option_label(self.texts, self.lang, leaf, number))}</span>'

    def _head_html(self, state: SessionState, product: Product, sheet: Sheet, member_id: str) -> str:
        title = in_lang(sheet.title_vi, sheet.title_en, self.lang)
        member = state.member(member_id) if state.has_member(member_id) else None
        where = ", ".join(x for x in (product.producer, product.commune, product.province) if x)
        lines = [
            f'<div><span class="ocop-product-name">{_esc(product.product_id)} · {_esc(product.name)}</span>'
            + (f" — {_esc(where)}" if where else "")
            + "</div>",
            f'<div class="ocop-sheet-title">{_esc(self.t("form_sheet", number=sheet.number or "", title=title))}'
            + (f" · {_esc(self.t('form_round', n=product.round))}" if product.round > 1 else "")
            + (f" · {_esc(self.t('form_card_of', member=member.member_id, name=member.name))}" if member else "")
            + "</div>",
        ]
        for note in notes_in_lang(sheet.dossier_knockouts_vi, sheet.dossier_knockouts_en, self.lang):
            lines.append(f'<div class="ocop-knockout-note">{_esc(note)}</div>')
        star_note = in_lang(sheet.star_note_vi, sheet.star_note_en, self.lang)
        if star_note:
            lines.append(f'<div class="ocop-note">{_esc(star_note)}</div>')
        return "".join(lines)

    def _lock_html(self, shown: CardShown) -> str:
        if shown.session_status != "open":
            return f'<span class="ocop-lock-warn" data-lock="finalised">{_esc(self.t("form_session_finalised"))}</span>'
        if shown.knockout is not None:
            return (
                f'<span class="ocop-lock-warn" data-lock="knockout">'
                f"{_esc(self.t('form_knocked_out', reason=shown.knockout))}</span>"
            )
        if shown.recusal is not None:
            return (
                f'<span class="ocop-lock-warn" data-lock="recused">'
                f"{_esc(self.t('form_recused', reason=shown.recusal))}</span>"
            )
        if shown.status == "submitted":
            return (
                f'<span class="ocop-locked" data-lock="submitted">'
                f"{_esc(self.t('form_submitted_at', when=local_time(shown.submitted_at)))}</span>"
            )
        return ""

    def _update_totals(self) -> None:
        if self.sheet is None:
            return
        self.result = score_card(self.sheet, self.choices, self.ruleset)
        self.totals.value = render_totals(
            self.sheet,
            self.result,
            self.texts,
            self.lang,
            product_id=self.product.product_id if self.product else "",
            member_id=self.member_id or "",
        )

    # --- the poller's refresh ------------------------------------------------------------------------

    def refresh(self, state: SessionState) -> None:
        """Reload the card if it changed in the store (reopened, entered by the secretary, knocked out …)."""
        if self.product is None or self.member_id is None:
            return
        if not state.has_product(self.product.product_id):
            return
        shown = card_shown(state, self.product.product_id, self.member_id)
        if shown != self.shown or state.product(self.product.product_id) != self.product:
            self.show(state, self.product.product_id, self.member_id)

    def reset(self) -> None:
        """Show no card."""
        self.product = self.member_id = self.sheet = self.view = self.shown = None
        self.body.children = ()
        self.head.value = self.lock_line.value = ""
        self.status.clear()

    def freeze(self) -> None:
        """Disable every input (the page is read-only)."""
        self.locked = True
        if self.view is not None:
            self._update_disabled(self.view, force=True)
        self.comment.disabled = self.submit_button.disabled = self.recuse_button.disabled = True

    def unfreeze(self) -> None:
        """Enable what the card allows again."""
        self.recuse_button.disabled = False
        if self.product is not None and self.member_id is not None:
            self.show(self.store.state(self.session_id), self.product.product_id, self.member_id, force=True)

    # --- handlers ------------------------------------------------------------------------------------

    def _after_write(self, card: Card, *, notify: bool = True) -> None:
        """Remember what the store now holds (so the poller does not reload our own change)."""
        self.choices = dict(card.choices)
        if self.shown is not None:
            self.shown = CardShown(
                self.shown.session_status,
                card.round,
                self.shown.knockout,
                self.shown.recusal,
                card.status,
                card.choices,
                card.comment,
                card.submitted_at,
            )
        if notify and self.on_saved is not None:
            self.on_saved(card.product_id, card.member_id, card.status)

    @reports_errors
    def _on_input(self, code: str, value: Any) -> None:
        if self._loading or self.view is None or self.product is None or self.member_id is None:
            return
        view = self.view
        if view.entry:
            number = self._parse_entry(view, code, value)
            if number is False:
                return
        else:
            number = value
        if self.choices.get(code) == number:
            if view.entry:  # typed again after a refused number: the saved option stands
                view.infos[code].value = self._entry_info(view.sheet, code, number)
                self.status.show_info(self.t("form_unchanged", code=code))
            return
        try:
            card = self.store.tick(self.session_id, self.actor, self.product.product_id, self.member_id, code, number)
        except OcopError as exc:
            self.status.show_error(describe_error(exc, self.texts, self.lang))
            self._revert(view, code)
            return
        before = set(self.result.not_applicable) if self.result else set()
        self._after_write(card)
        self._update_totals()
        after = set(self.result.not_applicable) if self.result else set()
        if before != after:
            self._update_disabled(view)
        if view.entry:
            view.infos[code].value = self._entry_info(view.sheet, code, number)
        if number is None:
            self.status.show_ok(self.t("form_cleared", code=code))
        elif number == NOT_MET:
            self.status.show_ok(self.t("form_saved_not_met", code=code))
        else:
            self.status.show_ok(self.t("form_saved", code=code, option=number))

    def _parse_entry(self, view: SheetView, code: str, text: str) -> int | bool | None:
        """The option number typed for ``code``: an int (0: không đạt), None (cleared), or False (refused,
        message shown)."""
        text = (text or "").strip()
        if not text:
            return None
        leaf = view.sheet.leaf(code)
        if not text.isdigit() or not NOT_MET <= int(text) <= len(leaf.options):
            message = self.t("form_entry_bad", code=code, got=text, top=len(leaf.options))
            view.infos[code].value = f'<span class="ocop-entry-bad" data-bad="1">✖ {_esc(message)}</span>'
            self.status.show_error(message)
            return False
        return int(text)

    def _revert(self, view: SheetView, code: str) -> None:
        number = self.choices.get(code)
        self._loading = True
        try:
            widget = view.inputs[code]
            widget.value = ("" if number is None else str(number)) if view.entry else number
        finally:
            self._loading = False

    @reports_errors
    def _on_comment(self, change: Mapping[str, Any]) -> None:
        if self._loading or self.product is None or self.member_id is None:
            return
        text = change["new"] or ""
        if self.shown is not None and text.strip() == self.shown.comment:
            return
        try:
            card = self.store.set_comment(self.session_id, self.actor, self.product.product_id, self.member_id, text)
        except OcopError as exc:
            self.status.show_error(describe_error(exc, self.texts, self.lang))
            return
        self._after_write(card)
        self.status.show_ok(self.t("form_comment_saved"))

    @reports_errors
    def _on_submit(self, _button: Any) -> None:
        if self.product is None or self.result is None:
            return
        if self.result.missing:
            self.status.show_error(
                self.t("form_submit_incomplete", count=len(self.result.missing), codes=", ".join(self.result.missing))
            )
            return
        self._ask("submit", self.t("form_submit_question", product=self.product.product_id, total=self.result.total))

    @reports_errors
    def _on_recuse(self, _button: Any) -> None:
        if self.product is None:
            return
        reason = self.recuse_reason.value.strip()
        if not reason:
            self.status.show_error(self.t("form_recuse_need_reason"))
            return
        self._ask("recuse", self.t("form_recuse_question", product=self.product.product_id, reason=reason))

    def _ask(self, action: str, question: str) -> None:
        self.pending = action
        self.confirm_text.value = f"<b>{_esc(question)}</b>"
        self.confirm_box.layout.display = ""
        self.status.show_info(self.t("form_confirm_hint"))

    @reports_errors
    def _on_cancel(self, _button: Any) -> None:
        self.pending = None
        self.confirm_box.layout.display = "none"
        self.status.show_info(self.t("form_cancelled"))

    @reports_errors
    def _on_confirm(self, _button: Any) -> None:
        action, self.pending = self.pending, None
        self.confirm_box.layout.display = "none"
        if action is None or self.product is None or self.member_id is None:
            return
        pid, mid = self.product.product_id, self.member_id
        try:
            if action == "submit":
                card = self.store.submit(self.session_id, self.actor, pid, mid)
                self._after_write(card, notify=False)
                progress = "submitted"
                message = self.t("form_submitted", product=pid, when=local_time(card.submitted_at))
            else:
                reason = self.recuse_reason.value.strip()
                self.store.recuse(self.session_id, self.actor, pid, mid, reason)
                progress = "recused"
                message = self.t("form_recused_ok", product=pid)
        except OcopError as exc:
            self.status.show_error(describe_error(exc, self.texts, self.lang))
            return
        self.show(self.store.state(self.session_id), pid, mid, force=True)
        if self.on_saved is not None:
            self.on_saved(pid, mid, progress)
        self.status.show_ok(message)
