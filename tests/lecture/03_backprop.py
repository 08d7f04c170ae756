# The micrograd lecture, part 3: a Value with a local derivative per op, the neuron,
# backpropagation by hand (each node's _backward called in turn), then automatically.
# "# %% [lecture]" cells define the lecture's own classes; on gradpipe they are replaced
# by gradpipe's Value, and every other cell runs as written.

# %% [lecture]
import math


class Value:
    def __init__(self, data, _children=(), _op="", label=""):
        self.data = data
        self.grad = 0.0
        self._backward = lambda: None
        self._prev = set(_children)
        self._op = _op
        self.label = label

    def __repr__(self):
        return f"Value(data={self.data})"

    def __add__(self, other):
        other = other if isinstance(other, Value) else Value(other)
        out = Value(self.data + other.data, (self, other), "+")

        def _backward():
            self.grad += 1.0 * out.grad
            other.grad += 1.0 * out.grad

        out._backward = _backward
        return out

    def __radd__(self, other):
        return self + other

    def __mul__(self, other):
        other = other if isinstance(other, Value) else Value(other)
        out = Value(self.data * other.data, (self, other), "*")

        def _backward():
            self.grad += other.data * out.grad
            other.grad += self.data * out.grad

        out._backward = _backward
        return out

    def __rmul__(self, other):
        return self * other

    def __pow__(self, k):
        assert isinstance(k, (int, float)), "only numbers as exponents"
        out = Value(self.data**k, (self,), f"**{k}")

        def _backward():
            self.grad += k * self.data ** (k - 1) * out.grad

        out._backward = _backward
        return out

    def __truediv__(self, other):
        return self * other**-1

    def __neg__(self):
        return self * -1

    def __sub__(self, other):
        return self + (-other)

    def tanh(self):
        x = self.data
        t = (math.exp(2 * x) - 1) / (math.exp(2 * x) + 1)
        out = Value(t, (self,), "tanh")

        def _backward():
            self.grad += (1 - t**2) * out.grad

        out._backward = _backward
        return out

    def exp(self):
        out = Value(math.exp(self.data), (self,), "exp")

        def _backward():
            self.grad += out.data * out.grad

        out._backward = _backward
        return out

    def backward(self):
        topo = []
        visited = set()

        def build_topo(v):
            if v not in visited:
                visited.add(v)
                for child in v._prev:
                    build_topo(child)
                topo.append(v)

        build_topo(self)
        self.grad = 1.0
        for node in reversed(topo):
            node._backward()


# %%
import math

from graphviz import Digraph


def trace(root):
    # every node and edge reachable from root
    nodes, edges = set(), set()

    def build(v):
        if v not in nodes:
            nodes.add(v)
            for child in v._prev:
                edges.add((child, v))
                build(child)

    build(root)
    return nodes, edges


def draw_dot(root):
    dot = Digraph(format="svg", graph_attr={"rankdir": "LR"})
    nodes, edges = trace(root)
    for n in nodes:
        uid = str(id(n))
        dot.node(
            name=uid,
            label="{ %s | data %.4f | grad %.4f }" % (n.label, n.data, n.grad),
            shape="record",
        )
        if n._op:
            dot.node(name=uid + n._op, label=n._op)
            dot.edge(uid + n._op, uid)
    for n1, n2 in edges:
        dot.edge(str(id(n1)), str(id(n2)) + n2._op)
    return dot


# %%
a = Value(2.0, label="a")
b = Value(-3.0, label="b")
c = Value(10.0, label="c")
e = a * b
e.label = "e"
d = e + c
d.label = "d"
f = Value(-2.0, label="f")
L = d * f
L.label = "L"
print(L)
# out: Value(data=-8.0)

# %%
dot = draw_dot(L)

# %%
# the neuron: two inputs, two weights, a bias, squashed by tanh
x1 = Value(2.0, label="x1")
x2 = Value(0.0, label="x2")
w1 = Value(-3.0, label="w1")
w2 = Value(1.0, label="w2")
b = Value(6.8813735870195432, label="b")
x1w1 = x1 * w1
x1w1.label = "x1*w1"
x2w2 = x2 * w2
x2w2.label = "x2*w2"
x1w1x2w2 = x1w1 + x2w2
x1w1x2w2.label = "x1*w1 + x2*w2"
n = x1w1x2w2 + b
n.label = "n"
o = n.tanh()
o.label = "o"
print(round(o.data, 12))
# out: 0.707106781187

# %%
dot = draw_dot(o)

# %%
# backpropagation by hand: start at the output, then each node's _backward in turn
o.grad = 1.0
o._backward()
print(round(n.grad, 12))
# out: 0.5

# %%
n._backward()
b._backward()
x1w1x2w2._backward()
x2w2._backward()
x1w1._backward()
print(x1.grad, w1.grad, x2.grad, w2.grad)
# out: -1.4999999999999996 0.9999999999999998 0.4999999999999999 0.0

# %%
dot = draw_dot(o)

# %%
# the same, in the order a topological sort gives
topo = []
visited = set()


def build_topo(v):
    if v not in visited:
        visited.add(v)
        for child in v._prev:
            build_topo(child)
        topo.append(v)


build_topo(o)
print(len(topo))
# out: 10

# %%
for node in topo:
    node.grad = 0.0
o.grad = 1.0
for node in reversed(topo):
    node._backward()
print(x1.grad, w1.grad, x2.grad, w2.grad)
# out: -1.4999999999999996 0.9999999999999998 0.4999999999999999 0.0

# %%
# and once more by backward()
for node in topo:
    node.grad = 0.0
o.backward()
print(x1.grad, w1.grad, x2.grad, w2.grad)
# out: -1.4999999999999996 0.9999999999999998 0.4999999999999999 0.0

# %%
# a node used twice: its gradients add up
a = Value(3.0, label="a")
b = a + a
b.label = "b"
b.backward()
print(a.grad)
dot = draw_dot(b)
# out: 2.0

# %%
a = Value(-2.0, label="a")
b = Value(3.0, label="b")
d = a * b
d.label = "d"
e = a + b
e.label = "e"
f = d * e
f.label = "f"
f.backward()
print(a.grad, b.grad)
dot = draw_dot(f)
# out: -3.0 -8.0

# %%
# plain numbers on either side
a = Value(2.0)
print(a + 1, a * 2, 2 * a, Value(2.0) * 2)
# out: Value(data=3.0) Value(data=4.0) Value(data=4.0) Value(data=4.0)

# %%
a = Value(2.0)
b = Value(4.0)
print(a / b, a - b, a.exp())
# out: Value(data=0.5) Value(data=-2.0) Value(data=7.38905609893065)

# %%
# tanh spelled out with exp: the same value and the same gradients as the tanh op
x1 = Value(2.0, label="x1")
x2 = Value(0.0, label="x2")
w1 = Value(-3.0, label="w1")
w2 = Value(1.0, label="w2")
b = Value(6.8813735870195432, label="b")
x1w1 = x1 * w1
x1w1.label = "x1*w1"
x2w2 = x2 * w2
x2w2.label = "x2*w2"
x1w1x2w2 = x1w1 + x2w2
x1w1x2w2.label = "x1*w1 + x2*w2"
n = x1w1x2w2 + b
n.label = "n"
e = (2 * n).exp()
o = (e - 1) / (e + 1)
o.label = "o"
o.backward()
print(round(o.data, 12), round(x1.grad, 12), round(w1.grad, 12), x2.grad, w2.grad)
# out: 0.707106781187 -1.5 1.0 0.5 0.0

# %%
dot = draw_dot(o)

# %% [torch]
# the lecture's check against PyTorch (its torch.Tensor([...]) is float32, hence ~1e-7)
import torch

x1 = torch.Tensor([2.0]).double()
x1.requires_grad = True
x2 = torch.Tensor([0.0]).double()
x2.requires_grad = True
w1 = torch.Tensor([-3.0]).double()
w1.requires_grad = True
w2 = torch.Tensor([1.0]).double()
w2.requires_grad = True
b = torch.Tensor([6.8813735870195432]).double()
b.requires_grad = True
n = x1 * w1 + x2 * w2 + b
o = torch.tanh(n)
o.backward()
print(round(o.data.item(), 12), x1.grad.item(), w1.grad.item(), x2.grad.item(), w2.grad.item())
# out: 0.707106690405 -1.5000003851533106 1.0000002567688737 0.5000001283844369 0.0
