//! # caplet-board
//!
//! What a microcontroller firmware needs around `caplet-core`, independent of the
//! chip: the arena allocator (measured), the board's platform services, the
//! embedded conformance modules and the on-device conformance run.
//!
//! - [`arena`]: the global allocator over one fixed static arena of
//!   [`ARENA_BYTES`] bytes, counting current and peak use.
//! - [`platform`]: `defmt` log and event sinks, a clock over any tick counter,
//!   non-cryptographic entropy, a bounded in-RAM KV store, and [`board_platform`]
//!   which offers exactly those (no filesystem, HTTP, environment or secrets:
//!   granting them fails the load with `CapabilityUnsupported`).
//! - [`modules`]: the conformance modules in flash, with build-time digests.
//! - [`conformance`]: runs `caplet-conformance` on the device and reports figures.
//! - [`images`]: the bodies of the `conformance` and `minimal` images.
//! - [`stack`]: stack measurement by painting.
//!
//! A chip crate (for example `targets/mps2-an386`) supplies the entry point, the
//! tick source, the exit path and the panic handler.
#![no_std]
#![deny(unsafe_code)]
#![deny(missing_docs)]

extern crate alloc;

pub mod arena;
pub mod conformance;
pub mod images;
pub mod modules;
pub mod platform;
pub mod stack;

pub use arena::{ARENA, ARENA_BYTES};
pub use platform::board_platform;

/// Prints a panic through defmt: its location (with the `panic-location`
/// feature) and the arena's state (an allocation failure shows as a nearly full
/// arena). Chips call it from their `#[panic_handler]`, then exit. No
/// `core::fmt`: the message is not printed, as formatting it would pull the
/// formatting machinery into the image.
///
/// Without `panic-location`, `info` is not read at all. Fat LTO then sees that
/// no panic's location or message is ever used and drops them, and the
/// formatting paths that built them: 71 KiB of the stable `minimal` image.
/// Reading any part of `info` (even the line alone) keeps all of it.
pub fn report_panic(info: &core::panic::PanicInfo) {
    #[cfg(feature = "panic-location")]
    match info.location() {
        Some(l) => defmt::error!("panic at {=str}:{=u32}", l.file(), l.line()),
        None => defmt::error!("panic"),
    }
    #[cfg(not(feature = "panic-location"))]
    {
        let _ = info;
        defmt::error!("panic (build with `panic-location` for its file and line)");
    }
    defmt::error!(
        "arena: {=usize} B used, {=usize} B free",
        ARENA.used(),
        ARENA.free()
    );
}
