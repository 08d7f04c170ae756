"""The JSON Schemas of specs and graph documents, generated from the pydantic models."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    pass


SCHEMA_ID_PREFIX = "urn:gradpipe:schema:1:"


def json_schema(kind: str) -> str:
    """The JSON Schema of spec files ("spec") or graph documents ("graph"), as JSON text."""
    from gradpipe.documents import models  # pydantic's machinery: only schemas and refusals need it

    adapter: Any = {"spec": models.SPEC_ADAPTER, "graph": models.GRAPH_ADAPTER}[kind]
    schema = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": f"{SCHEMA_ID_PREFIX}{kind}",  # a name for the schema, not an address
        **_names_as_property_names(adapter.json_schema()),
    }
    return json.dumps(schema, indent=2, ensure_ascii=False) + "\n"


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
