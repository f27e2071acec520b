//! The boundary with the host: the only module of the kit that uses `unsafe`.
//!
//! It holds the raw `caplet` imports (stubs returning `-UNSUPPORTED` on
//! targets other than `wasm32`), the exported `caplet_alloc`, and the
//! bookkeeping that lets the guest use buffers the host filled.
//!
//! `caplet_alloc` serves from the *call arena* (see [`Arena`]): a kit-owned
//! buffer reset when the host starts the next call, so a call's input is read
//! in place and a call allocates nothing from the global allocator. An
//! allocation that does not fit the arena comes from the global allocator and
//! is recorded as *pending* until the kit claims it with [`claim`]. A pointer
//! the kit did not hand out is never read as input or freed, so a confused
//! host cannot make the guest free memory it does not own; a buffer the host
//! allocated and then abandoned (for example because the host call failed
//! afterwards) is freed by [`sweep`] after the next host call or at the start
//! of the next entry call.

use std::alloc::{alloc_zeroed, dealloc, Layout};
use std::cell::{Cell, RefCell};
use std::mem::ManuallyDrop;
use std::ptr::NonNull;

use crate::abi;
use crate::error::Error;

#[cfg(target_arch = "wasm32")]
mod imports {
    #[link(wasm_import_module = "caplet")]
    extern "C" {
        pub fn log(level: i32, ptr: i32, len: i32);
        pub fn set_error(ptr: i32, len: i32);
        pub fn config_get(key_ptr: i32, key_len: i32) -> i64;
        pub fn clock_now(clock: i32) -> i64;
        pub fn random_fill(ptr: i32, len: i32) -> i32;
        pub fn kv_get(key_ptr: i32, key_len: i32) -> i64;
        pub fn kv_set(key_ptr: i32, key_len: i32, val_ptr: i32, val_len: i32) -> i32;
        pub fn kv_delete(key_ptr: i32, key_len: i32) -> i32;
        pub fn emit(topic_ptr: i32, topic_len: i32, data_ptr: i32, data_len: i32) -> i32;
        pub fn fs_read(path_ptr: i32, path_len: i32) -> i64;
        pub fn fs_write(path_ptr: i32, path_len: i32, data_ptr: i32, data_len: i32) -> i32;
        pub fn fs_list(path_ptr: i32, path_len: i32) -> i64;
        pub fn http_request(req_ptr: i32, req_len: i32) -> i64;
        pub fn env_get(name_ptr: i32, name_len: i32) -> i64;
        pub fn secret_get(name_ptr: i32, name_len: i32) -> i64;
        pub fn exec(req_ptr: i32, req_len: i32) -> i64;
    }
}

/// Stand-ins so the kit builds and its tests run on the build machine: every
/// call that returns a status fails with `-UNSUPPORTED` (`-7`).
#[cfg(not(target_arch = "wasm32"))]
#[allow(clippy::missing_safety_doc)]
mod imports {
    const UNSUPPORTED32: i32 = -7;
    const UNSUPPORTED64: i64 = -7;

    pub unsafe fn log(_level: i32, _ptr: i32, _len: i32) {}
    pub unsafe fn set_error(_ptr: i32, _len: i32) {}
    pub unsafe fn config_get(_key_ptr: i32, _key_len: i32) -> i64 {
        UNSUPPORTED64
    }
    pub unsafe fn clock_now(_clock: i32) -> i64 {
        UNSUPPORTED64
    }
    pub unsafe fn random_fill(_ptr: i32, _len: i32) -> i32 {
        UNSUPPORTED32
    }
    pub unsafe fn kv_get(_key_ptr: i32, _key_len: i32) -> i64 {
        UNSUPPORTED64
    }
    pub unsafe fn kv_set(_key_ptr: i32, _key_len: i32, _val_ptr: i32, _val_len: i32) -> i32 {
        UNSUPPORTED32
    }
    pub unsafe fn kv_delete(_key_ptr: i32, _key_len: i32) -> i32 {
        UNSUPPORTED32
    }
    pub unsafe fn emit(_topic_ptr: i32, _topic_len: i32, _data_ptr: i32, _data_len: i32) -> i32 {
        UNSUPPORTED32
    }
    pub unsafe fn fs_read(_path_ptr: i32, _path_len: i32) -> i64 {
        UNSUPPORTED64
    }
    pub unsafe fn fs_write(_path_ptr: i32, _path_len: i32, _data_ptr: i32, _data_len: i32) -> i32 {
        UNSUPPORTED32
    }
    pub unsafe fn fs_list(_path_ptr: i32, _path_len: i32) -> i64 {
        UNSUPPORTED64
    }
    pub unsafe fn http_request(_req_ptr: i32, _req_len: i32) -> i64 {
        UNSUPPORTED64
    }
    pub unsafe fn env_get(_name_ptr: i32, _name_len: i32) -> i64 {
        UNSUPPORTED64
    }
    pub unsafe fn secret_get(_name_ptr: i32, _name_len: i32) -> i64 {
        UNSUPPORTED64
    }
    pub unsafe fn exec(_req_ptr: i32, _req_len: i32) -> i64 {
        UNSUPPORTED64
    }
}

thread_local! {
    /// Buffers handed out by `alloc_tracked` and not claimed yet: (address, size).
    ///
    /// `ManuallyDrop` keeps the thread-local free of a destructor, and with it
    /// of the registration and state checks a destructor costs on every access
    /// (a wasm instance never runs thread-local destructors anyway).
    static PENDING: RefCell<ManuallyDrop<Vec<(usize, usize)>>> =
        const { RefCell::new(ManuallyDrop::new(Vec::new())) };
}

/// The largest call arena kept between calls (the contract's default input cap).
/// A call that needs more gets the overflow from the global allocator instead.
const MAX_ARENA: usize = 1 << 20;

/// The smallest arena allocated: a few small calls' worth.
const MIN_ARENA: usize = 1024;

/// The call arena: one buffer, owned by the kit, that holds a call's input and
/// the host results of the call, handed out by bumping an offset and reset when
/// the host starts the next call.
///
/// Under an interpreter every guest instruction counts: a dlmalloc `malloc` and
/// `free` of a small buffer take about 1,900 wasm instructions, most of a small
/// call; a bump takes a handful. The arena is reset when nothing in it can be
/// live any more:
///
/// * by `caplet_alloc` outside an entry call: the host is handing over the next
///   call's input, and it has copied the previous call's output already (host
///   results of a typed export are copied out by the kit as they arrive);
/// * by an entry call with empty input (the host made no allocation for it).
///
/// An allocation that does not fit comes from the global allocator as a
/// tracked buffer (below), and the arena grows to the call's need, at most
/// [`MAX_ARENA`], at its next reset, when nothing points into it.
struct Arena {
    /// Start of the buffer (`alloc_zeroed(cap, 1)`), or null before the first use.
    base: Cell<*mut u8>,
    /// Size of the buffer.
    cap: Cell<usize>,
    /// Bytes handed out since the last reset.
    top: Cell<usize>,
    /// Bytes the calls since the last growth needed, overflow included.
    want: Cell<usize>,
    /// The allocation made by the last reset (the call input): address, size.
    input: Cell<(usize, usize)>,
    /// An entry call is running.
    in_call: Cell<bool>,
    /// The running call's input is held in `OWNED_INPUT`.
    owned_input: Cell<bool>,
}

thread_local! {
    static ARENA: Arena = const {
        Arena {
            base: Cell::new(std::ptr::null_mut()),
            cap: Cell::new(0),
            top: Cell::new(0),
            want: Cell::new(0),
            input: Cell::new((0, 0)),
            in_call: Cell::new(false),
            owned_input: Cell::new(false),
        }
    };
}

impl Arena {
    /// Replaces the buffer by one of at least `need` bytes (at most
    /// [`MAX_ARENA`]; a larger need is left to the global allocator). Only
    /// called when nothing points into the arena: outside entry calls.
    #[cold]
    #[inline(never)]
    fn grow(&self, need: usize) {
        self.want.set(0);
        if need <= self.cap.get() || need > MAX_ARENA {
            return;
        }
        let new_cap = need.max(MIN_ARENA).next_power_of_two().min(MAX_ARENA);
        let Ok(layout) = Layout::from_size_align(new_cap, 1) else {
            return;
        };
        // SAFETY: `layout` has a non-zero size (at least MIN_ARENA).
        let fresh = unsafe { alloc_zeroed(layout) };
        // Above 2 GiB a packed (ptr, len) would read as an error code.
        let too_high = (fresh as usize).saturating_add(new_cap) > i32::MAX as usize
            && cfg!(target_arch = "wasm32");
        if fresh.is_null() || too_high {
            if !fresh.is_null() {
                // SAFETY: just returned by `alloc_zeroed(layout)`, not shared.
                unsafe { dealloc(fresh, layout) };
            }
            return;
        }
        self.top.set(0);
        self.input.set((0, 0));
        let old = self.base.replace(fresh);
        let old_cap = self.cap.replace(new_cap);
        if !old.is_null() {
            if let Ok(old_layout) = Layout::from_size_align(old_cap, 1) {
                // SAFETY: `old` was allocated here with this layout, and nothing
                // points into the arena outside entry calls (see the type's
                // comment).
                unsafe { dealloc(old, old_layout) };
            }
        }
    }

    /// Whether `len` bytes at `ptr` lie in what the arena handed out since
    /// its last reset.
    fn holds(&self, ptr: usize, len: usize) -> bool {
        let base = self.base.get() as usize;
        !self.base.get().is_null()
            && ptr >= base
            && ptr
                .checked_add(len)
                .is_some_and(|end| end <= base + self.top.get())
    }
}

/// The guest allocator export of the contract.
///
/// Returns the address of `len` writable bytes, or `0` when `len <= 0` or the
/// allocation fails. The buffer belongs to the guest: it lives in the call
/// arena until the next call starts, or (when it does not fit there) the kit
/// frees it when it takes ownership (entry input, host-call result).
#[cfg(target_arch = "wasm32")]
#[no_mangle]
pub extern "C" fn caplet_alloc(len: i32) -> i32 {
    let Ok(len) = usize::try_from(len) else {
        return 0;
    };
    let ptr = alloc(len);
    // A `usize` is 32 bits on wasm32; `pack` refuses addresses of 2 GiB and more
    // (they would read as negative), and `alloc` never returns them.
    ptr as usize as i32
}

/// `caplet_alloc`: `len` bytes from the call arena, or a tracked buffer from
/// the global allocator when they do not fit. Null for `len == 0` or when
/// memory is exhausted.
///
/// Outside an entry call the host is handing over the next call's input (or
/// a host result of a typed export, copied out at once), so the arena starts
/// over. Only this fast path is inline: wasmi charges a function's fuel on
/// entry for all its code outside loops and `if`s, taken or not, so every slow
/// path lives in a cold function of its own.
#[inline]
#[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]
pub(crate) fn alloc(len: usize) -> *mut u8 {
    let ptr = ARENA.with(|a| {
        let in_call = a.in_call.get();
        let start = if in_call { a.top.get() } else { 0 };
        // `start <= cap` always holds.
        if len == 0 || len > a.cap.get() - start {
            return std::ptr::null_mut();
        }
        a.top.set(start + len);
        let ptr = a.base.get().wrapping_add(start);
        if !in_call {
            a.input.set((ptr as usize, len));
        }
        ptr
    });
    if ptr.is_null() {
        alloc_slow(len)
    } else {
        ptr
    }
}

/// [`alloc`] when the arena cannot serve `len` as it is.
#[cold]
#[inline(never)]
#[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]
fn alloc_slow(len: usize) -> *mut u8 {
    if len == 0 || len > i32::MAX as usize {
        return std::ptr::null_mut();
    }
    let grown = ARENA.with(|a| {
        if a.in_call.get() {
            // Live buffers may point into the arena: remember the need and
            // grow after the call.
            a.want
                .set(a.want.get().max(a.top.get().saturating_add(len)));
            false
        } else {
            a.grow(len);
            true
        }
    });
    if grown && ARENA.with(|a| len <= a.cap.get()) {
        return alloc(len);
    }
    alloc_tracked(len)
}

thread_local! {
    /// The input of the running entry call when it did not come from the
    /// arena (a tracked buffer, now owned); freed when the call ends.
    static OWNED_INPUT: Cell<ManuallyDrop<Vec<u8>>> =
        const { Cell::new(ManuallyDrop::new(Vec::new())) };
}

/// The input of the running entry call: bytes in the call arena or in
/// [`OWNED_INPUT`], valid until [`end_call`] takes this token back.
#[doc(hidden)]
pub struct CallInput {
    ptr: NonNull<u8>,
    len: usize,
}

impl CallInput {
    /// The input bytes.
    #[inline]
    pub(crate) fn bytes(&self) -> &[u8] {
        // SAFETY: a `CallInput` is only made by `begin_call`, for `len`
        // readable bytes at `ptr` that stay valid and unwritten until
        // `end_call` consumes it: either the allocation the arena made for
        // this call's input (the arena is not reset or freed during a call,
        // and every later allocation of the call lies beyond it), or the
        // buffer held in `OWNED_INPUT` until `end_call`, or no bytes at all
        // (a dangling, aligned pointer with `len == 0`). The host wrote the
        // bytes through the wasm memory (zeroed before); `u8` has no invalid
        // values. The borrow ends before `end_call`, which takes `self`.
        unsafe { std::slice::from_raw_parts(self.ptr.as_ptr(), self.len) }
    }
}

/// Starts an entry call whose input the host passed as `(ptr, len)`: takes the
/// input (in place in the arena, or a tracked buffer it now owns), frees
/// buffers the host abandoned, and marks the call as running. Returns `None`
/// when the input is not a buffer this guest handed out for it, or an entry
/// call is running already.
#[inline]
pub(crate) fn begin_call(ptr: usize, len: i32) -> Option<CallInput> {
    let fast = ARENA.with(|a| {
        let (at, size) = a.input.get();
        // `len > 0` and a match with the input allocation: the usual call.
        if a.in_call.get() || ptr != at || (len as u32 as usize).wrapping_sub(1) >= size {
            return None;
        }
        NonNull::new(at as *mut u8)
    });
    match fast {
        Some(at) if no_pending() => {
            ARENA.with(|a| a.in_call.set(true));
            Some(CallInput {
                ptr: at,
                len: len as usize,
            })
        }
        _ => begin_call_slow(ptr, len),
    }
}

/// [`begin_call`] for any other input: empty, a tracked buffer, or refused.
#[cold]
#[inline(never)]
fn begin_call_slow(ptr: usize, len: i32) -> Option<CallInput> {
    let Ok(len) = usize::try_from(len) else {
        return None;
    };
    if ARENA.with(|a| a.in_call.get()) {
        // The host never nests entry calls.
        return None;
    }
    let input = ARENA.with(|a| {
        let (at, size) = a.input.get();
        if len == 0 {
            a.top.set(0);
            Some(CallInput {
                ptr: NonNull::dangling(),
                len: 0,
            })
        } else if ptr == at && len <= size {
            // In the arena, with tracked buffers pending (swept below).
            NonNull::new(at as *mut u8).map(|ptr| CallInput { ptr, len })
        } else {
            None
        }
    });
    let input = match input {
        Some(input) => Some(input),
        None if len == 0 => None,
        None => claim(ptr, len).and_then(|owned| {
            let input = NonNull::new(owned.as_ptr() as *mut u8).map(|ptr| CallInput {
                ptr,
                len: owned.len(),
            });
            OWNED_INPUT.with(|o| o.set(ManuallyDrop::new(owned)));
            ARENA.with(|a| a.owned_input.set(true));
            input
        }),
    };
    // Anything else pending was abandoned by the host.
    sweep_all();
    if input.is_some() {
        ARENA.with(|a| a.in_call.set(true));
    }
    input
}

/// Ends the entry call started by [`begin_call`], whose input is given back
/// here: nothing points into the arena any more, so it grows now if the call
/// needed more than it had.
#[inline]
pub(crate) fn end_call(input: CallInput) {
    let _ = input;
    ARENA.with(|a| {
        a.in_call.set(false);
        if a.want.get() > a.cap.get() || a.owned_input.get() {
            end_call_slow(a);
        }
    });
}

#[cold]
#[inline(never)]
fn end_call_slow(a: &Arena) {
    drop(ManuallyDrop::into_inner(OWNED_INPUT.with(Cell::take)));
    a.owned_input.set(false);
    if a.want.get() > a.cap.get() {
        a.grow(a.want.get());
    }
}

/// Allocates `len` bytes with alignment 1 and records them as pending.
/// Returns null for `len == 0` or when memory is exhausted; never panics.
#[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]
pub(crate) fn alloc_tracked(len: usize) -> *mut u8 {
    if len == 0 || len > i32::MAX as usize {
        return std::ptr::null_mut();
    }
    let Ok(layout) = Layout::from_size_align(len, 1) else {
        return std::ptr::null_mut();
    };
    // Make room in the pending list first, so recording cannot fail later.
    let reserved = PENDING.with(|p| match p.try_borrow_mut() {
        Ok(mut p) => p.try_reserve(1).is_ok(),
        Err(_) => false,
    });
    if !reserved {
        return std::ptr::null_mut();
    }
    // SAFETY: `layout` has a non-zero size (checked above).
    let ptr = unsafe { std::alloc::alloc(layout) };
    if ptr.is_null() {
        return ptr;
    }
    if (ptr as usize) > i32::MAX as usize && cfg!(target_arch = "wasm32") {
        // Above 2 GiB a packed (ptr, len) would read as an error code.
        // SAFETY: `ptr` was just returned by `alloc(layout)` and is not shared.
        unsafe { dealloc(ptr, layout) };
        return std::ptr::null_mut();
    }
    let recorded = PENDING.with(|p| match p.try_borrow_mut() {
        Ok(mut p) => {
            p.push((ptr as usize, len));
            true
        }
        Err(_) => false,
    });
    if !recorded {
        // SAFETY: `ptr` was just returned by `alloc(layout)` and is not shared.
        unsafe { dealloc(ptr, layout) };
        return std::ptr::null_mut();
    }
    ptr
}

/// Takes ownership of a pending buffer at `ptr` whose first `len` bytes the
/// host filled. Returns `None` (and frees nothing it did not hand out) when
/// `ptr` is not a pending buffer or `len` exceeds its size.
pub(crate) fn claim(ptr: usize, len: usize) -> Option<Vec<u8>> {
    let cap = PENDING.with(|p| {
        let mut p = p.try_borrow_mut().ok()?;
        let index = p.iter().position(|&(addr, _)| addr == ptr)?;
        Some(p.swap_remove(index).1)
    })?;
    if len > cap {
        free(ptr, cap);
        return None;
    }
    // SAFETY: `ptr` was returned by `alloc(Layout::from_size_align(cap, 1))`
    // in `alloc_tracked` and was removed from the pending list just now, so it
    // is live, unaliased, and owned here exactly once. `len <= cap`. The bytes
    // were written by the host through the wasm memory (outside the Rust
    // abstract machine, where linear memory is always initialized); `u8` has
    // no invalid values. `Vec` frees it with the same layout (size `cap`, align 1).
    Some(unsafe { Vec::from_raw_parts(ptr as *mut u8, len, cap) })
}

/// Whether no tracked buffer is pending.
#[inline]
fn no_pending() -> bool {
    PENDING.with(|p| p.try_borrow().is_ok_and(|p| p.is_empty()))
}

/// Frees every buffer still pending: buffers the host allocated but never
/// handed back. Called when no host-filled buffer can be in flight.
#[inline]
pub(crate) fn sweep() {
    if !no_pending() {
        sweep_all();
    }
}

#[cold]
#[inline(never)]
fn sweep_all() {
    loop {
        let next = PENDING.with(|p| p.try_borrow_mut().ok().and_then(|mut p| p.pop()));
        match next {
            Some((ptr, size)) => free(ptr, size),
            None => break,
        }
    }
}

/// How many buffers are pending (for tests).
#[cfg(test)]
pub(crate) fn pending_count() -> usize {
    PENDING.with(|p| p.borrow().len())
}

fn free(ptr: usize, size: usize) {
    if let Ok(layout) = Layout::from_size_align(size, 1) {
        // SAFETY: only called with an (address, size) pair that was recorded
        // by `alloc_tracked` for `alloc(layout)` with this very layout and
        // that has just been removed from the pending list, so it is freed once.
        unsafe { dealloc(ptr as *mut u8, layout) };
    }
}

/// `(ptr, len)` arguments for a byte slice; `(0, 0)` for an empty one.
fn arg(bytes: &[u8]) -> Result<(i32, i32), Error> {
    if bytes.is_empty() {
        return Ok((0, 0));
    }
    // Addresses are 32 bits on wasm32; on other targets the stubs ignore them.
    Ok((bytes.as_ptr() as usize as i32, abi::len_i32(bytes.len())?))
}

/// Reads a packed `(ptr, len)` host result: copies it out of the call arena,
/// or takes ownership of the tracked buffer; then frees any buffer the host
/// abandoned during the call.
fn take_result(import: &str, packed: i64) -> Result<Vec<u8>, Error> {
    let result = match abi::unpack(packed) {
        Err(code) => Err(Error::from_host(import, code)),
        Ok((_, 0)) => Ok(Vec::new()),
        Ok((ptr, len)) if ARENA.with(|a| a.holds(ptr as usize, len as usize)) => {
            // SAFETY: the arena handed these bytes out since its last reset
            // (checked just now) and is not reset before this copy; `u8` has
            // no invalid values.
            let bytes =
                unsafe { std::slice::from_raw_parts(ptr as usize as *const u8, len as usize) };
            Ok(bytes.to_vec())
        }
        Ok((ptr, len)) => claim(ptr as usize, len as usize).ok_or_else(|| {
            Error::internal(format!(
                "{import}: host returned a buffer the guest did not allocate"
            ))
        }),
    };
    sweep();
    result
}

// ---------------------------------------------------------------------------
// Safe wrappers over the raw imports. Shared SAFETY argument for the blocks
// below: every (ptr, len) passed comes from `arg` on a slice that stays
// borrowed for the whole call, so it names readable (or, for `random_fill`,
// exclusively borrowed writable) guest memory; the host bounds-checks every
// pair, does not keep it past the call, and only writes where the contract
// says (the `random_fill` buffer, or fresh buffers from `caplet_alloc`).
// ---------------------------------------------------------------------------

pub(crate) fn log(level: i32, message: &[u8]) {
    let message = &message[..message.len().min(i32::MAX as usize)];
    if let Ok((p, l)) = arg(message) {
        // SAFETY: see the shared argument above; `message` is borrowed.
        unsafe { imports::log(level, p, l) }
    }
}

pub(crate) fn set_error(message: &[u8]) {
    let message = &message[..message.len().min(i32::MAX as usize)];
    if let Ok((p, l)) = arg(message) {
        // SAFETY: see the shared argument above; `message` is borrowed.
        unsafe { imports::set_error(p, l) }
    }
}

pub(crate) fn config_get(key: &[u8]) -> Result<Vec<u8>, Error> {
    let (kp, kl) = arg(key)?;
    // SAFETY: see the shared argument above; `key` is borrowed.
    let packed = unsafe { imports::config_get(kp, kl) };
    take_result("config_get", packed)
}

pub(crate) fn clock_now(clock: i32) -> Result<u64, Error> {
    // SAFETY: no pointers are passed.
    let value = unsafe { imports::clock_now(clock) };
    sweep();
    u64::try_from(value).map_err(|_| Error::from_host("clock_now", value.unsigned_abs()))
}

pub(crate) fn random_fill(buf: &mut [u8]) -> Result<(), Error> {
    if buf.is_empty() {
        return Ok(());
    }
    let len = abi::len_i32(buf.len())?;
    let ptr = buf.as_mut_ptr() as usize as i32;
    // SAFETY: see the shared argument above; `buf` is exclusively borrowed,
    // and the host writes at most `len` bytes into it.
    let status = unsafe { imports::random_fill(ptr, len) };
    sweep();
    abi::status("random_fill", status)
}

pub(crate) fn kv_get(key: &[u8]) -> Result<Vec<u8>, Error> {
    let (kp, kl) = arg(key)?;
    // SAFETY: see the shared argument above; `key` is borrowed.
    let packed = unsafe { imports::kv_get(kp, kl) };
    take_result("kv_get", packed)
}

pub(crate) fn kv_set(key: &[u8], value: &[u8]) -> Result<(), Error> {
    let (kp, kl) = arg(key)?;
    let (vp, vl) = arg(value)?;
    // SAFETY: see the shared argument above; `key` and `value` are borrowed.
    let status = unsafe { imports::kv_set(kp, kl, vp, vl) };
    sweep();
    abi::status("kv_set", status)
}

pub(crate) fn kv_delete(key: &[u8]) -> Result<(), Error> {
    let (kp, kl) = arg(key)?;
    // SAFETY: see the shared argument above; `key` is borrowed.
    let status = unsafe { imports::kv_delete(kp, kl) };
    sweep();
    abi::status("kv_delete", status)
}

pub(crate) fn emit(topic: &[u8], data: &[u8]) -> Result<(), Error> {
    let (tp, tl) = arg(topic)?;
    let (dp, dl) = arg(data)?;
    // SAFETY: see the shared argument above; `topic` and `data` are borrowed.
    let status = unsafe { imports::emit(tp, tl, dp, dl) };
    sweep();
    abi::status("emit", status)
}

pub(crate) fn fs_read(path: &[u8]) -> Result<Vec<u8>, Error> {
    let (pp, pl) = arg(path)?;
    // SAFETY: see the shared argument above; `path` is borrowed.
    let packed = unsafe { imports::fs_read(pp, pl) };
    take_result("fs_read", packed)
}

pub(crate) fn fs_write(path: &[u8], data: &[u8]) -> Result<(), Error> {
    let (pp, pl) = arg(path)?;
    let (dp, dl) = arg(data)?;
    // SAFETY: see the shared argument above; `path` and `data` are borrowed.
    let status = unsafe { imports::fs_write(pp, pl, dp, dl) };
    sweep();
    abi::status("fs_write", status)
}

pub(crate) fn fs_list(path: &[u8]) -> Result<Vec<u8>, Error> {
    let (pp, pl) = arg(path)?;
    // SAFETY: see the shared argument above; `path` is borrowed.
    let packed = unsafe { imports::fs_list(pp, pl) };
    take_result("fs_list", packed)
}

pub(crate) fn http_request(request: &[u8]) -> Result<Vec<u8>, Error> {
    let (rp, rl) = arg(request)?;
    // SAFETY: see the shared argument above; `request` is borrowed.
    let packed = unsafe { imports::http_request(rp, rl) };
    take_result("http_request", packed)
}

pub(crate) fn env_get(name: &[u8]) -> Result<Vec<u8>, Error> {
    let (np, nl) = arg(name)?;
    // SAFETY: see the shared argument above; `name` is borrowed.
    let packed = unsafe { imports::env_get(np, nl) };
    take_result("env_get", packed)
}

pub(crate) fn secret_get(name: &[u8]) -> Result<Vec<u8>, Error> {
    let (np, nl) = arg(name)?;
    // SAFETY: see the shared argument above; `name` is borrowed.
    let packed = unsafe { imports::secret_get(np, nl) };
    take_result("secret_get", packed)
}

pub(crate) fn exec(request: &[u8]) -> Result<Vec<u8>, Error> {
    let (rp, rl) = arg(request)?;
    // SAFETY: see the shared argument above; `request` is borrowed.
    let packed = unsafe { imports::exec(rp, rl) };
    take_result("exec", packed)
}

/// The raw import of an application's bytes function.
pub type AppImport = unsafe extern "C" fn(i32, i32) -> i64;

/// Calls an application's bytes function `import` (`module.name`, for
/// messages) with `input`, the way the contract's buffer-returning imports are
/// called.
///
/// # Safety argument
/// `raw` must be a wasm import of signature `(i32, i32) -> i64` following the
/// contract's buffer convention, which is what [`crate::app_functions!`]
/// declares; the host checks every pointer it is given.
pub(crate) fn app_call(import: &str, raw: AppImport, input: &[u8]) -> Result<Vec<u8>, Error> {
    let (p, l) = arg(input)?;
    // SAFETY: see the shared argument above; `input` is borrowed, and `raw` is
    // an import of the contract's buffer convention (declared by the macro).
    let packed = unsafe { raw(p, l) };
    take_result(import, packed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorCode;

    /// Fills a pending buffer the way a host would.
    fn host_write(ptr: *mut u8, bytes: &[u8]) {
        assert!(!ptr.is_null());
        // SAFETY: test helper; `ptr` is a fresh pending buffer of at least
        // `bytes.len()` bytes from `alloc_tracked`.
        unsafe { std::ptr::copy_nonoverlapping(bytes.as_ptr(), ptr, bytes.len()) };
    }

    /// Runs `f` inside an entry call whose input is `input`, handed over the
    /// way a host does: `caplet_alloc`, a write, the call.
    fn with_call<R>(input: &[u8], f: impl FnOnce(&CallInput) -> R) -> R {
        let ptr = if input.is_empty() {
            0
        } else {
            let p = alloc(input.len());
            host_write(p, input);
            p as usize
        };
        let taken = begin_call(ptr, input.len() as i32).expect("input accepted");
        let r = f(&taken);
        end_call(taken);
        r
    }

    fn in_arena(input: &CallInput) -> bool {
        let bytes = input.bytes();
        ARENA.with(|a| a.holds(bytes.as_ptr() as usize, bytes.len()))
    }

    #[test]
    fn call_input_is_read_in_place_from_the_arena() {
        let first = with_call(b"hello", |input| {
            assert!(in_arena(input), "the input is in the arena");
            assert_eq!(input.bytes(), b"hello");
            input.bytes().as_ptr() as usize
        });
        // The next call reuses the same bytes: the arena was reset.
        let second = with_call(b"world", |input| {
            assert_eq!(input.bytes(), b"world");
            input.bytes().as_ptr() as usize
        });
        assert_eq!(first, second);
        assert_eq!(pending_count(), 0, "nothing came from the global allocator");
        with_call(b"", |input| assert!(input.bytes().is_empty()));
    }

    #[test]
    fn host_results_during_a_call_are_copied_out_of_the_arena() {
        with_call(b"key", |input| {
            let p = alloc(3);
            host_write(p, b"abc");
            assert!(
                p as usize > input.bytes().as_ptr() as usize,
                "allocated after the input"
            );
            assert_eq!(pending_count(), 0);
            // `take_result` reads 32-bit packed pointers; on a 64-bit test
            // machine the arena is the check that matters.
            assert!(ARENA.with(|a| a.holds(p as usize, 3)));
            assert!(!ARENA.with(|a| a.holds(p as usize, 4)), "not past the top");
            assert_eq!(input.bytes(), b"key", "the input is untouched");
        });
    }

    #[test]
    fn an_allocation_that_does_not_fit_is_tracked_and_the_arena_grows() {
        let big = vec![7u8; 4 * MIN_ARENA];
        with_call(b"x", |_| {
            let p = alloc(big.len());
            assert_eq!(pending_count(), 1, "the overflow comes from the allocator");
            host_write(p, &big);
            assert_eq!(claim(p as usize, big.len()).unwrap(), big);
        });
        // The next call's arena holds what the last one needed.
        with_call(b"y", |_| {
            alloc(big.len());
            assert_eq!(pending_count(), 0, "now it fits in the arena");
        });
        // The input itself grows the arena at once.
        let huge = vec![1u8; 64 * MIN_ARENA];
        with_call(&huge, |input| {
            assert!(in_arena(input));
            assert_eq!(input.bytes(), &huge[..]);
        });
        // Beyond the arena's cap the input is a tracked buffer.
        let over = vec![2u8; MAX_ARENA + 1];
        with_call(&over, |input| {
            assert!(!in_arena(input) && ARENA.with(|a| a.owned_input.get()));
            assert_eq!(input.bytes().len(), over.len());
        });
        assert_eq!(pending_count(), 0);
    }

    #[test]
    fn bad_inputs_and_nested_calls_are_refused() {
        let p = alloc(4) as usize;
        assert!(begin_call(p + 1, 3).is_none(), "not the input's address");
        let p = alloc(4) as usize;
        assert!(begin_call(p, 5).is_none(), "longer than the allocation");
        let local = [0u8; 8];
        assert!(begin_call(local.as_ptr() as usize, 8).is_none());
        assert!(
            !ARENA.with(|a| a.in_call.get()),
            "a refused call does not start"
        );
        with_call(b"ok", |_| {
            assert!(begin_call(0, 0).is_none(), "entry calls do not nest");
        });
    }

    #[test]
    fn alloc_refuses_zero_and_huge() {
        assert!(alloc_tracked(0).is_null());
        assert!(alloc_tracked(usize::MAX).is_null());
        assert!(alloc(0).is_null());
        assert!(alloc(usize::MAX).is_null());
        assert_eq!(pending_count(), 0);
    }

    #[test]
    fn claim_takes_ownership_once() {
        let ptr = alloc_tracked(5);
        host_write(ptr, b"hello");
        assert_eq!(pending_count(), 1);
        let v = claim(ptr as usize, 5).unwrap();
        assert_eq!(v, b"hello");
        assert_eq!(pending_count(), 0);
        assert!(claim(ptr as usize, 5).is_none(), "a second claim must fail");
    }

    #[test]
    fn claim_accepts_shorter_len_and_refuses_longer() {
        let ptr = alloc_tracked(8);
        host_write(ptr, b"abcdefgh");
        assert_eq!(claim(ptr as usize, 3).unwrap(), b"abc");
        let ptr = alloc_tracked(2);
        assert!(claim(ptr as usize, 3).is_none());
        assert_eq!(pending_count(), 0, "the refused buffer is freed");
    }

    #[test]
    fn claim_refuses_unknown_pointers() {
        let local = [0u8; 4];
        assert!(claim(local.as_ptr() as usize, 4).is_none());
        assert!(claim(0, 0).is_none());
    }

    #[test]
    fn sweep_frees_abandoned_buffers() {
        for n in 1..5 {
            assert!(!alloc_tracked(n).is_null());
        }
        assert_eq!(pending_count(), 4);
        sweep();
        assert_eq!(pending_count(), 0);
    }

    #[test]
    fn take_result_variants() {
        assert_eq!(take_result("kv_get", 0), Ok(Vec::new()));
        assert_eq!(
            take_result("kv_get", -1).unwrap_err().code,
            ErrorCode::NotFound
        );
        // A pointer the guest never handed out is refused, not freed.
        let e = take_result("kv_get", (0x10 << 32) | 4).unwrap_err();
        assert_eq!(e.code, ErrorCode::Internal);
        // An abandoned buffer is swept by the next call.
        assert!(!alloc_tracked(3).is_null());
        assert_eq!(take_result("kv_get", -4).unwrap_err().code, ErrorCode::Io);
        assert_eq!(pending_count(), 0);
    }

    #[test]
    fn stubs_are_unsupported() {
        assert_eq!(kv_get(b"k").unwrap_err().code, ErrorCode::Unsupported);
        assert_eq!(kv_set(b"k", b"v").unwrap_err().code, ErrorCode::Unsupported);
        assert_eq!(clock_now(0).unwrap_err().code, ErrorCode::Unsupported);
        let mut buf = [0u8; 4];
        assert_eq!(
            random_fill(&mut buf).unwrap_err().code,
            ErrorCode::Unsupported
        );
        assert_eq!(random_fill(&mut []), Ok(()));
        log(2, b"ignored");
        set_error(b"ignored");
    }
}
