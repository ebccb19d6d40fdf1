"""The projector dashboard without a browser: rows, progress grid, live refresh, product view, bad links."""

from __future__ import annotations

import html
import time
from html.parser import HTMLParser

import ipywidgets as ipw
import pytest

from ocop_scoring import demo
from ocop_scoring.store import OPERATOR, SessionStore
from ocop_scoring.views import contract
from ocop_scoring.views.dashboard import CouncilDashboard, council_app


class _Elements(HTMLParser):
    """Every element of an HTML fragment as (tag, attributes), and the text."""

    def __init__(self, source: str) -> None:
        super().__init__()
        self.elements: list[tuple[str, dict[str, str]]] = []
        self.text: list[str] = []
        self.feed(source)

    def handle_starttag(self, tag, attrs):
        self.elements.append((tag, {k: v or "" for k, v in attrs}))

    def handle_data(self, data):
        self.text.append(data)

    def having(self, tag: str, attr: str) -> list[dict[str, str]]:
        return [a for t, a in self.elements if t == tag and attr in a]


def _rows(app: CouncilDashboard) -> dict[str, dict[str, str]]:
    return {a["data-product"]: a for a in _Elements(app.results_html.value).having("tr", "data-mean")}


def _states(app: CouncilDashboard, product_id: str) -> dict[str, str]:
    progress = app.progress_html.value
    start = progress.index(f'<tr data-product="{product_id}">')
    row = progress[start : progress.index("</tr>", start)]
    return {a["data-member"]: a["data-state"] for a in _Elements(row).having("td", "data-state")}


def _token(store, session, role="secretary") -> str:
    return next(m.token for m in store.state(session).members if m.role == role)


@pytest.fixture
def store(tmp_path):
    """An empty store in a temporary SQLite file."""
    with SessionStore(tmp_path / "s.sqlite") as s:
        yield s


def _cards(library, product_id):
    return [c for c in demo.demo_scorecards(library.sheets) if c.product_id == product_id]


def _app(store, session, **kw) -> CouncilDashboard:
    app = council_app(store=store, session=session, token=_token(store, session), live=False, **kw)
    assert isinstance(app, CouncilDashboard)
    return app


def test_dashboard_rows_carry_the_stores_results(store, make_session):
    """Every product's row has data-mean and data-stars exactly as `ocop score` prints them."""
    session = make_session(store)

    app = _app(store, session)

    rows = _rows(app)
    expected = store.results(session).as_json()["products"]
    assert len(expected) == 10
    assert {pid: (r["data-mean"], r["data-stars"]) for pid, r in rows.items()} == {
        p["product_id"]: (p["mean_total"], str(p["stars"])) for p in expected
    }
    for pid in rows:
        assert f'class="{contract.row_class(pid)}' in app.results_html.value
    assert contract.RESULTS in app.results_html._dom_classes
    assert contract.PROGRESS in app.progress_html._dom_classes
    assert contract.DETAIL in app.detail_html._dom_classes
    assert contract.DETAIL_PICKER in app.picker._dom_classes


def test_dashboard_results_are_grouped_by_sheet_with_titles(store, make_session):
    """Rows sit under their sheet's title; the last column says what the council proposes (its outcome)."""
    session = make_session(store)

    html = _app(store, session).results_html.value

    assert html.count('class="ocop-sheet-group"') == 9
    assert "Bộ tiêu chí số 1: Rau, củ, quả, hạt tươi" in html
    assert html.index("Bộ tiêu chí số 1:") < html.index('data-product="P02"') < html.index("Bộ tiêu chí số 3:")
    row = {
        pid: html[html.index(f'<tr class="{contract.row_class(pid)}') :].split("</tr>")[0]
        for pid in ("P01", "P03", "P04", "P05", "P07")
    }
    assert "Đề xuất công nhận 4★" in row["P01"] and 'data-outcome="propose_recognition"' in row["P01"]
    assert "Đạt từ 90 điểm: đề nghị Bộ đánh giá 5★" in row["P03"] and 'data-outcome="forward_to_ministry"' in row["P03"]
    assert "5.1&nbsp;(4★&nbsp;≥&nbsp;5)" in row["P04"]
    assert "ocop-flag-cell" in row["P05"] and "ocop-discussion" in row["P05"]
    assert 'data-outcome="not_recognised"' in row["P07"]
    assert '<td class="ocop-recog" title="Dưới 3★: không đề xuất công nhận">Dưới 3★: không đề xuất</td>' in row["P07"]
    assert "Đề xuất của Hội đồng" in html
    # a provincial council proposes: no row says a product is recognised ("công nhận" only after "đề xuất")
    assert html.count("công nhận") == html.count("đề xuất công nhận") + html.count("Đề xuất công nhận")


def test_dashboard_progress_grid_shows_each_cards_state(store, make_session, library):
    """A draft, a submitted card, a recusal and a blank card each show their own state."""
    session = make_session(store, with_cards=False)
    p01 = {c.member_id: dict(c.choices) for c in _cards(library, "P01")}
    store.tick(session, OPERATOR, "P01", "TV01", "1.1", 2)
    store.enter_card(session, OPERATOR, "P01", "TV02", p01["TV02"], submit=True)
    store.recuse(session, OPERATOR, "P01", "TV03", "Có quan hệ gia đình với chủ thể sản phẩm")

    app = _app(store, session)

    states = _states(app, "P01")
    assert (states["TV01"], states["TV02"], states["TV03"], states["TV04"]) == (
        "draft",
        "submitted",
        "recused",
        "not_started",
    )
    assert set(_states(app, "P02").values()) == {"not_started"}
    assert 'data-done="1">1/8<' in app.progress_html.value


def test_dashboard_refreshes_once_per_change(store, make_session, library):
    """A save makes the next poll re-render with the new mean; a poll with no change renders nothing."""
    session = make_session(store, with_cards=False)
    cards = _cards(library, "P08")
    for card in cards[:3]:
        store.enter_card(session, OPERATOR, "P08", card.member_id, dict(card.choices), submit=True)
    app = _app(store, session)
    before = _rows(app)["P08"]["data-mean"]
    renders = app.renders

    store.enter_card(session, OPERATOR, "P08", cards[3].member_id, dict(cards[3].choices), submit=True)
    refreshed = app.poller.check()
    again = app.poller.check()

    after = store.results(session).product("P08").mean_text
    assert (refreshed, again) == (True, False)
    assert app.renders == renders + 1
    assert app.poller.refreshes == 1
    assert after != before
    assert _rows(app)["P08"]["data-mean"] == after
    assert _rows(app)["P08"]["data-members"] == "4"
    assert _rows(app)["P08"]["data-provisional"] == "1"
    assert app.selected_product_id == "P08"


def test_dashboard_abandoned_page_does_not_refresh(store, make_session, library):
    """With no heartbeat from a browser for longer than the timeout, a change is not pushed."""
    session = make_session(store, with_cards=False)
    card = _cards(library, "P01")[0]
    app = _app(store, session)
    app.heartbeat.last_beat = time.monotonic() - app.heartbeat.timeout_s - 1
    renders = app.renders

    store.enter_card(session, OPERATOR, "P01", card.member_id, dict(card.choices), submit=True)
    abandoned = app.poller.check()
    app.heartbeat.value += 1  # the browser beats again
    revived = app.poller.check()

    assert (abandoned, revived) == (False, True)
    assert app.renders == renders + 1


def test_dashboard_product_view_lays_out_the_calculation(store, make_session):
    """P04's view shows the member x criterion matrix by part, the failed 4★ minimum on 5.1 and the cap."""
    session = make_session(store)
    app = _app(store, session)

    app.show_product("P04")

    detail = app.detail_html.value
    explanation = store.results(session).explain("P04")
    parsed = _Elements(detail)
    assert app.selected_product_id == "P04"
    assert [a["data-part"] for a in parsed.having("table", "data-part")] == ["A", "B", "C"]
    member_rows = [a["data-member"] for a in parsed.having("tr", "data-member")]
    assert member_rows == list(explanation.members) * 3
    assert len(explanation.criteria) >= 25
    for code in explanation.criteria:
        assert f">{code}<" in detail or f">{code}★<" in detail
    assert "KHÔNG đạt" in detail
    assert 'class="ocop-mx-code ocop-mx-fail" title="5.1' in detail
    assert "Theo điểm được 4 sao nhưng chưa đạt yêu cầu tối thiểu 4 sao ở tiêu chí 5.1 → hạng 3 sao." in detail
    assert 'data-rule="rank"' in detail
    assert len(parsed.having("li", "data-rule")) == len(explanation.steps)


def test_dashboard_follows_the_last_submitted_product_until_one_is_picked(store, make_session, library):
    """By default the product view shows the product last submitted; a pick holds until reset."""
    session = make_session(store, with_cards=False)
    app = _app(store, session)
    assert app.selected_product_id == "P01"  # nothing scored yet: the first product

    card = _cards(library, "P05")[0]
    store.enter_card(session, OPERATOR, "P05", card.member_id, dict(card.choices), submit=True)
    app.poller.check()
    assert app.selected_product_id == "P05"

    app.show_product("P02")
    card = _cards(library, "P06")[0]
    store.enter_card(session, OPERATOR, "P06", card.member_id, dict(card.choices), submit=True)
    app.poller.check()
    assert app.selected_product_id == "P02"
    assert "chưa có phiếu đã nộp" in app.detail_html.value

    app.reset()
    assert app.selected_product_id == "P06"


def test_dashboard_switches_to_english(store, make_session):
    """The toggle re-renders in English from the last read; the numbers' data attributes do not change."""
    session = make_session(store)
    app = _app(store, session)
    rows = _rows(app)

    app.lang_toggle.value = "en"
    app.show_product("P04")

    assert _rows(app) == rows
    assert "Mean" in app.results_html.value
    assert "NOT met" in app.detail_html.value
    assert '<td class="ocop-recog" title="Proposed for recognition at 4★">Proposed: 4★</td>' in app.results_html.value
    assert 'title="90 or more: forwarded to the Ministry for 5★">90+: to the Ministry for 5★</td>' in (
        app.results_html.value
    )
    assert "Below 3★: not proposed for recognition" in app.results_html.value
    assert "<b>Proposed for recognition at 3★</b>" in app.detail_html.value  # P04, in full
    assert "recognised" not in "".join(_Elements(app.results_html.value).text)
    assert "Rules of Decision No. 26/2026/QĐ-TTg" in app.header_html.value
    assert app.tabs.titles == ("Progress and results", "Each product's calculation")


def test_dashboard_marks_knockouts_and_results_below_quorum(store, make_session, library):
    """A knocked-out product is marked and unranked; a product with fewer cards than the quorum is provisional."""
    session = make_session(store, with_cards=False)
    for pid, count in (("P01", 9), ("P02", 3), ("P10", 9)):
        for card in _cards(library, pid)[:count]:
            store.enter_card(session, OPERATOR, pid, card.member_id, dict(card.choices), submit=True)
    store.knock_out(session, OPERATOR, "P10", demo.REJECTION_REASON)
    store.knock_out(session, OPERATOR, "P09", demo.REJECTION_REASON)

    app = _app(store, session)

    rows = _rows(app)
    html = app.results_html.value
    assert "ocop-knocked-out" in rows["P10"]["class"] and rows["P10"]["data-stars"] == "0"
    assert "ocop-knocked-out" in rows["P09"]["class"] and rows["P09"]["data-mean"] == ""
    assert "ocop-provisional" in rows["P02"]["class"] and rows["P02"]["data-provisional"] == "1"
    assert "ocop-provisional" not in rows["P01"]["class"]
    assert rows["P03"]["data-mean"] == "" and "chưa có phiếu nộp" in html
    assert 'data-scored="2" data-total="10"' in app.header_html.value
    assert "Đủ số: 7/9 phiếu" in app.header_html.value


def test_dashboard_any_token_of_the_session_may_view(store, make_session):
    """A member's token opens the projector page too."""
    session = make_session(store)

    app = council_app(store=store, token=_token(store, session, "member"), live=False)

    assert isinstance(app, CouncilDashboard)
    assert app.session_id == session


@pytest.mark.parametrize("token", ["not-a-token", "", None])
def test_dashboard_bad_link_gives_an_error_page(store, make_session, token, monkeypatch):
    """An unknown or missing token gives a page that says so, never the dashboard or a traceback."""
    monkeypatch.delenv("QUERY_STRING", raising=False)
    session = make_session(store)

    page = council_app(store=store, session=session, token=token, live=False)

    assert isinstance(page, ipw.HTML) and not isinstance(page, CouncilDashboard)
    assert "ocop-error-page" in page.value
    assert "Đường dẫn không hợp lệ" in page.value


def test_dashboard_token_of_another_session_gives_an_error_page(store, make_session):
    """A token of one session does not open another session's projector."""
    first = make_session(store)
    second = make_session(store, session_id="hd-2026-2", with_cards=False)

    page = council_app(store=store, session=second, token=_token(store, first), live=False)

    assert "ocop-error-page" in page.value


def test_dashboard_missing_store_gives_an_error_page(tmp_path):
    """A store file that does not exist is reported, not created."""
    page = council_app(store=str(tmp_path / "none.sqlite"), session="x", token="y", live=False)

    assert "ocop-error-page" in page.value
    assert not (tmp_path / "none.sqlite").exists()


def test_dashboard_freeze_holds_the_picture(store, make_session, library):
    """A frozen dashboard stops polling and locks its controls; unfreezing follows the store again."""
    session = make_session(store, with_cards=False)
    app = _app(store, session)

    app.freeze()
    frozen = (app.poller.task, app.picker.disabled, app.lang_toggle.disabled)
    app.unfreeze()

    assert frozen == (None, True, True)
    assert (app.picker.disabled, app.lang_toggle.disabled) == (False, False)
    assert app.poller.task is None  # not live (no kernel): nothing to poll on


def test_dashboard_product_view_shows_the_stars_stability_and_agreement(store, make_session):
    """Under P05's calculation: its star is fragile and leaving out TV03's card decides it; the
    agreement line carries the session's α and each member's difference from the council's mean
    (TV07's 12 points below marked); a stable product says so."""
    from ocop_scoring.agreement import agreement
    from ocop_scoring.stability import stability

    session = make_session(store)
    app = _app(store, session)
    results = store.results(session)

    app.show_product("P05")

    detail = app.detail_html.value
    line = _Elements(detail).having("div", "data-stable")
    assert [(a["class"], a["data-product"], a["data-stable"]) for a in line] == [(contract.STABILITY, "P05", "false")]
    sentence = stability(results)["P05"].sentence("vi", limit=2)
    assert "TV03" in sentence and html.escape(sentence) in detail
    assert "Độ vững của hạng sao" in detail
    agree = _Elements(detail).having("div", "data-alpha")[0]
    assert agree["class"] == contract.AGREEMENT_LINE
    assert agree["data-alpha"] == f"{agreement(results)[0].alpha:.6f}"
    spans = {a["data-member"]: a for a in _Elements(detail).having("span", "data-deviation")}
    assert len(spans) == 9
    assert (spans["TV07"]["data-deviation"], spans["TV07"].get("class")) == ("-12.00", "ocop-agr-far")
    assert "tham khảo" in detail

    stable = next(pid for pid, found in stability(results).items() if found.stable)
    app.show_product(stable)
    assert 'data-stable="true"' in app.detail_html.value
    app.lang_toggle.value = "en"
    app.show_product("P05")
    assert "is fragile" in app.detail_html.value and "Agreement (advisory)" in app.detail_html.value


def test_dashboard_computes_stability_once_per_store_change(store, make_session, library, monkeypatch):
    """Picking products and switching language reuse the analysis of the last read; a save computes it again."""
    import ocop_scoring.agreement
    import ocop_scoring.stability

    calls = {"stability": 0, "agreement": 0}
    real = (ocop_scoring.stability.stability, ocop_scoring.agreement.agreement)

    def counted_stability(result):
        calls["stability"] += 1
        return real[0](result)

    def counted_agreement(result, **kw):
        calls["agreement"] += 1
        return real[1](result, **kw)

    monkeypatch.setattr(ocop_scoring.stability, "stability", counted_stability)
    monkeypatch.setattr(ocop_scoring.agreement, "agreement", counted_agreement)
    session = make_session(store, with_cards=False)
    cards = _cards(library, "P01")
    for card in cards[:3]:
        store.enter_card(session, OPERATOR, "P01", card.member_id, dict(card.choices), submit=True)
    app = _app(store, session)
    for pid in ("P01", "P02", "P01"):
        app.show_product(pid)
    app.lang_toggle.value = "en"
    assert calls == {"stability": 1, "agreement": 1}

    store.enter_card(session, OPERATOR, "P01", cards[3].member_id, dict(cards[3].choices), submit=True)
    app.poller.check()
    app.show_product("P01")

    assert calls == {"stability": 2, "agreement": 2}
    assert 'class="ocop-stability"' in app.detail_html.value


def test_dashboard_shows_not_met_in_the_points_grid(store, make_session, library):
    """A member's "không đạt" (option 0) shows in the grid as KĐ, "không đạt (0 điểm)" (never a bare 0), with the
    legend; a printed 0-point option stays a 0; the step names it; in English "NM = not met (0 points)"."""
    session = make_session(store, with_cards=False)
    cards = _cards(library, "P08")
    for card in cards[:3]:
        choices = dict(card.choices)
        if card.member_id == cards[0].member_id:
            choices["1.1"] = 0
        store.enter_card(session, OPERATOR, "P08", card.member_id, choices, submit=True)
    member = cards[0].member_id
    app = _app(store, session)

    app.show_product("P08")

    detail = app.detail_html.value
    cells = [a for t, a in _Elements(detail).elements if t == "td" and a.get("class") == "ocop-mx-not-met"]
    assert cells == [{"class": "ocop-mx-not-met", "title": f"{member}, 1.1: không đạt (0 điểm)"}]
    row = detail[detail.index(f'<tr data-member="{member}">') :].split("</tr>")[0]
    assert ">KĐ</td>" in row
    assert "KĐ = không đạt (0 điểm)" in detail
    assert f"{member} chọn «không đạt»" in detail and "ở tiêu chí 1.1." in detail
    others = [cards[1].member_id, cards[2].member_id]
    assert all(
        "ocop-mx-not-met" not in detail[detail.index(f'<tr data-member="{m}">') :].split("</tr>")[0] for m in others
    )

    app.lang_toggle.value = "en"

    detail = app.detail_html.value
    assert "NM = not met (0 points)" in detail and ">NM</td>" in detail
    assert f"{member}, 1.1: not met (0 points)" in detail

    app.show_product("P01")
    assert "ocop-mx-not-met" not in app.detail_html.value and "ocop-mx-legend" not in app.detail_html.value


def test_dashboard_flags_knockout_rules_the_ticks_trigger(store, make_session, library):
    """P05's cards trigger sheet 9's knock-out note of 6.1 (TV07): the row carries ⚑ 6.1 and still the proposal;
    the product view names the criterion, the members and the note, and says the council decides; then the
    council's decision (kept with a reason, or rejected) shows there."""
    session = make_session(store)
    note = library.sheets["qd26-2026-09"].criterion("6.1")
    app = _app(store, session)

    row = app.results_html.value[app.results_html.value.index(f'<tr class="{contract.row_class("P05")}') :]
    row = row.split("</tr>")[0]
    assert "ocop-ko-flagged" in row
    flag = _Elements(row).having("span", "data-criteria")[0]
    assert (flag["class"], flag["data-criteria"]) == ("ocop-ko-flag", "6.1")
    assert "Hội đồng quyết định" in flag["title"]
    assert '<td class="ocop-num ocop-stars">3★ <span class="ocop-ko-flag"' in row and "Đề xuất công nhận 3★" in row
    assert "⚑ phiếu kích hoạt ghi chú loại" in app.results_html.value  # the legend
    assert "ocop-ko-flag" not in app.results_html.value.split(f"{contract.row_class('P01')}")[1].split("</tr>")[0]

    app.show_product("P05")

    box = _Elements(app.detail_html.value).having("div", "data-decision")[0]
    assert (box["class"], box["data-decision"]) == ("ocop-ko-flags", "pending")
    line = _Elements(app.detail_html.value).having("div", "data-criterion")[0]
    assert (line["data-criterion"], line["data-members"]) == ("6.1", "TV07")
    assert f"Tiêu chí 6.1: phiếu của TV07 kích hoạt ghi chú loại «{html.escape(note.knockout_vi[0])}»" in (
        app.detail_html.value
    )
    assert "Việc loại sản phẩm do Hội đồng quyết định (không tự động)" in app.detail_html.value

    app.lang_toggle.value = "en"

    assert f"the cards of TV07 trigger the knock-out note «{html.escape(note.knockout_en[0])}»" in (
        app.detail_html.value
    )
    assert "Rejecting the product is the council&#x27;s decision (never automatic)" in app.detail_html.value

    store.keep_despite_knockout(session, OPERATOR, "P05", "Tạp chất đã được kiểm tra lại: không có")
    app.refresh()

    assert 'data-decision="kept"' in app.detail_html.value
    assert "The council decided not to reject it: Tạp chất đã được kiểm tra lại: không có" in app.detail_html.value

    store.knock_out(session, OPERATOR, "P05", note.knockout_vi[0])
    app.refresh()

    assert 'data-decision="rejected"' in app.detail_html.value
    row = app.results_html.value.split(f"{contract.row_class('P05')}")[1].split("</tr>")[0]
    assert "✗ rejected" in row and 'class="ocop-ko-flag"' in row
