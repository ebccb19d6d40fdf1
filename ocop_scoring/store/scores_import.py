"""Scorecards from files into a session: the long CSV of ``ocop score`` and filled XLSX scoring sheets.

Layer: store. Imports: errors, scores_io, xlsx_sheets, store.core.

Every file is read and checked against the session before anything is
written; the caller then saves all cards in one transaction.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from ocop_scoring.errors import Problem, ProblemsError, ScoresInputError, verbatim

Entry = tuple[str, str, Mapping[str, int], str | None]


def _files(paths: Iterable[Path]) -> list[Path]:
    out: list[Path] = []
    for path in paths:
        if path.is_dir():
            out.extend(
                sorted(
                    p for p in path.iterdir() if p.suffix.lower() in (".xlsx", ".csv") and not p.name.startswith("~$")
                )
            )
        else:
            out.append(path)
    return out


def collect_cards(store: Any, session_id: str, paths: Iterable[Path]) -> list[Entry]:
    """Read and check every file; return (product, member, choices, comment) for each card.

    Raises:
        ScoresInputError: Listing every problem of every file (file, line or cell, field).
    """
    state = store.state(session_id)
    sheets = store.sheets(session_id)
    problems: list[Problem] = []
    entries: list[Entry] = []
    seen: dict[tuple[str, str], str] = {}
    reported: set[tuple[str, str, str]] = set()
    files = _files(paths)
    if not files:
        raise ScoresInputError(
            ", ".join(map(str, paths)) or "(no file)",
            [Problem("(files)", None, "files", "CSV or XLSX score files", verbatim("none"))],
        )
    for path in files:
        try:
            got = _from_xlsx(path, sheets, session_id) if path.suffix.lower() == ".xlsx" else _from_csv(path, sheets)
        except ProblemsError as exc:
            problems.extend(exc.problems)
            continue
        for product_id, member_id, sheet_id, choices, comment in got:
            shown = str(path)
            where = f"product {product_id}, member {member_id}"
            if not state.has_product(product_id):
                if (shown, "product", product_id) not in reported:
                    reported.add((shown, "product", product_id))
                    problems.append(
                        Problem(shown, None, "product_id", f"a product of session {session_id}", product_id)
                    )
                continue
            if not state.has_member(member_id) or not state.member(member_id).scores:
                if (shown, "member", member_id) not in reported:
                    reported.add((shown, "member", member_id))
                    problems.append(
                        Problem(shown, None, "member_id", f"a scoring member of session {session_id}", member_id)
                    )
                continue
            product = state.product(product_id)
            if product.sheet_id != sheet_id:
                problems.append(
                    Problem(shown, None, "sheet_id", f"{product.sheet_id} (the sheet of {product_id})", sheet_id)
                )
                continue
            if product.knockout is not None:
                problems.append(
                    Problem(shown, None, where, "a product still scored", verbatim(f"knocked out: {product.knockout}"))
                )
                continue
            if state.recusal(product_id, member_id) is not None:
                problems.append(Problem(shown, None, where, "a member who scores this product", verbatim("recused")))
                continue
            card = state.card(product_id, member_id)
            if card is not None and card.is_submitted:
                problems.append(
                    Problem(
                        shown,
                        None,
                        where,
                        "a card not yet submitted (the secretary can reopen it)",
                        verbatim(f"submitted at {card.submitted_at}"),
                    )
                )
                continue
            if (product_id, member_id) in seen:
                problems.append(
                    Problem(
                        shown,
                        None,
                        where,
                        "one card per product and member",
                        verbatim(f"a second card (first in {seen[(product_id, member_id)]})"),
                    )
                )
                continue
            seen[(product_id, member_id)] = shown
            entries.append((product_id, member_id, choices, comment))
    if problems:
        raise ScoresInputError(", ".join(str(p) for p in files), problems)
    return entries


def _from_csv(path: Path, sheets: Mapping[str, Any]) -> list[tuple[str, str, str, dict[str, int], str | None]]:
    from ocop_scoring.scores_io import read_scores_csv

    cards = read_scores_csv(path, sheets)
    out = []
    for block in cards.blocks:
        codes = [leaf.code for leaf in sheets[block.sheet_id].leaves]
        for i in range(block.card_count):
            choices = {code: int(block.options[i, j]) for j, code in enumerate(codes) if block.options[i, j] >= 0}
            out.append(
                (
                    block.product_ids[int(block.card_product[i])],
                    cards.member_ids[int(block.card_member[i])],
                    block.sheet_id,
                    choices,
                    None,
                )
            )
    return out


def _from_xlsx(
    path: Path, sheets: Mapping[str, Any], session_id: str
) -> list[tuple[str, str, str, dict[str, int], str | None]]:
    from ocop_scoring.xlsx_sheets import read_scoring_sheet

    filled = read_scoring_sheet(path, sheets)
    meta = filled.meta
    if meta.session_id != session_id:
        raise ScoresInputError(
            str(path),
            [Problem(str(path), None, "session", f"a scoring sheet of session {session_id}", meta.session_id)],
        )
    return [(meta.product_id, meta.member_id, meta.sheet_id, dict(filled.choices), filled.comment)]
