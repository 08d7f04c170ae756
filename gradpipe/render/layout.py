"""Running a Graphviz layout program: the native ``dot`` or the embedded ``graphviz-pure``.

``GRADPIPE_GRAPHVIZ`` chooses the program: ``auto`` (the default) uses Graphviz's ``dot``
when it is on PATH and the ``graphviz-pure`` binary installed with gradpipe otherwise;
``native`` and ``embedded`` force one. Both write svg and png. PDF is the native ``dot``'s
(``-Tpdf``); without it, the embedded program's SVG is converted by librsvg's
``rsvg-convert`` when that is on PATH, else the error says what to install.

``lay_out(graph, fmt)`` is the laid-out picture of a graph: the HTML view and --frames
build on it (one layout, frozen, per graph).

``run_program`` starts the program by ``os.posix_spawnp`` over pipes where the system has
it, and by ``subprocess`` elsewhere (Windows): ``subprocess``, ``shutil`` and ``tempfile``
would add a sixth to ``gradpipe render``'s start-up (README, figure 4), so the common path
imports none of them.
"""

from __future__ import annotations

import contextlib
import os
import re
import select
import sys
from typing import TYPE_CHECKING

from gradpipe.errors import LayoutLimitError, RenderError
from gradpipe.render.formats import DEFAULT_LAYOUT_LIMIT
from gradpipe.render.labels import encode

if TYPE_CHECKING:
    import signal
    from collections.abc import Iterable, Iterator, Mapping

    from gradpipe.documents.graph import Graph
    from gradpipe.render.dot import Style
    from gradpipe.render.labels import NodeMark
    from gradpipe.render.views import View
else:  # signal's C half, as in gradpipe.cli.signals: its enums cost start-up time
    import _signal as signal

GRAPHVIZ_ENV = "GRADPIPE_GRAPHVIZ"
CHOICES = ("auto", "native", "embedded")
EMBEDDED = "graphviz-pure"
NATIVE = "dot"
INSTALL_HINT = (
    "install Graphviz (apt-get install graphviz, brew install graphviz, "
    "or https://graphviz.org/download/)"
)


CONVERTER = "rsvg-convert"

# Graphviz's cairo writes the time of the run as the PDF's date and ignores SOURCE_DATE_EPOCH;
# its digits are overwritten with the epoch's (same length, so the xref offsets hold).
# Compiled on first use, by re's cache: only PDFs need it.
PDF_DATE = rb"(/(?:CreationDate|ModDate) \(D:)\d{14}"


def lay_out(
    graph: Graph,
    fmt: str,
    *,
    layout_limit: int = DEFAULT_LAYOUT_LIMIT,
    style: Style | None = None,
    view: View | None = None,
    marks: Mapping[str, NodeMark] | None = None,
) -> bytes:
    """The picture of ``graph`` in ``fmt`` (svg, png or pdf), refused past ``layout_limit``.

    ``graph`` is what is drawn (a view's graph, with ``view``); ``style`` and ``marks`` as
    ``to_dot``'s.
    """
    from gradpipe.render.dot import to_dot
    from gradpipe.render.plan import KEEP_ASPECT_NODES

    refuse_past_limit(graph, layout_limit, style)
    dot = encode(to_dot(graph, style, view, marks=marks))
    return layout(dot, fmt, keep_aspect=len(graph) >= KEEP_ASPECT_NODES)


def refuse_past_limit(graph: Graph, layout_limit: int, style: Style | None) -> None:
    """Refuse to draw ``graph`` (what is drawn) past ``layout_limit`` nodes, before any work."""
    if len(graph) > layout_limit:
        from gradpipe.render.dot import Style

        style = style or Style()
        part = style.smaller_part()
        # json is the whole graph document, never a view's (gradpipe.render.render)
        texts = "dot/json/mermaid" if style.whole else "dot/mermaid"
        raise LayoutLimitError(
            f"graph {graph.name!r} has {len(graph)} nodes, more than --layout-limit "
            f"{layout_limit}; raise --layout-limit, draw a part ({part}), or use -f {texts}",
            len(graph),
            layout_limit,
        )


def layout(dot: bytes, fmt: str, *, keep_aspect: bool = False) -> bytes:
    """``dot -T{fmt}`` over the DOT source on standard input; any failure is a RenderError.

    ``keep_aspect``: a layout past 1:3 or 3:1 is stretched to the bound (``aspect_kept``).
    """
    command = _layout_command(fmt)
    program, drawn = command[0], command[1][2:]
    data = aspect_kept(program, dot, drawn) if keep_aspect else run_program(command, dot)
    if drawn != fmt:
        return _svg_to_pdf(data)
    return re.sub(PDF_DATE, rb"\g<1>19700101000000", data) if fmt == "pdf" else data


def _layout_command(fmt: str) -> list[str]:
    """The program and its ``-T`` option that lay out ``fmt`` (pdf: svg, where the program
    is not the native ``dot``, for librsvg to convert)."""
    program = layout_program(fmt)
    drawn = "svg" if fmt == "pdf" and _program_name(program) != NATIVE else fmt
    return [program, f"-T{drawn}"]


# Patterns of big pictures only: compiled on first use, by re's cache.
BOUNDING_BOX = rb'\bbb="([-\d.e]+),([-\d.e]+),([-\d.e]+),([-\d.e]+)"'


def aspect_kept(program: str, dot: bytes, fmt: str) -> bytes:
    """The picture in ``fmt``, stretched to 1:3 or 3:1 where its layout is further off.

    One layout writes the picture and the positions (``-Tdot``); only where the graph's
    bounding box is past the bound (``stretch_ratio``) are those positions drawn again
    with Graphviz's ``ratio``, which spreads the nodes along the short side (``neato -n2``
    keeps every position dot chose and routes the edges anew: no second layout). Where
    the redrawing fails (Graphviz 2.43's crashes on labelled edges), the picture stays as
    laid out.
    """
    import tempfile  # only big pictures need a folder

    from gradpipe.render.plan import stretch_ratio

    with tempfile.TemporaryDirectory(prefix="gradpipe-layout-") as folder:
        picture = os.path.join(folder, f"picture.{fmt}")
        placed = os.path.join(folder, "placed.dot")
        run_program(
            [program, f"-T{fmt}", f"-o{picture}", "-Tdot", f"-o{placed}"], dot, output=False
        )
        try:
            positions = _read_bytes(placed)
            laid_out = _read_bytes(picture)
        except FileNotFoundError:  # it exited 0 yet wrote nothing: a broken install
            raise RenderError(f"{os.path.basename(program)} failed: it wrote no picture") from None
        box = re.search(BOUNDING_BOX, positions)
    ratio = None
    if box is not None:
        x0, y0, x1, y1 = map(float, box.groups())
        ratio = stretch_ratio(x1 - x0, y1 - y0)
    if ratio is None:
        return laid_out
    try:
        return run_program(
            [program, "-Kneato", "-n2", f"-Gratio={ratio:.6g}", f"-T{fmt}"], positions
        )
    except RenderError:
        return laid_out


SVG_SIZE = rb'<svg width="([\d.]+)pt" height="([\d.]+)pt"'
PDF_SIZE = rb"/MediaBox \[\s*[-\d.]+\s+[-\d.]+\s+([\d.]+)\s+([\d.]+)\s*\]"


def picture_size(data: bytes, fmt: str) -> tuple[float, float, str] | None:
    """Width, height and unit of a picture laid out as ``fmt`` (svg, png, pdf), if found."""
    if fmt == "png" and data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) >= 24:
        return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big"), "px"
    found = SVG_SIZE if fmt == "svg" else PDF_SIZE if fmt == "pdf" else None
    match = re.search(found, data[:4096] if fmt == "svg" else data) if found else None
    if match is None:
        return None
    return float(match[1]), float(match[2]), "pt"


def strip_size(data: bytes, fmt: str, nodes: int) -> str | None:
    """``"32,767 x 76 px (431 : 1)"`` for a picture of a graph of ``nodes`` nodes, big
    enough to keep its aspect (KEEP_ASPECT_NODES), further off than the stretch brings to
    the bound (``plan.stretch_ratio``): a strip too long to read whole. Else None."""
    from gradpipe.render.plan import ASPECT_BOUND, KEEP_ASPECT_NODES, MAX_STRETCH

    if nodes < KEEP_ASPECT_NODES:
        return None
    size = picture_size(data, fmt)
    if size is None or not size[0] or not size[1]:
        return None
    width, height, unit = size
    aspect = width / height
    if max(aspect, 1 / aspect) <= ASPECT_BOUND * MAX_STRETCH:
        return None
    shown = f"{aspect:,.0f} : 1" if aspect > 1 else f"1 : {1 / aspect:,.0f}"
    return f"{width:,.0f} x {height:,.0f} {unit} ({shown})"


def run_program(
    command: list[str], data: bytes, env: dict[str, str] | None = None, *, output: bool = True
) -> bytes:
    """The standard output of ``command`` fed ``data``; a RenderError when it fails.

    ``output`` False: the command writes files (``-o``), so standard output may be empty.
    """
    program = command[0]
    try:
        status, stdout, stderr = _run(command, data, env)
    except OSError as error:
        raise RenderError(f"cannot run {program}: {error.strerror}") from None
    if status != 0 or (output and not stdout):
        detail = stderr.decode("utf-8", "replace").strip() or "no output"
        described = f"exit status {status}"
        if status < 0:
            described = f"killed by {_signal_name(-status)}"
        raise RenderError(f"{os.path.basename(program)} failed ({described}): {detail}")
    return stdout


def _program_name(program: str) -> str:
    """A program's name without its folder or extension: ``dot`` for ``/usr/bin/dot``."""
    return os.path.splitext(os.path.basename(program))[0]


def _read_bytes(path: str) -> bytes:
    with open(path, "rb") as file:
        return file.read()


def _signal_name(number: int) -> str:
    import signal  # its enums, only for a program that was killed

    try:
        return signal.Signals(number).name
    except ValueError:
        return f"signal {number}"


# What subprocess's restore_signals gives a child: Python ignores these, a program must not.
RESTORED_SIGNALS = tuple(
    getattr(signal, name) for name in ("SIGPIPE", "SIGXFZ", "SIGXFSZ") if hasattr(signal, name)
)
CHUNK = 1 << 16


def _run(command: list[str], data: bytes, env: dict[str, str] | None) -> tuple[int, bytes, bytes]:
    """``command``'s exit status (minus the signal that killed it), standard output and
    standard error, fed ``data``: the program ``started_ahead`` started for this very
    command, else one spawned now over pipes, or run by ``subprocess`` where the system
    has no ``posix_spawnp`` or where a standard stream of this process is closed (a pipe
    would then take its number, which ``subprocess`` knows how to move aside).

    Unlike ``subprocess``, the spawned program inherits any descriptor this process
    inherited as inheritable (Python opens none so): harmless for a layout program.
    """
    global _ahead
    spawned = None
    if _ahead is not None and env is None and _ahead[0] == command:
        spawned, _ahead = _ahead[1], None
    if spawned is None:
        spawned = _spawn(command, env)
    if spawned is None:
        return _run_by_subprocess(command, data, env)
    pid, to_stdin, from_stdout, from_stderr = spawned
    try:
        out, err = _exchange(data, to_stdin, from_stdout, from_stderr)
        status = os.waitpid(pid, 0)[1]
    except BaseException:  # Ctrl-C or SIGTERM at any point: as subprocess.run does, the
        _kill(pid)  # program is killed and reaped, not left running
        raise
    return os.waitstatus_to_exitcode(status), out, err


# Spawned: the program's pid, and this end of its standard input, output and error.
_Spawned = tuple[int, int, int, int]
# The program started by ``started_ahead``, with its command, until a run of it takes it.
_ahead: tuple[list[str], _Spawned] | None = None


def _spawn(command: list[str], env: dict[str, str] | None) -> _Spawned | None:
    """``command`` started over three pipes; None where ``posix_spawnp`` cannot serve."""
    if not hasattr(os, "posix_spawnp"):
        return None
    pipes: list[tuple[int, int]] = []  # standard input, output and error
    try:
        for _ in range(3):
            pipes.append(os.pipe())
    except BaseException:  # out of descriptors: none of those made is left open
        _close(fd for pipe in pipes for fd in pipe)
        raise
    if min(fd for pipe in pipes for fd in pipe) < 3:
        _close(fd for pipe in pipes for fd in pipe)
        return None
    (stdin, to_stdin), (from_stdout, stdout), (from_stderr, stderr) = pipes
    try:
        pid = os.posix_spawnp(
            command[0],
            command,
            os.environ if env is None else env,
            file_actions=[
                (os.POSIX_SPAWN_DUP2, stdin, 0),
                (os.POSIX_SPAWN_DUP2, stdout, 1),
                (os.POSIX_SPAWN_DUP2, stderr, 2),
            ],
            setsigdef=RESTORED_SIGNALS,
        )
    except BaseException:
        _close((to_stdin, from_stdout, from_stderr))
        raise
    finally:
        _close((stdin, stdout, stderr))
    return pid, to_stdin, from_stdout, from_stderr


def _kill(pid: int) -> None:
    """Kill and reap a program we started: its number is then free for another process."""
    with contextlib.suppress(ProcessLookupError, ChildProcessError):
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)


@contextlib.contextmanager
def started_ahead(fmt: str) -> Iterator[None]:
    """Start the program that lays out ``fmt`` now, before its input is ready.

    The first ``layout`` of ``fmt`` in the block feeds it, so that loading its libraries
    and plugins (a third of the time a small picture's layout takes) happens while Python
    reads and draws the graph. One that nothing took (bad input, a big picture laid out
    another way) is killed on leaving. Where the program cannot be found or started, the
    block runs as without it, and ``layout`` reports the trouble in its turn.
    """
    global _ahead
    try:
        command = _layout_command(fmt)
        spawned = _spawn(command, None)
    except (RenderError, OSError):
        spawned = None
    if spawned is not None:
        _ahead = (command, spawned)
    try:
        yield
    finally:
        left, _ahead = _ahead, None
        if left is not None:
            pid, *ends = left[1]
            _close(ends)
            _kill(pid)


def _close(descriptors: Iterable[int]) -> None:
    for fd in descriptors:
        os.close(fd)


def _exchange(data: bytes, stdin: int, stdout: int, stderr: int) -> tuple[bytes, bytes]:
    """Write ``data`` to ``stdin`` while reading ``stdout`` and ``stderr`` to their ends,
    whichever is ready (a program that writes before it has read all does not deadlock);
    every descriptor is closed on return."""
    chunks: dict[int, list[bytes]] = {stdout: [], stderr: []}
    poller = select.poll()
    for fd in chunks:
        poller.register(fd, select.POLLIN)
    open_fds = {stdout, stderr, stdin}
    view, written = memoryview(data), 0
    try:
        if data:
            os.set_blocking(stdin, False)
            poller.register(stdin, select.POLLOUT)
        else:
            os.close(stdin)
            open_fds.remove(stdin)
        while open_fds:
            for fd, _ in poller.poll():
                if fd == stdin:
                    try:
                        written += os.write(stdin, view[written : written + CHUNK])
                    except BrokenPipeError:  # it stopped reading: its status will say why
                        written = len(view)
                    done = written >= len(view)
                else:
                    chunk = os.read(fd, CHUNK)
                    chunks[fd].append(chunk)
                    done = not chunk
                if done:
                    poller.unregister(fd)
                    os.close(fd)
                    open_fds.remove(fd)
    finally:
        for fd in open_fds:
            os.close(fd)
    return b"".join(chunks[stdout]), b"".join(chunks[stderr])


def _run_by_subprocess(
    command: list[str], data: bytes, env: dict[str, str] | None
) -> tuple[int, bytes, bytes]:
    """``_run`` by ``subprocess``: the way where ``posix_spawnp`` is missing or cannot serve."""
    import subprocess

    done = subprocess.run(command, input=data, capture_output=True, check=False, env=env)
    return done.returncode, done.stdout, done.stderr


def which(name: str) -> str | None:
    """``shutil.which(name)`` for a program's bare name, without importing ``shutil`` (on
    POSIX: the same search of PATH, or of the system's default where PATH is unset)."""
    if os.name != "posix":
        import shutil  # PATHEXT and the current folder: shutil's rules

        return shutil.which(name)
    path = os.environ.get("PATH")
    if path is None:
        try:
            path = os.confstr("CS_PATH") or os.defpath
        except (AttributeError, ValueError):
            path = os.defpath
    for folder in dict.fromkeys(path.split(os.pathsep)) if path else ():
        candidate = os.path.join(folder, name)
        if os.access(candidate, os.X_OK) and not os.path.isdir(candidate):
            return candidate
    return None


def _svg_to_pdf(svg: bytes) -> bytes:
    """The embedded layout's SVG as PDF, by librsvg's converter."""
    converter = which(CONVERTER)
    if converter is None:  # checked by layout_program a moment ago
        raise RenderError(_pdf_needs())
    return convert_svg(converter, svg, "pdf")


def convert_svg(converter: str, svg: bytes, fmt: str, zoom: float = 1.0) -> bytes:
    """SVG as ``fmt`` (png or pdf) by librsvg's ``converter``, ``zoom`` times its size.

    The date is fixed (SOURCE_DATE_EPOCH), so a PDF's bytes are the same run after run.
    """
    command = [converter, "-f", fmt] + (["-z", f"{zoom:g}"] if zoom != 1.0 else [])
    return run_program(command, svg, {**os.environ, "SOURCE_DATE_EPOCH": "0"})


def _pdf_needs() -> str:
    return (
        f"pdf needs Graphviz's dot program or librsvg's {CONVERTER}, and neither is on PATH: "
        f"{INSTALL_HINT} (or apt-get install librsvg2-bin, brew install librsvg), "
        "or use -f svg or -f png"
    )


def layout_program(fmt: str) -> str:
    """The path of the program to lay out ``fmt`` with, as GRADPIPE_GRAPHVIZ chooses."""
    choice = os.environ.get(GRAPHVIZ_ENV, "auto").strip().lower() or "auto"
    if choice not in CHOICES:
        raise RenderError(f"{GRAPHVIZ_ENV}={choice!r} is not one of {', '.join(CHOICES)}")
    native = which(NATIVE)
    if choice == "native" or (choice == "auto" and native is not None):
        if native is None:
            raise RenderError(
                f"{GRAPHVIZ_ENV}=native but Graphviz's dot program is not on PATH: "
                f"{INSTALL_HINT}, or unset {GRAPHVIZ_ENV}"
            )
        return native
    if fmt == "pdf" and which(CONVERTER) is None:
        raise RenderError(_pdf_needs())
    embedded = embedded_program()
    if embedded is None:
        raise RenderError(
            f"neither Graphviz's dot nor the {EMBEDDED} program (installed with gradpipe) "
            f"was found: {INSTALL_HINT}, or pip install {EMBEDDED}"
        )
    return embedded


def embedded_program() -> str | None:
    """The ``graphviz-pure`` binary: on PATH, next to this Python, or in its scripts folder."""
    found = which(EMBEDDED)
    if found:
        return found
    import sysconfig  # only needed where graphviz-pure is not on PATH

    suffix = ".exe" if os.name == "nt" else ""
    folders = [os.path.dirname(sys.executable), sysconfig.get_path("scripts")]
    user_scheme = f"{os.name}_user"
    if user_scheme in sysconfig.get_scheme_names():
        folders.append(sysconfig.get_path("scripts", user_scheme))
    for folder in folders:
        candidate = os.path.join(folder, EMBEDDED + suffix)
        if os.path.isfile(candidate) and os.access(candidate, os.X_OK):
            return candidate
    return None


def describe_graphviz() -> list[str]:
    """What ``gradpipe --version`` says of Graphviz: both programs, versions, which is used."""
    native = which(NATIVE)
    embedded = embedded_program()
    if native:
        native_text = f"native dot {_program_version(native)} ({native})"
    else:
        native_text = "native dot: not on PATH"
    if embedded:
        embedded_text = f"embedded graphviz-pure {_program_version(embedded)} ({embedded})"
    else:
        embedded_text = "embedded graphviz-pure: not installed"
    choice = os.environ.get(GRAPHVIZ_ENV, "auto").strip().lower() or "auto"
    try:
        # png is laid out by the program svg is: graphviz-pure writes both.
        used = "native dot" if layout_program("svg") == native else "embedded graphviz-pure"
        verdict = f"svg and png use {used} ({GRAPHVIZ_ENV}={choice})"
    except RenderError as error:
        verdict = f"svg and png cannot be drawn: {error.message}"
    indent = " " * len("Graphviz: ")
    return [f"Graphviz: {native_text}", indent + embedded_text, indent + verdict]


def _program_version(program: str) -> str:
    """The version a Graphviz program prints for ``-V`` (on standard error)."""
    import subprocess  # --version only: a timeout, which the layouts do not need

    try:
        done = subprocess.run(
            [program, "-V"], capture_output=True, text=True, timeout=10, check=False
        )
    except (OSError, subprocess.SubprocessError):
        return "(version unknown)"
    said = (done.stderr or done.stdout).strip()
    match = re.search(r"version (\S+)(?: \((Rust port of Graphviz [^)]*)\))?", said)
    if match is None:
        return "(version unknown)"
    return match.group(1) + (f", {match.group(2)}" if match.group(2) else "")
