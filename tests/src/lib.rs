//! Shared code of the black-box tests of the cfssl and cfssljson binaries:
//! the golden-case runner (`golden`) and the fact extraction it compares
//! certificates, CSRs, keys, CRLs and OCSP responses with (`facts`, `content`).

pub mod content;
pub mod der;
pub mod facts;
pub mod golden;
pub mod json;
pub mod ocsp;
