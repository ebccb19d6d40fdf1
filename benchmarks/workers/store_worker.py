"""One council member's laptop for ``bench_store.py``: a separate process making timed saves.

Usage: python store_worker.py PLAN_JSON INDEX

``PLAN_JSON`` (written by the benchmark) names the mode, the database, the
targets and the files of the run; ``INDEX`` picks this writer's member and
token. The worker imports and connects, makes one warm-up save (untimed, but
acknowledged like the others), writes ``ready-INDEX``, then waits for the go
file so that every writer starts together. It then makes ``saves`` saves, each
on a different (product, criterion) of its own cards, timing each call with
``time.perf_counter()`` around the save alone; with ``pace`` it first sleeps a
random 50-150 ms (seeded). At the end it writes ``out-INDEX.json``: the
latencies, every acknowledged save, its start and end on the shared monotonic
clock, and its CPU time. Any exception is written there as ``error`` and the
process exits 1. The worker dies with the benchmark process (Linux ``PR_SET_PDEATHSIG``; elsewhere it
exits if its parent is gone before the start).

Modes:

* ``store``: ``SessionStore.tick(session, actor, product, member, criterion, option)``
  with the member's own token (the real path of a save).
* ``sqlite``: the bare minimum of a durable save on the same kind of file,
  with Python's ``sqlite3`` and the store's pragmas: ``BEGIN IMMEDIATE``;
  ``INSERT OR REPLACE`` one row; ``COMMIT``.
"""

from __future__ import annotations

import json
import os
import random
import sys
import time
import traceback
from pathlib import Path
from typing import Any

GO_TIMEOUT_S = 600.0


def option_for(save: int, writer: int, n_options: int) -> int:
    """The option a writer ticks on its ``save``-th save (varied, always valid)."""
    return 1 + (save * 7 + writer) % n_options


def die_with_parent() -> None:
    """Linux: be killed when the benchmark process dies, however it dies (prctl PR_SET_PDEATHSIG)."""
    try:
        import ctypes
        import signal

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, int(signal.SIGKILL), 0, 0, 0)  # 1 = PR_SET_PDEATHSIG
    except (OSError, AttributeError):  # not Linux: the getppid checks below still apply
        pass


def main(argv: list[str]) -> int:
    die_with_parent()
    plan: dict[str, Any] = json.loads(Path(argv[1]).read_text(encoding="utf-8"))
    index = int(argv[2])
    writer = plan["writers"][index]
    folder = Path(plan["folder"])
    out_path = folder / f"out-{index}.json"
    parent = int(plan["parent_pid"])
    if os.getppid() != parent:
        return 3  # the benchmark died before prctl took effect
    result: dict[str, Any] = {"index": index, "member_id": writer["member_id"], "error": None}
    try:
        save = _store_saver(plan, writer) if plan["mode"] == "store" else _sqlite_saver(plan, writer)
        targets = plan["targets"]
        acks: list[list[Any]] = []

        def one(i: int) -> float:
            product_id, criterion, n_options = targets[i % len(targets)]
            option = option_for(i, index, n_options)
            t = time.perf_counter()
            save(product_id, criterion, option)
            elapsed = time.perf_counter() - t
            acks.append([product_id, criterion, option])
            return elapsed

        result["warmup_s"] = one(0)  # first statements compiled, caches filled: untimed
        (folder / f"ready-{index}").touch()
        go = folder / "go"
        deadline = time.monotonic() + GO_TIMEOUT_S
        while not go.exists():
            if os.getppid() != parent or time.monotonic() > deadline:
                return 3  # the benchmark went away: do not linger
            time.sleep(0.002)
        pace = plan.get("pace")
        rng = random.Random(plan["seed"] * 1000 + index)
        latencies: list[float] = []
        cpu0 = time.process_time()
        result["start"] = time.monotonic()
        for i in range(1, plan["saves"] + 1):
            if pace:
                time.sleep(rng.uniform(pace[0], pace[1]))
            latencies.append(one(i))
        result["end"] = time.monotonic()
        result["cpu_s"] = time.process_time() - cpu0
        result["latencies"] = latencies
        result["acks"] = acks
        code = 0
    except Exception:  # noqa: BLE001 - report anything to the benchmark
        result["error"] = traceback.format_exc()
        code = 1
    tmp = out_path.with_suffix(".tmp")
    tmp.write_text(json.dumps(result), encoding="utf-8")
    tmp.replace(out_path)
    return code


def _store_saver(plan: dict[str, Any], writer: dict[str, Any]) -> Any:
    from ocop_scoring.store import SessionStore

    store = SessionStore(plan["db"], create=False)
    session_id = plan["session_id"]
    actor = store.actor_for_token(writer["token"], session_id)
    member_id = actor.member_id
    # what the member's form loads before its first tick: the session and its sheets
    store.state(session_id)
    store.sheets(session_id)

    def save(product_id: str, criterion: str, option: int) -> None:
        store.tick(session_id, actor, product_id, member_id, criterion, option)

    return save


def _sqlite_saver(plan: dict[str, Any], writer: dict[str, Any]) -> Any:
    import sqlite3

    conn = sqlite3.connect(plan["db"], timeout=30, isolation_level=None)
    conn.execute("PRAGMA busy_timeout = 30000")
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = FULL")
    member_id = writer["member_id"]
    sql = "INSERT OR REPLACE INTO bench_ticks (member_id, product_id, criterion, option) VALUES (?, ?, ?, ?)"

    def save(product_id: str, criterion: str, option: int) -> None:
        conn.execute("BEGIN IMMEDIATE")
        conn.execute(sql, (member_id, product_id, criterion, option))
        conn.execute("COMMIT")

    return save


if __name__ == "__main__":
    sys.exit(main(sys.argv))
