"""One engine on one workload, in a process of its own: ``python -m benchmarks.engine_run``.

Prints JSON: the build + backward wall and CPU times of each repeat, the node count, and the peak
resident memory the first build + backward added. Run in a thread with a large stack and
a raised recursion limit, so micrograd's recursive topological sort finishes deep chains.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import resource
import sys
import threading
from time import perf_counter, process_time
from typing import Any

from benchmarks import workloads

ENGINES = {
    "gradpipe": workloads.gradpipe_engine,
    "micrograd": workloads.micrograd_engine,
    "lean": workloads.lean_engine,
    "torch": workloads.torch_engine,
}


def resident_bytes() -> int:
    """The current resident set size of this process."""
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def measure(engine_name: str, workload: str, nodes: int, repeat: int, seed: int) -> dict[str, Any]:
    """Build and backpropagate ``repeat`` times; count nodes and memory of the first run."""
    engine = ENGINES[engine_name]()
    w = workloads.WORKLOADS[workload]
    data = w.make_data(nodes, seed)
    times, cpu_times = [], []
    result: dict[str, Any] = {}
    for i in range(repeat):
        gc.collect()
        before = resident_bytes()
        start, cpu_start = perf_counter(), process_time()
        root = w.program(engine, data)
        root.backward()
        times.append(perf_counter() - start)
        cpu_times.append(process_time() - cpu_start)
        if i == 0:
            peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
            count = workloads.count_nodes(root) if engine_name != "torch" else 0
            result = {"nodes": count, "memory": peak - before, "output": float(root.data)}
        del root
    result["seconds"] = times
    result["cpu"] = cpu_times
    return result


def main() -> None:
    """Measure as the arguments say and print the result as one JSON line."""
    parser = argparse.ArgumentParser()
    parser.add_argument("engine", choices=sorted(ENGINES))
    parser.add_argument("workload", choices=sorted(workloads.WORKLOADS))
    parser.add_argument("nodes", type=int)
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    sys.setrecursionlimit(100_000_000)
    threading.stack_size(1 << 30)
    outcome: list[dict[str, Any]] = []
    worker = threading.Thread(
        target=lambda: outcome.append(
            measure(args.engine, args.workload, args.nodes, args.repeat, args.seed)
        )
    )
    worker.start()
    worker.join()
    if not outcome:
        sys.exit(1)
    print(json.dumps(outcome[0]), flush=True)
    os._exit(0)  # skip tearing down millions of objects: not part of any figure


if __name__ == "__main__":
    main()
