//! CSR request JSON (gencert/genkey input): decode, then everything that derives from
//! the request without generating a key (subject DER, SANs).
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(req) = cfssl::csr::Request::parse(data) {
        let _ = req.has_subject_information();
        if let Ok(subject) = req.subject() {
            let _ = subject.to_der();
        }
        let sans = cfssl::hosts::sans_in_go_order(&req.hosts);
        let _ = cfssl::hosts::general_names(&sans);
    }
});
