//! The export macros. They expand to plain items in the plugin crate; the
//! code that touches raw memory stays in this kit.

/// Exports functions as contract entry points, in either of two forms:
///
/// * `fn(&[u8]) -> Result<O, Error>` with `O: Into<Vec<u8>>` (e.g. `Vec<u8>`,
///   `String`, `&'static str`): the easy form;
/// * `fn(&[u8], &mut Output) -> Result<(), Error>`: the output is written into
///   a buffer the kit owns and reuses ([`Output`](crate::Output)), so a call
///   allocates nothing. The call's input is read in place from the kit's call
///   arena in both forms.
///
/// ```
/// use caplet_guest::Error;
///
/// fn upper(input: &[u8]) -> Result<Vec<u8>, Error> {
///     Ok(input.to_ascii_uppercase())
/// }
/// fn greet(_input: &[u8]) -> Result<&'static str, Error> {
///     Ok("hello")
/// }
/// fn fail(_input: &[u8]) -> Result<Vec<u8>, Error> {
///     Err(Error::invalid_input("always fails"))
/// }
/// fn echo(input: &[u8], out: &mut caplet_guest::Output) -> Result<(), Error> {
///     out.extend_from_slice(input);
///     Ok(())
/// }
///
/// // Exports `upper`, `greet` and `echo` under their own names...
/// caplet_guest::entrypoint!(upper, greet, echo);
/// // ...and `fail` under another name.
/// caplet_guest::entrypoint!(fail as "always_fail");
/// ```
///
/// Each function becomes a wasm export `name(ptr: i32, len: i32) -> i64`
/// (only when compiling for `wasm32`; elsewhere the wrapper is still
/// type-checked but nothing is exported, so names such as `read` or `log`
/// cannot clash with system symbols). The wrapper takes the input buffer,
/// runs the function, keeps the output alive until the next call and returns
/// it packed; on `Err` it passes the message to `caplet.set_error` and
/// returns `-(code)`.
#[macro_export]
macro_rules! entrypoint {
    () => {};
    ($func:path as $name:literal $(, $($rest:tt)*)?) => {
        $crate::__export_entry!(run_entry, $func, $name);
        $($crate::entrypoint!($($rest)*);)?
    };
    ($func:ident $(, $($rest:tt)*)?) => {
        $crate::__export_entry!(run_entry, $func, ::core::stringify!($func));
        $($crate::entrypoint!($($rest)*);)?
    };
}

/// Exports functions `fn(In) -> Result<Out, Error>` with
/// `In: serde::de::DeserializeOwned` and `Out: serde::Serialize` as entry
/// points that take and return JSON.
///
/// Input that does not parse as `In` fails with `INVALID_INPUT` and serde's
/// message; an empty input is read as `null` (so `In = Option<T>` or `()`
/// accepts it). The output is compact JSON. Same forms as
/// [`entrypoint!`](crate::entrypoint): `json_entrypoint!(a, b)` and
/// `json_entrypoint!(func as "name")`.
///
/// ```
/// use caplet_guest::Error;
/// use serde::{Deserialize, Serialize};
///
/// #[derive(Deserialize)]
/// struct In { values: Vec<i64> }
/// #[derive(Serialize)]
/// struct Out { sum: i64 }
///
/// fn sum(input: In) -> Result<Out, Error> {
///     Ok(Out { sum: input.values.iter().sum() })
/// }
/// caplet_guest::json_entrypoint!(sum);
/// ```
#[macro_export]
macro_rules! json_entrypoint {
    () => {};
    ($func:path as $name:literal $(, $($rest:tt)*)?) => {
        $crate::__export_entry!(run_json_entry, $func, $name);
        $($crate::json_entrypoint!($($rest)*);)?
    };
    ($func:ident $(, $($rest:tt)*)?) => {
        $crate::__export_entry!(run_json_entry, $func, ::core::stringify!($func));
        $($crate::json_entrypoint!($($rest)*);)?
    };
}

#[doc(hidden)]
#[macro_export]
macro_rules! __export_entry {
    ($runner:ident, $func:path, $name:expr) => {
        const _: () = {
            #[cfg_attr(target_arch = "wasm32", export_name = $name)]
            #[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]
            extern "C" fn __caplet_entry(ptr: i32, len: i32) -> i64 {
                $crate::__private::$runner(ptr, len, $func)
            }
        };
    };
}

/// Embeds the plugin's manifest JSON in the module's `caplet.manifest`
/// custom section.
///
/// Takes a string expression known at compile time: a literal or
/// `include_str!("caplet.json")`. The text is checked at compile time to be
/// a JSON object with `name` and `version`; the host validates the rest when
/// it loads the module. Use the macro once per plugin. The section is only
/// emitted when compiling for `wasm32`.
///
/// ```
/// caplet_guest::manifest!(r#"{
///     "name": "echo",
///     "version": "1.0.0",
///     "entrypoints": ["echo"],
///     "capabilities": ["log"]
/// }"#);
/// ```
///
/// A malformed manifest fails the build:
///
/// ```compile_fail
/// caplet_guest::manifest!(r#"{"name": "echo"}"#); // no "version"
/// ```
#[macro_export]
macro_rules! manifest {
    ($json:expr $(,)?) => {
        const _: () = {
            const __CAPLET_MANIFEST_JSON: &str = $json;
            const _: () = match $crate::__private::check_manifest(__CAPLET_MANIFEST_JSON) {
                ::core::result::Result::Ok(()) => (),
                ::core::result::Result::Err(problem) => ::core::panic!("{}", problem),
            };
            #[cfg(target_arch = "wasm32")]
            #[link_section = "caplet.manifest"]
            #[used]
            static __CAPLET_MANIFEST: [u8; __CAPLET_MANIFEST_JSON.len()] =
                $crate::__private::manifest_bytes(__CAPLET_MANIFEST_JSON);
        };
    };
}

/// Declares functions of the embedding application (its own import module,
/// granted by `app:<name>` capabilities) as safe Rust functions.
///
/// Two forms per function:
///
/// - `fn name(bytes) -> bytes;` — the contract's buffer convention: the
///   function takes `&[u8]` and returns `Result<Vec<u8>, Error>` (a host error
///   code becomes the `Err`);
/// - `fn name(a: i32, b: f64) -> i64;` — numbers only (`i32`, `i64`, `f32`,
///   `f64`; at most one result): the function returns the value itself. A
///   failure of the host function ends the plugin's call.
///
/// ```
/// caplet_guest::app_functions! {
///     module "board" {
///         /// The reading of a named sensor.
///         pub fn read_sensor(bytes) -> bytes;
///         /// Sets a GPIO pin; returns its previous level.
///         pub fn gpio_set(pin: i32, level: i32) -> i32;
///     }
/// }
///
/// fn report(_input: &[u8]) -> Result<Vec<u8>, caplet_guest::Error> {
///     let temp = read_sensor(b"temp")?;
///     let _was = gpio_set(13, 1);
///     Ok(temp)
/// }
/// # let _ = report;
/// ```
///
/// Off `wasm32` (unit tests) the bytes form fails with `UNSUPPORTED` and the
/// numbers form panics, since it has no way to report an error.
#[macro_export]
macro_rules! app_functions {
    (module $module:literal { $($body:tt)* }) => {
        $crate::__app_functions!(@items $module; $($body)*);
    };
}

#[doc(hidden)]
#[macro_export]
macro_rules! __app_functions {
    (@items $module:literal;) => {};
    (@items $module:literal;
        $(#[$meta:meta])* $vis:vis fn $name:ident (bytes) -> bytes; $($rest:tt)*
    ) => {
        $(#[$meta])*
        $vis fn $name(input: &[u8]) -> $crate::Result<::std::vec::Vec<u8>> {
            #[cfg(target_arch = "wasm32")]
            {
                #[link(wasm_import_module = $module)]
                extern "C" {
                    #[link_name = ::core::stringify!($name)]
                    fn raw(ptr: i32, len: i32) -> i64;
                }
                $crate::__app_call(
                    ::core::concat!($module, ".", ::core::stringify!($name)),
                    raw,
                    input,
                )
            }
            #[cfg(not(target_arch = "wasm32"))]
            {
                let _ = input;
                ::core::result::Result::Err($crate::Error::unsupported(::core::concat!(
                    $module, ".", ::core::stringify!($name), ": not on wasm32"
                )))
            }
        }
        $crate::__app_functions!(@items $module; $($rest)*);
    };
    (@items $module:literal;
        $(#[$meta:meta])* $vis:vis fn $name:ident ($($arg:ident : $ty:ident),* $(,)?) $(-> $ret:ident)?; $($rest:tt)*
    ) => {
        $(#[$meta])*
        #[allow(unsafe_code)]
        $vis fn $name($($arg: $ty),*) $(-> $ret)? {
            #[cfg(target_arch = "wasm32")]
            {
                #[link(wasm_import_module = $module)]
                extern "C" {
                    #[link_name = ::core::stringify!($name)]
                    fn raw($($arg: $ty),*) $(-> $ret)?;
                }
                // SAFETY: a numbers-only import passes no pointers; the host
                // checked its signature against this declaration at load.
                unsafe { raw($($arg),*) }
            }
            #[cfg(not(target_arch = "wasm32"))]
            {
                $(let _ = $arg;)*
                ::core::panic!(::core::concat!(
                    $module, ".", ::core::stringify!($name), " is only available on wasm32"
                ))
            }
        }
        $crate::__app_functions!(@items $module; $($rest)*);
    };
}
