"""The one table of picture formats, and the layout limit: all the CLI needs up front."""

from __future__ import annotations

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
# Graphviz lays out this many nodes in seconds with the settings of gradpipe.render.dot
# (README: the timings).
DEFAULT_LAYOUT_LIMIT = 2000
