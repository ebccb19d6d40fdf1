"""SessionStore: council sessions in SQLite (the embedded default) or PostgreSQL, losing nothing.

Layer: store. Imports: errors, model, criteria_io, scoring, store.schema, store.audit.

Every public write is one transaction and one append-only, hash-chained audit
entry; access rules (who may write what, when) are checked here, not in the
UI. Reads return frozen domain objects. Results are never stored: they are
recomputed from the cards with the sheets and rule set pinned (by content)
when the session was created.

SQLite: WAL journal, foreign keys on, ``synchronous=FULL``, a 30 s busy
timeout, and ``BEGIN IMMEDIATE`` for writes so that concurrent writers queue
for the lock instead of failing; a write that still meets "database is
locked" is retried, so callers never see it. PostgreSQL: writers lock the
session row (``SELECT … FOR UPDATE``), which serialises the audit chain.
"""

from __future__ import annotations

import json
import logging
import os
import re
import secrets
import time
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from fractions import Fraction
from functools import lru_cache
from pathlib import Path
from typing import Any, TypeVar

from attrs import frozen
from sqlalchemy import and_, create_engine, delete, event, func, insert, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.pool import QueuePool

from ocop_scoring.criteria_io import Library, parse_sheet
from ocop_scoring.errors import (
    AccessDenied,
    Problem,
    ScorecardError,
    ScoresInputError,
    SessionFinalised,
    SettingsError,
    StoreError,
    verbatim,
)
from ocop_scoring.model import (
    ROLES,
    SCORING_ROLES,
    AuditEntry,
    Card,
    CouncilRules,
    Decision,
    Member,
    MemberSpec,
    Product,
    ProductSpec,
    Recusal,
    RuleSet,
    Session,
    SessionState,
    Sheet,
)
from ocop_scoring.scoring import plan_sheet, score_card
from ocop_scoring.store import schema
from ocop_scoring.store.audit import GENESIS, canonical, check_chain, entry_hash

log = logging.getLogger(__name__)
T = TypeVar("T")

SLUG = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,39}$")
SESSION_SLUG = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")
_RETRIES = 40


def default_store_path() -> Path:
    """Where the embedded default store lives: ``$OCOP_STORE``, else ``$XDG_DATA_HOME/ocop-scoring/ocop.sqlite``."""
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "ocop-scoring" / "ocop.sqlite"


def resolve_store_url(store: str | Path | None = None) -> str:
    """A SQLAlchemy URL from a URL, a file path, ``$OCOP_STORE`` or the default path."""
    value = str(store) if store is not None else os.environ.get("OCOP_STORE", "")
    if not value:
        value = str(default_store_path())
    if "://" in value:
        return value
    path = Path(value).expanduser().resolve()
    return f"sqlite:///{path}"


def now() -> str:
    """The time of a change, UTC, to the microsecond."""
    return datetime.now(UTC).isoformat(timespec="microseconds")


@frozen
class Actor:
    """Who makes a change: a member (by token), the secretary, or the local operator (the CLI)."""

    role: str  # operator / secretary / chair / member
    member_id: str | None = None
    session_id: str | None = None

    @property
    def label(self) -> str:
        """How the audit log names the actor."""
        return self.member_id or self.role

    @property
    def administers(self) -> bool:
        """The operator and the secretary administer a session; members only write their own cards."""
        return self.role in ("operator", "secretary")


OPERATOR = Actor("operator")


@frozen
class VerifyReport:
    """The outcome of ``verify``: every problem found, and the chain's head."""

    session_id: str
    entries: int
    head_hash: str
    problems: tuple[str, ...]

    @property
    def ok(self) -> bool:
        """No problem found."""
        return not self.problems


@dataclass
class _Tx:
    """One write transaction on one session: the connection, the locked session row, the audit chain."""

    conn: Connection
    session_id: str
    row: Mapping[str, Any]
    seq: int
    head: str

    def audit(
        self, actor: Actor, action: str, target: Mapping[str, Any], before: Any, after: Any, reason: str = ""
    ) -> None:
        self.seq += 1
        at = now()
        digest = entry_hash(
            self.session_id, self.seq, at, actor.label, action, target, before, after, reason, self.head
        )
        self.conn.execute(
            insert(schema.audit).values(
                session_id=self.session_id,
                seq=self.seq,
                at=at,
                actor=actor.label,
                action=action,
                target=canonical(dict(target)),
                before=canonical(before),
                after=canonical(after),
                reason=reason,
                prev_hash=self.head,
                hash=digest,
            )
        )
        self.head = digest
        self.conn.execute(
            update(schema.sessions)
            .where(schema.sessions.c.session_id == self.session_id)
            .values(head_seq=self.seq, head_hash=digest)
        )


@lru_cache(maxsize=256)
def _parse_pinned(sha: str, content: str, ruleset_sha: str, ruleset_content: str, name: str) -> Sheet:
    """A pinned sheet, parsed once per process (pinned content never changes for its hash)."""
    _ = (sha, ruleset_sha)
    ruleset = _parse_ruleset(ruleset_sha, ruleset_content)
    return parse_sheet(content.encode("utf-8"), name, {ruleset.ruleset_id: ruleset})


@lru_cache(maxsize=64)
def _parse_ruleset(sha: str, content: str) -> RuleSet:
    import tempfile

    from ocop_scoring.criteria_io import load_ruleset

    _ = sha
    # load_ruleset reads a file named after the rule set; write the pinned text to one.
    rid = _ruleset_id_of(content)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"{rid}.yaml"
        path.write_text(content, encoding="utf-8")
        return load_ruleset(path)


def _ruleset_id_of(content: str) -> str:
    match = re.search(r"^id:\s*([A-Za-z0-9._-]+)\s*$", content, re.MULTILINE)
    if not match:
        msg = "pinned rule set has no id"
        raise StoreError(msg)
    return match.group(1)


class SessionStore:
    """The shared store of council sessions.

    Args:
        store: A SQLAlchemy URL (``postgresql+psycopg://…``), a SQLite file path, or
            None for ``$OCOP_STORE`` / the default embedded file.
        create: Create the file and schema when missing (default). With False a
            missing store is an error.
    """

    def __init__(self, store: str | Path | None = None, *, create: bool = True) -> None:
        self.url = resolve_store_url(store)
        self.is_sqlite = self.url.startswith("sqlite")
        if self.is_sqlite:
            path = Path(self.url.split("sqlite:///", 1)[1]) if "sqlite:///" in self.url else None
            if path is not None:
                if not path.exists() and not create:
                    msg = f"no session store at {path}"
                    raise StoreError(msg)
                path.parent.mkdir(parents=True, exist_ok=True)
            # Connections are kept (their PRAGMAs run once): about 1 ms less per save than reconnecting.
            self.engine = create_engine(
                self.url,
                poolclass=QueuePool,
                pool_size=2,
                max_overflow=8,
                connect_args={"timeout": 30, "check_same_thread": False},
            )
            event.listen(self.engine, "connect", _sqlite_on_connect)
            event.listen(self.engine, "begin", _sqlite_on_begin)
        else:
            self.engine = create_engine(self.url, pool_pre_ping=True, pool_size=2, max_overflow=4)
        self._sheet_cache: dict[tuple[str, str], Sheet] = {}
        self._ensure_schema()

    def __repr__(self) -> str:
        return f"SessionStore({self.engine.url.render_as_string(hide_password=True)!r})"

    def close(self) -> None:
        """Release the database connections."""
        self.engine.dispose()

    def __enter__(self) -> SessionStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- schema ------------------------------------------------------------------------------------

    def _ensure_schema(self) -> None:
        def work(conn: Connection) -> None:
            existing = set(self.engine.dialect.get_table_names(conn))
            if schema.meta.name not in existing:
                if existing & {t.name for t in schema.metadata.sorted_tables}:
                    msg = f"{self.url}: has OCOP tables but no schema version; refusing to guess"
                    raise StoreError(msg)
                schema.metadata.create_all(conn)
                conn.execute(insert(schema.meta).values(key="schema_version", value=str(schema.SCHEMA_VERSION)))
                return
            row = conn.execute(
                select(schema.meta.c.value).where(schema.meta.c.key == "schema_version")
            ).scalar_one_or_none()
            version = int(row) if row is not None else 0
            if version > schema.SCHEMA_VERSION:
                msg = (
                    f"this session store was written by a newer ocop-scoring (schema version {version}; this one "
                    f"reads up to {schema.SCHEMA_VERSION}): upgrade ocop-scoring to open it"
                )
                raise StoreError(msg)
            while version < schema.SCHEMA_VERSION:
                upgrade = schema.UPGRADES.get(version)
                if upgrade is None:
                    msg = f"cannot upgrade a session store from schema version {version}"
                    raise StoreError(msg)
                log.info("upgrading session store schema %s -> %s", version, version + 1)
                upgrade(conn)
                version += 1
                conn.execute(
                    update(schema.meta).where(schema.meta.c.key == "schema_version").values(value=str(version))
                )

        self._run(work, write=True)

    def schema_version(self) -> int:
        """The schema version of the open store."""
        return int(
            self._run(
                lambda c: c.execute(
                    select(schema.meta.c.value).where(schema.meta.c.key == "schema_version")
                ).scalar_one(),
                write=False,
            )
        )

    # --- transactions ------------------------------------------------------------------------------

    def _run(self, work: Callable[[Connection], T], *, write: bool) -> T:
        """Run ``work`` in one transaction, retrying when SQLite reports the database locked."""
        delay = 0.01
        for attempt in range(_RETRIES):
            try:
                with self.engine.connect() as conn:
                    conn = conn.execution_options(ocop_write=write)
                    with conn.begin():
                        return work(conn)
            except OperationalError as exc:
                if not _is_busy(exc) or attempt == _RETRIES - 1:
                    raise
                log.debug("store busy, retrying (%s)", exc)
                time.sleep(delay)
                delay = min(delay * 2, 0.5)
        raise AssertionError("unreachable")

    def _write(self, session_id: str, work: Callable[[_Tx], T], *, allow_finalised: bool = False) -> T:
        """One write on one session: lock it, check it is open, run ``work``, which audits its change."""

        def run(conn: Connection) -> T:
            query = select(schema.sessions).where(schema.sessions.c.session_id == session_id)
            if not self.is_sqlite:
                query = query.with_for_update()
            row = conn.execute(query).mappings().first()
            if row is None:
                msg = f"no session {session_id!r} in {self.url_display}"
                raise StoreError(msg)
            if row["status"] != "open" and not allow_finalised:
                msg = f"session {session_id} is finalised (read-only since {row['finalised_at']}); nothing was changed"
                raise SessionFinalised.coded("err_session_finalised", msg, session=session_id, when=row["finalised_at"])
            tx = _Tx(conn, session_id, row, int(row["head_seq"]), row["head_hash"])
            return work(tx)

        return self._run(run, write=True)

    @property
    def url_display(self) -> str:
        """The store's URL without a password."""
        return self.engine.url.render_as_string(hide_password=True)

    # --- sessions ----------------------------------------------------------------------------------

    def create_session(
        self,
        session_id: str,
        name: str,
        library: Library,
        *,
        ruleset_id: str = "qd26-2026",
        level: str | None = None,
        round_label: str = "",
        held_on: str = "",
        quorum: str | Fraction = "3/4",
        rules: CouncilRules | None = None,
        actor: Actor = OPERATOR,
    ) -> Session:
        """Create a session, pinning the rule set and every sheet of it by content.

        Raises:
            SettingsError: For a bad id, level, quorum or rule.
            StoreError: If the session exists already.
        """
        _require_admin(actor)
        if not SESSION_SLUG.match(session_id or ""):
            msg = f"session id: expected lower-case letters, digits, '.', '_' or '-' (at most 64), got {session_id!r}"
            raise SettingsError(msg)
        ruleset = library.ruleset(ruleset_id)
        level = level or ruleset.first_level_on(held_on or None).code
        ruleset.level(level, held_on or None)
        q = parse_quorum(quorum)
        rules = rules or CouncilRules()
        if rules.level not in (None, level):
            msg = f"rules.level {rules.level!r} differs from the session's level {level!r}"
            raise SettingsError(msg)
        sheets = library.sheets_of(ruleset_id)
        if not sheets:
            msg = f"rule set {ruleset_id} has no criteria sheets in {library.root}: nothing to score with"
            raise SettingsError(msg)
        ruleset_path = library.root / "rulesets" / f"{ruleset_id}.yaml"
        # bytes decoded as is (no newline translation): the pinned text hashes to the file's sha256
        ruleset_content = ruleset_path.read_bytes().decode("utf-8")
        pinned = {s.sheet_id: (s.sha256, library.paths[s.sheet_id].read_bytes().decode("utf-8")) for s in sheets}

        def run(conn: Connection) -> Session:
            exists = conn.execute(
                select(schema.sessions.c.session_id).where(schema.sessions.c.session_id == session_id)
            ).first()
            if exists:
                msg = f"session {session_id!r} already exists in {self.url_display}"
                raise StoreError(msg)
            created = now()
            conn.execute(
                insert(schema.sessions).values(
                    session_id=session_id,
                    name=name,
                    level=level,
                    round_label=round_label,
                    held_on=held_on,
                    ruleset_id=ruleset_id,
                    ruleset_sha256=ruleset.sha256,
                    ruleset_content=ruleset_content,
                    quorum=f"{q.numerator}/{q.denominator}",
                    minimum_rule=rules.minimum_rule,
                    spread_threshold=rules.spread_threshold,
                    spread_strict=int(rules.spread_strict),
                    status="open",
                    created_at=created,
                    head_seq=0,
                    head_hash=GENESIS,
                )
            )
            for sheet_id, (sha, content) in pinned.items():
                conn.execute(
                    insert(schema.sheets).values(session_id=session_id, sheet_id=sheet_id, sha256=sha, content=content)
                )
            row = (
                conn.execute(select(schema.sessions).where(schema.sessions.c.session_id == session_id)).mappings().one()
            )
            tx = _Tx(conn, session_id, row, 0, GENESIS)
            tx.audit(
                actor,
                "create_session",
                {},
                None,
                {
                    "name": name,
                    "level": level,
                    "round_label": round_label,
                    "held_on": held_on,
                    "ruleset_id": ruleset_id,
                    "ruleset_sha256": ruleset.sha256,
                    "quorum": f"{q.numerator}/{q.denominator}",
                    "minimum_rule": rules.minimum_rule,
                    "spread_threshold": rules.spread_threshold,
                    "spread_strict": rules.spread_strict,
                    "sheets": {sid: sha for sid, (sha, _) in pinned.items()},
                },
            )
            return _session_from_row(
                conn.execute(select(schema.sessions).where(schema.sessions.c.session_id == session_id)).mappings().one()
            )

        return self._run(run, write=True)

    def sessions(self) -> list[Session]:
        """Every session of the store, by id."""
        return self._run(
            lambda c: [
                _session_from_row(r)
                for r in c.execute(select(schema.sessions).order_by(schema.sessions.c.session_id)).mappings()
            ],
            write=False,
        )

    def session(self, session_id: str) -> Session:
        """One session.

        Raises:
            StoreError: If there is no such session.
        """

        def run(conn: Connection) -> Session:
            row = (
                conn.execute(select(schema.sessions).where(schema.sessions.c.session_id == session_id))
                .mappings()
                .first()
            )
            if row is None:
                known = [r[0] for r in conn.execute(select(schema.sessions.c.session_id))]
                msg = f"no session {session_id!r} in {self.url_display}" + (
                    f" (sessions: {', '.join(known)})" if known else " (it has no sessions yet)"
                )
                raise StoreError(msg)
            return _session_from_row(row)

        return self._run(run, write=False)

    def data_version(self, session_id: str) -> int:
        """A number that changes with every write to the session (the audit chain's length): cheap to poll."""
        value = self._run(
            lambda c: c.execute(
                select(schema.sessions.c.head_seq).where(schema.sessions.c.session_id == session_id)
            ).scalar_one_or_none(),
            write=False,
        )
        if value is None:
            msg = f"no session {session_id!r} in {self.url_display}"
            raise StoreError(msg)
        return int(value)

    # --- members, products ---------------------------------------------------------------------------

    def add_members(self, session_id: str, specs: Sequence[MemberSpec], *, actor: Actor = OPERATOR) -> list[Member]:
        """Add members (each gets a personal access token); all or nothing.

        Raises:
            SettingsError: For a bad id or role, a duplicate id, or a second chair.
        """
        _require_admin(actor)

        def run(tx: _Tx) -> list[Member]:
            existing = {
                r.member_id: r.role
                for r in tx.conn.execute(
                    select(schema.members.c.member_id, schema.members.c.role).where(
                        schema.members.c.session_id == session_id
                    )
                )
            }
            position = len(existing)
            chairs = [m for m, role in existing.items() if role == "chair"]
            out: list[Member] = []
            for spec in specs:
                if not SLUG.match(spec.member_id or ""):
                    msg = f"member id: expected letters, digits, '.', '_' or '-' (at most 40), got {spec.member_id!r}"
                    raise SettingsError(msg)
                if spec.member_id in existing:
                    msg = f"member {spec.member_id} is already in session {session_id}"
                    raise SettingsError(msg)
                if spec.role not in ROLES:
                    msg = f"member {spec.member_id}: role expected one of {', '.join(ROLES)}, got {spec.role!r}"
                    raise SettingsError(msg)
                if not spec.name.strip():
                    msg = f"member {spec.member_id}: expected a name"
                    raise SettingsError(msg)
                if spec.role == "chair":
                    chairs.append(spec.member_id)
                    if len(chairs) > 1:
                        msg = f"a council has one chair: {chairs[0]} already chairs session {session_id}, got {spec.member_id}"
                        raise SettingsError(msg)
                token = secrets.token_urlsafe(18)
                tx.conn.execute(
                    insert(schema.members).values(
                        session_id=session_id,
                        member_id=spec.member_id,
                        name=spec.name.strip(),
                        role=spec.role,
                        organisation=spec.organisation.strip(),
                        token=token,
                        position=position,
                    )
                )
                position += 1
                existing[spec.member_id] = spec.role
                tx.audit(
                    actor,
                    "add_member",
                    {"member": spec.member_id},
                    None,
                    {"name": spec.name.strip(), "role": spec.role, "organisation": spec.organisation.strip()},
                )
                out.append(Member(spec.member_id, spec.name.strip(), spec.role, spec.organisation.strip(), token))
            return out

        return self._write(session_id, run)

    def add_products(self, session_id: str, specs: Sequence[ProductSpec], *, actor: Actor = OPERATOR) -> list[Product]:
        """Add products; all or nothing.

        Raises:
            SettingsError: For a bad or duplicate id, or a sheet not pinned in the session.
        """
        _require_admin(actor)

        def run(tx: _Tx) -> list[Product]:
            existing = {
                r[0]
                for r in tx.conn.execute(
                    select(schema.products.c.product_id).where(schema.products.c.session_id == session_id)
                )
            }
            pinned = {
                r[0]
                for r in tx.conn.execute(
                    select(schema.sheets.c.sheet_id).where(schema.sheets.c.session_id == session_id)
                )
            }
            position = len(existing)
            council_province = _council_province(tx, session_id, specs)
            out: list[Product] = []
            for spec in specs:
                if not SLUG.match(spec.product_id or ""):
                    msg = f"product id: expected letters, digits, '.', '_' or '-' (at most 40), got {spec.product_id!r}"
                    raise SettingsError(msg)
                if spec.product_id in existing:
                    msg = f"product {spec.product_id} is already in session {session_id}"
                    raise SettingsError(msg)
                if spec.sheet_id not in pinned:
                    msg = f"product {spec.product_id}: sheet {spec.sheet_id!r} is not one of the session's sheets ({min(pinned)} … {max(pinned)})"
                    raise SettingsError(msg)
                province = _fold(spec.province)
                if council_province and province and province != council_province[0]:
                    msg = (
                        f"product {spec.product_id}: province {spec.province.strip()!r} is not the council's province "
                        f"{council_province[1]!r} (a provincial council scores its own province's products, "
                        "Decision 26/2026, Điều 7); nothing was added"
                    )
                    raise SettingsError(msg)
                case = spec.case.strip()
                if case:
                    codes = plan_sheet(self.sheet(session_id, spec.sheet_id)).case_codes
                    if case not in codes:
                        msg = (
                            f"product {spec.product_id}: case {case!r} is not a case of sheet {spec.sheet_id} "
                            f"({', '.join(codes) if codes else 'it has no cases'})"
                        )
                        raise SettingsError(msg)
                values = {
                    "name": spec.name.strip(),
                    "sheet_id": spec.sheet_id,
                    "product_code": spec.product_code.strip(),
                    "producer": spec.producer.strip(),
                    "commune": spec.commune.strip(),
                    "province": spec.province.strip(),
                    "dossier_notes": spec.dossier_notes.strip(),
                }
                tx.conn.execute(
                    insert(schema.products).values(
                        session_id=session_id,
                        product_id=spec.product_id,
                        round=1,
                        position=position,
                        knockout=None,
                        case_code=case or None,
                        **values,
                    )
                )
                position += 1
                existing.add(spec.product_id)
                logged = {**values, "case": case} if case else values
                tx.audit(actor, "add_product", {"product": spec.product_id}, None, logged)
                out.append(Product(spec.product_id, **values, case=case or None))
            return out

        return self._write(session_id, run)

    # --- tokens --------------------------------------------------------------------------------------

    def actor_for_token(self, token: str, session_id: str | None = None) -> Actor:
        """The member a personal access token belongs to.

        Raises:
            AccessDenied: For an unknown token (or one of another session).
        """
        if not token:
            msg = "no access token given: open the personal link the secretary sent you"
            raise AccessDenied.coded("err_no_token", msg)
        row = self._run(
            lambda c: c.execute(
                select(schema.members.c.session_id, schema.members.c.member_id, schema.members.c.role).where(
                    schema.members.c.token == token
                )
            ).first(),
            write=False,
        )
        if row is None or (session_id is not None and row.session_id != session_id):
            msg = "this link is not valid (unknown access token): ask the secretary for your personal link"
            raise AccessDenied.coded("err_unknown_token", msg)
        role = "secretary" if row.role == "secretary" else row.role
        return Actor(role, row.member_id, row.session_id)

    # --- reads ---------------------------------------------------------------------------------------

    def state(self, session_id: str) -> SessionState:
        """Everything of a session, read in one transaction (a consistent snapshot)."""

        def run(conn: Connection) -> SessionState:
            row = (
                conn.execute(select(schema.sessions).where(schema.sessions.c.session_id == session_id))
                .mappings()
                .first()
            )
            if row is None:
                msg = f"no session {session_id!r} in {self.url_display}"
                raise StoreError(msg)
            members = tuple(
                Member(r.member_id, r.name, r.role, r.organisation, r.token)
                for r in conn.execute(
                    select(schema.members)
                    .where(schema.members.c.session_id == session_id)
                    .order_by(schema.members.c.position)
                )
            )
            products = tuple(
                Product(
                    r.product_id,
                    r.name,
                    r.sheet_id,
                    r.product_code,
                    r.producer,
                    r.commune,
                    r.province,
                    r.dossier_notes,
                    r.knockout,
                    r.round,
                    r.case_code,
                    r.knockout_kept,
                )
                for r in conn.execute(
                    select(schema.products)
                    .where(schema.products.c.session_id == session_id)
                    .order_by(schema.products.c.position)
                )
            )
            cards = tuple(
                Card(
                    r.product_id,
                    r.member_id,
                    r.round,
                    r.status,
                    tuple(json.loads(r.choices).items()),
                    r.comment,
                    r.updated_at,
                    r.submitted_at,
                )
                for r in conn.execute(
                    select(
                        schema.cards.c.product_id,
                        schema.cards.c.member_id,
                        schema.cards.c.round,
                        schema.cards.c.status,
                        schema.cards.c.choices,
                        schema.cards.c.comment,
                        schema.cards.c.updated_at,
                        schema.cards.c.submitted_at,
                    ).where(schema.cards.c.session_id == session_id)
                )
            )
            recusals = tuple(
                Recusal(r.product_id, r.member_id, r.reason)
                for r in conn.execute(select(schema.recusals).where(schema.recusals.c.session_id == session_id))
            )
            hashes = tuple(
                (r.sheet_id, r.sha256)
                for r in conn.execute(
                    select(schema.sheets.c.sheet_id, schema.sheets.c.sha256)
                    .where(schema.sheets.c.session_id == session_id)
                    .order_by(schema.sheets.c.sheet_id)
                )
            )
            decisions = tuple(
                _decision_from_row(r)
                for r in conn.execute(
                    select(schema.decisions)
                    .where(schema.decisions.c.session_id == session_id)
                    .order_by(schema.decisions.c.seq)
                )
            )
            return SessionState(_session_from_row(row), members, products, cards, recusals, hashes, decisions)

        return self._run(run, write=False)

    def sheets(self, session_id: str) -> dict[str, Sheet]:
        """The session's pinned sheets, parsed (once per process)."""
        rows = self._run(
            lambda c: list(
                c.execute(
                    select(schema.sheets.c.sheet_id, schema.sheets.c.sha256, schema.sheets.c.content).where(
                        schema.sheets.c.session_id == session_id
                    )
                )
            ),
            write=False,
        )
        ruleset_sha, ruleset_content = self._pinned_ruleset(session_id)
        return {
            r.sheet_id: _parse_pinned(
                r.sha256, r.content, ruleset_sha, ruleset_content, f"{session_id}:{r.sheet_id}.yaml"
            )
            for r in rows
        }

    def sheet(self, session_id: str, sheet_id: str) -> Sheet:
        """One pinned sheet (cached per store)."""
        key = (session_id, sheet_id)
        cached = self._sheet_cache.get(key)
        if cached is not None:
            return cached
        row = self._run(
            lambda c: c.execute(
                select(schema.sheets.c.sha256, schema.sheets.c.content).where(
                    and_(schema.sheets.c.session_id == session_id, schema.sheets.c.sheet_id == sheet_id)
                )
            ).first(),
            write=False,
        )
        if row is None:
            msg = f"session {session_id} has no sheet {sheet_id!r}"
            raise StoreError(msg)
        ruleset_sha, ruleset_content = self._pinned_ruleset(session_id)
        sheet = _parse_pinned(row.sha256, row.content, ruleset_sha, ruleset_content, f"{session_id}:{sheet_id}.yaml")
        self._sheet_cache[key] = sheet
        return sheet

    def ruleset(self, session_id: str) -> RuleSet:
        """The session's pinned rule set."""
        sha, content = self._pinned_ruleset(session_id)
        return _parse_ruleset(sha, content)

    @lru_cache(maxsize=64)  # noqa: B019 - pinned content never changes; the store lives as long as its caches
    def _pinned_ruleset(self, session_id: str) -> tuple[str, str]:
        row = self._run(
            lambda c: c.execute(
                select(schema.sessions.c.ruleset_sha256, schema.sessions.c.ruleset_content).where(
                    schema.sessions.c.session_id == session_id
                )
            ).first(),
            write=False,
        )
        if row is None:
            msg = f"no session {session_id!r} in {self.url_display}"
            raise StoreError(msg)
        return row.ruleset_sha256, row.ruleset_content

    def results(self, session_id: str, state: SessionState | None = None) -> Any:
        """The council's results, recomputed from the submitted cards (never stored)."""
        from ocop_scoring.scoring import score_session

        state = state or self.state(session_id)
        return score_session(state, self.sheets(session_id), self.ruleset(session_id))

    def audit_log(self, session_id: str) -> list[AuditEntry]:
        """Every audit entry of a session, in order."""
        return [
            AuditEntry(
                r["seq"],
                r["at"],
                r["actor"],
                r["action"],
                tuple(r["target"].items()),
                r["before"],
                r["after"],
                r["reason"],
                r["prev_hash"],
                r["hash"],
            )
            for r in self._audit_rows(session_id)
        ]

    def _audit_rows(self, session_id: str, conn: Connection | None = None) -> list[dict[str, Any]]:
        def run(c: Connection) -> list[dict[str, Any]]:
            rows = c.execute(
                select(schema.audit).where(schema.audit.c.session_id == session_id).order_by(schema.audit.c.seq)
            ).mappings()
            return [
                {
                    **dict(r),
                    "target": json.loads(r["target"]),
                    "before": json.loads(r["before"]),
                    "after": json.loads(r["after"]),
                }
                for r in rows
            ]

        return run(conn) if conn is not None else self._run(run, write=False)

    # --- scorecards ----------------------------------------------------------------------------------

    def tick(
        self,
        session_id: str,
        actor: Actor,
        product_id: str,
        member_id: str,
        criterion: str,
        option: int | None,
    ) -> Card:
        """Save one tick (``None`` clears it) on a member's card for the product's current round.

        Raises:
            AccessDenied: Another member's card, a submitted card, a recused member.
            SessionFinalised: The session is read-only.
            ScorecardError: Unknown criterion or option out of range.
        """

        def run(tx: _Tx) -> Card:
            product, sheet = self._card_context(tx, actor, product_id, member_id)
            leaf = sheet.leaf(criterion)
            if option is not None:
                leaf.option(option)
            card = self._load_card(tx.conn, session_id, product_id, member_id, product["round"])
            choices = dict(card.choices) if card else {}
            if card is not None and card.is_submitted:
                raise _submitted(card)
            old = choices.get(criterion)
            if option is None:
                choices.pop(criterion, None)
            else:
                choices[criterion] = option
            ordered = {leaf.code: choices[leaf.code] for leaf in sheet.leaves if leaf.code in choices}
            self._settle_case(tx, actor, product, sheet, member_id, ordered)
            stamp = now()
            self._save_card(tx.conn, session_id, product_id, member_id, product["round"], ordered, card, stamp)
            target = {"product": product_id, "member": member_id, "round": product["round"]}
            tx.audit(actor, "tick", target, {criterion: old}, {criterion: option})
            return Card(
                product_id,
                member_id,
                product["round"],
                "draft",
                tuple(ordered.items()),
                card.comment if card else "",
                stamp,
            )

        return self._write(session_id, run)

    def enter_card(
        self,
        session_id: str,
        actor: Actor,
        product_id: str,
        member_id: str,
        choices: Mapping[str, int],
        *,
        comment: str | None = None,
        submit: bool = False,
    ) -> Card:
        """Save a whole card at once (a paper sheet typed in, an imported file); optionally submit it.

        Raises:
            AccessDenied, SessionFinalised, ScorecardError: as ``tick``; ScorecardError also for
            submitting an incomplete card (naming the missing criteria).
        """

        def run(tx: _Tx) -> Card:
            return self._enter_card(tx, actor, product_id, member_id, choices, comment, submit)

        return self._write(session_id, run)

    def enter_cards(
        self,
        session_id: str,
        actor: Actor,
        entries: Sequence[tuple[str, str, Mapping[str, int], str | None]],
        *,
        submit: bool = True,
    ) -> int:
        """Save many whole cards in one transaction (an import): all or nothing. Returns the count."""

        def run(tx: _Tx) -> int:
            for product_id, member_id, choices, comment in entries:
                self._enter_card(tx, actor, product_id, member_id, choices, comment, submit)
            return len(entries)

        return self._write(session_id, run)

    def _enter_card(
        self,
        tx: _Tx,
        actor: Actor,
        product_id: str,
        member_id: str,
        choices: Mapping[str, int],
        comment: str | None,
        submit: bool,
    ) -> Card:
        session_id = tx.session_id
        product, sheet = self._card_context(tx, actor, product_id, member_id)
        problems = []
        for code, number in choices.items():
            try:
                sheet.leaf(code).option(number)
            except ScorecardError as exc:
                problems.append(str(exc))
        if problems:
            raise ScorecardError(f"product {product_id}, member {member_id}: " + "; ".join(problems))
        card = self._load_card(tx.conn, session_id, product_id, member_id, product["round"])
        if card is not None and card.is_submitted:
            raise _submitted(card)
        ordered = {leaf.code: int(choices[leaf.code]) for leaf in sheet.leaves if choices.get(leaf.code) is not None}
        self._settle_case(tx, actor, product, sheet, member_id, ordered)
        if submit:
            missing = score_card(sheet, ordered).missing
            if missing:
                msg = f"product {product_id}, member {member_id}: cannot submit an incomplete card; missing {', '.join(missing)}"
                raise ScorecardError.coded(
                    "err_card_incomplete", msg, product=product_id, member=member_id, missing=", ".join(missing)
                )
        new_comment = (card.comment if card else "") if comment is None else comment.strip()
        status = "submitted" if submit else "draft"
        stamp = now()
        self._save_card(
            tx.conn,
            session_id,
            product_id,
            member_id,
            product["round"],
            ordered,
            card,
            stamp,
            status=status,
            comment=new_comment,
        )
        target = {"product": product_id, "member": member_id, "round": product["round"]}
        before = {"choices": dict(card.choices), "comment": card.comment, "status": card.status} if card else None
        tx.audit(actor, "enter_card", target, before, {"choices": ordered, "comment": new_comment, "status": status})
        return Card(
            product_id,
            member_id,
            product["round"],
            status,
            tuple(ordered.items()),
            new_comment,
            stamp,
            stamp if submit else None,
        )

    def set_comment(self, session_id: str, actor: Actor, product_id: str, member_id: str, comment: str) -> Card:
        """Save the member's comment ("Ý kiến của người đánh giá") on a draft card."""

        def run(tx: _Tx) -> Card:
            product, _ = self._card_context(tx, actor, product_id, member_id)
            card = self._load_card(tx.conn, session_id, product_id, member_id, product["round"])
            if card is not None and card.is_submitted:
                raise _submitted(card)
            text = comment.strip()
            if len(text) > 4000:
                msg = f"comment: expected at most 4000 characters, got {len(text)}"
                raise ScorecardError.coded("err_comment_too_long", msg, n=len(text))
            stamp = now()
            choices = dict(card.choices) if card else {}
            self._save_card(
                tx.conn, session_id, product_id, member_id, product["round"], choices, card, stamp, comment=text
            )
            target = {"product": product_id, "member": member_id, "round": product["round"]}
            tx.audit(actor, "comment", target, {"comment": card.comment if card else ""}, {"comment": text})
            return Card(product_id, member_id, product["round"], "draft", tuple(choices.items()), text, stamp)

        return self._write(session_id, run)

    def submit(self, session_id: str, actor: Actor, product_id: str, member_id: str) -> Card:
        """Submit (lock) a complete card.

        Raises:
            ScorecardError: If the card is missing criteria (named).
        """

        def run(tx: _Tx) -> Card:
            product, sheet = self._card_context(tx, actor, product_id, member_id)
            card = self._load_card(tx.conn, session_id, product_id, member_id, product["round"])
            if card is not None and card.is_submitted:
                raise _submitted(card)
            missing = score_card(sheet, dict(card.choices) if card else {}).missing
            if card is None or missing:
                msg = f"product {product_id}, member {member_id}: cannot submit an incomplete card; missing {', '.join(missing)}"
                raise ScorecardError.coded(
                    "err_card_incomplete", msg, product=product_id, member=member_id, missing=", ".join(missing)
                )
            stamp = now()
            tx.conn.execute(
                update(schema.cards)
                .where(_card_key(session_id, product_id, member_id, card.round))
                .values(status="submitted", submitted_at=stamp, updated_at=stamp)
            )
            tx.audit(
                actor,
                "submit",
                {"product": product_id, "member": member_id, "round": card.round},
                {"status": "draft"},
                {"status": "submitted"},
            )
            return Card(product_id, member_id, card.round, "submitted", card.choices, card.comment, stamp, stamp)

        return self._write(session_id, run)

    def reopen(self, session_id: str, actor: Actor, product_id: str, member_id: str, reason: str) -> Card:
        """Reopen a submitted card (secretary only, with a reason)."""
        _require_admin(actor)
        _require_reason(reason)

        def run(tx: _Tx) -> Card:
            product = self._product(tx.conn, session_id, product_id)
            card = self._load_card(tx.conn, session_id, product_id, member_id, product["round"])
            if card is None or not card.is_submitted:
                msg = f"product {product_id}, member {member_id}: the card is not submitted; nothing to reopen"
                raise StoreError.coded("err_not_submitted", msg, product=product_id, member=member_id)
            stamp = now()
            tx.conn.execute(
                update(schema.cards)
                .where(_card_key(session_id, product_id, member_id, card.round))
                .values(status="draft", submitted_at=None, updated_at=stamp)
            )
            tx.audit(
                actor,
                "reopen",
                {"product": product_id, "member": member_id, "round": card.round},
                {"status": "submitted"},
                {"status": "draft"},
                reason.strip(),
            )
            return Card(product_id, member_id, card.round, "draft", card.choices, card.comment, stamp)

        return self._write(session_id, run)

    # --- recusals, knock-outs, rounds --------------------------------------------------------------

    def recuse(self, session_id: str, actor: Actor, product_id: str, member_id: str, reason: str) -> None:
        """Record that a member does not score a product (the member, or the secretary)."""
        _require_reason(reason)

        def run(tx: _Tx) -> None:
            product, _ = self._card_context(tx, actor, product_id, member_id, allow_recused=True)
            if tx.conn.execute(
                select(schema.recusals.c.reason).where(
                    and_(
                        schema.recusals.c.session_id == session_id,
                        schema.recusals.c.product_id == product_id,
                        schema.recusals.c.member_id == member_id,
                    )
                )
            ).first():
                msg = f"member {member_id} is already recused from product {product_id}"
                raise StoreError.coded("err_already_recused", msg, product=product_id, member=member_id)
            card = self._load_card(tx.conn, session_id, product_id, member_id, product["round"])
            if card is not None and card.is_submitted:
                msg = f"member {member_id} has submitted a card for product {product_id}: the secretary must reopen it before a recusal"
                raise AccessDenied.coded("err_recuse_submitted", msg, product=product_id, member=member_id)
            tx.conn.execute(
                insert(schema.recusals).values(
                    session_id=session_id, product_id=product_id, member_id=member_id, reason=reason.strip()
                )
            )
            tx.audit(actor, "recuse", {"product": product_id, "member": member_id}, None, {"reason": reason.strip()})

        self._write(session_id, run)

    def unrecuse(self, session_id: str, actor: Actor, product_id: str, member_id: str, reason: str) -> None:
        """Withdraw a recusal (secretary only, with a reason)."""
        _require_admin(actor)
        _require_reason(reason)

        def run(tx: _Tx) -> None:
            key = and_(
                schema.recusals.c.session_id == session_id,
                schema.recusals.c.product_id == product_id,
                schema.recusals.c.member_id == member_id,
            )
            old = tx.conn.execute(select(schema.recusals.c.reason).where(key)).scalar_one_or_none()
            if old is None:
                msg = f"member {member_id} is not recused from product {product_id}"
                raise StoreError.coded("err_not_recused", msg, product=product_id, member=member_id)
            tx.conn.execute(delete(schema.recusals).where(key))
            tx.audit(
                actor, "unrecuse", {"product": product_id, "member": member_id}, {"reason": old}, {}, reason.strip()
            )

        self._write(session_id, run)

    def knock_out(self, session_id: str, actor: Actor, product_id: str, reason: str) -> None:
        """Mark a product rejected (dossier rejected, or a criterion's knock-out note): no star."""
        _require_admin(actor)
        _require_reason(reason)

        def run(tx: _Tx) -> None:
            product = self._product(tx.conn, session_id, product_id)
            tx.conn.execute(
                update(schema.products)
                .where(_product_key(session_id, product_id))
                .values(knockout=reason.strip(), knockout_kept=None)
            )
            tx.audit(
                actor,
                "knockout",
                {"product": product_id},
                {"knockout": product["knockout"]},
                {"knockout": reason.strip()},
                reason.strip(),
            )

        self._write(session_id, run)

    def clear_knockout(self, session_id: str, actor: Actor, product_id: str, reason: str) -> None:
        """Withdraw a knock-out (secretary only, with a reason)."""
        _require_admin(actor)
        _require_reason(reason)

        def run(tx: _Tx) -> None:
            product = self._product(tx.conn, session_id, product_id)
            if product["knockout"] is None:
                msg = f"product {product_id} is not knocked out"
                raise StoreError.coded("err_not_knocked_out", msg, product=product_id)
            tx.conn.execute(update(schema.products).where(_product_key(session_id, product_id)).values(knockout=None))
            tx.audit(
                actor,
                "clear_knockout",
                {"product": product_id},
                {"knockout": product["knockout"]},
                {"knockout": None},
                reason.strip(),
            )

        self._write(session_id, run)

    def keep_despite_knockout(self, session_id: str, actor: Actor, product_id: str, reason: str) -> None:
        """Record why the council keeps a product whose tick-decided knock-out rule the cards trigger.

        The sheet's rule flags the product (``ProductResult.knockout_triggered``);
        the rejection stays the council's decision: the secretary either knocks
        the product out (``knock_out``, the note's text as the reason) or records
        here why not. Secretary only, with a reason; an audit entry.
        """
        _require_admin(actor)
        _require_reason(reason)

        def run(tx: _Tx) -> None:
            product = self._product(tx.conn, session_id, product_id)
            if product["knockout"] is not None:
                msg = f"product {product_id} is knocked out ({product['knockout']}): withdraw the knock-out first"
                raise StoreError.coded("err_keep_knocked_out", msg, product=product_id)
            tx.conn.execute(
                update(schema.products).where(_product_key(session_id, product_id)).values(knockout_kept=reason.strip())
            )
            tx.audit(
                actor,
                "keep_knockout",
                {"product": product_id},
                {"knockout_kept": product["knockout_kept"]},
                {"knockout_kept": reason.strip()},
                reason.strip(),
            )

        self._write(session_id, run)

    def recognise(
        self,
        session_id: str,
        number: str,
        signed_on: str,
        products: Sequence[str] | None = None,
        *,
        actor: Actor = OPERATOR,
    ) -> Decision:
        """Record the decision recognising products the council proposed (Decision 26/2026, Điều 7.3 e).

        ``products`` defaults to every product that may be recognised now: those the
        council proposed (outcome ``propose_recognition``) and those the central
        council returned below 90 at 3★ or 4★ (Điều 7.4). Each product named must be
        one of them and not recognised already. Allowed on a finalised session (the
        decision comes after the meeting); an audit entry.

        Raises:
            SettingsError: A bad number or date, or a product that may not be recognised (all or nothing).
        """
        _require_admin(actor)
        number, signed_on = _decision_fields(number, signed_on)
        state = self.state(session_id)
        result = self.results(session_id, state)
        eligible: dict[str, int] = {}
        problems: list[str] = []
        for p in state.products:
            if p.product_id not in result:
                continue
            st = result.product(p.product_id).standing
            if st.can_be_recognised:
                eligible[p.product_id] = st.stars
        if products is None:
            chosen = list(eligible)
            if not chosen:
                msg = f"session {session_id}: no product awaits recognition (none proposed, none back from the Ministry below 90)"
                raise SettingsError(msg)
        else:
            chosen = list(dict.fromkeys(products))
            for pid in chosen:
                if not state.has_product(pid):
                    problems.append(f"product {pid}: not in session {session_id}")
                elif pid not in eligible:
                    why = (
                        "it has no result" if pid not in result else _why_not_recognisable(result.product(pid).standing)
                    )
                    problems.append(f"product {pid}: may not be recognised ({why})")
        if problems:
            raise SettingsError("; ".join(problems) + "; nothing was recorded")
        held_on = state.session.held_on
        if held_on and signed_on < held_on:
            msg = f"decision date: expected on or after the council's sitting ({held_on}), got {signed_on}"
            raise SettingsError(msg)
        return self._record_decision(session_id, actor, "recognition", number, signed_on, chosen, [])

    def import_central_result(
        self,
        session_id: str,
        document: Mapping[str, Any],
        number: str,
        signed_on: str,
        *,
        name: str = "central result",
        actor: Actor = OPERATOR,
    ) -> Decision:
        """Record the central council's results for the products this session forwarded (Điều 7.4).

        ``document`` is the central council's results as ``ocop score --format json``
        (or ``ocop session results``) writes them, at level ``central``. Every product
        in it must be one this session forwarded to the Ministry; all or nothing.

        Raises:
            ScoresInputError: Naming the file and each problem.
        """
        _require_admin(actor)
        number, signed_on = _decision_fields(number, signed_on)
        problems: list[Problem] = []
        level = document.get("rules", {}).get("level") if isinstance(document, Mapping) else None
        rows = document.get("products") if isinstance(document, Mapping) else None
        if level != "central":
            problems.append(Problem(name, None, "rules.level", "central (the Ministry's council's results)", level))
        if not isinstance(rows, list):
            problems.append(
                Problem(
                    name,
                    None,
                    "products",
                    "a list of products (ocop score --format json)",
                    verbatim(type(rows).__name__),
                )
            )
        if problems:
            raise ScoresInputError(name, problems)
        state = self.state(session_id)
        result = self.results(session_id, state)
        results: list[dict[str, Any]] = []
        for i, row in enumerate(rows):
            key = f"products[{i}]"
            if not isinstance(row, Mapping):
                problems.append(Problem(name, None, key, "a product object", verbatim(type(row).__name__)))
                continue
            pid, stars, mean = row.get("product_id"), row.get("stars"), row.get("mean_total")
            if not isinstance(pid, str) or not state.has_product(pid):
                problems.append(Problem(name, None, f"{key}.product_id", f"a product of session {session_id}", pid))
                continue
            if pid not in result or result.product(pid).outcome != "forward_to_ministry":
                got = result.product(pid).outcome if pid in result else "no result"
                problems.append(
                    Problem(
                        name,
                        None,
                        f"{key}.product_id",
                        "a product this council forwarded to the Ministry",
                        verbatim(f"{pid} ({got})"),
                    )
                )
                continue
            if isinstance(stars, bool) or not isinstance(stars, int) or not 0 <= stars <= 5:
                problems.append(Problem(name, None, f"{key}.stars", "a star level from 0 to 5", stars))
                continue
            if not isinstance(mean, str) or not re.fullmatch(r"\d{1,3}(\.\d{1,2})?", mean):
                problems.append(Problem(name, None, f"{key}.mean_total", 'the mean as text, e.g. "88.50"', mean))
                continue
            results.append({"product_id": pid, "mean_total": mean, "stars": stars})
        if not results and not problems:
            problems.append(
                Problem(name, None, "products", "at least one product this council forwarded", verbatim("none"))
            )
        if problems:
            raise ScoresInputError(name, problems)
        pids = [r["product_id"] for r in results]
        return self._record_decision(session_id, actor, "central_result", number, signed_on, pids, results)

    def _record_decision(
        self,
        session_id: str,
        actor: Actor,
        kind: str,
        number: str,
        signed_on: str,
        products: list[str],
        results: list[dict[str, Any]],
    ) -> Decision:
        def run(tx: _Tx) -> Decision:
            seq = 1 + (
                tx.conn.execute(
                    select(func.max(schema.decisions.c.seq)).where(schema.decisions.c.session_id == session_id)
                ).scalar()
                or 0
            )
            taken = {
                pid
                for r in tx.conn.execute(
                    select(schema.decisions.c.content).where(
                        and_(schema.decisions.c.session_id == session_id, schema.decisions.c.kind == kind)
                    )
                )
                for pid in json.loads(r.content)["products"]
            }
            again = [pid for pid in products if pid in taken]
            if again:
                what = "recognised" if kind == "recognition" else "returned from the central council"
                msg = f"already {what} by a recorded decision: {', '.join(again)}; nothing was recorded"
                raise SettingsError(msg)
            stamp = now()
            content = {"products": products, "results": results}
            tx.conn.execute(
                insert(schema.decisions).values(
                    session_id=session_id,
                    seq=seq,
                    kind=kind,
                    number=number,
                    signed_on=signed_on,
                    content=json.dumps(content, ensure_ascii=False, sort_keys=True),
                    recorded_at=stamp,
                )
            )
            after = {"seq": seq, "kind": kind, "number": number, "signed_on": signed_on, **content}
            action = "recognise" if kind == "recognition" else "central_result"
            tx.audit(actor, action, {"decision": seq}, None, after, number)
            from ocop_scoring.store.session_file import decision_from_doc

            return decision_from_doc({**after, "recorded_at": stamp})

        return self._write(session_id, run, allow_finalised=True)

    def open_round(self, session_id: str, actor: Actor, product_id: str, reason: str) -> int:
        """Open a re-scoring round for a product after a discussion (secretary only).

        The earlier round's cards are kept; each member who submitted gets a draft
        with their previous ticks to revise. Returns the new round number.
        """
        _require_admin(actor)
        _require_reason(reason)

        def run(tx: _Tx) -> int:
            product = self._product(tx.conn, session_id, product_id)
            old, new = int(product["round"]), int(product["round"]) + 1
            previous = tx.conn.execute(
                select(schema.cards.c.member_id, schema.cards.c.choices, schema.cards.c.status).where(
                    and_(
                        schema.cards.c.session_id == session_id,
                        schema.cards.c.product_id == product_id,
                        schema.cards.c.round == old,
                    )
                )
            ).all()
            recused = {
                r[0]
                for r in tx.conn.execute(
                    select(schema.recusals.c.member_id).where(
                        and_(schema.recusals.c.session_id == session_id, schema.recusals.c.product_id == product_id)
                    )
                )
            }
            drafts = {
                r.member_id: json.loads(r.choices)
                for r in previous
                if r.status == "submitted" and r.member_id not in recused
            }
            stamp = now()
            tx.conn.execute(update(schema.products).where(_product_key(session_id, product_id)).values(round=new))
            for member_id, choices in sorted(drafts.items()):
                tx.conn.execute(
                    insert(schema.cards).values(
                        session_id=session_id,
                        product_id=product_id,
                        member_id=member_id,
                        round=new,
                        status="draft",
                        choices=json.dumps(choices),
                        comment="",
                        updated_at=stamp,
                        submitted_at=None,
                    )
                )
            tx.audit(
                actor,
                "open_round",
                {"product": product_id},
                {"round": old},
                {"round": new, "drafts": dict(sorted(drafts.items()))},
                reason.strip(),
            )
            return new

        return self._write(session_id, run)

    def finalise(self, session_id: str, actor: Actor = OPERATOR) -> str:
        """Finalise the session: results are fixed (recomputable) and every later write is refused.

        Refused while a product (not knocked out) lacks the quorum of submitted cards.
        Returns the SHA-256 of the results table, written into the audit entry.
        """
        _require_admin(actor)
        state = self.state(session_id)
        needed = state.quorum_needed()
        short = [
            f"{p.product_id} ({len(state.submitted_cards(p.product_id))}/{needed})"
            for p in state.products
            if p.knockout is None and len(state.submitted_cards(p.product_id)) < needed
        ]
        if short:
            msg = f"cannot finalise session {session_id}: below the quorum of {needed} submitted cards: {', '.join(short)}"
            raise StoreError.coded("err_finalise_quorum", msg, needed=needed, products=", ".join(short))
        if not state.products:
            msg = f"cannot finalise session {session_id}: it has no products"
            raise StoreError.coded("err_finalise_no_products", msg)

        def run(tx: _Tx) -> str:
            if int(tx.row["head_seq"]) != state.session.head_seq:
                msg = "the session changed while finalising; run finalise again"
                raise StoreError.coded("err_finalise_changed", msg)
            import hashlib

            result = self.results(session_id, state)
            digest = hashlib.sha256(canonical(result.as_json()).encode("utf-8")).hexdigest()
            stamp = now()
            tx.conn.execute(
                update(schema.sessions)
                .where(schema.sessions.c.session_id == session_id)
                .values(status="finalised", finalised_at=stamp)
            )
            tx.audit(actor, "finalise", {}, {"status": "open"}, {"status": "finalised", "results_sha256": digest})
            return digest

        return self._write(session_id, run)

    # --- verification ------------------------------------------------------------------------------

    def verify(self, session_id: str) -> VerifyReport:
        """Check the audit chain, and that the tables equal what the audit log replays to.

        Finds an edited, removed or added audit entry, a pinned sheet whose content
        changed, and any member, product, recusal or scorecard changed behind the
        log's back.
        """
        from ocop_scoring.store.session_file import check, snapshot

        def run(conn: Connection) -> VerifyReport:
            doc = snapshot(conn, session_id)
            _, head, _ = check_chain(session_id, doc["audit"])
            return VerifyReport(session_id, len(doc["audit"]), head, tuple(check(doc)))

        return self._run(run, write=False)

    # --- helpers -------------------------------------------------------------------------------------

    def _product(self, conn: Connection, session_id: str, product_id: str) -> Mapping[str, Any]:
        row = conn.execute(select(schema.products).where(_product_key(session_id, product_id))).mappings().first()
        if row is None:
            msg = f"session {session_id} has no product {product_id!r}"
            raise StoreError(msg)
        return row

    def _card_context(
        self, tx: _Tx, actor: Actor, product_id: str, member_id: str, *, allow_recused: bool = False
    ) -> tuple[Mapping[str, Any], Sheet]:
        session_id = tx.session_id
        if actor.session_id not in (None, session_id):
            msg = "this access token belongs to another session"
            raise AccessDenied.coded("err_token_other_session", msg)
        if not actor.administers and actor.member_id != member_id:
            msg = f"member {actor.member_id} may not write member {member_id}'s card"
            raise AccessDenied.coded("err_not_your_card", msg, member=member_id)
        member = tx.conn.execute(
            select(schema.members.c.role).where(
                and_(schema.members.c.session_id == session_id, schema.members.c.member_id == member_id)
            )
        ).first()
        if member is None:
            msg = f"session {session_id} has no member {member_id!r}"
            raise StoreError(msg)
        if member.role not in SCORING_ROLES:
            msg = f"{member_id} is the secretary, who does not score"
            raise AccessDenied.coded("err_secretary_does_not_score", msg, member=member_id)
        product = self._product(tx.conn, session_id, product_id)
        if product["knockout"] is not None and not allow_recused:
            msg = f"product {product_id} is knocked out ({product['knockout']}): it is not scored further"
            raise AccessDenied.coded("err_product_knocked_out", msg, product=product_id, reason=product["knockout"])
        if not allow_recused:
            recused = tx.conn.execute(
                select(schema.recusals.c.reason).where(
                    and_(
                        schema.recusals.c.session_id == session_id,
                        schema.recusals.c.product_id == product_id,
                        schema.recusals.c.member_id == member_id,
                    )
                )
            ).scalar_one_or_none()
            if recused is not None:
                msg = f"member {member_id} is recused from product {product_id} ({recused})"
                raise AccessDenied.coded(
                    "err_member_recused", msg, product=product_id, member=member_id, reason=recused
                )
        return product, self.sheet(session_id, product["sheet_id"])

    def _settle_case(
        self,
        tx: _Tx,
        actor: Actor,
        product: Mapping[str, Any],
        sheet: Sheet,
        member_id: str,
        choices: Mapping[str, int],
    ) -> None:
        """A choose-one-case sheet (26): a card's options are all of the product's case.

        The product's case comes from its record (an import column), else the
        first case-bound tick sets it (an audit entry). "Không đạt" (0) belongs
        to every case.

        Raises:
            ScorecardError: An option of the other case, naming the criterion and both cases.
        """
        plan = plan_sheet(sheet)
        if plan.case_table is None:
            return
        bound = [
            (code, number, case)
            for code, number in choices.items()
            if code in plan.index and (case := plan.case_of(plan.index[code], number)) is not None
        ]
        if not bound:
            return
        known = product["case_code"]
        case, source = (known, "the product's case") if known else (bound[0][2], f"criterion {bound[0][0]}")
        wrong = [(code, number, c) for code, number, c in bound if c != case]
        if wrong:
            code, number, other = wrong[0]
            leaf = sheet.leaf(code)
            label = next((x.text_vi for x in leaf.cases if x.code == other), other)
            msg = (
                f"product {product['product_id']}, member {member_id}: criterion {code}: option {number} is of case "
                f"{other} ({label}), but the product is scored in case {case} (set by {source}); a card uses the "
                "options of one case"
            )
            raise ScorecardError(msg)
        if not known:
            tx.conn.execute(
                update(schema.products).where(_product_key(tx.session_id, product["product_id"])).values(case_code=case)
            )
            tx.audit(
                actor,
                "set_case",
                {"product": product["product_id"]},
                {"case": None},
                {"case": case},
                f"first tick of case {case}: criterion {bound[0][0]}",
            )

    def _load_card(
        self, conn: Connection, session_id: str, product_id: str, member_id: str, round_: int
    ) -> Card | None:
        row = (
            conn.execute(select(schema.cards).where(_card_key(session_id, product_id, member_id, round_)))
            .mappings()
            .first()
        )
        if row is None:
            return None
        return Card(
            product_id,
            member_id,
            round_,
            row["status"],
            tuple(json.loads(row["choices"]).items()),
            row["comment"],
            row["updated_at"],
            row["submitted_at"],
        )

    def _save_card(
        self,
        conn: Connection,
        session_id: str,
        product_id: str,
        member_id: str,
        round_: int,
        choices: Mapping[str, int],
        existing: Card | None,
        stamp: str,
        *,
        status: str = "draft",
        comment: str | None = None,
    ) -> None:
        values: dict[str, Any] = {"choices": json.dumps(dict(choices)), "updated_at": stamp, "status": status}
        if status == "submitted":
            values["submitted_at"] = stamp
        if comment is not None:
            values["comment"] = comment
        if existing is None:
            conn.execute(
                insert(schema.cards).values(
                    session_id=session_id,
                    product_id=product_id,
                    member_id=member_id,
                    round=round_,
                    comment=values.pop("comment", ""),
                    submitted_at=values.pop("submitted_at", None),
                    **values,
                )
            )
        else:
            conn.execute(
                update(schema.cards).where(_card_key(session_id, product_id, member_id, round_)).values(**values)
            )

    # --- export / import -----------------------------------------------------------------------------

    def export_session(self, session_id: str) -> dict[str, Any]:
        """The whole session as one JSON-able document (``ocop-session/1``); access tokens are left out."""
        from ocop_scoring.store.session_file import snapshot

        return self._run(lambda c: snapshot(c, session_id), write=False)

    def import_session(self, document: Mapping[str, Any], *, name: str = "session file") -> Session:
        """Restore an exported session identically (same audit chain); members get new tokens.

        Raises:
            StoreError: For a session id already present, or a document whose chain
                or contents do not verify (nothing is written).
        """
        from ocop_scoring.store.session_file import check_document, import_document

        check_document(document, name)
        return self._run(lambda c: import_document(c, document), write=True)


def _card_key(session_id: str, product_id: str, member_id: str, round_: int) -> Any:
    c = schema.cards.c
    return and_(c.session_id == session_id, c.product_id == product_id, c.member_id == member_id, c.round == round_)


def _product_key(session_id: str, product_id: str) -> Any:
    c = schema.products.c
    return and_(c.session_id == session_id, c.product_id == product_id)


def _session_from_row(row: Mapping[str, Any]) -> Session:
    return Session(
        session_id=row["session_id"],
        name=row["name"],
        level=row["level"],
        ruleset_id=row["ruleset_id"],
        rules=CouncilRules(
            row["minimum_rule"],
            int(row["spread_threshold"]),
            bool(row["spread_strict"]),
            row["level"],
            row["held_on"] or None,
        ),
        quorum=Fraction(row["quorum"]),
        status=row["status"],
        round_label=row["round_label"],
        held_on=row["held_on"],
        created_at=row["created_at"],
        finalised_at=row["finalised_at"],
        head_seq=int(row["head_seq"]),
        head_hash=row["head_hash"],
        ruleset_sha256=row["ruleset_sha256"],
        imported_at=row.get("imported_at"),
    )


def parse_quorum(value: str | Fraction) -> Fraction:
    """A quorum as a fraction of the scoring members: ``3/4``, ``0.75`` or ``75%``.

    Raises:
        SettingsError: Unless 0 < quorum <= 1.
    """
    text = str(value).strip()
    try:
        q = Fraction(text[:-1]) / 100 if text.endswith("%") else Fraction(text)
    except (ValueError, ZeroDivisionError):
        msg = f"quorum: expected a fraction such as 3/4, 0.75 or 75%, got {value!r}"
        raise SettingsError(msg) from None
    if not 0 < q <= 1:
        msg = f"quorum: expected more than 0 and at most 1, got {value!r}"
        raise SettingsError(msg)
    return q


def _fold(text: str) -> str:
    """A place name compared as people mean it: NFC, case and spacing ignored, "Tỉnh"/"Thành phố" dropped."""
    folded = " ".join(unicodedata.normalize("NFC", text or "").casefold().split())
    for prefix in ("tỉnh ", "thành phố ", "tp. ", "tp "):
        if folded.startswith(prefix):
            return folded[len(prefix) :]
    return folded


def _council_province(tx: _Tx, session_id: str, specs: Sequence[ProductSpec]) -> tuple[str, str] | None:
    """The province a provincial council scores (folded, as written): its products' province, else the first new one's.

    None at another level (the Ministry's council scores every province's products) or when no product names one.
    """
    if tx.row["level"] != "province":
        return None
    for r in tx.conn.execute(
        select(schema.products.c.province)
        .where(schema.products.c.session_id == session_id)
        .order_by(schema.products.c.position)
    ):
        if r.province.strip():
            return _fold(r.province), r.province.strip()
    for spec in specs:
        if spec.province.strip():
            return _fold(spec.province), spec.province.strip()
    return None


def _decision_fields(number: str, signed_on: str) -> tuple[str, str]:
    """A decision's number ("123/QĐ-UBND") and ISO date, checked."""
    text = unicodedata.normalize("NFC", (number or "").strip())
    if not text or len(text) > 64 or "\n" in text:
        msg = (
            f"decision number: expected the decision's number, e.g. 123/QĐ-UBND (at most 64 characters), got {number!r}"
        )
        raise SettingsError(msg)
    try:
        day = date.fromisoformat((signed_on or "").strip()).isoformat()
    except ValueError:
        msg = f"decision date: expected a date YYYY-MM-DD, got {signed_on!r}"
        raise SettingsError(msg) from None
    return text, day


def _why_not_recognisable(st: Any) -> str:
    return {
        "recognised": f"already recognised by decision {st.decision.number if st.decision else ''}",
        "forwarded": "it reached 90 or more: it is forwarded to the Ministry; record the central council's result first",
        "central_5_star": "the central council rated it 5★: the Ministry recognises it",
        "rejected": "the council rejected it",
        "not_recognised": f"the council did not propose it for recognition ({st.stars}★)",
    }.get(st.status, st.status)


def _decision_from_row(row: Any) -> Decision:
    from ocop_scoring.store.session_file import _decision_doc, decision_from_doc

    return decision_from_doc(_decision_doc(row._mapping))


def _require_admin(actor: Actor) -> None:
    if not actor.administers:
        msg = f"{actor.label} may not do this: only the secretary administers the session"
        raise AccessDenied.coded("err_secretary_only", msg)


def _require_reason(reason: str) -> None:
    if not reason or not reason.strip():
        msg = "a reason is required"
        raise StoreError.coded("err_reason_required", msg)


def _submitted(card: Card) -> AccessDenied:
    return AccessDenied.coded(
        "err_card_submitted",
        f"product {card.product_id}, member {card.member_id}: the card was submitted at {card.submitted_at} and is locked; the secretary can reopen it",
        product=card.product_id,
        member=card.member_id,
        when=card.submitted_at,
    )


def _is_busy(exc: DBAPIError) -> bool:
    text = str(exc.orig) if exc.orig is not None else str(exc)
    return "database is locked" in text or "database is busy" in text or "SQLITE_BUSY" in text


def _sqlite_on_connect(dbapi_conn: Any, _record: Any) -> None:
    # Let SQLAlchemy's begin event emit BEGIN itself (pysqlite's implicit BEGIN is deferred and late).
    dbapi_conn.isolation_level = None
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA busy_timeout = 30000")
    cur.execute("PRAGMA journal_mode = WAL")
    cur.execute("PRAGMA synchronous = FULL")
    cur.execute("PRAGMA foreign_keys = ON")
    cur.close()


def _sqlite_on_begin(conn: Connection) -> None:
    write = conn.get_execution_options().get("ocop_write", False)
    conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")


__all__ = [
    "OPERATOR",
    "Actor",
    "SessionStore",
    "VerifyReport",
    "default_store_path",
    "parse_quorum",
    "resolve_store_url",
]
