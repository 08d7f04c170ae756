# The verbs a contributor needs. `make demo` and `make test` build .venv from nothing:
# a fresh machine needs only Python 3.10+ (with its venv module) and make.
# A recipe line fails when any command of a pipe fails (dash, make's default, has no pipefail).
SHELL := bash
.SHELLFLAGS := -eo pipefail -c
# A target whose recipe fails is removed, so the next run retries it.
.DELETE_ON_ERROR:
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
BENCH_STAMP := $(VENV)/.installed-bench

SOURCES := $(wildcard gradpipe/*.py gradpipe/*/*.py)
EXAMPLES := $(wildcard examples/*.yaml)
DIAGRAMS := $(patsubst examples/%.yaml,build/diagrams/%.svg,$(EXAMPLES))
VIEWS := $(patsubst examples/%.yaml,build/views/%.html,$(EXAMPLES))
VIEW_ASSETS := $(wildcard gradpipe/html_view/*)
LINTED := $(wildcard gradpipe tests benchmarks)

.PHONY: help demo test lint diagrams views docs schemas bench bench-quick clean

help:
	@echo "make demo         build .venv and render examples/*.yaml to build/diagrams/"
	@echo "make test         run the test suite"
	@echo "make lint         ruff check, ruff format --check, mypy and the import rules"
	@echo "make diagrams     render the examples that changed to build/diagrams/<name>.svg"
	@echo "make views        render the examples' interactive HTML views to build/views/<name>.html"
	@echo "make docs         regenerate docs/*.svg, the README's pictures"
	@echo "make schemas      regenerate schemas/*.schema.json from the models"
	@echo "make bench        run the benchmarks (bench-quick: a short run)"
	@echo "make clean        remove build/, .venv and the tools' caches"

# Rebuilt when .venv is missing or older than pyproject.toml (stale dependencies).
# pip -qq shows errors only: setuptools' notes on editable installs would bury the demo.
$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 10) and "gradpipe needs Python 3.10+; run make PYTHON=python3.X")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -qq --upgrade pip
	$(BIN)/python -m pip install -qq -e '.[dev]'
	touch $@

$(BENCH_STAMP): $(STAMP)
	$(BIN)/python -m pip install -qq -e '.[bench]'
	touch $@

demo: diagrams
	@echo "The examples' diagrams are in $(CURDIR)/build/diagrams/:"
	@ls -1 build/diagrams/*.svg
	@echo "Open one in a browser: file://$(CURDIR)/build/diagrams/neuron.svg"

test: $(STAMP)
	$(BIN)/pytest -q

# The grammar-based fuzzer of tests/fuzz_specs.py, for minutes (make test runs it for seconds).
FUZZ_SECONDS ?= 600
fuzz: $(STAMP)
	nice -n 10 $(BIN)/python tests/fuzz_specs.py --seconds $(FUZZ_SECONDS) --findings build/fuzz

lint: $(STAMP)
	$(BIN)/ruff check $(LINTED)
	$(BIN)/ruff format --check $(LINTED)
	$(BIN)/mypy
	$(BIN)/pytest -q -p no:cacheprovider tests/test_layout.py

diagrams: $(DIAGRAMS)

# A diagram is stale when its example or the code that draws it changed. One process
# computes the gradients and draws them; render -o writes atomically, so a failed run
# leaves no half-written target (and .DELETE_ON_ERROR removes one a careless tool left).
# The folder is an order-only prerequisite, made once a run, not by a mkdir per diagram.
build/diagrams/%.svg: examples/%.yaml $(SOURCES) | $(STAMP) build/diagrams
	$(BIN)/gradpipe render --backward $< -o $@

# The interactive pages (render -f html computes the gradients itself).
views: $(VIEWS)

build/views/%.html: examples/%.yaml $(SOURCES) $(VIEW_ASSETS) | $(STAMP) build/views
	$(BIN)/gradpipe render -f html $< -o $@

build/diagrams build/views:
	mkdir -p $@

docs: docs/neuron.svg docs/sweep_parabola.svg docs/sweep_neuron.svg docs/check_relu_kink.svg \
	docs/micrograd_readme.svg docs/mlp_named.svg

docs/micrograd_readme.svg: examples/micrograd_readme.yaml $(SOURCES) | $(STAMP)
	@mkdir -p $(@D)
	$(BIN)/gradpipe render --backward $< -o $@

# A 10^5-node MLP loss, drawn as its spec names it: 337 parameters and three sums.
docs/mlp_named.svg: benchmarks/specs.py benchmarks/workloads.py $(SOURCES) | $(STAMP)
	@mkdir -p build $(@D)
	$(BIN)/python -m benchmarks.specs named-mlp 100000 0 build/mlp_named.json
	$(BIN)/gradpipe render --backward --view named build/mlp_named.json -o $@

docs/neuron.svg: examples/neuron.yaml $(SOURCES) | $(STAMP)
	@mkdir -p $(@D)
	$(BIN)/gradpipe forward $< | $(BIN)/gradpipe backward | $(BIN)/gradpipe render -f svg -o $@

# The README's sweeps: the notes' parabola with its slope, and a neuron's two-leaf heatmap.
docs/sweep_parabola.svg: examples/parabola.yaml $(SOURCES) | $(STAMP)
	$(BIN)/gradpipe sweep $< --vary x=-5:5:0.25 -o $@

# The README's check picture: each leaf coloured by its result (the kink's leaves orange).
docs/check_relu_kink.svg: examples/relu_kink.yaml $(SOURCES) | $(STAMP)
	$(BIN)/gradpipe check $< --render -o $@

docs/sweep_neuron.svg: examples/neuron.yaml $(SOURCES) | $(STAMP)
	$(BIN)/gradpipe sweep $< --vary x1=-2:2/81 --vary w1=-2:2/81 \
	    --set b=0.5 --set x1=1 --set w1=-0.5 -o $@

# Through a temporary file, so a failed run leaves the committed schema untouched.
schemas: $(STAMP)
	@mkdir -p schemas
	for kind in spec graph; do \
	    $(BIN)/gradpipe schema $$kind > schemas/$$kind.schema.json.tmp \
	        || { rm -f schemas/$$kind.schema.json.tmp; exit 1; }; \
	    mv schemas/$$kind.schema.json.tmp schemas/$$kind.schema.json; \
	done

bench: $(BENCH_STAMP)
	$(BIN)/python -m benchmarks

bench-quick: $(BENCH_STAMP)
	$(BIN)/python -m benchmarks --quick

clean:
	rm -rf build $(VENV) gradpipe.egg-info .pytest_cache .mypy_cache .ruff_cache .hypothesis
