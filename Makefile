# The README's quick start is exactly `make demo` and `make test`: both must
# work on a fresh clone, so every target bootstraps what it needs.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)

.PHONY: demo test lint typecheck check bench chaos clean system-deps native

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[test]'
	rm -f $(VENV)/.installed-*
	touch $@

# redis-cli and redis-benchmark are the reference clients the tests and the
# benchmarks drive; installed from Debian's packages when missing.
system-deps:
	@command -v redis-cli >/dev/null && command -v redis-server >/dev/null || \
	  { if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server redis-tools >/dev/null; \
	    else echo "install Debian's redis-server and redis-tools (redis-cli, redis-benchmark)"; fi; }

# The hot path compiled with mypyc (binlog/native.py); does nothing when current.
native: $(STAMP)
	$(PY) -c 'import binlog.native as n, node; [g.build() for g in n.groups()]'

# Three regions on 127.0.0.1 (RESP 6379-6381) with simulated WAN latency between
# them and a live status view; Ctrl+C stops them all.
demo: $(STAMP) native
	$(VENV)/bin/geokv demo --regions 3

test: $(STAMP) system-deps native
	$(PY) -m pytest -q -p no:cacheprovider
	$(MAKE) --no-print-directory lint typecheck

lint: $(STAMP)
	$(VENV)/bin/ruff check node binlog replicator topology tests bench
	$(VENV)/bin/ruff format --check node binlog replicator topology tests bench

typecheck: $(STAMP)
	$(VENV)/bin/mypy node binlog replicator topology tests

bench: $(STAMP) system-deps native
	$(PY) bench/resp.py

# The long fault-injection campaign (docs/RELIABILITY.md): simulated seeds, then
# real processes under nemeses for CHAOS_MINUTES; rewrites the results table.
CHAOS_MINUTES ?= 5
CHAOS_SIM_SEEDS ?= 500
CHAOS_SEED ?= 1
chaos: $(STAMP) system-deps native
	$(PY) bench/chaos.py --minutes $(CHAOS_MINUTES) --sim-seeds $(CHAOS_SIM_SEEDS) --seed $(CHAOS_SEED)

clean:
	rm -rf $(VENV) data build *.egg-info node/_native.json binlog/_native.json
	find node binlog -name '*.so' -delete
