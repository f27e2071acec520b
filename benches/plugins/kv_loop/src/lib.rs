//! `kv_loop`: measures the cost of a host call. Capability `kv`.
//!
//! Entry point `get_many`: input `KEY:N` (decimal `N`); reads `KEY` from the plugin's
//! key-value store `N` times (`N` `caplet.kv_get` host calls, each handing the value
//! back through `caplet_alloc`) and returns the total number of value bytes read, in
//! decimal. A missing key fails with `NOT_FOUND`.

use caplet_guest::{kv, Error};

caplet_guest::manifest!(
    r#"{
  "name": "kv_loop",
  "version": "1.0.0",
  "description": "Reads one key N times (host-call benchmark)",
  "entrypoints": ["get_many"],
  "capabilities": ["kv"]
}"#
);

fn get_many(input: &[u8]) -> Result<String, Error> {
    let text = std::str::from_utf8(input)?;
    let (key, count) = text
        .split_once(':')
        .ok_or_else(|| Error::invalid_input("expected KEY:N"))?;
    let count: u32 = count.trim().parse()?;
    let mut total = 0u64;
    for _ in 0..count {
        let value =
            kv::get(key)?.ok_or_else(|| Error::not_found(format!("no value under {key:?}")))?;
        total += value.len() as u64;
    }
    Ok(total.to_string())
}

caplet_guest::entrypoint!(get_many);
