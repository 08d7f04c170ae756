"""The workloads as files under build/bench/, written once per version of the generators."""

from __future__ import annotations

import hashlib
import json
import os
import sys
from pathlib import Path
from typing import Any

from benchmarks import workloads
from benchmarks.measure import BUILD, python

# The neuron of the micrograd notes: what a Makefile of small diagrams runs on.
TINY_SPEC = """\
version: 1
name: neuron
values:
  x1: 2.0
  x2: 0.0
  w1: -3.0
  w2: 1.0
  b: 6.8813735870195432
nodes:
  n: x1*w1 + x2*w2 + b
  o: tanh(n)
output: o
"""


def cache_dir() -> Path:
    """build/bench/specs-HASH: a new folder when the generators change, never stale files."""
    source = Path(workloads.__file__).read_bytes()
    path = BUILD / f"specs-{hashlib.sha256(source).hexdigest()[:12]}"
    path.mkdir(parents=True, exist_ok=True)
    return path


def write_atomically(path: Path, text: str) -> Path:
    """Write ``text`` to ``path`` so that an interrupted run leaves no half file behind."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    partial.write_text(text, encoding="utf-8")
    os.replace(partial, path)
    return path


def spec_text(spec: dict[str, Any], fmt: str) -> str:
    """A spec as JSON (one line, as a program writes it) or YAML as people write it.

    The YAML has block mappings of leaves and nodes, one per line, each op object in
    flow style: ``n1: {op: mul, args: [w0_0_0, in0_0]}``.
    """
    if fmt == "json":
        return json.dumps(spec) + "\n"
    lines = [f"version: {spec['version']}", f"name: {spec['name']}", "values:"]
    lines += [f"  {name}: {value!r}" for name, value in spec["values"].items()]
    lines.append("nodes:")
    for name, node in spec["nodes"].items():
        args = ", ".join(str(a) for a in node["args"])
        lines.append(f"  {name}: {{op: {node['op']}, args: [{args}]}}")
    lines.append(f"output: {spec['output']}")
    return "\n".join(lines) + "\n"


def spec_file(workload: str, nodes: int, fmt: str = "json", seed: int = 0) -> Path:
    """``workload`` of about ``nodes`` nodes as a spec file (``fmt`` json or yaml)."""
    path = cache_dir() / f"{workload}-{nodes}-{seed}.{fmt}"
    if not path.exists():
        write_atomically(path, spec_text(workloads.make_spec(workload, nodes, seed), fmt))
    return path


def spec_nodes(path: Path) -> int:
    """How many nodes loading a JSON spec file makes: leaves, literals, computed nodes."""
    spec = json.loads(path.read_bytes())
    literals = sum(
        1 for node in spec["nodes"].values() for arg in node["args"] if not isinstance(arg, str)
    )
    return len(spec["values"]) + len(spec["nodes"]) + literals


def named_mlp_spec(samples: int, seed: int = 0) -> dict[str, Any]:
    """micrograd's MLP 2-16-16-1 loss as a person writes it: its parameters named, the rest
    formulas (inputs as literals), so the named nodes are the 337 parameters and three sums.

    About 2,400 nodes a sample: each hidden neuron's formula repeats the first layer's.
    """
    data = workloads._mlp_batch(samples, seed)
    values: dict[str, float] = {}
    (rows1, biases1), (rows2, biases2), (rows3, biases3) = data.layers
    for j, row in enumerate(rows1):
        values.update({f"w1_{j}_{i}": w for i, w in enumerate(row)})
        values[f"b1_{j}"] = biases1[j]
    for k, row in enumerate(rows2):
        values.update({f"w2_{k}_{j}": w for j, w in enumerate(row)})
        values[f"b2_{k}"] = biases2[k]
    values.update({f"v_{k}": w for k, w in enumerate(rows3[0])})
    values["c"] = biases3[0]
    terms = []
    for (x0, x1), y in zip(data.inputs, data.labels, strict=True):
        hidden1 = [f"tanh(w1_{j}_0*{x0!r} + w1_{j}_1*{x1!r} + b1_{j})" for j in range(len(rows1))]
        hidden2 = [
            "tanh(" + " + ".join(f"w2_{k}_{j}*{h}" for j, h in enumerate(hidden1)) + f" + b2_{k})"
            for k in range(len(rows2))
        ]
        out = " + ".join(f"v_{k}*{h}" for k, h in enumerate(hidden2)) + " + c"
        terms.append(f"relu(1 {'-' if y > 0 else '+'} ({out}))")
    nodes = {
        "data_loss": f"({' + '.join(terms)}) / {len(terms)}",
        "reg_loss": "0.0001*(" + " + ".join(f"{name}**2" for name in values) + ")",
        "loss": "data_loss + reg_loss",
    }
    return {"version": 1, "name": "mlp_named", "values": values, "nodes": nodes, "output": "loss"}


def named_mlp_file(nodes: int, seed: int = 0) -> Path:
    """``named_mlp_spec`` of about ``nodes`` nodes as a JSON spec file."""
    path = cache_dir() / f"mlp-named-{nodes}-{seed}.json"
    if not path.exists():
        samples = max(1, round(nodes / NAMED_MLP_NODES_PER_SAMPLE))
        write_atomically(path, json.dumps(named_mlp_spec(samples, seed)) + "\n")
    return path


NAMED_MLP_NODES_PER_SAMPLE = 2_400


def tiny_file() -> Path:
    """The neuron spec, a few nodes."""
    path = BUILD / "tiny.yaml"
    if not path.exists() or path.read_text(encoding="utf-8") != TINY_SPEC:
        write_atomically(path, TINY_SPEC)
    return path


def document_file(workload: str, nodes: int, seed: int = 0) -> Path:
    """``workload`` as a graph document with gradients, made by the API in a child process."""
    path = cache_dir() / f"{workload}-{nodes}-{seed}.graph.json"
    if not path.exists():
        python("specs", workload, str(nodes), str(seed), path, timeout=900).check("the API")
    return path


def main() -> None:
    """``python -m benchmarks.specs WORKLOAD NODES SEED OUT``: write a graph document.

    ``named-mlp`` as WORKLOAD writes ``named_mlp_spec`` of about NODES nodes, a spec.
    """
    from gradpipe.documents.graph import dump_document, graph_from_value

    workload, nodes, seed, out = sys.argv[1:5]
    if workload == "named-mlp":
        samples = max(1, round(int(nodes) / NAMED_MLP_NODES_PER_SAMPLE))
        write_atomically(Path(out), json.dumps(named_mlp_spec(samples, int(seed))) + "\n")
        return
    root = workloads.build(workload, workloads.gradpipe_engine(), int(nodes), int(seed))
    root.backward()
    document = graph_from_value(root, workload.replace("-", "_")).to_document()
    write_atomically(Path(out), dump_document(document))


if __name__ == "__main__":
    main()
