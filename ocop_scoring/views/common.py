"""What every page shares: the status line, error routing, live updates, request context, style.

Layer: views. Imports: ipywidgets, the store and the texts. Holds no rules.

- ``StatusLine`` shows outcomes in the page's language; ``reports_errors``
  wraps every handler so that an error reaches the page (never a silent
  failure, never a traceback): an ``OcopError`` is shown as it is, anything
  else as "unexpected error" with its traceback in the log.
- ``Heartbeat`` is a hidden ``Play`` widget the browser advances every few
  seconds: the kernel knows whether a page is still looking at it.
- ``Poller`` is the one polling task of a page: it reads the store's data
  version every ``interval`` seconds and calls ``refresh`` only when it
  changed and a browser is alive, so an abandoned page sends nothing and
  its kernel is culled as idle.
"""

from __future__ import annotations

import asyncio
import functools
import html
import logging
import os
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar
from urllib.parse import parse_qs

import ipywidgets as ipw

from ocop_scoring.errors import OcopError
from ocop_scoring.texts import Texts, load_texts
from ocop_scoring.views import contract

log = logging.getLogger(__name__)
F = TypeVar("F", bound=Callable[..., Any])


class StatusLine(ipw.HTML):
    """One line that says what just happened (``ocop-status``); ``data-kind`` is ok / error / info."""

    def __init__(self, texts: Texts | None = None, lang: str = "vi") -> None:
        super().__init__(value="")
        self.texts = texts or load_texts()
        self.lang = lang
        self.kind = ""
        self.message = ""
        self.add_class(contract.STATUS)

    def _show(self, kind: str, message: str) -> None:
        self.kind, self.message = kind, message
        icon = {"ok": "✔", "error": "✖", "info": "ℹ"}[kind]
        self.value = (
            f'<div class="ocop-status-{kind}" data-kind="{kind}" role="status">{icon} {html.escape(message)}</div>'
        )

    def show_ok(self, message: str) -> None:
        """A success."""
        self._show("ok", message)

    def show_error(self, message: str) -> None:
        """A refusal or a failure."""
        self._show("error", message)

    def show_info(self, message: str) -> None:
        """Neutral information."""
        self._show("info", message)

    def clear(self) -> None:
        """Nothing to say."""
        self.kind, self.message, self.value = "", "", ""


def local_time(stamp: str | None) -> str:
    """A stored UTC time as the kernel's local time, ``14:32 20/06/2026``."""
    if not stamp:
        return ""
    try:
        moment = datetime.fromisoformat(stamp).astimezone()
    except ValueError:
        return stamp
    return moment.strftime("%H:%M %d/%m/%Y")


def error_text(exc: BaseException, texts: Texts, lang: str) -> str:
    """A refusal in the page's language (``OcopError.key``), times in the kernel's local time;
    an error without a text keeps its own message."""
    params = dict(getattr(exc, "params", {}) or {})
    if isinstance(params.get("when"), str):
        params["when"] = local_time(params["when"])
    return texts.error(exc, lang, params)


def reports_errors(method: F) -> F:
    """Route any exception of a widget handler to the view's ``status`` line."""

    @functools.wraps(method)
    def wrapper(self: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return method(self, *args, **kwargs)
        except OcopError as exc:
            log.info("refused: %s", exc)
            texts = getattr(self, "texts", None) or load_texts()
            self.status.show_error(error_text(exc, texts, getattr(self, "lang", "vi")))
        except Exception:  # noqa: BLE001 - shown on the page, traceback to the log
            log.error("unexpected error in %s\n%s", method.__qualname__, traceback.format_exc())
            texts = getattr(self, "texts", None) or load_texts()
            self.status.show_error(texts.t("unexpected_error", getattr(self, "lang", "vi")))
        return None

    return wrapper  # type: ignore[return-value]


class Heartbeat(ipw.Play):
    """A hidden timer in the browser: its ticks tell the kernel that a page is alive."""

    def __init__(self, interval_ms: int = 5000, timeout_s: float | None = None) -> None:
        super().__init__(value=0, min=0, max=10**9, step=1, interval=interval_ms, repeat=True, show_repeat=False)
        self.layout.display = "none"
        # Background tabs throttle timers to about one a minute: three minutes without a beat = abandoned.
        self.timeout_s = timeout_s if timeout_s is not None else float(os.environ.get("OCOP_HEARTBEAT_TIMEOUT", "180"))
        self.started = time.monotonic()
        self.last_beat: float | None = None
        self.observe(self._on_beat, names="value")

    def _on_beat(self, _change: Any) -> None:
        self.last_beat = time.monotonic()

    def arm(self) -> None:
        """Start the browser's timer (the timer starts only on a change seen by a live view)."""
        if self.last_beat is None:
            self.playing = False
            self.playing = True

    @property
    def alive(self) -> bool:
        """Whether a browser beat recently (or the page is still loading)."""
        now = time.monotonic()
        if self.last_beat is None:
            return now - self.started < self.timeout_s
        return now - self.last_beat < self.timeout_s


class Poller:
    """The page's one polling task: refresh when the store changed and a browser is watching."""

    def __init__(
        self,
        version: Callable[[], int],
        refresh: Callable[[], None],
        heartbeat: Heartbeat,
        *,
        interval: float = 1.0,
    ) -> None:
        self.version = version
        self.refresh = refresh
        self.heartbeat = heartbeat
        self.interval = interval
        self.last: int | None = None
        self.task: asyncio.Task[None] | None = None
        self.refreshes = 0

    def start(self, current: int | None = None) -> None:
        """Start polling on the kernel's event loop (no thread: handlers and polls never overlap)."""
        self.last = current
        try:
            loop = asyncio.get_event_loop()
        except RuntimeError:  # no loop (a plain script): nothing to poll on
            return
        if self.task is None or self.task.done():
            self.task = loop.create_task(self._run())

    def stop(self) -> None:
        """Stop polling."""
        if self.task is not None:
            self.task.cancel()
            self.task = None

    def check(self) -> bool:
        """One poll: refresh if the store changed. Returns whether it refreshed."""
        if not self.heartbeat.alive:
            return False
        version = self.version()
        if version == self.last:
            return False
        self.refresh()
        self.last = version  # only once the refresh succeeded: a failed one is retried at the next poll
        self.refreshes += 1
        return True

    async def _run(self) -> None:
        arm_deadline = time.monotonic() + 60
        while True:
            await asyncio.sleep(self.interval)
            if self.heartbeat.last_beat is None and time.monotonic() < arm_deadline:
                self.heartbeat.arm()
            try:
                self.check()
            except Exception:  # noqa: BLE001 - a failed poll is logged; the next one tries again
                log.warning("poll failed\n%s", traceback.format_exc())


@dataclass(frozen=True)
class PageContext:
    """Where a page's data comes from: the store, the session, and (for member pages) the token."""

    store_url: str | None
    session_id: str | None
    token: str | None
    lang: str
    query: dict[str, str]


def page_context(
    *, store: str | None = None, session: str | None = None, token: str | None = None, lang: str | None = None
) -> PageContext:
    """Resolve a page's parameters: explicit values, then the URL query (under Voilà), then the environment.

    Under a preheated Voilà kernel this waits for the request first, so that the
    URL's query string (the member's token) is known.
    """
    query_string = _request_query()
    query = {k: v[-1] for k, v in parse_qs(query_string, keep_blank_values=False).items()}
    return PageContext(
        store_url=store or os.environ.get("OCOP_STORE") or None,
        session_id=session or query.get("session") or os.environ.get("OCOP_SESSION") or None,
        token=token or query.get("token") or os.environ.get("OCOP_TOKEN") or None,
        lang=(lang or query.get("lang") or os.environ.get("OCOP_LANG") or "vi")
        if (lang or query.get("lang") or os.environ.get("OCOP_LANG") or "vi") in ("vi", "en")
        else "vi",
        query=query,
    )


def _request_query() -> str:
    if "VOILA_KERNEL_ID" not in os.environ:
        return os.environ.get("QUERY_STRING", "")
    _preload()
    try:
        wait_for_request()
    except Exception:  # noqa: BLE001 - without a request there is no query: the page says what is missing
        log.warning("no request information\n%s", traceback.format_exc())
    return os.environ.get("QUERY_STRING", "")


def _preload() -> None:
    """Import what every page needs after its request (the store, SQLAlchemy, the scoring engine).

    A preheated kernel runs this while it waits in Voilà's pool, so the page's request costs only
    its own work: about 0.13 s of CPU instead of 0.9 s for the member form. When a dozen members
    open their links at once on 2 cores, that is the difference (benchmarks/README.md, browser).
    """
    import ocop_scoring.scoring
    import ocop_scoring.store  # noqa: F401


def wait_for_request() -> None:
    """Under a preheated Voilà kernel, wait for the page request and put its information
    (``QUERY_STRING``…) into ``os.environ``; without preheating Voilà has set it already.

    The same protocol as ``voila.utils.wait_for_request`` (one message on the
    ``voila/query/<kernel id>`` websocket), without importing ``voila.utils``, which loads
    jupyter_server and nbconvert and adds about 20 MB to every member's kernel.
    """
    if os.environ.get("VOILA_PREHEAT", "False") == "False":
        return
    import json
    import threading

    import websockets

    base = os.environ.get("VOILA_WS_BASE_URL", os.environ.get("VOILA_SERVER_URL", "/"))
    url = (
        f"{os.environ.get('VOILA_WS_PROTOCOL', 'ws')}://{os.environ.get('VOILA_APP_IP', '127.0.0.1')}:"
        f"{os.environ.get('VOILA_APP_PORT', '8866')}{base}voila/query/{os.environ.get('VOILA_KERNEL_ID')}"
    )
    info: str | bytes | None = None

    async def receive() -> str | bytes:
        async with websockets.connect(url, open_timeout=5) as socket:
            return await socket.recv()

    def run() -> None:
        nonlocal info
        try:
            info = asyncio.new_event_loop().run_until_complete(receive())
        except (TimeoutError, OSError):
            info = None

    thread = threading.Thread(target=run, name="ocop-wait-for-request")
    thread.start()
    thread.join()
    if info:
        os.environ.update(json.loads(info))


def error_page(title: str, message: str) -> ipw.HTML:
    """A page that explains what went wrong instead of a traceback.

    With ``OCOP_STRICT_PAGES=1`` (the notebook tests) it raises instead, so that a page that
    cannot be built fails the test rather than showing a friendly message.
    """
    if os.environ.get("OCOP_STRICT_PAGES") == "1":
        msg = f"{title}: {message}"
        raise RuntimeError(msg)
    return ipw.HTML(
        f'<div class="ocop-error-page" role="alert"><h2>{html.escape(title)}</h2><p>{html.escape(message)}</p></div>'
        + STYLE
    )


class LangToggle(ipw.ToggleButtons):
    """Tiếng Việt / English."""

    def __init__(self, lang: str = "vi") -> None:
        super().__init__(options=[("Tiếng Việt", "vi"), ("English", "en")], value=lang, style={"button_width": "8em"})
        self.add_class(contract.LANG)


STYLE = """
<style>
.ocop-app { font-size: 15px; line-height: 1.35; color: #111; }
.ocop-app .widget-label, .ocop-app label { font-size: 15px; }
.ocop-status-ok { color: #0a6b2d; font-weight: 600; }
.ocop-status-error { color: #b00020; font-weight: 600; }
.ocop-status-info { color: #1f4e9a; }
.ocop-error-page { max-width: 46em; margin: 3em auto; font-size: 18px; }
.ocop-error-page h2 { color: #b00020; }
.ocop-part-head { background: #d9d9d9; font-weight: 700; padding: 4px 8px; margin-top: 10px; }
.ocop-group-head { background: #ededed; font-weight: 700; padding: 3px 8px; margin-top: 6px; }
.ocop-crit-head { font-weight: 600; margin-top: 6px; }
.ocop-note { color: #555; font-size: 13px; margin-left: 1em; }
.ocop-knockout-note { color: #b00020; font-weight: 600; font-size: 13px; margin-left: 1em; border-left: 4px solid #b00020; padding-left: 6px; }
.ocop-anomaly-note { color: #7a5a00; font-size: 12px; margin-left: 1em; }
.ocop-app .widget-radio-box label { white-space: normal; }
.ocop-app .widget-radio { width: 100% !important; }
.ocop-app .widget-radio-box { width: 100% !important; }
.ocop-totals { position: sticky; top: 0; z-index: 10; background: #fffbe6; border: 1px solid #e0c860; padding: 6px 10px; }
.ocop-total-value { font-size: 22px; font-weight: 700; }
.ocop-locked { color: #0a6b2d; font-weight: 600; }
.ocop-star { color: #c98a00; letter-spacing: 1px; }
table.ocop-table { border-collapse: collapse; }
table.ocop-table th, table.ocop-table td { border: 1px solid #999; padding: 3px 6px; }
</style>
"""


def large_type_css(scope: str, min_px: int) -> str:
    """The projector pages' base rules (dashboard, programme): type that scales with the screen,
    black on white, the notebook's title cell hidden. ``scope``: the page's root class."""
    return f"""
.ocop-app.{scope} {{
  --fs: clamp({min_px}px, 1.05vw, 30px);
  font-size: var(--fs); line-height: 1.25; color: #000; background: #fff; width: 100%;
  font-family: "DejaVu Sans", "Segoe UI", Arial, sans-serif;
}}
.{scope} .widget-html, .{scope} .widget-html-content {{ font-size: inherit; line-height: inherit; }}
.{scope} .widget-html-content {{ width: 100%; }}
.{scope} table {{ border-collapse: collapse; }}
.jp-Notebook .jp-MarkdownCell {{ display: none; }}
"""
