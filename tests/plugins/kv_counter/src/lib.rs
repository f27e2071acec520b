//! `kv_counter`: a counter in the plugin's own key-value store. Capability `kv`.
//!
//! The key is the input as UTF-8, or `counter` when the input is empty.
//! Values are stored as decimal text.
//! * `incr` — adds 1 (a missing key counts as 0), stores and returns the new value;
//! * `get` — returns the value, or `0` when missing;
//! * `reset` — deletes the key, returns `ok`;
//! * `fill` — input `PREFIX:COUNT`: sets keys `PREFIX-0` … `PREFIX-(COUNT-1)`, returns
//!   the count (stops at the first error, e.g. `LIMIT` when the store is full);
//! * `count_forever` — increments the key `forever` until fuel, the deadline or the
//!   host stops it (for durability tests that kill the host mid-run).

use caplet_guest::{kv, Error};

caplet_guest::manifest!(
    r#"{
  "name": "kv_counter",
  "version": "1.0.0",
  "description": "Counts in the plugin's key-value store",
  "entrypoints": ["incr", "get", "reset", "fill", "count_forever"],
  "capabilities": ["kv"]
}"#
);

fn key(input: &[u8]) -> Result<&str, Error> {
    if input.is_empty() {
        Ok("counter")
    } else {
        Ok(std::str::from_utf8(input)?)
    }
}

fn load(key: &str) -> Result<u64, Error> {
    match kv::get(key)? {
        None => Ok(0),
        Some(bytes) => Ok(std::str::from_utf8(&bytes)?.trim().parse()?),
    }
}

fn incr(input: &[u8]) -> Result<String, Error> {
    let key = key(input)?;
    let next = load(key)?
        .checked_add(1)
        .ok_or_else(|| Error::limit("counter overflow"))?;
    let text = next.to_string();
    kv::set(key, text.as_bytes())?;
    Ok(text)
}

fn get(input: &[u8]) -> Result<String, Error> {
    Ok(load(key(input)?)?.to_string())
}

fn reset(input: &[u8]) -> Result<&'static str, Error> {
    kv::delete_if_present(key(input)?)?;
    Ok("ok")
}

fn fill(input: &[u8]) -> Result<String, Error> {
    let text = std::str::from_utf8(input)?;
    let (prefix, count) = text
        .split_once(':')
        .ok_or_else(|| Error::invalid_input("expected PREFIX:COUNT"))?;
    let count: u32 = count.trim().parse()?;
    for i in 0..count {
        kv::set(&format!("{prefix}-{i}"), i.to_string().as_bytes())?;
    }
    Ok(count.to_string())
}

fn count_forever(_input: &[u8]) -> Result<String, Error> {
    loop {
        incr(b"forever")?;
    }
}

caplet_guest::entrypoint!(incr, get, reset, fill, count_forever);
