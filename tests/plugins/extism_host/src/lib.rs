//! An Extism plugin calling a host function, as in Extism's own example: the
//! host's `shout` is imported from `extism:host/user` with the PDK's `host_fn`.

use extism_pdk::*;

#[host_fn("extism:host/user")]
extern "ExtismHost" {
    fn shout(text: String) -> String;
}

/// Calls the application's `shout` on the input.
#[plugin_fn]
pub fn call_host(input: String) -> FnResult<String> {
    Ok(unsafe { shout(input)? })
}
