//! Server-sized limits for the Linux host.
//!
//! The core's [`Limits::default`] are a board's (1 MiB of memory, 1 MiB modules,
//! 10^7 fuel): they refuse ordinary plugins on a server, such as a Rust plugin
//! with rustc's default 1 MiB stack (17 pages of minimum memory) or an Extism PDK
//! plugin with debug info (about 2 MB). [`server`] raises what a server can afford;
//! `caplet run --profile embedded` applies the board's limits instead, to rehearse
//! a plugin before flashing it.

use caplet_core::{EngineLimits, Limits};

const MIB: u32 = 1024 * 1024;

/// The Linux defaults of `caplet run` (`--profile server`):
///
/// | limit | server | board ([`Limits::default`]) |
/// | --- | --- | --- |
/// | memory per instance | 16 MiB (256 pages) | 1 MiB |
/// | module size | 64 MiB | 1 MiB |
/// | compile memory | 1 GiB | 8 MiB |
/// | fuel per call | 10,000,000,000 (seconds of work) | 10,000,000 |
/// | functions / types / globals | 200,000 / 50,000 / 50,000 | 10,000 / 2,000 / 1,000 |
/// | data / element segments | 50,000 / 50,000 | 1,000 / 1,000 |
/// | imports / exports | 2,000 / 50,000 | 100 / 1,000 |
/// | input, output, host results | 64 MiB | 1 MiB |
/// | write quota (bytes / files created beneath mappings) | 1 GiB / 100,000 | 64 MiB / 1,000 |
/// | Extism vars (`max_var_bytes`, Extism's default) | 1 MiB | 64 KiB |
///
/// Per-value caps (log line, KV key and value, config) stay as on a board.
pub fn server() -> Limits {
    Limits {
        fuel_per_call: 10_000_000_000,
        memory_bytes: 16 * u64::from(MIB),
        max_module_bytes: 64 * MIB,
        compile_memory_bytes: 1024 * u64::from(MIB),
        max_functions: 200_000,
        max_types: 50_000,
        max_globals: 50_000,
        max_data_segments: 50_000,
        max_element_segments: 50_000,
        max_imports: 2_000,
        max_exports: 50_000,
        max_input_bytes: 64 * MIB,
        max_output_bytes: 64 * MIB,
        max_host_result_bytes: 64 * MIB,
        write_quota_bytes: 1024 * u64::from(MIB),
        write_quota_files: 100_000,
        max_var_bytes: MIB,
        ..Limits::default()
    }
}

/// The interpreter limits of the Linux host: 10,000 nested calls and a 16 MiB
/// value stack (the board's: 512 and 256 KiB).
pub fn server_engine() -> EngineLimits {
    EngineLimits {
        max_recursion_depth: 10_000,
        max_stack_bytes: 16 * MIB,
    }
}

/// The default timeout of one call on the Linux host: 60 s.
pub const SERVER_TIMEOUT_MS: u64 = 60_000;
