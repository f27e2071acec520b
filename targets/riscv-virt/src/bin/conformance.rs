//! The conformance firmware on RISC-V: the same cases, modules and expected values
//! as on the Cortex-M board and on Linux. Exit code 0 when all pass.
#![no_std]
#![no_main]

use caplet_board::{images, ARENA};
use caplet_riscv_virt::{boot_seed, exit, stack, MachineTimer};

#[riscv_rt::entry]
fn main() -> ! {
    stack().paint();
    ARENA.init();
    exit(images::conformance(MachineTimer, boot_seed(), stack()))
}
