# thermogate — make targets. `make test` is the one CI runs.
GO      ?= go
TAGS    := migrated_fynedo
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
COMMIT  ?= $(shell git rev-parse --short HEAD 2>/dev/null || echo unknown)
# The commit's date, not the build's: the same commit builds the same binary.
DATE    ?= $(shell git log -1 --format=%cI 2>/dev/null || date -u +%Y-%m-%dT%H:%M:%SZ)
LDFLAGS := -s -w -X main.version=$(VERSION) -X main.commit=$(COMMIT) -X main.buildDate=$(DATE)
GOFILES  = $(shell find . -name '*.go' -not -path './.git/*')

.PHONY: all deps test fmt-check vet build clean

all: build

## deps: install the Debian packages the build needs, if any are missing
deps:
	@./scripts/deps.sh

## test: gofmt check, go vet and the race-detector tests — what CI runs
test: deps fmt-check vet
	$(GO) test -race -tags $(TAGS) ./...

fmt-check:
	@out=$$(gofmt -l $(GOFILES)); if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi

vet:
	$(GO) vet -tags $(TAGS) ./...

## build: bin/thermogate for this machine
build: deps
	$(GO) build -tags $(TAGS) -trimpath -ldflags '$(LDFLAGS)' -o bin/thermogate ./cmd/thermogate

clean:
	rm -rf bin dist
