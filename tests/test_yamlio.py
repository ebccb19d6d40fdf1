"""The YAML reader behind every data file: line numbers, duplicate keys, NFC."""

from __future__ import annotations

import unicodedata

from ocop_scoring.yamlio import LineDict, dump_yaml, read_yaml


def test_lines_of_mappings_and_keys():
    """Each mapping knows its line and the line of each key."""
    data, problems = read_yaml("x.yaml", "a: 1\nb:\n  c: 2\n  d: 3\n")

    assert problems == []
    assert isinstance(data, LineDict) and data.line == 1
    assert data["b"].line == 3 and data["b"].line_of("d") == 4


def test_duplicate_keys_are_problems():
    """YAML silently keeps the last of two equal keys; the reader reports the second."""
    _, problems = read_yaml("x.yaml", "a: 1\nb: 2\na: 3\n")

    assert [str(p) for p in problems] == ["x.yaml:3: a: expected each key once per mapping, got a second 'a'"]


def test_text_is_nfc():
    """Decomposed Vietnamese (NFD) is read as NFC."""
    data, _ = read_yaml("x.yaml", unicodedata.normalize("NFD", "t: Thực phẩm\n"))

    assert data["t"] == "Thực phẩm" and unicodedata.is_normalized("NFC", data["t"])


def test_syntax_error_has_a_line():
    """A syntax error is one problem with the parser's line."""
    data, problems = read_yaml("x.yaml", "a: [1, 2\nb: 3\n")

    assert data is None
    assert problems[0].key == "yaml" and problems[0].line == 2


def test_dump_keeps_vietnamese_readable():
    """Written YAML keeps Vietnamese letters (no escapes) and key order."""
    text = dump_yaml({"z": "Mật ong", "a": ["Chè"]})

    assert text == "z: Mật ong\na:\n  - Chè\n"
