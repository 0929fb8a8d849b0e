//! Facts about PEM objects (certificates, CSRs, private and public keys, CRLs; OCSP
//! responses are in `ocsp`),
//! in the structure of the golden expectations (`tests/golden/FORMAT.md`):
//! `facts` compare with ==, `random` by shape, `time` by the time rules.

use crate::der::{self, DerError, Result, Tlv};
use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::signature::{self as sig, KeyPair};
use serde_json::{json, Map, Value};

/// One object found in a text, with the raw parts the relations need.
#[derive(Debug, Clone)]
pub struct Object {
    /// byte range in the text it was found in (the `<PEM#K>` replacement)
    pub span: (usize, usize),
    pub kind: String,
    pub facts: Value,
    pub random: Value,
    /// certificates and CRLs only; the run-relative fields are added later
    pub time: Option<Map<String, Value>>,
    pub der: Option<Vec<u8>>,
    /// SubjectPublicKeyInfo DER (a private key's derived public key)
    pub spki: Option<Vec<u8>>,
    /// certificate notBefore or CRL thisUpdate, unix seconds
    pub reference_time: Option<i64>,
}

impl Object {
    pub(crate) fn new(kind: &str, facts: Value, random: Value) -> Object {
        Object {
            span: (0, 0),
            kind: kind.into(),
            facts,
            random,
            time: None,
            der: None,
            spki: None,
            reference_time: None,
        }
    }

    fn invalid(error: String) -> Object {
        Object::new(
            "invalid",
            json!({"type": "invalid", "error": error}),
            json!({}),
        )
    }
}

pub fn oid_name(oid: &str) -> String {
    let name = match oid {
        "2.5.4.3" => "CN",
        "2.5.4.4" => "SN",
        "2.5.4.5" => "serialNumber",
        "2.5.4.6" => "C",
        "2.5.4.7" => "L",
        "2.5.4.8" => "ST",
        "2.5.4.9" => "street",
        "2.5.4.10" => "O",
        "2.5.4.11" => "OU",
        "2.5.4.12" => "title",
        "2.5.4.17" => "postalCode",
        "2.5.4.42" => "GN",
        "0.9.2342.19200300.100.1.25" => "DC",
        "0.9.2342.19200300.100.1.1" => "UID",
        "1.2.840.113549.1.9.1" => "emailAddress",
        "1.2.840.113549.1.1.4" => "md5WithRSAEncryption",
        "1.2.840.113549.1.1.5" => "sha1WithRSAEncryption",
        "1.2.840.113549.1.1.11" => "sha256WithRSAEncryption",
        "1.2.840.113549.1.1.12" => "sha384WithRSAEncryption",
        "1.2.840.113549.1.1.13" => "sha512WithRSAEncryption",
        "1.2.840.113549.1.1.10" => "rsassaPss",
        "1.2.840.10045.4.1" => "ecdsa-with-SHA1",
        "1.2.840.10045.4.3.2" => "ecdsa-with-SHA256",
        "1.2.840.10045.4.3.3" => "ecdsa-with-SHA384",
        "1.2.840.10045.4.3.4" => "ecdsa-with-SHA512",
        "1.3.101.112" => "Ed25519",
        "1.3.101.113" => "Ed448",
        "1.2.840.113549.1.1.1" => "rsaEncryption",
        "1.2.840.10045.2.1" => "id-ecPublicKey",
        "1.2.840.10045.3.1.7" => "secp256r1",
        "1.3.132.0.34" => "secp384r1",
        "1.3.132.0.35" => "secp521r1",
        "1.3.132.0.10" => "secp256k1",
        "1.2.840.10045.3.1.1" => "secp192r1",
        "1.3.132.0.33" => "secp224r1",
        "2.5.29.14" => "subjectKeyIdentifier",
        "2.5.29.15" => "keyUsage",
        "2.5.29.17" => "subjectAltName",
        "2.5.29.18" => "issuerAltName",
        "2.5.29.19" => "basicConstraints",
        "2.5.29.30" => "nameConstraints",
        "2.5.29.31" => "cRLDistributionPoints",
        "2.5.29.32" => "certificatePolicies",
        "2.5.29.35" => "authorityKeyIdentifier",
        "2.5.29.37" => "extKeyUsage",
        "2.5.29.20" => "cRLNumber",
        "2.5.29.21" => "reasonCode",
        "2.5.29.24" => "invalidityDate",
        "2.5.29.27" => "deltaCRLIndicator",
        "2.5.29.28" => "issuingDistributionPoint",
        "1.3.6.1.5.5.7.1.1" => "authorityInfoAccess",
        "1.3.6.1.5.5.7.48.1.5" => "ocspNoCheck",
        "1.3.6.1.4.1.11129.2.4.2" => "ctSCTList",
        "1.3.6.1.4.1.11129.2.4.3" => "ctPoison",
        "1.3.6.1.4.1.44363.44" => "delegationUsage",
        "2.5.29.37.0" => "any",
        "1.3.6.1.5.5.7.3.1" => "serverAuth",
        "1.3.6.1.5.5.7.3.2" => "clientAuth",
        "1.3.6.1.5.5.7.3.3" => "codeSigning",
        "1.3.6.1.5.5.7.3.4" => "emailProtection",
        "1.3.6.1.5.5.7.3.5" => "ipsecEndSystem",
        "1.3.6.1.5.5.7.3.6" => "ipsecTunnel",
        "1.3.6.1.5.5.7.3.7" => "ipsecUser",
        "1.3.6.1.5.5.7.3.8" => "timeStamping",
        "1.3.6.1.5.5.7.3.9" => "OCSPSigning",
        "1.3.6.1.4.1.311.10.3.3" => "microsoftServerGatedCrypto",
        "2.16.840.1.113730.4.1" => "netscapeServerGatedCrypto",
        "1.3.6.1.5.5.7.48.1" => "ocsp",
        "1.3.6.1.5.5.7.48.2" => "caIssuers",
        "1.3.6.1.5.5.7.48.1.1" => "id-pkix-ocsp-basic",
        "1.3.6.1.5.5.7.48.1.2" => "ocspNonce",
        "1.3.14.3.2.26" => "sha1",
        "2.16.840.1.101.3.4.2.1" => "sha256",
        "1.2.840.113549.1.9.14" => "extensionRequest",
        "1.2.840.113549.1.9.7" => "challengePassword",
        "1.3.6.1.5.5.7.2.1" => "cps",
        "1.3.6.1.5.5.7.2.2" => "unotice",
        _ => oid,
    };
    name.to_string()
}

fn curve_bits(curve: &str) -> Value {
    match curve {
        "secp256r1" | "secp256k1" => json!(256),
        "secp384r1" => json!(384),
        "secp521r1" => json!(521),
        "secp192r1" => json!(192),
        "secp224r1" => json!(224),
        _ => Value::Null,
    }
}

const RSA_OID: &str = "1.2.840.113549.1.1.1";
const EC_OID: &str = "1.2.840.10045.2.1";
const ED25519_OID: &str = "1.3.101.112";
const ED448_OID: &str = "1.3.101.113";
const SKI_OID: &str = "2.5.29.14";
const AKI_OID: &str = "2.5.29.35";

pub(crate) fn sha1(data: &[u8]) -> Vec<u8> {
    aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA1_FOR_LEGACY_USE_ONLY, data)
        .as_ref()
        .to_vec()
}

fn sha256(data: &[u8]) -> Vec<u8> {
    aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, data)
        .as_ref()
        .to_vec()
}

// ---------------------------------------------------------------------------
// building blocks

/// AlgorithmIdentifier -> {oid, name, params}.
pub(crate) fn alg_id(t: &Tlv) -> Result<Value> {
    let ch = t.children()?;
    let first = ch
        .first()
        .ok_or_else(|| DerError("empty AlgorithmIdentifier".into()))?;
    let oid = der::oid(first)?;
    let params = match ch.get(1) {
        None => "absent".to_string(),
        Some(p) if p.is_universal(5) && p.content().is_empty() => "NULL".into(),
        Some(p) if p.is_universal(6) => oid_name(&der::oid(p)?),
        Some(p) => der::hex(p.raw()),
    };
    Ok(json!({"name": oid_name(&oid), "oid": oid, "params": params}))
}

/// Name -> list of RDNs, each a list of [oid, string type, value].
pub(crate) fn name_rdns(t: &Tlv) -> Result<Value> {
    let mut rdns = Vec::new();
    for rdn in t.children()? {
        let mut atvs = Vec::new();
        for atv in rdn.children()? {
            let ch = atv.children()?;
            let (Some(o), Some(v)) = (ch.first(), ch.get(1)) else {
                return Err(DerError("short AttributeTypeAndValue".into()));
            };
            atvs.push(json!([
                der::oid(o)?,
                der::tag_name(v),
                der::string_value(v)
            ]));
        }
        rdns.push(Value::Array(atvs));
    }
    Ok(Value::Array(rdns))
}

/// SubjectPublicKeyInfo -> (facts, random, subjectPublicKey bytes).
fn spki_info<'a>(t: &Tlv<'a>) -> Result<(Value, Map<String, Value>, &'a [u8])> {
    let ch = t.children()?;
    if ch.len() < 2 {
        return Err(DerError("short SubjectPublicKeyInfo".into()));
    }
    let alg = alg_id(&ch[0])?;
    let (unused, spk) = der::bitstring(&ch[1])?;
    let mut facts = Map::new();
    let mut rnd = Map::new();
    let alg_oid = alg["oid"].as_str().unwrap_or_default().to_string();
    let params = alg["params"].as_str().unwrap_or_default().to_string();
    facts.insert("algorithm".into(), alg);
    facts.insert("unused_bits".into(), json!(unused));
    match alg_oid.as_str() {
        RSA_OID => {
            let rk = der::parse(spk)?.children()?;
            if rk.len() < 2 {
                return Err(DerError("short RSAPublicKey".into()));
            }
            facts.insert("type".into(), json!("rsa"));
            facts.insert("bits".into(), json!(der::bit_length(rk[0].content())));
            facts.insert("exponent".into(), der::int_json(&rk[1]));
            rnd.insert("bytes".into(), json!(rk[0].content().len()));
        }
        EC_OID => {
            facts.insert("type".into(), json!("ec"));
            facts.insert("bits".into(), curve_bits(&params));
            facts.insert("curve".into(), json!(params));
            facts.insert("point_format".into(), json!(point_format(spk)));
            facts.insert("point_bytes".into(), json!(spk.len()));
        }
        ED25519_OID => {
            facts.insert("type".into(), json!("ed25519"));
            facts.insert("bits".into(), json!(256));
            facts.insert("key_bytes".into(), json!(spk.len()));
        }
        _ => {
            facts.insert("type".into(), json!("other"));
            rnd.insert("bytes".into(), json!(spk.len()));
        }
    }
    Ok((Value::Object(facts), rnd, spk))
}

fn point_format(point: &[u8]) -> &'static str {
    match point.first() {
        Some(4) => "uncompressed",
        Some(2) | Some(3) => "compressed",
        _ => "other",
    }
}

/// IPv6 text with the longest run (2 or more) of zero groups compressed, and
/// IPv4-mapped addresses in hex too (std would print `::ffff:1.2.3.4`).
fn ipv6_text(b: &[u8]) -> String {
    let groups: Vec<u16> = b
        .chunks(2)
        .map(|p| u16::from_be_bytes([p[0], p[1]]))
        .collect();
    let (mut best, mut best_len, mut i) = (0, 0, 0);
    while i < groups.len() {
        let run = groups[i..].iter().take_while(|&&g| g == 0).count();
        if run > best_len {
            (best, best_len) = (i, run);
        }
        i += run.max(1);
    }
    let hex = |gs: &[u16]| {
        gs.iter()
            .map(|g| format!("{g:x}"))
            .collect::<Vec<_>>()
            .join(":")
    };
    if best_len < 2 {
        return hex(&groups);
    }
    format!(
        "{}::{}",
        hex(&groups[..best]),
        hex(&groups[best + best_len..])
    )
}

fn general_name(gn: &Tlv) -> Result<Value> {
    let mut typ = if gn.class == 2 {
        match gn.num {
            0 => "other".to_string(),
            1 => "email".into(),
            2 => "dns".into(),
            3 => "x400".into(),
            4 => "dirname".into(),
            5 => "edipartyname".into(),
            6 => "uri".into(),
            7 => "ip".into(),
            8 => "rid".into(),
            n => format!("tag{n}"),
        }
    } else {
        der::tag_name(gn)
    };
    let c = gn.content();
    let val = match typ.as_str() {
        "email" | "dns" | "uri" => json!(der::latin1(c)),
        "ip" => match c.len() {
            4 => json!(std::net::Ipv4Addr::new(c[0], c[1], c[2], c[3]).to_string()),
            16 => {
                typ = "ip6".into();
                json!(ipv6_text(c))
            }
            _ => json!(format!("#{}", der::hex(c))),
        },
        "dirname" => name_rdns(&der::read_tlv(c, 0, c.len())?)?,
        "rid" => json!(der::oid_bytes(c)?),
        _ => json!(format!("#{}", der::hex(gn.raw()))),
    };
    Ok(json!([typ, val]))
}

fn general_names(t: &Tlv) -> Result<Vec<Value>> {
    t.children()?.iter().map(general_name).collect()
}

/// What the extension decoders need from the object around them.
#[derive(Default)]
pub(crate) struct ExtContext<'a> {
    spk: &'a [u8],
    spki_der: &'a [u8],
}

fn ski_method(ski: &[u8], spk: &[u8], spki_der: &[u8]) -> &'static str {
    let spk_sha1 = sha1(spk);
    if ski == spk_sha1.as_slice() {
        "sha1(subjectPublicKey)"
    } else if ski == sha1(spki_der).as_slice() {
        "sha1(SubjectPublicKeyInfo)"
    } else if ski == &sha256(spk)[..20] {
        "sha256(subjectPublicKey)[:20]"
    } else if ski.len() == 8 && ski[1..] == spk_sha1[13..] && ski[0] >> 4 == 4 {
        "rfc5280-method2"
    } else {
        "other"
    }
}

const KU_BITS: [&str; 9] = [
    "digitalSignature",
    "contentCommitment",
    "keyEncipherment",
    "dataEncipherment",
    "keyAgreement",
    "keyCertSign",
    "cRLSign",
    "encipherOnly",
    "decipherOnly",
];

/// One extension value -> (decoded facts, random shape).
fn decode_extension(oid: &str, val: &[u8], ctx: &ExtContext) -> (Value, Map<String, Value>) {
    let mut rnd = Map::new();
    match decode_extension_inner(oid, val, ctx, &mut rnd) {
        Ok(v) => (v, rnd),
        Err(e) => (json!({"der": der::hex(val), "decode_error": e.0}), rnd),
    }
}

fn decode_extension_inner(
    oid: &str,
    val: &[u8],
    ctx: &ExtContext,
    rnd: &mut Map<String, Value>,
) -> Result<Value> {
    let t = der::parse(val)?;
    let hex = der::hex(val);
    Ok(match oid {
        "2.5.29.15" => {
            let (_, bits) = der::bitstring(&t)?;
            let names: Vec<&str> = KU_BITS
                .iter()
                .enumerate()
                .filter(|(i, _)| bits.get(i / 8).is_some_and(|b| b & (0x80 >> (i % 8)) != 0))
                .map(|(_, n)| *n)
                .collect();
            json!({"bits": names, "der": hex})
        }
        "2.5.29.37" => {
            let oids = t
                .children()?
                .iter()
                .map(der::oid)
                .collect::<Result<Vec<_>>>()?;
            let names: Vec<String> = oids.iter().map(|o| oid_name(o)).collect();
            json!({"oids": oids, "names": names, "der": hex})
        }
        "2.5.29.19" => {
            let (mut ca, mut pathlen, mut ca_explicit) = (false, Value::Null, false);
            for c in t.children()? {
                if c.is_universal(1) {
                    ca = der::boolean(&c);
                    ca_explicit = true;
                } else if c.is_universal(2) {
                    pathlen = der::int_json(&c);
                }
            }
            let mut d = json!({"ca": ca, "pathlen": pathlen, "der": hex});
            if ca_explicit && !ca {
                d["ca_false_encoded"] = json!(true);
            }
            d
        }
        "2.5.29.17" | "2.5.29.18" => json!({"names": general_names(&t)?, "der": hex}),
        SKI_OID => {
            let ski = t.content();
            rnd.insert("bytes".into(), json!(ski.len()));
            json!({
                "method": ski_method(ski, ctx.spk, ctx.spki_der),
                "sha1_of_subject_public_key": ski == sha1(ctx.spk).as_slice(),
            })
        }
        AKI_OID => {
            let mut fields = Vec::new();
            for c in t.children()? {
                if c.is_context(0) {
                    fields.push("keyIdentifier");
                    rnd.insert("key_id_bytes".into(), json!(c.content().len()));
                } else if c.is_context(1) {
                    fields.push("authorityCertIssuer");
                } else if c.is_context(2) {
                    fields.push("authorityCertSerialNumber");
                }
            }
            json!({"fields": fields})
        }
        "2.5.29.31" => {
            let mut uris = Vec::new();
            for dp in t.children()? {
                for part in dp.children()? {
                    if !part.is_context(0) {
                        continue;
                    }
                    for full_name in part.children()? {
                        if full_name.is_context(0) {
                            for gn in general_names(&full_name)? {
                                uris.push(gn[1].clone());
                            }
                        }
                    }
                }
            }
            json!({"uris": uris, "der": hex})
        }
        "1.3.6.1.5.5.7.1.1" => {
            let mut access = Vec::new();
            for ad in t.children()? {
                let ch = ad.children()?;
                if ch.len() < 2 {
                    return Err(DerError("short AccessDescription".into()));
                }
                let gn = general_name(&ch[1])?;
                access.push(json!([oid_name(&der::oid(&ch[0])?), gn[0], gn[1]]));
            }
            json!({"access": access, "der": hex})
        }
        "2.5.29.32" => {
            let mut policies = Vec::new();
            for pi in t.children()? {
                let ch = pi.children()?;
                let first = ch
                    .first()
                    .ok_or_else(|| DerError("empty PolicyInformation".into()))?;
                policies.push(der::oid(first)?);
            }
            json!({"policies": policies, "der": hex})
        }
        _ => json!({"der": hex}),
    })
}

/// Extensions SEQUENCE -> (list of facts, list of random shapes).
pub(crate) fn extensions_list(t: &Tlv, ctx: &ExtContext) -> Result<(Vec<Value>, Vec<Value>)> {
    let (mut facts, mut rnds) = (Vec::new(), Vec::new());
    for ext in t.children()? {
        let ch = ext.children()?;
        if ch.len() < 2 {
            return Err(DerError("short Extension".into()));
        }
        let oid = der::oid(&ch[0])?;
        let (mut critical, mut encoded, mut idx) = (false, false, 1);
        if ch[1].is_universal(1) {
            critical = der::boolean(&ch[1]);
            encoded = true;
            idx = 2;
        }
        let value = ch
            .get(idx)
            .ok_or_else(|| DerError("Extension without value".into()))?;
        let (dec, rnd) = decode_extension(&oid, value.content(), ctx);
        let mut f = json!({"oid": oid, "name": oid_name(&oid), "critical": critical, "value": dec});
        if encoded && !critical {
            f["critical_false_encoded"] = json!(true);
        }
        facts.push(f);
        if !rnd.is_empty() {
            let mut r = rnd;
            r.insert("oid".into(), json!(oid));
            rnds.push(Value::Object(r));
        }
    }
    Ok((facts, rnds))
}

/// The extnValue contents of one extension in a certificate's or CRL's [n] extensions.
fn find_extension<'a>(fields: &[Tlv<'a>], tag: u64, want: &str) -> Option<&'a [u8]> {
    let outer = fields.iter().find(|t| t.is_context(tag))?;
    let list = outer.children().ok()?.into_iter().next()?;
    for ext in list.children().ok()? {
        let ch = ext.children().ok()?;
        if der::oid(ch.first()?).ok()? == want {
            return Some(ch.last()?.content());
        }
    }
    None
}

fn key_identifier_of_aki(aki_value: &[u8]) -> Option<Vec<u8>> {
    let t = der::parse(aki_value).ok()?;
    let kid = t.children().ok()?.into_iter().find(|c| c.is_context(0))?;
    Some(kid.content().to_vec())
}

// ---------------------------------------------------------------------------
// certificates

/// The parts of a certificate that several checks read.
pub struct CertParts<'a> {
    tbs_fields: Vec<Tlv<'a>>,
    i: usize,
}

impl<'a> CertParts<'a> {
    pub fn new(der_bytes: &'a [u8]) -> Result<CertParts<'a>> {
        let top = der::parse(der_bytes)?;
        let ch = top.children()?;
        let tbs = ch
            .first()
            .ok_or_else(|| DerError("empty certificate".into()))?;
        let tbs_fields = tbs.children()?;
        let i = usize::from(tbs_fields.first().is_some_and(|t| t.is_context(0)));
        if tbs_fields.len() < i + 6 {
            return Err(DerError("short TBSCertificate".into()));
        }
        Ok(CertParts { tbs_fields, i })
    }

    pub fn serial(&self) -> Tlv<'a> {
        self.tbs_fields[self.i]
    }
    pub fn issuer(&self) -> Tlv<'a> {
        self.tbs_fields[self.i + 2]
    }
    pub fn validity(&self) -> Result<Vec<Tlv<'a>>> {
        let v = self.tbs_fields[self.i + 3].children()?;
        if v.len() < 2 {
            return Err(DerError("short Validity".into()));
        }
        Ok(v)
    }
    pub fn subject(&self) -> Tlv<'a> {
        self.tbs_fields[self.i + 4]
    }
    pub fn spki(&self) -> Tlv<'a> {
        self.tbs_fields[self.i + 5]
    }
    fn rest(&self) -> &[Tlv<'a>] {
        &self.tbs_fields[self.i + 6..]
    }
    pub fn ski(&self) -> Option<Vec<u8>> {
        let v = find_extension(self.rest(), 3, SKI_OID)?;
        Some(der::parse(v).ok()?.content().to_vec())
    }
    pub fn aki_key_id(&self) -> Option<Vec<u8>> {
        key_identifier_of_aki(find_extension(self.rest(), 3, AKI_OID)?)
    }
}

/// (to-be-signed bytes, signature algorithm OID, signature) of a certificate, CSR or CRL.
fn signed_parts(der_bytes: &[u8]) -> Result<(&[u8], String, &[u8])> {
    let ch = der::parse(der_bytes)?.children()?;
    if ch.len() != 3 {
        return Err(DerError("not a signed object".into()));
    }
    let alg = ch[1].children()?;
    let alg_oid = der::oid(
        alg.first()
            .ok_or_else(|| DerError("empty AlgorithmIdentifier".into()))?,
    )?;
    Ok((ch[0].raw(), alg_oid, der::bitstring(&ch[2])?.1))
}

fn serial_sign(c: &[u8]) -> &'static str {
    let (negative, mag) = der::int_magnitude(c);
    if mag.is_empty() {
        "zero"
    } else if negative {
        "negative"
    } else {
        "positive"
    }
}

pub fn cert_facts(der_bytes: &[u8]) -> Result<Object> {
    let top = der::parse(der_bytes)?;
    let ch = top.children()?;
    if ch.len() != 3 {
        return Err(DerError("a certificate has 3 parts".into()));
    }
    let (c_alg, c_sig) = (ch[1], ch[2]);
    let parts = CertParts::new(der_bytes)?;
    let tbs = &parts.tbs_fields;
    let version = if parts.i == 1 {
        let v = tbs[0].children()?;
        der::int_i64(v.first().ok_or_else(|| DerError("empty version".into()))?) + 1
    } else {
        1
    };
    let serial = parts.serial();
    let tbs_alg = tbs[parts.i + 1];
    // a malformed inner AlgorithmIdentifier makes the certificate invalid, as for the reference
    alg_id(&tbs_alg)?;
    let validity = parts.validity()?;
    let nb = der::time(&validity[0])?;
    let na = der::time(&validity[1])?;
    let spki_t = parts.spki();
    let (pk_facts, pk_rnd, spk) = spki_info(&spki_t)?;
    let ctx = ExtContext {
        spk,
        spki_der: spki_t.raw(),
    };
    let sig_alg = alg_id(&c_alg)?;
    let (_, signature) = der::bitstring(&c_sig)?;
    let subject_equals_issuer = parts.issuer().raw() == parts.subject().raw();
    let unique_ids: Vec<String> = parts
        .rest()
        .iter()
        .filter(|t| t.class == 2 && (t.num == 1 || t.num == 2))
        .map(der::tag_name)
        .collect();
    let mut facts = json!({
        "type": "certificate",
        "version": version,
        "serial_sign": serial_sign(serial.content()),
        "serial_der_minimal": der::int_minimal(serial.content()),
        "signature_algorithm": sig_alg,
        "tbs_signature_algorithm_matches": tbs_alg.raw() == c_alg.raw(),
        "issuer": name_rdns(&parts.issuer())?,
        "subject": name_rdns(&parts.subject())?,
        "subject_equals_issuer": subject_equals_issuer,
        "validity": {
            "seconds": na.unix - nb.unix,
            "not_before_type": nb.kind,
            "not_after_type": na.kind,
            "not_before_second": nb.second,
        },
        "public_key": pk_facts,
        "unique_ids": unique_ids,
        "extensions": null,
    });
    let mut rnd = json!({
        "serial": {"bytes": serial.content().len(), "bits": der::bit_length(serial.content())},
        "signature": {"bytes": signature.len()},
    });
    if !pk_rnd.is_empty() {
        rnd["public_key"] = Value::Object(pk_rnd);
    }
    if let Some(ext) = parts.rest().iter().find(|t| t.is_context(3)) {
        let list = ext.children()?;
        let list = list
            .first()
            .ok_or_else(|| DerError("empty extensions".into()))?;
        let (ef, er) = extensions_list(list, &ctx)?;
        facts["extensions"] = Value::Array(ef);
        if !er.is_empty() {
            rnd["extensions"] = Value::Array(er);
        }
    }
    if subject_equals_issuer {
        facts["self_signature_verifies"] = verify_signed(der_bytes, der_bytes).into();
    }
    let mut time = Map::new();
    time.insert("not_before".into(), json!(der::iso(nb.unix)));
    time.insert("not_after".into(), json!(der::iso(na.unix)));
    let mut o = Object::new("certificate", facts, rnd);
    o.time = Some(time);
    o.spki = Some(spki_t.raw().to_vec());
    o.reference_time = Some(nb.unix);
    Ok(o)
}

fn key_id_text(b: Option<Vec<u8>>) -> String {
    b.unwrap_or_default()
        .iter()
        .map(|x| format!("{x:02X}"))
        .collect::<Vec<_>>()
        .join(":")
}

/// The fields `cfssl certinfo -cert` prints as strings, derived from the certificate.
pub fn certinfo_values(der_bytes: &[u8]) -> Result<Map<String, Value>> {
    let parts = CertParts::new(der_bytes)?;
    let validity = parts.validity()?;
    let mut m = Map::new();
    m.insert(
        "serial_number".into(),
        json!(der::int_decimal(parts.serial().content())),
    );
    m.insert(
        "not_before".into(),
        json!(der::iso(der::time(&validity[0])?.unix)),
    );
    m.insert(
        "not_after".into(),
        json!(der::iso(der::time(&validity[1])?.unix)),
    );
    m.insert("subject_key_id".into(), json!(key_id_text(parts.ski())));
    m.insert(
        "authority_key_id".into(),
        json!(key_id_text(parts.aki_key_id())),
    );
    Ok(m)
}

// ---------------------------------------------------------------------------
// signatures

/// Whether the public key of `issuer_cert` verifies the signature of `signed`
/// (a certificate, CSR or CRL); None when the key type can't be checked.
pub fn verify_signed(signed: &[u8], issuer_cert: &[u8]) -> Option<bool> {
    let spki = CertParts::new(issuer_cert).ok()?.spki().raw().to_vec();
    verify_with_spki(&spki, signed)
}

fn verify_with_spki(spki: &[u8], signed: &[u8]) -> Option<bool> {
    match signed_parts(signed) {
        Ok((tbs, sig_oid, signature)) => verify_parts(spki, tbs, &sig_oid, signature),
        Err(_) => {
            der::parse(spki).ok()?;
            Some(false)
        }
    }
}

/// Whether the key of `spki` (SubjectPublicKeyInfo DER) made `signature` over `tbs`
/// with the algorithm `sig_oid`; None when the key type can't be checked.
pub(crate) fn verify_parts(
    spki: &[u8],
    tbs: &[u8],
    sig_oid: &str,
    signature: &[u8],
) -> Option<bool> {
    let t = der::parse(spki).ok()?;
    let ch = t.children().ok()?;
    let alg = alg_id(ch.first()?).ok()?;
    let (_, key) = der::bitstring(ch.get(1)?).ok()?;
    let key_oid = alg["oid"].as_str()?;
    let curve = alg["params"].as_str()?;
    let verifier: Option<&'static dyn sig::VerificationAlgorithm> = match key_oid {
        RSA_OID => match sig_oid {
            "1.2.840.113549.1.1.5" => Some(&sig::RSA_PKCS1_1024_8192_SHA1_FOR_LEGACY_USE_ONLY),
            "1.2.840.113549.1.1.11" => Some(&sig::RSA_PKCS1_1024_8192_SHA256_FOR_LEGACY_USE_ONLY),
            "1.2.840.113549.1.1.12" => Some(&sig::RSA_PKCS1_2048_8192_SHA384),
            "1.2.840.113549.1.1.13" => Some(&sig::RSA_PKCS1_1024_8192_SHA512_FOR_LEGACY_USE_ONLY),
            _ => None,
        },
        EC_OID => match (curve, sig_oid) {
            ("secp256r1", "1.2.840.10045.4.1") => Some(&sig::ECDSA_P256_SHA1_ASN1),
            ("secp256r1", "1.2.840.10045.4.3.2") => Some(&sig::ECDSA_P256_SHA256_ASN1),
            ("secp256r1", "1.2.840.10045.4.3.3") => Some(&sig::ECDSA_P256_SHA384_ASN1),
            ("secp256r1", "1.2.840.10045.4.3.4") => Some(&sig::ECDSA_P256_SHA512_ASN1),
            ("secp384r1", "1.2.840.10045.4.3.2") => Some(&sig::ECDSA_P384_SHA256_ASN1),
            ("secp384r1", "1.2.840.10045.4.3.3") => Some(&sig::ECDSA_P384_SHA384_ASN1),
            ("secp384r1", "1.2.840.10045.4.3.4") => Some(&sig::ECDSA_P384_SHA512_ASN1),
            ("secp521r1", "1.2.840.10045.4.1") => Some(&sig::ECDSA_P521_SHA1_ASN1),
            ("secp521r1", "1.2.840.10045.4.3.2") => Some(&sig::ECDSA_P521_SHA256_ASN1),
            ("secp521r1", "1.2.840.10045.4.3.3") => Some(&sig::ECDSA_P521_SHA384_ASN1),
            ("secp521r1", "1.2.840.10045.4.3.4") => Some(&sig::ECDSA_P521_SHA512_ASN1),
            _ => None,
        },
        ED25519_OID => (sig_oid == ED25519_OID).then_some(&sig::ED25519 as _),
        // key types the reference can load but this checker can't verify
        ED448_OID => return None,
        _ => return None,
    };
    // a signature algorithm that does not fit the key counts as not verifying
    let Some(verifier) = verifier else {
        return Some(false);
    };
    Some(
        sig::UnparsedPublicKey::new(verifier, key)
            .verify(tbs, signature)
            .is_ok(),
    )
}

/// Relation of a certificate or CRL to a candidate issuer certificate.
pub struct IssuerRelation {
    pub name_matches: bool,
    pub aki_matches_issuer_ski: bool,
}

pub fn issuer_relation(object: &[u8], kind: &str, issuer_cert: &[u8]) -> Option<IssuerRelation> {
    let (issuer_raw, aki) = if kind == "crl" {
        let crl = CrlParts::new(object).ok()?;
        (crl.issuer().raw().to_vec(), crl.aki_key_id())
    } else {
        let parts = CertParts::new(object).ok()?;
        (parts.issuer().raw().to_vec(), parts.aki_key_id())
    };
    let issuer = CertParts::new(issuer_cert).ok()?;
    let ski = issuer.ski();
    Some(IssuerRelation {
        name_matches: issuer_raw == issuer.subject().raw(),
        aki_matches_issuer_ski: aki.is_some() && ski.is_some() && aki == ski,
    })
}

// ---------------------------------------------------------------------------
// CSRs

pub fn csr_facts(der_bytes: &[u8]) -> Result<Object> {
    let top = der::parse(der_bytes)?;
    let ch = top.children()?;
    if ch.len() != 3 {
        return Err(DerError("a CSR has 3 parts".into()));
    }
    let info = ch[0].children()?;
    if info.len() < 3 {
        return Err(DerError("short CertificationRequestInfo".into()));
    }
    let (pk_facts, pk_rnd, spk) = spki_info(&info[2])?;
    let ctx = ExtContext {
        spk,
        spki_der: info[2].raw(),
    };
    let mut rnd = Map::new();
    let mut attrs = Value::Null;
    if let Some(a0) = info.get(3).filter(|t| t.is_context(0)) {
        let mut list = Vec::new();
        for a in a0.children()? {
            let ach = a.children()?;
            if ach.len() < 2 {
                return Err(DerError("short Attribute".into()));
            }
            let oid = der::oid(&ach[0])?;
            let values = ach[1].children()?;
            let mut entry = json!({"oid": oid, "name": oid_name(&oid), "values": values.len()});
            match values.first() {
                Some(first) if oid == "1.2.840.113549.1.9.14" => {
                    let (ef, er) = extensions_list(first, &ctx)?;
                    entry["extensions"] = Value::Array(ef);
                    if !er.is_empty() {
                        rnd.insert("extensions".into(), Value::Array(er));
                    }
                }
                _ => entry["der"] = json!(der::hex(ach[1].raw())),
            }
            list.push(entry);
        }
        attrs = Value::Array(list);
    }
    let sig_alg = alg_id(&ch[1])?;
    let (_, signature) = der::bitstring(&ch[2])?;
    let facts = json!({
        "type": "csr",
        "version": der::int_json(&info[0]),
        "subject": name_rdns(&info[1])?,
        "public_key": pk_facts,
        "attributes": attrs,
        "signature_algorithm": sig_alg,
        "signature_valid": verify_with_spki(info[2].raw(), der_bytes),
    });
    rnd.insert("signature".into(), json!({"bytes": signature.len()}));
    if !pk_rnd.is_empty() {
        rnd.insert("public_key".into(), Value::Object(pk_rnd));
    }
    let mut o = Object::new("csr", facts, Value::Object(rnd));
    o.spki = Some(info[2].raw().to_vec());
    Ok(o)
}

// ---------------------------------------------------------------------------
// CRLs

struct CrlParts<'a> {
    tbs: Vec<Tlv<'a>>,
    i: usize,
}

impl<'a> CrlParts<'a> {
    /// TBSCertList: [version] signature issuer thisUpdate [nextUpdate] [revoked] [0]crlExtensions
    fn new(der_bytes: &'a [u8]) -> Result<CrlParts<'a>> {
        let ch = der::parse(der_bytes)?.children()?;
        if ch.len() != 3 {
            return Err(DerError("not a CRL".into()));
        }
        let tbs = ch[0].children()?;
        let i = usize::from(tbs.first().is_some_and(|t| t.is_universal(2)));
        let shaped = tbs.len() >= i + 3
            && tbs[i].is_universal(16)
            && tbs[i + 1].is_universal(16)
            && tbs[i + 2].is_time();
        if !shaped {
            return Err(DerError("not a CRL".into()));
        }
        Ok(CrlParts { tbs, i })
    }

    fn issuer(&self) -> Tlv<'a> {
        self.tbs[self.i + 1]
    }

    fn aki_key_id(&self) -> Option<Vec<u8>> {
        key_identifier_of_aki(find_extension(&self.tbs[self.i + 3..], 0, AKI_OID)?)
    }
}

pub fn looks_like_crl(der_bytes: &[u8]) -> bool {
    CrlParts::new(der_bytes).is_ok()
}

pub fn crl_facts(der_bytes: &[u8]) -> Result<Object> {
    let parts = CrlParts::new(der_bytes)?;
    let ch = der::parse(der_bytes)?.children()?;
    let (c_alg, c_sig) = (ch[1], ch[2]);
    let (tbs, i) = (&parts.tbs, parts.i);
    let version = if i == 1 { der::int_i64(&tbs[0]) + 1 } else { 1 };
    let tu = der::time(&tbs[i + 2])?;
    let mut rest = &tbs[i + 3..];
    let mut nu = None;
    if let Some(first) = rest.first().filter(|t| t.is_time()) {
        nu = Some(der::time(first)?);
        rest = &rest[1..];
    }
    let ctx = ExtContext::default();
    let mut revoked = Value::Null;
    let mut offsets = Vec::new();
    if let Some(list) = rest.first().filter(|t| t.is_universal(16)) {
        let mut entries = Vec::new();
        for ent in list.children()? {
            let ech = ent.children()?;
            if ech.len() < 2 {
                return Err(DerError("short revoked entry".into()));
            }
            let date = der::time(&ech[1])?;
            offsets.push(date.unix - tu.unix);
            let mut e = json!({
                "serial": der::int_decimal(ech[0].content()),
                "serial_der_minimal": der::int_minimal(ech[0].content()),
                "date_type": date.kind,
                "extensions": null,
            });
            if let Some(exts) = ech.get(2).filter(|t| t.is_universal(16)) {
                e["extensions"] = Value::Array(extensions_list(exts, &ctx)?.0);
            }
            entries.push(e);
        }
        revoked = Value::Array(entries);
        rest = &rest[1..];
    }
    let sig_alg = alg_id(&c_alg)?;
    // a malformed inner AlgorithmIdentifier makes the CRL invalid, as for the reference
    alg_id(&tbs[i])?;
    let (_, signature) = der::bitstring(&c_sig)?;
    let mut facts = json!({
        "type": "crl",
        "version": version,
        "signature_algorithm": sig_alg,
        "tbs_signature_algorithm_matches": tbs[i].raw() == c_alg.raw(),
        "issuer": name_rdns(&parts.issuer())?,
        "this_update_type": tu.kind,
        "next_update_type": nu.as_ref().map(|t| t.kind),
        "revoked": revoked,
        "extensions": null,
    });
    let mut rnd = json!({"signature": {"bytes": signature.len()}});
    if let Some(ext) = rest.iter().find(|t| t.is_context(0)) {
        let list = ext.children()?;
        let list = list
            .first()
            .ok_or_else(|| DerError("empty crlExtensions".into()))?;
        let (ef, er) = extensions_list(list, &ctx)?;
        facts["extensions"] = Value::Array(ef);
        if !er.is_empty() {
            rnd["extensions"] = Value::Array(er);
        }
    }
    let mut time = Map::new();
    time.insert("this_update".into(), json!(der::iso(tu.unix)));
    time.insert(
        "next_update".into(),
        json!(nu.as_ref().map(|t| der::iso(t.unix))),
    );
    time.insert(
        "next_update_minus_this_update_s".into(),
        json!(nu.as_ref().map(|t| t.unix - tu.unix)),
    );
    let range = (!offsets.is_empty())
        .then(|| json!([offsets.iter().min().unwrap(), offsets.iter().max().unwrap()]));
    time.insert("revocation_minus_this_update_s".into(), json!(range));
    let mut o = Object::new("crl", facts, rnd);
    o.time = Some(time);
    o.reference_time = Some(tu.unix);
    Ok(o)
}

// ---------------------------------------------------------------------------
// private and public keys

fn rsa_priv(ch: &[Tlv]) -> Value {
    json!({
        "structure": "PKCS#1 RSAPrivateKey",
        "version": der::int_json(&ch[0]),
        "algorithm": "rsa",
        "bits": der::bit_length(ch[1].content()),
        "public_exponent": der::int_json(&ch[2]),
        "integers": ch.iter().filter(|c| c.is_universal(2)).count(),
        "other_prime_infos": ch.len() > 9,
    })
}

fn is_rsa_priv(ch: &[Tlv]) -> bool {
    ch.len() >= 9 && ch[..9].iter().all(|c| c.is_universal(2))
}

fn sec1_priv(ch: &[Tlv], outer_curve: Option<&str>) -> Result<Value> {
    let mut d = json!({
        "structure": "SEC1 ECPrivateKey",
        "version": der::int_json(&ch[0]),
        "algorithm": "ec",
        "private_key_bytes": ch[1].content().len(),
        "params": "absent",
        "public_key": "absent",
    });
    let mut curve = outer_curve.map(str::to_owned);
    for c in &ch[2..] {
        if c.is_context(0) {
            let inner = c.children()?;
            let p = inner
                .first()
                .ok_or_else(|| DerError("empty parameters".into()))?;
            let name = if p.is_universal(6) {
                oid_name(&der::oid(p)?)
            } else {
                "explicit".into()
            };
            d["params"] = json!(name);
            curve = Some(name);
        } else if c.is_context(1) {
            let inner = c.children()?;
            let bits = inner
                .first()
                .ok_or_else(|| DerError("empty public key".into()))?;
            let (_, point) = der::bitstring(bits)?;
            d["public_key"] = json!(point_format(point));
            d["public_key_bytes"] = json!(point.len());
        }
    }
    d["bits"] = curve.as_deref().map_or(Value::Null, curve_bits);
    d["curve"] = json!(curve);
    Ok(d)
}

fn ecdsa_signing(curve: &str) -> Option<&'static sig::EcdsaSigningAlgorithm> {
    match curve {
        "secp256r1" => Some(&sig::ECDSA_P256_SHA256_ASN1_SIGNING),
        "secp384r1" => Some(&sig::ECDSA_P384_SHA384_ASN1_SIGNING),
        "secp521r1" => Some(&sig::ECDSA_P521_SHA512_ASN1_SIGNING),
        _ => None,
    }
}

/// The SubjectPublicKeyInfo of an RSA public key given as (n, e) INTEGER TLVs.
fn rsa_spki(n: &Tlv, e: &Tlv) -> Vec<u8> {
    fn tlv(tag: u8, content: &[u8]) -> Vec<u8> {
        let mut out = vec![tag];
        let len = content.len();
        if len < 0x80 {
            out.push(len as u8);
        } else {
            let bytes: Vec<u8> = len
                .to_be_bytes()
                .into_iter()
                .skip_while(|&b| b == 0)
                .collect();
            out.push(0x80 | bytes.len() as u8);
            out.extend(bytes);
        }
        out.extend_from_slice(content);
        out
    }
    fn minimal_int(c: &[u8]) -> Vec<u8> {
        let (_, mag) = der::int_magnitude(c);
        let mut v = if mag.first().is_some_and(|b| b & 0x80 != 0) {
            vec![0]
        } else {
            vec![]
        };
        v.extend(if mag.is_empty() { vec![0] } else { mag });
        tlv(0x02, &v)
    }
    let key = tlv(
        0x30,
        &[minimal_int(n.content()), minimal_int(e.content())].concat(),
    );
    let alg = tlv(
        0x30,
        &[
            tlv(
                0x06,
                &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01],
            ),
            vec![0x05, 0x00],
        ]
        .concat(),
    );
    let bits = tlv(0x03, &[&[0u8][..], &key].concat());
    tlv(0x30, &[alg, bits].concat())
}

/// Whether a standard crypto library loads the key, and its public key.
fn load_private_key(der_bytes: &[u8], facts: &Value) -> (bool, Option<Vec<u8>>) {
    let structure = facts["structure"].as_str().unwrap_or_default();
    let algorithm = facts["algorithm"].as_str().unwrap_or_default();
    let curve = facts["curve"].as_str().unwrap_or_default();
    let spki = |p: &dyn AsDer<aws_lc_rs::encoding::PublicKeyX509Der<'static>>| {
        p.as_der().ok().map(|d| d.as_ref().to_vec())
    };
    match (structure, algorithm) {
        ("PKCS#1 RSAPrivateKey", _) => match sig::RsaKeyPair::from_der(der_bytes) {
            Ok(k) => (true, spki(k.public_key())),
            // aws-lc-rs refuses RSA keys under 2048 bits that other libraries load
            Err(e) if e.description_() == "TooSmall" => {
                let t = der::parse(der_bytes).ok();
                let ch = t.and_then(|t| t.children().ok()).unwrap_or_default();
                (true, Some(rsa_spki(&ch[1], &ch[2])))
            }
            Err(_) => (false, None),
        },
        ("SEC1 ECPrivateKey", _) => match ecdsa_signing(curve) {
            Some(alg) => match sig::EcdsaKeyPair::from_private_key_der(alg, der_bytes) {
                Ok(k) => (true, spki(k.public_key())),
                Err(_) => (false, None),
            },
            None => (false, None),
        },
        ("PKCS#8 PrivateKeyInfo", "rsa") => match sig::RsaKeyPair::from_pkcs8(der_bytes) {
            Ok(k) => (true, spki(k.public_key())),
            Err(_) => (false, None),
        },
        ("PKCS#8 PrivateKeyInfo", "ec") => match ecdsa_signing(curve) {
            Some(alg) => match sig::EcdsaKeyPair::from_pkcs8(alg, der_bytes) {
                Ok(k) => (true, spki(k.public_key())),
                Err(_) => (false, None),
            },
            None => (false, None),
        },
        ("PKCS#8 PrivateKeyInfo", "ed25519") => {
            match sig::Ed25519KeyPair::from_pkcs8_maybe_unchecked(der_bytes) {
                Ok(k) => (true, spki(k.public_key())),
                Err(_) => (false, None),
            }
        }
        _ => (false, None),
    }
}

pub fn key_facts(der_bytes: &[u8]) -> Result<Object> {
    let t = der::parse(der_bytes)?;
    let ch = t.children()?;
    let mut facts = if is_rsa_priv(&ch) {
        rsa_priv(&ch)
    } else if ch.len() >= 2 && ch[0].is_universal(2) && ch[1].is_universal(4) {
        sec1_priv(&ch, None)?
    } else if ch.len() >= 3
        && ch[0].is_universal(2)
        && ch[1].is_universal(16)
        && ch[2].is_universal(4)
    {
        let alg = alg_id(&ch[1])?;
        let alg_oid = alg["oid"].as_str().unwrap_or_default().to_string();
        let inner_der = ch[2].content();
        let inner = match alg_oid.as_str() {
            RSA_OID => {
                let ich = der::parse(inner_der)?.children()?;
                if !is_rsa_priv(&ich) {
                    return Err(DerError("not an RSAPrivateKey".into()));
                }
                rsa_priv(&ich)
            }
            EC_OID => {
                let ich = der::parse(inner_der)?.children()?;
                if ich.len() < 2 {
                    return Err(DerError("short ECPrivateKey".into()));
                }
                sec1_priv(&ich, alg["params"].as_str())?
            }
            ED25519_OID | ED448_OID => {
                let it = der::parse(inner_der)?;
                let ed = alg_oid == ED25519_OID;
                json!({
                    "structure": "CurvePrivateKey OCTET STRING",
                    "algorithm": if ed { "ed25519" } else { "ed448" },
                    "private_key_bytes": it.content().len(),
                    "bits": if ed { 256 } else { 456 },
                })
            }
            _ => json!({"structure": "unknown", "algorithm": alg["name"]}),
        };
        let mut f = json!({
            "structure": "PKCS#8 PrivateKeyInfo",
            "version": der::int_json(&ch[0]),
            "key_algorithm": alg,
            "attributes": ch[3..].iter().any(|c| c.is_context(0)),
            "public_key": ch[3..].iter().any(|c| c.is_context(1)),
            "algorithm": inner.get("algorithm").cloned().unwrap_or(Value::Null),
            "bits": inner.get("bits").cloned().unwrap_or(Value::Null),
        });
        if let Some(curve) = inner.get("curve") {
            f["curve"] = curve.clone();
        }
        f["inner"] = inner;
        f
    } else if ch.len() == 2 && ch[0].is_universal(16) && ch[1].is_universal(4) {
        json!({
            "structure": "PKCS#8 EncryptedPrivateKeyInfo",
            "encryption_algorithm": alg_id(&ch[0])?["name"],
        })
    } else {
        json!({"structure": "unknown"})
    };
    facts["type"] = json!("private_key");
    let mut spki = None;
    if facts["structure"] != "PKCS#8 EncryptedPrivateKeyInfo" {
        let (loads, derived) = load_private_key(der_bytes, &facts);
        facts["loads"] = json!(loads);
        spki = derived;
    }
    let mut o = Object::new(
        "private_key",
        facts,
        json!({"der": {"bytes": der_bytes.len()}}),
    );
    o.spki = spki;
    Ok(o)
}

pub fn pubkey_facts(der_bytes: &[u8]) -> Result<Object> {
    let (pk, rnd, _) = spki_info(&der::parse(der_bytes)?)?;
    let random = if rnd.is_empty() {
        json!({})
    } else {
        json!({"public_key": rnd})
    };
    let mut o = Object::new(
        "public_key",
        json!({"type": "public_key", "public_key": pk}),
        random,
    );
    o.spki = Some(der_bytes.to_vec());
    Ok(o)
}

// ---------------------------------------------------------------------------
// PEM blocks and base64 CRL lines

fn label_kind(label: &str) -> Option<&'static str> {
    Some(match label {
        "CERTIFICATE" | "TRUSTED CERTIFICATE" => "certificate",
        "CERTIFICATE REQUEST" | "NEW CERTIFICATE REQUEST" => "csr",
        "RSA PRIVATE KEY"
        | "EC PRIVATE KEY"
        | "PRIVATE KEY"
        | "ENCRYPTED PRIVATE KEY"
        | "Ed25519 PRIVATE KEY"
        | "ED25519 PRIVATE KEY" => "private_key",
        "PUBLIC KEY" => "public_key",
        "X509 CRL" => "crl",
        _ => return None,
    })
}

fn facts_for_der(label: &str, der_bytes: &[u8]) -> Object {
    let result = match label_kind(label) {
        Some("certificate") => cert_facts(der_bytes),
        Some("csr") => csr_facts(der_bytes),
        Some("private_key") => key_facts(der_bytes),
        Some("public_key") => pubkey_facts(der_bytes),
        Some(_) => crl_facts(der_bytes),
        None => {
            let by_structure = cert_facts(der_bytes)
                .or_else(|_| csr_facts(der_bytes))
                .or_else(|_| key_facts(der_bytes));
            Ok(by_structure.unwrap_or_else(|_| {
                Object::new(
                    "unknown",
                    json!({"type": "unknown", "der_bytes": der_bytes.len()}),
                    json!({}),
                )
            }))
        }
    };
    let mut o = result.unwrap_or_else(|e| Object::invalid(e.0));
    o.der = Some(der_bytes.to_vec());
    o
}

fn pem_regex() -> &'static regex::Regex {
    static RE: std::sync::OnceLock<regex::Regex> = std::sync::OnceLock::new();
    RE.get_or_init(|| {
        regex::Regex::new(
            r"(?s)-----BEGIN ([^\r\n]*?)-----(\r?\n)(.*?)-----END ([^\r\n]*?)-----(\r?\n)?",
        )
        .expect("PEM regex")
    })
}

fn b64_line_regex() -> &'static regex::Regex {
    static RE: std::sync::OnceLock<regex::Regex> = std::sync::OnceLock::new();
    RE.get_or_init(|| {
        regex::Regex::new(r"(?m)^([A-Za-z0-9+/]{60,}={0,2})(\r?\n|$)").expect("base64 line regex")
    })
}

/// Strict base64 as the reference decodes it: the alphabet plus at most two
/// `=`, correct padding, non-zero trailing bits tolerated.
fn b64_decode(s: &str) -> std::result::Result<Vec<u8>, String> {
    use base64::engine::{general_purpose::GeneralPurpose, GeneralPurposeConfig};
    use base64::Engine;
    const ENGINE: GeneralPurpose = GeneralPurpose::new(
        &base64::alphabet::STANDARD,
        GeneralPurposeConfig::new().with_decode_allow_trailing_bits(true),
    );
    let body = s.trim_end_matches('=');
    if s.len() - body.len() > 2
        || !body
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'+' || b == b'/')
    {
        return Err("Non-base64 digit found".into());
    }
    ENGINE.decode(s).map_err(|e| e.to_string())
}

/// PEM blocks of a text, in order.
pub fn pem_objects(text: &str) -> Vec<Object> {
    let mut out = Vec::new();
    for m in pem_regex().captures_iter(text) {
        let whole = m.get(0).expect("match");
        let label = &m[1];
        let nl = &m[2];
        let mut lines: Vec<&str> = m[3].split(nl).collect();
        if lines.last() == Some(&"") {
            lines.pop();
        }
        let mut headers: Vec<&str> = Vec::new();
        let mut b64lines = &lines[..];
        if lines.iter().any(|l| l.contains(':')) {
            if let Some(k) = lines.iter().position(|l| l.is_empty()) {
                headers = lines[..k]
                    .iter()
                    .map(|l| l.split(':').next().unwrap_or(""))
                    .collect();
                b64lines = &lines[k + 1..];
            }
        }
        let first_len = b64lines.first().map_or(0, |l| l.chars().count());
        let layout = json!({
            "label": label,
            "end_label_matches": &m[4] == label,
            "line_ending": if nl == "\r\n" { "CRLF" } else { "LF" },
            "headers": headers,
            "max_line": b64lines.iter().map(|l| l.chars().count()).max().unwrap_or(0),
            "short_lines_before_last": b64lines[..b64lines.len().saturating_sub(1)]
                .iter()
                .filter(|l| l.chars().count() != first_len)
                .count(),
            "newline_after_end": m.get(5).is_some(),
        });
        let mut o = match b64_decode(&b64lines.concat()) {
            Ok(der_bytes) => facts_for_der(label, &der_bytes),
            Err(e) => Object::invalid(format!("base64: {e}")),
        };
        o.facts["pem"] = layout;
        o.span = (whole.start(), whole.end());
        out.push(o);
    }
    out
}

/// CRLs and OCSP responses written as one line of base64 DER, outside the given PEM spans.
fn b64_line_objects(text: &str, skip: &[(usize, usize)]) -> Vec<Object> {
    let mut out = Vec::new();
    for m in b64_line_regex().captures_iter(text) {
        let whole = m.get(0).expect("match");
        if skip
            .iter()
            .any(|&(a, b)| a <= whole.start() && whole.start() < b)
        {
            continue;
        }
        let Ok(der_bytes) = b64_decode(&m[1]) else {
            continue;
        };
        let Some(mut o) = b64_der_object(der_bytes) else {
            continue;
        };
        o.facts["pem"] = json!({
            "label": null,
            "encoding": "base64 line",
            "newline_after_end": !m[2].is_empty(),
        });
        o.span = (whole.start(), whole.end());
        out.push(o);
    }
    out
}

/// The object of base64-decoded DER that is a CRL or an OCSP response.
fn b64_der_object(der_bytes: Vec<u8>) -> Option<Object> {
    der::parse(&der_bytes).ok()?;
    let facts = if crate::ocsp::looks_like_ocsp(&der_bytes) {
        crate::ocsp::ocsp_facts(&der_bytes)
    } else if looks_like_crl(&der_bytes) {
        crl_facts(&der_bytes)
    } else {
        return None;
    };
    let mut o = facts.unwrap_or_else(|e| Object::invalid(e.0));
    o.der = Some(der_bytes);
    Some(o)
}

/// The object of a JSON string value that is nothing but the base64 of a DER CRL or
/// OCSP response (the `result` of the crl/gencrl endpoints, `ocspResponse`).
pub fn b64_value_object(value: &str) -> Option<Object> {
    static RE: std::sync::OnceLock<regex::Regex> = std::sync::OnceLock::new();
    let re = RE.get_or_init(|| regex::Regex::new(r"^[A-Za-z0-9+/]{60,}={0,2}$").expect("regex"));
    if !re.is_match(value) {
        return None;
    }
    let mut o = b64_der_object(b64_decode(value).ok()?)?;
    o.facts["pem"] = json!({"label": null, "encoding": "base64 value"});
    Some(o)
}

/// PEM blocks and base64-line CRLs and OCSP responses of a text, in order of appearance.
pub fn text_objects(text: &str) -> Vec<Object> {
    let mut objs = pem_objects(text);
    let spans: Vec<(usize, usize)> = objs.iter().map(|o| o.span).collect();
    objs.extend(b64_line_objects(text, &spans));
    objs.sort_by_key(|o| o.span.0);
    objs
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ipv6_like_python() {
        let ip = |s: &str| ipv6_text(&s.parse::<std::net::Ipv6Addr>().unwrap().octets());
        assert_eq!(ip("::"), "::");
        assert_eq!(ip("::1"), "::1");
        assert_eq!(ip("fe80::"), "fe80::");
        assert_eq!(ip("2001:db8::1"), "2001:db8::1");
        assert_eq!(ip("::ffff:1.2.3.4"), "::ffff:102:304");
        assert_eq!(ip("1:0:0:1:0:0:0:1"), "1:0:0:1::1");
        assert_eq!(ip("1:0:1:0:1:0:1:0"), "1:0:1:0:1:0:1:0");
        assert_eq!(ip("1:0:0:2:0:0:3:4"), "1::2:0:0:3:4");
    }
}
