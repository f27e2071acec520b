//! Code shared, as one source, by the `compute` fixture, the other fixtures that
//! print hex, the Extism twins of `benches/plugins`, and the native baseline of the
//! compute bench: whatever runs in wasm and natively is the same function.
#![no_std]

extern crate alloc;

use alloc::string::String;

/// The number of primes below `n`, by trial division (deliberately simple: the
/// benches run this very loop in wasm and natively).
#[allow(clippy::manual_is_multiple_of)] // plain `%`, the loop as written
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

/// Lower-case hex of `bytes`.
pub fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(DIGITS[usize::from(b >> 4)] as char);
        out.push(DIGITS[usize::from(b & 15)] as char);
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn primes_and_hex() {
        assert_eq!(super::count_primes_below(1000), 168);
        assert_eq!(super::count_primes_below(2), 0);
        assert_eq!(super::hex(&[0x00, 0xab, 0xff]), "00abff");
    }
}
