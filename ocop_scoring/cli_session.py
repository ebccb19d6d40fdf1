"""``ocop session …``: create and run a council session on the shared store.

Every command takes ``--store URL|PATH`` (default ``$OCOP_STORE``, else the
embedded SQLite file, see ``ocop session where``). Exit codes as for ``ocop``:
0 success, 1 ``verify`` found problems, 2 bad input or a refused change.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from ocop_scoring.cli import EXIT_OK, EXIT_PROBLEMS, _Parser, add_rule_options, command, rules_from_args
from ocop_scoring.errors import OcopError as _OcopError


def _store(args: argparse.Namespace) -> Any:
    from ocop_scoring.store import SessionStore

    return SessionStore(args.store)


@command
def _register(sub: argparse._SubParsersAction) -> None:
    session = sub.add_parser(
        "session", help="council sessions on the shared store (create, import, status, finalise, verify, export)"
    )
    ssub = session.add_subparsers(dest="session_command", required=True, parser_class=_Parser)
    store_option = _Parser(add_help=False)
    store_option.add_argument(
        "--store", default=None, help="SQLAlchemy URL or SQLite file (default: $OCOP_STORE, else the embedded file)"
    )

    def add(name: str, **kw: Any) -> argparse.ArgumentParser:
        return ssub.add_parser(name, parents=[store_option], **kw)

    p = add("where", help="print the store in use")
    p.set_defaults(handler=cmd_where)
    p = add("list", help="the sessions of the store")
    p.set_defaults(handler=cmd_list)

    p = add("create", help="create a session, pinning its rule set and sheets")
    p.add_argument("session")
    p.add_argument(
        "--name", required=True, help="e.g. 'Hội đồng đánh giá, phân hạng sản phẩm OCOP tỉnh … đợt 1 năm 2026'"
    )
    p.add_argument("--round-label", default="", help="e.g. 'Đợt 1/2026'")
    p.add_argument("--date", default="", help="meeting date, YYYY-MM-DD")
    p.add_argument(
        "--quorum",
        default="3/4",
        help="share of the scoring members whose submitted cards a product needs (default 3/4)",
    )
    add_rule_options(p)
    p.set_defaults(handler=cmd_create)

    p = add("add-members", help="add members from a CSV or XLSX list (docs/import-formats.md)")
    p.add_argument("session")
    p.add_argument("files", nargs="+", type=Path)
    p.set_defaults(handler=cmd_add_members)

    p = add("import-products", help="add products from a CSV or XLSX list (docs/import-formats.md)")
    p.add_argument("session")
    p.add_argument("files", nargs="+", type=Path)
    p.set_defaults(handler=cmd_import_products)

    p = add("import-scores", help="import scorecards: the long CSV of `ocop score`, or filled XLSX scoring sheets")
    p.add_argument("session")
    p.add_argument("files", nargs="+", type=Path, help="CSV files, XLSX files, or folders of XLSX files")
    p.add_argument("--draft", action="store_true", help="import as drafts (default: submitted, as signed paper sheets)")
    p.set_defaults(handler=cmd_import_scores)

    p = add("scoring-sheets", help="write one XLSX scoring sheet per member and product, to fill in")
    p.add_argument("session")
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--member", action="append", default=None)
    p.add_argument("--product", action="append", default=None)
    p.set_defaults(handler=cmd_scoring_sheets)

    p = add("status", help="progress, quorum, discussion flags and results")
    p.add_argument("session")
    p.add_argument("--format", choices=("text", "json"), default="text")
    p.set_defaults(handler=cmd_status)

    p = add("results", help="the results, as `ocop score` prints them")
    p.add_argument("session")
    p.add_argument("--format", choices=("json", "table", "csv"), default="table")
    p.add_argument("--explain", metavar="PRODUCT_ID", action="append", default=None)
    p.add_argument("--lang", choices=("vi", "en"), default="vi")
    p.set_defaults(handler=cmd_results)

    for name, help_ in (
        ("reopen", "reopen a submitted card (with a reason)"),
        ("recuse", "record a recusal (with a reason)"),
    ):
        p = add(name, help=help_)
        p.add_argument("session")
        p.add_argument("product")
        p.add_argument("member")
        p.add_argument("--reason", required=True)
        p.set_defaults(handler=cmd_reopen if name == "reopen" else cmd_recuse)

    p = add(
        "knockout",
        help="mark a product rejected (no star), --clear it, or --keep it despite a knock-out rule its ticks trigger",
    )
    p.add_argument("session")
    p.add_argument("product")
    p.add_argument(
        "--reason",
        default=None,
        help="required, except to confirm a knock-out rule the ticks trigger (then the sheet's note is the reason)",
    )
    how = p.add_mutually_exclusive_group()
    how.add_argument("--clear", action="store_true", help="withdraw the knock-out")
    how.add_argument("--keep", action="store_true", help="record why the council keeps a flagged product")
    p.set_defaults(handler=cmd_knockout)

    p = add(
        "recognise",
        help="record the Chủ tịch UBND tỉnh's recognition decision for the products the council proposed",
    )
    p.add_argument("session")
    p.add_argument("--decision", required=True, help="the decision's number, e.g. 123/QĐ-UBND")
    p.add_argument("--date", required=True, help="the decision's date, YYYY-MM-DD")
    p.add_argument(
        "--products", nargs="+", default=None, help="the products it recognises (default: every product awaiting it)"
    )
    p.set_defaults(handler=cmd_recognise)

    p = add(
        "import-central-result",
        help="record the Ministry's central council's results for the products this council forwarded (90+)",
    )
    p.add_argument("session")
    p.add_argument("file", type=Path, help="the central council's results, as `ocop score --format json` writes them")
    p.add_argument("--decision", required=True, help="the number of the document that returned them")
    p.add_argument("--date", required=True, help="its date, YYYY-MM-DD")
    p.set_defaults(handler=cmd_import_central_result)

    p = add("new-round", help="open a re-scoring round for a product after a discussion")
    p.add_argument("session")
    p.add_argument("product")
    p.add_argument("--reason", required=True)
    p.set_defaults(handler=cmd_new_round)

    for name in ("finalize", "finalise"):
        p = add(name, help="finalise the session (read-only afterwards)")
        p.add_argument("session")
        p.set_defaults(handler=cmd_finalise)

    p = add("verify", help="check the audit chain and that no card changed behind its back (exit 1 on a problem)")
    p.add_argument("session")
    p.set_defaults(handler=cmd_verify)

    p = add("audit", help="print the audit log")
    p.add_argument("session")
    p.add_argument("--format", choices=("text", "json"), default="text")
    p.set_defaults(handler=cmd_audit)

    p = add("export", help="write the whole session to one portable file")
    p.add_argument("session")
    p.add_argument("--out", type=Path, required=True)
    p.set_defaults(handler=cmd_export)

    p = add("links", help="each member's personal link, the secretary's and the projector's")
    p.add_argument("session")
    p.add_argument("--base-url", default=None, help="the address members open (default: http://127.0.0.1:8866/)")
    p.add_argument("--format", choices=("text", "json"), default="text")
    p.set_defaults(handler=cmd_links)

    p = add("import", help="restore a session from an exported file (members get new links)")
    p.add_argument("file", type=Path)
    p.set_defaults(handler=cmd_import)


def cmd_where(args: argparse.Namespace) -> int:
    """``ocop session where``."""
    from ocop_scoring.store import resolve_store_url

    print(resolve_store_url(args.store))
    return EXIT_OK


def cmd_list(args: argparse.Namespace) -> int:
    """``ocop session list``."""
    store = _store(args)
    for s in store.sessions():
        print(f"{s.session_id}  {s.status:<9} {s.ruleset_id}  {s.level:<8} {s.name}")
    return EXIT_OK


def cmd_create(args: argparse.Namespace) -> int:
    """``ocop session create``."""
    from ocop_scoring.cli import _library

    lib = _library(args)
    store = _store(args)
    rules = rules_from_args(args)
    session = store.create_session(
        args.session,
        args.name,
        lib,
        ruleset_id=args.ruleset or "qd26-2026",
        level=args.level,
        round_label=args.round_label,
        held_on=args.date,
        quorum=args.quorum,
        rules=rules,
    )
    print(f"created session {session.session_id} ({session.ruleset_id}, {session.level}) in {store.url_display}")
    return EXIT_OK


def cmd_add_members(args: argparse.Namespace) -> int:
    """``ocop session add-members``: all files checked first; nothing added unless all are clean."""
    from ocop_scoring.imports import read_members

    store = _store(args)
    state = store.state(args.session)
    existing = {m.member_id for m in state.members}
    specs = []
    for path in args.files:
        got = read_members(path, existing_ids=existing)
        existing |= {m.member_id for m in got}
        specs.extend(got)
    added = store.add_members(args.session, specs)
    for m in added:
        print(f"{m.member_id}  {m.role:<9} {m.name}")
    print(f"{len(added)} member(s) added to {args.session}", file=sys.stderr)
    return EXIT_OK


def cmd_import_products(args: argparse.Namespace) -> int:
    """``ocop session import-products``."""
    from ocop_scoring.imports import read_products

    store = _store(args)
    state = store.state(args.session)
    sheets = store.sheets(args.session)
    existing = {p.product_id for p in state.products}
    specs = []
    for path in args.files:
        got = read_products(path, sheets, existing_ids=existing)
        existing |= {p.product_id for p in got}
        specs.extend(got)
    added = store.add_products(args.session, specs)
    print(f"{len(added)} product(s) added to {args.session}", file=sys.stderr)
    return EXIT_OK


def cmd_import_scores(args: argparse.Namespace) -> int:
    """``ocop session import-scores``: every file checked first; one transaction for all cards."""
    from ocop_scoring.store.scores_import import collect_cards

    store = _store(args)
    entries = collect_cards(store, args.session, args.files)
    from ocop_scoring.store import OPERATOR

    count = store.enter_cards(args.session, OPERATOR, entries, submit=not args.draft)
    print(f"{count} scorecard(s) imported into {args.session}{' as drafts' if args.draft else ''}", file=sys.stderr)
    return EXIT_OK


def cmd_scoring_sheets(args: argparse.Namespace) -> int:
    """``ocop session scoring-sheets``."""
    from ocop_scoring.xlsx_sheets import ScoringSheetMeta, write_scoring_sheet

    store = _store(args)
    state = store.state(args.session)
    sheets = store.sheets(args.session)
    args.out.mkdir(parents=True, exist_ok=True)
    count = 0
    for product in state.products:
        if args.product and product.product_id not in args.product:
            continue
        sheet = sheets[product.sheet_id]
        for member in state.scoring_members:
            if args.member and member.member_id not in args.member:
                continue
            if state.recusal(product.product_id, member.member_id) is not None:
                continue
            card = state.card(product.product_id, member.member_id)
            meta = ScoringSheetMeta(
                args.session, product.product_id, member.member_id, sheet.sheet_id, sheet.sha256, product.round
            )
            write_scoring_sheet(
                args.out / f"{product.product_id}_{member.member_id}.xlsx",
                sheet,
                meta,
                product_name=product.name,
                product_code=product.product_code,
                producer=product.producer,
                member_name=member.name,
                session_name=state.session.name,
                choices=dict(card.choices) if card else None,
                comment=card.comment if card else "",
            )
            count += 1
    print(f"{count} scoring sheet(s) written to {args.out}", file=sys.stderr)
    return EXIT_OK


def status_data(store: Any, session_id: str) -> dict[str, Any]:
    """What ``status`` reports, as data."""
    state = store.state(session_id)
    result = store.results(session_id, state)
    needed = state.quorum_needed()
    products = []
    for p in state.products:
        progress = {m.member_id: state.progress(p.product_id, m.member_id) for m in state.scoring_members}
        submitted = sum(1 for v in progress.values() if v == "submitted")
        entry: dict[str, Any] = {
            "product_id": p.product_id,
            "name": p.name,
            "sheet_id": p.sheet_id,
            "round": p.round,
            "progress": progress,
            "submitted": submitted,
            "quorum": submitted >= needed,
            "knockout": p.knockout,
        }
        if p.product_id in result:
            r = result.product(p.product_id)
            entry.update(mean_total=r.mean_text, stars=r.stars, spread=r.spread, needs_discussion=r.needs_discussion)
        products.append(entry)
    s = state.session
    return {
        "session": s.session_id,
        "name": s.name,
        "status": s.status,
        "ruleset": s.ruleset_id,
        "level": s.level,
        "quorum": f"{s.quorum.numerator}/{s.quorum.denominator}",
        "quorum_needed": needed,
        "members": len(state.scoring_members),
        "audit_entries": s.head_seq,
        "head_hash": s.head_hash,
        "products": products,
    }


def cmd_status(args: argparse.Namespace) -> int:
    """``ocop session status``."""
    data = status_data(_store(args), args.session)
    if args.format == "json":
        print(json.dumps(data, ensure_ascii=False, indent=1))
        return EXIT_OK
    print(f"{data['session']}: {data['name']} [{data['status']}] {data['ruleset']} {data['level']}")
    print(
        f"  {data['members']} scoring members; quorum {data['quorum']} = {data['quorum_needed']} submitted cards per product"
    )
    marks = {"submitted": "S", "draft": "d", "not_started": ".", "recused": "r"}
    for p in data["products"]:
        grid = "".join(marks[v] for v in p["progress"].values())
        result = f"{p.get('mean_total', '-'):>6} {p.get('stars', '-')}★" if "mean_total" in p else "     -"
        flags = []
        if p["knockout"]:
            flags.append("knocked out")
        if not p["quorum"]:
            flags.append("below quorum")
        if p.get("needs_discussion"):
            flags.append(f"spread {p['spread']}: discuss")
        print(f"  {p['product_id']:<8} r{p['round']} {grid} {p['submitted']:>2} {result}  {', '.join(flags)}")
    print("  (S submitted, d draft, . not started, r recused)")
    print(f"  audit: {data['audit_entries']} entries, head {data['head_hash'][:16]}…")
    return EXIT_OK


def cmd_results(args: argparse.Namespace) -> int:
    """``ocop session results``: the same output as ``ocop score``."""
    from ocop_scoring.cli import print_result

    store = _store(args)
    return print_result(store.results(args.session), args.format, args.explain, args.lang)


def cmd_reopen(args: argparse.Namespace) -> int:
    """``ocop session reopen``."""
    from ocop_scoring.store import OPERATOR

    _store(args).reopen(args.session, OPERATOR, args.product, args.member, args.reason)
    print(f"reopened {args.product}/{args.member}", file=sys.stderr)
    return EXIT_OK


def cmd_recuse(args: argparse.Namespace) -> int:
    """``ocop session recuse``."""
    from ocop_scoring.store import OPERATOR

    _store(args).recuse(args.session, OPERATOR, args.product, args.member, args.reason)
    print(f"{args.member} recused from {args.product}", file=sys.stderr)
    return EXIT_OK


def cmd_knockout(args: argparse.Namespace) -> int:
    """``ocop session knockout``: reject, withdraw, or keep a product a knock-out rule flags."""
    from ocop_scoring.store import OPERATOR

    store = _store(args)
    reason = args.reason
    if reason is None:
        if args.clear or args.keep:
            raise _OcopError("knockout: --reason is required to withdraw a knock-out or to keep a flagged product")
        reason = _triggered_note(store, args.session, args.product)
        if reason is None:
            raise _OcopError(
                f"knockout: --reason is required (no knock-out rule of product {args.product}'s sheet is triggered "
                "by its ticks)"
            )
        print(f"reason (the sheet's knock-out note): {reason}")
    if args.clear:
        store.clear_knockout(args.session, OPERATOR, args.product, reason)
    elif args.keep:
        store.keep_despite_knockout(args.session, OPERATOR, args.product, reason)
    else:
        store.knock_out(args.session, OPERATOR, args.product, reason)
    return EXIT_OK


def _triggered_note(store: Any, session_id: str, product_id: str) -> str | None:
    """The knock-out note(s) the product's ticks trigger, as a reason ("criterion 6.1: …"), or None."""
    state = store.state(session_id)
    result = store.results(session_id, state)
    if product_id not in result:
        return None
    flags = result.product(product_id).knockout_triggered
    if not flags:
        return None
    sheet = store.sheet(session_id, state.product(product_id).sheet_id)
    return "; ".join(f"tiêu chí {f.criterion}: {sheet.criterion(f.criterion).knockout_vi[f.note]}" for f in flags)


def cmd_recognise(args: argparse.Namespace) -> int:
    """``ocop session recognise``: record the recognition decision (an audit entry)."""
    store = _store(args)
    decision = store.recognise(args.session, args.decision, args.date, args.products)
    print(f"recorded decision {decision.number} of {decision.signed_on}: recognised {', '.join(decision.products)}")
    return EXIT_OK


def cmd_import_central_result(args: argparse.Namespace) -> int:
    """``ocop session import-central-result``: the Ministry's results for the forwarded products."""
    from ocop_scoring.errors import Problem, ScoresInputError, verbatim

    shown = str(args.file)
    try:
        document = json.loads(args.file.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ScoresInputError(
            shown, [Problem(shown, None, "file", "a readable file", verbatim(str(exc.strerror)))]
        ) from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        line = getattr(exc, "lineno", None)
        raise ScoresInputError(
            shown, [Problem(shown, line, "json", "the JSON of `ocop score --format json`", verbatim(str(exc)))]
        ) from None
    store = _store(args)
    decision = store.import_central_result(args.session, document, args.decision, args.date, name=shown)
    for r in decision.results:
        print(f"{r.product_id}: {r.mean_total} ({r.stars}★) at the central council")
    return EXIT_OK


def cmd_new_round(args: argparse.Namespace) -> int:
    """``ocop session new-round``."""
    from ocop_scoring.store import OPERATOR

    n = _store(args).open_round(args.session, OPERATOR, args.product, args.reason)
    print(f"product {args.product}: round {n} opened", file=sys.stderr)
    return EXIT_OK


def cmd_finalise(args: argparse.Namespace) -> int:
    """``ocop session finalize``."""
    digest = _store(args).finalise(args.session)
    print(f"session {args.session} finalised; results sha256 {digest}")
    return EXIT_OK


def cmd_verify(args: argparse.Namespace) -> int:
    """``ocop session verify``: exit 1 when anything does not check out."""
    report = _store(args).verify(args.session)
    for problem in report.problems:
        print(problem)
    verdict = "OK" if report.ok else f"{len(report.problems)} PROBLEM(S)"
    print(f"{args.session}: {report.entries} audit entries, head {report.head_hash}: {verdict}", file=sys.stderr)
    return EXIT_OK if report.ok else EXIT_PROBLEMS


def cmd_audit(args: argparse.Namespace) -> int:
    """``ocop session audit``."""
    entries = _store(args).audit_log(args.session)
    if args.format == "json":
        print(json.dumps([_entry_dict(e) for e in entries], ensure_ascii=False, indent=1))
        return EXIT_OK
    for e in entries:
        target = " ".join(f"{k}={v}" for k, v in e.target)
        reason = f"  ({e.reason})" if e.reason else ""
        print(
            f"{e.seq:>6} {e.at} {e.actor:<10} {e.action:<14} {target} {json.dumps(e.after, ensure_ascii=False)}{reason}"
        )
    return EXIT_OK


def _entry_dict(e: Any) -> dict[str, Any]:
    return {
        "seq": e.seq,
        "at": e.at,
        "actor": e.actor,
        "action": e.action,
        "target": dict(e.target),
        "before": e.before,
        "after": e.after,
        "reason": e.reason,
        "hash": e.hash,
    }


def cmd_export(args: argparse.Namespace) -> int:
    """``ocop session export``."""
    from ocop_scoring.store.session_file import dumps

    doc = _store(args).export_session(args.session)
    tmp = args.out.with_name(args.out.name + ".tmp")
    tmp.write_bytes(dumps(doc))
    tmp.replace(args.out)
    print(f"wrote {args.out} ({len(doc['cards'])} cards, {len(doc['audit'])} audit entries)", file=sys.stderr)
    return EXIT_OK


def cmd_links(args: argparse.Namespace) -> int:
    """``ocop session links``."""
    from ocop_scoring.serve import session_links

    links = session_links(_store(args), args.session, args.base_url or "http://127.0.0.1:8866/")
    if args.format == "json":
        print(json.dumps(links.as_json(), ensure_ascii=False, indent=1))
        return EXIT_OK
    print(f"projector (màn chiếu):  {links.council}")
    if links.secretary:
        print(f"secretary (thư ký):     {links.secretary}")
    print(f"criteria (bộ tiêu chí): {links.criteria}")
    print(f"programme (chương trình): {links.programme}")
    for member_id, url in links.members.items():
        print(f"{member_id} {links.names[member_id]}: {url}")
    return EXIT_OK


@command
def _register_serve(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("serve", help="serve the council pages (Voilà) for a session; prints the links to open")
    p.add_argument("session", nargs="?", default=None, help="the session (default: the store's only open session)")
    p.add_argument(
        "--store", default=None, help="SQLAlchemy URL or SQLite file (default: $OCOP_STORE, else the embedded file)"
    )
    p.add_argument("--port", type=int, default=8866)
    p.add_argument(
        "--lan", action="store_true", help="listen on the machine's LAN address (tablets in the room), not 127.0.0.1"
    )
    p.add_argument("--demo", action="store_true", help="create (once) and serve the demo council")
    p.add_argument(
        "--pool", type=int, default=None, help="preheated member kernels (default: one per scoring member, at most 16)"
    )
    p.add_argument("--no-preheat", action="store_true", help="start each page's kernel on request instead")
    p.add_argument("--cull-idle", type=int, default=900, help="shut down a kernel idle this many seconds (default 900)")
    p.add_argument("--base-url", default=None, help="the address printed in links (e.g. behind a proxy)")
    p.set_defaults(handler=cmd_serve)


def cmd_serve(args: argparse.Namespace) -> int:
    """``ocop serve``."""
    from ocop_scoring.cli import _library
    from ocop_scoring.serve import serve

    return serve(
        store_arg=args.store,
        session=args.session,
        port=args.port,
        lan=args.lan,
        demo_=args.demo,
        pool=args.pool,
        preheat=not args.no_preheat,
        cull_idle=args.cull_idle,
        base_url=args.base_url,
        library=_library(args),
    )


def cmd_import(args: argparse.Namespace) -> int:
    """``ocop session import``."""
    from ocop_scoring.store.session_file import read_session_file

    doc = read_session_file(args.file)
    session = _store(args).import_session(doc, name=str(args.file))
    print(
        f"imported session {session.session_id}; members have new personal links (ocop session links {session.session_id})",
        file=sys.stderr,
    )
    return EXIT_OK


@command
def _register_report(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "report", help="the published report: recomputed, checked, explained (HTML, PDF, executed notebook)"
    )
    p.add_argument("session", help="a session of the store, a session file (ocop session export) or a scores CSV")
    p.add_argument(
        "--out", type=Path, required=True, help="folder for report.html, report.pdf, report.ipynb, results.csv"
    )
    p.add_argument(
        "--format",
        action="append",
        choices=("html", "pdf", "ipynb"),
        default=None,
        help="repeatable (default: html and pdf)",
    )
    p.add_argument(
        "--store", default=None, help="SQLAlchemy URL or SQLite file (default: $OCOP_STORE, else the embedded file)"
    )
    p.add_argument("--ruleset", default=None, help="a scores CSV's rule set (default qd26-2026)")
    p.add_argument("--rejections", type=Path, default=None, help="a scores CSV's knock-outs (product_id,reason)")
    p.add_argument("--lang", choices=("vi", "en"), default="vi")
    p.set_defaults(handler=cmd_report)


def source_file(args: argparse.Namespace, out: Path) -> Path:
    """A report's input: the file given, or the store session exported into ``out/session.json``."""
    path = Path(args.session)
    if path.exists():
        return path
    from ocop_scoring.store.session_file import dumps

    doc = _store(args).export_session(args.session)
    out.mkdir(parents=True, exist_ok=True)
    target = out / "session.json"
    target.write_bytes(dumps(doc))
    return target


def cmd_report(args: argparse.Namespace) -> int:
    """``ocop report``."""
    from ocop_scoring.report import run_report

    source = source_file(args, args.out)
    formats = tuple(args.format or ("html", "pdf"))
    written = run_report(
        source, args.out, formats=formats, ruleset=args.ruleset, lang=args.lang, rejections=args.rejections
    )
    for kind in ("html", "pdf", "ipynb", "csv"):
        if kind in written and (kind in formats or kind in ("csv", "ipynb")):
            print(written[kind])
    return EXIT_OK


@command
def _register_documents(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "documents", help="the council's documents: filled sheets, summary table, minutes, 5★ list (XLSX, PDF)"
    )
    p.add_argument("session", help="a session of the store or a session file (ocop session export)")
    p.add_argument("--out", type=Path, required=True)
    p.add_argument(
        "--format", action="append", choices=("xlsx", "pdf"), default=None, help="repeatable (default: both)"
    )
    p.add_argument(
        "--store", default=None, help="SQLAlchemy URL or SQLite file (default: $OCOP_STORE, else the embedded file)"
    )
    p.set_defaults(handler=cmd_documents)


def cmd_documents(args: argparse.Namespace) -> int:
    """``ocop documents``."""
    from ocop_scoring.documents import write_documents
    from ocop_scoring.errors import OcopError
    from ocop_scoring.report import SessionReport, load_source

    source = source_file(args, args.out)
    src = load_source(source)
    if src.state is None:
        raise OcopError("documents need a council session (a session of the store or a session file), not a scores CSV")
    written = write_documents(SessionReport(src, "vi"), args.out, formats=tuple(args.format or ("xlsx", "pdf")))
    print(f"{len(written.xlsx)} XLSX and {len(written.pdf)} PDF document(s) in {args.out}", file=sys.stderr)
    return EXIT_OK
