//! The signing configuration (`-config`, spec §3): loading with cfssl's validation order and
//! error texts, the built-in policies, profile selection, usage mapping and validity.
//!
//! Decoding walks the JSON keys in input order the way Go's `encoding/json` fills the
//! `config.Config` structs, because the observable quirks come from there: exact key match
//! before case-insensitive match (`"Expiry"` is the integer field, `"EXPIRY"` the string),
//! last key wins, type mismatches reported at the end, custom decoders (OIDs, times, lint
//! levels) failing at once.

use chrono::{DateTime, Datelike, Duration, FixedOffset, NaiveDate, TimeZone, Utc};

use crate::duration::{self, HOUR, MINUTE};
use crate::gojson::{self, go_equal_fold, join_path as join, TypeErrors, Value};
use crate::Error;

/// cfssl's PolicyError/InvalidPolicy: every load-time configuration error carries it.
const INVALID_POLICY: u32 = 5200;

fn invalid(message: impl Into<String>) -> Error {
    Error::coded(INVALID_POLICY, message)
}

/// A loaded and validated `-config` file.
#[derive(Debug, Clone)]
pub struct Config {
    pub signing: Signing,
}

#[derive(Debug, Clone)]
pub struct Signing {
    pub default: Profile,
    /// Named profiles in file order (Go's map has none; file order keeps errors stable).
    pub profiles: Vec<(String, Profile)>,
}

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

pub const KU_DIGITAL_SIGNATURE: u16 = 1 << 0;
pub const KU_CONTENT_COMMITMENT: u16 = 1 << 1;
pub const KU_KEY_ENCIPHERMENT: u16 = 1 << 2;
pub const KU_DATA_ENCIPHERMENT: u16 = 1 << 3;
pub const KU_KEY_AGREEMENT: u16 = 1 << 4;
pub const KU_CERT_SIGN: u16 = 1 << 5;
pub const KU_CRL_SIGN: u16 = 1 << 6;
pub const KU_ENCIPHER_ONLY: u16 = 1 << 7;
pub const KU_DECIPHER_ONLY: u16 = 1 << 8;

fn key_usage_bit(name: &str) -> Option<u16> {
    Some(match name {
        "signing" | "digital signature" => KU_DIGITAL_SIGNATURE,
        "content commitment" => KU_CONTENT_COMMITMENT,
        "key encipherment" => KU_KEY_ENCIPHERMENT,
        "data encipherment" => KU_DATA_ENCIPHERMENT,
        "key agreement" => KU_KEY_AGREEMENT,
        "cert sign" => KU_CERT_SIGN,
        "crl sign" => KU_CRL_SIGN,
        "encipher only" => KU_ENCIPHER_ONLY,
        "decipher only" => KU_DECIPHER_ONLY,
        _ => return None,
    })
}

fn ext_key_usage_oid(name: &str) -> Option<&'static str> {
    Some(match name {
        "any" => "2.5.29.37.0",
        "server auth" => "1.3.6.1.5.5.7.3.1",
        "client auth" => "1.3.6.1.5.5.7.3.2",
        "code signing" => "1.3.6.1.5.5.7.3.3",
        "email protection" | "s/mime" => "1.3.6.1.5.5.7.3.4",
        "ipsec end system" => "1.3.6.1.5.5.7.3.5",
        "ipsec tunnel" => "1.3.6.1.5.5.7.3.6",
        "ipsec user" => "1.3.6.1.5.5.7.3.7",
        "timestamping" => "1.3.6.1.5.5.7.3.8",
        "ocsp signing" => "1.3.6.1.5.5.7.3.9",
        "microsoft sgc" => "1.3.6.1.4.1.311.10.3.3",
        "netscape sgc" => "2.16.840.1.113730.4.1",
        _ => return None,
    })
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

/// Reads and validates a `-config` file (spec §3.4). The error's Display is what cfssl
/// prints after `Failed to load config file: `.
pub fn load(path: &str) -> Result<Config, Error> {
    if path.is_empty() {
        return Err(invalid("invalid path"));
    }
    // cfssl's text for a missing file is kept; other failures (a directory, a FIFO,
    // an oversized file) say what went wrong.
    let body =
        crate::input::read_file(path).map_err(|e| match std::path::Path::new(path).exists() {
            true => invalid(format!(
                "could not read configuration file: {}",
                e.message()
            )),
            false => invalid("could not read configuration file"),
        })?;
    parse(&body)
}

/// [`load`] for bytes already read.
pub fn parse(body: &[u8]) -> Result<Config, Error> {
    let unmarshal = |e: String| invalid(format!("failed to unmarshal configuration: {e}"));
    let value = gojson::parse(body).map_err(unmarshal)?;
    let raw = decode_config(&value).map_err(unmarshal)?;
    let signing = raw
        .signing
        .as_ref()
        .ok_or_else(|| Error::plain("No \"signing\" field present"))?;

    let default = match &signing.default {
        None => None,
        Some(p) => Some(populate(p, &raw)?),
    };
    let mut profiles = Vec::new();
    for (name, p) in signing.profiles.iter().flatten() {
        let p = p
            .as_ref()
            .ok_or_else(|| invalid("can't parse nil profile"))?;
        profiles.push((name.clone(), p, populate(p, &raw)?));
    }

    let default_ok = match (&signing.default, &default) {
        (Some(r), Some(p)) => valid_profile(r, p, true),
        _ => true,
    };
    if !default_ok || !profiles.iter().all(|(_, r, p)| valid_profile(r, p, false)) {
        return Err(invalid("invalid configuration"));
    }
    let signing = Signing {
        default: default.unwrap_or_else(Profile::default_signing),
        profiles: profiles.into_iter().map(|(n, _, p)| (n, p)).collect(),
    };
    signing.warn_skipped_settings();
    Ok(Config { signing })
}

/// cfssl's `SigningProfile.populate`: turns the decoded strings into durations, regexes
/// and remote/auth references, failing with the first problem in cfssl's order.
fn populate(raw: &RawProfile, cfg: &RawConfig) -> Result<Profile, Error> {
    let mut p = Profile {
        usages: raw.usages.clone(),
        issuer_urls: raw.issuer_urls.clone(),
        ocsp_url: raw.ocsp_url.clone(),
        crl_url: raw.crl_url.clone(),
        ca_constraint: raw.ca_constraint,
        ocsp_no_check: raw.ocsp_no_check,
        expiry: raw.expiry,
        expiry_string: raw.expiry_string.clone(),
        backdate: raw.backdate,
        not_before: raw.not_before,
        not_after: raw.not_after,
        name_whitelist: None,
        copy_extensions: raw.copy_extensions,
        allowed_extensions: raw.allowed_extensions.clone(),
        policies: raw.policies.clone(),
        csr_whitelist: raw.csr_whitelist,
        client_provides_serial_numbers: raw.client_provides_serial_numbers,
        lint_error_level: raw.lint_error_level,
        remote: String::new(),
        remote_server: String::new(),
        auth: None,
        prev_auth: None,
        remote_auth: None,
        skips_local_settings: false,
    };
    let find_remote = |name: &str| match cfg.remotes.iter().rev().find(|(n, _)| n == name) {
        Some((_, addr)) if !addr.is_empty() => Ok(addr.clone()),
        _ => Err(invalid("failed to find remote in remotes section")),
    };

    if raw.remote.is_empty() && raw.auth_remote.remote.is_empty() {
        if raw.expiry_string.is_empty() {
            return Err(invalid("empty expiry string"));
        }
        p.expiry = duration::parse(&raw.expiry_string).map_err(invalid)?;
        if !raw.backdate_string.is_empty() {
            p.backdate = duration::parse(&raw.backdate_string).map_err(invalid)?;
        }
        if let (Some(nb), Some(na)) = (p.not_before, p.not_after) {
            // cfssl crashes here (it wraps a nil error, exit 2); a message is kinder,
            // and the status stays.
            if na < nb {
                return Err(Error::abort(format!(
                    "invalid configuration: not_after ({}) is before not_before ({})",
                    na.to_rfc3339(),
                    nb.to_rfc3339()
                )));
            }
        }
        for q in raw.policies.iter().flat_map(|pol| &pol.qualifiers) {
            if !matches!(q.kind.as_str(), "" | "id-qt-unotice" | "id-qt-cps") {
                return Err(invalid("invalid policy qualifier type"));
            }
        }
    } else if !raw.remote.is_empty() {
        if !raw.auth_remote.remote.is_empty() {
            return Err(invalid("Invalid or unknown policy"));
        }
        p.remote_server = find_remote(&raw.remote)?;
        p.remote = raw.remote.clone();
    } else {
        p.remote_server = find_remote(&raw.auth_remote.remote)?;
        p.remote = raw.auth_remote.remote.clone();
    }
    p.skips_local_settings = !p.remote.is_empty() && has_local_config(raw);

    let checks = [
        (
            &raw.auth_key,
            "failed to find auth_key in auth_keys section",
        ),
        (
            &raw.prev_auth_key,
            "failed to find prev_auth_key in auth_keys section",
        ),
        (
            &raw.auth_remote.auth_key,
            "failed to find auth_remote's auth_key in auth_keys section",
        ),
    ];
    let mut keys: [Option<crate::auth::Key>; 3] = Default::default();
    for (slot, (name, missing)) in keys.iter_mut().zip(checks) {
        if name.is_empty() {
            continue;
        }
        let Some((_, key)) = cfg.auth_keys.iter().rev().find(|(n, _)| n == name) else {
            return Err(invalid(missing));
        };
        if key.kind != "standard" {
            return Err(invalid("unknown authentication type"));
        }
        let key = crate::auth::Key::parse(&key.key)
            .map_err(|_| invalid("failed to create new standard auth provider"))?;
        *slot = Some(key);
    }
    [p.auth, p.prev_auth, p.remote_auth] = keys;

    if !raw.name_whitelist.is_empty() {
        p.name_whitelist = Some(
            regex::Regex::new(&raw.name_whitelist)
                .map_err(|_| invalid("failed to compile name whitelist section"))?,
        );
    }

    for source in &raw.ignored_lint_sources {
        if !LINT_SOURCES.contains(&source.trim()) {
            return Err(invalid(format!(
                "failed to build excluded lint source list: unknown source {}",
                crate::gojson::go_quote(source)
            )));
        }
    }
    Ok(p)
}

const LINT_SOURCES: &[&str] = &[
    "RFC5280",
    "RFC5480",
    "RFC5891",
    "CABF_BR",
    "CABF_EV",
    "Mozilla",
    "Apple",
    "Community",
    "ETSI_ESI",
];

/// cfssl's `hasLocalConfig`: values only a local signer uses.
fn has_local_config(raw: &RawProfile) -> bool {
    !raw.usages.is_empty()
        || raw.issuer_urls.is_some()
        || !raw.ocsp_url.is_empty()
        || !raw.expiry_string.is_empty()
        || !raw.backdate_string.is_empty()
        || raw.ca_constraint.is_ca
        || raw.not_before.is_some()
        || raw.not_after.is_some()
        || !raw.name_whitelist.is_empty()
}

/// cfssl's `validProfile`, the load-time step after every profile populated.
fn valid_profile(raw: &RawProfile, p: &Profile, is_default: bool) -> bool {
    if !raw.remote.is_empty() {
        return true;
    }
    if !raw.auth_remote.remote.is_empty() {
        return !raw.auth_remote.auth_key.is_empty();
    }
    if !raw.auth_remote.auth_key.is_empty() {
        return false;
    }
    if is_default {
        p.expiry != 0
    } else {
        p.usages
            .iter()
            .any(|u| key_usage_bit(u).is_some() || ext_key_usage_oid(u).is_some())
    }
}

// ---- decoding: Go's encoding/json into cfssl's structs ----

#[derive(Default)]
struct RawConfig {
    signing: Option<RawSigning>,
    auth_keys: Vec<(String, AuthKey)>,
    remotes: Vec<(String, String)>,
}

#[derive(Default)]
struct RawSigning {
    profiles: Option<Vec<(String, Option<RawProfile>)>>,
    default: Option<RawProfile>,
}

#[derive(Default)]
struct AuthKey {
    kind: String,
    key: String,
}

#[derive(Default)]
struct AuthRemote {
    remote: String,
    auth_key: String,
}

#[derive(Default)]
struct RawProfile {
    usages: Vec<String>,
    issuer_urls: Option<Vec<String>>,
    ocsp_url: String,
    crl_url: String,
    ca_constraint: CaConstraint,
    ocsp_no_check: bool,
    expiry_string: String,
    backdate_string: String,
    auth_key: String,
    copy_extensions: bool,
    prev_auth_key: String,
    remote: String,
    not_before: Option<DateTime<Utc>>,
    not_after: Option<DateTime<Utc>>,
    name_whitelist: String,
    auth_remote: AuthRemote,
    allowed_extensions: Vec<Oid>,
    lint_error_level: u8,
    ignored_lint_sources: Vec<String>,
    policies: Vec<CertificatePolicy>,
    expiry: i64,
    backdate: i64,
    csr_whitelist: Option<CsrWhitelist>,
    client_provides_serial_numbers: bool,
}

/// A custom decoder's error: Go stops decoding and reports it, ahead of any type mismatch.
type Fatal = String;

/// Go's field lookup: an exact name first, else the first field in struct order that
/// folds equal. `fields` must be in the Go struct's order.
fn match_field(key: &str, fields: &[&'static str]) -> Option<&'static str> {
    fields
        .iter()
        .find(|f| **f == key)
        .or_else(|| fields.iter().find(|f| go_equal_fold(f, key)))
        .copied()
}

/// Decodes each known key of object `v` (at `path`) in input order; `f` gets the Go
/// field name, and the value's path as the input spells it (for Go's type errors).
fn for_fields<'v>(
    v: &'v [(String, Value)],
    path: &str,
    fields: &[&'static str],
    mut f: impl FnMut(&'static str, String, &'v Value) -> Result<(), Fatal>,
) -> Result<(), Fatal> {
    for (key, value) in v {
        if let Some(name) = match_field(key, fields) {
            f(name, join(path, key), value)?;
        }
    }
    Ok(())
}

/// Inserts into a Go map: a repeated key replaces the value in place.
fn map_insert<T>(map: &mut Vec<(String, T)>, key: &str, value: T) {
    match map.iter_mut().find(|(k, _)| k == key) {
        Some(slot) => slot.1 = value,
        None => map.push((key.to_string(), value)),
    }
}

/// The whole `Config` decode; `Err` is the Go error text (syntax is checked before).
fn decode_config(v: &Value) -> Result<RawConfig, String> {
    let mut te = TypeErrors::default();
    let mut cfg = RawConfig::default();
    match v {
        // Go would crash on a `null` document; "no signing" is the honest answer.
        Value::Null => {}
        Value::Object(o) => decode_config_fields(&mut te, o, &mut cfg)?,
        other => te.record(other, "", "", "config.Config"),
    }
    te.into_result()?;
    Ok(cfg)
}

fn decode_config_fields(
    te: &mut TypeErrors,
    o: &[(String, Value)],
    cfg: &mut RawConfig,
) -> Result<(), Fatal> {
    for_fields(
        o,
        "",
        &["signing", "ocsp", "auth_keys", "remotes"],
        |name, fp, v| {
            match (name, v) {
                ("signing", Value::Null) => cfg.signing = None,
                ("signing", Value::Object(o)) => {
                    let s = cfg.signing.get_or_insert_with(RawSigning::default);
                    decode_signing(te, o, &fp, s)?;
                }
                ("signing", other) => te.record(other, "", &fp, "config.Signing"),
                // The OCSP responder settings don't matter to the CLI; only the shape does.
                ("ocsp", Value::Null | Value::Object(_)) => {}
                ("ocsp", other) => te.record(other, "", &fp, "config.Config"),
                ("auth_keys", Value::Null) => cfg.auth_keys.clear(),
                ("auth_keys", Value::Object(entries)) => {
                    for (k, entry) in entries {
                        let path = join(&fp, k);
                        let mut key = AuthKey::default();
                        match entry {
                            Value::Object(o) => {
                                for_fields(o, &path, &["type", "key"], |f, fp, v| {
                                    let target = if f == "type" {
                                        &mut key.kind
                                    } else {
                                        &mut key.key
                                    };
                                    set_string(te, v, &fp, target);
                                    Ok(())
                                })?
                            }
                            Value::Null => {}
                            other => te.record(other, "", &path, "config.AuthKey"),
                        }
                        map_insert(&mut cfg.auth_keys, k, key);
                    }
                }
                ("auth_keys", other) => te.record(other, "", &fp, "map[string]config.AuthKey"),
                ("remotes", Value::Null) => cfg.remotes.clear(),
                ("remotes", Value::Object(entries)) => {
                    for (k, entry) in entries {
                        let mut addr = String::new();
                        set_string(te, entry, &join(&fp, k), &mut addr);
                        map_insert(&mut cfg.remotes, k, addr);
                    }
                }
                (_, other) => te.record(other, "", &fp, "map[string]string"),
            }
            Ok(())
        },
    )
}

fn decode_signing(
    te: &mut TypeErrors,
    o: &[(String, Value)],
    path: &str,
    s: &mut RawSigning,
) -> Result<(), Fatal> {
    for_fields(o, path, &["profiles", "default"], |name, path, v| {
        match (name, v) {
            ("profiles", Value::Null) => s.profiles = None,
            ("profiles", Value::Object(entries)) => {
                let map = s.profiles.get_or_insert_with(Vec::new);
                for (k, entry) in entries {
                    let entry_path = join(&path, k);
                    let profile = match entry {
                        Value::Object(o) => {
                            let mut p = RawProfile::default();
                            decode_profile(te, o, &entry_path, &mut p)?;
                            Some(p)
                        }
                        Value::Null => None,
                        other => {
                            te.record(other, "", &entry_path, "config.SigningProfile");
                            None
                        }
                    };
                    map_insert(map, k, profile);
                }
            }
            ("profiles", other) => te.record(other, "", &path, "map[string]*config.SigningProfile"),
            (_, Value::Null) => s.default = None,
            (_, Value::Object(o)) => {
                let p = s.default.get_or_insert_with(RawProfile::default);
                decode_profile(te, o, &path, p)?;
            }
            (_, other) => te.record(other, "", &path, "config.SigningProfile"),
        }
        Ok(())
    })
}

/// `SigningProfile`'s decodable fields in Go struct order; the order matters for
/// `"EXPIRY"` (string) vs the exact `"Expiry"` (integer nanoseconds).
const PROFILE_FIELDS: &[&str] = &[
    "usages",
    "issuer_urls",
    "ocsp_url",
    "crl_url",
    "ca_constraint",
    "ocsp_no_check",
    "expiry",
    "backdate",
    "auth_key",
    "copy_extensions",
    "prev_auth_key",
    "remote",
    "not_before",
    "not_after",
    "name_whitelist",
    "auth_remote",
    "ct_log_servers",
    "allowed_extensions",
    "cert_store",
    "lint_error_level",
    "ignored_lints",
    "ignored_lint_sources",
    "Policies",
    "Expiry",
    "Backdate",
    "CSRWhitelist",
    "ClientProvidesSerialNumbers",
];

fn decode_profile(
    te: &mut TypeErrors,
    o: &[(String, Value)],
    path: &str,
    p: &mut RawProfile,
) -> Result<(), Fatal> {
    for_fields(o, path, PROFILE_FIELDS, |name, fp, v| {
        match name {
            "usages" => set_strings(te, v, &fp, &mut p.usages),
            "issuer_urls" => match v {
                Value::Null => p.issuer_urls = None,
                _ => {
                    if let Some(list) = te.strings(v, "", &fp) {
                        p.issuer_urls = Some(list);
                    }
                }
            },
            "ocsp_url" => set_string(te, v, &fp, &mut p.ocsp_url),
            "crl_url" => set_string(te, v, &fp, &mut p.crl_url),
            "ca_constraint" => match v {
                Value::Object(o) => {
                    let c = &mut p.ca_constraint;
                    for_fields(
                        o,
                        &fp,
                        &["is_ca", "max_path_len", "max_path_len_zero"],
                        |f, fp, v| {
                            match f {
                                "is_ca" => set_bool(te, v, &fp, &mut c.is_ca),
                                "max_path_len_zero" => {
                                    set_bool(te, v, &fp, &mut c.max_path_len_zero)
                                }
                                _ => {
                                    if let Some(n) = te.int(v, "", &fp) {
                                        c.max_path_len = n;
                                    }
                                }
                            }
                            Ok(())
                        },
                    )?
                }
                Value::Null => {}
                other => te.record(other, "", &fp, "config.CAConstraint"),
            },
            "ocsp_no_check" => set_bool(te, v, &fp, &mut p.ocsp_no_check),
            "expiry" => set_string(te, v, &fp, &mut p.expiry_string),
            "backdate" => set_string(te, v, &fp, &mut p.backdate_string),
            "auth_key" => set_string(te, v, &fp, &mut p.auth_key),
            "copy_extensions" => set_bool(te, v, &fp, &mut p.copy_extensions),
            "prev_auth_key" => set_string(te, v, &fp, &mut p.prev_auth_key),
            "remote" => set_string(te, v, &fp, &mut p.remote),
            "not_before" => decode_time(te, v, &fp, &mut p.not_before)?,
            "not_after" => decode_time(te, v, &fp, &mut p.not_after)?,
            "name_whitelist" => set_string(te, v, &fp, &mut p.name_whitelist),
            "auth_remote" => match v {
                Value::Object(o) => {
                    let r = &mut p.auth_remote;
                    for_fields(o, &fp, &["remote", "auth_key"], |f, fp, v| {
                        let target = if f == "remote" {
                            &mut r.remote
                        } else {
                            &mut r.auth_key
                        };
                        set_string(te, v, &fp, target);
                        Ok(())
                    })?
                }
                Value::Null => {}
                other => te.record(other, "", &fp, "config.AuthRemote"),
            },
            // Parsed only for their type errors: CT submission and zlint aren't reachable.
            "ct_log_servers" | "ignored_lints" => {
                te.strings(v, "", &fp);
            }
            "allowed_extensions" => match v {
                Value::Null => p.allowed_extensions.clear(),
                Value::Array(items) => {
                    p.allowed_extensions = items.iter().map(decode_oid).collect::<Result<_, _>>()?
                }
                other => te.record(other, "", &fp, "[]config.OID"),
            },
            "cert_store" => {
                te.string(v, "", &fp);
            }
            "lint_error_level" => p.lint_error_level = decode_lint_level(v)?,
            "ignored_lint_sources" => set_strings(te, v, &fp, &mut p.ignored_lint_sources),
            "Policies" => match v {
                Value::Null => p.policies.clear(),
                Value::Array(items) => {
                    let mut out = Vec::with_capacity(items.len());
                    for (i, item) in items.iter().enumerate() {
                        let mut pol = CertificatePolicy::default();
                        let ip = format!("{fp}.{i}");
                        match item {
                            Value::Object(o) => decode_policy(te, o, &ip, &mut pol)?,
                            Value::Null => {}
                            other => te.record(other, "", &ip, "config.CertificatePolicy"),
                        }
                        out.push(pol);
                    }
                    p.policies = out;
                }
                other => te.record(other, "", &fp, "[]config.CertificatePolicy"),
            },
            "Expiry" => set_nanos(te, v, &fp, &mut p.expiry),
            "Backdate" => set_nanos(te, v, &fp, &mut p.backdate),
            "CSRWhitelist" => match v {
                Value::Null => p.csr_whitelist = None,
                Value::Object(o) => {
                    let w = p.csr_whitelist.get_or_insert_with(CsrWhitelist::default);
                    decode_csr_whitelist(te, o, &fp, w)?;
                }
                other => te.record(other, "", &fp, "config.CSRWhitelist"),
            },
            _ => set_bool(te, v, &fp, &mut p.client_provides_serial_numbers),
        }
        Ok(())
    })
}

fn decode_policy(
    te: &mut TypeErrors,
    o: &[(String, Value)],
    path: &str,
    pol: &mut CertificatePolicy,
) -> Result<(), Fatal> {
    for_fields(o, path, &["ID", "Qualifiers"], |name, fp, v| {
        match (name, v) {
            ("ID", v) => pol.id = decode_oid(v)?,
            (_, Value::Null) => pol.qualifiers.clear(),
            (_, Value::Array(items)) => {
                pol.qualifiers = Vec::with_capacity(items.len());
                for (i, item) in items.iter().enumerate() {
                    let mut q = PolicyQualifier::default();
                    let ip = format!("{fp}.{i}");
                    match item {
                        Value::Object(o) => for_fields(o, &ip, &["Type", "Value"], |f, fp, v| {
                            let target = if f == "Type" {
                                &mut q.kind
                            } else {
                                &mut q.value
                            };
                            set_string(te, v, &fp, target);
                            Ok(())
                        })?,
                        Value::Null => {}
                        other => te.record(other, "", &ip, "config.CertificatePolicyQualifier"),
                    }
                    pol.qualifiers.push(q);
                }
            }
            (_, other) => te.record(other, "", &fp, "[]config.CertificatePolicyQualifier"),
        }
        Ok(())
    })
}

fn decode_csr_whitelist(
    te: &mut TypeErrors,
    o: &[(String, Value)],
    path: &str,
    w: &mut CsrWhitelist,
) -> Result<(), Fatal> {
    const FIELDS: &[&str] = &[
        "Subject",
        "PublicKeyAlgorithm",
        "PublicKey",
        "SignatureAlgorithm",
        "DNSNames",
        "IPAddresses",
        "EmailAddresses",
        "URIs",
    ];
    for_fields(o, path, FIELDS, |name, fp, v| {
        let target = match name {
            "Subject" => &mut w.subject,
            "PublicKeyAlgorithm" => &mut w.public_key_algorithm,
            "PublicKey" => &mut w.public_key,
            "SignatureAlgorithm" => &mut w.signature_algorithm,
            "DNSNames" => &mut w.dns_names,
            "IPAddresses" => &mut w.ip_addresses,
            "EmailAddresses" => &mut w.email_addresses,
            _ => &mut w.uris,
        };
        set_bool(te, v, &fp, target);
        Ok(())
    })
}

fn set_string(te: &mut TypeErrors, v: &Value, path: &str, target: &mut String) {
    if let Some(s) = te.string(v, "", path) {
        *target = s;
    }
}

fn set_bool(te: &mut TypeErrors, v: &Value, path: &str, target: &mut bool) {
    if let Some(b) = te.bool(v, "", path) {
        *target = b;
    }
}

/// A `[]string`: `null` empties it, as Go sets the slice to nil.
fn set_strings(te: &mut TypeErrors, v: &Value, path: &str, target: &mut Vec<String>) {
    match v {
        Value::Null => target.clear(),
        _ => {
            if let Some(list) = te.strings(v, "", path) {
                *target = list;
            }
        }
    }
}

/// A `time.Duration` field: Go reads it as integer nanoseconds.
fn set_nanos(te: &mut TypeErrors, v: &Value, path: &str, target: &mut i64) {
    match v {
        Value::Null => {}
        Value::Number(n) => match n.parse::<i64>() {
            Ok(n) => *target = n,
            Err(_) => te.record(v, "", path, "time.Duration"),
        },
        other => te.record(other, "", path, "time.Duration"),
    }
}

/// The value's JSON text, for decoders that quote what they were given.
fn raw_json(v: &Value) -> String {
    match v {
        Value::Null => "null".into(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.clone(),
        Value::String(s) => format!("\"{s}\""),
        Value::Array(items) => {
            let parts: Vec<String> = items.iter().map(raw_json).collect();
            format!("[{}]", parts.join(","))
        }
        Value::Object(o) => {
            let parts: Vec<String> = o
                .iter()
                .map(|(k, v)| format!("\"{k}\":{}", raw_json(v)))
                .collect();
            format!("{{{}}}", parts.join(","))
        }
    }
}

/// cfssl's `OID.UnmarshalJSON` (even `null` is refused).
fn decode_oid(v: &Value) -> Result<Oid, Fatal> {
    let Value::String(s) = v else {
        return Err(format!(
            "OID JSON string not wrapped in quotes.{}",
            raw_json(v)
        ));
    };
    // cfssl's check is the unanchored regexp `\d(\.\d+)*`, i.e. "contains a digit".
    if !s.bytes().any(|b| b.is_ascii_digit()) {
        return Err("Invalid OID".into());
    }
    s.split('.').map(go_atoi).collect::<Result<_, _>>().map(Oid)
}

/// `strconv.Atoi` with its error texts.
fn go_atoi(s: &str) -> Result<i64, String> {
    use std::num::IntErrorKind::*;
    s.parse::<i64>().map_err(|e| {
        let why = match e.kind() {
            PosOverflow | NegOverflow => "value out of range",
            _ => "invalid syntax",
        };
        format!(
            "strconv.Atoi: parsing {}: {why}",
            crate::gojson::go_quote(s)
        )
    })
}

/// zlint's `LintStatus.UnmarshalJSON`: the raw JSON with every `"` removed must be a label.
fn decode_lint_level(v: &Value) -> Result<u8, Fatal> {
    let raw = raw_json(v);
    const LABELS: [&str; 8] = [
        "reserved", "NA", "NE", "pass", "info", "warn", "error", "fatal",
    ];
    let key = raw.replace('"', "");
    LABELS
        .iter()
        .position(|l| *l == key)
        .map(|i| i as u8)
        .ok_or_else(|| format!("bad LintStatus JSON value: {raw}"))
}

/// `time.Time.UnmarshalJSON`: `null` leaves the field unset, the zero time counts as unset.
fn decode_time(
    te: &mut TypeErrors,
    v: &Value,
    path: &str,
    target: &mut Option<DateTime<Utc>>,
) -> Result<(), Fatal> {
    match v {
        Value::Null => Ok(()),
        Value::String(s) => {
            let t = parse_rfc3339(s)?;
            let zero = Utc.with_ymd_and_hms(1, 1, 1, 0, 0, 0).single();
            *target = if Some(t) == zero { None } else { Some(t) };
            Ok(())
        }
        other => {
            te.record(other, "", path, "time.Time");
            Ok(())
        }
    }
}

/// Go's strict RFC 3339 parse (`time.Parse(time.RFC3339, s)` plus the JSON decoder's
/// extra checks), with Go's error texts.
pub(crate) fn parse_rfc3339(s: &str) -> Result<DateTime<Utc>, String> {
    const LAYOUT: &str = "2006-01-02T15:04:05Z07:00";
    let q = |x: &[u8]| duration::quote(&String::from_utf8_lossy(x));
    let cannot = |rest: &[u8], elem: &str| {
        format!(
            "parsing time {} as {}: cannot parse {} as {}",
            q(s.as_bytes()),
            duration::quote(LAYOUT),
            q(rest),
            duration::quote(elem)
        )
    };
    let with_msg = |msg: &str| format!("parsing time {}{msg}", q(s.as_bytes()));
    let out_of_range = |what: &str| with_msg(&format!(": {what} out of range"));
    let digit = |v: &[u8], i: usize| v.get(i).is_some_and(|b| b.is_ascii_digit());
    // Go's getnum: one or two digits, exactly two when `fixed`.
    let getnum = |v: &[u8], fixed: bool| -> Option<(u32, usize)> {
        if !digit(v, 0) {
            return None;
        }
        if !digit(v, 1) {
            return (!fixed).then(|| (u32::from(v[0] - b'0'), 1));
        }
        Some((u32::from(v[0] - b'0') * 10 + u32::from(v[1] - b'0'), 2))
    };
    let skip = |v: &mut &[u8], lit: u8| -> Result<(), String> {
        if v.first() != Some(&lit) {
            return Err(cannot(v, &(lit as char).to_string()));
        }
        *v = &v[1..];
        Ok(())
    };

    let mut v = s.as_bytes();
    // Year: four bytes through Go's atoi, which allows a sign.
    let year: i32 = if v.len() < 4 {
        return Err(cannot(v, "2006"));
    } else {
        let (head, rest) = v.split_at(4);
        let text = std::str::from_utf8(head).map_err(|_| cannot(v, "2006"))?;
        let digits = text.strip_prefix(['-', '+']).unwrap_or(text);
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(cannot(v, "2006"));
        }
        let n: i32 = digits.parse().map_err(|_| cannot(v, "2006"))?;
        v = rest;
        if text.starts_with('-') {
            -n
        } else {
            n
        }
    };
    let signed_year = !head_is_digits(s);
    skip(&mut v, b'-')?;
    let (month, n) = getnum(v, true).ok_or_else(|| cannot(v, "01"))?;
    if !(1..=12).contains(&month) {
        return Err(out_of_range("month"));
    }
    v = &v[n..];
    skip(&mut v, b'-')?;
    let (day, n) = getnum(v, true).ok_or_else(|| cannot(v, "02"))?;
    if day > 31 {
        return Err(out_of_range("day"));
    }
    v = &v[n..];
    skip(&mut v, b'T')?;
    let hour_start = v;
    let (hour, n) = getnum(v, false).ok_or_else(|| cannot(v, "15"))?;
    if hour >= 24 {
        return Err(out_of_range("hour"));
    }
    let short_hour = n == 1;
    v = &v[n..];
    skip(&mut v, b':')?;
    let (minute, n) = getnum(v, true).ok_or_else(|| cannot(v, "04"))?;
    if minute >= 60 {
        return Err(out_of_range("minute"));
    }
    v = &v[n..];
    skip(&mut v, b':')?;
    let (second, n) = getnum(v, true).ok_or_else(|| cannot(v, "05"))?;
    if second >= 60 {
        return Err(out_of_range("second"));
    }
    v = &v[n..];
    let mut nanos = 0u32;
    let mut comma = false;
    if v.len() >= 2 && (v[0] == b'.' || v[0] == b',') && digit(v, 1) {
        comma = v[0] == b',';
        let n = 1 + v[1..].iter().take_while(|b| b.is_ascii_digit()).count();
        // Go keeps nine digits of precision and ignores the rest.
        let padded = v[1..n].iter().chain(std::iter::repeat(&b'0'));
        for d in padded.take(9) {
            nanos = nanos * 10 + u32::from(d - b'0');
        }
        v = &v[n..];
    }
    let tz_start = v;
    let mut tz = (0, 0);
    let negative = v.first() == Some(&b'-');
    if v.first() == Some(&b'Z') {
        v = &v[1..];
    } else {
        if v.len() < 6 || v[3] != b':' || !(v[0] == b'+' || v[0] == b'-') {
            return Err(cannot(tz_start, "Z07:00"));
        }
        let hh = getnum(&v[1..3], true).ok_or_else(|| cannot(tz_start, "Z07:00"))?;
        let mm = getnum(&v[4..6], true).ok_or_else(|| cannot(tz_start, "Z07:00"))?;
        if hh.0 > 24 {
            return Err(out_of_range("time zone offset hour"));
        }
        if mm.0 > 60 {
            return Err(out_of_range("time zone offset minute"));
        }
        tz = (hh.0, mm.0);
        v = &v[6..];
    }
    if !v.is_empty() {
        return Err(with_msg(&format!(": extra text: {}", q(v))));
    }
    let date = NaiveDate::from_ymd_opt(year, month, day).filter(|d| d.day() == day);
    let Some(date) = date else {
        return Err(with_msg(": day out of range"));
    };
    // What time.Parse accepts but RFC 3339 (and so the JSON decoder) doesn't.
    if short_hour {
        return Err(cannot(&hour_start[..1], "15"));
    }
    if comma {
        return Err(cannot(b",", "."));
    }
    if tz.0 >= 24 {
        return Err(with_msg(": timezone hour out of range"));
    }
    if tz.1 >= 60 {
        return Err(with_msg(": timezone minute out of range"));
    }
    if signed_year {
        return Err(cannot(s.as_bytes(), LAYOUT));
    }
    let offset_secs = (tz.0 * 3600 + tz.1 * 60) as i32;
    let offset = FixedOffset::east_opt(if negative { -offset_secs } else { offset_secs })
        .ok_or_else(|| out_of_range("time zone offset hour"))?;
    date.and_hms_nano_opt(hour, minute, second, nanos)
        .and_then(|naive| offset.from_local_datetime(&naive).single())
        .map(|t| t.with_timezone(&Utc))
        .ok_or_else(|| with_msg(": out of range"))
}

fn head_is_digits(s: &str) -> bool {
    s.len() >= 4 && s.as_bytes()[..4].iter().all(|b| b.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    const H: i64 = HOUR;

    fn golden(case: &str, file: &str) -> String {
        format!(
            "{}/../tests/golden/cases/{case}/{file}",
            env!("CARGO_MANIFEST_DIR")
        )
    }

    fn load_golden(case: &str, file: &str) -> Config {
        load(&golden(case, file)).unwrap_or_else(|e| panic!("{case}/{file}: {e}"))
    }

    fn err(json: &str) -> String {
        parse(json.as_bytes()).unwrap_err().to_string()
    }

    fn coded(msg: &str) -> String {
        Error::coded(5200, msg).to_string()
    }

    /// A valid config around one default profile body.
    fn with_default(body: &str) -> String {
        format!(r#"{{"signing":{{"default":{{{body}}}}}}}"#)
    }

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    const SERVER: &str = "1.3.6.1.5.5.7.3.1";
    const CLIENT: &str = "1.3.6.1.5.5.7.3.2";

    #[test]
    fn golden_error_config_stderr() {
        let mut stderr = String::new();
        for file in ["no-signing.json", "not-json.json", "no-expiry.json"] {
            let e = load(&golden("error-config", file)).unwrap_err();
            stderr.push_str(&format!("Failed to load config file: {e}"));
        }
        let want = std::fs::read_to_string(golden("error-config", "expected/stderr")).unwrap();
        assert_eq!(stderr, want);
    }

    #[test]
    fn missing_file() {
        assert_eq!(
            load("/nonexistent/cfg.json").unwrap_err().to_string(),
            r#"{"code":5200,"message":"could not read configuration file"}"#
        );
    }

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
    fn golden_all_usages() {
        let s = load_golden("gencert-all-usages", "ca-config.json").signing;
        let (ku, eku) = s.profile("everything").unwrap().key_usage();
        assert_eq!(ku, 0x1ff);
        assert_eq!(
            eku,
            [
                "2.5.29.37.0",
                SERVER,
                CLIENT,
                "1.3.6.1.5.5.7.3.3",
                "1.3.6.1.5.5.7.3.4",
                "1.3.6.1.5.5.7.3.4",
                "1.3.6.1.5.5.7.3.5",
                "1.3.6.1.5.5.7.3.6",
                "1.3.6.1.5.5.7.3.7",
                "1.3.6.1.5.5.7.3.8",
                "1.3.6.1.5.5.7.3.9",
                "1.3.6.1.4.1.311.10.3.3",
                "2.16.840.1.113730.4.1",
            ]
        );
        assert_eq!(
            s.profile("eku-only").unwrap().key_usage(),
            (
                0,
                vec![
                    "1.3.6.1.5.5.7.3.8",
                    "1.3.6.1.5.5.7.3.3",
                    "1.3.6.1.5.5.7.3.4"
                ]
            )
        );
        assert_eq!(
            s.profile("ku-only").unwrap().key_usage(),
            (
                KU_CRL_SIGN | KU_DIGITAL_SIGNATURE | KU_DECIPHER_ONLY,
                vec![]
            )
        );
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
    fn signing_section_errors() {
        assert_eq!(err("{}"), r#"No "signing" field present"#);
        assert_eq!(err(r#"{"signing":null}"#), r#"No "signing" field present"#);
        let s = parse(br#"{"signing":{}}"#).unwrap().signing;
        assert_eq!(s.default.expiry, 8760 * H);
        assert_eq!(s.default.usages, Profile::default_signing().usages);
        assert_eq!(
            err(""),
            coded("failed to unmarshal configuration: unexpected end of JSON input")
        );
        assert_eq!(
            err(r#"{"signing":"x"}"#),
            coded("failed to unmarshal configuration: json: cannot unmarshal string into Go struct field .signing of type config.Signing")
        );
        assert_eq!(
            err("[]"),
            coded("failed to unmarshal configuration: json: cannot unmarshal array into Go value of type config.Config")
        );
    }

    #[test]
    fn populate_errors_in_order() {
        let cases: &[(&str, &str)] = &[
            (r#""usages":["signing"]"#, "empty expiry string"),
            (
                r#""expiry":"1y""#,
                r#"time: unknown unit \"y\" in duration \"1y\""#,
            ),
            (
                r#""expiry":"10""#,
                r#"time: missing unit in duration \"10\""#,
            ),
            (
                r#""expiry":"1h","backdate":"x""#,
                r#"time: invalid duration \"x\""#,
            ),
            (
                r#""expiry":"1h","policies":[{"ID":"1.2.3","Qualifiers":[{"Type":"bogus"}]}]"#,
                "invalid policy qualifier type",
            ),
            (
                r#""remote":"nowhere""#,
                "failed to find remote in remotes section",
            ),
            (
                r#""auth_remote":{"remote":"nowhere"}"#,
                "failed to find remote in remotes section",
            ),
            (
                r#""expiry":"1h","auth_key":"k""#,
                "failed to find auth_key in auth_keys section",
            ),
            (
                r#""expiry":"1h","prev_auth_key":"k""#,
                "failed to find prev_auth_key in auth_keys section",
            ),
            (
                r#""expiry":"1h","auth_remote":{"auth_key":"k"}"#,
                "failed to find auth_remote's auth_key in auth_keys section",
            ),
            (
                r#""expiry":"1h","name_whitelist":"a(""#,
                "failed to compile name whitelist section",
            ),
            (
                r#""expiry":"1h","ignored_lint_sources":["RFC3279"]"#,
                r#"failed to build excluded lint source list: unknown source \"RFC3279\""#,
            ),
            (
                r#""expiry":"0s","usages":["signing"]"#,
                "invalid configuration",
            ),
            (
                r#""expiry":"1h","Policies":[{"ID":"abc"}]"#,
                "failed to unmarshal configuration: Invalid OID",
            ),
            (
                r#""expiry":"1h","policies":[{"ID":"1.x.3"}]"#,
                r#"failed to unmarshal configuration: strconv.Atoi: parsing \"x\": invalid syntax"#,
            ),
            (
                r#""expiry":"1h","allowed_extensions":[1.2]"#,
                "failed to unmarshal configuration: OID JSON string not wrapped in quotes.1.2",
            ),
            (
                r#""expiry":"1h","lint_error_level":5"#,
                "failed to unmarshal configuration: bad LintStatus JSON value: 5",
            ),
        ];
        for (body, want) in cases {
            let got = err(&with_default(body));
            let want_json = format!(r#"{{"code":5200,"message":"{want}"}}"#);
            assert_eq!(got, want_json, "{body}");
        }
        let e = parse(
            with_default(r#""expiry":"1h","not_before":"2024-01-02T00:00:00Z","not_after":"2024-01-01T00:00:00Z""#)
                .as_bytes(),
        )
        .unwrap_err();
        assert_eq!(e.exit_code(), 2, "cfssl panics here");
        assert_eq!(
            e.to_string(),
            "invalid configuration: not_after (2024-01-01T00:00:00+00:00) is before not_before (2024-01-02T00:00:00+00:00)"
        );
        // Both kinds of remote: the bare policy error.
        let both = r#"{"remotes":{"r":"127.0.0.1:8888"},"signing":{"default":{"remote":"r","auth_remote":{"remote":"r"}}}}"#;
        assert_eq!(err(both), coded("Invalid or unknown policy"));
    }

    #[test]
    fn auth_keys() {
        let cfg = |kind: &str, key: &str, profile: &str| {
            format!(
                r#"{{"auth_keys":{{"k":{{"type":"{kind}","key":"{key}"}}}},"remotes":{{"r":"h:1"}},"signing":{{"default":{{"expiry":"1h"}},"profiles":{{"p":{{{profile}}}}}}}}}"#
            )
        };
        let local = r#""expiry":"1h","usages":["signing"],"auth_key":"k""#;
        assert!(parse(cfg("standard", "0123abcd", local).as_bytes()).is_ok());
        assert_eq!(
            err(&cfg("hmac", "00", local)),
            coded("unknown authentication type")
        );
        assert_eq!(
            err(&cfg("standard", "xyz", local)),
            coded("failed to create new standard auth provider")
        );
        let authremote = r#""auth_remote":{"remote":"r","auth_key":"k"}"#;
        let p = parse(cfg("standard", "00", authremote).as_bytes()).unwrap();
        let far = &p.signing.profiles[0].1;
        assert_eq!(far.remote_server, "h:1");
        assert_eq!(
            far.remote_auth,
            Some(crate::auth::Key::parse("00").unwrap())
        );
        assert!(far.auth.is_none() && !far.skips_local_settings);
        let p = parse(cfg("standard", "0123abcd", local).as_bytes()).unwrap();
        let key = p.signing.profiles[0].1.auth.as_ref().unwrap();
        assert!(key.verify(
            b"x",
            &crate::auth::Key::parse("0123abcd").unwrap().token(b"x")
        ));
        // An auth remote needs its key; a local profile mustn't have one.
        assert_eq!(
            err(&cfg("standard", "00", r#""auth_remote":{"remote":"r"}"#)),
            coded("invalid configuration")
        );
        assert_eq!(
            err(&cfg(
                "standard",
                "00",
                r#""expiry":"1h","usages":["signing"],"auth_remote":{"auth_key":"k"}"#
            )),
            coded("invalid configuration")
        );
    }

    #[test]
    fn named_profiles_need_a_known_usage() {
        let cfg = |usages: &str| {
            format!(
                r#"{{"signing":{{"default":{{"expiry":"1h"}},"profiles":{{"p":{{"expiry":"1h","usages":{usages}}}}}}}}}"#
            )
        };
        assert_eq!(err(&cfg("[]")), coded("invalid configuration"));
        assert_eq!(err(&cfg(r#"["Signing"]"#)), coded("invalid configuration"));
        let s = parse(cfg(r#"["bogus","server auth"]"#).as_bytes())
            .unwrap()
            .signing;
        assert_eq!(s.profile("p").unwrap().key_usage(), (0, vec![SERVER]));
        // The default may lack usages: that only fails when signing with it.
        assert_eq!(
            s.profile("")
                .unwrap()
                .check_key_usage()
                .unwrap_err()
                .to_string(),
            r#"{"code":5100,"message":"Invalid policy: no key usage available"}"#
        );
        assert!(s.profile("p").unwrap().check_key_usage().is_ok());
        assert_eq!(
            err(r#"{"signing":{"profiles":{"p":null}}}"#),
            coded("can't parse nil profile")
        );
    }

    #[test]
    fn go_field_matching() {
        // The exact key "Expiry" is the integer field; other spellings are the string.
        assert_eq!(
            err(&with_default(r#""Expiry":"1h""#)),
            coded("failed to unmarshal configuration: json: cannot unmarshal string into Go struct field .signing.default.Expiry of type time.Duration")
        );
        let s =
            parse(with_default(r#""EXPIRY":"2h","Usages":["signing"],"expiry":"3h""#).as_bytes())
                .unwrap()
                .signing;
        assert_eq!(s.default.expiry, 3 * H);
        let s = parse(with_default(r#""expiry":"2h","Backdate":60000000000"#).as_bytes())
            .unwrap()
            .signing;
        assert_eq!(s.default.backdate, MINUTE);
        // Type errors are reported after decoding, so a later syntax-valid custom
        // decoder failure wins over an earlier mismatch.
        assert_eq!(
            err(&with_default(
                r#""usages":"signing","lint_error_level":"loud""#
            )),
            coded(r#"failed to unmarshal configuration: bad LintStatus JSON value: "loud""#)
        );
        assert_eq!(
            err(r#"{"signing":{"profiles":{"p":{"ocsp_no_check":"yes"}}}}"#),
            coded("failed to unmarshal configuration: json: cannot unmarshal string into Go struct field .signing.profiles.p.ocsp_no_check of type bool")
        );
    }

    #[test]
    fn profile_fields() {
        let body = r#""expiry":"1h","backdate":"1m","issuer_urls":[],"copy_extensions":true,
            "not_before":"2024-05-01T12:00:00+02:00","not_after":"2025-05-01T00:00:00.5Z",
            "name_whitelist":"\\.example\\.com$","lint_error_level":"warn",
            "policies":[{"ID":"2.23.140.1.2.1","Qualifiers":[{"type":"id-qt-cps","value":"http://cps"}]}],
            "allowed_extensions":["1.2.3"],
            "CSRWhitelist":{"PublicKey":true,"dnsnames":true},"ClientProvidesSerialNumbers":true"#;
        let s = parse(with_default(body).as_bytes()).unwrap().signing;
        let p = s.profile("").unwrap();
        assert_eq!(p.backdate, MINUTE);
        assert_eq!(p.issuer_urls, Some(vec![]));
        assert!(p.copy_extensions);
        assert_eq!(p.not_before, Some(at("2024-05-01T10:00:00Z")));
        assert_eq!(p.not_after, Some(at("2025-05-01T00:00:00.5Z")));
        assert!(p.name_whitelist.as_ref().unwrap().is_match("a.example.com"));
        assert_eq!(p.lint_error_level, 5);
        assert_eq!(p.policies[0].id.to_string(), "2.23.140.1.2.1");
        assert_eq!(p.policies[0].qualifiers[0].kind, "id-qt-cps");
        assert_eq!(p.allowed_extensions, [Oid(vec![1, 2, 3])]);
        assert!(p.check_policies().is_ok());
        let w = p.csr_whitelist.unwrap();
        assert!(w.public_key && w.dns_names && !w.subject);
        assert!(p.client_provides_serial_numbers);
        assert_eq!(
            s.check_lint(&p).unwrap_err().to_string(),
            r#"{"code":2500,"message":"Private key is unavailable"}"#
        );

        let s = parse(
            with_default(r#""expiry":"1h","policies":[{"ID":"1.2","Qualifiers":[{"Value":"v"}]}]"#)
                .as_bytes(),
        )
        .unwrap()
        .signing;
        assert_eq!(
            s.profile("")
                .unwrap()
                .check_policies()
                .unwrap_err()
                .to_string(),
            coded("Invalid qualifier type in Policies ")
        );
    }

    #[test]
    fn time_errors() {
        let cases: &[(&str, &str)] = &[
            (
                "1",
                "json: cannot unmarshal number into Go struct field .signing.default.not_before of type time.Time",
            ),
            (
                r#""2024-01-01""#,
                r#"parsing time \"2024-01-01\" as \"2006-01-02T15:04:05Z07:00\": cannot parse \"\" as \"T\""#,
            ),
            (
                r#""2024-13-01T00:00:00Z""#,
                r#"parsing time \"2024-13-01T00:00:00Z\": month out of range"#,
            ),
            (
                r#""2023-02-29T00:00:00Z""#,
                r#"parsing time \"2023-02-29T00:00:00Z\": day out of range"#,
            ),
            (
                r#""2024-01-01T00:00:00Zx""#,
                r#"parsing time \"2024-01-01T00:00:00Zx\": extra text: \"x\""#,
            ),
            (
                r#""2024-01-01T1:00:00Z""#,
                r#"parsing time \"2024-01-01T1:00:00Z\" as \"2006-01-02T15:04:05Z07:00\": cannot parse \"1\" as \"15\""#,
            ),
            (
                r#""2024-01-01T00:00:00+0100""#,
                r#"parsing time \"2024-01-01T00:00:00+0100\" as \"2006-01-02T15:04:05Z07:00\": cannot parse \"+0100\" as \"Z07:00\""#,
            ),
        ];
        for (v, want) in cases {
            let got = err(&with_default(&format!(r#""expiry":"1h","not_before":{v}"#)));
            assert_eq!(
                got,
                format!(r#"{{"code":5200,"message":"failed to unmarshal configuration: {want}"}}"#),
                "{v}"
            );
        }
        // The zero time is Go's "unset".
        let s =
            parse(with_default(r#""expiry":"1h","not_before":"0001-01-01T00:00:00Z""#).as_bytes())
                .unwrap()
                .signing;
        assert_eq!(s.default.not_before, None);
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
