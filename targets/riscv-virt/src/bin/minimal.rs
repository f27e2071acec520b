//! The smallest useful Caplet host on RISC-V (see `caplet_board::images::minimal`).
#![no_std]
#![no_main]

use caplet_board::{images, ARENA};
use caplet_riscv_virt::{exit, stack, MachineTimer};

#[riscv_rt::entry]
fn main() -> ! {
    stack().paint();
    ARENA.init();
    exit(images::minimal(MachineTimer, stack()))
}
