"""The council as a whole: a member scores while the projector watches; kernels do not leak."""

from __future__ import annotations

import threading
import time

from playwright.sync_api import expect

from ocop_scoring.store import OPERATOR
from ocop_scoring.views import contract
from tests.e2e.conftest import RequestLog, screenshot, start_server, stop_server
from tests.e2e.test_member_page import open_page, option_label, pick_product


def test_member_scores_a_product_while_the_dashboard_follows(browser, tmp_path):
    """TV02 scores a whole product in one browser context; the dashboard in another shows the new mean and star."""
    server = start_server(tmp_path, "--pool", "2")
    try:
        store = server.store()
        links = server.links()
        projector = browser.new_context(viewport={"width": 1920, "height": 1080})
        laptop = browser.new_context(viewport={"width": 1366, "height": 768})
        requests = RequestLog(projector), RequestLog(laptop)
        board = projector.new_page()
        board.goto(links.council)
        board.wait_for_selector(f".{contract.RESULTS}", timeout=60_000)
        form = laptop.new_page()
        open_page(form, links.members["TV02"])
        pick_product(form, store, server.session, "P09")
        sheet = store.sheet(server.session, "qd26-2026-26")
        for leaf in sheet.leaves:  # the best option of every criterion, as a member would tick them
            best = max(leaf.options, key=lambda o: (o.points, -o.number)).number
            option_label(form, leaf.code, best).click()
        expect(form.locator(f".{contract.TOTAL} [data-total]")).to_have_attribute("data-total", "100")
        form.locator(f".{contract.SUBMIT}").first.click()
        form.locator(f".{contract.CONFIRM}").first.click()
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not store.state(server.session).card("P09", "TV02").is_submitted:
            time.sleep(0.2)
        expected = store.results(server.session).product("P09")

        row = board.locator(f"tr.{contract.row_class('P09')}")
        expect(row).to_have_attribute("data-mean", expected.mean_text, timeout=15_000)
        expect(row).to_have_attribute("data-stars", str(expected.stars))
        screenshot(board, "flow-dashboard-after-save")
        assert requests[0].outside(server.base) == [] and requests[1].outside(server.base) == []
        projector.close()
        laptop.close()
    finally:
        stop_server(server)


def _wait(predicate, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.5)
    return False


def test_closed_page_shuts_its_kernel_down(browser, tmp_path):
    """Closing a page (its beforeunload beacon) shuts down the kernel it used."""
    server = start_server(tmp_path, "--pool", "1")
    try:
        _wait(lambda: len(server.kernels()) >= 3, 60)  # the preheated pool: member, secretary, council
        time.sleep(4)
        before = set(server.kernels())
        context = browser.new_context()
        page = context.new_page()
        page.goto(server.links().council)
        page.wait_for_selector(f".{contract.RESULTS}", timeout=60_000)
        time.sleep(1)
        page.close(run_before_unload=True)

        assert _wait(lambda: not before <= set(server.kernels()), 30), "the page's kernel is still running"
        context.close()
    finally:
        stop_server(server)


def test_abandoned_dashboard_is_culled_even_while_the_store_changes(browser, tmp_path):
    """A projector page left without its beforeunload (the laptop lid shut) stops pushing and its kernel is culled."""
    server = start_server(tmp_path, "--pool", "1", "--cull-idle", "12", env={"OCOP_HEARTBEAT_TIMEOUT": "6"})
    stop = threading.Event()
    try:
        store = server.store()
        _wait(lambda: len(server.kernels()) >= 3, 60)
        time.sleep(4)
        before = set(server.kernels())
        context = browser.new_context()
        page = context.new_page()
        page.goto(server.links().council)
        page.wait_for_selector(f".{contract.RESULTS}", timeout=60_000)
        time.sleep(2)
        context.close()  # no beforeunload: the kernel is abandoned, not shut down

        def keep_saving():
            option = 1
            while not stop.is_set():
                store.tick(server.session, OPERATOR, "P10", "TV03", "1.1", option)
                option = 3 - option
                time.sleep(2)

        threading.Thread(target=keep_saving, daemon=True).start()
        time.sleep(3)
        assert before <= set(server.kernels()), "the page's kernel stopped before it was abandoned long enough"

        # the page took one of the preheated kernels (the pool refills with new ones, which wait busy
        # for a request and are never culled): that original kernel is the one that must go
        assert _wait(lambda: bool(before - set(server.kernels())), 120), (
            "the abandoned dashboard's kernel was not culled"
        )
    finally:
        stop.set()
        stop_server(server)


def test_every_member_opening_their_link_at_once_gets_the_form(tmp_path):
    """The start of a session: twelve scoring members open their links at the same moment.

    Each page must arrive with its form. (It did not: under that load Voilà read the forms'
    messages more than nbclient's 4 s after the kernels' replies and served all twelve pages
    empty; benchmarks/README.md, browser.)
    """
    import re
    import urllib.request

    from ocop_scoring import demo
    from ocop_scoring.criteria_io import load_library
    from ocop_scoring.model import MemberSpec, ProductSpec
    from ocop_scoring.store import SessionStore

    store_url = str(tmp_path / "twelve.sqlite")
    store = SessionStore(store_url)
    store.create_session("twelve", "Hội đồng 12 thành viên", load_library())
    specs = [MemberSpec(f"TV{i:02d}", f"Thành viên {i}", "chair" if i == 1 else "member") for i in range(1, 13)]
    store.add_members("twelve", [*specs, MemberSpec("TK01", "Thư ký", "secretary")])
    store.add_products(
        "twelve",
        [
            ProductSpec(p.product_id, p.name, p.sheet_id, p.code, p.producer, p.commune, p.province)
            for p in demo.PRODUCTS
        ],
    )
    store.close()
    server = start_server(tmp_path, "--pool", "12", store_url=store_url, session="twelve")
    try:
        members = server.links().members
        assert len(members) == 12
        filled = "Kernel pool of member.ipynb is filled with 12"
        assert _wait(lambda: filled in server.log.read_text(errors="replace"), 240), "the pool never filled"
        time.sleep(3)
        barrier = threading.Barrier(len(members))
        pages: dict[str, str] = {}

        def fetch(member: str, url: str) -> None:
            barrier.wait()
            with urllib.request.urlopen(url, timeout=120) as response:
                pages[member] = response.read().decode("utf-8", "replace")

        threads = [threading.Thread(target=fetch, args=item) for item in members.items()]
        for t in threads:
            t.start()
        for t in threads:
            t.join(150)

        assert sorted(pages) == sorted(members)
        empty = [m for m, body in pages.items() if "application/vnd.jupyter.widget-view+json" not in body]
        assert not empty, f"pages served without their form: {empty}"
        kernels = {re.search(r'"kernelId":\s*"([0-9a-f-]+)"', body).group(1) for body in pages.values()}
        assert len(kernels) == len(members)
    finally:
        stop_server(server)
