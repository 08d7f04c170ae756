"""The command line: the only package that imports click.

``main`` (``gradpipe.cli.app``) is the group; each command is a module of its own, named
here and imported only when its command runs (or help lists them all), so ``gradpipe
render`` never loads ``check``'s or ``sweep``'s code. ``batch`` runs a stage over the
inputs, ``report`` writes every diagnostic and decides the exit status (``terminal``
draws its colour, source lines and progress bar), ``output`` writes results atomically,
``signals`` ends quietly, ``completion`` gives the shells their scripts.
"""

from __future__ import annotations

from collections.abc import ItemsView, Iterator, KeysView, ValuesView
from importlib import import_module
from typing import Any

from gradpipe.collector import paused_gc

# Importing click, and below a command's modules, makes a hundred thousand objects that
# stay: each collection on the way would rescan them all (3M instructions of render's
# start-up, README figure 4).
with paused_gc():
    import click

    from gradpipe.cli.app import main

# Each command: the module that defines it, and its name there.
COMMANDS = {
    "forward": ("gradpipe.cli.stages", "forward_command"),
    "backward": ("gradpipe.cli.stages", "backward_command"),
    "render": ("gradpipe.cli.render", "render_command"),
    "check": ("gradpipe.cli.check", "check_command"),
    "validate": ("gradpipe.cli.stages", "validate_command"),
    "schema": ("gradpipe.cli.schema", "schema_command"),
    "sweep": ("gradpipe.cli.sweep", "sweep_command"),
    "init": ("gradpipe.cli.init", "init_command"),
    "examples": ("gradpipe.cli.examples", "examples_command"),
}


class LazyCommands(dict[str, click.Command]):
    """``main.commands``: a command's module is imported when the command is looked up.

    Looking one up (``get``, ``[]``, ``in``) loads that one; listing them (iterating,
    ``len``, ``keys``, ``values``, ``items``) loads them all, so it reads as a plain dict.
    """

    def __missing__(self, name: str) -> click.Command:
        if name not in COMMANDS:
            raise KeyError(name)
        module, attribute = COMMANDS[name]
        with paused_gc():
            command: click.Command = getattr(import_module(module), attribute)
        self[name] = command
        return command

    def get(self, name: str, default: Any = None) -> Any:
        if name not in self:
            return default
        return self[name]

    def __contains__(self, name: object) -> bool:
        return dict.__contains__(self, name) or name in COMMANDS

    def _load(self) -> None:
        for name in COMMANDS:
            if not dict.__contains__(self, name):
                self.__missing__(name)

    def __iter__(self) -> Iterator[str]:
        self._load()
        return dict.__iter__(self)

    def __len__(self) -> int:
        self._load()
        return dict.__len__(self)

    def keys(self) -> KeysView[str]:  # type: ignore[override]
        self._load()
        return dict.keys(self)

    def values(self) -> ValuesView[click.Command]:  # type: ignore[override]
        self._load()
        return dict.values(self)

    def items(self) -> ItemsView[str, click.Command]:  # type: ignore[override]
        self._load()
        return dict.items(self)


main.commands = LazyCommands(main.commands)

__all__ = ["main"]
