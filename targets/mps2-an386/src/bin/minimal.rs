//! The smallest useful Caplet host: one plugin from flash (digest pinned), granted
//! nothing but `log`, one call, checked. The size reference for the flash budget and
//! the integration example of `targets/README.md`.
#![no_std]
#![no_main]

extern crate alloc;

use alloc::sync::Arc;

use caplet_board::modules::ECHO;
use caplet_board::platform::DefmtLog;
use caplet_board::{ARENA, ARENA_BYTES};
use caplet_core::{Digest, Grants, Limits, Platform, PluginConfig, Runtime};
use caplet_mps2_an386::{exit, stack_peak_bytes};
use cortex_m_rt::entry;

#[entry]
fn main() -> ! {
    ARENA.init();
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
    let loaded = runtime.load(
        ECHO.bytes,
        PluginConfig {
            expected_digest: Some(Digest(ECHO.digest)),
            grants: Grants::new(),
            limits,
            platform,
            ..Default::default()
        },
    );
    let ok = match loaded.and_then(|p| p.instantiate()) {
        Ok(mut instance) => match instance.call("upper", b"hello from the board") {
            Ok(out) => {
                defmt::info!("echo.upper -> {=[u8]:a}", &out[..]);
                out == b"HELLO FROM THE BOARD"
            }
            Err(e) => {
                defmt::error!("call failed: {}", e);
                false
            }
        },
        Err(e) => {
            defmt::error!("load failed: {}", e);
            false
        }
    };
    defmt::println!(
        "figures: arena_bytes={=usize} arena_peak={=usize} arena_at_start=0 stack_peak={=usize} embedded_modules={=usize}",
        ARENA_BYTES,
        ARENA.peak(),
        stack_peak_bytes(),
        ECHO.bytes.len()
    );
    exit(ok)
}
