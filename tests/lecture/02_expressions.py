# The micrograd lecture, part 2: a Value that remembers how it was made, drawn as a graph,
# and its gradients filled in by hand, in the names of the project's notes (value,
# children, operation, label, gradient). "# %% [lecture]" cells define the lecture's own
# classes; on gradpipe they are replaced by gradpipe's Value.

# %% [lecture]
import json
from collections import deque
from enum import Enum

from graphviz import Digraph


class Op(Enum):
    NONE = 0
    ADD = 1
    MUL = 2

    def symbol(self):
        return {Op.NONE: "", Op.ADD: "+", Op.MUL: "*"}[self]


class Value:
    def __init__(self, value, children=(), operation=Op.NONE, label="", gradient=0.0):
        self.value = value
        self.children = children
        self.operation = operation
        self.label = label
        self.gradient = gradient

    def __add__(self, other):
        return Value(self.value + other.value, (self, other), Op.ADD)

    def __mul__(self, other):
        return Value(self.value * other.value, (self, other), Op.MUL)

    def __repr__(self):
        return f"Value({self.value})"

    def render_graph(self):
        digraph = Digraph(format="svg", graph_attr={"rankdir": "LR"})
        queue = deque([self])
        while queue:
            current = queue.popleft()
            uid = str(id(current))
            label = "{ %s | value %.4f | gradient %.4f }" % (
                current.label,
                current.value,
                current.gradient,
            )
            digraph.node(name=uid, label=label, shape="record")
            if current.operation != Op.NONE:
                digraph.node(name=uid + "op", label=current.operation.symbol())
                digraph.edge(uid + "op", uid)
                for child in current.children:
                    digraph.edge(str(id(child)), uid + "op")
                    queue.append(child)
        return digraph


# %%
a = Value(2.0, label="a")
b = Value(-3.0, label="b")
c = Value(10.0, label="c")
d = a * b + c
print(d.value)
# out: 4.0

# %%
# the graph remembers its parts: d's children are the product and c
print(sorted(child.value for child in d.children))
# out: [-6.0, 10.0]

# %%
(a * b + c).render_graph()

# %%
# L = a(b + cd), labelled
a = Value(-2.0, label="a")
b = Value(10.0, label="b")
c = Value(2.0, label="c")
d = Value(-3.0, label="d")
e = c * d
e.label = "cd"
f = b + e
f.label = "b+cd"
L = a * f
L.label = "a(b+cd)"
print(L.value)
# out: -8.0

# %%
# by hand, from the output back: dL/dL = 1, then the product rule, then the sums
L.gradient = 1.0
a.gradient = f.value * L.gradient
f.gradient = a.value * L.gradient
b.gradient = f.gradient
e.gradient = f.gradient
c.gradient = d.value * e.gradient
d.gradient = c.value * e.gradient
print(a.gradient, b.gradient, c.gradient, d.gradient)
# out: 4.0 -2.0 6.0 -4.0

# %%
L.render_graph()

# %%
# checking one of them by nudging: dL/dc by a small step
h = 0.0001
c.value += h
nudged = (a * (b + c * d)).value
c.value -= h
print(round((nudged - L.value) / h, 6))
# out: 6.0
