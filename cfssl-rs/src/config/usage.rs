pub const KU_DIGITAL_SIGNATURE: u16 = 1 << 0;
pub const KU_CONTENT_COMMITMENT: u16 = 1 << 1;
pub const KU_KEY_ENCIPHERMENT: u16 = 1 << 2;
pub const KU_DATA_ENCIPHERMENT: u16 = 1 << 3;
pub const KU_KEY_AGREEMENT: u16 = 1 << 4;
pub const KU_CERT_SIGN: u16 = 1 << 5;
pub const KU_CRL_SIGN: u16 = 1 << 6;
pub const KU_ENCIPHER_ONLY: u16 = 1 << 7;
pub const KU_DECIPHER_ONLY: u16 = 1 << 8;

pub(super) fn key_usage_bit(name: &str) -> Option<u16> {
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

pub(super) fn ext_key_usage_oid(name: &str) -> Option<&'static str> {
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

#[cfg(test)]
mod tests {
    use crate::config::test_support::*;
    use crate::config::*;

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
}
