//! A small Extism plugin as a board would carry one: the Rust PDK without its
//! `http` and `msgpack` features. Counts vowels, greets by config, counts calls
//! with a var, fails on request.

use extism_pdk::*;

const VOWELS: &[char] = &['a', 'A', 'e', 'E', 'i', 'I', 'o', 'O', 'u', 'U'];

/// `{"count":N}`: the vowels of the input.
#[plugin_fn]
pub fn count_vowels(input: String) -> FnResult<String> {
    let count = input.chars().filter(|c| VOWELS.contains(c)).count();
    Ok(format!("{{\"count\":{count}}}"))
}

/// `Hello, <config "name">!`.
#[plugin_fn]
pub fn greet(_: ()) -> FnResult<String> {
    let name = config::get("name")?.unwrap_or_else(|| "stranger".into());
    Ok(format!("Hello, {name}!"))
}

/// The number of calls so far on this instance, kept in a var.
#[plugin_fn]
pub fn count_calls(_: ()) -> FnResult<String> {
    let n: u64 = var::get::<String>("calls")?
        .and_then(|s| s.parse().ok())
        .unwrap_or(0)
        + 1;
    var::set("calls", n.to_string())?;
    Ok(n.to_string())
}

/// Always fails, naming the input.
#[plugin_fn]
pub fn fail(input: String) -> FnResult<()> {
    Err(Error::msg(format!("failed on purpose: {input}")).into())
}

/// The input back.
#[plugin_fn]
pub fn echo(input: Vec<u8>) -> FnResult<Vec<u8>> {
    Ok(input)
}
