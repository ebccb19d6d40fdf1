"""The session store on a real SQLite file and a real PostgreSQL database: rules, audit, pinning, files."""

from __future__ import annotations

import json
import shutil

import pytest
import sqlalchemy as sa

from ocop_scoring import demo
from ocop_scoring.criteria_io import load_library
from ocop_scoring.errors import (
    AccessDenied,
    ScorecardError,
    ScoresInputError,
    SessionFinalised,
    SettingsError,
    StoreError,
)
from ocop_scoring.model import MemberSpec, ProductSpec
from ocop_scoring.scoring import build_card_set, score_council
from ocop_scoring.store import OPERATOR, Actor, SessionStore
from ocop_scoring.store.session_file import dumps
from tests.conftest import REPO, best_choices


@pytest.fixture
def store(store_url):
    s = SessionStore(store_url)
    yield s
    s.close()


def member_actor(store, session_id, member_id):
    token = next(m.token for m in store.state(session_id).members if m.member_id == member_id)
    return store.actor_for_token(token)


def test_results_equal_the_engine_on_the_same_cards(store, make_session, library):
    """The store's results are the scoring engine's on the submitted cards (recomputed, never stored)."""
    sid = make_session(store)

    got = store.results(sid).as_json()
    expected = score_council(
        build_card_set(demo.demo_scorecards(library.sheets), library.sheets),
        library.sheets,
        library.ruleset("qd26-2026"),
    ).as_json()

    assert got == expected


def test_session_pins_rule_set_and_every_sheet(store, make_session, library):
    """Creating a session pins the rule set and the 26 sheets by content hash."""
    sid = make_session(store, with_cards=False)
    state = store.state(sid)

    assert dict(state.sheet_hashes) == {s.sheet_id: s.sha256 for s in library.sheets_of("qd26-2026")}
    assert state.session.ruleset_sha256 == library.ruleset("qd26-2026").sha256
    assert store.sheets(sid)["qd26-2026-04"] == library.sheet("qd26-2026-04")


def test_later_edit_of_a_sheet_cannot_change_an_existing_session(store_url, make_session, tmp_path):
    """Sessions score with the sheets pinned at creation, whatever happens to the criteria folder later."""
    criteria = tmp_path / "criteria"
    shutil.copytree(REPO / "criteria", criteria)
    lib = load_library(criteria)
    store = SessionStore(store_url)
    sid = "pinned"
    store.create_session(sid, "x", lib)
    store.add_members(sid, [MemberSpec("TV01", "A", "chair")])
    store.add_products(sid, [ProductSpec("P1", "Bưởi", "qd26-2026-01")])
    store.enter_card(sid, OPERATOR, "P1", "TV01", best_choices(lib.sheet("qd26-2026-01")), submit=True)
    before = store.results(sid).as_json()
    path = criteria / "qd26-2026/qd26-2026-01.yaml"
    path.write_text(
        path.read_text(encoding="utf-8").replace(
            "- points: 3\n                text_vi: Sản phẩm được trồng",
            "- points: 2\n                text_vi: Sản phẩm được trồng",
        ),
        encoding="utf-8",
    )

    again = SessionStore(store_url)
    assert again.results(sid).as_json() == before
    assert again.verify(sid).ok
    store.close()
    again.close()


def test_members_get_tokens_and_tokens_identify_them(store, make_session):
    """Each member has a personal token; the token resolves to that member, an unknown one is refused."""
    sid = make_session(store, with_cards=False)
    members = store.state(sid).members

    assert len({m.token for m in members}) == len(members) == 10
    assert store.actor_for_token(members[3].token) == Actor("member", "TV04", sid)
    assert store.actor_for_token(members[-1].token).role == "secretary"
    with pytest.raises(AccessDenied, match="this link is not valid"):
        store.actor_for_token("not-a-token")


def test_a_member_writes_only_their_own_card(store, make_session):
    """A member's token ticks their own card; another member's card is refused, and nothing changes."""
    sid = make_session(store, with_cards=False)
    tv02 = member_actor(store, sid, "TV02")

    card = store.tick(sid, tv02, "P01", "TV02", "1.1", 2)
    version = store.data_version(sid)
    with pytest.raises(AccessDenied, match="member TV02 may not write member TV03's card"):
        store.tick(sid, tv02, "P01", "TV03", "1.1", 2)

    assert card.choices == (("1.1", 2),)
    assert store.data_version(sid) == version
    assert store.state(sid).card("P01", "TV03") is None


def test_members_cannot_administer(store, make_session):
    """Knock-outs, reopening, new rounds, finalising are for the secretary only."""
    sid = make_session(store, with_cards=False)
    tv02 = member_actor(store, sid, "TV02")

    for call in (
        lambda: store.knock_out(sid, tv02, "P01", "x"),
        lambda: store.reopen(sid, tv02, "P01", "TV02", "x"),
        lambda: store.open_round(sid, tv02, "P01", "x"),
        lambda: store.finalise(sid, tv02),
        lambda: store.add_products(sid, [ProductSpec("X", "x", "qd26-2026-01")], actor=tv02),
    ):
        with pytest.raises(AccessDenied, match="only the secretary administers"):
            call()


def test_tick_is_saved_and_a_reload_restores_the_draft(store_url, make_session):
    """Every tick is one saved transaction; a new store object (another process) reads it back."""
    a = SessionStore(store_url)
    sid = make_session(a, with_cards=False)
    tv05 = member_actor(a, sid, "TV05")
    a.tick(sid, tv05, "P03", "TV05", "1.1", 3)
    a.tick(sid, tv05, "P03", "TV05", "1.2", 1)
    a.tick(sid, tv05, "P03", "TV05", "1.1", None)
    a.set_comment(sid, tv05, "P03", "TV05", "Sản phẩm tốt")

    card = SessionStore(store_url).state(sid).card("P03", "TV05")

    assert (card.status, card.choices, card.comment) == ("draft", (("1.2", 1),), "Sản phẩm tốt")


def test_wrong_ticks_are_refused(store, make_session):
    """Unknown criterion and option out of range are refused with the criterion named."""
    sid = make_session(store, with_cards=False)

    with pytest.raises(ScorecardError, match=r"sheet qd26-2026-01 has no criterion '9\.9'"):
        store.tick(sid, OPERATOR, "P01", "TV02", "9.9", 1)
    with pytest.raises(ScorecardError, match=r"criterion 1\.1: expected an option between 0 and 3, got 4"):
        store.tick(sid, OPERATOR, "P01", "TV02", "1.1", 4)


def test_submit_refuses_an_incomplete_card_then_locks(store, make_session, library):
    """Submitting names the missing criteria; a submitted card refuses ticks until the secretary reopens it."""
    sid = make_session(store, with_cards=False)
    tv02 = member_actor(store, sid, "TV02")
    choices = best_choices(library.sheet("qd26-2026-01"))
    del choices["12"]
    store.enter_card(sid, tv02, "P01", "TV02", choices)

    with pytest.raises(ScorecardError, match="cannot submit an incomplete card; missing 12"):
        store.submit(sid, tv02, "P01", "TV02")
    store.tick(sid, tv02, "P01", "TV02", "12", 3)
    store.submit(sid, tv02, "P01", "TV02")
    with pytest.raises(AccessDenied, match="is locked; the secretary can reopen it"):
        store.tick(sid, tv02, "P01", "TV02", "1.1", 1)
    with pytest.raises(StoreError, match="a reason is required"):
        store.reopen(sid, OPERATOR, "P01", "TV02", "  ")
    store.reopen(sid, OPERATOR, "P01", "TV02", "Thành viên xin sửa tiêu chí 1.1")
    store.tick(sid, tv02, "P01", "TV02", "1.1", 1)

    log = store.audit_log(sid)
    assert [e.action for e in log[-4:]] == ["tick", "submit", "reopen", "tick"]
    assert log[-2].reason == "Thành viên xin sửa tiêu chí 1.1"


def test_story_rule_card_submits_without_5_2(store, make_session, library):
    """With 5.1 = no story, 5.2 need not be ticked to submit."""
    sid = make_session(store, with_cards=False)
    choices = {**best_choices(library.sheet("qd26-2026-01")), "5.1": 1}
    del choices["5.2"]

    card = store.enter_card(sid, OPERATOR, "P01", "TV02", choices, submit=True)

    assert card.is_submitted


def test_recusal(store, make_session):
    """A recused member's card does not count; recusal after submitting needs a reopen first."""
    sid = make_session(store)

    assert store.results(sid).product("P06").members == 8
    with pytest.raises(AccessDenied, match="recused from product P06"):
        store.tick(sid, OPERATOR, "P06", "TV05", "1.1", 1)
    with pytest.raises(AccessDenied, match="must reopen it before a recusal"):
        store.recuse(sid, OPERATOR, "P01", "TV03", "Người thân của chủ thể")


def test_knockout_and_its_withdrawal(store, make_session):
    """A knocked-out product gets no star and takes no ticks; withdrawing restores its result."""
    sid = make_session(store)
    store.knock_out(sid, OPERATOR, "P10", demo.REJECTION_REASON)

    assert store.results(sid).product("P10").stars == 0
    with pytest.raises(AccessDenied, match="knocked out"):
        store.tick(sid, OPERATOR, "P10", "TV01", "1.1", 1)
    store.clear_knockout(sid, OPERATOR, "P10", "Hội đồng xem lại hồ sơ")
    assert store.results(sid).product("P10").stars == 2  # 55.00 (3★ band), 2.2 misses its 3★ minimum


def test_new_round_keeps_the_earlier_cards(store, make_session):
    """A re-scoring round keeps round 1's cards; members start from their previous ticks as drafts."""
    sid = make_session(store)
    before = store.results(sid).product("P05")

    new = store.open_round(sid, OPERATOR, "P05", "Chênh lệch 18 điểm: hội đồng thảo luận và chấm lại")
    state = store.state(sid)

    assert new == 2
    assert state.card("P05", "TV07", 1).is_submitted
    assert state.card("P05", "TV07", 2).status == "draft"
    assert state.card("P05", "TV07", 2).choices == state.card("P05", "TV07", 1).choices
    assert "P05" not in store.results(sid)  # no submitted card in round 2 yet
    for member in [m.member_id for m in state.scoring_members]:
        store.submit(sid, OPERATOR, "P05", member)
    assert store.results(sid).product("P05").mean_total == before.mean_total
    assert store.verify(sid).ok


def test_finalise_needs_quorum_then_refuses_every_write(store, make_session):
    """Finalising needs the quorum (3/4 of 9 = 7 cards); afterwards every write is refused."""
    sid = make_session(store, with_cards=False)
    for member in ("TV01", "TV02"):
        store.enter_card(sid, OPERATOR, "P01", member, best_choices(store.sheet(sid, "qd26-2026-01")), submit=True)
    with pytest.raises(StoreError, match=r"below the quorum of 7 submitted cards: P01 \(2/7\), P02 \(0/7\)"):
        store.finalise(sid)

    sid2 = make_session(store, session_id="hd-2026-2")
    digest = store.finalise(sid2)
    version = store.data_version(sid2)

    for call in (
        lambda: store.tick(sid2, OPERATOR, "P01", "TV01", "1.1", 1),
        lambda: store.reopen(sid2, OPERATOR, "P01", "TV01", "x"),
        lambda: store.knock_out(sid2, OPERATOR, "P01", "x"),
        lambda: store.add_members(sid2, [MemberSpec("TV99", "X", "member")]),
        lambda: store.open_round(sid2, OPERATOR, "P01", "x"),
        lambda: store.finalise(sid2),
    ):
        with pytest.raises(SessionFinalised, match="is finalised"):
            call()
    assert store.data_version(sid2) == version
    assert store.audit_log(sid2)[-1].after["results_sha256"] == digest
    assert store.verify(sid2).ok


def test_every_change_is_one_audit_entry(store, make_session):
    """Each change appends exactly one entry, with who, when, what, before and after."""
    sid = make_session(store, with_cards=False)
    n = len(store.audit_log(sid))
    tv04 = member_actor(store, sid, "TV04")

    store.tick(sid, tv04, "P02", "TV04", "1.4", 2)
    store.tick(sid, tv04, "P02", "TV04", "1.4", 3)
    log = store.audit_log(sid)

    assert len(log) == n + 2
    last = log[-1]
    assert (last.actor, last.action, dict(last.target), last.before, last.after) == (
        "TV04",
        "tick",
        {"product": "P02", "member": "TV04", "round": 1},
        {"1.4": 2},
        {"1.4": 3},
    )
    assert last.prev_hash == log[-2].hash


def test_verify_finds_an_edited_audit_entry(store, make_session):
    """Editing a past entry breaks the chain at that entry."""
    sid = make_session(store)
    with store.engine.begin() as conn:
        conn.execute(sa.text("UPDATE ocop_audit SET reason = 'sửa lén' WHERE session_id = :s AND seq = 5"), {"s": sid})

    report = store.verify(sid)

    assert not report.ok
    assert any(
        p.startswith("audit entry 5 (add_member at ") and p.endswith("edited after it was written (hash mismatch)")
        for p in report.problems
    )


def test_verify_finds_a_card_changed_behind_the_logs_back(store, make_session):
    """A scorecard edited directly in the database is named with the criterion and both options."""
    sid = make_session(store)
    with store.engine.begin() as conn:
        row = conn.execute(
            sa.text("SELECT choices FROM ocop_cards WHERE session_id=:s AND product_id='P03' AND member_id='TV04'"),
            {"s": sid},
        ).scalar_one()
        choices = json.loads(row)
        choices["1.1"] = 1
        conn.execute(
            sa.text("UPDATE ocop_cards SET choices=:c WHERE session_id=:s AND product_id='P03' AND member_id='TV04'"),
            {"c": json.dumps(choices), "s": sid},
        )

    report = store.verify(sid)

    assert report.problems == (
        "scorecard P03/TV04 round 1: changed behind the audit log's back (criterion 1.1: option 1 in the table, 3 in the log)",
    )


def test_verify_finds_removed_entries_and_changed_sheets(store, make_session):
    """Dropping the last entry, or editing a pinned sheet's text, is found."""
    sid = make_session(store)
    with store.engine.begin() as conn:
        last = conn.execute(sa.text("SELECT max(seq) FROM ocop_audit WHERE session_id=:s"), {"s": sid}).scalar_one()
        conn.execute(sa.text("DELETE FROM ocop_audit WHERE session_id=:s AND seq=:q"), {"s": sid, "q": last})
        conn.execute(
            sa.text("UPDATE ocop_sheets SET content = content || '#' WHERE session_id=:s AND sheet_id='qd26-2026-09'"),
            {"s": sid},
        )

    problems = store.verify(sid).problems

    assert any("is not the chain's end" in p for p in problems)
    assert any(p.startswith("pinned sheet qd26-2026-09: its content no longer matches its hash") for p in problems)
    assert any("changed behind the audit log's back" in p for p in problems)


def test_export_imports_back_identically(store_url, make_session, tmp_path):
    """A session exported to one file and imported into another store exports to the same bytes."""
    a = SessionStore(store_url)
    sid = make_session(a)
    a.knock_out(sid, OPERATOR, "P10", demo.REJECTION_REASON)
    doc = a.export_session(sid)
    b = SessionStore(tmp_path / "other.sqlite")

    b.import_session(doc)

    assert dumps(b.export_session(sid)) == dumps(doc)
    assert b.verify(sid).ok
    assert b.results(sid).as_json() == a.results(sid).as_json()
    assert {m.token for m in b.state(sid).members}.isdisjoint({m.token for m in a.state(sid).members})
    with pytest.raises(StoreError, match="already exists"):
        b.import_session(doc)


def test_tampered_export_is_refused_and_imports_nothing(store, make_session, tmp_path):
    """A session file whose card was edited is refused naming the card; the target store stays empty."""
    sid = make_session(store)
    doc = store.export_session(sid)
    doc["cards"][0]["choices"]["1.1"] = 1
    target = SessionStore(tmp_path / "t.sqlite")

    with pytest.raises(ScoresInputError, match="changed behind the audit log's back"):
        target.import_session(doc)

    assert target.sessions() == []


def test_session_ids_and_settings_are_checked(store, library):
    """Bad session ids, levels and quorums are refused with what was expected."""
    with pytest.raises(SettingsError, match="session id: expected lower-case letters"):
        store.create_session("Bad Id", "x", library)
    with pytest.raises(SettingsError, match="has no level 'district'"):
        store.create_session("x", "x", library, level="district")
    with pytest.raises(SettingsError, match="quorum: expected more than 0 and at most 1"):
        store.create_session("x", "x", library, quorum="5/4")
    store.create_session("x", "x", library)
    with pytest.raises(StoreError, match="session 'x' already exists"):
        store.create_session("x", "x", library)


def test_one_chair_per_council(store, library):
    """A second chair is refused."""
    store.create_session("x", "x", library)
    store.add_members("x", [MemberSpec("TV01", "A", "chair")])

    with pytest.raises(SettingsError, match="a council has one chair: TV01 already chairs"):
        store.add_members("x", [MemberSpec("TV02", "B", "chair")])


def test_newer_schema_is_refused(store_url):
    """A store written by a newer version is refused with a clear message."""
    SessionStore(store_url).close()
    engine = sa.create_engine(store_url if "://" in store_url else f"sqlite:///{store_url}")
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE ocop_meta SET value='99' WHERE key='schema_version'"))
    engine.dispose()

    with pytest.raises(
        StoreError, match=r"written by a newer ocop-scoring \(schema version 99; this one reads up to 3\)"
    ):
        SessionStore(store_url)


def test_older_schema_is_upgraded(store_url, make_session, monkeypatch):
    """A version-1 store (before imported_at, product cases and decisions) is upgraded when opened, its data intact.

    The old store is made by dropping the newer columns, so it holds only what an old store could: no
    product on sheet 26 (whose first case-bound tick records the product's case since schema 3).
    """
    from ocop_scoring import demo

    monkeypatch.setattr(demo, "PRODUCTS", tuple(p for p in demo.PRODUCTS if p.sheet_id != "qd26-2026-26"))
    s = SessionStore(store_url)
    sid = make_session(s)
    before = s.results(sid).as_json()
    s.close()
    engine = sa.create_engine(store_url if "://" in store_url else f"sqlite:///{store_url}")
    with engine.begin() as conn:
        conn.execute(sa.text("ALTER TABLE ocop_sessions DROP COLUMN imported_at"))
        conn.execute(sa.text("ALTER TABLE ocop_products DROP COLUMN case_code"))
        conn.execute(sa.text("ALTER TABLE ocop_products DROP COLUMN knockout_kept"))
        conn.execute(sa.text("DROP TABLE ocop_decisions"))
        conn.execute(sa.text("UPDATE ocop_meta SET value='1' WHERE key='schema_version'"))
    engine.dispose()

    upgraded = SessionStore(store_url)

    assert upgraded.schema_version() == 3
    assert upgraded.results(sid).as_json() == before
    assert upgraded.verify(sid).ok


def test_sqlite_pragmas(tmp_path):
    """The embedded file runs with WAL, foreign keys and a busy timeout."""
    store = SessionStore(tmp_path / "s.sqlite")
    with store.engine.connect() as conn:
        values = [
            conn.exec_driver_sql(f"PRAGMA {p}").scalar()
            for p in ("journal_mode", "foreign_keys", "busy_timeout", "synchronous")
        ]

    assert values == ["wal", 1, 30000, 2]
