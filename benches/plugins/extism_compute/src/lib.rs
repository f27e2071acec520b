//! `extism_compute`: the Extism twin of the `compute` fixture plugin of tests/plugins,
//! the module of the cold-start comparison. Entries `primes` (decimal `n` in, count of
//! primes below `n` out) and `sha256` (lowercase hex SHA-256 of the input), with the
//! same code as the fixture.

use extism_pdk::*;
// The same code as the `compute` fixture, from the same source.
use fixture_common::{count_primes_below, hex};
use sha2::{Digest, Sha256};

#[plugin_fn]
pub fn primes(input: String) -> FnResult<String> {
    let text = input.trim();
    let n: u32 = text.parse().map_err(|_| {
        Error::msg(format!(
            "expected a decimal number below 2^32, got {text:?}"
        ))
    })?;
    Ok(count_primes_below(n).to_string())
}

#[plugin_fn]
pub fn sha256(input: Vec<u8>) -> FnResult<String> {
    Ok(hex(&Sha256::digest(&input)))
}
