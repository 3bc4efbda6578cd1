# The two commands of the README:
#   make run   installs everything, brings up Kafka and Cassandra and runs the worker (port 6066)
#   make test  installs everything, starts the services, runs lint and every test, stops them
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PYTEST_ARGS ?=

.PHONY: run test install system-deps up down status reset lint bench accel test-accel bench-accel

# Debian packages, installed only where missing (CI and these machines run as root).
APT_INSTALL := DEBIAN_FRONTEND=noninteractive apt-get install -y -qq

$(BIN)/activate:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

# Re-installs when the package metadata changes; compat mode keeps every top-level package
# (app, engine, services, bench, tests, ...) importable from the checkout.
$(VENV)/.installed: setup.cfg pyproject.toml | $(BIN)/activate
	$(BIN)/pip install -q -e '.[test,tools]' --config-settings editable_mode=compat
	touch $@

install: system-deps $(VENV)/.installed

system-deps:
	@command -v java >/dev/null || { echo "java not found: install OpenJDK 17"; exit 1; }
	@command -v mvn >/dev/null || { echo "mvn not found: install Maven"; exit 1; }
	@command -v docker-compose >/dev/null || docker compose version >/dev/null 2>&1 || \
	  { apt-get update -qq && $(APT_INSTALL) docker-compose >/dev/null; } || \
	  echo "warning: could not install docker-compose; the compose file check will skip"
	@command -v chromium >/dev/null || \
	  { apt-get update -qq && $(APT_INSTALL) chromium >/dev/null; } || \
	  { echo "chromium not found: the trader page's browser test needs Debian's chromium"; exit 1; }

up: install
	$(BIN)/order-services up

down:
	$(BIN)/order-services down

status:
	$(BIN)/order-services status

reset:
	$(BIN)/order-services reset

lint: install
	$(BIN)/ruff check .

run: up
	$(BIN)/faust -A app worker -l info

# Services are stopped whatever the tests do; the exit code is pytest's (5 = no tests: a failure).
test: install lint
	$(BIN)/order-services up; rc=$$?; \
	if [ $$rc -eq 0 ]; then $(BIN)/pytest $(PYTEST_ARGS); rc=$$?; fi; \
	$(BIN)/order-services down; exit $$rc

bench: install
	$(BIN)/python -m bench.core
	$(BIN)/python -m bench.memory

# Optional accelerated build: the same engine source compiled with mypyc into build/accel
# (pure Python stays the reference). Run anything against it from build/accel (Python puts
# the working directory first, so engine/ there shadows the checkout's; PYTHONPATH finds the
# rest): cd build/accel && PYTHONPATH=../.. ../../.venv/bin/python -m bench.core
# Every engine module but __init__.py.
ACCEL_MODULES := $(filter-out engine/__init__.py,$(wildcard engine/*.py))
accel: install
	$(BIN)/pip install -q -e '.[test,tools,accel]' --config-settings editable_mode=compat
	rm -rf build/accel && mkdir -p build/accel && cp -r engine build/accel/
	cd build/accel && $(CURDIR)/$(BIN)/mypyc --ignore-missing-imports $(ACCEL_MODULES) >/dev/null

# The engine tests against the compiled build (no services needed); append mode keeps the
# checkout behind build/accel on sys.path. The report header says which build ran.
test-accel: accel
	PYTHONPATH=build/accel $(BIN)/pytest --import-mode=append tests/engine

# `make bench` against the compiled build (the first line it prints names the build).
bench-accel: accel
	cd build/accel && PYTHONPATH=$(CURDIR) $(CURDIR)/$(BIN)/python -m bench.core
	cd build/accel && PYTHONPATH=$(CURDIR) $(CURDIR)/$(BIN)/python -m bench.memory
