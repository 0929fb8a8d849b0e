#!/bin/sh
# Regenerate bench/symbol-order.txt: every function a typical run of the
# release binaries executes (callgrind), which `make build` hands to the linker
# (lld --symbol-ordering-file) so that those functions sit together at the
# start of .text. Peak RSS of a gencert is mostly file-backed text pages, and
# the kernel maps them in 64 KiB fault-around chunks, so packing the hot code
# saves about 1 MiB (README, "Performance"). Names that no longer exist are
# ignored, so a stale list only costs RSS, never correctness.
# Needs valgrind; run after `make build`.
# Rust names carry a hash of their crate's build metadata, which changes with the
# dependency set (Cargo.lock), so the list goes stale silently: `--check` says how many
# of its names the built cfssl still has (nm, no valgrind); regenerate when that drops.
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
cfssl=${CFSSL_BIN:-$root/target/release/cfssl}
cfssljson=${CFSSLJSON_BIN:-$root/target/release/cfssljson}
if [ "${1:-}" = --check ]; then
  found=$(nm "$cfssl" | awk '{print $NF}' | LC_ALL=C sort -u |
    LC_ALL=C comm -12 - "$root/bench/symbol-order.txt" | wc -l)
  echo "$found of $(wc -l < "$root/bench/symbol-order.txt") names in bench/symbol-order.txt are in $cfssl"
  exit 0
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
echo '{"CN":"ca","key":{"algo":"ecdsa","size":384}}' > ca.json
echo '{"CN":"ca","key":{"algo":"rsa","size":2048}}' > rsa.json
echo '{"CN":"leaf","hosts":["a.example","127.0.0.1"],"key":{"algo":"ecdsa","size":384}}' > leaf.json
cp "$root/tls-setup/config/ca-config.json" .
cg() { valgrind -q --tool=callgrind --demangle=no --callgrind-out-file="$work/cg.%p.out" "$@"; }
"$cfssl" gencert -initca ca.json 2>/dev/null | "$cfssljson" -bare ca
cg "$cfssl" gencert -initca ca.json > ca.out 2>/dev/null
cg "$cfssl" gencert -initca rsa.json > /dev/null 2>&1
cg "$cfssl" gencert -ca ca.pem -ca-key ca-key.pem -config ca-config.json -profile server leaf.json > leaf.out 2>/dev/null
cg "$cfssljson" -bare out < leaf.out
cg "$cfssljson" -bare ca2 < ca.out
cat cg.*.out | sed -n 's/^c\{0,1\}fn=([0-9]*) //p' | grep -v '^0x\|^(below main)$' | LC_ALL=C sort -u > "$root/bench/symbol-order.txt"
wc -l "$root/bench/symbol-order.txt"
