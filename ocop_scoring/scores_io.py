"""Read and write the long scores CSV of ``ocop score``.

Layer: loader. Imports: errors, model, scoring (for the card arrays).

The CSV has the header ``product_id,sheet_id,member_id,criterion,option`` and
one row per member per scored criterion (the option is its 1-based number in
printed order). A national file (5.7 million rows) is read by pyarrow's
multi-threaded reader into dictionary-encoded columns and checked with
vectorised numpy; a file pyarrow cannot parse is read again by Python's csv
module, which locates the defect by line. Either way every problem is
reported with its line, and nothing is scored unless the whole file is clean.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ocop_scoring.errors import Problem, ProblemCollector, ScoresInputError, verbatim
from ocop_scoring.model import Rejection, Scorecard, Sheet
from ocop_scoring.scoring import NOT_TICKED, CardSet, SheetCards, check_options, first_case, plan_sheet

COLUMNS = ("product_id", "sheet_id", "member_id", "criterion", "option")
MAX_PROBLEMS = 200
_DIGITS = re.compile(r"^\s*\d{1,4}\s*$")


@dataclass
class _Column:
    codes: np.ndarray  # int32 index into values, one per row
    values: list[str]


class _Problems(ProblemCollector):
    """The problems of one scores file, raised as ``ScoresInputError``; repeats of one kind and value are summarised."""

    def __init__(self, path: str) -> None:
        super().__init__(path, ScoresInputError, MAX_PROBLEMS)

    def add_rows(self, lines: np.ndarray, key: str, expected: str, got: object) -> None:
        """One problem for the first line, with the count of other lines with the same defect."""
        first = int(lines.min())
        others = len(lines) - 1
        if others:
            expected = f"{expected} (the same on {others} more line{'s' if others > 1 else ''})"
        self.add(first, key, expected, got)


def read_scores_csv(path: Path | str, sheets: Mapping[str, Sheet], *, name: str | None = None) -> CardSet:
    """Read and check a scores CSV against the sheets.

    Raises:
        ScoresInputError: Listing every problem with its line: bad header,
            encoding or field count, empty field, unknown sheet or criterion,
            option not a number or out of range, duplicate row, product on
            two sheets, incomplete scorecard (naming product, member and the
            missing criteria).
    """
    path = Path(path)
    shown = name or str(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ScoresInputError(
            shown, [Problem(shown, None, "file", "a readable file", verbatim(exc.strerror or str(exc)))]
        ) from None
    return parse_scores_csv(data, sheets, name=shown)


def parse_scores_csv(data: bytes, sheets: Mapping[str, Sheet], *, name: str = "scores.csv") -> CardSet:
    """Check the bytes of a scores CSV and arrange its scorecards (see ``read_scores_csv``)."""
    columns, lines = _read_columns(data, name)
    return _build(columns, lines, sheets, name)


def _read_columns(data: bytes, name: str) -> tuple[dict[str, _Column], np.ndarray | None]:
    problems = _Problems(name)
    end = data.find(b"\n")
    first_line = (data if end < 0 else data[:end]).rstrip(b"\r")
    if first_line.startswith(b"\xef\xbb\xbf"):
        first_line = first_line[3:]
    try:
        header = next(csv.reader([first_line.decode("utf-8")]), [])
    except UnicodeDecodeError:
        header = None
    if header is None or [h.strip() for h in header] != list(COLUMNS):
        problems.add(
            1,
            "header",
            ",".join(COLUMNS),
            verbatim(repr(first_line.decode("utf-8", "replace")) if first_line else "an empty first line"),
        )
        problems.raise_if_any()
    try:
        return _read_columns_arrow(data), None
    except Exception:  # noqa: BLE001 - any pyarrow failure: the csv module locates it by line
        return _read_columns_python(data, name)


def _read_columns_arrow(data: bytes) -> dict[str, _Column]:
    import pyarrow as pa
    import pyarrow.csv as pacsv

    table = pacsv.read_csv(
        io.BytesIO(data),
        read_options=pacsv.ReadOptions(use_threads=True, block_size=8 << 20),
        parse_options=pacsv.ParseOptions(ignore_empty_lines=False, newlines_in_values=False),
        convert_options=pacsv.ConvertOptions(
            column_types={c: pa.dictionary(pa.int32(), pa.string()) for c in COLUMNS},
            strings_can_be_null=False,
            include_columns=list(COLUMNS),
        ),
    )
    table = table.unify_dictionaries()
    out: dict[str, _Column] = {}
    for col in COLUMNS:
        chunked = table.column(col)
        if chunked.num_chunks == 0:
            out[col] = _Column(np.zeros(0, dtype=np.int32), [])
            continue
        dictionary = chunked.chunk(0).dictionary.to_pylist()
        codes = np.concatenate([_indices(c.indices) for c in chunked.chunks]).astype(np.int32, copy=False)
        out[col] = _Column(codes, dictionary)
    return out


def _indices(indices: Any) -> np.ndarray:
    """A dictionary column's int32 indices as numpy, read from the Arrow buffer.

    ``Array.to_numpy`` would do the same but imports pandas on first use
    (about 0.5 s at every ``ocop score`` start, and 0.2 s more at exit).
    """
    if indices.null_count or str(indices.type) != "int32":
        return indices.to_numpy(zero_copy_only=False)
    buffer = indices.buffers()[1]
    return np.frombuffer(buffer, dtype=np.int32, count=len(indices), offset=indices.offset * 4)


def _read_columns_python(data: bytes, name: str) -> tuple[dict[str, _Column], np.ndarray]:
    problems = _Problems(name)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        problems.add(
            line, "encoding", "UTF-8 text (save the file as CSV UTF-8)", verbatim(f"byte 0x{data[exc.start]:02x}")
        )
        problems.raise_if_any()
        raise AssertionError from None  # unreachable
    reader = csv.reader(io.StringIO(text, newline=""))
    rows: list[list[str]] = []
    lines: list[int] = []
    try:
        next(reader)
        start = reader.line_num
        for row in reader:
            if len(row) != len(COLUMNS):
                problems.add(
                    start + 1,
                    "row",
                    f"{len(COLUMNS)} fields ({','.join(COLUMNS)})",
                    verbatim(f"{len(row)} field{'s' if len(row) != 1 else ''}"),
                )
            else:
                rows.append(row)
                lines.append(start + 1)
            start = reader.line_num
    except csv.Error as exc:
        problems.add(reader.line_num, "row", "well-formed CSV", verbatim(str(exc)))
    problems.raise_if_any()
    out: dict[str, _Column] = {}
    for i, col in enumerate(COLUMNS):
        values: dict[str, int] = {}
        codes = np.fromiter((values.setdefault(r[i], len(values)) for r in rows), dtype=np.int32, count=len(rows))
        out[col] = _Column(codes, list(values))
    return out, np.array(lines, dtype=np.int64)


def _sorted_codes(column: _Column) -> tuple[np.ndarray, list[str]]:
    """Recode a column so that codes follow the sorted order of the values."""
    order = sorted(range(len(column.values)), key=column.values.__getitem__)
    remap = np.empty(len(order), dtype=np.int32)
    remap[order] = np.arange(len(order), dtype=np.int32)
    return remap[column.codes] if len(order) else column.codes, [column.values[i] for i in order]


def _build(columns: dict[str, _Column], lines: np.ndarray | None, sheets: Mapping[str, Sheet], name: str) -> CardSet:
    problems = _Problems(name)
    rows = len(columns["product_id"].codes)

    def line_of(index: np.ndarray | int) -> np.ndarray:
        index = np.asarray(index)
        return lines[index] if lines is not None else index + 2

    if rows == 0:
        problems.add(2, "rows", "at least one score row", verbatim("none"))
        problems.raise_if_any()
    usable = np.ones(rows, dtype=bool)  # rows whose defects are reported already are left out below
    for col in COLUMNS:
        values = columns[col].values
        empty = [i for i, v in enumerate(values) if v.strip() == ""]
        if empty:
            bad = np.nonzero(np.isin(columns[col].codes, empty))[0]
            usable[bad] = False
            problems.add_rows(line_of(bad), col, "a value", verbatim("an empty field"))
    product_codes, product_ids = _sorted_codes(columns["product_id"])
    member_codes, member_ids = _sorted_codes(columns["member_id"])
    sheet_col = columns["sheet_id"]
    known_sheet = np.array([v.strip() in sheets for v in sheet_col.values], dtype=bool)
    for code, value in enumerate(sheet_col.values):
        if not known_sheet[code] and value.strip():
            bad = np.nonzero(sheet_col.codes == code)[0]
            problems.add_rows(line_of(bad), "sheet_id", "a known criteria sheet (see `ocop sheets list`)", value)
    usable &= known_sheet[sheet_col.codes] if len(known_sheet) else usable
    option_col = columns["option"]
    option_value = np.array([int(v) if _DIGITS.match(v) else -1 for v in option_col.values], dtype=np.int16)
    for code, value in enumerate(option_col.values):
        if option_value[code] < 0 and value.strip():
            bad = np.nonzero(option_col.codes == code)[0]
            problems.add_rows(
                line_of(bad),
                "option",
                "a whole number (the option's position on the sheet, from 1; 0 for không đạt)",
                value,
            )
    row_option = option_value[option_col.codes] if len(option_value) else np.zeros(rows, dtype=np.int16)
    # A product is scored on one sheet only.
    pairs = product_codes.astype(np.int64) * max(len(sheet_col.values), 1) + sheet_col.codes
    uniq_pairs, first_rows = np.unique(pairs, return_index=True)
    pair_products = uniq_pairs // max(len(sheet_col.values), 1)
    dup_products = np.nonzero(np.diff(pair_products) == 0)[0]
    for i in dup_products:
        a, b = first_rows[i], first_rows[i + 1]
        later = max(a, b)
        problems.add(
            int(line_of(later)),
            "sheet_id",
            f"the sheet used for product {product_ids[int(pair_products[i])]} on line {int(line_of(min(a, b)))}",
            sheet_col.values[int(sheet_col.codes[later])],
        )

    order = np.argsort(sheet_col.codes.astype(np.int16 if len(sheet_col.values) < 32000 else np.int32), kind="stable")
    bounds = np.searchsorted(sheet_col.codes[order], np.arange(len(sheet_col.values) + 1))
    blocks: list[SheetCards] = []
    sheet_order = sorted(range(len(sheet_col.values)), key=lambda c: sheet_col.values[c].strip())
    crit_col = columns["criterion"]
    for s_code in sheet_order:
        rows_s = order[bounds[s_code] : bounds[s_code + 1]]
        rows_s = rows_s[usable[rows_s]]
        if len(rows_s) == 0:
            continue
        sheet = sheets[sheet_col.values[s_code].strip()]
        plan = plan_sheet(sheet)
        leaf_of_crit = np.array([plan.index.get(v.strip(), -1) for v in crit_col.values], dtype=np.int32)
        leaf = leaf_of_crit[crit_col.codes[rows_s]]
        unknown = leaf < 0
        if unknown.any():
            for code in np.unique(crit_col.codes[rows_s][unknown]):
                bad = rows_s[crit_col.codes[rows_s] == code]
                value = crit_col.values[int(code)]
                node_hint = ""
                if value.strip() and sheet.has_leaf(value.strip()) is False:
                    try:
                        node = sheet.criterion(value.strip())
                        node_hint = f"; {value.strip()} is scored through " + ", ".join(
                            n.code for n in node.walk() if n.is_leaf
                        )
                    except Exception:  # noqa: BLE001 - only a hint for the message
                        node_hint = ""
                problems.add_rows(
                    line_of(bad), "criterion", f"a scored criterion of sheet {sheet.sheet_id}{node_hint}", value
                )
        opt = row_option[rows_s]
        safe_leaf = np.where(unknown, 0, leaf)
        width = plan.valid_table.shape[1]
        in_range = (opt >= 0) & (opt < width)
        valid = np.zeros(len(rows_s), dtype=bool)
        valid[in_range] = plan.valid_table[safe_leaf[in_range], opt[in_range]]
        bad_opt = ~valid & ~unknown & (opt >= 0)
        if bad_opt.any():
            # one message per (criterion, option) with its lines
            key = safe_leaf[bad_opt].astype(np.int64) * 100000 + opt[bad_opt]
            bad_rows = rows_s[bad_opt]
            for k in np.unique(key):
                here = bad_rows[key == k]
                lf, op = int(k // 100000), int(k % 100000)
                count = int(plan.option_count[lf])
                problems.add_rows(
                    line_of(here),
                    "option",
                    f"an option between 0 (không đạt) and {count} for criterion {plan.codes[lf]} of {sheet.sheet_id}",
                    op,
                )
        # cards: one per (product, member), ordered by product then member
        p_codes = product_codes[rows_s]
        m_codes = member_codes[rows_s]
        n_members = len(member_ids)
        card_key = p_codes.astype(np.int64) * n_members + m_codes
        uniq_keys, card = np.unique(card_key, return_inverse=True)
        n_cards = len(uniq_keys)
        leaves = len(plan.codes)
        ok_rows = ~unknown & valid
        flat = card.astype(np.int64) * leaves + safe_leaf
        counts = np.bincount(flat[~unknown], minlength=n_cards * leaves)
        if (counts > 1).any():
            dup_cells = np.nonzero(counts > 1)[0]
            cells = flat[~unknown]
            cell_rows = rows_s[~unknown]
            is_dup = np.isin(cells, dup_cells)
            seen: dict[int, int] = {}
            for cell, row in sorted(
                zip(cells[is_dup].tolist(), cell_rows[is_dup].tolist(), strict=True), key=lambda t: t[1]
            ):
                if cell in seen:
                    c, lf = divmod(cell, leaves)
                    pk = int(uniq_keys[c])
                    problems.add(
                        int(line_of(row)),
                        "row",
                        f"one row per product, member and criterion (first on line {int(line_of(seen[cell]))})",
                        verbatim(
                            f"a second row for product {product_ids[pk // n_members]}, member {member_ids[pk % n_members]}, criterion {plan.codes[lf]}"
                        ),
                    )
                else:
                    seen[cell] = row
        options = np.full((n_cards, leaves), NOT_TICKED, dtype=np.int16)
        options[card[ok_rows], leaf[ok_rows]] = opt[ok_rows]
        points, card_problems = check_options(plan, options)
        if card_problems:
            first_row = np.full(n_cards, np.iinfo(np.int64).max, dtype=np.int64)
            np.minimum.at(first_row, card, rows_s)
            has_row = np.zeros(n_cards * leaves, dtype=bool)
            has_row[flat[~unknown]] = True
            missing: dict[int, list[str]] = {}
            for c, lf, kind in card_problems:
                if kind == "missing" and not has_row[c * leaves + lf]:
                    missing.setdefault(c, []).append(plan.codes[lf])
            for c, lf, kind in card_problems:
                if kind == "case":
                    cell = c * leaves + lf
                    row = int(rows_s[~unknown][flat[~unknown] == cell].min())
                    pk = int(uniq_keys[c])
                    chosen = {plan.codes[j]: int(options[c, j]) for j in range(leaves) if options[c, j] >= 0}
                    found = first_case(plan, chosen)
                    case, by = found if found is not None else ("?", "?")
                    problems.add(
                        int(line_of(row)),
                        "option",
                        f"an option of case {case} for product {product_ids[pk // n_members]}, member "
                        f"{member_ids[pk % n_members]} (the case of criterion {by} on the same card; a product is "
                        "scored in one case)",
                        verbatim(f"option {int(options[c, lf])} of case {plan.case_of(lf, int(options[c, lf]))}"),
                    )
            for c, codes in sorted(missing.items(), key=lambda t: first_row[t[0]]):
                pk = int(uniq_keys[c])
                problems.add(
                    int(line_of(first_row[c])),
                    "scorecard",
                    f"a complete scorecard for product {product_ids[pk // n_members]}, member {member_ids[pk % n_members]}"
                    f" on {sheet.sheet_id}",
                    verbatim(f"no row for criteri{'a' if len(codes) > 1 else 'on'} {', '.join(codes)}"),
                )
        card_product_code = (uniq_keys // n_members).astype(np.int64)
        products_here, card_product = np.unique(card_product_code, return_inverse=True)
        blocks.append(
            SheetCards(
                sheet.sheet_id,
                tuple(product_ids[int(p)] for p in products_here),
                card_product.astype(np.int32),
                (uniq_keys % n_members).astype(np.int32),
                options.astype(np.int8),
                points,
            )
        )
    problems.raise_if_any()
    return CardSet(tuple(member_ids), tuple(blocks))


def read_rejections_csv(path: Path | str) -> list[Rejection]:
    """Read knock-outs: a CSV with the header ``product_id,reason``.

    Raises:
        ScoresInputError: For a bad header, encoding, empty field or duplicate product.
    """
    path = Path(path)
    problems = _Problems(str(path))
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except OSError as exc:
        problems.add(None, "file", "a readable file", verbatim(exc.strerror or str(exc)))
        problems.raise_if_any()
        raise AssertionError from None
    except UnicodeDecodeError as exc:
        problems.add(None, "encoding", "UTF-8 text", verbatim(f"byte at offset {exc.start}"))
        problems.raise_if_any()
        raise AssertionError from None
    reader = csv.reader(io.StringIO(text, newline=""))
    header = next(reader, [])
    if [h.strip() for h in header] != ["product_id", "reason"]:
        problems.add(1, "header", "product_id,reason", ",".join(header))
        problems.raise_if_any()
    out: list[Rejection] = []
    seen: dict[str, int] = {}
    line = reader.line_num
    for row in reader:
        here = line + 1
        line = reader.line_num
        if len(row) != 2 or not row[0].strip() or not row[1].strip():
            problems.add(here, "row", "a product id and a reason", ",".join(row))
            continue
        pid = row[0].strip()
        if pid in seen:
            problems.add(here, "product_id", f"each product once (first on line {seen[pid]})", pid)
            continue
        seen[pid] = here
        out.append(Rejection(pid, row[1].strip()))
    problems.raise_if_any()
    return out


def write_scores_csv(
    cards: Iterable[Scorecard], out: io.TextIOBase | Path | str, sheets: Mapping[str, Sheet] | None = None
) -> None:
    """Write scorecards in the long CSV layout, one row per ticked criterion in printed order."""
    close = False
    if isinstance(out, str | Path):
        handle: io.TextIOBase = open(out, "w", encoding="utf-8", newline="")  # noqa: SIM115
        close = True
    else:
        handle = out
    try:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(COLUMNS)
        for card in sorted(cards, key=lambda c: (c.product_id, c.member_id)):
            choices = dict(card.choices)
            order = (
                [leaf.code for leaf in sheets[card.sheet_id].leaves]
                if sheets and card.sheet_id in sheets
                else sorted(choices)
            )
            for code in order:
                if choices.get(code) is not None:
                    writer.writerow((card.product_id, card.sheet_id, card.member_id, code, choices[code]))
    finally:
        if close:
            handle.close()
