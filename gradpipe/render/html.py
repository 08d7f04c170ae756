"""``render -f html``: one self-contained page to explore a graph and replay its backprop.

The page is the SVG that Graphviz lays out (as ``render -f svg`` draws it, with every
gradient), tagged so each drawn node knows its graph node (``gradpipe.render.steps``),
plus the graph and its backprop trace as JSON, and the view's own CSS and JavaScript,
all inline: no network, no CDN, and it opens from ``file://``. The steps come from
``gradpipe.render.trace``, so the page shows the engine's numbers.
"""

from __future__ import annotations

import hashlib
import html
import json
import re
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from typing import TYPE_CHECKING, Any

from gradpipe.documents.graph import Graph
from gradpipe.engine.ops import CONST, LEAF, OP_ARITY, OP_SYMBOLS, OPS
from gradpipe.engine.value import operation_name
from gradpipe.errors import LayoutLimitError
from gradpipe.render.formats import DEFAULT_LAYOUT_LIMIT, limit_refusal
from gradpipe.render.labels import NodeMark, micrograd_number
from gradpipe.render.steps import final_state, slot_values, stepped_svg
from gradpipe.render.trace import BackpropTrace, trace_backward, view_trace

if TYPE_CHECKING:
    from gradpipe.render.dot import Style
    from gradpipe.render.views import View

# Longest formula shown in a tooltip; longer ones fall back to their arguments' names.
FORMULA_LIMIT = 120
# The local derivative of each op, by argument: the op table's rules.
DERIVATIVE_RULES: dict[str, tuple[str, ...]] = {op.name: op.rule for op in OPS}
# Binding strength of each op in a formula (atoms and calls bind tightest).
_PRECEDENCE = {"add": 1, "sub": 1, "mul": 2, "div": 2, "neg": 3, "pow": 4}
_ATOM = 5


def render_html(
    graph: Graph,
    *,
    layout_limit: int | None = None,
    marks: Mapping[str, NodeMark] | None = None,
    watch: str | None = None,
    style: Style | None = None,
) -> bytes:
    """The interactive page of ``graph`` (its gradients computed here) as UTF-8 bytes.

    ``marks`` colours nodes by id (see NodeMark); ``watch`` names the file the page
    polls to reload itself when ``render --watch`` writes a new version. ``style`` is
    ``render -f svg``'s: the page draws the same picture (direction, compact records,
    edge labels, and ``--view named`` or ``--focus``: the same nodes and cut-edge stubs),
    its steps those of the drawn nodes.
    """
    drawn, trace, svg, view = stepped_picture(graph, style=style, layout_limit=layout_limit)
    texts = view_texts(graph, view) if view is not None else None
    return page(drawn, trace, svg, marks=marks, watch=watch, texts=texts, whole=graph)


def stepped_picture(
    graph: Graph, *, style: Style | None = None, layout_limit: int | None = None
) -> tuple[Graph, BackpropTrace, str, View | None]:
    """What a page or frames of ``graph`` show: the drawn graph, its trace, its SVG.

    The engine's backward runs on the whole graph; a view (``style``'s ``--view named``
    or ``--focus``) is drawn from it and the trace projected onto it (``view_trace``).
    """
    from gradpipe.render.layout import lay_out, refuse_past_limit
    from gradpipe.render.views import picture_view

    limit = DEFAULT_LAYOUT_LIMIT if layout_limit is None else layout_limit
    if style is None or style.whole:  # refused at once, as -f svg is, not after backprop
        refuse_past_limit(graph, limit, style)
    trace = trace_backward(graph)
    graph.has_gradients = True
    # A named view's steps pass gradients on through its folded formulas' derivatives.
    view = None if style is None else picture_view(graph, style._replace(edge_grads=True))
    if view is None:
        svg = lay_out(graph, "svg", layout_limit=limit, style=style).decode("utf-8")
        return graph, trace, svg, None
    drawn = view.graph
    svg = lay_out(drawn, "svg", layout_limit=limit, style=style, view=view).decode("utf-8")
    return drawn, view_trace(trace, graph, view), svg, view


@dataclass(frozen=True)
class ViewTexts:
    """What a view's page says of each drawn node beyond its Value's own fields."""

    formulas: list[str]  # the formula each drawn node stands for in the whole graph
    rules: list[list[str]]  # per drawn argument, the local derivative's rule ("" if none)
    hidden: list[int]  # terms of its gradient from users the view leaves out
    cut_inputs: list[int]  # arguments left out
    cut_users: list[int]  # users left out


def view_texts(graph: Graph, view: View) -> ViewTexts:
    """Formulas, rules and cut counts of a view's nodes, from the whole ``graph``."""
    drawn = view.graph.nodes
    at = {i: k for k, i in enumerate(view.origin)}
    position = {id(v): i for i, v in enumerate(graph.nodes)}
    if view.named:
        formulas = [view.bubbles.get(id(v), "") for v in drawn]
        rules = [[""] * len(v._prev) for v in drawn]
    else:
        whole = formula_texts(graph)
        formulas = [whole[i] for i in view.origin]
        rules = []
        for i in view.origin:
            v = graph.nodes[i]
            names = [_short(graph.ids[position[id(c)]], c.label) for c in v._prev]
            own = _short(graph.ids[i], v.label)
            table = DERIVATIVE_RULES.get(operation_name(v), ())
            rules.append(
                [
                    _rule(table, p, names, own, operation_name(v))
                    for p, c in enumerate(v._prev)
                    if position[id(c)] in at
                ]
            )
    hidden = [0] * len(drawn)
    if not view.named:
        for i, v in enumerate(graph.nodes):
            if i in at or v.is_constant:
                continue
            for c in v._prev:
                k = at.get(position[id(c)])
                if k is not None and not c.is_constant:
                    hidden[k] += 1
    return ViewTexts(
        formulas,
        rules,
        hidden,
        [view.cut_inputs.get(id(v), 0) for v in drawn],
        [view.cut_users.get(id(v), 0) for v in drawn],
    )


def page(
    graph: Graph,
    trace: BackpropTrace,
    svg: str,
    *,
    marks: Mapping[str, NodeMark] | None = None,
    watch: str | None = None,
    texts: ViewTexts | None = None,
    whole: Graph | None = None,
) -> bytes:
    """The page around a laid-out ``svg`` of ``graph`` and its backprop ``trace``.

    ``texts`` for a view: ``graph`` is the drawn part of ``whole``.
    """
    picture = stepped_svg(svg, graph)
    # The SVG as laid out: every gradient shown, no step marked (the script marks them).
    inline_svg = picture.fill(slot_values(picture, final_state(trace)))
    data = graph_data(graph, trace, marks or {}, texts)
    data["outputName"] = (whole or graph).output
    blob = script_json(data)
    fills = {
        "title": html.escape(f"{graph.name}: gradpipe"),
        "name": html.escape(graph.name),
        "css": _asset("page.css"),
        "svg": inline_svg,
        "data": blob,
        "js": _asset("page.js"),
    }
    # The template cut at its {{...}} places, filled in one join: no pass over the SVG.
    pieces = re.split(r"\{\{(\w+)\}\}", _asset("page.html"))
    body = "".join(fills.get(p, "{{" + p + "}}") if k % 2 else p for k, p in enumerate(pieces))
    token = hashlib.sha256(body.encode("utf-8", "replace")).hexdigest()[:16]
    watching = ""
    if watch is not None:
        info = script_json({"file": watch, "token": token})
        watching = f'<script type="application/json" id="gp-watch">{info}</script>\n'

    return body.replace("{{watch}}", watching).encode("utf-8", "replace")


def watch_script(token: str, error: str | None = None) -> bytes:
    """The side file a watched page polls: the token of the page's newest version."""
    return f"gradpipeWatch({script_json(token)}, {script_json(error)});\n".encode()


def page_token(page_bytes: bytes) -> str | None:
    """The token a page written with ``watch`` carries, or None."""
    marker = b'"token":"'
    at = page_bytes.find(marker)
    if at < 0:
        return None
    start = at + len(marker)
    return page_bytes[start : start + 16].decode("ascii")


def graph_data(
    graph: Graph,
    trace: BackpropTrace,
    marks: Mapping[str, NodeMark],
    texts: ViewTexts | None = None,
) -> dict[str, Any]:
    """The JSON the page reads: nodes, steps and marks, numbers as Python writes them.

    ``texts``: ``graph`` is a view, its formulas and rules those of the whole graph.
    """

    nodes = graph.nodes
    index = {id(v): i for i, v in enumerate(nodes)}
    output = trace.output
    formulas = texts.formulas if texts is not None else formula_texts(graph)
    rows = []
    for i, (node_id, v) in enumerate(graph):
        args = [index[id(c)] for c in v._prev]
        grad = trace.gradients[i]
        label = v.label or node_id
        op = operation_name(v)
        row: dict[str, Any] = {
            "id": node_id,
            "label": label,
            "op": op,
            "sym": OP_SYMBOLS.get(op, op),
            "kind": _kind(op, grad, i == output),
            "args": args,
            "value": repr(v.data),
            "text": micrograd_number(v.data),
            "grad": None if grad is None else repr(grad),
            "gradText": None if grad is None else micrograd_number(grad),
            "formula": formulas[i],
        }
        if args:
            rules = DERIVATIVE_RULES.get(op, ())
            names = [_short(graph.ids[j], nodes[j].label) for j in args]
            row["locals"] = [
                [
                    texts.rules[i][position]
                    if texts is not None
                    else _rule(rules, position, names, _short(node_id, v.label), op),
                    None if d is None else repr(d),
                ]
                for position, d in enumerate(trace.locals[i])
            ]
        if texts is not None:
            if texts.hidden[i]:
                row["hidden"] = texts.hidden[i]
            if texts.cut_inputs[i]:
                row["cutInputs"] = texts.cut_inputs[i]
            if texts.cut_users[i]:
                row["cutUsers"] = texts.cut_users[i]
        mark = marks.get(node_id)
        if mark is not None:
            row["mark"] = {"status": mark.status, "colour": mark.colour, "note": mark.note}
        rows.append(row)
    steps = [
        {
            "node": s.node,
            "grad": repr(s.gradient),
            "gradText": micrograd_number(s.gradient),
            "terms": [
                [
                    c.position,
                    c.child,
                    repr(c.local),
                    repr(c.term),
                    repr(c.total),
                    micrograd_number(c.total),
                ]
                for c in s.contributions
            ],
        }
        for s in trace.steps
    ]
    return {"name": graph.name, "output": output, "nodes": rows, "steps": steps}


def script_json(data: Any) -> str:
    """JSON safe inside ``<script>``: ASCII only, and no ``<``, ``>`` or ``&`` characters.

    So no label can close the script (``</script>``), open a comment (``<!--``), or break
    a line in old JavaScript (U+2028, U+2029); JSON.parse reads the escapes back.
    """
    text = json.dumps(data, ensure_ascii=True, allow_nan=False, separators=(",", ":"))
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def formula_texts(graph: Graph) -> list[str]:
    """The formula each node stands for, anonymous sub-formulas written out, named ones
    by name: ``x1*w1 + x2*w2 + b`` for ``n``. Linear: each text is at most FORMULA_LIMIT."""
    nodes = graph.nodes
    index = {id(v): i for i, v in enumerate(nodes)}
    # Each node as an argument: (text, precedence).
    inline: list[tuple[str, int]] = []
    texts: list[str] = []
    names = graph.named_ids()
    for node_id, v in graph:
        name = v.label if operation_name(v) == CONST and v.label else node_id
        if not v._prev:
            texts.append(v.label or node_id)
            inline.append((name, 3 if name.startswith("-") else _ATOM))
            continue
        args = [inline[index[id(c)]] for c in v._prev]
        text, prec = _formula(operation_name(v), args)
        if len(text) > FORMULA_LIMIT:
            # Each argument as its record shows it: an anonymous one by its label (its own
            # formula, cut), never by its id, which neither the picture nor the spec shows.
            shown = []
            for c in v._prev:
                j = index[id(c)]
                anonymous = c._prev and graph.ids[j] not in names
                shown.append((c.label or graph.ids[j], inline[j][1]) if anonymous else inline[j])
            text, prec = _formula(operation_name(v), shown)
            text = text if len(text) <= FORMULA_LIMIT else text[: FORMULA_LIMIT - 1] + "…"
        texts.append(text)
        inline.append((node_id, _ATOM) if node_id in names else (text, prec))
    return texts


def _formula(op: str, args: list[tuple[str, int]]) -> tuple[str, int]:
    """``op`` over its arguments' texts, with parentheses where precedence needs them."""
    prec = _PRECEDENCE.get(op)
    if prec is None:
        return f"{OP_SYMBOLS.get(op, op)}({', '.join(t for t, _ in args)})", _ATOM
    if op == "neg":
        (text, p) = args[0]
        return "-" + (text if p >= prec else f"({text})"), prec
    (left, lp), (right, rp) = args
    if op == "pow":  # right-associative: a**b**c is a**(b**c)
        left = left if lp > prec else f"({left})"
        right = right if rp >= _PRECEDENCE["neg"] else f"({right})"
        return f"{left}**{right}", prec
    left = left if lp >= prec else f"({left})"
    right = right if rp > prec else f"({right})"
    symbol = OP_SYMBOLS[op]
    return (f"{left} {symbol} {right}" if prec == 1 else f"{left}{symbol}{right}"), prec


def _kind(op: str, grad: float | None, is_output: bool) -> str:
    if is_output:
        return "output"
    if op == LEAF:
        return "leaf"
    if grad is None:
        return "const"
    return "node"


def _short(node_id: str, label: str) -> str:
    """How a node is named in a derivative: its id, or its label when it has no name."""
    if node_id.startswith("_") and label:
        return label if len(label) <= 24 else label[:23] + "…"
    return node_id


def _rule(rules: tuple[str, ...], position: int, names: list[str], out: str, op: str) -> str:
    if rules and OP_ARITY.get(op, 0) is None:  # one rule for every term
        position = 0
    if position >= len(rules):
        return ""
    a = names[0]
    b = names[1] if len(names) > 1 else ""
    return rules[position].format(a=_paren(a), b=_paren(b), out=_paren(out))


def _paren(name: str) -> str:
    """A name or number as it reads inside a rule: ``w1``, ``2.0``, ``(x1*w1)``."""
    return name if re.fullmatch(r"[\w.]+", name) else f"({name})"


def _asset(name: str) -> str:
    return (resources.files("gradpipe") / "html_view" / name).read_text(encoding="utf-8")


class HtmlView:
    """The interactive view of a graph, shown inline in Jupyter and VS Code notebooks.

    ``_repr_html_`` puts the page in a sandboxed ``<iframe srcdoc>``: its scripts run
    apart from the notebook's, offline, and its CSS touches nothing else.
    """

    def __init__(self, page_bytes: bytes, height: int = 520) -> None:
        self.page = page_bytes
        self.height = height

    def _repr_html_(self) -> str:
        source = html.escape(self.page.decode("utf-8"), quote=True)
        return (
            f'<iframe srcdoc="{source}" sandbox="allow-scripts" '
            f'style="width: 100%; height: {self.height}px; border: 1px solid #ddd;"></iframe>'
        )

    def save(self, path: str) -> None:
        """Write the page to ``path``, to open in a browser."""
        with open(path, "wb") as stream:
            stream.write(self.page)


def show(
    graph: Graph,
    *,
    height: int = 520,
    layout_limit: int | None = DEFAULT_LAYOUT_LIMIT,
    style: Style | None = None,
) -> HtmlView:
    """The interactive view of ``graph``, its Values' gradients left as they were.

    The view replays backward from the graph's output; the gradients it computes for
    that are put back afterwards, so showing a graph mid-training changes nothing. A
    picture of more than ``layout_limit`` nodes is refused, as ``draw_dot`` refuses it;
    ``None`` draws it anyway.
    """
    saved = [v.grad for v in graph.nodes]
    had_gradients = graph.has_gradients
    try:
        limit = sys.maxsize if layout_limit is None else layout_limit
        page_bytes = render_html(graph, layout_limit=limit, style=style)
    except LayoutLimitError as error:  # in the API's words: its keyword, not --layout-limit
        raise limit_refusal(error.nodes, error.limit) from None
    finally:
        for v, grad in zip(graph.nodes, saved, strict=True):
            v.grad = grad
        graph.has_gradients = had_gradients
    return HtmlView(page_bytes, height)
