use super::Profile;
use crate::Error;

#[derive(Debug, Clone)]
pub struct Signing {
    pub default: Profile,
    /// Named profiles in file order (Go's map has none; file order keeps errors stable).
    pub profiles: Vec<(String, Profile)>,
}

impl Default for Signing {
    /// The policy without `-config` (and of `{"signing":{}}`).
    fn default() -> Self {
        Signing {
            default: Profile::default_signing(),
            profiles: Vec::new(),
        }
    }
}

impl Signing {
    /// The default profile and every named one.
    pub fn profiles_all(&self) -> impl Iterator<Item = &Profile> {
        std::iter::once(&self.default).chain(self.profiles.iter().map(|(_, p)| p))
    }

    fn named(&self, name: &str) -> Option<&Profile> {
        self.profiles
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, p)| p)
    }

    /// Plain lookup as `selfsign` does it: empty or unknown names give the default.
    pub fn get(&self, name: &str) -> &Profile {
        self.named(name).unwrap_or(&self.default)
    }

    /// The profile the local signer uses for `-profile name` (spec §3.5), with the
    /// default's expiry (when 0), CRL and OCSP URLs (when empty) and issuer URLs (when
    /// absent) filled in. An unknown name falls back to the default unless some profile
    /// is remote (then 5400, as cfssl's universal signer says).
    pub fn profile(&self, name: &str) -> Result<Profile, Error> {
        let mut p = self.chosen(name)?.clone();
        if p.expiry == 0 {
            p.expiry = self.default.expiry;
        }
        if p.crl_url.is_empty() {
            p.crl_url = self.default.crl_url.clone();
        }
        if p.ocsp_url.is_empty() {
            p.ocsp_url = self.default.ocsp_url.clone();
        }
        if p.issuer_urls.is_none() {
            p.issuer_urls = self.default.issuer_urls.clone();
        }
        Ok(p)
    }

    /// The profile `name` selects before any defaults are filled in: cfssl's universal
    /// signer's choice, which decides between local and remote signing.
    pub fn chosen(&self, name: &str) -> Result<&Profile, Error> {
        Ok(match self.named(name) {
            _ if name.is_empty() => &self.default,
            Some(p) => p,
            None if self.needs_remote() => {
                return Err(Error::coded(5400, "Unknown policy profile"))
            }
            None => &self.default,
        })
    }

    fn all_mut(&mut self) -> impl Iterator<Item = &mut Profile> {
        std::iter::once(&mut self.default).chain(self.profiles.iter_mut().map(|(_, p)| p))
    }

    /// Some profile signs remotely (cfssl's `NeedsRemoteSigner`).
    pub fn needs_remote(&self) -> bool {
        self.profiles_all().any(|p| !p.remote_server.is_empty())
    }

    /// Some profile signs locally (cfssl's `NeedsLocalSigner`).
    pub fn needs_local(&self) -> bool {
        self.profiles_all().any(|p| p.remote_server.is_empty())
    }

    /// `-remote` sends every profile to that server (cfssl's `OverrideRemotes`).
    pub fn override_remotes(&mut self, remote: &str) {
        for p in self.all_mut() {
            p.remote_server = remote.to_string();
        }
    }

    /// cfssl logs this on every validation of a policy whose remote profiles also set
    /// local-only values: at load and again as each signer is built.
    pub fn warn_skipped_settings(&self) {
        const SKIPPED: &str = r#"The configuration value by "usages", "issuer_urls", "ocsp_url", "crl_url", "ca_constraint", "expiry", "backdate", "not_before", "not_after", "cert_store" and "ct_log_servers" are skipped"#;
        if self.default.skips_local_settings {
            crate::log::warning(&format!(
                "default profile points to a remote signer: {SKIPPED}"
            ));
        }
        for (name, p) in &self.profiles {
            if p.skips_local_settings {
                crate::log::warning(&format!(
                    "Profiles[{name}] points to a remote signer: {SKIPPED}"
                ));
            }
        }
    }

    /// cfssl 1.6.5's pre-issuance linting never works (spec §3.8): any lint level on the
    /// selected profile fails signing, with an error that depends on the policy's shape.
    pub fn check_lint(&self, profile: &Profile) -> Result<(), Error> {
        if profile.lint_error_level == 0 {
            return Ok(());
        }
        Err(if self.profiles.is_empty() {
            Error::coded(2500, "Private key is unavailable")
        } else {
            Error::coded(
                1000,
                "x509: provided PrivateKey doesn't match parent's PublicKey",
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use crate::config::test_support::*;
    use crate::config::*;
    use crate::duration::MINUTE;

    #[test]
    fn golden_config_default() {
        let s = load_golden("gencert-config-default", "ca-config.json").signing;
        assert!(s.profiles.is_empty());
        assert_eq!(s.default.expiry, 8760 * H);
        assert_eq!(
            s.default.key_usage(),
            (
                KU_DIGITAL_SIGNATURE | KU_KEY_ENCIPHERMENT,
                vec![SERVER, CLIENT]
            )
        );
        assert_eq!(s.profile("anything").unwrap().expiry, 8760 * H);
    }

    #[test]
    fn golden_named_profiles() {
        let s = load_golden("gencert-named-profiles", "ca-config.json").signing;
        let names: Vec<&str> = s.profiles.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, ["server", "client", "peer"]);
        assert_eq!(s.profile("").unwrap().expiry, 168 * H);
        assert_eq!(s.profile("client").unwrap().expiry, 8760 * H);
        assert_eq!(s.profile("client").unwrap().key_usage().1, [CLIENT]);
        assert_eq!(s.profile("peer").unwrap().key_usage().1, [SERVER, CLIENT]);
        // Purely local policy: an unknown name silently means the default.
        assert_eq!(s.profile("nosuch").unwrap().expiry, 168 * H);
    }

    #[test]
    fn golden_expiry_values() {
        let s = load_golden("gencert-expiry-values", "ca-config.json").signing;
        let expiry = |n: &str| s.profile(n).unwrap().expiry;
        assert_eq!(expiry("hour"), H);
        assert_eq!(expiry("mixed"), 2 * H + 30 * MINUTE);
        assert_eq!(expiry("fractional"), 90 * MINUTE);
        assert_eq!(expiry("month"), 720 * H);
        assert_eq!(expiry("century"), 876_000 * H);
        assert_eq!(expiry(""), 43_800 * H);
    }

    #[test]
    fn golden_aia_crl_urls_inherit_from_default() {
        let s = load_golden("gencert-aia-crl-urls", "ca-config.json").signing;
        let www = s.profile("www").unwrap();
        assert_eq!(www.ocsp_url, "http://ocsp.golden.test/www");
        assert_eq!(www.crl_url, "http://crl.golden.test/ca.crl");
        assert_eq!(
            www.issuer_urls.as_deref(),
            Some(&["http://pki.golden.test/ca.crt".to_string()][..])
        );
        assert!(!www.ocsp_no_check);
        let ocsp = s.profile("ocsp").unwrap();
        assert!(ocsp.ocsp_no_check);
        assert_eq!(ocsp.ocsp_url, "http://ocsp.golden.test");
        assert_eq!(ocsp.expiry, 720 * H);
        // The raw profile keeps what the file said: selfsign uses it uninherited.
        assert_eq!(s.get("ocsp").crl_url, "");
    }

    #[test]
    fn golden_selfsign_profiles() {
        let s = load_golden("selfsign-config-profile", "cfg.json").signing;
        assert_eq!(s.get("device").expiry, 48 * H);
        assert_eq!(
            s.get("device").issuer_urls.as_deref(),
            Some(&["http://ca.selfsign.golden.test/root.crt".to_string()][..])
        );
        assert_eq!(s.get("ca").ca_constraint.path_len(), Ok(Some(2)));
        assert_eq!(s.get("nosuch").expiry, 720 * H);
        assert_eq!(s.get("").expiry, 720 * H);
    }

    #[test]
    fn mixed_policy_selection() {
        let cfg = r#"{"remotes":{"r":"127.0.0.1:8888"},"signing":{"default":{"expiry":"1h","usages":["signing"]},
            "profiles":{"local":{"expiry":"2h","usages":["signing"]},"far":{"remote":"r"}}}}"#;
        let s = parse(cfg.as_bytes()).unwrap().signing;
        assert_eq!(s.profile("").unwrap().expiry, H);
        assert_eq!(s.profile("local").unwrap().expiry, 2 * H);
        assert_eq!(
            s.profile("nosuch").unwrap_err().to_string(),
            r#"{"code":5400,"message":"Unknown policy profile"}"#
        );
        assert_eq!(s.chosen("far").unwrap().remote_server, "127.0.0.1:8888");
        assert!(s.needs_local() && s.needs_remote());
        assert_eq!(s.check_lint(&s.default).map_err(|e| e.to_string()), Ok(()));
    }
}
