"""The floor processes gradpipe's CLI is compared with: ``python -m benchmarks.floors``.

``document SPEC OUT``: json.loads a spec, build a graph document of the same shape (a
node for each leaf, literal and computed node, in the spec's order), json.dumps it.
``dumps DOCUMENT OUT``: json.loads a graph document and json.dumps it again.
Neither computes anything: they are what reading and writing the bytes costs.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any


def document_of(spec: dict[str, Any]) -> dict[str, Any]:
    """A graph document with the nodes a spec makes, with placeholder values and grads."""
    nodes: list[dict[str, Any]] = []
    for name, leaf in spec["values"].items():
        value = leaf["value"] if isinstance(leaf, dict) else leaf
        nodes.append(
            {"id": name, "label": name, "op": "value", "args": [], "value": value, "grad": 0.0}
        )
    literals = 0
    for name, node in spec["nodes"].items():
        args = []
        for arg in node["args"]:
            if not isinstance(arg, str):
                literals += 1
                const = f"_{literals}"
                nodes.append(
                    {
                        "id": const,
                        "label": repr(arg),
                        "op": "const",
                        "args": [],
                        "value": arg,
                        "grad": None,
                    }
                )
                arg = const
            args.append(arg)
        nodes.append(
            {"id": name, "label": name, "op": node["op"], "args": args, "value": 0.0, "grad": 0.0}
        )
    return {
        "version": 1,
        "name": spec.get("name", "stdin"),
        "output": spec["output"],
        "nodes": nodes,
    }


def main() -> None:
    """Run the floor the first argument names."""
    kind, source, target = sys.argv[1:4]
    data = json.loads(Path(source).read_bytes())
    document = document_of(data) if kind == "document" else data
    Path(target).write_text(json.dumps(document), encoding="utf-8")


if __name__ == "__main__":
    main()
