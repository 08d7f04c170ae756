# The micrograd lecture, part 1: what a derivative is, by numbers alone.
# Cells are separated by "# %%" lines; "# out:" lines give what a cell prints.
# Written from the notes in /work/shared/seeds (the project's own), in the lecture's style.

# %%
import math


def f(x):
    return 3 * x**2 - 4 * x + 5


print(f(3.0))
# out: 20.0

# %%
xs = [x / 4 for x in range(-20, 20)]
ys = [f(x) for x in xs]
print(len(ys), min(ys), max(ys))
# out: 40 3.6875 100.0

# %%
h = 0.000001
x = 3.0
print((f(x + h) - f(x)) / h)
# out: 14.000003002223593

# %%
# at x = 2/3 the slope is zero: the bottom of the parabola
x = 2 / 3
print((f(x + h) - f(x)) / h)
# out: 2.999378523327323e-06

# %%
# a function of three inputs, d = a*b + c, nudged one input at a time
a, b, c = 2.0, -3.0, 10.0
g = lambda a, b, c: a * b + c  # noqa: E731
dgda = (g(a + h, b, c) - g(a, b, c)) / h
dgdb = (g(a, b + h, c) - g(a, b, c)) / h
dgdc = (g(a, b, c + h) - g(a, b, c)) / h
print(dgda)
print(dgdb)
print(dgdc)
# out: -3.000000000419334
# out: 2.000000000279556
# out: 0.9999999992515995
