"""Golden cases as data: every file of tests/cases/ loads as its expected file says.

Set GRADPIPE_REGENERATE_GOLDENS=1 to rewrite the expected files from what gradpipe does
now, then review the diff (see tests/cases/README.md).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from gradpipe.documents import load_document, plan
from gradpipe.documents.graph import dump_document
from gradpipe.errors import GradpipeError

ROOT = Path(__file__).resolve().parent.parent
CASES = ROOT / "tests" / "cases"
SUFFIXES = (".yaml", ".yml", ".json")
REGENERATE = os.environ.get("GRADPIPE_REGENERATE_GOLDENS") == "1"


def case_files(folder: str) -> list[Path]:
    """The inputs of one folder, expected files left out."""
    return sorted(
        p
        for p in (CASES / folder).iterdir()
        if p.suffix in SUFFIXES and not p.name.endswith(".expected.json")
    )


def relative(path: Path) -> str:
    """The path as the CLI is given it from the repository's root."""
    return path.relative_to(ROOT).as_posix()


def check_golden(expected: Path, actual: str) -> None:
    """Compare with the expected file, or rewrite it when regenerating."""
    if REGENERATE:
        expected.write_text(actual, encoding="utf-8")
    assert expected.exists(), f"{relative(expected)} is missing: regenerate the goldens"
    assert actual == expected.read_text(encoding="utf-8")


@pytest.mark.parametrize("case", case_files("valid"), ids=lambda p: p.name)
def test_valid_case(case: Path) -> None:
    graph = load_document(case.read_bytes(), relative(case))
    assert not graph.has_gradients
    check_golden(case.with_name(case.stem + ".expected.json"), dump_document(graph.to_document()))


@pytest.mark.parametrize("case", case_files("valid"), ids=lambda p: p.name)
def test_valid_case_round_trips(case: Path) -> None:
    """Its graph document, read back, writes the same bytes."""
    expected = case.with_name(case.stem + ".expected.json").read_text(encoding="utf-8")
    graph = load_document(expected.encode(), relative(case))
    assert dump_document(graph.to_document()) == expected


@pytest.mark.parametrize("case", case_files("invalid"), ids=lambda p: p.name)
def test_invalid_case(case: Path) -> None:
    with pytest.raises(GradpipeError) as caught:
        load_document(case.read_bytes(), relative(case))
    check_golden(case.with_name(case.stem + ".expected"), caught.value.format() + "\n")


@pytest.mark.parametrize("folder", ["valid", "invalid"])
def test_cases_have_distinct_stems(folder: str) -> None:
    """`x.yaml` and `x.json` would share one expected file."""
    stems = [p.stem for p in case_files(folder)]
    assert len(stems) == len(set(stems))


@pytest.mark.parametrize("folder", ["valid", "invalid"])
def test_every_expected_file_has_its_case(folder: str) -> None:
    """No golden outlives its input (a renamed case would leave one behind)."""
    inputs = {p.stem for p in case_files(folder)}
    for expected in (CASES / folder).glob("*.expected*"):
        assert expected.name.split(".expected")[0] in inputs, expected.name


@pytest.mark.parametrize("case", case_files("valid"), ids=lambda p: p.name)
def test_valid_case_without_the_lean_check(case: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Validated by pydantic alone, every valid case loads to the same bytes."""
    monkeypatch.setattr(plan, "conforms", lambda data, kind, columns=None: False)
    graph = load_document(case.read_bytes(), relative(case))
    expected = case.with_name(case.stem + ".expected.json").read_text(encoding="utf-8")
    assert dump_document(graph.to_document()) == expected
