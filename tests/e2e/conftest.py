"""Browser tests: a real `ocop serve` (Voilà) on a temporary store, driven in Debian's Chromium.

Never `playwright install`: the browser is /usr/bin/chromium (apt-get install chromium), set here
through pytest-playwright's `browser_type_launch_args`. Screenshots go to tests/artifacts/screens.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from ocop_scoring.report import BROWSER_ARGS
from tests.conftest import REPO

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = list(BROWSER_ARGS)
SCREENS = REPO / "tests" / "artifacts" / "screens"
PAGE_TIMEOUT_MS = 60_000


def pytest_collection_modifyitems(items):
    for item in items:
        if "/e2e/" in str(item.fspath):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    """Debian's Chromium, headless, with no background network traffic."""
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: apt-get install chromium (./run test does)")
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_ARGS}


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    """Pages at 1920x1080, the projector's size."""
    return {**browser_context_args, "viewport": {"width": 1920, "height": 1080}, "locale": "vi-VN"}


@pytest.fixture
def page(context):
    """A page that shuts its kernel down when closed (Voilà's beforeunload beacon)."""
    pg = context.new_page()
    pg.set_default_timeout(PAGE_TIMEOUT_MS)
    yield pg
    if not pg.is_closed():
        pg.close(run_before_unload=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_http(url: str, timeout: float = 90.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(url, timeout=2).read()
            return
        except urllib.error.HTTPError:
            return
        except OSError:
            time.sleep(0.2)
    raise TimeoutError(f"no answer at {url}")


class Server:
    """A running `ocop serve` and what the tests need to reach it."""

    def __init__(self, proc: subprocess.Popen, base: str, store_url: str, session: str, log: Path) -> None:
        self.proc, self.base, self.store_url, self.session, self.log = proc, base, store_url, session, log

    def store(self):
        from ocop_scoring.store import SessionStore

        return SessionStore(self.store_url)

    def links(self):
        from ocop_scoring.serve import session_links

        return session_links(self.store(), self.session, self.base)

    def kernels(self) -> list[int]:
        """PIDs of the server's kernel processes (Voilà has no kernels REST API)."""
        import psutil

        pids = []
        for p in psutil.Process(self.proc.pid).children(recursive=True):
            try:
                if p.status() != psutil.STATUS_ZOMBIE and "ipykernel_launcher" in " ".join(p.cmdline()):
                    pids.append(p.pid)
            except psutil.Error:  # gone meanwhile
                continue
        return pids


def start_server(
    tmp: Path, *extra: str, store_url: str | None = None, session: str | None = None, env: dict | None = None
) -> Server:
    """Run `ocop serve --demo` (or a given session) on a free port; wait until Voilà answers."""
    port = free_port()
    store_url = store_url or str(tmp / "council.sqlite")
    log = tmp / "voila.log"
    args = [sys.executable, "-m", "ocop_scoring.cli", "serve", "--store", store_url, "--port", str(port), *extra]
    if session:
        args.insert(4, session)
    else:
        args.append("--demo")
    full_env = {**os.environ, "PYTHONUNBUFFERED": "1", "OCOP_VOILA_LOG": str(log), **(env or {})}
    proc = subprocess.Popen(args, stdout=log.open("w"), stderr=subprocess.STDOUT, env=full_env, cwd=tmp)
    base = f"http://127.0.0.1:{port}/"
    try:
        wait_http(base + "voila/static/voila.js")
    except TimeoutError:
        proc.kill()
        raise RuntimeError(log.read_text()) from None
    return Server(proc, base, store_url, session or "demo", log)


def stop_server(server: Server) -> None:
    server.proc.send_signal(signal.SIGTERM)
    try:
        server.proc.wait(60)
    except subprocess.TimeoutExpired:
        server.proc.kill()


@pytest.fixture(scope="session")
def server(tmp_path_factory):
    """One demo council served for the browser tests (a small kernel pool, short culling)."""
    srv = start_server(tmp_path_factory.mktemp("serve"), "--pool", "2", "--cull-idle", "120")
    yield srv
    stop_server(srv)


@pytest.fixture(scope="session")
def base_url(server):
    return server.base


def screenshot(page, name: str) -> Path:
    """Save a full-page screenshot for a person to look at."""
    SCREENS.mkdir(parents=True, exist_ok=True)
    path = SCREENS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


class RequestLog:
    """Every request a page makes; `outside(base)` lists those that leave the machine."""

    def __init__(self, context) -> None:
        self.urls: list[str] = []
        context.on("request", lambda request: self.urls.append(request.url))

    def outside(self, base: str) -> list[str]:
        local = ("http://127.0.0.1", "ws://127.0.0.1", "data:", "blob:", "about:")
        return [u for u in self.urls if not u.startswith(local)]
