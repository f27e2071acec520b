//! Run events and plugin logs as structured log lines (`tracing`), run events to
//! an event sink (`--events FILE`, JSON lines), and the audit of denials counted
//! into the metrics.

use std::io::Write as _;
use std::path::Path;
use std::sync::Mutex;

use caplet_core::platform::{Audit, Denial, Level, LogSink};

use super::metrics::{metrics, CapabilityLabels, HostCallLabels};
use super::store::{now_ms, RunRecord};

/// Where `run.started`, `run.finished` and `run.failed` go: always a log line;
/// with `--events FILE`, also one JSON object per line appended to that file
/// (`{"event", "at_ms", "tenant", "run": <the run record>}`). Each line is one
/// `write` on a file opened for appending, so lines never interleave.
#[derive(Debug, Default)]
pub struct RunEvents {
    file: Option<Mutex<std::fs::File>>,
}

impl RunEvents {
    /// Log lines only.
    pub fn log_only() -> RunEvents {
        RunEvents::default()
    }

    /// Log lines and JSON lines appended to `path` (created if missing).
    pub fn to_file(path: &Path) -> Result<RunEvents, String> {
        let f = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .map_err(|e| format!("--events {}: {e}", path.display()))?;
        Ok(RunEvents {
            file: Some(Mutex::new(f)),
        })
    }

    /// Emits `event` for run `rec` of `tenant`.
    pub fn emit(&self, event: &str, tenant: &str, rec: &RunRecord) {
        tracing::info!(
            event,
            run_id = %rec.run_id,
            tenant = %tenant,
            plugin = %rec.plugin,
            fuel = rec.usage.map_or(0, |u| u.fuel),
            duration_ms = rec.usage.map_or(0.0, |u| u.duration_ms),
            error = rec.error.as_ref().map(|e| e.message.as_str()).unwrap_or(""),
        );
        let Some(file) = &self.file else {
            return;
        };
        let line = serde_json::json!({
            "event": event,
            "at_ms": now_ms(),
            "tenant": tenant,
            "run": rec,
        });
        let mut text = line.to_string();
        text.push('\n');
        let mut f = file.lock().unwrap_or_else(|p| p.into_inner());
        if let Err(e) = f.write_all(text.as_bytes()) {
            tracing::error!(error = %e, "cannot write to the event sink");
        }
    }
}

/// A plugin's log lines as `tracing` events with the tenant and plugin.
#[derive(Debug)]
pub struct TracingLog {
    /// The tenant running the plugin.
    pub tenant: String,
    /// Lines below this level are dropped.
    pub min_level: Level,
}

impl LogSink for TracingLog {
    fn log(&self, plugin: &str, level: Level, message: &str) {
        if level < self.min_level {
            return;
        }
        let (tenant, plugin) = (self.tenant.as_str(), plugin);
        match level {
            Level::Trace => tracing::trace!(target: "plugin", tenant, plugin, message),
            Level::Debug => tracing::debug!(target: "plugin", tenant, plugin, message),
            Level::Info => tracing::info!(target: "plugin", tenant, plugin, message),
            Level::Warn => tracing::warn!(target: "plugin", tenant, plugin, message),
            Level::Error => tracing::error!(target: "plugin", tenant, plugin, message),
        }
    }

    fn min_level(&self) -> Level {
        self.min_level
    }
}

/// Denials as `tracing` warnings and metrics.
#[derive(Debug)]
pub struct CountingAudit {
    /// The tenant running the plugin.
    pub tenant: String,
}

impl Audit for CountingAudit {
    fn denied(&self, d: &Denial<'_>) {
        let kind = d.kind.prefix().to_string();
        let m = metrics();
        m.denied
            .get_or_create(&CapabilityLabels {
                capability: kind.clone(),
            })
            .inc();
        m.host_calls
            .get_or_create(&HostCallLabels {
                kind,
                decision: "denied".into(),
            })
            .inc();
        tracing::warn!(
            target: "audit",
            tenant = %self.tenant,
            plugin = %d.plugin,
            capability = %d.kind.prefix(),
            subject = %d.subject,
            at_load = d.at_load,
            "capability denied"
        );
    }
}
