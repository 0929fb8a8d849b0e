//! Endpoints cfssl registers whose back ends cfssl-rs does not have yet: they are
//! routed (and logged as enabled) exactly as cfssl does, and refuse clearly.

use super::envelope::Reply;
use super::{error::ApiError, App, Request};

fn refuse(what: &str) -> Result<Reply, ApiError> {
    Err(ApiError::Other(format!(
        "{what} is not supported by this cfssl-rs server yet"
    )))
}

pub fn db(_: &App, _: &Request) -> Result<Reply, ApiError> {
    refuse("the certificate database")
}
