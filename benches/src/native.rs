//! The compute fixture's prime counter compiled natively: the floor of the compute
//! bench. `fixture-common` is the very source the `compute` fixture (and its Extism
//! twin) compile to wasm; the bench asserts that both give the same count before
//! timing.

pub use fixture_common::count_primes_below;
