//! Outbound HTTP (`caplet.http_request`, capability
//! `net:outbound:<host-glob>[:<port>]`).
//!
//! On the wire a request is the JSON object
//! `{"method":"GET","url":"http://host:port/path","headers":{"name":"value"},"body":"<base64>"}`
//! and a response is `{"status":200,"headers":{"name":"value"},"body":"<base64>"}`.
//! Bodies are base64 (standard alphabet, padded) so they are binary-safe; in
//! Rust they are plain bytes. A missing `headers` or `body` reads as empty.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::error::Error;
use crate::sys;

/// An HTTP request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Request {
    /// The method, e.g. `"GET"`.
    pub method: String,
    /// The absolute URL, e.g. `"https://api.example.com/v1/items"`.
    pub url: String,
    /// Request headers; one value per name.
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
    /// The request body (base64 in JSON).
    #[serde(default, with = "base64_body")]
    pub body: Vec<u8>,
}

/// An HTTP response.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Response {
    /// The status code, e.g. `200`.
    pub status: u16,
    /// Response headers; one value per name.
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
    /// The response body (base64 in JSON).
    #[serde(default, with = "base64_body")]
    pub body: Vec<u8>,
}

impl Request {
    /// A request with the given method and URL, no headers and no body.
    pub fn new(method: impl Into<String>, url: impl Into<String>) -> Request {
        Request {
            method: method.into(),
            url: url.into(),
            headers: BTreeMap::new(),
            body: Vec::new(),
        }
    }

    /// A `GET` request.
    pub fn get(url: impl Into<String>) -> Request {
        Request::new("GET", url)
    }

    /// A `POST` request with `body`.
    pub fn post(url: impl Into<String>, body: impl Into<Vec<u8>>) -> Request {
        Request::new("POST", url).with_body(body)
    }

    /// Sets header `name` to `value`.
    pub fn with_header(mut self, name: impl Into<String>, value: impl Into<String>) -> Request {
        self.headers.insert(name.into(), value.into());
        self
    }

    /// Sets the body.
    pub fn with_body(mut self, body: impl Into<Vec<u8>>) -> Request {
        self.body = body.into();
        self
    }

    /// The wire form of this request.
    pub fn to_json(&self) -> Result<Vec<u8>, Error> {
        crate::json::to_vec(self)
    }
}

impl Response {
    /// The wire form of a response, as the host sends it.
    /// Malformed data is [`ErrorCode::InvalidInput`](crate::ErrorCode::InvalidInput).
    pub fn from_json(bytes: &[u8]) -> Result<Response, Error> {
        Ok(serde_json::from_slice(bytes)?)
    }

    /// Whether the status is 2xx.
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }

    /// The value of header `name`, compared without regard to ASCII case.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The body as text; not UTF-8 is `INVALID_INPUT`.
    pub fn text(&self) -> Result<&str, Error> {
        Ok(std::str::from_utf8(&self.body)?)
    }
}

/// Sends `request` and waits for the response.
///
/// A non-2xx status is still `Ok`; transport failures are `IO` or `TIMEOUT`,
/// a host outside the grant (or a private address without
/// `net:outbound:private`) is `PERMISSION_DENIED`.
pub fn request(request: &Request) -> Result<Response, Error> {
    let body = sys::http_request(&request.to_json()?)?;
    Response::from_json(&body).map_err(|e| {
        Error::internal(format!(
            "http_request: malformed response from host: {}",
            e.message
        ))
    })
}

/// Sends a `GET` request to `url`.
pub fn get(url: &str) -> Result<Response, Error> {
    request(&Request::get(url))
}

/// Serde adapter: bytes as standard, padded base64 (padding optional when reading).
mod base64_body {
    use base64::alphabet;
    use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig, STANDARD};
    use base64::engine::DecodePaddingMode;
    use base64::Engine as _;
    use serde::{Deserialize, Deserializer, Serializer};

    /// Standard alphabet; accepts input with or without `=` padding.
    const LENIENT: GeneralPurpose = GeneralPurpose::new(
        &alphabet::STANDARD,
        GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
    );

    pub fn serialize<S: Serializer>(bytes: &[u8], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&STANDARD.encode(bytes))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        let text = String::deserialize(d)?;
        LENIENT
            .decode(text.as_bytes())
            .map_err(|e| serde::de::Error::custom(format!("invalid base64 body: {e}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorCode;

    #[test]
    fn request_encodes_to_contract_json() {
        let req = Request::post("http://example.com:8080/p", vec![0u8, 0xff, b'a'])
            .with_header("content-type", "application/octet-stream");
        let json = String::from_utf8(req.to_json().unwrap()).unwrap();
        assert_eq!(
            json,
            r#"{"method":"POST","url":"http://example.com:8080/p","headers":{"content-type":"application/octet-stream"},"body":"AP9h"}"#
        );
        let back: Request = serde_json::from_str(&json).unwrap();
        assert_eq!(back, req);
    }

    #[test]
    fn request_defaults() {
        let req: Request = serde_json::from_str(r#"{"method":"GET","url":"http://h/"}"#).unwrap();
        assert_eq!(req, Request::get("http://h/"));
        assert_eq!(
            String::from_utf8(req.to_json().unwrap()).unwrap(),
            r#"{"method":"GET","url":"http://h/","headers":{},"body":""}"#
        );
    }

    #[test]
    fn response_decodes() {
        let resp = Response::from_json(
            br#"{"status":201,"headers":{"Content-Type":"text/plain"},"body":"aGk="}"#,
        )
        .unwrap();
        assert_eq!(resp.status, 201);
        assert!(resp.is_success());
        assert_eq!(resp.header("content-type"), Some("text/plain"));
        assert_eq!(resp.text().unwrap(), "hi");
        // Unpadded and JSON-escaped base64 are accepted too.
        let resp = Response::from_json(br#"{"status":404,"body":"aGk"}"#).unwrap();
        assert_eq!((resp.status, resp.body.as_slice()), (404, &b"hi"[..]));
        assert!(!resp.is_success());
        let resp = Response::from_json(br#"{"status":200,"body":"\/w=="}"#).unwrap();
        assert_eq!(resp.body, [0xff]);
        let json = serde_json::to_string(&resp).unwrap();
        assert_eq!(json, r#"{"status":200,"headers":{},"body":"/w=="}"#);
    }

    #[test]
    fn bad_responses_are_errors() {
        for bad in [
            &b"{"[..],
            br#"{"status":"200"}"#,
            br#"{"status":200,"body":"%%%"}"#,
            b"",
        ] {
            assert_eq!(
                Response::from_json(bad).unwrap_err().code,
                ErrorCode::InvalidInput
            );
        }
        assert_eq!(get("http://h/").unwrap_err().code, ErrorCode::Unsupported);
    }
}
