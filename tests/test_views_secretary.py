"""The secretary's page without a browser: fast entry, reopen, knock-out, new round, finalise, imports,
the knock-outs the ticks trigger, recognition decisions and the central council's results."""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime

import ipywidgets as ipw
import pytest

from ocop_scoring.model import MemberSpec
from ocop_scoring.store import SessionStore
from ocop_scoring.views import contract
from ocop_scoring.views.secretary import SecretaryApp, secretary_app
from tests.conftest import REPO, best_choices

EXAMPLES = REPO / "examples"


@pytest.fixture
def council(tmp_path, make_session):
    """A demo council with no cards yet, in a SQLite file: (store, session id)."""
    store = SessionStore(str(tmp_path / "store.sqlite"))
    session_id = make_session(store, with_cards=False)
    yield store, session_id
    store.close()


@pytest.fixture
def scored(tmp_path, make_session):
    """The demo council with every card submitted (P05 has a spread of 18 points)."""
    store = SessionStore(str(tmp_path / "scored.sqlite"))
    session_id = make_session(store, with_cards=True)
    yield store, session_id
    store.close()


def token(store, session_id, member_id="TK01"):
    """A member's (by default the secretary's) personal token."""
    return store.state(session_id).member(member_id).token


def open_secretary(store, session_id) -> SecretaryApp:
    """The page the secretary's link opens."""
    app = secretary_app(store=store, session=session_id, token=token(store, session_id))
    assert isinstance(app, SecretaryApp), getattr(app, "value", app)
    return app


def show(app, member_id, product_id):
    """Pick whose card and which product the entry tab shows."""
    app.entry.member_picker.value = member_id
    app.entry.product_picker.value = product_id


def box(app, code) -> ipw.Text:
    """The fast-entry box of a criterion."""
    return app.entry.form.view.inputs[code]


def info(app, code) -> str:
    """What the page shows beside a fast-entry box."""
    return app.entry.form.view.infos[code].value


def data_total(app) -> int:
    """The running total of the entry tab's form."""
    return int(re.search(r'data-total="(\d+)"', app.entry.form.totals.value).group(1))


def card(store, session_id, product_id, member_id):
    """A card as the store has it."""
    return store.state(session_id).card(product_id, member_id)


def type_sheet(app, choices):
    """Type a whole paper sheet: the number, then Tab (which sends the box's value), for every box."""
    for code, number in choices.items():
        box(app, code).value = str(number)


def test_secretary_page_opens_only_with_the_secretary_token(council):
    """A member's token (or none) does not open the secretary's page."""
    store, sid = council

    refused = secretary_app(store=store, session=sid, token=token(store, sid, "TV02"))
    missing = secretary_app(store=store, session=sid, token="")

    assert isinstance(refused, ipw.HTML)
    assert "chỉ mở bằng đường dẫn của thư ký" in refused.value
    assert "Đường dẫn thiếu mã truy cập" in missing.value
    assert isinstance(open_secretary(store, sid), SecretaryApp)


def test_secretary_tabs_and_pickers(council):
    """Five tabs; the member picker lists the scoring members, the product picker every product."""
    store, sid = council

    app = open_secretary(store, sid)

    assert app.tabs.titles == ("Nhập phiếu", "Tiến độ", "Danh sách", "Kết thúc", "Công nhận")
    assert contract.MEMBER_PICKER in app.entry.member_picker._dom_classes
    assert [v for _, v in app.entry.member_picker.options] == [f"TV0{i}" for i in range(1, 10)]
    assert len(app.entry.product_picker.options) == 10
    assert app.entry.form.entry


def test_secretary_fast_entry_wrong_then_right_number(council):
    """A wrong number is refused in red and not saved; a right one is saved with its text and points."""
    store, sid = council
    app = open_secretary(store, sid)
    show(app, "TV03", "P01")
    entry = box(app, "1.1")

    entry.value = "9"

    assert contract.entry_class("1.1") in entry._dom_classes
    assert not entry.continuous_update  # the value is sent on Tab (blur) or Enter
    assert 'class="ocop-entry-bad"' in info(app, "1.1")
    assert "không có phương án «9» (chọn 1–3)" in info(app, "1.1")
    assert app.entry.status.kind == "error"
    assert card(store, sid, "P01", "TV03") is None

    entry.value = "x"

    assert "không có phương án «x»" in info(app, "1.1")

    entry.value = "2"

    assert card(store, sid, "P01", "TV03").choices == (("1.1", 2),)
    assert "2. Sản phẩm được trồng trên địa bàn cấp xã từ 50% đến dưới 75% — 2 điểm" in info(app, "1.1")
    assert app.entry.status.message == "Đã lưu 1.1 → phương án 2"
    assert data_total(app) == 2

    entry.value = "7"
    entry.value = "2"  # the saved option typed again after a refused number

    assert 'class="ocop-entry-ok"' in info(app, "1.1")
    assert app.entry.status.message == "1.1: giữ nguyên lựa chọn đã lưu"

    entry.value = ""

    assert card(store, sid, "P01", "TV03").choices == ()
    assert data_total(app) == 0


def test_secretary_types_a_paper_sheet_and_submits(council, library):
    """Every box in printed order, then Nộp phiếu with confirmation: the member's card is submitted."""
    store, sid = council
    app = open_secretary(store, sid)
    show(app, "TV05", "P03")
    sheet = library.sheets["qd26-2026-03"]
    choices = best_choices(sheet)

    assert list(app.entry.form.view.inputs) == [leaf.code for leaf in sheet.leaves]

    type_sheet(app, choices)
    app.entry.form.submit_button.click()
    app.entry.form.confirm_button.click()

    saved = card(store, sid, "P03", "TV05")
    assert saved.status == "submitted"
    assert dict(saved.choices) == choices
    assert data_total(app) == 100
    assert all(w.disabled for w in app.entry.form.view.inputs.values())
    assert "✔ đã nộp" in {v: k for k, v in app.entry.product_picker.options}["P03"]
    assert 'data-member="TV05" data-status="submitted"' in app.progress.grid.value


def test_secretary_entry_skips_5_2_without_a_story(council):
    """Typing 1 (no story) for 5.1 disables the 5.2 box, so Tab skips it."""
    store, sid = council
    app = open_secretary(store, sid)
    show(app, "TV02", "P01")

    box(app, "5.1").value = "1"

    assert box(app, "5.2").disabled
    assert "không áp dụng" in info(app, "5.2")

    box(app, "5.1").value = "3"

    assert not box(app, "5.2").disabled


def test_secretary_switches_member_and_mode(council):
    """The member picker chooses whose card is typed; the full form shows the same card."""
    store, sid = council
    app = open_secretary(store, sid)
    show(app, "TV04", "P02")
    box(app, "1.1").value = "3"

    app.entry.mode_toggle.value = "radio"

    assert app.entry.form.member_id == "TV04"
    assert not app.entry.form.entry
    assert app.entry.form.view.inputs["1.1"].value == 3
    assert app.entry.form_box.children == (app.entry.form,)

    app.entry.form.view.inputs["1.2"].value = 2
    app.entry.mode_toggle.value = "entry"

    assert box(app, "1.2").value == "2"
    assert dict(card(store, sid, "P02", "TV04").choices) == {"1.1": 3, "1.2": 2}


def test_secretary_reopens_a_card_with_a_reason(council, library):
    """Reopen needs a reason; the card becomes a draft again and the audit log keeps the reason."""
    store, sid = council
    app = open_secretary(store, sid)
    show(app, "TV06", "P01")
    type_sheet(app, best_choices(library.sheets["qd26-2026-01"]))
    app.entry.form.submit_button.click()
    app.entry.form.confirm_button.click()
    assert not app.entry.reopen_button.disabled
    assert contract.REOPEN in app.entry.reopen_button._dom_classes

    app.entry.reopen_button.click()

    assert app.entry.status.message == "Hãy ghi lý do trước khi thực hiện."
    assert card(store, sid, "P01", "TV06").status == "submitted"

    app.entry.reason.value = "Thành viên xin sửa tiêu chí 2.2"
    app.entry.reopen_button.click()

    assert card(store, sid, "P01", "TV06").status == "draft"
    assert app.entry.status.message == "Đã mở lại phiếu của TV06 cho sản phẩm P01"
    assert not any(w.disabled for w in app.entry.form.view.inputs.values())
    assert app.entry.reopen_button.disabled
    assert store.audit_log(sid)[-1].reason == "Thành viên xin sửa tiêu chí 2.2"


def test_secretary_knocks_a_product_out_and_back(council):
    """The knock-out button marks the product rejected (with a reason) and withdraws it again."""
    store, sid = council
    app = open_secretary(store, sid)
    show(app, "TV01", "P10")
    app.entry.reason.value = "Thiếu giấy chứng nhận cơ sở đủ điều kiện an toàn thực phẩm"

    app.entry.knockout_button.click()

    assert store.state(sid).product("P10").knockout == "Thiếu giấy chứng nhận cơ sở đủ điều kiện an toàn thực phẩm"
    assert "Sản phẩm bị loại" in app.entry.form.lock_line.value
    assert app.entry.knockout_button.description == "Bỏ loại sản phẩm"
    assert 'class="ocop-grid-knockout"' in app.progress.grid.value

    app.entry.reason.value = "Đã bổ sung giấy chứng nhận"
    app.entry.knockout_button.click()

    assert store.state(sid).product("P10").knockout is None
    assert app.entry.knockout_button.description == "Loại sản phẩm"


def test_secretary_recuses_for_a_member_and_withdraws_it(council):
    """The secretary records a member's recusal and can withdraw it with a reason."""
    store, sid = council
    app = open_secretary(store, sid)
    show(app, "TV08", "P04")
    app.entry.form.recuse_reason.value = "Cùng đơn vị với chủ thể"
    app.entry.form.recuse_button.click()
    app.entry.form.confirm_button.click()

    assert store.state(sid).recusal("P04", "TV08") == "Cùng đơn vị với chủ thể"
    assert not app.entry.unrecuse_button.disabled

    app.entry.reason.value = "Nhầm sản phẩm"
    app.entry.unrecuse_button.click()

    assert store.state(sid).recusal("P04", "TV08") is None


def test_secretary_progress_grid(scored):
    """The grid shows product × member progress, the count of submitted cards and the quorum."""
    store, sid = scored
    app = open_secretary(store, sid)

    grid = app.progress.grid.value

    assert contract.PROGRESS in app.progress.grid._dom_classes
    assert 'data-product="P06" data-member="TV05" data-status="recused"' in grid
    assert 'data-product="P01" data-member="TV01" data-status="submitted"' in grid
    assert 'data-quorum="7"' in grid
    assert 'data-product="P06" data-submitted="8"' in grid


def test_secretary_opens_a_new_round_for_a_flagged_product(scored):
    """The Kết thúc tab lists the products flagged by the spread rule; a new round needs a reason."""
    store, sid = scored
    app = open_secretary(store, sid)
    app.tabs.selected_index = 3
    finish = app.finish

    assert [v for _, v in finish.flagged_picker.options] == ["P05"]
    assert 'data-product="P05" data-flagged="1"' in finish.summary.value

    finish.new_round_button.click()

    assert finish.status.message == "Hãy ghi lý do trước khi thực hiện."

    finish.reason.value = "Hội đồng đã thảo luận tiêu chí 6.2"
    finish.new_round_button.click()

    assert store.state(sid).product("P05").round == 2
    assert finish.status.message == "Đã mở vòng chấm lại lần 2 cho sản phẩm P05"
    assert card(store, sid, "P05", "TV07").status == "draft"
    assert finish.new_round_button.disabled  # nothing flagged any more


def test_secretary_finalise_refused_below_quorum(council):
    """Finalising asks for confirmation and shows the store's refusal below the quorum."""
    store, sid = council
    app = open_secretary(store, sid)
    app.tabs.selected_index = 3

    app.finish.finalise_button.click()

    assert app.finish.confirm_box.layout.display == ""

    app.finish.confirm_button.click()

    assert store.session(sid).is_open
    assert app.finish.status.kind == "error"
    assert app.finish.status.message.startswith("Chưa kết thúc được: chưa đủ số phiếu tối thiểu (7 phiếu")
    assert "P01 (0/7)" in app.finish.status.message


def test_secretary_finalises_a_complete_session(scored):
    """With the quorum reached, finalising fixes the session and the page turns read-only."""
    store, sid = scored
    app = open_secretary(store, sid)
    app.tabs.selected_index = 3

    app.finish.finalise_button.click()
    app.finish.confirm_button.click()

    assert not store.session(sid).is_open
    assert app.finish.status.message.startswith("Đã kết thúc phiên (mã kết quả ")
    assert app.finish.finalise_button.disabled
    assert "Phiên hội đồng đã kết thúc" in app.entry.form.lock_line.value


def upload(widget, path):
    """What the browser sends when a file is chosen in a FileUpload."""
    data = path.read_bytes()
    widget.value = (
        {
            "name": path.name,
            "type": "",
            "size": len(data),
            "content": memoryview(data),
            "last_modified": datetime.now(UTC),
        },
    )


@pytest.fixture
def empty_council(tmp_path, library):
    """A session with only its secretary: (store, session id)."""
    store = SessionStore(str(tmp_path / "empty.sqlite"))
    store.create_session("hd-moi", "Hội đồng mới", library)
    store.add_members("hd-moi", [MemberSpec("TK00", "Ngô Thị Lan", "secretary")])
    yield store, "hd-moi"
    store.close()


def test_secretary_imports_the_example_lists(empty_council):
    """Uploading examples/members.csv and examples/products.xlsx adds every member and product."""
    store, sid = empty_council
    app = secretary_app(store=store, session=sid, token=token(store, sid, "TK00"))
    lists = app.lists

    upload(lists.upload_members, EXAMPLES / "members.csv")

    state = store.state(sid)
    assert [m.member_id for m in state.scoring_members] == [f"TV0{i}" for i in range(1, 10)]
    assert lists.status.message == "Đã thêm 10 mục từ members.csv"
    assert lists.upload_members.value == ()
    assert contract.UPLOAD_MEMBERS in lists.upload_members._dom_classes

    upload(lists.upload_products, EXAMPLES / "products.xlsx")

    state = store.state(sid)
    assert len(state.products) >= 5
    assert state.products[0].product_id == "LD26-01"
    assert "LD26-01" in lists.products.value
    assert next(v for _, v in app.entry.member_picker.options) == "TV01"
    assert app.entry.product_picker.options[0][1] == "LD26-01"


def test_secretary_import_with_problems_adds_nothing(empty_council, tmp_path):
    """A file with problems lists every one of them and adds nothing."""
    store, sid = empty_council
    app = secretary_app(store=store, session=sid, token=token(store, sid, "TK00"))
    bad = tmp_path / "members.csv"
    bad.write_text("Họ và tên,Vai trò\nNguyễn Văn A,Chủ tịch\n,Ủy viên\nLê Thị C,Giám đốc\n", encoding="utf-8")

    upload(app.lists.upload_members, bad)

    assert [m.member_id for m in store.state(sid).members] == ["TK00"]
    report = app.lists.report.value
    assert "Tệp có 2 lỗi, không thêm gì" in report
    assert "members.csv:3:" in report and "members.csv:4:" in report
    assert app.lists.status.kind == "error"


def test_secretary_import_refused_by_the_store_adds_nothing(council):
    """Members already in the session: the reader names them, and nothing is added."""
    store, sid = council
    app = open_secretary(store, sid)

    upload(app.lists.upload_members, EXAMPLES / "members.csv")

    assert len(store.state(sid).members) == 10
    assert "a member id not already in the session" in app.lists.report.value


def test_secretary_page_in_english(council):
    """The language toggle relabels the tabs and the form, and keeps the mode and the card shown."""
    store, sid = council
    app = open_secretary(store, sid)
    show(app, "TV03", "P02")
    app.entry.mode_toggle.value = "radio"

    app.lang_toggle.value = "en"

    assert app.tabs.titles == ("Enter cards", "Progress", "Lists", "Finish", "Recognition")
    assert app.entry.mode == "radio" and app.entry.mode_toggle.value == "radio"
    assert app.entry.mode_toggle.options[1][0] == "Full form"
    assert (app.entry.form.product.product_id, app.entry.form.member_id) == ("P02", "TV03")
    assert app.entry.form.submit_button.description == "Submit the card"
    assert app.entry.form.view.inputs["1.1"].options[0][0].endswith("— 1 pt")
    assert app.entry.reopen_button.description == "Reopen the submitted card"


def test_secretary_sees_members_cards_live(council):
    """A member's tick made elsewhere shows on the secretary's page after a poll."""
    store, sid = council
    app = open_secretary(store, sid)
    show(app, "TV02", "P01")
    member = store.actor_for_token(token(store, sid, "TV02"))
    store.tick(sid, member, "P01", "TV02", "1.1", 3)

    assert app.poller.check()

    assert box(app, "1.1").value == "3"
    assert 'data-product="P01" data-member="TV02" data-status="draft"' in app.progress.grid.value


# --- knock-outs the ticks trigger (Kết thúc) ----------------------------------------------------------

P05_NOTE = (
    "Chú ý: Nếu có các tạp chất không chấp nhận được (các tạp chất có nguy cơ gây mất an toàn thực phẩm) "
    "như: Lông, côn trùng, mẫu gỗ, cát, nhựa ... sẽ không đánh giá các bước tiếp theo"
)


@pytest.fixture
def sitting(tmp_path, make_session):
    """The demo council held on 2026-06-20, every card submitted: (store, session id)."""
    store = SessionStore(str(tmp_path / "sitting.sqlite"))
    session_id = make_session(store, with_cards=True, held_on="2026-06-20")
    yield store, session_id
    store.close()


def finish_tab(app):
    """The Kết thúc tab, shown (its results are computed while it is shown)."""
    app.tabs.selected_index = 3
    return app.finish


def test_secretary_shows_the_knockouts_the_ticks_trigger(scored):
    """P05: TV07's ticks trigger 6.1's impurity note; the panel names the rule, the note, the member,
    and says the rejection is the council's; the reason is prefilled with the note."""
    store, sid = scored
    app = open_secretary(store, sid)

    ko = finish_tab(app).knockouts

    assert contract.KO_BOX in ko._dom_classes
    assert [v for _, v in ko.picker.options] == ["P05", "P10"]
    assert ko.picker.options[0][0] == "P05 · Nước mắm cá cơm Phan Thiết — tiêu chí 6.1 · chờ Hội đồng quyết định"
    panel = ko.panel.value
    assert '<div class="ocop-ko-card" data-product="P05" data-decision="pending">' in panel
    assert '<li data-criterion="6.1" data-members="TV07"><b>Tiêu chí 6.1</b> — Tạp chất' in panel
    assert f"«{P05_NOTE}»" in panel
    assert "Theo phiếu của: TV07 (Đặng Văn Giang)" in panel
    assert "việc loại là quyết định của Hội đồng" in panel
    assert "Chưa có quyết định của Hội đồng." in panel
    assert ko.reason.value == f"tiêu chí 6.1: {P05_NOTE}"
    assert contract.KO_REASON in ko.reason._dom_classes
    assert ko.confirm_button.description == "Xác nhận loại"
    assert ko.keep_button.description == "Không loại, ghi lý do"
    assert not ko.confirm_button.disabled and not ko.keep_button.disabled
    summary = app.finish.summary.value
    assert 'data-product="P05" data-flagged="1" data-knockout-flag="pending"' in summary
    assert "⚠ điểm loại (tiêu chí 6.1): chờ Hội đồng quyết định" in summary

    ko.picker.value = "P10"

    assert "Theo phiếu của: TV05 (Hoàng Văn Em), TV07 (Đặng Văn Giang)" in ko.panel.value
    assert ko.reason.value.startswith("tiêu chí 6.1: Ghi chú: Nếu có tạp chất không chấp nhận được")


def test_secretary_confirms_a_triggered_knockout(scored):
    """Xác nhận loại records the prefilled reason (or the edited one); the panel shows the decision."""
    store, sid = scored
    app = open_secretary(store, sid)
    ko = finish_tab(app).knockouts

    ko.confirm_button.click()

    assert store.state(sid).product("P05").knockout == f"tiêu chí 6.1: {P05_NOTE}"
    assert store.results(sid).product("P05").outcome == "rejected"
    assert ko.status.kind == "ok"
    assert ko.status.message.startswith("Đã loại sản phẩm P05: tiêu chí 6.1: Chú ý:")
    assert 'data-decision="knocked_out">✗ Hội đồng đã loại sản phẩm. Lý do: tiêu chí 6.1: Chú ý:' in ko.panel.value
    assert ko.picker.options[0][0].endswith("· đã loại")
    assert ko.confirm_button.disabled and ko.keep_button.disabled  # withdrawing is the entry tab's
    assert 'data-product="P05" data-flagged="0" data-knockout-flag="knocked_out"' in app.finish.summary.value
    assert 'class="ocop-grid-knockout" data-product="P05"' in app.progress.grid.value

    ko.picker.value = "P10"
    ko.reason.value = "Tiêu chí 6.1: mẫu có đất và mốc (biên bản kiểm tra mẫu)"
    ko.confirm_button.click()

    assert store.state(sid).product("P10").knockout == "Tiêu chí 6.1: mẫu có đất và mốc (biên bản kiểm tra mẫu)"
    assert store.audit_log(sid)[-1].reason == "Tiêu chí 6.1: mẫu có đất và mốc (biên bản kiểm tra mẫu)"


def test_secretary_keeps_a_flagged_product_with_a_reason(scored):
    """Không loại needs the council's reason; the product stays proposed and the panel says why."""
    store, sid = scored
    app = open_secretary(store, sid)
    ko = finish_tab(app).knockouts

    ko.keep_button.click()

    assert ko.status.kind == "error"
    assert ko.status.message == "Hãy ghi lý do trước khi thực hiện."
    assert store.state(sid).product("P05").knockout_kept is None

    ko.keep_reason.value = "Hội đồng kiểm tra lại mẫu: không có tạp chất; TV07 chấm nhầm"
    ko.keep_button.click()

    product = store.state(sid).product("P05")
    assert (product.knockout, product.knockout_kept) == (
        None,
        "Hội đồng kiểm tra lại mẫu: không có tạp chất; TV07 chấm nhầm",
    )
    assert store.results(sid).product("P05").outcome == "propose_recognition"
    assert ko.status.message == "Đã ghi lý do không loại sản phẩm P05"
    assert ko.keep_reason.value == ""
    assert (
        'data-decision="kept">✔ Hội đồng không loại sản phẩm. Lý do: Hội đồng kiểm tra lại mẫu: không có tạp chất;'
        in ko.panel.value
    )
    assert ko.picker.options[0][0].endswith("· không loại")
    assert "điểm loại (tiêu chí 6.1): Hội đồng không loại" in app.finish.summary.value
    assert ko.reason.value == f"tiêu chí 6.1: {P05_NOTE}"  # the council may still confirm it


def test_secretary_knockout_panel_in_english(scored):
    """On the English page the note and the criterion are the sheet's English gloss; the reason for the
    minutes stays the sheet's Vietnamese note."""
    store, sid = scored
    app = open_secretary(store, sid)
    ko = finish_tab(app).knockouts

    app.lang_toggle.value = "en"

    panel = ko.panel.value
    assert "<b>Criterion 6.1</b> — Impurities" in panel
    assert "«Attention: If there are unacceptable impurities (impurities posing a food-safety risk)" in panel
    assert "Triggered by the cards of: TV07 (Đặng Văn Giang)" in panel
    assert "the rejection is the council&#x27;s decision" in panel
    assert ko.confirm_button.description == "Confirm the knock-out"
    assert ko.keep_button.description == "Keep it, record why"
    assert ko.picker.options[0][0].endswith("criterion 6.1 · awaiting the council's decision")
    assert ko.reason.value == f"tiêu chí 6.1: {P05_NOTE}"


def test_secretary_knockout_refused_by_the_store_is_a_message(scored):
    """The session finalised elsewhere before the page noticed: the store's refusal is shown, nothing changes."""
    store, sid = scored
    app = open_secretary(store, sid)
    ko = finish_tab(app).knockouts
    store.finalise(sid)

    ko.confirm_button.click()

    assert ko.status.kind == "error"
    assert ko.status.message == "Phiên hội đồng đã kết thúc: không thay đổi được nữa."
    assert store.state(sid).product("P05").knockout is None

    ko.keep_reason.value = "Giữ lại"
    ko.keep_button.click()

    assert ko.status.message == "Phiên hội đồng đã kết thúc: không thay đổi được nữa."
    assert store.state(sid).product("P05").knockout_kept is None
    assert app.poller.check()
    assert ko.confirm_button.disabled and ko.keep_button.disabled


# --- recognition decisions and the central council's results (Công nhận) ------------------------------


def recognition_tab(app):
    """The Công nhận tab, shown."""
    app.tabs.selected_index = 4
    return app.recognition


def standing_of(tab, product_id) -> str:
    """A product's standing as the tab words it."""
    row = re.search(rf'<tr data-product="{product_id}" data-standing="(\w+)">(.*?)</tr>', tab.standings.value)
    return row.group(1), re.search(r'<td class="ocop-standing">(.*?)</td>', row.group(2)).group(1)


def test_secretary_records_a_recognition_decision(sitting):
    """The products awaiting recognition, all ticked; untick one, give the number and date, record."""
    store, sid = sitting
    app = open_secretary(store, sid)
    rec = recognition_tab(app)

    assert list(rec.checks) == ["P01", "P02", "P04", "P05", "P06", "P08", "P09"]  # P03 is forwarded
    assert all(box.value for box in rec.checks.values())
    assert rec.checks["P01"].description == "P01 · Bơ sáp 034 Di Linh — Đề xuất công nhận 4★"
    assert rec.checks["P05"].description.endswith("(⚠ điểm loại chưa được Hội đồng quyết định)")
    assert contract.AWAITING_PREFIX + "P01" in rec.checks["P01"]._dom_classes
    assert standing_of(rec, "P03") == ("forwarded", "Đạt từ 90 điểm: đề nghị Bộ đánh giá 5★")
    assert standing_of(rec, "P07") == ("not_recognised", "Không đề xuất công nhận (1★)")
    assert "Chưa ghi quyết định nào." in rec.decisions.value
    assert rec.record_button.description == "Ghi quyết định công nhận"

    rec.record_button.click()

    assert rec.status.message == "Hãy nhập số và ngày ký của quyết định."
    assert store.state(sid).decisions == ()

    rec.number.value = "123/QĐ-UBND"
    rec.date.value = date(2026, 7, 1)
    rec.checks["P05"].value = False
    rec.record_button.click()

    (decision,) = store.state(sid).decisions
    assert (decision.kind, decision.number, decision.signed_on) == ("recognition", "123/QĐ-UBND", "2026-07-01")
    assert decision.products == ("P01", "P02", "P04", "P06", "P08", "P09")
    assert rec.status.message == (
        "Đã ghi Quyết định số 123/QĐ-UBND ngày 01/07/2026: công nhận P01, P02, P04, P06, P08, P09"
    )
    assert standing_of(rec, "P01") == ("recognised", "Đã công nhận 4★ (Quyết định số 123/QĐ-UBND, ngày 01/07/2026)")
    assert standing_of(rec, "P05") == ("proposed", "Đề xuất công nhận 3★")
    assert list(rec.checks) == ["P05"] and not rec.checks["P05"].value  # still unticked
    assert '<tr data-seq="1" data-kind="recognition" data-products="P01 P02 P04 P06 P08 P09">' in rec.decisions.value
    assert "<td>Quyết định công nhận</td><td>123/QĐ-UBND</td><td>01/07/2026</td>" in rec.decisions.value
    assert rec.number.value == ""


def test_secretary_recognition_refused_by_the_store_records_nothing(sitting):
    """A decision dated before the sitting, or no product ticked: a message, nothing recorded."""
    store, sid = sitting
    app = open_secretary(store, sid)
    rec = recognition_tab(app)
    rec.number.value = "9/QĐ-UBND"
    rec.date.value = date(2026, 6, 1)

    rec.record_button.click()

    assert rec.status.kind == "error"
    assert rec.status.message.startswith("Chưa lưu được: decision date: expected on or after the council's sitting")
    assert store.state(sid).decisions == ()

    for box in rec.checks.values():
        box.value = False
    rec.record_button.click()

    assert rec.status.message == "Chưa chọn sản phẩm nào."


def test_secretary_records_decisions_on_a_finalised_session(sitting):
    """A finalised session refuses knock-outs but records the recognition decision."""
    store, sid = sitting
    store.finalise(sid)
    app = open_secretary(store, sid)

    ko = finish_tab(app).knockouts
    assert ko.confirm_button.disabled and ko.keep_button.disabled and ko.reason.disabled
    rec = recognition_tab(app)
    assert "Phiên đã kết thúc: vẫn ghi được quyết định công nhận" in rec.finalised_note.value

    rec.number.value = "45/QĐ-UBND"
    rec.date.value = date(2026, 7, 2)
    rec.record_button.click()

    assert store.state(sid).decisions[0].products == ("P01", "P02", "P04", "P05", "P06", "P08", "P09")
    assert rec.status.kind == "ok"
    assert rec.record_button.disabled  # nothing awaits recognition any more
    assert "Không có sản phẩm nào chờ công nhận." in rec.awaiting_label.value


def upload_bytes(widget, name, data):
    """A file chosen in a FileUpload, from bytes."""
    widget.value = (
        {"name": name, "type": "", "size": len(data), "content": memoryview(data), "last_modified": datetime.now(UTC)},
    )


def central(*rows) -> bytes:
    """The central council's results as ``ocop score --format json`` writes them (the fields read)."""
    doc = {
        "rules": {"level": "central"},
        "products": [{"product_id": p, "mean_total": m, "stars": s} for p, m, s in rows],
    }
    return json.dumps(doc, ensure_ascii=False).encode()


def test_secretary_imports_the_central_result_then_recognises(sitting):
    """P03 (97.89, forwarded) comes back from the central council at 88.50, 4★: the province may recognise it."""
    store, sid = sitting
    app = open_secretary(store, sid)
    rec = recognition_tab(app)
    assert contract.UPLOAD_CENTRAL in rec.upload._dom_classes

    upload_bytes(rec.upload, "tw.json", central(("P03", "88.50", 4)))

    assert rec.central_status.message == "Hãy nhập số và ngày ký của quyết định."
    assert store.state(sid).decisions == ()
    assert rec.upload.value == ()

    rec.central_number.value = "77/BNNMT"
    rec.central_date.value = date(2026, 9, 1)
    upload_bytes(rec.upload, "tw.json", central(("P03", "88.50", 4)))

    (back,) = store.state(sid).decisions
    assert (back.kind, back.number, back.signed_on) == ("central_result", "77/BNNMT", "2026-09-01")
    assert rec.central_status.message == "Đã ghi kết quả của Hội đồng Trung ương từ tw.json: P03: 88.50 điểm, 4★"
    assert standing_of(rec, "P03") == (
        "central_below",
        "Hội đồng Trung ương: 88.50 điểm, 4★ — tỉnh có thể công nhận 4★",
    )
    assert "<td>Kết quả Hội đồng Trung ương</td><td>77/BNNMT</td><td>01/09/2026</td><td>P03: 88.50 điểm, 4★</td>" in (
        rec.decisions.value
    )
    assert "P03" in rec.checks

    for pid, box in rec.checks.items():
        box.value = pid == "P03"
    rec.number.value = "210/QĐ-UBND"
    rec.date.value = date(2026, 9, 15)
    rec.record_button.click()

    assert store.state(sid).recognition("P03").number == "210/QĐ-UBND"
    assert standing_of(rec, "P03") == ("recognised", "Đã công nhận 4★ (Quyết định số 210/QĐ-UBND, ngày 15/09/2026)")


def test_secretary_central_5_stars_and_english(sitting):
    """Back at 5★: the Ministry recognises it; the English page words every standing."""
    store, sid = sitting
    store.import_central_result(sid, json.loads(central(("P03", "93.10", 5))), "80/QĐ-BNNMT", "2026-09-01")
    store.recognise(sid, "123/QĐ-UBND", "2026-07-01", ["P01"])
    app = open_secretary(store, sid)
    rec = recognition_tab(app)

    assert standing_of(rec, "P03") == ("central_5_star", "Bộ công nhận 5★")

    app.lang_toggle.value = "en"

    assert app.tabs.titles[4] == "Recognition"
    assert standing_of(rec, "P03") == ("central_5_star", "Recognised 5★ by the Ministry")
    assert standing_of(rec, "P01") == ("recognised", "Recognised at 4★ (Decision No. 123/QĐ-UBND of 2026-07-01)")
    assert standing_of(rec, "P02") == ("proposed", "Proposed for recognition at 3★")
    assert rec.record_button.description == "Record the recognition decision"


def test_secretary_central_result_with_problems_records_nothing(sitting):
    """Broken JSON, or a product this council did not forward: every problem with the file's name, nothing recorded."""
    store, sid = sitting
    app = open_secretary(store, sid)
    rec = recognition_tab(app)
    rec.central_number.value = "77/BNNMT"
    rec.central_date.value = date(2026, 9, 1)

    upload_bytes(rec.upload, "tw.json", b'{"rules": {"level": "central"}, "products": [')

    assert "Tệp tw.json có 1 lỗi, không ghi gì:" in rec.central_report.value
    assert "tw.json:1: json: expected the JSON of `ocop score --format json`" in rec.central_report.value
    assert rec.central_status.kind == "error"

    upload_bytes(rec.upload, "tw.json", central(("P01", "85.00", 4), ("P03", "9x", 4)))

    report = rec.central_report.value
    assert "Tệp tw.json có 2 lỗi, không ghi gì:" in report
    assert "tw.json: products[0].product_id: expected a product this council forwarded to the Ministry" in report
    assert "tw.json: products[1].mean_total" in report

    upload_bytes(rec.upload, "tw.json", "Kết quả".encode("utf-16"))

    assert "tw.json: encoding: expected UTF-8 text" in rec.central_report.value
    assert store.state(sid).decisions == ()
    assert rec.central_number.value == "77/BNNMT"  # kept for the corrected file
