"""The audit trail: hash-chained entries, and a replay that rebuilds a session from them.

Layer: store. Imports: model. Pure; no I/O.

Every change of a session is one entry ``(seq, at, actor, action, target,
before, after, reason)``; its hash covers those fields and the previous
entry's hash, so editing any past entry breaks every hash after it. Replaying
the entries in order rebuilds members, products, recusals, knock-outs, rounds
and every card: comparing that with the tables finds a scorecard changed
behind the log's back. (Whoever can rewrite the whole database can also
rewrite the whole chain: the head hash is printed by ``ocop session verify``
and written into the finalisation entry and the minutes, where it is anchored
outside the database.)
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

GENESIS = "0" * 64


def canonical(value: Any) -> str:
    """The one JSON spelling of a value (sorted keys, no spaces, UTF-8 text)."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def entry_hash(
    session_id: str,
    seq: int,
    at: str,
    actor: str,
    action: str,
    target: Mapping[str, Any],
    before: Any,
    after: Any,
    reason: str,
    prev_hash: str,
) -> str:
    """SHA-256 of an entry's fields and the previous entry's hash."""
    body = canonical(
        {
            "session": session_id,
            "seq": seq,
            "at": at,
            "actor": actor,
            "action": action,
            "target": dict(target),
            "before": before,
            "after": after,
            "reason": reason,
            "prev": prev_hash,
        }
    )
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


@dataclass
class Replayed:
    """A session rebuilt from its audit entries alone."""

    session: dict[str, Any] = field(default_factory=dict)
    members: dict[str, dict[str, Any]] = field(default_factory=dict)
    products: dict[str, dict[str, Any]] = field(default_factory=dict)
    recusals: dict[tuple[str, str], str] = field(default_factory=dict)
    cards: dict[tuple[str, str, int], dict[str, Any]] = field(default_factory=dict)
    decisions: list[dict[str, Any]] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    def card(self, target: Mapping[str, Any]) -> dict[str, Any]:
        key = (target["product"], target["member"], int(target["round"]))
        return self.cards.setdefault(key, {"choices": {}, "comment": "", "status": "draft"})


def check_chain(session_id: str, rows: Iterable[Mapping[str, Any]]) -> tuple[list[str], str, int]:
    """Check every entry's hash and link; return (problems, head hash, last seq)."""
    problems: list[str] = []
    prev = GENESIS
    expected_seq = 1
    for row in rows:
        seq = int(row["seq"])
        if seq != expected_seq:
            problems.append(f"audit entry {expected_seq}: missing (the next entry is {seq})")
            expected_seq = seq
        if row["prev_hash"] != prev:
            problems.append(f"audit entry {seq}: does not follow entry {seq - 1} (its link was changed)")
        digest = entry_hash(
            session_id,
            seq,
            row["at"],
            row["actor"],
            row["action"],
            row["target"],
            row["before"],
            row["after"],
            row["reason"],
            row["prev_hash"],
        )
        if digest != row["hash"]:
            problems.append(
                f"audit entry {seq} ({row['action']} at {row['at']}): edited after it was written (hash mismatch)"
            )
        prev = row["hash"]
        expected_seq += 1
    return problems, prev, expected_seq - 1


def replay(rows: Iterable[Mapping[str, Any]]) -> Replayed:
    """Rebuild a session's state from its entries, in order."""
    state = Replayed()
    for row in rows:
        action, target, before, after = row["action"], row["target"], row["before"], row["after"]
        seq = row["seq"]
        try:
            _apply(state, action, target, before, after)
        except (KeyError, TypeError, ValueError) as exc:
            state.problems.append(f"audit entry {seq} ({action}): cannot be replayed ({exc!r})")
    return state


def _apply(state: Replayed, action: str, target: Mapping[str, Any], before: Any, after: Any) -> None:
    if action == "create_session":
        state.session = {**after, "status": "open"}
    elif action == "add_member":
        state.members[target["member"]] = dict(after)
    elif action == "add_product":
        state.products[target["product"]] = {**after, "knockout": None, "round": 1}
    elif action == "tick":
        card = state.card(target)
        for code, option in after.items():
            if option is None:
                card["choices"].pop(code, None)
            else:
                card["choices"][code] = option
    elif action == "enter_card":
        card = state.card(target)
        card["choices"] = dict(after["choices"])
        card["comment"] = after["comment"]
        card["status"] = after["status"]
    elif action == "comment":
        state.card(target)["comment"] = after["comment"]
    elif action in ("submit", "reopen"):
        state.card(target)["status"] = after["status"]
    elif action == "recuse":
        state.recusals[(target["product"], target["member"])] = after["reason"]
    elif action == "unrecuse":
        state.recusals.pop((target["product"], target["member"]), None)
    elif action in ("knockout", "clear_knockout"):
        state.products[target["product"]]["knockout"] = after["knockout"]
        if action == "knockout":
            state.products[target["product"]].pop("knockout_kept", None)
    elif action == "set_case":
        state.products[target["product"]]["case"] = after["case"]
    elif action == "keep_knockout":
        state.products[target["product"]]["knockout_kept"] = after["knockout_kept"]
    elif action in ("recognise", "central_result"):
        state.decisions.append(dict(after))
    elif action == "open_round":
        product = state.products[target["product"]]
        product["round"] = after["round"]
        for member, choices in after["drafts"].items():
            key = (target["product"], member, int(after["round"]))
            state.cards[key] = {"choices": dict(choices), "comment": "", "status": "draft"}
    elif action == "finalise":
        state.session["status"] = "finalised"
    else:
        msg = f"unknown action {action!r}"
        raise ValueError(msg)
