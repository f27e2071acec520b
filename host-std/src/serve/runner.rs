//! The worker pool: plugin calls are CPU-bound and run on `--workers` threads of
//! their own, never on the async reactor. Admission is bounded: at most
//! `--workers + --queue` runs are admitted at once; beyond that a request gets
//! `429`. A run's timeout takes effect between fuel slices.

use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use base64::Engine as _;
use caplet_core::{Error, Value};
use tokio::sync::{oneshot, OwnedSemaphorePermit, Semaphore};

use crate::deadline::{with_call_deadline, CancelHandle, Deadline};

use super::events::RunEvents;
use super::metrics::{metrics, RunLabels};
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
    /// Where the final record goes when the caller waits, once it was written;
    /// when the write failed, the record with the store's error.
    pub reply: Option<oneshot::Sender<Result<Answer, (RunRecord, StoreError)>>>,
    /// The admission slot, freed when the run ends.
    pub permit: OwnedSemaphorePermit,
}

/// A waiting caller's final record, written.
pub enum Answer {
    /// The record (committed by the writer).
    Record(RunRecord),
    /// The record as the journal serialised it (the body of the answer as is).
    Json(Bytes),
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
pub struct Running(Mutex<hashbrown::HashMap<String, Live>>);

#[derive(Default)]
struct Live {
    /// When a worker started it, and in which generation.
    started: Option<(u64, u64)>,
    /// The tenant and the record of a run not written yet.
    unstored: Option<(String, Held)>,
}

/// The record of a run not written yet.
enum Held {
    /// Its `queued` record, until it ends.
    Queued(RunRecord),
    /// Its final record, serialised, once journaled.
    Final(Bytes),
}

impl Running {
    fn lock(&self) -> std::sync::MutexGuard<'_, hashbrown::HashMap<String, Live>> {
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
    pub fn hold(&self, tenant: &str, rec: RunRecord) {
        self.lock().insert(
            rec.run_id.clone(),
            Live {
                started: None,
                unstored: Some((tenant.to_string(), Held::Queued(rec))),
            },
        );
    }

    /// Run `id` of `tenant`, when it is in flight and not written yet.
    pub fn unstored(&self, tenant: &str, id: &str) -> Option<RunRecord> {
        let map = self.lock();
        let live = map.get(id)?;
        let (owner, held) = live.unstored.as_ref()?;
        if owner != tenant {
            return None;
        }
        let mut rec = match held {
            Held::Queued(rec) => rec.clone(),
            Held::Final(json) => match serde_json::from_slice(json) {
                Ok(rec) => rec,
                Err(e) => {
                    tracing::error!(run_id = %id, error = %e, "a journaled record does not read back");
                    return None;
                }
            },
        };
        if let Some((started, generation)) = live.started {
            rec.status = "running".into();
            rec.started_ms = Some(started);
            rec.generation = Some(generation);
        }
        Some(rec)
    }

    /// Shows run `id` as started; says whether it is held unwritten.
    fn start(&self, id: &str, started: u64, generation: u64) -> bool {
        let mut map = self.lock();
        let at = Some((started, generation));
        match map.get_mut(id) {
            Some(live) => {
                live.started = at;
                live.unstored.is_some()
            }
            None => {
                map.insert(
                    id.to_string(),
                    Live {
                        started: at,
                        unstored: None,
                    },
                );
                false
            }
        }
    }

    /// Shows run `id`, held unwritten, with its final record `json` (journaled,
    /// not in the store yet).
    fn finish(&self, id: &str, json: Bytes) {
        if let Some(live) = self.lock().get_mut(id) {
            live.started = None;
            if let Some((_, held)) = live.unstored.as_mut() {
                *held = Held::Final(json);
            }
        }
    }

    /// Forgets runs `ids` (their records are in the store). A move of the run
    /// journal brings a thousand or more at once: they go by chunks, each under
    /// a short hold of the lock, and their records are freed outside it, so that
    /// the request threads and workers, which take the lock for every run, do not
    /// wait on a whole batch.
    pub fn end_all<'a>(&self, ids: impl IntoIterator<Item = &'a str>) {
        const CHUNK: usize = 64;
        let mut ids = ids.into_iter().peekable();
        let mut gone = Vec::with_capacity(CHUNK);
        while ids.peek().is_some() {
            {
                let mut map = self.lock();
                for id in ids.by_ref().take(CHUNK) {
                    gone.extend(map.remove(id));
                }
            }
            gone.clear();
        }
    }

    /// Forgets run `id` (its final record is committed, or it never started).
    pub fn end(&self, id: &str) {
        self.lock().remove(id);
    }
}

/// The worker threads and their admission bound.
pub struct Workers {
    /// The queue's sender; taken (closing the queue) by `drain`.
    tx: RwLock<Option<crossbeam_channel::Sender<Job>>>,
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
        // Unbounded: admission (the semaphore) bounds what is queued.
        let (tx, rx) = crossbeam_channel::unbounded::<Job>();
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
                    .spawn(move || {
                        // Ends when the queue is closed and empty.
                        for job in rx.iter() {
                            execute(job, &store, journal.as_deref(), &running, &events);
                        }
                    })
                    .map_err(|e| format!("cannot start a worker thread: {e}"))
            })
            .collect::<Result<Vec<_>, String>>()?;
        let capacity = workers.max(1) + queue;
        Ok(Workers {
            tx: RwLock::new(Some(tx)),
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
        let tx = self.tx.read().unwrap_or_else(|p| p.into_inner());
        match tx.as_ref() {
            Some(tx) => tx.send(job).map_err(|e| e.0),
            None => Err(job),
        }
    }

    /// Stops taking jobs; waits until every admitted run has ended.
    pub fn drain(&self) {
        self.tx.write().unwrap_or_else(|p| p.into_inner()).take();
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
    // Held unwritten (a waited run without a key): its one write is its end.
    let unstored = running.start(&rec.run_id, now_ms(), generation.id);
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
    let [finished, failed] = pooled.runs_counters.get_or_init(|| {
        ["finished", "failed"].map(|status| {
            m.runs
                .get_or_create(&RunLabels {
                    plugin: rec.plugin.clone(),
                    version: rec.version.clone().unwrap_or_default(),
                    status: status.into(),
                })
                .clone()
        })
    });
    if rec.status == "finished" {
        finished.inc();
    } else {
        failed.inc();
    }
    m.duration.observe(elapsed.as_secs_f64());
    if let Some(u) = &rec.usage {
        m.fuel.observe(u.fuel as f64);
        m.host_calls_made().inc_by(u.host_calls);
    }
    let event = if rec.status == "finished" {
        "run.finished"
    } else {
        "run.failed"
    };
    events.emit(event, &tenant, &rec);
    let id = rec.run_id.clone();
    if let (true, Some(journal)) = (unstored, journal) {
        // Journaled: once appended the record survives the process, and the
        // caller is answered from this thread. The run stays in the in-memory
        // view, with its final record, until the journal has moved it into the
        // store (which then ends it there).
        let answer = match journal.append(&tenant, &rec) {
            // Shown as answered from here on (unless the journal has moved it
            // into the store already, and ended it in this view).
            Ok(json) => {
                running.finish(&id, json.clone());
                Ok(Answer::Json(json))
            }
            Err(e) => {
                tracing::error!(run_id = %id, error = %e, "cannot record the run");
                running.end(&id);
                Err((rec, e))
            }
        };
        drop(permit);
        if let Some(reply) = reply {
            let _ = reply.send(answer);
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
                let _ = reply.send(match written {
                    Ok(()) => Ok(Answer::Record(stored)),
                    Err(e) => Err((stored, e)),
                });
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
