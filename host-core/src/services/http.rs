//! `net:outbound:<host-glob>[:<port>]`: outbound HTTP through the platform, with
//! the private-address guard (`net:outbound:private`) and every redirect hop
//! checked like the first.

use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use core::cell::RefCell;

use super::{capped, Services};
use crate::capability::Kind;
use crate::error::Code;
use crate::platform::{HttpRequest, HttpResponse, NetPolicy};

/// An HTTP request as a profile decoded it from the guest.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HttpCall {
    /// Method (any case; sent upper-case).
    pub method: String,
    /// `http://` or `https://` URL.
    pub url: String,
    /// Headers in order.
    pub headers: Vec<(String, String)>,
    /// Body bytes.
    pub body: Vec<u8>,
}

/// Parses `scheme://host[:port]/path?query` into `(scheme, host, port, path)`:
/// scheme `http`/`https` only, host lower-cased without brackets or a trailing dot,
/// port defaulted from the scheme, fragment dropped. Userinfo and percent-encoded
/// hosts are refused (classic ways to smuggle a different host past a naive
/// check). A platform following a redirect parses the `Location` with this too, so
/// every hop is checked the same way.
pub fn parse_url(url: &str) -> Result<(String, String, u16, String), Code> {
    // No control characters or spaces anywhere: a request line or header they could
    // break is never built from such a URL.
    if url.chars().any(|c| c.is_control() || c.is_whitespace()) {
        return Err(Code::InvalidInput);
    }
    let (scheme, rest) = url.split_once("://").ok_or(Code::InvalidInput)?;
    let scheme = scheme.to_ascii_lowercase();
    let default_port = match scheme.as_str() {
        "http" => 80,
        "https" => 443,
        _ => return Err(Code::InvalidInput),
    };
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, path) = rest.split_at(end);
    if authority.contains('@') || authority.is_empty() || authority.contains(['\\', ' ', '%']) {
        return Err(Code::InvalidInput);
    }
    let (host, port) = if let Some(v6) = authority.strip_prefix('[') {
        let (h, after) = v6.split_once(']').ok_or(Code::InvalidInput)?;
        match after {
            "" => (h, default_port),
            p => (
                h,
                p.strip_prefix(':')
                    .ok_or(Code::InvalidInput)?
                    .parse()
                    .map_err(|_| Code::InvalidInput)?,
            ),
        }
    } else {
        match authority.rsplit_once(':') {
            Some((h, p)) => (h, p.parse().map_err(|_| Code::InvalidInput)?),
            None => (authority, default_port),
        }
    };
    // The host as it will be checked and connected to: without a trailing dot, and
    // never empty (`http://..../` is no host at all).
    let host = host.trim_end_matches('.');
    if host.is_empty() || port == 0 {
        return Err(Code::InvalidInput);
    }
    let path = path.split('#').next().unwrap_or("");
    let path = if path.is_empty() {
        "/".to_string()
    } else if path.starts_with('?') {
        format!("/{path}")
    } else {
        path.to_string()
    };
    Ok((scheme, host.to_ascii_lowercase(), port, path))
}

/// The grants as the platform sees them while following redirects. Keeps the
/// grant a refused request lacked, for the error of a profile that reports one.
struct Policy<'a> {
    services: &'a Services,
    lacked: RefCell<Option<String>>,
}

impl NetPolicy for Policy<'_> {
    fn allows(&self, host: &str, port: u16) -> bool {
        if self.services.grants.allows_net(host, port) {
            return true;
        }
        let _ = self
            .services
            .deny(Kind::NetOutbound, &format!("{host}:{port}"));
        *self.lacked.borrow_mut() = Some(format!("net:outbound:{host}:{port}"));
        false
    }

    fn private_allowed(&self) -> bool {
        self.services.grants.has_kind(Kind::NetPrivate)
    }

    fn refuse_private(&self, host: &str) {
        let _ = self.services.deny(Kind::NetPrivate, host);
        *self.lacked.borrow_mut() = Some("net:outbound:private".into());
    }
}

/// A refused or failed request: its code and, for `PERMISSION_DENIED`, the grant
/// it lacked (`net:outbound:<host>:<port>` of the first or a redirect hop, or
/// `net:outbound:private` for a private address).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpFailure {
    /// What the guest is told.
    pub code: Code,
    /// The capability that would have allowed the request, when one was missing.
    pub lacked: Option<String>,
}

impl Services {
    /// Performs `call`; the response body is capped by `max_host_result_bytes`.
    pub fn http_request(&self, call: HttpCall) -> Result<HttpResponse, Code> {
        self.http_request_explained(call).map_err(|f| f.code)
    }

    /// [`Services::http_request`], saying which grant a refused request lacked.
    pub fn http_request_explained(&self, call: HttpCall) -> Result<HttpResponse, HttpFailure> {
        let policy = Policy {
            services: self,
            lacked: RefCell::new(None),
        };
        self.request_under(call, &policy)
            .map_err(|code| HttpFailure {
                code,
                lacked: (code == Code::PermissionDenied)
                    .then(|| policy.lacked.take())
                    .flatten(),
            })
    }

    fn request_under(&self, call: HttpCall, policy: &Policy<'_>) -> Result<HttpResponse, Code> {
        let max = self.limits.max_host_result_bytes;
        capped(call.body.len(), max)?;
        let (scheme, host, port, path) = parse_url(&call.url)?;
        if !policy.allows(&host, port) {
            return Err(Code::PermissionDenied);
        }
        let method = call.method.to_ascii_uppercase();
        if method.is_empty() || !method.bytes().all(|b| b.is_ascii_uppercase()) {
            return Err(Code::InvalidInput);
        }
        let request = HttpRequest {
            method,
            url: call.url,
            scheme,
            host,
            port,
            path,
            headers: call.headers,
            body: call.body,
        };
        let http = self.platform.http.as_ref().ok_or(Code::Unsupported)?;
        let resp = http.request(&request, policy, max as usize)?;
        capped(resp.body.len(), max)?;
        Ok(resp)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_parse_strictly() {
        assert_eq!(
            parse_url("http://Example.com:8080/a?b=1#frag").unwrap(),
            ("http".into(), "example.com".into(), 8080, "/a?b=1".into())
        );
        assert_eq!(parse_url("https://[::1]/").unwrap().1, "::1");
        assert_eq!(
            parse_url("https://x.org").unwrap(),
            ("https".into(), "x.org".into(), 443, "/".into())
        );
        for bad in [
            "ftp://x",
            "http://user@evil.com/",
            "http://",
            "http://h:0/",
            "http://h:99999/",
            "nohost",
            "http://a%2eb/",
            // found by the fuzz target `http_request`: a host of dots only
            "http://......../x",
            "http://./",
            "http://a/b\u{1f}c",
            "http://a/b c",
        ] {
            assert_eq!(parse_url(bad), Err(Code::InvalidInput), "{bad}");
        }
    }
}
