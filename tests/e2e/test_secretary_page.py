"""The secretary's page in Chromium against a real `ocop serve`: a paper sheet typed in by keyboard, progress."""

from __future__ import annotations

from playwright.sync_api import expect

from ocop_scoring.scoring import score_card
from ocop_scoring.views import contract
from tests.e2e.conftest import PAGE_TIMEOUT_MS, RequestLog, screenshot

ENTRY_TAB = ".ocop-tab-entry"


def test_secretary_types_a_paper_sheet_by_keyboard(page, context, server):
    """TV04's paper sheet for P10: type each number and Tab to the next box; the total follows; submit."""
    requests = RequestLog(context)
    store = server.store()
    session = server.session
    state = store.state(session)
    product = state.product("P10")
    sheet = store.sheet(session, product.sheet_id)
    choices = {leaf.code: min(len(leaf.options), 2 + i % 2) for i, leaf in enumerate(sheet.leaves)}
    members = [m.member_id for m in state.scoring_members]
    products = [p.product_id for p in state.products]

    page.goto(server.links().secretary)
    page.wait_for_selector(f"{ENTRY_TAB} .{contract.TOTAL} [data-total]", timeout=PAGE_TIMEOUT_MS)
    tab = page.locator(ENTRY_TAB)
    tab.locator(f".{contract.MEMBER_PICKER} select").select_option(index=members.index("TV04"))
    page.wait_for_selector(f'{ENTRY_TAB} .{contract.TOTAL} [data-member="TV04"]')
    tab.locator(f".{contract.PRODUCT_PICKER} select").select_option(index=products.index("P10"))
    page.wait_for_selector(f'{ENTRY_TAB} .{contract.TOTAL} [data-product="P10"][data-member="TV04"]')

    tab.locator(f".{contract.entry_class(sheet.leaves[0].code)} input").focus()
    for number in choices.values():
        page.keyboard.type(str(number))
        page.keyboard.press("Tab")

    total = score_card(sheet, choices).total
    expect(tab.locator(f'.{contract.TOTAL} [data-total="{total}"][data-missing="0"]')).to_be_visible()
    last = sheet.leaves[-1].code
    expect(tab.locator(f".ocop-entry-info-{last.replace('.', '_')}")).to_contain_text(f"→ {choices[last]}.")
    assert dict(store.state(session).card("P10", "TV04").choices) == choices

    tab.locator(f".{contract.entry_class('1.1')} input").fill("9")
    page.keyboard.press("Tab")
    expect(tab.locator(".ocop-entry-info-1_1 .ocop-entry-bad")).to_contain_text("không có phương án «9»")
    assert dict(store.state(session).card("P10", "TV04").choices)["1.1"] == choices["1.1"]
    tab.locator(f".{contract.entry_class('1.1')} input").fill(str(choices["1.1"]))
    page.keyboard.press("Tab")
    expect(tab.locator(".ocop-entry-info-1_1 .ocop-entry-ok")).to_be_visible()
    page.evaluate("window.scrollTo(0, 0)")
    screenshot(page, "secretary-entry")

    tab.locator(f".{contract.SUBMIT}").click()
    tab.locator(f".{contract.CONFIRM}").click()
    expect(tab.locator(".ocop-lock-line")).to_contain_text("Đã nộp lúc")
    assert store.state(session).card("P10", "TV04").status == "submitted"

    page.locator(".lm-TabBar-tab", has_text="Tiến độ").click()
    cell = page.locator(f'.{contract.PROGRESS} td[data-product="P10"][data-member="TV04"]')
    expect(cell).to_have_attribute("data-status", "submitted")
    expect(page.locator(f'.{contract.PROGRESS} td[data-product="P06"][data-member="TV05"]')).to_have_attribute(
        "data-status", "recused"
    )
    screenshot(page, "secretary-progress")

    assert requests.outside(server.base) == []


def test_secretary_lists_and_finish_tabs(page, server):
    """The lists show members with their personal links; the finish tab shows P05 flagged by the spread rule."""
    page.goto(server.links().secretary)
    page.wait_for_selector(f"{ENTRY_TAB} .{contract.TOTAL} [data-total]", timeout=PAGE_TIMEOUT_MS)

    page.locator(".lm-TabBar-tab", has_text="Danh sách").click()
    lists = page.locator(".ocop-tab-lists")
    expect(lists.locator('tr[data-member="TV02"] a')).to_have_attribute(
        "href", f"member.ipynb?token={token(server, 'TV02')}"
    )
    expect(lists.locator(f".{contract.UPLOAD_MEMBERS}")).to_be_visible()
    screenshot(page, "secretary-lists")

    page.locator(".lm-TabBar-tab", has_text="Kết thúc").click()
    finish = page.locator(".ocop-tab-finish")
    expect(finish.locator('tr[data-product="P05"][data-flagged="1"]')).to_be_visible()
    expect(finish.locator(f".{contract.NEW_ROUND}")).to_be_enabled()
    finish.locator(f".{contract.FINALISE}").click()
    expect(finish.locator(f".{contract.CONFIRM}")).to_be_visible()
    finish.locator(f".{contract.CANCEL}").click()
    expect(finish.locator(f".{contract.CONFIRM}")).to_be_hidden()
    screenshot(page, "secretary-finish")
    assert server.store().session(server.session).is_open


def token(server, member_id: str) -> str:
    """A member's personal token."""
    return server.store().state(server.session).member(member_id).token
