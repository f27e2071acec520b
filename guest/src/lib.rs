//! # caplet-guest
//!
//! The kit for writing [Caplet] plugins in Rust. A Caplet plugin is a
//! WebAssembly module built for `wasm32-unknown-unknown` that follows the
//! Caplet contract (ABI v1): it exports `memory`, `caplet_alloc` and any
//! number of *entry points* `name(ptr: i32, len: i32) -> i64` that take bytes
//! and return bytes, and it reaches the outside world only through the
//! host functions of the `caplet` import module, each gated by a capability
//! the operator grants.
//!
//! This crate provides:
//!
//! * the `caplet_alloc` export and the buffer ownership rules, done once;
//! * [`entrypoint!`] and [`json_entrypoint!`], which export plain Rust
//!   functions as entry points, in an easy form (`fn(&[u8]) -> Result<Vec<u8>>`)
//!   and a form that allocates nothing per call (`fn(&[u8], &mut Output)`);
//! * [`manifest!`], which embeds the plugin's manifest in the module;
//! * [`Error`] and [`ErrorCode`], the contract's error model;
//! * safe wrappers for every host import: [`log`], [`config`], [`clock`],
//!   [`random`], [`kv`], [`emit()`], [`fs`], [`http`], [`env`](mod@env), [`secret`],
//!   [`exec`];
//! * [`app_functions!`], which declares the embedding application's own
//!   functions as safe Rust functions.
//!
//! ```
//! use caplet_guest::{kv, log, Error};
//!
//! caplet_guest::manifest!(r#"{
//!     "name": "hello",
//!     "version": "1.0.0",
//!     "entrypoints": ["upper", "visits"],
//!     "capabilities": ["log", "kv"]
//! }"#);
//!
//! /// `upper`: ASCII-uppercases its input.
//! fn upper(input: &[u8]) -> Result<Vec<u8>, Error> {
//!     log::info("upper called");
//!     Ok(input.to_ascii_uppercase())
//! }
//!
//! /// `visits`: counts calls in the plugin's key-value store.
//! fn visits(_input: &[u8]) -> Result<String, Error> {
//!     let seen: u64 = match kv::get("visits")? {
//!         Some(bytes) => std::str::from_utf8(&bytes)?.parse()?,
//!         None => 0,
//!     };
//!     kv::set("visits", (seen + 1).to_string().as_bytes())?;
//!     Ok((seen + 1).to_string())
//! }
//!
//! caplet_guest::entrypoint!(upper, visits);
//! ```
//!
//! Build with `cargo build --release --target wasm32-unknown-unknown` (crate
//! type `cdylib`) and run with `caplet run hello.wasm --call upper --input hi`.
//!
//! On targets other than `wasm32` the crate still compiles: nothing is
//! exported, and every host call fails with [`ErrorCode::Unsupported`], so
//! the plain functions behind entry points can be unit-tested natively.
//!
//! Without its default `std` feature the kit is `no_std` and allocates
//! nothing: the *small-plugin mode* of module `small`, for plugins of a few KB
//! built with 1-byte memory pages that run in a few KiB of memory.
//!
//! [Caplet]: https://github.com/caplet-rs/caplet

#![cfg_attr(not(feature = "std"), no_std)]
#![deny(missing_docs)]
#![deny(unsafe_code)]
#![warn(clippy::undocumented_unsafe_blocks)]

pub mod abi;
mod code;
#[cfg(feature = "std")]
mod entry;
#[cfg(feature = "std")]
mod error;
#[cfg(feature = "std")]
pub mod exec;
#[cfg(feature = "std")]
pub mod fs;
#[cfg(feature = "std")]
mod host;
#[cfg(feature = "std")]
pub mod http;
#[cfg(feature = "std")]
pub mod json;
mod macros;
mod manifest;
#[cfg(feature = "std")]
mod output;
#[cfg(not(feature = "std"))]
#[allow(unsafe_code)]
pub mod small;
#[cfg(feature = "std")]
#[allow(unsafe_code)]
mod sys;

pub use code::ErrorCode;
#[cfg(feature = "std")]
pub use entry::Entry;
#[cfg(feature = "std")]
pub use error::Error;
#[cfg(feature = "std")]
pub use host::{clock, config, emit, env, kv, log, random, secret};
#[cfg(feature = "std")]
pub use output::Output;
#[cfg(not(feature = "std"))]
pub use small::{clock, log, random, Error, Output};

#[cfg(feature = "std")]
#[doc(hidden)]
pub fn __app_call(import: &str, raw: sys::AppImport, input: &[u8]) -> Result<Vec<u8>> {
    sys::app_call(import, raw, input)
}

/// `Result` with the kit's [`Error`] as the default error type.
pub type Result<T, E = Error> = core::result::Result<T, E>;

#[doc(hidden)]
pub mod __private {
    //! Used by the macros; not a stable API.
    #[cfg(feature = "std")]
    pub use crate::entry::{run_entry, run_json_entry};
    pub use crate::manifest::{check_manifest, manifest_bytes};
    #[cfg(not(feature = "std"))]
    pub use crate::small::run_entry;
    #[cfg(feature = "std")]
    pub use crate::sys::CallInput;
}
