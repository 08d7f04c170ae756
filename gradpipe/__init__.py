"""gradpipe: see and check the gradients of an expression."""

from gradpipe.engine import Value
from gradpipe.errors import GradpipeError, MathError

__all__ = ["GradpipeError", "MathError", "Value"]
__version__ = "0.1.0"
