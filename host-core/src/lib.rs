//! # caplet-core
//!
//! The `no_std` heart of Caplet: runs untrusted WebAssembly plugins on the
//! [wasmi](https://docs.rs/wasmi) interpreter under hard limits and a capability table.
//!
//! What it does:
//! - checks a module before compiling it (digest, size, declared counts, memory
//!   minimum, the memory its compilation needs) and refuses what does not fit;
//! - links contract v1 (`caplet` imports), refusing imports whose capability the
//!   operator did not grant;
//! - runs calls in fuel slices with a hook between slices, under a memory budget, and
//!   reports fuel, peak memory and host calls for every call;
//! - bounds-checks every guest pointer and caps every size before a platform service
//!   sees the data.
//!
//! What it does not do: I/O of any kind. Clocks, entropy, logs, KV, files, HTTP,
//! environment and secrets come from a [`Platform`] the host supplies (see
//! [`platform`] for the traits and their contracts, and [`platform::testing`] for
//! implementations usable in tests).
//!
//! ```
//! use caplet_core::{Runtime, PluginConfig, Grants};
//! # fn main() -> Result<(), caplet_core::Error> {
//! let wasm = wat::parse_str(r#"(module
//!     (memory (export "memory") 1)
//!     (func (export "add") (param i32 i32) (result i32) local.get 0 local.get 1 i32.add))"#).unwrap();
//! let runtime = Runtime::default();
//! let plugin = runtime.load(&wasm, PluginConfig { grants: Grants::new(), ..Default::default() })?;
//! let mut instance = plugin.instantiate()?;
//! let out = instance.call_typed("add", &[caplet_core::Value::I32(2), caplet_core::Value::I32(3)])?;
//! assert_eq!(out, [caplet_core::Value::I32(5)]);
//! # Ok(()) }
//! ```
#![no_std]
#![deny(unsafe_code)]
#![deny(missing_docs)]
#![warn(clippy::std_instead_of_core, clippy::alloc_instead_of_core)]

extern crate alloc;

pub mod abi;
pub mod capability;
pub mod digest;
pub mod error;
pub mod glob;
pub mod inspect;
pub mod limits;
pub mod manifest;
pub mod platform;
mod runtime;

pub use capability::{Capability, Grants, Kind};
pub use digest::{read_module, Digest};
pub use error::{Code, Error, ErrorKind, Interrupt};
pub use inspect::ModuleInfo;
pub use limits::{parse_size, EngineLimits, Limits};
pub use manifest::Manifest;
pub use platform::Platform;
pub use runtime::{
    Compiled, Instance, LimitOverrides, ModuleCache, NoHook, Plugin, PluginConfig, Runtime,
    SliceHook, Usage, Value,
};
