"""YAML with line numbers: the one reader behind every data file of the project.

Layer: loader helper. Imports: errors.

PyYAML's loaders drop positions; this loader returns ``LineDict`` mappings
that remember the line of the mapping and of each key, so that every problem
can be reported as ``file:line: key: expected …, got …``. It uses libyaml
(``CSafeLoader``) when available: the 26 official sheets load in well under
half a second.
"""

from __future__ import annotations

import unicodedata
from pathlib import Path
from typing import Any

import yaml

from ocop_scoring.errors import Problem, verbatim

_Base: type = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class LineDict(dict[str, Any]):
    """A mapping that remembers where it and each of its keys were written."""

    line: int = 0
    key_lines: dict[str, int]

    def line_of(self, key: str) -> int:
        """Line of ``key`` if present, else of the mapping itself."""
        return self.key_lines.get(key, self.line)


class _LineLoader(_Base):  # type: ignore[misc,valid-type]
    duplicate_keys: list[tuple[int, str]]


def _construct_mapping(loader: _LineLoader, node: yaml.MappingNode) -> Any:
    data = LineDict()
    data.line = node.start_mark.line + 1
    data.key_lines = {}
    yield data
    loader.flatten_mapping(node)
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if not isinstance(key, str):
            key = str(key)
        line = key_node.start_mark.line + 1
        if key in data:
            loader.duplicate_keys.append((line, key))
        data[key] = loader.construct_object(value_node, deep=True)
        data.key_lines[key] = line


def _construct_str(loader: _LineLoader, node: yaml.ScalarNode) -> str:
    return unicodedata.normalize("NFC", loader.construct_scalar(node))


_LineLoader.add_constructor("tag:yaml.org,2002:map", _construct_mapping)
_LineLoader.add_constructor("tag:yaml.org,2002:str", _construct_str)


def read_yaml(path: Path | str, text: str | None = None) -> tuple[Any, list[Problem]]:
    """Parse a YAML file into ``LineDict``/list/scalar values, with NFC text.

    Returns:
        The document (``None`` when it cannot be parsed) and the problems found
        while reading: unreadable file, bad encoding, syntax errors, duplicate keys.
    """
    shown = str(path)
    if text is None:
        try:
            raw = Path(path).read_bytes()
        except OSError as exc:
            return None, [Problem(shown, None, "file", "a readable file", verbatim(exc.strerror or str(exc)))]
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            line = raw[: exc.start].count(b"\n") + 1
            return None, [Problem(shown, line, "encoding", "UTF-8 text", verbatim(f"byte 0x{raw[exc.start]:02x}"))]
    loader = _LineLoader(text)
    loader.duplicate_keys = []
    try:
        data = loader.get_single_data()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        return None, [Problem(shown, line, "yaml", "valid YAML", verbatim(str(exc.problem or exc)))]
    except yaml.YAMLError as exc:
        return None, [Problem(shown, None, "yaml", "valid YAML", verbatim(str(exc)))]
    finally:
        loader.dispose()
    problems = [
        Problem(shown, line, key, "each key once per mapping", verbatim(f"a second {key!r}"))
        for line, key in loader.duplicate_keys
    ]
    return data, problems


def dump_yaml(data: Any) -> str:
    """Write data as block YAML with Vietnamese text kept readable (no escapes)."""
    return yaml.dump(
        data,
        Dumper=_Dumper,
        allow_unicode=True,
        sort_keys=False,
        width=110,
        default_flow_style=False,
    )


class _Dumper(yaml.SafeDumper):
    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        # Indent list items under their key, as people write YAML by hand.
        super().increase_indent(flow, False)


def _represent_linedict(dumper: yaml.SafeDumper, data: LineDict) -> yaml.Node:
    return dumper.represent_dict(dict(data))


_Dumper.add_representer(LineDict, _represent_linedict)
