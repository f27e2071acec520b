//! `extism_echo`: the Extism twin of the `echo` fixture plugin of tests/plugins.
//! Entry `echo` returns its input unchanged.

use extism_pdk::*;

#[plugin_fn]
pub fn echo(input: Vec<u8>) -> FnResult<Vec<u8>> {
    Ok(input)
}
