"""The two file formats, spec and graph document, as pydantic models (SPEC sections 1 and 3).

They decide what is structurally valid and generate ``schemas/*.json``. They are
``TypedDict``s validated by a ``TypeAdapter`` rather than ``BaseModel``s: a graph of a
million nodes then validates to plain dicts, in a third less time and memory than a
million model instances. Whatever needs the whole document (references, cycles,
formulas, uniqueness of names) is checked by ``gradpipe.documents.plan``, which reports it
located in the file. Valid input never gets here: ``gradpipe.documents.structure`` recognises it
without pydantic, and these models only explain a refusal.
"""

from __future__ import annotations

import sys
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    AllowInfNan,
    ConfigDict,
    Discriminator,
    Field,
    Strict,
    StringConstraints,
    Tag,
    TypeAdapter,
    with_config,
)
from pydantic_core import PydanticCustomError

from gradpipe.documents.graph import DOCUMENT_VERSION
from gradpipe.documents.names import FUNCTION_NAMES, NAME_PATTERN
from gradpipe.documents.structure import NODE_ENTRY
from gradpipe.engine.ops import GRAPH_OPS, SPEC_OPS

if sys.version_info >= (3, 12):
    from typing import NotRequired, TypedDict
else:  # pydantic needs typing_extensions' TypedDict before 3.12
    from typing_extensions import NotRequired, TypedDict

_FORBID = ConfigDict(extra="forbid")
# In the table's order, as the schema has always listed them.
_FUNCTIONS = [name for name in SPEC_OPS if name in FUNCTION_NAMES]


def _check_version(version: int) -> int:
    if version != DOCUMENT_VERSION:
        raise PydanticCustomError(
            "version",
            "unsupported version {version} (gradpipe reads version 1)",
            {"version": version},
        )
    return version


Number = Annotated[
    float,
    Strict(),
    AllowInfNan(False),
    Field(description="An int or a float; not a boolean, a string, NaN or an infinity."),
]
Version = Annotated[
    int,
    Strict(),
    AfterValidator(_check_version),
    Field(json_schema_extra={"const": DOCUMENT_VERSION}, description="The format's version: 1."),
]
Name = Annotated[
    str,
    Strict(),
    StringConstraints(pattern="^" + NAME_PATTERN.replace(r"\Z", "$")),
    Field(
        description="A name: letters, digits and _, not starting with a digit "
        "(Python keywords are fine), and not an op's function name.",
        json_schema_extra={"not": {"enum": sorted(FUNCTION_NAMES)}},
    ),
]
Text = Annotated[str, Strict()]
Label = Annotated[str, Strict(), Field(description="Text shown in diagrams; default: the name.")]
Formula = Annotated[
    str,
    Strict(),
    Field(
        description="A formula in Python's arithmetic syntax: numbers, names, + - * / **, "
        f"parentheses and calls of {' '.join(_FUNCTIONS)}, e.g. x1*w1 + b."
    ),
]
# A plain (smart) union: a Python discriminator would cost a call per argument.
Argument = Annotated[
    Text | Number,
    Field(description="The name of a value or node, or a number."),
]


@with_config(_FORBID)
class ValueObject(TypedDict):
    """A leaf with a label: {value: 1.0, label: "w₂"}."""

    value: Number
    label: NotRequired[Label]


@with_config(_FORBID)
class OpObject(TypedDict):
    """A node computed by one op: {op: tanh, args: [n]}."""

    op: Annotated[Literal[SPEC_OPS], Field(description="The op's name.")]  # type: ignore[valid-type]
    args: Annotated[
        list[Argument],
        Field(description="Its arguments in order: names or numbers (sum takes one or more)."),
    ]
    label: NotRequired[Label]


@with_config(_FORBID)
class ExprObject(TypedDict):
    """A formula with a label: {expr: "exp(2*n)", label: "e^2n"}."""

    expr: Formula
    label: NotRequired[Label]


def _value_kind(entry: Any) -> str | None:
    if type(entry) is dict:
        return "object"
    if isinstance(entry, (int, float, str)) or entry is None:
        return "number"  # so that a wrong scalar reads "expected a number"
    return None


def _node_kind(entry: Any) -> str | None:
    kind = type(entry)  # exact types first: this runs once per node
    if kind is str:
        return "formula"
    if kind is dict:
        return "expr" if "expr" in entry else "op"
    if isinstance(entry, (int, float)):
        return "number"
    return None


ValueEntry = Annotated[
    Annotated[Number, Tag("number")] | Annotated[ValueObject, Tag("object")],
    Discriminator(
        _value_kind,
        custom_error_type="value_entry",
        custom_error_message="expected a number or an object with 'value'",
    ),
]
NodeEntry = Annotated[
    Annotated[Formula, Tag("formula")]
    | Annotated[Number, Tag("number")]
    | Annotated[OpObject, Tag("op")]
    | Annotated[ExprObject, Tag("expr")],
    Discriminator(
        _node_kind,
        custom_error_type="node_entry",
        custom_error_message=f"expected {NODE_ENTRY}",
    ),
]


@with_config(ConfigDict(extra="forbid", title="gradpipe spec"))
class SpecDocument(TypedDict):
    """A gradpipe spec: leaves in `values`, computed nodes in `nodes`."""

    version: NotRequired[Version]
    name: NotRequired[
        Annotated[Text, Field(description="The graph's name; default: the file's stem.")]
    ]
    values: NotRequired[
        Annotated[
            dict[Name, ValueEntry],
            Field(description="Leaves: name -> number, or {value: number, label: text}."),
        ]
    ]
    nodes: Annotated[
        dict[Name, NodeEntry],
        Field(
            min_length=1,
            description="Computed nodes, in any order: name -> formula, number, "
            "{op, args, label} or {expr, label}.",
        ),
    ]
    output: NotRequired[
        Annotated[Text, Field(description="The output node; default: the last of `nodes`.")]
    ]


@with_config(_FORBID)
class GraphNode(TypedDict):
    """One node of a graph document: its id, label, op, arguments, value and gradient."""

    id: Annotated[Name, Field(description="The node's id: its name, or _N when anonymous.")]
    label: NotRequired[Label]
    op: Annotated[
        Literal[GRAPH_OPS],  # type: ignore[valid-type]
        Field(description="value for a leaf, const for a literal, else the op's name."),
    ]
    args: NotRequired[Annotated[list[Text], Field(description="Ids of the arguments, in order.")]]
    value: NotRequired[
        Annotated[
            Number | None,
            Field(description="The value: read for value and const, recomputed for the rest."),
        ]
    ]
    grad: NotRequired[
        Annotated[
            Number | None,
            Field(description="The gradient, null when not computed; ignored when read."),
        ]
    ]


@with_config(ConfigDict(extra="forbid", title="gradpipe graph document"))
class GraphDocument(TypedDict):
    """A gradpipe graph document: nodes with values and gradients, as the stages write it."""

    version: NotRequired[Version]
    name: NotRequired[
        Annotated[Text, Field(description="The graph's name; default: the file's stem.")]
    ]
    output: NotRequired[
        Annotated[Text, Field(description="The output node's id; default: the last node.")]
    ]
    nodes: Annotated[
        list[GraphNode],
        Field(min_length=1, description="Nodes, arguments before their users when written."),
    ]


SPEC_ADAPTER: TypeAdapter[SpecDocument] = TypeAdapter(SpecDocument)
GRAPH_ADAPTER: TypeAdapter[GraphDocument] = TypeAdapter(GraphDocument)
