//! Signing plugins on the host: Ed25519 key pairs (`caplet keygen`), signatures
//! embedded in a module or written beside it (`caplet sign`), and reading the
//! trusted keys and sidecar signatures `caplet run` checks. The format and the
//! verification live in `caplet_core::signature`.

use std::io::Write;
use std::path::{Path, PathBuf};

use caplet_core::signature::{self, Signature, SIGNATURE_LEN};
use caplet_core::{Digest, PublicKey};
use ed25519_dalek::{Signer, SigningKey};

/// The first line of a secret key file, before the hex seed.
const SECRET_PREFIX: &str = "caplet-ed25519-secret:";

/// A key pair's files: `<prefix>.key` (secret) and `<prefix>.pub`.
pub fn key_paths(prefix: &Path) -> (PathBuf, PathBuf) {
    let with = |ext: &str| {
        let mut p = prefix.as_os_str().to_owned();
        p.push(ext);
        PathBuf::from(p)
    };
    (with(".key"), with(".pub"))
}

/// Makes a key pair from the operating system's randomness and writes it:
/// the secret key with mode 0600, created exclusively (an existing file is
/// never overwritten). Returns the public key.
pub fn keygen(prefix: &Path) -> Result<PublicKey, String> {
    let (secret_path, public_path) = key_paths(prefix);
    for p in [&secret_path, &public_path] {
        if p.exists() {
            return Err(format!("{} exists; not overwriting a key", p.display()));
        }
    }
    let mut seed = [0u8; 32];
    getrandom::fill(&mut seed).map_err(|e| format!("no randomness for a key: {e}"))?;
    let key = SigningKey::from_bytes(&seed);
    let public = PublicKey(key.verifying_key().to_bytes());
    let secret = format!("{SECRET_PREFIX}{}\n", caplet_core::digest::hex32(&seed));
    write_new(&secret_path, secret.as_bytes(), 0o600)?;
    write_new(
        &public_path,
        format!("{}\n", public.to_hex()).as_bytes(),
        0o644,
    )?;
    Ok(public)
}

/// Writes `bytes` to a file that must not exist yet, with `mode`.
fn write_new(path: &Path, bytes: &[u8], mode: u32) -> Result<(), String> {
    use std::os::unix::fs::OpenOptionsExt;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(mode)
        .open(path)
        .map_err(|e| format!("{}: {e}", path.display()))?;
    f.write_all(bytes)
        .and_then(|()| f.sync_all())
        .map_err(|e| format!("{}: {e}", path.display()))
}

/// Reads a secret key file written by [`keygen`].
pub fn read_secret(path: &Path) -> Result<SigningKey, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let hex = text
        .trim()
        .strip_prefix(SECRET_PREFIX)
        .ok_or_else(|| format!("{}: not a caplet secret key file", path.display()))?;
    let seed = caplet_core::digest::parse_hex32(hex)
        .map_err(|_| format!("{}: the secret key is not 64 hex digits", path.display()))?;
    Ok(SigningKey::from_bytes(&seed))
}

/// A trusted key given on the command line: `ed25519:<hex>`, bare hex, or the
/// path of a `.pub` file.
pub fn read_public(arg: &str) -> Result<PublicKey, String> {
    read_public_in(arg, Path::new(""))
}

/// [`read_public`] with a relative `.pub` path taken from `base` (a policy file's
/// directory).
pub fn read_public_in(arg: &str, base: &Path) -> Result<PublicKey, String> {
    if let Ok(key) = PublicKey::from_hex(arg) {
        return Ok(key);
    }
    if arg.starts_with("ed25519:") {
        return Err(format!(
            "trusted key `{arg}`: not a key (`ed25519:` and 64 hex digits)"
        ));
    }
    // A `.pub` file is one line; a regular file only, read up to 1 KiB.
    let text = crate::files::open_regular(&base.join(arg))
        .and_then(|f| crate::files::read_text_capped_from(f, 1024))
        .map_err(|e| format!("trusted key `{arg}`: neither a key nor a readable file ({e})"))?;
    PublicKey::from_hex(text.trim())
        .map_err(|_| format!("{arg}: not a public key file (`ed25519:` and 64 hex digits)"))
}

/// Signs `signed` (its SHA-256, under the signature domain).
pub fn sign_bytes(key: &SigningKey, signed: &[u8]) -> Signature {
    let sig = key.sign(&signature::message(&Digest::of(signed)));
    Signature {
        key: PublicKey(key.verifying_key().to_bytes()),
        bytes: sig.to_bytes(),
    }
}

/// `wasm` with its embedded signature replaced by one from `key`: any existing
/// `caplet.signature` section is dropped first.
pub fn sign_embedded(wasm: &[u8], key: &SigningKey) -> Result<Vec<u8>, String> {
    let (signed, _) = signature::split(wasm).map_err(|e| e.to_string())?;
    Ok(signature::embed(signed, &sign_bytes(key, signed)))
}

/// The sidecar signature of the whole of `wasm`.
pub fn sign_sidecar(wasm: &[u8], key: &SigningKey) -> [u8; SIGNATURE_LEN] {
    sign_bytes(key, wasm).encode()
}

/// The sidecar signature path of a module file: `<module>.sig`.
pub fn sidecar_path(module: &Path) -> PathBuf {
    let mut p = module.as_os_str().to_owned();
    p.push(".sig");
    PathBuf::from(p)
}

/// The largest sidecar signature file read: a signature is 97 bytes, anything much
/// larger is not one.
pub const MAX_SIDECAR_BYTES: u64 = 4096;

/// MODULE.sig beside `module`, if it exists.
pub fn find_sidecar(module: &Path) -> Option<PathBuf> {
    Some(sidecar_path(module)).filter(|p| p.is_file())
}

/// Reads a sidecar signature file, at most [`MAX_SIDECAR_BYTES`].
pub fn read_sidecar(path: &Path) -> std::io::Result<Vec<u8>> {
    crate::files::read_capped(path, MAX_SIDECAR_BYTES)
}

#[cfg(test)]
mod tests {
    use super::*;
    use caplet_core::{Trust, Verified};

    const MODULE: &[u8] = b"\0asm\x01\0\0\0\0\x04\x03abc";

    fn key(n: u8) -> SigningKey {
        SigningKey::from_bytes(&[n; 32])
    }

    fn trust(keys: &[&SigningKey]) -> Trust {
        Trust::Required {
            keys: keys
                .iter()
                .map(|k| PublicKey(k.verifying_key().to_bytes()))
                .collect(),
            digests: Vec::new(),
        }
    }

    #[test]
    fn embedded_signatures_verify_and_detect_changes() {
        let k = key(1);
        let signed = sign_embedded(MODULE, &k).unwrap();
        let d = Digest::of(&signed);
        let v = signature::check(&signed, &d, None, &trust(&[&k])).unwrap();
        assert!(matches!(v, Verified::SignedBy(_)));
        // Re-signing replaces the section instead of stacking a second one.
        let again = sign_embedded(&signed, &key(2)).unwrap();
        assert_eq!(again.len(), signed.len());
        // Another key is not trusted.
        let e = signature::check(&again, &Digest::of(&again), None, &trust(&[&k])).unwrap_err();
        assert!(e.to_string().contains("not a trusted key"), "{e}");
        // One byte changed before the section: refused.
        let mut tampered = signed.clone();
        tampered[11] ^= 1;
        let e =
            signature::check(&tampered, &Digest::of(&tampered), None, &trust(&[&k])).unwrap_err();
        assert!(e.to_string().contains("does not match"), "{e}");
    }

    #[test]
    fn sidecar_signatures_cover_the_whole_module() {
        let k = key(3);
        let sig = sign_sidecar(MODULE, &k);
        let d = Digest::of(MODULE);
        assert!(signature::check(MODULE, &d, Some(&sig), &trust(&[&k])).is_ok());
        let mut other = MODULE.to_vec();
        other.push(0);
        assert!(signature::check(&other, &Digest::of(&other), Some(&sig), &trust(&[&k])).is_err());
        // A truncated sidecar is refused with its length.
        let e = signature::check(MODULE, &d, Some(&sig[..10]), &trust(&[&k])).unwrap_err();
        assert!(e.to_string().contains("97 bytes"), "{e}");
    }

    #[test]
    fn keys_round_trip_through_files() {
        let dir = tempfile::tempdir().unwrap();
        let prefix = dir.path().join("signer");
        let public = keygen(&prefix).unwrap();
        let (secret_path, public_path) = key_paths(&prefix);
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&secret_path)
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
        let secret = read_secret(&secret_path).unwrap();
        assert_eq!(PublicKey(secret.verifying_key().to_bytes()), public);
        assert_eq!(read_public(public_path.to_str().unwrap()).unwrap(), public);
        assert_eq!(read_public(&public.to_hex()).unwrap(), public);
        assert!(keygen(&prefix).unwrap_err().contains("exists"));
        assert!(read_public("no-such-file").is_err());
        assert!(read_secret(&public_path).is_err());
    }
}
