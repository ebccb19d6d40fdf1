"""Nothing lost: concurrent writers, a writer killed mid-transaction, hostile import files (real processes)."""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
import unicodedata
import zipfile
from pathlib import Path

import pytest

from ocop_scoring.model import MemberSpec, ProductSpec
from ocop_scoring.store import SessionStore
from ocop_scoring.store.session_file import dumps
from tests.conftest import REPO

WRITER = Path(__file__).parent / "workers" / "store_writer.py"
ENV = {**os.environ, "PYTHONPATH": str(REPO)}


def council(store: SessionStore, library, members: int, products: int = 10) -> str:
    sid = "rel"
    store.create_session(sid, "Hội đồng thử tải", library)
    store.add_members(
        sid,
        [MemberSpec(f"TV{i:02d}", f"Thành viên {i}", "chair" if i == 1 else "member") for i in range(1, members + 1)],
    )
    store.add_products(sid, [ProductSpec(f"P{i:02d}", f"Sản phẩm {i}", "qd26-2026-01") for i in range(1, products + 1)])
    return sid


def acks(path: Path) -> tuple[list[tuple[str, str, int]], list[str]]:
    saves, errors = [], []
    if path.exists():
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.startswith("ERROR"):
                errors.append(line)
            elif line.strip():
                p, c, o = line.split()
                saves.append((p, c, int(o)))
    return saves, errors


@pytest.mark.slow
def test_fifteen_concurrent_writers_lose_nothing(store_url, library, tmp_path):
    """15 processes x 200 saves at once: every acknowledged save is there, no 'database is locked' reaches a caller."""
    store = SessionStore(store_url)
    sid = council(store, library, 15)
    tokens = {m.member_id: m.token for m in store.state(sid).members}
    go = tmp_path / "go"
    procs = {}
    for member, token in tokens.items():
        ack = tmp_path / f"{member}.ack"
        procs[member] = (
            subprocess.Popen([sys.executable, str(WRITER), store_url, sid, token, "200", str(ack), str(go)], env=ENV),
            ack,
        )
    time.sleep(3)  # let every writer import and connect
    go.touch()
    codes = {m: p.wait(timeout=600) for m, (p, _) in procs.items()}

    state = store.state(sid)
    total = 0
    for member, (_, ack) in procs.items():
        saves, errors = acks(ack)
        assert errors == [], errors[:1]
        assert len(saves) == 200
        final = {}
        for p, c, o in saves:
            final[(p, c)] = o
        for (p, c), o in final.items():
            assert dict(state.card(p, member).choices)[c] == o
        total += len(saves)
    assert codes == dict.fromkeys(tokens, 0)
    assert total == 3000
    assert len(store.audit_log(sid)) == 1 + 15 + 10 + 3000
    assert store.verify(sid).ok


@pytest.mark.slow
def test_writer_killed_mid_transaction(store_url, library, tmp_path):
    """SIGKILL inside a transaction: the store opens, integrity is ok, every acknowledged save is there, verify passes."""
    store = SessionStore(store_url)
    sid = council(store, library, 3)
    token = store.state(sid).members[1].token
    go = tmp_path / "go"
    go.touch()
    rng = random.Random(7)
    all_saves = []
    for attempt in range(3):
        ack = tmp_path / f"kill{attempt}.ack"
        in_tx = Path(str(ack) + ".in-tx")
        proc = subprocess.Popen(
            [sys.executable, str(WRITER), store_url, sid, token, "100000", str(ack), str(go), "--slow-tx", "0.05"],
            env=ENV,
        )
        deadline = time.monotonic() + 60
        while len(acks(ack)[0]) < 10 + attempt * 5 and time.monotonic() < deadline:
            time.sleep(0.02)
        # kill while the writer sleeps inside a transaction (after its card write, before its commit)
        mark = in_tx.stat().st_mtime if in_tx.exists() else 0
        while (not in_tx.exists() or in_tx.stat().st_mtime == mark) and time.monotonic() < deadline:
            time.sleep(0.001)
        time.sleep(rng.uniform(0.005, 0.03))
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
        saves, errors = acks(ack)
        assert errors == []
        assert len(saves) >= 10
        all_saves.extend(saves)

    reopened = SessionStore(store_url)
    if store_url.endswith(".sqlite"):
        with sqlite3.connect(store_url) as raw:
            assert raw.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    card_choices = {}
    state = reopened.state(sid)
    member = state.members[1].member_id
    final = {}
    for p, c, o in all_saves:
        final[(p, c)] = o
    for (p, c), o in final.items():
        card_choices.setdefault(p, dict(state.card(p, member).choices))
        assert card_choices[p][c] == o
    report = reopened.verify(sid)
    assert report.ok, report.problems
    # each killed transaction left nothing behind: every tick in the log was acknowledged or was the last one in flight
    ticks = [e for e in reopened.audit_log(sid) if e.action == "tick"]
    assert len(all_saves) <= len(ticks) <= len(all_saves) + 3


def _ocop(*args, cwd=REPO):
    return subprocess.run(
        [sys.executable, "-m", "ocop_scoring.cli", *args], capture_output=True, text=True, env=ENV, cwd=cwd, timeout=120
    )


HOSTILE_PRODUCTS = {
    "garbage.csv": os.urandom(4000),
    "garbage.xlsx": os.urandom(4000),
    "latin1.csv": unicodedata.normalize("NFD", "Mã sản phẩm,Tên sản phẩm,Bộ tiêu chí\nSP01,Bưởi da xanh,1\n").encode(
        "cp1258", "replace"
    ),
    "formula.csv": 'Mã sản phẩm,Tên sản phẩm,Bộ tiêu chí\nSP01,=HYPERLINK("http://x"),1\n'.encode(),
    "huge-cell.csv": ("Mã sản phẩm,Tên sản phẩm,Bộ tiêu chí\nSP01," + "A" * (10 * 1024 * 1024) + ",1\n").encode(),
    "duplicate.csv": "Mã sản phẩm,Tên sản phẩm,Bộ tiêu chí\nSP01,Bưởi,1\nSP01,Xoài,1\n".encode(),
    "unknown-sheet.csv": "Mã sản phẩm,Tên sản phẩm,Bộ tiêu chí\nSP01,Bưởi,27\n".encode(),
    "empty.csv": b"",
}


@pytest.mark.parametrize("name", sorted([*HOSTILE_PRODUCTS, "truncated.xlsx", "formula.xlsx"]))
def test_hostile_import_files_change_nothing(name, store_url, library, tmp_path):
    """Garbage, truncated, mis-encoded, formula, 10 MB-cell and duplicate files: exit 2, a clear message, the store unchanged."""
    store = SessionStore(store_url)
    sid = council(store, library, 3, products=2)
    before = dumps(store.export_session(sid))
    path = tmp_path / name
    if name == "truncated.xlsx":
        good = REPO / "examples" / "products.xlsx"
        data = good.read_bytes()
        path.write_bytes(data[: len(data) // 2])
    elif name == "formula.xlsx":
        import openpyxl

        wb = openpyxl.Workbook()
        ws = wb.active
        ws.append(["Mã sản phẩm", "Tên sản phẩm", "Bộ tiêu chí"])
        ws.append(["SP09", "=1+1", 1])
        wb.save(path)
    else:
        path.write_bytes(HOSTILE_PRODUCTS[name])

    out = _ocop("session", "import-products", sid, str(path), "--store", store_url)

    assert out.returncode == 2, out.stdout + out.stderr
    assert "Traceback" not in out.stderr
    assert str(path) in out.stderr
    assert len(out.stderr) < 5000  # a 10 MB cell is not echoed back
    assert dumps(store.export_session(sid)) == before


def test_hostile_scores_and_session_files_change_nothing(store_url, library, tmp_path):
    """A truncated scores CSV, a scores CSV for unknown products, and a tampered session file: refused, nothing written."""
    store = SessionStore(store_url)
    sid = council(store, library, 3, products=2)
    before = dumps(store.export_session(sid))
    truncated = tmp_path / "scores.csv"
    truncated.write_text(
        "product_id,sheet_id,member_id,criterion,option\nP01,qd26-2026-01,TV01,1.1,3\nP01,qd26-2026-01,TV0",
        encoding="utf-8",
    )
    doc_path = tmp_path / "session.json"
    doc_path.write_bytes(
        dumps(store.export_session(sid)).replace(b'"Th\xc3\xa0nh vi\xc3\xaan 2"', b'"Th\xc3\xa0nh vi\xc3\xaan X"')
    )
    zipped = tmp_path / "bomb.xlsx"
    with zipfile.ZipFile(zipped, "w", compression=zipfile.ZIP_DEFLATED) as z:
        z.writestr("xl/worksheets/sheet1.xml", b"<" * (200 * 1024 * 1024))

    outs = [
        _ocop("session", "import-scores", sid, str(truncated), "--store", store_url),
        _ocop("session", "import-scores", sid, str(zipped), "--store", store_url),
        _ocop("session", "import", str(doc_path), "--store", str(tmp_path / "other.sqlite")),
    ]

    for out in outs:
        assert out.returncode == 2, out.stderr
        assert "Traceback" not in out.stderr
    assert "line 3" in outs[0].stderr
    assert "audit entry 3 (add_member" in outs[2].stderr and "edited after it was written" in outs[2].stderr
    assert dumps(store.export_session(sid)) == before
