"""Batches: directories, --out-dir, stem collisions, one bad input among good ones, --jobs."""

from __future__ import annotations

import gc
import json
import os
from pathlib import Path
from typing import Any, ClassVar

import pytest
from conftest import invoke

from gradpipe.cli import batch
from gradpipe.cli.batch import Input, expand_inputs, process_input
from gradpipe.documents.names import file_stem
from gradpipe.errors import warn


def spec(x: float) -> str:
    return f"values:\n  x: {x}\nnodes:\n  y: x * x + 1\n"


BAD = "values:\n  x: 1\nnodes:\n  y: x * q\n"


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """Three good specs and a bad one in the middle (by sorted name), plus non-inputs."""
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "a.yaml").write_text(spec(1))
    (folder / "b.yml").write_text(spec(2))
    (folder / "c_bad.yaml").write_text(BAD)
    (folder / "d.json").write_text(invoke("forward", stdin=spec(4)).stdout)
    (folder / "notes.txt").write_text("not an input")
    (folder / ".hidden.yaml").write_text(BAD)
    (folder / "sub.yaml").mkdir()
    return folder


def listing(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def test_a_directory_gives_its_yaml_yml_and_json_files_sorted(folder: Path) -> None:
    inputs = expand_inputs([str(folder)])
    assert [i.path for i in inputs] == [
        os.path.join(folder, name) for name in ["a.yaml", "b.yml", "c_bad.yaml", "d.json"]
    ]
    assert [i.stem for i in inputs] == ["a", "b", "c_bad", "d"]


def test_a_dangling_link_in_a_directory_is_an_input_that_fails(
    folder: Path, tmp_path: Path
) -> None:
    """A link whose file is gone is a lost input, not a non-input: it is reported."""
    (folder / "e.yaml").symlink_to(tmp_path / "gone.yaml")
    assert [i.stem for i in expand_inputs([str(folder)])] == ["a", "b", "c_bad", "d", "e"]
    result = invoke("backward", str(folder), "--out-dir", str(tmp_path / "out"))
    assert f"{folder / 'e.yaml'}: error: cannot read: no such file or directory" in (
        result.stderr.splitlines()
    )
    assert result.stderr.splitlines()[-1] == "5 inputs: 3 written, 2 failed"


@pytest.mark.parametrize(
    "command",
    [
        ["forward"],
        ["backward"],
        ["check"],
        ["validate"],
        ["sweep", "--vary", "x=0:1:1"],
        ["render", "--frames", "--out-dir", "frames"],
    ],
)
def test_an_empty_input_path_is_wrong_usage(command: list[str], folder: Path) -> None:
    """'' names no file: its failure would have no PATH to be reported under."""
    result = invoke(*command, "")
    assert result.exit_code == 2
    assert "'' names no file: give a path" in result.stderr
    assert result.stdout == ""


def described(inputs: list[Input]) -> list[tuple[object, ...]]:
    """Each input's fields: path, stem, problem, whether it is standard input, raw bytes."""
    return [(i.path, i.stem, i.problem, i.from_stdin, i.raw) for i in inputs]


def test_no_argument_and_dash_are_standard_input() -> None:
    assert described(expand_inputs([])) == [("<stdin>", "stdin", None, True, None)]
    assert described(expand_inputs(["-"])) == described(expand_inputs([]))


def test_a_batch_writes_each_good_input_and_reports_the_bad_one(
    folder: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    result = invoke("backward", str(folder), "--out-dir", str(out))
    assert result.exit_code == 1
    assert result.stdout == ""
    bad = folder / "c_bad.yaml"
    assert result.stderr.startswith(f"{bad}:4:")
    assert result.stderr.splitlines()[1:] == ["4 inputs: 3 written, 1 failed"]
    assert listing(out) == ["a.json", "b.json", "d.json"]
    for stem in ["a", "b", "d"]:
        source = next(folder.glob(stem + ".*"))
        expected = invoke("backward", str(source)).stdout
        assert (out / f"{stem}.json").read_text() == expected


def test_every_failure_of_a_batch_is_reported_in_order(folder: Path, tmp_path: Path) -> None:
    missing = tmp_path / "missing.yaml"
    empty = tmp_path / "empty"
    empty.mkdir()
    args = [str(missing), str(folder / "c_bad.yaml"), str(empty), str(folder / "a.yaml")]
    result = invoke("forward", *args, "--out-dir", str(tmp_path / "out"))
    assert result.exit_code == 1
    lines = result.stderr.splitlines()
    assert lines[0] == f"{missing}: error: cannot read: no such file or directory"
    assert lines[1].startswith(f"{folder / 'c_bad.yaml'}:4:")
    assert lines[2] == f"{empty}: error: no *.yaml, *.yml or *.json files in this directory"
    assert lines[3:] == ["4 inputs: 1 written, 3 failed"]
    assert listing(tmp_path / "out") == ["a.json"]


def test_several_inputs_need_out_dir(folder: Path) -> None:
    result = invoke("forward", str(folder / "a.yaml"), str(folder / "b.yml"))
    assert result.exit_code == 2
    assert result.stdout == ""
    assert "Error: several inputs (or a directory) need --out-dir DIR" in result.stderr


def test_a_directory_needs_out_dir_however_many_files_it_holds(tmp_path: Path) -> None:
    (tmp_path / "only.yaml").write_text(spec(1))
    result = invoke("forward", str(tmp_path))
    assert result.exit_code == 2
    assert "need --out-dir DIR" in result.stderr


def test_out_dir_with_one_input_names_the_file_after_its_stem(tmp_path: Path) -> None:
    source = tmp_path / "neuron.spec.yaml"
    source.write_text(spec(3))
    result = invoke("forward", str(source), "--out-dir", str(tmp_path / "a" / "b"))
    assert (result.exit_code, result.stdout, result.stderr) == (0, "", "")
    assert listing(tmp_path / "a" / "b") == ["neuron.spec.json"]


def test_out_dir_names_standard_input_stdin(tmp_path: Path) -> None:
    assert invoke("forward", "--out-dir", str(tmp_path), stdin=spec(1)).exit_code == 0
    assert listing(tmp_path) == ["stdin.json"]


@pytest.mark.parametrize(
    ("fmt", "suffix"),
    [("svg", ".svg"), ("dot", ".dot"), ("json", ".json"), ("mermaid", ".mmd")],
)
def test_render_out_dir_suffix_follows_the_format(
    folder: Path, tmp_path: Path, fmt: str, suffix: str
) -> None:
    out = tmp_path / "out"
    invoke("render", str(folder), "-f", fmt, "--out-dir", str(out))
    assert listing(out) == [f"a{suffix}", f"b{suffix}", f"d{suffix}"]


def test_stem_collisions_are_refused_before_any_work(tmp_path: Path) -> None:
    (tmp_path / "one").mkdir()
    (tmp_path / "two").mkdir()
    first, second = tmp_path / "one" / "x.yaml", tmp_path / "two" / "x.json"
    first.write_text(spec(1))
    second.write_text(spec(2))
    out = tmp_path / "out"
    result = invoke("forward", str(first), str(second), "--out-dir", str(out))
    assert result.exit_code == 2
    assert result.stdout == ""
    assert (
        f"Error: inputs {first} and {second} would both write {out / 'x.json'};"
        " rename one or run them separately"
    ) in result.stderr
    assert not out.exists()


def test_out_dir_that_is_a_file_is_wrong_usage(tmp_path: Path) -> None:
    afile = tmp_path / "file"
    afile.write_text("")
    assert invoke("forward", "--out-dir", str(afile), stdin=spec(1)).exit_code == 2


def test_a_write_that_fails_is_reported_and_the_others_still_written(
    folder: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    (out / "b.json").mkdir(parents=True)  # a directory where b's result should go
    result = invoke("forward", str(folder / "a.yaml"), str(folder / "b.yml"), "--out-dir", str(out))
    assert result.exit_code == 1
    assert result.stderr.startswith(f"{out / 'b.json'}: error: cannot write: ")
    assert (out / "a.json").is_file()
    assert listing(out) == ["a.json", "b.json"]


def test_out_dir_files_replace_old_ones_atomically(
    folder: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "b.json").write_text("old b\n")

    def failing_replace(source: str, target: str) -> None:
        raise KeyboardInterrupt  # as if Ctrl-C arrived just before the rename

    monkeypatch.setattr(os, "replace", failing_replace)  # as gradpipe.output sees it
    result = invoke("forward", str(folder / "b.yml"), "--out-dir", str(out))
    assert result.exit_code == 130
    assert listing(out) == ["b.json"]
    assert (out / "b.json").read_text() == "old b\n"


def test_jobs_gives_the_same_files_and_messages_as_serial(folder: Path, tmp_path: Path) -> None:
    serial = invoke("backward", str(folder), "--out-dir", str(tmp_path / "serial"))
    parallel = invoke("backward", str(folder), "--out-dir", str(tmp_path / "par"), "--jobs", "2")
    assert (parallel.exit_code, parallel.stderr) == (serial.exit_code, serial.stderr)
    names = listing(tmp_path / "serial")
    assert listing(tmp_path / "par") == names
    for name in names:
        assert (tmp_path / "par" / name).read_bytes() == (tmp_path / "serial" / name).read_bytes()


def test_jobs_zero_means_one_per_cpu(folder: Path, tmp_path: Path) -> None:
    result = invoke("forward", str(folder), "--out-dir", str(tmp_path / "o"), "-j", "0")
    assert result.exit_code == 1
    assert listing(tmp_path / "o") == ["a.json", "b.json", "d.json"]


def test_check_of_several_inputs_prints_the_tables_in_order(folder: Path) -> None:
    serial = invoke("check", str(folder))
    parallel = invoke("check", str(folder), "--jobs", "3")
    assert serial.exit_code == parallel.exit_code == 1
    assert (parallel.stdout, parallel.stderr) == (serial.stdout, serial.stderr)
    headers = [line for line in serial.stdout.splitlines() if not line.startswith(" ")]
    assert [h.split(":")[0] for h in headers] == [
        str(folder / name) for name in ["a.yaml", "b.yml", "d.json"]
    ]


def test_validate_of_a_directory_reports_only_the_bad_file(folder: Path) -> None:
    result = invoke("validate", str(folder))
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr.startswith(f"{folder / 'c_bad.yaml'}:")
    assert result.stderr.splitlines()[1:] == ["4 inputs: 3 valid, 1 failed"]


def test_no_progress_bar_when_stderr_is_not_a_terminal(tmp_path: Path) -> None:
    for i in range(12):
        (tmp_path / f"s{i:02}.yaml").write_text(spec(i))
    result = invoke("forward", str(tmp_path), "--out-dir", str(tmp_path / "out"))
    assert (result.exit_code, result.stderr) == (0, "")


def test_an_out_dir_that_cannot_be_created_is_bad_input(tmp_path: Path) -> None:
    afile = tmp_path / "file"
    afile.write_text("")
    out = afile / "sub"
    result = invoke("forward", "--out-dir", str(out), stdin=spec(1))
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr == f"{out}: error: cannot create the directory: not a directory\n"


def test_a_stage_runs_with_the_cycle_collector_paused_and_restored() -> None:
    """Graphs hold no cycles: collections during a stage would only rescan their nodes."""

    def stage(raw: bytes, path: str) -> bytes:
        return b"paused" if not gc.isenabled() else b"running"

    assert gc.isenabled()
    outcome = process_input(stage, Input("x.yaml", "x", raw=b""))
    assert outcome.data == b"paused"
    assert gc.isenabled()


@pytest.mark.parametrize(
    ("path", "stem"),
    [
        ("neuron.yaml", "neuron"),
        ("dir/sub/neuron.spec.json", "neuron.spec"),
        (".hidden", ".hidden"),
        ("dir/.hidden.yaml", ".hidden"),
        ("plain", "plain"),
        ("dir/plain/", "plain"),
    ],
)
def test_a_document_is_named_after_its_file_as_its_outputs_are(
    path: str, stem: str, tmp_path: Path
) -> None:
    """One stem for both: a spec's default name and its --out-dir file (SPEC §3, §4)."""
    assert file_stem(path) == stem
    source = tmp_path / (path.rstrip("/") or "x")
    source.parent.mkdir(parents=True, exist_ok=True)
    source.write_text("values: {x: 2.0}\nnodes: {y: x*x}\n", encoding="utf-8")
    out = tmp_path / "out"
    result = invoke("forward", str(source), "--out-dir", str(out))
    assert result.exit_code == 0, result.output
    assert json.loads((out / f"{stem}.json").read_text())["name"] == stem


class Tracked(bytes):
    """An input's bytes that note when they are freed."""

    freed: ClassVar[list[bool]] = []

    def __del__(self) -> None:
        Tracked.freed.append(True)


def deferred_stage(raw: bytes, path: str) -> batch.Deferred:
    warn("a warning on the first line", path, 1, 1)
    return batch.Deferred(lambda: b"made with the input freed: %r" % bool(Tracked.freed))


def test_a_deferred_output_is_made_once_the_input_is_let_go(monkeypatch: Any) -> None:
    """backward's document is written after its file's bytes are freed (README, figure 2),
    and the warnings from before still show the file's line."""
    Tracked.freed.clear()
    monkeypatch.setattr(batch, "read_input", lambda path: Tracked(b"values: {x: 2.0}\n"))
    outcome = process_input(deferred_stage, Input("spec.yaml", "spec"))
    assert outcome.error is None
    assert outcome.data == b"made with the input freed: True"
    assert [w.excerpt[0] for w in outcome.warnings] == [" 1 | values: {x: 2.0}"]


def failing_stage(raw: bytes, path: str) -> batch.Deferred:
    return batch.Deferred(lambda: b"" + 1)  # type: ignore[operator]


def test_a_deferred_output_that_fails_is_reported_not_raised(tmp_path: Path) -> None:
    spec = tmp_path / "spec.yaml"
    spec.write_text("values: {x: 2.0}\n", encoding="utf-8")
    outcome = process_input(failing_stage, Input(str(spec), "spec"))
    assert outcome.data is None
    assert outcome.error is not None
    assert "internal error (TypeError" in outcome.error.line
