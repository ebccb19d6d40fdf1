"""The criteria workbench page, headless: pick, edit, see checks and differences, what-if, versions, Excel."""

from __future__ import annotations

import base64
import io
import re
from datetime import UTC, datetime

import pytest
from openpyxl import load_workbook

from ocop_scoring import workbench as wb
from ocop_scoring.store import SessionStore
from ocop_scoring.views import contract
from ocop_scoring.views.workbench import (
    CriteriaWorkbench,
    criteria_app,
)

NOW = datetime(2026, 6, 20, tzinfo=UTC)


@pytest.fixture
def drafts(tmp_path, monkeypatch):
    """A private drafts folder through $OCOP_DRAFTS_DIR."""
    folder = tmp_path / "drafts"
    monkeypatch.setenv("OCOP_DRAFTS_DIR", str(folder))
    return folder


@pytest.fixture
def council(tmp_path, make_session):
    """The demo council in a fresh store: (store, session id, the secretary's token)."""
    store = SessionStore(tmp_path / "s.sqlite")
    sid = make_session(store)
    secretary = next(m for m in store.state(sid).members if m.role == "secretary")
    yield store, sid, secretary.token
    store.close()


@pytest.fixture
def app(council, drafts, library) -> CriteriaWorkbench:
    """The page opened from the link that carries the secretary's token."""
    store, _, token = council
    page = criteria_app(store=store, token=token, library=library)
    assert isinstance(page, CriteriaWorkbench)
    return page


def star_picker(app: CriteriaWorkbench, level: int):
    return next(d for d in app.stars_box.children if f"ocop-wb-star-{level}" in d._dom_classes)


def option_row(app: CriteriaWorkbench, number: int):
    return next(r for r in app.options_box.children if f"ocop-wb-option-{number}" in r._dom_classes)


def row_widget(row, cls: str):
    for child in row.children:
        if cls in getattr(child, "_dom_classes", ()):
            return child
        for grandchild in getattr(child, "children", ()):
            if cls in grandchild._dom_classes:
                return grandchild
    raise AssertionError(f"no {cls} in the row")


def count(widget) -> int:
    return int(re.search(r'data-count="(\d+)"', widget.value).group(1))


def open_sheet4_story(app: CriteriaWorkbench) -> None:
    app.sheet_picker.value = "official:qd26-2026-04"
    app.node_picker.value = "5.1"


def test_page_opens_on_the_first_official_sheet_with_the_contract_classes(app):
    """The page shows the 26 official sheets of 26/2026, the first one's tree, a clean check and no difference."""
    values = [v for _, v in app.sheet_picker.options]

    assert values == [f"official:qd26-2026-{n:02d}" for n in range(1, 27)]
    assert app.ruleset_picker.value == "qd26-2026"
    assert 'data-sheet="qd26-2026-01"' in app.tree.value
    assert count(app.validation) == 0
    assert count(app.diff) == 0
    for widget, cls in [
        (app.sheet_picker, contract.SHEET_PICKER),
        (app.validation, contract.VALIDATION),
        (app.diff, contract.DIFF),
        (app.session_picker, contract.WHATIF_SESSION),
        (app.run_button, contract.WHATIF_RUN),
        (app.changes_view, contract.WHATIF_CHANGES),
        (app.save_button, contract.SAVE_VERSION),
        (app.status, contract.STATUS),
        (app.lang_toggle, contract.LANG),
    ]:
        assert cls in widget._dom_classes


def test_editing_shows_problems_as_you_type_and_the_difference(app):
    """Raising 5.1 option 5 above the maximum lists both loader problems; moving the 4★ marker is two changes."""
    open_sheet4_story(app)
    points = row_widget(option_row(app, 5), "ocop-wb-opt-points")

    points.value = 6

    assert count(app.validation) == 2
    assert "tiêu chí 5.1 › phương án 5 › điểm: cần at most the criterion&#x27;s maximum 5" in app.validation.value
    assert count(app.diff) == 1

    points.value = 5
    star_picker(app, 4).value = 4

    assert count(app.validation) == 0
    assert count(app.diff) == 2
    assert 'data-code="5.1" data-option="4" data-field="star"' in app.diff.value
    assert 'data-option="4" data-points="3" data-star="4"' in app.tree.value
    assert app.edited.leaf("5.1").star_minimums() == {4: 3}
    assert app.library.sheet("qd26-2026-04").leaf("5.1").star_minimums() == {4: 5}


def test_option_buttons_and_node_texts_edit_the_copy(app):
    """Add, move, remove an option and change the criterion's text: the form and the difference follow."""
    open_sheet4_story(app)

    app.add_option_button.click()
    assert len(app.options_box.children) == 6
    assert count(app.validation) == 1  # the new option has no text yet
    row_widget(option_row(app, 6), "ocop-wb-opt-text-vi").value = "Phương án mới"
    row_widget(option_row(app, 6), "ocop-wb-opt-up").click()
    assert app.edited.leaf("5.1").options[4].text_vi == "Phương án mới"
    row_widget(option_row(app, 5), "ocop-wb-opt-remove").click()
    app.text_en.value = "Product story (edited)"

    assert count(app.validation) == 0
    assert [(c.where, c.field) for c in wb.diff_sheets(app.official, app.edited)] == [("criterion", "text_en")]
    assert "Product story (edited)" in app.edited.leaf("5.1").text_en


def test_what_if_lists_p04_beside_the_official_result(app):
    """With the 4★ marker on option 4, the what-if on the link's session lists P04 going 3★ -> 4★."""
    open_sheet4_story(app)
    star_picker(app, 4).value = 4

    app.run_button.click()

    assert app.status.kind == "ok", app.status.message
    assert count(app.changes_view) == 1
    row = re.search(r'<tr class="ocop-change-P04[^"]*"[^>]*>', app.changes_view.value).group(0)
    assert 'data-old-stars="3"' in row
    assert 'data-new-stars="4"' in row
    assert 'data-old-mean="80.89"' in row
    assert "nay đạt yêu cầu tối thiểu 4★ ở 5.1" in app.changes_view.value
    assert 'data-product="P04" data-old-stars="3" data-new-stars="4"' in app.side_view.value


def test_what_if_needs_a_token_of_that_session(council, drafts, library):
    """Without a valid token of the session the what-if is refused and nothing is shown."""
    store, _, token = council
    app = criteria_app(store=store, library=library)
    open_sheet4_story(app)

    app.run_button.click()
    assert app.status.kind == "error"
    assert "Mã truy cập không hợp lệ" in app.status.message
    app.token_box.value = "not-a-token"
    app.run_button.click()
    assert app.status.kind == "error"
    assert app.changes_view.value == ""

    app.token_box.value = token
    app.run_button.click()
    assert app.status.kind == "ok"


def test_what_if_refused_while_the_edit_has_problems(app):
    """An edit with problems is not rescored."""
    open_sheet4_story(app)
    row_widget(option_row(app, 5), "ocop-wb-opt-points").value = 6

    app.run_button.click()

    assert app.status.kind == "error"
    assert "2 lỗi" in app.status.message
    assert app.changes_view.value == ""


def test_save_version_into_the_drafts_folder_and_pick_it(app, drafts):
    """Saving writes <drafts>/qd26-2026/qd26-2026-04--<slug>.yaml, lists it, and a second save of the name is refused."""
    open_sheet4_story(app)
    star_picker(app, 4).value = 4
    app.version_name.value = "Câu chuyện 4 sao"

    app.save_button.click()

    path = drafts.resolve() / "qd26-2026" / "qd26-2026-04--cau-chuyen-4-sao.yaml"
    assert app.status.kind == "ok", app.status.message
    assert path.is_file()
    assert app.sheet_picker.value == f"version:{path}"
    assert app.picked.sheet_id == "qd26-2026-04--cau-chuyen-4-sao"
    assert count(app.diff) == 2  # still compared with the official sheet

    app.version_name.value = "Câu chuyện 4 sao"
    app.save_button.click()
    assert app.status.kind == "error"
    assert "chọn tên khác" in app.status.message


def test_save_needs_a_name_and_a_valid_edit(app, drafts):
    """No name, or an edit with problems: nothing is saved."""
    open_sheet4_story(app)
    app.save_button.click()
    assert app.status.kind == "error"
    row_widget(option_row(app, 5), "ocop-wb-opt-points").value = 6
    app.version_name.value = "x"
    app.save_button.click()
    assert app.status.kind == "error"
    assert not drafts.exists() or not any(drafts.rglob("*.yaml"))


def test_export_is_a_data_link_and_import_reads_it_back(app):
    """The Excel export is a data: URI (no file written); the same workbook, edited, imports as the edit."""
    open_sheet4_story(app)
    app.export_button.click()
    href = re.search(r'href="data:[^;]+;base64,([^"]+)"', app.download.value).group(1)
    book = load_workbook(io.BytesIO(base64.b64decode(href)))
    ws = book["criteria"]
    rows = {(r[0].value, r[1].value, r[2].value): r[0].row for r in ws.iter_rows(min_row=2)}
    ws[f"G{rows[('option', '5.1', 4)]}"] = 4
    ws[f"G{rows[('option', '5.1', 5)]}"] = None
    out = io.BytesIO()
    book.save(out)
    app.sheet_picker.value = "official:qd26-2026-01"

    app.upload.value = (
        {"name": "s4.xlsx", "type": "", "size": 0, "content": memoryview(out.getvalue()), "last_modified": NOW},
    )

    assert app.status.kind == "ok", app.status.message
    assert app.sheet_picker.value == "official:qd26-2026-04"
    assert app.edited.leaf("5.1").star_minimums() == {4: 3}
    assert count(app.diff) == 2


def test_import_of_a_broken_workbook_lists_problems_by_cell(app, library):
    """A formula in the import is shown at its cell; the edit in progress is kept."""
    book = load_workbook(io.BytesIO(wb.sheet_to_xlsx(library.sheet("qd26-2026-04"))))
    book["criteria"]["F5"] = "=2*2"
    out = io.BytesIO()
    book.save(out)
    before = app.edited

    app.upload.value = (
        {"name": "bad.xlsx", "type": "", "size": 0, "content": memoryview(out.getvalue()), "last_modified": NOW},
    )

    assert app.status.kind == "error"
    assert count(app.validation) == 1
    assert "F5" in app.validation.value
    assert app.edited is before


def test_language_toggle_switches_labels_and_panels(app):
    """English labels and English problem words after the toggle."""
    open_sheet4_story(app)
    row_widget(option_row(app, 5), "ocop-wb-opt-points").value = 6

    app.lang_toggle.value = "en"

    assert app.run_button.description == "Rescore"
    assert "criterion 5.1 › option 5 › points: expected at most" in app.validation.value
    assert app.sheet_picker.options[0][0].startswith("qd26-2026-01 — Fresh vegetables")


def test_page_without_a_store_still_edits(drafts, library, tmp_path):
    """No session store: the what-if says so; browsing and editing work."""
    app = criteria_app(store=tmp_path / "missing.sqlite", library=library)

    assert app.run_button.disabled
    assert "Không có kho dữ liệu" in app.help["wb_whatif_store"].value
    open_sheet4_story(app)
    star_picker(app, 4).value = 4
    assert count(app.diff) == 2


def test_every_workbench_text_exists_in_both_languages_and_no_vietnamese_in_code():
    """Each wb_ key the workbench uses has a Vietnamese and an English text; its .py files hold no Vietnamese."""
    import unicodedata
    from pathlib import Path

    from ocop_scoring.texts import load_texts
    from ocop_scoring.yamlio import read_yaml
    from tests.conftest import REPO

    sources = [REPO / "ocop_scoring/workbench.py", REPO / "ocop_scoring/views/workbench.py"]
    used = {k for path in sources for k in re.findall(r'"(wb_[a-z_]+)"', path.read_text(encoding="utf-8"))}
    data, problems = read_yaml(REPO / "ocop_scoring/texts_workbench.yaml")
    texts = load_texts()

    assert problems == []
    assert used - {"wb_whatif_store"}
    for key in used - {"wb_whatif_store"}:
        assert texts.t(key, "vi") != key, key
        assert set(data["texts"][key]) == {"vi", "en"}, key
    assert all(key.startswith("wb_") for key in data["texts"])
    for path in map(Path, sources):
        letters = {
            ch for ch in path.read_text(encoding="utf-8") if ord(ch) > 127 and "LATIN" in unicodedata.name(ch, "")
        }
        assert letters == set(), (path.name, letters)
