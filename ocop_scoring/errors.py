"""Every error ocop_scoring raises on purpose.

Layer: errors (bottom). Imports: nothing from ocop_scoring.

Each exception keeps its structured fields as attributes and passes them to
``Exception.__init__`` in constructor order, so that it pickles (kernels and
worker processes send errors across process boundaries).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Self

from attrs import frozen


class OcopError(Exception):
    """Base class: anything the user can fix. Views and the CLI show these.

    The message (``str(exc)``) is English, for logs, the command line and scripts. An error a
    council page can show also carries ``key`` and ``params``: the pages say it in their own
    language with the text ``key`` of ``ocop_scoring/texts_errors.yaml`` filled with ``params``.
    Both are plain attributes, so the error still pickles.
    """

    key: str | None = None
    params: Mapping[str, object] = {}

    @classmethod
    def coded(cls, key: str, message: str, **params: object) -> Self:
        """The error with its English ``message`` and the text ``key`` the pages show instead."""
        exc = cls(message)
        exc.key, exc.params = key, dict(params)
        return exc


@frozen
class Problem:
    """One defect in an input file, located precisely enough to fix it.

    Rendered in the compiler layout that editors turn into links::

        criteria/qd26-2026/qd26-2026-04.yaml:212: parts[C].groups[7].options[3].points:
        expected at most the criterion's maximum 3, got 13
    """

    path: str
    line: int | None  # 1-based; None when the format has no line numbers
    key: str
    expected: str
    got: object

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else str(self.path)
        got = self.got if isinstance(self.got, _Verbatim) else repr(self.got)
        return f"{where}: {self.key}: expected {self.expected}, got {got}"


class _Verbatim(str):
    """A ``got`` value shown without quotes (already a description)."""

    __slots__ = ()


def verbatim(text: str) -> str:
    """Mark ``text`` as a description to show as is in a Problem's ``got``."""
    return _Verbatim(text)


class ProblemsError(OcopError):
    """Base for errors that carry a list of located problems."""

    what = "input"

    def __init__(self, path: str, problems: Sequence[Problem]) -> None:
        self.path = str(path)
        self.problems = tuple(problems)
        super().__init__(self.path, self.problems)

    def __str__(self) -> str:
        count = len(self.problems)
        head = f"{count} problem{'s' if count != 1 else ''} in {self.path}:"
        return "\n".join([head, *(f"  {problem}" for problem in self.problems)])


class ProblemCollector:
    """Collects the located problems of one input, at most ``limit`` of them, and raises them together.

    ``error_class`` is the ``ProblemsError`` raised (``ImportFileError``, ``ScoresInputError`` …);
    problems beyond the limit are counted in a last line.
    """

    def __init__(self, path: str, error_class: type[ProblemsError], limit: int = 200) -> None:
        self.path = path
        self.error_class = error_class
        self.limit = limit
        self.items: list[Problem] = []
        self.more = 0

    def add(self, line: int | None, key: str, expected: str, got: object) -> None:
        """One problem."""
        if len(self.items) >= self.limit:
            self.more += 1
            return
        self.items.append(Problem(self.path, line, key, expected, got))

    def fail(self, line: int | None, key: str, expected: str, got: object) -> ProblemsError:
        """Add a problem that stops reading and return the error to raise."""
        self.add(line, key, expected, got)
        return self.error()

    def error(self) -> ProblemsError:
        """The error listing every problem collected."""
        items = list(self.items)
        if self.more:
            items.append(Problem(self.path, None, "…", "fewer problems", verbatim(f"{self.more:,} more not shown")))
        return self.error_class(self.path, items)

    def raise_if_any(self) -> None:
        """Raise the error if any problem was collected."""
        if self.items:
            raise self.error()


class CriteriaSheetError(ProblemsError):
    """A criteria sheet file cannot be used; ``problems`` lists every defect."""

    what = "criteria sheet"


class RuleSetError(ProblemsError):
    """A rule-set file cannot be used; ``problems`` lists every defect."""

    what = "rule set"


class ScoresInputError(ProblemsError):
    """A scores file (CSV, XLSX, session file) cannot be scored."""

    what = "scores"


class TargetsError(ProblemsError):
    """A province's OCOP targets file cannot be used; ``problems`` lists every defect."""

    what = "targets"


class ImportFileError(ProblemsError):
    """A products/members import file cannot be imported; nothing was imported."""

    what = "import"


class ScorecardError(OcopError):
    """A scorecard does not fit its sheet (unknown criterion, option out of range, incomplete)."""


class UnknownSheetError(OcopError):
    """No criteria sheet with the requested id is available."""

    def __init__(self, sheet_id: str, known: Sequence[str] = ()) -> None:
        self.sheet_id = sheet_id
        self.known = tuple(known)
        super().__init__(sheet_id, self.known)

    def __str__(self) -> str:
        hint = f" (known: {self.known[0]} … {self.known[-1]})" if self.known else ""
        return f"unknown criteria sheet {self.sheet_id!r}{hint}"


class UnknownRuleSetError(OcopError):
    """No rule set with the requested id is available."""

    def __init__(self, ruleset_id: str, known: Sequence[str] = ()) -> None:
        self.ruleset_id = ruleset_id
        self.known = tuple(known)
        super().__init__(ruleset_id, self.known)

    def __str__(self) -> str:
        return f"unknown rule set {self.ruleset_id!r}; expected one of {', '.join(self.known)}"


class SettingsError(OcopError):
    """A council setting has a value the rules do not allow."""


class StoreError(OcopError):
    """Session data is missing, unreadable or inconsistent."""


class AccessDenied(StoreError):
    """The token used may not perform this action."""


class SessionFinalised(StoreError):
    """The session is finalised and read-only."""
