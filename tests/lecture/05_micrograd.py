# micrograd's README example and its trace_graph notebook's draw_dot, in micrograd 0.1.0's
# own API. The "# %% [lecture]" cell takes micrograd's Value (a dev dependency); on
# gradpipe it is replaced by gradpipe's Value. Its nn.py is run over gradpipe in
# tests/test_engine_micrograd.py.

# %% [lecture]
from micrograd.engine import Value

# %%
a = Value(-4.0)
b = Value(2.0)
c = a + b
d = a * b + b**3
c += c + 1
c += 1 + c + (-a)
d += d * 2 + (b + a).relu()
d += 3 * d + (b - a).relu()
e = c - d
f = e**2
g = f / 2.0
g += 10.0 / f
print(f"{g.data:.4f}")
g.backward()
print(f"{a.grad:.4f}")
print(f"{b.grad:.4f}")
# out: 24.7041
# out: 138.8338
# out: 645.5773

# %%
from graphviz import Digraph


def trace(root):
    nodes, edges = set(), set()

    def build(v):
        if v not in nodes:
            nodes.add(v)
            for child in v._prev:
                edges.add((child, v))
                build(child)

    build(root)
    return nodes, edges


def draw_dot(root, format="svg", rankdir="LR"):
    """format: png | svg | ...; rankdir: TB (top to bottom) | LR (left to right)"""
    assert rankdir in ["LR", "TB"]
    nodes, edges = trace(root)
    dot = Digraph(format=format, graph_attr={"rankdir": rankdir})
    for n in nodes:
        dot.node(
            name=str(id(n)), label="{ data %.4f | grad %.4f }" % (n.data, n.grad), shape="record"
        )
        if n._op:
            dot.node(name=str(id(n)) + n._op, label=n._op)
            dot.edge(str(id(n)) + n._op, str(id(n)))
    for n1, n2 in edges:
        dot.edge(str(id(n1)), str(id(n2)) + n2._op)
    return dot


# %%
# a very simple example: a plain number on both sides of a node, then a relu
x = Value(1.0)
y = (x * 2 + 1).relu()
y.backward()
dot = draw_dot(y)
print(y.data, float(x.grad))
# out: 3.0 2.0

# %%
dot = draw_dot(g, format="png", rankdir="TB")

# %%
# a neuron's worth of nodes by hand, as micrograd's nn.Neuron(2) builds it
w = [Value(0.2), Value(-0.7)]
xs = [Value(1.0), Value(-2.0)]
act = sum((wi * xi for wi, xi in zip(w, xs)), Value(0))
y = act.relu()
y.backward()
dot = draw_dot(y)
print(round(y.data, 12), w[0].grad, w[1].grad, xs[0].grad, xs[1].grad)
# out: 1.6 1.0 -2.0 0.2 -0.7
