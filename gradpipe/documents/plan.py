"""Reading a document into a plan: every check that needs no computing, located errors.

``read_plan`` checks structure, names, references, cycles and formulas, and plans the
graph: one entry per node, in topological order, each with where it is defined in the
file. ``gradpipe.documents.build`` then computes the plan's Values.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from itertools import compress, count, repeat
from operator import contains, ne, not_
from typing import TYPE_CHECKING, Any

from gradpipe.collector import paused_gc
from gradpipe.documents.formula import parse_formula
from gradpipe.documents.json_codec import read_object
from gradpipe.documents.locating import KEY, WHOLE, Loc, Where, locate_many, located_error
from gradpipe.documents.names import FUNCTION_NAMES, did_you_mean, file_stem
from gradpipe.documents.numbers import number_text, read_number
from gradpipe.documents.parsing import parse_data
from gradpipe.documents.structure import (
    Columns,
    OpColumns,
    conforms,
    graph_columns,
    key_count,
    op_columns,
    plain_columns,
)
from gradpipe.engine.ops import CONST, LEAF, OP_ARITY
from gradpipe.errors import FormulaError, GradpipeError, warn

if TYPE_CHECKING:
    # A document's data, validated, its kind, and the columns of its nodes where the check
    # read them (a graph's ``plain_columns``, a spec's ``op_columns``: the plan reads the
    # same, so they are read once).
    _Read = tuple[dict[str, Any], str, Columns | OpColumns | None]


LABEL_LIMIT = 24  # longer formula texts are shortened with "…" in labels
# The node budget: a document whose graph would have more nodes is refused as soon as the
# count passes it, before any value is computed. About 1.2 KB of memory per node.
DEFAULT_MAX_NODES = 5_000_000
_MAX_NODES: ContextVar[int] = ContextVar("gradpipe_max_nodes", default=DEFAULT_MAX_NODES)


@contextmanager
def node_budget(limit: int) -> Iterator[None]:
    """Within the block, documents may have up to ``limit`` nodes (``--max-nodes``)."""
    token = _MAX_NODES.set(limit)
    try:
        yield
    finally:
        _MAX_NODES.reset(token)


def _over_budget(found: int, budget: int) -> str:
    return (
        f"the graph has more than {budget} nodes ({found} and counting), over the node"
        f" budget: raise it with --max-nodes N (node_budget(N) in Python)"
    )


class Plan:
    """A validated spec or graph document, planned: one entry per node, topologically ordered.

    Entries are parallel lists indexed by node: a spec's values first, then its nodes, then
    the anonymous nodes of formulas and literals; a graph document's nodes in file order.
    ``order`` lists them arguments first. A plain class: a dataclass of these defaults
    costs render's start-up about 6M instructions to create (README, figure 4).
    """

    def __init__(self, path: str, raw: bytes, kind: str, name: str) -> None:
        self.path = path
        self.raw = raw
        self.kind = kind  # "spec" or "graph"
        self.name = name
        self.output = -1
        self.ids: list[str | None] = []  # None: anonymous
        self.labels: list[str] = []
        self.ops: list[str] = []
        self.args: list[tuple[int, ...]] = []
        self.values: list[float] = []  # leaves and literals; else 0.0
        self.value_count = 0  # a spec's entries below this come from `values`
        self.origins: dict[int, Where] = {}  # of anonymous entries
        self.order: list[int] = []
        self.gradients = False  # a graph document with a non-null grad: render redraws them
        self.number_nodes: list[int] = []  # plain numbers under `nodes`
        self.max_nodes = DEFAULT_MAX_NODES

    def __len__(self) -> int:
        return len(self.ops)

    def add(self, label: str, op: str, where: Where) -> int:
        """A new anonymous entry, its arguments and value still to be set; returns its index."""
        k = len(self.ops)
        if k >= self.max_nodes:
            raise self.error(_over_budget(k + 1, self.max_nodes), where)
        self.ids.append(None)
        self.labels.append(label)
        self.ops.append(op)
        self.args.append(())
        self.values.append(0.0)
        self.origins[k] = where
        return k

    def where(self, k: int) -> Where:
        """Where entry ``k`` is defined: a named node's key, else its formula's character."""
        origin = self.origins.get(k)
        if origin is not None:
            return origin
        if self.kind == "graph":
            return Where(("nodes", k), WHOLE)
        return Where(("values" if k < self.value_count else "nodes", str(self.ids[k])), KEY)

    def error(self, message: str, where: Where) -> GradpipeError:
        """An error located at ``where`` in this plan's file."""
        return located_error(message, self.path, self.raw, where)


def read_plan(raw: bytes, path: str) -> Plan:
    """Validate a spec or graph document without computing it; raises located errors."""
    if type(raw) is not bytes:
        raw = _document_bytes(raw)
    with paused_gc():
        validated, kind, columns = _read_fast(raw) or _read(raw, path)
        default_name = "stdin" if path == "<stdin>" else file_stem(path)
        plan = Plan(path, raw, kind, validated.get("name", default_name))
        plan.max_nodes = budget = _MAX_NODES.get()
        entries = len(validated.get("nodes", ())) + len(validated.get("values", ()))
        if entries > budget:  # known at once: refused before any planning
            raise plan.error(_over_budget(entries, budget), Where(("nodes",), KEY))
        if kind == "spec":
            roots = _plan_spec(plan, validated, columns)
        else:
            roots = _plan_graph(plan, validated, columns)
        del columns  # garbage but for the plan's ids and labels
        plan.order = _topological_order(plan, roots)
        return plan


def _document_bytes(raw: object) -> bytes:
    """``raw`` as bytes, or a TypeError saying what to pass (the loader decodes, so no str)."""
    if isinstance(raw, (bytes, bytearray, memoryview)):
        return bytes(raw)
    if isinstance(raw, str):
        raise TypeError(
            "a document is read from its bytes, not from str: pass text.encode() for a"
            " document's text, or use gradpipe.load_file(path) to read a file"
        )
    raise TypeError(f"a document is read from its bytes, not from {type(raw).__name__}")


def _kind(data: dict[str, Any]) -> str:
    """A graph document lists its nodes; a spec maps names to them (and may have values)."""
    return "graph" if isinstance(data.get("nodes"), list) and "values" not in data else "spec"


def _read(raw: bytes, path: str) -> _Read:
    """The document's data, validated, and its kind; or the located error of its first problem."""
    data = parse_data(raw, path)  # a mapping, or a located error
    kind = _kind(data)
    columns = _plain_columns(data, kind)
    # The lean check passes valid input as it is: pydantic would only copy it.
    if conforms(data, kind, columns):
        return data, kind, columns
    from gradpipe.documents.refusals import validate_with_models  # to say what is wrong

    return validate_with_models(data, kind, path, raw), kind, None


def _plain_columns(data: dict[str, Any], kind: str) -> Columns | OpColumns | None:
    nodes = data.get("nodes")
    if kind == "spec":
        return op_columns(nodes)
    return plain_columns(nodes) if type(nodes) is list else None


def _read_fast(raw: bytes) -> _Read | None:
    """What ``_read`` gives, through orjson, where that is provably the same; else None.

    orjson's data is used only when it passes the lean check (so every error, and every
    document pydantic would have to judge, goes the standard library's way) and when its
    mappings hold as many keys as the file has ``:`` outside strings: a conforming
    document's keys are names and field names, which hold no ``:``, and a repeated key,
    which orjson merges, would leave a ``:`` over. A ``:`` inside a label or formula also
    sends the file the standard library's way: slower, never wrong.
    """
    fast = read_object(raw)
    if fast is None:
        return None
    data, colons = fast
    kind = _kind(data)
    columns = _plain_columns(data, kind)
    if conforms(data, kind, columns) and key_count(data, kind, columns) == colons:
        return data, kind, columns
    return None


def _plan_spec(plan: Plan, spec: Mapping[str, Any], columns: Any = None) -> list[int]:
    """Add every value and node of a spec to the plan; returns the roots of the order.

    ``columns``: its nodes' ``OpColumns`` as the check read them, if it did.
    """
    values: dict[str, Any] = spec.get("values", {})
    nodes: dict[str, Any] = spec["nodes"]
    names: list[str] = [*values, *nodes]
    index = dict(zip(names, range(len(names)), strict=True))
    count = plan.value_count = len(values)
    if len(index) < len(names):
        name = next(n for n in nodes if n in values)
        where = Where(("nodes", name), KEY)
        raise plan.error(f"duplicate name '{name}': already a value", where)
    if not FUNCTION_NAMES.isdisjoint(index):
        k, name = next((k, n) for k, n in enumerate(names) if n in FUNCTION_NAMES)
        section = "value" if k < count else "node"
        raise plan.error(
            f"'{name}' is an op's function name and cannot name a {section}",
            Where(("values" if k < count else "nodes", name), KEY),
        )
    plan.ids = list(names)
    plan.ops = [LEAF] * count + [CONST] * len(nodes)
    plan.args = [()] * len(names)
    plan.values = [e["value"] if type(e) is dict else e for e in values.values()]
    plan.values += [0.0] * len(nodes)
    labels = plan.labels = list(names)
    for k, entry in enumerate(values.values()):
        if type(entry) is dict and "label" in entry:
            labels[k] = entry["label"]
    if not isinstance(columns, OpColumns):
        columns = op_columns(nodes)
    entries = columns.entries if columns else list(nodes.values())
    node_names = names[count:]
    for i in _plan_op_objects(plan, index, columns, count) if columns else range(len(entries)):
        _plan_node(plan, index, node_names[i], count + i, entries[i])
    return _roots(plan, spec.get("output"), index, len(names))


def _plan_op_objects(
    plan: Plan, index: Mapping[str, int], columns: OpColumns, first: int
) -> Sequence[int]:
    """Plan the op objects whose names all resolve, a column at a time; returns the others.

    The nodes returned (positions in the spec's nodes, in order) are planned one by one
    by ``_plan_node``: literal or unknown arguments, wrong counts. Nodes planned here can
    have no error, so errors are raised in the order of the file.
    """
    entries, ops, arguments = columns.entries, columns.ops, columns.args
    resolved: list[Any] = list(map(tuple, map(map, repeat(index.get), arguments)))
    others = set(compress(count(), map(contains, resolved, repeat(None))))
    lengths = list(map(len, arguments))
    # No op takes no arguments; an n-ary op is compared with its own count (always right).
    if 0 in lengths or any(map(ne, lengths, map(_FIXED_ARITY.get, ops, lengths))):
        for op, length in set(zip(ops, lengths, strict=False)):
            arity = OP_ARITY[op]
            if length == 0 if arity is None else length != arity:
                others.update(
                    i
                    for i, pair in enumerate(zip(ops, lengths, strict=False))
                    if pair == (op, length)
                )
    plan.ops[first:] = ops
    plan.args[first:] = resolved
    labelled = compress(count(), map(contains, entries, repeat("label"))) if columns.extra else ()
    for i in labelled:
        plan.labels[first + i] = entries[i]["label"]
    for i in others:  # as _plan_node finds them
        plan.ops[first + i] = CONST
        plan.args[first + i] = ()
    return sorted(others)


_FIXED_ARITY = {op: arity for op, arity in OP_ARITY.items() if arity is not None}


def _plan_node(plan: Plan, index: Mapping[str, int], name: str, k: int, entry: Any) -> None:
    """Plan node ``k`` of a spec, ``name: entry``: a formula, an op or expr object, a number."""
    kind = type(entry)
    if kind is dict:
        if "label" in entry:
            plan.labels[k] = entry["label"]
        op = entry.get("op")
        if op is None:
            _plan_formula(plan, index, name, k, entry["expr"], ("nodes", name, "expr"))
            return
        arguments = entry["args"]
        arity = OP_ARITY[op]
        wrong_count = not arguments if arity is None else len(arguments) != arity
        if wrong_count:
            where = Where(("nodes", name, "args"), WHOLE)
            _check_arity(plan, op, len(arguments), where, name)
        plan.ops[k] = op
        try:
            plan.args[k] = tuple(map(index.__getitem__, arguments))
        except KeyError:  # a number, or an unknown name
            plan.args[k] = _op_arguments(plan, index, name, arguments)
    elif kind is str:
        _plan_formula(plan, index, name, k, entry, ("nodes", name))
    else:  # a number: a named constant
        plan.values[k] = entry
        plan.number_nodes.append(k)


def _roots(plan: Plan, output: Any, index: Mapping[str, int], count: int) -> list[int]:
    """Resolve the output (default: the last node) and list the order's roots, output first."""
    if output is None:
        plan.output = count - 1
    elif output in index:
        plan.output = index[output]
    else:
        raise plan.error(
            f"unknown output '{output}'{did_you_mean(output, index)}",
            Where(("output",), WHOLE),
        )
    return [plan.output, *range(count)]


def _op_arguments(
    plan: Plan, index: Mapping[str, int], name: str, arguments: list[str | float]
) -> tuple[int, ...]:
    """An op object's arguments: names resolved, numbers made constants."""
    resolved: list[int] = []
    for i, arg in enumerate(arguments):
        where = Where(("nodes", name, "args", i), WHOLE)
        if isinstance(arg, str):
            if arg not in index:
                raise plan.error(
                    f"unknown name '{arg}' in node '{name}'{did_you_mean(arg, index)}",
                    where,
                )
            resolved.append(index[arg])
        else:
            literal = plan.add(number_text(float(arg)), CONST, where)
            plan.values[literal] = float(arg)
            resolved.append(literal)
    return tuple(resolved)


class _Literal:
    """A number in a formula, not yet a node: ``-`` on it folds into it.

    ``integer``: written as an integer (Python's -0 is the integer 0, so only a float zero
    takes a sign). A plain class, as ``Where`` is.
    """

    __slots__ = ("end", "integer", "start", "value")

    def __init__(self, value: float, start: int, end: int, integer: bool) -> None:
        self.value = value
        self.start = start
        self.end = end
        self.integer = integer


def _plan_formula(
    plan: Plan,
    index: Mapping[str, int],
    name: str,
    k: int,
    text: str,
    loc: Loc,
) -> None:
    """Plan a formula's sub-formulas as nodes; its top node is the named node ``k``."""
    try:
        tree = parse_formula(text)
    except FormulaError as err:
        raise plan.error(
            f"{err.message} in formula of node '{name}'", Where(loc, err.offset)
        ) from None
    if tree.kind == "name":
        raise plan.error(
            f"node '{name}' must compute something, but its formula is only the name '{tree.name}'",
            Where(loc, tree.start),
        )
    # Post-order walk with an explicit stack: each sub-formula's result is a node index,
    # or a literal still to be folded into a `-` or made a constant by its user.
    results: list[int | _Literal] = []
    stack: list[tuple[Any, bool]] = [(tree, False)]
    while stack:
        node, expanded = stack.pop()
        if node.kind == "number":
            integer = type(read_number(text[node.start : node.end])) is int
            results.append(_Literal(float(node.value), node.start, node.end, integer))
        elif node.kind == "name":
            if node.name not in index:
                raise plan.error(
                    f"unknown name '{node.name}' in node '{name}'{did_you_mean(node.name, index)}",
                    Where(loc, node.start),
                )
            results.append(index[node.name])
        elif not expanded:
            stack.append((node, True))
            stack.extend((arg, False) for arg in reversed(node.args))
        else:
            count = len(node.args)
            operands = results[len(results) - count :]
            del results[len(results) - count :]
            if node.op == "neg" and isinstance(operands[0], _Literal):
                literal = operands[0]
                negated = 0.0 if literal.integer and literal.value == 0.0 else -literal.value
                results.append(_Literal(negated, node.start, node.end, literal.integer))
                continue
            where = Where(loc, node.start)  # the parser checked the functions' arities
            target = k if node is tree else plan.add(_formula_label(text, node), node.op, where)
            plan.ops[target] = node.op
            plan.args[target] = tuple(
                _literal_node(plan, operand, text, loc)
                if isinstance(operand, _Literal)
                else operand
                for operand in operands
            )
            results.append(target)
    (result,) = results
    if isinstance(result, _Literal):  # a formula that is only a number: a named constant
        plan.ops[k] = CONST
        plan.values[k] = result.value


def _literal_node(plan: Plan, literal: _Literal, text: str, loc: Loc) -> int:
    label = _shorten(text, literal.start, literal.end)
    k = plan.add(label, CONST, Where(loc, literal.start))
    plan.values[k] = literal.value
    return k


def _check_arity(plan: Plan, op: str, count: int, where: Where, name: str) -> None:
    arity = OP_ARITY[op]
    if arity is None and count == 0:
        raise plan.error(f"node '{name}': {op} takes at least 1 argument, not 0", where)
    if arity is not None and count != arity:
        plural = "argument" if arity == 1 else "arguments"
        raise plan.error(f"node '{name}': {op} takes {arity} {plural}, not {count}", where)


def _formula_label(text: str, node: Any) -> str:
    return _shorten(text, node.start, node.end)


def _shorten(text: str, start: int, end: int) -> str:
    """``text[start:end]`` as a label: one line, at most LABEL_LIMIT characters.

    Only a window of the text is read, so labelling every sub-formula of a formula of
    any length stays linear in its length.
    """
    window = min(end, start + 4 * LABEL_LIMIT)
    label = " ".join(text[start:window].split())
    if window == end and len(label) <= LABEL_LIMIT:
        return label
    return label[: LABEL_LIMIT - 1] + "…"


def _plan_graph(
    plan: Plan, graph: Mapping[str, Any], columns: Columns | OpColumns | None
) -> list[int]:
    """Add every node of a graph document to the plan; returns the roots of the order.

    ``columns``: its nodes' fields as the check read them, if it did.
    """
    nodes: list[dict[str, Any]] = graph["nodes"]
    read = columns if isinstance(columns, tuple) else graph_columns(nodes)
    ids, labels, ops, arguments, numbers, grads = read
    index = dict(zip(ids, range(len(ids)), strict=False))
    if len(index) < len(ids):
        seen: set[str] = set()
        for i, node_id in enumerate(ids):
            if node_id in seen:
                raise plan.error(f"duplicate id '{node_id}'", Where(("nodes", i, "id"), WHOLE))
            seen.add(node_id)
    for i, node_id in enumerate(ids if not FUNCTION_NAMES.isdisjoint(index) else ()):
        if node_id in FUNCTION_NAMES:
            raise plan.error(
                f"'{node_id}' is an op's function name and cannot be an id",
                Where(("nodes", i, "id"), WHOLE),
            )
    plan.ids = list(ids)
    plan.labels = labels
    plan.gradients = grads.count(None) != len(grads)
    del grads
    plan.ops = ops
    resolved: list[Any] = list(map(tuple, map(map, repeat(index.get), arguments)))
    leaves = list(map(_LEAF_OR_CONST.__contains__, plan.ops))
    if _graph_nodes_plain(plan.ops, arguments, numbers, resolved, leaves):
        plan.args = [() if leaf else r for leaf, r in zip(leaves, resolved, strict=True)]
        plan.values = [x if leaf else 0.0 for leaf, x in zip(leaves, numbers, strict=True)]
    else:  # one of them is wrong: find the first, as the file orders them
        _plan_graph_nodes(plan, nodes, index)
    return _roots(plan, graph.get("output"), index, len(nodes))


_LEAF_OR_CONST = frozenset((LEAF, CONST))


def _graph_nodes_plain(
    ops: list[str],
    arguments: list[list[str]],
    numbers: list[Any],
    resolved: list[tuple[int | None, ...]],
    leaves: list[bool],
) -> bool:
    """Whether every node of a graph document is right as it stands, seen column by column."""
    if any(map(len, compress(arguments, leaves))) or None in compress(numbers, leaves):
        return False  # a leaf with args, or without a value
    computed = list(map(not_, leaves))
    if any(map(contains, compress(resolved, computed), repeat(None))):
        return False  # an unknown id
    for op, length in set(
        zip(compress(ops, computed), map(len, compress(arguments, computed)), strict=False)
    ):
        arity = OP_ARITY[op]
        if length == 0 if arity is None else length != arity:
            return False
    return True


def _plan_graph_nodes(plan: Plan, nodes: list[dict[str, Any]], index: Mapping[str, int]) -> None:
    """Plan a graph document's nodes one by one: raises the first node's error."""
    ids, ops = plan.ids, plan.ops
    args = plan.args = [()] * len(nodes)
    values = plan.values = [0.0] * len(nodes)
    lookup = index.__getitem__
    for i, node in enumerate(nodes):
        op = ops[i]
        arguments: list[str] = node.get("args", ())
        if op in (LEAF, CONST):
            if arguments:
                where = Where(("nodes", i, "args"), WHOLE)
                raise plan.error(f"node '{ids[i]}' ({op}) takes no args", where)
            value = node.get("value")
            if value is None:
                where = Where(("nodes", i), WHOLE)
                raise plan.error(f"node '{ids[i]}' ({op}) needs a value", where)
            values[i] = value
            continue
        arity = OP_ARITY[op]
        if (arity is None and not arguments) or (arity is not None and len(arguments) != arity):
            where = Where(("nodes", i, "args"), WHOLE)
            _check_arity(plan, op, len(arguments), where, str(ids[i]))
        try:
            args[i] = tuple(map(lookup, arguments))
        except KeyError:
            for j, arg in enumerate(arguments):
                if arg not in index:
                    raise plan.error(
                        f"unknown id '{arg}' in node '{ids[i]}'{did_you_mean(arg, index)}",
                        Where(("nodes", i, "args", j), WHOLE),
                    ) from None


def _topological_order(plan: Plan, roots: Sequence[int]) -> list[int]:
    """Arguments before their users, as engine.topological_order walks; refuses cycles."""
    args = plan.args
    state = bytearray(len(plan))  # 0 unseen, 1 on the path, 2 done
    order: list[int] = []
    append = order.append
    for root in roots:
        if state[root]:
            continue
        state[root] = 1
        path = [root]  # a depth-first walk: the path, and each path node's args still to see
        pending = [iter(args[root])]
        while path:
            for child in pending[-1]:
                seen = state[child]
                if not seen:
                    state[child] = 1
                    path.append(child)
                    pending.append(iter(args[child]))
                    break
                if seen == 1:
                    raise _cycle_error(plan, path, child)
            else:
                state[path[-1]] = 2
                append(path.pop())
                pending.pop()
    return order


def _cycle_error(plan: Plan, path: list[int], back: int) -> GradpipeError:
    """The cycle as names, starting and ending at the node whose reference closes it."""
    ids = plan.ids
    loop = path[path.index(back) :]
    names = [ids[k] for k in loop if ids[k] is not None]
    last = next(k for k in reversed(loop) if ids[k] is not None)
    names = names[names.index(ids[last]) :] + names[: names.index(ids[last])]
    if len(names) > 12:
        names = [*names[:5], "…", *names[-5:]]
    shown = " -> ".join(str(n) for n in [*names, names[0]])
    return plan.error(f"cycle: {shown}", plan.where(last))


def warn_number_nodes(plan: Plan) -> None:
    """Warn of each plain number under ``nodes``: a constant, so it gets no gradient.

    For the commands that ask for gradients (backward, check, validate): a leaf put under
    ``nodes`` by mistake silently gets none.
    """
    if not plan.number_nodes:
        return
    requests = [(("nodes", str(plan.ids[k])), False, None) for k in plan.number_nodes]
    places = locate_many(plan.raw, requests)
    for k, found in zip(plan.number_nodes, places, strict=True):
        line, column = found or (None, None)
        warn(
            f"node '{plan.ids[k]}' is the number {number_text(float(plan.values[k]))}: a constant,"
            " which gets no gradient (did you mean to put it under values?)",
            plan.path,
            line,
            column,
        )
