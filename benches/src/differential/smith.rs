//! One seed, one module: the wasm-smith generator shared by the differential check
//! (`src/bin/differential.rs`) and the debug-assertion harness (`wasmi-assert/`), so
//! that a seed names the same module in both.
//!
//! The modules use only what Caplet's wasmi build accepts (wasmi 2.0's default
//! features without `simd` and `memory64`, under `EnforcedLimits::strict()`): no
//! threads, exceptions, GC, SIMD, memory64, custom page sizes or wide arithmetic,
//! one memory at most, no imports. Every item is exported, so every function can be
//! called and every memory, global and table read from the host. Floating-point
//! NaNs are canonicalised by the generator (the spec leaves their bits
//! non-deterministic), and `ensure_termination` bounds every loop and recursion
//! with a fuel global, so a module terminates on any engine.

use arbitrary::Unstructured;

/// Loop heads plus function entries a module may execute per instance before its
/// fuel global traps (wasm-smith's `ensure_termination`).
pub const TERMINATION_FUEL: u32 = 10_000;

/// The largest initial or maximum memory the generator declares.
pub const MAX_MEMORY_BYTES: u64 = 2 * 1024 * 1024;

/// The largest table the generator declares.
pub const MAX_TABLE_ELEMENTS: u64 = 1_000;

/// The wasm-smith configuration of a valid module for `seed`. The sizes are drawn
/// within these bounds; the seed also picks one of four shapes, so that a run
/// covers both trap-heavy code and long computations:
///
/// - `seed % 4 == 0`: every instruction kind, traps allowed;
/// - `1`: every kind, no traps (wasm-smith guards divisions, memory and table
///   accesses, conversions), so calls compute further;
/// - `2`: numeric, variable, parametric and control instructions only (dense
///   control flow: multi-value blocks, branches, `select`, locals), traps allowed;
/// - `3`: the same kinds without traps.
pub fn config(seed: u64) -> wasm_smith::Config {
    use wasm_smith::{InstructionKind, InstructionKinds};
    let shape = seed % 4;
    let allowed_instructions = if shape >= 2 {
        InstructionKinds::new(&[
            InstructionKind::Numeric,
            InstructionKind::Variable,
            InstructionKind::Parametric,
            InstructionKind::Control,
        ])
    } else {
        InstructionKinds::all()
    };
    wasm_smith::Config {
        allowed_instructions,
        disallow_traps: shape % 2 == 1,
        // No imports: the host stubs nothing, both engines see the same module.
        max_imports: 0,
        min_imports: 0,
        available_imports: None,
        export_everything: true,
        allow_start_export: true,
        // Proposals wasmi 2.0 (Caplet's build) and wasmtime 43 both run.
        bulk_memory_enabled: true,
        reference_types_enabled: true,
        multi_value_enabled: true,
        saturating_float_to_int_enabled: true,
        sign_extension_ops_enabled: true,
        tail_call_enabled: true,
        extended_const_enabled: true,
        // Proposals Caplet's wasmi build refuses (or wasmi lacks).
        simd_enabled: false,
        relaxed_simd_enabled: false,
        threads_enabled: false,
        shared_everything_threads_enabled: false,
        exceptions_enabled: false,
        gc_enabled: false,
        memory64_enabled: false,
        custom_page_sizes_enabled: false,
        wide_arithmetic_enabled: false,
        // EnforcedLimits::strict(): one memory, at most 100 tables.
        max_memories: 1,
        max_tables: 4,
        max_memory32_bytes: MAX_MEMORY_BYTES,
        max_table_elements: MAX_TABLE_ELEMENTS,
        min_types: 3,
        min_funcs: 3,
        max_funcs: 50,
        max_instructions: 400,
        max_nesting_depth: 10,
        canonicalize_nans: true,
        allow_invalid_funcs: false,
        generate_custom_sections: false,
        ..wasm_smith::Config::default()
    }
}

/// The configuration of the harness's invalid-body mode: wasm-smith may take raw
/// input bytes as a function body, so the module may fail validation anywhere in a
/// body (what the debug assertion on `end nop end` was found with).
pub fn config_invalid_bodies(seed: u64) -> wasm_smith::Config {
    wasm_smith::Config {
        allow_invalid_funcs: true,
        ..config(seed)
    }
}

/// A deterministic byte stream (SplitMix64) of a length drawn from the seed
/// (256 B to 16 KiB): the `arbitrary` input of one module.
pub fn input_bytes(seed: u64) -> Vec<u8> {
    let mut state = seed;
    let mut next = move || {
        state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    };
    let len = 256 + (next() % (16 * 1024 - 256)) as usize;
    let mut out = Vec::with_capacity(len + 8);
    while out.len() < len {
        out.extend_from_slice(&next().to_le_bytes());
    }
    out.truncate(len);
    out
}

/// The module of `seed` (valid, loops and calls bounded by a fuel global), or `None`
/// when wasm-smith could not build one from its input.
pub fn module(seed: u64) -> Option<Vec<u8>> {
    build(seed, config(seed), true)
}

/// The module of `seed` whose function bodies may be raw input bytes (not bounded:
/// only for compiling).
pub fn module_invalid_bodies(seed: u64) -> Option<Vec<u8>> {
    build(seed, config_invalid_bodies(seed), false)
}

fn build(seed: u64, config: wasm_smith::Config, terminate: bool) -> Option<Vec<u8>> {
    let input = input_bytes(seed);
    let mut u = Unstructured::new(&input);
    let mut module = wasm_smith::Module::new(config, &mut u).ok()?;
    if terminate {
        module.ensure_termination(TERMINATION_FUEL).ok()?;
    }
    Some(module.to_bytes())
}
