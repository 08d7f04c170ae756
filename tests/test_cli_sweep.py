"""``gradpipe sweep`` on the command line: formats, gaps, strictness, batches, usage."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from gradpipe.cli import main

PARABOLA = Path(__file__).resolve().parent.parent / "examples" / "parabola.yaml"
LOG = "values:\n  x: 2\nnodes:\n  y: log(x)\n"
TWO = "values:\n  x: 1.0\n  y: 0.5\nnodes:\n  r: x*x + y*y\n  f: log(r) * x\n"


def invoke(*args: str, stdin: str | None = None) -> Result:
    return CliRunner().invoke(main, list(args), input=stdin, catch_exceptions=False)


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def test_sweep_writes_csv_by_default() -> None:
    result = invoke("sweep", str(PARABOLA), "--vary", "x=-1:1:1")
    assert result.exit_code == 0, result.output
    assert result.stdout == "x,f,df/dx\n-1.0,12.0,-10.0\n0.0,5.0,-4.0\n1.0,4.0,2.0\n"
    assert result.stderr == ""


def test_sweep_count_form_and_standard_input() -> None:
    result = invoke("sweep", "--vary", "x=0:1/3", stdin=PARABOLA.read_text())
    assert result.stdout.splitlines()[1:] == ["0.0,5.0,-4.0", "0.5,3.75,-1.0", "1.0,4.0,2.0"]


def test_sweep_wrt_and_set(tmp_path: Path) -> None:
    path = write(tmp_path, "two.yaml", TWO)
    result = invoke("sweep", str(path), "--vary", "x=1:2/2", "--wrt", "y", "--set", "y=2")
    assert result.stdout.splitlines()[0] == "x,f,df/dx,df/dy"
    row = [float(v) for v in result.stdout.splitlines()[1].split(",")]
    assert (row[0], row[3]) == (1.0, pytest.approx(2 * 2 / 5 * 1))  # df/dy = 2y/r · x


def test_sweep_grid(tmp_path: Path) -> None:
    path = write(tmp_path, "two.yaml", TWO)
    result = invoke("sweep", str(path), "--vary", "x=-1:1:1", "--vary", "y=0:1:1", "-f", "json")
    table = json.loads(result.stdout)
    assert table["columns"] == ["x", "y", "f", "df/dx", "df/dy"]
    assert len(table["rows"]) == 6
    assert table["rows"][2] == [0.0, 0.0, None, None, None]  # log(0)
    assert table["failed"] == 1
    assert result.stderr == (
        f"{path}: warning: 1 of 6 points failed"
        " (first: log of 0.0 at node '_3' (log) at x=0, y=0)\n"
    )
    assert result.exit_code == 0


@pytest.mark.parametrize(
    ("suffix", "magic"), [("svg", b"<?xml"), ("png", b"\x89PNG"), ("pdf", b"%PDF")]
)
def test_the_format_follows_the_extension(tmp_path: Path, suffix: str, magic: bytes) -> None:
    out = tmp_path / f"parabola.{suffix}"
    result = invoke("sweep", str(PARABOLA), "--vary", "x=-5:5/11", "-o", str(out))
    assert result.exit_code == 0, result.output
    assert out.read_bytes().startswith(magic)


def test_json_from_the_extension(tmp_path: Path) -> None:
    out = tmp_path / "p.json"
    assert invoke("sweep", str(PARABOLA), "--vary", "x=3:3/1", "-o", str(out)).exit_code == 0
    assert json.loads(out.read_text())["rows"] == [[3.0, 20.0, 14.0]]


def test_a_format_that_contradicts_the_extension_is_wrong_usage(tmp_path: Path) -> None:
    result = invoke(
        "sweep", str(PARABOLA), "--vary", "x=0:1/2", "-f", "png", "-o", str(tmp_path / "p.svg")
    )
    assert result.exit_code == 2
    assert not (tmp_path / "p.svg").exists()


def test_gaps_warn_and_strict_fails(tmp_path: Path) -> None:
    path = write(tmp_path, "log.yaml", LOG)
    result = invoke("sweep", str(path), "--vary", "x=-1:1:0.5")
    assert result.exit_code == 0
    assert result.stdout.splitlines()[1:4] == ["-1.0,,", "-0.5,,", "0.0,,"]
    assert result.stderr == (
        f"{path}: warning: 3 of 5 points failed (first: log of -1.0 at node 'y' (log) at x=-1)\n"
    )
    strict = invoke("sweep", str(path), "--vary", "x=-1:1:0.5", "--strict")
    assert strict.exit_code == 1
    assert strict.stdout == ""
    assert strict.stderr.startswith(f"{path}: error: --strict: 3 of 5 points failed")


def test_a_sweep_where_every_point_fails_fails(tmp_path: Path) -> None:
    path = write(tmp_path, "log.yaml", LOG)
    out = tmp_path / "out.csv"
    result = invoke("sweep", str(path), "--vary", "x=-3:-1:1", "-o", str(out))
    assert result.exit_code == 1
    assert result.stderr.startswith(f"{path}: error: every point failed: 3 of 3 points failed")
    assert not out.exists()


def test_the_spec_point_may_fail_where_the_sweep_does_not(tmp_path: Path) -> None:
    path = write(tmp_path, "log.yaml", "values:\n  x: 0\nnodes:\n  y: log(x)\n")
    result = invoke("sweep", str(path), "--vary", "x=1:2/2")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[1] == "1.0,0.0,1.0"
    table = json.loads(invoke("sweep", str(path), "--vary", "x=1:2/2", "-f", "json").stdout)
    assert table["point"] is None
    out = tmp_path / "log.svg"
    assert invoke("sweep", str(path), "--vary", "x=1:2/2", "-o", str(out)).exit_code == 0


def test_an_unknown_leaf_is_bad_input_with_a_hint(tmp_path: Path) -> None:
    path = write(tmp_path, "two.yaml", TWO)
    result = invoke("sweep", str(path), "--vary", "xx=0:1/2")
    assert result.exit_code == 1
    assert result.stderr == f"{path}: error: no leaf named 'xx' to sweep (did you mean 'x'?)\n"
    assert invoke("sweep", str(path), "--vary", "x=0:1/2", "--wrt", "q").exit_code == 1


def test_a_wrt_that_is_no_leaf_is_refused_as_a_gradient_not_as_a_sweep(tmp_path: Path) -> None:
    # 'no leaf named ... to sweep' said of --wrt: but nothing asked to vary it.
    path = write(tmp_path, "two.yaml", TWO)
    result = invoke("sweep", str(path), "--vary", "x=0:1/2", "--wrt", "xx")
    assert (result.exit_code, result.stdout) == (1, "")
    assert result.stderr == (
        f"{path}: error: no leaf named 'xx' to take the gradient by (did you mean 'x'?)\n"
    )
    result = invoke("sweep", str(path), "--vary", "x=0:1/2", "--wrt", "r")
    assert result.exit_code == 1
    assert result.stderr == (
        f"{path}: error: 'r' is a computed node, not a leaf: gradients are by the leaves"
        " of values\n"
    )


@pytest.mark.parametrize(
    "vary",
    [
        "x",
        "x=1",
        "x=1:2",
        "x=a:2:1",
        "x=0:1:0",
        "x=0:1:-1",
        "x=0:1/0",
        "x=0:1/1.5",
        "1x=0:1:1",
        "x=0:1:1e-9",
        "x=nan:1:1",
    ],
)
def test_a_bad_vary_is_wrong_usage(vary: str) -> None:
    result = invoke("sweep", str(PARABOLA), "--vary", vary)
    assert result.exit_code == 2, result.output
    assert "--vary" in result.stderr
    assert result.stdout == ""


def test_a_leaf_varied_twice_is_wrong_usage() -> None:
    result = invoke("sweep", str(PARABOLA), "--vary", "x=0:1/3", "--vary", "x=0:2/3")
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr.splitlines()[-1] == (
        "Error: Invalid value for '--vary': leaf 'x' is varied twice (in 'x=0:2/3'):"
        " a grid varies two different leaves"
    )


def test_vary_is_needed_once_or_twice() -> None:
    assert invoke("sweep", str(PARABOLA)).exit_code == 2
    three = ["--vary", "x=0:1/2", "--vary", "y=0:1/2", "--vary", "z=0:1/2"]
    assert invoke("sweep", str(PARABOLA), *three).exit_code == 2


def test_a_batch_writes_one_file_per_input_serially_or_in_parallel(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    write(folder, "a.yaml", "values:\n  x: 1\nnodes:\n  y: x*x\n")
    write(folder, "b.yaml", "values:\n  x: 1\nnodes:\n  y: exp(x)\n")
    for jobs, out in (("1", "serial"), ("2", "parallel")):
        result = invoke(
            "sweep",
            str(folder),
            "--vary",
            "x=0:1/3",
            "--out-dir",
            str(tmp_path / out),
            "-f",
            "json",
            "--jobs",
            jobs,
        )
        assert result.exit_code == 0, result.output
    for name in ("a.json", "b.json"):
        assert (tmp_path / "serial" / name).read_bytes() == (
            tmp_path / "parallel" / name
        ).read_bytes()


def test_plots_from_the_command_line_are_deterministic(tmp_path: Path) -> None:
    path = write(tmp_path, "two.yaml", TWO)
    outputs = []
    for n in (1, 2):
        out = tmp_path / f"{n}.svg"
        invoke("sweep", str(path), "--vary", "x=-2:2/9", "--vary", "y=-2:2/9", "-o", str(out))
        outputs.append(out.read_bytes())
    assert outputs[0] == outputs[1]


@pytest.mark.parametrize("vary", [["x=-8e307:8e307/5"], ["x=0:1.7e308/3", "y=0:1/2"]])
def test_a_plot_beyond_what_its_scales_hold_is_refused_by_name(
    tmp_path: Path, vary: list[str]
) -> None:
    """matplotlib's margins and ticks overflow near 1.8e308: bad input, no internal error."""
    path = write(tmp_path, "lin.yaml", "values:\n  x: 1\n  y: 1\nnodes:\n  f: x * y\n")
    out = tmp_path / "lin.svg"
    result = invoke("sweep", str(path), *(f"--vary={v}" for v in vary), "-o", str(out))
    assert result.exit_code == 1
    assert "cannot plot 'x': it goes beyond ±1e+300" in result.stderr
    assert "internal error" not in result.stderr
    assert not out.exists()
