//! Stack measurement by painting: fill the unused stack with a pattern, and later
//! find the lowest word that no longer holds it. [`Stack`] does both for one stack
//! region; the conformance run repaints before each case to measure each alone.
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

/// One stack region: `[low, high)`, growing down from `high`.
#[derive(Debug, Clone, Copy)]
pub struct Stack {
    low: usize,
    high: usize,
}

impl Stack {
    /// The region from `low` (above all statics; word-aligned) to `high` (the top).
    /// Nothing but the stack may live in it.
    pub const fn new(low: usize, high: usize) -> Self {
        Stack { low, high }
    }

    /// Paints the unused part of the region (below the caller's frame).
    pub fn paint(&self) {
        paint(self.low);
    }

    /// Deepest use since the last paint, in bytes from the top.
    pub fn peak(&self) -> usize {
        peak(self.low, self.high)
    }
}
