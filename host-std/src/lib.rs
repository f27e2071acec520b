//! # caplet
//!
//! Caplet on Linux: the std platform for [`caplet_core`] and the `caplet` command.
//!
//! This crate uses only the core's public API. It provides:
//! - [`platform`]: the std implementations of the core's platform traits (clock,
//!   OS entropy, stderr logs, event sink) and [`platform::std_platform`] to bundle them;
//! - [`deadline`]: wall-clock deadlines and cancellation between fuel slices;
//! - [`cli`]: the `caplet` command (`run`, `inspect`, `verify`).
//!
//! Filesystem, HTTP, env, secrets and durable KV arrive with the std adapter work;
//! until then those capabilities are refused at load with a clear error.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod cli;
pub mod deadline;
pub mod platform;

pub use caplet_core as core;
