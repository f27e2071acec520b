//! Decides which wasmi dispatcher this build gets, refuses the combinations where
//! the tail-call dispatcher is unsafe, and tells the crate which one it got.
//!
//! wasmi's tail-call dispatcher relies on LLVM turning every handler call into a
//! jump. Where it does not (opt-level 0/1, release builds with debug-assertions,
//! riscv32 even at O3) the native stack overflows silently: wrong results, hard
//! faults, hangs. wasmi picks its dispatcher from its own features:
//! `portable-dispatch` always wins; `auto-dispatch` picks tail calls when the target
//! architecture is one LLVM lowers sibling calls on and the build optimises; with
//! neither feature wasmi always uses tail calls.
//!
//! Caplet ships tail calls only where they were proven safe: x86-64 and aarch64,
//! optimised, without debug-assertions. Any other build that would get the tail-call
//! dispatcher fails here with a message that says which feature to choose.
use std::env;

fn main() {
    println!("cargo::rerun-if-changed=build.rs");
    for var in [
        "OPT_LEVEL",
        "CARGO_CFG_TARGET_ARCH",
        "CARGO_CFG_TARGET_FEATURE",
        "CARGO_CFG_DEBUG_ASSERTIONS",
        "CARGO_FEATURE_PORTABLE_DISPATCH",
        "CARGO_FEATURE_AUTO_DISPATCH",
    ] {
        println!("cargo::rerun-if-env-changed={var}");
    }
    let portable = env::var_os("CARGO_FEATURE_PORTABLE_DISPATCH").is_some();
    let auto = env::var_os("CARGO_FEATURE_AUTO_DISPATCH").is_some();
    let arch = env::var("CARGO_CFG_TARGET_ARCH").unwrap_or_default();
    let features = env::var("CARGO_CFG_TARGET_FEATURE").unwrap_or_default();
    let opt = env::var("OPT_LEVEL").unwrap_or_default();
    let debug_assertions = env::var_os("CARGO_CFG_DEBUG_ASSERTIONS").is_some();

    // The same decision as wasmi's own build script (wasmi 2.0).
    let wasmi_arch = match arch.as_str() {
        "x86" | "x86_64" | "arm" | "aarch64" | "riscv32" | "riscv64" | "loongarch64" | "s390x" => {
            true
        }
        "wasm32" | "wasm64" => features.split(',').any(|f| f == "tail-call"),
        _ => false,
    };
    let optimising = matches!(opt.as_str(), "2" | "3" | "s" | "z");
    let tail = !portable && (!auto || (wasmi_arch && optimising));

    if tail {
        let unsafe_because = if !matches!(arch.as_str(), "x86_64" | "aarch64") {
            Some(format!("the target architecture `{arch}` is not one where Caplet ships it (x86_64, aarch64)"))
        } else if !optimising {
            Some(format!(
                "opt-level {opt} does not turn the handler calls into jumps"
            ))
        } else if debug_assertions {
            Some(
                "debug-assertions are on, which keeps LLVM from emitting the tail calls"
                    .to_string(),
            )
        } else {
            None
        };
        if let Some(reason) = unsafe_because {
            panic!(
                "\n\ncaplet-core: this build would run wasmi's tail-call dispatcher, but {reason}; \
                 it would overflow the native stack silently.\n\
                 Enable caplet-core's `portable-dispatch` feature for this build (boards, riscv32, \
                 debug or debug-assertion builds), or `auto-dispatch` (the default) on x86_64/aarch64 \
                 without debug-assertions. See caplet-core's crate docs, \"Dispatch\".\n"
            );
        }
    }
    println!(
        "cargo::rustc-env=CAPLET_DISPATCH={}",
        if tail { "tail-call" } else { "portable" }
    );
}
