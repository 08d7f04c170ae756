"""Python's cycle collector, paused where it would only rescan objects that hold no cycles.

It imports nothing of gradpipe's, so the command line can pause the collector before it
imports click, and every layer can pause it while it builds or walks a graph.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def paused_gc() -> Iterator[None]:
    """Pause the cycle collector while many objects are made or walked.

    Graphs hold no reference cycles, yet each collection would rescan every one of their
    millions of objects; paused, they are scanned a few times at most.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
