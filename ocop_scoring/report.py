"""The published report: every result recomputed from the raw scorecards, checked, explained, charted.

Layer: report. Imports: criteria_io, scores_io, scoring, explain, texts, store.session_file (reading
only). Only ``run_report`` touches papermill and nbconvert.

``build_session_report(source=…)`` reads a session file (``ocop session export``) or a scores CSV,
recomputes every result with the scoring engine and the sheets the session pinned, checks every
stored hash (saying loudly when one does not match, without refusing to show the rest), and offers
the blocks the report notebook displays: ``header()``, ``integrity()``, ``results_by_sheet()``,
``charts()``, ``agreement()``, ``stability()``, ``programme()``, ``explanations()``, ``provenance()``.
The agreement and stability blocks are advisory: they never change an official result. Every block renders as HTML in Vietnamese or
English. ``results_csv()`` gives the results table as bytes that are identical for identical inputs.
"""

from __future__ import annotations

import csv
import hashlib
import html
import io
import json
import platform
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from fractions import Fraction
from functools import cached_property
from pathlib import Path
from typing import Any

from ocop_scoring.errors import OcopError, Problem, ScoresInputError, verbatim
from ocop_scoring.explain import format_points, render_html
from ocop_scoring.model import CouncilRules, Rejection, RuleSet, SessionState, Sheet
from ocop_scoring.texts import load_texts

esc = html.escape


class Block:
    """A piece of the report that displays itself as HTML (in a notebook, or written to a page)."""

    def __init__(self, body: str) -> None:
        self.html = body

    def _repr_html_(self) -> str:
        return self.html

    def __str__(self) -> str:
        return self.html


@dataclass
class ReportSource:
    """What a report is computed from, and what was found while reading it."""

    kind: str  # "session" or "csv"
    path: Path
    sha256: str
    ruleset: RuleSet
    sheets: Mapping[str, Sheet]
    rules: CouncilRules
    rejections: list[Rejection]
    cards: Any  # CardSet
    state: SessionState | None = None
    doc: Mapping[str, Any] | None = None
    problems: list[str] = field(default_factory=list)  # integrity problems (shown loudly)
    notes: list[str] = field(default_factory=list)  # facts worth knowing (e.g. a pinned sheet differs from today's)
    official: Mapping[str, str] = field(default_factory=dict)  # today's official sheet hashes


def load_source(
    source: str | Path,
    *,
    ruleset: str | None = None,
    rejections: str | Path | None = None,
    criteria_dir: str | Path | None = None,
    rules: CouncilRules | None = None,
) -> ReportSource:
    """Read a session file or a scores CSV for a report.

    A session file whose audit chain, pinned hashes or tables do not agree is still read (its cards
    are what the report recomputes from), and every disagreement is listed in ``problems``.

    Raises:
        OcopError: For a file that cannot be read at all.
    """
    from ocop_scoring.criteria_io import load_library
    from ocop_scoring.scores_io import read_rejections_csv, read_scores_csv
    from ocop_scoring.scoring import build_card_set

    path = Path(source)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ScoresInputError(
            str(path), [Problem(str(path), None, "file", "a readable file", verbatim(exc.strerror or str(exc)))]
        ) from None
    digest = hashlib.sha256(data).hexdigest()
    library = load_library(criteria_dir)
    official = {sid: s.sha256 for sid, s in library.sheets.items()}
    extra = read_rejections_csv(rejections) if rejections else []
    if data.lstrip()[:1] == b"{":
        from ocop_scoring.store.session_file import check, pinned_from_document, state_from_document

        try:
            doc = json.loads(data.decode("utf-8"))
            problems = check(doc)
            state = state_from_document(doc)
            pinned_ruleset, sheets = pinned_from_document(doc)
        except (UnicodeDecodeError, json.JSONDecodeError, KeyError, TypeError, ValueError) as exc:
            raise ScoresInputError(
                str(path),
                [
                    Problem(
                        str(path),
                        None,
                        "contents",
                        "a session file written by `ocop session export`",
                        verbatim(repr(exc)),
                    )
                ],
            ) from None
        if ruleset not in (None, pinned_ruleset.ruleset_id):
            msg = f"{path}: the session was scored under rule set {pinned_ruleset.ruleset_id}, not {ruleset}"
            raise OcopError(msg)
        cards = build_card_set(
            [c.as_scorecard(p.sheet_id) for p in state.products for c in state.submitted_cards(p.product_id)], sheets
        )
        rejected = [Rejection(p.product_id, p.knockout) for p in state.products if p.knockout] + extra
        notes = [
            f"{sid}: pinned {sha[:12]}…, today's official {official[sid][:12]}…"
            for sid, sha in sorted(dict(state.sheet_hashes).items())
            if sid in official and official[sid] != sha
        ]
        return ReportSource(
            "session",
            path,
            digest,
            pinned_ruleset,
            sheets,
            rules or state.session.rules,
            rejected,
            cards,
            state,
            doc,
            problems,
            notes,
            official,
        )
    cards = read_scores_csv(path, library.sheets)
    the_ruleset = library.ruleset(ruleset or "qd26-2026")
    return ReportSource(
        "csv", path, digest, the_ruleset, library.sheets, rules or CouncilRules(), extra, cards, official=official
    )


class SessionReport:
    """Everything the published report shows, computed once from its source."""

    def __init__(self, src: ReportSource, lang: str = "vi", parameters: Mapping[str, Any] | None = None) -> None:
        from ocop_scoring.scoring import score_council

        self.src = src
        self.lang = lang if lang in ("vi", "en") else "vi"
        self.texts = load_texts()
        self.parameters = dict(parameters or {})
        self.result = score_council(src.cards, src.sheets, src.ruleset, src.rules, src.rejections)
        self.result.state = src.state  # a session's recorded decisions: "đã công nhận (Quyết định số …)"
        self._products = {p.product_id: p for p in src.state.products} if src.state else {}

    def t(self, key: str) -> str:
        """A report text in the report's language."""
        return self.texts.t(key, self.lang)

    # --- data -------------------------------------------------------------------------------------

    def rows(self) -> list[dict[str, Any]]:
        """One row per product (sorted by product id), with names where the source has them."""
        out = []
        for row in self.result.table():
            p = self._products.get(row["product_id"])
            sheet = self.src.sheets[row["sheet_id"]]
            c = sheet.classification
            out.append(
                {
                    "product_id": row["product_id"],
                    "name": p.name if p else "",
                    "producer": p.producer if p else "",
                    "product_code": p.product_code if p else "",
                    "sector": c.sector_vi if c else "",
                    "group": c.group_vi if c else "",
                    **{k: v for k, v in row.items() if k != "product_id"},
                }
            )
        return out

    def results_csv(self) -> bytes:
        """The results table as CSV bytes: identical for identical inputs (no date, fixed order)."""
        rows = self.rows()
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=list(rows[0]) if rows else ["product_id"], lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
        return buffer.getvalue().encode("utf-8")

    def save_results(self, path: str | Path) -> Path:
        """Write ``results_csv()`` to a file (the report notebook calls this when asked)."""
        target = Path(path)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(self.results_csv())
        return target

    def results_frame(self) -> Any:
        """The results as a pandas DataFrame (for analysis in a notebook)."""
        import pandas as pd

        return pd.DataFrame(self.rows())

    # --- blocks -----------------------------------------------------------------------------------

    def header(self) -> Block:
        """Title, session, council, rule set."""
        t = self.t
        rs = self.src.ruleset
        parts = [STYLE, '<section class="ocop-report-header">']
        if self.src.state is not None:
            s = self.src.state.session
            parts.append(f"<h1>{esc(s.name)}</h1>")
            facts = [
                (t("rep_round"), s.round_label or "—"),
                (t("rep_date"), s.held_on or "—"),
                (t("rep_level"), t("level_" + s.level)),
                (t("rep_status"), t("rep_status_" + s.status)),
                (
                    t("rep_quorum"),
                    f"{s.quorum.numerator}/{s.quorum.denominator} × {len(self.src.state.scoring_members)} = {self.src.state.quorum_needed()}",
                ),
            ]
        else:
            parts.append(f"<h1>{esc(t('rep_title_csv'))}</h1>")
            facts = [(t("rep_source"), self.src.path.name)]
        facts += [
            (t("rep_ruleset"), f"{rs.decision_vi} ({rs.ruleset_id})"),
            (t("rep_products"), str(len(self.result))),
            (t("rep_rules"), self._rules_text()),
        ]
        parts.append(
            '<table class="ocop-facts">'
            + "".join(f"<tr><th>{esc(k)}</th><td>{esc(v)}</td></tr>" for k, v in facts)
            + "</table>"
        )
        if self.src.state is not None:
            members = self.src.state.members
            parts.append(f"<h3>{esc(t('rep_council'))}</h3><ol class='ocop-members'>")
            parts.extend(
                f"<li>{esc(m.name)} — {esc(t('rep_role_' + m.role))}{(', ' + esc(m.organisation)) if m.organisation else ''}</li>"
                for m in members
            )
            parts.append("</ol>")
        parts.append("</section>")
        return Block("".join(parts))

    def _rules_text(self) -> str:
        r = self.result.rules
        op = ">" if r.spread_strict else "≥"
        return self.t("rep_rules_text").format(
            minimum=self.t("minimum_rule_" + r.minimum_rule), op=op, threshold=r.spread_threshold
        )

    def integrity(self) -> Block:
        """The hash checks: a green line when everything agrees, a loud red box listing what does not."""
        t = self.t
        src = self.src
        lines = [f"{t('rep_source_file')}: {src.path.name} — SHA-256 {src.sha256}"]
        if src.doc is not None:
            s = src.doc["session"]
            lines.append(f"{t('rep_chain')}: {len(src.doc['audit'])} — {t('rep_head')} {s['head_hash']}")
            lines.append(f"{t('rep_ruleset_hash')}: {src.doc['ruleset']['sha256']}")
        if src.problems:
            items = "".join(f"<li>{esc(p)}</li>" for p in src.problems)
            return Block(
                f'<section class="ocop-integrity ocop-integrity-bad" data-ok="false"><h2>⚠ {esc(t("rep_integrity_bad"))}</h2>'
                f"<p>{esc(t('rep_integrity_bad_help'))}</p><ul>{items}</ul>"
                + "".join(f"<p class='ocop-mono'>{esc(x)}</p>" for x in lines)
                + "</section>"
            )
        notes = "".join(f"<li>{esc(n)}</li>" for n in src.notes)
        extra = f"<p>{esc(t('rep_pinned_differs'))}</p><ul>{notes}</ul>" if notes else ""
        return Block(
            f'<section class="ocop-integrity ocop-integrity-ok" data-ok="true"><h2>✔ {esc(t("rep_integrity_ok" if src.doc is not None else "rep_integrity_csv"))}</h2>'
            + "".join(f"<p class='ocop-mono'>{esc(x)}</p>" for x in lines)
            + extra
            + "</section>"
        )

    def results_by_sheet(self) -> Block:
        """The results, grouped by product group (ngành / nhóm) and sheet."""
        t = self.t
        rows = self.rows()
        by_sheet: dict[str, list[dict[str, Any]]] = {}
        for row in rows:
            by_sheet.setdefault(row["sheet_id"], []).append(row)
        out = [f"<section class='ocop-results-report'><h2>{esc(t('rep_results'))}</h2>"]
        heads = [
            "product_id",
            "name",
            "members",
            "mean_total",
            "mean_A",
            "mean_B",
            "mean_C",
            "spread",
            "band_stars",
            "stars",
            "unmet_minimums",
            "rank",
            "overall_rank",
            "recognition",
        ]
        current_group = None
        for sheet_id in sorted(
            by_sheet,
            key=lambda sid: (
                self.src.sheets[sid].classification.path if self.src.sheets[sid].classification else "",
                sid,
            ),
        ):
            sheet = self.src.sheets[sheet_id]
            c = sheet.classification
            group = f"{c.sector_code}. {c.sector_vi} — {c.group_code}. {c.group_vi}" if c else ""
            if group != current_group:
                out.append(f"<h3>{esc(group)}</h3>")
                current_group = group
            title = sheet.title_en if self.lang == "en" and sheet.title_en else sheet.title_vi
            out.append(f"<h4>{esc(sheet_id)} — {esc(title)}</h4><table class='ocop-report-table'><thead><tr>")
            out.extend(f"<th>{esc(t('rep_col_' + h))}</th>" for h in heads)
            out.append("</tr></thead><tbody>")
            for row in sorted(
                by_sheet[sheet_id],
                key=lambda r: (r["rank"] == "", r["rank"] if r["rank"] != "" else 0, r["product_id"]),
            ):
                result = self.result.product(row["product_id"])
                cells = {
                    "product_id": row["product_id"],
                    "name": row["name"],
                    "members": str(row["members"]),
                    "mean_total": row["mean_total"],
                    "mean_A": row["mean_A"],
                    "mean_B": row["mean_B"],
                    "mean_C": row["mean_C"],
                    "spread": f"{row['spread']}{' ⚠' if row['needs_discussion'] else ''}",
                    "band_stars": f"{row['band_stars']}★",
                    "stars": t("rep_rejected") if row["rejected"] else f"{row['stars']}★",
                    "unmet_minimums": ", ".join(
                        f"{u.criterion} ({u.for_stars}★ ≥ {u.required})" for u in result.unmet_minimums
                    )
                    or "—",
                    "rank": str(row["rank"]) if row["rank"] != "" else "—",
                    "overall_rank": str(row["overall_rank"]) if row["overall_rank"] != "" else "—",
                    "recognition": self._recognition(result),
                }
                out.append(
                    f"<tr data-product='{esc(row['product_id'])}' data-mean='{esc(row['mean_total'])}' data-stars='{row['stars']}'>"
                )
                out.extend(f"<td>{esc(cells[h])}</td>" for h in heads)
                out.append("</tr>")
            out.append("</tbody></table>")
        out.append("</section>")
        return Block("".join(out))

    def _recognition(self, r: Any) -> str:
        """What the council proposes for a product (its ``outcome``): a council proposes, it never recognises."""
        standing = r.standing
        if standing.decided:
            return standing.words(self.t("rep_standing_" + standing.status))
        threshold = self.result.level.forwards_from_total
        return self.t("rep_outcome_" + r.outcome).format(
            stars=r.stars, threshold="" if threshold is None else format_points(threshold, self.lang)
        )

    def charts(self) -> Block:
        """Stars per product group, part means per product, and each product's member totals."""
        from ocop_scoring.report_charts import member_spread_svg, part_means_svg, stars_by_group_svg

        t = self.t
        rows = self.rows()
        figures = [
            (t("rep_chart_stars"), stars_by_group_svg(rows, self.lang)),
            (t("rep_chart_parts"), part_means_svg(rows, self.src.ruleset, self.lang)),
            (t("rep_chart_spread"), member_spread_svg(self.result, self.lang)),
        ]
        body = "".join(
            f"<figure class='ocop-chart'><figcaption>{esc(title)}</figcaption>{svg}</figure>" for title, svg in figures
        )
        return Block(f"<section class='ocop-charts'><h2>{esc(t('rep_charts'))}</h2>{body}</section>")

    def explanations(self, product_ids: Sequence[str] | None = None) -> Block:
        """Each product's whole calculation: the same explanation objects the apps use."""
        t = self.t
        out = [f"<section class='ocop-explanations'><h2>{esc(t('rep_explanations'))}</h2>"]
        for pid in product_ids or self.result.product_ids:
            p = self._products.get(pid)
            name = f" — {esc(p.name)}" if p else ""
            producer = (
                f"<p class='ocop-producer'>{esc(p.producer)}{(' · ' + esc(p.product_code)) if p and p.product_code else ''}</p>"
                if p
                else ""
            )
            out.append(f"<article class='ocop-product' id='product-{esc(pid)}'><h3>{esc(pid)}{name}</h3>{producer}")
            out.append(render_html(self.result.explain(pid), self.lang, self.texts))
            out.append(self._stability_line(pid))
            out.append("</article>")
        out.append("</section>")
        return Block("".join(out))

    # --- advisory analyses: agreement, stability, the programme ------------------------------------

    @cached_property
    def stabilities(self) -> dict[str, Any]:
        """Each product's star stability (``ocop_scoring.stability``), computed once."""
        from ocop_scoring.stability import stability

        return stability(self.result)

    @cached_property
    def agreements(self) -> list[Any]:
        """Agreement for the session, then each sheet (``ocop_scoring.agreement``), computed once."""
        from ocop_scoring.agreement import agreement

        return agreement(self.result)

    def _stat(self, x: float | None) -> str:
        return "—" if x is None else format_points(Fraction(x).limit_denominator(10**6), self.lang, 2)

    def _signed(self, x: float) -> str:
        if abs(x) < 0.05:
            return "0"
        text = format_points(Fraction(abs(x)).limit_denominator(1000), self.lang, 1)
        return ("+" if x > 0 else "−") + text

    def _scope_label(self, scope: str) -> str:
        if scope == "session":
            return self.t("agr_scope_session")
        sheet = self.src.sheets.get(scope)
        number = sheet.number if sheet is not None and sheet.number is not None else scope
        title = ""
        if sheet is not None:
            title = (sheet.title_en if self.lang == "en" and sheet.title_en else sheet.title_vi) or ""
        label = self.t("agr_scope_sheet").format(number=number)
        return f"{label}: {title}" if title else label

    def agreement(self) -> Block:
        """Agreement among members (advisory): α and the ICCs for the session and each sheet, and
        each member's scores against the council's, in plain words."""
        from ocop_scoring.agreement import describe

        t = self.t
        agreements = self.agreements
        session = agreements[0]
        threshold = self.result.rules.spread_threshold
        out = [
            f"<section class='ocop-agreement-report ocop-agreement' data-alpha='{'' if session.alpha is None else f'{session.alpha:.6f}'}'>",
            f"<h2>{esc(t('agr_title'))}</h2>",
            f"<p class='ocop-advisory'><i>{esc(t('agr_advisory'))}</i></p>",
        ]
        out.extend(f"<p class='ocop-agr-session'>{esc(line)}</p>" for line in describe(session, self.lang))
        heads = ["agr_col_scope", "agr_col_products", "agr_col_members"]
        out.append(f"<h4>{esc(t('agr_sheets'))}</h4><table class='ocop-report-table ocop-agr-table'><thead><tr>")
        out.extend(f"<th>{esc(t(h))}</th>" for h in heads)
        out.append("<th>α</th><th>ICC(2,k)</th><th>ICC(3,k)</th></tr></thead><tbody>")
        for a in agreements:
            alpha = self._stat(a.alpha) if a.products >= 2 else t("agr_one_product")
            out.append(
                f"<tr data-scope='{esc(a.scope)}'><td>{esc(self._scope_label(a.scope))}</td><td>{a.products}</td>"
                f"<td>{a.members}</td><td>{esc(alpha)}</td><td>{esc(self._stat(a.icc2k))}</td>"
                f"<td>{esc(self._stat(a.icc3k))}</td></tr>"
            )
        out.append("</tbody></table>")
        half = format_points(Fraction(threshold, 2), self.lang, 1)
        out.append(f"<h4>{esc(t('agr_leniency'))}</h4><table class='ocop-report-table ocop-leniency'><thead><tr>")
        out.append(
            f"<th>{esc(t('agr_col_member'))}</th><th>{esc(t('agr_col_products'))}</th>"
            f"<th>{esc(t('agr_col_mean_dev'))}</th><th>{esc(t('agr_col_outside').format(half=half))}</th>"
            f"<th>{esc(t('agr_col_note'))}</th></tr></thead><tbody>"
        )
        for m in session.leniency:
            out.append(
                f"<tr data-member='{esc(m.member_id)}' data-mean-deviation='{m.mean_deviation:.4f}' "
                f"data-outside='{m.outside_band}'><td>{esc(m.member_id)}</td><td>{m.products}</td>"
                f"<td>{esc(self._signed(m.mean_deviation))}</td><td>{m.outside_band}</td>"
                f"<td>{esc(m.sentence(self.lang, threshold))}</td></tr>"
            )
        out.append("</tbody></table></section>")
        return Block("".join(out))

    def _stability_line(self, pid: str) -> str:
        s = self.stabilities.get(pid)
        if s is None:
            return ""
        return (
            f"<p class='ocop-stability' data-product='{esc(pid)}' data-stable='{'true' if s.stable else 'false'}'>"
            f"<b>{esc(self.t('stab_title'))}:</b> {esc(s.sentence(self.lang))}</p>"
        )

    def stability(self) -> Block:
        """One line per product: is its star stable, or what would change it (advisory)."""
        from ocop_scoring.stability import summary

        t = self.t
        stabilities = self.stabilities
        counts = summary(list(stabilities.values()))
        out = [
            "<section class='ocop-stability-report'>",
            f"<h2>{esc(t('stab_report_title'))}</h2>",
            f"<p>{esc(t('stab_report_help'))}</p>",
            f"<p class='ocop-stab-summary' data-stable='{counts['stable']}' data-fragile='{counts['fragile']}' "
            f"data-rejected='{counts['rejected']}'>{esc(t('stab_summary').format(**counts))}</p>",
            f"<p class='ocop-advisory'><i>{esc(t('stab_official'))}</i></p><ul class='ocop-stability-list'>",
        ]
        for pid in self.result.product_ids:
            s = stabilities[pid]
            p = self._products.get(pid)
            name = f" — {esc(p.name)}" if p else ""
            out.append(
                f"<li class='ocop-stability' data-product='{esc(pid)}' data-stable='{'true' if s.stable else 'false'}'>"
                f"<b>{esc(pid)}</b>{name}: {esc(s.sentence(self.lang))}</li>"
            )
        out.append("</ul></section>")
        return Block("".join(out))

    def programme(self) -> Block:
        """This session's products in the OCOP programme: counts by star, group, province, commune
        (and year), against the targets of the products' province where a targets file exists."""
        from ocop_scoring import programme as prog
        from ocop_scoring.programme_charts import by_place_svg, cumulative_svg, stars_by_group_svg

        t = self.t
        lang = self.lang
        if self.src.state is not None:
            data = prog.from_session(self.src.state, self.result, self.src.sheets)
        else:
            data = prog.Programme(tuple(prog.products_of_result(self.result, self.src.sheets)))
        totals = data.totals()
        out = [
            f"<section class='ocop-programme-report ocop-programme' data-recognised='{totals.recognised}' "
            f"data-provisional='{totals.provisional_total}'>",
            f"<h2>{esc(t('prog_report_title'))}</h2>",
        ]
        out.extend(f"<p class='ocop-prog-summary'>{esc(line)}</p>" for line in prog.summary_lines(data, lang))
        out.append(f"<p class='ocop-prog-scope'>{esc(t('prog_report_scope'))}</p>")
        if totals.provisional_total:
            out.append(f"<p><i>{esc(t('prog_legend_table'))}</i></p>")
        years = data.years()
        as_of = years[-1] if years else None
        provinces = data.provinces()
        with_targets = [(name, prog.targets_for(name)) for name in provinces]
        with_targets = [(name, tg) for name, tg in with_targets if tg is not None]
        for name, targets in with_targets:
            local = data.select(name)
            out.append(f"<h3>{esc(t('prog_targets_title').format(province=name))}</h3>")
            if as_of is not None:
                out.append(prog.progress_html(local.progress(targets, as_of), targets, lang))
            out.append(prog.cumulative_table_html(local.cumulative(targets.targets[0].year, as_of), targets, lang))
            out.append(
                f"<figure class='ocop-chart'><figcaption>{esc(t('prog_chart_cumulative'))}</figcaption>"
                f"{cumulative_svg(local, targets, lang, as_of=as_of)}</figure>"
            )
        missing = [name for name in provinces if name not in {n for n, _ in with_targets}]
        if missing:
            out.append(
                f"<p class='ocop-prog-no-targets'>{esc(t('prog_no_targets_any').format(provinces=', '.join(missing)))}</p>"
            )
        tables = [("stars", "prog_by_stars"), ("group", "prog_by_group"), ("sheet", "prog_by_sheet")]
        if provinces:
            tables += [("province", "prog_by_province"), ("commune", "prog_by_commune")]
        if len(years) > 1:
            tables.append(("year", "prog_by_year"))
        for dimension, title in tables:
            out.append(f"<h4>{esc(t(title))}</h4>")
            if dimension == "stars":
                all_products = replace(totals, key=t("prog_all"))
                out.append(prog.tally_table_html([all_products], "", lang, dimension="stars", footer=False))
            else:
                head = t(f"prog_dim_{dimension}")
                out.append(prog.tally_table_html(data.by(dimension), head, lang, dimension=dimension))
        figures = [(t("prog_chart_stars_group"), stars_by_group_svg(data, lang))]
        if provinces:
            figures.append((t("prog_chart_province"), by_place_svg(data, lang)))
        out.extend(
            f"<figure class='ocop-chart'><figcaption>{esc(title)}</figcaption>{svg}</figure>" for title, svg in figures
        )
        out.append("</section>")
        return Block("".join(out))

    def provenance(self) -> Block:
        """Package and library versions, input hashes, parameters, and the run's date."""
        t = self.t
        import numpy

        try:
            from importlib.metadata import version

            pkg = version("ocop-scoring")
        except Exception:  # noqa: BLE001 - a source checkout without metadata
            pkg = "unknown"
        src = self.src
        facts = [
            ("ocop-scoring", pkg),
            ("Python", platform.python_version()),
            ("numpy", numpy.__version__),
            (t("rep_source_file"), f"{src.path.name} (SHA-256 {src.sha256})"),
            (t("rep_ruleset_hash"), f"{src.ruleset.ruleset_id}: {src.ruleset.sha256}"),
            (t("rep_parameters"), json.dumps(self.parameters, ensure_ascii=False, sort_keys=True)),
            (t("rep_run_at"), datetime.now(UTC).isoformat(timespec="seconds")),
        ]
        if src.doc is not None:
            facts.insert(4, (t("rep_head"), src.doc["session"]["head_hash"]))
        used = sorted({b.sheet_id for b in src.cards.blocks})
        sheet_rows = "".join(
            f"<tr><td>{esc(sid)}</td><td class='ocop-mono'>{esc(src.sheets[sid].sha256)}</td></tr>" for sid in used
        )
        return Block(
            f"<section class='ocop-provenance'><h2>{esc(t('rep_provenance'))}</h2><table class='ocop-facts'>"
            + "".join(f"<tr><th>{esc(k)}</th><td class='ocop-mono'>{esc(v)}</td></tr>" for k, v in facts)
            + f"</table><h4>{esc(t('rep_sheet_hashes'))}</h4><table class='ocop-report-table'>{sheet_rows}</table></section>"
        )


def build_session_report(
    source: str | Path | None = None,
    *,
    ruleset: str | None = None,
    lang: str = "vi",
    rejections: str | Path | None = None,
    criteria_dir: str | Path | None = None,
    results_csv: str | Path | None = None,
) -> SessionReport:
    """The report notebook's factory: read, recompute, check (and write the results CSV when asked).

    Relative paths are resolved against the current directory (papermill runs the notebook in the
    notebooks folder; ``ocop report`` passes absolute paths).
    """
    if source is None:
        from ocop_scoring.demo import demo_dir

        source = demo_dir() / "session.json"
    params = {
        "source": str(source),
        "ruleset": ruleset,
        "lang": lang,
        "rejections": str(rejections) if rejections else None,
    }
    src = load_source(source, ruleset=ruleset, rejections=rejections, criteria_dir=criteria_dir)
    report = SessionReport(src, lang, {k: v for k, v in params.items() if v is not None})
    if results_csv:
        report.save_results(results_csv)
    return report


STYLE = """
<style>
.ocop-report-header h1 { font-size: 1.6em; margin-bottom: 0.2em; }
table.ocop-facts th { text-align: left; padding-right: 1em; vertical-align: top; }
table.ocop-report-table { border-collapse: collapse; margin: 0.4em 0 1em; font-size: 0.9em; }
table.ocop-report-table th, table.ocop-report-table td { border: 1px solid #999; padding: 2px 6px; }
table.ocop-report-table th { background: #eee; }
.ocop-integrity-bad { border: 4px solid #b00020; background: #fde7ea; padding: 0.5em 1em; color: #600; }
.ocop-integrity-ok { border-left: 6px solid #0a6b2d; padding: 0.2em 1em; }
.ocop-mono { font-family: monospace; font-size: 0.85em; word-break: break-all; }
table.ocop-points { border-collapse: collapse; font-size: 0.78em; }
table.ocop-points th, table.ocop-points td { border: 1px solid #bbb; padding: 1px 3px; text-align: right; }
ol.ocop-steps li.fail { color: #b00020; font-weight: 600; }
.ocop-product { page-break-inside: avoid; border-top: 1px solid #ccc; margin-top: 1em; }
.ocop-chart svg { max-width: 100%; height: auto; }
.ocop-advisory { color: #333; }
.ocop-stability[data-stable='false'] b:first-child { color: #7a4b00; }
table.ocop-prog-table { border-collapse: collapse; margin: 0.3em 0 0.8em; font-size: 0.9em; }
table.ocop-prog-table th, table.ocop-prog-table td { border: 1px solid #999; padding: 2px 6px; }
table.ocop-prog-table thead th, table.ocop-prog-table tfoot th, table.ocop-prog-table tfoot td { background: #eee; }
table.ocop-prog-table tbody th { text-align: left; font-weight: normal; }
.ocop-num { text-align: right; }
.ocop-prov-count { color: #555; font-size: 0.85em; }
.ocop-prog-status-met { color: #0a6b2d; } .ocop-prog-status-missed, .ocop-prog-status-behind { color: #b00020; }
.ocop-prog-source { font-size: 0.85em; color: #444; }
@media print { .ocop-product { page-break-inside: auto; } }
</style>
"""


# --- running the notebook ------------------------------------------------------------------------------

# Debian's Chromium, headless, offline: nothing fetched, nothing phoned home (the browser tests and
# the browser benchmark launch it with these flags too).
BROWSER_ARGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)
CHROMIUM_ARGS = (*BROWSER_ARGS, "--no-pdf-header-footer")  # printing the report with --print-to-pdf


def chromium_path() -> str:
    """Debian's Chromium (``$CHROMIUM`` to override); nbconvert's webpdf cannot use it."""
    import os
    import shutil

    found = os.environ.get("CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    if not found:
        msg = "PDF output needs Chromium: apt-get install chromium"
        raise OcopError(msg)
    return found


def html_to_pdf(html_path: Path, pdf_path: Path, timeout: float = 300) -> Path:
    """Print an HTML file to PDF with headless Chromium (A4, backgrounds, no header or footer)."""
    import subprocess
    import tempfile

    with tempfile.TemporaryDirectory() as profile:
        cmd = [
            chromium_path(),
            *CHROMIUM_ARGS,
            f"--user-data-dir={profile}",
            f"--print-to-pdf={pdf_path}",
            html_path.resolve().as_uri(),
        ]
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=False)
    if proc.returncode != 0 or not pdf_path.exists():
        msg = f"Chromium could not print {html_path.name} to PDF (exit {proc.returncode}): {proc.stderr.strip()[-500:]}"
        raise OcopError(msg)
    return pdf_path


def report_notebook() -> Path:
    """The report notebook (``notebooks/report.ipynb``)."""
    from ocop_scoring.serve import notebooks_dir

    return notebooks_dir() / "report.ipynb"


def run_report(
    source: str | Path,
    out_dir: str | Path,
    *,
    formats: Sequence[str] = ("html", "pdf"),
    ruleset: str | None = None,
    lang: str = "vi",
    rejections: str | Path | None = None,
) -> dict[str, Path]:
    """Run the report notebook with papermill, then write HTML without input cells and a PDF.

    Always writes ``results.csv`` and the executed ``report.ipynb``; ``formats`` chooses among
    html, pdf and ipynb what the caller wants listed.
    """
    import papermill
    from nbconvert import HTMLExporter

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    notebook = report_notebook()
    executed = out / "report.ipynb"
    results = out / "results.csv"
    parameters = {
        "source": str(Path(source).resolve()),
        "ruleset": ruleset,
        "lang": lang,
        "rejections": str(Path(rejections).resolve()) if rejections else None,
        "results_csv": str(results.resolve()),
    }
    try:
        papermill.execute_notebook(
            str(notebook),
            str(executed),
            parameters=parameters,
            cwd=str(notebook.parent),
            kernel_name="python3",
            progress_bar=False,
            log_output=False,
            report_mode=True,
        )
    except papermill.PapermillExecutionError as exc:
        msg = f"the report could not be computed: {exc.ename}: {exc.evalue}"
        raise OcopError(msg) from None
    written = {"ipynb": executed, "csv": results}
    if "html" in formats or "pdf" in formats:
        import nbformat

        exporter = HTMLExporter(
            template_name="basic", exclude_input=True, exclude_input_prompt=True, exclude_output_prompt=True
        )
        body, _ = exporter.from_notebook_node(nbformat.read(executed, as_version=4))
        title = "Báo cáo kết quả OCOP" if lang == "vi" else "OCOP results report"
        page = (
            f"<!DOCTYPE html><html lang='{lang}'><head><meta charset='utf-8'><title>{esc(title)}</title>"
            f"<style>{PAGE_CSS}</style></head><body>{body}</body></html>"
        )
        html_path = out / "report.html"
        html_path.write_text(page, encoding="utf-8")
        written["html"] = html_path
        if "pdf" in formats:
            written["pdf"] = html_to_pdf(html_path, out / "report.pdf")
    return written


PAGE_CSS = """
a.anchor-link { display: none; }
body { font-family: 'DejaVu Sans', 'Liberation Sans', Arial, sans-serif; font-size: 11pt; margin: 1.5em; color: #111; }
@page { size: A4; margin: 15mm 12mm; }
.jp-RenderedHTMLCommon, .output_html { overflow: visible; }
h1 { font-size: 18pt; } h2 { font-size: 14pt; border-bottom: 1px solid #999; } h3 { font-size: 12pt; }
"""
