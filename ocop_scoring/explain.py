"""Explanations: the working behind every number, and its renderers.

Layer: explain. Imports: model, texts. Pure; no I/O.

An ``Explanation`` holds codes and numbers only (member ids, criterion codes,
exact values, pass/fail). Words come from the packaged texts at render time,
so one explanation renders in Vietnamese or English, as text, HTML or a
pandas DataFrame.
"""

from __future__ import annotations

import html
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from typing import TYPE_CHECKING, Any

from attrs import field, frozen

from ocop_scoring.texts import Texts, load_texts

if TYPE_CHECKING:
    import pandas as pd


def round_half_up(value: Fraction | int, places: int = 2) -> Decimal:
    """Round an exact value half-up to ``places`` decimals (the one rounding step).

    >>> round_half_up(Fraction(645, 9)), round_half_up(Fraction(1, 200)), round_half_up(Fraction(-1, 200))
    (Decimal('71.67'), Decimal('0.01'), Decimal('-0.01'))
    """
    value = Fraction(value)
    scale = 10**places
    scaled = abs(value) * scale
    q, r = divmod(scaled.numerator, scaled.denominator)
    if 2 * r >= scaled.denominator:
        q += 1
    sign = -1 if value < 0 else 1
    return (Decimal(sign * q) / Decimal(scale)).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


def format_points(value: Fraction | int | Decimal, lang: str = "vi", places: int = 2) -> str:
    """Show a number as people write it: whole numbers plainly, others with ``places`` decimals.

    Vietnamese writes a decimal comma: ``71,67``; English ``71.67``.

    >>> format_points(Fraction(645, 9)), format_points(70, "en"), format_points(Fraction(3, 2), "en")
    ('71,67', '70', '1.50')
    """
    if isinstance(value, int) or (isinstance(value, Fraction) and value.denominator == 1):
        return str(int(value))
    text = str(value if isinstance(value, Decimal) else round_half_up(value, places))
    return text.replace(".", ",") if lang == "vi" else text


def format_mean(value: Fraction, lang: str = "vi") -> str:
    """A mean always with 2 decimals (``71,00``)."""
    text = str(round_half_up(value, 2))
    return text.replace(".", ",") if lang == "vi" else text


@frozen
class Step:
    """One line of working, in the order it was computed.

    ``rule`` names the template; ``args`` are the named values it shows;
    ``ok`` is the outcome of a check (None for plain arithmetic).
    """

    rule: str
    subject: str
    args: tuple[tuple[str, Any], ...] = field(converter=tuple)
    ok: bool | None = None

    def arg(self, name: str) -> Any:
        """The value named ``name``."""
        return dict(self.args)[name]


@frozen
class Explanation:
    """How one product's result was reached, from each member's ticks to its rank."""

    product_id: str
    sheet_id: str
    ruleset_id: str
    members: tuple[str, ...] = field(converter=tuple)
    criteria: tuple[str, ...] = field(converter=tuple)  # scored criteria, printed order
    criterion_parts: tuple[str, ...] = field(converter=tuple)  # part of each criterion
    options: tuple[tuple[int, ...], ...] = field(converter=tuple)  # member x criterion; -1 = blank, 0 = không đạt
    points: tuple[tuple[int, ...], ...] = field(converter=tuple)  # member x criterion, as counted
    steps: tuple[Step, ...] = field(converter=tuple)

    def steps_of(self, rule: str) -> list[Step]:
        """Every step of one kind."""
        return [s for s in self.steps if s.rule == rule]

    def _repr_html_(self) -> str:
        return render_html(self)

    def __str__(self) -> str:
        return render_text(self)


_TRANSLATED = {"level": "level_", "certified_by": "level_", "forwarded_to": "level_", "minimum_rule": "minimum_rule_"}


def _fmt_value(value: Any, lang: str, texts: Texts) -> str:
    if isinstance(value, bool):
        return texts.t("bool_yes" if value else "bool_no", lang)
    if isinstance(value, Fraction | Decimal | int):
        return format_points(value, lang)
    if isinstance(value, tuple | list):
        return " + ".join(_fmt_value(v, lang, texts) for v in value)
    return str(value)


def render_step(step: Step, lang: str = "vi", texts: Texts | None = None) -> str:
    """One step as a sentence."""
    texts = texts or load_texts()
    template = texts.template(step.rule, lang)
    values = {
        name: texts.t(_TRANSLATED[name] + str(value), lang) if name in _TRANSLATED else _fmt_value(value, lang, texts)
        for name, value in step.args
    }
    values.setdefault("subject", step.subject)
    for name, value in step.args:
        if isinstance(value, Fraction) and value.denominator != 1:
            values[f"{name}_exact"] = f"{value.numerator}/{value.denominator}"
        elif isinstance(value, Fraction | int) and not isinstance(value, bool):
            values[f"{name}_exact"] = str(int(value))
        if name.endswith("mean") and isinstance(value, Fraction):
            values[name] = format_mean(value, lang)
    text = template.format_map(_Missing(values))
    if step.ok is not None:
        outcome = "pass" if step.ok else "fail"
        specific = f"{step.rule}_{outcome}"
        text += " " + texts.t(specific if texts.t(specific, lang) != specific else outcome, lang)
    return text


class _Missing(dict[str, str]):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def render_text(explanation: Explanation, lang: str = "vi", texts: Texts | None = None) -> str:
    """The whole working as plain text: the points matrix, then one sentence per step."""
    texts = texts or load_texts()
    lines = [texts.t("explain_title", lang).format(product=explanation.product_id, sheet=explanation.sheet_id)]
    lines.append("")
    lines.append(texts.t("points_matrix", lang))
    width = max([len(m) for m in explanation.members] + [6])
    head = " " * width + " | " + " ".join(f"{c:>5}" for c in explanation.criteria)
    lines.append(head)
    for member, row in zip(explanation.members, explanation.points, strict=True):
        lines.append(f"{member:<{width}} | " + " ".join(f"{p:>5}" for p in row))
    lines.append("")
    for step in explanation.steps:
        lines.append("- " + render_step(step, lang, texts))
    return "\n".join(lines)


def render_html(explanation: Explanation, lang: str = "vi", texts: Texts | None = None) -> str:
    """The whole working as an HTML fragment (a points table and an ordered list of steps)."""
    texts = texts or load_texts()
    esc = html.escape
    out = [f'<div class="ocop-explanation" data-product="{esc(explanation.product_id)}">']
    out.append(
        f"<h4>{esc(texts.t('explain_title', lang).format(product=explanation.product_id, sheet=explanation.sheet_id))}</h4>"
    )
    out.append('<table class="ocop-points"><thead><tr><th></th>')
    out.extend(
        f'<th title="{texts.t("part", lang)} {esc(p)}">{esc(c)}</th>'
        for c, p in zip(explanation.criteria, explanation.criterion_parts, strict=True)
    )
    out.append(f"<th>{esc(texts.t('total', lang))}</th></tr></thead><tbody>")
    for member, row in zip(explanation.members, explanation.points, strict=True):
        out.append(f"<tr><th>{esc(member)}</th>")
        out.extend(f"<td>{p}</td>" for p in row)
        out.append(f"<td><b>{sum(row)}</b></td></tr>")
    out.append('</tbody></table><ol class="ocop-steps">')
    for step in explanation.steps:
        cls = "" if step.ok is None else (' class="ok"' if step.ok else ' class="fail"')
        out.append(f'<li data-rule="{esc(step.rule)}"{cls}>{esc(render_step(step, lang, texts))}</li>')
    out.append("</ol></div>")
    return "".join(out)


def explanation_frame(explanation: Explanation, lang: str = "vi", texts: Texts | None = None) -> pd.DataFrame:
    """The steps as a DataFrame: one row per step with its rule, subject, sentence and outcome."""
    import pandas as pd

    texts = texts or load_texts()
    rows = [
        {
            texts.t("col_step", lang): i,
            texts.t("col_rule", lang): s.rule,
            texts.t("col_subject", lang): s.subject,
            texts.t("col_detail", lang): render_step(s, lang, texts),
            texts.t("col_ok", lang): None if s.ok is None else s.ok,
        }
        for i, s in enumerate(explanation.steps, start=1)
    ]
    return pd.DataFrame(rows)


def points_frame(explanation: Explanation, lang: str = "vi", texts: Texts | None = None) -> pd.DataFrame:
    """The member x criterion points matrix with part totals and the member total."""
    import pandas as pd

    texts = texts or load_texts()
    frame = pd.DataFrame(list(explanation.points), index=list(explanation.members), columns=list(explanation.criteria))
    for part in dict.fromkeys(explanation.criterion_parts):
        cols = [c for c, p in zip(explanation.criteria, explanation.criterion_parts, strict=True) if p == part]
        frame[f"{texts.t('part', lang)} {part}"] = frame[cols].sum(axis=1)
    frame[texts.t("total", lang)] = frame[list(explanation.criteria)].sum(axis=1)
    frame.index.name = texts.t("member", lang)
    return frame
