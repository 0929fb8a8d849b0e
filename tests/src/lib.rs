//! Black-box tests of the cfssl and cfssljson binaries live in this crate's tests/ folder.
