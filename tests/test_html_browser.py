"""The HTML view in a real browser: headless Chromium (Debian's) driven by Playwright.

Skipped, with the reason, where Playwright or Chromium is missing. The tests hover,
click, search, press the step buttons and the arrow keys, and read what the page shows.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import default_signals

from gradpipe.documents import load_document
from gradpipe.render.dot import Style
from gradpipe.render.html import render_html

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--no-first-run",
]

sync_api = pytest.importorskip(
    "playwright.sync_api", reason="Playwright is not installed: pip install -e '.[browser]'"
)


def chromium_path() -> str | None:
    """The system Chromium: GRADPIPE_CHROMIUM, or Debian's chromium on PATH."""
    chosen = os.environ.get("GRADPIPE_CHROMIUM")
    if chosen:
        return chosen
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    return None


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    path = chromium_path()
    if path is None:
        pytest.skip("no Chromium on PATH (apt-get install chromium, or set GRADPIPE_CHROMIUM)")
    with sync_api.sync_playwright() as playwright:
        try:
            launched = playwright.chromium.launch(executable_path=path, args=CHROMIUM_FLAGS)
        except sync_api.Error as error:
            pytest.skip(f"Chromium at {path} does not start: {str(error).splitlines()[0]}")
        yield launched
        launched.close()


class View:
    """A page of the view, and every console error and uncaught exception it raised."""

    def __init__(self, page: Any) -> None:
        self.page = page
        self.errors: list[str] = []
        page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: self.errors.append(str(e)))

    def step(self) -> int:
        return int(self.page.evaluate("document.body.dataset.step"))

    def grads(self) -> dict[str, str]:
        """Each node's grad text on screen, by node id ("" while blank)."""
        texts: dict[str, str] = self.page.evaluate(
            """() => {
              const data = JSON.parse(document.getElementById('gp-data').textContent);
              const out = {};
              document.querySelectorAll('text.gp-grad').forEach(t => {
                out[data.nodes[+t.dataset.i].id] = t.textContent.replace(/^grad ?/, '');
              });
              return out;
            }"""
        )
        return texts

    def filled(self) -> int:
        return sum(1 for text in self.grads().values() if text)

    def ids_with(self, css_class: str) -> set[str]:
        found: list[str] = self.page.evaluate(
            """(cls) => {
              const data = JSON.parse(document.getElementById('gp-data').textContent);
              return Array.from(document.querySelectorAll('g.node.' + cls + '[data-k="v"]'))
                .map(g => data.nodes[+g.dataset.i].id);
            }""",
            css_class,
        )
        return set(found)

    def node(self, node_id: str) -> Any:
        index = self.page.evaluate(
            """(id) => JSON.parse(document.getElementById('gp-data').textContent)
                 .nodes.findIndex(n => n.id === id)""",
            node_id,
        )
        self.page.evaluate(f"gradpipe.centerOn({index})")
        return self.page.locator(f'g.node[data-i="{index}"][data-k="v"]').first


def open_view(browser: Any, tmp_path: Path, name: str, page_bytes: bytes | None = None) -> View:
    if page_bytes is None:
        path = EXAMPLES / f"{name}.yaml"
        page_bytes = render_html(load_document(path.read_bytes(), str(path)))
    out = tmp_path / f"{name}.html"
    out.write_bytes(page_bytes)
    page = browser.new_page(viewport={"width": 1400, "height": 800})
    page.set_default_timeout(5000)
    view = View(page)
    page.goto(out.as_uri())
    page.wait_for_function("window.gradpipe !== undefined")
    return view


def test_steps_replay_backprop_with_buttons_keys_and_slider(browser: Any, tmp_path: Path) -> None:
    view = open_view(browser, tmp_path, "neuron")
    page = view.page
    # It opens at the last step: backward's result, every gradient filled in.
    assert view.step() == 5
    assert view.grads()["x1"] == "-1.5000" and view.grads()["w1"] == "1.0000"
    assert view.filled() == 10
    page.click("#gp-first")
    assert view.step() == 0 and view.filled() == 0
    assert "forward pass" in page.inner_text("#gp-panel")
    page.keyboard.press("ArrowRight")
    assert view.step() == 1
    assert view.grads() == {**dict.fromkeys(view.grads(), ""), "o": "1.0000", "n": "0.5000"}
    assert view.ids_with("gp-current") == {"o"} and view.ids_with("gp-recv") == {"n"}
    panel = page.inner_text("#gp-panel")
    assert "Step 1 of 5" in panel and "1.0" in panel and "0.4999999999999999" in panel
    page.click("#gp-next")
    page.click("#gp-next")
    assert view.step() == 3 and view.filled() == 6  # o, n, b, x1*w1 + x2*w2, x1*w1, x2*w2
    page.keyboard.press("ArrowLeft")
    assert view.step() == 2 and view.filled() == 4
    page.click("#gp-prev")
    assert view.step() == 1
    page.keyboard.press("End")
    assert view.step() == 5 and view.filled() == 10
    page.keyboard.press("Home")
    assert view.step() == 0
    page.locator("#gp-slider").fill("4")
    assert view.step() == 4 and view.filled() == 8
    page.click("#gp-last")
    assert view.step() == 5
    assert view.errors == []


def test_a_reused_node_builds_its_sum_term_by_term(browser: Any, tmp_path: Path) -> None:
    view = open_view(browser, tmp_path, "micrograd_readme")
    page = view.page
    steps = page.evaluate("gradpipe.steps")
    data = json.loads(page.evaluate("document.getElementById('gp-data').textContent"))
    # The first node that receives more than one term, and the steps that bring them.
    arrivals: dict[int, list[int]] = {}
    for k, s in enumerate(data["steps"], start=1):
        for t in s["terms"]:
            arrivals.setdefault(t[1], []).append(k)
    reused, when = next((i, ks) for i, ks in arrivals.items() if len(set(ks)) > 1)
    node_id = data["nodes"][reused]["id"]
    first_term = next(t for t in data["steps"][when[0] - 1]["terms"] if t[1] == reused)
    page.evaluate(f"gradpipe.setStep({when[0]})")
    assert view.grads()[node_id] == first_term[5]
    assert node_id in view.ids_with("gp-partial")
    page.evaluate(f"gradpipe.setStep({when[-1]})")
    assert node_id not in view.ids_with("gp-partial")
    page.evaluate(f"gradpipe.setStep({steps})")
    assert view.grads()[node_id] == data["nodes"][reused]["gradText"]
    assert view.errors == []


def test_hover_shows_value_gradient_formula_and_local_derivatives(
    browser: Any, tmp_path: Path
) -> None:
    view = open_view(browser, tmp_path, "neuron")
    page = view.page
    view.node("_1").hover()
    tip = page.inner_text("#gp-tip")
    assert "x1*w1" in tip and "mul" in tip
    assert "-6.0" in tip and "0.4999999999999999" in tip
    assert "∂(x1*w1)/∂x1" in tip and "w1 = -3.0" in tip and "at x1 = 2.0" in tip
    page.keyboard.press("Home")
    view.node("n").hover()
    tip = page.inner_text("#gp-tip")
    assert "not computed yet" in tip and "x1*w1 + x2*w2 + b" in tip
    page.mouse.move(2, 790)
    assert page.locator("#gp-tip").is_hidden()
    assert view.errors == []


LONG_NEURON = b"""values: {x1: 2.0, w1: -3.0, x2: 0.5, w2: 1.0, x3: 1.5, w3: 0.25, x4: -1.0,
  w4: 2.0, b: 0.7}
nodes:
  n: x1*w1 + x2*w2 + x3*w3 + x4*w4 + b
  o: tanh(n)
"""


def test_the_tooltip_of_a_long_formula_keeps_its_numbers_readable(
    browser: Any, tmp_path: Path
) -> None:
    # Each derivative row's key, ∂(x1*w1 + x2*w2 + x3*w3 + x4*w4)/∂(x1*w1 + ...), is long:
    # kept on one line, it took the whole tooltip and left the numbers a column one
    # character wide, the tooltip thousands of pixels tall.
    page_bytes = render_html(load_document(LONG_NEURON, "long.yaml"))
    view = open_view(browser, tmp_path, "long", page_bytes)
    page = view.page
    anonymous = [i for i in view.ids_with("node") if i.startswith("_")]
    assert len(anonymous) == 7
    for node_id in anonymous:
        view.node(node_id).hover()
        widths = page.evaluate(
            """() => Array.from(document.querySelectorAll('#gp-tip td:nth-child(2)'))
                 .map(td => td.getBoundingClientRect().width)"""
        )
        assert min(widths) > 150, (node_id, widths)
        assert page.locator("#gp-tip").bounding_box()["height"] < 400, node_id
    assert view.errors == []


def test_click_highlights_what_a_node_depends_on_and_what_depends_on_it(
    browser: Any, tmp_path: Path
) -> None:
    view = open_view(browser, tmp_path, "mlp")
    page = view.page
    view.node("h1").click()
    lit = view.ids_with("gp-hl")
    assert {"h1", "w11", "x1", "w12", "x2", "b1", "out", "loss"} <= lit
    # Neither what only h2 depends on, nor what h1 and its users do not touch.
    assert {"h2", "w21", "w22", "b2", "v2", "y"}.isdisjoint(lit)
    assert page.evaluate("document.querySelector('svg').classList.contains('gp-focus')")
    page.keyboard.press("Escape")
    assert view.ids_with("gp-hl") == set()
    assert view.errors == []


def test_search_finds_nodes_by_name_and_label(browser: Any, tmp_path: Path) -> None:
    view = open_view(browser, tmp_path, "mlp")
    page = view.page
    page.fill("#gp-search", "hidden")  # h1's and h2's labels
    assert view.ids_with("gp-match") == {"h1", "h2"}
    page.fill("#gp-search", "w11")
    page.press("#gp-search", "Enter")
    assert page.evaluate("document.body.dataset.selected") == "w11"
    assert "w11" in page.inner_text("#gp-tip")
    page.fill("#gp-search", "nothing-like-this")
    assert page.inner_text("#gp-found") == "none found"
    assert view.errors == []


def test_hostile_labels_show_as_text(browser: Any, tmp_path: Path) -> None:
    spec = {
        "values": {"x": {"value": 2.0, "label": "</script><script>window.pwned=1</script>"}},
        "nodes": {"z": {"expr": "x*x", "label": "<img src=x onerror='window.pwned=2'>"}},
    }
    graph = load_document(json.dumps(spec).encode(), "h.json")
    view = open_view(browser, tmp_path, "hostile", render_html(graph))
    page = view.page
    assert page.evaluate("window.pwned") is None
    view.node("x").hover()
    assert "</script><script>window.pwned=1</script>" in page.inner_text("#gp-tip")
    assert page.evaluate("window.pwned") is None
    assert view.errors == []


def test_pan_and_zoom_move_the_picture(browser: Any, tmp_path: Path) -> None:
    view = open_view(browser, tmp_path, "neuron")
    page = view.page
    transform = "getComputedStyle(document.getElementById('gp-canvas')).transform"
    before = page.evaluate(transform)
    page.mouse.move(700, 150)
    page.mouse.wheel(0, -300)
    page.wait_for_timeout(50)
    zoomed = page.evaluate(transform)
    assert zoomed != before
    page.mouse.move(700, 120)
    page.mouse.down()
    page.mouse.move(500, 200, steps=5)
    page.mouse.up()
    page.wait_for_timeout(50)
    assert page.evaluate(transform) != zoomed
    assert view.errors == []


@pytest.mark.slow
def test_a_watched_page_reloads_itself_and_shows_a_bad_edit(browser: Any, tmp_path: Path) -> None:
    import subprocess
    import sys
    import time

    spec = tmp_path / "ab.yaml"
    spec.write_text("values: {a: 2.0, b: -3.0}\nnodes:\n  c: a*b\n")
    out = tmp_path / "ab.html"
    env = {**os.environ, "GRADPIPE_WATCH_INTERVAL": "0.05"}
    command = [sys.executable, "-m", "gradpipe", "render", "--watch", str(spec), "-f", "html"]
    process = subprocess.Popen(
        [*command, "-o", str(out)],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=env,
        preexec_fn=default_signals,  # a run started with SIGINT ignored: the watcher stops
    )
    try:
        side = tmp_path / "ab.html.watch.js"
        deadline = time.monotonic() + 20
        while not side.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        page = browser.new_page()
        page.set_default_timeout(10000)
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(out.as_uri())
        page.wait_for_function("window.gradpipe !== undefined")
        value = "JSON.parse(document.getElementById('gp-data').textContent).nodes[0].value"
        first = page.evaluate(value)
        later = spec.stat().st_mtime_ns + 10**9
        spec.write_text("values: {a: 5.0, b: -3.0}\nnodes:\n  c: a*b\n")
        os.utime(spec, ns=(later, later))
        page.wait_for_function(f"window.gradpipe !== undefined && {value} !== {first!r}")
        assert page.evaluate(value) == "5.0"
        spec.write_text("values: {a: 5.0, b: -3.0}\nnodes:\n  c: a*zz\n")
        os.utime(spec, ns=(later + 10**9, later + 10**9))
        page.wait_for_selector("#gp-error:not([hidden])")
        assert "'zz'" in page.inner_text("#gp-error")
        assert page.evaluate(value) == "5.0"  # the last good page stays
        assert errors == []
    finally:
        process.send_signal(2)
        process.wait(timeout=20)


def test_the_notebook_view_runs_in_its_sandboxed_iframe(browser: Any, tmp_path: Path) -> None:
    from gradpipe import Value

    a, b = Value(2.0, label="a"), Value(-3.0, label="b")
    loss = a * b + a
    loss.label = "loss"
    cell = tmp_path / "cell.html"
    cell.write_text(f"<!DOCTYPE html><html><body>{loss.show()._repr_html_()}</body></html>")
    page = browser.new_page()
    page.set_default_timeout(5000)
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(cell.as_uri())
    frame = page.frame_locator("iframe")
    frame.locator("#gp-first").click()
    assert frame.locator("#gp-step").inner_text() == "step 0 / 2"
    frame.locator("#gp-next").click()
    assert "Step 1 of 2" in frame.locator("#gp-panel").inner_text()
    assert errors == []


def test_a_graph_with_no_backprop_step_opens_cleanly(browser: Any, tmp_path: Path) -> None:
    graph = load_document(b"values: {x: 1.0}\nnodes:\n  y: 2*3\n", "c.yaml")
    view = open_view(browser, tmp_path, "constant", render_html(graph))
    assert view.page.evaluate("gradpipe.steps") == 0
    view.page.keyboard.press("ArrowRight")
    assert view.step() == 0
    assert "No backprop steps" in view.page.inner_text("#gp-panel")
    assert view.errors == []


def test_a_focus_with_no_step_drawn_says_so_not_that_there_is_none(
    browser: Any, tmp_path: Path
) -> None:
    graph = load_document(b"values: {x: 1.0}\nnodes:\n  y: tanh(x)\n  z: 2*y\n", "f.yaml")
    page = render_html(graph, style=Style(focus="x", depth=0))
    view = open_view(browser, tmp_path, "focus", page)
    assert view.step() == 0
    text = view.page.inner_text("#gp-panel")
    assert "No backprop steps here" in text and "z (not drawn here)" in text
    assert "depends on no computed node" not in text
    assert view.errors == []


def test_tap_shows_the_tooltip_on_a_touch_screen(browser: Any, tmp_path: Path) -> None:
    path = EXAMPLES / "neuron.yaml"
    out = tmp_path / "neuron.html"
    out.write_bytes(render_html(load_document(path.read_bytes(), str(path))))
    context = browser.new_context(has_touch=True, viewport={"width": 900, "height": 600})
    page = context.new_page()
    page.set_default_timeout(5000)
    page.goto(out.as_uri())
    page.wait_for_function("window.gradpipe !== undefined")
    page.evaluate("gradpipe.centerOn(8)")
    page.locator('g.node[data-i="8"][data-k="v"]').tap()
    assert page.locator("#gp-tip").is_visible()
    assert "x1*w1 + x2*w2 + b" in page.inner_text("#gp-tip")
    assert page.evaluate("document.body.dataset.selected") == "n"
    context.close()


def test_marks_colour_nodes_and_add_their_note(browser: Any, tmp_path: Path) -> None:
    from gradpipe.render.labels import NodeMark

    path = EXAMPLES / "neuron.yaml"
    graph = load_document(path.read_bytes(), str(path))
    marks = {"w1": NodeMark("mismatch", "#e74c3c", "relative error 0.3 <b>")}
    view = open_view(browser, tmp_path, "marked", render_html(graph, marks=marks))
    assert view.ids_with("gp-marked") == {"w1"}
    fill = view.page.evaluate(
        "getComputedStyle(document.querySelector('g.gp-marked polygon')).fill"
    )
    assert fill == "rgb(231, 76, 60)"
    view.node("w1").hover()
    assert "mismatch" in view.page.inner_text("#gp-tip")
    assert "relative error 0.3 <b>" in view.page.inner_text("#gp-tip")
    assert view.errors == []


def test_space_on_a_focused_button_presses_it_once(browser: Any, tmp_path: Path) -> None:
    view = open_view(browser, tmp_path, "neuron")
    page = view.page
    page.keyboard.press("Home")
    page.focus("#gp-next")
    page.keyboard.press(" ")
    assert view.step() == 1
    page.keyboard.press("ArrowRight")  # arrows still step with a button focused
    assert view.step() == 2
    assert view.errors == []


def test_a_focus_view_steps_through_its_drawn_nodes(browser: Any, tmp_path: Path) -> None:
    from gradpipe.render.dot import Style

    graph = load_document((EXAMPLES / "neuron.yaml").read_bytes(), "neuron.yaml")
    page_bytes = render_html(graph, style=Style(focus="_1", depth=1))
    view = open_view(browser, tmp_path, "neuron-focus", page_bytes)
    page = view.page
    assert set(view.grads()) == {"x1", "w1", "_1", "_3"}  # the SVG's nodes, no more
    assert page.locator("text", has_text="1 more input").count() == 1
    assert page.locator("text", has_text="used by 1 more").count() == 1
    assert view.step() == 2
    page.keyboard.press("Home")
    assert "o</b> (not drawn here)" in page.inner_html("#gp-panel")
    page.keyboard.press("ArrowRight")
    # x1*w1 + x2*w2 steps first, its gradient complete (the output's steps not drawn).
    assert view.ids_with("gp-current") == {"_3"} and view.ids_with("gp-recv") == {"_1"}
    assert view.grads() == {"x1": "", "w1": "", "_1": "0.5000", "_3": "0.5000"}
    panel = page.inner_text("#gp-panel")
    assert "∂o/∂(x1*w1 + x2*w2)" in panel and "1 more argument not drawn" in panel
    page.keyboard.press("End")
    assert view.grads() == {"x1": "-1.5000", "w1": "1.0000", "_1": "0.5000", "_3": "0.5000"}
    assert view.errors == []


def test_a_named_view_steps_through_its_named_nodes(browser: Any, tmp_path: Path) -> None:
    from gradpipe.render.dot import Style

    graph = load_document((EXAMPLES / "neuron.yaml").read_bytes(), "neuron.yaml")
    view = open_view(
        browser, tmp_path, "neuron-named", render_html(graph, style=Style(view="named"))
    )
    page = view.page
    assert set(view.grads()) == {"x1", "x2", "w1", "w2", "b", "n", "o"}
    page.evaluate("gradpipe.setStep(2)")
    assert view.ids_with("gp-current") == {"n"}
    assert view.ids_with("gp-recv") == {"x1", "x2", "w1", "w2", "b"}
    assert view.grads()["x1"] == "-1.5000" and view.grads()["w1"] == "1.0000"
    view.node("n").hover()
    assert "x1*w1 + x2*w2 + b" in page.inner_text("#gp-tip")
    assert view.errors == []
