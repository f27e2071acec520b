//! The conformance firmware: every case of `caplet-conformance` on the board, with
//! the modules in flash, decided on the device. Exit code 0 when all pass.
#![no_std]
#![no_main]

extern crate alloc;

use alloc::sync::Arc;

use caplet_board::platform::{board_platform, BoardEntropy, BoardKv, TickClock};
use caplet_board::{conformance, ARENA, ARENA_BYTES};
use caplet_mps2_an386::{boot_seed, exit, stack_peak_bytes, SysTicks};
use cortex_m_rt::entry;

/// The board has no RTC: the wall clock starts at a fixed date (2026-01-01), standing
/// in for one. A real board sets it from its RTC or the network.
const WALL_AT_BOOT_NS: u64 = 1_767_225_600_000_000_000;

#[entry]
fn main() -> ! {
    ARENA.init();
    let cp = cortex_m::Peripherals::take().unwrap_or_else(|| exit(false));
    let seed = boot_seed();
    let ticks = SysTicks::start(cp.SYST);
    let platform = board_platform(
        Arc::new(TickClock::new(ticks).with_wall(WALL_AT_BOOT_NS)),
        Arc::new(BoardEntropy::new(seed)),
        Arc::new(BoardKv::new(4, 16 * 1024)),
    );
    let static_used = ARENA.used();
    let summary = conformance::run(&platform);
    defmt::println!(
        "figures: arena_bytes={=usize} arena_peak={=usize} arena_at_start={=usize} stack_peak={=usize} embedded_modules={=usize}",
        ARENA_BYTES,
        summary.arena_peak,
        static_used,
        stack_peak_bytes(),
        caplet_board::modules::ALL.iter().map(|m| m.bytes.len()).sum::<usize>()
    );
    defmt::println!(
        "conformance: {=u32} passed, {=u32} failed",
        summary.passed,
        summary.failed
    );
    exit(summary.ok())
}
