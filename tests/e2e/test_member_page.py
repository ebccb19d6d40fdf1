"""The member's page in Chromium against a real `ocop serve`: score a product, submit, reload, stay in one's own cards."""

from __future__ import annotations

import json
import statistics
import time

import psutil
from playwright.sync_api import expect

from ocop_scoring.scoring import score_card
from ocop_scoring.views import contract
from tests.e2e.conftest import PAGE_TIMEOUT_MS, SCREENS, RequestLog, screenshot

MB = 1024 * 1024
# Times measured in the page: from the click event on a label to the totals bar showing the new total,
# and to the status line saying the tick was saved (Playwright's own overhead left out).
ARM_TICK_JS = """([cls, n, code, before]) => {
    const w = window;
    w.__tick = {t0: null, total: null, saved: null};
    const label = document.querySelectorAll(`.${cls} .widget-radio-box label`)[n - 1];
    label.addEventListener('click', () => { if (w.__tick.t0 === null) w.__tick.t0 = performance.now(); },
                           {capture: true, once: true});
    const bar = document.querySelector('.ocop-sticky');
    const want = `Đã lưu ${code} → phương án ${n}`;
    const obs = new MutationObserver(() => {
        const now = performance.now();
        const t = bar.querySelector('[data-total]');
        if (w.__tick.total === null && t && t.dataset.total !== String(before)) w.__tick.total = now;
        if (w.__tick.saved === null && bar.querySelector('.ocop-status').textContent.includes(want)) {
            w.__tick.saved = now;
        }
    });
    obs.observe(bar, {subtree: true, childList: true, attributes: true, characterData: true});
    w.__tickObs = obs;
}"""
READ_TICK_JS = """() => { window.__tickObs.disconnect(); const t = window.__tick;
    return [t.total === null ? null : t.total - t.t0, t.saved === null ? null : t.saved - t.t0]; }"""
ARM_SWITCH_JS = """([product]) => {
    const w = window;
    w.__switch = {t0: null, shown: null};
    const select = document.querySelector('.ocop-product-picker select');
    select.addEventListener('change', () => { w.__switch.t0 = performance.now(); }, {capture: true, once: true});
    const obs = new MutationObserver(() => {
        if (w.__switch.shown === null && document.querySelector(`.ocop-total [data-product="${product}"]`)) {
            w.__switch.shown = performance.now(); obs.disconnect();
        }
    });
    obs.observe(document.querySelector('.ocop-app'), {subtree: true, childList: true, attributes: true});
}"""


def open_page(page, url: str) -> None:
    """Open a member's link and wait until the form is live."""
    page.goto(url)
    page.wait_for_selector(f".{contract.TOTAL} [data-total]", timeout=PAGE_TIMEOUT_MS)


def pick_product(page, store, session: str, product_id: str) -> float:
    """Choose a product in the picker (options are in council order), wait for its form; return the seconds taken."""
    ids = [p.product_id for p in store.state(session).products]
    if page.locator(f".{contract.TOTAL} [data-product]").get_attribute("data-product") == product_id:
        return 0.0
    page.evaluate(ARM_SWITCH_JS, [product_id])
    page.locator(f".{contract.PRODUCT_PICKER} select").select_option(index=ids.index(product_id))
    page.wait_for_selector(f'.{contract.TOTAL} [data-product="{product_id}"]')
    page.wait_for_function("() => window.__switch.shown !== null")
    return page.evaluate("() => (window.__switch.shown - window.__switch.t0) / 1000")


def shown_total(page) -> int:
    """The running total the page shows."""
    return int(page.locator(f".{contract.TOTAL} [data-total]").get_attribute("data-total"))


def option_label(page, code: str, number: int):
    """The label of option ``number`` of a criterion's radio group (clicking it ticks the option)."""
    return page.locator(f".{contract.criterion_class(code)} .widget-radio-box label").nth(number - 1)


def kernel_rss(server, page) -> int:
    """Resident memory of the kernel behind ``page`` (found by the kernel id in the page's config)."""
    kernel_id = json.loads(page.locator("#jupyter-config-data").text_content())["kernelId"]
    for proc in psutil.Process(server.proc.pid).children(recursive=True):
        try:
            if any(kernel_id in part for part in proc.cmdline()):
                return proc.memory_info().rss
        except psutil.NoSuchProcess:
            continue
    raise AssertionError(f"no kernel process for {kernel_id}")


def test_member_scores_a_whole_product_and_submits(page, context, server):
    """TV02 ticks every criterion of P08 by clicking labels, sees the total follow, submits with confirmation."""
    requests = RequestLog(context)
    store = server.store()
    session = server.session
    links = server.links()
    product = store.state(session).product("P08")
    sheet = store.sheet(session, product.sheet_id)
    choices = {leaf.code: min(len(leaf.options), 2 + i % 3) for i, leaf in enumerate(sheet.leaves)}
    started = time.monotonic()
    open_page(page, links.members["TV02"])
    opened = time.monotonic() - started
    rss_open = kernel_rss(server, page)

    switches = [pick_product(page, store, session, pid) for pid in ("P09", "P01", "P08")]
    assert shown_total(page) == 0

    to_total, to_saved, ticked = [], [], {}
    status = page.locator(f".{contract.STATUS}").first
    for code, number in choices.items():
        ticked[code] = number
        expected = score_card(sheet, ticked).total
        before = shown_total(page)
        page.evaluate(ARM_TICK_JS, [contract.criterion_class(code), number, code, before])
        option_label(page, code, number).click()
        if expected != before:
            page.wait_for_selector(f'.{contract.TOTAL} [data-total="{expected}"]')
        expect(status).to_have_text(f"✔ Đã lưu {code} → phương án {number}")
        total_ms, saved_ms = page.evaluate(READ_TICK_JS)
        if expected != before:
            to_total.append(total_ms / 1000)
        to_saved.append(saved_ms / 1000)
        if code == "2.1":
            page.evaluate("window.scrollTo(0, 0)")
            screenshot(page, "member-form")

    assert shown_total(page) == score_card(sheet, choices).total
    assert page.locator(f".{contract.TOTAL} [data-missing]").get_attribute("data-missing") == "0"
    card = store.state(session).card("P08", "TV02")
    assert dict(card.choices) == choices and card.status == "draft"

    page.locator(f".{contract.SUBMIT}").click()
    expect(page.locator(f".{contract.CONFIRM}")).to_be_visible()
    assert store.state(session).card("P08", "TV02").status == "draft"
    page.locator(f".{contract.CONFIRM}").click()

    expect(page.locator(".ocop-lock-line")).to_contain_text("Đã nộp lúc")
    assert store.state(session).card("P08", "TV02").status == "submitted"
    assert page.locator(f".{contract.criterion_class('1.1')} input[type=radio]").first.is_disabled()
    expect(page.locator(f".{contract.PRODUCT_PICKER} select")).to_contain_text("P08")
    page.evaluate("window.scrollTo(0, 0)")
    screenshot(page, "member-submitted")
    rss_used = kernel_rss(server, page)

    assert requests.outside(server.base) == []
    timings = {
        "page_open_s": round(opened, 3),
        "product_switch_s": [round(x, 3) for x in switches],
        "tick_to_total_median_s": round(statistics.median(to_total), 3),
        "tick_to_total_max_s": round(max(to_total), 3),
        "tick_to_saved_median_s": round(statistics.median(to_saved), 3),
        "tick_to_saved_max_s": round(max(to_saved), 3),
        "kernel_rss_open_mb": round(rss_open / MB, 1),
        "kernel_rss_after_mb": round(rss_used / MB, 1),
        "ticks": len(to_saved),
    }
    SCREENS.mkdir(parents=True, exist_ok=True)
    record(timings)


def record(values: dict) -> None:
    """Add measurements to tests/artifacts/member-timings.json (for the report; nothing is timed as a test)."""
    path = SCREENS.parent / "member-timings.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    old = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
    path.write_text(json.dumps({**old, **values}, indent=1), encoding="utf-8")
    print(values)


def test_member_reload_keeps_the_draft(page, server):
    """Ticks are saved as they are made: a reload shows them again."""
    store = server.store()
    session = server.session
    url = server.links().members["TV06"]
    open_page(page, url)
    pick_product(page, store, session, "P09")
    status = page.locator(f".{contract.STATUS}").first
    for code, number in (("1.1", 2), ("8", 2), ("15", 1)):  # P09 is scored in case a: options 1 and 2
        option_label(page, code, number).click()
        expect(status).to_have_text(f"✔ Đã lưu {code} → phương án {number}")
    page.locator(f".{contract.COMMENT} textarea").fill("Cần xem lại tiện nghi")
    page.locator(f".{contract.COMMENT} textarea").blur()
    expect(status).to_have_text("✔ Đã lưu ý kiến")

    page.reload()
    page.wait_for_selector(f".{contract.TOTAL} [data-total]", timeout=PAGE_TIMEOUT_MS)
    pick_product(page, store, session, "P09")

    for code, number in (("1.1", 2), ("8", 2), ("15", 1)):
        expect(page.locator(f".{contract.criterion_class(code)} input[type=radio]").nth(number - 1)).to_be_checked()
    expect(page.locator(f".{contract.criterion_class('8')} input[type=radio]")).to_have_count(3)  # 1, 2, không đạt
    expect(page.locator(f".{contract.criterion_class('1.2')} input[type=radio]:checked")).to_have_count(0)
    expect(page.locator(f".{contract.COMMENT} textarea")).to_have_value("Cần xem lại tiện nghi")
    expect(page.locator(".ocop-case-head")).to_have_count(6)  # criteria 8, 9 and 15: Trường hợp 1 and 2
    assert dict(store.state(session).card("P09", "TV06").choices) == {"1.1": 2, "8": 2, "15": 1}


def test_member_link_reaches_only_the_members_own_cards(page, server):
    """A forged ?member=TV03 on TV02's link still shows and writes TV02's cards only."""
    store = server.store()
    session = server.session
    url = server.links().members["TV02"] + "&member=TV03"
    tv03_before = store.state(session).card("P09", "TV03")
    open_page(page, url)

    expect(page.locator(f".{contract.MEMBER_PICKER}")).to_have_count(0)
    expect(page.locator(".ocop-page-title")).to_contain_text("Trần Thị Bình (TV02")
    pick_product(page, store, session, "P09")
    assert page.locator(f".{contract.TOTAL} [data-member]").get_attribute("data-member") == "TV02"
    option_label(page, "1.2", 3).click()
    expect(page.locator(f".{contract.STATUS}").first).to_have_text("✔ Đã lưu 1.2 → phương án 3")

    assert dict(store.state(session).card("P09", "TV02").choices)["1.2"] == 3
    assert store.state(session).card("P09", "TV03") == tv03_before


def test_member_bad_link_shows_an_error_page(page, server):
    """An unknown token gives a Vietnamese explanation, not a traceback."""
    page.goto(server.base + "voila/render/member.ipynb?token=not-a-token")
    page.wait_for_selector(".ocop-error-page", timeout=PAGE_TIMEOUT_MS)

    expect(page.locator(".ocop-error-page")).to_contain_text("Đường dẫn không hợp lệ")
    expect(page.locator(".ocop-error-page")).to_contain_text("Mã truy cập trong đường dẫn không đúng")
    expect(page.locator("text=Traceback")).to_have_count(0)


def test_member_page_follows_a_reopened_card(page, server):
    """The page's poller: when the secretary reopens TV03's submitted P01 card, the open form unlocks by itself."""
    store = server.store()
    session = server.session
    secretary = store.actor_for_token(store.state(session).member("TK01").token)
    open_page(page, server.links().members["TV03"])
    pick_product(page, store, session, "P01")
    expect(page.locator(".ocop-lock-line")).to_contain_text("Đã nộp lúc")
    first = page.locator(f".{contract.criterion_class('1.1')} input[type=radio]").first
    expect(first).to_be_disabled()

    store.reopen(session, secretary, "P01", "TV03", "Thành viên xin xem lại tiêu chí 1.1")

    expect(page.locator(".ocop-lock-line")).to_have_text("", timeout=15_000)
    expect(first).to_be_enabled()
    expect(page.locator(f".{contract.PRODUCT_PICKER} select")).to_contain_text("P01 · Bơ sáp 034 Di Linh — ✎")
    store.submit(session, secretary, "P01", "TV03")
    expect(page.locator(".ocop-lock-line")).to_contain_text("Đã nộp lúc", timeout=15_000)
