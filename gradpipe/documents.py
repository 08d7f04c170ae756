"""From a file's bytes to a Graph: validation, references, formulas and located errors.

``read_document`` checks everything that can be checked without computing (structure,
names, references, cycles, formulas) and plans the graph: one entry per node, in
topological order. ``build_graph`` computes the plan's Values. Every error is a
``GradpipeError`` pointing at the offending key, value or formula character.
"""

from __future__ import annotations

import difflib
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import PurePath
from typing import TYPE_CHECKING, Any, NamedTuple

from gradpipe.engine import CONST, LEAF, OP_ARITY, Value, apply
from gradpipe.errors import GradpipeError, MathError
from gradpipe.formula import FormulaError, parse_formula
from gradpipe.graph import FUNCTION_NAMES, Graph, anonymous_ids, paused_gc
from gradpipe.loader import locate, parse_data
from gradpipe.structure import FIELDS, GRAPH_OPS, SPEC_OPS, UNION_TAGS, conforms

if TYPE_CHECKING:
    from pydantic import ValidationError

Loc = tuple[str | int, ...]
# Where a node is defined: a location in the file, and an offset into the formula found
# there, or one of these two markers.
WHOLE = -1  # the value at the location
KEY = -2  # the key at the location
LABEL_LIMIT = 24  # longer formula texts are shortened with "…" in labels
_HINT_POOL = 5000  # "did you mean" compares with at most this many names
_NAME_RULE = "use letters, digits and _, not starting with a digit"
# A node object is an expr object when it has 'expr', else an op object: so a typo in
# 'expr' is reported in an op object, and the hint must consider both objects' fields.
_NODE_OBJECT_FIELDS = tuple(dict.fromkeys((*FIELDS["op"], *FIELDS["expr"])))


class Where(NamedTuple):
    """The place of a node's definition in its file."""

    loc: Loc
    offset: int


@dataclass
class Document:
    """A validated spec or graph document, planned: one entry per node, topologically ordered.

    Entries are parallel lists indexed by node: a spec's values first, then its nodes, then
    the anonymous nodes of formulas and literals; a graph document's nodes in file order.
    ``order`` lists them arguments first.
    """

    path: str
    raw: bytes
    kind: str  # "spec" or "graph"
    name: str
    output: int = -1
    ids: list[str | None] = field(default_factory=list)  # None: anonymous
    labels: list[str] = field(default_factory=list)
    ops: list[str] = field(default_factory=list)
    args: list[tuple[int, ...]] = field(default_factory=list)
    values: list[float] = field(default_factory=list)  # leaves and literals; else 0.0
    value_count: int = 0  # a spec's entries below this come from `values`
    origins: dict[int, Where] = field(default_factory=dict)  # of anonymous entries
    order: list[int] = field(default_factory=list)
    gradients: bool = False  # a graph document with a non-null grad: render redraws them

    def __len__(self) -> int:
        return len(self.ops)

    def add(self, label: str, op: str, where: Where) -> int:
        """A new anonymous entry, its arguments and value still to be set; returns its index."""
        k = len(self.ops)
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
        """An error located at ``where`` in this document's file."""
        return _located(message, self.path, self.raw, where)


def load_document(raw: bytes, path: str, overrides: Mapping[str, float] | None = None) -> Graph:
    """The Graph of a spec or graph document (YAML or JSON bytes), gradients not computed."""
    with paused_gc():  # across both steps: no collection between them
        return build_graph(read_document(raw, path), overrides)


def read_document(raw: bytes, path: str) -> Document:
    """Validate a spec or graph document without computing it; raises located errors."""
    with paused_gc():
        data = parse_data(raw, path)  # a mapping, or a located error
        # A graph document lists its nodes; a spec maps names to them (and may have values).
        graph = isinstance(data.get("nodes"), list) and "values" not in data
        kind = "graph" if graph else "spec"
        # The lean check passes valid input as it is: pydantic would only copy it.
        validated = data if conforms(data, kind) else _validated(data, kind, path, raw)
        del data  # a validated copy replaces it: half the memory of a big graph
        default_name = "stdin" if path == "<stdin>" else PurePath(path).stem
        document = Document(path, raw, kind, validated.get("name", default_name))
        if kind == "spec":
            roots = _plan_spec(document, validated)
        else:
            roots = _plan_graph(document, validated)
        document.order = _topological_order(document, roots)
        return document


def build_graph(document: Document, overrides: Mapping[str, float] | None = None) -> Graph:
    """Compute the Values of a read document, with ``--set``-style overrides of its leaves."""
    with paused_gc():
        return _build_graph(document, overrides)


def _build_graph(document: Document, overrides: Mapping[str, float] | None) -> Graph:
    values = document.values
    if overrides:
        values = list(values)
        for name, number in overrides.items():
            values[_leaf_index(document, name, number)] = float(number)
    ids, labels, ops, args = document.ids, document.labels, document.ops, document.args
    built: list[Any] = [None] * len(document)  # each entry's Value, once built
    argument = built.__getitem__
    nodes: list[Value] = []
    for k in document.order:
        op = ops[k]
        if op == LEAF:
            v = Value(values[k], labels[k])
        elif op == CONST:
            v = Value.constant(values[k], labels[k])
        else:
            try:
                v = apply(op, list(map(argument, args[k])))
            except MathError as err:
                raise _math_error(document, k, err) from None
            v.label = labels[k]
        built[k] = v
        nodes.append(v)
    taken = {node_id for node_id in ids if node_id is not None}
    fresh = anonymous_ids(taken)
    graph_ids = [ids[k] or next(fresh) for k in document.order]
    output = str(ids[document.output])  # always a named node
    return Graph(name=document.name, ids=graph_ids, nodes=nodes, output=output)


def locate_math_error(raw: bytes, path: str, graph: Graph, error: MathError) -> MathError:
    """A MathError from ``graph.backward()``, located at its node's definition as forward's are.

    ``graph`` is the one built from ``raw``; the document is read again (only on error,
    so a run that succeeds keeps no plan). The error as it was, with ``path``, when its
    node is not one of the graph's.
    """
    position = next((i for i, v in enumerate(graph.nodes) if v is error.node), None)
    document = None if position is None else read_document(raw, path)
    if position is None or document is None or len(document.order) != len(graph.nodes):
        error.path = path
        return error
    return _math_error(document, document.order[position], error)  # nodes follow the order


def json_schema(kind: str) -> str:
    """The JSON Schema of spec files ("spec") or graph documents ("graph"), as JSON text."""
    from gradpipe import models  # pydantic's machinery: only schemas and refusals need it

    adapter: Any = {"spec": models.SPEC_ADAPTER, "graph": models.GRAPH_ADAPTER}[kind]
    schema = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        **_names_as_property_names(adapter.json_schema()),
    }
    return json.dumps(schema, indent=2, ensure_ascii=False) + "\n"


# --- planning a spec -------------------------------------------------------------------


def _plan_spec(document: Document, spec: Mapping[str, Any]) -> list[int]:
    """Add every value and node of a spec to the plan; returns the roots of the order."""
    values: dict[str, Any] = spec.get("values", {})
    nodes: dict[str, Any] = spec["nodes"]
    names: list[str] = [*values, *nodes]
    index = {name: k for k, name in enumerate(names)}
    count = document.value_count = len(values)
    if len(index) < len(names):
        name = next(n for n in nodes if n in values)
        where = Where(("nodes", name), KEY)
        raise document.error(f"duplicate name '{name}': already a value", where)
    if not FUNCTION_NAMES.isdisjoint(index):
        k, name = next((k, n) for k, n in enumerate(names) if n in FUNCTION_NAMES)
        section = "value" if k < count else "node"
        raise document.error(
            f"'{name}' is an op's function name and cannot name a {section}",
            Where(("values" if k < count else "nodes", name), KEY),
        )
    document.ids = list(names)
    document.ops = [LEAF] * count + [CONST] * len(nodes)
    document.args = [()] * len(names)
    document.values = [e["value"] if type(e) is dict else e for e in values.values()]
    document.values += [0.0] * len(nodes)
    labels = document.labels = list(names)
    for k, entry in enumerate(values.values()):
        if type(entry) is dict and "label" in entry:
            labels[k] = entry["label"]
    ops, args = document.ops, document.args
    lookup = index.__getitem__
    for k, (name, entry) in enumerate(nodes.items(), count):
        kind = type(entry)
        if kind is dict:
            if "label" in entry:
                labels[k] = entry["label"]
            op = entry.get("op")
            if op is None:
                _plan_formula(document, index, name, k, entry["expr"], ("nodes", name, "expr"))
                continue
            arguments = entry["args"]
            arity = OP_ARITY[op]
            wrong_count = not arguments if arity is None else len(arguments) != arity
            if wrong_count:
                _check_arity(document, op, len(arguments), Where(("nodes", name, "args"), WHOLE))
            ops[k] = op
            try:
                args[k] = tuple(map(lookup, arguments))
            except KeyError:  # a number, or an unknown name
                args[k] = _op_arguments(document, index, name, arguments)
        elif kind is str:
            _plan_formula(document, index, name, k, entry, ("nodes", name))
        else:  # a number: a named constant
            document.values[k] = entry
    return _roots(document, spec.get("output"), index, len(names))


def _roots(document: Document, output: Any, index: Mapping[str, int], count: int) -> list[int]:
    """Resolve the output (default: the last node) and list the order's roots, output first."""
    if output is None:
        document.output = count - 1
    elif output in index:
        document.output = index[output]
    else:
        raise document.error(
            f"unknown output '{output}'{_hint(output, index)}", Where(("output",), WHOLE)
        )
    return [document.output, *range(count)]


def _op_arguments(
    document: Document, index: Mapping[str, int], name: str, arguments: list[str | float]
) -> tuple[int, ...]:
    """An op object's arguments: names resolved, numbers made constants."""
    resolved: list[int] = []
    for i, arg in enumerate(arguments):
        where = Where(("nodes", name, "args", i), WHOLE)
        if isinstance(arg, str):
            if arg not in index:
                raise document.error(
                    f"unknown name '{arg}' in node '{name}'{_hint(arg, index)}", where
                )
            resolved.append(index[arg])
        else:
            literal = document.add(_number_label(float(arg)), CONST, where)
            document.values[literal] = float(arg)
            resolved.append(literal)
    return tuple(resolved)


class _Literal(NamedTuple):
    """A number in a formula, not yet a node: ``-`` on it folds into it."""

    value: float
    start: int
    end: int


def _plan_formula(
    document: Document,
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
        raise document.error(
            f"{err.message} in formula of node '{name}'", Where(loc, err.offset)
        ) from None
    if tree.kind == "name":
        raise document.error(
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
            results.append(_Literal(float(node.value), node.start, node.end))
        elif node.kind == "name":
            if node.name not in index:
                raise document.error(
                    f"unknown name '{node.name}' in node '{name}'{_hint(node.name, index)}",
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
                results.append(_Literal(-operands[0].value, node.start, node.end))
                continue
            where = Where(loc, node.start)  # the parser checked the functions' arities
            target = k if node is tree else document.add(_formula_label(text, node), node.op, where)
            document.ops[target] = node.op
            document.args[target] = tuple(
                _literal_node(document, operand, text, loc)
                if isinstance(operand, _Literal)
                else operand
                for operand in operands
            )
            results.append(target)
    (result,) = results
    if isinstance(result, _Literal):  # a formula that is only a number: a named constant
        document.ops[k] = CONST
        document.values[k] = result.value


def _literal_node(document: Document, literal: _Literal, text: str, loc: Loc) -> int:
    label = _shorten(text, literal.start, literal.end)
    k = document.add(label, CONST, Where(loc, literal.start))
    document.values[k] = literal.value
    return k


def _check_arity(document: Document, op: str, count: int, where: Where) -> None:
    arity = OP_ARITY[op]
    if arity is None and count == 0:
        raise document.error(f"{op} takes at least 1 argument, not 0", where)
    if arity is not None and count != arity:
        plural = "argument" if arity == 1 else "arguments"
        raise document.error(f"{op} takes {arity} {plural}, not {count}", where)


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


def _number_label(x: float) -> str:
    return str(int(x)) if x.is_integer() and abs(x) < 1e16 else repr(x)


# --- planning a graph document ------------------------------------------------------------


def _plan_graph(document: Document, graph: Mapping[str, Any]) -> list[int]:
    """Add every node of a graph document to the plan; returns the roots of the order."""
    nodes: list[dict[str, Any]] = graph["nodes"]
    ids: list[str] = [node["id"] for node in nodes]
    index = {node_id: i for i, node_id in enumerate(ids)}
    if len(index) < len(ids):
        seen: set[str] = set()
        for i, node_id in enumerate(ids):
            if node_id in seen:
                raise document.error(f"duplicate id '{node_id}'", Where(("nodes", i, "id"), WHOLE))
            seen.add(node_id)
    for i, node_id in enumerate(ids):
        if node_id in FUNCTION_NAMES:
            raise document.error(
                f"'{node_id}' is an op's function name and cannot be an id",
                Where(("nodes", i, "id"), WHOLE),
            )
    document.ids = list(ids)
    document.labels = [node.get("label", node["id"]) for node in nodes]
    document.gradients = any(node.get("grad") is not None for node in nodes)
    ops = document.ops = [node["op"] for node in nodes]
    args = document.args = [()] * len(nodes)
    values = document.values = [0.0] * len(nodes)
    lookup = index.__getitem__
    for i, node in enumerate(nodes):
        op = ops[i]
        arguments: list[str] = node.get("args", ())
        if op in (LEAF, CONST):
            if arguments:
                where = Where(("nodes", i, "args"), WHOLE)
                raise document.error(f"node '{ids[i]}' ({op}) takes no args", where)
            value = node.get("value")
            if value is None:
                where = Where(("nodes", i), WHOLE)
                raise document.error(f"node '{ids[i]}' ({op}) needs a value", where)
            values[i] = value
            continue
        arity = OP_ARITY[op]
        if (arity is None and not arguments) or (arity is not None and len(arguments) != arity):
            _check_arity(document, op, len(arguments), Where(("nodes", i, "args"), WHOLE))
        try:
            args[i] = tuple(map(lookup, arguments))
        except KeyError:
            for j, arg in enumerate(arguments):
                if arg not in index:
                    raise document.error(
                        f"unknown id '{arg}' in node '{ids[i]}'{_hint(arg, index)}",
                        Where(("nodes", i, "args", j), WHOLE),
                    ) from None
    return _roots(document, graph.get("output"), index, len(nodes))


# --- order, overrides, errors --------------------------------------------------------------


def _topological_order(document: Document, roots: Sequence[int]) -> list[int]:
    """Arguments before their users, as engine.topological_order walks; refuses cycles."""
    args = document.args
    state = bytearray(len(document))  # 0 unseen, 1 on the path, 2 done
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
                    raise _cycle_error(document, path, child)
            else:
                state[path[-1]] = 2
                append(path.pop())
                pending.pop()
    return order


def _cycle_error(document: Document, path: list[int], back: int) -> GradpipeError:
    """The cycle as names, starting and ending at the node whose reference closes it."""
    ids = document.ids
    loop = path[path.index(back) :]
    names = [ids[k] for k in loop if ids[k] is not None]
    last = next(k for k in reversed(loop) if ids[k] is not None)
    names = names[names.index(ids[last]) :] + names[: names.index(ids[last])]
    if len(names) > 12:
        names = [*names[:5], "…", *names[-5:]]
    shown = " -> ".join(str(n) for n in [*names, names[0]])
    return document.error(f"cycle: {shown}", document.where(last))


def _leaf_index(document: Document, name: str, number: float) -> int:
    """The entry that ``--set name=number`` overrides."""
    leaves = {
        node_id: k
        for k, node_id in enumerate(document.ids)
        if node_id is not None and document.ops[k] in (LEAF, CONST)
    }
    if name not in leaves:
        if name in document.ids:
            k = document.ids.index(name)
            raise GradpipeError(
                f"--set {name}: '{name}' is computed ({document.ops[k]}), not a value",
                document.path,
            )
        raise GradpipeError(f"--set {name}: unknown value{_hint(name, leaves)}", document.path)
    if isinstance(number, bool) or not math.isfinite(number):
        raise GradpipeError(f"--set {name}: {number!r} is not a finite number", document.path)
    return leaves[name]


def _math_error(document: Document, k: int, err: MathError) -> MathError:
    """The engine's error, located at the node's definition and naming it."""
    node_id = document.ids[k]
    name = f"'{node_id}'" if node_id is not None else f"'{document.labels[k]}'"
    message = err.message.replace("an unnamed node", f"node {name}")
    located = MathError(message, err.node)
    where = document.where(k)
    located.path = document.path
    located.line, located.column = _position(document.raw, where) or (None, None)
    return located


def _located(message: str, path: str, raw: bytes, where: Where) -> GradpipeError:
    position = _position(raw, where)
    if position is None:
        return GradpipeError(message, path)
    return GradpipeError(message, path, *position)


def _position(raw: bytes, where: Where) -> tuple[int, int] | None:
    """1-based line and column of ``where``; inside a formula, of its character."""
    loc, offset = where
    return locate(raw, loc, key=offset == KEY, offset=offset if offset >= 0 else None)


def _validated(data: dict[str, Any], kind: str, path: str, raw: bytes) -> Any:
    """The document as pydantic validates it, or its first problem as a located error."""
    from pydantic import ValidationError

    from gradpipe import models  # loaded only here: valid input passes the lean check

    adapter: Any = models.GRAPH_ADAPTER if kind == "graph" else models.SPEC_ADAPTER
    try:
        return adapter.validate_python(data)
    except ValidationError as err:
        raise _validation_error(err, kind, path, raw) from None


def _validation_error(err: ValidationError, kind: str, path: str, raw: bytes) -> GradpipeError:
    """The first problem pydantic found, in file order, as a located error."""
    found = err.errors(include_url=False)[:50]
    # A typo in a field name also makes the field missing: the typo is the news.
    typos = {tuple(p["loc"][:-1]) for p in found if p["type"] == "extra_forbidden"}
    problems = []
    for problem in found:
        if problem["type"] == "missing" and tuple(problem["loc"][:-1]) in typos:
            continue
        if _is_argument(problem["loc"], "str"):  # the number branch's error says it all
            continue
        message, where = _explain(problem, kind)
        position = _position(raw, where)
        problems.append((position or (0, 0), message, position))
    problems.sort(key=lambda p: p[0])
    _, message, position = problems[0]
    if position is None:
        return GradpipeError(message, path)
    return GradpipeError(message, path, *position)


def _explain(problem: Mapping[str, Any], kind: str) -> tuple[str, Where]:
    """A message for one of pydantic's errors, and where it points."""
    raw_loc: Loc = tuple(problem["loc"])
    loc, model = _strip_tags(raw_loc, kind)
    kind_of_error: str = problem["type"]
    value = problem["input"]
    if kind_of_error == "extra_forbidden":
        name = str(loc[-1])
        fields = _NODE_OBJECT_FIELDS if model in ("op", "expr") else FIELDS[model]
        return f"unknown field '{name}'{_hint(name, fields)}", Where(loc, KEY)
    if kind_of_error == "missing":
        return f"missing field '{loc[-1]}'", Where(loc[:-1], WHOLE)
    if raw_loc and raw_loc[-1] == "[key]":
        what = "id" if kind == "graph" else "name"
        return f"invalid {what} {_quote(loc[-1])}: {_NAME_RULE}", Where(loc, KEY)
    where = Where(loc, WHOLE)
    if kind_of_error == "too_short":
        return f"'{loc[-1]}' is empty: at least one node is needed", where
    if kind_of_error == "literal_error":
        return (
            f"unknown op {_quote(value)}{_hint(str(value), _ops(kind))}",
            where,
        )
    if kind_of_error == "string_pattern_mismatch":
        return (
            f"invalid id {_quote(value)}: {_NAME_RULE}",
            where,
        )
    if kind_of_error in ("float_type", "finite_number"):
        if isinstance(value, float) and math.isnan(value):
            return "NaN is not allowed: numbers must be finite", where
        if isinstance(value, float):
            return "infinity is not allowed: numbers must be finite", where
        if isinstance(value, int) and not isinstance(value, bool):
            return f"number {_short_repr(value)} is too large", where
        number = "a name or a number" if _is_argument(raw_loc, "float") else "a number"
        return f"expected {number}, not {_describe(value)}", where
    if kind_of_error == "dict_type" and loc in (("values",), ("nodes",)):
        return (
            f"'{loc[0]}' maps names to {loc[0]}: expected a mapping, not {_describe(value)}",
            where,
        )
    expected = {
        "int_type": "an integer",
        "string_type": "a string",
        "dict_type": "a mapping",
        "list_type": "a list",
    }.get(kind_of_error)
    if expected is not None:
        return f"expected {expected}, not {_describe(value)}", where
    message: str = problem["msg"]
    return message[:1].lower() + message[1:], where


def _is_argument(loc: Sequence[Any], member: str) -> bool:
    """Whether ``loc`` is pydantic's for the ``member`` branch of an op object's argument."""
    return len(loc) >= 2 and loc[-1] == member and isinstance(loc[-2], int)


def _ops(kind: str) -> tuple[str, ...]:
    return SPEC_OPS if kind == "spec" else GRAPH_OPS


def _strip_tags(loc: Loc, kind: str) -> tuple[Loc, str]:
    """Drop the union tags pydantic puts in a location; name the object it ends in."""
    kept: list[str | int] = []
    model = kind
    for i, part in enumerate(loc):
        after_entry = i == 2 and loc[0] in ("values", "nodes") and kind == "spec"
        after_index = i > 0 and isinstance(loc[i - 1], int) and kind == "spec"
        if isinstance(part, str) and part in UNION_TAGS and (after_entry or after_index):
            model = part if after_entry else model
            continue
        if part != "[key]":
            kept.append(part)
    if kind == "graph" and len(kept) >= 2:
        model = "graph node"
    return tuple(kept), model if model in FIELDS else kind


def _hint(word: str, candidates: Any) -> str:
    """`` (did you mean 'x2'?)`` for the closest candidate, or nothing."""
    pool = [c for c in candidates if isinstance(c, str) and abs(len(c) - len(word)) <= 3]
    close = difflib.get_close_matches(word, pool[:_HINT_POOL], n=1, cutoff=0.5)
    return f" (did you mean '{close[0]}'?)" if close else ""


def _describe(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return f"the boolean {'true' if value else 'false'}"
    if isinstance(value, str):
        return f"the string {_quote(value)}"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return _short_repr(value)


def _quote(value: Any) -> str:
    text = str(value)
    return repr(text if len(text) <= 40 else text[:39] + "…")


def _short_repr(value: Any) -> str:
    if isinstance(value, int) and value.bit_length() > 10_000:  # repr refuses 4,300 digits
        return f"<an integer of {value.bit_length()} bits>"
    text = repr(value)
    return text if len(text) <= 40 else text[:39] + "…"


def _names_as_property_names(schema: dict[str, Any]) -> dict[str, Any]:
    """Pydantic writes a dict's key pattern as patternProperties: make it propertyNames.

    So a name that does not match is refused by editors, as by gradpipe.
    """
    todo: list[Any] = [schema]
    while todo:
        item = todo.pop()
        if isinstance(item, dict):
            patterns = item.pop("patternProperties", None)
            if patterns:
                ((pattern, entry),) = patterns.items()
                item["propertyNames"] = {"pattern": pattern, **item.get("propertyNames", {})}
                item["additionalProperties"] = entry
            todo.extend(item.values())
        elif isinstance(item, list):
            todo.extend(item)
    return schema
