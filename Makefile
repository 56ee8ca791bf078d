# The two commands of the README, and a few helpers. Every target does its own set-up.
.PHONY: run test setup lint bench clean

PY := .venv/bin/python

setup:
	@bash scripts/bootstrap.sh

# Main job: start the simulator, connect a real third-party client, show the live stream.
run: setup
	@$(PY) -m harness.demo $(ARGS)

# Everything CI runs: lint, types, unit + property + integration + interop tests.
test: setup
	@bash scripts/test.sh $(ARGS)

lint: setup
	@.venv/bin/ruff check . && .venv/bin/ruff format --check . && .venv/bin/mypy

bench: setup
	@$(PY) benchmarks/bench_codecs.py
	@$(PY) benchmarks/bench_fanout.py
	@$(PY) benchmarks/bench_streams.py
	@$(PY) benchmarks/bench_clients.py

clean:
	rm -rf .venv .venvs .mypy_cache .ruff_cache .pytest_cache .hypothesis reports/demo
