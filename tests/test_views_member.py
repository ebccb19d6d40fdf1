"""The member's page without a browser: build it on a temporary store, tick, click, and read the store."""

from __future__ import annotations

import html
import re
import subprocess
import sys

import ipywidgets as ipw
import pytest

from ocop_scoring.errors import AccessDenied
from ocop_scoring.model import NOT_MET, ProductSpec
from ocop_scoring.store import OPERATOR, SessionStore
from ocop_scoring.views import contract
from ocop_scoring.views.member import MemberApp, member_app
from ocop_scoring.views.scoring_form import NOT_MET_CHOICE, ScoringForm, in_lang, notes_in_lang
from tests.conftest import REPO, best_choices, option_worth


@pytest.fixture
def council(tmp_path, make_session):
    """A demo council with no cards yet, in a SQLite file: (store, session id)."""
    store = SessionStore(str(tmp_path / "store.sqlite"))
    session_id = make_session(store, with_cards=False)
    yield store, session_id
    store.close()


def token(store, session_id, member_id):
    """The member's personal token."""
    return store.state(session_id).member(member_id).token


def open_member(store, session_id, member_id="TV02", **kwargs) -> MemberApp:
    """The page a member's personal link opens."""
    app = member_app(store=store, session=session_id, token=token(store, session_id, member_id), **kwargs)
    assert isinstance(app, MemberApp), getattr(app, "value", app)
    return app


def data_total(app) -> int:
    """The running total the page shows (``data-total`` of the ``ocop-total`` widget)."""
    return int(re.search(r'data-total="(\d+)"', app.form.totals.value).group(1))


def data_attr(app, name: str) -> str:
    """Another ``data-*`` attribute of the totals block."""
    return re.search(rf'{name}="([^"]*)"', app.form.totals.value).group(1)


def radio(app, code) -> ipw.RadioButtons:
    """The radio group of a scored criterion."""
    return app.form.view.inputs[code]


def card(store, session_id, product_id, member_id="TV02"):
    """The member's card for the product, as the store has it."""
    return store.state(session_id).card(product_id, member_id)


def tick_all(app, choices):
    """Tick every criterion of the product shown."""
    for code, number in choices.items():
        radio(app, code).value = number


def test_member_page_shows_every_product_in_council_order(council):
    """The picker lists all products of the session in council order, with the card's progress."""
    store, sid = council

    app = open_member(store, sid)

    assert contract.PRODUCT_PICKER in app.picker._dom_classes
    assert [v for _, v in app.picker.options] == [p.product_id for p in store.state(sid).products]
    assert all("chưa chấm" in label for label, _ in app.picker.options)
    assert 'data-done="0" data-total="10"' in app.progress.value
    assert app.form.member_id == "TV02"


def test_member_tick_is_saved_and_totals_follow(council):
    """A tick is saved at once; the status line and the running total follow."""
    store, sid = council
    app = open_member(store, sid)
    app.picker.value = "P01"

    radio(app, "1.1").value = 3
    radio(app, "1.2").value = 2

    assert card(store, sid, "P01").choices == (("1.1", 3), ("1.2", 2))
    assert card(store, sid, "P01").status == "draft"
    assert app.form.status.message == "Đã lưu 1.2 → phương án 2"
    assert data_total(app) == 4
    assert "<b>A</b> 4/40" in app.form.totals.value
    assert "<b>1</b>: 4/18" in app.form.totals.value
    assert "đang chấm" in {v: k for k, v in app.picker.options}["P01"]


def test_member_full_card_gives_total_and_band(council, library):
    """Ticking the best option everywhere gives 100 points and the 5★ band; nothing is missing."""
    store, sid = council
    app = open_member(store, sid)
    app.picker.value = "P01"

    tick_all(app, best_choices(library.sheets["qd26-2026-01"]))

    assert data_total(app) == 100
    assert data_attr(app, "data-band") == "5"
    assert data_attr(app, "data-missing") == "0"
    assert "★★★★★" in app.form.totals.value


def test_member_option_labels_points_and_star_minimums(council):
    """Options are in printed order, labelled with their points and the ★ minimum they mark."""
    store, sid = council
    app = open_member(store, sid)
    app.picker.value = "P01"

    labels = [label for label, _ in radio(app, "1.3").options]

    assert [v for _, v in radio(app, "1.3").options] == [1, 2, 3, NOT_MET]  # printed order, then "không đạt"
    assert labels[0].startswith("1. Sơ chế") and labels[0].endswith("— 1 điểm")
    assert labels[2].endswith("— 3 điểm  ★★★★★ tối thiểu 5 sao")
    assert labels[3] == "Không đạt (0 điểm)"
    assert contract.criterion_class("1.3") in radio(app, "1.3")._dom_classes
    assert NOT_MET_CHOICE in radio(app, "1.3")._dom_classes


def test_member_not_met_choice_only_where_no_printed_option_is_worth_0(council, library):
    """Every criterion without a 0-point printed option ends with "Không đạt (0 điểm)"; where the sheet prints a
    0-point option, ticking it is the way and there is no extra choice."""
    store, sid = council
    app = open_member(store, sid)
    app.picker.value = "P08"
    sheet = library.sheets["qd26-2026-21"]

    for leaf in sheet.leaves:
        values = [v for _, v in radio(app, leaf.code).options]
        if leaf.prints_zero_option:
            assert values == [o.number for o in leaf.options], leaf.code
            assert NOT_MET_CHOICE not in radio(app, leaf.code)._dom_classes
        else:
            assert values == [*(o.number for o in leaf.options), NOT_MET], leaf.code
            assert radio(app, leaf.code).options[-1][0] == "Không đạt (0 điểm)"
            assert NOT_MET_CHOICE in radio(app, leaf.code)._dom_classes
    assert not sheet.leaf("1.1").prints_zero_option and sheet.leaf("1.4").prints_zero_option
    assert ".ocop-not-met-choice .widget-radio-box label:last-child" in app.children[0].value  # set apart


def test_member_not_met_is_saved_as_option_0_and_totals_follow(council, library):
    """Choosing "Không đạt (0 điểm)" stores option 0 through the same path as any tick; the total, the band and
    the missing count follow; choosing nothing again clears it (a blank stays a blank)."""
    store, sid = council
    app = open_member(store, sid)
    app.picker.value = "P08"
    sheet = library.sheets["qd26-2026-21"]
    best = best_choices(sheet)
    tick_all(app, {code: n for code, n in best.items() if code != "1.1"})
    assert data_total(app) == 100 - 4 and data_attr(app, "data-missing") == "1"
    assert data_attr(app, "data-band") == "5"

    radio(app, "1.1").value = 3  # 4 points

    assert data_total(app) == 100 and data_attr(app, "data-missing") == "0"

    radio(app, "1.1").value = NOT_MET

    assert dict(card(store, sid, "P08").choices)["1.1"] == 0
    assert app.form.status.message == "Đã lưu 1.1 → không đạt (0 điểm)"
    assert data_total(app) == 96
    assert data_attr(app, "data-missing") == "0"  # a choice, not a blank
    assert data_attr(app, "data-band") == "5"
    assert "<b>A</b> 36/40" in app.form.totals.value

    radio(app, "1.1").value = None

    assert "1.1" not in dict(card(store, sid, "P08").choices)
    assert app.form.status.message == "Đã xóa lựa chọn 1.1"
    assert data_attr(app, "data-missing") == "1"
    app.form.submit_button.click()
    assert app.form.status.kind == "error" and "1.1" in app.form.status.message

    radio(app, "1.1").value = NOT_MET
    app.form.submit_button.click()
    app.form.confirm_button.click()

    saved = card(store, sid, "P08")
    assert saved.status == "submitted" and dict(saved.choices)["1.1"] == 0
    result = store.results(sid).product("P08")
    assert result.member_totals == (("TV02", 96),)
    assert [(u.criterion, u.for_stars) for u in result.unmet_minimums] == [("1.1", 3)]  # 1.1's ★★★ needs 1 point


def test_member_card_with_option_0_shows_it_chosen(council):
    """A card holding 0 (ticked here, typed in by the secretary or imported) shows "không đạt" chosen, also on a
    criterion whose sheet prints a 0-point option (the choice is shown for that card only)."""
    store, sid = council
    for code in ("1.1", "1.4"):
        store.tick(sid, OPERATOR, "P08", "TV02", code, 0)

    app = open_member(store, sid)
    app.picker.value = "P08"

    assert radio(app, "1.1").value == NOT_MET
    assert radio(app, "1.4").value == NOT_MET
    assert radio(app, "1.4").options[-1] == ("Không đạt (0 điểm)", NOT_MET)
    assert data_total(app) == 0 and data_attr(app, "data-missing") == str(28 - 2)

    store.add_products(sid, [ProductSpec("P11", "Giỏ tre thứ hai", "qd26-2026-21")])
    app.refresh()
    app.picker.value = "P11"  # the same sheet's widgets, a card without 0

    assert radio(app, "1.1").value is None and radio(app, "1.4").value is None
    assert [v for _, v in radio(app, "1.4").options] == [1, 2, 3, 4]

    app.picker.value = "P08"

    assert radio(app, "1.4").value == NOT_MET


def test_member_not_met_in_fast_entry_by_typing_0(council):
    """The fast keyboard entry (the secretary's, the same form): 0 then Tab is "không đạt", saved as option 0."""
    store, sid = council
    secretary = store.actor_for_token(token(store, sid, "TK01"))
    form = ScoringForm(store, sid, secretary, ruleset=store.ruleset(sid), entry=True)
    form.show(store.state(sid), "P08", "TV03")
    box = form.view.inputs["1.1"]

    box.value = "3"
    box.value = "0"

    assert dict(card(store, sid, "P08", "TV03").choices) == {"1.1": 0}
    assert form.view.infos["1.1"].value == '<span class="ocop-entry-ok">→ Không đạt (0 điểm)</span>'
    assert form.status.message == "Đã lưu 1.1 → không đạt (0 điểm)"
    assert box.placeholder == "0–3"

    box.value = "9"

    assert "không có phương án «9» (chọn 1–3) hoặc 0 = không đạt" in form.view.infos["1.1"].value
    assert dict(card(store, sid, "P08", "TV03").choices) == {"1.1": 0}

    again = ScoringForm(store, sid, secretary, ruleset=store.ruleset(sid), entry=True)
    again.show(store.state(sid), "P08", "TV03")

    assert again.view.inputs["1.1"].value == "0"
    assert "Không đạt (0 điểm)" in again.view.infos["1.1"].value
    assert again.view.inputs["1.2"].value == ""  # a blank stays a blank


def test_member_5_2_disabled_while_no_product_story(council, library):
    """5.2 is disabled while 5.1 says "no product story", and counts 0 if it was ticked before."""
    store, sid = council
    app = open_member(store, sid)
    app.picker.value = "P01"
    sheet = library.sheets["qd26-2026-01"]
    radio(app, "5.2").value = 3
    before = data_total(app)

    radio(app, "5.1").value = 1

    assert sheet.leaf("5.1").options[0].text_vi == "Không có câu chuyện sản phẩm"
    assert radio(app, "5.2").disabled
    assert "ocop-na" in radio(app, "5.2")._dom_classes
    assert data_total(app) == before - 2
    assert "không tính: 5.2" in app.form.totals.value

    radio(app, "5.1").value = option_worth(sheet, "5.1", 1)

    assert not radio(app, "5.2").disabled
    assert data_total(app) == before + 1


def test_member_case_headings_on_sheet_26(council):
    """Sheet 26's case a/b criteria show the case headings and which options belong to each."""
    store, sid = council
    app = open_member(store, sid)
    app.picker.value = "P09"
    children = list(app.form.view.box.children)

    for code in ("8", "9", "15"):
        heading = children[children.index(radio(app, code)) - 1].value
        assert "Trường hợp 1" in heading and "phương án 1, 2" in heading
        assert "Trường hợp 2" in heading and "phương án 3, 4" in heading
        assert "Lựa chọn một trong hai trường hợp sau" in heading


def test_member_form_offers_only_the_products_case(council):
    """P09 is recorded in case a (community tourism): criteria 8, 9, 15 offer case a's options and "không đạt";
    a product of unknown case offers both, and after its first case-bound tick only that case."""
    store, sid = council
    app = open_member(store, sid)
    app.picker.value = "P09"
    for code in ("8", "9", "15"):
        assert [v for _, v in radio(app, code).options] == [1, 2, NOT_MET]

    store.add_products(sid, [ProductSpec("T9", "Điểm du lịch thác", "qd26-2026-26")])
    app.refresh()
    app.picker.value = "T9"
    assert [v for _, v in radio(app, "8").options] == [1, 2, 3, 4, NOT_MET]
    radio(app, "8").value = 4  # case b: the store records the product's case
    assert store.state(sid).product("T9").case == "b"
    app.refresh()
    assert [v for _, v in radio(app, "9").options] == [3, 4, NOT_MET]
    assert radio(app, "8").value == 4


def test_member_anomaly_notes_of_sheets_7_and_21(council, library):
    """The recorded anomalies show under their criterion: sheet 7's 3.1 option 2 (printed 1 point) and sheet 21's
    6.2 (a knock-out note printed inside option 3), in Vietnamese and in English."""
    store, sid = council
    app = open_member(store, sid)

    for product, sheet_id, code, number in (("P10", "qd26-2026-07", "3.1", 2), ("P08", "qd26-2026-21", "6.2", 3)):
        app.lang_toggle.value = "vi"
        app.picker.value = product
        anomaly = library.sheets[sheet_id].leaf(code).options[number - 1].anomaly
        children = list(app.form.view.box.children)
        heading = children[children.index(radio(app, code)) - 1].value
        assert f'<div class="ocop-anomaly-note" data-option="{number}">⚠ Phương án {number}: ' in heading
        assert html.escape(anomaly.note_vi) in heading

        app.lang_toggle.value = "en"
        children = list(app.form.view.box.children)
        heading = children[children.index(radio(app, code)) - 1].value
        assert f"⚠ Option {number}: {html.escape(anomaly.note_en)}" in heading


def test_member_notes_knockouts_and_anomalies_are_shown(council):
    """Notes are visible, knock-out notes highlighted, anomalies shown discreetly."""
    store, sid = council
    app = open_member(store, sid)
    app.picker.value = "P01"
    html_text = "".join(w.value for w in app.form.view.box.children if isinstance(w, ipw.HTML))

    assert '<div class="ocop-note">Yêu cầu: 100% sản phẩm được trồng trên địa bàn cấp tỉnh</div>' in html_text
    assert '<div class="ocop-knockout-note">Ghi chú: Không đánh giá những sản phẩm' in html_text
    assert 'class="ocop-anomaly-note"' in html_text
    assert "ocop-knockout-note" in app.form.head.value  # the dossier's knock-outs


def test_member_submit_refused_when_incomplete_then_accepted_and_locked(council, library):
    """Submit names the missing criteria; a complete card asks for confirmation, then locks."""
    store, sid = council
    app = open_member(store, sid)
    app.picker.value = "P01"
    choices = best_choices(library.sheets["qd26-2026-01"])
    radio(app, "1.1").value = choices["1.1"]

    app.form.submit_button.click()

    assert app.form.status.kind == "error"
    assert "còn thiếu 31 tiêu chí: 1.2, 1.3" in app.form.status.message
    assert app.form.confirm_box.layout.display == "none"
    assert card(store, sid, "P01").status == "draft"

    tick_all(app, choices)
    app.form.submit_button.click()

    assert app.form.confirm_box.layout.display == ""
    assert card(store, sid, "P01").status == "draft"

    app.form.confirm_button.click()

    saved = card(store, sid, "P01")
    assert saved.status == "submitted"
    assert all(w.disabled for w in app.form.view.inputs.values())
    assert app.form.comment.disabled
    assert "Đã nộp lúc" in app.form.lock_line.value
    assert app.form.status.message.startswith("Đã nộp phiếu sản phẩm P01 lúc")
    assert "✔ đã nộp" in {v: k for k, v in app.picker.options}["P01"]
    assert 'data-done="1"' in app.progress.value


def test_member_submit_can_be_cancelled(council, library):
    """Cancel leaves the card a draft."""
    store, sid = council
    app = open_member(store, sid)
    app.picker.value = "P01"
    tick_all(app, best_choices(library.sheets["qd26-2026-01"]))

    app.form.submit_button.click()
    app.form.cancel_button.click()

    assert app.form.confirm_box.layout.display == "none"
    assert card(store, sid, "P01").status == "draft"


def test_member_reload_restores_the_draft(council):
    """A new page (a reload) shows the saved ticks and comment."""
    store, sid = council
    app = open_member(store, sid)
    app.picker.value = "P03"
    radio(app, "1.1").value = 2
    radio(app, "2.2").value = 4
    app.form.comment.value = "Bao bì đẹp"

    again = open_member(store, sid)
    again.picker.value = "P03"

    assert radio(again, "1.1").value == 2
    assert radio(again, "2.2").value == 4
    assert radio(again, "1.2").value is None
    assert again.form.comment.value == "Bao bì đẹp"
    assert data_total(again) == data_total(app)


def test_member_first_product_is_the_first_not_submitted(council):
    """The page opens on the first product still to score."""
    store, sid = council
    app = open_member(store, sid)
    app.picker.value = "P01"
    radio(app, "1.1").value = 2

    again = open_member(store, sid)

    assert again.picker.value == "P01"
    assert again.form.product.product_id == "P01"


def test_member_cannot_reach_another_members_card(council, monkeypatch):
    """TV02's page offers only TV02's cards (a forged ?member= is ignored) and the store refuses TV03's."""
    store, sid = council
    tv02 = token(store, sid, "TV02")
    monkeypatch.setenv("QUERY_STRING", f"token={tv02}&member=TV03")

    app = member_app(store=store, session=sid)

    assert isinstance(app, MemberApp)
    assert app.form.member_id == "TV02"
    assert not any(contract.MEMBER_PICKER in getattr(w, "_dom_classes", ()) for w in walk(app))
    for product in store.state(sid).products:
        app.picker.value = product.product_id
        assert app.form.member_id == "TV02"
    actor = store.actor_for_token(tv02)
    with pytest.raises(AccessDenied, match="may not write member TV03's card"):
        store.tick(sid, actor, "P01", "TV03", "1.1", 2)
    assert card(store, sid, "P01", "TV03") is None


def walk(widget):
    """Every widget below ``widget``."""
    yield widget
    for child in getattr(widget, "children", ()):
        yield from walk(child)


@pytest.mark.parametrize(
    ("token_value", "expected"),
    [
        ("no-such-token", "Mã truy cập trong đường dẫn không đúng"),
        ("", "Đường dẫn thiếu mã truy cập"),
    ],
)
def test_member_bad_link_gives_an_error_page(council, token_value, expected):
    """A bad or missing token gives a page that says so in Vietnamese (no traceback)."""
    store, sid = council

    page = member_app(store=store, session=sid, token=token_value)

    assert isinstance(page, ipw.HTML)
    assert "ocop-error-page" in page.value
    assert "Đường dẫn không hợp lệ" in page.value
    assert expected in page.value
    assert "Traceback" not in page.value


def test_member_token_of_another_session_is_refused(council, make_session):
    """A token is valid only for its own session."""
    store, sid = council
    other = make_session(store, session_id="hd-2026-2", with_cards=False)

    page = member_app(store=store, session=sid, token=token(store, other, "TV02"))

    assert "Mã truy cập trong đường dẫn không đúng" in page.value


def test_member_page_of_a_finalised_session(council):
    """A finalised session gives a page saying it is over."""
    store, sid = council
    for product in store.state(sid).products:
        store.knock_out(sid, OPERATOR, product.product_id, "Hồ sơ bị loại")
    store.finalise(sid)

    page = member_app(store=store, session=sid, token=token(store, sid, "TV02"))

    assert isinstance(page, ipw.HTML)
    assert "Phiên hội đồng đã kết thúc" in page.value


def test_member_page_refuses_the_secretarys_link(council):
    """The secretary's token does not open a member's form."""
    store, sid = council

    page = member_app(store=store, session=sid, token=token(store, sid, "TK01"))

    assert "Đây là đường dẫn của thư ký" in page.value


def test_member_page_without_a_store(tmp_path):
    """A missing store file gives an error page, and no file is created."""
    missing = tmp_path / "nowhere.sqlite"

    page = member_app(store=str(missing), token="x")

    assert "ocop-error-page" in page.value
    assert not missing.exists()


def test_member_comment_is_saved(council):
    """The evaluator's comment is saved when it changes (continuous_update=False)."""
    store, sid = council
    app = open_member(store, sid)
    app.picker.value = "P02"

    app.form.comment.value = "Cần bổ sung phiếu kiểm nghiệm"

    assert not app.form.comment.continuous_update
    assert contract.COMMENT in app.form.comment._dom_classes
    assert card(store, sid, "P02").comment == "Cần bổ sung phiếu kiểm nghiệm"
    assert app.form.status.message == "Đã lưu ý kiến"


def test_member_recusal_with_reason_and_confirmation(council):
    """A recusal needs a reason and a confirmation; the product is then shown as not scored."""
    store, sid = council
    app = open_member(store, sid)
    app.picker.value = "P04"

    app.form.recuse_button.click()

    assert app.form.status.message == "Hãy ghi lý do không chấm."

    app.form.recuse_reason.value = "Người nhà của chủ thể"
    app.form.recuse_button.click()

    assert store.state(sid).recusal("P04", "TV02") is None

    app.form.confirm_button.click()

    assert store.state(sid).recusal("P04", "TV02") == "Người nhà của chủ thể"
    assert "Không chấm sản phẩm này" in app.form.lock_line.value
    assert all(w.disabled for w in app.form.view.inputs.values())
    assert app.form.recuse_box.layout.display == "none"
    assert "⊘ không chấm" in {v: k for k, v in app.picker.options}["P04"]


def test_member_sees_knocked_out_products_as_such(council):
    """A knocked-out product stays in the list, marked, and cannot be ticked."""
    store, sid = council
    app = open_member(store, sid)
    store.knock_out(sid, OPERATOR, "P10", "Thiếu giấy chứng nhận an toàn thực phẩm")

    app.refresh()
    app.picker.value = "P10"

    assert "✗ bị loại" in {v: k for k, v in app.picker.options}["P10"]
    assert "Thiếu giấy chứng nhận" in app.form.lock_line.value
    assert all(w.disabled for w in app.form.view.inputs.values())


def test_member_refresh_follows_a_reopened_card(council, library):
    """When the secretary reopens a submitted card, the poller's refresh unlocks the form."""
    store, sid = council
    app = open_member(store, sid)
    app.picker.value = "P01"
    tick_all(app, best_choices(library.sheets["qd26-2026-01"]))
    app.form.submit_button.click()
    app.form.confirm_button.click()
    secretary = store.actor_for_token(token(store, sid, "TK01"))
    store.reopen(sid, secretary, "P01", "TV02", "Thành viên xin sửa tiêu chí 2.2")

    assert app.poller.check()

    assert not any(w.disabled for w in app.form.view.inputs.values())
    assert app.form.lock_line.value == ""
    assert "đang chấm" in {v: k for k, v in app.picker.options}["P01"]
    assert not app.poller.check()  # nothing changed since


def test_member_refresh_shows_new_products(council):
    """Products added by the secretary appear after the next poll."""
    store, sid = council
    app = open_member(store, sid)
    store.add_products(sid, [ProductSpec("P11", "Miến dong Bình Liêu", "qd26-2026-05")])

    app.refresh()

    assert app.picker.options[-1][1] == "P11"


def test_member_switching_product_rebuilds_only_the_form(council):
    """Switching product keeps the page; only the form's sheet changes (built once per sheet)."""
    store, sid = council
    app = open_member(store, sid)
    app.picker.value = "P01"
    children = app.children
    first_view = app.form.view

    app.picker.value = "P09"

    assert app.children == children
    assert app.form.view.sheet.sheet_id == "qd26-2026-26"
    assert app.form.head.value.count("P09") >= 1

    app.picker.value = "P02"  # the same sheet as P01

    assert app.form.view is first_view


VIETNAMESE = re.compile(r"[ăâđêôơưạảấầẩẫậắằẳẵặẹẻẽếềểễệỉịọỏốồổỗộớờởỡợụủứừửữựỳỵỷỹ]", re.IGNORECASE)


def test_member_page_in_english(council, library):
    """The EN toggle shows the sheet's English gloss everywhere: criteria, options, "not met", notes, knock-out
    notes, the dossier's knock-outs and the star note (no Vietnamese but names)."""
    store, sid = council
    app = open_member(store, sid)
    app.picker.value = "P09"

    app.lang_toggle.value = "en"

    assert contract.LANG in app.lang_toggle._dom_classes
    assert radio(app, "1.1").options[0][0].endswith("— 1 pt")
    assert app.form.submit_button.description == "Submit the card"
    children = list(app.form.view.box.children)
    heading = children[children.index(radio(app, "8")) - 1].value
    assert "Case 1" in heading and "options 1, 2" in heading
    assert "Total" in app.form.totals.value

    app.picker.value = "P01"
    sheet = library.sheets["qd26-2026-01"]
    texts = "".join(w.value for w in app.form.view.box.children if isinstance(w, ipw.HTML))
    labels = [label for code in app.form.view.inputs for label, _ in radio(app, code).options]
    assert radio(app, "1.1").options[-1][0] == "Not met (0 points)"
    assert not [label for label in labels if VIETNAMESE.search(label)]
    for leaf in sheet.nodes():
        for note in (*leaf.notes_en, *leaf.knockout_en):
            assert html.escape(note) in texts
        for note in (*leaf.notes_vi, *leaf.knockout_vi):
            assert html.escape(note) not in texts
    assert html.escape(sheet.dossier_knockouts_en[0]) in app.form.head.value
    assert html.escape(sheet.star_note_en) in app.form.head.value
    names = store.state(sid).member("TV02").name
    assert not VIETNAMESE.search(app.form.head.value.split("</div>", 1)[1].replace(names, ""))  # but names
    app.form.view.inputs["1.1"].value = NOT_MET
    assert app.form.status.message == "Saved 1.1 → not met (0 points)"


def test_english_texts_fall_back_to_vietnamese_where_missing():
    """A sheet text without its English gloss stays Vietnamese, note by note."""
    assert in_lang("Ghi chú", "Note", "en") == "Note"
    assert in_lang("Ghi chú", None, "en") == in_lang("Ghi chú", "", "en") == "Ghi chú"
    assert in_lang("Ghi chú", "Note", "vi") == "Ghi chú"
    assert notes_in_lang(("Một", "Hai"), ("One",), "en") == ["One", "Hai"]


def test_member_page_imports_no_pandas(council):
    """The member kernel stays small: building the page does not import pandas."""
    store, sid = council
    code = (
        "import sys\n"
        "from ocop_scoring.views.member import MemberApp, member_app\n"
        f"page = member_app(store={store.url!r}, session={sid!r}, token={token(store, sid, 'TV02')!r})\n"
        "assert isinstance(page, MemberApp), page\n"
        "page.picker.value = 'P09'\n"
        "assert 'pandas' not in sys.modules, 'pandas imported'\n"
    )

    subprocess.run([sys.executable, "-c", code], check=True, cwd=REPO, timeout=120)
