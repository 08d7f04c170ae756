"""The one table of picture formats, and the layout limit: all the CLI needs up front."""

from __future__ import annotations

from gradpipe.errors import RenderError

# Each format and the suffix of its files (Mermaid's is .mmd), in the order help lists them.
FORMATS = {
    "svg": ".svg",
    "dot": ".dot",
    "png": ".png",
    "json": ".json",
    "mermaid": ".mmd",
    "html": ".html",
    "pdf": ".pdf",
}
# Further -o extensions that name a format, when -f is not given.
ALIASES = {".gv": "dot", ".mermaid": "mermaid", ".htm": "html"}
# Formats that need a layout: the only ones the layout limit applies to.
LAYOUT_FORMATS = ("svg", "png", "pdf", "html")
# Formats that show backprop step by step, so always computed with gradients.
STEP_FORMATS = ("html",)
# The biggest MLP of this many nodes lays out in under 30 s with either Graphviz program
# (2,937 nodes: 23 s here; 4,065 nodes: 48 s; README: the timings, `make bench` figure 5).
DEFAULT_LAYOUT_LIMIT = 3000


def limit_refusal(nodes: int, limit: int) -> RenderError:
    """The API's refusal of a picture past ``layout_limit``: its keywords, not the CLI's options."""
    return RenderError(
        f"graph has {nodes} nodes, more than layout_limit={limit}: laying it out would take "
        "minutes; pass layout_limit=None (or a larger number) to draw it, or draw part of it "
        "(view='named', focus=...)"
    )
