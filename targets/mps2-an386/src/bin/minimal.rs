//! The smallest useful Caplet host (see `caplet_board::images::minimal`): one
//! plugin from flash, one call. The flash-budget reference.
#![no_std]
#![no_main]

use caplet_board::{images, ARENA};
use caplet_mps2_an386::{exit, stack, SysTicks};
use cortex_m_rt::entry;

#[entry]
fn main() -> ! {
    ARENA.init();
    let cp = cortex_m::Peripherals::take().unwrap_or_else(|| exit(false));
    exit(images::minimal(SysTicks::start(cp.SYST), stack()))
}
