"""The secretary's decisions in Chromium against a real `ocop serve`: a knock-out the ticks trigger,
confirmed with the prefilled reason, then the recognition decision after the meeting."""

from __future__ import annotations

import shutil

import pytest
from playwright.sync_api import expect

from ocop_scoring.store import SessionStore
from ocop_scoring.views import contract
from tests.conftest import demo_session
from tests.e2e.conftest import PAGE_TIMEOUT_MS, RequestLog, screenshot, start_server, stop_server

P05_REASON = (
    "tiêu chí 6.1: Chú ý: Nếu có các tạp chất không chấp nhận được (các tạp chất có nguy cơ gây mất an toàn "
    "thực phẩm) như: Lông, côn trùng, mẫu gỗ, cát, nhựa ... sẽ không đánh giá các bước tiếp theo"
)


@pytest.fixture
def sitting(tmp_path, library):
    """A server on the demo council held on 2026-06-20 with every card submitted (its own store: it is changed)."""
    path = tmp_path / "sitting.sqlite"
    store = SessionStore(str(path))
    session = demo_session(store, library, session_id="hd-2026-1", held_on="2026-06-20")
    store.close()
    srv = start_server(tmp_path, "--pool", "1", "--cull-idle", "120", store_url=str(path), session=session)
    yield srv
    stop_server(srv)


def test_secretary_confirms_a_knockout_and_records_the_recognition(page, context, sitting):
    """Kết thúc: P05's 6.1 knock-out (TV07's ticks) confirmed with the prefilled reason; Công nhận: decision
    123/QĐ-UBND of 2026-07-01 recognises the products proposed; the store has both."""
    requests = RequestLog(context)
    store = sitting.store()
    session = sitting.session
    page.goto(sitting.links().secretary)
    page.wait_for_selector(f".ocop-tab-entry .{contract.TOTAL} [data-total]", timeout=PAGE_TIMEOUT_MS)

    page.locator(".lm-TabBar-tab", has_text="Kết thúc").click()
    box = page.locator(f".ocop-tab-finish .{contract.KO_BOX}")
    card = box.locator(f'.{contract.KO_PANEL} .ocop-ko-card[data-product="P05"]')
    expect(card).to_have_attribute("data-decision", "pending")
    expect(card.locator('li[data-criterion="6.1"]')).to_contain_text("Theo phiếu của: TV07 (Đặng Văn Giang)")
    expect(card).to_contain_text("việc loại là quyết định của Hội đồng")
    expect(box.locator(f".{contract.KO_REASON} textarea")).to_have_value(P05_REASON)
    box.scroll_into_view_if_needed()
    shutil.copy(screenshot(page, "secretary-knockout"), "/tmp/secretary-knockout.png")

    box.locator(f".{contract.KO_CONFIRM}").click()

    expect(card).to_have_attribute("data-decision", "knocked_out")
    expect(card.locator(".ocop-ko-decision")).to_contain_text("Hội đồng đã loại sản phẩm. Lý do: tiêu chí 6.1: Chú ý:")
    expect(box.locator(f".{contract.STATUS}")).to_contain_text("Đã loại sản phẩm P05")
    expect(box.locator(f".{contract.KO_CONFIRM}")).to_be_disabled()
    assert store.state(session).product("P05").knockout == P05_REASON

    page.locator(".lm-TabBar-tab", has_text="Công nhận").click()
    tab = page.locator(".ocop-tab-recognition")
    expect(tab.locator(f'.{contract.STANDINGS} tr[data-product="P05"]')).to_have_attribute("data-standing", "rejected")
    expect(tab.locator(f'.{contract.STANDINGS} tr[data-product="P03"]')).to_contain_text(
        "Đạt từ 90 điểm: đề nghị Bộ đánh giá 5★"
    )
    expect(tab.locator(f".{contract.AWAITING_PREFIX}P01 input")).to_be_checked()
    expect(tab.locator(f".{contract.AWAITING_PREFIX}P05")).to_have_count(0)
    tab.locator(f".{contract.AWAITING_PREFIX}P09 input").uncheck()
    tab.locator(f".{contract.DECISION_NUMBER} input").fill("123/QĐ-UBND")
    tab.locator(f".{contract.DECISION_DATE} input").fill("2026-07-01")

    tab.locator(f".{contract.RECOGNISE}").click()

    p01 = tab.locator(f'.{contract.STANDINGS} tr[data-product="P01"]')
    expect(p01).to_have_attribute("data-standing", "recognised")
    expect(p01).to_contain_text("Đã công nhận 4★ (Quyết định số 123/QĐ-UBND, ngày 01/07/2026)")
    expect(tab.locator(f'.{contract.DECISIONS} tr[data-kind="recognition"]')).to_contain_text("123/QĐ-UBND")
    expect(tab.locator(f'.{contract.STANDINGS} tr[data-product="P09"]')).to_have_attribute("data-standing", "proposed")
    (decision,) = store.state(session).decisions
    assert (decision.number, decision.signed_on) == ("123/QĐ-UBND", "2026-07-01")
    assert decision.products == ("P01", "P02", "P04", "P06", "P08")
    assert store.results(session).product("P01").standing.status == "recognised"
    page.evaluate("window.scrollTo(0, 0)")
    shutil.copy(screenshot(page, "secretary-recognition"), "/tmp/secretary-recognition.png")
    assert requests.outside(sitting.base) == []
