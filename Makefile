# `make run`: set up and start the service on seeds/.  `make test`: set up and run the tests.
PYTHON ?= python3.11
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: setup run test lint eval clean browser-deps

$(BIN)/python:
	$(PYTHON) -m venv $(VENV) || python3 -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

# CPU torch first: letting sentence-transformers pull torch brings a multi-GB CUDA build.
$(VENV)/.installed: $(BIN)/python pyproject.toml
	$(BIN)/pip install --quiet "torch==2.13.0"
	$(BIN)/pip install --quiet -e ".[dev]"
	touch $@

setup: $(VENV)/.installed

run: setup
	$(BIN)/rag serve --host $(HOST) --port $(PORT)

lint: setup
	$(BIN)/ruff check rag tests eval
	$(BIN)/ruff format --check rag tests eval

# The browser tests drive Debian's chromium (never `playwright install`): install it when missing.
browser-deps:
	@command -v chromium >/dev/null || { \
		if [ "$$(id -u)" = 0 ]; then SUDO=; elif command -v sudo >/dev/null; then SUDO=sudo; \
		else echo "chromium is missing and this is not root: install it with apt-get" >&2; exit 1; fi; \
		$$SUDO apt-get update && $$SUDO apt-get install -y --no-install-recommends chromium; }

test: setup lint browser-deps
	$(BIN)/python -m pytest -q
	$(BIN)/rag eval --report-only

eval: setup
	$(BIN)/rag eval --report-only

clean:
	rm -rf $(VENV) embeddings/*.sqlite* embeddings/*.faiss embeddings/manifest.json
