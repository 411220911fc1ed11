# thermogate — make targets. `make test` is the one CI runs.
GO      ?= go
TAGS    := migrated_fynedo
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
COMMIT  ?= $(shell git rev-parse --short HEAD 2>/dev/null || echo unknown)
# The commit's date, not the build's: the same commit builds the same binary.
DATE    ?= $(shell git log -1 --format=%cI 2>/dev/null || date -u +%Y-%m-%dT%H:%M:%SZ)
LDFLAGS := -s -w -X main.version=$(VERSION) -X main.commit=$(COMMIT) -X main.buildDate=$(DATE)
GOFILES  = $(shell find . -name '*.go' -not -path './.git/*')

.PHONY: all deps test fmt-check vet build demo screenshots clean

all: build

## deps: install the Debian packages the build needs, if any are missing
deps:
	@./scripts/deps.sh

## test: gofmt check, go vet and the race-detector tests — what CI runs.
## Xvfb and xdotool are for the test that drives the demo in a real window.
test: export DEPS_EXTRA = xvfb xdotool
test: deps fmt-check vet
	$(GO) test -race -tags $(TAGS) ./...

fmt-check:
	@out=$$(gofmt -l $(GOFILES)); if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi

vet:
	$(GO) vet -tags $(TAGS) ./...

## build: bin/thermogate for this machine
build: deps
	$(GO) build -tags $(TAGS) -trimpath -ldflags '$(LDFLAGS)' -o bin/thermogate ./cmd/thermogate

## demo: the kiosk with the simulated sensor and sample bookings; without a
## display, a simulation of the example visitors instead
demo: build
	@if [ -n "$$DISPLAY$$WAYLAND_DISPLAY" ]; then bin/thermogate demo; else \
		echo "No display here, so no touchscreen: simulating deploy/examples/visitors.csv instead."; \
		echo "(On a desktop, make demo opens the kiosk and its demo panel.)"; \
		bin/thermogate simulate --bookings deploy/examples/bookings.csv --visitors deploy/examples/visitors.csv; fi

## screenshots: every screen in every language on both panels into docs/screenshots
screenshots: deps
	rm -f docs/screenshots/*-*x*.png
	THERMOGATE_SCREENSHOTS=$(CURDIR)/docs/screenshots $(GO) test -tags $(TAGS) -run TestScreenshots -count 1 ./kiosk/ui

clean:
	rm -rf bin dist
