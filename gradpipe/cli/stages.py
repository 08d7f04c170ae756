"""``gradpipe forward``, ``backward`` and ``validate``: the stages that write graph documents.

Each command binds its options to a stage, a function of one input (bytes in, bytes out,
or a ``Deferred`` that makes them once the input is let go; GradpipeError for bad input),
and hands it to ``run_batch``. Stages are module-level
functions so that ``functools.partial`` of them pickles for ``--jobs``.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import partial

import click

from gradpipe.cli.app import Command
from gradpipe.cli.batch import Deferred, run_batch
from gradpipe.cli.options import (
    INPUT_HELP,
    completing,
    destination_options,
    inputs_argument,
    jobs_option,
    max_nodes_option,
    set_option,
)
from gradpipe.documents.build import build_graph, load_document
from gradpipe.documents.graph import Graph, encode_document
from gradpipe.documents.names import did_you_mean
from gradpipe.documents.plan import read_plan, warn_number_nodes
from gradpipe.errors import GradpipeError


def forward(raw: bytes, path: str, overrides: Mapping[str, float]) -> Deferred:
    """The graph document with values only: every ``grad`` null."""
    graph = load_document(raw, path, overrides)
    graph.has_gradients = False
    return _document(graph)


def backward(raw: bytes, path: str, overrides: Mapping[str, float], output: str | None) -> Deferred:
    """The graph document with gradients of ``output`` (which becomes the document's output)."""
    plan = read_plan(raw, path)
    warn_number_nodes(plan)
    graph = build_graph(plan, overrides)
    del plan  # its columns are garbage now: the document's text reuses their memory
    if output is not None:
        graph.output = known_node(graph, output, "--output")
    graph.backward()
    return _document(graph)


def _document(graph: Graph) -> Deferred:
    """The graph's document, written once the input's bytes are let go (``Deferred``): its
    values and gradients are computed, so nothing is left to place in the file."""
    graph.locator = None
    return Deferred(partial(encode_document, graph))


def validate(raw: bytes, path: str) -> bytes:
    """Nothing when the document is valid; it is checked, not computed."""
    warn_number_nodes(read_plan(raw, path))
    return b""


def known_node(graph: Graph, node_id: str, option: str) -> str:
    """``node_id`` when the graph has it, else an error naming the closest ids."""
    try:
        graph.index(node_id)
    except KeyError:
        hint = did_you_mean(node_id, graph.ids, slack=None)
        raise GradpipeError(f"{option}: no node '{node_id}' in the graph{hint}") from None
    return node_id


@click.command("forward", cls=Command, epilog=INPUT_HELP)
@inputs_argument
@destination_options
@set_option
@jobs_option
@max_nodes_option
def forward_command(
    inputs: tuple[str, ...],
    out_file: str | None,
    out_dir: str | None,
    overrides: dict[str, float],
    jobs: int,
) -> None:
    """Compute every node's value: a graph document, grads null.

    \b
    Example:
      gradpipe forward neuron.yaml --set x1=3 -o neuron.json
    """
    stage = partial(forward, overrides=overrides)
    run_batch(stage, inputs, jobs, out_file=out_file, out_dir=out_dir, suffix=".json")


@click.command("backward", cls=Command, epilog=INPUT_HELP)
@inputs_argument
@destination_options
@set_option
@click.option(
    "--output",
    metavar="NODE",
    shell_complete=completing("nodes"),
    help="Backpropagate from NODE, not the output.",
)
@jobs_option
@max_nodes_option
def backward_command(
    inputs: tuple[str, ...],
    out_file: str | None,
    out_dir: str | None,
    overrides: dict[str, float],
    output: str | None,
    jobs: int,
) -> None:
    """Compute values and gradients: a graph document with grads.

    With --output NODE the gradients are those of NODE, which becomes the
    document's output.

    \b
    Example:
      gradpipe forward neuron.yaml | gradpipe backward --output n
    """
    stage = partial(backward, overrides=overrides, output=output)
    run_batch(stage, inputs, jobs, out_file=out_file, out_dir=out_dir, suffix=".json")


@click.command("validate", cls=Command, epilog=INPUT_HELP)
@inputs_argument
@jobs_option
@max_nodes_option
def validate_command(inputs: tuple[str, ...], jobs: int) -> None:
    """Check inputs without computing them.

    Silent when every input is valid; each error on standard error otherwise.

    \b
    Example:
      gradpipe validate examples/ && echo all valid
    """
    run_batch(validate, inputs, jobs, succeeded="valid")
