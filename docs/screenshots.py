"""Regenerate the README's pictures of the HTML view and of three frames.

Needs Playwright (``pip install -e '.[browser]'``), Debian's chromium and rsvg-convert:

    .venv/bin/python docs/screenshots.py
"""

from __future__ import annotations

import subprocess
import tempfile
from pathlib import Path

from playwright.sync_api import sync_playwright

from gradpipe.documents import load_document
from gradpipe.render.frames import render_frames
from gradpipe.render.html import render_html

DOCS = Path(__file__).resolve().parent
NEURON = DOCS.parent / "examples" / "neuron.yaml"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]


def neuron():  # type: ignore[no-untyped-def]
    return load_document(NEURON.read_bytes(), str(NEURON))


def html_view() -> None:
    """docs/html-view.png: the neuron at step 2, a tooltip open on n."""
    with tempfile.TemporaryDirectory() as folder, sync_playwright() as playwright:
        page_path = Path(folder) / "neuron.html"
        page_path.write_bytes(render_html(neuron()))
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=FLAGS)
        page = browser.new_page(viewport={"width": 1280, "height": 600})
        page.goto(page_path.as_uri())
        page.wait_for_function("window.gradpipe !== undefined")
        page.evaluate("gradpipe.setStep(2)")
        page.locator('g.node[data-i="8"][data-k="v"]').hover()  # n
        page.screenshot(path=str(DOCS / "html-view.png"))
        browser.close()


def frame_strip() -> None:
    """docs/frames-*.png: steps 0, 2 and the last of the neuron's frames."""
    frames = render_frames(neuron(), "svg")
    for k in (0, 2, len(frames) - 1):
        png = subprocess.run(
            ["rsvg-convert", "-f", "png"], input=frames[k].data, capture_output=True, check=True
        ).stdout
        (DOCS / f"frames-{frames[k].name[:-4]}.png").write_bytes(png)


if __name__ == "__main__":
    html_view()
    frame_strip()
