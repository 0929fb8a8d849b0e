//! Go's `x509.Certificate.Verify` as cfssl's bundler uses it: every chain from a leaf
//! through the intermediate pool to the root pool, in Go's search order, with Go's
//! errors. The bundler ranks *all* chains (ubiquity, expiry, crypto), which no Rust
//! verifier offers (webpki stops at the first path), so the search is written here.
//! Any extended key usage is accepted (cfssl passes `ExtKeyUsageAny`); name
//! constraints and certificate policies are not evaluated.

use super::cert::{Cert, KeyAlgo};
use std::sync::Arc;

/// Go's `maxChainSignatureChecks`: a bound on the work one verification may do.
const MAX_SIGNATURE_CHECKS: usize = 100;

/// Go's `x509.CertPool`: certificates in insertion order, duplicates ignored.
#[derive(Debug, Clone, Default)]
pub struct Pool {
    certs: Vec<Arc<Cert>>,
}

impl Pool {
    pub fn add(&mut self, cert: Arc<Cert>) {
        if !self.contains(&cert) {
            self.certs.push(cert);
        }
    }

    pub fn contains(&self, cert: &Cert) -> bool {
        self.certs.iter().any(|c| c.raw == cert.raw)
    }

    pub fn len(&self) -> usize {
        self.certs.len()
    }

    pub fn is_empty(&self) -> bool {
        self.certs.is_empty()
    }

    /// Go's `findPotentialParents`: certificates whose subject is `cert`'s issuer,
    /// those whose key id matches first, then those where one side has no key id.
    fn potential_parents(&self, cert: &Cert) -> Vec<Arc<Cert>> {
        let mut matching = Vec::new();
        let mut one_missing = Vec::new();
        let mut mismatch = Vec::new();
        for c in self
            .certs
            .iter()
            .filter(|c| c.raw_subject == cert.raw_issuer)
        {
            let (ski, aki) = (&c.subject_key_id, &cert.authority_key_id);
            if ski == aki {
                matching.push(c.clone());
            } else if ski.is_empty() != aki.is_empty() {
                one_missing.push(c.clone());
            } else {
                mismatch.push(c.clone());
            }
        }
        matching.extend(one_missing);
        matching.extend(mismatch);
        matching
    }
}

/// Why verification failed, with Go's texts and cfssl's error code.
#[derive(Debug, Clone, PartialEq)]
pub enum VerifyError {
    /// `x509.CertificateInvalidError` with its reason (cfssl adds 10 + reason to 1200).
    Invalid {
        reason: u32,
        message: String,
    },
    /// `x509.UnknownAuthorityError`, with the first problem met on the way, if any.
    UnknownAuthority {
        hint: Option<(String, String)>,
    },
    Other(String),
}

const EXPIRED: u32 = 1;
const NOT_AUTHORIZED_TO_SIGN: u32 = 0;
const TOO_MANY_INTERMEDIATES: u32 = 3;

impl VerifyError {
    /// cfssl's code for a wrapped verification failure (`errors.Wrap`).
    pub fn code(&self) -> u32 {
        match self {
            VerifyError::Invalid { reason, .. } => 1210 + reason,
            VerifyError::UnknownAuthority { .. } => 1220,
            VerifyError::Other(_) => 1200,
        }
    }

    pub fn is_unknown_authority(&self) -> bool {
        matches!(self, VerifyError::UnknownAuthority { .. })
    }
}

impl std::fmt::Display for VerifyError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            VerifyError::Invalid { message, .. } | VerifyError::Other(message) => {
                f.write_str(message)
            }
            VerifyError::UnknownAuthority { hint } => {
                f.write_str("x509: certificate signed by unknown authority")?;
                if let Some((err, name)) = hint {
                    write!(
                        f,
                        " (possibly because of {} while trying to verify candidate authority certificate {})",
                        crate::gojson::go_quote(err),
                        crate::gojson::go_quote(name)
                    )?;
                }
                Ok(())
            }
        }
    }
}

/// Go's `time.Format(time.RFC3339)` in the local zone, as `x509` prints "now".
fn rfc3339_local(t: i64) -> String {
    use chrono::{Local, TimeZone};
    match Local.timestamp_opt(t, 0).single() {
        Some(dt) => {
            let s = dt.format("%Y-%m-%dT%H:%M:%S%:z").to_string();
            match s.strip_suffix("+00:00") {
                Some(base) => format!("{base}Z"),
                None => s,
            }
        }
        None => t.to_string(),
    }
}

fn rfc3339_utc(t: i64) -> String {
    chrono::DateTime::from_timestamp(t, 0)
        .map(|d| d.format("%Y-%m-%dT%H:%M:%SZ").to_string())
        .unwrap_or_default()
}

#[derive(Clone, Copy, PartialEq)]
enum Role {
    Leaf,
    Intermediate,
    Root,
}

/// Go's `isValid`: the validity period, CA-ness of intermediates and path lengths.
fn is_valid(c: &Cert, role: Role, chain: &[Arc<Cert>], now: i64) -> Result<(), VerifyError> {
    let expired = |detail: String| VerifyError::Invalid {
        reason: EXPIRED,
        message: format!("x509: certificate has expired or is not yet valid: {detail}"),
    };
    if now < c.not_before {
        return Err(expired(format!(
            "current time {} is before {}",
            rfc3339_local(now),
            rfc3339_utc(c.not_before)
        )));
    }
    if now > c.not_after {
        return Err(expired(format!(
            "current time {} is after {}",
            rfc3339_local(now),
            rfc3339_utc(c.not_after)
        )));
    }
    if role == Role::Intermediate && (!c.basic_constraints_valid || !c.is_ca) {
        return Err(VerifyError::Invalid {
            reason: NOT_AUTHORIZED_TO_SIGN,
            message: "x509: certificate is not authorized to sign other certificates".into(),
        });
    }
    if role != Role::Leaf && c.basic_constraints_valid && c.max_path_len >= 0 {
        let intermediates = chain.len() as i64 - 1;
        if intermediates > c.max_path_len {
            return Err(VerifyError::Invalid {
                reason: TOO_MANY_INTERMEDIATES,
                message: "x509: too many intermediates for path length constraint".into(),
            });
        }
    }
    Ok(())
}

/// The name Go's `UnknownAuthorityError` gives a candidate: CN, else the first O, else
/// the serial.
fn hint_name(c: &Cert) -> String {
    if !c.common_name().is_empty() {
        return c.common_name().to_string();
    }
    match c.subject.organization.first() {
        Some(o) => o.clone(),
        None => format!("serial:{}", crate::signer::serial_decimal(&c.serial)),
    }
}

struct Search<'a> {
    roots: &'a Pool,
    intermediates: &'a Pool,
    now: i64,
    signature_checks: usize,
}

impl Search<'_> {
    fn build(&mut self, chain: &[Arc<Cert>]) -> Result<Vec<Vec<Arc<Cert>>>, VerifyError> {
        let Some(c) = chain.last() else {
            return Ok(Vec::new());
        };
        let mut chains = Vec::new();
        // Go's named `err`: set by the signature-check limit, by each candidate's
        // validity check (also back to none when it passes) and by the search above
        // it, so the last of these wins. With no chain, a set error is the answer
        // (an expired intermediate is "certificate has expired", not "unknown
        // authority"); otherwise the first rejected candidate of this level is the hint.
        let mut err = None;
        let mut hint: Option<(String, String)> = None;
        let candidates = self
            .roots
            .potential_parents(c)
            .into_iter()
            .map(|p| (Role::Root, p))
            .chain(
                self.intermediates
                    .potential_parents(c)
                    .into_iter()
                    .map(|p| (Role::Intermediate, p)),
            );
        for (role, parent) in candidates {
            if parent.key == KeyAlgo::Unknown || chain.iter().any(|x| x.same_identity(&parent)) {
                continue;
            }
            self.signature_checks += 1;
            if self.signature_checks > MAX_SIGNATURE_CHECKS {
                err = Some(VerifyError::Other(
                    "x509: signature check attempts limit reached while verifying certificate chain"
                        .into(),
                ));
                continue;
            }
            if let Err(e) = c.check_signature_from(&parent) {
                hint.get_or_insert((e, hint_name(&parent)));
                continue;
            }
            if let Err(e) = is_valid(&parent, role, chain, self.now) {
                hint.get_or_insert((e.to_string(), hint_name(&parent)));
                err = Some(e);
                continue;
            }
            err = None;
            let mut next = chain.to_vec();
            next.push(parent);
            match role {
                Role::Root => chains.push(next),
                _ => match self.build(&next) {
                    Ok(found) => chains.extend(found),
                    Err(e) => err = Some(e),
                },
            }
        }
        if !chains.is_empty() {
            return Ok(chains);
        }
        Err(err.unwrap_or(VerifyError::UnknownAuthority { hint }))
    }
}

/// Every chain from `leaf` to a certificate of `roots`, leaf first, root last.
pub fn verify(
    leaf: &Arc<Cert>,
    roots: &Pool,
    intermediates: &Pool,
    now: i64,
) -> Result<Vec<Vec<Arc<Cert>>>, VerifyError> {
    is_valid(leaf, Role::Leaf, &[], now)?;
    if roots.contains(leaf) {
        return Ok(vec![vec![leaf.clone()]]);
    }
    Search {
        roots,
        intermediates,
        now,
        signature_checks: 0,
    }
    .build(std::slice::from_ref(leaf))
}
