"""Helpers shared by the test files (import them: ``from conftest import invoke``)."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner, Result

from gradpipe.cli import main

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"


def invoke(*args: str, stdin: str | bytes | None = None) -> Result:
    """Run the CLI in process; a crash shows its traceback instead of an exit status."""
    return CliRunner().invoke(main, list(args), input=stdin, catch_exceptions=False)
