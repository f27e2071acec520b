//! # caplet
//!
//! Caplet on Linux: the std platform for [`caplet_core`] and the `caplet` command.
//!
//! This crate uses only the core's public API. It provides:
//! - [`platform`]: the std implementations of the core's small platform traits (clock,
//!   OS entropy, stderr logs, event sink) and [`platform::StdPlatform`] to assemble a
//!   whole platform from operator settings;
//! - [`fs`]: host directories mapped to guest paths, resolved beneath-only;
//! - [`http`]: outbound HTTP with the private-address guard, checked redirects,
//!   deadlines, body caps and a rate limit;
//! - [`env`] and [`secrets`]: the operator's environment allowlist and secrets file;
//! - [`kv`]: the durable, crash-safe KV store shared safely between processes;
//! - [`deadline`]: wall-clock deadlines and cancellation between fuel slices;
//! - [`process`]: one allowed native program run without a shell, with a timeout,
//!   output caps and its whole process group killed at the end;
//! - [`policy`]: the policy file (grants and limits per plugin, TOML);
//! - [`load`]: loading a plugin from a target string (file, manifest, plugin
//!   directory, OCI layout or registry reference);
//! - [`serve`]: `caplet serve`, the plugin service for many callers over HTTP;
//! - [`cli`]: the `caplet` command (`run`, `inspect`, `verify`).
//!
//! `unsafe` code is denied everywhere but in one private module, the memory map of
//! `caplet serve`'s run journal segments (`serve::store::mapped`), which documents
//! each block.

#![deny(unsafe_code)]
#![warn(missing_docs)]

pub mod cli;
pub mod deadline;
pub mod env;
pub mod exec;
pub mod extism_manifest;
mod files;
pub mod fs;
pub mod http;
pub mod kv;
pub mod limits;
pub mod load;
pub mod oci;
pub mod platform;
pub mod policy;
pub mod process;
pub mod registry;
pub mod secrets;
pub mod serve;
pub mod signing;

pub use caplet_core as core;
