"""Scoring benchmark: a national council file (20,000 products x 9 members) through the engine.

Measured in one run, on one generated file (benchmarks/README.md explains each figure):

* generation of the scores CSV (numpy + pyarrow, seeded);
* ``read_scores_csv`` (parse and check) and ``score_council`` (the calculation);
* the floor: a bare numpy per-product sum of the same points arrays;
* a straightforward pure-Python per-row implementation (csv module, dicts, Fractions),
  whose results are checked against the engine product by product (an independent
  cross-check: the benchmark fails if they differ);
* the output stage alone (``score_output.write_json`` / ``write_csv`` / ``write_table`` on the
  same result, to /dev/null);
* ``ocop score FILE --format json|csv|table > /dev/null`` as subprocesses: wall time, its ratio to
  parse + calculation of the same run, and peak memory;
* ``load_library()`` in a fresh interpreter and in-process.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
RULESET = "qd26-2026"
# How the generated council scores (see generate_scores); tuned for a plausible spread of stars.
GENERATOR: dict[str, Any] = {
    "level_mean": 0.50,  # a product's level: normal, clipped to 0..1
    "level_sd": 0.16,
    "aim_from": (0.33, 0.55, 0.78),  # level from which a product aims at 3, 4, 5 stars
    "marker_p": 0.97,  # chance that it has what a star marker up to its aim asks for
    "profile_sd": 0.06,  # its strengths per criterion, seen by every member
    "strictness_sd": 0.02,  # a member's personal strictness
    "tick_sd": 0.05,  # the noise of one tick
    "rank_shift": 0.2,  # members lean towards the better option
    "slip_p": 0.01,  # chance that a member ticks one option below a marker the product has
}
HEADER = b"product_id,sheet_id,member_id,criterion,option\n"

TARGETS = {
    "calc_s": 1.0,  # score_council after parsing
    "calc_over_floor": 5.0,  # calculation / bare numpy sum
    "speedup": 30.0,  # pure-Python baseline / ours
    "cli_s": 10.0,  # ocop score … --format json, wall
    "cli_over_ours": 2.0,  # ocop score … --format json|csv|table, wall / (read_scores_csv + score_council)
    "cli_mib": 2048.0,  # … peak resident memory
    "load_library_s": 0.5,  # load and validate the 26 sheets, fresh interpreter
}


def add_arguments(parser: argparse._ArgumentGroup) -> None:
    """Options of this benchmark."""
    parser.add_argument("--products", type=int, default=20_000, help="products in the file (default: %(default)s)")
    parser.add_argument(
        "--members",
        type=int,
        default=9,
        help="council members scoring each product (default: %(default)s)",
    )
    parser.add_argument(
        "--repeat",
        type=int,
        default=7,
        help="repetitions of the timed calculations (median; default: %(default)s)",
    )
    parser.add_argument("--seed", type=int, default=2026, help="seed of the generated scores (default: %(default)s)")
    parser.add_argument("--keep", action="store_true", help="keep the generated CSV in the output folder")


# --- timing helpers ------------------------------------------------------------------------------


def median_time(fn: Callable[[], Any], repeat: int) -> tuple[float, list[float], Any]:
    """Median wall time of ``repeat`` calls, every time, and the last result."""
    times: list[float] = []
    result: Any = None
    for _ in range(max(1, repeat)):
        result = None  # let the previous result go before timing the next call
        t = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times), times, result


def child_env(pycache: Path) -> dict[str, str]:
    """The environment of a child Python with its own bytecode cache folder.

    A normal installation caches bytecode after the first run; this sandbox may
    not (PYTHONDONTWRITEBYTECODE=1, no .pyc in the venv), and then every child
    would compile every module it imports. A private cache folder, empty at
    first, makes "first run" (cold) and "later runs" (warm) explicit.
    """
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPYCACHEPREFIX"] = str(pycache)
    return env


def run_child(cmd: Sequence[str], env: Mapping[str, str]) -> tuple[float, float, int, str]:
    """Run a child (stdout to /dev/null): wall s, its peak RSS in MiB, exit code, stderr."""
    with tempfile.TemporaryFile() as err:
        t = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=err, cwd=REPO, env=env)
        _, status, usage = os.wait4(proc.pid, 0)  # the rusage of this child alone
        wall = time.perf_counter() - t
        proc.returncode = os.waitstatus_to_exitcode(status)
        err.seek(0)
        return wall, usage.ru_maxrss / 1024, proc.returncode, err.read().decode("utf-8", "replace")


# --- a. the national-scale input -----------------------------------------------------------------


def generate_scores(path: Path, sheets: Sequence[Any], products: int, members: int, seed: int) -> dict[str, Any]:
    """Write a complete, valid scores CSV: every member ticks every scored criterion.

    Each product gets a level (how good it is), the star it aims at, and a
    strength profile over the criteria that every member sees; each member adds
    a personal strictness and per-tick noise. The option ticked is the one whose
    rank by points matches that score. A product mostly has what the star
    markers up to its aim ask for (say, a product story for 4 stars), and a
    member now and then ticks one option below it. So means, bands, stars,
    minimum caps, story-rule zeros, spreads and ties all vary. Rows are in
    product, member, printed-criterion order.
    """
    import numpy as np
    import pyarrow as pa
    import pyarrow.csv as pacsv

    g = GENERATOR
    rng = np.random.default_rng(seed)
    sheet_of = rng.permutation(np.arange(products) % len(sheets))  # spread evenly, shuffled
    level = np.clip(rng.normal(g["level_mean"], g["level_sd"], products), 0.0, 1.0)
    aim = 2 + np.searchsorted(np.array(g["aim_from"]), level, side="right")  # 2..5 stars
    leaf_count = np.array([len(s.leaves) for s in sheets], dtype=np.int64)
    offset = np.zeros(products + 1, dtype=np.int64)
    np.cumsum(leaf_count[sheet_of] * members, out=offset[1:])
    rows = int(offset[-1])

    codes = sorted({leaf.code for s in sheets for leaf in s.leaves})
    code_index = {c: i for i, c in enumerate(codes)}
    prod_col = np.empty(rows, dtype=np.int32)
    member_col = np.empty(rows, dtype=np.int32)
    crit_col = np.empty(rows, dtype=np.int32)
    opt_col = np.empty(rows, dtype=np.int8)

    for s, sheet in enumerate(sheets):
        prods = np.flatnonzero(sheet_of == s)
        if len(prods) == 0:
            continue
        leaves = sheet.leaves
        n_prods, n_leaves, n_cards = len(prods), len(leaves), len(prods) * members
        # A choose-one-case sheet (26): each product is of one case and every card keeps to its options.
        cases = sorted({o.case for leaf in leaves for o in leaf.options if o.case}) or [None]
        variant = rng.integers(0, len(cases), n_prods) if len(cases) > 1 else np.zeros(n_prods, dtype=np.int64)
        width = max(len(leaf.options) for leaf in leaves)
        top = np.zeros((len(cases), n_leaves), dtype=np.int64)
        by_points = np.zeros((len(cases), n_leaves, width), dtype=np.int8)  # fewest points first
        floor = np.zeros((n_prods, n_leaves), dtype=np.int64)  # rank the product's aim asks for
        for v, case in enumerate(cases):
            mine = variant == v
            for i, leaf in enumerate(leaves):
                ordered = sorted(
                    (o for o in leaf.options if case is None or o.case in (None, case)),
                    key=lambda o: (o.points, o.number),
                )
                top[v, i] = len(ordered) - 1
                by_points[v, i, : len(ordered)] = [o.number for o in ordered]
                for r, option in enumerate(ordered):
                    if option.star is not None:
                        has = mine & (aim[prods] >= option.star) & (rng.random(n_prods) < g["marker_p"])
                        floor[has, i] = np.maximum(floor[has, i], r)
        card_variant = np.repeat(variant, members)
        card_prod = np.repeat(prods, members)
        card_member = np.tile(np.arange(members, dtype=np.int64), n_prods)
        score = (
            level[card_prod][:, None]
            + np.repeat(rng.normal(0.0, g["profile_sd"], (n_prods, n_leaves)), members, axis=0)
            + rng.normal(0.0, g["strictness_sd"], n_cards)[:, None]
            + rng.normal(0.0, g["tick_sd"], (n_cards, n_leaves))
        )
        card_top = top[card_variant]
        rank = np.rint(score * card_top + g["rank_shift"]).astype(np.int64)
        slip = rng.random((n_cards, n_leaves)) < g["slip_p"]
        rank = np.maximum(rank, np.repeat(floor, members, axis=0) - slip)
        rank = np.clip(rank, 0, card_top)
        pos = (offset[card_prod] + card_member * n_leaves)[:, None] + np.arange(n_leaves)[None, :]
        prod_col[pos] = card_prod[:, None]
        member_col[pos] = card_member[:, None]
        crit_col[pos] = np.array([code_index[leaf.code] for leaf in leaves], dtype=np.int32)
        opt_col[pos] = by_points[card_variant[:, None], np.arange(n_leaves)[None, :], rank]

    width = len(str(products))
    product_ids = pa.array([f"P{i + 1:0{width}d}" for i in range(products)])
    member_ids = pa.array([f"M{i + 1:0{len(str(members))}d}" for i in range(members)])
    sheet_ids = pa.array([s.sheet_id for s in sheets])
    table = pa.table(
        {
            "product_id": pa.DictionaryArray.from_arrays(prod_col, product_ids),
            "sheet_id": pa.DictionaryArray.from_arrays(sheet_of.astype(np.int32)[prod_col], sheet_ids),
            "member_id": pa.DictionaryArray.from_arrays(member_col, member_ids),
            "criterion": pa.DictionaryArray.from_arrays(crit_col, pa.array(codes)),
            "option": pa.array(opt_col),
        }
    )
    with open(path, "wb") as f:
        f.write(HEADER)  # pyarrow would quote the header names
        pacsv.write_csv(table, f, write_options=pacsv.WriteOptions(include_header=False, quoting_style="none"))
    return {"rows": rows, "bytes": path.stat().st_size}


# --- e. the pure-Python baseline -----------------------------------------------------------------


@dataclass
class _SheetRules:
    points: dict[str, dict[int, int]]  # criterion -> option number -> points
    part_of: dict[str, str]  # criterion -> part code
    part_codes: tuple[str, ...]
    conditions: tuple[tuple[str, str, int], ...]  # (criterion, condition criterion, min points)
    minimums: dict[int, list[tuple[str, int]]]  # star -> [(criterion, points required)]


@dataclass
class BaselineResult:
    sheet_id: str
    members: int
    mean: Fraction
    part_means: dict[str, Fraction]
    band: int
    stars: int
    spread: int
    rank: int = 0
    overall_rank: int = 0


def baseline_rules(sheets: Mapping[str, Any]) -> dict[str, _SheetRules]:
    """Plain dicts built from the sheets."""
    out: dict[str, _SheetRules] = {}
    for sid, sheet in sheets.items():
        minimums: dict[int, list[tuple[str, int]]] = {}
        for star, code, required in sheet.star_minimums():
            minimums.setdefault(star, []).append((code, required))
        out[sid] = _SheetRules(
            points={leaf.code: {o.number: o.points for o in leaf.options} for leaf in sheet.leaves},
            part_of=dict(sheet.leaf_part),
            part_codes=tuple(p.code for p in sheet.parts),
            conditions=tuple(
                (leaf.code, leaf.condition.criterion, leaf.condition.min_points)
                for leaf in sheet.leaves
                if leaf.condition is not None
            ),
            minimums=minimums,
        )
    return out


def baseline_read(
    path: Path, rules: Mapping[str, _SheetRules]
) -> tuple[dict[str, dict[str, dict[str, int]]], dict[str, str]]:
    """Read the CSV row by row into product -> member -> criterion -> points, and the sheets."""
    products: dict[str, dict[str, dict[str, int]]] = {}
    sheet_of: dict[str, str] = {}
    with open(path, newline="", encoding="utf-8") as f:
        reader = csv.reader(f)
        next(reader)
        for product_id, sheet_id, member_id, criterion, option in reader:
            points = rules[sheet_id].points[criterion][int(option)]
            cards = products.get(product_id)
            if cards is None:
                cards = products[product_id] = {}
                sheet_of[product_id] = sheet_id
            card = cards.get(member_id)
            if card is None:
                card = cards[member_id] = {}
            card[criterion] = points
    return products, sheet_of


def baseline_compute(
    products: Mapping[str, Mapping[str, Mapping[str, int]]],
    sheet_of: Mapping[str, str],
    rules: Mapping[str, _SheetRules],
    ruleset: Any,
) -> dict[str, BaselineResult]:
    """Totals, exact means, band, star minimums (mean rule), star, spread, competition ranks."""
    bands = sorted(ruleset.bands, key=lambda b: b.min_total)
    levels = sorted(ruleset.minimum_star_levels)
    results: dict[str, BaselineResult] = {}
    for product_id, cards in products.items():
        sheet = rules[sheet_of[product_id]]
        totals: list[int] = []
        part_sum = dict.fromkeys(sheet.part_codes, 0)
        criterion_sum: dict[str, int] = {}
        for card in cards.values():
            for criterion, condition, min_points in sheet.conditions:
                if criterion in card and card.get(condition, 0) < min_points:
                    card = {**card, criterion: 0}  # the story rule: counts 0
            total = 0
            for criterion, points in card.items():
                total += points
                part_sum[sheet.part_of[criterion]] += points
                criterion_sum[criterion] = criterion_sum.get(criterion, 0) + points
            totals.append(total)
        n = len(totals)
        mean = Fraction(sum(totals), n)
        band = bands[0].stars
        for b in bands:
            if mean >= b.min_total:
                band = b.stars
        stars = band
        for star in levels:
            if star > band:
                break
            if not all(criterion_sum.get(code, 0) >= required * n for code, required in sheet.minimums.get(star, ())):
                stars = star - 1
                break
        results[product_id] = BaselineResult(
            sheet_id=sheet_of[product_id],
            members=n,
            mean=mean,
            part_means={code: Fraction(s, n) for code, s in part_sum.items()},
            band=band,
            stars=stars,
            spread=max(totals) - min(totals),
        )

    def key(pid: str) -> tuple[Fraction, ...]:
        r = results[pid]
        return (r.mean, *(r.part_means.get(p, Fraction(0)) for p in ("C", "A", "B")))

    def competition(ids: list[str]) -> dict[str, int]:
        ranks: dict[str, int] = {}
        previous: tuple[Fraction, ...] | None = None
        rank = 0
        for i, pid in enumerate(sorted(ids, key=key, reverse=True)):
            k = key(pid)
            if k != previous:
                rank, previous = i + 1, k
            ranks[pid] = rank
        return ranks

    for pid, rank in competition(list(results)).items():
        results[pid].overall_rank = rank
    by_sheet: dict[str, list[str]] = {}
    for pid, r in results.items():
        by_sheet.setdefault(r.sheet_id, []).append(pid)
    for ids in by_sheet.values():
        for pid, rank in competition(ids).items():
            results[pid].rank = rank
    return results


def cross_check(council: Any, baseline: Mapping[str, BaselineResult], products: Mapping[str, Any]) -> int:
    """Assert the baseline and the engine agree on every product; return the count checked."""
    engine_ids = set(council.product_ids)
    if engine_ids != set(baseline):
        only_engine = sorted(engine_ids - set(baseline))[:5]
        only_base = sorted(set(baseline) - engine_ids)[:5]
        raise AssertionError(f"product sets differ: engine only {only_engine}, baseline only {only_base}")
    differences: list[str] = []
    checked = 0
    for r in council:
        b = baseline[r.product_id]
        mine = (
            r.sheet_id,
            r.members,
            r.mean_total,
            dict(r.part_means),
            r.band_stars,
            r.stars,
            r.spread,
            r.rank,
            r.overall_rank,
        )
        theirs = (
            b.sheet_id,
            b.members,
            b.mean,
            b.part_means,
            b.band,
            b.stars,
            b.spread,
            b.rank,
            b.overall_rank,
        )
        checked += 1
        if mine != theirs:
            fields = (
                "sheet",
                "members",
                "mean",
                "part_means",
                "band",
                "stars",
                "spread",
                "rank",
                "overall_rank",
            )
            diff = ", ".join(
                f"{f}: engine {m!r} / baseline {t!r}" for f, m, t in zip(fields, mine, theirs, strict=True) if m != t
            )
            cards = {mid: dict(card) for mid, card in products[r.product_id].items()}
            differences.append(f"product {r.product_id} ({r.sheet_id}): {diff}\n    points by member: {cards}")
            if len(differences) >= 5:
                break
    if differences:
        raise AssertionError("baseline and engine disagree:\n  " + "\n  ".join(differences))
    return checked


# --- the benchmark -------------------------------------------------------------------------------


def fig(
    name: str,
    label: str,
    value: float | int | None,
    unit: str,
    target: float | None = None,
    op: str = "<=",
) -> dict[str, Any]:
    """One figure of the results table."""
    out: dict[str, Any] = {"name": name, "label": label, "value": value, "unit": unit}
    if target is not None:
        out["target"], out["op"] = target, op
    return out


def _warm_imports() -> None:
    import numpy as np
    import pyarrow as pa
    import pyarrow.csv

    pa.array(np.zeros(1))


def _log(message: str) -> None:
    print(f"[bench scoring] {message}", file=sys.stderr, flush=True)


def _ocop_command() -> list[str]:
    script = Path(sys.executable).parent / "ocop"
    return [str(script)] if script.exists() else [sys.executable, "-m", "ocop_scoring.cli"]


_LOAD_CHILD = """\
import json, time
t0 = time.perf_counter()
from ocop_scoring.criteria_io import load_library
t1 = time.perf_counter()
lib = load_library()
t2 = time.perf_counter()
sheets = len(lib.sheets_of("qd26-2026"))
print(json.dumps({"import_s": t1 - t0, "load_s": t2 - t1, "sheets": sheets}))
"""


def run(args: argparse.Namespace) -> dict[str, Any]:
    """Generate the file, measure every figure, cross-check the baseline against the engine."""
    from ocop_scoring.criteria_io import load_library

    repeat = max(1, args.repeat)
    figures: list[dict[str, Any]] = []
    info: dict[str, Any] = {
        "products": args.products,
        "members": args.members,
        "repeat": repeat,
        "seed": args.seed,
        "generator": {k: list(v) if isinstance(v, tuple) else v for k, v in GENERATOR.items()},
    }
    lib = load_library()
    official = lib.sheets_of(RULESET)
    with tempfile.TemporaryDirectory(prefix="ocop-bench-") as tmp:
        folder = Path(args.out) if args.keep else Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"scores_{args.products}x{args.members}.csv"

        # a. generate (the one-time imports of numpy and pyarrow, and the pandas that
        # pyarrow imports on its first array, are not part of the figure)
        _log(f"generating {args.products:,} products x {args.members} members …")
        _warm_imports()
        t = time.perf_counter()
        gen = generate_scores(path, official, args.products, args.members, args.seed)
        gen_s = time.perf_counter() - t
        mib = gen["bytes"] / 2**20
        info.update(rows=gen["rows"], csv_mib=round(mib, 1))
        info["csv_path"] = str(path) if args.keep else "(temporary, deleted)"
        label = f"generate CSV ({gen['rows']:,} rows, {mib:.0f} MiB)"
        figures.append(fig("generate_s", label, gen_s, "s"))

        # b.-e. in process; their data is released when the helper returns
        figures += _in_process(path, lib, repeat, info)

        # f. ocop score as a subprocess, each format
        pycache = Path(tmp) / "pycache"
        ours_s = next(f["value"] for f in figures if f["name"] == "ours_s")
        figures += _cli(path, repeat, pycache, info, ours_s)

        # g. load and validate the sheets
        figures += _load_library(load_library, pycache, info)
    return {"figures": figures, "info": info}


def _in_process(path: Path, lib: Any, repeat: int, info: dict[str, Any]) -> list[dict[str, Any]]:
    """Parse, calculation, floor, baseline and the cross-check, on one file."""
    import numpy as np

    from ocop_scoring.score_output import write_csv, write_json, write_table
    from ocop_scoring.scores_io import read_scores_csv
    from ocop_scoring.scoring import score_council

    sheets, ruleset = lib.sheets, lib.ruleset(RULESET)
    figures: list[dict[str, Any]] = []

    # b. parse
    _log("read_scores_csv …")
    parse_s, parse_all, cards = median_time(lambda: read_scores_csv(path, sheets), min(5, repeat))
    figures.append(fig("parse_s", "read_scores_csv (parse + check)", parse_s, "s"))

    # c. calculation
    _log("score_council …")
    calc_s, calc_all, council = median_time(lambda: score_council(cards, sheets, ruleset), repeat)
    figures.append(fig("calc_s", "score_council (after parsing)", calc_s, "s", TARGETS["calc_s"]))

    # d. the floor: a bare numpy sum of the same points arrays per product
    starts = [np.flatnonzero(np.r_[True, b.card_product[1:] != b.card_product[:-1]]) for b in cards.blocks]

    def floor() -> list[Any]:
        return [
            np.add.reduceat(b.points.sum(axis=1, dtype=np.int64), s) for b, s in zip(cards.blocks, starts, strict=True)
        ]

    floor_s, _, sums = median_time(floor, max(repeat, 11))
    ours_s = parse_s + calc_s
    figures += [
        fig("floor_s", "floor: numpy sum of points per product", floor_s, "s"),
        fig(
            "calc_over_floor",
            "calculation / floor",
            calc_s / floor_s,
            "x",
            TARGETS["calc_over_floor"],
        ),
        fig("ours_s", "ours end to end (parse + calculation)", ours_s, "s"),
    ]

    # d'. the output stage alone: what ocop score writes, from the same result, to /dev/null
    writers = {
        "json": lambda out: write_json(council, out),
        "csv": lambda out: write_csv(council, out),
        "table": lambda out: write_table(council, out, "vi"),
    }
    with open(os.devnull, "w", encoding="utf-8") as sink:
        for fmt, write in writers.items():
            _log(f"output stage, {fmt} …")
            out_s, out_all, _ = median_time(lambda write=write: write(sink), repeat)
            info.setdefault("samples_s", {})[f"output_{fmt}"] = [round(x, 4) for x in out_all]
            figures += [
                fig(f"output_{fmt}_s", f"output stage, {fmt} (score_output.write_{fmt})", out_s, "s"),
                fig(f"output_{fmt}_over_ours", "… / (parse + calculation), for information", out_s / ours_s, "x"),
            ]

    # e. the pure-Python baseline, once (it is slow), then the cross-check
    _log("pure-Python baseline (csv module, dicts, Fractions) …")
    rules = baseline_rules(sheets)
    t = time.perf_counter()
    base_products, base_sheet_of = baseline_read(path, rules)
    base_read_s = time.perf_counter() - t
    t = time.perf_counter()
    baseline = baseline_compute(base_products, base_sheet_of, rules, ruleset)
    base_compute_s = time.perf_counter() - t
    base_s = base_read_s + base_compute_s
    speedup = TARGETS["speedup"]
    figures += [
        fig("baseline_read_s", "baseline: read CSV into per-card points", base_read_s, "s"),
        fig("baseline_compute_s", "baseline: compute (sums … ranks)", base_compute_s, "s"),
        fig("baseline_s", "baseline end to end", base_s, "s"),
        fig("speedup", "speed-up end to end (baseline / ours), for information", base_s / ours_s, "x"),
        fig(
            "speedup_compute",
            "speed-up of the calculation (baseline compute / score_council)",
            base_compute_s / calc_s,
            "x",
            speedup,
            ">=",
        ),
    ]

    _log("cross-checking the baseline against the engine …")
    t = time.perf_counter()
    checked = cross_check(council, baseline, base_products)
    info["cross_check"] = (
        f"baseline == engine on all {checked:,} products "
        "(sheet, members, mean, part means, band, stars, spread, rank, overall rank)"
    )
    info["cross_check_s"] = round(time.perf_counter() - t, 2)
    # the floor adds the raw points (before the story rule): check it against the baseline's data
    for block, s in zip(cards.blocks, sums, strict=True):
        for pid, value in zip(block.product_ids, s.tolist(), strict=True):
            raw = sum(sum(card.values()) for card in base_products[pid].values())
            if value != raw:
                raise AssertionError(f"floor sum of {pid} is {value}, its raw points add up to {raw}")

    stars = Counter(r.stars for r in baseline.values())
    bands = Counter(r.band for r in baseline.values())
    info["stars"] = {f"{k}★": stars[k] for k in sorted(stars)}
    info["bands"] = {f"{k}★": bands[k] for k in sorted(bands)}
    info["capped_by_minimums"] = sum(1 for r in baseline.values() if r.stars < r.band)
    info["needs_discussion"] = sum(1 for r in council if r.needs_discussion)
    info["story_rule_zeroed_cards"] = sum(
        1
        for pid, cards_of in base_products.items()
        for card in cards_of.values()
        for criterion, condition, minimum in rules[base_sheet_of[pid]].conditions
        if card.get(criterion, 0) > 0 and card.get(condition, 0) < minimum
    )
    ranks = Counter(r.overall_rank for r in baseline.values())
    info["products_sharing_an_overall_rank"] = sum(c for c in ranks.values() if c > 1)
    info["samples_s"] = {
        "parse": [round(x, 4) for x in parse_all],
        "calc": [round(x, 4) for x in calc_all],
    }
    return figures


def _cli(path: Path, repeat: int, pycache: Path, info: dict[str, Any], ours_s: float) -> list[dict[str, Any]]:
    """``ocop score FILE --format json|csv|table > /dev/null``: wall time, its ratio to ``ours_s``, peak RSS.

    The first run starts with an empty bytecode cache (it compiles every module
    it imports); each figure is the median of the runs after it (cache warm).
    """
    figures: list[dict[str, Any]] = []
    peaks: list[float] = []
    for fmt in ("json", "csv", "table"):
        _log(f"ocop score … --format {fmt} > /dev/null …")
        cmd = [*_ocop_command(), "score", str(path), "--format", fmt]
        runs = [run_child(cmd, child_env(pycache)) for _ in range((1 if fmt == "json" else 0) + min(3, repeat))]
        for _, _, code, err in runs:
            if code != 0:
                raise AssertionError(f"ocop score --format {fmt} exited {code}: {err.strip()[:2000]}")
        info.setdefault("samples_s", {})[f"cli_{fmt}"] = [round(r[0], 3) for r in runs]
        info[f"cli_{fmt}_peak_mib_each"] = [round(r[1], 1) for r in runs]
        peaks += [r[1] for r in runs]
        warm = runs[1:] if fmt == "json" else runs
        wall = statistics.median(r[0] for r in warm)
        name = "cli_s" if fmt == "json" else f"cli_{fmt}_s"
        figures.append(fig(name, f"ocop score FILE --format {fmt} (wall)", wall, "s", TARGETS["cli_s"]))
        if fmt == "json":
            figures.append(fig("cli_first_s", "… its first run (empty bytecode cache)", runs[0][0], "s"))
        figures.append(
            fig(
                f"cli_{fmt}_over_ours",
                "… / (parse + calculation)",
                wall / ours_s,
                "x",
                TARGETS["cli_over_ours"],
            )
        )
    figures.append(fig("cli_mib", "ocop score peak memory (max RSS)", round(max(peaks), 1), "MiB", TARGETS["cli_mib"]))
    return figures


def _load_library(load_library: Callable[[], Any], pycache: Path, info: dict[str, Any]) -> list[dict[str, Any]]:
    """``load_library()`` in 5 fresh interpreters (only the call is timed) and in-process."""
    _log("load_library in fresh interpreters …")
    loads: list[dict[str, float]] = []
    for _ in range(5):
        cmd = [sys.executable, "-c", _LOAD_CHILD]
        out = subprocess.run(cmd, capture_output=True, text=True, cwd=REPO, check=True, env=child_env(pycache))
        loads.append(json.loads(out.stdout))
    if any(x["sheets"] != 26 for x in loads):
        raise AssertionError(f"expected the 26 official sheets, got {[x['sheets'] for x in loads]}")
    fresh = statistics.median(x["load_s"] for x in loads)
    inproc, _, _ = median_time(load_library, 5)
    info["import_criteria_io_s"] = round(statistics.median(x["import_s"] for x in loads), 3)
    info.setdefault("samples_s", {})["load_library_fresh"] = [round(x["load_s"], 4) for x in loads]
    target = TARGETS["load_library_s"]
    return [
        fig("load_library_s", "load_library(), fresh interpreter (26 sheets)", fresh, "s", target),
        fig("load_library_inproc_s", "load_library(), in-process again", inproc, "s"),
    ]
