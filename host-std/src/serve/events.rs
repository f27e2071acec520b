//! Run events and plugin logs as structured log lines (`tracing`), and the audit
//! of denials counted into the metrics.

use caplet_core::platform::{Audit, Denial, Level, LogSink};

use super::metrics::{metrics, CapabilityLabels, HostCallLabels};

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
