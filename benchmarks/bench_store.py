"""Session-store benchmark: saves by 15 concurrent writers, and the dashboard's reads (SQLite file).

Measured in one run, each against a baseline measured in the same run (benchmarks/README.md
explains each figure):

* one save (``SessionStore.tick``) with ``--writers`` separate processes writing at once, one per
  member, started together, under two loads: back to back ("saturated") and with a random
  50-150 ms pause before each tick ("paced", a fast human); median, p95, throughput. Baseline: the
  same processes doing only ``BEGIN IMMEDIATE; INSERT OR REPLACE one row; COMMIT`` with Python's
  ``sqlite3`` and the store's pragmas on the same kind of file;
* after each concurrent run, every acknowledged save must be in the store (and nothing else), and
  ``verify`` must pass: a failure raises ``AssertionError`` (correctness is asserted, speed is not);
* ``state()`` and ``results()`` of a ``--products`` x ``--members`` session (every card
  submitted), from a fresh ``SessionStore`` each time and again on the same object; baseline: a
  bare ``SELECT * FROM ocop_cards WHERE session_id = ?`` with ``sqlite3``;
* ``data_version()``, the dashboard's one-second poll.

``--products`` and ``--members`` are shared with the scoring benchmark (same option names, see
``run.py``); when they are not given on the command line this benchmark uses its own defaults
(300 products, 12 members) rather than the scoring benchmark's national-scale ones.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
WORKER = Path(__file__).resolve().parent / "workers" / "store_worker.py"
RULESET = "qd26-2026"
WRITERS_SESSION = "bench-writers"
DASHBOARD_SESSION = "bench-dashboard"
WRITER_PRODUCTS = 20  # products of the writers' session: ~620 (product, criterion) per member's cards
PACE_S = (0.050, 0.150)  # the paced load: a random pause before each tick
READY_TIMEOUT_S = 300.0  # writers importing and connecting
RUN_TIMEOUT_S = 900.0  # one concurrent run
ENTER_BATCH = 50  # products per enter_cards transaction when building the dashboard session
DEFAULTS = {"products": 300, "members": 12}  # this benchmark's own defaults of the shared options

TARGETS = {
    "save_median_s": 0.020,  # one save, 15 concurrent writers, judged on the paced load
    "state_s": 0.200,  # state() of 300 products x 12 members, fresh store object
    "results_s": 0.200,  # results() is reported against the same line
}


def add_arguments(parser: argparse._ArgumentGroup) -> None:
    """Options of this benchmark (``--products``, ``--members``, ``--repeat``, ``--seed`` are shared)."""
    parser.add_argument(
        "--writers", type=int, default=15, help="store: concurrent writer processes (default: %(default)s)"
    )
    parser.add_argument("--saves", type=int, default=200, help="store: timed saves per writer (default: %(default)s)")
    parser.add_argument(
        "--products",
        type=int,
        default=DEFAULTS["products"],
        help="store: products of the dashboard session (default: %(default)s)",
    )
    parser.add_argument(
        "--members",
        type=int,
        default=DEFAULTS["members"],
        help="store: scoring members of the dashboard session (default: %(default)s)",
    )
    parser.add_argument("--repeat", type=int, default=7, help="store: repetitions of the timed reads (median)")
    parser.add_argument("--seed", type=int, default=2026, help="store: seed of the cards and the pauses")


def _own_defaults(args: argparse.Namespace) -> dict[str, int]:
    """``--products`` / ``--members``: the command line's value if given there, else this benchmark's default.

    They are shared with the scoring benchmark, whose defaults (20,000 x 9) are a national
    file, not one council's dashboard. Reads ``sys.argv`` (how ``run.py`` is started).
    """
    probe = argparse.ArgumentParser(add_help=False)
    for name in DEFAULTS:
        probe.add_argument(f"--{name}", type=int, default=None)
    given, _ = probe.parse_known_args(sys.argv[1:])
    return {name: getattr(given, name) or default for name, default in DEFAULTS.items()}


# --- helpers -------------------------------------------------------------------------------------


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


def _log(message: str) -> None:
    print(f"[bench store] {message}", file=sys.stderr, flush=True)


def percentile(values: Sequence[float], q: float) -> float:
    """The q-th percentile (0..100), nearest rank."""
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, math.ceil(q / 100 * len(ordered)) - 1))
    return ordered[k]


def median_time(fn: Callable[[], Any], repeat: int) -> tuple[float, list[float]]:
    """Median wall time of ``repeat`` calls of ``fn()``, and every time."""
    return median_time_on(lambda _: fn(), repeat, lambda: None)


def median_time_on(fn: Callable[[Any], Any], repeat: int, setup: Callable[[], Any]) -> tuple[float, list[float]]:
    """Median wall time of ``repeat`` calls of ``fn(setup())``, the set-up untimed, and every time."""
    times: list[float] = []
    for _ in range(max(1, repeat)):
        arg = setup()
        t = time.perf_counter()
        fn(arg)
        times.append(time.perf_counter() - t)
        del arg
    return statistics.median(times), times


def child_env(pycache: Path) -> dict[str, str]:
    """A child Python's environment: the repository importable, a private bytecode cache.

    The sandbox may set PYTHONDONTWRITEBYTECODE; 15 writers compiling SQLAlchemy at once
    would only slow the (untimed) start.
    """
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPYCACHEPREFIX"] = str(pycache)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO), env.get("PYTHONPATH", "")) if p)
    return env


# --- the sessions --------------------------------------------------------------------------------


def writers_session(store: Any, lib: Any, writers: int) -> tuple[list[dict[str, str]], list[list[Any]]]:
    """The writers' council: ``writers`` scoring members (and a secretary), 20 products over the sheets.

    Returns each writer's member id and token, and the (product, criterion, options) targets
    the writers tick in turn.
    """
    from ocop_scoring.model import MemberSpec, ProductSpec

    sheets = lib.sheets_of(RULESET)
    store.create_session(WRITERS_SESSION, "Hội đồng thử tải (ghi đồng thời)", lib)
    specs = [
        MemberSpec(f"TV{i:02d}", f"Thành viên {i}", "chair" if i == 1 else "member") for i in range(1, writers + 1)
    ]
    store.add_members(WRITERS_SESSION, [*specs, MemberSpec("TK", "Thư ký", "secretary")])
    products = [
        ProductSpec(f"P{i + 1:02d}", f"Sản phẩm {i + 1}", sheets[i % len(sheets)].sheet_id)
        for i in range(WRITER_PRODUCTS)
    ]
    store.add_products(WRITERS_SESSION, products)
    by_id = {s.sheet_id: s for s in sheets}
    targets = [[p.product_id, leaf.code, len(leaf.options)] for p in products for leaf in by_id[p.sheet_id].leaves]
    state = store.state(WRITERS_SESSION)
    tokens = [{"member_id": m.member_id, "token": m.token} for m in state.members if m.scores]
    return tokens, targets


def _pick(options: Sequence[Any], target: float) -> int:
    """The option whose share of the criterion's best points is nearest to ``target`` (as the demo)."""
    best = max(o.points for o in options) or 1
    target = min(max(target, 0.0), 1.0)
    return min(options, key=lambda o: (abs(o.points / best - target), o.number)).number


def dashboard_cards(
    sheets: Sequence[Any], products: int, members: Sequence[str], seed: int
) -> tuple[list[tuple[str, str]], list[tuple[str, str, dict[str, int], None]]]:
    """Products spread evenly (shuffled) over the sheets, and every member's complete card for each.

    As the demo council: each product has a level (normal, mean 0.60, sd 0.16) and the star it
    aims at; a consensus tick per criterion near its level, at least the option marked for each
    star up to its aim (with probability 0.97); each member moves a few criteria one option up or
    down, more often in the direction of their leniency, and slips below a marker 1% of the time.
    """
    rng = random.Random(seed)
    order = list(range(products))
    rng.shuffle(order)
    leniency = {m: rng.uniform(-0.06, 0.06) for m in members}
    width = len(str(products))
    specs: list[tuple[str, str]] = []
    entries: list[tuple[str, str, dict[str, int], None]] = []
    for i in range(products):
        sheet = sheets[order[i] % len(sheets)]
        product_id = f"SP{i + 1:0{width}d}"
        specs.append((product_id, sheet.sheet_id))
        level = min(max(rng.gauss(0.60, 0.16), 0.0), 1.0)
        aim = 2 + sum(level >= x for x in (0.33, 0.55, 0.78))
        consensus: dict[str, int] = {}
        floor: dict[str, int] = {}
        for leaf in sheet.leaves:
            marked = [o.number for o in leaf.options if o.star is not None and o.star <= aim and rng.random() < 0.97]
            floor[leaf.code] = max(marked) if marked else 1
            consensus[leaf.code] = max(_pick(leaf.options, level + rng.uniform(-0.15, 0.15)), floor[leaf.code])
        for m in members:
            chosen: dict[str, int] = {}
            for leaf in sheet.leaves:
                number, roll = consensus[leaf.code], rng.random()
                if roll < 0.07 + max(leniency[m], 0):
                    number += 1
                elif roll > 0.93 + min(leniency[m], 0):
                    number -= 1
                low = 1 if rng.random() < 0.01 else floor[leaf.code]  # now and then a slip below a marker
                chosen[leaf.code] = min(max(number, low), len(leaf.options))
            entries.append((product_id, m, chosen, None))
    return specs, entries


def dashboard_session(store: Any, lib: Any, products: int, members: int, seed: int) -> dict[str, Any]:
    """The dashboard's council: ``members`` scoring members and a secretary, every card submitted."""
    from ocop_scoring.model import MemberSpec, ProductSpec
    from ocop_scoring.store import OPERATOR

    sheets = lib.sheets_of(RULESET)
    store.create_session(DASHBOARD_SESSION, "Hội đồng thử tải (bảng điều khiển)", lib)
    ids = [f"TV{i:02d}" for i in range(1, members + 1)]
    specs = [MemberSpec(m, f"Thành viên {i}", "chair" if i == 1 else "member") for i, m in enumerate(ids, 1)]
    store.add_members(DASHBOARD_SESSION, [*specs, MemberSpec("TK", "Thư ký", "secretary")])
    product_specs, entries = dashboard_cards(sheets, products, ids, seed)
    store.add_products(
        DASHBOARD_SESSION, [ProductSpec(pid, f"Sản phẩm {pid}", sheet_id) for pid, sheet_id in product_specs]
    )
    batch = ENTER_BATCH * members
    for start in range(0, len(entries), batch):
        store.enter_cards(DASHBOARD_SESSION, OPERATOR, entries[start : start + batch], submit=True)
    ticks = sum(len(e[2]) for e in entries)
    return {"cards": len(entries), "ticks": ticks, "transactions": -(-len(entries) // batch)}


# --- the concurrent writers ----------------------------------------------------------------------


def concurrent_run(
    mode: str,
    load: str,
    folder: Path,
    db: str,
    writers: list[dict[str, str]],
    targets: list[list[Any]],
    saves: int,
    seed: int,
    pycache: Path,
    poll: Callable[[], Any] | None = None,
) -> dict[str, Any]:
    """Start one writer process per member, release them together, collect their timings.

    Every child is killed and reaped on the way out, whatever happens (an error, Ctrl-C, SIGTERM;
    on SIGKILL of the benchmark the children die with it, see the worker). ``poll``, if given, is
    called about once a second while the writers run (the dashboard's poll), and timed.
    """
    folder.mkdir(parents=True)
    plan = {
        "mode": mode,
        "db": db,
        "session_id": WRITERS_SESSION,
        "writers": writers,
        "targets": targets,
        "saves": saves,
        "pace": list(PACE_S) if load == "paced" else None,
        "seed": seed,
        "folder": str(folder),
        "parent_pid": os.getpid(),
    }
    plan_path = folder / "plan.json"
    plan_path.write_text(json.dumps(plan), encoding="utf-8")
    env = child_env(pycache)
    procs: list[subprocess.Popen[bytes]] = []
    logs = []
    polls: list[float] = []
    previous = signal.signal(signal.SIGTERM, _terminated)  # so that the finally below runs on SIGTERM too
    try:
        for i in range(len(writers)):
            log = open(folder / f"stderr-{i}.txt", "wb")  # noqa: SIM115 - closed below
            logs.append(log)
            cmd = [sys.executable, str(WORKER), str(plan_path), str(i)]
            procs.append(subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=log, stderr=log, cwd=REPO, env=env))
        deadline = time.monotonic() + READY_TIMEOUT_S
        while not all((folder / f"ready-{i}").exists() for i in range(len(writers))):
            failed = [i for i, p in enumerate(procs) if p.poll() is not None]
            if failed or time.monotonic() > deadline:
                raise AssertionError(f"{mode} writers not ready: {_failure(folder, failed or range(len(writers)))}")
            time.sleep(0.02)
        time.sleep(0.2)  # every writer is now polling for the go file
        (folder / "go").touch()
        deadline = time.monotonic() + RUN_TIMEOUT_S
        next_poll = time.monotonic() + 1.0
        while any(p.poll() is None for p in procs):
            if time.monotonic() > deadline:
                raise AssertionError(f"{mode} {load} run did not finish in {RUN_TIMEOUT_S:.0f} s")
            if poll is not None and time.monotonic() >= next_poll:
                t = time.perf_counter()
                poll()
                polls.append(time.perf_counter() - t)
                next_poll += 1.0
            time.sleep(0.01)
        codes = [p.returncode for p in procs]
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
        for p in procs:
            try:
                p.wait(timeout=30)
            except subprocess.TimeoutExpired:  # pragma: no cover - a child that ignores SIGKILL
                _log(f"writer process {p.pid} did not exit")
        for log in logs:
            log.close()
        signal.signal(signal.SIGTERM, previous)
    outs = []
    for i, code in enumerate(codes):
        path = folder / f"out-{i}.json"
        out = json.loads(path.read_text(encoding="utf-8")) if path.exists() else None
        if code != 0 or out is None or out.get("error"):
            raise AssertionError(f"{mode} {load} writer {i} failed (exit {code}): {_failure(folder, [i])}")
        if len(out["latencies"]) != saves or len(out["acks"]) != saves + 1:
            raise AssertionError(f"{mode} {load} writer {i}: {len(out['latencies'])} timed saves, expected {saves}")
        outs.append(out)
    latencies = [x for out in outs for x in out["latencies"]]
    span = max(o["end"] for o in outs) - min(o["start"] for o in outs)
    return {
        "outs": outs,
        "latencies": latencies,
        "median": statistics.median(latencies),
        "p95": percentile(latencies, 95),
        "p99": percentile(latencies, 99),
        "max": max(latencies),
        "span_s": span,
        "throughput": len(latencies) / span,
        "cpu_per_save_s": sum(o["cpu_s"] for o in outs) / len(latencies),
        "polls": polls,
    }


def _terminated(signum: int, _frame: Any) -> None:
    raise SystemExit(128 + signum)


def _failure(folder: Path, indices: Any) -> str:
    """What the failed writers said (their error, else their stderr), shortened."""
    parts = []
    for i in list(indices)[:3]:
        out = folder / f"out-{i}.json"
        text = ""
        if out.exists():
            text = json.loads(out.read_text(encoding="utf-8")).get("error") or ""
        if not text and (folder / f"stderr-{i}.txt").exists():
            text = (folder / f"stderr-{i}.txt").read_text(encoding="utf-8", errors="replace")
        parts.append(f"writer {i}: {text.strip()[-1500:] or '(no output)'}")
    return "\n".join(parts)


def expected_cards(outs: list[dict[str, Any]]) -> dict[tuple[str, str, str], int]:
    """(member, product, criterion) -> the last acknowledged option."""
    final: dict[tuple[str, str, str], int] = {}
    for out in outs:
        for product_id, criterion, option in out["acks"]:
            final[(out["member_id"], product_id, criterion)] = option
    return final


def check_store(store: Any, run: dict[str, Any], head_before: int, load: str) -> str:
    """Every acknowledged save is in the store, nothing else was written, and verify passes."""
    acked = sum(len(o["acks"]) for o in run["outs"])
    head = store.data_version(WRITERS_SESSION)
    if head != head_before + acked:
        raise AssertionError(
            f"{load}: the audit chain grew by {head - head_before} entries for {acked} acknowledged saves"
        )
    state = store.state(WRITERS_SESSION)
    wrong = []
    expected = expected_cards(run["outs"])
    for (member_id, product_id, criterion), option in expected.items():
        card = state.card(product_id, member_id)
        got = dict(card.choices).get(criterion) if card else None
        if got != option:
            wrong.append(f"{member_id} {product_id} {criterion}: saved {option}, store has {got}")
    ticked = sum(len(c.choices) for c in state.cards)
    if ticked != len(expected):
        wrong.append(f"the cards hold {ticked} ticks, the writers acknowledged {len(expected)} distinct ones")
    if wrong:
        raise AssertionError(f"{load}: acknowledged saves missing or wrong:\n  " + "\n  ".join(wrong[:5]))
    report = store.verify(WRITERS_SESSION)
    if not report.ok:
        raise AssertionError(f"{load}: verify failed: {report.problems[:5]}")
    return f"{acked} acknowledged saves all in the store, audit chain +{acked}, verify ok ({report.entries} entries)"


def check_sqlite(path: Path, run: dict[str, Any], load: str) -> None:
    """The baseline's table holds exactly the last acknowledged option of every (member, product, criterion)."""
    expected = expected_cards(run["outs"])
    conn = sqlite3.connect(path)
    try:
        rows = conn.execute("SELECT member_id, product_id, criterion, option FROM bench_ticks").fetchall()
    finally:
        conn.close()
    got = {(m, p, c): o for m, p, c, o in rows}
    if got != expected:
        raise AssertionError(f"baseline {load}: {len(got)} rows, expected {len(expected)} acknowledged")


def sqlite_baseline_file(path: Path) -> None:
    """The baseline's file: the store's pragmas, one table keyed like a tick."""
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute(
            "CREATE TABLE bench_ticks (member_id TEXT NOT NULL, product_id TEXT NOT NULL, criterion TEXT NOT NULL,"
            " option INTEGER NOT NULL, PRIMARY KEY (member_id, product_id, criterion))"
        )
    finally:
        conn.close()


# --- the benchmark -------------------------------------------------------------------------------


_FIRST_READS_CHILD = """\
import json, sys, time
from ocop_scoring.store import SessionStore
store = SessionStore(sys.argv[1], create=False)
t0 = time.perf_counter()
store.state(sys.argv[2])
t1 = time.perf_counter()
store.results(sys.argv[2])
t2 = time.perf_counter()
print(json.dumps({"state_s": t1 - t0, "results_s": t2 - t1}))
"""


def run(args: argparse.Namespace) -> dict[str, Any]:
    """Build the sessions, run the writers, time the reads, check every acknowledged save."""
    from ocop_scoring.criteria_io import load_library

    own = _own_defaults(args)
    products, members = own["products"], own["members"]
    writers, saves = max(1, args.writers), max(1, args.saves)
    repeat = max(1, args.repeat)
    seed = getattr(args, "seed", 2026)
    info: dict[str, Any] = {
        "writers": writers,
        "saves_per_writer": saves,
        "products": products,
        "members": members,
        "repeat": repeat,
        "seed": seed,
        "sqlite": sqlite3.sqlite_version,
        # other work on the machine shows in the tails first: the 1-minute load average at the start
        "load_average_before": round(os.getloadavg()[0], 2),
    }
    lib = load_library()
    figures: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="ocop-bench-store-") as tmp:
        root = Path(tmp)
        pycache = root / "pycache"
        figures += _writers(lib, root, pycache, writers, saves, seed, info)
        figures += _reads(lib, root, pycache, products, members, repeat, seed, info)
    return {"figures": figures, "info": info}


def _writers(
    lib: Any, root: Path, pycache: Path, writers: int, saves: int, seed: int, info: dict[str, Any]
) -> list[dict[str, Any]]:
    """The four concurrent runs (ours / baseline x saturated / paced), each on a fresh file."""
    from ocop_scoring.store import SessionStore

    results: dict[tuple[str, str], dict[str, Any]] = {}
    checks: dict[str, str] = {}
    for load in ("saturated", "paced"):
        # ours
        path = root / f"store-{load}.sqlite"
        store = SessionStore(path)
        tokens, targets = writers_session(store, lib, writers)
        head = store.data_version(WRITERS_SESSION)
        _log(f"{writers} writers x {saves} saves, {load}, SessionStore.tick …")
        poll = (lambda s=store: s.data_version(WRITERS_SESSION)) if load == "paced" else None
        run = concurrent_run(
            "store", load, root / f"run-store-{load}", str(path), tokens, targets, saves, seed, pycache, poll
        )
        checks[load] = check_store(store, run, head, load)
        store.close()
        results[("store", load)] = run
        # the baseline
        base = root / f"baseline-{load}.sqlite"
        sqlite_baseline_file(base)
        _log(f"{writers} writers x {saves} saves, {load}, bare sqlite3 …")
        run = concurrent_run(
            "sqlite", load, root / f"run-sqlite-{load}", str(base), tokens, targets, saves, seed, pycache
        )
        check_sqlite(base, run, load)
        results[("sqlite", load)] = run

    info["correctness"] = "; ".join(f"{load}: {text}" for load, text in checks.items())
    info["writers_session"] = (
        f"{writers} scoring members + a secretary, {WRITER_PRODUCTS} products, one store file per run"
    )
    info["pace_s"] = list(PACE_S)
    info["latency_ms"] = {
        f"{mode}_{load}": {
            "median": round(r["median"] * 1000, 2),
            "p95": round(r["p95"] * 1000, 2),
            "p99": round(r["p99"] * 1000, 2),
            "max": round(r["max"] * 1000, 2),
            "mean": round(statistics.fmean(r["latencies"]) * 1000, 2),
            "cpu_per_save": round(r["cpu_per_save_s"] * 1000, 2),
            "throughput_per_s": round(r["throughput"], 1),
            "span_s": round(r["span_s"], 2),
        }
        for (mode, load), r in results.items()
    }
    info["samples_ms"] = {
        f"{mode}_{load}": [round(x * 1000, 3) for x in r["latencies"]] for (mode, load), r in results.items()
    }
    polls = results[("store", "paced")]["polls"]
    info["data_version_during_paced_ms"] = [round(x * 1000, 2) for x in polls]

    figures: list[dict[str, Any]] = []
    for load in ("paced", "saturated"):
        ours, base = results[("store", load)], results[("sqlite", load)]
        what = "random 50–150 ms pause before each tick" if load == "paced" else "back to back"
        target = TARGETS["save_median_s"] if load == "paced" else None
        figures += [
            fig(
                f"save_{load}_median_s",
                f"one save, {writers} writers, {load} ({what}): median",
                ours["median"],
                "s",
                target,
            ),
            fig(f"save_{load}_p95_s", "… p95", ours["p95"], "s"),
            fig(f"save_{load}_mean_s", "… mean", statistics.fmean(ours["latencies"]), "s"),
            fig(f"save_{load}_p99_s", "… p99", ours["p99"], "s"),
            fig(f"save_{load}_max_s", "… slowest", ours["max"], "s"),
            fig(f"save_{load}_throughput", "… throughput, all writers", ours["throughput"], "saves/s"),
            fig(f"baseline_{load}_median_s", f"baseline bare sqlite3 save, {load}: median", base["median"], "s"),
            fig(f"baseline_{load}_p95_s", "… p95", base["p95"], "s"),
            fig(f"baseline_{load}_mean_s", "… mean", statistics.fmean(base["latencies"]), "s"),
            fig(f"baseline_{load}_p99_s", "… p99", base["p99"], "s"),
            fig(f"baseline_{load}_max_s", "… slowest", base["max"], "s"),
            fig(f"baseline_{load}_throughput", "… throughput, all writers", base["throughput"], "saves/s"),
            fig(f"save_{load}_ratio", f"median ours / baseline, {load}", ours["median"] / base["median"], "x"),
        ]
    if polls:
        figures.append(
            fig(
                "data_version_under_load_s",
                "data_version() during the paced writers (1/s), median",
                statistics.median(polls),
                "s",
            )
        )
    return figures


def _reads(
    lib: Any,
    root: Path,
    pycache: Path,
    products: int,
    members: int,
    repeat: int,
    seed: int,
    info: dict[str, Any],
) -> list[dict[str, Any]]:
    """state(), results(), data_version() on the dashboard's session; the bare SELECT baseline."""
    from ocop_scoring.store import SessionStore

    path = root / "dashboard.sqlite"
    _log(f"building the dashboard session: {products} products x {members} members, every card submitted …")
    t = time.perf_counter()
    with SessionStore(path) as store:
        built = dashboard_session(store, lib, products, members, seed)
        report = store.verify(DASHBOARD_SESSION)
        if not report.ok:
            raise AssertionError(f"dashboard session: verify failed: {report.problems[:5]}")
        # what the dashboard shows must come back complete
        state = store.state(DASHBOARD_SESSION)
        result = store.results(DASHBOARD_SESSION)
        if len(state.cards) != products * members or len(result) != products:
            raise AssertionError(
                f"dashboard session: {len(state.cards)} cards, {len(result)} results for {products} x {members}"
            )
        stars = {s: sum(1 for r in result if r.stars == s) for s in range(0, 6)}
    info["dashboard_build_s"] = round(time.perf_counter() - t, 1)
    info["dashboard_session"] = (
        f"{products} products over {len(lib.sheets_of(RULESET))} sheets, {members} scoring members + a secretary, "
        f"{built['cards']} submitted cards ({built['ticks']:,} ticks) entered in {built['transactions']} transactions"
    )
    info["dashboard_stars"] = {f"{k}★": v for k, v in stars.items() if v}
    info["dashboard_file_mib"] = round(path.stat().st_size / 2**20, 1)

    def fresh() -> Any:
        return SessionStore(path, create=False)

    def timed_on_fresh(method: str) -> tuple[float, list[float]]:
        stores: list[Any] = []

        def setup() -> Any:
            store = fresh()
            stores.append(store)
            return store

        try:
            return median_time_on(lambda s: getattr(s, method)(DASHBOARD_SESSION), repeat, setup)
        finally:
            for s in stores:
                s.close()

    _log("state() and results() on fresh store objects …")
    state_s, state_all = timed_on_fresh("state")
    results_s, results_all = timed_on_fresh("results")
    with fresh() as store:
        store.state(DASHBOARD_SESSION)
        store.results(DASHBOARD_SESSION)
        state_warm, _ = median_time(lambda: store.state(DASHBOARD_SESSION), repeat)
        results_warm, _ = median_time(lambda: store.results(DASHBOARD_SESSION), repeat)
        poll_s, poll_all = median_time(lambda: store.data_version(DASHBOARD_SESSION), max(51, repeat))

    def bare_select() -> int:
        conn = sqlite3.connect(path)
        try:
            return len(conn.execute("SELECT * FROM ocop_cards WHERE session_id = ?", (DASHBOARD_SESSION,)).fetchall())
        finally:
            conn.close()

    if bare_select() != products * members:
        raise AssertionError("the bare SELECT does not return every card")
    base_s, base_all = median_time(bare_select, max(11, repeat))

    _log("state() and results() in a new process (first calls) …")
    out = subprocess.run(
        [sys.executable, "-c", _FIRST_READS_CHILD, str(path), DASHBOARD_SESSION],
        capture_output=True,
        text=True,
        cwd=REPO,
        env=child_env(pycache),
        timeout=300,
        check=False,
    )
    if out.returncode != 0:
        raise AssertionError(f"first reads in a new process failed: {out.stderr.strip()[-2000:]}")
    first = json.loads(out.stdout)

    info["read_samples_ms"] = {
        "state_fresh": [round(x * 1000, 2) for x in state_all],
        "results_fresh": [round(x * 1000, 2) for x in results_all],
        "bare_select": [round(x * 1000, 3) for x in base_all],
        "data_version": [round(x * 1000, 3) for x in poll_all],
    }
    size = f"{products}×{members}"
    return [
        fig("state_s", f"state(), {size}, fresh store object: median", state_s, "s", TARGETS["state_s"]),
        fig("state_warm_s", "… again on the same object (dashboard kernel)", state_warm, "s"),
        fig("results_s", f"results() (state + scoring), {size}, fresh object", results_s, "s", TARGETS["results_s"]),
        fig("results_warm_s", "… again on the same object (dashboard kernel)", results_warm, "s"),
        fig("baseline_select_s", "baseline bare sqlite3 SELECT * FROM ocop_cards", base_s, "s"),
        fig("state_ratio", "state() / baseline", state_s / base_s, "x"),
        fig("results_ratio", "results() / baseline", results_s / base_s, "x"),
        fig("state_first_s", "state(), first call in a new process", first["state_s"], "s"),
        fig(
            "results_first_s",
            "results(), first call in a new process (parses the pinned sheets)",
            first["results_s"],
            "s",
        ),
        fig("data_version_s", "data_version() (the dashboard's 1 s poll): median", poll_s, "s"),
    ]
