//! JSON helpers with contract errors.

use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::error::Error;

/// Parses UTF-8 JSON bytes into `T`.
///
/// Empty bytes are read as JSON `null`, so an entry taking `Option<T>` or
/// `()` can be called without input. Bad JSON is
/// [`ErrorCode::InvalidInput`](crate::ErrorCode::InvalidInput) with serde's message.
pub fn parse<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, Error> {
    let bytes: &[u8] = if bytes.is_empty() { b"null" } else { bytes };
    serde_json::from_slice(bytes).map_err(Error::from)
}

/// Serializes `value` as compact UTF-8 JSON.
///
/// A value serde cannot encode (a map with non-string keys, say) is
/// [`ErrorCode::Internal`](crate::ErrorCode::Internal): a bug in the plugin.
pub fn to_vec<T: Serialize + ?Sized>(value: &T) -> Result<Vec<u8>, Error> {
    serde_json::to_vec(value).map_err(|e| Error::internal(format!("cannot encode JSON: {e}")))
}

/// Serializes `value` as compact UTF-8 JSON at the end of `out` (an
/// [`Output`](crate::Output) or a `Vec<u8>`), reusing its capacity.
pub fn to_writer<T: Serialize + ?Sized>(out: &mut Vec<u8>, value: &T) -> Result<(), Error> {
    serde_json::to_writer(out, value)
        .map_err(|e| Error::internal(format!("cannot encode JSON: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorCode;

    #[test]
    fn parse_and_encode() {
        let v: Vec<i64> = parse(b"[1,2,3]").unwrap();
        assert_eq!(v, [1, 2, 3]);
        assert_eq!(to_vec(&v).unwrap(), b"[1,2,3]");
        let none: Option<u8> = parse(b"").unwrap();
        assert_eq!(none, None);
        let e = parse::<Vec<i64>>(b"{").unwrap_err();
        assert_eq!(e.code, ErrorCode::InvalidInput);
        assert!(!e.message.is_empty());
        let mut bad = std::collections::HashMap::new();
        bad.insert(vec![1u8], 1u8);
        assert_eq!(to_vec(&bad).unwrap_err().code, ErrorCode::Internal);
        let mut out = b"x".to_vec();
        to_writer(&mut out, &v).unwrap();
        assert_eq!(out, b"x[1,2,3]");
        assert_eq!(
            to_writer(&mut out, &bad).unwrap_err().code,
            ErrorCode::Internal
        );
    }
}
