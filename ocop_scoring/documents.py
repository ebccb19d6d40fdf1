"""The council's documents, in Vietnamese, laid out like the official forms: XLSX and PDF.

Layer: report. Imports: report (sources and results), scoring, xlsx_fast, texts.

- ``phieu/<product>.xlsx`` (one worksheet per member) and ``phieu/<product>.pdf``: each member's
  filled criteria sheet, "Bộ tiêu chí … (Kiêm phiếu đánh giá sản phẩm OCOP)", with the ticks (a
  criterion the member found "không đạt", option 0, shows a ticked row "Không đạt (0 điểm)" after
  its options), the totals, "Ý kiến của người đánh giá" and the signature block;
- ``bang-tong-hop``: the summary table (member totals, mean, parts, spread, band, star, unmet
  minimums, rank, the council's proposal);
- ``bien-ban``: the minutes of the council meeting (composition, attendance and quorum, products,
  results, products discussed after a spread flag and the rounds that followed, knock-out notes
  that members' ticks triggered and what the council decided, and the council's proposals);
- ``de-nghi-5-sao``: the products proposed to the Ministry for 5★.

The wording follows Decision 26/2026, Điều 7.3: a provincial council evaluates and *proposes*
("đề xuất công nhận N★"); the Chủ tịch UBND tỉnh recognises. A product of 90 points or more is
"đạt từ 90 điểm: đề nghị Bộ đánh giá 5★" and is not counted among the products proposed for
recognition. The proposal of each product comes from ``ProductResult.outcome``.

Each document is built once as rows (``xlsx_fast.Worksheet``) and written both as XLSX and, through
an HTML rendering of the same rows, as PDF (printed by headless Chromium). The XLSX files depend
only on the session (no timestamps): the same session gives the same bytes.
"""

from __future__ import annotations

import asyncio
import html
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from ocop_scoring.explain import format_mean, format_points
from ocop_scoring.model import NOT_MET, Card, Product, Sheet
from ocop_scoring.report import ReportSource, SessionReport
from ocop_scoring.scoring import ProductResult, score_card
from ocop_scoring.texts import load_texts
from ocop_scoring.xlsx_fast import Cell, Worksheet, cell, text_height, write_workbook

esc = html.escape
SHEET_WIDTHS = (8.0, 70.0, 8.0, 8.0)
STAR_TEXT = {3: "***", 4: "****", 5: "*****"}


@dataclass(frozen=True)
class Documents:
    """What ``write_documents`` wrote."""

    xlsx: tuple[Path, ...]
    pdf: tuple[Path, ...]


def _t(key: str) -> str:
    return load_texts().t(key, "vi")


def outcome_text(report: SessionReport, r: ProductResult, *, decisions: bool = True) -> str:
    """What the council proposes for a product, in Vietnamese ("đề xuất công nhận 4★", …); with ``decisions``,
    what became of it once a decision is recorded ("đã công nhận 4★ (Quyết định số …)"). The minutes record
    the meeting, so they keep the proposal (``decisions=False``)."""
    standing = r.standing
    if decisions and standing.decided:
        return standing.words(_t("rep_standing_" + standing.status))
    level = report.result.level
    threshold = level.forwards_from_total
    return _t("rep_outcome_" + r.outcome).format(
        stars=r.stars,
        threshold="" if threshold is None else format_points(threshold, "vi"),
    )


# --- the filled criteria sheet -------------------------------------------------------------------------


def filled_sheet(
    sheet: Sheet, product: Product, member_name: str, member_org: str, card: Card, session_name: str, round_label: str
) -> Worksheet:
    """One member's filled criteria sheet for one product, as the official form lays it out."""
    choices = dict(card.choices)
    scored = score_card(sheet, choices)
    counted = dict(scored.points)
    ws = Worksheet(title=member_name or card.member_id, widths=SHEET_WIDTHS, landscape=False)
    title = (sheet.heading_vi or sheet.title_vi).upper()
    ws.add([cell(f"BỘ TIÊU CHÍ {title}", "title")], text_height(title, 80, line_pt=18), merge_to=4)
    ws.add([cell("(Kiêm phiếu đánh giá sản phẩm OCOP)", "subtitle")], merge_to=4)
    if sheet.classification_line_vi:
        ws.add([cell(sheet.classification_line_vi, "center")], merge_to=4)
    ws.blank()
    facts = [
        (
            _t("doc_product"),
            f"{product.name}" + (f" — {_t('doc_code')} {product.product_code}" if product.product_code else ""),
        ),
        (_t("doc_producer"), ", ".join(x for x in (product.producer, product.commune, product.province) if x)),
        (
            _t("doc_session"),
            f"{session_name}"
            + (f" ({round_label})" if round_label else "")
            + (f" — {_t('doc_round')} {card.round}" if card.round > 1 else ""),
        ),
        (_t("doc_member"), member_name + (f", {member_org}" if member_org else "")),
    ]
    for label, value in facts:
        ws.add([cell(f"{label}: {value}", "wrap")], text_height(f"{label}: {value}", 90), merge_to=4)
    ws.blank()
    header = ws.add(
        [cell("Mã", "header"), cell("Tiêu chí / Phương án", "header"), cell("Điểm", "header"), cell("Chọn", "header")]
    )
    ws.print_title_rows = (header, header)
    ws.freeze_row = header
    for part in sheet.parts:
        ws.add([cell(part.label_vi, "part"), None, cell(part.max_points, "part"), cell(None, "part")], merge_to=2)
        for group in part.groups:
            for node in group.walk():
                style = "group" if node.kind == "group" else "criterion"
                ws.add(
                    [
                        cell(node.code, style),
                        cell(node.text_vi, style),
                        cell(node.max_points, style),
                        cell(None, style),
                    ],
                    text_height(node.text_vi, SHEET_WIDTHS[1]),
                )
                notes: list[tuple[str, str]] = []
                if node.condition is not None:
                    notes.append(("note", f"({node.condition.note_vi})"))
                notes.extend(("note", n) for n in node.notes_vi)
                notes.extend(("warning", n) for n in node.knockout_vi)
                for style_, text in notes:
                    ws.add([None, cell(text, style_)], text_height(text, SHEET_WIDTHS[1], line_pt=12))
                if not node.is_leaf:
                    continue
                last_case = None
                cases = {c.code: c.text_vi for c in node.cases}
                for option in node.options:
                    if option.case and option.case != last_case:
                        ws.add([None, cell(cases.get(option.case, option.case), "bold")])
                        last_case = option.case
                    ticked = choices.get(node.code) == option.number
                    marker = f" {STAR_TEXT[option.star]}" if option.star else ""
                    text = f"{option.number}. {option.text_vi}{marker}"
                    style_ = "chosen" if ticked else "text"
                    ws.add(
                        [
                            cell(None, style_),
                            cell(text, style_),
                            cell(option.points, "number"),
                            cell("x" if ticked else None, "mark"),
                        ],
                        text_height(text, SHEET_WIDTHS[1]),
                    )
                if choices.get(node.code) == NOT_MET:  # "không đạt": none of the printed options, 0 points
                    text = _t("doc_not_met")
                    text = text[:1].upper() + text[1:]
                    ws.add([cell(None, "chosen"), cell(text, "chosen"), cell(0, "number"), cell("x", "mark")])
                if node.code in scored.not_counted or (node.code in scored.not_applicable and node.code not in choices):
                    ws.add([None, cell(_t("doc_not_counted").format(points=counted.get(node.code, 0)), "note")])
    ws.blank()
    for code, value in scored.part_totals:
        ws.add([None, cell(f"{_t('doc_part_total')} {code}", "bold"), cell(value, "total")])
    ws.add([None, cell(_t("doc_total"), "bold"), cell(scored.total, "total")])
    ws.blank()
    ws.add([cell("Ý kiến của người đánh giá:", "bold")], merge_to=4)
    comment = card.comment or ""
    ws.add([cell(comment, "wrap")], text_height(comment or " ", 90, minimum=45), merge_to=4)
    ws.blank()
    ws.add([None, None, cell("…………, ngày …… tháng …… năm ……", "center")])
    ws.merges.append(f"C{len(ws.rows)}:D{len(ws.rows)}")
    ws.add([None, None, cell("Người đánh giá", "bold")])
    ws.add([None, None, cell("(Ký và ghi rõ họ tên)", "note")])
    ws.add([])
    ws.add([])
    ws.add([None, None, cell(member_name, "bold")])
    return ws


# --- summary, minutes, 5-star list ---------------------------------------------------------------------


def summary_table(report: SessionReport) -> Worksheet:
    """Bảng tổng hợp: each product's member totals and the council's results."""
    src = report.src
    members = (
        list(src.state.scoring_members)
        if src.state
        else [type("M", (), {"member_id": m, "name": m})() for m in report.result.member_ids]
    )
    heads = ["STT", "Mã SP", "Tên sản phẩm", "Bộ tiêu chí"] + [m.member_id for m in members]
    heads += [
        "Số TV",
        "Điểm TB",
        "TB A",
        "TB B",
        "TB C",
        "Chênh lệch",
        "Sao theo điểm",
        "Hạng sao",
        "Chưa đạt tối thiểu",
        "Hạng trong bộ",
        "Hạng chung",
        "Đề xuất của Hội đồng",
    ]
    widths = [4, 7, 24, 12] + [6.5] * len(members) + [5, 7, 6, 6, 6, 8, 7, 7, 16, 7, 7, 20]
    ws = Worksheet(title="Bảng tổng hợp", widths=widths, landscape=True)
    name = src.state.session.name if src.state else _t("rep_title_csv")
    ws.add([cell("BẢNG TỔNG HỢP KẾT QUẢ ĐÁNH GIÁ, PHÂN HẠNG SẢN PHẨM OCOP", "title")], merge_to=len(heads))
    ws.add([cell(name, "subtitle")], merge_to=len(heads))
    ws.blank()
    header = ws.add([cell(h, "header") for h in heads], 30)
    ws.print_title_rows = (header, header)
    ws.freeze_row = header
    products = report._products
    for i, r in enumerate(report.result, start=1):
        totals = dict(r.member_totals)
        p = products.get(r.product_id)
        row: list[Cell | None] = [
            cell(i, "number"),
            cell(r.product_id, "text"),
            cell(p.name if p else "", "text"),
            cell(r.sheet_id, "text"),
        ]
        for m in members:
            recused = src.state.recusal(r.product_id, m.member_id) if src.state else None
            row.append(cell(totals.get(m.member_id, "—" if recused else ""), "number"))
        parts = dict(r.part_means)
        row += [
            cell(r.members, "number"),
            cell(r.mean_text, "total"),
            *(cell(format_mean(parts[k], "en"), "number") for k in ("A", "B", "C")),
            cell(f"{r.spread}{' (!)' if r.needs_discussion else ''}", "number"),
            cell(r.band_stars, "number"),
            cell("Bị loại" if r.rejected else r.stars, "total"),
            cell(", ".join(f"{u.criterion} ({u.for_stars}★≥{u.required})" for u in r.unmet_minimums), "text"),
            cell(r.rank if r.rank is not None else "—", "number"),
            cell(r.overall_rank if r.overall_rank is not None else "—", "number"),
            cell(outcome_text(report, r), "text"),
        ]
        ws.add(row, max(text_height(p.name if p else "", 28), text_height(outcome_text(report, r), 20)))
    ws.blank()
    rules = report._rules_text()
    ws.add(
        [
            cell(
                f"Ghi chú: {rules}; (!) = cần thảo luận; điểm trung bình làm tròn nửa lên 2 chữ số thập phân, hạng sao tính trên giá trị chính xác.",
                "note",
            )
        ],
        merge_to=len(heads),
    )
    return ws


def _paragraphs(ws: Worksheet, texts: Iterable[str], style: str = "wrap", width: int = 4) -> None:
    for text in texts:
        ws.add([cell(text, style)], text_height(text, 95), merge_to=width)


def minutes(report: SessionReport) -> Worksheet:
    """Biên bản họp hội đồng đánh giá, phân hạng sản phẩm OCOP."""
    src = report.src
    ws = Worksheet(title="Biên bản", widths=(6, 40, 30, 22))
    state = src.state
    ws.add([cell("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "bold")], merge_to=4)
    ws.add([cell("Độc lập - Tự do - Hạnh phúc", "subtitle")], merge_to=4)
    ws.blank()
    ws.add([cell("BIÊN BẢN HỌP HỘI ĐỒNG ĐÁNH GIÁ, PHÂN HẠNG SẢN PHẨM OCOP", "title")], 20, merge_to=4)
    if state is None:
        _paragraphs(ws, ["(Tính từ tệp điểm: không có thông tin về phiên họp.)"])
        return ws
    s = state.session
    _paragraphs(ws, [f"{s.name}" + (f" — {s.round_label}" if s.round_label else "")], "subtitle")
    ws.blank()
    _paragraphs(ws, [f"Thời gian: {s.held_on or '……'}. Địa điểm: ……………………………."], "wrap")
    ws.add([cell("I. THÀNH PHẦN HỘI ĐỒNG", "bold")], merge_to=4)
    present = {c.member_id for c in state.cards if c.is_submitted}
    ws.add(
        [
            cell("STT", "header"),
            cell("Họ và tên", "header"),
            cell("Đơn vị công tác", "header"),
            cell("Chức danh / tham dự", "header"),
        ]
    )
    roles = {"chair": "Chủ tịch Hội đồng", "member": "Thành viên", "secretary": "Thư ký"}
    for i, m in enumerate(state.members, start=1):
        attended = "có mặt" if (m.member_id in present or m.role == "secretary") else "vắng"
        ws.add(
            [
                cell(i, "number"),
                cell(m.name, "text"),
                cell(m.organisation, "text"),
                cell(f"{roles[m.role]} — {attended}", "text"),
            ],
            text_height(m.organisation, 30),
        )
    scoring = state.scoring_members
    attended = sum(1 for m in scoring if m.member_id in present)
    needed = state.quorum_needed()
    verdict = "đủ" if attended >= needed else "KHÔNG đủ"
    _paragraphs(
        ws,
        [
            f"Số thành viên chấm điểm: {len(scoring)}; có mặt và chấm điểm: {attended}; số tối thiểu theo quy chế "
            f"({s.quorum.numerator}/{s.quorum.denominator}): {needed} → {verdict} điều kiện tiến hành.",
            "Thành viên được coi là có mặt khi đã nộp ít nhất một phiếu đánh giá trong phiên.",
        ],
    )
    ws.add([cell("II. NỘI DUNG", "bold")], merge_to=4)
    result = report.result
    threshold = result.level.forwards_from_total
    at_least = f"đạt từ {format_points(threshold, 'vi')} điểm trở lên" if threshold is not None else ""
    counts: dict[tuple[int, int], int] = {}  # (outcome in _OUTCOME_ORDER, stars proposed) -> products
    for r in result:
        key = (_OUTCOME_ORDER.index(r.outcome), r.stars if r.outcome == "propose_recognition" else 0)
        counts[key] = counts.get(key, 0) + 1
    wording = {
        "propose_recognition": "đề xuất công nhận {stars}★",
        "forward_to_ministry": f"{at_least}, đề nghị Bộ Nông nghiệp và Môi trường đánh giá 5★",
        "forward_to_province": f"{at_least}, đề nghị Hội đồng cấp tỉnh đánh giá",
        "not_recognised": "không đủ điều kiện đề xuất công nhận",
        "rejected": "bị loại",
        "propose_5_star": "đề xuất Bộ trưởng công nhận 5★",
        "below_5_star": "chưa đạt 5★",
    }
    tally = "; ".join(
        f"{n} sản phẩm {wording[_OUTCOME_ORDER[order]].format(stars=stars)}"
        for (order, stars), n in sorted(counts.items())
    )
    proposed = sum(1 for r in result if r.outcome == "propose_recognition")
    forwarded = sum(1 for r in result if r.outcome == "forward_to_ministry")
    who = "Chủ tịch UBND cấp tỉnh" if result.level.code == "province" else "cấp có thẩm quyền"
    paragraphs = [
        f"Hội đồng đánh giá {len(state.products)} sản phẩm theo {report.src.ruleset.decision_vi}; mỗi thành viên chấm trên "
        "phiếu đánh giá của bộ tiêu chí tương ứng (tiêu chí mà sản phẩm không đạt phương án nào được ghi «không đạt "
        "(0 điểm)»); điểm của sản phẩm là trung bình cộng tổng điểm của các thành viên.",
        f"Quy tắc áp dụng: {report._rules_text()}.",
        f"Kết quả: {tally}.",
    ]
    if any(r.outcome in ("propose_recognition", "forward_to_ministry") for r in result):
        paragraphs.append(
            f"Hội đồng đề xuất {who} công nhận {proposed} sản phẩm (danh sách tại mục V)."
            + (
                f" {forwarded} sản phẩm {at_least} được đề nghị Bộ Nông nghiệp và Môi trường đánh giá 5★ và không "
                "tính vào số sản phẩm đề xuất công nhận ở cấp tỉnh."
                if forwarded
                else ""
            )
        )
    _paragraphs(ws, paragraphs)
    discussed = _discussions(report)
    ws.add([cell("III. CÁC SẢN PHẨM PHẢI THẢO LUẬN (CHÊNH LỆCH ĐIỂM VƯỢT NGƯỠNG)", "bold")], merge_to=4)
    if discussed:
        _paragraphs(ws, discussed)
    else:
        _paragraphs(ws, ["Không có sản phẩm nào có chênh lệch điểm giữa các thành viên vượt ngưỡng."])
    ws.add([cell("IV. GHI CHÚ LOẠI DO PHIẾU ĐÁNH GIÁ KÍCH HOẠT", "bold")], merge_to=4)
    _paragraphs(ws, _knockout_flags(report) or ["Không có ghi chú loại nào được kích hoạt theo phiếu đánh giá."])
    ws.add([cell("V. KẾT QUẢ VÀ KIẾN NGHỊ", "bold")], merge_to=4)
    ws.add([cell("STT", "header"), cell("Sản phẩm", "header"), cell("Kết quả", "header"), cell("Kiến nghị", "header")])
    for i, r in enumerate(result, start=1):
        p = report._products.get(r.product_id)
        name = f"{r.product_id} — {p.name}" if p else r.product_id
        if r.rejected:
            outcome = "Bị loại"
        elif r.outcome in ("forward_to_ministry", "forward_to_province"):
            outcome = f"{r.mean_text} điểm"
        else:
            outcome = f"{r.mean_text} điểm, {r.stars} sao"
        proposal = outcome_text(report, r, decisions=False)  # the minutes: what the meeting proposed
        ws.add(
            [cell(i, "number"), cell(name, "text"), cell(outcome, "text"), cell(proposal, "text")],
            max(text_height(name, 40), text_height(proposal, 22)),
        )
    ws.blank()
    _paragraphs(ws, [f"Biên bản lập xong lúc …… giờ …… cùng ngày. Mã kiểm tra nhật ký phiên: {s.head_hash}."], "note")
    ws.blank()
    ws.add([None, cell("THƯ KÝ HỘI ĐỒNG", "bold"), cell("CHỦ TỊCH HỘI ĐỒNG", "bold")])
    ws.add([None, cell("(Ký và ghi rõ họ tên)", "note"), cell("(Ký và ghi rõ họ tên)", "note")])
    ws.add([])
    ws.add([])
    secretary = next((m.name for m in state.members if m.role == "secretary"), "")
    chair = next((m.name for m in state.members if m.role == "chair"), "")
    ws.add([None, cell(secretary, "bold"), cell(chair, "bold")])
    return ws


def _knockout_flags(report: SessionReport) -> list[str]:
    """Knock-out notes decided by ticks that members' cards trigger: the criterion, the members, the decision.

    A triggered note only flags the product: rejecting it is the council's decision (recorded with
    ``ocop session knockout``, or the reason it was kept).
    """
    state = report.src.state
    out = []
    for r in report.result:
        if not r.knockout_triggered:
            continue
        sheet = report.src.sheets[r.sheet_id]
        p = report._products.get(r.product_id)
        for flag in r.knockout_triggered:
            node = sheet.criterion(flag.criterion)
            rule = next(x for x in node.knockout_rules if x.note == flag.note and x.decided_by == "ticks")
            members = ", ".join(
                f"{m} ({state.member(m).name})" if state is not None and state.has_member(m) else m
                for m in flag.members
            )
            kept = getattr(p, "knockout_kept", None) if p is not None else None
            if r.rejected:
                decided = f"loại sản phẩm (lý do: {r.rejection_reason or '……'})."
            elif kept:
                decided = f"không loại sản phẩm (lý do: {kept})."
            else:
                decided = "……………………………………………………"
            points = "0 điểm" if rule.max_points == 0 else f"không quá {rule.max_points} điểm"
            note = node.knockout_vi[flag.note].strip()
            end = "" if note.endswith((".", "!", "?", "…")) else "."
            out.append(
                f"{r.product_id}, tiêu chí {flag.criterion}: «{note}»{end} Ghi chú loại "
                f"này được kích hoạt vì phiếu của {members} cho {points} ở tiêu chí {', '.join(rule.criteria)}. "
                f"Việc loại sản phẩm do Hội đồng quyết định. Quyết định của Hội đồng: {decided}"
            )
    return out


def _discussions(report: SessionReport) -> list[str]:
    """Products flagged by the spread rule, and the rounds opened for them (from the audit log)."""
    out = []
    rounds: dict[str, list[str]] = {}
    if report.src.doc is not None:
        for e in report.src.doc["audit"]:
            if e["action"] == "open_round":
                rounds.setdefault(e["target"]["product"], []).append(
                    f"vòng {e['after']['round']} mở lúc {e['at'][:16].replace('T', ' ')}: {e['reason']}"
                )
    for r in report.result:
        if r.needs_discussion or r.product_id in rounds:
            text = f"{r.product_id}: chênh lệch {r.spread} điểm (ngưỡng {report.result.rules.spread_threshold})"
            if r.product_id in rounds:
                text += "; " + "; ".join(rounds[r.product_id]) + f"; kết quả vòng cuối: {r.mean_text} điểm"
            else:
                text += "; hội đồng thảo luận, không chấm lại"
            out.append(text + ".")
    return out


def five_star_list(report: SessionReport) -> Worksheet:
    """Danh sách sản phẩm đề nghị Bộ Nông nghiệp và Môi trường đánh giá, công nhận 5 sao."""
    ws = Worksheet(title="Đề nghị 5 sao", widths=(5, 12, 30, 30, 22, 18, 8, 8, 24), landscape=True)
    heads = ["STT", "Mã SP", "Tên sản phẩm", "Chủ thể", "Địa chỉ", "Mã OCOP", "Điểm TB", "Hạng sao", "Ghi chú"]
    ws.add(
        [cell("DANH SÁCH SẢN PHẨM ĐỀ NGHỊ ĐÁNH GIÁ, CÔNG NHẬN SẢN PHẨM OCOP 5 SAO", "title")], 20, merge_to=len(heads)
    )
    if report.src.state:
        ws.add([cell(report.src.state.session.name, "subtitle")], merge_to=len(heads))
    ws.blank()
    header = ws.add([cell(h, "header") for h in heads])
    ws.print_title_rows = (header, header)
    forwarded = [r for r in report.result if r.outcome == "forward_to_ministry"]
    for i, r in enumerate(forwarded, start=1):
        p = report._products.get(r.product_id)
        note = (
            ""
            if r.stars >= 5
            else f"Chưa đạt tối thiểu 5 sao: {', '.join(u.criterion for u in r.unmet_minimums if u.for_stars == 5) or '—'}"
        )
        ws.add(
            [
                cell(i, "number"),
                cell(r.product_id, "text"),
                cell(p.name if p else "", "text"),
                cell(p.producer if p else "", "text"),
                cell(", ".join(x for x in ((p.commune, p.province) if p else ()) if x), "text"),
                cell(p.product_code if p else "", "text"),
                cell(r.mean_text, "total"),
                cell(r.stars, "number"),
                cell(note, "text"),
            ],
            text_height((p.name if p else "") + (p.producer if p else ""), 28),
        )
    if not forwarded:
        ws.add([cell("Không có sản phẩm đạt từ 90 điểm.", "note")], merge_to=len(heads))
    ws.blank()
    ws.add(
        [
            cell(
                f"Căn cứ: {report.src.ruleset.decision_vi}; sản phẩm đạt từ 90 điểm được đề nghị cấp trung ương đánh giá.",
                "note",
            )
        ],
        merge_to=len(heads),
    )
    return ws


_OUTCOME_ORDER = (  # the order of the minutes' tally
    "propose_5_star",
    "propose_recognition",
    "forward_to_ministry",
    "forward_to_province",
    "below_5_star",
    "not_recognised",
    "rejected",
)


# --- HTML and PDF ---------------------------------------------------------------------------------------

_HTML_CLASS = {
    "title": "t",
    "subtitle": "st",
    "bold": "b",
    "part": "part",
    "group": "grp",
    "criterion": "crit",
    "text": "tx",
    "number": "num",
    "mark": "mark",
    "header": "hd",
    "wrap": "wr",
    "note": "note",
    "warning": "warn",
    "total": "tot",
    "chosen": "chosen",
    "center": "ctr",
    "default": "",
}

DOC_CSS = """
@page { size: A4; margin: 12mm 10mm; }
body { font-family: 'Times New Roman', 'Liberation Serif', 'DejaVu Serif', serif; font-size: 11pt; color: #000; }
.doc { page-break-after: always; }
.doc:last-child { page-break-after: auto; }
.doc.landscape { page: wide; }
@page wide { size: A4 landscape; }
table.sheet { border-collapse: collapse; width: 100%; table-layout: fixed; }
table.sheet td { padding: 2px 4px; vertical-align: middle; }
td.part, td.grp, td.crit, td.tx, td.num, td.mark, td.hd, td.tot, td.chosen { border: 1px solid #808080; }
td.t { font-weight: bold; font-size: 13pt; text-align: center; }
td.st { font-style: italic; text-align: center; }
td.b, td.crit, td.tot, td.hd, td.mark { font-weight: bold; }
td.part { background: #d9d9d9; font-weight: bold; }
td.grp { background: #ededed; font-weight: bold; }
td.hd { background: #d9e1f2; text-align: center; }
td.num, td.mark, td.tot { text-align: center; }
td.mark { background: #fff2cc; }
td.chosen { background: #e2efda; }
td.note { font-style: italic; font-size: 9pt; color: #595959; }
td.warn { color: #c00000; font-weight: bold; }
td.ctr { text-align: center; }
thead { display: table-header-group; }
"""


def worksheet_html(ws: Worksheet) -> str:
    """The same rows as an HTML table (merged cells as colspans; the header row repeats on each page)."""
    spans: dict[tuple[int, int], int] = {}
    covered: set[tuple[int, int]] = set()
    for m in ws.merges:
        a, b = m.split(":")
        row = int("".join(ch for ch in a if ch.isdigit()))
        c1 = ord(a[0]) - 64
        c2 = ord(b[0]) - 64
        spans[(row, c1)] = c2 - c1 + 1
        covered.update((row, c) for c in range(c1 + 1, c2 + 1))
    total_width = sum(ws.widths)
    cols = "".join(f"<col style='width:{w / total_width * 100:.2f}%'>" for w in ws.widths)
    head_row = ws.print_title_rows[0] if ws.print_title_rows else None
    intro: list[str] = []  # rows above the repeated header (titles): a table of their own
    head: list[str] = []
    body: list[str] = []
    for r, (cells, _height) in enumerate(ws.rows, start=1):
        tds = []
        for c in range(1, len(ws.widths) + 1):
            if (r, c) in covered:
                continue
            item = cells[c - 1] if c - 1 < len(cells) else None
            span = spans.get((r, c), 1)
            attr = f" colspan='{span}'" if span > 1 else ""
            if item is None:
                tds.append(f"<td{attr}></td>")
                continue
            text = "" if item.value is None else esc(str(item.value)).replace("\n", "<br>")
            tds.append(f"<td class='{_HTML_CLASS[item.style]}'{attr}>{text}</td>")
        row_html = "<tr>" + "".join(tds) + "</tr>"
        if head_row is None or r > head_row:
            body.append(row_html)
        elif r == head_row:
            head.append(row_html)
        else:
            intro.append(row_html)
    colgroup = f"<colgroup>{cols}</colgroup>"
    first = f"<table class='sheet'>{colgroup}<tbody>{''.join(intro)}</tbody></table>" if intro else ""
    thead = f"<thead>{''.join(head)}</thead>" if head else ""
    landscape = " landscape" if ws.landscape else ""
    main = f"<table class='sheet'>{colgroup}{thead}<tbody>{''.join(body)}</tbody></table>"
    return f"<section class='doc{landscape}'>{first}{main}</section>"


def html_page(sections: Sequence[str], title: str) -> str:
    """A printable page of document sections."""
    return f"<!DOCTYPE html><html lang='vi'><head><meta charset='utf-8'><title>{esc(title)}</title><style>{DOC_CSS}</style></head><body>{''.join(sections)}</body></html>"


class PdfPrinter:
    """Prints HTML pages to PDF with one headless Chromium (Playwright driving Debian's binary)."""

    def __enter__(self) -> PdfPrinter:
        from playwright.sync_api import sync_playwright

        from ocop_scoring.report import BROWSER_ARGS, chromium_path

        self._pw = sync_playwright().start()
        self._browser = self._pw.chromium.launch(executable_path=chromium_path(), args=list(BROWSER_ARGS))
        self._page = self._browser.new_page()
        return self

    def print(self, page_html: str, target: Path) -> Path:
        """Render ``page_html`` and write it to ``target`` as PDF."""
        self._page.set_content(page_html, wait_until="load")
        self._page.pdf(path=str(target), format="A4", print_background=True, prefer_css_page_size=True)
        return target

    def __exit__(self, *exc: object) -> None:
        self._browser.close()
        self._pw.stop()


# --- everything -----------------------------------------------------------------------------------------


def product_sheets(report: SessionReport, product: Product) -> list[Worksheet]:
    """The filled sheets of one product: one per member who submitted a card (current round)."""
    state = report.src.state
    if state is None:
        return []
    sheet = report.src.sheets[product.sheet_id]
    s = state.session
    out = []
    for card in sorted(
        state.submitted_cards(product.product_id), key=lambda c: [m.member_id for m in state.members].index(c.member_id)
    ):
        m = state.member(card.member_id)
        out.append(filled_sheet(sheet, product, m.name, m.organisation, card, s.name, s.round_label))
    return out


def write_documents(
    report: SessionReport, out_dir: str | Path, *, formats: Sequence[str] = ("xlsx", "pdf")
) -> Documents:
    """Write every document of a session into ``out_dir`` (XLSX and/or PDF)."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    xlsx: list[Path] = []
    pdf: list[Path] = []
    singles = [
        ("bang-tong-hop", summary_table(report)),
        ("bien-ban", minutes(report)),
        ("de-nghi-5-sao", five_star_list(report)),
    ]
    products = list(report.src.state.products) if report.src.state else []

    def filled() -> Iterator[tuple[Product, list[Worksheet]]]:
        """Each product's filled sheets, built once for both formats; its workbook written first."""
        for product in products:
            sheets = product_sheets(report, product)
            if sheets:
                if "xlsx" in formats:
                    xlsx.append(write_workbook(out / "phieu" / f"{product.product_id}.xlsx", sheets))
                yield product, sheets

    if "xlsx" in formats:
        for name, ws in singles:
            xlsx.append(write_workbook(out / f"{name}.xlsx", [ws]))
    if "pdf" in formats:
        (out / "phieu").mkdir(exist_ok=True)

        def pages() -> Iterator[tuple[str, Path]]:  # one page's HTML at a time, not the whole session's
            for name, ws in singles:
                yield html_page([worksheet_html(ws)], name), out / f"{name}.pdf"
            for product, sheets in filled():
                page = html_page([worksheet_html(ws) for ws in sheets], product.product_id)
                yield page, out / "phieu" / f"{product.product_id}.pdf"

        pdf.extend(print_pdfs(pages()))
    else:
        for _ in filled():
            pass
    return Documents(tuple(xlsx), tuple(pdf))


def print_pdfs(pages: Iterable[tuple[str, Path]]) -> list[Path]:
    """Print ``(html, target)`` pages to PDF with one browser.

    Playwright's sync API refuses to start inside a running asyncio loop, which is exactly where
    a Jupyter/Voilà kernel (or another Playwright session) calls us from; the printing then runs
    in a thread of its own.
    """

    def work() -> list[Path]:
        with PdfPrinter() as printer:
            return [printer.print(page_html, target) for page_html, target in pages]

    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return work()
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="ocop-pdf") as pool:
        return pool.submit(work).result()


def documents_for(source: ReportSource, out_dir: str | Path, *, formats: Sequence[str] = ("xlsx", "pdf")) -> Documents:
    """Documents straight from a report source (session file or CSV)."""
    return write_documents(SessionReport(source, "vi"), out_dir, formats=formats)
