"""gradpipe: see and check the gradients of an expression."""

from gradpipe.checking import gradcheck, gradcheck_report
from gradpipe.engine import Value
from gradpipe.errors import GradcheckError, GradpipeError, MathError

__all__ = ["GradcheckError", "GradpipeError", "MathError", "Value", "gradcheck", "gradcheck_report"]
__version__ = "0.1.0"
