//! The one error type of the library. Its `Display` is exactly what cfssl prints as the
//! last line of a failed command: coded errors as `{"code":N,"message":"..."}`, the rest
//! as plain text.

use crate::gojson;

#[derive(Debug, thiserror::Error, Clone, PartialEq)]
pub enum Error {
    /// One of cfssl's typed errors (`code` = category + reason, see spec §0.5).
    #[error("{}", coded_json(*.code, .message))]
    Coded { code: u32, message: String },
    /// Anything cfssl prints as plain text: I/O, JSON decoding, durations, usage mistakes.
    #[error("{0}")]
    Plain(String),
    /// Where cfssl 1.6.5 dies with a Go panic (exit status 2) we print a clear message
    /// instead and keep the status, so scripts see the same outcome.
    #[error("{0}")]
    Abort(String),
    /// The failure was already explained in a log line; nothing more is printed.
    #[error("")]
    Reported,
}

fn coded_json(code: u32, message: &str) -> String {
    let mut out = format!("{{\"code\":{code},\"message\":");
    gojson::write_string(&mut out, message);
    out.push('}');
    out
}

impl Error {
    pub fn coded(code: u32, message: impl Into<String>) -> Self {
        Error::Coded {
            code,
            message: message.into(),
        }
    }

    pub fn plain(message: impl Into<String>) -> Self {
        Error::Plain(message.into())
    }

    pub fn abort(message: impl Into<String>) -> Self {
        Error::Abort(message.into())
    }

    /// The exit status cfssl uses for this failure.
    pub fn exit_code(&self) -> i32 {
        match self {
            Error::Abort(_) => 2,
            _ => 1,
        }
    }

    /// A failed file operation, worded as Go's `*PathError` (`open x: no such file or directory`).
    pub fn io(op: &str, path: &str, err: &std::io::Error) -> Self {
        Error::Plain(format!("{op} {path}: {}", go_errno_text(err)))
    }

    /// The message without the JSON wrapping, for errors that cfssl re-wraps in another code.
    pub fn message(&self) -> String {
        match self {
            Error::Coded { message, .. } => message.clone(),
            Error::Plain(m) | Error::Abort(m) => m.clone(),
            Error::Reported => String::new(),
        }
    }
}

/// Go prints the bare `strerror` text in lower case; Rust adds " (os error N)".
pub fn go_errno_text(err: &std::io::Error) -> String {
    use std::io::ErrorKind::*;
    match err.kind() {
        NotFound => "no such file or directory".into(),
        PermissionDenied => "permission denied".into(),
        IsADirectory => "is a directory".into(),
        NotADirectory => "not a directory".into(),
        AlreadyExists => "file exists".into(),
        _ => {
            let s = err.to_string();
            match s.find(" (os error") {
                Some(i) => s[..i].to_lowercase(),
                None => s,
            }
        }
    }
}

pub type Result<T> = std::result::Result<T, Error>;

/// Go's dial error for a name its resolver does not find: `dial tcp: lookup HOST on
/// SERVER:53: no such host`, SERVER being the first `nameserver` of
/// /etc/resolv.conf (the one that answers first, which is what Go reports).
pub fn go_no_such_host(host: &str) -> String {
    let conf = std::fs::read_to_string("/etc/resolv.conf").unwrap_or_default();
    match first_nameserver(&conf) {
        Some(server) => format!("dial tcp: lookup {host} on {server}: no such host"),
        None => format!("dial tcp: lookup {host}: no such host"),
    }
}

/// Go's reading of resolv.conf: `nameserver ADDR` lines whose address is an IP
/// (a zone allowed), joined with port 53. None configured: Go falls back to
/// 127.0.0.1:53, but then the failure is not a plain `no such host`, so no suffix.
fn first_nameserver(conf: &str) -> Option<String> {
    conf.lines().find_map(|line| {
        let mut words = line.split_whitespace();
        if words.next()? != "nameserver" {
            return None;
        }
        let addr = words.next()?;
        let ip = addr.split('%').next()?;
        match ip.parse::<std::net::IpAddr>().ok()? {
            std::net::IpAddr::V4(_) => Some(format!("{addr}:53")),
            std::net::IpAddr::V6(_) => Some(format!("[{addr}]:53")),
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn coded_errors_print_as_go_json() {
        let e = Error::coded(2400, "invalid algorithm");
        assert_eq!(
            e.to_string(),
            r#"{"code":2400,"message":"invalid algorithm"}"#
        );
        assert_eq!(
            Error::coded(1, "a<b").to_string(),
            r#"{"code":1,"message":"a\u003cb"}"#
        );
    }

    #[test]
    fn io_errors_read_like_go() {
        let e = std::fs::read("/nonexistent/x").unwrap_err();
        assert_eq!(
            Error::io("open", "x", &e).to_string(),
            "open x: no such file or directory"
        );
    }

    #[test]
    fn the_first_ip_nameserver_is_the_one_go_names() {
        let conf = "# comment\nsearch example.com\nnameserver bad\nnameserver 10.0.0.53\nnameserver 10.0.0.54\n";
        assert_eq!(first_nameserver(conf).as_deref(), Some("10.0.0.53:53"));
        assert_eq!(
            first_nameserver("nameserver fe80::1%eth0\n").as_deref(),
            Some("[fe80::1%eth0]:53")
        );
        assert_eq!(first_nameserver("options ndots:2\n"), None);
    }
}
