//! Per-instance state kept in the wasmi store, shared by every ABI profile: the
//! services of the plugin, the memory budget, the fuel bookkeeping of the current
//! call, usage counters, and the requests a profile makes to the call driver.
//!
//! This module sits below both the runtime (which drives calls) and the profiles
//! (which define imports): neither imports the other.

use alloc::string::String;
use alloc::sync::Arc;
use alloc::vec::Vec;
use core::fmt;

use wasmi::{Memory, ResourceLimiter, TypedFunc};

use crate::error::{Code, Error};
use crate::profiles::wasi::WasiState;
use crate::services::Services;

/// A fatal host-side condition that must stop the guest (carried through wasmi as a
/// host error and turned back into an [`Error`]).
pub(crate) struct Fatal(pub(crate) Error);

// `Debug` as `Display`, written out: a wasmi host error's vtable holds both, so a
// derived `Debug` would link every error type's derived `Debug` (field names, string
// escaping) into firmware that never prints one (about 3 KiB on a Cortex-M4).
impl fmt::Debug for Fatal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl fmt::Display for Fatal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

impl wasmi::errors::HostError for Fatal {}

/// Wraps a Caplet error as a wasmi host error that ends the call.
pub(crate) fn fatal(e: Error) -> wasmi::Error {
    wasmi::Error::host(Fatal(e))
}

/// A host function asks the call driver to run guest code for it (it cannot do so
/// itself without escaping the fuel slices and the slice hook): the function
/// returns this as a host error, the driver does the work under the call's budget
/// and hook, then resumes the suspended call with the result.
pub(crate) enum GuestRequest {
    /// Finish the `caplet_alloc` call that a buffer-returning import of contract v1
    /// started inline and that ran out of its fuel slice
    /// ([`HostState::pending_alloc`]): refill slices under the hook, then copy
    /// [`HostState::pending`] into the buffer and resume the import with the packed
    /// `(ptr, len)`.
    FinishAlloc {
        /// The import that produced the bytes, for messages.
        import: &'static str,
    },
    /// The program called WASI `proc_exit`: the call ends with this status.
    Exit(u32),
}

impl fmt::Display for GuestRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            GuestRequest::FinishAlloc { import, .. } => {
                write!(f, "`{import}` hands a buffer to the guest")
            }
            GuestRequest::Exit(code) => write!(f, "proc_exit({code})"),
        }
    }
}

// `Debug` as `Display`, as for [`Fatal`].
impl fmt::Debug for GuestRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl wasmi::errors::HostError for GuestRequest {}

/// Memory, table and instance budget of one store; tracks the peak. The memory
/// budget covers every memory of the store together: the plugin's and, for an
/// Extism plugin, its kernel's.
pub(crate) struct BudgetLimiter {
    pub(crate) memory_bytes: u64,
    /// Bytes of every memory of the store now.
    total_memory: u64,
    table_elements: u64,
    tables: usize,
    pub(crate) peak_memory: u64,
    /// `total_memory` and `peak_memory` before the growth approved last, until it
    /// is known to have happened: wasmi asks the limiter first and may still fail
    /// the growth after it (out of fuel, which a sliced call resumes by running
    /// `memory.grow` again; or no system memory). A failed growth is rolled back,
    /// else the retry would be counted twice and refused.
    approved: Option<(u64, u64)>,
}

impl ResourceLimiter for BudgetLimiter {
    fn memory_growing(
        &mut self,
        current: usize,
        desired: usize,
        maximum: Option<usize>,
    ) -> Result<bool, wasmi_core::LimiterError> {
        let (current, desired) = (current as u64, desired as u64);
        let total = (self.total_memory - current.min(self.total_memory)).saturating_add(desired);
        if total > self.memory_bytes || maximum.is_some_and(|m| desired > m as u64) {
            return Ok(false);
        }
        self.approved = Some((self.total_memory, self.peak_memory));
        self.total_memory = total;
        self.peak_memory = self.peak_memory.max(total);
        Ok(true)
    }

    fn memory_grow_failed(
        &mut self,
        _error: &wasmi::errors::MemoryError,
    ) -> Result<(), wasmi_core::LimiterError> {
        if let Some((total, peak)) = self.approved.take() {
            self.total_memory = total;
            self.peak_memory = peak;
        }
        Ok(())
    }

    fn table_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> Result<bool, wasmi_core::LimiterError> {
        Ok(desired as u64 <= self.table_elements)
    }

    fn instances(&self) -> usize {
        // The plugin, an Extism plugin's kernel and the modules it links.
        2 + crate::runtime::MAX_LINKED_MODULES
    }

    fn tables(&self) -> usize {
        self.tables
    }

    fn memories(&self) -> usize {
        2 + crate::runtime::MAX_LINKED_MODULES
    }
}

/// Per-instance state kept in the wasmi store.
pub(crate) struct HostState {
    /// The plugin's host services (grants, limits, platform, config).
    pub(crate) services: Arc<Services>,
    pub(crate) limiter: BudgetLimiter,
    /// The guest's exported `memory`, once instantiated.
    pub(crate) memory: Option<Memory>,
    /// The guest's `caplet_alloc`, if exported.
    pub(crate) alloc: Option<TypedFunc<i32, i32>>,
    /// Host calls of the current call.
    pub(crate) host_calls: u64,
    /// The message of contract v1's `set_error` during the current call.
    pub(crate) error_message: Option<String>,
    /// Fuel of the current call not yet handed out as slices.
    pub(crate) fuel_reserve: u64,
    /// Fuel budget of the current call.
    pub(crate) budget: u64,
    /// The driver is running `caplet_alloc` for a host function.
    pub(crate) in_alloc: bool,
    /// The current call runs in fuel slices (resumable calls, the hook between
    /// slices); when false the whole budget is in the store and guest code runs as
    /// plain wasmi calls (see `runtime::begin`).
    pub(crate) sliced: bool,
    /// The bytes of a [`GuestRequest::FinishAlloc`].
    pub(crate) pending: Vec<u8>,
    /// The suspended `caplet_alloc` of a [`GuestRequest::FinishAlloc`].
    pub(crate) pending_alloc: Option<wasmi::TypedResumableCallOutOfFuel<i32>>,
    /// WASI preview 1 state (file descriptors), created on first use.
    pub(crate) wasi: Option<WasiState>,
    /// The Extism profile's state (kernel, vars), for Extism plugins.
    #[cfg(feature = "extism")]
    pub(crate) extism: Option<alloc::boxed::Box<crate::profiles::extism::ExtismState>>,
}

impl HostState {
    pub(crate) fn new(services: Arc<Services>) -> Self {
        let l = services.limits;
        HostState {
            limiter: BudgetLimiter {
                memory_bytes: l.memory_bytes,
                total_memory: 0,
                table_elements: u64::from(l.table_elements),
                tables: l.max_tables as usize,
                peak_memory: 0,
                approved: None,
            },
            services,
            memory: None,
            alloc: None,
            host_calls: 0,
            error_message: None,
            fuel_reserve: 0,
            budget: 0,
            in_alloc: false,
            sliced: true,
            pending: Vec::new(),
            pending_alloc: None,
            wasi: None,
            #[cfg(feature = "extism")]
            extism: None,
        }
    }

    /// Counts one host call, whatever the profile; `Err(LIMIT)` past the cap.
    pub(crate) fn enter(&mut self) -> Result<(), Code> {
        self.host_calls += 1;
        if self.host_calls > self.services.limits.max_host_calls {
            return Err(Code::Limit);
        }
        Ok(())
    }

    /// The guest's memory, or a fatal error when a host function runs before the
    /// instance exported one.
    pub(crate) fn memory(&self) -> Result<Memory, wasmi::Error> {
        self.memory.ok_or_else(|| {
            fatal(Error::contract(
                "host function called before the instance exported its memory",
            ))
        })
    }
}
