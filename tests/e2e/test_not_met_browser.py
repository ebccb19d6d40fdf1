"""The choice "Không đạt (0 điểm)" in Chromium against a real `ocop serve`: clicked on a member's page, typed as 0
in the secretary's fast entry; the live total drops and the store holds option 0. One page load per test."""

from __future__ import annotations

from playwright.sync_api import expect

from ocop_scoring.model import NOT_MET
from ocop_scoring.views import contract
from tests.e2e.conftest import PAGE_TIMEOUT_MS, SCREENS, RequestLog, screenshot
from tests.e2e.test_member_page import open_page, option_label, pick_product, shown_total

PRODUCT = "P08"  # sheet 21, not scored in the demo
NO_ZERO = "1.1"  # printed options worth 1, 2 and 4 points: "không đạt" is an extra choice
PRINTS_ZERO = "1.4"  # its first printed option is worth 0: no extra choice


def labels(page, code: str):
    """Every label of a criterion's radio group (the printed options, then "không đạt" where there is one)."""
    return page.locator(f".{contract.criterion_class(code)} .widget-radio-box label")


def test_member_chooses_not_met_by_click(page, context, server):
    """TV08 ticks 1.1's 4-point option, then "Không đạt (0 điểm)": the total drops by 4, the store holds 0."""
    requests = RequestLog(context)
    store = server.store()
    session = server.session
    sheet = store.sheet(session, store.state(session).product(PRODUCT).sheet_id)
    leaf = sheet.leaf(NO_ZERO)
    open_page(page, server.links().members["TV08"])
    pick_product(page, store, session, PRODUCT)
    assert shown_total(page) == 0

    options = labels(page, NO_ZERO)
    expect(options).to_have_count(len(leaf.options) + 1)
    not_met = options.last
    expect(not_met).to_have_text("Không đạt (0 điểm)")
    expect(labels(page, PRINTS_ZERO)).to_have_count(len(sheet.leaf(PRINTS_ZERO).options))
    assert not_met.evaluate("e => getComputedStyle(e).borderTopStyle") == "dashed"  # set apart from the options

    option_label(page, NO_ZERO, 3).click()
    expect(page.locator(f'.{contract.TOTAL} [data-total="4"]')).to_be_visible()
    missing = int(page.locator(f".{contract.TOTAL} [data-missing]").get_attribute("data-missing"))

    not_met.click()

    expect(page.locator(f".{contract.STATUS}").first).to_have_text(f"✔ Đã lưu {NO_ZERO} → không đạt (0 điểm)")
    expect(page.locator(f'.{contract.TOTAL} [data-total="0"][data-missing="{missing}"]')).to_be_visible()
    expect(not_met.locator("input")).to_be_checked()
    assert dict(store.state(session).card(PRODUCT, "TV08").choices) == {NO_ZERO: NOT_MET}

    screenshot(page, "member-not-met")
    page.set_viewport_size({"width": 1024, "height": 768})  # a tablet in the room
    page.locator(f".{contract.criterion_class(NO_ZERO)}").scroll_into_view_if_needed()
    SCREENS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENS / "member-not-met-tablet.png"))
    assert requests.outside(server.base) == []


def test_secretary_types_0_for_not_met(page, server):
    """The secretary's fast entry for TV09's paper sheet: 3 then Tab (4 points), then 0 then Tab: "không đạt"."""
    store = server.store()
    session = server.session
    state = store.state(session)
    members = [m.member_id for m in state.scoring_members]
    products = [p.product_id for p in state.products]
    page.goto(server.links().secretary)
    tab = page.locator(".ocop-tab-entry")
    page.wait_for_selector(f".ocop-tab-entry .{contract.TOTAL} [data-total]", timeout=PAGE_TIMEOUT_MS)
    tab.locator(f".{contract.MEMBER_PICKER} select").select_option(index=members.index("TV09"))
    page.wait_for_selector(f'.ocop-tab-entry .{contract.TOTAL} [data-member="TV09"]')
    tab.locator(f".{contract.PRODUCT_PICKER} select").select_option(index=products.index(PRODUCT))
    page.wait_for_selector(f'.ocop-tab-entry .{contract.TOTAL} [data-product="{PRODUCT}"][data-member="TV09"]')
    box = tab.locator(f".{contract.entry_class(NO_ZERO)} input")
    info = tab.locator(f".ocop-entry-info-{NO_ZERO.replace('.', '_')}")

    box.focus()
    page.keyboard.type("3")
    page.keyboard.press("Tab")
    expect(tab.locator(f'.{contract.TOTAL} [data-total="4"]')).to_be_visible()
    box.focus()
    page.keyboard.press("ControlOrMeta+a")
    page.keyboard.type("0")
    page.keyboard.press("Tab")

    expect(info).to_have_text("→ Không đạt (0 điểm)")
    expect(tab.locator(f'.{contract.TOTAL} [data-total="0"]')).to_be_visible()
    assert dict(store.state(session).card(PRODUCT, "TV09").choices) == {NO_ZERO: NOT_MET}
