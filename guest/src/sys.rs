//! The boundary with the host: the only module of the kit that uses `unsafe`.
//!
//! It holds the raw `caplet` imports (stubs returning `-UNSUPPORTED` on
//! targets other than `wasm32`), the exported `caplet_alloc`, and the
//! bookkeeping that lets the guest take ownership of buffers the host filled.
//!
//! Every buffer handed out by [`alloc_tracked`] (and so by `caplet_alloc`) is
//! recorded as *pending* until the kit claims it with [`claim`]. A pointer the
//! kit did not hand out is never freed, so a confused host cannot make the
//! guest free memory it does not own; a buffer the host allocated and then
//! abandoned (for example because the host call failed afterwards) is freed by
//! [`sweep`] after the next host call or at the start of the next entry call.

use std::alloc::{alloc, dealloc, Layout};
use std::cell::RefCell;

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
    static PENDING: RefCell<Vec<(usize, usize)>> = const { RefCell::new(Vec::new()) };
}

thread_local! {
    /// One buffer released by the previous entry call (its input or its output),
    /// handed out again by the next allocation of the contract that it fits.
    /// Under an interpreter every guest instruction counts: a dlmalloc `malloc`
    /// and `free` of a small buffer take about 1,900 wasm instructions, most of a
    /// small call, and a call's input is usually the size of the last one.
    static SPARE: RefCell<Option<Vec<u8>>> = const { RefCell::new(None) };
}

/// The largest buffer kept for reuse (the contract's default input cap).
const MAX_SPARE: usize = 1 << 20;

/// Keeps `buf` for the next contract allocation it fits, or frees it. Of two
/// candidates the larger is kept.
pub(crate) fn recycle(mut buf: Vec<u8>) {
    if buf.capacity() == 0 || buf.capacity() > MAX_SPARE {
        return;
    }
    buf.clear();
    SPARE.with(|s| {
        if let Ok(mut s) = s.try_borrow_mut() {
            if s.as_ref().is_none_or(|old| old.capacity() < buf.capacity()) {
                *s = Some(buf);
            }
        }
    });
}

/// The spare buffer, if it holds `len` bytes without wasting more than half of
/// itself (a small request never pins a big buffer).
fn take_spare(len: usize) -> Option<Vec<u8>> {
    SPARE.with(|s| {
        let mut s = s.try_borrow_mut().ok()?;
        let cap = s.as_ref()?.capacity();
        if cap >= len && cap <= len.saturating_mul(2).max(256) {
            s.take()
        } else {
            None
        }
    })
}

/// The guest allocator export of the contract.
///
/// Returns the address of `len` writable bytes, or `0` when `len <= 0` or the
/// allocation fails. The buffer belongs to the guest: the kit frees it when
/// it takes ownership (entry input, host-call result).
#[cfg(target_arch = "wasm32")]
#[no_mangle]
pub extern "C" fn caplet_alloc(len: i32) -> i32 {
    let Ok(len) = usize::try_from(len) else {
        return 0;
    };
    let ptr = alloc_tracked(len);
    // A `usize` is 32 bits on wasm32; `pack` refuses addresses of 2 GiB and more
    // (they would read as negative), and `alloc_tracked` never returns them.
    ptr as usize as i32
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
    if let Some(buf) = take_spare(len) {
        // A `Vec<u8>` of capacity `cap` owns an allocation of layout
        // `(cap, 1)`: recorded as such, it is claimed and freed like any other.
        let mut buf = std::mem::ManuallyDrop::new(buf);
        let (ptr, cap) = (buf.as_mut_ptr(), buf.capacity());
        let recorded = (ptr as usize) <= i32::MAX as usize
            && PENDING.with(|p| match p.try_borrow_mut() {
                Ok(mut p) => {
                    p.push((ptr as usize, cap));
                    true
                }
                Err(_) => false,
            });
        if recorded {
            return ptr;
        }
        drop(std::mem::ManuallyDrop::into_inner(buf));
    }
    // SAFETY: `layout` has a non-zero size (checked above).
    let ptr = unsafe { alloc(layout) };
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

/// Frees every buffer still pending: buffers the host allocated but never
/// handed back. Called when no host-filled buffer can be in flight.
pub(crate) fn sweep() {
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

/// Reads a packed `(ptr, len)` host result, taking ownership of the buffer,
/// then frees any buffer the host abandoned during the call.
fn take_result(import: &str, packed: i64) -> Result<Vec<u8>, Error> {
    let result = match abi::unpack(packed) {
        Err(code) => Err(Error::from_host(import, code)),
        Ok((_, 0)) => Ok(Vec::new()),
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

    #[test]
    fn spare_buffer_is_reused_only_when_it_fits() {
        recycle(Vec::with_capacity(1000));
        // A small request does not pin a 1000-byte buffer.
        assert!(take_spare(10).is_none());
        assert!(take_spare(2000).is_none(), "too small for 2000 bytes");
        let b = take_spare(600).expect("fits: 600 <= 1000 <= 2 * 600");
        assert!(b.capacity() >= 1000 && b.is_empty());
        assert!(take_spare(600).is_none(), "handed out once");
        // The larger of two candidates is kept.
        recycle(Vec::with_capacity(300));
        recycle(Vec::with_capacity(200));
        assert!(take_spare(250).is_some_and(|b| b.capacity() >= 300));
        // Oversized buffers are freed, not kept.
        recycle(Vec::with_capacity(MAX_SPARE + 1));
        assert!(take_spare(MAX_SPARE).is_none());
    }

    #[test]
    fn alloc_refuses_zero_and_huge() {
        assert!(alloc_tracked(0).is_null());
        assert!(alloc_tracked(usize::MAX).is_null());
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
