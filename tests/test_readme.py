"""README.md tells the truth: its commands, options, targets, links and code all exist."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from gradpipe.cli import main

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")
MAKEFILE = (ROOT / "Makefile").read_text(encoding="utf-8")
FENCE = re.compile(r"^```(\w*)\n(.*?)^```", re.M | re.S)


def code_blocks(language: str | None = None) -> list[str]:
    """The README's fenced code blocks, optionally only those in ``language``."""
    return [body for lang, body in FENCE.findall(README) if language in (None, lang)]


def shell_text() -> str:
    """Everything a reader may type: fenced code and inline code spans."""
    inline = re.findall(r"`([^`\n]+)`", FENCE.sub("", README))
    return "\n".join([*code_blocks(), *inline])


def gradpipe_invocations() -> list[tuple[str, list[str]]]:
    """Each `gradpipe COMMAND ...` the README shows, with the options it names."""
    invocations = []
    for line in shell_text().splitlines():
        # A pipe inside [...] separates alternatives of a synopsis, not commands.
        line = re.sub(r"\[([^]]*)\]", lambda m: " " + m.group(1).replace("|", " ") + " ", line)
        for segment in line.split("#", 1)[0].split("|"):
            words = segment.split()
            if len(words) >= 2 and words[0] == "gradpipe" and re.fullmatch("[a-z]+", words[1]):
                options = [w.split("=")[0] for w in words[2:] if re.match(r"--?[a-z]", w)]
                invocations.append((words[1], options))
    return invocations


def makefile_targets() -> set[str]:
    """Targets with a rule in the Makefile."""
    return set(re.findall(r"^([\w-]+):(?!=)", MAKEFILE, re.M))


COMMANDS: dict[str, click.Command] = dict(main.commands)


def test_every_make_target_named_exists() -> None:
    named = set(re.findall(r"\bmake (?:-\S+ )*(?:PYTHON=\S+ )?([a-z][\w-]*)", shell_text()))
    assert named, "the README names make targets"
    assert named <= makefile_targets()


def test_every_phony_target_is_documented() -> None:
    phony = re.search(r"^\.PHONY:(.*)$", MAKEFILE, re.M)
    assert phony is not None
    for target in phony.group(1).split():
        assert f"make {target}" in README, target


def test_every_gradpipe_command_named_exists() -> None:
    named = {command for command, _ in gradpipe_invocations()}
    assert {"forward", "backward", "render"} <= named
    assert named <= set(COMMANDS)


def test_every_command_is_documented() -> None:
    named = {command for command, _ in gradpipe_invocations()}
    assert set(COMMANDS) <= named


def test_every_option_named_exists() -> None:
    for command, options in gradpipe_invocations():
        params = COMMANDS[command].params
        known = {opt for param in params for opt in (*param.opts, *param.secondary_opts)}
        assert set(options) <= known, f"gradpipe {command}"


def test_every_option_is_documented() -> None:
    for name, command in COMMANDS.items():
        for param in command.params:
            long_names = [opt for opt in param.opts if opt.startswith("--")]
            if param.param_type_name == "option" and long_names:
                mentioned = [re.search(rf"{opt}(?![\w-])", README) for opt in long_names]
                assert any(mentioned), f"gradpipe {name} {long_names}"


def test_every_example_is_listed() -> None:
    for path in sorted((ROOT / "examples").glob("*.yaml")):
        assert f"(examples/{path.name})" in README, path.name


def test_modeline_matches_the_examples() -> None:
    modeline = "# yaml-language-server: $schema=../schemas/spec.schema.json"
    assert modeline in README
    assert (ROOT / "examples" / "neuron.yaml").read_text().startswith(modeline)


def test_python_examples_run(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(ROOT)
    blocks = code_blocks("python")
    for block in blocks:
        exec(compile(block, "README.md", "exec"), {})  # the README's code, as a reader runs it
    assert capsys.readouterr().out.splitlines() == [
        "-3.0 -3.0",
        "-1.5000 1.0000 tanh + ''",
        "b'<?xml' 8",
        "-0.9715 -0.1685",
        "True []",
        "0.4621 0.7864",
    ]


def test_walk_through_shows_real_output() -> None:
    example = r"^  \$ gradpipe forward (\S+) \| head -(\d+)\n((?:  .*\n)+?)  ```"
    shown = re.findall(example, README, re.M)
    assert shown, "the walk-through shows forward's output"
    for path, count, text in shown:
        result = CliRunner().invoke(main, ["forward", str(ROOT / path)], catch_exceptions=False)
        assert result.exit_code == 0
        expected = result.stdout.splitlines()[: int(count)]
        assert [line[2:] for line in text.splitlines()] == expected


def test_every_link_to_a_file_exists() -> None:
    links = re.findall(r"\]\(([^)#:]+)\)", README)
    assert "docs/neuron.svg" in links
    for link in links:
        assert (ROOT / link).exists(), link


def console_sessions() -> list[list[tuple[str, list[str]]]]:
    """The README's ```console blocks: each `$ command` with the lines it prints."""
    sessions = []
    for block in code_blocks("console"):
        steps: list[tuple[str, list[str]]] = []
        for line in block.splitlines():
            if line.startswith("$ "):
                steps.append((line[2:], []))
            else:
                steps[-1][1].append(line)
        sessions.append(steps)
    return sessions


@pytest.mark.parametrize("session", console_sessions(), ids=lambda s: s[0][0])
def test_console_sessions_print_what_they_show(
    session: list[tuple[str, list[str]]], tmp_path: Path
) -> None:
    (tmp_path / "examples").symlink_to(ROOT / "examples")
    script = []
    for command, output in session:
        if match := re.fullmatch(r"cat (\S+)", command):  # the file the session works on
            (tmp_path / match.group(1)).write_text("".join(f"{line}\n" for line in output))
        script.append(f"{command} 2>&1; status=$?; echo @@@; (exit $status)")
    path = f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"
    result = subprocess.run(
        ["bash", "-c", "\n".join(script)],
        cwd=tmp_path,
        env={**os.environ, "PATH": path},
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        check=False,
    )
    printed = [text.splitlines() for text in result.stdout.split("@@@\n")[:-1]]
    assert printed == [output for _, output in session]


def test_walk_through_spec_is_the_example() -> None:
    shown = code_blocks("yaml")[0].splitlines()
    example = (ROOT / "examples" / "neuron.yaml").read_text(encoding="utf-8").splitlines()
    assert shown == [line for line in example if not line.startswith(("#", "version:", "name:"))]
