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


def best_choices(sheet: Sheet) -> dict[str, int]:
    """The option with the most points on every scored criterion."""
    return {leaf.code: max(leaf.options, key=lambda o: (o.points, -o.number)).number for leaf in sheet.leaves}


def worst_choices(sheet: Sheet) -> dict[str, int]:
    """The option with the fewest points on every scored criterion."""
    return {leaf.code: min(leaf.options, key=lambda o: (o.points, o.number)).number for leaf in sheet.leaves}


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
