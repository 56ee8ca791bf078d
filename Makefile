# The two commands of the README, and a few helpers. Every target does its own set-up.
.PHONY: run demo test setup lint bench clean findings findings-page soak

PY := .venv/bin/python

setup:
	@bash scripts/bootstrap.sh

# Main job: the chaos catalogue against the reference client, real Toxiproxy; report in reports/latest.
run: setup
	@.venv/bin/pytest scenarios -m chaos $(ARGS)

# The findings: the catalogue and soaks against the reference client, project-x-py 3.3.0 and 4.4.1,
# topstep-sdk 0.1.4 and projectx-sdk 0.2.39 with the findings seed, recorded in
# docs/findings/run.json, written to docs/findings.md (~70 min on 2 cores).
# One column: make findings ARGS="--clients project-x-py-3.3.0".
findings: setup
	@$(PY) -m scenarios.findings $(ARGS)

# docs/findings.md again from the recorded run (after editing the findings tables), no run.
findings-page: setup
	@$(PY) -m scenarios.findings --write

# A memory soak of the reference client with faults (default 60 s): make soak ARGS="--duration 30m".
soak: setup
	@$(PY) -m harness.soak $(ARGS)

# The simulator streaming to a real third-party client, live in the terminal.
demo: setup
	@$(PY) -m harness.demo $(ARGS)

# Everything CI runs: lint, types, unit + property + integration + interop tests, the chaos catalogue.
test: setup
	@bash scripts/test.sh $(ARGS)

lint: setup
	@.venv/bin/ruff check . && .venv/bin/ruff format --check . && .venv/bin/mypy

bench: setup
	@$(PY) benchmarks/bench_codecs.py
	@$(PY) benchmarks/bench_fanout.py
	@$(PY) benchmarks/bench_streams.py
	@$(PY) benchmarks/bench_clients.py
	@$(PY) benchmarks/bench_load.py --seconds 10
	@$(PY) benchmarks/bench_soak.py

clean:
	rm -rf .venv .venvs .tools .mypy_cache .ruff_cache .pytest_cache .hypothesis reports/demo
