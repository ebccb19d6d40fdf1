"""Shared fixtures: the official library, small sheets and scorecard factories."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from pathlib import Path

import pytest

from ocop_scoring.criteria_io import Library, load_library, load_sheet
from ocop_scoring.model import Scorecard, Sheet

DATA = Path(__file__).parent / "data"
REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def library() -> Library:
    """The official criteria folder, loaded once."""
    return load_library(REPO / "criteria")


@pytest.fixture(scope="session")
def qd26(library: Library):
    """The rule set of Decision 26/2026."""
    return library.ruleset("qd26-2026")


@pytest.fixture(scope="session")
def tiny(library: Library) -> Sheet:
    """A 4-leaf sheet with a condition, a case a/b group, sub-criteria and 3/4/5★ markers."""
    return load_sheet(DATA / "criteria/valid/tiny.yaml", library.rulesets)


def _in_case(leaf, case: str):
    """A criterion's options open to a product of ``case`` (sheet 26 has cases a and b; elsewhere all)."""
    return [o for o in leaf.options if o.case in (None, case)]


def best_choices(sheet: Sheet, case: str = "a") -> dict[str, int]:
    """The option with the most printed points on every scored criterion (sheet 26: within ``case``)."""
    return {leaf.code: max(_in_case(leaf, case), key=lambda o: (o.points, -o.number)).number for leaf in sheet.leaves}


def worst_choices(sheet: Sheet, case: str = "a") -> dict[str, int]:
    """The printed option with the fewest points on every scored criterion (sheet 26: within ``case``)."""
    return {leaf.code: min(_in_case(leaf, case), key=lambda o: (o.points, o.number)).number for leaf in sheet.leaves}


def option_worth(sheet: Sheet, code: str, points: int) -> int:
    """The first option of ``code`` worth exactly ``points``."""
    for option in sheet.leaf(code).options:
        if option.points == points:
            return option.number
    raise AssertionError(f"{sheet.sheet_id} {code} has no option worth {points}")


@pytest.fixture
def make_cards() -> Callable[..., list[Scorecard]]:
    """Build scorecards: ``make_cards(sheet, "P1", {"TV01": choices, …})``."""

    def make(sheet: Sheet, product_id: str, by_member: Mapping[str, Mapping[str, int]]) -> list[Scorecard]:
        return [Scorecard(product_id, m, sheet.sheet_id, tuple(c.items())) for m, c in by_member.items()]

    return make


def council(*groups: Iterable[Scorecard]) -> list[Scorecard]:
    """Flatten groups of scorecards."""
    return [card for group in groups for card in group]


# --- session stores: SQLite always, PostgreSQL when OCOP_TEST_PG_URL names a server ----------------------

import os  # noqa: E402
import uuid  # noqa: E402

PG_ADMIN_URL = os.environ.get("OCOP_TEST_PG_URL", "")
REQUIRE_PG = os.environ.get("OCOP_REQUIRE_PG") == "1"


def _pg_database():
    """Create a throwaway database on the test server; return (url, drop)."""
    import sqlalchemy as sa

    if not PG_ADMIN_URL:
        if REQUIRE_PG:
            pytest.fail("OCOP_REQUIRE_PG=1 but OCOP_TEST_PG_URL is not set: ./run test starts PostgreSQL and sets it")
        pytest.skip("no PostgreSQL server (set OCOP_TEST_PG_URL; ./run test does)")
    name = f"ocop_t_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    url = sa.engine.make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False)

    def drop():
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()

    return url, drop


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store_url(request, tmp_path):
    """A fresh, empty store: a SQLite file, and (second run) a PostgreSQL database."""
    if request.param == "sqlite":
        yield str(tmp_path / "store.sqlite")
        return
    url, drop = _pg_database()
    try:
        yield url
    finally:
        drop()


def demo_session(store, library, *, session_id="hd-2026-1", with_cards=True, submit=True, **kw):
    """Create the demo council in a store (the members, the ten products, every card) -> session id."""
    from ocop_scoring import demo
    from ocop_scoring.model import MemberSpec, ProductSpec
    from ocop_scoring.store import OPERATOR

    store.create_session(
        session_id, "Hội đồng đánh giá, phân hạng sản phẩm OCOP tỉnh (thử)", library, round_label="Đợt 1/2026", **kw
    )
    store.add_members(session_id, [MemberSpec(m.member_id, m.name, m.role, m.organisation) for m in demo.MEMBERS])
    store.add_products(
        session_id,
        [
            ProductSpec(p.product_id, p.name, p.sheet_id, p.code, p.producer, p.commune, p.province, case=p.case)
            for p in demo.PRODUCTS
        ],
    )
    if with_cards:
        for (pid, mid), reason in demo.RECUSED.items():
            store.recuse(session_id, OPERATOR, pid, mid, reason)
        entries = [(c.product_id, c.member_id, dict(c.choices), None) for c in demo.demo_scorecards(library.sheets)]
        store.enter_cards(session_id, OPERATOR, entries, submit=submit)
    return session_id


@pytest.fixture
def make_session(library):
    """Create the demo council in a store: ``make_session(store, with_cards=True)`` -> session id."""

    def make(store, *, session_id="hd-2026-1", with_cards=True, submit=True, **kw):
        return demo_session(store, library, session_id=session_id, with_cards=with_cards, submit=submit, **kw)

    return make


# --- the programme view: two sessions of two years ------------------------------------------------------

DIEN_BIEN = [
    # (id, name, sheet, code, commune, province, the demo product whose cards it gets)
    ("D01", "Gạo Séng Cù Mường Thanh", "qd26-2026-03", "11-00101-01-2026", "xã Thanh Yên", "Điện Biên", "P03"),
    ("D02", "Cam Mường Phăng", "qd26-2026-01", "11-00102-02-2026", "xã Mường Phăng", "Điện Biên", "P02"),
    ("D03", "Rượu Mông Pê", "qd26-2026-14", "11-00103-03-2026", "xã Mường Phăng", "Điện Biên", "P07"),
    ("D04", "Chè Tủa Chùa", "qd26-2026-11", "", "xã Tủa Chùa", "Tỉnh Điện Biên", None),
    # the code of the demo's P01 (a Lâm Đồng product): the same product rated again (provisionally) is counted
    # once; its province left blank on the list, since a provincial council refuses another province's product
    ("D05", "Bơ sáp 034 Di Linh", "qd26-2026-01", "68-24817-01-2026", "xã Di Linh", "", "P01"),
]


def two_programme_sessions(store, library) -> tuple[str, str]:
    """hd-2025: the demo council held on 2025-06-20, P10 knocked out, finalised (certified).
    db-2026: an open council of 2026 (provisional): D01 5★, D02 3★, D03 1★, D04 not scored yet,
    D05 the demo's P01 again (same product code)."""
    from ocop_scoring import demo
    from ocop_scoring.model import MemberSpec, ProductSpec
    from ocop_scoring.store import OPERATOR

    demo_session(store, library, session_id="hd-2025", held_on="2025-06-20")
    store.knock_out("hd-2025", OPERATOR, "P10", demo.REJECTION_REASON)
    store.finalise("hd-2025")
    store.create_session("db-2026", "Hội đồng OCOP tỉnh Điện Biên 2026", library, held_on="2026-05-10")
    store.add_members("db-2026", [MemberSpec(m.member_id, m.name, m.role, m.organisation) for m in demo.MEMBERS])
    store.add_products(
        "db-2026",
        [
            ProductSpec(pid, name, sheet, code, "", commune, province)
            for pid, name, sheet, code, commune, province, _ in DIEN_BIEN
        ],
    )
    cards = demo.demo_scorecards(library.sheets)
    entries = [
        (pid, c.member_id, dict(c.choices), None)
        for pid, *_, like in DIEN_BIEN
        if like
        for c in cards
        if c.product_id == like
    ]
    store.enter_cards("db-2026", OPERATOR, entries, submit=True)
    return "hd-2025", "db-2026"


@pytest.fixture
def two_sessions(tmp_path, library):
    """A store holding ``two_programme_sessions``."""
    from ocop_scoring.store import SessionStore

    with SessionStore(tmp_path / "programme.sqlite") as store:
        two_programme_sessions(store, library)
        yield store
