//! Extended key usages as Go's verifier checks them: every certificate of the chain
//! must allow the usage the verifying side asks for (`server auth` when a client checks
//! a server, `client auth` when a server checks a client), and a certificate without
//! the extension allows everything. Key usage bits of leaves are ignored, as Go does.

use x509_parser::extensions::ExtendedKeyUsage;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Usage {
    ServerAuth,
    ClientAuth,
}

impl Usage {
    pub fn name(self) -> &'static str {
        match self {
            Usage::ServerAuth => "server auth",
            Usage::ClientAuth => "client auth",
        }
    }
}

/// The extended key usages of one certificate (absent extension: `present` false).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Eku {
    pub present: bool,
    pub any: bool,
    pub server_auth: bool,
    pub client_auth: bool,
    /// Netscape or Microsoft Server Gated Crypto, which Go takes as server auth.
    sgc: bool,
}

const NETSCAPE_SGC: &str = "2.16.840.1.113730.4.1";
const MICROSOFT_SGC: &str = "1.3.6.1.4.1.311.10.3.3";

impl Eku {
    pub fn from_parsed(e: Option<&ExtendedKeyUsage>) -> Eku {
        let Some(e) = e else {
            return Eku::default();
        };
        Eku {
            present: true,
            any: e.any,
            server_auth: e.server_auth,
            client_auth: e.client_auth,
            sgc: e
                .other
                .iter()
                .any(|o| matches!(o.to_id_string().as_str(), NETSCAPE_SGC | MICROSOFT_SGC)),
        }
    }

    pub fn allows(&self, u: Usage) -> bool {
        if !self.present || self.any {
            return true;
        }
        match u {
            Usage::ServerAuth => self.server_auth || self.sgc,
            Usage::ClientAuth => self.client_auth,
        }
    }
}

/// Go's `checkChainForKeyUsage` for one requested usage.
pub fn chain_allows(chain: &[super::chain::Cert], u: Usage) -> bool {
    chain.iter().all(|c| c.eku.allows(u))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn absent_extension_allows_everything_and_sgc_counts_as_server_auth() {
        assert!(Eku::default().allows(Usage::ClientAuth));
        let server = Eku {
            present: true,
            server_auth: true,
            ..Eku::default()
        };
        assert!(server.allows(Usage::ServerAuth));
        assert!(!server.allows(Usage::ClientAuth));
        let sgc = Eku {
            present: true,
            sgc: true,
            ..Eku::default()
        };
        assert!(sgc.allows(Usage::ServerAuth));
        assert!(!sgc.allows(Usage::ClientAuth));
    }
}
