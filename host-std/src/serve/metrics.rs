//! The service's Prometheus metrics (`GET /metrics`, OpenMetrics text).
//!
//! Labels never carry a tenant's name: one tenant reading the metrics learns
//! nothing of another's.

use std::sync::atomic::AtomicI64;
use std::sync::OnceLock;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::Registry;

/// `caplet_runs_total` labels.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RunLabels {
    /// Plugin name.
    pub plugin: String,
    /// Plugin version (a canary's share shows here).
    pub version: String,
    /// `finished` or `failed`.
    pub status: String,
}

/// `caplet_host_calls_total` labels.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct HostCallLabels {
    /// The capability kind denied, or `any` for every host call a run made.
    pub kind: String,
    /// `denied`, or `made` for every host call a run made (denied ones included).
    pub decision: String,
}

/// `caplet_policy_denied_total` labels.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct CapabilityLabels {
    /// The capability kind denied.
    pub capability: String,
}

/// `caplet_limit_hits_total` labels.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct LimitLabels {
    /// `fuel`, `timeout`, `memory`, `rate`, `queue`.
    pub kind: String,
}

/// Every metric of the service.
#[derive(Debug)]
pub struct Metrics {
    registry: Registry,
    /// Runs by plugin and outcome.
    pub runs: Family<RunLabels, Counter>,
    /// Run duration in seconds (queue wait excluded).
    pub duration: Histogram,
    /// Fuel used per run.
    pub fuel: Histogram,
    /// Host calls by kind and decision.
    pub host_calls: Family<HostCallLabels, Counter>,
    /// Capability denials by capability.
    pub denied: Family<CapabilityLabels, Counter>,
    /// Limits hit, by kind.
    pub limit_hits: Family<LimitLabels, Counter>,
    /// Runs admitted but not finished (queued or running).
    pub queue_depth: Gauge<i64, AtomicI64>,
    /// Idle instances in the pools.
    pub instances_pooled: Gauge<i64, AtomicI64>,
    /// Engine generations alive.
    pub generations: Gauge<i64, AtomicI64>,
    host_calls_made: OnceLock<Counter>,
}

impl Metrics {
    fn new() -> Metrics {
        let mut registry = Registry::with_prefix("caplet");
        let runs = Family::<RunLabels, Counter>::default();
        registry.register("runs", "Runs by plugin and outcome", runs.clone());
        let duration = Histogram::new(exponential_buckets(0.000_05, 2.0, 20));
        registry.register(
            "run_duration_seconds",
            "Duration of a run's call, in seconds",
            duration.clone(),
        );
        let fuel = Histogram::new(exponential_buckets(100.0, 4.0, 16));
        registry.register("fuel_used", "Fuel used per run", fuel.clone());
        let host_calls = Family::<HostCallLabels, Counter>::default();
        registry.register(
            "host_calls",
            "Host calls by capability kind and decision",
            host_calls.clone(),
        );
        let denied = Family::<CapabilityLabels, Counter>::default();
        registry.register(
            "policy_denied",
            "Capability denials by capability",
            denied.clone(),
        );
        let limit_hits = Family::<LimitLabels, Counter>::default();
        registry.register("limit_hits", "Limits hit, by kind", limit_hits.clone());
        let queue_depth = Gauge::<i64, AtomicI64>::default();
        registry.register(
            "queue_depth",
            "Runs admitted and not yet finished",
            queue_depth.clone(),
        );
        let instances_pooled = Gauge::<i64, AtomicI64>::default();
        registry.register(
            "instances_pooled",
            "Idle pre-instantiated instances",
            instances_pooled.clone(),
        );
        let generations = Gauge::<i64, AtomicI64>::default();
        registry.register(
            "engine_generations",
            "Engine generations alive",
            generations.clone(),
        );
        Metrics {
            registry,
            runs,
            duration,
            fuel,
            host_calls,
            denied,
            limit_hits,
            queue_depth,
            instances_pooled,
            generations,
            host_calls_made: OnceLock::new(),
        }
    }

    /// `caplet_host_calls_total{kind="any",decision="made"}` (looked up once).
    pub fn host_calls_made(&self) -> &Counter {
        self.host_calls_made.get_or_init(|| {
            self.host_calls
                .get_or_create(&HostCallLabels {
                    kind: "any".into(),
                    decision: "made".into(),
                })
                .clone()
        })
    }

    /// Counts a limit hit.
    pub fn limit_hit(&self, kind: &str) {
        self.limit_hits
            .get_or_create(&LimitLabels {
                kind: kind.to_string(),
            })
            .inc();
    }

    /// The OpenMetrics text.
    pub fn encode(&self) -> String {
        let mut out = String::new();
        // Writing into a String does not fail.
        let _ = prometheus_client::encoding::text::encode(&mut out, &self.registry);
        out
    }
}

static METRICS: OnceLock<Metrics> = OnceLock::new();

/// The process's metrics.
pub fn metrics() -> &'static Metrics {
    METRICS.get_or_init(Metrics::new)
}
