"""Documents: from a file's bytes to a plan, to a Graph of Values, and back to JSON.

``read_plan`` validates and plans (nothing computed), ``build_graph`` computes the
plan's Values, ``load_document`` does both. Every error points at its place in the file.
"""

from gradpipe.documents.build import build_graph, load_document
from gradpipe.documents.graph import Graph, dump_document, encode_document, graph_from_value
from gradpipe.documents.plan import Plan, read_plan

__all__ = [
    "Graph",
    "Plan",
    "build_graph",
    "dump_document",
    "encode_document",
    "graph_from_value",
    "load_document",
    "read_plan",
]
