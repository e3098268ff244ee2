# Dosirak: the one entry point. As root on a fresh Debian machine:
#   make run     set up, build, and run the newest stage
#   make test    set up, build, and pass every test (packages, end-to-end, chapters)
SHELL := /bin/bash
SWIFT ?= swift

# Stage packages, in dependency order (each builds and tests alone).
PACKAGES := Syscalls Namespaces Cgroups Layers Network Runtime CLI
# Debian packages the demos and tests need.
DEBIAN_PACKAGES := busybox-static iproute2 procps nftables docker-registry apache2-utils python3-cryptography gzip zstd pigz isal docker.io runc libcurl4-openssl-dev zsh

# Swift Testing prints a line when each test starts and passes; keep failures and summaries.
QUIET_TESTS := grep -vE '^(◇|↳|Test Suite|	 Executed)|started\.$$|^✔ (Test|Suite) ".*passed after'

.PHONY: setup build test test-packages test-umbrella check-chapters run demo-01 demo-02 demo-03 demo-04 demo-05 demo-06 demo-07 bench bench-04 bench-05 bench-06 bench-07 install clean

## setup: install what is missing (quick when everything is there)
setup:
	@command -v $(SWIFT) >/dev/null || { echo "setup: swift not found in PATH (Swift 6 is required)"; exit 1; }
	@missing=""; for p in $(DEBIAN_PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  [ "$$(id -u)" = 0 ] || { echo "setup: missing$$missing; run make setup as root"; exit 1; }; \
	  echo "setup: installing$$missing"; \
	  apt-get install -y -qq $$missing >/dev/null 2>&1 || \
	    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; }; \
	fi

## build: every stage package, with its demos
build: setup
	@set -e; for p in $(PACKAGES); do (cd Packages/$$p && $(SWIFT) build -q); done
	@$(SWIFT) build -q --build-tests

## test: every package's tests, then the end-to-end tests and the chapter checks
test: setup test-packages test-umbrella

test-packages:
	@set -eo pipefail; for p in $(PACKAGES); do \
	  echo "== Packages/$$p"; \
	  (cd Packages/$$p && $(SWIFT) build -q && $(SWIFT) test 2>&1 | $(QUIET_TESTS)); \
	done

test-umbrella:
	@echo "== end-to-end and chapters"
	@set -o pipefail; $(SWIFT) test 2>&1 | $(QUIET_TESTS)

## check-chapters: both languages alike, excerpts verbatim, shown commands still run
check-chapters: setup
	@set -o pipefail; $(SWIFT) test --filter Chapter 2>&1 | $(QUIET_TESTS)

## run: the dosirak command: builds it, makes the default image, and starts a shell in a
## container (a plain command instead when there is no terminal)
DOSIRAK := Packages/CLI/.build/debug/dosirak
run: setup
	@cd Packages/CLI && $(SWIFT) build -q --product dosirak && $(SWIFT) build -q --product dosirak-registry && \
	  $(SWIFT) build -q --product dosirak-relay
	@$(DOSIRAK) image busybox >/dev/null
	@if [ -t 0 ] && [ -t 1 ]; then \
	  echo "dosirak run --rm -it busybox sh   (exit to leave)"; \
	  $(DOSIRAK) run --rm -it busybox sh; \
	else \
	  echo "dosirak run --rm busybox sh -c '...'   (no terminal here, so no -it)"; \
	  $(DOSIRAK) run --rm busybox sh -c 'echo "hello from $$(hostname), a container on $$(ip -4 -o addr show eth0 | awk "{print \$$4}")"'; \
	fi

## demo-NN: build one chapter's package and run its demo
demo-01: setup
	@cd Packages/Namespaces && $(SWIFT) build -q --product chroot-demo && .build/debug/chroot-demo

demo-02: setup
	@cd Packages/Namespaces && $(SWIFT) build -q --product namespaces-demo && .build/debug/namespaces-demo

demo-03: setup
	@cd Packages/Cgroups && $(SWIFT) build -q --product cgroups-demo && .build/debug/cgroups-demo

demo-04: setup
	@cd Packages/Layers && $(SWIFT) build -q --product layers-demo && .build/debug/layers-demo

demo-05: setup
	@cd Packages/Network && $(SWIFT) build -q --product network-demo && .build/debug/network-demo

demo-06: setup
	@cd Packages/Runtime && $(SWIFT) build -q --product runtime-demo && .build/debug/runtime-demo

demo-07: setup
	@cd Packages/CLI && $(SWIFT) build -q --product dosirak && Scripts/tour.sh .build/debug/dosirak

## bench: speed figures against the reference tools, as ratios from the same run (release builds)
bench: bench-04 bench-05 bench-06 bench-07

bench-04: setup
	@Packages/Layers/Tests/Bench/bench.sh

bench-05: setup
	@cd Packages/Network && $(SWIFT) build -q -c release --product network-demo && .build/release/network-demo bench

## dosirak (and so dosirak-runtime) and dosirak-relay are linked fully static: no shared
## libraries to map and relocate at every start (dosirak version: 2.8 ms instead of 7.2), and,
## not being position-independent, no pointers of their own to fix up either, so the pages of
## 50 relays stay shared (the same trade as Debian's runc and containerd-shim, which are not PIE
## either). dosirak-registry cannot be: libcurl is a shared library. The static programs are
## built in .build-static, since the others link glibc dynamically. The linker warns that
## FoundationEssentials' user and group look-ups (getpwnam_r and the like) would load the
## C library's NSS modules at run time; dosirak calls none of them (top reads /etc/passwd).
## $(call static,PACKAGE,PRODUCT,DIR) builds PRODUCT of Packages/PACKAGE and installs it in DIR.
static = cd Packages/$(1) && $(SWIFT) build -q -c release --static-swift-stdlib -Xswiftc -static-executable \
	  --scratch-path .build-static --product $(2) && install -D -m 755 .build-static/release/$(2) "$(3)/$(2)"

## bench-06: dosirak-runtime as make install builds it (fully static), beside runtime-demo
bench-06: setup
	@cd Packages/Runtime && $(SWIFT) build -q -c release --static-swift-stdlib --product runtime-demo
	@bin="$$(cd Packages/Runtime && $(SWIFT) build -c release --static-swift-stdlib --show-bin-path)" && \
	  ($(call static,Runtime,dosirak-runtime,$$bin)) && ($(call static,Runtime,dosirak-relay,$$bin)) && \
	  "$$bin/runtime-demo" bench

## bench-07: the programs as make install builds them
bench-07: setup
	@cd Packages/CLI && $(SWIFT) build -q -c release --static-swift-stdlib --product dosirak-registry
	@bin=/tmp/dosirak-bench-bin-$$$$ && trap 'rm -rf "$$bin"' EXIT && \
	  ($(call static,CLI,dosirak,$$bin)) && ($(call static,CLI,dosirak-relay,$$bin)) && \
	  install -m 755 "$$(cd Packages/CLI && $(SWIFT) build -c release --static-swift-stdlib --show-bin-path)/dosirak-registry" "$$bin/" && \
	  Packages/CLI/Scripts/bench.sh "$$bin/dosirak"

## install: dosirak, dosirak-relay and dosirak-registry (release, stripped) in
## $(PREFIX)/bin, dosirak-runtime as a link to dosirak (the same binary is the OCI runtime when
## called by that name), and the bash and zsh completions, which the installed binary writes
## from its own commands. dosirak-registry is dosirak with the registry client (URLSession and
## libcurl): dosirak runs it for pull, push, login and logout, and must find it next to itself.
## So must dosirak-relay, which each container's monitor becomes once the container runs.
PREFIX ?= /usr/local
BASH_COMPLETIONS ?= /usr/share/bash-completion/completions
ZSH_COMPLETIONS ?= $(PREFIX)/share/zsh/site-functions

install: setup
	@command -v $(SWIFT) >/dev/null || { echo "install: swift not found in PATH (Swift 6 is required)"; exit 1; }
	@cd Packages/CLI && $(SWIFT) build -q -c release --static-swift-stdlib --product dosirak-registry
	@$(call static,CLI,dosirak,$(DESTDIR)$(PREFIX)/bin)
	@$(call static,CLI,dosirak-relay,$(DESTDIR)$(PREFIX)/bin)
	@set -e; bin="$$(cd Packages/CLI && $(SWIFT) build -c release --static-swift-stdlib --show-bin-path)"; \
	  if ldd "$$bin/dosirak-registry" | grep -q 'libswift\|libFoundation\|libdispatch'; then \
	    echo "install: $$bin/dosirak-registry still loads the Swift runtime from the toolchain:"; \
	    ldd "$$bin/dosirak-registry" | grep 'libswift\|libFoundation\|libdispatch'; exit 1; \
	  fi; \
	  install -D -s -m 755 "$$bin/dosirak-registry" "$(DESTDIR)$(PREFIX)/bin/dosirak-registry"; \
	  strip "$(DESTDIR)$(PREFIX)/bin/dosirak" "$(DESTDIR)$(PREFIX)/bin/dosirak-relay"; \
	  ln -sfn dosirak "$(DESTDIR)$(PREFIX)/bin/dosirak-runtime"; \
	  install -d "$(DESTDIR)$(BASH_COMPLETIONS)" "$(DESTDIR)$(ZSH_COMPLETIONS)"; \
	  "$(DESTDIR)$(PREFIX)/bin/dosirak" completion bash > "$(DESTDIR)$(BASH_COMPLETIONS)/dosirak"; \
	  "$(DESTDIR)$(PREFIX)/bin/dosirak" completion zsh > "$(DESTDIR)$(ZSH_COMPLETIONS)/_dosirak"; \
	  cd "$(DESTDIR)$(PREFIX)/bin"; \
	  echo "installed in $(DESTDIR)$(PREFIX)/bin: dosirak ($$(du -h dosirak | cut -f1), fully static), dosirak-runtime -> dosirak,"; \
	  echo "  dosirak-relay ($$(du -h dosirak-relay | cut -f1), fully static), dosirak-registry ($$(du -h dosirak-registry | cut -f1)); completions for bash and zsh"

clean:
	rm -rf .build Packages/*/.build Packages/*/.build-static
