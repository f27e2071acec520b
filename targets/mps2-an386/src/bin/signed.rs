//! The minimal host for signed plugins (see `caplet_board::images::signed`): one
//! signed plugin from flash, verified on the device, one call.
#![no_std]
#![no_main]

use caplet_board::{images, ARENA};
use caplet_mps2_an386::{exit, stack, SysTicks};
use cortex_m_rt::entry;

#[entry]
fn main() -> ! {
    ARENA.init();
    let cp = cortex_m::Peripherals::take().unwrap_or_else(|| exit(false));
    exit(images::signed(SysTicks::start(cp.SYST), stack()))
}
