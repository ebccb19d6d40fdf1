"""Run the benchmarks and print their figures against their targets.

    python benchmarks/run.py                 # every benchmark (benchmarks/bench_*.py)
    python benchmarks/run.py scoring         # only benchmarks/bench_scoring.py
    python benchmarks/run.py scoring --products 2000

A benchmark is a module ``benchmarks/bench_<name>.py`` exposing

    def run(args) -> dict                    # required
    def add_arguments(parser) -> None        # optional: its command-line options

``run`` returns ``{"figures": [...], "info": {...}}``; each figure is a dict with
``name``, ``label``, ``value``, ``unit`` ("s", "x", "MiB", …) and optionally
``target`` with ``op`` ("<=" or ">="). A figure beyond its target is reported
as MISS, never raised: speed targets are not assertions. A benchmark that
raises (e.g. a correctness cross-check failing) is reported and makes the run
exit 1. The figures are also written to ``benchmarks/out/<name>.json``.

Keep heavy imports inside ``run`` so that ``--help`` and other benchmarks stay fast.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import importlib
import json
import os
import platform
import sys
import time
import traceback
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
OUT = HERE / "out"


def available() -> list[str]:
    """Names of the benchmark modules, sorted."""
    return sorted(p.stem.removeprefix("bench_") for p in HERE.glob("bench_*.py"))


def load(name: str) -> Any:
    """Import ``benchmarks/bench_<name>.py``."""
    if str(HERE) not in sys.path:
        sys.path.insert(0, str(HERE))
    return importlib.import_module(f"bench_{name}")


def status(figure: dict[str, Any]) -> str:
    """PASS / MISS against the figure's target, "" when it has none."""
    target, value = figure.get("target"), figure.get("value")
    if target is None or value is None:
        return ""
    ok = value <= target if figure.get("op", "<=") == "<=" else value >= target
    return "PASS" if ok else "MISS"


def fmt(value: Any, unit: str = "") -> str:
    """A value with its unit, for the table."""
    if value is None:
        return "-"
    if unit == "s":
        return f"{value * 1000:.1f} ms" if value < 1 else f"{value:.2f} s"
    if unit == "x":
        return f"{value:.1f}×"
    if isinstance(value, float):
        return f"{value:,.1f} {unit}".rstrip()
    if isinstance(value, int):
        return f"{value:,} {unit}".rstrip()
    return f"{value} {unit}".rstrip()


def print_table(name: str, result: dict[str, Any]) -> None:
    """The figures of one benchmark as an aligned table."""
    rows = [("figure", "value", "target", "")]
    for f in result.get("figures", []):
        target = "" if f.get("target") is None else f"{f.get('op', '<=')} {fmt(f['target'], f.get('unit', ''))}"
        rows.append((f["label"], fmt(f.get("value"), f.get("unit", "")), target, status(f)))
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    print(f"\n== {name} ==")
    for i, r in enumerate(rows):
        print(f"  {r[0]:<{widths[0]}}  {r[1]:>{widths[1]}}  {r[2]:<{widths[2]}}  {r[3]}".rstrip())
        if i == 0:
            print("  " + "  ".join("-" * w for w in widths))
    for key, value in result.get("info", {}).items():
        if isinstance(value, dict) and all(not isinstance(v, dict | list) for v in value.values()):
            value = ", ".join(f"{k} {v}" for k, v in value.items())
        if not isinstance(value, dict | list):
            print(f"  {key}: {value}")


def machine() -> dict[str, Any]:
    """Where the figures were measured."""
    info: dict[str, Any] = {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
    }
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                info["cpu"] = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return info


def build_parser(names: list[str], modules: dict[str, Any]) -> argparse.ArgumentParser:
    """The command line: benchmark names, then every benchmark's own options."""
    parser = argparse.ArgumentParser(
        prog="run.py",
        description="Run the benchmarks (benchmarks/README.md).",
    )
    parser.add_argument(
        "names",
        nargs="*",
        metavar="NAME",
        help=f"benchmarks to run (default: all of {', '.join(names)})",
    )
    parser.add_argument("--out", type=Path, default=OUT, help="folder of the JSON figures (default: %(default)s)")
    for name, module in modules.items():
        adder = getattr(module, "add_arguments", None)
        if adder is None:
            continue
        adder(_SharedOptions(parser.add_argument_group(f"{name} options")))
    return parser


class _SharedOptions:
    """An argument group that skips an option another benchmark already defined.

    Benchmarks share options by name (``--products``, ``--repeat``…): the first
    definition serves every benchmark that reads it from ``args``.
    """

    def __init__(self, group: argparse._ArgumentGroup) -> None:
        self._group = group

    def add_argument(self, *names: str, **kwargs: Any) -> None:
        with contextlib.suppress(argparse.ArgumentError):
            self._group.add_argument(*names, **kwargs)


def main(argv: list[str] | None = None) -> int:
    """Run the benchmarks asked for; exit 1 if one of them failed (not for a missed target)."""
    names = available()
    modules = {name: load(name) for name in names}
    parser = build_parser(names, modules)
    args = parser.parse_args(argv)
    unknown = [n for n in args.names if n not in modules]
    if unknown:
        parser.error(f"unknown benchmark {', '.join(unknown)} (available: {', '.join(names)})")
    selected = args.names or names
    args.out.mkdir(parents=True, exist_ok=True)
    failed: list[str] = []
    for name in selected:
        print(f"[bench] {name} …", file=sys.stderr, flush=True)
        started = time.perf_counter()
        try:
            result = modules[name].run(args)
        except Exception:  # report it, run the others, exit 1  # noqa: BLE001 - a failing benchmark is reported and the others still run
            traceback.print_exc()
            print(f"[bench] {name} FAILED", file=sys.stderr)
            failed.append(name)
            continue
        for f in result.get("figures", []):
            f["status"] = status(f)
        record = {
            "benchmark": name,
            "measured_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "wall_s": round(time.perf_counter() - started, 3),
            "machine": machine(),
            "args": {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()},
            **result,
        }
        path = args.out / f"{name}.json"
        path.write_text(json.dumps(record, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        print_table(name, result)
        print(f"  figures written to {path}")
    if failed:
        print(f"\n[bench] failed: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
