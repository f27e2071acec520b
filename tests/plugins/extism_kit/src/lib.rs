//! An Extism plugin written against the Rust PDK exactly as its users write one:
//! nothing in it knows about Caplet. Each export exercises one part of the
//! `extism:host/env` profile.
#![allow(clippy::missing_safety_doc)]

use extism_pdk::*;
use serde::{Deserialize, Serialize};

const VOWELS: &[char] = &['a', 'A', 'e', 'E', 'i', 'I', 'o', 'O', 'u', 'U'];

#[derive(Serialize, ToBytes)]
#[encoding(Json)]
pub struct Count {
    pub count: i32,
}

/// Extism's own example: the vowels of the input, as JSON.
#[plugin_fn]
pub fn count_vowels(input: String) -> FnResult<Count> {
    let count = input.chars().filter(|c| VOWELS.contains(c)).count() as i32;
    Ok(Count { count })
}

/// The input back (bytes in, bytes out).
#[plugin_fn]
pub fn echo(input: Vec<u8>) -> FnResult<Vec<u8>> {
    Ok(input)
}

/// `Hello, <config "name">!`; an error naming the key when it is not set.
#[plugin_fn]
pub fn greet(_: ()) -> FnResult<String> {
    match config::get("name")? {
        Some(name) => Ok(format!("Hello, {name}!")),
        None => Err(WithReturnCode::new(Error::msg("config key `name` is not set"), 2)),
    }
}

/// Counts calls on one instance with a var: returns the count so far.
#[plugin_fn]
pub fn count_calls(_: ()) -> FnResult<String> {
    let n: i64 = var::get::<String>("calls")?
        .and_then(|s| s.parse().ok())
        .unwrap_or(0)
        + 1;
    var::set("calls", n.to_string())?;
    Ok(n.to_string())
}

/// Stores the input under var `big` (for the max_var_bytes cap).
#[plugin_fn]
pub fn store_var(input: Vec<u8>) -> FnResult<()> {
    var::set("big", input)?;
    Ok(())
}

/// Always fails, with the input in the message.
#[plugin_fn]
pub fn fail(input: String) -> FnResult<()> {
    Err(Error::msg(format!("failed on purpose: {input}")).into())
}

/// Sets an error message and still returns 0 (the message must win).
#[no_mangle]
pub extern "C" fn error_but_zero() -> i32 {
    let msg = Memory::from_bytes("set, then returned 0").expect("alloc");
    unsafe { extism::error_set(msg.offset()) };
    0
}

/// Logs the input at info and warn.
#[plugin_fn]
pub fn log_it(input: String) -> FnResult<()> {
    info!("info: {input}");
    warn!("warn: {input}");
    Ok(())
}

#[derive(Deserialize)]
pub struct Fetch {
    pub url: String,
}

/// GETs the URL of the JSON input; returns `<status> <body>`.
#[plugin_fn]
pub fn fetch(Json(req): Json<Fetch>) -> FnResult<String> {
    let res = http::request::<()>(&HttpRequest::new(&req.url), None)?;
    Ok(format!("{} {}", res.status_code(), String::from_utf8_lossy(&res.body())))
}

/// Never returns: stopped by fuel or by a deadline.
#[plugin_fn]
pub fn spin(_: ()) -> FnResult<()> {
    let mut x: u64 = 0;
    loop {
        x = core::hint::black_box(x.wrapping_add(1));
    }
}
