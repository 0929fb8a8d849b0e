use chrono::{DateTime, Duration, TimeZone, Utc};

use super::invalid;
use super::usage::{ext_key_usage_oid, key_usage_bit};
use crate::duration::{HOUR, MINUTE};
use crate::Error;

#[derive(Debug, Clone, Default)]
pub struct Profile {
    /// The `usages` strings as written; see [`Profile::key_usage`].
    pub usages: Vec<String>,
    /// `None` when the key is absent or null, which makes it inherit the default's.
    pub issuer_urls: Option<Vec<String>>,
    pub ocsp_url: String,
    pub crl_url: String,
    pub ca_constraint: CaConstraint,
    pub ocsp_no_check: bool,
    /// Nanoseconds. 0 in a named profile means "the default profile's expiry".
    pub expiry: i64,
    /// `expiry` as written in the config (what `info` reports).
    pub expiry_string: String,
    /// Nanoseconds; 0 means 5 minutes at signing time.
    pub backdate: i64,
    /// Fixed validity bounds, already in UTC.
    pub not_before: Option<DateTime<Utc>>,
    pub not_after: Option<DateTime<Utc>>,
    /// Unanchored search over CN, DNS names, emails and URIs (spec §3.2).
    pub name_whitelist: Option<regex::Regex>,
    pub copy_extensions: bool,
    pub allowed_extensions: Vec<Oid>,
    pub policies: Vec<CertificatePolicy>,
    /// When present, only the `true` fields are copied from the CSR.
    pub csr_whitelist: Option<CsrWhitelist>,
    /// cfssl then demands a serial in the sign request, which the CLI never sends (1400).
    pub client_provides_serial_numbers: bool,
    /// 0 = linting off; 1..=7 = NA, NE, pass, info, warn, error, fatal.
    pub lint_error_level: u8,
    /// Name of the remote (`remote` or `auth_remote.remote`) and its address; both empty
    /// for a local profile.
    pub remote: String,
    pub remote_server: String,
    /// `auth_key` and `prev_auth_key`: a request for this profile must carry a token
    /// made with one of them (`authsign`).
    pub auth: Option<crate::auth::Key>,
    pub prev_auth: Option<crate::auth::Key>,
    /// `auth_remote.auth_key`: the key this side signs its remote requests with.
    pub remote_auth: Option<crate::auth::Key>,
    /// A remote profile that also sets local-only values, which cfssl warns about
    /// each time it validates the policy.
    pub skips_local_settings: bool,
}

#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct CaConstraint {
    pub is_ca: bool,
    pub max_path_len: i64,
    pub max_path_len_zero: bool,
}

#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct CsrWhitelist {
    pub subject: bool,
    pub public_key_algorithm: bool,
    pub public_key: bool,
    pub signature_algorithm: bool,
    pub dns_names: bool,
    pub ip_addresses: bool,
    pub email_addresses: bool,
    pub uris: bool,
}

/// An OID as Go's `strconv.Atoi` read its components: signs are accepted, so a component
/// can be negative and must be rejected by whoever encodes it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Oid(pub Vec<i64>);

impl std::fmt::Display for Oid {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let parts: Vec<String> = self.0.iter().map(|n| n.to_string()).collect();
        f.write_str(&parts.join("."))
    }
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct CertificatePolicy {
    pub id: Oid,
    pub qualifiers: Vec<PolicyQualifier>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct PolicyQualifier {
    /// `id-qt-cps`, `id-qt-unotice`, or `""` (which loads but fails at signing time).
    pub kind: String,
    pub value: String,
}

impl Profile {
    /// An authenticated request's token is valid under the profile's key or, during a
    /// key rotation, its previous one (`auth` itself is checked by the caller, which
    /// answers a profile without one differently).
    pub fn token_valid(&self, key: &crate::auth::Key, request: &[u8], token: &[u8]) -> bool {
        key.verify(request, token)
            || self
                .prev_auth
                .as_ref()
                .is_some_and(|k| k.verify(request, token))
    }

    /// The policy used when no `-config` is given (and for a config without `default`).
    pub fn default_signing() -> Profile {
        Profile {
            usages: ["signing", "key encipherment", "server auth", "client auth"]
                .map(String::from)
                .to_vec(),
            expiry: 8760 * HOUR,
            expiry_string: "8760h".into(),
            backdate: 5 * MINUTE,
            ..Profile::default()
        }
    }

    /// `cfssl selfsign` without `-config`: the default policy with a shorter life.
    pub fn selfsign_default() -> Profile {
        Profile {
            expiry: 2190 * HOUR,
            ..Profile::default_signing()
        }
    }

    /// The CA policy of `initca`/`renewca` before the request's `ca` object is applied:
    /// the caller sets `expiry`, `backdate`, `ca_constraint.max_path_len(_zero)` and
    /// `crl_url` from it (spec §2.6).
    pub fn initca() -> Profile {
        Profile {
            usages: vec!["cert sign".into(), "crl sign".into()],
            expiry: 43800 * HOUR,
            backdate: 5 * MINUTE,
            ca_constraint: CaConstraint {
                is_ca: true,
                ..CaConstraint::default()
            },
            ..Profile::default()
        }
    }

    /// Key usage bits (bit n = X.509 KeyUsage bit n, so digitalSignature = 1) and the
    /// extended key usage OIDs in `usages` order, duplicates kept. Unknown names are
    /// skipped, as cfssl does.
    pub fn key_usage(&self) -> (u16, Vec<&'static str>) {
        let mut bits = 0;
        let mut ekus = Vec::new();
        for name in &self.usages {
            if let Some(bit) = key_usage_bit(name) {
                bits |= bit;
            } else if let Some(oid) = ext_key_usage_oid(name) {
                ekus.push(oid);
            }
        }
        (bits, ekus)
    }

    /// The signer's first policy check: a profile that yields neither KU nor EKU can't sign.
    pub fn check_key_usage(&self) -> Result<(), Error> {
        let (bits, ekus) = self.key_usage();
        if bits == 0 && ekus.is_empty() {
            return Err(Error::coded(5100, "Invalid policy: no key usage available"));
        }
        Ok(())
    }

    /// The signer's certificatePolicies check: an untyped qualifier passes loading but
    /// not signing.
    pub fn check_policies(&self) -> Result<(), Error> {
        for q in self.policies.iter().flat_map(|p| &p.qualifiers) {
            if q.kind != "id-qt-cps" && q.kind != "id-qt-unotice" {
                return Err(invalid(format!(
                    "Invalid qualifier type in Policies {}",
                    q.kind
                )));
            }
        }
        Ok(())
    }

    /// (notBefore, notAfter) for a certificate signed at `now` (spec §4.2): now rounded
    /// half-up to the minute, minus the backdate; fixed `not_before`/`not_after` win.
    /// Expects `expiry` already resolved (see [`Signing::profile`]).
    pub fn validity(&self, now: DateTime<Utc>) -> Result<(DateTime<Utc>, DateTime<Utc>), Error> {
        let out_of_range = || Error::plain("certificate validity is out of range");
        let not_before = match self.not_before {
            Some(t) => t,
            None => {
                let backdate = if self.backdate == 0 {
                    5 * MINUTE
                } else {
                    self.backdate
                };
                round_to_minute(now)
                    .and_then(|t| t.checked_sub_signed(Duration::nanoseconds(backdate)))
                    .ok_or_else(out_of_range)?
            }
        };
        let not_after = match self.not_after {
            Some(t) => t,
            None => not_before
                .checked_add_signed(Duration::nanoseconds(self.expiry))
                .ok_or_else(out_of_range)?,
        };
        Ok((not_before, not_after))
    }
}

/// Go's `Time.Round(time.Minute)`: halves round up.
fn round_to_minute(t: DateTime<Utc>) -> Option<DateTime<Utc>> {
    let minute_ns = i128::from(MINUTE);
    let ns = i128::from(t.timestamp()) * 1_000_000_000 + i128::from(t.timestamp_subsec_nanos());
    let rem = ns.rem_euclid(minute_ns);
    let rounded = if rem * 2 < minute_ns {
        ns - rem
    } else {
        ns - rem + minute_ns
    };
    let secs = i64::try_from(rounded / 1_000_000_000).ok()?;
    Utc.timestamp_opt(secs, 0).single()
}

impl CaConstraint {
    /// The pathLenConstraint to emit for a CA certificate, by Go's x509 rules: 0 only
    /// with `max_path_len_zero`, -1 unlimited, below -1 an error.
    pub fn path_len(&self) -> Result<Option<i64>, Error> {
        match self.max_path_len {
            n if n < -1 => Err(Error::coded(
                1000,
                "x509: invalid MaxPathLen, must be greater or equal to -1",
            )),
            -1 => Ok(None),
            0 if !self.max_path_len_zero => Ok(None),
            n => Ok(Some(n)),
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::config::test_support::*;
    use crate::config::*;
    use crate::duration::MINUTE;

    #[test]
    fn golden_ca_profiles() {
        let s = load_golden("sign-ca-csr-profiles", "cfg.json").signing;
        let subca = s.profile("subca").unwrap();
        assert!(subca.ca_constraint.is_ca);
        assert_eq!(subca.ca_constraint.path_len(), Ok(Some(0)));
        let deep = s.profile("deepca").unwrap().ca_constraint;
        assert_eq!(deep.path_len(), Ok(Some(3)));
        assert!(!s.profile("server").unwrap().ca_constraint.is_ca);
        assert_eq!(
            s.profile("client").unwrap().crl_url,
            "http://crl.sign.golden.test/root.crl"
        );

        let s = load_golden("gencert-intermediate-chain", "config.json").signing;
        let int = s.profile("intermediate").unwrap();
        assert_eq!(int.ca_constraint.path_len(), Ok(Some(0)));
        assert_eq!(
            int.key_usage().0,
            KU_CERT_SIGN | KU_CRL_SIGN | KU_DIGITAL_SIGNATURE
        );
    }

    #[test]
    fn validity_rounds_to_the_minute_then_backdates() {
        let p = Profile::default_signing();
        let (nb, na) = p.validity(at("2024-03-01T17:49:40Z")).unwrap();
        assert_eq!(nb, at("2024-03-01T17:45:00Z"));
        assert_eq!(na, at("2025-03-01T17:45:00Z"));
        let (nb, _) = p.validity(at("2024-03-01T17:44:05.9Z")).unwrap();
        assert_eq!(nb, at("2024-03-01T17:39:00Z"));
        let (nb, _) = p.validity(at("2024-03-01T17:44:30Z")).unwrap();
        assert_eq!(nb, at("2024-03-01T17:40:00Z"));
        let (nb, _) = p.validity(at("2024-03-01T17:44:29.999999999Z")).unwrap();
        assert_eq!(nb, at("2024-03-01T17:39:00Z"));

        let zero_backdate = Profile {
            backdate: 0,
            expiry: H,
            ..Profile::default()
        };
        let (nb, na) = zero_backdate.validity(at("2024-03-01T00:00:00Z")).unwrap();
        assert_eq!(
            (nb, na),
            (at("2024-02-29T23:55:00Z"), at("2024-03-01T00:55:00Z"))
        );

        let negative = Profile {
            expiry: -H,
            ..Profile::default_signing()
        };
        let (nb, na) = negative.validity(at("2024-03-01T00:00:00Z")).unwrap();
        assert!(na < nb);

        let fixed_start = Profile {
            not_before: Some(at("2030-01-01T00:00:30Z")),
            expiry: 2 * H,
            ..Profile::default()
        };
        assert_eq!(
            fixed_start.validity(at("2024-03-01T00:00:00Z")).unwrap(),
            (at("2030-01-01T00:00:30Z"), at("2030-01-01T02:00:30Z"))
        );
        let fixed_end = Profile {
            not_after: Some(at("2031-01-01T00:00:00Z")),
            ..Profile::default_signing()
        };
        assert_eq!(
            fixed_end.validity(at("2024-03-01T00:00:00Z")).unwrap().1,
            at("2031-01-01T00:00:00Z")
        );
    }

    #[test]
    fn builtin_policies() {
        let d = Profile::default_signing();
        assert_eq!(
            d.key_usage(),
            (
                KU_DIGITAL_SIGNATURE | KU_KEY_ENCIPHERMENT,
                vec![SERVER, CLIENT]
            )
        );
        assert_eq!((d.expiry, d.backdate), (8760 * H, 5 * MINUTE));
        assert_eq!(Profile::selfsign_default().expiry, 2190 * H);
        let ca = Profile::initca();
        assert_eq!(ca.key_usage(), (KU_CERT_SIGN | KU_CRL_SIGN, vec![]));
        assert_eq!(ca.expiry, 43800 * H);
        assert_eq!(ca.ca_constraint.path_len(), Ok(None));
        let c = |n, z| CaConstraint {
            is_ca: true,
            max_path_len: n,
            max_path_len_zero: z,
        };
        assert_eq!(c(0, true).path_len(), Ok(Some(0)));
        assert_eq!(c(-1, true).path_len(), Ok(None));
        assert_eq!(
            c(-2, false).path_len().unwrap_err().to_string(),
            r#"{"code":1000,"message":"x509: invalid MaxPathLen, must be greater or equal to -1"}"#
        );
        assert_eq!(Signing::default().default.expiry, 8760 * H);
    }
}
