//! `hostile`: a guest that misbehaves on purpose, for negative tests.
//! No capabilities.
//!
//! * `recurse` — unbounded recursion (overflows the 32 KiB shadow stack and
//!   the engine's call stack): must trap cleanly;
//! * `spin` — an infinite loop: must run out of fuel or time;
//! * `grow` — grows memory 16 pages at a time until `memory.grow` fails,
//!   then returns the total number of pages as decimal text;
//! * `bad_output` — returns a packed `(ptr, len)` running past the end of
//!   memory (`ptr = memory_size * 65536 - 4`, `len = 64`);
//! * `panic` — panics; with `panic = "abort"` that is a wasm trap.

#[cfg(target_arch = "wasm32")]
use core::arch::wasm32::{memory_grow, memory_size};
use core::fmt::Write as _;
use core::hint::black_box;

use caplet_guest::Error;

#[cfg(not(target_arch = "wasm32"))]
fn memory_grow<const MEM: u32>(_delta: usize) -> usize {
    usize::MAX
}
#[cfg(not(target_arch = "wasm32"))]
fn memory_size<const MEM: u32>() -> usize {
    0
}

caplet_guest::manifest!(
    r#"{
  "name": "hostile",
  "version": "1.0.0",
  "description": "Misbehaves on purpose: recursion, spinning, memory growth, bad output, panic",
  "entrypoints": ["recurse", "spin", "grow", "bad_output", "panic"],
  "capabilities": []
}"#
);

#[inline(never)]
fn dive(depth: u64) -> u64 {
    // A frame that lives in linear memory (the shadow stack) as well as on
    // the engine's stack; black_box keeps the optimiser from removing it.
    let mut frame = [0u8; 64];
    frame[(depth % 64) as usize] = depth as u8;
    black_box(&mut frame);
    if black_box(depth) == u64::MAX {
        return 0;
    }
    let below = dive(black_box(depth + 1));
    // Using the result after the call makes the recursion non-tail.
    black_box(below).wrapping_add(u64::from(frame[black_box(3)]))
}

fn recurse(_input: &[u8]) -> Result<String, Error> {
    Ok(dive(black_box(0)).to_string())
}

fn spin(_input: &[u8]) -> Result<Vec<u8>, Error> {
    let mut n = 0u64;
    loop {
        n = black_box(n.wrapping_add(1));
    }
}

fn grow(_input: &[u8]) -> Result<String, Error> {
    // Allocate the output first: once memory is full, the allocator cannot grow.
    let mut out = String::with_capacity(16);
    while memory_grow::<0>(black_box(16)) != usize::MAX {}
    let _ = write!(out, "{}", memory_size::<0>());
    Ok(out)
}

fn do_panic(_input: &[u8]) -> Result<Vec<u8>, Error> {
    panic!("hostile plugin panics on purpose");
}

caplet_guest::entrypoint!(recurse, spin, grow, do_panic as "panic");

/// Returns a packed `(ptr, len)` that runs past the end of linear memory.
#[no_mangle]
pub extern "C" fn bad_output(_ptr: i32, _len: i32) -> i64 {
    let end = memory_size::<0>() * 65536;
    let ptr = end.wrapping_sub(4) as u64;
    ((ptr << 32) | 64) as i64
}
