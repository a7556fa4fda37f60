//! [`ClientIp`]: which address a request comes from, trusting forwarding headers only from
//! proxies you name.

use std::net::{IpAddr, Ipv6Addr, SocketAddr};

use http::HeaderMap;

use crate::request::Request;

/// How to tell a request's client address.
///
/// By default ([`ClientIp::peer`]) it is the TCP peer, and `X-Forwarded-For`/`Forwarded` are
/// ignored: any client can write them. Behind a reverse proxy every request comes from the
/// proxy, so name it with [`ClientIp::trust_proxy`]: when the peer is a trusted proxy, the
/// forwarding chain is read **from the right** (the entries your proxies appended), skipping
/// trusted proxies, and the first address that is not one is the client. Entries to its left
/// were written by the client and are never used. `X-Forwarded-For` is read when present,
/// else the `for=` parameters of `Forwarded` (RFC 7239). An entry that is not an address
/// (`unknown`, an obfuscated name) stops the walk at the proxy that wrote it.
///
/// ```
/// # use pulse_core as ps;
/// # use std::net::{IpAddr, SocketAddr};
/// let proxy: IpAddr = "10.0.0.2".parse().unwrap();
/// let client_ip = ps::ClientIp::peer().trust_proxy(proxy);
///
/// let mut headers = http::HeaderMap::new();
/// headers.insert("x-forwarded-for", "6.6.6.6, 203.0.113.7".parse().unwrap());
/// let peer = SocketAddr::new(proxy, 4000);
/// // "6.6.6.6" was written by the client; the proxy appended the address it saw.
/// assert_eq!(client_ip.resolve(Some(peer), &headers), Some("203.0.113.7".parse().unwrap()));
/// // A request not through the proxy: its headers are not believed.
/// let direct = SocketAddr::new("198.51.100.1".parse().unwrap(), 4000);
/// assert_eq!(client_ip.resolve(Some(direct), &headers), Some(direct.ip()));
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ClientIp {
    trusted: Vec<IpAddr>,
}

impl ClientIp {
    /// The TCP peer's address; forwarding headers are ignored.
    pub fn peer() -> ClientIp {
        ClientIp::default()
    }

    /// Trusts `proxy` (its exact address) to append the client's address to the forwarding
    /// headers. Call once per proxy hop address.
    pub fn trust_proxy(mut self, proxy: IpAddr) -> ClientIp {
        self.trusted.push(canonical(proxy));
        self
    }

    /// The proxies trusted so far.
    pub fn trusted_proxies(&self) -> &[IpAddr] {
        &self.trusted
    }

    fn is_trusted(&self, ip: IpAddr) -> bool {
        self.trusted.contains(&canonical(ip))
    }

    /// The client address of a request from `peer` with `headers` (`None` when the peer is
    /// unknown: the server was not started with connect info).
    pub fn resolve(&self, peer: Option<SocketAddr>, headers: &HeaderMap) -> Option<IpAddr> {
        let mut client = canonical(peer?.ip());
        if !self.is_trusted(client) {
            return Some(client);
        }
        for hop in forwarded_chain(headers).into_iter().rev() {
            let Some(ip) = hop else {
                // Not an address: the proxy that wrote it is as far as we can see.
                break;
            };
            client = canonical(ip);
            if !self.is_trusted(client) {
                break;
            }
        }
        Some(client)
    }

    /// The client address of `request`.
    pub fn of(&self, request: &Request) -> Option<IpAddr> {
        self.resolve(request.client(), request.headers())
    }
}

/// IPv4-mapped IPv6 addresses as IPv4.
fn canonical(ip: IpAddr) -> IpAddr {
    ip.to_canonical()
}

/// The hops of `X-Forwarded-For` (all its headers, in order), or else of `Forwarded`'s `for=`
/// parameters; `None` for an entry that is not an address.
fn forwarded_chain(headers: &HeaderMap) -> Vec<Option<IpAddr>> {
    let xff: Vec<Option<IpAddr>> = headers
        .get_all("x-forwarded-for")
        .iter()
        .flat_map(|value| {
            let text = value.to_str().unwrap_or("unknown");
            text.split(',').map(parse_hop).collect::<Vec<_>>()
        })
        .collect();
    if !xff.is_empty() {
        return xff;
    }
    headers
        .get_all("forwarded")
        .iter()
        .flat_map(|value| {
            let text = value.to_str().unwrap_or("for=unknown");
            text.split(',')
                .map(|element| {
                    element
                        .split(';')
                        .filter_map(|pair| pair.split_once('='))
                        .find(|(name, _)| name.trim().eq_ignore_ascii_case("for"))
                        .and_then(|(_, value)| parse_hop(value))
                })
                .collect::<Vec<_>>()
        })
        .collect()
}

/// `203.0.113.7`, `203.0.113.7:4000`, `2001:db8::1`, `"[2001:db8::1]:4000"`.
fn parse_hop(text: &str) -> Option<IpAddr> {
    let text = text.trim().trim_matches('"');
    if let Ok(ip) = text.parse::<IpAddr>() {
        return Some(ip);
    }
    if let Ok(addr) = text.parse::<SocketAddr>() {
        return Some(addr.ip());
    }
    text.strip_prefix('[')
        .and_then(|rest| rest.split_once(']'))
        .and_then(|(ip, _)| ip.parse::<Ipv6Addr>().ok())
        .map(IpAddr::V6)
}

/// The part of an address that identifies a client for rate limiting: an IPv4 address, or the
/// /64 network of an IPv6 address (one subscriber usually holds a whole /64).
pub(crate) fn subscriber(ip: IpAddr) -> IpAddr {
    match canonical(ip) {
        IpAddr::V6(v6) => {
            let bits = u128::from(v6) & !((1u128 << 64) - 1);
            IpAddr::V6(Ipv6Addr::from(bits))
        }
        v4 => v4,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(*name, value.parse().unwrap());
        }
        map
    }

    fn peer(ip: &str) -> Option<SocketAddr> {
        Some(SocketAddr::new(ip.parse().unwrap(), 1234))
    }

    fn ip(text: &str) -> Option<IpAddr> {
        Some(text.parse().unwrap())
    }

    #[test]
    fn untrusted_peer_ignores_headers() {
        let h = headers(&[("x-forwarded-for", "1.2.3.4")]);
        assert_eq!(ClientIp::peer().resolve(peer("5.6.7.8"), &h), ip("5.6.7.8"));
    }

    #[test]
    fn chain_is_read_from_the_right_skipping_trusted_hops() {
        let c = ClientIp::peer()
            .trust_proxy("10.0.0.1".parse().unwrap())
            .trust_proxy("10.0.0.2".parse().unwrap());
        let h = headers(&[("x-forwarded-for", "9.9.9.9, 7.7.7.7, 10.0.0.2")]);
        assert_eq!(c.resolve(peer("10.0.0.1"), &h), ip("7.7.7.7"));
        // Several headers are one list.
        let h = headers(&[
            ("x-forwarded-for", "9.9.9.9"),
            ("x-forwarded-for", "7.7.7.7"),
        ]);
        assert_eq!(c.resolve(peer("10.0.0.1"), &h), ip("7.7.7.7"));
    }

    #[test]
    fn garbage_stops_at_the_proxy() {
        let c = ClientIp::peer().trust_proxy("10.0.0.1".parse().unwrap());
        let h = headers(&[("x-forwarded-for", "7.7.7.7, nonsense")]);
        assert_eq!(c.resolve(peer("10.0.0.1"), &h), ip("10.0.0.1"));
        let h = headers(&[]);
        assert_eq!(c.resolve(peer("10.0.0.1"), &h), ip("10.0.0.1"));
    }

    #[test]
    fn forwarded_header() {
        let c = ClientIp::peer().trust_proxy("10.0.0.1".parse().unwrap());
        let h = headers(&[(
            "forwarded",
            r#"for=6.6.6.6, for="[2001:db8::1]:4711";proto=https"#,
        )]);
        assert_eq!(c.resolve(peer("10.0.0.1"), &h), ip("2001:db8::1"));
    }

    #[test]
    fn ipv6_subscribers_are_their_64() {
        assert_eq!(
            subscriber("2001:db8:1:2:3:4:5:6".parse().unwrap()),
            "2001:db8:1:2::".parse::<IpAddr>().unwrap()
        );
        assert_eq!(
            subscriber("::ffff:1.2.3.4".parse().unwrap()),
            "1.2.3.4".parse::<IpAddr>().unwrap()
        );
    }
}
