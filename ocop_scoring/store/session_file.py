"""A whole session as one portable document, and the checks that make it trustworthy.

Layer: store. Imports: errors, model, store.schema, store.audit.

The document (``format: ocop-session/1``, UTF-8 JSON) holds the session, its
pinned rule set and sheets (verbatim), members (without their access tokens),
products, recusals, every card of every round and the whole audit chain.
``check`` verifies the chain and that every table equals what the chain
replays to; the store's ``verify`` runs the same check on a snapshot of its
tables, so a file and a database are judged by one rule.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.engine import Connection

from ocop_scoring.errors import Problem, ScoresInputError, StoreError, verbatim
from ocop_scoring.model import (
    Card,
    CentralResult,
    Decision,
    Member,
    Product,
    Recusal,
    RuleSet,
    Session,
    SessionState,
    Sheet,
)
from ocop_scoring.store import schema
from ocop_scoring.store.audit import canonical, check_chain, replay

FORMAT = "ocop-session/1"
MAX_FILE_BYTES = 200 * 1024 * 1024
_SESSION_KEYS = (
    "session_id",
    "name",
    "level",
    "round_label",
    "held_on",
    "ruleset_id",
    "ruleset_sha256",
    "quorum",
    "minimum_rule",
    "spread_threshold",
    "spread_strict",
    "status",
    "created_at",
    "finalised_at",
    "head_seq",
    "head_hash",
)


# A product's fields in a session file, after its id (the audit replay compares the same ones).
PRODUCT_FIELDS = (
    "name",
    "sheet_id",
    "product_code",
    "producer",
    "commune",
    "province",
    "dossier_notes",
    "knockout",
    "round",
)
# Written only when set (schema 3), so a session without them reads and writes as before.
PRODUCT_OPTIONAL_FIELDS = ("case", "knockout_kept")
_PRODUCT_COLUMNS = {"case": "case_code", "knockout_kept": "knockout_kept"}


def _product_doc(r: Mapping[str, Any]) -> dict[str, Any]:
    out = {k: r[k] for k in ("product_id", *PRODUCT_FIELDS)}
    for key in PRODUCT_OPTIONAL_FIELDS:
        value = r.get(_PRODUCT_COLUMNS[key])
        if value is not None:
            out[key] = value
    return out


def _decision_doc(r: Mapping[str, Any]) -> dict[str, Any]:
    content = json.loads(r["content"])
    return {
        "seq": r["seq"],
        "kind": r["kind"],
        "number": r["number"],
        "signed_on": r["signed_on"],
        "products": content["products"],
        "results": content.get("results", []),
        "recorded_at": r["recorded_at"],
    }


def snapshot(conn: Connection, session_id: str) -> dict[str, Any]:
    """Read a session's tables into the document form (tokens left out)."""
    row = conn.execute(select(schema.sessions).where(schema.sessions.c.session_id == session_id)).mappings().first()
    if row is None:
        msg = f"no session {session_id!r}"
        raise StoreError(msg)
    session = {k: row[k] for k in _SESSION_KEYS}
    session["spread_strict"] = bool(session["spread_strict"])
    doc: dict[str, Any] = {
        "format": FORMAT,
        "session": session,
        "ruleset": {
            "ruleset_id": row["ruleset_id"],
            "sha256": row["ruleset_sha256"],
            "content": row["ruleset_content"],
        },
        "sheets": [
            {"sheet_id": r.sheet_id, "sha256": r.sha256, "content": r.content}
            for r in conn.execute(
                select(schema.sheets).where(schema.sheets.c.session_id == session_id).order_by(schema.sheets.c.sheet_id)
            )
        ],
        "members": [
            {"member_id": r.member_id, "name": r.name, "role": r.role, "organisation": r.organisation}
            for r in conn.execute(
                select(schema.members)
                .where(schema.members.c.session_id == session_id)
                .order_by(schema.members.c.position)
            )
        ],
        "products": [
            _product_doc(r)
            for r in conn.execute(
                select(schema.products)
                .where(schema.products.c.session_id == session_id)
                .order_by(schema.products.c.position)
            ).mappings()
        ],
        "recusals": [
            {"product_id": r.product_id, "member_id": r.member_id, "reason": r.reason}
            for r in conn.execute(
                select(schema.recusals)
                .where(schema.recusals.c.session_id == session_id)
                .order_by(schema.recusals.c.product_id, schema.recusals.c.member_id)
            )
        ],
        "cards": [
            {
                "product_id": r.product_id,
                "member_id": r.member_id,
                "round": r.round,
                "status": r.status,
                "choices": json.loads(r.choices),
                "comment": r.comment,
                "updated_at": r.updated_at,
                "submitted_at": r.submitted_at,
            }
            for r in conn.execute(
                select(schema.cards)
                .where(schema.cards.c.session_id == session_id)
                .order_by(schema.cards.c.product_id, schema.cards.c.member_id, schema.cards.c.round)
            )
        ],
        "audit": [
            {
                "seq": r["seq"],
                "at": r["at"],
                "actor": r["actor"],
                "action": r["action"],
                "target": json.loads(r["target"]),
                "before": json.loads(r["before"]),
                "after": json.loads(r["after"]),
                "reason": r["reason"],
                "prev_hash": r["prev_hash"],
                "hash": r["hash"],
            }
            for r in conn.execute(
                select(schema.audit).where(schema.audit.c.session_id == session_id).order_by(schema.audit.c.seq)
            ).mappings()
        ],
    }
    decisions = [
        _decision_doc(r)
        for r in conn.execute(
            select(schema.decisions).where(schema.decisions.c.session_id == session_id).order_by(schema.decisions.c.seq)
        ).mappings()
    ]
    if decisions:  # schema 3; absent from older files
        doc["decisions"] = decisions
    return doc


def check(doc: Mapping[str, Any]) -> list[str]:
    """Every inconsistency of a session document: chain, head, pinned hashes, tables vs the replayed log."""
    session = doc["session"]
    sid = session["session_id"]
    problems, head, last = check_chain(sid, doc["audit"])
    if session["head_hash"] != head or int(session["head_seq"]) != last:
        problems.append(
            f"the session's recorded head (entry {session['head_seq']}, {str(session['head_hash'])[:12]}…) is not the chain's end "
            f"(entry {last}, {head[:12]}…): entries were removed or added"
        )
    rs = doc["ruleset"]
    if _sha(rs["content"]) != rs["sha256"] or rs["sha256"] != session["ruleset_sha256"]:
        problems.append(f"pinned rule set {rs['ruleset_id']}: its content no longer matches its hash")
    for sheet in doc["sheets"]:
        if _sha(sheet["content"]) != sheet["sha256"]:
            problems.append(
                f"pinned sheet {sheet['sheet_id']}: its content no longer matches its hash {sheet['sha256'][:12]}…"
            )
    replayed = replay(doc["audit"])
    problems.extend(replayed.problems)
    s = replayed.session
    if s.get("status", "open") != session["status"]:
        problems.append(f"session status: table says {session['status']}, the audit log says {s.get('status')}")
    for key in (
        "name",
        "level",
        "ruleset_id",
        "ruleset_sha256",
        "quorum",
        "minimum_rule",
        "spread_threshold",
        "spread_strict",
    ):
        if key in s and s[key] != session[key]:
            problems.append(f"session {key}: table says {session[key]!r}, the audit log says {s[key]!r}")
    pinned = {x["sheet_id"]: x["sha256"] for x in doc["sheets"]}
    if "sheets" in s and pinned != s["sheets"]:
        problems.append("pinned sheets: the sheets differ from those pinned at creation")
    members = {
        m["member_id"]: {"name": m["name"], "role": m["role"], "organisation": m["organisation"]}
        for m in doc["members"]
    }
    for mid in sorted(set(members) | set(replayed.members)):
        if members.get(mid) != replayed.members.get(mid):
            problems.append(
                f"member {mid}: table says {members.get(mid)}, the audit log says {replayed.members.get(mid)}"
            )
    products = {
        p["product_id"]: {k: p[k] for k in (*PRODUCT_FIELDS, *PRODUCT_OPTIONAL_FIELDS) if k in p}
        for p in doc["products"]
    }
    for pid in sorted(set(products) | set(replayed.products)):
        if products.get(pid) != replayed.products.get(pid):
            problems.append(
                f"product {pid}: table says {products.get(pid)}, the audit log says {replayed.products.get(pid)}"
            )
    recusals = {(r["product_id"], r["member_id"]): r["reason"] for r in doc["recusals"]}
    for key in sorted(set(recusals) | set(replayed.recusals)):
        if recusals.get(key) != replayed.recusals.get(key):
            problems.append(
                f"recusal {key[0]}/{key[1]}: table says {recusals.get(key)!r}, the audit log says {replayed.recusals.get(key)!r}"
            )
    logged = [{k: v for k, v in d.items() if k != "recorded_at"} for d in replayed.decisions]
    held = [{k: v for k, v in d.items() if k != "recorded_at"} for d in doc.get("decisions", [])]
    if logged != held:
        problems.append(
            f"decisions: the file or table holds {len(held)}, the audit log records {len(logged)}, or they differ"
        )
    cards = {
        (c["product_id"], c["member_id"], int(c["round"])): {
            "choices": c["choices"],
            "comment": c["comment"],
            "status": c["status"],
        }
        for c in doc["cards"]
    }
    for key in sorted(set(cards) | set(replayed.cards)):
        table, logged = cards.get(key), replayed.cards.get(key)
        if table != logged:
            problems.append(
                f"scorecard {key[0]}/{key[1]} round {key[2]}: changed behind the audit log's back ({_card_difference(table, logged)})"
            )
    return problems


def _card_difference(table: Mapping[str, Any] | None, logged: Mapping[str, Any] | None) -> str:
    if table is None:
        return "the table has no such card"
    if logged is None:
        return "the audit log never created it"
    parts = []
    if table["status"] != logged["status"]:
        parts.append(f"status {table['status']} vs {logged['status']}")
    if table["comment"] != logged["comment"]:
        parts.append("comment")
    tc, lc = table["choices"], logged["choices"]
    for code in sorted(set(tc) | set(lc)):
        if tc.get(code) != lc.get(code):
            parts.append(f"criterion {code}: option {tc.get(code)} in the table, {lc.get(code)} in the log")
    return "; ".join(parts)


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def dumps(doc: Mapping[str, Any]) -> bytes:
    """The file bytes: one spelling for one document (sorted keys), so equal sessions give equal files."""
    return (json.dumps(doc, sort_keys=True, ensure_ascii=False, indent=1) + "\n").encode("utf-8")


def read_session_file(path: Path | str) -> dict[str, Any]:
    """Read and check a session file.

    Raises:
        ScoresInputError: For an unreadable, non-JSON, wrong-format or inconsistent file,
            each problem named.
    """
    path = Path(path)
    shown = str(path)
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise ScoresInputError(
                shown,
                [
                    Problem(
                        shown,
                        None,
                        "file",
                        f"a session file under {MAX_FILE_BYTES >> 20} MB",
                        verbatim(f"{size >> 20} MB"),
                    )
                ],
            )
        data = path.read_bytes()
    except OSError as exc:
        raise ScoresInputError(
            shown, [Problem(shown, None, "file", "a readable file", verbatim(exc.strerror or str(exc)))]
        ) from None
    try:
        doc = json.loads(data.decode("utf-8"))
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise ScoresInputError(
            shown, [Problem(shown, line, "encoding", "UTF-8 text", verbatim(f"byte 0x{data[exc.start]:02x}"))]
        ) from None
    except json.JSONDecodeError as exc:
        raise ScoresInputError(
            shown,
            [Problem(shown, exc.lineno, "json", "a session file written by `ocop session export`", verbatim(exc.msg))],
        ) from None
    check_document(doc, shown)
    return doc


def check_document(doc: Any, name: str) -> None:
    """Refuse a document that is not a consistent ``ocop-session/1`` session.

    Raises:
        ScoresInputError: Listing every problem.
    """
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        got = doc.get("format") if isinstance(doc, dict) else type(doc).__name__
        raise ScoresInputError(name, [Problem(name, None, "format", repr(FORMAT), got)])
    missing = [
        k for k in ("session", "ruleset", "sheets", "members", "products", "recusals", "cards", "audit") if k not in doc
    ]
    if missing:
        raise ScoresInputError(
            name, [Problem(name, None, "keys", "every part of a session", verbatim(f"no {', '.join(missing)}"))]
        )
    try:
        problems = check(doc)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise ScoresInputError(
            name, [Problem(name, None, "contents", "a well-formed session document", verbatim(repr(exc)))]
        ) from None
    if problems:
        raise ScoresInputError(
            name,
            [
                Problem(name, None, "integrity", "a session whose audit chain and contents agree", verbatim(p))
                for p in problems
            ],
        )


def import_document(conn: Connection, doc: Mapping[str, Any]) -> Session:
    """Write a checked document into the store (new access tokens; same audit chain)."""
    from datetime import UTC, datetime

    s = doc["session"]
    sid = s["session_id"]
    if conn.execute(select(schema.sessions.c.session_id).where(schema.sessions.c.session_id == sid)).first():
        msg = f"session {sid!r} already exists in this store; nothing was imported"
        raise StoreError(msg)
    rs = doc["ruleset"]
    conn.execute(
        insert(schema.sessions).values(
            **{k: s[k] for k in _SESSION_KEYS},
            ruleset_content=rs["content"],
            imported_at=datetime.now(UTC).isoformat(timespec="microseconds"),
        )
    )
    for sheet in doc["sheets"]:
        conn.execute(insert(schema.sheets).values(session_id=sid, **sheet))
    for i, m in enumerate(doc["members"]):
        conn.execute(insert(schema.members).values(session_id=sid, position=i, token=secrets.token_urlsafe(18), **m))
    for i, p in enumerate(doc["products"]):
        values = {k: v for k, v in p.items() if k not in PRODUCT_OPTIONAL_FIELDS}
        extra = {_PRODUCT_COLUMNS[k]: p[k] for k in PRODUCT_OPTIONAL_FIELDS if k in p}
        conn.execute(insert(schema.products).values(session_id=sid, position=i, **values, **extra))
    for d in doc.get("decisions", []):
        content = {"products": d["products"], "results": d.get("results", [])}
        conn.execute(
            insert(schema.decisions).values(
                session_id=sid,
                seq=d["seq"],
                kind=d["kind"],
                number=d["number"],
                signed_on=d["signed_on"],
                content=json.dumps(content, ensure_ascii=False, sort_keys=True),
                recorded_at=d["recorded_at"],
            )
        )
    for r in doc["recusals"]:
        conn.execute(insert(schema.recusals).values(session_id=sid, **r))
    for c in doc["cards"]:
        conn.execute(insert(schema.cards).values(session_id=sid, **{**c, "choices": json.dumps(c["choices"])}))
    for e in doc["audit"]:
        conn.execute(
            insert(schema.audit).values(
                session_id=sid,
                **{
                    **e,
                    "target": canonical(e["target"]),
                    "before": canonical(e["before"]),
                    "after": canonical(e["after"]),
                },
            )
        )
    from ocop_scoring.store.core import _session_from_row

    return _session_from_row(
        conn.execute(select(schema.sessions).where(schema.sessions.c.session_id == sid)).mappings().one()
    )


def state_from_document(doc: Mapping[str, Any]) -> SessionState:
    """The session state a document holds (the same type the store returns)."""
    from ocop_scoring.store.core import _session_from_row

    session = _session_from_row({**doc["session"], "imported_at": None})
    return SessionState(
        session,
        tuple(Member(m["member_id"], m["name"], m["role"], m["organisation"]) for m in doc["members"]),
        tuple(Product(**p) for p in doc["products"]),
        tuple(
            Card(
                c["product_id"],
                c["member_id"],
                int(c["round"]),
                c["status"],
                tuple(c["choices"].items()),
                c["comment"],
                c["updated_at"],
                c["submitted_at"],
            )
            for c in doc["cards"]
        ),
        tuple(Recusal(r["product_id"], r["member_id"], r["reason"]) for r in doc["recusals"]),
        tuple((x["sheet_id"], x["sha256"]) for x in doc["sheets"]),
        tuple(decision_from_doc(d) for d in doc.get("decisions", [])),
    )


def decision_from_doc(d: Mapping[str, Any]) -> Decision:
    """A decision of a session file (or of the store's row, as ``_decision_doc`` reads it)."""
    return Decision(
        int(d["seq"]),
        d["kind"],
        d["number"],
        d["signed_on"],
        tuple(d["products"]),
        tuple(CentralResult(r["product_id"], r["mean_total"], int(r["stars"])) for r in d.get("results", [])),
        d.get("recorded_at", ""),
    )


def pinned_from_document(doc: Mapping[str, Any]) -> tuple[RuleSet, dict[str, Sheet]]:
    """The pinned rule set and sheets of a document, parsed."""
    from ocop_scoring.store.core import _parse_pinned, _parse_ruleset

    rs = doc["ruleset"]
    ruleset = _parse_ruleset(rs["sha256"], rs["content"])
    sid = doc["session"]["session_id"]
    sheets = {
        x["sheet_id"]: _parse_pinned(
            x["sha256"], x["content"], rs["sha256"], rs["content"], f"{sid}:{x['sheet_id']}.yaml"
        )
        for x in doc["sheets"]
    }
    return ruleset, sheets
