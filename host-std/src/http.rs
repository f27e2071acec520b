//! The HTTP service: outbound requests behind the host-glob allowlist, the
//! private-address guard, redirect checks, deadlines, size caps and a rate limit.
//!
//! The core has already parsed the guest's JSON request, checked the first hop
//! against `net:outbound:<host-glob>[:<port>]` and decoded the base64 body. This
//! service then:
//!
//! 1. **takes a token** from the plugin's bucket ([`RateLimit`]); an empty bucket is
//!    `-LIMIT` at once (the guest is never made to wait);
//! 2. **resolves the host and checks every address** it resolves to: loopback,
//!    private (RFC 1918, RFC 4193), link-local, multicast, CGNAT, unspecified,
//!    broadcast, documentation and reserved ranges (IPv4-mapped and NAT64/6to4
//!    embeddings included) are refused unless `net:outbound:private` is granted or
//!    the operator trusted that exact address ([`HttpConfig::trusted`]). Addresses that
//!    fail the check are dropped; if none is left the call is `-PERMISSION_DENIED`.
//!    The connection goes to the addresses that passed, through ureq's resolver hook:
//!    there is no second lookup to race;
//! 3. **bounds the exchange in time** by the smaller of [`HttpConfig::timeout`] and
//!    the time left before the call's deadline (see
//!    [`crate::deadline::with_call_deadline`]); running out is `-TIMEOUT`;
//! 4. **caps the body**: a `Content-Length` above the cap is refused before reading,
//!    and reading stops one byte past it (`-LIMIT`); responses are never
//!    decompressed (no `Accept-Encoding` is sent), so the cap is on real bytes;
//! 5. **follows redirects itself**, at most [`HttpConfig::max_redirects`] hops: each
//!    `Location` is resolved against the current URL, parsed like the first hop, and
//!    must pass the allowlist ([`NetPolicy::allows`], which audits a denial) and the
//!    address guard again. 303, and 301/302 after a non-GET, become a GET without a
//!    body; `Authorization` and `Cookie` headers are dropped when the origin changes.
//!    Too many hops is `-LIMIT`.
//!
//! Guests cannot set the headers the client owns (`Host`, `Content-Length`,
//! `Transfer-Encoding`, `Connection` and the other hop-by-hop headers): they are
//! ignored. Proxies from the environment are not used.
//!
//! Bodies cross the contract in base64 (`body` in the request and response JSON), so
//! any bytes survive the trip.

use std::io;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use caplet_core::abi::parse_url;
use caplet_core::platform::{Http, HttpRequest, HttpResponse, NetPolicy};
use caplet_core::Code;
use ureq::http;
use ureq::unversioned::resolver::{DefaultResolver, ResolvedSocketAddrs, Resolver};
use ureq::unversioned::transport::{DefaultConnector, NextTimeout};

/// Operator settings of the HTTP service.
#[derive(Debug, Clone, PartialEq)]
pub struct HttpConfig {
    /// Longest one request may take, redirects included; the call's deadline may
    /// shorten it. Default 30 s.
    pub timeout: Duration,
    /// Redirect hops followed. Default 5.
    pub max_redirects: u32,
    /// Requests per second and burst of one plugin, or `None` for no limit.
    /// Default 10/s with a burst of 20.
    pub rate: Option<RateLimit>,
    /// Addresses exempt from the private-address guard (an internal service the
    /// operator wants plugins to reach without granting them the whole private
    /// network). The host allowlist still applies.
    pub trusted: Vec<IpAddr>,
}

impl Default for HttpConfig {
    fn default() -> Self {
        HttpConfig {
            timeout: Duration::from_secs(30),
            max_redirects: 5,
            rate: Some(RateLimit {
                per_second: 10.0,
                burst: 20,
            }),
            trusted: Vec::new(),
        }
    }
}

/// A token bucket: `burst` requests at once, refilled at `per_second`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RateLimit {
    /// Sustained requests per second.
    pub per_second: f64,
    /// Requests allowed at once.
    pub burst: u32,
}

impl RateLimit {
    /// Parses `RATE` or `RATE/BURST` (`10`, `0.5/3`); the burst defaults to
    /// `max(1, RATE)`.
    pub fn parse(text: &str) -> Result<RateLimit, String> {
        let (rate, burst) = match text.split_once('/') {
            Some((r, b)) => (r, Some(b)),
            None => (text, None),
        };
        let per_second: f64 = rate
            .trim()
            .parse()
            .ok()
            .filter(|r: &f64| r.is_finite() && *r > 0.0)
            .ok_or_else(|| format!("`{text}`: the rate must be a positive number"))?;
        let burst = match burst {
            Some(b) => b
                .trim()
                .parse::<u32>()
                .ok()
                .filter(|b| *b > 0)
                .ok_or_else(|| format!("`{text}`: the burst must be a positive integer"))?,
            None => per_second.ceil().max(1.0) as u32,
        };
        Ok(RateLimit { per_second, burst })
    }
}

/// A token bucket: `burst` tokens, refilled at `per_second`.
#[derive(Debug)]
pub(crate) struct Bucket {
    limit: RateLimit,
    tokens: f64,
    last: Instant,
}

impl Bucket {
    /// A full bucket.
    pub(crate) fn new(limit: RateLimit) -> Bucket {
        Bucket {
            tokens: limit.burst as f64,
            limit,
            last: Instant::now(),
        }
    }

    /// How long until the next token (zero when one is there).
    pub(crate) fn retry_after(&self) -> std::time::Duration {
        let missing = (1.0 - self.tokens).max(0.0);
        std::time::Duration::from_secs_f64(missing / self.limit.per_second.max(1e-9))
    }

    /// Takes a token if there is one.
    pub(crate) fn take(&mut self, now: Instant) -> bool {
        let dt = now.saturating_duration_since(self.last).as_secs_f64();
        self.last = now;
        self.tokens = (self.tokens + dt * self.limit.per_second).min(self.limit.burst as f64);
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

/// Whether `ip` is outside the public internet: the addresses the guard refuses
/// unless `net:outbound:private` is granted.
pub fn is_private(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let [a, b, c, _] = v4.octets();
            v4.is_private()
                || v4.is_loopback()
                || v4.is_link_local()
                || v4.is_multicast()
                || v4.is_broadcast()
                || v4.is_documentation()
                || v4.is_unspecified()
                || a == 0 // "this network"
                || (a == 100 && (b & 0xc0) == 64) // CGNAT 100.64/10
                || (a == 192 && b == 0 && c == 0) // IETF protocol assignments
                || (a == 198 && (b & 0xfe) == 18) // benchmarking 198.18/15
                || a >= 240 // reserved
        }
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_private(IpAddr::V4(v4));
            }
            let s = v6.segments();
            // The IPv4 address carried in two 16-bit segments.
            let v4 = |hi: u16, lo: u16| {
                let [a, b] = hi.to_be_bytes();
                let [c, d] = lo.to_be_bytes();
                IpAddr::V4(std::net::Ipv4Addr::new(a, b, c, d))
            };
            // Local-use NAT64 (64:ff9b:1::/48, RFC 8215): translated for a local
            // network, never public.
            if s[0] == 0x64 && s[1] == 0xff9b && s[2] == 1 {
                return true;
            }
            // SIIT IPv4-translated (::ffff:0:a.b.c.d) and well-known NAT64
            // (64:ff9b::/96) carry the address in the last 32 bits, 6to4 (2002::/16)
            // right after the prefix.
            let siit = s[..4] == [0, 0, 0, 0] && s[4] == 0xffff && s[5] == 0;
            let nat64 = s[0] == 0x64 && s[1] == 0xff9b && s[2..6] == [0, 0, 0, 0];
            if siit || nat64 {
                return is_private(v4(s[6], s[7]));
            }
            if s[0] == 0x2002 {
                return is_private(v4(s[1], s[2]));
            }
            v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (s[0] & 0xfe00) == 0xfc00 // unique local fc00::/7
                || (s[0] & 0xffc0) == 0xfe80 // link-local fe80::/10
                || (s[0] & 0xffc0) == 0xfec0 // site-local (deprecated) fec0::/10
                || (s[0] == 0x2001 && s[1] == 0x0db8) // documentation
                || (s[0] == 0 && s[1..6] == [0, 0, 0, 0, 0]) // IPv4-compatible, ::/96
        }
    }
}

/// Marks the I/O error the resolver returns when the guard refused every address.
#[derive(Debug)]
struct Blocked(String);

impl std::fmt::Display for Blocked {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "every address of {} is private", self.0)
    }
}

impl std::error::Error for Blocked {}

/// ureq's resolver hook: resolve as usual, keep only the addresses that pass the
/// guard. ureq connects to exactly what this returns.
#[derive(Debug)]
struct GuardResolver {
    allow_private: bool,
    trusted: Arc<[IpAddr]>,
}

impl Resolver for GuardResolver {
    fn resolve(
        &self,
        uri: &http::Uri,
        config: &ureq::config::Config,
        timeout: NextTimeout,
    ) -> Result<ResolvedSocketAddrs, ureq::Error> {
        let all = DefaultResolver::default().resolve(uri, config, timeout)?;
        if self.allow_private {
            return Ok(all);
        }
        let mut kept = self.empty();
        for addr in all.iter() {
            let ip = addr.ip().to_canonical();
            if !is_private(ip) || self.trusted.contains(&ip) {
                kept.push(*addr);
            }
        }
        if kept.is_empty() {
            let host = uri.host().unwrap_or("?").to_string();
            return Err(ureq::Error::Io(io::Error::new(
                io::ErrorKind::PermissionDenied,
                Blocked(host),
            )));
        }
        Ok(kept)
    }
}

/// The std [`Http`] service of one plugin (the rate limit is per instance of this
/// type: give each plugin its own).
pub struct StdHttp {
    config: HttpConfig,
    guarded: ureq::Agent,
    open: ureq::Agent,
    bucket: Option<Mutex<Bucket>>,
}

impl std::fmt::Debug for StdHttp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StdHttp")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

/// Headers the client owns; a guest's value is ignored.
const CLIENT_HEADERS: &[&str] = &[
    "host",
    "content-length",
    "transfer-encoding",
    "connection",
    "keep-alive",
    "proxy-connection",
    "proxy-authorization",
    "te",
    "trailer",
    "upgrade",
    "accept-encoding",
];

impl StdHttp {
    /// A service with `config`.
    pub fn new(config: HttpConfig) -> StdHttp {
        let trusted: Arc<[IpAddr]> = config.trusted.iter().map(|ip| ip.to_canonical()).collect();
        let agent = |allow_private: bool| {
            let cfg = ureq::Agent::config_builder()
                .proxy(None)
                .max_redirects(0)
                .http_status_as_error(false)
                .accept_encoding("")
                .user_agent(concat!("caplet/", env!("CARGO_PKG_VERSION")))
                .allow_non_standard_methods(true)
                .max_response_header_size(64 * 1024)
                .build();
            ureq::Agent::with_parts(
                cfg,
                DefaultConnector::default(),
                GuardResolver {
                    allow_private,
                    trusted: trusted.clone(),
                },
            )
        };
        StdHttp {
            guarded: agent(false),
            open: agent(true),
            bucket: config.rate.map(|limit| {
                Mutex::new(Bucket {
                    limit,
                    tokens: limit.burst as f64,
                    last: Instant::now(),
                })
            }),
            config,
        }
    }

    fn take_token(&self) -> Result<(), Code> {
        match &self.bucket {
            None => Ok(()),
            Some(b) => {
                let mut b = b.lock().map_err(|_| Code::Internal)?;
                if b.take(Instant::now()) {
                    Ok(())
                } else {
                    Err(Code::Limit)
                }
            }
        }
    }
}

/// One hop: where to go and what to send. The body is the guest's, borrowed (never
/// copied per hop), until a redirect drops it.
struct Hop<'r> {
    scheme: String,
    host: String,
    port: u16,
    path: String,
    method: String,
    headers: Vec<(String, String)>,
    body: &'r [u8],
}

impl Hop<'_> {
    fn url(&self) -> String {
        let host = if self.host.contains(':') {
            format!("[{}]", self.host)
        } else {
            self.host.clone()
        };
        format!("{}://{host}:{}{}", self.scheme, self.port, self.path)
    }

    fn origin(&self) -> (&str, &str, u16) {
        (&self.scheme, &self.host, self.port)
    }
}

/// Whether the guard refused the request's addresses (see [`GuardResolver`]).
fn blocked(e: &ureq::Error) -> bool {
    matches!(e, ureq::Error::Io(io) if io.get_ref().is_some_and(|r| r.is::<Blocked>()))
}

fn code_of(e: &ureq::Error) -> Code {
    match e {
        ureq::Error::Timeout(_) => Code::Timeout,
        ureq::Error::BodyExceedsLimit(_) | ureq::Error::LargeResponseHeader(..) => Code::Limit,
        e if blocked(e) => Code::PermissionDenied,
        ureq::Error::Io(io) if io.kind() == io::ErrorKind::TimedOut => Code::Timeout,
        ureq::Error::BadUri(_) | ureq::Error::Http(_) => Code::InvalidInput,
        _ => Code::Io,
    }
}

impl Http for StdHttp {
    fn request(
        &self,
        req: &HttpRequest,
        policy: &dyn NetPolicy,
        max_body: usize,
    ) -> Result<HttpResponse, Code> {
        if req.method == "HEAD" && !req.body.is_empty() {
            return Err(Code::InvalidInput);
        }
        self.take_token()?;
        let mut budget = self.config.timeout;
        if let Some(left) = crate::deadline::call_time_left() {
            budget = budget.min(left);
        }
        let ends = Instant::now() + budget;
        let agent = if policy.private_allowed() {
            &self.open
        } else {
            &self.guarded
        };
        let mut hop = Hop {
            scheme: req.scheme.clone(),
            host: req.host.clone(),
            port: req.port,
            path: req.path.clone(),
            method: req.method.clone(),
            headers: req
                .headers
                .iter()
                .filter(|(k, _)| !CLIENT_HEADERS.iter().any(|h| k.eq_ignore_ascii_case(h)))
                .cloned()
                .collect(),
            body: &req.body,
        };
        let mut redirects = 0;
        loop {
            let left = ends.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(Code::Timeout);
            }
            let mut builder = http::Request::builder()
                .method(hop.method.as_str())
                .uri(hop.url());
            for (k, v) in &hop.headers {
                builder = builder.header(k.as_str(), v.as_str());
            }
            let request = builder.body(hop.body).map_err(|_| Code::InvalidInput)?;
            let request = agent
                .configure_request(request)
                .timeout_global(Some(left))
                .build();
            let mut response = agent.run(request).map_err(|e| {
                if blocked(&e) {
                    policy.refuse_private(&hop.host);
                }
                code_of(&e)
            })?;
            let status = response.status().as_u16();
            let location = response
                .headers()
                .get(http::header::LOCATION)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string);
            if let (true, Some(location), true) = (
                matches!(status, 301 | 302 | 303 | 307 | 308),
                location,
                self.config.max_redirects > 0,
            ) {
                if redirects == self.config.max_redirects {
                    return Err(Code::Limit);
                }
                // The `url` crate would decode a percent-encoded host; the first hop
                // refuses those, so every hop does.
                let authority = location
                    .split_once("://")
                    .map(|(_, rest)| rest.split(['/', '?', '#']).next().unwrap_or(""));
                if authority.is_some_and(|a| a.contains('%') || a.contains('@')) {
                    return Err(Code::InvalidInput);
                }
                redirects += 1;
                let next = url::Url::parse(&hop.url())
                    .and_then(|base| base.join(&location))
                    .map_err(|_| Code::InvalidInput)?;
                let (scheme, host, port, path) = parse_url(next.as_str())?;
                if !policy.allows(&host, port) {
                    return Err(Code::PermissionDenied);
                }
                let same_origin = hop.origin() == (scheme.as_str(), host.as_str(), port);
                if !same_origin {
                    hop.headers.retain(|(k, _)| {
                        !k.eq_ignore_ascii_case("authorization")
                            && !k.eq_ignore_ascii_case("cookie")
                    });
                }
                if status == 303 || (matches!(status, 301 | 302) && hop.method != "GET") {
                    if hop.method != "HEAD" {
                        hop.method = "GET".to_string();
                    }
                    hop.body = &[];
                    hop.headers
                        .retain(|(k, _)| !k.eq_ignore_ascii_case("content-type"));
                }
                hop.scheme = scheme;
                hop.host = host;
                hop.port = port;
                hop.path = path;
                continue;
            }
            let declared = response
                .headers()
                .get(http::header::CONTENT_LENGTH)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.trim().parse::<u64>().ok());
            // HEAD, 204 and 304 carry no body, whatever Content-Length says.
            let bodiless = hop.method == "HEAD" || matches!(status, 204 | 304);
            if !bodiless && declared.is_some_and(|n| n > max_body as u64) {
                return Err(Code::Limit);
            }
            let headers = response
                .headers()
                .iter()
                .map(|(k, v)| {
                    (
                        k.as_str().to_string(),
                        String::from_utf8_lossy(v.as_bytes()).into_owned(),
                    )
                })
                .collect();
            let body = response
                .body_mut()
                .with_config()
                .limit(max_body as u64)
                .read_to_vec()
                .map_err(|e| code_of(&e))?;
            return Ok(HttpResponse {
                status,
                headers,
                body,
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn the_guard_knows_non_public_ranges() {
        for p in [
            "127.0.0.1",
            "127.1.2.3",
            "10.0.0.1",
            "172.16.5.4",
            "192.168.1.1",
            "169.254.169.254",
            "224.0.0.1",
            "255.255.255.255",
            "0.0.0.0",
            "0.1.2.3",
            "100.64.0.1",
            "198.18.0.1",
            "192.0.2.1",
            "240.0.0.1",
            "::1",
            "::",
            "fc00::1",
            "fd12:3456::1",
            "fe80::1",
            "ff02::1",
            "::ffff:127.0.0.1",
            "::ffff:10.0.0.1",
            "64:ff9b::a00:1",
            "2002:c0a8:101::1",
            "2001:db8::1",
            "::127.0.0.1",
            "64:ff9b:1::a00:1",
            "::ffff:0:7f00:1",
        ] {
            assert!(is_private(ip(p)), "{p} should be private");
        }
        for p in [
            "8.8.8.8",
            "1.1.1.1",
            "100.128.0.1",
            "172.32.0.1",
            "2606:4700::1111",
            "::ffff:8.8.8.8",
            "64:ff9b::808:808",
        ] {
            assert!(!is_private(ip(p)), "{p} should be public");
        }
    }

    #[test]
    fn rate_limits_parse_and_refill() {
        assert_eq!(
            RateLimit::parse("5/10").unwrap(),
            RateLimit {
                per_second: 5.0,
                burst: 10
            }
        );
        assert_eq!(RateLimit::parse("0.5").unwrap().burst, 1);
        for bad in ["0", "-1", "x", "5/0", "5/x", "inf"] {
            assert!(RateLimit::parse(bad).is_err(), "{bad}");
        }
        let t0 = Instant::now();
        let mut b = Bucket {
            limit: RateLimit {
                per_second: 2.0,
                burst: 2,
            },
            tokens: 2.0,
            last: t0,
        };
        assert!(b.take(t0));
        assert!(b.take(t0));
        assert!(!b.take(t0));
        assert!(b.take(t0 + Duration::from_millis(500)));
        assert!(!b.take(t0 + Duration::from_millis(600)));
    }
}
