//! A CRL of the database's revoked, unexpired certificates (cfssl's `NewCRLFromDB`),
//! for `cfssl crl` and the server's `/crl`. Rows stream from the database cursor into
//! the CRL encoder one at a time, so a million revoked rows cost about one CRL of memory.

use super::CertDb;
use crate::ca::CaCert;
use crate::crl::{self, Crl, Issuer, RevokedList, Serial};
use crate::error::Result;
use crate::keys::PrivateKey;
use chrono::{DateTime, Utc};

/// Each entry's revocation date is its `revoked_at`; thisUpdate is `now`, nextUpdate
/// `now + lifetime`. No reason codes are written, as cfssl writes none.
pub fn from_db(
    db: &dyn CertDb,
    ca: &CaCert,
    key: &PrivateKey,
    now: DateTime<Utc>,
    lifetime: chrono::Duration,
) -> Result<Crl> {
    let issuer = Issuer::from_cert(ca)?;
    let mut revoked = RevokedList::new();
    let mut serial = Serial::parse_decimal(b"0");
    db.for_each_revoked_unexpired(&mut |entry| {
        serial.set_decimal(entry.serial.as_bytes());
        revoked.push(&serial, entry.revoked_at, None);
        Ok(())
    })?;
    crl::sign(revoked, &issuer, key, now, now + lifetime)
}
