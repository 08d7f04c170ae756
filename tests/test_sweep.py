"""Sweeps as a library: axes, the table, gaps, formats and deterministic plots."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from gradpipe.documents import load_document
from gradpipe.documents.graph import Graph
from gradpipe.errors import GradpipeError
from gradpipe.sweep import Axis, by_count, by_step, encode, run_sweep

PARABOLA = Path(__file__).parent.parent / "examples" / "parabola.yaml"
TWO = (
    "values:\n  x: 1.0\n  y: 0.5\n"
    "nodes:\n  r: x*x + y*y\n  f: {expr: 'log(r) * x', label: 'log(r)·x'}\n"
)


def graph_of(text: str, overrides: dict[str, float] | None = None) -> Graph:
    return load_document(text.encode(), "spec.yaml", overrides)


def parabola() -> Graph:
    return load_document(PARABOLA.read_bytes(), str(PARABOLA))


def test_by_step_includes_stop_when_a_step_lands_on_it() -> None:
    assert by_step("x", -1, 1, 0.5).values == (-1.0, -0.5, 0.0, 0.5, 1.0)
    assert by_step("x", 0, 1, 0.3).values == (0.0, 0.3, 0.6, 0.8999999999999999)
    assert by_step("x", 0, 0.3, 0.1).values[-1] == 0.3  # 3 * 0.1 is 0.30000000000000004
    assert by_step("x", 2, 1, -0.5).values == (2.0, 1.5, 1.0)
    assert by_step("x", 1, 1, 1).values == (1.0,)


@pytest.mark.parametrize(
    ("start", "stop", "step", "message"),
    [(0, 1, 0, "the step is 0"), (0, 1, -1, "never goes"), (0, 1, 1e-9, "more than")],
)
def test_by_step_refuses_steps_that_go_nowhere(
    start: float, stop: float, step: float, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        by_step("x", start, stop, step)


def test_by_count_is_linspace() -> None:
    assert by_count("x", 0, 1, 5).values == (0.0, 0.25, 0.5, 0.75, 1.0)
    assert by_count("x", 3, 7, 1).values == (3.0,)
    with pytest.raises(ValueError):
        by_count("x", 0, 1, 0)


@pytest.mark.parametrize(
    ("make", "start", "stop", "step_or_count"),
    [
        (by_step, -1e308, 1e308, 1e308),
        (by_count, -1e308, 1e308, 3),
        (by_step, 1.5e308, -1.5e308, -1e308),
        (by_count, 1.7e308, -1.7e308, 2),
        (by_count, -4e307, 4e307, 5),
        (by_count, -8e307, 8e307, 1001),
        (by_step, -8e307, 8e307, 1e305),
    ],
)
def test_points_across_the_whole_float_range_are_finite(
    make: Callable[..., Axis], start: float, stop: float, step_or_count: float
) -> None:
    """stop - start and k*step overflow there; the points themselves do not."""
    values = make("x", start, stop, step_or_count).values
    assert all(math.isfinite(x) for x in values), values
    assert values[0] == start and values[-1] == stop
    if len(values) == 3:
        assert values[1] == 0.0 or abs(values[1]) == 5e307


def test_a_sweep_gives_what_backward_gives_at_each_point() -> None:
    sweep = run_sweep(parabola(), [by_step("x", -5, 5, 0.25)])
    assert sweep.columns == ["x", "f", "df/dx"]
    assert len(sweep.rows) == 41
    for x, f, dfdx in sweep.rows:
        assert x is not None
        graph = load_document(PARABOLA.read_bytes(), "p", {"x": x})
        graph.backward()
        assert (f, dfdx) == (graph.node("f").data, graph.node("x").grad)
    assert sweep.current == [3.0, 20.0, 14.0]  # the notes' f(3) = 20, slope 14


def test_wrt_adds_other_leaves_gradients() -> None:
    sweep = run_sweep(graph_of(TWO), [by_count("x", 1, 2, 3)], wrt=["y", "y", "x"])
    assert sweep.columns == ["x", "f", "df/dx", "df/dy"]
    graph = graph_of(TWO, {"x": 1.5})
    graph.backward()
    assert sweep.rows[1] == [1.5, graph.node("f").data, graph.node("x").grad, graph.node("y").grad]


def test_a_grid_of_two_leaves() -> None:
    sweep = run_sweep(graph_of(TWO), [by_count("x", -1, 1, 3), by_count("y", 0, 1, 2)])
    assert sweep.columns == ["x", "y", "f", "df/dx", "df/dy"]
    assert [row[:2] for row in sweep.rows] == [
        [-1.0, 0.0],
        [-1.0, 1.0],
        [0.0, 0.0],
        [0.0, 1.0],
        [1.0, 0.0],
        [1.0, 1.0],
    ]
    assert sweep.rows[2][2:] == [None, None, None]  # log(0) at x = y = 0
    assert sweep.failures == 1


def test_points_where_the_math_fails_are_gaps() -> None:
    sweep = run_sweep(
        graph_of("values:\n  x: 2\nnodes:\n  y: log(x)\n"), [by_step("x", -1, 1, 0.5)]
    )
    assert [row[1] for row in sweep.rows][:3] == [None, None, None]
    assert sweep.failures == 3
    assert sweep.failure_summary() == (
        "3 of 5 points failed (first: log of -1.0 at node 'y' (log) at x=-1)"
    )
    table = json.loads(encode(sweep, "json"))
    assert table["rows"][0] == [-1.0, None, None]
    assert table["failed"] == 3
    assert encode(sweep, "csv").decode().splitlines()[1] == "-1.0,,"


def test_a_gradient_that_fails_leaves_the_value() -> None:
    sweep = run_sweep(
        graph_of("values:\n  x: 1\nnodes:\n  y: x ** 0.5\n"), [by_count("x", 0, 1, 2)]
    )
    assert sweep.rows == [[0.0, 0.0, None], [1.0, 1.0, 0.5]]


def test_unknown_and_repeated_leaves_are_refused() -> None:
    with pytest.raises(GradpipeError, match=r"no leaf named 'xx' to sweep \(did you mean 'x'\?\)"):
        run_sweep(graph_of(TWO), [by_count("xx", 0, 1, 2)])
    with pytest.raises(GradpipeError, match="'r' is a computed node, not a leaf"):
        run_sweep(graph_of(TWO), [by_count("r", 0, 1, 2)])
    with pytest.raises(GradpipeError, match="'c' is a constant, not a leaf"):
        run_sweep(graph_of("values:\n  x: 1\nnodes:\n  c: 3\n  y: c*x\n"), [by_count("c", 0, 1, 2)])
    with pytest.raises(GradpipeError, match="varied twice"):
        run_sweep(graph_of(TWO), [by_count("x", 0, 1, 2), by_count("x", 0, 1, 2)])
    with pytest.raises(GradpipeError, match="no leaf named 'q'"):
        run_sweep(graph_of(TWO), [by_count("x", 0, 1, 2)], wrt=["q"])


def test_json_is_strict_and_csv_has_a_header() -> None:
    sweep = run_sweep(parabola(), [by_count("x", 0, 1, 3)])
    table = json.loads(encode(sweep, "json"))
    assert table == {
        "name": "parabola",
        "output": "f",
        "vary": [{"leaf": "x", "start": 0.0, "stop": 1.0, "count": 3}],
        "columns": ["x", "f", "df/dx"],
        "point": [3.0, 20.0, 14.0],
        "failed": 0,
        "rows": [[0.0, 5.0, -4.0], [0.5, 3.75, -1.0], [1.0, 4.0, 2.0]],
    }
    assert encode(sweep, "csv") == b"x,f,df/dx\n0.0,5.0,-4.0\n0.5,3.75,-1.0\n1.0,4.0,2.0\n"


PLOT_SCRIPT = """
import json, sys
from pathlib import Path
from gradpipe.documents import load_document
from gradpipe.sweep import by_count, encode, run_sweep
graph = load_document(Path(sys.argv[1]).read_bytes(), "spec.yaml")
for leaves in (["x"], ["x", "y"]):
    sweep = run_sweep(graph, [by_count(name, -2, 2, 9) for name in leaves])
    for fmt in ("svg", "png", "pdf"):
        Path(sys.argv[2], f"{len(leaves)}.{fmt}").write_bytes(encode(sweep, fmt))
"""


def test_plots_are_the_same_bytes_in_every_process(tmp_path: Path) -> None:
    spec = tmp_path / "two.yaml"
    spec.write_text(TWO, encoding="utf-8")
    for seed in (1, 2):
        (tmp_path / str(seed)).mkdir()
        subprocess.run(
            [sys.executable, "-c", PLOT_SCRIPT, str(spec), str(tmp_path / str(seed))],
            check=True,
            env={"PYTHONHASHSEED": str(seed), "PATH": "/usr/bin:/bin"},
        )
    for name in ("1.svg", "1.png", "1.pdf", "2.svg", "2.png", "2.pdf"):
        first = (tmp_path / "1" / name).read_bytes()
        assert first == (tmp_path / "2" / name).read_bytes(), name
        magic = {"svg": b"<?xml", "png": b"\x89PNG", "pdf": b"%PDF"}[name[2:]]
        assert first.startswith(magic)


def test_a_plot_has_labels_and_a_legend_from_the_spec() -> None:
    svg = encode(run_sweep(graph_of(TWO), [by_count("x", 0.5, 2, 7)], wrt=["y"]), "svg").decode()
    # Text is drawn as paths; the labels are kept as comments and ids for readers.
    for text in ("f = log(r)·x", "df/dx", "df/dy", "tangent at x = 1", "x = 1"):
        assert f"<!-- {text}" in svg, text


def test_tables_do_not_import_matplotlib() -> None:
    code = (
        "import sys\n"
        "from gradpipe.documents import load_document\n"
        "from gradpipe.sweep import by_count, encode, run_sweep\n"
        f"graph = load_document({TWO!r}.encode(), 's.yaml')\n"
        "sweep = run_sweep(graph, [by_count('x', 0.5, 1, 3)])\n"
        "encode(sweep, 'csv'); encode(sweep, 'json')\n"
        "assert 'matplotlib' not in sys.modules, 'tables imported matplotlib'\n"
        "encode(sweep, 'svg')\n"
        "assert 'matplotlib' in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
