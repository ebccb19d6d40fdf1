"""Packaged UI and explanation texts, Vietnamese first with an English toggle.

Layer: loader. Imports: yamlio. Reads only its packaged ``texts.yaml``.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from importlib import resources

from ocop_scoring.yamlio import read_yaml

LANGUAGES = ("vi", "en")


class Texts:
    """Read-only lookup of every string that is not criteria data."""

    def __init__(self, table: Mapping[str, Mapping[str, str]], steps: Mapping[str, Mapping[str, str]]) -> None:
        self._table = table
        self._steps = steps

    def t(self, key: str, lang: str = "vi") -> str:
        """The text called ``key`` in ``lang`` (Vietnamese if that language lacks it)."""
        entry = self._table.get(key)
        if entry is None:
            return key
        return entry.get(lang) or entry.get("vi") or key

    def error(self, exc: BaseException, lang: str = "vi", params: Mapping[str, object] | None = None) -> str:
        """An error in ``lang``: its text (``exc.key`` filled with ``params``, by default
        ``exc.params``) when it has one, else its own (English) message."""
        key = getattr(exc, "key", None)
        if key is None or key not in self._table:
            return str(exc)
        try:
            return self.t(key, lang).format(**(params if params is not None else getattr(exc, "params", {})))
        except (KeyError, IndexError, ValueError):
            return str(exc)

    def template(self, rule: str, lang: str = "vi") -> str:
        """The sentence template of an explanation step."""
        entry = self._steps.get(rule)
        if entry is None:
            return rule + ": {subject}"
        return entry.get(lang) or entry["vi"]

    def has_template(self, rule: str) -> bool:
        """Whether a step rule has a template."""
        return rule in self._steps

    def keys(self) -> list[str]:
        """Every text key."""
        return sorted(self._table)

    def rules(self) -> list[str]:
        """Every step rule with a template."""
        return sorted(self._steps)


TEXT_FILES = (
    "texts.yaml",
    "texts_member.yaml",
    "texts_secretary.yaml",
    "texts_dashboard.yaml",
    "texts_workbench.yaml",
    "texts_report.yaml",
    "texts_analysis.yaml",
    "texts_errors.yaml",
)


@cache
def load_texts() -> Texts:
    """Load the packaged texts (once per process): ``texts.yaml`` and one file per page.

    A key defined in two files is an error (each page owns its strings).
    """
    table: dict[str, dict[str, str]] = {}
    steps: dict[str, dict[str, str]] = {}
    package = resources.files("ocop_scoring")
    for name in TEXT_FILES:
        source = package.joinpath(name)
        if not source.is_file():
            continue
        data, problems = read_yaml(f"ocop_scoring/{name}", source.read_text(encoding="utf-8"))
        if problems or not isinstance(data, dict):
            msg = "; ".join(str(p) for p in problems) or f"ocop_scoring/{name}: expected a mapping"
            raise RuntimeError(msg)
        for section, target in (("texts", table), ("steps", steps)):
            for key, value in (data.get(section) or {}).items():
                if key in target:
                    msg = f"ocop_scoring/{name}: {section}.{key}: expected a key not defined in another texts file"
                    raise RuntimeError(msg)
                target[key] = dict(value)
    return Texts(table, steps)
