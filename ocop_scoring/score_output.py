"""What ``ocop score`` prints (JSON, CSV, the text table), written columnwise from the pass's arrays.

Layer: output. Imports: scoring, explain, texts. Writes only to the stream it is given.

The contract is the plain form of each output: ``json.dump(result.as_json(), f,
ensure_ascii=False, indent=1)`` plus a newline; ``csv.DictWriter`` over
``result.table()`` (``lineterminator="\\n"``); the aligned table of
``_slow_table``. Those build one ``ProductResult`` and one dict per product and
make millions of small writes: at national scale (20,000 products) they cost
several times the parse and the calculation together. The writers here print
the same bytes from the arrays of ``CouncilResult.blocks``:

* every per-product value is formatted for all products at once (means rounded
  half-up to 2 decimals by integer arithmetic, exactly as ``round_half_up``);
* each product's text is one ``%`` of a template holding the constant parts;
* text is written in large chunks.

Rare content (unmet minimums, ties, knock-out flags, rejection reasons) is
written columnwise too: ``[]`` or ``null`` for most products, the few others
formatted from the pass's arrays. A product can still be left to the plain
path, ``ProductResult.as_json``: its test goes in ``RARE_PRODUCTS``.

Adding a field to ``ProductResult.as_json``: add it, in its place, to
``PRODUCT_FIELDS`` (its JSON text for every product at once; ``json_values``
is the generic form, ``_const`` a value shared by all). Until then the writer
notices the different keys and writes every product by the plain path (the
same bytes, slower), and ``tests/test_score_output.py`` fails on the field list.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Sequence
from fractions import Fraction
from functools import cached_property
from itertools import groupby
from operator import itemgetter
from typing import Any, TextIO

import numpy as np

from ocop_scoring.explain import round_half_up
from ocop_scoring.recognition import has_decisions
from ocop_scoring.scoring import OUTCOMES, CouncilResult

_encode = json.encoder.encode_basestring  # what json.dump uses for str with ensure_ascii=False
_BATCH = 4096  # products per write
_HUNDREDTHS: list[str] = []  # "0.00", "0.01", … : a mean's text by its value in hundredths


# --- numbers as text, all products at once ----------------------------------------------------------


def mean_texts(sums: np.ndarray, n: np.ndarray) -> list[str]:
    """``str(round_half_up(Fraction(s, n)))`` for each pair: 2 decimals, rounded half-up, exactly.

    In integers: ``q = floor(100 s / n + 1/2) = (200 s + n) // (2 n)`` hundredths,
    printed ``q // 100`` "." ``q % 100`` on two digits (``Decimal.quantize`` keeps
    trailing zeros: ``70.00``, ``0.50``).
    """
    sums = np.asarray(sums, dtype=np.int64)
    n = np.asarray(n, dtype=np.int64)
    if len(sums) == 0:
        return []
    if int(sums.min()) < 0 or int(sums.max()) > 2**50:  # never on the official sheets
        return [str(round_half_up(Fraction(s, m))) for s, m in zip(sums.tolist(), n.tolist(), strict=True)]
    q = (200 * sums + n) // (2 * n)
    top = int(q.max())
    if top >= 1_000_000:
        return [f"{v // 100}.{v % 100:02d}" for v in q.tolist()]
    if top >= len(_HUNDREDTHS):
        _HUNDREDTHS.extend(f"{v // 100}.{v % 100:02d}" for v in range(len(_HUNDREDTHS), top + 1))
    table = _HUNDREDTHS
    return [table[v] for v in q.tolist()]


def _ints(values: np.ndarray) -> list[str]:
    return list(map(str, values.tolist()))


def _nullable_ints(values: np.ndarray, null: str) -> list[str]:
    """Ranks: ``null`` where the pass wrote -1 (not ranked)."""
    return [null if v < 0 else str(v) for v in values.tolist()]


def _choose(mask: np.ndarray, yes: str, no: str) -> list[str]:
    pair = (no, yes)
    return [pair[v] for v in mask.tolist()]


# --- the pass's arrays, in product_id order --------------------------------------------------------


class _Products:
    """The per-product arrays of every block, concatenated (the pass's global order) and put in ``product_id`` order.

    The pass numbers products block by block (``block.offset + p``); ``CouncilResult``
    iterates them sorted by id. ``order[i]`` is the global number of the i-th
    product printed; every column below is indexed by print position.
    """

    def __init__(self, result: CouncilResult) -> None:
        self.result = result
        self.blocks = result.blocks
        ids = [pid for block in self.blocks for pid in block.cards.product_ids]
        order = sorted(range(len(ids)), key=ids.__getitem__)
        self.count = len(ids)
        self.order = np.array(order, dtype=np.intp)
        self.ids = [ids[g] for g in order]
        self.block_of = np.repeat(np.arange(len(self.blocks)), [len(b.n) for b in self.blocks])[self.order]

    def array(self, name: str) -> np.ndarray:
        """A per-product array of every block (``_Block`` attribute ``name``), in print order."""
        if not self.blocks:
            return np.zeros(0, dtype=np.int64)
        return np.concatenate([getattr(b, name) for b in self.blocks])[self.order]

    def by_block(self, texts: Callable[[Any], list[str]]) -> list[str]:
        """Texts computed block by block (``texts(block)``: one per product of the block), in print order."""
        out: list[str] = []
        for block in self.blocks:
            out.extend(texts(block))
        return [out[g] for g in self.order.tolist()]

    def per_block(self, values: Sequence[str]) -> list[str]:
        """One value per block, repeated for each of its products, in print order."""
        return [values[b] for b in self.block_of.tolist()]

    @cached_property
    def n(self) -> np.ndarray:
        return self.array("n")

    @cached_property
    def rejected(self) -> np.ndarray:
        return self.array("rejected")

    @cached_property
    def stars(self) -> np.ndarray:
        return self.array("stars")

    @cached_property
    def certified(self) -> np.ndarray:
        """Whether the council proposes the product for recognition (``certified_by`` is set)."""
        codes = np.array([OUTCOMES.index("propose_recognition"), OUTCOMES.index("propose_5_star")])
        return np.isin(self.array("outcome"), codes)

    @cached_property
    def forwarded(self) -> np.ndarray:
        return self.array("forwarded") & ~self.rejected

    def rank(self, which: str) -> np.ndarray:
        values = self.result._rank if which == "rank" else self.result._overall
        return np.asarray(values)[self.order]

    def mean(self, sums: np.ndarray) -> list[str]:
        return mean_texts(sums, self.n)

    @cached_property
    def uniform_parts(self) -> tuple[str, ...] | None:
        """The part codes when every sheet has the same, else None."""
        codes = {b.plan.part_codes for b in self.blocks}
        return codes.pop() if len(codes) == 1 else None

    def part_mean(self, code: str) -> list[str]:
        """The mean of part ``code`` of every product (every block has that part)."""
        sums = np.concatenate([b.part_sum[:, b.plan.part_codes.index(code)] for b in self.blocks])[self.order]
        return self.mean(sums)

    @cached_property
    def _unmet_words(self) -> dict[int, str]:
        """``5.1(4★≥2) 9(4★≥3)`` of each product with an unmet minimum, by global number."""
        words: dict[int, list[str]] = {}
        for block in self.blocks:
            if not block.plan.requirements:
                continue
            unmet = _unmet_mask(block)
            for r, (star, leaf, required) in enumerate(block.plan.requirements):
                word = f"{block.plan.codes[leaf]}({star}★≥{required})"
                for p in np.flatnonzero(unmet[:, r]).tolist():
                    words.setdefault(block.offset + p, []).append(word)
        return {g: " ".join(w) for g, w in words.items()}

    def unmet_texts(self, empty: str) -> list[str]:
        """``unmet_minimums`` as the table and CSV print it: ``5.1(4★≥2) 9(4★≥3)``, else ``empty``."""
        words = self._unmet_words
        if not words:
            return [empty] * self.count
        return [words.get(g, empty) for g in self.order.tolist()]

    @cached_property
    def tied(self) -> np.ndarray:
        """Whether the product shares its rank in its sheet (``tied_with`` not empty)."""
        mask = np.zeros(self.count, dtype=bool)
        mask[list(self.result._tie_groups)] = True
        return mask[self.order]


# --- JSON ----------------------------------------------------------------------------------------------


def _member_totals(block: Any, member_ids: Sequence[str]) -> list[str]:
    """``{"M1": 70, …}`` of each product of a block, members in card order, at the depth of a product's field."""
    prefix = ["    " + _encode(m).replace("%", "%%") + ": " for m in member_ids]
    members = block.cards.card_member
    k = int(block.n[0]) if len(block.n) else 0
    if k and len(members) == k * len(block.n):  # the usual block: every product scored by the same members
        grid = members.reshape(-1, k)
        if (grid == grid[0]).all():
            template = "{\n" + ",\n".join(prefix[m] + "%d" for m in grid[0].tolist()) + "\n   }"
            return [template % tuple(row) for row in block.totals.reshape(-1, k).tolist()]
    prefix = [text.replace("%%", "%") for text in prefix]
    cards = [prefix[m] + t for m, t in zip(members.tolist(), map(str, block.totals.tolist()), strict=True)]
    return [
        "{\n" + ",\n".join(cards[a : a + k]) + "\n   }"
        for a, k in zip(block.starts.tolist(), block.n.tolist(), strict=True)
    ]


def _part_means(block: Any) -> list[str]:
    """``{"A": "30.00", …}`` of each product of a block (its sheet's parts in order)."""
    codes = block.plan.part_codes
    if not codes:
        return ["{}"] * len(block.n)
    template = "{\n" + ",\n".join(f'    {_encode(c).replace("%", "%%")}: "%s"' for c in codes) + "\n   }"
    columns = [mean_texts(block.part_sum[:, i], block.n) for i in range(len(codes))]
    return [template % row for row in zip(*columns, strict=True)]


def _unmet_mask(block: Any) -> np.ndarray:
    """Products x requirements of a block: the requirement is unmet and its star is within the band."""
    star = np.array([s for s, _, _ in block.plan.requirements], dtype=np.int64)
    return ~block.req_ok & (star[None, :] <= block.band_stars[:, None])


def _unmet_minimums(block: Any) -> list[str]:
    """``unmet_minimums`` of each product of a block (``CouncilResult._unmet``): ``[]`` for most."""
    out = ["[]"] * len(block.n)
    if not block.plan.requirements:
        return out
    unmet = _unmet_mask(block)
    items: dict[int, list[str]] = {}
    starts, n = block.starts.tolist(), block.n.tolist()
    group = n[0] if all(k == n[0] for k in n) else 0
    for r, (star, leaf, required) in enumerate(block.plan.requirements):
        products = np.flatnonzero(unmet[:, r])
        if not len(products):
            continue
        means = mean_texts(block.req_sum[products, r], block.n[products])
        if block.req_min is not None:
            lowest = block.req_min[products, r]
        elif group:  # as _lowest: the lowest member's counted points (every product has ``group`` cards)
            lowest = block.counted[leaf].reshape(-1, group)[products].min(axis=1)
        else:
            lowest = np.array([block.counted[leaf, starts[p] : starts[p] + n[p]].min() for p in products.tolist()])
        head = (
            f'    {{\n     "criterion": {_encode(block.plan.codes[leaf])},\n     "for_stars": {star},\n'
            f'     "required": {required},\n     "mean_points": "'
        )
        for p, mean, low in zip(products.tolist(), means, lowest.tolist(), strict=True):
            items.setdefault(p, []).append(f'{head}{mean}",\n     "lowest_points": {low}\n    }}')
    for p, texts in items.items():
        out[p] = "[\n" + ",\n".join(texts) + "\n   ]"
    return out


def _knockouts_triggered(block: Any, member_ids: Sequence[str]) -> list[str]:
    """``knockout_triggered`` of each product of a block (``CouncilResult._knockouts``): ``[]`` for most."""
    out = ["[]"] * len(block.n)
    flags: dict[int, list[str]] = {}
    for r, hit in block.knockout_hits:
        cards = np.flatnonzero(hit)
        head = f'    {{\n     "criterion": {_encode(block.plan.knockouts[r][0])},\n     "members": [\n'
        products = block.cards.card_product[cards].tolist()
        members = block.cards.card_member[cards].tolist()
        for p, group in groupby(zip(products, members, strict=True), key=itemgetter(0)):
            names = ",\n".join("      " + _encode(member_ids[m]) for _, m in group)
            flags.setdefault(p, []).append(f"{head}{names}\n     ]\n    }}")
    for p, texts in flags.items():
        out[p] = "[\n" + ",\n".join(texts) + "\n   ]"
    return out


def _tied_with(ps: _Products) -> list[str]:
    """``tied_with``: the other products sharing the rank in the sheet, ``[]`` for most."""
    out = ["[]"] * ps.count
    for i in np.flatnonzero(ps.tied).tolist():
        ids = ps.result._ties(int(ps.order[i]))
        if ids:
            out[i] = "[\n" + ",\n".join("    " + _encode(pid) for pid in ids) + "\n   ]"
    return out


def json_values(values: Sequence[Any]) -> list[str]:
    """Any JSON-able values (one per product) as ``json.dump(…, indent=1)`` writes them as a product's field.

    The generic form, for a field with no faster one; repeated scalars (``None``,
    one string for many products) are encoded once.
    """
    memo: dict[tuple[type, Any], str] = {}
    out = []
    for value in values:
        scalar = value is None or isinstance(value, str | int | float)
        text = memo.get((type(value), value)) if scalar else None
        if text is None:
            text = json.dumps(value, ensure_ascii=False, indent=1).replace("\n", "\n   ")
            if scalar:
                memo[(type(value), value)] = text
        out.append(text)
    return out


def _const(text: str) -> Callable[[_Products], str]:
    """A field whose value is the same text for every product written by the fast path."""
    return lambda _: text


def _optional(mask: np.ndarray, value: str | None) -> str | list[str]:
    """``value`` (as a JSON string) where ``mask`` holds, else null."""
    return "null" if value is None else _choose(mask, _encode(value), "null")


def _rejection_reasons(ps: _Products) -> str | list[str]:
    reasons = ps.result._rejections
    if not reasons:
        return "null"
    return json_values([reasons.get(pid) for pid in ps.ids])


# Every key of ``ProductResult.as_json``, in its order, with how its values are written: a callable
# returning one JSON text per product (print order; at the depth of a product's field, i.e. nested
# lines indented by 4 spaces and closing by 3) or one text for every product. ``json_values`` is the
# generic form. A field whose content is rare may instead give the common text (``_const``) and list
# the products that differ in RARE_PRODUCTS: those are written by ``ProductResult.as_json``.
PRODUCT_FIELDS: tuple[tuple[str, Callable[[_Products], str | list[str]]], ...] = (
    ("product_id", lambda ps: [_encode(pid) for pid in ps.ids]),
    ("sheet_id", lambda ps: ps.per_block([_encode(b.plan.sheet.sheet_id) for b in ps.blocks])),
    ("members", lambda ps: _ints(ps.n)),
    ("member_totals", lambda ps: ps.by_block(lambda b: _member_totals(b, ps.result.member_ids))),
    ("mean_total", lambda ps: ['"' + t + '"' for t in ps.mean(ps.array("total_sum"))]),
    ("part_means", lambda ps: ps.by_block(_part_means)),
    ("band_stars", lambda ps: _ints(ps.array("band_stars"))),
    ("stars", lambda ps: _ints(ps.stars)),
    ("unmet_minimums", lambda ps: ps.by_block(_unmet_minimums)),
    ("spread", lambda ps: _ints(ps.array("tmax") - ps.array("tmin"))),
    ("needs_discussion", lambda ps: _choose(ps.array("flagged"), "true", "false")),
    (
        "recognized",
        lambda ps: _choose(ps.certified & (ps.stars >= ps.result.ruleset.recognized_from_stars), "true", "false"),
    ),
    ("rejected", lambda ps: _choose(ps.rejected, "true", "false")),
    ("rejection_reason", _rejection_reasons),
    ("certified_by", lambda ps: _optional(ps.certified, ps.result.level.code)),
    ("forwarded_to", lambda ps: _optional(ps.forwarded, ps.result.level.forwards_to)),
    ("rank", lambda ps: _nullable_ints(ps.rank("rank"), "null")),
    ("overall_rank", lambda ps: _nullable_ints(ps.rank("overall"), "null")),
    ("tied_with", _tied_with),
    ("outcome", lambda ps: [_OUTCOME_JSON[v] for v in ps.array("outcome").tolist()]),
    ("knockout_triggered", lambda ps: ps.by_block(lambda b: _knockouts_triggered(b, ps.result.member_ids))),
)
_OUTCOME_JSON = [_encode(o) for o in OUTCOMES]


def _with_decisions(ps: _Products) -> np.ndarray:
    """Products a recorded decision concerns: their JSON ends with a ``recognition`` object (session results)."""
    state = ps.result.state
    if state is None or not state.decisions:
        return np.zeros(ps.count, dtype=bool)
    return np.array([has_decisions(state, pid) for pid in ps.ids], dtype=bool)


# Tests of the products whose rare content PRODUCT_FIELDS leaves to the plain path (``ProductResult.as_json``):
# the ``recognition`` object, present only once a decision is recorded with a session.
RARE_PRODUCTS: tuple[Callable[[_Products], np.ndarray], ...] = (_with_decisions,)


def _plain_product(result: CouncilResult, product_id: str) -> str:
    """One product as ``json.dump(…, indent=1)`` writes it inside the products list (depth 2)."""
    text = json.dumps(result.product(product_id).as_json(), ensure_ascii=False, indent=1)
    return "  " + text.replace("\n", "\n  ")  # JSON strings hold no raw newline: every "\n" is layout


def _council_head(result: CouncilResult) -> tuple[str, str]:
    """The text of ``result.as_json()`` before and after its products list.

    Read from ``CouncilResult.as_json`` itself on a council with the same rules
    and no products, so its keys and values have one definition.
    """
    empty = CouncilResult(
        result.ruleset, result.rules, result.member_ids, [], np.zeros(0, np.int64), np.zeros(0, np.int64), {}
    )
    text = json.dumps(empty.as_json(), ensure_ascii=False, indent=1)
    mark = '\n "products": []'
    at = text.index(mark) + len(mark) - 2
    return text[:at], text[at + 2 :]


def write_json(result: CouncilResult, stream: TextIO) -> None:
    """``ocop score --format json``: the bytes of ``json.dump(result.as_json(), …, indent=1)`` and a newline."""
    head, tail = _council_head(result)
    ps = _Products(result)
    stream.write(head)
    if ps.count == 0:
        stream.write("[]" + tail + "\n")
        return
    keys = tuple(key for key, _ in PRODUCT_FIELDS)
    plain = np.zeros(ps.count, dtype=bool)
    if tuple(result.product(ps.ids[0]).as_json()) != keys:  # as_json changed and PRODUCT_FIELDS not yet
        plain[:] = True
    else:
        for rare in RARE_PRODUCTS:
            plain |= rare(ps)
    if plain.all():
        chunks = [_plain_product(result, pid) for pid in ps.ids]
    else:
        parts: list[str] = []
        columns: list[list[str]] = []
        for key, column in PRODUCT_FIELDS:
            value = column(ps)
            if isinstance(value, str):
                parts.append(f"   {_encode(key)}: " + value.replace("%", "%%"))
            else:
                parts.append(f"   {_encode(key)}: %s")
                columns.append(value)
        template = "  {\n" + ",\n".join(parts) + "\n  }"
        chunks = [template % row for row in zip(*columns, strict=True)]
        for i in np.flatnonzero(plain).tolist():
            chunks[i] = _plain_product(result, ps.ids[i])
    stream.write("[\n")
    for a in range(0, len(chunks), _BATCH):
        if a:
            stream.write(",\n")
        stream.write(",\n".join(chunks[a : a + _BATCH]))
    stream.write("\n ]" + tail + "\n")


# --- CSV and the table -------------------------------------------------------------------------------


def _table_columns(ps: _Products, parts: Sequence[str]) -> dict[str, list[str]]:
    """The columns of ``CouncilResult.table()`` as text (``str`` of each value, as the csv module writes it)."""
    result = ps.result
    certified = ps.certified
    level = result.level
    return {
        "product_id": ps.ids,
        "sheet_id": ps.per_block([b.plan.sheet.sheet_id for b in ps.blocks]),
        "members": _ints(ps.n),
        "mean_total": ps.mean(ps.array("total_sum")),
        **{f"mean_{code}": ps.part_mean(code) for code in parts},
        "spread": _ints(ps.array("tmax") - ps.array("tmin")),
        "needs_discussion": _choose(ps.array("flagged"), "True", "False"),
        "band_stars": _ints(ps.array("band_stars")),
        "stars": _ints(ps.stars),
        "unmet_minimums": ps.unmet_texts(""),
        "rejected": _choose(ps.rejected, "True", "False"),
        "recognized": _choose(certified & (ps.stars >= result.ruleset.recognized_from_stars), "True", "False"),
        "certified_by": _choose(certified, level.code or "", ""),
        "forwarded_to": _choose(ps.forwarded, level.forwards_to or "", ""),
        "rank": _nullable_ints(ps.rank("rank"), ""),
        "overall_rank": _nullable_ints(ps.rank("overall"), ""),
        "outcome": [OUTCOMES[v] for v in ps.array("outcome").tolist()],
    }


def write_csv(result: CouncilResult, stream: TextIO) -> None:
    """``ocop score --format csv``: the bytes of ``csv.DictWriter`` over ``result.table()``."""
    ps = _Products(result)
    if ps.count == 0 or ps.uniform_parts is None:  # no rows, or sheets with other parts: the plain path
        _slow_csv(result, stream)
        return
    columns = _table_columns(ps, ps.uniform_parts)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(list(columns))
    rows = list(zip(*columns.values(), strict=True))
    for a in range(0, len(rows), _BATCH):
        writer.writerows(rows[a : a + _BATCH])
        stream.write(buffer.getvalue())
        buffer.seek(0)
        buffer.truncate()


TABLE_HEADS = (
    "product_id",
    "sheet_id",
    "members",
    "mean_total",
    "mean_A",
    "mean_B",
    "mean_C",
    "spread",
    "band",
    "stars",
    "unmet",
    "rank",
    "overall",
)


def _table_labels(lang: str) -> tuple[Any, list[str]]:
    from ocop_scoring.texts import load_texts

    t = load_texts()
    return t, [t.t(f"col_{h}", lang) if t.t(f"col_{h}", lang) != f"col_{h}" else h for h in TABLE_HEADS]


def _table_footer(result: CouncilResult, t: Any, lang: str) -> str:
    rules = _council_rules(result)
    op = ">" if rules["spread_strict"] else ">="
    return "\n" + t.t("table_footer", lang).format(
        ruleset=result.ruleset.ruleset_id,
        minimum_rule=t.t("minimum_rule_" + rules["minimum_rule"], lang),
        op=op,
        threshold=rules["spread_threshold"],
        level=t.t("level_" + rules["level"], lang),
    )


def _council_rules(result: CouncilResult) -> dict[str, Any]:
    """``result.as_json()["rules"]`` without writing every product."""
    empty = CouncilResult(
        result.ruleset, result.rules, result.member_ids, [], np.zeros(0, np.int64), np.zeros(0, np.int64), {}
    )
    return empty.as_json()["rules"]


def write_table(result: CouncilResult, stream: TextIO, lang: str = "vi") -> None:
    """``ocop score --format table``: the aligned table of every product and the rules' footer."""
    ps = _Products(result)
    if ps.count and any(code not in b.plan.part_codes for b in ps.blocks for code in "ABC"):
        _slow_table(result, stream, lang)  # the plain path (it cannot print such a sheet either)
        return
    t, labels = _table_labels(lang)
    parts = ("A", "B", "C") if ps.count else ()
    c = _table_columns(ps, parts) if ps.count else {}
    if ps.count:
        flagged = ps.array("flagged")
        cells = [
            c["product_id"],
            c["sheet_id"],
            c["members"],
            c["mean_total"],
            c["mean_A"],
            c["mean_B"],
            c["mean_C"],
            [s + " !" if f else s for s, f in zip(c["spread"], flagged.tolist(), strict=True)],
            c["band_stars"],
            [("✗" if r else s) for s, r in zip(c["stars"], ps.rejected.tolist(), strict=True)],
            ps.unmet_texts("-"),
            c["rank"],
            c["overall_rank"],
        ]
        widths = [max(len(label), max(map(len, column))) for label, column in zip(labels, cells, strict=True)]
    else:
        cells = [[] for _ in labels]
        widths = [len(label) for label in labels]
    stream.write("  ".join(label.ljust(w) for label, w in zip(labels, widths, strict=True)) + "\n")
    line = "  ".join(f"%-{w}s" for w in widths) + "\n"  # "%-9s" pads to 9 characters, as str.ljust(9)
    rows = list(zip(*cells, strict=True))
    for a in range(0, len(rows), _BATCH):
        stream.write("".join([line % row for row in rows[a : a + _BATCH]]))
    stream.write(_table_footer(result, t, lang) + "\n")


# --- the plain paths (the definition of each output; used when the fast one does not apply) ----------------


def _slow_csv(result: CouncilResult, stream: TextIO) -> None:
    rows = result.table()
    writer = csv.DictWriter(stream, fieldnames=list(rows[0]) if rows else ["product_id"], lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)


def _slow_table(result: CouncilResult, stream: TextIO, lang: str) -> None:
    t, labels = _table_labels(lang)
    rows = []
    for r in result.table():
        rows.append(
            [
                r["product_id"],
                r["sheet_id"],
                str(r["members"]),
                r["mean_total"],
                r["mean_A"],
                r["mean_B"],
                r["mean_C"],
                f"{r['spread']}{' !' if r['needs_discussion'] else ''}",
                str(r["band_stars"]),
                ("✗" if r["rejected"] else str(r["stars"])),
                r["unmet_minimums"] or "-",
                str(r["rank"]),
                str(r["overall_rank"]),
            ]
        )
    widths = [
        max(len(labels[i]), *(len(row[i]) for row in rows)) if rows else len(labels[i]) for i in range(len(labels))
    ]
    stream.write("  ".join(label.ljust(w) for label, w in zip(labels, widths, strict=True)) + "\n")
    for row in rows:
        stream.write("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)) + "\n")
    stream.write(_table_footer(result, t, lang) + "\n")
