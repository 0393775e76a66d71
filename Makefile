# gardien: the usual entry points. `make test` is the README's test command.
SHELL := /bin/bash
GO ?= go
PKG := ./...
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -s -w -X github.com/gardien/gardien/internal/version.version=$(VERSION)

.PHONY: build test race integration fuzz vet demo clean man deb dist docs bench

build:
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o bin/gardien ./cmd/gardien

# The unit suite: in-process servers only, nothing to install.
test:
	$(GO) vet $(PKG)
	$(GO) test -race -count=1 $(PKG)

# The integration suite: real daemons (OpenSSH) installed with apt and started on
# 127.0.0.1 by scripts/integration-servers.sh. Needs root. Tests never skip here:
# GARDIEN_IT=1 makes a missing server a failure.
integration:
	scripts/integration-servers.sh start
	set -a && . $${GARDIEN_IT_DIR:-/tmp/gardien-it}/env && set +a && \
	GARDIEN_IT=1 $(GO) test -tags integration -count=1 -run Integration -v $(PKG); \
	status=$$?; scripts/integration-servers.sh stop; exit $$status

# Each fuzz target for a bounded time; crashers land in the package's testdata/fuzz
# and become regression tests of the unit suite. (FuzzZip's inputs take a millisecond
# each: a short minimization leaves it the time to fuzz.)
FUZZTIME ?= 20s
fuzz:
	$(GO) test -run='^$$' -fuzz='^FuzzParse$$' -fuzztime=$(FUZZTIME) ./internal/config
	$(GO) test -run='^$$' -fuzz='^FuzzParse$$' -fuzztime=$(FUZZTIME) ./internal/archive/namefmt
	$(GO) test -run='^$$' -fuzz='^FuzzExtract$$' -fuzztime=$(FUZZTIME) ./internal/archive
	$(GO) test -run='^$$' -fuzz='^FuzzAddDeflated$$' -fuzztime=$(FUZZTIME) ./internal/archive
	$(GO) test -run='^$$' -fuzz='^FuzzZip$$' -fuzztime=$(FUZZTIME) -fuzzminimizetime=5s ./internal/source

demo:
	$(GO) run ./cmd/gardien demo

# docs/reference.md, every configuration key, generated from internal/config (the
# structs, their defaults and the descriptions of docs.go). The unit suite fails when
# it is stale; the guides and the memo in docs/ are written by hand.
docs:
	$(GO) run ./internal/config/gendoc -o docs/reference.md

# Benchmarks against the shell pipeline and rclone (issue 7), not tests: slow, needs
# root, never run by `make test` nor CI. Writes docs/benchmarks.md. BENCH_SIZE=1GB,
# BENCH_RUNS=3 and the others are described in scripts/bench.sh.
bench:
	scripts/bench.sh

clean:
	rm -rf bin gardien-demo build dist

# Packaging. The man pages come from the commands themselves (gardien man); the
# Debian package is built by nfpm, installed from the Go module proxy at a pinned
# version (v2.46 and later need modules the proxy does not serve here).
NFPM_VERSION := v2.45.2
NFPM := bin/tools/nfpm-$(NFPM_VERSION)/nfpm
DEB_ARCH ?= $(shell $(GO) env GOARCH)
# A Debian version starts with a digit: v1.2.3 gives 1.2.3, an untagged commit
# 0.0.0~git<hash>; "-" would start a Debian revision, so it becomes "+".
DEB_VERSION ?= $(shell echo '$(VERSION)' | sed -E '/^v?[0-9]+\.[0-9]/!s/^/0.0.0~git/; s/^v//; s/-/+/g')
# The date of the last commit, for reproducible man pages.
SOURCE_DATE_EPOCH ?= $(shell git log -1 --format=%ct 2>/dev/null || date +%s)
export SOURCE_DATE_EPOCH

man: build
	rm -rf build/man
	bin/gardien man --quiet --dir build/man
	gzip -9n build/man/*.1

$(NFPM):
	GOBIN=$(CURDIR)/$(dir $(NFPM)) $(GO) install github.com/goreleaser/nfpm/v2/cmd/nfpm@$(NFPM_VERSION)

# build/gardien_<version>_<arch>.deb: the static binary, /etc/gardien/gardien.toml
# (the commented example, a conffile, mode 600), /etc/cron.d/gardien (disabled), the
# man pages, the bash completion, and the gardien user's directories (postinst).
deb: build man $(NFPM)
	rm -rf build/deb build/*.deb && mkdir -p build/deb
	bin/gardien init --quiet --config build/deb/gardien.toml
	bin/gardien cron --quiet --config build/deb/gardien.toml --disabled --user gardien --binary /usr/bin/gardien \
	  | sed 's#[^ ]*/build/deb/gardien\.toml#/etc/gardien/gardien.toml#g' > build/deb/cron
	grep -q -- '--config /etc/gardien/gardien.toml' build/deb/cron
	bin/gardien completion bash > build/deb/gardien.bash
	DEB_ARCH=$(DEB_ARCH) DEB_VERSION=$(DEB_VERSION) $(NFPM) package --config packaging/nfpm.yaml --packager deb --target build/
	@ls build/*.deb

# Static binaries for the other distributions, with the man pages:
# dist/gardien-<version>-linux-<arch>.tar.gz and SHA256SUMS.
DIST_ARCHS ?= amd64 arm64
dist: man
	rm -rf dist && mkdir -p dist
	for arch in $(DIST_ARCHS); do \
	  d=gardien-$(VERSION)-linux-$$arch; \
	  mkdir -p dist/$$d/man && cp build/man/*.1.gz dist/$$d/man/ && \
	  CGO_ENABLED=0 GOOS=linux GOARCH=$$arch $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o dist/$$d/gardien ./cmd/gardien && \
	  tar -C dist --owner=0 --group=0 -czf dist/$$d.tar.gz $$d && rm -rf dist/$$d || exit 1; \
	done
	cd dist && sha256sum *.tar.gz > SHA256SUMS
