"""Figure 3: gradpipe's loader on a YAML spec against PyYAML's C loader on the same bytes."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

import yaml

from benchmarks.measure import Config, Row, not_available, ratio_row, size, timed
from benchmarks.specs import spec_file

TARGET = 1.3  # at most this many times PyYAML's CSafeLoader
WORKLOAD = "mlp-sum"


def rows(config: Config) -> list[Row]:
    """One row: the best of a few alternating loads of each."""
    figure = f"3 yaml load {WORKLOAD} {size(config.yaml_nodes)} vs CSafeLoader"
    target = f"<= {TARGET:g}x"
    c_loader = getattr(yaml, "CSafeLoader", None)
    if c_loader is None:
        return [not_available(figure, target, "PyYAML built without libyaml")]
    try:
        parse_data: Callable[..., Any] = importlib.import_module(
            "gradpipe.documents.parsing"
        ).parse_data
    except (ImportError, AttributeError) as error:
        return [not_available(figure, target, f"gradpipe.documents.parsing.parse_data: {error}")]
    path = spec_file(WORKLOAD, config.yaml_nodes, "yaml")
    raw = path.read_bytes()
    ours, theirs = [], []
    for _ in range(3):
        ours.append(timed(lambda: parse_data(raw, str(path))))
        theirs.append(timed(lambda: yaml.load(raw, Loader=c_loader)))
    row = ratio_row(
        figure, min(ours), min(theirs), at_most=TARGET, names=("gradpipe", "CSafeLoader")
    )
    row.details["bytes"] = len(raw)
    return [row]
