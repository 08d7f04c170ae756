"""gradpipe's benchmark suite (issue 6): run with ``python -m benchmarks [--quick]``.

Each figure is a ratio measured side by side in one run, printed with its target and
whether it is met. Nothing here is asserted by the test suite: machines are noisy.
"""
