//! The PKCS#10 request cfssl emits for a request: its extensions, key and signature.

use super::*;

/// cfssl's pathlen rules (spec §2.6), the same as a profile's CA constraint: `None` =
/// unlimited.
pub fn ca_path_len(pathlen: i64, pathlenzero: bool) -> Result<Option<u64>> {
    let c = crate::config::CaConstraint {
        is_ca: true,
        max_path_len: pathlen,
        max_path_len_zero: pathlenzero,
    };
    Ok(c.path_len()?.map(|n| n as u64))
}

/// The basicConstraints value of a CA: `SEQUENCE { TRUE [, pathlen] }`.
pub fn ca_basic_constraints(path_len: Option<u64>) -> Vec<u8> {
    match path_len {
        Some(n) => asn1::seq(&[&asn1::bool_true(), &asn1::int(n as i64)]),
        None => asn1::seq(&[&asn1::bool_true()]),
    }
}

/// The first `hosts` entry Go's x509 cannot write as an IA5String (non-ASCII, also after
/// a URI's percent-encoding), unless the request's own subjectAltName replaces them.
pub fn unencodable_host(req: &Request) -> Option<String> {
    let san_oid = asn1::oid(OID_SAN).unwrap_or_default();
    let custom_san = req
        .extensions
        .iter()
        .any(|e| asn1::oid_from_arcs(&e.id).as_ref() == Some(&san_oid));
    match custom_san {
        true => None,
        false => hosts::general_names(&hosts::sans_in_go_order(&req.hosts)).err(),
    }
}

/// The extensions cfssl requests in the CSR (spec §5), in order.
pub fn requested_extensions(req: &Request, sans: &[hosts::San]) -> Result<Vec<RawExtension>> {
    let mut out = Vec::new();
    let san_oid = asn1::oid(OID_SAN).unwrap_or_default();
    let mut custom = Vec::with_capacity(req.extensions.len());
    for (i, e) in req.extensions.iter().enumerate() {
        let oid_der = asn1::oid_from_arcs(&e.id).ok_or_else(|| {
            Error::abort(format!(
                "extensions[{i}].id {:?} is not a valid object identifier (at least two non-negative arcs, the first 0, 1 or 2)",
                e.id
            ))
        })?;
        custom.push(RawExtension {
            oid_der,
            critical: e.critical,
            value: e.value.clone(),
        });
    }
    let custom_san = custom.iter().any(|e| e.oid_der == san_oid);
    if !sans.is_empty() && !custom_san {
        let value = hosts::general_names(sans).map_err(|name| {
            Error::abort(format!(
                "host {name:?} in \"hosts\" cannot be encoded: DNS names, emails and URIs must be ASCII (use the punycode form)"
            ))
        })?;
        out.push(RawExtension {
            oid_der: san_oid,
            critical: false,
            value,
        });
    }
    if req.delegation_enabled {
        out.push(delegation_usage());
    } else if let Some(ca) = &req.ca {
        let value = ca_basic_constraints(ca_path_len(ca.pathlen, ca.pathlenzero)?);
        out.push(RawExtension {
            oid_der: asn1::oid(OID_BASIC_CONSTRAINTS).unwrap_or_default(),
            critical: true,
            value,
        });
    }
    out.extend(custom);
    Ok(out)
}

/// cfssl's DelegationUsage marker (a non-critical NULL), which the signer always copies.
pub fn delegation_usage() -> RawExtension {
    RawExtension {
        oid_der: asn1::oid(OID_DELEGATION_USAGE).unwrap_or_default(),
        critical: false,
        value: vec![asn1::NULL, 0],
    }
}

/// The CSR for a request, signed by `key` (DER). cfssl does not read it back here, so
/// a CSR that Go's x509 cannot parse (a URI SAN with a percent-encoded non-ASCII host)
/// is still written; [`view`] is where it fails, as cfssl's signer fails.
pub fn build(req: &Request, key: &PrivateKey) -> Result<Vec<u8>> {
    let sans = hosts::sans_in_go_order(&req.hosts);
    let extensions = requested_extensions(req, &sans)?;
    encode(&req.subject()?.to_der(), key, &extensions)
}

/// What cfssl says about a certificate issued without SANs.
pub const NO_HOSTS_WARNING: &str =
    "This certificate lacks a \"hosts\" field. This makes it unsuitable for
websites. For more information see the Baseline Requirements for the Issuance and Management
of Publicly-Trusted Certificates, v.1.1.6, from the CA/Browser Forum (https://cabforum.org);
specifically, section 10.2.3 (\"Information Requirements\").";

/// cfssl's key and CSR generator, with its log lines: a new key for the request's
/// `key` section and the CSR it signs (DER).
pub fn generate(req: &Request) -> Result<(PrivateKey, Vec<u8>)> {
    generate_validated(req, |_| Ok(()))
}

/// [`generate`] with a check of the request first (cfssl's generator `Validator`).
pub fn generate_validated(
    req: &Request,
    validate: impl FnOnce(&Request) -> Result<()>,
) -> Result<(PrivateKey, Vec<u8>)> {
    crate::log::info("generate received request");
    if let Err(e) = validate(req) {
        crate::log::warning(&format!("invalid request: {e}"));
        return Err(e);
    }
    crate::log::info("received CSR");
    crate::log::info(&format!(
        "generating key: {}-{}",
        req.key.algo, req.key.size
    ));
    crate::log::debug(&format!(
        "generate key from request: algo={}, size={}",
        req.key.algo, req.key.size
    ));
    let key = crate::keys::validate_request(&req.key.algo, req.key.size)
        .and_then(crate::keys::generate)?;
    let der = build(req, &key)?;
    crate::log::info("encoded CSR");
    Ok((key, der))
}

/// A signed PKCS#10 request (DER) for `subject` and `key` asking for `extensions`.
pub fn encode(
    subject_der: &[u8],
    key: &PrivateKey,
    extensions: &[RawExtension],
) -> Result<Vec<u8>> {
    let attributes = if extensions.is_empty() {
        asn1::tlv(0xa0, &[])
    } else {
        let elements: Vec<Vec<u8>> = extensions
            .iter()
            .map(|e| asn1::extension(&e.oid_der, e.critical, &e.value))
            .collect();
        let ext_seq = asn1::tlv(asn1::SEQUENCE, &elements.concat());
        let attr = asn1::seq(&[
            &asn1::oid(OID_EXTENSION_REQUEST).unwrap_or_default(),
            &asn1::tlv(asn1::SET, &ext_seq),
        ]);
        asn1::tlv(0xa0, &attr)
    };
    let info = asn1::seq(&[&asn1::int(0), subject_der, &key.spki_der(), &attributes]);
    let signature = key.sign(&info)?;
    Ok(asn1::seq(&[
        &info,
        &key.signature_algorithm_der(),
        &asn1::bit_string(&signature),
    ]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pathlen_rules() {
        assert_eq!(ca_path_len(0, false).unwrap(), None);
        assert_eq!(ca_path_len(0, true).unwrap(), Some(0));
        assert_eq!(ca_path_len(3, true).unwrap(), Some(3));
        assert_eq!(ca_path_len(-1, true).unwrap(), None);
        assert!(ca_path_len(-2, false).is_err());
    }
}
