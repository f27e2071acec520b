//! Caplet on the Arm MPS2 AN386 board (Cortex-M4F) as QEMU models it: the pieces a
//! firmware needs from the chip — a SysTick tick source for the clock, the exit
//! path (semihosting), the panic and fault handlers, and stack measurement.
//!
//! The images are `src/bin/conformance.rs` (the on-device conformance run) and
//! `src/bin/minimal.rs` (the smallest useful host: one plugin, one call — the
//! size reference and the integration example of `targets/README.md`).
#![no_std]
#![deny(missing_docs)]
#![deny(unsafe_code)]

use core::sync::atomic::{AtomicU32, Ordering};

use caplet_board::platform::Ticks;
use caplet_board::stack::Stack;
use cortex_m::peripheral::syst::SystClkSource;
use cortex_m::peripheral::SYST;
use cortex_m_rt::exception;
// The defmt transport: frames go to the host over semihosting (decoded there by
// `defmt-print`).
use defmt_semihosting as _;

/// The core clock QEMU gives the AN386 (and SysTick's processor clock source).
pub const CORE_HZ: u64 = 25_000_000;
const RELOAD: u32 = 0x00FF_FFFF;

static WRAPS: AtomicU32 = AtomicU32::new(0);

#[exception]
fn SysTick() {
    WRAPS.fetch_add(1, Ordering::Relaxed);
}

/// SysTick as a 64-bit tick counter: the 24-bit down-counter plus an interrupt
/// counting its wraps.
pub struct SysTicks(());

impl SysTicks {
    /// Starts SysTick from the processor clock, wrapping every 2^24 ticks.
    pub fn start(mut syst: SYST) -> Self {
        syst.set_clock_source(SystClkSource::Core);
        syst.set_reload(RELOAD);
        syst.clear_current();
        syst.enable_interrupt();
        syst.enable_counter();
        SysTicks(())
    }
}

impl Ticks for SysTicks {
    fn ticks(&self) -> u64 {
        loop {
            let before = WRAPS.load(Ordering::Acquire);
            let current = SYST::get_current();
            // A wrap between the two reads is seen here (the SysTick interrupt runs
            // at once in thread mode): read again.
            if WRAPS.load(Ordering::Acquire) == before {
                return (u64::from(before) << 24) | u64::from(RELOAD - current);
            }
        }
    }

    fn hz(&self) -> u64 {
        CORE_HZ
    }
}

/// A seed that differs between boots on hardware (the SysTick phase); under
/// `-icount` it is the same every run, which keeps runs reproducible.
pub fn boot_seed() -> u64 {
    0x5EED_CA97_1E70_0000 ^ u64::from(SYST::get_current())
}

/// Ends the QEMU run: exit code 0 when `ok`, 1 otherwise.
pub fn exit(ok: bool) -> ! {
    semihosting::process::exit(if ok { 0 } else { 1 })
}

extern "C" {
    static _stack_end: u32;
    static _stack_start: u32;
}

/// The stack region (cortex-m-rt painted it at reset with the same pattern
/// `caplet_board::stack` looks for).
pub fn stack() -> Stack {
    const _: () = assert!(cortex_m_rt::STACK_PAINT_VALUE == caplet_board::stack::PAINT);
    // Only the symbols' addresses are taken (the linker script defines them).
    Stack::new(
        core::ptr::addr_of!(_stack_end) as usize,
        core::ptr::addr_of!(_stack_start) as usize,
    )
}

/// A fault (a bad access, an undefined instruction: what a panic becomes on the
/// nightly size profile, whose panics abort at once) ends the run as a failure,
/// naming where it happened, instead of spinning in the default handler until the
/// runner's timeout.
#[allow(unsafe_code)]
#[exception]
unsafe fn HardFault(frame: &cortex_m_rt::ExceptionFrame) -> ! {
    // SAFETY: this body does nothing unsafe; cortex-m-rt requires the handler to
    // be declared `unsafe fn`. It reads the stacked frame the hardware wrote and
    // leaves through semihosting, which works in handler mode.
    defmt::error!(
        "hard fault at pc {=u32:#x} (lr {=u32:#x})",
        frame.pc(),
        frame.lr()
    );
    exit(false)
}

#[panic_handler]
fn panic(info: &core::panic::PanicInfo) -> ! {
    caplet_board::report_panic(info);
    exit(false)
}
