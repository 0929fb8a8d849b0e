//! cfssl's `whitelist` package as multirootca uses it: a list of IP networks (a roots
//! file's `nets`) that may use a signer.

use crate::error::Error;
use std::net::IpAddr;

/// One network, `addr/prefix`, stored with its host bits cleared.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Net {
    addr: IpAddr,
    prefix: u8,
}

/// The bits of `addr` as one integer (IPv4 in the low 32 bits), and its width.
fn bits(addr: IpAddr) -> (u128, u8) {
    match addr {
        IpAddr::V4(a) => (u128::from(u32::from(a)), 32),
        IpAddr::V6(a) => (u128::from(a), 128),
    }
}

fn mask(width: u8, prefix: u8) -> u128 {
    let all = if width == 32 {
        u128::from(u32::MAX)
    } else {
        u128::MAX
    };
    all & !all.checked_shr(u32::from(prefix)).unwrap_or(0)
}

impl Net {
    /// Go's `net.ParseCIDR`: an address, `/`, a decimal prefix length no wider than
    /// the address. The address itself is std's parser (the same dotted-quad and
    /// RFC 4291 forms Go accepts); the split and the prefix are too small for a crate.
    pub fn parse(text: &str) -> Result<Net, Error> {
        let invalid = || Error::plain(format!("invalid CIDR address: {text}"));
        let (addr, prefix) = text.split_once('/').ok_or_else(invalid)?;
        let addr: IpAddr = addr.parse().map_err(|_| invalid())?;
        let (value, width) = bits(addr);
        if prefix.is_empty() || prefix.len() > 3 || !prefix.bytes().all(|b| b.is_ascii_digit()) {
            return Err(invalid());
        }
        let prefix: u8 = prefix.parse().map_err(|_| invalid())?;
        if prefix > width {
            return Err(invalid());
        }
        let masked = value & mask(width, prefix);
        let addr = match addr {
            IpAddr::V4(_) => IpAddr::V4((masked as u32).into()),
            IpAddr::V6(_) => IpAddr::V6(masked.into()),
        };
        Ok(Net { addr, prefix })
    }

    /// Go's `IPNet.Contains`: an IPv4 address matches an IPv4 network also when it
    /// arrives as an IPv4-mapped IPv6 address (a dual-stack listener).
    pub fn contains(&self, ip: IpAddr) -> bool {
        let (value, width) = bits(ip.to_canonical());
        let (net, net_width) = bits(self.addr);
        width == net_width && value & mask(width, self.prefix) == net
    }
}

/// A roots file's `nets`: comma-separated networks, spaces around each allowed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NetAcl(Vec<Net>);

impl NetAcl {
    pub fn parse(list: &str) -> Result<NetAcl, Error> {
        list.split(',')
            .map(|n| Net::parse(n.trim()))
            .collect::<Result<_, _>>()
            .map(NetAcl)
    }

    pub fn permitted(&self, ip: IpAddr) -> bool {
        self.0.iter().any(|n| n.contains(ip))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn networks_as_go_parses_them() {
        let acl = NetAcl::parse("10.0.2.1/24,172.16.3.1/24, 192.168.3.15/32").unwrap();
        assert!(acl.permitted(ip("10.0.2.200")));
        assert!(acl.permitted(ip("192.168.3.15")));
        assert!(!acl.permitted(ip("192.168.3.16")));
        assert!(!acl.permitted(ip("127.0.0.1")));
        assert!(acl.permitted(ip("::ffff:172.16.3.9")));
        let v6 = NetAcl::parse("::1/128, 2001:db8::/32").unwrap();
        assert!(v6.permitted(ip("::1")));
        assert!(v6.permitted(ip("2001:db8:ffff::1")));
        assert!(!v6.permitted(ip("127.0.0.1")));
        assert!(NetAcl::parse("0.0.0.0/0").unwrap().permitted(ip("8.8.8.8")));
    }

    #[test]
    fn bad_networks_name_the_entry() {
        for bad in [
            "127.0.0.1",
            "257.0.0.1/24",
            "10.0.0.0/33",
            "10.0.0.0/",
            "::/129",
            "x/8",
        ] {
            let e = NetAcl::parse(&format!("10.0.0.0/8, {bad}")).unwrap_err();
            assert_eq!(e.to_string(), format!("invalid CIDR address: {bad}"));
        }
    }
}
