"""``ocop serve``: Voilà on the council pages against one session, and the links to open.

Layer: app (above views). Imports: store, demo. The one place where Voilà's
options are kept: kernel pools (a preheated kernel per member, so a room of
members opening their links at once is served in seconds), culling of idle
kernels, shutdown of a closed page's kernel, no tracebacks shown.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

from ocop_scoring.errors import OcopError, StoreError

NOTEBOOKS = ("member.ipynb", "secretary.ipynb", "council.ipynb", "criteria.ipynb", "programme.ipynb")
DEMO_SESSION = "demo"


def notebooks_dir() -> Path:
    """The folder of the council pages: the repository's ``notebooks/`` or the packaged copy."""
    env = os.environ.get("OCOP_NOTEBOOKS_DIR")
    if env:
        return Path(env)
    here = Path(__file__).resolve().parent
    repo = here.parent / "notebooks"
    if (repo / "member.ipynb").exists():
        return repo
    return here / "_notebooks"


def template_root() -> Path:
    """The data folder holding the ``ocop`` Voilà template (added to ``JUPYTER_PATH``)."""
    return Path(__file__).resolve().parent / "share"


def lan_address() -> str:
    """The machine's address on the local network (where tablets in the room can reach it).

    Raises:
        OcopError: If the machine has no LAN address.
    """
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        try:
            s.connect(("10.254.254.254", 1))  # no packet is sent: this only picks the outgoing interface
            address = s.getsockname()[0]
        except OSError:
            address = "127.0.0.1"
    if address.startswith("127."):
        msg = "--lan: this machine has no LAN address (connect it to the room's network first)"
        raise OcopError(msg)
    return address


@dataclass(frozen=True)
class Links:
    """The URLs a council opens: the projector, the secretary, the workbench, the programme, each member."""

    council: str
    secretary: str | None
    criteria: str
    programme: str
    members: Mapping[str, str]
    names: Mapping[str, str]

    def as_json(self) -> dict[str, Any]:
        """``{"council": url, "secretary": url, "criteria": url, "programme": url, "members": {member_id: url}}``."""
        return {
            "council": self.council,
            "secretary": self.secretary,
            "criteria": self.criteria,
            "programme": self.programme,
            "members": dict(self.members),
        }


def session_links(store: Any, session_id: str, base_url: str) -> Links:
    """Each member's personal link, the secretary's and the projector's (the projector shows the
    session's results, so its link carries the secretary's token too)."""
    base = base_url if base_url.endswith("/") else base_url + "/"
    state = store.state(session_id)
    secretary = next((m for m in state.members if m.role == "secretary"), None)
    viewer = secretary or next((m for m in state.members if m.role == "chair"), None)
    if viewer is None:
        msg = f"session {session_id} has no secretary or chair yet: add members first (ocop session add-members)"
        raise StoreError(msg)

    def page(name: str, token: str) -> str:
        return f"{base}voila/render/{name}?token={quote(token)}"

    return Links(
        council=page("council.ipynb", viewer.token),
        secretary=page("secretary.ipynb", secretary.token) if secretary else None,
        criteria=page("criteria.ipynb", viewer.token),
        programme=page("programme.ipynb", viewer.token),
        members={m.member_id: page("member.ipynb", m.token) for m in state.members if m.scores},
        names={m.member_id: m.name for m in state.members},
    )


IOPUB_TIMEOUT_S = 60


def voila_config(*, pool: int, cull_idle: int, cull_interval: int, preheat: bool) -> dict[str, Any]:
    """Voilà's configuration for the council pages (written to the run folder's voila.json)."""
    pools: dict[str, Any] = {"default": {"pool_size": 1 if preheat else 0}}
    if preheat:
        pools["member.ipynb"] = {"pool_size": pool}
    return {
        "VoilaConfiguration": {
            "preheat_kernel": preheat,
            "template": "ocop",  # ocop_scoring/share/voila/templates/ocop: the lab template without CDN requests
            "show_tracebacks": False,
            "strip_sources": True,
            "file_allowlist": [r".*\.(png|svg|css|js)"],
        },
        # nbclient keeps waiting for a cell's output only 4 s after the kernel's reply; when a dozen
        # members open their links at once, the server reads the forms' messages later than that
        # and served 12 of 12 pages without their form (benchmarks/README.md, browser). The output
        # is on its way: wait for it.
        "VoilaExecutor": {"iopub_timeout": IOPUB_TIMEOUT_S},
        "VoilaKernelManager": {
            "kernel_pools_config": pools,
            "fill_delay": 2.0,
            "preheat_denylist": ["criteria.ipynb", "programme.ipynb"],  # opened rarely: started on request
        },
        "MappingKernelManager": {
            "cull_idle_timeout": cull_idle,
            "cull_interval": cull_interval,
            "cull_connected": False,
            "cull_busy": False,
        },
        # The page's beforeunload beacon shuts its kernel down; Voilà 0.5 sends it without an _xsrf
        # argument (voila#1458), so the check is off. The pages carry their own access tokens.
        "Voila": {"tornado_settings": {"disable_check_xsrf": True}},
    }


def voila_command(notebooks: Path, *, ip: str, port: int) -> list[str]:
    """The Voilà command line (the rest of the options are in the run folder's voila.json)."""
    return [
        sys.executable,
        "-m",
        "voila",
        str(notebooks),
        "--no-browser",
        f"--port={port}",
        f"--Voila.ip={ip}",
        "--Voila.port_retries=0",
    ]


def prepare_run_dir(config: Mapping[str, Any]) -> Path:
    """A private folder holding voila.json; Voilà reads it from its working directory."""
    run = Path(tempfile.mkdtemp(prefix="ocop-serve-"))
    (run / "voila.json").write_text(json.dumps(config, indent=1), encoding="utf-8")
    return run


def ensure_demo_session(store: Any, library: Any) -> str:
    """Create the demo council once: ten products over nine sheets, nine members and a secretary,
    some cards already scored (one product with a spread of 18 points), some left to score."""
    from ocop_scoring import demo
    from ocop_scoring.model import MemberSpec, ProductSpec
    from ocop_scoring.store import OPERATOR

    if any(s.session_id == DEMO_SESSION for s in store.sessions()):
        return DEMO_SESSION
    store.create_session(DEMO_SESSION, demo.SESSION_NAME, library, round_label=demo.ROUND_LABEL, held_on=demo.HELD_ON)
    store.add_members(DEMO_SESSION, [MemberSpec(m.member_id, m.name, m.role, m.organisation) for m in demo.MEMBERS])
    store.add_products(
        DEMO_SESSION,
        [
            ProductSpec(p.product_id, p.name, p.sheet_id, p.code, p.producer, p.commune, p.province, case=p.case)
            for p in demo.PRODUCTS
        ],
    )
    for (pid, mid), reason in demo.RECUSED.items():
        store.recuse(DEMO_SESSION, OPERATOR, pid, mid, reason)
    cards = demo.demo_scorecards(library.sheets)
    submitted = {"P01", "P02", "P03", "P04", "P05", "P06"}
    entries = [(c.product_id, c.member_id, dict(c.choices), None) for c in cards if c.product_id in submitted]
    store.enter_cards(DEMO_SESSION, OPERATOR, entries, submit=True)
    # P07: five cards submitted, two drafts half done, two not started; P08-P10 left to score
    p07 = [c for c in cards if c.product_id == "P07"]
    store.enter_cards(
        DEMO_SESSION, OPERATOR, [(c.product_id, c.member_id, dict(c.choices), None) for c in p07[:5]], submit=True
    )
    half = [(c.product_id, c.member_id, dict(list(c.choices)[:12]), None) for c in p07[5:7]]
    store.enter_cards(DEMO_SESSION, OPERATOR, half, submit=False)
    return DEMO_SESSION


def pick_session(store: Any, requested: str | None) -> str:
    """The session to serve: the one asked for, else the store's only open session."""
    sessions = store.sessions()
    if requested:
        store.session(requested)
        return requested
    open_ = [s.session_id for s in sessions if s.is_open]
    if len(open_) == 1:
        return open_[0]
    if not sessions:
        msg = (
            f"the store {store.url_display} has no session: create one (ocop session create) or try `ocop serve --demo`"
        )
    else:
        msg = f"name the session to serve: {', '.join(s.session_id for s in sessions)}"
    raise OcopError(msg)


def serve(
    *,
    store_arg: str | None,
    session: str | None,
    port: int,
    lan: bool,
    demo_: bool,
    pool: int | None,
    preheat: bool,
    cull_idle: int,
    base_url: str | None,
    library: Any,
    out: Any = sys.stdout,
) -> int:
    """Start Voilà and block until it stops (Ctrl+C or SIGTERM)."""
    from ocop_scoring.store import SessionStore, resolve_store_url

    url = resolve_store_url(store_arg)
    store = SessionStore(url)
    if demo_:
        session = session or ensure_demo_session(store, library)
    session_id = pick_session(store, session)
    ip = lan_address() if lan else "127.0.0.1"
    state = store.state(session_id)
    pool_size = pool if pool is not None else max(1, min(len(state.scoring_members), 16))
    links = session_links(store, session_id, base_url or f"http://{ip}:{port}/")
    store.close()
    run_dir = prepare_run_dir(
        voila_config(pool=pool_size, cull_idle=cull_idle, cull_interval=max(10, cull_idle // 5), preheat=preheat)
    )
    env = {**os.environ, "OCOP_STORE": url, "OCOP_SESSION": session_id, "PYTHONUNBUFFERED": "1"}
    env["JUPYTER_PATH"] = os.pathsep.join(p for p in (str(template_root()), os.environ.get("JUPYTER_PATH", "")) if p)
    cmd = voila_command(notebooks_dir(), ip=ip, port=port)
    print(f"Phiên / session: {session_id} — {state.session.name}", file=out)
    print(f"Kho dữ liệu / store: {url}", file=out)
    print(f"Màn chiếu / projector:   {links.council}", file=out)
    if links.secretary:
        print(f"Thư ký / secretary:      {links.secretary}", file=out)
    print(f"Bộ tiêu chí / criteria:  {links.criteria}", file=out)
    print(f"Chương trình / programme: {links.programme}", file=out)
    print("Thành viên / members (đường dẫn riêng / personal links):", file=out)
    for member_id, link in links.members.items():
        print(f"  {member_id} {links.names[member_id]}: {link}", file=out)
    print(f"Đang khởi động Voilà ({pool_size} kernel dự phòng) … Ctrl+C để dừng.", file=out, flush=True)
    proc = subprocess.Popen(cmd, cwd=run_dir, env=env)

    def forward(signum: int, _frame: Any) -> None:
        proc.send_signal(signal.SIGTERM)

    signal.signal(signal.SIGTERM, forward)
    signal.signal(signal.SIGINT, forward)
    return proc.wait()


__all__: Sequence[str] = ("Links", "ensure_demo_session", "serve", "session_links", "voila_config")
