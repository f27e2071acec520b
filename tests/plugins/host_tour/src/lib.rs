//! `host_tour`: one entry per small host service.
//! Capabilities `clock`, `random`, `emit:events.*` (config needs none).
//!
//! * `now` — `{"wall": <ns since epoch>, "mono": <monotonic ns>}`;
//! * `random` — 32 random bytes as lowercase hex;
//! * `emit` — input `{"topic": "...", "data": "..."}`, emits it, returns `ok`;
//! * `config` — input is a key; returns its value, or `NOT_FOUND`.
//!   The manifest sets a default for `greeting` (`hello`).

use caplet_guest::{clock, config, json, Error};
use fixture_common::hex;
use serde::{Deserialize, Serialize};

caplet_guest::manifest!(
    r#"{
  "name": "host_tour",
  "version": "1.0.0",
  "description": "Clock, random bytes, events and config",
  "entrypoints": ["now", "random", "emit", "config"],
  "capabilities": ["clock", "random", "emit:events.*"],
  "config": {"greeting": "hello"}
}"#
);

#[derive(Serialize)]
struct Now {
    wall: u64,
    mono: u64,
}

#[derive(Deserialize)]
struct Event {
    topic: String,
    data: String,
}

fn now(_input: &[u8]) -> Result<Vec<u8>, Error> {
    json::to_vec(&Now {
        wall: clock::wall_ns()?,
        mono: clock::monotonic_ns()?,
    })
}

fn random_hex(_input: &[u8]) -> Result<String, Error> {
    let mut buf = [0u8; 32];
    caplet_guest::random::fill(&mut buf)?;
    Ok(hex(&buf))
}

fn emit_event(input: &[u8]) -> Result<&'static str, Error> {
    let event: Event = json::parse(input)?;
    caplet_guest::emit(&event.topic, event.data.as_bytes())?;
    Ok("ok")
}

fn config_value(input: &[u8]) -> Result<String, Error> {
    let key = std::str::from_utf8(input)?;
    config::get(key)?.ok_or_else(|| Error::not_found(format!("config key {key:?} is not set")))
}

caplet_guest::entrypoint!(now, random_hex as "random", emit_event as "emit", config_value as "config");
