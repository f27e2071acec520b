//! SHA-256 digests of modules, and bounded loading from any `embedded_io::Read`.

use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;
use sha2::{Digest as _, Sha256};

use crate::error::Error;

/// A SHA-256 digest.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Digest(pub [u8; 32]);

impl Digest {
    /// The digest of `bytes`.
    pub fn of(bytes: &[u8]) -> Self {
        Digest(Sha256::digest(bytes).into())
    }

    /// Parses 64 hex digits, optionally prefixed by `sha256:`.
    pub fn from_hex(text: &str) -> Result<Self, &'static str> {
        parse_hex32(text.strip_prefix("sha256:").unwrap_or(text)).map(Digest)
    }

    /// Lower-case hex.
    pub fn to_hex(&self) -> String {
        hex32(&self.0)
    }

    /// Fails with [`Error::DigestMismatch`] unless `bytes` hash to `self`.
    pub fn verify(&self, bytes: &[u8]) -> Result<(), Error> {
        let actual = Digest::of(bytes);
        if actual == *self {
            Ok(())
        } else {
            Err(Error::DigestMismatch {
                expected: self.to_hex(),
                actual: actual.to_hex(),
            })
        }
    }
}

const HEX: &[u8; 16] = b"0123456789abcdef";

/// 32 bytes from exactly 64 hex digits (either case), for digests and keys.
pub fn parse_hex32(hex: &str) -> Result<[u8; 32], &'static str> {
    if hex.len() != 64 {
        return Err("expected 64 hex digits");
    }
    let mut out = [0u8; 32];
    for (i, pair) in hex.as_bytes().chunks(2).enumerate() {
        let hi = hex_val(pair[0]).ok_or("not a hex digit")?;
        let lo = hex_val(pair[1]).ok_or("not a hex digit")?;
        out[i] = hi << 4 | lo;
    }
    Ok(out)
}

/// 32 bytes as 64 lower-case hex digits.
pub fn hex32(bytes: &[u8; 32]) -> String {
    let mut s = String::with_capacity(64);
    for b in bytes {
        s.push(char::from(HEX[(b >> 4) as usize]));
        s.push(char::from(HEX[(b & 15) as usize]));
    }
    s
}

fn hex_val(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

impl fmt::Debug for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "sha256:{}", self.to_hex())
    }
}

impl fmt::Display for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "sha256:{}", self.to_hex())
    }
}

/// Reads a module from `source` into memory, at most `max_bytes`, hashing while it
/// reads. With `expected`, a different digest is refused before anything is compiled.
///
/// This is how a board receives a plugin over any link (flash, UART, a socket).
pub fn read_module<R: embedded_io::Read>(
    mut source: R,
    max_bytes: usize,
    expected: Option<&Digest>,
) -> Result<(Vec<u8>, Digest), Error> {
    use embedded_io::Error as _;
    let mut hasher = Sha256::new();
    let mut buf = Vec::new();
    let mut chunk = [0u8; 512];
    loop {
        let n = source.read(&mut chunk).map_err(|e| Error::Host {
            reason: msg!("reading the module failed: {:?}", e.kind()),
        })?;
        if n == 0 {
            break;
        }
        if buf.len() + n > max_bytes {
            return Err(Error::ModuleTooLarge {
                reason: msg!("module is larger than the {max_bytes}-byte limit"),
            });
        }
        buf.try_reserve(n).map_err(|_| Error::ModuleTooLarge {
            reason: msg!("no memory left to buffer {} module bytes", buf.len() + n),
        })?;
        buf.extend_from_slice(&chunk[..n]);
        hasher.update(&chunk[..n]);
    }
    let digest = Digest(hasher.finalize().into());
    if let Some(expected) = expected {
        if *expected != digest {
            return Err(Error::DigestMismatch {
                expected: expected.to_hex(),
                actual: digest.to_hex(),
            });
        }
    }
    Ok((buf, digest))
}

#[cfg(test)]
mod tests {
    use super::*;

    const EMPTY: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

    #[test]
    fn hex_round_trip() {
        let d = Digest::of(b"");
        assert_eq!(d.to_hex(), EMPTY);
        assert_eq!(Digest::from_hex(EMPTY).unwrap(), d);
        assert_eq!(
            Digest::from_hex(&alloc::format!("sha256:{}", EMPTY.to_uppercase())).unwrap(),
            d
        );
        assert!(Digest::from_hex("abc").is_err());
        assert!(Digest::from_hex(&"g".repeat(64)).is_err());
    }

    #[test]
    fn read_module_hashes_caps_and_verifies() {
        let data = [7u8; 2000];
        let (bytes, d) = read_module(&data[..], 4096, None).unwrap();
        assert_eq!(bytes.len(), 2000);
        assert_eq!(d, Digest::of(&data));
        read_module(&data[..], 4096, Some(&d)).unwrap();
        let wrong = Digest::of(b"other");
        assert!(matches!(
            read_module(&data[..], 4096, Some(&wrong)),
            Err(Error::DigestMismatch { .. })
        ));
        assert!(matches!(
            read_module(&data[..], 1999, None),
            Err(Error::ModuleTooLarge { .. })
        ));
    }
}
