"""gradpipe.gradcheck catches a learner's wrong ``_backward`` even under a built-in op's name.

The lecture writes its own tanh as ``Value(t, (self,), 'tanh')`` plus a closure. The closure
runs as written whatever its op name (SPEC 5), so a forgotten chain rule must show up as a
mismatch, not hide behind gradpipe's own tanh derivative.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import pytest

from gradpipe import Value, gradcheck
from gradpipe.errors import GradcheckError


def lecture_tanh(chain_rule: bool) -> Callable[[Value], Value]:
    """The lecture's tanh, cell for cell; without ``chain_rule`` it forgets ``* out.grad``."""

    def tanh(self: Value) -> Value:
        x = self.data
        t = (math.exp(2 * x) - 1) / (math.exp(2 * x) + 1)
        out = Value(t, (self,), "tanh")

        def _backward() -> None:
            if chain_rule:
                self.grad += (1 - t**2) * out.grad
            else:
                self.grad += 1 - t**2

        out._backward = _backward  # type: ignore[method-assign]
        return out

    return tanh


@pytest.mark.parametrize("x", [0.5, -1.3, 2.0])
def test_the_lectures_right_tanh_passes(x: float) -> None:
    tanh = lecture_tanh(chain_rule=True)
    assert gradcheck(lambda v: tanh(v) * 3.0, [x])


@pytest.mark.parametrize("x", [0.5, -1.3, 2.0])
def test_a_tanh_closure_that_forgets_the_chain_rule_is_caught(x: float) -> None:
    tanh = lecture_tanh(chain_rule=False)
    # out.grad is 3 here, so the forgotten factor changes the leaf's gradient threefold.
    assert not gradcheck(lambda v: tanh(v) * 3.0, [x], raise_exception=False)
    with pytest.raises(GradcheckError):
        gradcheck(lambda v: tanh(v) * 3.0, [x])
