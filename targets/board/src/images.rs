//! The bodies of the firmware images, shared by every chip crate: a chip sets up its
//! clock, entropy seed and exit path, then calls one of these and exits with the
//! result. Each prints a `figures:` line that `qemu-test.sh` reads.

use alloc::sync::Arc;

use caplet_core::{Digest, Grants, Limits, Platform, PluginConfig, Runtime};

use crate::arena::{ARENA, ARENA_BYTES};
use crate::modules::{ALL, ECHO};
use crate::platform::{board_platform, BoardEntropy, BoardKv, DefmtLog, TickClock, Ticks};
use crate::stack::Stack;

/// The board has no RTC: the wall clock starts at a fixed date (2026-01-01), standing
/// in for one. A real board sets it from its RTC or the network.
pub const WALL_AT_BOOT_NS: u64 = 1_767_225_600_000_000_000;

/// The conformance image: every case on the board platform built from `ticks` and
/// `seed`. Returns whether everything passed.
pub fn conformance<T: Ticks + 'static>(ticks: T, seed: u64, stack: Stack) -> bool {
    #[cfg(feature = "extism")]
    let extism_ok = extism_timing(&ticks);
    #[cfg(not(feature = "extism"))]
    let extism_ok = true;
    let platform = board_platform(
        Arc::new(TickClock::new(ticks).with_wall(WALL_AT_BOOT_NS)),
        Arc::new(BoardEntropy::new(seed)),
        Arc::new(BoardKv::new(4, 16 * 1024)),
    );
    let at_start = ARENA.used();
    let summary = crate::conformance::run(&platform, &stack);
    defmt::println!(
        "figures: arena_bytes={=usize} arena_peak={=usize} arena_at_start={=usize} stack_peak={=usize} embedded_modules={=usize} dispatch={=str}",
        ARENA_BYTES,
        summary.arena_peak,
        at_start,
        summary.stack_peak,
        ALL.iter().map(|m| m.bytes.len()).sum::<usize>(),
        caplet_core::DISPATCH
    );
    defmt::println!(
        "conformance: {=u32} passed, {=u32} failed",
        summary.passed,
        summary.failed
    );
    summary.ok() && extism_ok
}

/// What an unmodified Extism plugin costs on the board: the `extism_board`
/// fixture's `count_vowels` on 13 bytes, timed like [`minimal`] (instructions
/// under `-icount shift=0`): load, instantiate (plugin and Extism kernel), a first
/// and a second call. Returns whether both calls answered right.
#[cfg(feature = "extism")]
fn extism_timing<T: Ticks>(ticks: &T) -> bool {
    let ns = |t: u64| t.saturating_mul(1_000_000_000) / ticks.hz().max(1);
    let Some(module) = ALL.iter().find(|m| m.name == "extism_board") else {
        defmt::error!("extism_board is not embedded");
        return false;
    };
    let limits = Limits {
        memory_bytes: 256 * 1024,
        compile_memory_bytes: ARENA.free() as u64,
        ..Limits::default()
    };
    let runtime = Runtime::default();
    let t0 = ticks.ticks();
    let loaded = runtime.load(
        module.bytes,
        PluginConfig {
            expected_digest: Some(Digest(module.digest)),
            limits,
            ..Default::default()
        },
    );
    let t1 = ticks.ticks();
    let result = loaded.and_then(|p| {
        let mut instance = p.instantiate()?;
        let t2 = ticks.ticks();
        let first = instance.call("count_vowels", b"Hello, World!")?;
        let t3 = ticks.ticks();
        let second = instance.call("count_vowels", b"Hello, World!")?;
        let t4 = ticks.ticks();
        Ok((first, second, [t2, t3, t4]))
    });
    match result {
        Ok((first, second, [t2, t3, t4])) => {
            timing(
                "extism timing",
                [t1 - t0, t2 - t1, t3 - t2, t4 - t3].map(ns),
            );
            first == br#"{"count":3}"# && second == first
        }
        Err(e) => {
            defmt::error!("extism_board count_vowels failed: {}", e);
            false
        }
    }
}

/// The smallest useful host: one plugin from flash (digest pinned), granted nothing
/// but `log`, one call, checked. The size reference for the flash budget and the
/// integration example of `targets/README.md`.
///
/// Under QEMU's `-icount shift=0` one instruction takes one virtual nanosecond, so the
/// times printed here (from `ticks`) are instruction counts: load (hash, scan,
/// compile), instantiate, and a first and second call.
pub fn minimal<T: Ticks>(ticks: T, stack: Stack) -> bool {
    let ns = |t: u64| t.saturating_mul(1_000_000_000) / ticks.hz().max(1);
    let platform = Platform {
        log: Some(Arc::new(DefmtLog)),
        ..Platform::new()
    };
    let limits = Limits {
        memory_bytes: 128 * 1024,
        compile_memory_bytes: ARENA.free() as u64,
        max_input_bytes: 4096,
        max_output_bytes: 4096,
        ..Limits::default()
    };
    let runtime = Runtime::default();
    let t0 = ticks.ticks();
    let loaded = runtime.load(
        ECHO.bytes,
        PluginConfig {
            expected_digest: Some(Digest(ECHO.digest)),
            trust: caplet_core::Trust::Required {
                keys: alloc::vec::Vec::new(),
                digests: alloc::vec![Digest(ECHO.digest)],
            },
            grants: Grants::new(),
            limits,
            platform,
            ..Default::default()
        },
    );
    let t1 = ticks.ticks();
    let ok = match loaded.and_then(|p| p.instantiate()) {
        Ok(mut instance) => {
            let t2 = ticks.ticks();
            let first = instance.call("upper", b"hello from the board");
            let t3 = ticks.ticks();
            let second = instance.call("upper", b"hello from the board");
            let t4 = ticks.ticks();
            match (first, second) {
                (Ok(out), Ok(again)) => {
                    defmt::info!("echo.upper -> {=[u8]:a}", &out[..]);
                    timing("timing", [t1 - t0, t2 - t1, t3 - t2, t4 - t3].map(ns));
                    out == b"HELLO FROM THE BOARD" && again == out
                }
                (Err(e), _) | (_, Err(e)) => {
                    defmt::error!("call failed: {}", e);
                    false
                }
            }
        }
        Err(e) => {
            defmt::error!("load failed: {}", e);
            false
        }
    };
    // After the run, so that a profile of the load (`profile-qemu.sh`, from the
    // first SHA-256 block to the first of instantiation) holds the load alone.
    load_split(&ticks, &limits);
    echo_figures(&stack);
    ok
}

/// Times the first two steps of a load apart, after the load itself: SHA-256 of
/// the module and the import/export scan. The rest of the load is compiling
/// (validation and translation). `qemu-test.sh` reads the line.
fn load_split<T: Ticks>(ticks: &T, limits: &Limits) {
    let ns = |t: u64| t.saturating_mul(1_000_000_000) / ticks.hz().max(1);
    let t0 = ticks.ticks();
    core::hint::black_box(caplet_core::Digest::of(core::hint::black_box(ECHO.bytes)));
    let t1 = ticks.ticks();
    let scanned = caplet_core::ModuleInfo::scan(core::hint::black_box(ECHO.bytes), limits).is_ok();
    let t2 = ticks.ticks();
    defmt::println!(
        "load split (ns; = instructions under -icount shift=0): sha256={=u64} scan={=u64} scanned={=bool}",
        ns(t1 - t0),
        ns(t2 - t1),
        scanned
    );
}

/// The timing line `qemu-test.sh` reads: load, instantiate, first and next call,
/// in ns (instructions under `-icount shift=0`).
fn timing(what: &str, [load, instantiate, first, next]: [u64; 4]) {
    defmt::println!(
        "{=str} (ns; = instructions under -icount shift=0): load={=u64} instantiate={=u64} first_call={=u64} call={=u64}",
        what,
        load,
        instantiate,
        first,
        next
    );
}

/// The figures line of an image that embeds the echo module only.
fn echo_figures(stack: &Stack) {
    defmt::println!(
        "figures: arena_bytes={=usize} arena_peak={=usize} arena_at_start=0 stack_peak={=usize} embedded_modules={=usize} dispatch={=str}",
        ARENA_BYTES,
        ARENA.peak(),
        stack.peak(),
        ECHO.bytes.len(),
        caplet_core::DISPATCH
    );
}

/// The `minimal` host for signed plugins: firmware that trusts one Ed25519 key
/// (a demo key here, see `build.rs`) and loads a module only when its signature by
/// that key verifies; built without validation, it then compiles it unchecked.
/// Before the signed load it shows the refusals: no signature, and a signature
/// with one bit flipped, are both refused before anything reads the module. Times
/// the signed load (SHA-256, signature check, scan, compile) like [`minimal`].
#[cfg(feature = "signatures")]
pub fn signed<T: Ticks>(ticks: T, stack: Stack) -> bool {
    use crate::modules::{DEMO_PUBLIC_KEY, ECHO_SIGNATURE};
    use caplet_core::{Error, PublicKey, Trust};

    let ns = |t: u64| t.saturating_mul(1_000_000_000) / ticks.hz().max(1);
    let config = |signature: Option<&[u8]>| PluginConfig {
        trust: Trust::Required {
            keys: alloc::vec![PublicKey(DEMO_PUBLIC_KEY)],
            digests: alloc::vec::Vec::new(),
        },
        signature: signature.map(<[u8]>::to_vec),
        limits: Limits {
            memory_bytes: 128 * 1024,
            compile_memory_bytes: ARENA.free() as u64,
            max_input_bytes: 4096,
            max_output_bytes: 4096,
            ..Limits::default()
        },
        ..Default::default()
    };
    let runtime = Runtime::default();
    let unsigned = runtime.load(ECHO.bytes, config(None));
    let mut tampered = ECHO_SIGNATURE;
    tampered[40] ^= 1;
    let forged = runtime.load(ECHO.bytes, config(Some(&tampered)));
    let refusals_ok = matches!(unsigned, Err(Error::Untrusted { .. }))
        && matches!(forged, Err(Error::Untrusted { .. }));
    if !refusals_ok {
        defmt::error!("an unsigned or forged module was not refused as untrusted");
    }
    let t0 = ticks.ticks();
    let loaded = runtime.load(ECHO.bytes, config(Some(&ECHO_SIGNATURE)));
    let t1 = ticks.ticks();
    let ok = match loaded.and_then(|p| {
        let verified = matches!(p.verified(), caplet_core::Verified::SignedBy(_));
        let mut instance = p.instantiate()?;
        let t2 = ticks.ticks();
        let out = instance.call("upper", b"signed and verified")?;
        let t3 = ticks.ticks();
        let again = instance.call("upper", b"signed and verified")?;
        let t4 = ticks.ticks();
        Ok((verified, out, again, [t2, t3, t4]))
    }) {
        Ok((verified, out, again, [t2, t3, t4])) => {
            defmt::info!(
                "echo.upper -> {=[u8]:a} (signature verified: {=bool})",
                &out[..],
                verified
            );
            timing("timing", [t1 - t0, t2 - t1, t3 - t2, t4 - t3].map(ns));
            verified && out == b"SIGNED AND VERIFIED" && again == out
        }
        Err(e) => {
            defmt::error!("signed load failed: {}", e);
            false
        }
    };
    echo_figures(&stack);
    ok && refusals_ok
}
