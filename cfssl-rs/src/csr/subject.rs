//! The subject a request describes, in the shape of Go's `pkix.Name`.

use super::*;

/// A distinguished name in the shape of Go's `pkix.Name`, which fixes the RDN order.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Subject {
    pub country: Vec<String>,
    pub province: Vec<String>,
    pub locality: Vec<String>,
    pub street_address: Vec<String>,
    pub postal_code: Vec<String>,
    pub organization: Vec<String>,
    pub organizational_unit: Vec<String>,
    pub cn: String,
    pub serial_number: String,
    /// Other attributes (emailAddress, custom OIDs), each its own RDN, in order.
    pub extra: Vec<(String, String)>,
}

impl Subject {
    /// cfssl's `PopulateSubjectFromCSR`: the SUBJECT file's CN, per-type lists and serial
    /// number win where non-empty; the CSR's non-standard attributes are dropped.
    pub fn overridden_by(self, r: &Request) -> Subject {
        let csr_subject = self;
        let mut from_file = Subject {
            cn: r.cn.clone(),
            serial_number: r.serial_number.clone(),
            ..Subject::default()
        };
        for n in &r.names {
            let lists = [
                (&mut from_file.country, &n.c),
                (&mut from_file.province, &n.st),
                (&mut from_file.locality, &n.l),
                (&mut from_file.organization, &n.o),
                (&mut from_file.organizational_unit, &n.ou),
            ];
            for (list, v) in lists {
                if !v.is_empty() {
                    list.push(v.clone());
                }
            }
        }
        let pick =
            |mine: Vec<String>, theirs: Vec<String>| if mine.is_empty() { theirs } else { mine };
        let pick_one = |mine: String, theirs: String| if mine.is_empty() { theirs } else { mine };
        Subject {
            country: pick(from_file.country, csr_subject.country),
            province: pick(from_file.province, csr_subject.province),
            locality: pick(from_file.locality, csr_subject.locality),
            street_address: csr_subject.street_address,
            postal_code: csr_subject.postal_code,
            organization: pick(from_file.organization, csr_subject.organization),
            organizational_unit: pick(
                from_file.organizational_unit,
                csr_subject.organizational_unit,
            ),
            cn: pick_one(from_file.cn, csr_subject.cn),
            serial_number: pick_one(from_file.serial_number, csr_subject.serial_number),
            extra: Vec::new(),
        }
    }

    /// A parsed name regrouped as Go's `pkix.Name` holds it: the standard types collected
    /// per type (CN and serialNumber: the last one wins), every other attribute kept in
    /// order among the extras.
    pub fn from_name(name: &x509_parser::x509::X509Name) -> Subject {
        let mut s = Subject::default();
        for attr in name.iter().flat_map(|rdn| rdn.iter()) {
            let value = match attr.as_str() {
                Ok(v) => v.to_string(),
                Err(_) => String::from_utf8_lossy(attr.attr_value().data).into_owned(),
            };
            let oid = attr.attr_type().to_id_string();
            match oid.as_str() {
                "2.5.4.6" => s.country.push(value),
                "2.5.4.8" => s.province.push(value),
                "2.5.4.7" => s.locality.push(value),
                "2.5.4.9" => s.street_address.push(value),
                "2.5.4.17" => s.postal_code.push(value),
                "2.5.4.10" => s.organization.push(value),
                "2.5.4.11" => s.organizational_unit.push(value),
                "2.5.4.3" => s.cn = value,
                "2.5.4.5" => s.serial_number = value,
                _ => s.extra.push((oid, value)),
            }
        }
        s
    }

    /// The subject as Go holds it after a round trip through DER: cfssl's initca signs
    /// the CSR it just built, so `names[].OID` entries of standard types (2.5.4.17
    /// postalCode, 2.5.4.9 street, ...) land in their slots of Go's subject order, as
    /// they do for `sign` and `gencert -ca`.
    pub fn regrouped(self) -> Subject {
        let der = self.to_der();
        use x509_parser::prelude::FromDer as _;
        match x509_parser::x509::X509Name::from_der(&der) {
            Ok((_, name)) => Subject::from_name(&name),
            Err(_) => self,
        }
    }

    /// Only the attributes Go's `pkix.Name` has typed fields for, which is what Go writes
    /// back when it re-encodes a parsed name (the CRL issuer, selfsign's subject).
    pub fn without_extra(mut self) -> Subject {
        self.extra.clear();
        self
    }

    /// The Name DER: C, ST, L, street, postalCode, O, OU, CN, serialNumber, then the extra
    /// attributes. Several values of one type share one RDN; a type that also appears
    /// among the extras is left to the extras (Go's rule).
    pub fn to_der(&self) -> Vec<u8> {
        let cn = if self.cn.is_empty() {
            vec![]
        } else {
            vec![self.cn.clone()]
        };
        let serial = if self.serial_number.is_empty() {
            vec![]
        } else {
            vec![self.serial_number.clone()]
        };
        let standard: [(&str, &Vec<String>); 9] = [
            ("2.5.4.6", &self.country),
            ("2.5.4.8", &self.province),
            ("2.5.4.7", &self.locality),
            ("2.5.4.9", &self.street_address),
            ("2.5.4.17", &self.postal_code),
            ("2.5.4.10", &self.organization),
            ("2.5.4.11", &self.organizational_unit),
            ("2.5.4.3", &cn),
            ("2.5.4.5", &serial),
        ];
        let mut rdns = Vec::new();
        for (oid, values) in standard {
            if values.is_empty() || self.extra.iter().any(|(o, _)| o == oid) {
                continue;
            }
            let oid_der = asn1::oid(oid).unwrap_or_default();
            rdns.push(asn1::set_of(
                values.iter().map(|v| attribute(&oid_der, v)).collect(),
            ));
        }
        for (oid, value) in &self.extra {
            if let Some(oid_der) = asn1::oid(oid) {
                rdns.push(asn1::set_of(vec![attribute(&oid_der, value)]));
            }
        }
        asn1::tlv(asn1::SEQUENCE, &rdns.concat())
    }
}

/// Go marshals a string as PrintableString when every character allows it, else UTF8String.
fn attribute(oid_der: &[u8], value: &str) -> Vec<u8> {
    let printable = value
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || " '()+,-./:=?".contains(c));
    let tag = if printable {
        asn1::PRINTABLE_STRING
    } else {
        asn1::UTF8_STRING
    };
    asn1::seq(&[oid_der, &asn1::tlv(tag, value.as_bytes())])
}

#[cfg(test)]
mod tests {
    use super::*;
    use x509_parser::prelude::FromDer;

    #[test]
    fn subject_file_overrides_only_what_it_sets() {
        let csr_subject = Subject {
            country: vec!["US".into()],
            organization: vec!["Csr Org".into()],
            cn: "csr.example".into(),
            extra: vec![(OID_EMAIL.into(), "a@b.example".into())],
            ..Subject::default()
        };
        let r = Request::parse(br#"{"names":[{"O":"File Org"},{"OU":"Ops"}]}"#).unwrap();
        let s = csr_subject.overridden_by(&r);
        assert_eq!(s.country, vec!["US"]);
        assert_eq!(s.organization, vec!["File Org"]);
        assert_eq!(s.organizational_unit, vec!["Ops"]);
        assert_eq!(s.cn, "csr.example");
        assert!(s.extra.is_empty());
    }

    #[test]
    fn dn_order_types_and_multi_valued_rdns() {
        let r = Request::parse(
            br#"{"CN":"*.x","names":[{"O":"Alphabet Company","C":"US"},{"O":"Zeta","C":"DE"},{"O":"Beta","E":"a@b.c"}]}"#,
        )
        .unwrap();
        let der = r.subject().unwrap().to_der();
        let (_, name) = x509_parser::x509::X509Name::from_der(&der).unwrap();
        let rdns: Vec<Vec<String>> = name
            .iter()
            .map(|rdn| {
                rdn.iter()
                    .map(|a| format!("{}={}", a.attr_type(), a.as_str().unwrap_or("?")))
                    .collect()
            })
            .collect();
        assert_eq!(rdns[0], vec!["2.5.4.6=DE", "2.5.4.6=US"]);
        assert_eq!(
            rdns[1],
            vec![
                "2.5.4.10=Beta",
                "2.5.4.10=Zeta",
                "2.5.4.10=Alphabet Company"
            ]
        );
        assert_eq!(rdns[2], vec!["2.5.4.3=*.x"]);
        assert_eq!(rdns[3], vec!["1.2.840.113549.1.9.1=a@b.c"]);
        let cn_tag = name.iter_common_name().next().unwrap().attr_value().tag();
        assert_eq!(cn_tag.0, asn1::UTF8_STRING as u32);
    }

    #[test]
    fn extra_oid_replaces_standard_attribute() {
        let r = Request::parse(br#"{"CN":"a","names":[{"OID":{"2.5.4.3":"dup"}}]}"#).unwrap();
        let der = r.subject().unwrap().to_der();
        let (_, name) = x509_parser::x509::X509Name::from_der(&der).unwrap();
        assert_eq!(name.to_string(), "CN=dup");
    }

    #[test]
    fn bad_oid_is_cfssl_error() {
        let r = Request::parse(br#"{"names":[{"OID":{"1.2.abc":"x"}}]}"#).unwrap();
        assert_eq!(
            r.subject().unwrap_err().to_string(),
            r#"{"code":9300,"message":"invalid OID part abc"}"#
        );
    }
}
