# The verbs a contributor needs. `make demo` and `make test` build .venv from nothing.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

EXAMPLES := $(wildcard examples/*.yaml)
DIAGRAMS := $(patsubst examples/%.yaml,build/diagrams/%.svg,$(EXAMPLES))

.PHONY: demo test lint diagrams schemas bench bench-quick clean

# Rebuilt when pyproject.toml changes (stale) or when .venv is missing.
$(STAMP): pyproject.toml
	$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 10) and "gradpipe needs Python 3.10+")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

demo: diagrams
	@echo "Diagrams of examples/*.yaml are in build/diagrams/:"
	@ls -1 build/diagrams/*.svg

test: $(STAMP)
	$(BIN)/pytest -q

lint: $(STAMP)
	$(BIN)/ruff check gradpipe tests benchmarks
	$(BIN)/ruff format --check gradpipe tests benchmarks
	$(BIN)/mypy

diagrams: $(DIAGRAMS)

# render -o writes atomically, so a failed stage leaves no half-written target.
build/diagrams/%.svg: examples/%.yaml | $(STAMP)
	@mkdir -p $(@D)
	$(BIN)/gradpipe backward $< | $(BIN)/gradpipe render -f svg -o $@

schemas: $(STAMP)
	$(BIN)/gradpipe schema spec > schemas/spec.schema.json
	$(BIN)/gradpipe schema graph > schemas/graph.schema.json

bench: $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[bench]'
	$(BIN)/python -m benchmarks

bench-quick: $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[bench]'
	$(BIN)/python -m benchmarks --quick

clean:
	rm -rf build $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis
