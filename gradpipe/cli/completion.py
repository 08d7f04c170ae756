"""Shell completion: click's scripts for bash, zsh and fish, printed or installed.

The scripts call gradpipe back with ``_GRADPIPE_COMPLETE`` set; INPUT and ``-o`` are
paths, so the shell completes file names there. ``--install-completion`` writes the
script where each shell looks (fish) or beside a line sourcing it in the shell's rc file
(bash, zsh), once.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    from click.shell_completion import CompletionItem

SHELLS = ("bash", "zsh", "fish")
PROGRAM = "gradpipe"
COMPLETE_VAR = "_GRADPIPE_COMPLETE"
_MARK = "# gradpipe shell completion"


def completion_script(command: click.Command, shell: str) -> str:
    """The completion script for ``shell``, as click generates it for gradpipe's ``command``."""
    from click.shell_completion import get_completion_class

    completion = get_completion_class(shell)
    if completion is None:  # pragma: no cover - SHELLS are click's own
        raise click.UsageError(f"no completion for {shell}")
    script = completion(command, {}, PROGRAM, COMPLETE_VAR).source()
    # click's fish script splits each "type,value<TAB>help" answer at every comma, so a
    # help (or a value) is cut at its first comma: split at the first one only.
    return script.replace('(string split "," $completion)', '(string split -m 1 "," $completion)')


def default_shell() -> str:
    """The user's login shell from $SHELL, when gradpipe completes it; else bash."""
    name = Path(os.environ.get("SHELL", "")).name
    return name if name in SHELLS else "bash"


def _home_dir(variable: str, default: str) -> Path:
    value = os.environ.get(variable)
    return Path(value) if value else Path.home() / default


def install_completion(command: click.Command, shell: str) -> list[str]:
    """Write the script for ``shell`` where it is loaded; what was done, one line each."""
    script = completion_script(command, shell)
    done: list[str] = []
    if shell == "fish":
        target = _home_dir("XDG_CONFIG_HOME", ".config") / "fish" / "completions" / "gradpipe.fish"
        _write(target, script)
        return [f"wrote {target} (fish loads it in new shells)"]
    data = _home_dir("XDG_DATA_HOME", ".local/share")
    if shell == "bash":
        target = data / "bash-completion" / "completions" / PROGRAM
        source_line = f'[ -f "{target}" ] && . "{target}"  {_MARK}'
        rc = Path.home() / ".bashrc"
    else:
        target = data / PROGRAM / "completion.zsh"
        source_line = (
            "(( $+functions[compdef] )) || { autoload -Uz compinit && compinit; }; "
            f'[ -f "{target}" ] && . "{target}"  {_MARK}'
        )
        rc = Path(os.environ.get("ZDOTDIR") or Path.home()) / ".zshrc"
    _write(target, script)
    done.append(f"wrote {target}")
    existing = rc.read_text(encoding="utf-8") if rc.exists() else ""
    if _MARK not in existing:
        with rc.open("a", encoding="utf-8") as stream:
            separator = "" if not existing or existing.endswith("\n") else "\n"
            stream.write(separator + source_line + "\n")
        done.append(f"added a line to {rc} that loads it; open a new shell")
    else:
        done.append(f"{rc} already loads it")
    return done


def _write(target: Path, text: str) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_name(target.name + ".tmp")
    temporary.write_text(text, encoding="utf-8")
    temporary.replace(target)


# Completion reads at most this much of each input typed so far: Tab must answer at once.
_COMPLETION_READ_LIMIT = 1 << 20


def _typed_names(ctx: click.Context, leaves_only: bool) -> list[str]:
    """The names in the input files typed before the cursor, in file order, once each."""
    names: list[str] = []
    # An option still waiting for its value stops click's parse before INPUT is assigned:
    # the inputs typed so far are then in ctx.args.
    typed = [*(ctx.params.get("inputs") or ()), *ctx.args]
    for path in typed:
        if path == "-" or path.startswith("-") or not os.path.isfile(path):
            continue
        try:
            with open(path, "rb") as stream:
                raw = stream.read(_COMPLETION_READ_LIMIT + 1)
            if len(raw) > _COMPLETION_READ_LIMIT:
                continue
            found = _names_in(raw, path, leaves_only)
        except Exception:  # Tab never fails: a file that does not read offers no names
            continue
        names.extend(name for name in found if name not in names)
    return names


def _names_in(raw: bytes, path: str, leaves_only: bool) -> list[str]:
    """A document's leaf or node names; from its keys and ids when it does not plan (a file
    being edited, with a typo in a formula, still offers the names it has)."""
    from gradpipe.documents.parsing import parse_data
    from gradpipe.documents.plan import read_plan
    from gradpipe.errors import GradpipeError

    try:
        plan = read_plan(raw, path)
    except GradpipeError:
        data = parse_data(raw, path)
        nodes = data.get("nodes")
        if isinstance(nodes, list):  # a graph document
            return [
                str(node["id"])
                for node in nodes
                if isinstance(node, dict)
                and "id" in node
                and (not leaves_only or node.get("op") == "value")
            ]
        found = [*(data.get("values") or {})]
        if not leaves_only and isinstance(nodes, dict):
            found += [*nodes]
        return [str(name) for name in found]
    return [
        name
        for k, name in enumerate(plan.ids)
        if name is not None and (not leaves_only or plan.ops[k] == "value")
    ]


def complete_nodes(
    ctx: click.Context, param: click.Parameter, incomplete: str
) -> list[CompletionItem]:
    """``--output NODE``, ``--focus NODE``: the named nodes of the inputs typed so far."""
    return _offered(_typed_names(ctx, leaves_only=False), incomplete)


def complete_leaves(
    ctx: click.Context, param: click.Parameter, incomplete: str
) -> list[CompletionItem]:
    """``--wrt NAME``: the leaves of the inputs typed so far."""
    return _offered(_typed_names(ctx, leaves_only=True), incomplete)


def complete_assignments(
    ctx: click.Context, param: click.Parameter, incomplete: str
) -> list[CompletionItem]:
    """``--set NAME=NUMBER``, ``--vary NAME=...``: ``NAME=`` for each leaf typed so far."""
    if "=" in incomplete:
        return []
    return _offered([f"{name}=" for name in _typed_names(ctx, leaves_only=True)], incomplete)


def complete_examples(
    ctx: click.Context, param: click.Parameter, incomplete: str
) -> list[CompletionItem]:
    """``examples NAME``: the bundled examples' names."""
    from gradpipe.data import example_files

    return _offered(list(example_files()), incomplete)


def _offered(texts: list[str], incomplete: str) -> list[CompletionItem]:
    """The completions among ``texts`` that continue what is typed."""
    from click.shell_completion import CompletionItem

    return [CompletionItem(text) for text in texts if text.startswith(incomplete)]
