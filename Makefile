# Two entry points for a fresh machine (Debian 12, root, network to PyPI and Debian's archive):
#   make demo   - run envsnap's main job on the bundled example (capture, replay in Docker, diff)
#   make test   - run the whole test suite (unit tests and the Docker-backed integration tests)
# Both provision what they need: a dev venv, a Docker engine and a local base image.

PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin

.PHONY: setup provision lint test unit demo bench clean

$(VENV)/.installed: pyproject.toml Makefile
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	# torch==2.13.0 resolves to the CPU wheel in the machine's find-links (see README); torch and
	# jax are here so that the probe tests exercise their CPU probes.
	$(BIN)/pip install -q -e '.[test]' 'torch==2.13.0' 'jax==0.10.2'
	touch $@

setup: $(VENV)/.installed

provision:
	bash integration/provision.sh

# ruff (rules in pyproject.toml) and mypy (0 errors on envsnap/).
lint: setup
	$(BIN)/ruff check envsnap tests integration bench examples
	$(BIN)/mypy

unit: setup
	$(BIN)/pytest -q tests

test: setup provision
	$(BIN)/pytest -q tests integration

demo: setup provision
	PATH="$(CURDIR)/$(BIN):$$PATH" bash examples/demo.sh

bench: setup provision
	for b in bench/*.py; do echo "== $$b"; $(BIN)/python $$b || exit 1; done

clean:
	rm -rf $(VENV) demo-out
