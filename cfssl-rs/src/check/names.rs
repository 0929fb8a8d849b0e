//! Host names: Go's `VerifyHostname` (what a client checks against the server
//! certificate) with its `HostnameError` texts, and etcd's `checkSAN` (what a member's
//! peer listener checks against the address a peer connects from).

use super::chain::Cert;
use std::net::IpAddr;

/// The names of a certificate that Go's `VerifyHostname` reads.
#[derive(Debug, Clone, Copy)]
pub struct HostNames<'a> {
    pub cn: &'a str,
    pub dns_names: &'a [String],
    pub ip_addrs: &'a [IpAddr],
    /// Whether the certificate has a subjectAltName extension at all.
    pub has_san: bool,
}

/// Go's `Certificate.VerifyHostname`; the error is Go's `HostnameError` text.
pub fn verify_hostname(c: &Cert, host: &str) -> Result<(), String> {
    verify_host_names(
        &HostNames {
            cn: &c.cn,
            dns_names: &c.dns_names,
            ip_addrs: &c.ip_addrs,
            has_san: c.has_san,
        },
        host,
    )
}

/// [`verify_hostname`] over the names alone, for certificates other modules parse.
pub fn verify_host_names(c: &HostNames, host: &str) -> Result<(), String> {
    let candidate_ip = host
        .strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .unwrap_or(host);
    if let Ok(ip) = candidate_ip.parse::<IpAddr>() {
        if c.ip_addrs.iter().any(|a| same_ip(*a, ip)) {
            return Ok(());
        }
        return Err(hostname_error(c, candidate_ip));
    }
    let name = host.to_ascii_lowercase();
    let valid_input = valid_hostname(&name, false);
    let ok = c.dns_names.iter().any(|pattern| {
        if valid_input && valid_hostname(pattern, true) {
            match_hostnames(pattern, &name)
        } else {
            pattern
                .trim_end_matches('.')
                .eq_ignore_ascii_case(name.trim_end_matches('.'))
        }
    });
    if ok {
        Ok(())
    } else {
        Err(hostname_error(c, host))
    }
}

/// Go's `net.IP.Equal`: an IPv4 address equals its IPv4-mapped IPv6 form.
fn same_ip(a: IpAddr, b: IpAddr) -> bool {
    let canon = |x: IpAddr| match x {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map(IpAddr::V4).unwrap_or(x),
        v4 => v4,
    };
    canon(a) == canon(b)
}

fn hostname_error(c: &HostNames, host: &str) -> String {
    if !c.has_san && match_hostnames(&c.cn.to_ascii_lowercase(), &host.to_ascii_lowercase()) {
        return "x509: certificate relies on legacy Common Name field, use SANs instead".into();
    }
    let valid = if host.parse::<IpAddr>().is_ok() {
        if c.ip_addrs.is_empty() {
            return format!(
                "x509: cannot validate certificate for {host} because it doesn't contain any IP SANs"
            );
        }
        c.ip_addrs
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(", ")
    } else {
        c.dns_names.join(", ")
    };
    if valid.is_empty() {
        return format!("x509: certificate is not valid for any names, but wanted to match {host}");
    }
    format!("x509: certificate is valid for {valid}, not {host}")
}

/// Go's `validHostnamePattern` / `validHostnameInput`.
fn valid_hostname(host: &str, is_pattern: bool) -> bool {
    let host = host.strip_suffix('.').unwrap_or(host);
    if host.is_empty() {
        return false;
    }
    host.split('.').enumerate().all(|(i, part)| {
        if part.is_empty() {
            return false;
        }
        if is_pattern && i == 0 && part == "*" {
            return true;
        }
        part.bytes()
            .enumerate()
            .all(|(j, b)| b.is_ascii_alphanumeric() || (b == b'-' && j != 0) || b == b'_')
    })
}

/// Go's `matchHostnames`: label by label, a leading `*` matching one label.
fn match_hostnames(pattern: &str, host: &str) -> bool {
    let pattern = pattern.trim_end_matches('.');
    let host = host.trim_end_matches('.');
    if pattern.is_empty() || host.is_empty() {
        return false;
    }
    let p: Vec<&str> = pattern.split('.').collect();
    let h: Vec<&str> = host.split('.').collect();
    if p.len() != h.len() {
        return false;
    }
    p.iter()
        .zip(&h)
        .enumerate()
        .all(|(i, (a, b))| (i == 0 && *a == "*") || a.eq_ignore_ascii_case(b))
}

/// etcd's `checkSAN` on its peer listener: a peer certificate with IP SANs must list
/// the address the peer connects from, else one of its DNS names must resolve to it;
/// a certificate with neither is accepted.
pub fn check_san(c: &Cert, remote: IpAddr) -> Result<(), String> {
    let host = remote.to_string();
    if !c.ip_addrs.is_empty() {
        match verify_hostname(c, &host) {
            Ok(()) => return Ok(()),
            Err(e) if c.dns_names.is_empty() => return Err(e),
            Err(_) => {}
        }
    }
    if c.dns_names.is_empty() {
        return Ok(());
    }
    let mut lookup_err = None;
    for name in &c.dns_names {
        match std::net::ToSocketAddrs::to_socket_addrs(&(name.as_str(), 0)) {
            Ok(addrs) => {
                if addrs.map(|a| a.ip()).any(|ip| same_ip(ip, remote)) {
                    return Ok(());
                }
            }
            Err(e) => lookup_err = Some(e.to_string()),
        }
    }
    let quoted: Vec<String> = c
        .dns_names
        .iter()
        .map(|d| crate::gojson::go_quote(d))
        .collect();
    let mut msg = format!(
        "tls: {} does not match any of DNSNames [{}]",
        crate::gojson::go_quote(&host),
        quoted.join(" ")
    );
    if let Some(e) = lookup_err {
        msg.push_str(&format!(" ({e})"));
    }
    Err(msg)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcards_match_one_leftmost_label() {
        assert!(match_hostnames("*.example.com", "a.example.com"));
        assert!(!match_hostnames("*.example.com", "a.b.example.com"));
        assert!(!match_hostnames("*.example.com", "example.com"));
        assert!(match_hostnames("Example.COM.", "example.com"));
    }

    #[test]
    fn mapped_ipv4_equals_ipv4() {
        let a: IpAddr = "127.0.0.1".parse().unwrap();
        let b: IpAddr = "::ffff:127.0.0.1".parse().unwrap();
        assert!(same_ip(a, b));
    }
}
