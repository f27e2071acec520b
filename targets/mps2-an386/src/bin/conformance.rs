//! The conformance firmware: every case of `caplet-conformance` on the board, with
//! the modules in flash, decided on the device. Exit code 0 when all pass.
#![no_std]
#![no_main]

use caplet_board::{images, ARENA};
use caplet_mps2_an386::{boot_seed, exit, stack, SysTicks};
use cortex_m_rt::entry;

#[entry]
fn main() -> ! {
    ARENA.init();
    let cp = cortex_m::Peripherals::take().unwrap_or_else(|| exit(false));
    let seed = boot_seed();
    let ticks = SysTicks::start(cp.SYST);
    exit(images::conformance(ticks, seed, stack()))
}
