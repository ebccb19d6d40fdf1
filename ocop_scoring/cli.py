"""The ``ocop`` command line: a thin layer over the library, a stable contract for scripts.

Exit codes: 0 success; 1 ``sheets validate`` found problems; 2 bad input or
usage (one clear message per problem, never a traceback); 3 an unexpected
internal error (the message says where the traceback was written).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import traceback
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from ocop_scoring.errors import OcopError, ProblemsError

EXIT_OK, EXIT_PROBLEMS, EXIT_INPUT, EXIT_INTERNAL = 0, 1, 2, 3

Handler = Callable[[argparse.Namespace], int]
_COMMANDS: list[Callable[[argparse._SubParsersAction], None]] = []


def command(register: Callable[[argparse._SubParsersAction], None]) -> Callable[[argparse._SubParsersAction], None]:
    """Register a function that adds a sub-command to the parser."""
    _COMMANDS.append(register)
    return register


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # usage errors exit 2 like bad input
        self.print_usage(sys.stderr)
        self.exit(EXIT_INPUT, f"ocop: error: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    """The whole command line."""
    parser = _Parser(prog="ocop", description="OCOP council scoring toolkit (Decision 26/2026/QĐ-TTg and earlier).")
    parser.add_argument(
        "--criteria-dir", type=Path, default=None, help="criteria folder (default: the official sheets)"
    )
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    for register in _COMMANDS:
        register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; never lets a traceback reach the user."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.handler(args))
    except ProblemsError as exc:
        _print_problems(exc)
        return EXIT_INPUT
    except OcopError as exc:
        print(f"ocop: error: {exc}", file=sys.stderr)
        return EXIT_INPUT
    except KeyboardInterrupt:
        print("ocop: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return EXIT_OK
    except Exception:  # noqa: BLE001 - the last line of defence: no traceback on screen
        fd, name = tempfile.mkstemp(prefix="ocop-error-", suffix=".log")
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            traceback.print_exc(file=f)
        print(
            f"ocop: internal error ({sys.exc_info()[1]!r}); details written to {name}. Please report it.",
            file=sys.stderr,
        )
        return EXIT_INTERNAL


def _print_problems(exc: ProblemsError) -> None:
    count = len(exc.problems)
    print(f"ocop: {count} problem{'s' if count != 1 else ''} in {exc.path}:", file=sys.stderr)
    for problem in exc.problems:
        print(_problem_line(problem), file=sys.stderr)


def _problem_line(problem: Any) -> str:
    """``file: line N: key: expected …, got …`` (the form the issue fixes for scores files)."""
    text = str(problem)
    if problem.line:
        prefix = f"{problem.path}:{problem.line}: "
        if text.startswith(prefix):
            return f"{problem.path}: line {problem.line}: {text[len(prefix) :]}"
    return text


def _library(args: argparse.Namespace) -> Any:
    from ocop_scoring.criteria_io import load_library

    return load_library(args.criteria_dir)


# --- sheets ----------------------------------------------------------------------------------------


@command
def _register_sheets(sub: argparse._SubParsersAction) -> None:
    sheets = sub.add_parser("sheets", help="list, show and validate criteria sheets")
    ssub = sheets.add_subparsers(dest="sheets_command", required=True, parser_class=_Parser)
    p = ssub.add_parser("list", help="id, classification and title of every sheet")
    p.add_argument("--ruleset", default=None, help="only the sheets of this rule set")
    p.add_argument("--format", choices=("table", "json"), default="table")
    p.set_defaults(handler=cmd_sheets_list)
    p = ssub.add_parser("show", help="a sheet's criteria, options, points and star markers")
    p.add_argument("sheet_id")
    p.add_argument("--lang", choices=("vi", "en"), default="vi")
    p.add_argument("--format", choices=("text", "json"), default="text")
    p.set_defaults(handler=cmd_sheets_show)
    p = ssub.add_parser("validate", help="check sheet and rule-set files; exit 1 on any problem")
    p.add_argument("paths", nargs="*", type=Path, help="files or folders (default: the criteria folder)")
    p.set_defaults(handler=cmd_sheets_validate)


def cmd_sheets_list(args: argparse.Namespace) -> int:
    """``ocop sheets list``."""
    lib = _library(args)
    rows = []
    for sheet in sorted(lib.sheets.values(), key=lambda s: s.sheet_id):
        if args.ruleset and sheet.ruleset_id != args.ruleset:
            continue
        c = sheet.classification
        rows.append(
            {
                "id": sheet.sheet_id,
                "ruleset": sheet.ruleset_id,
                "classification": c.path if c else "",
                "sector": c.sector_vi if c else "",
                "group": c.group_vi if c else "",
                "title_vi": sheet.title_vi,
                "title_en": sheet.title_en or "",
                "leaves": len(sheet.leaves),
                "sha256": sheet.sha256,
            }
        )
    if args.format == "json":
        print(json.dumps(rows, ensure_ascii=False, indent=2))
        return EXIT_OK
    for r in rows:
        print(f"{r['id']}  {r['classification']:<7} {r['title_vi']}")
    return EXIT_OK


def cmd_sheets_show(args: argparse.Namespace) -> int:
    """``ocop sheets show ID``."""
    from ocop_scoring.criteria_io import sheet_to_data

    lib = _library(args)
    sheet = lib.sheet(args.sheet_id)
    if args.format == "json":
        print(json.dumps(sheet_to_data(sheet), ensure_ascii=False, indent=2))
        return EXIT_OK
    en = args.lang == "en"
    c = sheet.classification
    print(f"{sheet.sheet_id}: {(sheet.title_en if en and sheet.title_en else sheet.title_vi)}")
    if c:
        sub = f" / {c.subgroup_code}. {c.subgroup_vi}" if c.subgroup_code else ""
        print(f"  {c.sector_code}. {c.sector_vi} / {c.group_code}. {c.group_vi}{sub}  [{c.path}]")
    print(f"  source: {sheet.source}")
    print(f"  sha256: {sheet.sha256}")
    for line in sheet.dossier_knockouts_vi:
        print(f"  ✗ {line}")
    for part in sheet.parts:
        label = part.label_en if en and part.label_en else part.label_vi
        print(f"\n{part.code}  {label}  [{part.max_points}]")
        if part.anomaly:
            print(f"    ! {part.anomaly.note_en if en and part.anomaly.note_en else part.anomaly.note_vi}")
        for group in part.groups:
            for node in group.walk():
                depth = {"group": 1, "criterion": 2, "sub_criterion": 3}[node.kind]
                pad = "  " * depth
                text = node.text_en if en and node.text_en else node.text_vi
                print(f"{pad}{node.code}  {text}  [{node.max_points}]")
                inner = pad + "    "
                if node.anomaly:
                    print(f"{inner}! {node.anomaly.note_en if en and node.anomaly.note_en else node.anomaly.note_vi}")
                if node.condition:
                    print(
                        f"{inner}? {node.condition.note_vi} (counts only when {node.condition.criterion} >= {node.condition.min_points})"
                    )
                for case in node.cases:
                    print(f"{inner}case {case.code}: {case.text_vi}")
                for note in node.notes_vi:
                    print(f"{inner}note: {note}")
                for note in node.knockout_vi:
                    print(f"{inner}✗ {note}")
                for o in node.options:
                    star = f" {'*' * o.star}" if o.star else ""
                    case = f"({o.case}) " if o.case else ""
                    text = o.text_en if en and o.text_en else o.text_vi
                    print(f"{inner}{o.number}. {case}{text} = {o.points}{star}")
                    if o.anomaly:
                        print(f"{inner}   ! {o.anomaly.note_en if en and o.anomaly.note_en else o.anomaly.note_vi}")
    return EXIT_OK


def cmd_sheets_validate(args: argparse.Namespace) -> int:
    """``ocop sheets validate [PATH…]``: every problem of every file, exit 1 if any."""
    from ocop_scoring.criteria_io import default_criteria_dir, load_ruleset, load_rulesets, validate_sheet_file
    from ocop_scoring.errors import RuleSetError

    base = args.criteria_dir or default_criteria_dir()
    targets = list(args.paths) or [base]
    files: list[Path] = []
    for target in targets:
        if target.is_dir():
            files.extend(sorted(target.rglob("*.yaml")))
        else:
            files.append(target)
    problems: list[Any] = []
    try:
        rulesets = load_rulesets(base)
    except RuleSetError as exc:
        problems.extend(exc.problems)
        rulesets = {}
    checked = 0
    for path in files:
        checked += 1
        if path.parent.name == "rulesets":
            try:
                load_ruleset(path)
            except RuleSetError as exc:
                if not any(p.path == str(path) for p in problems):
                    problems.extend(exc.problems)
            continue
        problems.extend(validate_sheet_file(path, rulesets))
    for problem in problems:
        print(str(problem))
    bad_files = len({p.path for p in problems})
    summary = f"{checked} file{'s' if checked != 1 else ''} checked, {len(problems)} problem{'s' if len(problems) != 1 else ''}"
    if problems:
        summary += f" in {bad_files} file{'s' if bad_files != 1 else ''}"
    print(summary, file=sys.stderr)
    return EXIT_PROBLEMS if problems else EXIT_OK


# --- score -----------------------------------------------------------------------------------------


@command
def _register_score(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("score", help="score a council: means, bands, star minimums, ranks, explanations")
    p.add_argument(
        "scores",
        nargs="?",
        type=Path,
        help="scores CSV (product_id,sheet_id,member_id,criterion,option), or a session file (ocop session export)",
    )
    p.add_argument("--demo", action="store_true", help="score the bundled demo council")
    add_rule_options(p)
    p.add_argument("--rejections", type=Path, default=None, help="CSV product_id,reason of knocked-out products")
    p.add_argument("--format", choices=("json", "table", "csv"), default="table")
    p.add_argument(
        "--explain",
        metavar="PRODUCT_ID",
        action="append",
        default=None,
        help="print this product's whole calculation (repeatable; 'all' for every product)",
    )
    p.add_argument("--lang", choices=("vi", "en"), default="vi", help="language of tables and explanations")
    p.set_defaults(handler=cmd_score)


def add_rule_options(p: argparse.ArgumentParser) -> None:
    """The council-rule options shared by ``score`` and ``session create``."""
    p.add_argument("--ruleset", default=None, help="rule set id (default: the session's, else qd26-2026)")
    p.add_argument(
        "--minimum-rule",
        choices=("mean", "every-member", "none"),
        default=None,
        help="how star minimums are checked (default: mean)",
    )
    p.add_argument(
        "--spread-threshold",
        type=int,
        default=None,
        help="discussion when the spread of member totals exceeds this (default 10)",
    )
    p.add_argument(
        "--spread-inclusive",
        action="store_true",
        default=None,
        help="flag a spread equal to the threshold too (>= instead of >)",
    )
    p.add_argument(
        "--level", default=None, help="the council's rating level (default: the rule set's first, e.g. province)"
    )
    p.add_argument(
        "--on",
        dest="sitting_date",
        type=_iso_date,
        default=None,
        help="the date the council sits, YYYY-MM-DD (a rule set's amendments apply from their date, e.g. 1489/2025)",
    )


def _iso_date(text: str) -> str:
    from datetime import date

    try:
        return date.fromisoformat(text).isoformat()
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a date YYYY-MM-DD, got {text!r}") from None


def rules_from_args(args: argparse.Namespace, base: Any = None) -> Any:
    """Council rules from the command line over ``base`` (a session's rules) or the defaults."""
    from attrs import evolve

    from ocop_scoring.model import CouncilRules

    rules = base or CouncilRules()
    changes: dict[str, Any] = {}
    if args.minimum_rule is not None:
        changes["minimum_rule"] = args.minimum_rule
    if args.spread_threshold is not None:
        changes["spread_threshold"] = args.spread_threshold
    if args.spread_inclusive:
        changes["spread_strict"] = False
    if args.level is not None:
        changes["level"] = args.level
    if getattr(args, "sitting_date", None) is not None:
        changes["on"] = args.sitting_date
    return evolve(rules, **changes) if changes else rules


def cmd_score(args: argparse.Namespace) -> int:
    """``ocop score``."""
    from ocop_scoring.errors import OcopError as _OcopError
    from ocop_scoring.model import Rejection
    from ocop_scoring.scores_io import read_rejections_csv, read_scores_csv
    from ocop_scoring.scoring import score_council

    lib = _library(args)
    if args.demo:
        from ocop_scoring.demo import demo_dir

        args.scores = demo_dir() / "scores.csv"
        if args.rejections is None:
            args.rejections = demo_dir() / "rejections.csv"
    if args.scores is None:
        raise _OcopError("score: give a scores CSV (or a session file), or --demo")
    rejections = read_rejections_csv(args.rejections) if args.rejections else []
    base_rules = None
    ruleset_id = args.ruleset
    sheets = lib.sheets
    state = None
    if _is_session_file(args.scores):
        from ocop_scoring.scoring import build_card_set
        from ocop_scoring.store.session_file import pinned_from_document, read_session_file, state_from_document

        doc = read_session_file(args.scores)
        state = state_from_document(doc)
        pinned_ruleset, sheets = pinned_from_document(doc)
        if ruleset_id not in (None, pinned_ruleset.ruleset_id):
            raise _OcopError(f"the session was scored under rule set {pinned_ruleset.ruleset_id}, not {ruleset_id}")
        ruleset_id = pinned_ruleset.ruleset_id
        base_rules = state.session.rules
        cards = build_card_set(
            [c.as_scorecard(p.sheet_id) for p in state.products for c in state.submitted_cards(p.product_id)], sheets
        )
        rejections = list(rejections) + [Rejection(p.product_id, p.knockout) for p in state.products if p.knockout]
        ruleset = pinned_ruleset
    else:
        cards = read_scores_csv(args.scores, sheets)
        ruleset = lib.ruleset(ruleset_id or "qd26-2026")
    for block in cards.blocks:
        sheet = sheets[block.sheet_id]
        if sheet.ruleset_id != ruleset.ruleset_id:
            raise _OcopError(
                f"sheet {sheet.sheet_id} belongs to rule set {sheet.ruleset_id}, not {ruleset.ruleset_id} (use --ruleset {sheet.ruleset_id})"
            )
    result = score_council(cards, sheets, ruleset, rules_from_args(args, base_rules), rejections)
    result.state = state  # a session file's recorded decisions (the JSON's "recognition")
    return print_result(result, args.format, args.explain, args.lang)


def _is_session_file(path: Path) -> bool:
    """A session file (``ocop session export``) rather than a scores CSV: it is JSON."""
    if path.suffix.lower() == ".json":
        return True
    try:
        with path.open("rb") as f:
            return f.read(64).lstrip().startswith(b"{")
    except OSError:
        return False


def print_result(result: Any, fmt: str, explain: list[str] | None, lang: str) -> int:
    """Print results as ``ocop score`` does: a table, JSON, CSV, or explanations."""
    if explain:
        return _print_explanations(result, explain, lang)
    from ocop_scoring.score_output import write_csv, write_json

    if fmt == "json":
        write_json(result, sys.stdout)
    elif fmt == "csv":
        write_csv(result, sys.stdout)
    else:
        _print_table(result, lang)
    return EXIT_OK


def _print_explanations(result: Any, wanted: list[str], lang: str) -> int:
    from ocop_scoring.errors import ScorecardError
    from ocop_scoring.explain import render_text

    ids = list(result.product_ids) if "all" in wanted else wanted
    for pid in ids:
        if pid not in result:
            raise ScorecardError(
                f"--explain: no scorecards for product {pid!r} (products: {', '.join(result.product_ids[:10])}{' …' if len(result) > 10 else ''})"
            )
    for i, pid in enumerate(ids):
        if i:
            print("\n" + "=" * 80 + "\n")
        print(render_text(result.explain(pid), lang))
    return EXIT_OK


def _print_table(result: Any, lang: str) -> None:
    """The results table of ``ocop score --format table`` (and ``ocop demo``), with the rules' footer."""
    from ocop_scoring.score_output import write_table

    write_table(result, sys.stdout, lang)


# --- demo ------------------------------------------------------------------------------------------


@command
def _register_demo(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("demo", help="score the bundled demo council and print every explained result")
    p.add_argument("--lang", choices=("vi", "en"), default="vi")
    p.set_defaults(handler=cmd_demo)


def cmd_demo(args: argparse.Namespace) -> int:
    """``ocop demo``: the results table, then every product's calculation."""
    args.demo, args.scores, args.rejections, args.ruleset = True, None, None, None
    args.minimum_rule = args.spread_threshold = args.spread_inclusive = args.level = None
    args.format, args.explain = "table", None
    cmd_score(args)
    print()
    args.explain = ["all"]
    return cmd_score(args)


from ocop_scoring import cli_session  # noqa: E402, F401 - registers `ocop session …`

if __name__ == "__main__":  # `python -m ocop_scoring.cli`: run the imported module, where commands registered
    from ocop_scoring.cli import main as _main

    raise SystemExit(_main())
