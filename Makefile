# The two commands the README documents: `make up` and `make test`.
PYTHON ?= python3
VENV   := venv
PY     := $(VENV)/bin/python
STACK  ?= dev

.PHONY: up doctor test docs venv system-deps bench bench-load bench-mirror clean

$(VENV)/.installed: requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $@

# checkov pins packaging<24, pulumi needs >=26: the scanner gets a venv of its own (tests find it there).
$(VENV)/checkov/.installed: requirements-checkov.txt $(VENV)/.installed
	$(PYTHON) -m venv $(VENV)/checkov
	$(VENV)/checkov/bin/python -m pip install --quiet -r requirements-checkov.txt
	touch $@

venv: $(VENV)/.installed $(VENV)/checkov/.installed

## make up: `make doctor`'s checks, local file backend, the dev stack, `pulumi up` on the current kube context.
up: $(VENV)/.installed
	STACK=$(STACK) bash scripts/up.sh

## make doctor: what `make up` needs (Pulumi CLI >= 3.139, a reachable kube context, the dev stack's NodePorts
## on 127.0.0.1), one line each; exits non-zero when one is missing. Creates nothing.
doctor:
	@STACK=$(STACK) bash scripts/doctor.sh

## make test: every test layer (mocks, Nexus API double, real nginx/registry gateway).
test: venv system-deps
	$(PY) -m pytest

## docs/configuration.md from Pulumi.yaml (a test fails while it is stale).
docs: $(VENV)/.installed
	$(PY) scripts/config_docs.py

## Debian packages the real-gateway tests run (nginx, the distribution registry, skopeo).
system-deps:
	@bash scripts/system-deps.sh

bench: venv system-deps
	$(PY) bench/gateway_throughput.py

## 50 containerd-style clients through the gateway and directly: req/s, p50/p99 latency, errors.
bench-load: venv system-deps
	$(PY) bench/gateway_load.py

## A 256 MiB layer through the mirror path (?ns=ghcr.io) vs. the group path: MiB/s and the ratio (>= 0.95).
bench-mirror: venv system-deps
	$(PY) bench/mirror_throughput.py

clean:
	rm -rf $(VENV) .pytest_cache
