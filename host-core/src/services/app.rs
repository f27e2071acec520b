//! `app:<name-glob>`: functions of the embedding application (read a sensor,
//! toggle a GPIO, look up a customer), offered to plugins under the
//! application's own import module.
//!
//! Each function declares the capability name that grants it
//! (`app:sensors.read`). A plugin that imports a function whose capability is not
//! granted fails to load, like a contract-v1 import; every call is checked again,
//! counted against the host-call cap, and its bytes are bounds-checked and capped
//! like a built-in import's. Two forms, both typed:
//!
//! - **bytes** — the guest calls `name(ptr: i32, len: i32) -> i64` with a request
//!   buffer and gets a packed `(ptr, len)` buffer (from its `caplet_alloc`) or
//!   `-code`, exactly like `kv_get`; the application sees `&[u8]` in and returns
//!   `Vec<u8>` or a [`Code`]. Input and output are capped by
//!   [`Limits::max_host_result_bytes`](crate::Limits::max_host_result_bytes).
//! - **numbers** — a signature of `i32`/`i64`/`f32`/`f64` parameters and results
//!   (at most [`MAX_NUMBERS`] each); the application reads `&[Value]` and fills
//!   `&mut [Value]`. A failure ([`Code`]) ends the guest call with an error naming
//!   the function, since a numbers-only signature has no room for an error code.
//!
//! ```
//! use caplet_core::{AppFunctions, Code, Runtime, EngineLimits, ValType, Value};
//!
//! let board = AppFunctions::new("board")
//!     .unwrap()
//!     // bytes in, bytes out: a sensor by name
//!     .bytes("read_sensor", "app:sensors.read", |_call, name| match name {
//!         b"temp" => Ok(b"21.5".to_vec()),
//!         _ => Err(Code::NotFound),
//!     })
//!     .unwrap()
//!     // numbers only: gpio_set(pin, level) -> previous level
//!     .numbers(
//!         "gpio_set",
//!         "app:gpio.write",
//!         &[ValType::I32, ValType::I32],
//!         &[ValType::I32],
//!         |_call, args, results| {
//!             let (Value::I32(pin), Value::I32(_level)) = (args[0], args[1]) else {
//!                 return Err(Code::InvalidInput);
//!             };
//!             if pin > 40 {
//!                 return Err(Code::InvalidInput);
//!             }
//!             results[0] = Value::I32(0);
//!             Ok(())
//!         },
//!     )
//!     .unwrap();
//! let runtime = Runtime::with_functions(EngineLimits::default(), [board]).unwrap();
//! # let _ = runtime;
//! ```

use alloc::string::{String, ToString};
use alloc::sync::Arc;
use alloc::vec::Vec;
use core::fmt;

use super::{capped, Services};
use crate::capability::{Capability, Kind};
use crate::error::{Code, Error};
use crate::inspect::ValType;
use crate::runtime::Value;

/// Parameters, and results, a numbers-only function may have.
pub const MAX_NUMBERS: usize = 16;
/// Functions one application module may hold.
pub const MAX_APP_FUNCTIONS: usize = 256;
/// Longest module or function name.
pub const MAX_APP_NAME: usize = 64;

/// What an application function learns about its caller.
#[derive(Debug, Clone, Copy)]
pub struct AppCall<'a> {
    plugin: &'a str,
    function: &'a str,
}

impl AppCall<'_> {
    /// The calling plugin's name (its manifest name, as in audit records).
    pub fn plugin(&self) -> &str {
        self.plugin
    }

    /// The function's name within its module.
    pub fn function(&self) -> &str {
        self.function
    }
}

/// The body of a bytes function.
pub type BytesFn = dyn Fn(&AppCall<'_>, &[u8]) -> Result<Vec<u8>, Code> + Send + Sync;
/// The body of a numbers-only function: arguments in, results to fill.
pub type NumbersFn = dyn Fn(&AppCall<'_>, &[Value], &mut [Value]) -> Result<(), Code> + Send + Sync;

#[derive(Clone)]
pub(crate) enum Body {
    Bytes(Arc<BytesFn>),
    Numbers {
        params: Vec<ValType>,
        results: Vec<ValType>,
        f: Arc<NumbersFn>,
    },
}

/// One application function.
#[derive(Clone)]
pub struct AppFunction {
    /// Its index among all the runtime's application functions (set by
    /// [`Runtime::with_functions`](crate::Runtime::with_functions)): the slot of the
    /// per-plugin grant decision in [`Services`].
    pub(crate) id: usize,
    pub(crate) name: String,
    /// The declared capability name, without `app:`.
    pub(crate) capability: String,
    pub(crate) body: Body,
}

impl AppFunction {
    /// The function's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The capability that grants it (`app:sensors.read`).
    pub fn capability(&self) -> String {
        alloc::format!("app:{}", self.capability)
    }

    /// The wasm signature a plugin must import it with.
    pub fn signature(&self) -> crate::inspect::Signature {
        match &self.body {
            Body::Bytes(_) => crate::inspect::Signature {
                params: alloc::vec![ValType::I32, ValType::I32],
                results: alloc::vec![ValType::I64],
            },
            Body::Numbers {
                params, results, ..
            } => crate::inspect::Signature {
                params: params.clone(),
                results: results.clone(),
            },
        }
    }

    /// Whether it hands a buffer to the guest (the bytes form).
    pub fn returns_buffer(&self) -> bool {
        matches!(self.body, Body::Bytes(_))
    }
}

impl fmt::Debug for AppFunction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AppFunction")
            .field("name", &self.name)
            .field("capability", &self.capability)
            .field("signature", &self.signature())
            .finish()
    }
}

/// The functions an application offers under one import module.
#[derive(Clone, Debug)]
pub struct AppFunctions {
    pub(crate) module: String,
    pub(crate) functions: Vec<AppFunction>,
}

/// Import modules an application cannot take: the ABI profiles' and those
/// reserved for profiles to come.
fn reserved(module: &str) -> bool {
    module == crate::profiles::caplet::MODULE
        || module.starts_with("wasi")
        || (module.starts_with("extism") && module != USER_MODULE)
        || module == "env"
}

/// Extism's module of host functions, which is the application's: Extism plugins
/// import their host's functions from it (bytes functions are bound with
/// Extism's handle convention, see [`crate::profiles::extism`]).
pub const USER_MODULE: &str = "extism:host/user";

fn check_name(what: &str, name: &str) -> Result<(), Error> {
    let ok = !name.is_empty()
        && name.len() <= MAX_APP_NAME
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.' | b':' | b'/'));
    if ok {
        Ok(())
    } else {
        Err(Error::usage(msg!(
            "application {what} `{}` must be 1-{MAX_APP_NAME} characters of A-Z a-z 0-9 _ - . : /",
            crate::capability::truncate(name, 80)
        )))
    }
}

impl AppFunctions {
    /// An empty set of functions under import module `module`. The modules of the
    /// ABI profiles (`caplet`, `wasi*`, `extism*` but `extism:host/user`) and
    /// `env` are refused.
    pub fn new(module: &str) -> Result<Self, Error> {
        check_name("module", module)?;
        if reserved(module) {
            return Err(Error::usage(msg!(
                "application module `{module}` is reserved (caplet, wasi*, extism*, env)"
            )));
        }
        Ok(AppFunctions {
            module: module.to_string(),
            functions: Vec::new(),
        })
    }

    /// The import module.
    pub fn module(&self) -> &str {
        &self.module
    }

    /// The functions, in registration order.
    pub fn functions(&self) -> &[AppFunction] {
        &self.functions
    }

    /// The function `name`, if registered.
    pub fn get(&self, name: &str) -> Option<&AppFunction> {
        self.functions.iter().find(|f| f.name == name)
    }

    fn add(mut self, name: &str, capability: &str, body: Body) -> Result<Self, Error> {
        check_name("function", name)?;
        if self.get(name).is_some() {
            return Err(Error::usage(msg!(
                "application function `{}.{name}` is registered twice",
                self.module
            )));
        }
        if self.functions.len() >= MAX_APP_FUNCTIONS {
            return Err(Error::usage(msg!(
                "application module `{}` holds at most {MAX_APP_FUNCTIONS} functions",
                self.module
            )));
        }
        let cap = Capability::parse(capability)?;
        let declared = cap.scope();
        if cap.kind() != Kind::App || declared.contains(['*', '?']) {
            return Err(Error::usage(msg!(
                "`{}.{name}` must declare one capability `app:<name>` without wildcards, \
                 not `{}`",
                self.module,
                crate::capability::truncate(capability, 80)
            )));
        }
        self.functions.push(AppFunction {
            id: 0,
            name: name.to_string(),
            capability: declared.to_string(),
            body,
        });
        Ok(self)
    }

    /// Adds a bytes function: the guest imports `module.name` as
    /// `(ptr: i32, len: i32) -> i64` and gets `f`'s bytes (or `-code`).
    /// `capability` is the `app:<name>` that grants it.
    pub fn bytes<F>(self, name: &str, capability: &str, f: F) -> Result<Self, Error>
    where
        F: Fn(&AppCall<'_>, &[u8]) -> Result<Vec<u8>, Code> + Send + Sync + 'static,
    {
        self.add(name, capability, Body::Bytes(Arc::new(f)))
    }

    /// Adds a numbers-only function with the given signature (`i32`, `i64`,
    /// `f32`, `f64`; at most [`MAX_NUMBERS`] parameters and results). `f` gets
    /// arguments of exactly these types and must fill every result with a value of
    /// its declared type.
    pub fn numbers<F>(
        self,
        name: &str,
        capability: &str,
        params: &[ValType],
        results: &[ValType],
        f: F,
    ) -> Result<Self, Error>
    where
        F: Fn(&AppCall<'_>, &[Value], &mut [Value]) -> Result<(), Code> + Send + Sync + 'static,
    {
        if params.len() > MAX_NUMBERS
            || results.len() > MAX_NUMBERS
            || params.iter().chain(results).any(|t| *t == ValType::Other)
        {
            return Err(Error::usage(msg!(
                "application function `{}.{name}`: a numbers signature has at most \
                 {MAX_NUMBERS} parameters and results, each i32, i64, f32 or f64",
                self.module
            )));
        }
        self.add(
            name,
            capability,
            Body::Numbers {
                params: params.to_vec(),
                results: results.to_vec(),
                f: Arc::new(f),
            },
        )
    }
}

impl Services {
    /// The call-time check. The grants of a loaded plugin never change, so each
    /// function's decision is taken once at load ([`Services::app_granted`]) and
    /// looked up here; a denial is audited like any other.
    fn app_check(&self, function: &AppFunction) -> Result<(), Code> {
        if self.app_granted.get(function.id).copied().unwrap_or(false) {
            Ok(())
        } else {
            self.deny(Kind::App, &function.capability)
        }
    }

    /// Calls a bytes function for this plugin: grant, input cap, call, output cap.
    pub(crate) fn app_bytes(&self, function: &AppFunction, input: &[u8]) -> Result<Vec<u8>, Code> {
        self.app_check(function)?;
        let Body::Bytes(f) = &function.body else {
            return Err(Code::Internal);
        };
        capped(input.len(), self.limits.max_host_result_bytes)?;
        let out = f(
            &AppCall {
                plugin: &self.name,
                function: &function.name,
            },
            input,
        )?;
        capped(out.len(), self.limits.max_host_result_bytes)?;
        Ok(out)
    }

    /// Calls a numbers function for this plugin; checks the results' types.
    pub(crate) fn app_numbers(
        &self,
        function: &AppFunction,
        args: &[Value],
        results: &mut [Value],
    ) -> Result<(), Code> {
        self.app_check(function)?;
        let Body::Numbers {
            results: types, f, ..
        } = &function.body
        else {
            return Err(Code::Internal);
        };
        for (v, t) in results.iter_mut().zip(types) {
            *v = Value::zero(*t);
        }
        f(
            &AppCall {
                plugin: &self.name,
                function: &function.name,
            },
            args,
            results,
        )?;
        if results.iter().zip(types).any(|(v, t)| v.ty() != *t) {
            return Err(Code::Internal);
        }
        Ok(())
    }
}
