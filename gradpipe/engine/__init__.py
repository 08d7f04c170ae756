"""The autograd engine: ``Value`` and backprop (value.py), and the op table (ops.py)."""

from gradpipe.engine.ops import CONST, LEAF, OPS, Op
from gradpipe.engine.value import (
    NO_GRAD,
    Value,
    apply,
    backward_over,
    creation_order,
    operation_name,
    topological_order,
)

__all__ = [
    "CONST",
    "LEAF",
    "NO_GRAD",
    "OPS",
    "Op",
    "Value",
    "apply",
    "backward_over",
    "creation_order",
    "operation_name",
    "topological_order",
]
