//! `secret_reader`: secrets, without revealing them. Capability `secrets:read:*`.
//!
//! `get`: the input is a secret name; returns `"<length> <sha256 hex>"` of
//! the value (never the value), or `NOT_FOUND`.

use caplet_guest::{secret, Error};
use fixture_common::hex;
use sha2::{Digest, Sha256};

caplet_guest::manifest!(
    r#"{
  "name": "secret_reader",
  "version": "1.0.0",
  "description": "Reports a secret's length and digest",
  "entrypoints": ["get"],
  "capabilities": ["secrets:read:*"]
}"#
);

fn get(input: &[u8]) -> Result<String, Error> {
    let name = std::str::from_utf8(input)?;
    let value = secret::get(name)?
        .ok_or_else(|| Error::not_found(format!("secret {name:?} is not set")))?;
    Ok(format!("{} {}", value.len(), hex(&Sha256::digest(&value))))
}

caplet_guest::entrypoint!(get);
