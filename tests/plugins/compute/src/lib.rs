//! `compute`: CPU-bound work for fuel and speed tests. No capabilities.
//!
//! Entry points: `primes` (decimal `n` in, count of primes below `n` out)
//! and `sha256` (lowercase hex SHA-256 of the input).
//! Typed exports: `count_primes(n: i32) -> i32`, `fib(n: i32) -> i64`,
//! `depth(n: i32) -> i32` (recurses `n` levels, returns `n`).

use caplet_guest::Error;
pub use fixture_common::count_primes_below;
use fixture_common::hex;
use sha2::{Digest, Sha256};

caplet_guest::manifest!(
    r#"{
  "name": "compute",
  "version": "1.0.0",
  "description": "Counts primes, hashes, computes Fibonacci numbers",
  "entrypoints": ["primes", "sha256"],
  "capabilities": []
}"#
);

/// The `n`th Fibonacci number (`fib(0) = 0`, `fib(1) = 1`), iteratively,
/// wrapping past `fib(92)`; negative `n` gives 0.
pub fn fibonacci(n: i32) -> i64 {
    let (mut a, mut b) = (0i64, 1i64);
    let mut i = 0;
    while i < n {
        let next = a.wrapping_add(b);
        a = b;
        b = next;
        i += 1;
    }
    a
}

fn primes(input: &[u8]) -> Result<String, Error> {
    let text = std::str::from_utf8(input)?.trim();
    let n: u32 = text.parse().map_err(|_| {
        Error::invalid_input(format!(
            "expected a decimal number below 2^32, got {text:?}"
        ))
    })?;
    Ok(count_primes_below(n).to_string())
}

fn sha256(input: &[u8]) -> Result<String, Error> {
    Ok(hex(&Sha256::digest(input)))
}

caplet_guest::entrypoint!(primes, sha256);

/// Typed export: primes below `n` (0 for `n <= 2`).
#[no_mangle]
pub extern "C" fn count_primes(n: i32) -> i32 {
    let n = u32::try_from(n).unwrap_or(0);
    count_primes_below(n) as i32
}

/// Typed export: the `n`th Fibonacci number.
#[no_mangle]
pub extern "C" fn fib(n: i32) -> i64 {
    fibonacci(n)
}

/// Typed export: recurses `n` levels and returns `n`: deep wasm recursion for the
/// interpreter's call stack. Two functions calling each other, never inlined, so
/// LLVM cannot turn the recursion into a loop, and nothing on the shadow stack.
#[no_mangle]
pub extern "C" fn depth(n: i32) -> i32 {
    down_a(n)
}

#[inline(never)]
fn down_a(n: i32) -> i32 {
    if n <= 0 {
        0
    } else {
        down_b(n - 1) + 1
    }
}

#[inline(never)]
fn down_b(n: i32) -> i32 {
    if n <= 0 {
        0
    } else {
        down_a(n - 1) + 1
    }
}
