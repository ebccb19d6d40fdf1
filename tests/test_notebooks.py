"""The notebooks are pages: a parameters cell and calls into the library, committed without outputs,
and each one runs under nbval against a real store."""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO

NOTEBOOKS = sorted((REPO / "notebooks").glob("*.ipynb"))
ALLOWED = (ast.Import, ast.ImportFrom, ast.Assign, ast.Expr)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_is_a_page(path: Path):
    """A parameters cell of literal assignments, then only imports, assignments and expressions; no outputs."""
    nb = json.loads(path.read_text(encoding="utf-8"))
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]

    assert "parameters" in code[0]["metadata"].get("tags", [])
    for node in ast.parse("".join(code[0]["source"])).body:
        assert isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant), ast.dump(node)
    for cell in code:
        for node in ast.parse("".join(cell["source"])).body:
            assert isinstance(node, ALLOWED), f"{path.name}: {ast.dump(node)[:80]}"
        assert cell["outputs"] == [] and cell["execution_count"] is None
    assert sum(1 for c in code[1:] for n in ast.parse("".join(c["source"])).body if isinstance(n, ast.ImportFrom)) == 1


@pytest.fixture(scope="module")
def demo_store(tmp_path_factory, library):
    """A store holding the demo council, as `ocop serve --demo` creates it."""
    from ocop_scoring.serve import ensure_demo_session
    from ocop_scoring.store import SessionStore

    path = tmp_path_factory.mktemp("nb") / "store.sqlite"
    store = SessionStore(path)
    ensure_demo_session(store, library)
    tokens = {m.role if m.role == "secretary" else m.member_id: m.token for m in store.state("demo").members}
    store.close()
    return path, tokens


@pytest.mark.notebook
@pytest.mark.parametrize(
    ("name", "who"),
    [
        ("member", "TV02"),
        ("secretary", "secretary"),
        ("council", "secretary"),
        ("criteria", "secretary"),
        ("programme", "TV02"),
        ("report", None),
    ],
)
def test_notebook_runs_under_nbval(name, who, demo_store, tmp_path):
    """nbval executes the notebook on the demo store; a page that cannot be built fails (strict pages)."""
    store, tokens = demo_store
    env = {
        **os.environ,
        "OCOP_STORE": str(store),
        "OCOP_SESSION": "demo",
        "OCOP_STRICT_PAGES": "1",
        "OCOP_DRAFTS_DIR": str(tmp_path / "drafts"),
        "MPLBACKEND": "Agg",
    }
    if who:
        env["OCOP_TOKEN"] = tokens[who]
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "--nbval-lax",
            "--nbval-current-env",
            "--nbval-sanitize-with",
            str(REPO / "nbval_sanitize.cfg"),
            str(REPO / "notebooks" / f"{name}.ipynb"),
        ],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=600,
    )

    assert out.returncode == 0, out.stdout[-4000:] + out.stderr[-2000:]
    assert " passed" in out.stdout
