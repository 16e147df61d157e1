# deploylens — the two commands a newcomer needs are `make run` and `make test`.

SHELL      := /bin/bash
GO         ?= go
PYTHON     ?= python3
VENV       := .venv
VERSION    ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS    := -X main.version=$(VERSION)
DATA_DIR   ?= data
HTTP_ADDR  ?= :8080
GO_TEST_TIMEOUT ?= 25m

.PHONY: all build run test bench fuzz vet fmt clean venv deps help test-tools

all: build

help:
	@echo "make run    install what is needed, build, start deploylens on the embedded engine"
	@echo "make test   run every test (prints what it skips and why)"
	@echo "make build  bin/deploylens and the embedded engine's Python environment"
	@echo "make bench  benchmarks (figures in bench/README.md)"
	@echo "make fuzz   each fuzz target for FUZZTIME (default 10s)"

# The embedded engine's Python environment, with chdb-core pinned.
venv: $(VENV)/.installed
$(VENV)/.installed: store/embedded/requirements.txt
	@echo ">> preparing the embedded ClickHouse engine (chdb-core) in $(VENV)"
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --disable-pip-version-check --quiet -r store/embedded/requirements.txt
	$(VENV)/bin/python3 -c "import chdb; print('   chDB', chdb.__version__, 'engine', chdb.engine_version)"
	@touch $@

deps:
	$(GO) mod download

# Optional peers some tests use when present (R for live statistical
# reference checks, Prometheus as a remote_write client, telemetrygen). CI installs them; tests that need a missing one skip and
# say which package enables them.
TEST_APT_PACKAGES ?= r-base-core prometheus
TELEMETRYGEN_VERSION ?= v0.161.0
TOOLS_BIN := $(CURDIR)/tmp/bin
export PATH := $(TOOLS_BIN):$(PATH)
test-tools:
	@missing=""; for p in $(TEST_APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -z "$$missing" ]; then echo ">> test tools present: $(TEST_APT_PACKAGES)"; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  echo ">> installing test tools:$$missing"; \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing) >/dev/null \
	    || echo ">> could not install$$missing; tests that need them will skip"; \
	else echo ">> not root or no apt-get: tests that need$$missing will skip"; fi
	@if [ -x $(TOOLS_BIN)/telemetrygen ]; then echo ">> telemetrygen present"; \
	else echo ">> building telemetrygen $(TELEMETRYGEN_VERSION) (the OTel load generator some tests drive)"; \
	  GOBIN=$(TOOLS_BIN) $(GO) install github.com/open-telemetry/opentelemetry-collector-contrib/cmd/telemetrygen@$(TELEMETRYGEN_VERSION) \
	    || echo ">> could not build telemetrygen; its tests will skip"; fi

bin/deploylens: deps $(shell find . -name '*.go' -not -path './$(VENV)/*' -not -path './plugin/node_modules/*') $(shell find migrations server store -name '*.sql' -o -name '*.json' -o -name '*.py' -o -name '*.txt')
	$(GO) build -trimpath -ldflags "$(LDFLAGS)" -o bin/deploylens ./cmd/deploylens

build: venv bin/deploylens

run: build
	bin/deploylens serve --data-dir $(DATA_DIR) --http-addr $(HTTP_ADDR)

test: venv deps
	@mkdir -p tmp
	@set -o pipefail; $(GO) test -count=1 -timeout $(GO_TEST_TIMEOUT) -json ./... \
		| $(PYTHON) scripts/gotest-summary.py tmp/go-test.json

bench: venv deps
	$(GO) test -run='^$$' -bench=. -benchmem -timeout 60m ./...

FUZZTIME ?= 10s
fuzz: venv deps
	@for pkg in $$($(GO) list ./...); do \
	  for f in $$($(GO) test -list '^Fuzz' $$pkg 2>/dev/null | grep '^Fuzz'); do \
	    echo ">> $$pkg $$f"; $(GO) test -run='^$$' -fuzz="^$$f$$" -fuzztime=$(FUZZTIME) $$pkg || exit 1; \
	  done; \
	done

vet:
	$(GO) vet ./...

fmt:
	gofmt -w $$(git ls-files '*.go')

clean:
	rm -rf bin tmp
