//! cfssl's local signer: a CA certificate, its key and a signing policy, loaded once and
//! then used for any number of requests (the CLI signs one, the server many, from
//! several threads at once: nothing here is mutated after [`Local::new`]).

use super::{local_template, Info, InfoRequest, Issuer, SignRequest, Signer};
use crate::ca::{self, CaCert};
use crate::certdb::{self, CertDb};
use crate::config::Signing;
use crate::csr;
use crate::error::{Error, Result};
use crate::keys::PrivateKey;
use crate::output::pem;
use chrono::{DateTime, Utc};
use std::sync::Arc;

pub struct Local {
    ca: CaCert,
    key: PrivateKey,
    policy: Signing,
    /// With `-db-config`: every certificate signed gets its row, or is not handed out.
    db: Option<Arc<dyn CertDb>>,
    /// `serve -db-ocsp`: the responder that stores a `good` response beside each row.
    ocsp: Option<Arc<crate::ocsp::Signer>>,
}

impl std::fmt::Debug for Local {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Local")
            .field("ca", &self.ca)
            .field("key", &self.key)
            .finish_non_exhaustive()
    }
}

impl Local {
    /// A signer for a CA certificate and the key that belongs to it.
    pub fn new(ca: CaCert, key: PrivateKey, policy: Signing) -> Result<Local> {
        if key.spki_der() != ca.spki_der {
            return Err(Error::coded(
                1000,
                "x509: provided PrivateKey doesn't match parent's PublicKey",
            ));
        }
        Ok(Local {
            ca,
            key,
            policy,
            db: None,
            ocsp: None,
        })
    }

    /// Reads `-ca` and `-ca-key` (`[file:]path` or `env:VAR`) as cfssl's signer does;
    /// `key_password` (`CFSSL_CA_PK_PASSWORD`) decrypts a legacy-encrypted key.
    pub fn load(
        ca_arg: &str,
        ca_key_arg: &str,
        key_password: Option<&[u8]>,
        policy: Signing,
    ) -> Result<Local> {
        if ca_key_arg.is_empty() {
            return Err(Error::coded(2000, "Unknown private key error"));
        }
        let (cert, key) = ca::load(ca_arg, ca_key_arg, key_password)?;
        Local::new(cert, key, policy)
    }

    /// Stores each certificate this signer issues in `db`, as cfssl's signer with a
    /// DB accessor does.
    pub fn with_db(mut self, db: Option<Arc<dyn CertDb>>) -> Local {
        self.db = db;
        self
    }

    /// With a database: also signs a `good` OCSP response for each certificate issued
    /// and stores it in `ocsp_responses`, so a responder can answer for it at once.
    pub fn with_ocsp(mut self, ocsp: Option<Arc<crate::ocsp::Signer>>) -> Local {
        self.ocsp = ocsp;
        self
    }

    pub fn ca(&self) -> &CaCert {
        &self.ca
    }

    pub fn key(&self) -> &PrivateKey {
        &self.key
    }

    /// Signs and returns the certificate's DER; logs the serial as cfssl does.
    pub fn sign_der(&self, req: &SignRequest, now: DateTime<Utc>) -> Result<Vec<u8>> {
        let profile = self.policy.profile(&req.profile)?;
        self.policy.check_lint(&profile)?;
        let parsed = csr::parse_pem(&req.request)?;
        let t = local_template(&profile, &self.ca, &parsed, req, now)?;
        let issuer = Issuer {
            subject_der: &self.ca.subject_der,
            key_id: self.ca.key_id.as_deref(),
            key: &self.key,
        };
        let der = super::sign_logged(&t, Some(&issuer), &self.key)?;
        if let Some(db) = &self.db {
            certdb::record_issued(db.as_ref(), &der, &req.label, None, Utc::now())?;
            if let Some(ocsp) = &self.ocsp {
                let good = crate::ocsp::SignRequest::new(&der, "good");
                ocsp.sign_into(db.as_ref(), &good, Utc::now())?;
            }
        }
        Ok(der)
    }
}

impl Signer for Local {
    fn sign(&self, req: &SignRequest, now: DateTime<Utc>) -> Result<String> {
        self.sign_der(req, now).map(|der| pem("CERTIFICATE", &der))
    }

    fn info(&self, req: &InfoRequest) -> Result<Info> {
        let profile = self.policy.profile(&req.profile)?;
        Ok(Info {
            certificate: pem("CERTIFICATE", &self.ca.der).trim_end().to_string(),
            usages: profile.usages,
            expiry: profile.expiry_string,
        })
    }

    fn policy(&self) -> &Signing {
        &self.policy
    }
}
