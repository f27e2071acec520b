//! Stack measurement by painting: fill the unused stack with a pattern early, and
//! later find the lowest word that no longer holds it.
#![allow(unsafe_code)]

/// The pattern (the same value cortex-m-rt's `paint-stack` writes).
pub const PAINT: u32 = 0xCCCC_CCCC;

/// Paints `[low, below)` with [`PAINT`], where `below` is a little under the
/// caller's frame. For chips whose runtime does not paint the stack at reset.
///
/// `low` must be the word-aligned lowest address of the stack region (above all
/// statics), and nothing may live between it and the caller's stack pointer.
#[inline(never)]
pub fn paint(low: usize) {
    let marker = 0u32;
    // 1 KiB under this frame: room for this function and interrupt frames.
    let below = (core::ptr::addr_of!(marker) as usize).saturating_sub(1024) & !3;
    let mut addr = (low + 3) & !3;
    while addr < below {
        // SAFETY: the caller guarantees `[low, stack pointer)` is the unused part of
        // the stack region: RAM that holds no live object. `addr` is word-aligned and
        // below `below`, so no live frame (this one included) is written.
        unsafe { core::ptr::write_volatile(addr as *mut u32, PAINT) };
        addr += 4;
    }
}

/// Bytes of stack used at the deepest point since painting: `high` (the top of the
/// stack) minus the lowest address whose paint was scrubbed off.
pub fn peak(low: usize, high: usize) -> usize {
    let mut addr = (low + 3) & !3;
    while addr < high {
        // SAFETY: `[low, high)` is the stack region, RAM, word-aligned here; a
        // volatile read of it neither changes it nor lets the compiler assume its
        // value.
        let word = unsafe { core::ptr::read_volatile(addr as *const u32) };
        if word != PAINT {
            break;
        }
        addr += 4;
    }
    high - addr
}
