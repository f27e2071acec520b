//! The worker pool: plugin calls are CPU-bound and run on `--workers` threads of
//! their own, never on the async reactor. Admission is bounded: at most
//! `--workers + --queue` runs are admitted at once; beyond that a request gets
//! `429`. A run's timeout takes effect between fuel slices.

use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use base64::Engine as _;
use caplet_core::{Error, Value};
use tokio::sync::{oneshot, OwnedSemaphorePermit, Semaphore};

use crate::deadline::{with_call_deadline, CancelHandle, Deadline};

use super::events::RunEvents;
use super::metrics::{metrics, HostCallLabels, RunLabels};
use super::plugins::{Generation, Pooled};
use super::store::batch::{AfterCommit, GroupCommit};
use super::store::journal::Journal;
use super::store::{now_ms, RunError, RunRecord, RunUsage, StoreError};

/// One admitted run.
pub struct Job {
    /// Its record (`queued`).
    pub rec: RunRecord,
    /// The tenant's name, for logs.
    pub tenant: String,
    /// The generation the plugin was loaded in (kept alive by the run).
    pub generation: Arc<Generation>,
    /// The plugin.
    pub pooled: Arc<Pooled>,
    /// Input bytes of an entry-point call.
    pub input: Vec<u8>,
    /// Arguments of a typed call.
    pub args: Vec<Value>,
    /// The call's timeout.
    pub timeout: Option<Duration>,
    /// Where the final record goes when the caller waits, once its write was
    /// committed, with the write's outcome.
    pub reply: Option<oneshot::Sender<(RunRecord, Result<(), StoreError>)>>,
    /// The admission slot, freed when the run ends.
    pub permit: OwnedSemaphorePermit,
}

/// Runs in flight that the store does not show as they are, by id:
/// `GET /v1/runs/{id}` reads them here.
///
/// - A run a worker is calling is `running`, with its start and generation: a
///   start is not written.
/// - A waited run without an idempotency key is not written when admitted (its
///   caller holds the only reference to it until it ends, and a retry could not
///   find it by key): its `queued` record is kept here until its final record is
///   committed, which is then its one write.
///
/// An entry goes when the run's final record is committed, so a reader that does
/// not find a run here finds it in the store (unless that write failed: its
/// caller then got the record with the error).
#[derive(Default)]
pub struct Running(Mutex<std::collections::HashMap<String, Live>>);

#[derive(Default)]
struct Live {
    /// When a worker started it, and in which generation.
    started: Option<(u64, u64)>,
    /// The tenant and the `queued` record of a run not written yet.
    unstored: Option<(String, RunRecord)>,
}

impl Running {
    fn lock(&self) -> std::sync::MutexGuard<'_, std::collections::HashMap<String, Live>> {
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Fills in a stored `queued` record whose run is being called now.
    pub fn overlay(&self, rec: &mut RunRecord) {
        if rec.status != "queued" {
            return;
        }
        if let Some((started, generation)) = self.lock().get(&rec.run_id).and_then(|l| l.started) {
            rec.status = "running".into();
            rec.started_ms = Some(started);
            rec.generation = Some(generation);
        }
    }

    /// Keeps the `queued` record of a run of `tenant` that is not written when
    /// admitted.
    pub fn hold(&self, tenant: &str, rec: &RunRecord) {
        self.lock().insert(
            rec.run_id.clone(),
            Live {
                started: None,
                unstored: Some((tenant.to_string(), rec.clone())),
            },
        );
    }

    /// Run `id` of `tenant`, when it is in flight and not written yet.
    pub fn unstored(&self, tenant: &str, id: &str) -> Option<RunRecord> {
        let map = self.lock();
        let live = map.get(id)?;
        let (owner, rec) = live.unstored.as_ref()?;
        if owner != tenant {
            return None;
        }
        let mut rec = rec.clone();
        if let Some((started, generation)) = live.started {
            rec.status = "running".into();
            rec.started_ms = Some(started);
            rec.generation = Some(generation);
        }
        Some(rec)
    }

    /// Whether run `id` is held unwritten.
    fn is_unstored(&self, id: &str) -> bool {
        self.lock().get(id).is_some_and(|l| l.unstored.is_some())
    }

    fn start(&self, id: &str, started: u64, generation: u64) {
        self.lock().entry(id.to_string()).or_default().started = Some((started, generation));
    }

    /// Shows run `id`, held unwritten, with its final record `rec` (journaled,
    /// not in the store yet).
    fn finish(&self, rec: &RunRecord) {
        if let Some(live) = self.lock().get_mut(&rec.run_id) {
            live.started = None;
            if let Some((_, held)) = live.unstored.as_mut() {
                *held = rec.clone();
            }
        }
    }

    /// Forgets runs `ids` (their records are in the store), under one lock.
    pub fn end_all<'a>(&self, ids: impl IntoIterator<Item = &'a str>) {
        let mut map = self.lock();
        for id in ids {
            map.remove(id);
        }
    }

    /// Forgets run `id` (its final record is committed, or it never started).
    pub fn end(&self, id: &str) {
        self.lock().remove(id);
    }
}

/// The worker threads and their admission bound.
pub struct Workers {
    tx: Mutex<Option<mpsc::Sender<Job>>>,
    slots: Arc<Semaphore>,
    capacity: usize,
    threads: Mutex<Vec<std::thread::JoinHandle<()>>>,
}

impl Workers {
    /// Starts `workers` threads; admits `workers + queue` runs at once.
    pub fn start(
        workers: usize,
        queue: usize,
        store: Arc<GroupCommit>,
        journal: Option<Arc<Journal>>,
        running: Arc<Running>,
        events: Arc<RunEvents>,
    ) -> Result<Workers, String> {
        let (tx, rx) = mpsc::channel::<Job>();
        let rx = Arc::new(Mutex::new(rx));
        let threads = (0..workers.max(1))
            .map(|i| {
                let (rx, store, journal, running, events) = (
                    rx.clone(),
                    store.clone(),
                    journal.clone(),
                    running.clone(),
                    events.clone(),
                );
                std::thread::Builder::new()
                    .name(format!("caplet-worker-{i}"))
                    .spawn(move || loop {
                        let job = {
                            let rx = rx.lock().unwrap_or_else(|p| p.into_inner());
                            rx.recv()
                        };
                        match job {
                            Ok(job) => execute(job, &store, journal.as_deref(), &running, &events),
                            Err(_) => return,
                        }
                    })
                    .map_err(|e| format!("cannot start a worker thread: {e}"))
            })
            .collect::<Result<Vec<_>, String>>()?;
        let capacity = workers.max(1) + queue;
        Ok(Workers {
            tx: Mutex::new(Some(tx)),
            slots: Arc::new(Semaphore::new(capacity)),
            capacity,
            threads: Mutex::new(threads),
        })
    }

    /// An admission slot, if one is free.
    pub fn try_admit(&self) -> Option<OwnedSemaphorePermit> {
        self.slots.clone().try_acquire_owned().ok()
    }

    /// Runs admitted and not finished.
    pub fn in_flight(&self) -> usize {
        self.capacity - self.slots.available_permits()
    }

    /// Hands a job to the workers.
    pub fn submit(&self, job: Job) -> Result<(), Job> {
        let tx = self.tx.lock().unwrap_or_else(|p| p.into_inner());
        match tx.as_ref() {
            Some(tx) => tx.send(job).map_err(|e| e.0),
            None => Err(job),
        }
    }

    /// Stops taking jobs; waits until every admitted run has ended.
    pub fn drain(&self) {
        self.tx.lock().unwrap_or_else(|p| p.into_inner()).take();
        let threads = std::mem::take(&mut *self.threads.lock().unwrap_or_else(|p| p.into_inner()));
        for t in threads {
            let _ = t.join();
        }
    }
}

/// The record's error for a core error.
pub fn run_error(e: &Error) -> RunError {
    RunError {
        kind: e.kind().name().to_string(),
        code: crate::cli::exit_code(e),
        message: e.to_string(),
    }
}

fn execute(
    job: Job,
    store: &GroupCommit,
    journal: Option<&Journal>,
    running: &Arc<Running>,
    events: &RunEvents,
) {
    let running_after = running.clone();
    let Job {
        mut rec,
        tenant,
        generation,
        pooled,
        input,
        args,
        timeout,
        reply,
        permit,
    } = job;
    let m = metrics();
    rec.status = "running".into();
    rec.started_ms = Some(now_ms());
    rec.generation = Some(generation.id);
    running.start(&rec.run_id, now_ms(), generation.id);
    events.emit("run.started", &tenant, &rec);
    let started = Instant::now();
    let mut deadline = Deadline::new(timeout, CancelHandle::new());
    let until = deadline.until();
    let plugin = &pooled.plugin;
    let outcome = with_call_deadline(until, || {
        let mut instance = match pooled.take() {
            Some(i) => i,
            None => plugin.instantiate_with(&mut deadline)?,
        };
        let sig = plugin.info().export_signature(&rec.call).cloned();
        let is_entry = args.is_empty()
            && sig.as_ref().is_some_and(|s| {
                s.is_entry()
                    || (plugin.info().is_extism()
                        && plugin.info().extism_entry_points().any(|e| e == rec.call))
            });
        let result = if sig.is_none() {
            Err(Error::usage(format!(
                "`{}` is not exported by {}",
                rec.call, rec.plugin
            )))
        } else if is_entry {
            instance
                .call_with(&rec.call, &input, &mut deadline)
                .map(Outcome::Bytes)
        } else {
            instance
                .call_typed_with(&rec.call, &args, &mut deadline)
                .map(Outcome::Values)
        };
        let usage = instance.last_usage();
        pooled.give_back(instance);
        Ok::<_, Error>((result, usage))
    });
    let elapsed = started.elapsed();
    let (result, usage) = match outcome {
        Ok((r, u)) => (r, Some(u)),
        Err(e) => (Err(e), None),
    };
    rec.usage = Some(RunUsage {
        fuel: usage.map_or(0, |u| u.fuel_used),
        memory_peak_bytes: usage.map_or(0, |u| u.memory_peak_bytes),
        host_calls: usage.map_or(0, |u| u.host_calls),
        duration_ms: elapsed.as_secs_f64() * 1000.0,
    });
    match result {
        Ok(Outcome::Bytes(out)) => {
            rec.status = "finished".into();
            match String::from_utf8(out) {
                Ok(text) => rec.output = Some(text),
                Err(e) => {
                    rec.output_base64 =
                        Some(base64::engine::general_purpose::STANDARD.encode(e.as_bytes()))
                }
            }
        }
        Ok(Outcome::Values(vals)) => {
            rec.status = "finished".into();
            rec.result = Some(serde_json::Value::Array(
                vals.iter().map(super::api::value_json).collect(),
            ));
        }
        Err(e) => {
            rec.status = "failed".into();
            match &e {
                Error::OutOfFuel { .. } => m.limit_hit("fuel"),
                Error::Interrupted { .. } => m.limit_hit("timeout"),
                Error::MemoryLimit { .. } => m.limit_hit("memory"),
                _ => {}
            }
            rec.error = Some(run_error(&e));
        }
    }
    rec.finished_ms = Some(now_ms());
    m.runs
        .get_or_create(&RunLabels {
            plugin: rec.plugin.clone(),
            version: rec.version.clone().unwrap_or_default(),
            status: rec.status.clone(),
        })
        .inc();
    m.duration.observe(elapsed.as_secs_f64());
    if let Some(u) = &rec.usage {
        m.fuel.observe(u.fuel as f64);
        m.host_calls
            .get_or_create(&HostCallLabels {
                kind: "any".into(),
                decision: "made".into(),
            })
            .inc_by(u.host_calls);
    }
    let event = if rec.status == "finished" {
        "run.finished"
    } else {
        "run.failed"
    };
    events.emit(event, &tenant, &rec);
    let id = rec.run_id.clone();
    let unstored = running.is_unstored(&id);
    if let (true, Some(journal)) = (unstored, journal) {
        // Journaled: once appended the record survives the process, and the
        // caller is answered from this thread. The run stays in the in-memory
        // view, with its final record, until the journal has moved it into the
        // store (which then ends it there).
        let written = journal.append(&tenant, &rec);
        match &written {
            // Shown as answered from here on (unless the journal has moved it
            // into the store already, and ended it in this view).
            Ok(()) => running.finish(&rec),
            Err(e) => {
                tracing::error!(run_id = %id, error = %e, "cannot record the run");
                running.end(&id);
            }
        }
        drop(permit);
        if let Some(reply) = reply {
            let _ = reply.send((rec, written));
        }
    } else {
        // A waiting caller gets the record once it is stored; the run leaves the
        // in-memory view, and frees its admission slot, only then (so `--workers`
        // + `--queue` also bounds the records waiting for the store).
        let stored = rec.clone();
        let then: AfterCommit = Box::new(move |written| {
            running_after.end(&id);
            drop(permit);
            if let Some(reply) = reply {
                let _ = reply.send((stored, written));
            }
        });
        if unstored {
            store.insert_final(&tenant, rec, Some(then));
        } else {
            store.update(rec, Some(then));
        }
    }
    drop(pooled);
    drop(generation);
}

enum Outcome {
    Bytes(Vec<u8>),
    Values(Vec<Value>),
}
