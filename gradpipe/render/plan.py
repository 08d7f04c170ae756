"""The shape of a picture before Graphviz sees it: what to split, which way, how to stack.

Graphviz's ``dot`` puts every node on a rank and threads each edge through one virtual
node per rank it crosses. Its cost follows the number of nodes it then places: the drawn
nodes plus those rank crossings. Long edges to widely shared nodes (a weight used by every
step of a chain) are what make that number, and the layout time, grow. So the plan
estimates the ranks ``dot`` will choose, counts the crossings, and draws a shared node
once per use only where the total would exceed LAYOUT_BUDGET, the widest savers first.
"""

from __future__ import annotations

import math
from collections import Counter
from itertools import chain, compress, count, repeat
from operator import attrgetter, gt

from gradpipe.documents.graph import Graph

# Drawn nodes plus rank crossings that Graphviz lays out in under 2 s here (both programs;
# README: the measurements). Up to this estimate every shared node is drawn once; past it,
# shared nodes are split until the estimate is down to half of it (Graphviz 2.43's ranking
# is slow on one long fan left among copies, so no fan is left half way).
LAYOUT_BUDGET = 20_000
_prev = attrgetter("_prev")

# Past this many nodes nothing is estimated: every shared leaf is drawn per use (such graphs
# are written as DOT for other tools; ``svg`` refuses them at --layout-limit anyway).
ESTIMATE_NODES = 50_000
# An op of more arguments than this has them stacked over several ranks (see ``stagger``).
STAGGER_ARGS = 16
# The aspect (width / height) that a big graph's default direction aims at: a screen's.
SCREEN_ASPECT = 1.6
# Sizes in points of a drawn rank and of one node across it, for the aspect estimate
# (a record, a bubble and the space between them, averaged over the two ranks).
LR_RANK, LR_NODE = 160.0, 54.0
TB_RANK, TB_NODE = 72.0, 210.0
# Stacking the arguments of wide ops: at most this many ranks, for ops of this many args.
MAX_LEVELS = 8
STAGGER_MIN = 3


class Plan:
    """Positions (in the graph's order) of nodes drawn once per use, and the estimate.

    Plain classes, these two: a NamedTuple costs a start-up 0.9M instructions to create,
    a plain class 0.15M (README, figure 4).
    """

    __slots__ = ("estimate", "rank_count", "ranks", "split", "widest")

    def __init__(
        self, split: set[int], ranks: list[int], estimate: int, rank_count: int, widest: int
    ) -> None:
        self.split = split
        self.ranks = ranks
        self.estimate = estimate
        self.rank_count = rank_count
        self.widest = widest


def plan(graph: Graph, compact: bool = False, budget: int = LAYOUT_BUDGET) -> Plan:
    """The split and rank estimate of ``graph`` drawn in full (``compact``: op in record)."""
    nodes = graph.nodes
    n = len(nodes)
    if n > ESTIMATE_NODES:
        uses = Counter(chain.from_iterable(map(_prev, nodes)))  # Values hash by identity
        # Only the nodes used more than once (found at C speed) are asked if they are leaves.
        shared = compress(count(), map(gt, map(uses.__getitem__, nodes), repeat(1)))
        return Plan({i for i in shared if not nodes[i]._prev}, [], 0, 0, 0)
    step = 1 if compact else 2  # ranks per op: the op's bubble, then its result
    position = {id(v): i for i, v in enumerate(nodes)}
    ranks = [0] * n
    args_of: list[list[int]] = [[] for _ in range(n)]
    users: list[list[int]] = [[] for _ in range(n)]
    for i, v in enumerate(nodes):
        if v._prev:
            args = [position[id(c)] for c in v._prev]
            args_of[i] = args
            for a in args:
                users[a].append(i)
            ranks[i] = max([ranks[a] for a in args]) + step
    # A leaf sits just before its first user, where dot's ranking pulls it.
    for i, v in enumerate(nodes):
        if not v._prev and users[i]:
            ranks[i] = min([ranks[u] for u in users[i]]) - step
    drawn = n if compact else n + sum(1 for v in nodes if v._prev)
    # What each shared node's long edges cost beyond its nearest use, and the total.
    saving: list[tuple[int, int]] = []
    crossings = 0
    output = graph.index(graph.output)
    for i in range(n):
        spans = [ranks[u] - ranks[i] - step for u in users[i]]
        if not spans:
            continue
        total = sum(spans)
        crossings += total
        if len(spans) > 1 and i != output:
            saved = total - min(spans)
            if saved > 0:
                saving.append((saved, -i))
    estimate = drawn + crossings
    split: set[int] = set()
    if estimate > budget:
        for saved, minus_i in sorted(saving, reverse=True):
            split.add(-minus_i)
            estimate -= saved
            if estimate <= budget // 2:
                break
    width: dict[int, int] = {}
    for r in ranks:
        width[r] = width.get(r, 0) + 1
    rank_count = (max(ranks) - min(ranks) + 1) if ranks else 0
    return Plan(split, ranks, estimate, rank_count, max(width.values(), default=0))


def choose_rankdir(layout: Plan, compact: bool = False) -> tuple[str, int]:
    """The direction of a big picture, and over how many ranks to stack wide fan-ins.

    Left to right stays (micrograd's way) while the picture is no wider than a screen's
    aspect: one too tall is made squarer by stacking the arguments of many-argument ops
    (``levels``). A deep graph (a long chain) is drawn top to bottom, which scrolls.
    """
    if not layout.rank_count:
        return "LR", 1
    ranks = layout.rank_count * (2 if compact else 1)  # a compact record: record and bubble
    wide = max(1, layout.widest)
    lr = ranks * LR_RANK / (wide * LR_NODE)
    if lr >= SCREEN_ASPECT:
        tb = wide * TB_NODE / (ranks * TB_RANK)
        if abs(math.log(tb / SCREEN_ASPECT)) < abs(math.log(lr / SCREEN_ASPECT)):
            return "TB", 1
        return "LR", 1
    return "LR", min(MAX_LEVELS, max(1, round(math.sqrt(SCREEN_ASPECT / lr))))


def stagger(args: int, levels: int = 1) -> int:
    """Over how many ranks an op's ``args`` arguments are stacked (1: not at all).

    ``levels`` for a big picture (``choose_rankdir``), applied to ops of STAGGER_MIN or more
    arguments; and a sum of 300 terms, which would stand them in one rank 300 records
    tall, stacks them over about sqrt(args / 9) ranks: a block about as wide as high.
    """
    if args < STAGGER_MIN:
        return 1
    own = max(1, round(math.sqrt(args / 9))) if args > STAGGER_ARGS else 1
    return min(args, max(levels, own))


# Wrapping a long picture (a chain) into columns side by side, as text wraps into lines.
# A picture whose estimated aspect in its direction is past WRAP_ASPECT (or its inverse)
# is drawn top to bottom, cut into bands of whole ranks, each band a column; an edge from
# one band into another is drawn as a pair of connector notes.
WRAP_ASPECT = 3.0
WRAP_MIN_NODES = 100
MIN_BAND_RANKS = 12  # ranks of a band at the least
# Wrapped only where few edges leave a band: at most this many per band boundary.
WRAP_CROSSINGS = 2
# Sizes in points, measured on chains: along a rank and across it per node, each way.
WRAP_LR_RANK, WRAP_LR_NODE = 180.0, 95.0
WRAP_TB_RANK, WRAP_TB_NODE = 90.0, 190.0


class Bands:
    """Which band each node is drawn in (by position), how many bands, and the edges
    between bands."""

    __slots__ = ("band", "count", "crossing")

    def __init__(self, band: list[int], count: int, crossing: set[tuple[int, int]]) -> None:
        self.band = band
        self.count = count
        self.crossing = crossing  # (argument, user) positions whose edge leaves a band


def wrap_bands(
    graph: Graph, layout: Plan, rankdir: str, compact: bool = False, whole: int = 0
) -> Bands | None:
    """The columns of a picture too long for a screen along its ranks, or None.

    ``rankdir`` is the direction it would have unwrapped; wrapped, it is drawn top to
    bottom. The column count brings the estimated aspect (width / height) near
    SCREEN_ASPECT. A node without arguments goes with its nearest user, a split node's
    copies with their users; an op bubble is always in its result's band. ``whole``: the
    size of the graph a view of it stands for, which wraps when the whole graph would
    (a named view of a 90-step chain has 93 nodes, the chain 273).
    """
    nodes = graph.nodes
    n = len(nodes)
    ranks = layout.ranks
    if max(n, whole) < WRAP_MIN_NODES or not ranks or layout.rank_count < 2 * MIN_BAND_RANKS:
        return None
    total = layout.rank_count
    drawn = n if compact else n + sum(1 for v in nodes if v._prev)
    across = max(1.0, drawn / total)  # nodes side by side on a rank, on average
    tall = across * WRAP_TB_NODE / (total * WRAP_TB_RANK)  # the aspect top to bottom
    if rankdir == "TB" and tall >= 1 / WRAP_ASPECT:
        return None
    if rankdir != "TB" and total * WRAP_LR_RANK / (across * WRAP_LR_NODE) <= WRAP_ASPECT:
        return None
    count = min(round(math.sqrt(SCREEN_ASPECT / tall)), total // MIN_BAND_RANKS)
    if count < 2:
        return None
    low = min(ranks)
    band = [(r - low) * count // total for r in ranks]
    position = {id(v): i for i, v in enumerate(nodes)}
    users: list[list[int]] = [[] for _ in range(n)]
    for i, v in enumerate(nodes):
        for c in v._prev:
            users[position[id(c)]].append(i)
    for i, v in enumerate(nodes):
        if not v._prev and users[i]:
            band[i] = band[min(users[i], key=ranks.__getitem__)]
    # A split node's nearest use keeps it (as ``dot`` draws it); copies serve the others.
    nearest = {a: min(users[a], key=ranks.__getitem__) for a in layout.split if users[a]}
    crossing = set()
    for i, v in enumerate(nodes):
        for c in v._prev:
            a = position[id(c)]
            if band[a] != band[i] and nearest.get(a, i) == i:
                crossing.add((a, i))
    if len(crossing) > WRAP_CROSSINGS * (count - 1):
        return None
    return Bands(band, count, crossing)


# The aspect a big picture keeps whatever its layout: one of KEEP_ASPECT_NODES drawn nodes or
# more that Graphviz lays out past 1:ASPECT_BOUND or ASPECT_BOUND:1 (width : height) is
# stretched to the bound along its short side, by Graphviz's ``ratio``, which scales the
# node positions, never the nodes or their text. Not past MAX_STRETCH: a picture further off
# is a strip or a tower (a chain drawn with --rankdir LR), which stretching would only
# fill with empty space.
KEEP_ASPECT_NODES = WRAP_MIN_NODES
ASPECT_BOUND = WRAP_ASPECT
MAX_STRETCH = 2.0


def stretch_ratio(width: float, height: float) -> float | None:
    """Graphviz's ``ratio`` (height / width) that brings a ``width`` x ``height`` layout
    within 1:ASPECT_BOUND to ASPECT_BOUND:1, or None when it is within or too far off."""
    if width <= 0 or height <= 0:
        return None
    aspect = width / height
    if 1 / ASPECT_BOUND <= aspect <= ASPECT_BOUND:
        return None
    stretch = max(aspect, 1 / aspect) / ASPECT_BOUND
    if stretch > MAX_STRETCH:
        return None
    return ASPECT_BOUND if aspect < 1 else 1 / ASPECT_BOUND
