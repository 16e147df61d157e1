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

.PHONY: all build run demo test reliability bench fuzz vet fmt clean venv deps help test-tools

all: build

help:
	@echo "make run    install what is needed, build, start deploylens on the embedded engine"
	@echo "make demo   (beside make run) load a seeded 90-day history of four teams into the running deploylens"
	@echo "make test   run every test (prints what it skips and why)"
	@echo "make reliability  load and fault suite: engine or deploylens killed, slow engine, redelivery, scale-out"
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
# reference checks, Prometheus as a remote_write client, telemetrygen,
# headless Chromium for the weekly review's browser test). CI installs them; tests that need a missing one skip and
# say which package enables them.
TEST_APT_PACKAGES ?= r-base-core prometheus chromium
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
	@echo ">> when deploylens is ready, 'make demo' in another shell fills it with a demo history of four teams"
	bin/deploylens serve --data-dir $(DATA_DIR) --http-addr $(HTTP_ADDR)

# The demo history through the running server's public API (make run's
# address and admin token).
demo: build
	bin/deploylens demo load --url http://localhost:$(lastword $(subst :, ,$(HTTP_ADDR))) --token "$${DEPLOYLENS_ADMIN_TOKEN:-$$(cat $(DATA_DIR)/admin-token)}"

test: venv deps
	@mkdir -p tmp
	@set -o pipefail; $(GO) test -count=1 -timeout $(GO_TEST_TIMEOUT) -json ./... \
		| $(PYTHON) scripts/gotest-summary.py tmp/go-test.json

# The reliability suite (reliability/, build tag reliability): the real
# binary on loopback under bounded load and injected faults, each test
# printing its figures (bench/README.md). RELIABILITY_DURATION,
# RELIABILITY_PHASE and RELIABILITY_*_RATE scale it (reliability/main_test.go).
reliability: venv deps
	@mkdir -p tmp
	@set -o pipefail; $(GO) test -tags reliability -count=1 -v -timeout 30m -json ./reliability/ \
		| $(PYTHON) scripts/gotest-summary.py tmp/reliability.json

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
	$(GO) vet -tags reliability ./reliability/

fmt:
	gofmt -w $$(git ls-files '*.go')

clean:
	rm -rf bin tmp

# ---------------------------------------------------------------------------
# Grafana plugin and dashboards (plugin/, dashboards/)
#
#   make plugin            plugin/dist/ (frontend + backend for linux, darwin,
#                          windows on amd64/arm64) and
#                          plugin/deploylens-deploylens-datasource-<version>.zip
#   make plugin-frontend   the frontend only (webpack) into plugin/dist/
#   make plugin-check      frontend type-check, lint and unit tests (part of make test)
#   make plugin-test       plugin-check, then the plugin's and dashboards' Go tests
#   make dashboards        regenerate the dashboards' JSON from dashboards/*.go
#   make plugin-e2e        Grafana in Docker + Playwright (plugin/e2e/README.md)
# ---------------------------------------------------------------------------
PLUGIN_ID       := deploylens-deploylens-datasource
PLUGIN_DIR      := plugin
PLUGIN_DIST     := $(PLUGIN_DIR)/dist
PLUGIN_EXE      := gpx_deploylens
PLUGIN_VERSION  ?= $(shell node -p "require('./$(PLUGIN_DIR)/package.json').version" 2>/dev/null || echo 0.0.0)
PLUGIN_PLATFORMS ?= linux/amd64 linux/arm64 darwin/amd64 darwin/arm64 windows/amd64
PLUGIN_ZIP      := $(PLUGIN_DIR)/$(PLUGIN_ID)-$(PLUGIN_VERSION).zip

.PHONY: plugin plugin-frontend plugin-backend plugin-deps plugin-check plugin-test plugin-e2e dashboards

$(PLUGIN_DIR)/node_modules/.installed: $(PLUGIN_DIR)/package.json $(PLUGIN_DIR)/package-lock.json
	cd $(PLUGIN_DIR) && npm ci --no-audit --no-fund
	@touch $@

plugin-deps: $(PLUGIN_DIR)/node_modules/.installed

# The npm build script sets ts-node to CommonJS/transpile-only, which the
# scaffolded webpack config needs on Node 20.
plugin-frontend: plugin-deps
	cd $(PLUGIN_DIR) && npm run build

# Grafana looks for <executable>_<os>_<arch>[.exe] beside plugin.json.
plugin-backend:
	@mkdir -p $(PLUGIN_DIST)
	@for p in $(PLUGIN_PLATFORMS); do \
	  os=$${p%/*}; arch=$${p#*/}; ext=; [ $$os = windows ] && ext=.exe; \
	  echo ">> $(PLUGIN_EXE)_$${os}_$${arch}$$ext"; \
	  CGO_ENABLED=0 GOOS=$$os GOARCH=$$arch $(GO) build -trimpath -ldflags "-s -w" \
	    -o $(PLUGIN_DIST)/$(PLUGIN_EXE)_$${os}_$${arch}$$ext ./$(PLUGIN_DIR)/pkg || exit 1; \
	done

plugin: plugin-frontend plugin-backend
	$(GO) run ./$(PLUGIN_DIR)/pkg/archive/cmd/pluginzip -dist $(PLUGIN_DIST) -out $(PLUGIN_ZIP)

plugin-check: plugin-deps
	cd $(PLUGIN_DIR) && npm run typecheck && npm run lint && npm run test:ci

plugin-test: plugin-check
	$(GO) test -count=1 ./$(PLUGIN_DIR)/... ./dashboards/...

dashboards:
	$(GO) run ./dashboards/generate

plugin-e2e:
	@if ! docker info >/dev/null 2>&1; then echo ">> no Docker engine here: the Grafana end-to-end suite is skipped (plugin/e2e/README.md)"; exit 0; fi; \
	$(MAKE) plugin && cd $(PLUGIN_DIR) && export DEPLOYLENS_ADMIN_TOKEN=e2e-admin-token && docker compose -f ../deploy/grafana/docker-compose.yml up -d --build --wait && \
	(cd .. && $(GO) run ./$(PLUGIN_DIR)/e2e/seed -token "$$DEPLOYLENS_ADMIN_TOKEN") && npx playwright test; rc=$$?; \
	docker compose -f ../deploy/grafana/docker-compose.yml down -v; exit $$rc

# make test runs the frontend checks too.
test: plugin-check
