//! The compute fixture's prime counter compiled natively: the floor of the compute
//! bench.
//!
//! `tests/plugins/compute` is a `cdylib` only (and depends on the guest kit), so it
//! cannot be linked here; this is the same source as its `count_primes_below`, copied
//! verbatim. The bench asserts that both give the same count before timing.

/// The number of primes below `n`, by trial division (same source as the fixture).
#[allow(clippy::manual_is_multiple_of)] // plain `%`, as in the fixture
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
