//! Caplet on QEMU's RISC-V `virt` machine (riscv32imac, one hart): the pieces a
//! firmware needs from the chip — the CLINT's `mtime` as the tick source, the exit
//! path (semihosting), the panic and fault handlers, and stack measurement. The images are the
//! same as on the Cortex-M board (`caplet_board::images`).
//!
//! wasmi's `portable-dispatch` (always on in `caplet-core`) matters most here: the
//! tail-call dispatcher overflows the native stack on riscv32 even at `opt-level = 3`.
#![no_std]
#![deny(missing_docs)]
#![deny(unsafe_code)]

use caplet_board::platform::Ticks;
use caplet_board::stack::Stack;
// The defmt transport: frames go to the host over semihosting.
use defmt_semihosting as _;

mod mtime {
    //! The CLINT's 64-bit machine timer, memory-mapped.
    #![allow(unsafe_code)]

    /// `mtime` of QEMU `virt`'s CLINT (SiFive layout: base 0x0200_0000 + 0xBFF8).
    const MTIME_LO: usize = 0x0200_BFF8;
    const MTIME_HI: usize = MTIME_LO + 4;

    /// Reads the 64-bit counter with 32-bit accesses (hi, lo, hi until stable).
    pub fn read() -> u64 {
        loop {
            // SAFETY: on the `virt` machine these addresses are the CLINT's `mtime`
            // register, always mapped and readable in machine mode; reads have no
            // side effects. Volatile keeps every read.
            let (hi, lo, hi2) = unsafe {
                (
                    core::ptr::read_volatile(MTIME_HI as *const u32),
                    core::ptr::read_volatile(MTIME_LO as *const u32),
                    core::ptr::read_volatile(MTIME_HI as *const u32),
                )
            };
            if hi == hi2 {
                return (u64::from(hi) << 32) | u64::from(lo);
            }
        }
    }
}

/// The frequency of `mtime` on QEMU `virt`.
pub const MTIME_HZ: u64 = 10_000_000;

/// `mtime` as the tick source: 64 bits, free-running, never wraps in practice.
pub struct MachineTimer;

impl Ticks for MachineTimer {
    fn ticks(&self) -> u64 {
        mtime::read()
    }

    fn hz(&self) -> u64 {
        MTIME_HZ
    }
}

/// A seed that differs between boots on hardware (the timer at boot); under
/// `-icount` it is the same every run, which keeps runs reproducible.
pub fn boot_seed() -> u64 {
    0x5EED_CA97_1E70_0000 ^ mtime::read()
}

/// Ends the QEMU run: exit code 0 when `ok`, 1 otherwise.
pub fn exit(ok: bool) -> ! {
    semihosting::process::exit(if ok { 0 } else { 1 })
}

extern "C" {
    static __eheap: u32;
    static _stack_start: u32;
}

/// The stack region: from the end of riscv-rt's (empty) heap section to
/// `_stack_start`. riscv-rt does not paint it: call [`Stack::paint`] first thing.
pub fn stack() -> Stack {
    // Only the symbols' addresses are taken (riscv-rt's linker script defines them).
    Stack::new(
        core::ptr::addr_of!(__eheap) as usize,
        core::ptr::addr_of!(_stack_start) as usize,
    )
}

/// An exception (a bad access, an illegal instruction: what a panic becomes on the
/// nightly size profile, whose panics abort at once) ends the run as a failure,
/// naming its cause and where it happened, instead of riscv-rt's default, which
/// spins until the runner's timeout.
// SAFETY: exporting the symbol is what riscv-rt's trap vector calls for an
// exception without a handler of its own; nothing else defines
// `ExceptionHandler`, and the signature is the one riscv-rt documents.
#[allow(unsafe_code)]
#[export_name = "ExceptionHandler"]
fn exception_handler(_frame: &riscv_rt::TrapFrame) -> ! {
    defmt::error!(
        "exception: mcause {=usize:#x} at pc {=usize:#x}",
        riscv::register::mcause::read().bits(),
        riscv::register::mepc::read()
    );
    exit(false)
}

#[panic_handler]
fn panic(info: &core::panic::PanicInfo) -> ! {
    caplet_board::report_panic(info);
    exit(false)
}
