"""Browser benchmark: the council pages in Debian's Chromium against a real ``ocop serve``, and a plain Voilà baseline.

Measured in one run (benchmarks/README.md, section "browser", explains each figure):

1. the member form's time to interactive: a first visit (fresh browser context, empty cache, a
   preheated kernel waiting) and a second visit in the same context (the browser's cache, the pool
   refilled first);
2. switching product inside the form;
3. a tick (a click on an option's label) to the updated total, timed in the page;
4. a tick to "saved": the page's status line (in-page clock), and the card's choice seen through
   ``SessionStore`` polled from this process;
5. 12 members opening their links at the same moment (12 concurrent ``urllib`` GETs, the pages
   rendered server-side), while one more member opens theirs in Chromium;
6. the projector dashboard showing a card submitted from this process;
7. the memory of a member page's kernel (RSS and USS).

Every figure has a baseline measured in the same run: a plain Voilà notebook with a comparable
ipywidgets form (30 RadioButtons of 3-5 options, a Dropdown, a Button, an HTML total, ticks saved
to SQLite, a board polled once a second), served by ``python -m voila`` without and with
``--preheat_kernel=True --pool_size=1``.

Speed is never asserted; a page that never becomes ready, a kernel that does not start, or a
server that does not answer raises (the run exits 1). Every server, kernel and browser started
here is stopped on the way out, and any process left behind is reported (``info.leftovers``).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

from ocop_scoring.report import BROWSER_ARGS

REPO = Path(__file__).resolve().parent.parent
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = list(BROWSER_ARGS)  # as the browser tests
VIEWPORT = {"width": 1366, "height": 768}  # a member's laptop
PROJECTOR = {"width": 1920, "height": 1080}
MIB = 1024 * 1024
PAGE_TIMEOUT_S = 90.0
PROBE_TIMEOUT_S = 60.0  # the browser opening its link during the burst
FETCH_TIMEOUT_S = 60.0  # a burst's page that sends nothing for this long has hung (it is reported, not waited for)
IDLE_TIMEOUT_S = 240.0  # a pool of kernels pre-rendering on 2 cores
BURST_MEMBERS = 12  # members whose links are fetched at once by urllib
BURST_SESSION = "bench-burst"
DEFAULT_REPEAT = 5  # this benchmark's default of the shared --repeat (scoring and store use 7)

TARGETS = {
    "tti_first_s": 4.0,
    "tti_second_s": 2.0,
    "switch_s": 0.5,
    "tick_total_s": 0.150,
    "tick_saved_s": 0.150,
    "burst_all_s": 8.0,
    "dashboard_s": 1.5,
    "kernel_mib": 120.0,
}

OURS = {
    "total": ".ocop-total [data-total]",
    "radio": '.ocop-app [class*="ocop-crit-"] .widget-radio-box input[type=radio]',
    "picker": ".ocop-product-picker select",
    "product": '.ocop-total [data-product="{}"]',
    "status": ".ocop-status",
    "label": ".{} .widget-radio-box label",
    "saved": "Đã lưu {code} → phương án {n}",
}
PLAIN = {
    "total": ".b-total [data-total]",
    "radio": ".b-app .b-crit-1 .widget-radio-box input[type=radio]",
    "picker": ".b-product-picker select",
    "product": '.b-total [data-product="{}"]',
    "status": ".b-status",
    "label": ".{} .widget-radio-box label",
    "saved": "saved {code} → {n}",
}

# --- in-page timing (performance.now(); epochs are performance.timeOrigin + now, comparable to time.time()) ------

# Added to every page of a context before its scripts run: the moment the form is interactive
# (the total is shown and the first radio group is enabled), seen by a MutationObserver.
READY_INIT_JS = """(() => {
  const total = %(total)s, radio = %(radio)s;
  const check = () => {
    if (window.__ready !== undefined) return true;
    const t = document.querySelector(total), r = document.querySelector(radio);
    if (t && r && !r.disabled) {
      window.__ready = performance.now();
      window.__readyEpoch = performance.timeOrigin + window.__ready;
      return true;
    }
    return false;
  };
  const obs = new MutationObserver(() => { if (check()) obs.disconnect(); });
  obs.observe(document, {subtree: true, childList: true, attributes: true});
})();"""
# Where the time went on the way: navigation timing and the resources fetched (0 bytes = from the cache).
NAV_JS = """() => {
  const n = performance.getEntriesByType('navigation')[0] || {};
  const res = performance.getEntriesByType('resource');
  return {responseStart: n.responseStart, responseEnd: n.responseEnd,
          domContentLoaded: n.domContentLoadedEventEnd, load: n.loadEventEnd || null,
          resources: res.length, transferred: res.reduce((s, r) => s + (r.transferSize || 0), 0)
                                               + (n.transferSize || 0),
          scripts: res.filter(r => r.initiatorType === 'script').reduce((s, r) => s + r.duration, 0)};
}"""
ARM_SWITCH_JS = """([picker, shown]) => {
  const w = window;
  w.__switch = {t0: null, shown: null};
  document.querySelector(picker).addEventListener('change', () => { w.__switch.t0 = performance.now(); },
                                                  {capture: true, once: true});
  const obs = new MutationObserver(() => {
    if (w.__switch.shown === null && document.querySelector(shown)) { w.__switch.shown = performance.now(); obs.disconnect(); }
  });
  obs.observe(document.body, {subtree: true, childList: true, attributes: true});
}"""
ARM_TICK_JS = """([label, n, total, status, want, before]) => {
  const w = window;
  w.__tick = {t0: null, epoch: null, total: null, saved: null};
  const el = document.querySelectorAll(label)[n - 1];
  el.addEventListener('click', () => {
    if (w.__tick.t0 === null) { w.__tick.t0 = performance.now(); w.__tick.epoch = performance.timeOrigin + w.__tick.t0; }
  }, {capture: true, once: true});
  const obs = new MutationObserver(() => {
    const now = performance.now();
    const t = document.querySelector(total);
    if (w.__tick.total === null && t && t.dataset.total !== String(before)) w.__tick.total = now;
    const s = document.querySelector(status);
    if (w.__tick.saved === null && s && s.textContent.includes(want)) w.__tick.saved = now;
    if (w.__tick.total !== null && w.__tick.saved !== null) obs.disconnect();
  });
  obs.observe(document.body, {subtree: true, childList: true, attributes: true, characterData: true});
  w.__tickObs = obs;
}"""
READ_TICK_JS = """() => { window.__tickObs.disconnect(); const t = window.__tick;
  return {epoch: t.epoch, total: t.total === null ? null : t.total - t.t0, saved: t.saved === null ? null : t.saved - t.t0}; }"""
ARM_ROW_JS = """([row, mean]) => {
  const w = window;
  w.__row = null;
  const seen = () => { const r = document.querySelector(row); return r && r.dataset.mean === mean; };
  if (seen()) { w.__row = performance.timeOrigin + performance.now(); return; }
  const obs = new MutationObserver(() => {
    if (w.__row === null && seen()) { w.__row = performance.timeOrigin + performance.now(); obs.disconnect(); }
  });
  obs.observe(document.body, {subtree: true, childList: true, attributes: true});
}"""

# --- the baseline notebook -------------------------------------------------------------------------

PLAIN_CELLS = [
    """import asyncio, os, random, sqlite3
import ipywidgets as w

DB = os.environ["BASELINE_DB"]
rng = random.Random(26)
CRITERIA = []  # 30 criteria of 3-5 options, points rising with the option
for i in range(30):
    points = sorted(rng.sample(range(0, 6), rng.randint(3, 5)))
    CRITERIA.append((f"C{i + 1}", [f"Phương án {j + 1}: đạt mức {p} điểm" for j, p in enumerate(points)], points))
PRODUCTS = [f"P{i:02d}" for i in range(1, 11)]


def connect():
    con = sqlite3.connect(DB, timeout=30)
    con.execute("PRAGMA journal_mode=WAL")
    con.execute("PRAGMA synchronous=FULL")
    return con


with connect() as con:
    con.execute("CREATE TABLE IF NOT EXISTS ticks (product TEXT, criterion TEXT, option INT, PRIMARY KEY (product, criterion))")
    con.execute("CREATE TABLE IF NOT EXISTS cards (product TEXT, member TEXT, total INT, PRIMARY KEY (product, member))")""",
    """picker = w.Dropdown(options=PRODUCTS, value=PRODUCTS[0], description="Sản phẩm")
picker.add_class("b-product-picker")
radios = []
for i, (code, labels, points) in enumerate(CRITERIA):
    rb = w.RadioButtons(options=[(label, j + 1) for j, label in enumerate(labels)], value=None, description=code)
    rb.add_class(f"b-crit-{i + 1}")
    radios.append(rb)
total = w.HTML()
total.add_class("b-total")
status = w.HTML()
status.add_class("b-status")
submit = w.Button(description="Nộp phiếu", button_style="primary")
submit.add_class("b-submit")
board = w.HTML()
board.add_class("b-board")
loading = False


def current_total():
    return sum(points[rb.value - 1] for rb, (_, _, points) in zip(radios, CRITERIA) if rb.value is not None)


def show_total():
    s = current_total()
    total.value = f'<span data-total="{s}" data-product="{picker.value}">Tổng điểm: <b>{s}</b></span>'


def on_tick(change):
    if loading or change["new"] is None:
        return
    show_total()
    with connect() as con:
        con.execute("INSERT OR REPLACE INTO ticks VALUES (?, ?, ?)", (picker.value, change["owner"].description, change["new"]))
    con.close()
    status.value = f"<span>✔ saved {change['owner'].description} → {change['new']}</span>"


def load_product(product):
    global loading
    con = connect()
    chosen = dict(con.execute("SELECT criterion, option FROM ticks WHERE product = ?", (product,)).fetchall())
    con.close()
    loading = True
    try:
        for rb in radios:
            rb.value = chosen.get(rb.description)
    finally:
        loading = False
    show_total()
    status.value = ""


def on_submit(_):
    with connect() as con:
        con.execute("INSERT OR REPLACE INTO cards VALUES (?, ?, ?)", (picker.value, "M1", current_total()))
    con.close()
    status.value = "<span>✔ submitted</span>"


for rb in radios:
    rb.observe(on_tick, names="value")
picker.observe(lambda change: load_product(change["new"]), names="value")
submit.on_click(on_submit)
load_product(picker.value)""",
    """poll_con = connect()


def render_board():
    rows = dict(poll_con.execute("SELECT product, AVG(total) FROM cards GROUP BY product").fetchall())
    cells = "".join(
        f'<tr class="b-row-{p}" data-mean="{rows[p]:.2f}" ><td>{p}</td><td>{rows[p]:.2f}</td></tr>'
        if p in rows else f'<tr class="b-row-{p}" data-mean=""><td>{p}</td><td></td></tr>'
        for p in PRODUCTS
    )
    board.value = f"<table>{cells}</table>"


async def poll(interval=1.0):  # push only when the data changed
    last = None
    while True:
        version = poll_con.execute("PRAGMA data_version").fetchone()[0]
        if version != last:
            render_board()
            last = version
        await asyncio.sleep(interval)


poll_task = asyncio.get_event_loop().create_task(poll())
app = w.VBox([w.HTML("<h3>Phiếu chấm điểm (baseline)</h3>"), picker, *radios, total, status, submit, board])
app.add_class("b-app")
app""",
]


def write_plain_notebook(folder: Path) -> Path:
    """The baseline: a plain ipywidgets form in a notebook of its own."""
    import nbformat

    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(src) for src in PLAIN_CELLS]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "nb.ipynb"
    nbformat.write(nb, path)
    return path


# --- options ---------------------------------------------------------------------------------------


def add_arguments(parser: argparse._ArgumentGroup) -> None:
    """Options of this benchmark (``--repeat`` is shared with the others)."""
    parser.add_argument(
        "--repeat",
        type=int,
        default=7,
        help="timed repetitions, medians reported (browser: 5 unless given; scoring, store: 7)",
    )
    parser.add_argument(
        "--quick", action="store_true", help="browser: a short run (2 repetitions, 1 burst, fewer ticks)"
    )
    parser.add_argument(
        "--wait-quiet",
        type=float,
        default=0.0,
        metavar="S",
        help="browser: first wait up to S seconds for a quiet machine (load < 1.5, no other pytest/bench)",
    )


def _repeat(args: argparse.Namespace) -> int:
    """``--repeat`` from the command line if given there, else 5 (2 with ``--quick``)."""
    probe = argparse.ArgumentParser(add_help=False)
    probe.add_argument("--repeat", type=int, default=None)
    given, _ = probe.parse_known_args(sys.argv[1:])
    if given.repeat is not None:
        return max(1, given.repeat)
    return 2 if getattr(args, "quick", False) else DEFAULT_REPEAT


# --- helpers ---------------------------------------------------------------------------------------


def fig(
    name: str, label: str, value: float | int | None, unit: str, target: float | None = None, op: str = "<="
) -> dict[str, Any]:
    """One figure of the results table."""
    out: dict[str, Any] = {"name": name, "label": label, "value": value, "unit": unit}
    if target is not None:
        out["target"], out["op"] = target, op
    return out


_STARTED = time.monotonic()


def _log(message: str) -> None:
    print(f"[bench browser {time.monotonic() - _STARTED:4.0f} s] {message}", file=sys.stderr, flush=True)


def med(values: Sequence[float | None]) -> float | None:
    """Median of the values measured (None when there are none)."""
    vals = [v for v in values if v is not None]
    return round(statistics.median(vals), 4) if vals else None


def ratio(ours: float | None, base: float | None) -> float | None:
    return round(ours / base, 3) if ours is not None and base else None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_http(url: str, proc: subprocess.Popen[bytes], log: Path, timeout: float = 120.0) -> None:
    """Wait until the server answers ``url`` (raise with its log if it died or never answered)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}:\n{log.read_text(errors='replace')[-3000:]}")
        try:
            urllib.request.urlopen(url, timeout=2).read()
            return
        except urllib.error.HTTPError:
            return
        except OSError:
            time.sleep(0.2)
    raise TimeoutError(f"no answer at {url} after {timeout:.0f} s:\n{log.read_text(errors='replace')[-3000:]}")


def load_now() -> float:
    return round(os.getloadavg()[0], 2)


def busy_neighbours() -> list[str]:
    """Other pytest / benchmark processes on the machine (not this one nor its children)."""
    import psutil

    me = os.getpid()
    mine = {me, *(p.pid for p in psutil.Process(me).children(recursive=True))}
    found = []
    for p in psutil.process_iter(["pid", "cmdline"]):
        try:
            cmd = " ".join(p.info["cmdline"] or [])
        except psutil.Error:
            continue
        if p.info["pid"] in mine or not cmd:
            continue
        if re.search(r"\bpytest\b|benchmarks/run\.py|bench_\w+\.py|store_worker\.py", cmd):
            found.append(f"{p.info['pid']}: {cmd[:120]}")
    return found


def wait_quiet(seconds: float) -> dict[str, Any]:
    """Wait (up to ``seconds``) for a 1-minute load below 1.5 and no other pytest/bench; report what was seen."""
    deadline = time.monotonic() + seconds
    waited = 0.0
    while True:
        load, others = load_now(), busy_neighbours()
        if (load < 1.5 and not others) or time.monotonic() >= deadline:
            return {"load_1min": load, "other_test_processes": others, "waited_s": round(waited, 1)}
        _log(f"machine busy (load {load}, {len(others)} other test/bench processes): waiting")
        time.sleep(15)
        waited += 15


# --- servers ---------------------------------------------------------------------------------------


class Tracker:
    """Every process a server started (seen when listing its kernels): checked at the end for leftovers."""

    def __init__(self) -> None:
        self.seen: dict[int, float] = {}

    def note(self, procs: Sequence[Any]) -> None:
        for p in procs:
            with suppress(Exception):
                self.seen[p.pid] = p.create_time()

    def alive(self) -> list[Any]:
        import psutil

        out = []
        for pid, created in self.seen.items():
            with suppress(psutil.Error):
                p = psutil.Process(pid)
                if p.create_time() == created and p.status() != psutil.STATUS_ZOMBIE:
                    out.append(p)
        return out


TRACKER = Tracker()


class Server:
    """A running Voilà (``ocop serve`` or plain ``python -m voila``) and its kernels."""

    def __init__(self, name: str, proc: subprocess.Popen[bytes], base: str, log: Path, expected: int) -> None:
        self.name, self.proc, self.base, self.log = name, proc, base, log
        self.expected = expected  # kernels when every pool is full and no page is open

    def tree(self) -> list[Any]:
        """The server and all its descendants (alive, not zombies)."""
        import psutil

        try:
            root = psutil.Process(self.proc.pid)
            procs = [root, *root.children(recursive=True)]
        except psutil.Error:
            return []
        out = []
        for p in procs:
            with suppress(psutil.Error):
                if p.status() != psutil.STATUS_ZOMBIE:
                    out.append(p)
        TRACKER.note(out)
        return out

    def kernels(self) -> list[Any]:
        """The kernel processes (Voilà has no kernels REST API)."""
        out = []
        for p in self.tree():
            with suppress(Exception):
                if "ipykernel_launcher" in " ".join(p.cmdline()):
                    out.append(p)
        return out

    def kernel(self, kernel_id: str) -> Any:
        """The process of one kernel, by the id in its connection file's name."""
        for p in self.kernels():
            with suppress(Exception):
                if any(kernel_id in part for part in p.cmdline()):
                    return p
        raise RuntimeError(f"{self.name}: no kernel process for {kernel_id}")

    def shutdown_kernel(self, kernel_id: str) -> None:
        """Voilà's own shutdown endpoint (what a closed page's beacon calls)."""
        req = urllib.request.Request(f"{self.base}voila/api/shutdown/{kernel_id}", data=b"", method="POST")
        with suppress(urllib.error.URLError, OSError):
            urllib.request.urlopen(req, timeout=30).read()

    def warm_up(self, *urls: str) -> None:
        """Render each page once, untimed, and shut its kernel down: fills the bytecode cache."""
        for url in urls:
            body = urllib.request.urlopen(url, timeout=180).read().decode("utf-8", "replace")
            if kernel_id := _kernel_id_in(body):
                self.shutdown_kernel(kernel_id)

    def wait_idle(self, kernels: int | None = None, timeout: float = IDLE_TIMEOUT_S) -> int:
        """Wait until the server has ``kernels`` kernels (default: its pools full, no page open) and uses
        almost no CPU.

        A preheated pool is full when every kernel has pre-rendered its page: the kernels then
        wait (for a request) without using the CPU. Returns the number of kernels.
        """
        kernels = self.expected if kernels is None else kernels
        deadline = time.monotonic() + timeout
        quiet, last = 0, -1
        while time.monotonic() < deadline:
            procs = self.tree()
            before = _cpu(procs)
            time.sleep(0.5)
            used = (_cpu(procs) - before) / 0.5
            count = len(self.kernels())
            ok = (kernels is None or count == kernels) and count == last and used < 0.10
            quiet = quiet + 1 if ok else 0
            last = count
            if quiet >= 3:
                return count
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.name} exited:\n{self.log.read_text(errors='replace')[-3000:]}")
        raise TimeoutError(f"{self.name}: not idle with {kernels} kernels after {timeout:.0f} s (last: {last})")


def _kernel_id_in(html: str) -> str | None:
    """The kernel id in a rendered page's ``jupyter-config-data``."""
    m = re.search(r'"kernelId":\s*"([0-9a-f-]+)"', html)
    return m.group(1) if m else None


def _has_form(html: str) -> bool:
    """Whether a rendered page carries a widget view (the form); Voilà drops it when the kernel's
    output does not reach it in time (nbclient's iopub_timeout, 4 s)."""
    return "application/vnd.jupyter.widget-view+json" in html


def _cpu(procs: Sequence[Any]) -> float:
    total = 0.0
    for p in procs:
        with suppress(Exception):
            t = p.cpu_times()
            total += t.user + t.system
    return total


def server_env(tmp: Path, **extra: str) -> dict[str, str]:
    """A server's environment (its kernels inherit it), with a bytecode cache as on a normal installation.

    This sandbox sets PYTHONDONTWRITEBYTECODE and the venv holds no .pyc: without a cache every
    kernel would compile SQLAlchemy, ipywidgets… from source (about 1 CPU-second each, measured
    with py-spy), which no installation that has served a page once does. The cache is private
    to the run (PYTHONPYCACHEPREFIX) and filled by an untimed warm-up visit.
    """
    env = {**os.environ, "PYTHONUNBUFFERED": "1", **extra}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPYCACHEPREFIX"] = str(tmp / "pycache")
    return env


def ocop_pool_kernels(pool: int) -> int:
    """Kernels ``ocop serve`` keeps preheated: ``pool`` for member.ipynb, Voilà's default pool for every
    other notebook it finds (recursively), none for the denylisted ones (its own configuration)."""
    from ocop_scoring.serve import notebooks_dir, voila_config

    config = voila_config(pool=pool, cull_idle=900, cull_interval=180, preheat=True)["VoilaKernelManager"]
    pools, deny = config["kernel_pools_config"], set(config["preheat_denylist"])
    root = notebooks_dir()
    total = 0
    for path in root.rglob("*.ipynb"):
        name = str(path.relative_to(root))
        if ".ipynb_checkpoints" in name or name in deny:
            continue
        total += pools.get(name, pools["default"])["pool_size"]
    return total


def start_ocop(tmp: Path, name: str, store_url: str, *extra: str, pool: int, session: str | None = None) -> Server:
    """``ocop serve --demo`` (or ``ocop serve <session>``) on a free port; ``pool``: its member pool."""
    port = free_port()
    log = tmp / f"{name}.log"
    cmd = [sys.executable, "-m", "ocop_scoring.cli", "serve"]
    cmd += [session] if session else []
    cmd += ["--store", store_url, "--port", str(port), *extra]
    cmd += [] if session else ["--demo"]
    env = server_env(tmp)
    with log.open("wb") as out:
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, env=env, cwd=tmp, start_new_session=True)
    server = Server(name, proc, f"http://127.0.0.1:{port}/", log, ocop_pool_kernels(pool))
    try:
        wait_http(server.base + "voila/static/voila.js", proc, log)
    except BaseException:
        stop_server(server)
        raise
    return server


def start_plain(tmp: Path, name: str, notebook: Path, db: Path, *, preheat: bool) -> Server:
    """The baseline: ``python -m voila nb.ipynb`` with the usual flags (no browser, a fixed port)."""
    port = free_port()
    log = tmp / f"{name}.log"
    cmd = [sys.executable, "-m", "voila", notebook.name, "--no-browser", f"--port={port}", "--Voila.ip=127.0.0.1"]
    cmd += ["--Voila.tornado_settings", "disable_check_xsrf=True"]
    cmd += ["--preheat_kernel=True", "--pool_size=1"] if preheat else []
    env = server_env(tmp, BASELINE_DB=str(db))
    with log.open("wb") as out:
        proc = subprocess.Popen(
            cmd, stdout=out, stderr=subprocess.STDOUT, env=env, cwd=notebook.parent, start_new_session=True
        )
    server = Server(name, proc, f"http://127.0.0.1:{port}/", log, 1 if preheat else 0)
    try:
        wait_http(server.base + "voila/static/voila.js", proc, log)
    except BaseException:
        stop_server(server)
        raise
    return server


def stop_server(server: Server) -> None:
    """SIGTERM (Voilà ignores SIGINT when started in the background, VOILA_NOTES P7), wait, then SIGKILL.

    The kernels are stopped by Voilà itself; any of them still running after it exited is killed.
    """
    import psutil

    procs = server.tree()
    if server.proc.poll() is None:
        server.proc.send_signal(signal.SIGTERM)
        try:
            server.proc.wait(60)
        except subprocess.TimeoutExpired:
            _log(f"{server.name} did not stop in 60 s: SIGKILL")
            with suppress(OSError):
                os.killpg(server.proc.pid, signal.SIGKILL)
            server.proc.wait(10)
    rest = []
    for p in procs:
        with suppress(psutil.Error):
            if p.is_running() and p.status() != psutil.STATUS_ZOMBIE:
                rest.append(p)
    for p in rest:
        with suppress(psutil.Error):
            p.terminate()
    _gone, alive = psutil.wait_procs(rest, timeout=10)
    for p in alive:
        with suppress(psutil.Error):
            p.kill()


@contextmanager
def serving(start: Callable[[], Server]) -> Iterator[Server]:
    server = start()
    try:
        yield server
    finally:
        stop_server(server)


# --- the browser -----------------------------------------------------------------------------------


def new_context(browser: Any, sel: dict[str, str], viewport: dict[str, int] = VIEWPORT) -> Any:
    """A fresh context (empty cache) whose pages record when the form becomes interactive."""
    context = browser.new_context(viewport=viewport, locale="vi-VN")
    context.add_init_script(READY_INIT_JS % {"total": json.dumps(sel["total"]), "radio": json.dumps(sel["radio"])})
    return context


def visit(context: Any, url: str, timeout: float = PAGE_TIMEOUT_S) -> tuple[Any, dict[str, Any]]:
    """Open ``url`` in a new page and wait until the form is interactive.

    Time to interactive = the page's epoch at that moment minus ``time.time()`` just before ``goto``.
    """
    page = context.new_page()
    page.set_default_timeout(PAGE_TIMEOUT_S * 1000)
    started = time.time()
    response = page.goto(url, wait_until="commit")
    # the whole HTML arrived (a render that hung times out here), then: does it carry the form?
    page.wait_for_function("() => document.readyState !== 'loading'", polling=50, timeout=timeout * 1000)
    if response is not None and not _has_form(response.text()):
        raise NoForm(page)
    page.wait_for_function("() => window.__ready !== undefined", polling=50, timeout=timeout * 1000)
    seen = time.time()
    ready_epoch = page.evaluate("() => window.__readyEpoch") / 1000
    nav = page.evaluate(NAV_JS)
    tti = ready_epoch - started
    if not (0 < tti <= seen - started + 0.05):  # the two clocks must agree
        _log(f"clock check: page epoch {ready_epoch:.3f} outside [{started:.3f}, {seen:.3f}]; using the wall clock")
        tti = seen - started
    return page, {
        "tti_s": round(tti, 4),
        "in_page_s": round(page.evaluate("() => window.__ready") / 1000, 4),
        "html_end_s": round((nav.get("responseEnd") or 0) / 1000, 4),
        "dom_content_loaded_s": round((nav.get("domContentLoaded") or 0) / 1000, 4),
        "resources": nav.get("resources"),
        "transferred_kib": round((nav.get("transferred") or 0) / 1024, 1),
    }


class NoForm(Exception):
    """The page's HTML came without the form (its widget view): it will never become interactive."""

    def __init__(self, page: Any) -> None:
        super().__init__("the page was served without its form")
        self.page = page


def close_page(page: Any) -> None:
    """Close firing beforeunload: Voilà's beacon shuts the page's kernel down (VOILA_NOTES P4)."""
    with suppress(Exception):
        if not page.is_closed():
            page.close(run_before_unload=True)


def kernel_id_of(page: Any) -> str:
    return json.loads(page.locator("#jupyter-config-data").text_content())["kernelId"]


def memory(proc: Any) -> dict[str, float]:
    full = proc.memory_full_info()
    return {"rss_mib": round(full.rss / MIB, 1), "uss_mib": round(full.uss / MIB, 1)}


def switch(page: Any, sel: dict[str, str], index: int, product: str) -> float:
    """Pick the product at ``index`` in the form's select; seconds from its change event to the product shown."""
    shown = sel["product"].format(product)
    page.evaluate(ARM_SWITCH_JS, [sel["picker"], shown])
    page.locator(sel["picker"]).select_option(index=index)
    page.wait_for_selector(shown)
    page.wait_for_function("() => window.__switch.shown !== null && window.__switch.t0 !== null")
    return page.evaluate("() => (window.__switch.shown - window.__switch.t0) / 1000")


def tick(
    page: Any,
    sel: dict[str, str],
    group_class: str,
    code: str,
    number: int,
    before: int,
    expected: int,
    poll: Callable[[], bool] | None = None,
) -> dict[str, float | None]:
    """Click option ``number`` of a criterion; in-page seconds to the new total and to "saved".

    With ``poll`` (a function telling whether the store holds the choice), a thread of this
    process calls it in a tight loop from just before the click: ``stored_s`` is from the page's
    click event to the first poll that saw the choice (the two clocks are the same system clock).
    """
    want = sel["saved"].format(code=code, n=number)
    label = sel["label"].format(group_class)
    page.evaluate(ARM_TICK_JS, [label, number, sel["total"], sel["status"], want, before])
    seen: list[float] = []
    stop = threading.Event()

    def poller() -> None:
        while not stop.is_set():
            if poll():
                seen.append(time.time())
                return
            time.sleep(0.0005)

    thread = threading.Thread(target=poller, daemon=True) if poll else None
    if thread:
        thread.start()
    try:
        page.locator(label).nth(number - 1).click()
        if expected != before:
            page.wait_for_selector(f'{sel["total"].removesuffix("[data-total]")}[data-total="{expected}"]')
        page.wait_for_function(
            "([s, want]) => (document.querySelector(s) || {}).textContent?.includes(want)", arg=[sel["status"], want]
        )
        if thread:
            thread.join(10)
    finally:
        stop.set()
    got = page.evaluate(READ_TICK_JS)
    return {
        "total_s": got["total"] / 1000 if got["total"] is not None and expected != before else None,
        "saved_s": got["saved"] / 1000 if got["saved"] is not None else None,
        "stored_s": (seen[0] - got["epoch"] / 1000) if seen and got["epoch"] else None,
    }


# --- the measurements ------------------------------------------------------------------------------


class Samples(dict):
    """Lists of samples by key."""

    def add(self, key: str, value: Any) -> None:
        self.setdefault(key, []).append(value)


def ours_form(browser: Any, server: Server, store: Any, lib: Any, repeat: int, ticks: int, polled: int) -> Samples:
    """Figures 1-4 and 7 on ``ocop serve --demo``: each repetition is another member."""
    from ocop_scoring.scoring import score_card
    from ocop_scoring.serve import session_links
    from ocop_scoring.views import contract

    session = "demo"
    links = session_links(store, session, server.base)
    members = list(links.members)
    idle = server.wait_idle()
    _log(f"ours: {idle} kernels preheated and idle (member pool {len(members)})")
    out = Samples(idle_kernels=[idle])
    for r in range(repeat):
        member = members[(r + 1) % len(members)]
        context = new_context(browser, OURS)
        try:
            page, first = visit(context, links.members[member])
            out.add("first", first)
            kid = kernel_id_of(page)
            out.add("mem_open", memory(server.kernel(kid)))
            state = store.state(session)
            products = [p.product_id for p in state.products_for(member)]
            start = page.locator(".ocop-total [data-product]").get_attribute("data-product")
            order = [p for p in products if p != start] + [start]
            for pid in order:  # every product once, back to the first
                out.add("switch", switch(page, OURS, products.index(pid), pid))
            out.add("mem_all", memory(server.kernel(kid)))
            # ticks on the product the form opened on (a card not yet submitted)
            product = state.product(start)
            sheet = store.sheet(session, product.sheet_id)
            card = store.state(session).card(start, member)
            choices = dict(card.choices) if card else {}
            done = 0
            for leaf in sheet.leaves:
                if done >= ticks + polled:
                    break
                group = contract.criterion_class(leaf.code)
                radio = page.locator(f".{group} input[type=radio]").first
                if not radio.count() or not radio.is_enabled() or not radio.is_visible():
                    continue  # a criterion that does not apply (its condition is not met)
                before = score_card(sheet, choices).total
                shown = int(page.locator(OURS["total"]).get_attribute("data-total"))
                if shown != before:
                    raise AssertionError(f"{member} {start}: the page shows {shown}, the store's card gives {before}")
                number = _option_changing_total(
                    leaf, choices, lambda c, sheet=sheet: score_card(sheet, c).total, before
                )
                if number is None:
                    continue
                choices[leaf.code] = number
                expected = score_card(sheet, choices).total
                poll = None
                if done >= ticks:  # the last ticks are also watched through the store
                    poll = _store_poll(store, session, start, member, leaf.code, number)
                res = tick(page, OURS, group, leaf.code, number, before, expected, poll)
                out.add("total", res["total_s"])
                if done < ticks:
                    out.add("saved", res["saved_s"])
                else:
                    out.add("stored", res["stored_s"])
                done += 1
            close_page(page)
            server.wait_idle(idle)
            page, second = visit(context, links.members[member])
            out.add("second", second)
            close_page(page)
        finally:
            context.close()
        server.wait_idle(idle)
        _log(
            f"ours {r + 1}/{repeat} ({member}): first {first['tti_s']:.2f} s, second {second['tti_s']:.2f} s, "
            f"switch {med(out['switch'][-len(order) :])} s, tick→total {med(out['total'][-done:])} s"
        )
    return out


def _store_poll(store: Any, session: str, product: str, member: str, code: str, number: int) -> Callable[[], bool]:
    """Whether the member's card holds the choice, read with ``SessionStore.state``.

    ``state`` (about 4 ms on the demo council) runs only when ``data_version`` (about 1 ms), the
    number every write moves, has changed since the previous poll, so the loop stays tight
    without spending a core on full reads.
    """
    last: list[int | None] = [None]

    def poll() -> bool:
        version = store.data_version(session)
        if version == last[0]:
            return False
        last[0] = version
        card = store.state(session).card(product, member)
        return card is not None and dict(card.choices).get(code) == number

    return poll


def _option_changing_total(
    leaf: Any, choices: dict[str, int], total: Callable[[dict[str, int]], int], before: int
) -> int | None:
    """An option of ``leaf`` other than the current one that changes the card's total."""
    for option in sorted(leaf.options, key=lambda o: -o.points):
        if option.number == choices.get(leaf.code):
            continue
        if total({**choices, leaf.code: option.number}) != before:
            return option.number
    return None


def plain_form(browser: Any, server: Server, db: Path, repeat: int, ticks: int, polled: int, *, full: bool) -> Samples:
    """The baseline's figures 1 (and with ``full``, 2-4 and 7) on a plain Voilà server."""
    import psutil  # noqa: F401 - memory() needs it

    url = server.base
    idle = server.wait_idle()
    out = Samples(idle_kernels=[idle])
    points = _plain_points()
    products = [f"P{i:02d}" for i in range(1, 11)]
    for r in range(repeat):
        context = new_context(browser, PLAIN)
        try:
            page, first = visit(context, url)
            out.add("first", first)
            if full:
                kid = kernel_id_of(page)
                out.add("mem_open", memory(server.kernel(kid)))
                for pid in products[1:] + products[:1]:
                    out.add("switch", switch(page, PLAIN, products.index(pid), pid))
                out.add("mem_all", memory(server.kernel(kid)))
                con = sqlite3.connect(db, timeout=30)
                choices = dict(con.execute("SELECT criterion, option FROM ticks WHERE product = 'P01'").fetchall())
                con.close()
                for i in range(ticks + polled):
                    code = f"C{(r * 7 + i) % 30 + 1}"
                    before = sum(points[c][n - 1] for c, n in choices.items())
                    number = next(
                        n
                        for n in sorted(range(1, len(points[code]) + 1), key=lambda n: -points[code][n - 1])
                        if n != choices.get(code)
                        and points[code][n - 1] != (points[code][choices[code] - 1] if code in choices else 0)
                    )
                    choices[code] = number
                    expected = sum(points[c][n - 1] for c, n in choices.items())
                    poll = _sqlite_poll(db, code, number) if i >= ticks else None
                    res = tick(page, PLAIN, f"b-crit-{code[1:]}", code, number, before, expected, poll)
                    out.add("total", res["total_s"])
                    out.add("saved" if i < ticks else "stored", res["saved_s"] if i < ticks else res["stored_s"])
            close_page(page)
            server.wait_idle(idle)
            page, second = visit(context, url)
            out.add("second", second)
            close_page(page)
        finally:
            context.close()
        server.wait_idle(idle)
        _log(f"{server.name} {r + 1}/{repeat}: first {first['tti_s']:.2f} s, second {second['tti_s']:.2f} s")
    return out


def _plain_points() -> dict[str, list[int]]:
    """The baseline's criteria and points (the same seeded draw as the notebook's first cell)."""
    import random

    rng = random.Random(26)
    out = {}
    for i in range(30):
        out[f"C{i + 1}"] = sorted(rng.sample(range(0, 6), rng.randint(3, 5)))
    return out


def _sqlite_poll(db: Path, code: str, number: int) -> Callable[[], bool]:
    con = sqlite3.connect(db, timeout=30, check_same_thread=False)

    def poll() -> bool:
        row = con.execute("SELECT option FROM ticks WHERE product = 'P01' AND criterion = ?", (code,)).fetchone()
        return row is not None and row[0] == number

    return poll


def ours_dashboard(browser: Any, server: Server, store: Any, lib: Any, saves: int) -> list[float]:
    """Figure 6: the projector's row of P08 follows cards submitted from this process."""
    from ocop_scoring import demo
    from ocop_scoring.errors import ScorecardError
    from ocop_scoring.serve import session_links
    from ocop_scoring.store import OPERATOR

    session = "demo"
    context = browser.new_context(viewport=PROJECTOR, locale="vi-VN")
    latencies: list[float] = []
    try:
        page = context.new_page()
        page.set_default_timeout(PAGE_TIMEOUT_S * 1000)
        page.goto(session_links(store, session, server.base).council, wait_until="commit")
        page.wait_for_selector(".ocop-results tr[data-mean]")
        time.sleep(2.0)  # let the page settle (its first polls)
        cards = [c for c in demo.demo_scorecards(lib.sheets) if c.product_id == "P08"]

        def mean() -> str:
            try:
                return store.results(session).product("P08").mean_text
            except ScorecardError:
                return ""

        previous = mean()
        for card in cards[:saves]:
            t0 = time.time()
            store.enter_card(session, OPERATOR, "P08", card.member_id, dict(card.choices), submit=True)
            expected = mean()
            if expected == previous:
                continue
            page.evaluate(ARM_ROW_JS, [".ocop-results tr.ocop-row-P08", expected])
            page.wait_for_function("() => window.__row !== null", polling=50, timeout=15_000)
            latencies.append(page.evaluate("() => window.__row") / 1000 - t0)
            previous = expected
            time.sleep(0.3)
        close_page(page)
    finally:
        context.close()
    return latencies


def plain_dashboard(browser: Any, server: Server, db: Path, saves: int) -> list[float]:
    """Figure 6's baseline: the plain page's board (polled once a second) follows rows written here."""
    context = new_context(browser, PLAIN)
    latencies: list[float] = []
    try:
        page, _ = visit(context, server.base)
        time.sleep(2.0)
        for i in range(saves):
            t0 = time.time()
            con = sqlite3.connect(db, timeout=30)
            with con:
                con.execute("INSERT OR REPLACE INTO cards VALUES ('P08', ?, ?)", (f"M{i + 2}", 50 + 3 * i))
            avg = con.execute("SELECT AVG(total) FROM cards WHERE product = 'P08'").fetchone()[0]
            expected = f"{avg:.2f}"
            con.close()
            page.evaluate(ARM_ROW_JS, [".b-board tr.b-row-P08", expected])
            page.wait_for_function("() => window.__row !== null", polling=50, timeout=15_000)
            latencies.append(page.evaluate("() => window.__row") / 1000 - t0)
            time.sleep(0.3)
        close_page(page)
    finally:
        context.close()
    return latencies


def burst(browser: Any, server: Server, urls: Sequence[str], probe_url: str, sel: dict[str, str]) -> dict[str, Any]:
    """Figure 5: ``urls`` fetched at the same moment by as many threads, and ``probe_url`` opened in Chromium.

    Returns the time until every fetch completed (the pages rendered server-side), each fetch's
    time, the browser's time to interactive, and whether every page's kernel is alive.
    """
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    results: list[dict[str, Any]] = [{"status": None, "html": "", "error": "not run"} for _ in urls]
    barrier = threading.Barrier(len(urls) + 1)

    def fetch(i: int, url: str) -> None:
        barrier.wait()
        t0 = time.perf_counter()
        out: dict[str, Any] = {"status": None, "html": "", "start": t0}
        try:
            with urllib.request.urlopen(url, timeout=FETCH_TIMEOUT_S) as resp:
                out["first_byte_s"] = time.perf_counter() - t0
                chunks = []
                # read in pieces against a deadline: a hung render still sends Voilà's keep-alive
                # bytes every few seconds, so a socket timeout alone would never fire
                while chunk := resp.read1(65536):
                    chunks.append(chunk)
                    if time.perf_counter() - t0 > FETCH_TIMEOUT_S:
                        raise TimeoutError(f"page not complete after {FETCH_TIMEOUT_S:.0f} s")
                out["html"] = b"".join(chunks).decode("utf-8", "replace")
                out["status"] = resp.status
        except Exception as exc:  # noqa: BLE001 - reported as a failed page
            out["error"] = repr(exc)
        out["end"] = time.perf_counter()
        results[i] = out

    threads = [threading.Thread(target=fetch, args=(i, u), daemon=True) for i, u in enumerate(urls)]
    for t in threads:
        t.start()
    context = new_context(browser, sel)
    page = None
    ids: list[str | None] = []
    try:
        barrier.wait()
        try:
            page, probe = visit(context, probe_url, timeout=PROBE_TIMEOUT_S)
        except NoForm as exc:  # served without the form: reported, the burst still measured
            page = exc.page
            probe = {"tti_s": None, "no_form": True}
        except PlaywrightTimeout:  # never became interactive
            page = context.pages[0] if context.pages else None
            probe = {"tti_s": None, "timed_out_s": PROBE_TIMEOUT_S}
        for t in threads:
            t.join(FETCH_TIMEOUT_S + 30)
        starts = [r.get("start") for r in results]
        ends = [r.get("end") for r in results]
        ids = [_kernel_id_in(r.get("html", "")) for r in results]
        alive = 0
        for kid in ids:
            with suppress(Exception):
                if kid and server.kernel(kid).is_running():
                    alive += 1
        ok = sum(1 for r in results if r.get("status") == 200 and _has_form(r["html"]))
        probe_kernel_alive = None
        with suppress(Exception):
            probe_kernel_alive = server.kernel(kernel_id_of(page)).is_running()
        out = {
            "all_s": round(max(e for e in ends if e) - min(b for b in starts if b), 3),
            "each_s": [round(e - b, 3) if b and e else None for b, e in zip(starts, ends, strict=True)],
            "first_byte_s": [round(r.get("first_byte_s", 0), 3) for r in results],
            "rendered": ok,
            "kernels_alive": alive,
            "errors": [r["error"] for r in results if "error" in r],
            "probe": probe,
            "probe_kernel_alive": probe_kernel_alive,
        }
    finally:
        if page is not None:
            with suppress(Exception):  # a page served without its form may close before its beacon is set up
                ids.append(json.loads(page.locator("#jupyter-config-data").text_content(timeout=5000))["kernelId"])
            close_page(page)
        context.close()
        for t in threads:
            t.join(FETCH_TIMEOUT_S + 30)
    for kid in ids:
        if kid:
            server.shutdown_kernel(kid)
    return out


def burst_session(store: Any, lib: Any, members: int) -> str:
    """A council of ``members`` scoring members and a secretary, the demo's ten products, nothing scored."""
    from ocop_scoring import demo
    from ocop_scoring.model import MemberSpec, ProductSpec

    store.create_session(BURST_SESSION, "Hội đồng thử tải (mở trang cùng lúc)", lib)
    specs = [
        MemberSpec(f"TV{i:02d}", f"Thành viên {i}", "chair" if i == 1 else "member") for i in range(1, members + 1)
    ]
    store.add_members(BURST_SESSION, [*specs, MemberSpec("TK01", "Thư ký", "secretary")])
    store.add_products(
        BURST_SESSION,
        [
            ProductSpec(p.product_id, p.name, p.sheet_id, p.code, p.producer, p.commune, p.province)
            for p in demo.PRODUCTS
        ],
    )
    return BURST_SESSION


# --- the run ---------------------------------------------------------------------------------------


def _terminated(signum: int, _frame: Any) -> None:
    raise SystemExit(128 + signum)


def run(args: argparse.Namespace) -> dict[str, Any]:
    """Start the servers one after the other, measure, stop them; figures with baselines and ratios."""
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        raise RuntimeError(f"{CHROMIUM} is missing: apt-get install chromium (never `playwright install`)")
    repeat = _repeat(args)
    quick = getattr(args, "quick", False)
    ticks, polled = (4, 2) if quick else (10, 4)
    bursts = 1 if quick else min(repeat, 3)
    saves = 4 if quick else 8
    info: dict[str, Any] = {
        "repeat": repeat,
        "ticks_per_repeat": ticks,
        "store_polled_ticks_per_repeat": polled,
        "bursts": bursts,
        "burst_http_clients": BURST_MEMBERS,
        "quiet_check": wait_quiet(getattr(args, "wait_quiet", 0.0) or 0.0),
        "chromium": CHROMIUM,
    }
    _log(
        f"load {info['quiet_check']['load_1min']}, other test processes: {len(info['quiet_check']['other_test_processes'])}"
    )
    loads: dict[str, float] = {}
    previous = signal.signal(signal.SIGTERM, _terminated)
    global _STARTED  # the log's clock starts with the run
    _STARTED = started = time.monotonic()
    try:
        with tempfile.TemporaryDirectory(prefix="ocop-bench-browser-") as tmp_name, sync_playwright() as pw:
            tmp = Path(tmp_name)
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            info["chromium_version"] = browser.version
            try:
                result = _measure(browser, tmp, repeat, ticks, polled, bursts, saves, loads)
            finally:
                browser.close()
    finally:
        signal.signal(signal.SIGTERM, previous)
        leftovers = _leftovers()
    info["load_1min_by_phase"] = loads
    info["leftovers"] = leftovers or "none"
    info["measure_s"] = round(time.monotonic() - started, 1)
    figures, details = result
    info.update(details)
    return {"figures": figures, "info": info}


def _leftovers() -> list[str]:
    """Processes this run started that are still running (orphan kernels…): reported, then killed."""
    import psutil

    found = []
    procs = TRACKER.alive()
    with suppress(psutil.Error):
        procs += psutil.Process().children(recursive=True)
    for p in procs:
        with suppress(psutil.Error):
            found.append(f"{p.pid} {' '.join(p.cmdline())[:100]}")
            p.kill()
    if found:
        _log(f"LEFTOVER processes killed: {found}")
    return found


def _measure(
    browser: Any, tmp: Path, repeat: int, ticks: int, polled: int, bursts: int, saves: int, loads: dict[str, float]
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    from ocop_scoring.criteria_io import load_library
    from ocop_scoring.serve import session_links
    from ocop_scoring.store import SessionStore

    lib = load_library()
    details: dict[str, Any] = {}

    # 1. ours: ocop serve --demo (its default pool: one preheated member kernel per scoring member)
    loads["ours_demo"] = load_now()
    store_path = tmp / "council.sqlite"
    from ocop_scoring import demo

    # `ocop serve`'s default pool: one preheated member kernel per scoring member (at most 16)
    demo_pool = max(1, min(sum(1 for m in demo.MEMBERS if m.role in ("chair", "member")), 16))
    with serving(lambda: start_ocop(tmp, "ocop-demo", str(store_path), pool=demo_pool)) as server:
        store = SessionStore(str(store_path))
        links = session_links(store, "demo", server.base)
        server.warm_up(links.members["TV01"], links.council)
        ours = ours_form(browser, server, store, lib, repeat, ticks, polled)
        dash = ours_dashboard(browser, server, store, lib, saves)
        store.close()

    # 2. baseline: plain Voilà without preheat (form, dashboard, burst)
    plain_dir = tmp / "plain"
    notebook = write_plain_notebook(plain_dir)
    db = plain_dir / "baseline.sqlite"
    loads["plain"] = load_now()
    with serving(lambda: start_plain(tmp, "plain", notebook, db, preheat=False)) as server:
        server.warm_up(server.base)
        base = plain_form(browser, server, db, repeat, ticks, polled, full=True)
        base_dash = plain_dashboard(browser, server, db, saves)
        base_bursts = []
        for b in range(bursts):
            server.wait_idle()
            res = burst(browser, server, [server.base] * BURST_MEMBERS, server.base, PLAIN)
            base_bursts.append(res)
            _log(f"plain burst {b + 1}/{bursts}: all {res['all_s']:.2f} s, browser {res['probe']['tti_s']} s")
        server.wait_idle()

    # 3. baseline: plain Voilà with a preheated kernel (pool of 1)
    loads["plain_preheat"] = load_now()
    with serving(lambda: start_plain(tmp, "plain-preheat", notebook, db, preheat=True)) as server:
        server.warm_up(server.base)
        base_pre = plain_form(browser, server, db, repeat, 0, 0, full=False)

    # 4. ours: 12 members (and one more in the browser) opening their links at once
    loads["ours_burst"] = load_now()
    burst_path = tmp / "burst.sqlite"
    store = SessionStore(str(burst_path))
    session = burst_session(store, lib, BURST_MEMBERS + 1)
    pool = BURST_MEMBERS + 1
    ours_bursts = []
    with serving(
        lambda: start_ocop(tmp, "ocop-burst", str(burst_path), "--pool", str(pool), pool=pool, session=session)
    ) as server:
        links = session_links(store, session, server.base)
        urls = list(links.members.values())
        server.warm_up(urls[0])
        for b in range(bursts):
            server.wait_idle()
            res = burst(browser, server, urls[:BURST_MEMBERS], urls[BURST_MEMBERS], OURS)
            ours_bursts.append(res)
            _log(
                f"ours burst {b + 1}/{bursts}: all {res['all_s']:.2f} s, with the form {res['rendered']}/"
                f"{len(urls[:BURST_MEMBERS])}, browser {res['probe']['tti_s']} s"
            )
    store.close()

    return _figures(ours, base, base_pre, dash, base_dash, ours_bursts, base_bursts, details)


def _figures(
    ours: Samples,
    base: Samples,
    base_pre: Samples,
    dash: list[float],
    base_dash: list[float],
    ours_bursts: list[dict[str, Any]],
    base_bursts: list[dict[str, Any]],
    details: dict[str, Any],
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    figures: list[dict[str, Any]] = []

    def triple(
        name: str, label: str, value: float | None, baseline: float | None, base_label: str, unit: str, target: float
    ) -> None:
        figures.append(fig(name, label, value, unit, target))
        figures.append(fig(f"{name}_baseline", f"  baseline: {base_label}", baseline, unit))
        figures.append(fig(f"{name}_ratio", "  ours / baseline", ratio(value, baseline), "x"))

    def tti(samples: Samples, key: str) -> float | None:
        return med([s["tti_s"] for s in samples.get(key, [])])

    triple(
        "tti_first",
        "1. member form, first visit (empty cache, preheated kernel)",
        tti(ours, "first"),
        tti(base, "first"),
        "plain Voilà, first visit, no preheat",
        "s",
        TARGETS["tti_first_s"],
    )
    figures.append(
        fig(
            "tti_first_baseline_preheat", "  baseline: plain Voilà, first visit, preheated", tti(base_pre, "first"), "s"
        )
    )
    triple(
        "tti_second",
        "1. member form, second visit (cache, pool refilled)",
        tti(ours, "second"),
        tti(base_pre, "second"),
        "plain Voilà preheated, second visit",
        "s",
        TARGETS["tti_second_s"],
    )
    figures.append(
        fig(
            "tti_second_baseline_nopreheat",
            "  baseline: plain Voilà, second visit, no preheat",
            tti(base, "second"),
            "s",
        )
    )
    triple(
        "switch",
        "2. switch product in the form",
        med(ours.get("switch", [])),
        med(base.get("switch", [])),
        "Dropdown → 30 radios reloaded",
        "s",
        TARGETS["switch_s"],
    )
    triple(
        "tick_total",
        "3. tick → updated total (in page)",
        med(ours.get("total", [])),
        med(base.get("total", [])),
        "RadioButtons observe → HTML total",
        "s",
        TARGETS["tick_total_s"],
    )
    triple(
        "tick_saved",
        "4. tick → status line 'saved' (in page)",
        med(ours.get("saved", [])),
        med(base.get("saved", [])),
        "observe → sqlite3 commit → HTML",
        "s",
        TARGETS["tick_saved_s"],
    )
    triple(
        "tick_stored",
        "4. tick → choice read back from the store (polled)",
        med(ours.get("stored", [])),
        med(base.get("stored", [])),
        "row read back with sqlite3",
        "s",
        TARGETS["tick_saved_s"],
    )

    def complete(bursts: list[dict[str, Any]]) -> float | None:
        """Median time of the bursts whose every page came with its form (None if none did)."""
        return med([b["all_s"] for b in bursts if b["rendered"] == len(b["each_s"])])

    triple(
        "burst_all",
        f"5. {BURST_MEMBERS} links fetched at once: all rendered with the form",
        complete(ours_bursts),
        complete(base_bursts),
        f"plain Voilà, {BURST_MEMBERS} renders, no preheat",
        "s",
        TARGETS["burst_all_s"],
    )
    figures.append(
        fig(
            "burst_responses",
            "  … all HTTP responses complete (with or without the form)",
            med([b["all_s"] for b in ours_bursts]),
            "s",
        )
    )
    figures.append(
        fig(
            "burst_responses_baseline",
            "  baseline: all HTTP responses complete",
            med([b["all_s"] for b in base_bursts]),
            "s",
        )
    )
    figures.append(
        fig(
            "burst_rendered",
            f"5. … pages served with the form (worst burst, of {BURST_MEMBERS})",
            min((b["rendered"] for b in ours_bursts), default=None),
            "",
            BURST_MEMBERS,
            ">=",
        )
    )
    figures.append(
        fig(
            "burst_rendered_baseline",
            "  baseline: plain pages served with the form",
            min((b["rendered"] for b in base_bursts), default=None),
            "",
        )
    )
    probe = med([b["probe"]["tti_s"] for b in ours_bursts])
    base_probe = med([b["probe"]["tti_s"] for b in base_bursts])

    def stuck(bursts: list[dict[str, Any]]) -> str:
        n = sum(1 for b in bursts if b["probe"]["tti_s"] is None)
        return f" ({n}/{len(bursts)} served without the form or never interactive)" if n else ""

    figures.append(
        fig("burst_browser", f"5. … meanwhile one more member in Chromium: interactive{stuck(ours_bursts)}", probe, "s")
    )
    figures.append(
        fig("burst_browser_baseline", f"  baseline: plain Voilà during its burst{stuck(base_bursts)}", base_probe, "s")
    )
    figures.append(fig("burst_browser_ratio", "  ours / baseline", ratio(probe, base_probe), "x"))
    triple(
        "dashboard",
        "6. dashboard shows a submitted card",
        med(dash),
        med(base_dash),
        "asyncio poll (1 s) of sqlite3",
        "s",
        TARGETS["dashboard_s"],
    )

    def mem(samples: Samples, key: str, kind: str) -> float | None:
        return med([m[kind] for m in samples.get(key, [])])

    triple(
        "kernel_rss_open",
        "7. member page kernel RSS, form shown",
        mem(ours, "mem_open", "rss_mib"),
        mem(base, "mem_open", "rss_mib"),
        "plain form's kernel",
        "MiB",
        TARGETS["kernel_mib"],
    )
    triple(
        "kernel_rss_all",
        "7. … after every product shown once",
        mem(ours, "mem_all", "rss_mib"),
        mem(base, "mem_all", "rss_mib"),
        "plain form's kernel, 10 products",
        "MiB",
        TARGETS["kernel_mib"],
    )
    triple(
        "kernel_uss_all",
        "7. … its USS (private memory)",
        mem(ours, "mem_all", "uss_mib"),
        mem(base, "mem_all", "uss_mib"),
        "plain form's kernel USS",
        "MiB",
        TARGETS["kernel_mib"],
    )
    figures.append(
        fig(
            "kernel_uss_open",
            "  USS, form shown (ours / baseline in the JSON)",
            mem(ours, "mem_open", "uss_mib"),
            "MiB",
        )
    )

    def breakdown(samples: Samples, key: str) -> dict[str, Any]:
        visits = samples.get(key, [])
        keys = ("tti_s", "html_end_s", "dom_content_loaded_s", "resources", "transferred_kib")
        return {k: med([v[k] for v in visits]) for k in keys} if visits else {}

    # where a visit's time goes (medians): the HTML complete (server side), DOMContentLoaded, interactive
    details["visits"] = {
        "ours_first": breakdown(ours, "first"),
        "ours_second": breakdown(ours, "second"),
        "plain_first": breakdown(base, "first"),
        "plain_second": breakdown(base, "second"),
        "plain_preheat_first": breakdown(base_pre, "first"),
        "plain_preheat_second": breakdown(base_pre, "second"),
    }
    details["samples"] = {
        "ours": dict(ours),
        "plain": dict(base),
        "plain_preheat": dict(base_pre),
        "dashboard": [round(x, 4) for x in dash],
        "dashboard_baseline": [round(x, 4) for x in base_dash],
        "bursts": [{k: v for k, v in b.items() if k != "html"} for b in ours_bursts],
        "bursts_baseline": [{k: v for k, v in b.items() if k != "html"} for b in base_bursts],
    }
    details["burst_kernels_alive"] = ", ".join(f"{b['kernels_alive']}/{len(b['each_s'])}" for b in ours_bursts)
    details["burst_pages_rendered"] = ", ".join(f"{b['rendered']}/{len(b['each_s'])}" for b in ours_bursts)
    details["burst_baseline_rendered"] = ", ".join(f"{b['rendered']}/{len(b['each_s'])}" for b in base_bursts)
    return figures, details
