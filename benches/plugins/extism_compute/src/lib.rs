//! `extism_compute`: the Extism twin of the `compute` fixture plugin of tests/plugins,
//! the module of the cold-start comparison. Entries `primes` (decimal `n` in, count of
//! primes below `n` out) and `sha256` (lowercase hex SHA-256 of the input), with the
//! same code as the fixture.

use extism_pdk::*;
use sha2::{Digest, Sha256};

/// The number of primes below `n`, by trial division — the same loop as
/// `count_primes_below` in tests/plugins/compute.
#[allow(clippy::manual_is_multiple_of)]
pub fn count_primes_below(n: u32) -> u32 {
    let mut count = 0;
    let mut k = 2u32;
    while k < n {
        let mut d = 2u32;
        let mut prime = true;
        while d.saturating_mul(d) <= k {
            if k % d == 0 {
                prime = false;
                break;
            }
            d += 1;
        }
        if prime {
            count += 1;
        }
        k += 1;
    }
    count
}

fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(DIGITS[usize::from(b >> 4)] as char);
        out.push(DIGITS[usize::from(b & 15)] as char);
    }
    out
}

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
