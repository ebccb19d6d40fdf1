"""A council member's laptop, as a separate process: ticks its own cards and logs each acknowledged save.

Usage: python store_writer.py STORE_URL SESSION TOKEN COUNT ACK_FILE GO_FILE [--slow-tx SECONDS]

Waits for GO_FILE to exist (so that every writer starts together), then makes
COUNT saves, each a different (product, criterion) of its own cards, and
appends "product criterion option" to ACK_FILE (flushed and fsynced) only
after the store has returned. Any exception is written as "ERROR …" and the
process exits 1. With --slow-tx, every transaction sleeps inside, after its
card write and before its commit (to be killed mid-transaction).
"""

from __future__ import annotations

import os
import sys
import time
import traceback


def main(argv: list[str]) -> int:
    url, session_id, token, count, ack_path, go_path = argv[1:7]
    slow = float(argv[argv.index("--slow-tx") + 1]) if "--slow-tx" in argv else 0.0
    from sqlalchemy import event

    from ocop_scoring.store import SessionStore

    store = SessionStore(url)
    if slow:

        @event.listens_for(store.engine, "after_cursor_execute")
        def _linger(conn, cursor, statement, parameters, context, executemany):
            if statement.lstrip().upper().startswith(("UPDATE OCOP_CARDS", "INSERT INTO OCOP_CARDS")):
                with open(ack_path + ".in-tx", "w") as f:
                    f.write(str(time.time()))
                time.sleep(slow)

    actor = store.actor_for_token(token, session_id)
    state = store.state(session_id)
    sheets = store.sheets(session_id)
    targets = [(p.product_id, leaf) for p in state.products for leaf in sheets[p.sheet_id].leaves]
    while not os.path.exists(go_path):
        time.sleep(0.005)
    with open(ack_path, "a", encoding="utf-8") as ack:
        try:
            for i in range(int(count)):
                product_id, leaf = targets[i % len(targets)]
                option = 1 + (i * 7 + len(actor.member_id)) % len(leaf.options)
                store.tick(session_id, actor, product_id, actor.member_id, leaf.code, option)
                ack.write(f"{product_id} {leaf.code} {option}\n")
                ack.flush()
                os.fsync(ack.fileno())
        except Exception:  # noqa: BLE001 - report anything to the parent test
            ack.write("ERROR " + traceback.format_exc().replace("\n", " | ") + "\n")
            ack.flush()
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
