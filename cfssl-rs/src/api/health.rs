//! `GET /health`: the server is up.

use super::envelope::Reply;
use super::{error::ApiError, App, Request};
use crate::gojson::Value;

pub fn process(_: &App, _: &Request) -> Result<Reply, ApiError> {
    Ok(Reply::new(Value::object([("healthy", Value::Bool(true))])))
}
