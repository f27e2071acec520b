//! The heap: one fixed static arena, the only memory `caplet-core`, wasmi and the
//! guests' linear memories draw from. Its size is [`ARENA_BYTES`], set here and
//! nowhere else. The allocator counts bytes in use and the peak, so firmware can
//! report what compiling and running each plugin really took.
//!
//! This is the only module of the crate with `unsafe` code; each block says why it
//! is sound.
#![allow(unsafe_code)]

use core::alloc::{GlobalAlloc, Layout};
use core::mem::MaybeUninit;
use core::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use embedded_alloc::LlffHeap;

/// Bytes of the arena: 768 KiB. The conformance run peaks at about 424 KiB
/// (json_transform: its compiled code and a 128 KiB linear memory), but growing a
/// linear memory to the profile's 256 KiB a page at a time needs more: wasmi keeps
/// each memory in one buffer and grows it by allocate-copy-free, so the step from
/// 192 to 256 KiB needs both buffers at once, and the blocks freed by earlier steps
/// are too small to reuse. With 512 KiB the grow bomb got -1 at 192 KiB (no crash,
/// but not the budget). `qemu-test.sh` prints the peak of every image.
pub const ARENA_BYTES: usize = 768 * 1024;

/// The global allocator.
#[global_allocator]
pub static ARENA: Arena = Arena::new();

/// A linked-list-first-fit heap that counts its use.
pub struct Arena {
    heap: LlffHeap,
    ready: AtomicBool,
    used: AtomicUsize,
    peak: AtomicUsize,
}

impl Arena {
    const fn new() -> Self {
        Arena {
            heap: LlffHeap::empty(),
            ready: AtomicBool::new(false),
            used: AtomicUsize::new(0),
            peak: AtomicUsize::new(0),
        }
    }

    /// Hands the static arena to the allocator. Call once, first thing in `main`;
    /// later calls do nothing.
    pub fn init(&self) {
        static mut MEMORY: [MaybeUninit<u8>; ARENA_BYTES] = [MaybeUninit::uninit(); ARENA_BYTES];
        if self.ready.swap(true, Ordering::AcqRel) {
            return;
        }
        // SAFETY: the `ready` flag makes this block run at most once, so the only
        // reference ever made to `MEMORY` is this one, handed to the heap, which
        // owns the region from now on. The region is static, so it outlives every
        // allocation.
        unsafe {
            let start = core::ptr::addr_of_mut!(MEMORY) as usize;
            self.heap.init(start, ARENA_BYTES);
        }
    }

    /// Bytes allocated now (as requested; the heap's own headers are not counted).
    pub fn used(&self) -> usize {
        self.used.load(Ordering::Relaxed)
    }

    /// Bytes the heap can still hand out (an upper bound for one allocation:
    /// fragmentation can make the largest block smaller).
    pub fn free(&self) -> usize {
        self.heap.free()
    }

    /// The highest [`used`](Self::used) since the last [`reset_peak`](Self::reset_peak).
    pub fn peak(&self) -> usize {
        self.peak.load(Ordering::Relaxed)
    }

    /// Starts a new peak measurement from the current use.
    pub fn reset_peak(&self) {
        self.peak.store(self.used(), Ordering::Relaxed);
    }

    fn grew(&self, bytes: usize) {
        let now = self.used.fetch_add(bytes, Ordering::Relaxed) + bytes;
        self.peak.fetch_max(now, Ordering::Relaxed);
    }
}

// SAFETY: every method forwards to `LlffHeap`, a `GlobalAlloc` whose contract it
// keeps (same layout, pointers it returned); the counters only observe the calls.
unsafe impl GlobalAlloc for Arena {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: same contract as ours: `layout` has a non-zero size.
        let p = unsafe { self.heap.alloc(layout) };
        if !p.is_null() {
            self.grew(layout.size());
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` was allocated by this allocator with `layout` (caller's
        // contract), hence by the heap.
        unsafe { self.heap.dealloc(ptr, layout) };
        self.used.fetch_sub(layout.size(), Ordering::Relaxed);
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // The heap's realloc is allocate-copy-free: both blocks exist at once, and
        // the peak must see that, so count the new block before the old one goes.
        // SAFETY: caller's contract: `ptr`/`layout` come from this allocator and
        // `new_size` is a valid non-zero size for `layout.align()`.
        let p = unsafe { self.heap.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            self.grew(new_size);
            self.used.fetch_sub(layout.size(), Ordering::Relaxed);
        }
        p
    }
}
