//! Signed plugins: Ed25519 signatures over a module's SHA-256, checked before
//! anything else of the module is read.
//!
//! A signature is 97 bytes: a version byte (`1`), the signer's 32-byte Ed25519
//! public key, and the 64-byte signature. It signs the message
//! `"caplet-signature-v1\0"` followed by the SHA-256 of the signed bytes. It
//! travels one of two ways:
//!
//! - **embedded**: a custom section named [`SIGNATURE_SECTION`] that must be the
//!   module's last section; the signed bytes are the module before it;
//! - **sidecar**: the same 97 bytes beside the module (a `.sig` file, an OCI
//!   annotation); the signed bytes are the whole module.
//!
//! Verification needs caplet-core's `signatures` feature (Ed25519 from
//! `ed25519-dalek`, `no_std`); a build without it still pins digests.
//!
//! What a load demands is its [`Trust`]: by default nothing ([`Trust::Any`]);
//! with [`Trust::Required`] a module loads only when its digest is pinned or a
//! signature by a trusted key verifies, and it is refused before it is scanned
//! or compiled otherwise.

use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

#[cfg(feature = "signatures")]
use ed25519_dalek::{Signature as Ed25519Signature, VerifyingKey};

use crate::digest::{hex32, parse_hex32, Digest};
use crate::error::Error;
use crate::start::leb;

/// The custom section that carries an embedded signature.
pub const SIGNATURE_SECTION: &str = "caplet.signature";

/// Bytes of an encoded signature: version, public key, signature.
pub const SIGNATURE_LEN: usize = 1 + 32 + 64;

/// The version byte of the encoding.
const VERSION: u8 = 1;

/// Domain separation: the signed message starts with these bytes.
const DOMAIN: &[u8] = b"caplet-signature-v1\0";

/// An Ed25519 public key.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct PublicKey(pub [u8; 32]);

impl PublicKey {
    /// Parses 64 hex digits, optionally prefixed by `ed25519:`.
    pub fn from_hex(text: &str) -> Result<PublicKey, Error> {
        let hex = text.trim();
        parse_hex32(hex.strip_prefix("ed25519:").unwrap_or(hex))
            .map(PublicKey)
            .map_err(|_| {
                Error::usage("a public key is 64 hex digits (optionally `ed25519:` first)")
            })
    }

    /// `ed25519:` and 64 lower-case hex digits.
    pub fn to_hex(&self) -> String {
        alloc::format!("ed25519:{}", hex32(&self.0))
    }
}

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

/// A decoded signature.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Signature {
    /// Who signed.
    pub key: PublicKey,
    /// The Ed25519 signature of [`message`] over the signed bytes.
    pub bytes: [u8; 64],
}

impl Signature {
    /// The 97-byte encoding.
    pub fn encode(&self) -> [u8; SIGNATURE_LEN] {
        let mut out = [0u8; SIGNATURE_LEN];
        out[0] = VERSION;
        out[1..33].copy_from_slice(&self.key.0);
        out[33..].copy_from_slice(&self.bytes);
        out
    }

    /// Decodes the 97-byte encoding.
    pub fn decode(bytes: &[u8]) -> Result<Signature, Error> {
        if bytes.len() != SIGNATURE_LEN {
            return Err(untrusted(msg!(
                "a signature is {SIGNATURE_LEN} bytes, this one {}",
                bytes.len()
            )));
        }
        if bytes[0] != VERSION {
            return Err(untrusted(msg!(
                "signature version {} is not supported (only {VERSION})",
                bytes[0]
            )));
        }
        let mut key = [0u8; 32];
        key.copy_from_slice(&bytes[1..33]);
        let mut sig = [0u8; 64];
        sig.copy_from_slice(&bytes[33..]);
        Ok(Signature {
            key: PublicKey(key),
            bytes: sig,
        })
    }

    /// Whether this is a valid signature of `signed` by its key (strict
    /// Ed25519 verification: no malleable or small-order forms).
    #[cfg(feature = "signatures")]
    pub fn verifies(&self, signed: &[u8]) -> bool {
        let Ok(key) = VerifyingKey::from_bytes(&self.key.0) else {
            return false;
        };
        let sig = Ed25519Signature::from_bytes(&self.bytes);
        key.verify_strict(&message(&Digest::of(signed)), &sig)
            .is_ok()
    }
}

/// The message a signature signs: the domain string, then the digest.
pub fn message(digest: &Digest) -> [u8; 52] {
    let mut m = [0u8; 52];
    m[..DOMAIN.len()].copy_from_slice(DOMAIN);
    m[DOMAIN.len()..].copy_from_slice(&digest.0);
    m
}

/// What a load demands of a module's origin.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum Trust {
    /// Any module; grants and limits still apply. The default.
    #[default]
    Any,
    /// Only a module whose SHA-256 is one of `digests`, or that carries a valid
    /// signature (embedded or sidecar) by one of `keys`.
    Required {
        /// Trusted signers.
        keys: Vec<PublicKey>,
        /// Pinned module digests.
        digests: Vec<Digest>,
    },
}

impl Trust {
    /// Trust in signatures by `keys`: [`Trust::Any`] when there are none, else
    /// [`Trust::Required`] with these signers and no pinned digests.
    pub fn keys(keys: Vec<PublicKey>) -> Trust {
        if keys.is_empty() {
            Trust::Any
        } else {
            Trust::Required {
                keys,
                digests: Vec::new(),
            }
        }
    }
}

/// How a module passed [`check`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verified {
    /// No trust was required.
    NotRequired,
    /// Its digest is pinned.
    Pinned,
    /// A signature by this key verified.
    SignedBy(PublicKey),
}

/// The module split at its embedded signature: the signed bytes before the
/// [`SIGNATURE_SECTION`] section and the raw signature, or the whole module and
/// `None` when its last section is not a signature.
///
/// Fails when the module's sections cannot be walked (a truncated or malformed
/// module), or when a signature section is not the last section.
pub fn split(wasm: &[u8]) -> Result<(&[u8], Option<&[u8]>), Error> {
    let bad = |what: &str| untrusted(msg!("cannot read the module's sections: {what}"));
    if wasm.len() < 8 || &wasm[..4] != b"\0asm" {
        return Err(bad("no wasm header"));
    }
    let sections =
        crate::start::sections(wasm).ok_or_else(|| bad("a section runs past the end"))?;
    let signature = sections.iter().position(|s| {
        s.id == 0
            && wasmparser::BinaryReader::new(s.contents, 0)
                .read_string()
                .is_ok_and(|name| name == SIGNATURE_SECTION)
    });
    match signature {
        None => Ok((wasm, None)),
        Some(i) if i + 1 != sections.len() => Err(untrusted(msg!(
            "the `{SIGNATURE_SECTION}` section must be the module's last section"
        ))),
        Some(i) => {
            let s = &sections[i];
            // The custom section's name is a length and the bytes of
            // SIGNATURE_SECTION: the payload follows it.
            let name_len = 1 + SIGNATURE_SECTION.len();
            Ok((&wasm[..s.start], Some(&s.contents[name_len..])))
        }
    }
}

/// `signed` with a [`SIGNATURE_SECTION`] section holding `signature` appended.
/// `signed` must not carry a signature already (see [`split`]).
pub fn embed(signed: &[u8], signature: &Signature) -> Vec<u8> {
    let payload = signature.encode();
    let mut body = Vec::with_capacity(1 + SIGNATURE_SECTION.len() + payload.len());
    leb(&mut body, SIGNATURE_SECTION.len() as u32);
    body.extend_from_slice(SIGNATURE_SECTION.as_bytes());
    body.extend_from_slice(&payload);
    let mut out = Vec::with_capacity(signed.len() + body.len() + 6);
    out.extend_from_slice(signed);
    out.push(0);
    leb(&mut out, body.len() as u32);
    out.extend_from_slice(&body);
    out
}

/// Checks `wasm` against `trust` before anything else reads it. `digest` is the
/// module's SHA-256 (computed once by the caller), `sidecar` a signature that
/// came beside the module.
pub fn check(
    wasm: &[u8],
    digest: &Digest,
    sidecar: Option<&[u8]>,
    trust: &Trust,
) -> Result<Verified, Error> {
    let Trust::Required { keys, digests } = trust else {
        return Ok(Verified::NotRequired);
    };
    if digests.contains(digest) {
        return Ok(Verified::Pinned);
    }
    let (signed, embedded) = split(wasm)?;
    let (signed, raw) = match (sidecar, embedded) {
        (Some(raw), _) => (wasm, raw),
        (None, Some(raw)) => (signed, raw),
        (None, None) => {
            return Err(untrusted(msg!(
                "module sha256:{} is neither pinned nor signed",
                digest.to_hex()
            )))
        }
    };
    let sig = Signature::decode(raw)?;
    if !keys.contains(&sig.key) {
        return Err(untrusted(msg!(
            "signed by {}, which is not a trusted key",
            sig.key.to_hex()
        )));
    }
    #[cfg(not(feature = "signatures"))]
    {
        let _ = signed;
        return Err(untrusted(msg!(
            "signed by {}, but this build cannot verify signatures (caplet-core's \
             `signatures` feature); pin the module's digest instead",
            sig.key.to_hex()
        )));
    }
    #[cfg(feature = "signatures")]
    {
        if !sig.verifies(signed) {
            return Err(untrusted(msg!(
                "the signature by {} does not match the module (altered after signing?)",
                sig.key.to_hex()
            )));
        }
        Ok(Verified::SignedBy(sig.key))
    }
}

fn untrusted(reason: String) -> Error {
    Error::Untrusted { reason }
}

impl fmt::Display for Verified {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Verified::NotRequired => f.write_str("not checked"),
            Verified::Pinned => f.write_str("pinned digest"),
            Verified::SignedBy(k) => write!(f, "signed by {}", k.to_hex()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::string::ToString;

    #[test]
    fn keys_parse_from_hex() {
        let k = PublicKey([0xab; 32]);
        assert_eq!(PublicKey::from_hex(&k.to_hex()).unwrap(), k);
        assert_eq!(PublicKey::from_hex(&"AB".repeat(32)).unwrap(), k);
        assert!(PublicKey::from_hex("abc").is_err());
        assert!(PublicKey::from_hex(&"zz".repeat(32)).is_err());
    }

    #[test]
    fn split_finds_only_a_last_signature_section() {
        let module = b"\0asm\x01\0\0\0".to_vec();
        assert_eq!(split(&module).unwrap(), (&module[..], None));
        let sig = Signature {
            key: PublicKey([1; 32]),
            bytes: [2; 64],
        };
        let signed = embed(&module, &sig);
        let (head, raw) = split(&signed).unwrap();
        assert_eq!(head, &module[..]);
        assert_eq!(Signature::decode(raw.unwrap()).unwrap(), sig);
        // A section after the signature: refused.
        let mut after = signed.clone();
        after.extend_from_slice(&[0, 2, 1, b'x']);
        assert!(split(&after)
            .unwrap_err()
            .to_string()
            .contains("last section"));
        // Truncated: refused.
        assert!(split(&signed[..signed.len() - 1]).is_err());
        assert!(split(b"nope").is_err());
    }
}
