//! `env_reader`: environment variables. Capability `env:*`.
//!
//! `get`: the input is a variable name; returns its value, or `NOT_FOUND`.

use caplet_guest::{env, Error};

caplet_guest::manifest!(
    r#"{
  "name": "env_reader",
  "version": "1.0.0",
  "description": "Reads one environment variable",
  "entrypoints": ["get"],
  "capabilities": ["env:*"]
}"#
);

fn get(input: &[u8]) -> Result<String, Error> {
    let name = std::str::from_utf8(input)?;
    env::get(name)?
        .ok_or_else(|| Error::not_found(format!("environment variable {name:?} is not set")))
}

caplet_guest::entrypoint!(get);
