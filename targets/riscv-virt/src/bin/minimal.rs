//! The smallest useful Caplet host on RISC-V (see `caplet_board::images::minimal`).
#![no_std]
#![no_main]

use caplet_board::{images, ARENA};
use caplet_riscv_virt::{exit, paint_stack, stack_peak_bytes, MachineTimer};

#[riscv_rt::entry]
fn main() -> ! {
    paint_stack();
    ARENA.init();
    exit(images::minimal(MachineTimer, stack_peak_bytes))
}
