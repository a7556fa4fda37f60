//! [`ClientIp`]: which address a request comes from, trusting forwarding headers only from
//! proxies you name (single addresses or CIDR ranges).

use std::net::{IpAddr, Ipv6Addr, SocketAddr};
use std::sync::atomic::{AtomicU64, Ordering};

use http::{HeaderMap, HeaderName};
use ipnet::IpNet;

use crate::request::Request;

const X_FORWARDED_FOR: HeaderName = HeaderName::from_static("x-forwarded-for");

/// Which header your proxies write the forwarding chain to (see [`ClientIp::proxy_header`]).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ProxyHeader {
    /// `X-Forwarded-For: client, proxy1, proxy2` (nginx, HAProxy, most load balancers).
    #[default]
    XForwardedFor,
    /// `Forwarded: for=client, for="[2001:db8::1]:4711";proto=https` (RFC 7239).
    Forwarded,
}

/// How to tell a request's client address.
///
/// By default ([`ClientIp::peer`]) it is the TCP peer, and `X-Forwarded-For`/`Forwarded` are
/// ignored: any client can write them. Behind reverse proxies every request comes from a proxy,
/// so name them — single addresses with [`trust_proxy`](ClientIp::trust_proxy), CIDR ranges
/// with [`trust_proxies`](ClientIp::trust_proxies) or [`trust_network`](ClientIp::trust_network).
///
/// When the TCP peer is trusted, the forwarding chain of the header your proxies write
/// ([`ProxyHeader`], `X-Forwarded-For` unless you choose `Forwarded`) is read **from the
/// right** — the entries your proxies appended — skipping trusted addresses, and the first
/// address that is not trusted is the client. Entries to its left were written by the client
/// and are never used. Several headers of that name are one list, in order.
///
/// Only the chosen header is read: a header your proxies pass through untouched is the
/// client's to write. An entry that is not an address (`unknown`, an obfuscated `_name`,
/// garbage) stops the walk, and the trusted proxy that wrote it is taken as the client:
/// a broken header falls back to the peer's address, never to a client-chosen one. Addresses
/// are compared after mapping IPv4-mapped IPv6 (`::ffff:10.0.0.1`) to IPv4.
///
/// ```
/// # use pulse_core as ps;
/// # use std::net::{IpAddr, SocketAddr};
/// // Any address in 10.0.0.0/8 or the local host's IPv6 address is one of our proxies.
/// let client_ip = ps::ClientIp::peer().trust_proxies(["10.0.0.0/8", "::1/128"]);
///
/// let mut headers = http::HeaderMap::new();
/// headers.insert("x-forwarded-for", "6.6.6.6, 203.0.113.7, 10.1.2.3".parse().unwrap());
/// let peer: SocketAddr = "10.0.0.2:4000".parse().unwrap();
/// // "6.6.6.6" was written by the client; our proxies appended 203.0.113.7 and 10.1.2.3.
/// assert_eq!(client_ip.resolve(Some(peer), &headers), Some("203.0.113.7".parse().unwrap()));
/// // A request not through a proxy: its headers are not believed.
/// let direct: SocketAddr = "198.51.100.1:4000".parse().unwrap();
/// assert_eq!(client_ip.resolve(Some(direct), &headers), Some(direct.ip()));
/// ```
///
/// With proxies writing `Forwarded` (RFC 7239):
///
/// ```
/// # use pulse_core as ps;
/// let client_ip = ps::ClientIp::peer()
///     .trust_proxies(["10.0.0.0/8"])
///     .proxy_header(ps::rate_limit::ProxyHeader::Forwarded);
/// let mut headers = http::HeaderMap::new();
/// headers.insert("forwarded", r#"for="[2001:db8::7]:4711";proto=https"#.parse().unwrap());
/// let peer = "10.0.0.2:4000".parse().ok();
/// assert_eq!(client_ip.resolve(peer, &headers), Some("2001:db8::7".parse().unwrap()));
/// ```
#[derive(Clone)]
pub struct ClientIp {
    /// Tells this configuration apart in a request's cache of its client key (a new one per
    /// change; clones share it).
    id: u64,
    trusted: Vec<IpNet>,
    /// `trusted` as (is IPv4, network, mask) over IPv6 bits, IPv4 as IPv4-mapped: one test
    /// per range.
    masks: Vec<(bool, u128, u128)>,
    header: ProxyHeader,
}

impl Default for ClientIp {
    fn default() -> ClientIp {
        ClientIp {
            id: next_id(),
            trusted: Vec::new(),
            masks: Vec::new(),
            header: ProxyHeader::default(),
        }
    }
}

impl std::fmt::Debug for ClientIp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientIp")
            .field("trusted", &self.trusted)
            .field("header", &self.header)
            .finish()
    }
}

impl PartialEq for ClientIp {
    fn eq(&self, other: &ClientIp) -> bool {
        self.trusted == other.trusted && self.header == other.header
    }
}

impl Eq for ClientIp {}

fn next_id() -> u64 {
    static NEXT: AtomicU64 = AtomicU64::new(1);
    NEXT.fetch_add(1, Ordering::Relaxed)
}

impl ClientIp {
    /// The TCP peer's address; forwarding headers are ignored.
    pub fn peer() -> ClientIp {
        ClientIp::default()
    }

    /// Trusts the proxy at `proxy` (this one address) to append the client's address to the
    /// forwarding header.
    pub fn trust_proxy(self, proxy: IpAddr) -> ClientIp {
        self.trust_network(IpNet::from(proxy))
    }

    /// Trusts every address in `network` as a proxy.
    ///
    /// ```
    /// # use pulse_core as ps;
    /// // A range read from configuration: parse it yourself to handle the error.
    /// let range: ps::rate_limit::IpNet = "172.16.0.0/12".parse().expect("a CIDR range");
    /// let client_ip = ps::ClientIp::peer().trust_network(range);
    /// assert_eq!(client_ip.trusted_proxies(), [range]);
    /// ```
    pub fn trust_network(mut self, network: IpNet) -> ClientIp {
        let network = canonical_net(network);
        let (bits, prefix) = match network {
            IpNet::V4(v4) => (v4_bits(v4.network()), v4.prefix_len() + 96),
            IpNet::V6(v6) => (u128::from(v6.network()), v6.prefix_len()),
        };
        let mask = u128::MAX.checked_shl(128 - u32::from(prefix)).unwrap_or(0);
        self.masks
            .push((matches!(network, IpNet::V4(_)), bits & mask, mask));
        self.trusted.push(network);
        self.id = next_id();
        self
    }

    /// Trusts every address in each of `ranges`: CIDR ranges (`"10.0.0.0/8"`,
    /// `"fd00::/8"`) or single addresses (`"192.0.2.1"`, `"::1"`).
    ///
    /// # Panics
    /// When a range is neither; use [`trust_network`](ClientIp::trust_network) with your own
    /// parsing for ranges that come from configuration.
    pub fn trust_proxies<I>(self, ranges: I) -> ClientIp
    where
        I: IntoIterator,
        I::Item: AsRef<str>,
    {
        ranges.into_iter().fold(self, |client_ip, range| {
            let range = range.as_ref();
            let network = range
                .parse::<IpNet>()
                .or_else(|_| range.parse::<IpAddr>().map(IpNet::from))
                .unwrap_or_else(|_| {
                    panic!(
                        "`{range}` is not a CIDR range (`10.0.0.0/8`, `fd00::/8`) nor an IP address"
                    )
                });
            client_ip.trust_network(network)
        })
    }

    /// Reads the forwarding chain from `header` (default: `X-Forwarded-For`). Choose the one
    /// your proxies write; the other one is ignored.
    pub fn proxy_header(mut self, header: ProxyHeader) -> ClientIp {
        self.header = header;
        self.id = next_id();
        self
    }

    /// The trusted proxy networks (a single address is a /32 or /128 network).
    pub fn trusted_proxies(&self) -> &[IpNet] {
        &self.trusted
    }

    /// Whether `ip` (canonical) is a trusted proxy.
    #[inline]
    fn is_trusted(&self, ip: IpAddr) -> bool {
        let (v4, bits) = match ip {
            IpAddr::V4(v4) => (true, v4_bits(v4)),
            IpAddr::V6(v6) => (false, u128::from(v6)),
        };
        self.masks
            .iter()
            .any(|&(is_v4, network, mask)| is_v4 == v4 && bits & mask == network)
    }

    /// The client address of a request from `peer` with `headers` (`None` when the peer is
    /// unknown: the server was not started with connect info). Never fails on a malformed
    /// header: see the type's documentation.
    #[inline]
    pub fn resolve(&self, peer: Option<SocketAddr>, headers: &HeaderMap) -> Option<IpAddr> {
        let peer = canonical(peer?.ip());
        if self.trusted.is_empty() || !self.is_trusted(peer) {
            return Some(peer);
        }
        Some(self.walk(peer, headers))
    }

    /// The forwarding chain from the right, from a trusted `peer`.
    fn walk(&self, peer: IpAddr, headers: &HeaderMap) -> IpAddr {
        let mut client = peer;
        let name = match self.header {
            ProxyHeader::XForwardedFor => &X_FORWARDED_FOR,
            ProxyHeader::Forwarded => &http::header::FORWARDED,
        };
        for value in headers.get_all(name).iter().rev() {
            let Ok(text) = value.to_str() else {
                return client;
            };
            for element in text.rsplit(',') {
                let hop = match self.header {
                    ProxyHeader::XForwardedFor => parse_hop(element),
                    ProxyHeader::Forwarded => forwarded_for(element).and_then(parse_hop),
                };
                let Some(ip) = hop else {
                    // Not an address: the proxy that wrote it is as far as we can see.
                    return client;
                };
                client = canonical(ip);
                if !self.is_trusted(client) {
                    return client;
                }
            }
        }
        client
    }

    /// The client address of `request`.
    #[inline]
    pub fn of(&self, request: &Request) -> Option<IpAddr> {
        self.resolve(request.client(), request.headers())
    }

    /// [`subscriber`] of the client address of `request`, as bits: without proxies, straight
    /// from the peer's socket address; through proxies, read from the headers once per request
    /// (a socket's messages all see its upgrade request).
    #[inline]
    pub(crate) fn subscriber_of(&self, request: &Request) -> Option<u128> {
        let peer = request.client()?;
        if self.trusted.is_empty() {
            return Some(match peer {
                SocketAddr::V4(v4) => v4_bits(*v4.ip()),
                SocketAddr::V6(v6) => subscriber(IpAddr::V6(*v6.ip())),
            });
        }
        let cache = request.client_key();
        if let Some(&(id, key)) = cache.get()
            && id == self.id
        {
            return key;
        }
        let key = self.resolve(Some(peer), request.headers()).map(subscriber);
        // The first configuration to ask keeps the slot; others resolve every time.
        let _ = cache.set((self.id, key));
        key
    }
}

/// IPv4-mapped IPv6 addresses as IPv4.
#[inline]
fn canonical(ip: IpAddr) -> IpAddr {
    ip.to_canonical()
}

/// An IPv4-mapped IPv6 network (`::ffff:10.0.0.0/104`) as the IPv4 one, host bits cleared.
fn canonical_net(network: IpNet) -> IpNet {
    if let IpNet::V6(v6) = network
        && let Some(v4) = v6.addr().to_ipv4_mapped()
        && v6.prefix_len() >= 96
        && let Ok(mapped) = IpNet::new(IpAddr::V4(v4), v6.prefix_len() - 96)
    {
        return mapped.trunc();
    }
    network.trunc()
}

/// The value of the `for` parameter of one `Forwarded` element (`for=1.2.3.4;proto=https`).
fn forwarded_for(element: &str) -> Option<&str> {
    element
        .split(';')
        .filter_map(|pair| pair.split_once('='))
        .find(|(name, _)| name.trim_ascii().eq_ignore_ascii_case("for"))
        .map(|(_, value)| value)
}

/// `203.0.113.7`, `203.0.113.7:4000`, `2001:db8::1`, `[2001:db8::1]`, `"[2001:db8::1]:4000"`.
fn parse_hop(text: &str) -> Option<IpAddr> {
    let text = text.trim_ascii();
    let text = text
        .strip_prefix('"')
        .and_then(|t| t.strip_suffix('"'))
        .unwrap_or(text);
    if let Ok(ip) = text.parse::<IpAddr>() {
        return Some(ip);
    }
    if let Some(rest) = text.strip_prefix('[') {
        let (ip, port) = rest.split_once(']')?;
        if !(port.is_empty() || port.strip_prefix(':').is_some_and(is_port)) {
            return None;
        }
        return ip.parse::<Ipv6Addr>().ok().map(IpAddr::V6);
    }
    // IPv4 with a port.
    let (ip, port) = text.split_once(':')?;
    if !is_port(port) {
        return None;
    }
    ip.parse::<std::net::Ipv4Addr>().ok().map(IpAddr::V4)
}

fn is_port(text: &str) -> bool {
    text.parse::<u16>().is_ok()
}

/// The part of an address that identifies a client for rate limiting, as bits: an IPv4 address
/// (as its IPv4-mapped IPv6 address), or the /64 network of an IPv6 address (one subscriber
/// usually holds a whole /64). The two never meet: IPv4-mapped addresses are IPv4.
#[inline]
pub(crate) fn subscriber(ip: IpAddr) -> u128 {
    match canonical(ip) {
        IpAddr::V4(v4) => v4_bits(v4),
        IpAddr::V6(v6) => u128::from(v6) & !((1u128 << 64) - 1),
    }
}

#[inline]
fn v4_bits(v4: std::net::Ipv4Addr) -> u128 {
    u128::from(v4.to_ipv6_mapped())
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
        let c = ClientIp::peer().trust_proxies(["10.0.0.0/8"]);
        assert_eq!(c.resolve(peer("11.0.0.1"), &h), ip("11.0.0.1"));
        assert_eq!(c.resolve(None, &h), None);
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
        // Every hop trusted: the left-most one.
        let h = headers(&[("x-forwarded-for", "10.0.0.2")]);
        assert_eq!(c.resolve(peer("10.0.0.1"), &h), ip("10.0.0.2"));
    }

    #[test]
    fn cidr_ranges_and_single_addresses() {
        let c = ClientIp::peer().trust_proxies(["10.0.0.0/8", "192.0.2.1", "fd00::/8", "::1/128"]);
        assert_eq!(c.trusted_proxies().len(), 4);
        let h = headers(&[(
            "x-forwarded-for",
            "6.6.6.6, 203.0.113.9, 10.200.1.1, fd12::3, 192.0.2.1",
        )]);
        assert_eq!(c.resolve(peer("10.9.9.9"), &h), ip("203.0.113.9"));
        assert_eq!(c.resolve(peer("::1"), &h), ip("203.0.113.9"));
        // Just outside the ranges.
        assert_eq!(c.resolve(peer("11.0.0.1"), &h), ip("11.0.0.1"));
        assert_eq!(c.resolve(peer("192.0.2.2"), &h), ip("192.0.2.2"));
        assert_eq!(c.resolve(peer("::2"), &h), ip("::2"));
        // An IPv4-mapped peer is its IPv4 address; so is a mapped range.
        assert_eq!(c.resolve(peer("::ffff:10.0.0.1"), &h), ip("203.0.113.9"));
        let mapped = ClientIp::peer().trust_proxies(["::ffff:10.0.0.0/104"]);
        assert_eq!(
            mapped.trusted_proxies(),
            ["10.0.0.0/8".parse::<IpNet>().unwrap()]
        );
        // An IPv6 range holds no IPv4 address, even `::/0`.
        let v6 = ClientIp::peer().trust_proxies(["::/0"]);
        assert_eq!(v6.resolve(peer("10.0.0.1"), &h), ip("10.0.0.1"));
        assert_eq!(v6.resolve(peer("2001:db8::1"), &h), ip("192.0.2.1"));
        let all = ClientIp::peer().trust_proxies(["0.0.0.0/0"]);
        assert_eq!(all.resolve(peer("10.0.0.1"), &h), ip("fd12::3"));
        // Host bits are cleared.
        let c = ClientIp::peer().trust_proxies(["10.1.2.3/8"]);
        assert_eq!(c.trusted_proxies()[0].to_string(), "10.0.0.0/8");
    }

    #[test]
    #[should_panic(expected = "`10.0.0.0/33` is not a CIDR range")]
    fn a_bad_range_is_a_clear_panic_at_startup() {
        let _ = ClientIp::peer().trust_proxies(["10.0.0.0/33"]);
    }

    #[test]
    fn garbage_stops_at_the_proxy() {
        let c = ClientIp::peer().trust_proxy("10.0.0.1".parse().unwrap());
        let peer_ip = ip("10.0.0.1");
        for garbage in [
            "7.7.7.7, nonsense",
            "7.7.7.7, unknown",
            "7.7.7.7,",
            "",
            ",,,",
            "7.7.7.7, 1.2.3.4:99999",
            "7.7.7.7, [::1",
            "7.7.7.7, [::1]x",
            "7.7.7.7, \"",
            "7.7.7.7, 1.2.3.4.5",
            "7.7.7.7, 300.1.1.1",
        ] {
            let h = headers(&[("x-forwarded-for", garbage)]);
            assert_eq!(c.resolve(peer("10.0.0.1"), &h), peer_ip, "{garbage:?}");
        }
        let h = headers(&[]);
        assert_eq!(c.resolve(peer("10.0.0.1"), &h), peer_ip);
        // Not UTF-8.
        let mut h = HeaderMap::new();
        h.append(
            "x-forwarded-for",
            http::HeaderValue::from_bytes(b"7.7.7.7, \xff").unwrap(),
        );
        assert_eq!(c.resolve(peer("10.0.0.1"), &h), peer_ip);
    }

    #[test]
    fn hops_with_ports_and_brackets() {
        for (hop, want) in [
            ("203.0.113.7:4000", "203.0.113.7"),
            ("2001:db8::1", "2001:db8::1"),
            ("[2001:db8::1]", "2001:db8::1"),
            ("[2001:db8::1]:4711", "2001:db8::1"),
            (" \"[2001:db8::1]:4711\" ", "2001:db8::1"),
        ] {
            assert_eq!(parse_hop(hop), ip(want), "{hop}");
        }
    }

    #[test]
    fn forwarded_header() {
        let c = ClientIp::peer()
            .trust_proxy("10.0.0.1".parse().unwrap())
            .proxy_header(ProxyHeader::Forwarded);
        let h = headers(&[(
            "forwarded",
            r#"for=6.6.6.6, For="[2001:db8::1]:4711";proto=https"#,
        )]);
        assert_eq!(c.resolve(peer("10.0.0.1"), &h), ip("2001:db8::1"));
        let h = headers(&[("forwarded", "proto=https;for=198.51.100.4:80;by=10.0.0.1")]);
        assert_eq!(c.resolve(peer("10.0.0.1"), &h), ip("198.51.100.4"));
        // Obfuscated, unknown or missing `for`: the proxy.
        for garbage in [
            "for=_hidden",
            "for=unknown",
            "proto=https",
            "for",
            "for=\"[::1\"",
        ] {
            let h = headers(&[("forwarded", garbage)]);
            assert_eq!(c.resolve(peer("10.0.0.1"), &h), ip("10.0.0.1"), "{garbage}");
        }
        // Only the chosen header is read.
        let h = headers(&[("x-forwarded-for", "6.6.6.6")]);
        assert_eq!(c.resolve(peer("10.0.0.1"), &h), ip("10.0.0.1"));
        let xff = ClientIp::peer().trust_proxy("10.0.0.1".parse().unwrap());
        let h = headers(&[("forwarded", "for=6.6.6.6")]);
        assert_eq!(xff.resolve(peer("10.0.0.1"), &h), ip("10.0.0.1"));
    }

    #[test]
    fn ipv6_subscribers_are_their_64() {
        let bits = |text: &str| u128::from(text.parse::<Ipv6Addr>().unwrap());
        assert_eq!(
            subscriber("2001:db8:1:2:3:4:5:6".parse().unwrap()),
            bits("2001:db8:1:2::")
        );
        assert_eq!(
            subscriber("2001:db8:1:2:ffff::".parse().unwrap()),
            subscriber("2001:db8:1:2::1".parse().unwrap())
        );
        assert_ne!(
            subscriber("2001:db8:1:3::".parse().unwrap()),
            subscriber("2001:db8:1:2::".parse().unwrap())
        );
        // IPv4, mapped or not, is one address.
        assert_eq!(
            subscriber("::ffff:1.2.3.4".parse().unwrap()),
            bits("::ffff:1.2.3.4")
        );
        assert_eq!(
            subscriber("1.2.3.4".parse().unwrap()),
            bits("::ffff:1.2.3.4")
        );
        assert_ne!(
            subscriber("1.2.3.4".parse().unwrap()),
            subscriber("1.2.3.5".parse().unwrap())
        );
    }

    #[test]
    fn the_fast_path_agrees_with_resolve() {
        for peer in ["203.0.113.7:1", "[2001:db8::9]:1", "[::ffff:10.1.1.1]:1"] {
            let peer: SocketAddr = peer.parse().unwrap();
            let request = Request::get("/").with_client(peer);
            let c = ClientIp::peer();
            assert_eq!(
                c.subscriber_of(&request),
                c.of(&request).map(subscriber),
                "{peer}"
            );
        }
        assert_eq!(ClientIp::peer().subscriber_of(&Request::get("/")), None);
    }

    #[test]
    fn a_proxied_key_is_resolved_once_per_request_and_configuration() {
        let proxies = ClientIp::peer().trust_proxies(["10.0.0.0/8"]);
        let request = Request::get("/")
            .with_client("10.0.0.1:1".parse().unwrap())
            .with_header(X_FORWARDED_FOR, "203.0.113.7".parse().unwrap());
        let key = proxies.subscriber_of(&request);
        assert_eq!(key, ip("203.0.113.7").map(subscriber));
        assert_eq!(proxies.clone().subscriber_of(&request), key, "cached");
        // Another configuration is not given the cached key.
        let other = ClientIp::peer().trust_proxies(["192.168.0.0/16"]);
        assert_eq!(
            other.subscriber_of(&request),
            ip("10.0.0.1").map(subscriber)
        );
        let forwarded = proxies.clone().proxy_header(ProxyHeader::Forwarded);
        assert_eq!(
            forwarded.subscriber_of(&request),
            ip("10.0.0.1").map(subscriber)
        );
        assert_eq!(forwarded, forwarded.clone());
        assert_eq!(
            format!("{forwarded:?}"),
            "ClientIp { trusted: [10.0.0.0/8], header: Forwarded }"
        );
        assert_ne!(forwarded, proxies);
        // A request built from another keeps no stale key.
        let edited = request
            .clone()
            .with_header(X_FORWARDED_FOR, "198.51.100.9".parse().unwrap());
        assert_eq!(
            proxies.subscriber_of(&edited),
            ip("198.51.100.9").map(subscriber)
        );
        assert_eq!(proxies.subscriber_of(&request), key);
    }
}
