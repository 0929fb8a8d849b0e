//! How a failed request is answered (cfssl's `api.HandleError`): the HTTP status and
//! the code in the envelope are decided here, never by a handler.

use crate::error::Error;
use hyper::StatusCode;

/// A failed request, in the three kinds cfssl distinguishes.
#[derive(Debug, Clone, PartialEq)]
pub enum ApiError {
    /// One of cfssl's coded errors: status 400, the error's own code.
    Cfssl { code: u32, message: String },
    /// An HTTP error the handler chose (bad request, method not allowed, too large):
    /// that status, and the status number as the code.
    Http(StatusCode, String),
    /// Anything else: status 500, code 0.
    Other(String),
}

impl ApiError {
    pub fn bad_request(message: impl Into<String>) -> Self {
        ApiError::Http(StatusCode::BAD_REQUEST, message.into())
    }

    pub fn method_not_allowed(method: &str) -> Self {
        ApiError::Http(
            StatusCode::METHOD_NOT_ALLOWED,
            format!("Method is not allowed:\"{method}\""),
        )
    }

    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::Cfssl { .. } => StatusCode::BAD_REQUEST,
            ApiError::Http(status, _) => *status,
            ApiError::Other(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The code in the envelope and in the request log line.
    pub fn code(&self) -> u32 {
        match self {
            ApiError::Cfssl { code, .. } => *code,
            ApiError::Http(status, _) => u32::from(status.as_u16()),
            ApiError::Other(_) => 0,
        }
    }

    pub fn message(&self) -> &str {
        match self {
            ApiError::Cfssl { message, .. } | ApiError::Http(_, message) => message,
            ApiError::Other(message) => message,
        }
    }
}

/// A library error as cfssl's server reports it: coded errors keep their code, the rest
/// (I/O, decoding, Go's plain `error`s) are internal errors.
impl From<Error> for ApiError {
    fn from(e: Error) -> Self {
        match e {
            Error::Coded { code, message } => ApiError::Cfssl { code, message },
            other => ApiError::Other(other.message()),
        }
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ApiError::Cfssl { code, message } => {
                write!(f, "{}", Error::coded(*code, message.clone()))
            }
            other => f.write_str(other.message()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_and_codes_as_cfssl() {
        let coded = ApiError::from(Error::coded(9002, "CSR Decode failed"));
        assert_eq!((coded.status().as_u16(), coded.code()), (400, 9002));
        let plain = ApiError::from(Error::plain("strconv.ParseInt: parsing \"x\""));
        assert_eq!((plain.status().as_u16(), plain.code()), (500, 0));
        let m = ApiError::method_not_allowed("GET");
        assert_eq!((m.status().as_u16(), m.code()), (405, 405));
        assert_eq!(m.message(), "Method is not allowed:\"GET\"");
    }
}
