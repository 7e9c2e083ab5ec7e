# Flavor Trend — the single entry point. `make run` and `make test` are all a newcomer needs.
SHELL := /bin/bash
.DEFAULT_GOAL := help

DATA    ?= $(CURDIR)/.data
BIN     := bin/flavortrend
SERVICES := scripts/services.sh
VENV    := $(DATA)/venv
CHDB_VERSION := 4.4.0
export FT_DATA_DIR := $(DATA)

# Service ports (scripts/services.sh) and the addresses the CLI and tests derive from them:
# set the ports alone to run a second, isolated stack.
FT_PG_PORT      ?= 15432
FT_CH_PORT      ?= 19000
FT_CH_HTTP_PORT ?= 18123
FT_KAFKA_PORT   ?= 19092
FT_KAFKA_CONTROLLER_PORT ?= 19093
FT_CONNECT_PORT ?= 18083
export FT_PG_PORT FT_CH_PORT FT_CH_HTTP_PORT FT_KAFKA_PORT FT_KAFKA_CONTROLLER_PORT FT_CONNECT_PORT
export FT_PG_URL        ?= postgres://flavortrend@127.0.0.1:$(FT_PG_PORT)/flavortrend?sslmode=disable
export FT_CH_ADDR       ?= 127.0.0.1:$(FT_CH_PORT)
export FT_KAFKA_BROKERS ?= 127.0.0.1:$(FT_KAFKA_PORT)
export FT_CONNECT_URL   ?= http://127.0.0.1:$(FT_CONNECT_PORT)

GO_TEST_FLAGS ?= -count=1 -p 1 -timeout 25m

.PHONY: help build run test unit vet services stop status reset logs migrate seed cdc watch check-chdb bench fmt clean \
	plugin plugin-test dashboards

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

build: ## build bin/flavortrend
	go build -o $(BIN) ./cmd/flavortrend

run: build ## install and start everything, then simulate orders and show them flowing (Ctrl-C stops)
	bash scripts/run.sh

test: build services vet ## unit, integration and end-to-end tests against the real services
	go test $(GO_TEST_FLAGS) ./...
	$(MAKE) --no-print-directory check-chdb
	$(MAKE) --no-print-directory plugin-test

unit: ## tests that need no service
	go test -count=1 -short ./...

vet:
	go vet ./...
	@fmt=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$fmt" ]; then echo "gofmt needed: $$fmt"; exit 1; fi

services: ## install (if missing) and start PostgreSQL, ClickHouse, Kafka and Kafka Connect
	bash $(SERVICES) start

stop: ## stop every local service (data kept)
	bash $(SERVICES) stop

status: ## show which services run
	bash $(SERVICES) status

reset: ## stop the services and delete their data
	bash $(SERVICES) reset

logs: ## last lines of every service log
	bash $(SERVICES) logs

migrate: build ## apply the SQL migrations
	$(BIN) migrate

seed: build ## write the reference data
	$(BIN) seed

cdc: build ## register the Debezium connector and show its status
	$(BIN) cdc register && $(BIN) cdc status

watch: build ## show messages per CDC topic
	$(BIN) watch

$(VENV)/.chdb-$(CHDB_VERSION):
	python3 -m venv $(VENV)
	$(VENV)/bin/pip install -q chdb==$(CHDB_VERSION)
	touch $@

check-chdb: $(VENV)/.chdb-$(CHDB_VERSION) ## apply the ClickHouse migrations on a current ClickHouse engine (chdb)
	$(VENV)/bin/python scripts/chdb_check.py sql/clickhouse

bench: build services ## load runs and measurements (not tests); see docs/benchmarks.md
	bash scripts/bench.sh

# The Grafana data source: the TypeScript front end and the Go backend for the platforms
# Grafana runs on, laid out as Grafana loads it (plugin/dist, mounted by compose.yaml).
PLUGIN_DIST  := plugin/dist
PLUGIN_EXE   := gpx_flavortrend
PLUGIN_ARCHS ?= amd64 arm64

plugin: ## build the Grafana data source into plugin/dist (front end and backend binaries)
	bash plugin/scripts/frontend.sh build
	for arch in $(PLUGIN_ARCHS); do \
		CGO_ENABLED=0 GOOS=linux GOARCH=$$arch go build -o $(PLUGIN_DIST)/$(PLUGIN_EXE)_linux_$$arch ./plugin/pkg || exit 1; \
	done
	@grep -q '"executable": "$(PLUGIN_EXE)"' $(PLUGIN_DIST)/plugin.json && test -s $(PLUGIN_DIST)/module.js && \
		for arch in $(PLUGIN_ARCHS); do test -x $(PLUGIN_DIST)/$(PLUGIN_EXE)_linux_$$arch || exit 1; done || \
		{ echo "plugin/dist is not laid out as Grafana loads it"; exit 1; }
	@echo "plugin/dist: plugin.json, module.js, $(foreach a,$(PLUGIN_ARCHS),$(PLUGIN_EXE)_linux_$(a))"

# make test builds the backend for this machine only: arm64 is for Docker hosts (make plugin).
plugin-test: ## the data source's front-end checks and unit tests (the Go side runs in make test)
	$(MAKE) --no-print-directory plugin PLUGIN_ARCHS=amd64
	bash plugin/scripts/frontend.sh typecheck
	bash plugin/scripts/frontend.sh lint
	bash plugin/scripts/frontend.sh test

dashboards: ## regenerate dashboards/json from the Go code in dashboards/
	go run ./dashboards/cmd/gendashboards

fmt:
	gofmt -w $$(git ls-files '*.go')

clean: ## remove the built binary (make reset removes service data)
	rm -rf bin
