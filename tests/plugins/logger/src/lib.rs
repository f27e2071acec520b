//! `logger`: logs. Capability `log`.
//!
//! `log`: reads config `prefix` (empty when not set) and logs
//! `"<prefix><input>"` once at each level, trace to error; returns `5`.

use caplet_guest::{config, log, Error};

caplet_guest::manifest!(
    r#"{
  "name": "logger",
  "version": "1.0.0",
  "description": "Logs its input once at every level",
  "entrypoints": ["log"],
  "capabilities": ["log"]
}"#
);

fn log_all(input: &[u8]) -> Result<&'static str, Error> {
    let prefix = config::get("prefix")?.unwrap_or_default();
    let line = format!("{prefix}{}", String::from_utf8_lossy(input));
    log::trace(&line);
    log::debug(&line);
    log::info(&line);
    log::warn(&line);
    log::error(&line);
    Ok("5")
}

caplet_guest::entrypoint!(log_all as "log");
