//! The small-plugin mode: the kit without its `std` feature.
//!
//! A plugin for a microcontroller should be a few KB of code running in a few
//! KiB of memory. This mode is `no_std` and needs no global allocator:
//!
//! * `caplet_alloc` hands out the call's input from an arena at the top of
//!   linear memory (above `__heap_base`), reset by each call and grown with
//!   `memory.grow` only when an input needs more;
//! * an entry point is `fn(&[u8], &mut Output) -> Result<(), Error>`; the
//!   [`Output`] is written right after the input in the same arena;
//! * [`Error`] carries a `&'static str` message (no formatting);
//! * the host imports are those that return no buffer: [`log`],
//!   [`set_error`](fn@set_error), [`clock`] and [`random`]. The host never
//!   needs `caplet_alloc` during a call, so an allocation during a call
//!   fails (`0`) rather than disturb the output.
//!
//! Build it with 1-byte memory pages (the custom-page-sizes proposal) so that
//! the module declares exactly the memory it needs instead of 64 KiB pages:
//!
//! ```toml
//! [dependencies]
//! caplet-guest = { version = "0.1", default-features = false, features = ["panic-handler"] }
//! ```
//!
//! with a `build.rs` that passes the linker `--page-size=1` and a small stack
//! (`-zstack-size=4096`) for the `cdylib` (see `tests/plugins/small_echo`).
//! The kit reads the page size from the memory itself: a memory of at least
//! `__heap_base` pages can only be one of 1-byte pages (a 64 KiB-page module
//! that large would be taken for one, which only makes the kit's arena
//! smaller than it could be, never larger).
//!
//! ```
//! use caplet_guest::{Error, Output};
//!
//! fn upper(input: &[u8], out: &mut Output) -> Result<(), Error> {
//!     for b in input {
//!         out.push(b.to_ascii_uppercase())?;
//!     }
//!     Ok(())
//! }
//! caplet_guest::entrypoint!(upper);
//! ```
//!
//! Dependencies that need `alloc` need a global allocator; that is the `std`
//! kit's job, not this mode's.

use core::cell::Cell;
use core::fmt;

use crate::code::ErrorCode;

/// An error with a contract [`ErrorCode`] and a static message.
///
/// Returning `Err(error)` from an entry point makes the kit pass `message` to
/// the host (`caplet.set_error`) and return `-(code)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Error {
    /// The contract error code.
    pub code: ErrorCode,
    /// A message for the operator; may be empty.
    pub message: &'static str,
}

macro_rules! constructors {
    ($($(#[$doc:meta])* $fn_name:ident => $code:ident;)*) => {
        $(
            $(#[$doc])*
            pub const fn $fn_name(message: &'static str) -> Error {
                Error::new(ErrorCode::$code, message)
            }
        )*
    };
}

impl Error {
    /// An error with the given code and message.
    pub const fn new(code: ErrorCode, message: &'static str) -> Error {
        Error { code, message }
    }

    constructors! {
        /// A [`ErrorCode::NotFound`] error.
        not_found => NotFound;
        /// A [`ErrorCode::PermissionDenied`] error.
        permission_denied => PermissionDenied;
        /// An [`ErrorCode::InvalidInput`] error.
        invalid_input => InvalidInput;
        /// An [`ErrorCode::Io`] error.
        io => Io;
        /// A [`ErrorCode::Timeout`] error.
        timeout => Timeout;
        /// A [`ErrorCode::Limit`] error.
        limit => Limit;
        /// An [`ErrorCode::Unsupported`] error.
        unsupported => Unsupported;
        /// An [`ErrorCode::Internal`] error.
        internal => Internal;
    }

    /// The error for a negative result `-(code)` of a host import; a code
    /// outside the table is [`ErrorCode::Internal`].
    pub const fn from_host(code: u64) -> Error {
        let known = if code <= i64::MAX as u64 {
            ErrorCode::from_code(code as i64)
        } else {
            None
        };
        match known {
            Some(code) => Error::new(code, code.name()),
            None => Error::internal("unknown host error code"),
        }
    }

    /// The value an entry point returns for this error: `-(code)`.
    pub const fn to_return_value(&self) -> i64 {
        self.code.to_return_value()
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.message.is_empty() {
            f.write_str(self.code.name())
        } else {
            write!(f, "{}: {}", self.code.name(), self.message)
        }
    }
}

impl From<ErrorCode> for Error {
    /// An error with the code's name as its message.
    fn from(code: ErrorCode) -> Error {
        Error::new(code, code.name())
    }
}

impl From<core::str::Utf8Error> for Error {
    /// [`ErrorCode::InvalidInput`].
    fn from(_: core::str::Utf8Error) -> Error {
        Error::invalid_input("invalid UTF-8")
    }
}

impl From<core::num::ParseIntError> for Error {
    /// [`ErrorCode::InvalidInput`].
    fn from(_: core::num::ParseIntError) -> Error {
        Error::invalid_input("invalid integer")
    }
}

impl From<fmt::Error> for Error {
    /// [`ErrorCode::Limit`]: formatting into an [`Output`] fails only when
    /// memory cannot grow.
    fn from(_: fmt::Error) -> Error {
        Error::limit("output does not fit in memory")
    }
}

#[cfg(target_arch = "wasm32")]
mod imports {
    #[link(wasm_import_module = "caplet")]
    extern "C" {
        pub fn log(level: i32, ptr: i32, len: i32);
        pub fn set_error(ptr: i32, len: i32);
        pub fn clock_now(clock: i32) -> i64;
        pub fn random_fill(ptr: i32, len: i32) -> i32;
    }
}

/// Stand-ins for the build machine (unit tests): status calls fail with
/// `-UNSUPPORTED`.
#[cfg(not(target_arch = "wasm32"))]
#[allow(clippy::missing_safety_doc)]
mod imports {
    pub unsafe fn log(_level: i32, _ptr: i32, _len: i32) {}
    pub unsafe fn set_error(_ptr: i32, _len: i32) {}
    pub unsafe fn clock_now(_clock: i32) -> i64 {
        -7
    }
    pub unsafe fn random_fill(_ptr: i32, _len: i32) -> i32 {
        -7
    }
}

/// Linear memory as the arena sees it: where the heap starts, how many bytes
/// exist, and growth. On wasm32 these are the module's own memory; elsewhere
/// (the kit's unit tests) a fixed buffer stands in for it.
mod memory {
    #[cfg(target_arch = "wasm32")]
    extern "C" {
        /// Set by the linker: the first byte after data and stack.
        static __heap_base: u8;
    }

    /// Address of the first byte the arena may use.
    #[cfg(target_arch = "wasm32")]
    pub fn heap_base() -> usize {
        // Only the address of the linker-defined symbol is taken (safe for
        // an extern static); it is never read.
        core::ptr::addr_of!(__heap_base) as usize
    }

    /// Bytes per page of memory 0 (see the module docs for the inference).
    #[cfg(target_arch = "wasm32")]
    pub fn page_size() -> usize {
        if core::arch::wasm32::memory_size(0) >= heap_base() {
            1
        } else {
            65_536
        }
    }

    /// Bytes of linear memory.
    #[cfg(target_arch = "wasm32")]
    pub fn end() -> usize {
        core::arch::wasm32::memory_size(0).saturating_mul(page_size())
    }

    /// Grows memory by at least `bytes`; `false` when the host refuses.
    #[cfg(target_arch = "wasm32")]
    pub fn grow(bytes: usize) -> bool {
        let page = page_size();
        let units = bytes.div_ceil(page);
        core::arch::wasm32::memory_grow(0, units) != usize::MAX
    }

    #[cfg(not(target_arch = "wasm32"))]
    pub use self::fake::*;

    #[cfg(not(target_arch = "wasm32"))]
    mod fake {
        extern crate std;
        use core::cell::Cell;

        /// The most the stand-in memory grows to.
        pub const LIMIT: usize = 1 << 16;

        std::thread_local! {
            static MEMORY: (usize, Cell<usize>) = (
                std::boxed::Box::leak(std::vec![0u8; LIMIT].into_boxed_slice()).as_mut_ptr() as usize,
                Cell::new(256),
            );
        }

        pub fn heap_base() -> usize {
            MEMORY.with(|m| m.0)
        }

        pub fn end() -> usize {
            MEMORY.with(|m| m.0 + m.1.get())
        }

        pub fn grow(bytes: usize) -> bool {
            MEMORY.with(|m| {
                let size = m.1.get() + bytes;
                if size > LIMIT {
                    return false;
                }
                m.1.set(size);
                true
            })
        }
    }
}

/// The arena's state. `top` counts bytes above `heap_base` handed out since
/// the last reset.
struct State {
    top: Cell<usize>,
    /// The input allocation of the current or next call: (address, size).
    input: Cell<(usize, usize)>,
    in_call: Cell<bool>,
}

impl State {
    const fn new() -> State {
        State {
            top: Cell::new(0),
            input: Cell::new((0, 0)),
            in_call: Cell::new(false),
        }
    }
}

#[cfg(target_arch = "wasm32")]
mod state {
    /// The state in a plain `static`: wasm32 without the `atomics` feature
    /// has one thread.
    pub struct One(pub super::State);

    // SAFETY: a module built for wasm32 without the `atomics` target feature
    // runs on one thread (the compile_error below refuses the other build),
    // so the `Cell`s are never accessed concurrently.
    unsafe impl Sync for One {}

    #[cfg(target_feature = "atomics")]
    compile_error!("the small-plugin mode of caplet-guest is single-threaded");

    pub static STATE: One = One(super::State::new());

    pub fn with<R>(f: impl FnOnce(&super::State) -> R) -> R {
        f(&STATE.0)
    }
}

#[cfg(not(target_arch = "wasm32"))]
mod state {
    extern crate std;

    std::thread_local! {
        static STATE: super::State = const { super::State::new() };
    }

    pub fn with<R>(f: impl FnOnce(&super::State) -> R) -> R {
        STATE.with(f)
    }
}

/// Makes `len` bytes from `heap_base + start` addressable, growing memory.
fn reserve(start: usize, len: usize) -> bool {
    let Some(need) = memory::heap_base()
        .checked_add(start)
        .and_then(|s| s.checked_add(len))
    else {
        return false;
    };
    let end = memory::end();
    need <= end || memory::grow(need - end)
}

/// `caplet_alloc`: the next call's input, at the start of the arena. `0` for
/// `len <= 0`, during a call, or when memory cannot grow.
#[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]
fn alloc(len: i32) -> usize {
    let Ok(len) = usize::try_from(len) else {
        return 0;
    };
    if len == 0 || len > i32::MAX as usize {
        return 0;
    }
    state::with(|s| {
        if s.in_call.get() || !reserve(0, len) {
            return 0;
        }
        let at = memory::heap_base();
        s.top.set(len);
        s.input.set((at, len));
        at
    })
}

/// The guest allocator export of the contract (small mode).
#[cfg(target_arch = "wasm32")]
#[no_mangle]
pub extern "C" fn caplet_alloc(len: i32) -> i32 {
    // Addresses are below 2 GiB: `reserve` never grows past i32::MAX bytes of
    // input, and wasm32 memories hold at most 4 GiB.
    alloc(len) as i32
}

/// The output of an entry call in small mode: bytes written right after the
/// call's input, in memory the kit grows as needed.
#[derive(Debug)]
pub struct Output {
    start: usize,
    len: usize,
}

impl Output {
    /// Appends `bytes`; fails with [`ErrorCode::Limit`] when memory cannot
    /// grow to hold them.
    pub fn try_extend_from_slice(&mut self, bytes: &[u8]) -> Result<(), Error> {
        let new_len = self.len.checked_add(bytes.len()).ok_or(FULL)?;
        if !reserve(self.start, new_len) {
            return Err(FULL);
        }
        let at = memory::heap_base() + self.start + self.len;
        // SAFETY: `reserve` made `heap_base + start .. + new_len` addressable
        // linear memory. The output region lies past the call's input and is
        // used by nothing else during the call (the arena hands out no other
        // buffer while a call runs), and `bytes` cannot overlap it: it is
        // borrowed from elsewhere for this call, and this region is not
        // reachable through any Rust reference.
        unsafe { core::ptr::copy_nonoverlapping(bytes.as_ptr(), at as *mut u8, bytes.len()) };
        self.len = new_len;
        Ok(())
    }

    /// Appends one byte.
    pub fn push(&mut self, byte: u8) -> Result<(), Error> {
        self.try_extend_from_slice(&[byte])
    }

    /// The bytes written so far.
    pub fn as_slice(&self) -> &[u8] {
        // SAFETY: the `len` bytes at `heap_base + start` were made addressable
        // by `reserve` and written by `try_extend_from_slice`; the borrow of
        // `self` keeps them from being written meanwhile.
        unsafe {
            core::slice::from_raw_parts((memory::heap_base() + self.start) as *const u8, self.len)
        }
    }

    /// Bytes written so far.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether nothing was written.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Forgets what was written.
    pub fn clear(&mut self) {
        self.len = 0;
    }
}

const FULL: Error = Error::limit("output does not fit in memory");

impl fmt::Write for Output {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        self.try_extend_from_slice(s.as_bytes())
            .map_err(|_| fmt::Error)
    }
}

/// Reports `message` for the failing entry call.
pub fn set_error(message: &str) {
    let len = message.len().min(i32::MAX as usize) as i32;
    // SAFETY: `message` is borrowed for the call; the host bounds-checks the
    // pair and only reads it.
    unsafe { imports::set_error(message.as_ptr() as usize as i32, len) }
}

/// Runs an entry point under the contract (small mode): reads the input in
/// place, runs `f` with an empty [`Output`], and returns the output packed
/// (valid until the next call) or `-(code)` after reporting the error. This
/// is what [`entrypoint!`](crate::entrypoint) expands to in small mode.
pub fn run_entry<F>(ptr: i32, len: i32, f: F) -> i64
where
    F: FnOnce(&[u8], &mut Output) -> Result<(), Error>,
{
    let started = state::with(|s| {
        let (at, size) = s.input.get();
        // Addresses compare as the contract's 32 bits (all of them on
        // wasm32; the kit's native unit tests pass truncated ones).
        let ok = !s.in_call.get()
            && (len == 0 || (ptr as u32 == at as u32 && (len as u32 as usize) <= size));
        if !ok {
            return None;
        }
        if len == 0 {
            s.top.set(0);
        }
        s.in_call.set(true);
        Some((at, len as usize, s.top.get()))
    });
    let Some((at, len, top)) = started else {
        let e =
            Error::invalid_input("input buffer was not allocated with caplet_alloc for this call");
        set_error(e.message);
        return e.to_return_value();
    };
    let input: &[u8] = if len == 0 {
        &[]
    } else {
        // SAFETY: `(at, len)` lies within the allocation `alloc` made for this
        // call's input (checked above), which `reserve` made addressable and
        // the host filled. Nothing writes it during the call: the output is
        // written past `top`, and no other buffer is handed out while a call
        // runs. The slice does not outlive this function.
        unsafe { core::slice::from_raw_parts(at as *const u8, len) }
    };
    let mut out = Output { start: top, len: 0 };
    let result = f(input, &mut out);
    state::with(|s| s.in_call.set(false));
    match result {
        Ok(()) if out.len == 0 => 0,
        Ok(()) => {
            let ptr = memory::heap_base() + out.start;
            match crate::abi::pack(ptr as u32, out.len as u32) {
                Some(packed) if ptr <= u32::MAX as usize && out.len <= u32::MAX as usize => packed,
                _ => {
                    set_error(FULL.message);
                    FULL.to_return_value()
                }
            }
        }
        Err(e) => {
            set_error(e.message);
            e.to_return_value()
        }
    }
}

/// Logging (capability `log`).
pub mod log {
    use super::imports;

    fn emit(level: i32, message: &str) {
        let len = message.len().min(i32::MAX as usize) as i32;
        // SAFETY: `message` is borrowed for the call; the host bounds-checks
        // the pair and only reads it.
        unsafe { imports::log(level, message.as_ptr() as usize as i32, len) }
    }

    /// Logs at level trace.
    pub fn trace(message: &str) {
        emit(0, message)
    }
    /// Logs at level debug.
    pub fn debug(message: &str) {
        emit(1, message)
    }
    /// Logs at level info.
    pub fn info(message: &str) {
        emit(2, message)
    }
    /// Logs at level warn.
    pub fn warn(message: &str) {
        emit(3, message)
    }
    /// Logs at level error.
    pub fn error(message: &str) {
        emit(4, message)
    }
}

/// Clocks (capability `clock`).
pub mod clock {
    use super::{imports, Error};

    fn now(clock: i32) -> Result<u64, Error> {
        // SAFETY: no pointers are passed.
        let value = unsafe { imports::clock_now(clock) };
        u64::try_from(value).map_err(|_| Error::from_host(value.unsigned_abs()))
    }

    /// Wall-clock time: nanoseconds since the Unix epoch.
    pub fn wall_ns() -> Result<u64, Error> {
        now(0)
    }

    /// Monotonic time in nanoseconds.
    pub fn monotonic_ns() -> Result<u64, Error> {
        now(1)
    }
}

/// Randomness (capability `random`).
pub mod random {
    use super::{imports, Error};

    /// Fills `buf` with random bytes from the host.
    pub fn fill(buf: &mut [u8]) -> Result<(), Error> {
        if buf.is_empty() {
            return Ok(());
        }
        let len = i32::try_from(buf.len()).map_err(|_| Error::limit("buffer too large"))?;
        // SAFETY: `buf` is exclusively borrowed for the call; the host writes
        // at most `len` bytes into it.
        let status = unsafe { imports::random_fill(buf.as_mut_ptr() as usize as i32, len) };
        if status == 0 {
            Ok(())
        } else {
            Err(Error::from_host(u64::from(status.unsigned_abs())))
        }
    }
}

#[cfg(all(feature = "panic-handler", target_arch = "wasm32"))]
#[panic_handler]
fn panic(_: &core::panic::PanicInfo<'_>) -> ! {
    core::arch::wasm32::unreachable()
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;

    /// Hands `input` over the way a host does and runs `f` as the entry.
    fn call(
        input: &[u8],
        f: impl FnOnce(&[u8], &mut Output) -> Result<(), Error>,
    ) -> (i64, std::vec::Vec<u8>) {
        let (ptr, len) = if input.is_empty() {
            (0, 0)
        } else {
            let at = alloc(input.len() as i32);
            assert_ne!(at, 0);
            // SAFETY: test helper; `alloc` reserved `input.len()` bytes at `at`.
            unsafe { core::ptr::copy_nonoverlapping(input.as_ptr(), at as *mut u8, input.len()) };
            (at, input.len())
        };
        let mut seen = std::vec::Vec::new();
        let code = run_entry(ptr as i32, len as i32, |i, out| {
            seen.extend_from_slice(i);
            f(i, out)
        });
        assert_eq!(seen, input, "the entry sees the input");
        (code, seen)
    }

    #[test]
    fn errors_carry_static_messages() {
        let e = Error::invalid_input("bad");
        assert_eq!(
            (e.code, e.message, e.to_return_value()),
            (ErrorCode::InvalidInput, "bad", -3)
        );
        assert_eq!(Error::from_host(2).code, ErrorCode::PermissionDenied);
        assert_eq!(Error::from_host(99).code, ErrorCode::Internal);
        assert_eq!(Error::from_host(u64::MAX).code, ErrorCode::Internal);
        assert_eq!(std::format!("{}", Error::limit("x")), "LIMIT: x");
    }

    #[test]
    fn output_is_written_after_the_input_and_grows_memory() {
        // Native addresses do not fit the contract's 32 bits; the output is
        // checked inside the entry instead.
        let (_, _) = call(b"abc", |input, out| {
            out.try_extend_from_slice(input)?;
            out.push(b'!')?;
            use core::fmt::Write;
            write!(out, "{}", 42).map_err(Error::from)?;
            assert_eq!(out.as_slice(), b"abc!42");
            // Far beyond the initial 256 bytes: memory grows.
            out.clear();
            out.try_extend_from_slice(&[7u8; 4000])?;
            assert_eq!(out.len(), 4000);
            Ok(())
        });
    }

    #[test]
    fn output_that_cannot_fit_is_a_limit_error() {
        let (code, _) = call(b"x", |_, out| {
            let e = out
                .try_extend_from_slice(&[0u8; memory::LIMIT])
                .unwrap_err();
            assert_eq!(e.code, ErrorCode::Limit);
            Err(e)
        });
        assert_eq!(code, -6);
    }

    #[test]
    fn errors_become_negative_codes() {
        let (code, _) = call(b"", |_, _| Err(Error::timeout("slow")));
        assert_eq!(code, -5);
        let (code, _) = call(b"", |_, _| Ok(()));
        assert_eq!(code, 0, "empty output packs as 0");
    }

    #[test]
    fn foreign_inputs_and_nested_allocations_are_refused() {
        let at = alloc(4);
        assert_ne!(at, 0);
        assert_eq!(
            run_entry(at as i32 + 1, 3, |_, _| Ok(())),
            -3,
            "not the input's address"
        );
        let at = alloc(4);
        assert_eq!(
            run_entry(at as i32, 5, |_, _| Ok(())),
            -3,
            "longer than the allocation"
        );
        assert_eq!(run_entry(0, -1, |_, _| Ok(())), -3);
        let (code, _) = call(b"in", |_, _| {
            assert_eq!(alloc(8), 0, "no allocation during a call");
            Ok(())
        });
        assert_eq!(code, 0);
        assert_eq!(alloc(0), 0);
        assert_eq!(alloc(-5), 0);
        assert_eq!(
            alloc(memory::LIMIT as i32 + 1),
            0,
            "memory cannot grow that far"
        );
    }
}
