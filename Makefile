# thermogate — make targets. `make test` is the one CI runs.
GO      ?= go
TAGS    := migrated_fynedo
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
COMMIT  ?= $(shell git rev-parse --short HEAD 2>/dev/null || echo unknown)
# The commit's date, not the build's: the same commit builds the same binary.
DATE    ?= $(shell git log -1 --format=%cI 2>/dev/null || date -u +%Y-%m-%dT%H:%M:%SZ)
LDFLAGS := -s -w -X main.version=$(VERSION) -X main.commit=$(COMMIT) -X main.buildDate=$(DATE)
# Position-independent, as Debian builds every program (ASLR; lintian's
# hardening-no-pie). All three builds use it, so they share the build cache.
BUILDFLAGS := -tags $(TAGS) -trimpath -buildmode=pie -ldflags '$(LDFLAGS)'
GOFILES  = $(shell find . -name '*.go' -not -path './.git/*')

.PHONY: all deps test fmt-check vet build demo screenshots clean cross-deps build-arm64 build-amd64 deb deb-arm64 deb-amd64 deb-docs deploy-check fresh-check man

# Debian packages a group of targets needs beyond the build's own
# (scripts/deps.sh installs them when missing; a target exports DEPS_EXTRA).
# Add a package a test needs to TEST_DEPS, one the deployment's checks need
# to DEPLOY_DEPS.
# test: Xvfb and xdotool drive the demo in a real window; prometheus (Debian's
# package of promtool) checks the metrics and alert rules; groff checks the manual;
# postgresql is the real central server the fleet tests run (as nobody, on a socket).
TEST_DEPS   := xvfb xdotool prometheus groff-base espeak-ng alsa-utils postgresql
# deploy-check: file (binary architecture), shellcheck, systemd-analyze, lintian.
DEPLOY_DEPS := file shellcheck systemd lintian
# vm-check: QEMU for arm64 and qemu-img, mmdebstrap and mkfs.ext4 -d for the
# guest image, shellcheck for the check's own scripts (the static qemu-aarch64
# the image build needs is unpacked from qemu-user-static into the cache).
VM_DEPS     := qemu-system-arm qemu-utils mmdebstrap e2fsprogs shellcheck

# Cross-building for the Raspberry Pi (64-bit Raspberry Pi OS) on Debian amd64:
# Debian's cross compiler and the arm64 -dev packages through multiarch
# (scripts/cross-deps.sh), no Docker. pkg-config must see only the arm64 .pc
# files, or cgo would link the Pi's binary against amd64 libraries.
ARM64_ENV := CGO_ENABLED=1 GOOS=linux GOARCH=arm64 CC=aarch64-linux-gnu-gcc \
	PKG_CONFIG_LIBDIR=/usr/lib/aarch64-linux-gnu/pkgconfig:/usr/share/pkgconfig PKG_CONFIG_PATH=

# Packaging: nfpm, installed at an exact version into .tools/ (not globally).
# (v2.46 and later need modules the Go module proxy does not serve.)
NFPM_VERSION := v2.45.0
NFPM        := $(CURDIR)/.tools/nfpm-$(NFPM_VERSION)/nfpm
DEB_VERSION ?= $(shell ./scripts/deb-version.sh)
# Files in the package get the commit's time: the same commit, the same package.
SOURCE_DATE_EPOCH ?= $(shell git log -1 --format=%ct 2>/dev/null || echo 0)
DEB_MAINTAINER ?= thermogate developers <thermogate@users.noreply.github.com>
# Generated package files: changelog.gz, thermogate.1.gz.
DEB_BUILD    := bin/deb
DEB_ENV      = DEB_VERSION=$(DEB_VERSION) SOURCE_DATE_EPOCH=$(SOURCE_DATE_EPOCH) DEB_BUILD=$(DEB_BUILD) \
	DEB_MAINTAINER='$(DEB_MAINTAINER)' COMMIT=$(COMMIT)

all: build

## deps: install the Debian packages the build needs, if any are missing
deps:
	@./scripts/deps.sh

## test: gofmt check, go vet and the race-detector tests — what CI runs.
test: export DEPS_EXTRA = $(TEST_DEPS)
test: deps fmt-check vet
	$(GO) test -race -timeout 30m -tags $(TAGS) ./...

fmt-check:
	@out=$$(gofmt -l $(GOFILES)); if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi

vet:
	$(GO) vet -tags $(TAGS) ./...

## build: bin/thermogate for this machine
build: deps
	$(GO) build $(BUILDFLAGS) -o bin/thermogate ./cmd/thermogate

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

## cross-deps: install the Debian packages cross-building for arm64 needs, if any are missing
cross-deps:
	@./scripts/cross-deps.sh

## build-arm64: bin/linux-arm64/thermogate, for a Raspberry Pi with 64-bit Raspberry Pi OS
build-arm64: cross-deps
	$(ARM64_ENV) $(GO) build $(BUILDFLAGS) -o bin/linux-arm64/thermogate ./cmd/thermogate

## build-amd64: bin/linux-amd64/thermogate, for the amd64 package (on an amd64 machine)
build-amd64: deps
	CGO_ENABLED=1 GOOS=linux GOARCH=amd64 $(GO) build $(BUILDFLAGS) -o bin/linux-amd64/thermogate ./cmd/thermogate

$(NFPM):
	GOBIN=$(dir $(NFPM)) $(GO) install github.com/goreleaser/nfpm/v2/cmd/nfpm@$(NFPM_VERSION)

## deb: dist/thermogate_<version>_arm64.deb (the Pi's) and _amd64.deb
deb: deb-arm64 deb-amd64

## man: deploy/thermogate.1, the manual, from the commands' own help
man:
	THERMOGATE_WRITE_MAN=1 $(GO) test -tags $(TAGS) -count 1 -run '^TestManPageCurrent$$' ./cmd/thermogate

# The package's generated documentation: the changelog and the manual, gzipped
# reproducibly (TestManPageCurrent keeps deploy/thermogate.1 current).
deb-docs:
	@$(DEB_ENV) ./scripts/deb-changelog.sh $(DEB_BUILD)/changelog.gz
	@gzip -9n <deploy/thermogate.1 >$(DEB_BUILD)/thermogate.1.gz

deb-arm64: build-arm64 deb-docs $(NFPM)
	@mkdir -p dist
	$(DEB_ENV) GOARCH=arm64 BINARY=bin/linux-arm64/thermogate $(NFPM) package --config deploy/nfpm.yaml --packager deb --target dist/thermogate_$(DEB_VERSION)_arm64.deb

deb-amd64: build-amd64 deb-docs $(NFPM)
	@mkdir -p dist
	$(DEB_ENV) GOARCH=amd64 BINARY=bin/linux-amd64/thermogate $(NFPM) package --config deploy/nfpm.yaml --packager deb --target dist/thermogate_$(DEB_VERSION)_amd64.deb

## deploy-check: the Raspberry Pi deployment's checks (CI runs them after make test):
## shellcheck, systemd-analyze verify, the arm64 binary under qemu, the packages'
## contents, lintian
deploy-check: export DEPS_EXTRA = $(DEPLOY_DEPS)
deploy-check: deb
	@./scripts/deps.sh
	@DEB_VERSION=$(DEB_VERSION) VERSION=$(VERSION) COMMIT=$(COMMIT) DEPLOY_DEPS='$(DEPLOY_DEPS)' ./scripts/check-deploy.sh

## fresh-check: the README's Quick start (make demo, make test), then make
## deploy-check, in a bare Debian bookworm chroot (CI runs it last). The
## chroot tools are ../shared/tools unless FRESH_TOOLS names another folder;
## FRESH_DIR (default /var/tmp/thermogate-fresh) holds the chroots.
fresh-check:
	@./scripts/fresh-check.sh

clean:
	rm -rf bin dist .tools

## vm-check: the arm64 package on an emulated Pi (QEMU): install, reboot, a tapped
## visit, watchdog, full disk, nightly export, purge (scripts/vm-check.sh; needs root)
.PHONY: vm-check
vm-check: export DEPS_EXTRA = $(VM_DEPS)
vm-check: deb-arm64
	@DEB_VERSION=$(DEB_VERSION) ./scripts/vm-check.sh
