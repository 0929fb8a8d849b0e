# cfssl-rs: build, mint the tls-setup certificates, test, install.
#
#   make                  build release binaries, then run tls-setup with them
#   make test             build release binaries, then run every test (cargo test --workspace)
#   make install PREFIX=/usr/local
#   make clean

CARGO   ?= cargo
PREFIX  ?= /usr/local
BINDIR  ?= $(PREFIX)/bin

RELEASE_DIR   := $(CURDIR)/target/release
CFSSL_BIN     := $(RELEASE_DIR)/cfssl
CFSSLJSON_BIN := $(RELEASE_DIR)/cfssljson

.PHONY: all build certs test install clean

all: build certs

build:
	$(CARGO) build --release --bins

# etcd's hack/tls-setup flow, unchanged, with our binaries swapped in.
certs: build
	$(MAKE) -C tls-setup CFSSL=$(CFSSL_BIN) JSON=$(CFSSLJSON_BIN)

test: build
	CFSSL_BIN=$(CFSSL_BIN) CFSSLJSON_BIN=$(CFSSLJSON_BIN) $(CARGO) test --workspace --no-fail-fast

install: build
	install -d $(DESTDIR)$(BINDIR)
	install -m 0755 $(CFSSL_BIN) $(DESTDIR)$(BINDIR)/cfssl
	install -m 0755 $(CFSSLJSON_BIN) $(DESTDIR)$(BINDIR)/cfssljson

clean:
	$(MAKE) -C tls-setup clean
	$(CARGO) clean
