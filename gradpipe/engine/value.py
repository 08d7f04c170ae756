"""A scalar autograd engine in micrograd's style, with PyTorch float64 semantics.

Each op computes its value eagerly; ``backward`` applies each op's local derivative to
the nodes the output depends on, latest created first: a reverse topological order, and
torch's engine's, so each gradient's terms are added in torch's order. Nothing here
recurses per node, knows about files, or imports anything beyond the standard library.

A node whose ``grad`` is ``NO_GRAD`` (a 0.0 of its own) is constant (a wrapped plain
number, or an op on constants only): like a PyTorch tensor without ``requires_grad``, it
takes part in the forward pass but neither receives nor passes on a gradient. A leaf's
``grad`` set to ``None`` (torch's ``zero_grad(set_to_none=True)``) is a zeroed one.

The arithmetic is PyTorch's (ATen's CPU kernels and autograd formulas, in their order of
operations), so values and gradients agree with ``torch.float64`` to the last bit wherever
both use IEEE arithmetic. Where torch has two spellings, the reference is: for a constant
exponent ``tensor ** number`` (``x * x`` for 2, ``x * x * x`` for 3, ``1 / x``, ``sqrt``,
..., else C's ``pow``), for a variable one ``torch.pow(tensor, tensor)``; for ``2 / x``
``torch.div`` (torch's ``number / tensor`` is a reciprocal times the number); for tanh's
derivative ``fma(-t, t, 1)``, as ATen's AVX2 and AVX512 kernels compute ``1 - t * t``.
``exp`` and ``log`` come from the C library, ``tanh`` from ``gradpipe.engine.kernels``;
torch's come from MKL, which differs from a correctly rounded result now and then
(``kernels`` says how often). Zeros keep torch's signs: a node's first gradient
contribution is its gradient, as in torch's engine.

micrograd's protocol holds for every node: ``_backward()`` applies the node's local
derivatives to its children's ``grad`` (a leaf's does nothing), so calling it by hand in
reverse topological order is backprop; a ``_backward`` closure a user sets (the lecture's
way of adding an op) always runs as written, whatever its ``_op``; ``_op`` reads as
micrograd's (``""``, ``+``, ``*``, ``**2``, ``ReLU``, ``tanh``), ``operation`` is
gradpipe's name (``value``, ``add``, ``mul``, ``pow``, ``relu``).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Iterable, Sequence
from operator import attrgetter
from typing import TYPE_CHECKING, Any, TypeAlias, cast

from gradpipe.engine.kernels import one_minus_square
from gradpipe.engine.kernels import tanh as _tanh
from gradpipe.engine.ops import BY_NAME, CONST, LEAF, MICROGRAD_OPS, power
from gradpipe.errors import MathError

if TYPE_CHECKING:
    import graphviz  # type: ignore[import-untyped]

Number: TypeAlias = "int | float"
Operand: TypeAlias = "Value | int | float"

_exp = math.exp
_log = math.log
_pow = math.pow
_new = object.__new__

# A constant's gradient: the number 0.0, but this very object, so that the engine tells
# constants apart by identity at no cost per node. Arithmetic never returns it.
NO_GRAD = float("0.0")

# Each computed node's creation number. Arguments exist before their users, so decreasing
# creation order is a reverse topological order, and it is the order torch's engine runs
# its nodes in (highest sequence number first): a node's gradient contributions are added
# in torch's order, bit for bit. Leaves need none: they pass nothing on.
_created = itertools.count().__next__
_creation = attrgetter("_seq")


class _Unordered(Exception):
    """A list of nodes is not in creation order."""


class _Custom:
    """The op of a node made the lecture's way: its ``_op`` as given and its closure."""

    __slots__ = ("closure", "op")

    def __init__(self, op: object, closure: Callable[[], None] | None) -> None:
        self.op = op
        self.closure = closure

    def __repr__(self) -> str:
        return f"{self.op}" if isinstance(self.op, str) else repr(self.op)


class Value:
    """A scalar in an expression graph: its value, gradient, label, op and children."""

    __slots__ = ("_a", "_b", "_kind", "_seq", "data", "grad", "label")

    data: float
    grad: float
    label: str
    # The op: a name of the op table, LEAF, CONST, or a _Custom for a user's op.
    _kind: str | _Custom
    # The arguments, without a tuple per node (most ops have one or two): `_a` is None
    # for a leaf; else `_a` and `_b` are the arguments, `_b` None for a unary op; or `_b`
    # is ... (Ellipsis: it survives copy and pickle) and `_a` holds them all (a tuple, or
    # the collection a user set as `_prev`).
    _a: Any  # Value | Collection[Value] | None, as just said
    _b: Any  # Value | EllipsisType | None
    # The creation number of a computed node; None once its arguments were set by hand,
    # which may make it older than an argument (sorting by it then fails, as it must).
    _seq: int | None

    def __init_subclass__(cls, **kwargs: Any) -> None:
        # A subclass's own __init__ (the notes' bodies set only value, children, ...) may
        # leave gradpipe's fields unset: its nodes start as leaves with grad 0 and no label,
        # as Value's own start. Value itself pays nothing for this.
        super().__init_subclass__(**kwargs)
        if "__init__" in cls.__dict__ and "__new__" not in cls.__dict__:
            cls.__new__ = _preset  # type: ignore[method-assign,assignment]

    def __init__(
        self,
        data: Number,
        _children: Iterable[Value] | str = (),
        _op: str = "",
        label: str = "",
    ) -> None:
        # `Value(2.0, "a")` labels a leaf; `Value(t, (self,), "tanh")` is micrograd's way of
        # adding an op, whose closure `_backward` then gives the local derivatives.
        if isinstance(_children, str):
            label, _children = _children, ()
        self.data = data if type(data) is float else _as_float(data)
        self.grad = 0.0
        self.label = label
        if _children:
            _set_arguments(self, tuple(_children))
        else:
            self._a = self._b = None
        if self._a is not None:
            self._kind = _Custom(_op, None)
            self._seq = _created()
        else:
            self._kind = LEAF
        if self.data - self.data != 0.0:
            raise MathError(f"value of {_describe(self)} is {_show(self.data)}", self)

    # The notes' names for micrograd's `data` and `grad`.
    @property
    def value(self) -> float:
        """The node's value (micrograd's ``data``)."""
        return self.data

    @value.setter
    def value(self, data: float) -> None:
        self.data = data

    @property
    def gradient(self) -> float:
        """d(output)/d(this node) after ``backward`` (micrograd's ``grad``); 0.0 for a constant."""
        return self.grad

    @gradient.setter
    def gradient(self, grad: float) -> None:
        self.grad = grad

    @property
    def operation(self) -> str:
        """The op's name: ``value`` for a leaf, ``const`` for a literal, else e.g. ``mul``.

        A node made the lecture's way, ``Value(t, (x,), "tanh")``, reads its given op.
        """
        kind = self._kind
        return kind.op if type(kind) is _Custom else kind  # type: ignore[return-value]

    @operation.setter
    def operation(self, op: object) -> None:
        # A subclass pasting the notes' class body sets its own op (an Enum, say).
        self._kind = _Custom(op, _closure_of(self))

    @property
    def _prev(self) -> tuple[Value, ...]:
        """micrograd's children: the op's arguments, in order, repeats kept (``a + a`` has two).

        A tuple, or the very collection set by hand (micrograd's ``__init__`` sets a set).
        """
        a, b = self._a, self._b
        if b is None:
            return () if a is None else (a,)
        return a if b is ... else (a, b)

    @_prev.setter
    def _prev(self, children: Iterable[Value]) -> None:
        # Set by hand (micrograd's own __init__ does, as a set): the node may now use one
        # made after it, so backward and creation_order go depth first through it. A
        # user's op keeps the very collection; a built-in op's arguments go in its slots.
        custom = type(getattr(self, "_kind", None)) is _Custom
        if custom and children and type(children) is not tuple:
            self._a, self._b = children, ...
        else:
            _set_arguments(self, tuple(children))
        self._seq = None

    children = _prev

    def __getstate__(self) -> tuple[dict[str, Any] | None, dict[str, Any]]:
        """For copy and pickle: the slots, a constant's gradient (an identity) as None."""
        slots = {name: getattr(self, name) for name in Value.__slots__ if hasattr(self, name)}
        if slots.get("grad") is NO_GRAD:
            slots["grad"] = None
        return getattr(self, "__dict__", None), slots

    def __setstate__(self, state: tuple[dict[str, Any] | None, dict[str, Any]]) -> None:
        # Arguments are rebuilt before their users (they are in the users' state), so a
        # computed node is numbered anew as it is rebuilt: numbers from another process,
        # or from before a copy, would put nodes made after loading before their arguments.
        attributes, slots = state
        if attributes:
            self.__dict__.update(attributes)
        for name, value in slots.items():
            object.__setattr__(self, name, value)
        if slots.get("grad", 0.0) is None:
            self.grad = NO_GRAD
        if slots.get("_seq") is not None:
            self._seq = _created()

    @property
    def requires_grad(self) -> bool:
        """False for a constant (a plain number, or an op on such only): it gets no gradient.

        A constant's ``grad`` reads 0.0, so micrograd-style code can format and add it;
        graph documents write ``null`` for it. Setting a constant's ``grad`` makes it an
        ordinary node that receives gradients, as micrograd's wrapped numbers do.
        """
        return self.grad is not NO_GRAD

    @property
    def is_constant(self) -> bool:
        """True when the node depends on no leaf, so it takes no gradient."""
        return self.grad is NO_GRAD

    @property
    def _op(self) -> str:
        """micrograd's name of the op: ``""`` for a leaf or a literal, ``+``, ``*``, ``**2``, ..."""
        kind = self._kind
        if type(kind) is _Custom:
            return kind.op  # type: ignore[return-value]
        if kind == "pow":
            exponent = self._prev[1]
            if not exponent.is_constant:
                return "**"
            if type(exponent) is _FloatExponent:  # micrograd's f"**{other}": **2.0 as written
                return "**" + repr(exponent.data)
            return "**" + _exponent_text(exponent.data)
        return MICROGRAD_OPS[kind]  # type: ignore[index]

    @_op.setter
    def _op(self, op: str) -> None:
        # micrograd's __init__ sets _op after _prev; a node without children is a leaf.
        if not op and not getattr(self, "_prev", ()):
            self._kind = LEAF
        else:
            self._kind = _Custom(op, _closure_of(self))

    @property
    def _backward(self) -> Callable[[], None]:
        """Apply this node's local derivatives to its children's ``grad`` (micrograd's protocol).

        A leaf's and a constant's do nothing; a closure a user set is returned as set.
        """
        kind = getattr(self, "_kind", LEAF)
        if type(kind) is _Custom and kind.closure is not None:
            return kind.closure
        return self._local_backward

    @_backward.setter
    def _backward(self, closure: Callable[[], None]) -> None:
        kind = getattr(self, "_kind", None)
        if type(kind) is _Custom:
            kind.closure = closure
        elif kind is None or kind == LEAF:
            # micrograd's __init__ sets _backward first, on a fresh node (a leaf, preset so
            # by _preset): its _op comes later and says what the node is.
            self._kind = _Custom("", closure)
        elif kind != LEAF and kind != CONST:  # a built-in node taken over by a user's closure
            self._kind = _Custom(self._op, closure)

    def _local_backward(self) -> None:
        """The built-in ops' ``_backward``: the same local derivatives as ``backward`` applies."""
        _propagate((self,), None)

    @classmethod
    def constant(cls, data: Number, label: str = "") -> Value:
        """A literal: takes part in the forward pass, gets no gradient."""
        out = cls(data, label)
        out.grad = NO_GRAD
        out._kind = CONST
        return out

    def __repr__(self) -> str:
        return f"Value(data={self.data}, grad={self.grad})"

    # Binary ops: the value here, the local derivatives in `backward`.
    def __add__(self, other: Operand) -> Value:
        if not isinstance(other, Value):
            other = _wrap(other)
        constant = self.grad is NO_GRAD and other.grad is NO_GRAD
        return _node(self.data + other.data, "add", self, other, constant)

    def __sub__(self, other: Operand) -> Value:
        if not isinstance(other, Value):
            other = _wrap(other)
        constant = self.grad is NO_GRAD and other.grad is NO_GRAD
        return _node(self.data - other.data, "sub", self, other, constant)

    def __mul__(self, other: Operand) -> Value:
        if not isinstance(other, Value):
            other = _wrap(other)
        constant = self.grad is NO_GRAD and other.grad is NO_GRAD
        return _node(self.data * other.data, "mul", self, other, constant)

    def __truediv__(self, other: Operand) -> Value:
        if not isinstance(other, Value):
            other = _wrap(other)
        if other.data == 0.0:
            raise _math_error("division by zero", "div", (self, other))
        constant = self.grad is NO_GRAD and other.grad is NO_GRAD
        return _node(self.data / other.data, "div", self, other, constant)

    def __pow__(self, other: Operand) -> Value:
        if not isinstance(other, Value):
            # Wrapped as a Value, a float exponent would read as an int's in _op: **2.0 as **2.
            other = _FloatExponent.constant(other) if isinstance(other, float) else _wrap(other)
        x, y = self.data, other.data
        try:
            # A constant exponent is ATen's `tensor ** number`, a variable one `tensor ** tensor`.
            data = power(x, y) if other.grad is NO_GRAD else _pow(x, y)
        except (ValueError, OverflowError, ZeroDivisionError):
            raise _math_error(_power_problem(x, y), "pow", (self, other)) from None
        constant = self.grad is NO_GRAD and other.grad is NO_GRAD
        return _node(data, "pow", self, other, constant)

    # `2 + a` and `2 * a` are `a + 2` and `a * 2`, as in micrograd (whose `_prev` then
    # starts with `a`) and torch (whose `__rmul__` is `mul(self, other)`): the same bits.
    def __radd__(self, other: Number) -> Value:
        return self + other

    def __rsub__(self, other: Number) -> Value:
        return _wrap(other) - self

    def __rmul__(self, other: Number) -> Value:
        return self * other

    def __rtruediv__(self, other: Number) -> Value:
        return _wrap(other) / self

    def __rpow__(self, other: Number) -> Value:
        return _wrap(other) ** self

    def __neg__(self) -> Value:
        return _node(-self.data, "neg", self, None, self.grad is NO_GRAD)

    def __pos__(self) -> Value:
        return self

    # Unary functions.
    def exp(self) -> Value:
        """e to the power of this node."""
        try:
            data = _exp(self.data)
        except OverflowError:
            raise _math_error("exp overflows", "exp", (self,)) from None
        return _node(data, "exp", self, None, self.grad is NO_GRAD)

    def log(self) -> Value:
        """The natural logarithm; defined for positive values only."""
        if self.data <= 0.0:
            raise _math_error(f"log of {_show(self.data)}", "log", (self,))
        return _node(_log(self.data), "log", self, None, self.grad is NO_GRAD)

    def tanh(self) -> Value:
        """The hyperbolic tangent (exactly ±1 once saturated, with gradient 0)."""
        return _node(_tanh(self.data), "tanh", self, None, self.grad is NO_GRAD)

    def relu(self) -> Value:
        """max(0, x), with derivative 0 at 0 as in PyTorch (whose relu(-0.0) is -0.0)."""
        x = self.data
        return _node(0.0 if x < 0.0 else x, "relu", self, None, self.grad is NO_GRAD)

    def sigmoid(self) -> Value:
        """1 / (1 + e^-x), as ATen computes it, without overflow for any x."""
        try:  # inline: the value of ops.sigmoid without a call
            data = 1.0 / (1.0 + _exp(-self.data))
        except OverflowError:  # e^-x is infinite, so ATen's quotient is 0
            data = 0.0
        return _node(data, "sigmoid", self, None, self.grad is NO_GRAD)

    @staticmethod
    def sum(terms: Iterable[Operand]) -> Value:
        """One node adding any number (at least one) of terms, left to right as a + b + c."""
        children = tuple(t if isinstance(t, Value) else _wrap(t) for t in terms)
        if not children:
            raise ValueError("sum needs at least one term")
        data = children[0].data
        constant = children[0].grad is NO_GRAD
        for c in children[1:]:
            data += c.data
            if c.grad is not NO_GRAD:
                constant = False
        return _node(data, "sum", *_arguments(children), constant)

    def backward(self) -> None:
        """Backpropagate from this node: its gradient is 1, every node's is d(self)/d(node).

        Leaves accumulate (as in micrograd and PyTorch, so a training loop zeroes them);
        the gradients of computed nodes are recomputed from zero. Each node's local
        derivatives are those its ``_backward`` applies, a user's closure included.
        """
        if self.grad is NO_GRAD:
            return
        order, leaves = _backward_order(self)
        self.grad = 1.0
        # Applied latest created first, each node popped as it is applied: the list's memory
        # goes as the gradients' comes. Its first entry, None, ends the walk.
        walk = cast("list[Value | None]", order)
        walk.insert(0, None)
        closures = _propagate(iter(walk.pop, None), self)
        for v in leaves:  # computed nodes' gradients are checked as they are applied
            g = v.grad
            if g - g != 0.0:
                raise _gradient_error(v, self)
        if closures:  # a user's closure may leave an argument untouched: no -0.0 shows
            for v in topological_order((self,)):
                if v.grad == 0.0 and v.grad is not NO_GRAD:
                    v.grad = 0.0

    def render_graph(
        self, format: str = "svg", rankdir: str = "LR", **options: Any
    ) -> graphviz.Digraph:
        """The graph drawn as micrograd's ``draw_dot`` draws it: ``gradpipe.draw_dot(self)``.

        A ``graphviz.Digraph`` that shows inline in Jupyter, ``pipe()``s and ``render()``s
        with no Graphviz installed; graphs past ``layout_limit`` nodes are refused at once.
        """
        from gradpipe.render.diagram import draw_dot  # only drawing needs graphviz

        return draw_dot(self, format, rankdir, **options)

    def show(self, **options: Any) -> Any:
        """The interactive HTML view of the graph: hover, search, step through backprop.

        Shows inline in Jupyter and VS Code notebooks; ``.save("page.html")`` writes it.
        Takes ``draw_dot``'s picture options: ``view="named"``, ``focus``, ``depth``,
        ``compact``, ``edge_grads``, ``rankdir`` and ``layout_limit``, and ``height`` in pixels.
        """
        from gradpipe.render.diagram import show_value  # only drawing needs graphviz

        return show_value(self, **options)


def apply(op: str, args: Sequence[Value]) -> Value:
    """Compute ``op`` (a name of the op table) over ``args``: the documents' entry point."""
    row = BY_NAME.get(op)
    if row is None:
        raise ValueError(f"unknown op {op!r}")
    if row.arity is None:
        if not args:
            raise ValueError(f"op {op!r} takes at least one argument")
    elif len(args) != row.arity:
        raise ValueError(f"op {op!r} takes {row.arity} arguments, not {len(args)}")
    if row.method is None:
        return _computed(op, tuple(args))
    method = getattr(Value, row.method)
    if row.arity is None:
        return method(args)  # type: ignore[no-any-return]
    return method(*args)  # type: ignore[no-any-return]


def _computed(op: str, children: tuple[Value, ...]) -> Value:
    """A node of an op that has only its table row: its value from the row's function."""
    try:
        data = BY_NAME[op].value(*[c.data for c in children])
    except (ValueError, OverflowError, ZeroDivisionError):
        raise _math_error(f"{op} has no finite value", op, children) from None
    constant = all(c.grad is NO_GRAD for c in children)
    return _node(float(data), op, *_arguments(children), constant)


def _row_backward(v: Value, g: float) -> None:
    """The local derivatives of an op that has only its table row."""
    children = v._prev
    try:
        local = BY_NAME[v.operation].derivative(v.data, *[c.data for c in children])
    except (ValueError, OverflowError, ZeroDivisionError):
        raise MathError(f"gradient of {_describe(v)} has no finite value", v) from None
    for c, d in zip(children, local, strict=True):
        if c.grad is not NO_GRAD:
            c.grad += g * d


def topological_order(roots: Iterable[Value]) -> list[Value]:
    """Every node reachable from ``roots``, arguments before their users, by a loop.

    The order is deterministic: a depth-first walk, children in order, roots in order.
    Children may be any iterable a subclass puts in ``_prev`` (micrograd's is a set).
    """
    order: list[Value] = []
    emit = order.append
    visited: set[Value] = set()
    visit = visited.add
    for root in roots:
        # Nodes to visit, each expanded node followed by None, which marks that its
        # children are done. Plain list entries, so deep graphs wake no garbage collection.
        stack: list[Value | None] = [root]
        push = stack.append
        pop = stack.pop
        while stack:
            node = pop()
            if node is None:
                emit(pop())  # type: ignore[arg-type]
            elif node not in visited:
                visit(node)
                finished = True
                prev = node._prev
                if prev.__class__ is not tuple:
                    prev = tuple(prev)
                for c in prev:  # leading leaves are done at once
                    if c not in visited:
                        if c._a is not None:
                            finished = False
                            break
                        visit(c)
                        emit(c)
                if finished:
                    emit(node)
                else:
                    push(node)
                    push(None)
                    for c in reversed(prev):
                        if c not in visited:
                            push(c)
    return order


def creation_order(roots: Iterable[Value]) -> list[Value]:
    """Every node reachable from ``roots``, arguments before users, computed ones as created.

    Leaves (which have no creation number) come first, in depth-first order. Reversed, the
    computed nodes that take gradients are the order ``backward`` applies them in, so code
    that replays backprop (the steps view, sweeps) adds gradients in the engine's order.
    Where a node has no creation number or was rewired, it is ``topological_order``.
    """
    topo = topological_order(roots)
    try:
        return sorted(topo, key=_leaf_or_creation)
    except (AttributeError, TypeError):  # no creation number, or None: rewired
        return topo


def _leaf_or_creation(v: Value) -> int:
    return v._seq if v._a is not None else -1  # type: ignore[return-value]  # None: rewired


def backward_over(root: Value, nodes: Sequence[Value]) -> None:
    """``root``'s gradients with respect to ``nodes``, from zero, for a holder of its nodes.

    ``nodes`` holds every node ``root`` depends on, as created (arguments first), as a graph
    built from a document does: they are applied latest created first, as ``backward``
    applies them, without finding and sorting them first. Nodes ``root`` does not reach
    get 0.0; leaves start from zero too. Where ``nodes`` is not in creation order, this is
    ``backward`` after zeroing.
    """
    unreached = float("-0.0")  # a new object: marks what no term has reached yet
    made = -1
    try:
        for v in nodes:
            if v.grad is not NO_GRAD:
                v.grad = unreached
            if v._a is not None:
                if v._seq <= made:  # type: ignore[operator]
                    raise _Unordered
                made = v._seq  # type: ignore[assignment]
    except (AttributeError, TypeError, _Unordered):
        for v in nodes:
            if v.grad is not NO_GRAD:
                v.grad = 0.0
        root.backward()
        return
    if root.grad is not NO_GRAD:
        root.grad = 1.0
        closures = _propagate(reversed(nodes), root, unreached)
    else:
        closures = False
    for v in nodes:
        g = v.grad
        if g is unreached or (closures and g == 0.0):
            v.grad = 0.0


def _backward_order(root: Value) -> tuple[list[Value], list[Value]]:
    """The computed nodes ``root`` depends on, as created (``root`` last), and its leaves.

    Latest created first is the order torch's engine runs its nodes in (highest sequence
    number first), so each gradient's contributions are added in torch's order. Constants
    are left out. Gradients are reset on the way: a computed node's to -0.0, so that its
    first contribution is its gradient as in torch's engine, and a leaf's too where it is
    zero (leaves accumulate over passes). The reset value is a fresh object, which marks a
    node as seen at no cost in memory. Nodes without a creation number (a user's subclass)
    or rewired after creation are walked depth first.
    """
    seen = float("-0.0")  # a new object: no gradient is this very float yet
    root.grad = seen
    order = [root]
    leaves: list[Value] = []
    emit = order.append
    leaf = leaves.append
    try:
        for v in order:  # breadth first: the list grows as it is walked
            a, b = v._a, v._b
            for c in (a,) if b is None else a if b is ... else (a, b):
                g = c.grad
                if g is NO_GRAD:
                    continue
                if c._a is not None:
                    if g is not seen:
                        c.grad = seen
                        emit(c)
                elif g is not seen:
                    # Marked too: listed once (one that accumulates, each time). None is
                    # a zeroed gradient, as torch's zero_grad(set_to_none=True) leaves it.
                    if g == 0.0 or g is None:
                        c.grad = seen
                    leaf(c)
        order.sort(key=_creation)  # fails on a node rewired by hand: its number is None
    except (AttributeError, TypeError):
        topo = topological_order((root,))
        order, leaves = [], []
        for v in topo:
            g = v.grad
            if g is NO_GRAD:
                continue
            if v._a is not None:
                v.grad = -0.0
                order.append(v)
            else:
                if g == 0.0 or g is None:
                    v.grad = -0.0
                leaves.append(v)
    return order, leaves


def _propagate(nodes: Iterable[Value], root: Value | None, unreached: object = None) -> bool:
    """Apply each node's local derivatives, in ATen's formulas and order of operations.

    ``backward`` passes the graph's computed nodes, latest created first (``root`` is its
    output, to name the users of a node whose gradient is not finite); ``backward_over``
    passes every node, skipping those whose gradient is still ``unreached``; a node's
    ``_backward`` passes itself. True when a user's closure ran.
    """
    closures = False
    for v in nodes:
        g = v.grad
        if g is NO_GRAD or g is unreached:
            continue
        if g - g != 0.0:
            raise _gradient_error(v, root)
        op = v._kind
        if op == "mul":
            a, b = v._a, v._b
            if a.grad is not NO_GRAD:
                a.grad += g * b.data
            if b.grad is not NO_GRAD:
                b.grad += g * a.data
        elif op == "add":
            a, b = v._a, v._b
            if a.grad is not NO_GRAD:
                a.grad += g
            if b.grad is not NO_GRAD:
                b.grad += g
        elif op == "tanh":
            a = v._a
            a.grad += g * one_minus_square(v.data)
        elif op == "sum":
            for c in v._prev:
                if c.grad is not NO_GRAD:
                    c.grad += g
        elif op == LEAF:
            pass
        elif op == "relu":
            a = v._a
            a.grad += g if v.data > 0.0 else 0.0
        elif op == "sub":
            a, b = v._a, v._b
            if a.grad is not NO_GRAD:
                a.grad += g
            if b.grad is not NO_GRAD:
                b.grad += -g
        elif op == "pow":
            _pow_backward(v, g)
        elif op == "neg":
            a = v._a
            a.grad += -g
        elif op == "div":
            a, b = v._a, v._b
            if a.grad is not NO_GRAD:
                a.grad += g / b.data
            if b.grad is not NO_GRAD:
                b.grad += -g * ((a.data / b.data) / b.data)
        elif op == "exp":
            a = v._a
            a.grad += g * v.data
        elif op == "log":
            a = v._a
            a.grad += g / a.data
        elif op == "sigmoid":
            a = v._a
            s = v.data
            a.grad += g * (1.0 - s) * s
        elif type(op) is _Custom:  # an op added the lecture's way: its closure, as written
            closures = True
            if op.closure is not None:
                op.closure()
        elif op in BY_NAME:  # an op of the table without a fast path here
            _row_backward(v, g)
    return closures


class _FloatExponent(Value):
    """A plain float exponent (the ``2.0`` of ``x ** 2.0``), a constant like any other.

    Only ``_op`` tells it apart: micrograd's is ``f"**{other}"``, so ``**2.0`` for a float
    and ``**2`` for an int, which the float a Value holds no longer shows.
    """

    __slots__ = ()


def _preset(cls: type[Value], *args: Any, **kwargs: Any) -> Value:
    """A node of a subclass with its own ``__init__``: a leaf, grad 0, no label, until set."""
    v = _new(cls)
    v.grad = 0.0
    v.label = ""
    v._a = v._b = None
    v._kind = LEAF
    return v


def _closure_of(v: Value) -> Callable[[], None] | None:
    kind = getattr(v, "_kind", None)
    return kind.closure if type(kind) is _Custom else None


def _exponent_text(y: float) -> str:
    """An exponent as micrograd's ``_op`` shows it: ``**2``, ``**-1``, ``**0.5``."""
    return str(int(y)) if y.is_integer() and abs(y) < 1e15 else repr(y)


def _node(data: float, op: str, a: Any, b: Any, constant: bool) -> Value:
    """A computed node (arguments as ``_a`` and ``_b`` hold them); it fails where its value
    is not a finite number."""
    out = _new(Value)
    out.data = data
    out.grad = NO_GRAD if constant else 0.0
    out.label = ""
    out._kind = op
    out._a = a
    out._b = b
    out._seq = _created()
    if data - data != 0.0:
        raise _math_error(f"value is {_show(data)}", op, out._prev, out)
    return out


def _arguments(children: tuple[Value, ...]) -> tuple[Any, Any]:
    """``children`` as ``_a`` and ``_b`` hold them: one, two, none, or all of them and ``...``."""
    if len(children) == 2:
        return children
    if len(children) == 1:
        return children[0], None
    return (children, ...) if children else (None, None)


def _set_arguments(v: Value, children: tuple[Value, ...]) -> None:
    v._a, v._b = _arguments(children)


def _wrap(x: Operand) -> Value:
    return x if isinstance(x, Value) else Value.constant(x)


def _as_float(x: object) -> float:
    """A real number as a float; bools and non-numbers are refused.

    One too big for a float (``10**400``) is infinite, which ``Value`` then refuses as a
    MathError, as it does ``math.inf``: float() would raise OverflowError.
    """
    if type(x) is not float and type(x) is not int:  # the common cases need no numbers
        from numbers import Real

        if isinstance(x, bool) or not isinstance(x, Real):
            raise TypeError(f"Value needs a real number, not {type(x).__name__}")
    try:
        return float(x)
    except OverflowError:
        return math.inf if x > 0 else -math.inf  # type: ignore[operator]


def _power_problem(x: float, y: float) -> str:
    if x == 0.0 and y < 0.0:
        return f"0 ** {_show(y)} is infinite"
    if x < 0.0:
        return f"negative base {_show(x)} ** {_show(y)} has no real value"
    return f"{_show(x)} ** {_show(y)} overflows"


def _pow_backward(v: Value, g: float) -> None:
    """ATen's pow backward: base b·a**(b-1) (0 if b == 0), exponent a**b·ln a (0 if a == 0)."""
    a, b = v._prev
    x, y = a.data, b.data
    if a.grad is not NO_GRAD and y == 0.0:
        a.grad += 0.0  # torch's zeros where the exponent is 0
    elif a.grad is not NO_GRAD:
        try:
            raised = power(x, y - 1.0) if b.grad is NO_GRAD else _pow(x, y - 1.0)
        except (ValueError, OverflowError, ZeroDivisionError):
            raise MathError(
                f"gradient of {_describe(a)} is infinite at {_describe(v)}", v
            ) from None
        a.grad += g * (y * raised)
    if b.grad is not NO_GRAD:
        if x > 0.0:
            b.grad += g * (v.data * _log(x))
        elif x == 0.0 and y >= 0.0:
            b.grad += g * 0.0  # torch: grad * where(base == 0 and exponent >= 0, 0, ...)
        else:
            raise MathError(
                f"gradient of {_describe(b)} needs ln of {_show(x)} at {_describe(v)}", v
            )


def _math_error(
    problem: str, op: str, children: tuple[Value, ...], node: Value | None = None
) -> MathError:
    """An error at a node being built; the node exists only for the message."""
    if node is None:
        node = _new(Value)
        node.data = math.nan
        node.grad = NO_GRAD
        node.label = ""
        node._kind = op
        node._prev = children
    return MathError(f"{problem} at {_describe(node)}", node, op, problem)


def _gradient_error(v: Value, root: Value | None) -> MathError:
    """Name the node whose gradient is not finite, and the users it came from."""
    topo = topological_order((root,)) if root is not None else [v]
    users = [u for u in topo if any(c is v for c in u._prev)]
    origin = ", ".join(_describe(u) for u in users) or "the output"
    return MathError(f"gradient of {_describe(v)} is {_show(v.grad)} (from {origin})", v)


def _describe(v: Value) -> str:
    """``node 'q' (log)``; a node without a label is told by its arguments' labels."""
    if v.label:
        return f"node '{v.label}' ({v.operation})"
    return f"an unnamed node ({v.operation}{_of_arguments(v)})"


def operation_name(v: Value) -> str:
    """``v.operation`` as pictures and documents write it: always text, a leaf as a leaf.

    A user's op may be no string (the notes' ``Op.ADD``, an Enum): its ``str()``. A node
    without arguments is a leaf whatever its op is called (the notes give leaves ``Op.NONE``).
    """
    kind = v._kind
    if not isinstance(kind, _Custom):
        return kind
    if v._a is None:
        return LEAF
    return kind.op if type(kind.op) is str else str(kind.op)


def describe_node(v: Value) -> str:
    """How math errors name ``v`` (the documents layer puts the node's name there)."""
    return _describe(v)


def _of_arguments(v: Value) -> str:
    """`` of 'q', 2.0``: the arguments of an unlabelled node, by label or else by value."""
    children = tuple(v._prev)
    if not children:
        return ""
    shown = [f"'{c.label}'" if c.label else _show(c.data) for c in children[:3]]
    if len(children) > 3:
        shown.append("…")
    return " of " + ", ".join(shown)


def _show(x: float | None) -> str:
    if x is None or x != x:
        return "NaN"
    if x in (math.inf, -math.inf):
        return "infinite" if x > 0 else "-infinite"
    return repr(x)
