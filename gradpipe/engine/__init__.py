"""The autograd engine: ``Value`` and backprop (value.py), and the op table (ops.py)."""

from gradpipe.engine.ops import CONST, LEAF, OPS, Op
from gradpipe.engine.value import Value, apply, topological_order

__all__ = ["CONST", "LEAF", "OPS", "Op", "Value", "apply", "topological_order"]
