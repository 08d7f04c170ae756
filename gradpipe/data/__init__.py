"""Files shipped with gradpipe: the bundled examples, the JSON Schemas, the starter spec.

``examples`` and ``schemas`` here are symlinks to the checkout's top-level ``examples/``
and ``schemas/`` (the one source); a build copies the files into the wheel. They are read
through importlib.resources, only by ``gradpipe examples``, ``init`` and ``schema --path``.
"""

from __future__ import annotations

import re
from importlib import resources
from importlib.abc import Traversable
from pathlib import Path

STARTER = "starter.yaml"
NAME_PLACEHOLDER = "NAME"


def _data() -> Traversable:
    return resources.files(__name__)


def example_files() -> dict[str, Traversable]:
    """The bundled examples by name, sorted."""
    found = {
        entry.name.rsplit(".", 1)[0]: entry
        for entry in (_data() / "examples").iterdir()
        if entry.name.endswith(".yaml") and not entry.name.startswith(".")
    }
    return dict(sorted(found.items()))


def describe_example(text: str) -> str:
    """An example's one-line summary: its ``Shows:`` comment, else its first comment."""
    comments = [
        line[1:].strip()
        for line in text.splitlines()
        if line.startswith("#") and "yaml-language-server" not in line
    ]
    for number, comment in enumerate(comments):
        if comment.startswith("Shows:"):
            shown = [comment.removeprefix("Shows:").strip()]
            for more in comments[number + 1 :]:
                if not more or more.endswith(":"):
                    break
                shown.append(more)
            return " ".join(shown)
    return comments[0] if comments else ""


def schema_file(kind: str) -> Path:
    """The installed JSON Schema file of ``kind`` (spec or graph), for editors to point at."""
    return Path(str(_data() / "schemas" / f"{kind}.schema.json")).resolve()


def starter_spec(name: str) -> str:
    """The commented starter spec named ``name``, its modeline pointing at the schema file."""
    text = _pointing_at_the_schema((_data() / STARTER).read_text(encoding="utf-8"))
    return text.replace(NAME_PLACEHOLDER, name)


def example_text(entry: Traversable) -> str:
    """A bundled example as ``examples`` prints it: its modeline at the installed schema.

    In the repository the modeline is ``../schemas/...``, which resolves only there; a
    copy saved from ``gradpipe examples NAME`` points at the schema gradpipe installed.
    """
    return _pointing_at_the_schema(entry.read_text(encoding="utf-8"))


def _pointing_at_the_schema(text: str) -> str:
    """``text`` with its first line, a yaml-language-server modeline, at the schema file."""
    first, rest = text.split("\n", 1)
    if "yaml-language-server" not in first:
        return text
    return f"# yaml-language-server: $schema={schema_file('spec').as_uri()}\n{rest}"


def starter_target(name: str | None) -> tuple[Path, str]:
    """Where ``init NAME`` writes, and the spec's name: NAME.yaml unless NAME has a suffix."""
    path = Path(name or "spec")
    if path.suffix not in (".yaml", ".yml"):
        path = path.with_name(path.name + ".yaml")
    stem = path.stem
    return path, stem if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", stem) else "spec"
