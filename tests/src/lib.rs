//! Shared helpers of Caplet's cross-crate tests: where the fixture plugins are,
//! how to load them, and a recording platform.
//!
//! The fixture plugins are Rust guests under `plugins/`, built for
//! `wasm32-unknown-unknown` by this crate's build script; `.wat` fixtures for
//! hostile cases live in `fixtures/`.

use std::path::PathBuf;
use std::sync::Arc;

use caplet_core::platform::testing::{RecordingAudit, RecordingEvents, RecordingLog};
use caplet_core::platform::{MemoryKv, Platform};
use caplet_core::{Error, Grants, Limits, Plugin, PluginConfig, Runtime};

/// Directory holding the built fixture plugins (`<name>.wasm`).
pub fn plugin_dir() -> PathBuf {
    PathBuf::from(env!("CAPLET_PLUGIN_DIR"))
}

/// Path of fixture plugin `name`.
pub fn plugin_path(name: &str) -> PathBuf {
    plugin_dir().join(format!("{name}.wasm"))
}

/// Bytes of fixture plugin `name`.
pub fn plugin(name: &str) -> Vec<u8> {
    let p = plugin_path(name);
    std::fs::read(&p).unwrap_or_else(|e| panic!("fixture plugin {}: {e}", p.display()))
}

/// Path of `.wat` fixture `name` (without extension).
pub fn wat_path(name: &str) -> PathBuf {
    PathBuf::from(env!("CAPLET_FIXTURE_DIR")).join(format!("{name}.wat"))
}

/// A `.wat` fixture compiled to wasm bytes.
pub fn wat(name: &str) -> Vec<u8> {
    wat::parse_file(wat_path(name)).unwrap_or_else(|e| panic!("fixture {name}.wat: {e}"))
}

/// Inline wat to wasm bytes.
pub fn wat_str(text: &str) -> Vec<u8> {
    wat::parse_str(text).expect("valid wat")
}

/// A platform whose services record what they receive.
#[derive(Clone)]
pub struct Recorder {
    /// Log lines.
    pub log: Arc<RecordingLog>,
    /// Emitted events.
    pub events: Arc<RecordingEvents>,
    /// Denials.
    pub audit: Arc<RecordingAudit>,
    /// KV.
    pub kv: Arc<MemoryKv>,
    /// The platform using them (plus the testing clock and entropy).
    pub platform: Platform,
}

impl Default for Recorder {
    fn default() -> Self {
        let log = Arc::new(RecordingLog::default());
        let events = Arc::new(RecordingEvents::default());
        let audit = Arc::new(RecordingAudit::default());
        let kv = Arc::new(MemoryKv::default());
        let mut platform = caplet_core::platform::testing::full();
        platform.log = Some(log.clone());
        platform.events = Some(events.clone());
        platform.audit = Some(audit.clone());
        platform.kv = Some(kv.clone());
        Recorder {
            log,
            events,
            audit,
            kv,
            platform,
        }
    }
}

/// Loads `wasm` with the given capability strings and limits on `platform`.
pub fn load_with(
    wasm: &[u8],
    caps: &[&str],
    limits: Limits,
    platform: Platform,
) -> Result<Plugin, Error> {
    Runtime::default().load(
        wasm,
        PluginConfig {
            grants: Grants::from_strs(caps.iter().copied())?,
            limits,
            platform,
            ..Default::default()
        },
    )
}

/// Loads `wasm` with no capabilities, `limits` and an empty platform; panics,
/// naming the error, when it does not load.
pub fn load_limited(wasm: &[u8], limits: Limits) -> Plugin {
    load_with(wasm, &[], limits, Platform::new()).unwrap_or_else(|e| panic!("loads: {e}"))
}

/// Loads `wasm` with the given capabilities, default limits and the full test platform.
pub fn load(wasm: &[u8], caps: &[&str]) -> Result<Plugin, Error> {
    load_with(
        wasm,
        caps,
        Limits::default(),
        caplet_core::platform::testing::full(),
    )
}
