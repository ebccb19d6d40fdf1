"""The shared session store: SQLite by default, PostgreSQL for a province's server.

Layer: store. See ``ocop_scoring.store.core``.
"""

from ocop_scoring.store.core import (
    OPERATOR,
    Actor,
    SessionStore,
    VerifyReport,
    default_store_path,
    parse_quorum,
    resolve_store_url,
)

__all__ = [
    "OPERATOR",
    "Actor",
    "SessionStore",
    "VerifyReport",
    "default_store_path",
    "parse_quorum",
    "resolve_store_url",
]
