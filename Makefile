# securemig — see README.md. Every target is non-interactive.
SHELL := /bin/bash
GO ?= go
export PATH := /usr/local/go/bin:$(PATH)

VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
COMMIT  ?= $(shell git rev-parse --short=12 HEAD 2>/dev/null || echo unknown)
PKG     := github.com/securemig/securemig
LDFLAGS := -X $(PKG)/internal/buildinfo.Version=$(VERSION) -X $(PKG)/internal/buildinfo.Commit=$(COMMIT)
BIN     := bin/securemig

# Inputs of pricing-import (empty XLSX: the generated full-size sample as contract SAMPLE).
XLSX          ?=
CONTRACT_CODE ?=
RATE_AREAS    ?=

.PHONY: all build setup test fuzz bench bench-quick db-up db-down db-reset pricing-import clean task-check task-import

all: build

## build: compile bin/securemig with the version and commit baked in
build:
	$(GO) build -ldflags "$(LDFLAGS)" -o $(BIN) ./cmd/securemig

## setup: install what this machine lacks (PostgreSQL server binaries via apt when root)
setup:
	@scripts/setup

## test: go vet and the whole test suite with the race detector, against real PostgreSQL
test: setup
	$(GO) vet ./...
	$(GO) test -race -timeout 30m ./...

## fuzz: run every fuzz target for FUZZTIME each (default 30s)
FUZZTIME ?= 30s
fuzz:
	@set -e; for pkg in $$($(GO) list ./...); do \
	  for f in $$($(GO) test -list '^Fuzz' $$pkg 2>/dev/null | grep '^Fuzz' || true); do \
	    echo "== $$pkg $$f"; $(GO) test -run '^$$' -fuzz "^$$f$$" -fuzztime $(FUZZTIME) -fuzzminimizetime 10s $$pkg; \
	  done; \
	done

## db-up: start the local database and apply the schema
db-up: setup build
	$(BIN) db start
	$(BIN) migrate

## db-down: stop the local database (data is kept)
db-down: build
	$(BIN) db stop

## db-reset: delete the local database and start an empty one with the schema
db-reset: setup build
	$(BIN) db reset
	$(BIN) migrate

## pricing-import: the whole local pipeline (sample workbook unless XLSX= and CONTRACT_CODE= are given)
pricing-import: setup build
	XLSX="$(XLSX)" CONTRACT_CODE="$(CONTRACT_CODE)" RATE_AREAS="$(RATE_AREAS)" scripts/pricing-import

## clean: remove build output (not tmp/, which holds the local database and real migrations)
clean:
	rm -rf bin

## bench: measure every stage against its baseline and write docs/benchmarks.md (run after make pricing-import)
bench: setup build
	$(GO) run ./cmd/securemig-bench

## bench-quick: the full-size sample only (under a minute)
bench-quick: setup build
	$(GO) run ./cmd/securemig-bench -quick

# Inputs of task-check and task-import (empty: SECUREMIG_TASK_SOURCE; see docs/scheduling.md).
SOURCE   ?=
TASK_ENV ?=

## task-check: one scheduled check of the inbox (SOURCE=s3://BUCKET/PREFIX/; exit 0 ok, 1 a workbook failed, 2 retry)
task-check: setup build
	$(BIN) task check $(if $(SOURCE),--source "$(SOURCE)")

## task-import: ship approved workbooks to one environment (SOURCE=s3://BUCKET/PREFIX/ TASK_ENV=stg)
task-import: setup build
	@test -n "$(TASK_ENV)" || { echo "make task-import: set TASK_ENV=<environment name>" >&2; exit 2; }
	$(BIN) task import $(if $(SOURCE),--source "$(SOURCE)") --env "$(TASK_ENV)"
