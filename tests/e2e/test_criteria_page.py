"""The criteria workbench in a real browser: edit sheet 4's story marker, rescore the demo council, see P04 move."""

from __future__ import annotations

from playwright.sync_api import expect

from ocop_scoring.criteria_io import load_library
from ocop_scoring.texts import load_texts
from ocop_scoring.views.workbench import node_label, sheet_label
from tests.e2e.conftest import PAGE_TIMEOUT_MS, RequestLog, screenshot


def test_workbench_edit_and_what_if_lists_p04(server, context, page):
    """Move 5.1's 4★ marker to option 4 on qd26-2026-04 through the page, rescore the demo council with the
    link's token, and the page lists P04 going from 3★ to 4★; nothing leaves the machine."""
    requests = RequestLog(context)
    library = load_library()
    sheet4 = library.sheet("qd26-2026-04")
    texts = load_texts()
    page.goto(server.links().criteria)
    picker = page.locator(".ocop-sheet-picker select")
    expect(picker).to_be_visible(timeout=PAGE_TIMEOUT_MS)

    picker.select_option(value=sheet_label(sheet4, texts, "vi"))
    expect(page.locator('.ocop-wb-tree [data-sheet="qd26-2026-04"]')).to_be_visible()
    page.locator(".ocop-wb-node select").select_option(value=node_label(sheet4.criterion("5.1"), "vi"))
    expect(page.locator('.ocop-wb-tree .ocop-wb-selected[data-code="5.1"]')).to_be_visible()
    page.locator(".ocop-wb-star-4 select").select_option(value="4")

    expect(page.locator('.ocop-validation [data-count="0"]')).to_be_visible()
    diff = page.locator(".ocop-diff")
    expect(diff.locator('[data-count="2"]')).to_be_visible()
    expect(diff.locator('tr[data-code="5.1"][data-option="4"][data-field="star"]')).to_be_visible()
    expect(page.locator('.ocop-wb-tree [data-code="5.1"] li[data-option="4"][data-star="4"]')).to_be_visible()
    expect(page.locator(".ocop-wb-option-4 .ocop-star")).to_be_visible()
    expect(page.locator(".ocop-wb-option-5 .ocop-star")).to_have_count(0)
    screenshot(page, "criteria-workbench")

    expect(page.locator(".ocop-whatif-session select")).to_have_value(
        next(label for label in _session_labels(server) if label.startswith("demo — "))
    )
    page.locator("button.ocop-whatif-run").click()

    row = page.locator(".ocop-whatif-changes .ocop-change-P04")
    expect(row).to_be_visible(timeout=PAGE_TIMEOUT_MS)
    expect(row).to_have_attribute("data-old-stars", "3")
    expect(row).to_have_attribute("data-new-stars", "4")
    expect(page.locator(".ocop-whatif-changes tbody tr")).to_have_count(1)
    expect(page.locator('.ocop-status [data-kind="ok"]')).to_be_visible()
    row.scroll_into_view_if_needed()
    screenshot(page, "criteria-whatif")

    assert requests.outside(server.base) == []


def _session_labels(server) -> list[str]:
    store = server.store()
    try:
        return [f"{s.session_id} — {s.name}" for s in store.sessions()]
    finally:
        store.close()
