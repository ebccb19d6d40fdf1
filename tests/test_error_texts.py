"""A store refusal reaches a council page in the page's language (OcopError.key / texts_errors.yaml)."""

from __future__ import annotations

import re
import string
from pathlib import Path

import pytest

from ocop_scoring import demo
from ocop_scoring.errors import AccessDenied, OcopError, ScorecardError, SessionFinalised, StoreError
from ocop_scoring.serve import ensure_demo_session
from ocop_scoring.store import OPERATOR, SessionStore
from ocop_scoring.texts import load_texts
from ocop_scoring.views.common import error_text

PACKAGE = Path(__file__).resolve().parent.parent / "ocop_scoring"
CODED = re.compile(r"\.coded\(\s*\"(\w+)\"")


def coded_keys() -> set[str]:
    return {key for path in PACKAGE.rglob("*.py") for key in CODED.findall(path.read_text(encoding="utf-8"))}


def test_every_coded_refusal_has_a_vietnamese_and_an_english_text():
    texts = load_texts()
    keys = coded_keys()

    assert len(keys) >= 20
    for key in sorted(keys):
        assert key in set(texts.keys()), key
        vi, en = texts.t(key, "vi"), texts.t(key, "en")
        assert vi and en and vi != en, key
        fields = lambda t: {f for _, f, _, _ in string.Formatter().parse(t) if f}  # noqa: E731
        assert fields(vi) == fields(en), key


@pytest.fixture
def demo_store(tmp_path, library):
    store = SessionStore(tmp_path / "council.sqlite")
    ensure_demo_session(store, library)
    yield store
    store.close()


def refusal(call) -> OcopError:
    with pytest.raises(OcopError) as info:
        call()
    return info.value


def test_the_refusals_a_council_meets_are_said_in_vietnamese(demo_store):
    st, sid = demo_store, "demo"
    state = st.state(sid)
    token = {m.member_id: m.token for m in state.members}
    tv02 = st.actor_for_token(token["TV02"])
    texts = load_texts()
    (recused_product, recused_member), _ = next(iter(demo.RECUSED.items()))
    draft = next(
        c for c in (state.card("P07", m.member_id) for m in state.members if m.scores) if c and not c.is_submitted
    )
    cases = {
        "err_card_submitted": lambda: st.tick(sid, tv02, "P01", "TV02", "1.1", 1),
        "err_not_your_card": lambda: st.tick(sid, tv02, "P08", "TV03", "1.1", 1),
        "err_card_incomplete": lambda: st.submit(sid, OPERATOR, "P07", draft.member_id),
        "err_secretary_only": lambda: st.reopen(sid, tv02, "P01", "TV02", "sửa"),
        "err_reason_required": lambda: st.reopen(sid, OPERATOR, "P01", "TV02", " "),
        "err_not_submitted": lambda: st.reopen(sid, OPERATOR, "P08", "TV02", "sửa"),
        "err_already_recused": lambda: st.recuse(sid, OPERATOR, recused_product, recused_member, "lý do"),
        "err_member_recused": lambda: st.tick(
            sid, st.actor_for_token(token[recused_member]), recused_product, recused_member, "1.1", 1
        ),
        "err_finalise_quorum": lambda: st.finalise(sid),
        "err_unknown_token": lambda: st.actor_for_token("not-a-token"),
        "err_no_token": lambda: st.actor_for_token(""),
    }
    for key, call in cases.items():
        exc = refusal(call)
        assert exc.key == key, (key, exc.key, str(exc))
        vi, en = error_text(exc, texts, "vi"), error_text(exc, texts, "en")
        assert vi != str(exc) and "{" not in vi, (key, vi)
        assert en != vi, key

    exc = refusal(lambda: st.tick(sid, tv02, "P01", "TV02", "1.1", 1))
    assert isinstance(exc, AccessDenied)
    assert error_text(exc, texts, "vi").startswith("Phiếu của TV02 cho sản phẩm P01 đã nộp lúc ")
    assert re.search(r"lúc \d\d:\d\d \d\d/\d\d/\d{4}", error_text(exc, texts, "vi"))  # local time, not ISO


def test_a_finalised_session_refuses_in_vietnamese(demo_store, library):
    st = demo_store
    st.create_session("nho", "Phiên nhỏ", library)
    from ocop_scoring.model import MemberSpec, ProductSpec

    st.add_members("nho", [MemberSpec("TV01", "Chủ tịch", "chair"), MemberSpec("TK01", "Thư ký", "secretary")])
    p = demo.PRODUCTS[0]
    st.add_products("nho", [ProductSpec(p.product_id, p.name, p.sheet_id)])
    sheet = st.sheet("nho", p.sheet_id)
    st.enter_card("nho", OPERATOR, p.product_id, "TV01", {leaf.code: 1 for leaf in sheet.leaves}, submit=True)
    st.finalise("nho")

    exc = refusal(lambda: st.tick("nho", OPERATOR, p.product_id, "TV01", sheet.leaves[0].code, 2))

    assert isinstance(exc, SessionFinalised) and exc.key == "err_session_finalised"
    assert error_text(exc, load_texts(), "vi").startswith("Phiên hội đồng đã kết thúc lúc ")


def test_an_error_without_a_text_keeps_its_message():
    texts = load_texts()
    assert error_text(StoreError("plain words"), texts, "vi") == "plain words"
    assert error_text(ScorecardError.coded("no_such_key", "fallback"), texts, "vi") == "fallback"


@pytest.mark.parametrize("path", sorted(PACKAGE.glob("texts*.yaml")), ids=lambda p: p.name)
def test_texts_files_are_nfc(path):
    """The pages' Vietnamese strings are stored normalised to NFC, like the criteria data."""
    import unicodedata

    text = path.read_text(encoding="utf-8")
    assert unicodedata.is_normalized("NFC", text)
