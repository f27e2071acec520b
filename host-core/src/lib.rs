//! # caplet-core
//!
//! The `no_std` heart of Caplet: runs untrusted WebAssembly plugins on the
//! [wasmi](https://docs.rs/wasmi) interpreter under hard limits and a capability table.
//!
//! What it does:
//! - checks a module before compiling it (digest, size, declared counts, memory
//!   minimum, the memory its compilation needs) and refuses what does not fit;
//! - links its ABI profiles — contract v1 (`caplet` imports, refused at load when
//!   their capability is not granted) and WASI preview 1 (`wasi_snapshot_preview1`)
//!   — over one set of capability-checked host [`services`];
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
//!
//! A byte entry point is called by name with [`Instance::call`]. A host that calls
//! one entry many times can look it up once with [`Instance::entry`] and call it with
//! [`Instance::call_entry`]: the same call without the lookup by name, as raw wasmi's
//! `TypedFunc` is called. The handle cannot go wrong: on an instance rebuilt after a
//! failure (a trap, running out of fuel, …), or on another instance, it falls back to
//! the name.
//!
//! # Dispatch
//!
//! wasmi interprets with one of two dispatchers. The tail-call dispatcher is about
//! 1.8–3.8× faster, but relies on LLVM turning every handler call into a jump; where
//! it does not (debug builds, release builds with debug-assertions, riscv32) the
//! native stack overflows silently. The portable dispatcher works everywhere.
//! caplet-core never forces one: the final crate chooses with a feature.
//!
//! | feature | dispatcher |
//! | --- | --- |
//! | `auto-dispatch` (default) | tail calls in optimised x86_64/aarch64 builds without debug-assertions; portable in debug and test builds |
//! | `portable-dispatch` | portable everywhere (boards, riscv32); wins over `auto-dispatch` |
//!
//! A build that would run the tail-call dispatcher where it is unsafe (riscv32 with
//! `auto-dispatch`, either dispatcher-less or `auto-dispatch` build with
//! debug-assertions on) fails to compile, naming the feature to pick. [`DISPATCH`]
//! says which dispatcher a build got (`caplet --version` prints it).
//!
//! # What a build links
//!
//! | feature | default | what it brings |
//! | --- | --- | --- |
//! | `validate` | on | wasmparser's validator: every module is validated before it compiles; without it only pinned or signed modules load |
//! | `extism` | on | the Extism profile (`extism:host/env`) |
//! | `wasi` | on | the WASI preview 1 profile (brings `fs` and `env`) |
//! | `fs`, `http`, `env`, `secrets`, `exec` | on | each service and the imports that reach it (contract v1's `fs_*`, `http_request`, `env_get`, `secret_get`, `exec`; Extism's `http_*`) |
//! | `back-edge-fuel` | on | wasmi's `back-edge-fuel` (a patch of the vendored wasmi): a loop's back-edge charges the loop's fuel itself, one dispatch less per iteration, with the same fuel and out-of-fuel stops |
//! | `signatures` | off | Ed25519 verification of signed plugins |
//! | `defmt` | off | `defmt::Format` for errors and reports |
//! | `static-messages` | off | error messages without their values (templates), wasmi's errors by kind only: smaller firmware |
//!
//! A module importing a function whose feature a build lacks is refused at load,
//! naming the feature. A firmware that needs none of the services a board cannot
//! have takes `default-features = false` and adds what it uses: on a Cortex-M4 the
//! WASI profile is about 41 KiB of flash and the five services about 22 KiB more.
#![no_std]
#![deny(unsafe_code)]
#![deny(missing_docs)]
#![warn(clippy::std_instead_of_core, clippy::alloc_instead_of_core)]
// With `static-messages`, a value named only inside a message template (`{e}`) is
// not formatted, so its binding goes unused in that build.
#![cfg_attr(feature = "static-messages", allow(unused_variables))]

extern crate alloc;

/// An error message: `format!` in every build except one with the
/// `static-messages` feature, where the message is its template with each `{…}`
/// placeholder shown as `…` and no value is formatted (`error::static_message`).
/// The arguments are still type-checked there, but not evaluated.
macro_rules! msg {
    ($template:literal $(, $arg:expr)* $(,)?) => {{
        #[cfg(not(feature = "static-messages"))]
        {
            alloc::format!($template $(, $arg)*)
        }
        #[cfg(feature = "static-messages")]
        {
            let _ = || {
                $(let _ = &$arg;)*
            };
            $crate::error::static_message($template)
        }
    }};
}

pub mod abi;
pub mod capability;
pub mod digest;
pub mod error;
pub mod glob;
pub mod inspect;
pub mod limits;
pub mod manifest;
pub mod platform;
pub mod profiles;
mod runtime;
pub mod services;
pub mod signature;
mod start;
mod state;
#[cfg(not(feature = "validate"))]
#[allow(unsafe_code)]
mod unchecked;

/// The wasmi dispatcher of this build: `"tail-call"` or `"portable"` (see "Dispatch"
/// in the crate docs).
pub const DISPATCH: &str = env!("CAPLET_DISPATCH");

pub use capability::{Capability, Grants, Kind};
pub use digest::{read_module, Digest};
pub use error::{Code, Error, ErrorKind, Interrupt};
pub use inspect::{ModuleInfo, ValType};
pub use limits::{parse_size, EngineLimits, Limits};
pub use manifest::Manifest;
pub use platform::Platform;
pub use runtime::{
    Compiled, Entry, Instance, LimitOverrides, LinkedModule, ModuleCache, NoHook, Plugin,
    PluginConfig, Runtime, SliceHook, Usage, Value, MAX_LINKED_MODULES,
};
pub use services::app::{AppCall, AppFunction, AppFunctions};
pub use signature::{PublicKey, Trust, Verified};
