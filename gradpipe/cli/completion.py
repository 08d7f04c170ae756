"""Shell completion: click's scripts for bash, zsh and fish, printed or installed.

The scripts call gradpipe back with ``_GRADPIPE_COMPLETE`` set; INPUT and ``-o`` are
paths, so the shell completes file names there. ``--install-completion`` writes the
script where each shell looks (fish) or beside a line sourcing it in the shell's rc file
(bash, zsh), once.
"""

from __future__ import annotations

import os
from pathlib import Path

import click

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
    return completion(command, {}, PROGRAM, COMPLETE_VAR).source()


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
