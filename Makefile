# cfssl-rs: build, mint the tls-setup certificates, test, install.
#
#   make                  build release binaries, then run tls-setup with them
#   make test             build release binaries, then run every test (cargo test --workspace)
#   make install PREFIX=/usr/local   (cfssl, cfssljson, cfssl-certinfo, mkbundle, multirootca,
#                                     cfssl-migrate; tests/tests/install.rs runs it)
#   make clean
#   make fuzz             run every fuzz target for FUZZ_SECONDS each (needs cargo-fuzz + nightly)

CARGO   ?= cargo
PREFIX  ?= /usr/local
BINDIR  ?= $(PREFIX)/bin

RELEASE_DIR   := $(CURDIR)/target/release
CFSSL_BIN     := $(RELEASE_DIR)/cfssl
CFSSLJSON_BIN := $(RELEASE_DIR)/cfssljson

.PHONY: all build certs test install clean fuzz

all: build certs

# On Linux/glibc the release binaries are static PIE executables: no dynamic
# loader and no libc/libm/libgcc_s mappings, i.e. about a third less peak RSS and
# a faster start (README, "Performance"), while keeping address-space layout
# randomisation (a non-PIE static binary would save another ~0.4 MiB but load at
# a fixed address; not worth it for a tool that holds CA keys). The flag goes to
# the final link only (`cargo rustc`), because crt-static in RUSTFLAGS breaks
# proc-macro crates unless --target is passed, and the binaries stay in
# target/release/. Packed relative relocations (DT_RELR, glibc >= 2.36) keep the
# PIE's relocation table from costing pages of its own. STATIC=0 builds ordinary
# dynamic binaries.
STATIC ?= $(if $(filter Linux,$(shell uname -s)),1,0)
ifeq ($(STATIC),1)
LINK_FLAGS := -C target-feature=+crt-static -C link-arg=-Wl,-z,pack-relative-relocs
endif
# x86-64 Linux links with rust-lld: put the functions a gencert runs
# (bench/symbol-order.txt, from bench/symbol-order.sh) together at the start of
# .text, so a run faults in fewer 64 KiB chunks of the binary. ORDER=0 skips it.
ORDER ?= $(if $(filter Linux-x86_64,$(shell uname -s)-$(shell uname -m)),1,0)
ifeq ($(ORDER),1)
LINK_FLAGS += -C link-arg=-Wl,--symbol-ordering-file=$(CURDIR)/bench/symbol-order.txt \
	-C link-arg=-Wl,--no-warn-symbol-ordering
endif

# cfssl's other programs (cfssl-certinfo, mkbundle, multirootca) and cfssl-migrate (creates the certdb
# schema; the certdb tests run it beside $CFSSL_BIN) are extra binaries of cfssl-rs.
EXTRA_BINS := cfssl-certinfo mkbundle multirootca cfssl-migrate

build:
	$(CARGO) rustc --release -p cfssl-rs --bin cfssl -- $(LINK_FLAGS)
	$(CARGO) rustc --release -p cfssljson-rs --bin cfssljson -- $(LINK_FLAGS)
	for b in $(EXTRA_BINS); do $(CARGO) rustc --release -p cfssl-rs --bin $$b -- $(LINK_FLAGS) || exit 1; done

# etcd's hack/tls-setup flow, unchanged, with our binaries swapped in.
certs: build
	$(MAKE) -C tls-setup CFSSL=$(CFSSL_BIN) JSON=$(CFSSLJSON_BIN)

test: build
	CFSSL_BIN=$(CFSSL_BIN) CFSSLJSON_BIN=$(CFSSLJSON_BIN) $(CARGO) test --workspace --no-fail-fast

install: build
	install -d $(DESTDIR)$(BINDIR)
	install -m 0755 $(CFSSL_BIN) $(DESTDIR)$(BINDIR)/cfssl
	install -m 0755 $(CFSSLJSON_BIN) $(DESTDIR)$(BINDIR)/cfssljson
	for b in $(EXTRA_BINS); do install -m 0755 $(RELEASE_DIR)/$$b $(DESTDIR)$(BINDIR)/$$b || exit 1; done

clean:
	$(MAKE) -C tls-setup clean
	$(CARGO) clean

# Fuzzing (fuzz/, a cargo-fuzz crate outside the workspace). Crashes land in
# fuzz/artifacts/<target>/; turn each into a regression test.
FUZZ_SECONDS   ?= 600
FUZZ_TOOLCHAIN ?= +nightly
FUZZ_SANITIZER ?= none
FUZZ_TARGETS   ?= request_json signing_config cfssljson_input duration pem_key_cert

fuzz:
	cd fuzz && for t in $(FUZZ_TARGETS); do \
		$(CARGO) $(FUZZ_TOOLCHAIN) fuzz run -s $(FUZZ_SANITIZER) $$t -- -max_total_time=$(FUZZ_SECONDS) -rss_limit_mb=2048 || exit 1; \
	done

# Time our binaries against a reference cfssl (on PATH, or CFSSL_REF/CFSSLJSON_REF); see bench/.
.PHONY: bench
bench: build
	bench/run.sh
