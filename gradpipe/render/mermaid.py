"""Mermaid: the same drawing as DOT's, as a ``flowchart LR`` GitHub renders in Markdown."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from gradpipe.engine.ops import OP_SYMBOLS
from gradpipe.render.labels import CONTROL, kind, records

if TYPE_CHECKING:
    from gradpipe.documents.graph import Graph

# Mermaid's styles of the same drawing (GitHub renders them in Markdown).
MERMAID_CLASSES = (
    "\tclassDef leaf fill:#d6eaf8,stroke:#333\n"
    "\tclassDef const fill:#fff,stroke:#888,stroke-dasharray:4 3,color:#555\n"
    "\tclassDef output fill:#fdebd0,stroke:#333,stroke-width:3px\n"
    "\tclassDef op fill:#eee,stroke:#888\n"
)
_MERMAID_ESCAPES = str.maketrans(
    {
        **CONTROL,
        "#": "#35;",
        '"': "#quot;",
        "&": "#amp;",
        "<": "#lt;",
        ">": "#gt;",
        "`": "#96;",
        "\n": "<br>",
    }
)
_MERMAID_SPECIAL = re.compile(r'[#"&<>`\x00-\x1f\x7f]')


def to_mermaid(graph: Graph) -> str:
    """A Mermaid ``flowchart LR`` of the same drawing, which GitHub renders in Markdown.

    Node ids are positions (``n0``, ``n0op``): graph ids may be Mermaid keywords (``end``).
    Shared nodes are drawn once; the browser's layout has no long-edge problem to avoid.
    """
    nodes = graph.nodes
    names = {id(v): f"n{i}" for i, v in enumerate(nodes)}
    output = graph.node(graph.output)
    kinds = {"output": ":::output", "leaf": ":::leaf", "const": ":::const", "": ""}
    op_shapes = {op: f'op(("{_mermaid_text(symbol)}")):::op\n' for op, symbol in OP_SYMBOLS.items()}
    lines = ["flowchart LR\n", MERMAID_CLASSES]
    append = lines.append
    for v, fields in zip(nodes, records(graph, _mermaid_text), strict=True):
        name = names[id(v)]
        shown = kinds[kind(v, output)]
        if not v._prev:
            append(f'\t{name}["{fields}"]{shown}\n')
            continue
        edges = "".join([f"\t{names[id(c)]} --> {name}op\n" for c in v._prev])
        append(
            f'\t{name}["{fields}"]{shown}\n\t{name}{op_shapes[v._op]}{edges}\t{name}op --> {name}\n'
        )
    return "".join(lines)


def _mermaid_text(text: str) -> str:
    """Label text as it reads in Mermaid: quotes, HTML and its own ``#`` codes escaped."""
    if not _MERMAID_SPECIAL.search(text):
        return text
    return text.replace("\r\n", "\n").replace("\r", "\n").translate(_MERMAID_ESCAPES)
