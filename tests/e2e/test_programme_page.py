"""The programme page in Chromium against a real `ocop serve`: two councils, Điện Biên against its targets."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from ocop_scoring.views import contract
from tests.conftest import two_programme_sessions
from tests.e2e.conftest import PAGE_TIMEOUT_MS, RequestLog, screenshot, start_server, stop_server


@pytest.fixture(scope="module")
def programme_server(tmp_path_factory, library):
    """`ocop serve db-2026` on a store holding the 2025 demo council (finalised) and Điện Biên's 2026 council."""
    from ocop_scoring.store import SessionStore

    tmp = tmp_path_factory.mktemp("serve-programme")
    path = tmp / "programme.sqlite"
    with SessionStore(path) as store:
        _, session = two_programme_sessions(store, library)
    srv = start_server(tmp, "--pool", "1", "--cull-idle", "120", store_url=str(path), session=session)
    yield srv
    stop_server(srv)


def test_programme_page_renders_offline(page, context, programme_server):
    """The link opens on Điện Biên (the council's province): progress against 21 by 2020 and 62 by 2030,
    tables and three charts in large type; all provinces on request; nothing leaves the machine."""
    requests = RequestLog(context)
    page.goto(programme_server.links().programme)
    app = page.locator(f".{contract.PROGRAMME}")
    expect(app.locator(".ocop-prog-head")).to_be_visible(timeout=PAGE_TIMEOUT_MS)

    expect(app.locator(".ocop-prog-head")).to_have_attribute("data-province", "Điện Biên")
    target = app.locator(".ocop-prog-targets li[data-year='2030']")
    expect(target).to_have_attribute("data-target", "62")
    expect(target).to_have_attribute("data-provisional", "1")  # D02; D01 (90+) is forwarded to the Ministry
    expect(app.locator(".ocop-prog-targets li[data-year='2020']")).to_have_attribute("data-target", "21")
    expect(app.locator("tr[data-year='2030'] .ocop-prog-target")).to_have_text("62")
    expect(app.locator("figure.ocop-prog-chart svg")).to_have_count(3)
    sizes = page.evaluate(
        """() => [...document.querySelectorAll('.ocop-programme .ocop-prog-table td, .ocop-prog-targets li')]
            .map(e => parseFloat(getComputedStyle(e).fontSize))"""
    )
    assert sizes and min(sizes) >= 18
    chart_width = page.evaluate(
        "() => document.querySelector('figure.ocop-prog-chart svg').getBoundingClientRect().width"
    )
    assert chart_width > 800
    screenshot(page, "programme")

    page.locator(f".{contract.PROVINCE_PICKER} select").select_option(index=0)
    expect(app.locator(".ocop-prog-head")).to_have_attribute("data-province", "")
    row = app.locator("table[data-dimension='province'] tr[data-key='Điện Biên']")
    expect(row).to_have_attribute("data-provisional", "1")
    expect(app.locator(".ocop-prog-head")).to_have_attribute("data-recognised", "7")
    screenshot(page, "programme-all")
    app.locator("figure[data-chart='province']").scroll_into_view_if_needed()
    screenshot(page, "programme-all-charts")

    assert requests.outside(programme_server.base) == []
