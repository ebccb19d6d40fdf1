"""The session store's tables, its schema version and the upgrades between versions.

Layer: store. Imports: sqlalchemy.

Version history (each upgrade is a function below; a store file at an older
version is upgraded in one transaction when opened; a newer one is refused):

1. sessions, members, products, sheets, recusals, cards, audit.
2. ``sessions.imported_at``: when a session was restored from an export file.
3. ``products.case_code`` (sheet 26: the case a product is scored in), ``products.knockout_kept``
   (why the council kept a product whose tick-decided knock-out rule was triggered), and
   ``ocop_decisions`` (recognition decisions and the central council's results).
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import (
    Column,
    ForeignKeyConstraint,
    Index,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
)
from sqlalchemy.engine import Connection

SCHEMA_VERSION = 3

metadata = MetaData()

meta = Table(
    "ocop_meta",
    metadata,
    Column("key", String(64), primary_key=True),
    Column("value", Text, nullable=False),
)

sessions = Table(
    "ocop_sessions",
    metadata,
    Column("session_id", String(64), primary_key=True),
    Column("name", Text, nullable=False),
    Column("level", String(32), nullable=False),
    Column("round_label", Text, nullable=False, default=""),
    Column("held_on", String(10), nullable=False, default=""),
    Column("ruleset_id", String(64), nullable=False),
    Column("ruleset_sha256", String(64), nullable=False),
    Column("ruleset_content", Text, nullable=False),  # the rule-set file, verbatim: pinned with the sheets
    Column("quorum", String(16), nullable=False),  # a fraction, e.g. "3/4"
    Column("minimum_rule", String(16), nullable=False),
    Column("spread_threshold", Integer, nullable=False),
    Column("spread_strict", Integer, nullable=False),
    Column("status", String(16), nullable=False),  # open / finalised
    Column("created_at", String(32), nullable=False),
    Column("finalised_at", String(32)),
    Column("head_seq", Integer, nullable=False),  # the audit chain's last entry
    Column("head_hash", String(64), nullable=False),
    Column("imported_at", String(32)),  # schema 2
)

members = Table(
    "ocop_members",
    metadata,
    Column("session_id", String(64), nullable=False),
    Column("member_id", String(40), nullable=False),
    Column("name", Text, nullable=False),
    Column("role", String(16), nullable=False),
    Column("organisation", Text, nullable=False, default=""),
    Column("token", String(64), nullable=False, unique=True),
    Column("position", Integer, nullable=False),
    PrimaryKeyConstraint("session_id", "member_id"),
    ForeignKeyConstraint(["session_id"], ["ocop_sessions.session_id"]),
)

products = Table(
    "ocop_products",
    metadata,
    Column("session_id", String(64), nullable=False),
    Column("product_id", String(40), nullable=False),
    Column("name", Text, nullable=False),
    Column("sheet_id", String(64), nullable=False),
    Column("product_code", String(64), nullable=False, default=""),
    Column("producer", Text, nullable=False, default=""),
    Column("commune", Text, nullable=False, default=""),
    Column("province", Text, nullable=False, default=""),
    Column("dossier_notes", Text, nullable=False, default=""),
    Column("knockout", Text),  # reason; NULL = not knocked out
    Column("round", Integer, nullable=False, default=1),
    Column("position", Integer, nullable=False),
    Column("case_code", String(8)),  # schema 3; NULL = not yet known
    Column("knockout_kept", Text),  # schema 3; NULL = no triggered rule kept
    PrimaryKeyConstraint("session_id", "product_id"),
    ForeignKeyConstraint(["session_id"], ["ocop_sessions.session_id"]),
    ForeignKeyConstraint(["session_id", "sheet_id"], ["ocop_sheets.session_id", "ocop_sheets.sheet_id"]),
)

sheets = Table(
    "ocop_sheets",
    metadata,
    Column("session_id", String(64), nullable=False),
    Column("sheet_id", String(64), nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("content", Text, nullable=False),  # the sheet file, verbatim: the pinned version
    PrimaryKeyConstraint("session_id", "sheet_id"),
    ForeignKeyConstraint(["session_id"], ["ocop_sessions.session_id"]),
)

recusals = Table(
    "ocop_recusals",
    metadata,
    Column("session_id", String(64), nullable=False),
    Column("product_id", String(40), nullable=False),
    Column("member_id", String(40), nullable=False),
    Column("reason", Text, nullable=False),
    PrimaryKeyConstraint("session_id", "product_id", "member_id"),
    ForeignKeyConstraint(["session_id", "product_id"], ["ocop_products.session_id", "ocop_products.product_id"]),
    ForeignKeyConstraint(["session_id", "member_id"], ["ocop_members.session_id", "ocop_members.member_id"]),
)

cards = Table(
    "ocop_cards",
    metadata,
    Column("session_id", String(64), nullable=False),
    Column("product_id", String(40), nullable=False),
    Column("member_id", String(40), nullable=False),
    Column("round", Integer, nullable=False),
    Column("status", String(16), nullable=False),  # draft / submitted
    Column("choices", Text, nullable=False),  # JSON object criterion -> option number, printed order
    Column("comment", Text, nullable=False, default=""),
    Column("updated_at", String(32), nullable=False),
    Column("submitted_at", String(32)),
    PrimaryKeyConstraint("session_id", "product_id", "member_id", "round"),
    ForeignKeyConstraint(["session_id", "product_id"], ["ocop_products.session_id", "ocop_products.product_id"]),
    ForeignKeyConstraint(["session_id", "member_id"], ["ocop_members.session_id", "ocop_members.member_id"]),
)

audit = Table(
    "ocop_audit",
    metadata,
    Column("session_id", String(64), nullable=False),
    Column("seq", Integer, nullable=False),
    Column("at", String(32), nullable=False),
    Column("actor", String(64), nullable=False),
    Column("action", String(32), nullable=False),
    Column("target", Text, nullable=False),  # JSON
    Column("before", Text, nullable=False),  # JSON
    Column("after", Text, nullable=False),  # JSON
    Column("reason", Text, nullable=False, default=""),
    Column("prev_hash", String(64), nullable=False),
    Column("hash", String(64), nullable=False),
    PrimaryKeyConstraint("session_id", "seq"),
    ForeignKeyConstraint(["session_id"], ["ocop_sessions.session_id"]),
)

decisions = Table(
    "ocop_decisions",
    metadata,
    Column("session_id", String(64), nullable=False),
    Column("seq", Integer, nullable=False),  # 1, 2, … in the order recorded
    Column("kind", String(32), nullable=False),  # recognition / central_result
    Column("number", Text, nullable=False),  # the decision's number, e.g. 123/QĐ-UBND
    Column("signed_on", String(10), nullable=False),  # ISO date
    Column("content", Text, nullable=False),  # JSON: {"products": [...], "results": [...]}
    Column("recorded_at", String(32), nullable=False),
    PrimaryKeyConstraint("session_id", "seq"),
    ForeignKeyConstraint(["session_id"], ["ocop_sessions.session_id"]),
)

Index("ocop_cards_by_member", cards.c.session_id, cards.c.member_id)

# --- upgrades ------------------------------------------------------------------------------------------


def _upgrade_1_to_2(conn: Connection) -> None:
    conn.exec_driver_sql("ALTER TABLE ocop_sessions ADD COLUMN imported_at VARCHAR(32)")


def _upgrade_2_to_3(conn: Connection) -> None:
    conn.exec_driver_sql("ALTER TABLE ocop_products ADD COLUMN case_code VARCHAR(8)")
    conn.exec_driver_sql("ALTER TABLE ocop_products ADD COLUMN knockout_kept TEXT")
    decisions.create(conn)


UPGRADES: dict[int, Callable[[Connection], None]] = {1: _upgrade_1_to_2, 2: _upgrade_2_to_3}
