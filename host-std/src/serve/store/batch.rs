//! Group commit: every run-record write of the service goes through one writer
//! thread, which takes all writes waiting at that moment and applies them with
//! one [`Runs::write_batch`] (one transaction on SQLite). Under load, one commit
//! carries many runs; alone, a write is committed at once.
//!
//! - An admission is answered after its batch committed: a `200` or `202` leaves
//!   only for a run that is in the store.
//! - An update is not waited for by its writer; an optional callback runs after
//!   the commit (the final record reaches a waiting caller only once it is stored).
//! - [`GroupCommit::stop`] writes what is queued, then returns.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc, Mutex};
use std::thread::JoinHandle;

use super::{Admitted, RunRecord, Runs, StoreError, Write, Written};

/// Called with the outcome of an update, after its batch was committed.
pub type AfterCommit = Box<dyn FnOnce(Result<(), StoreError>) + Send>;

enum Op {
    Admit {
        tenant: String,
        rec: RunRecord,
        idempotency: Option<(String, String)>,
        reply: tokio::sync::oneshot::Sender<Result<Admitted, StoreError>>,
        on_new: Option<Box<dyn FnOnce() + Send>>,
    },
    Update {
        /// `Some` for a run whose admission was not written: the record is
        /// inserted, for this tenant.
        insert_for: Option<String>,
        rec: RunRecord,
        then: Option<AfterCommit>,
    },
}

/// Writes waiting at once, at most, in one batch.
const MAX_BATCH: usize = 256;

/// The writer thread in front of a run store.
pub struct GroupCommit {
    /// Whether the last batch was written without an error.
    healthy: Arc<AtomicBool>,
    tx: Mutex<Option<mpsc::Sender<Op>>>,
    thread: Mutex<Option<JoinHandle<()>>>,
}

impl GroupCommit {
    /// Starts the writer thread for `store`.
    pub fn start(store: Arc<dyn Runs>) -> Result<GroupCommit, StoreError> {
        let (tx, rx) = mpsc::channel::<Op>();
        let healthy = Arc::new(AtomicBool::new(true));
        let flag = healthy.clone();
        let thread = std::thread::Builder::new()
            .name("caplet-store".into())
            .spawn(move || writer(&*store, &rx, &flag))
            .map_err(|e| StoreError(format!("cannot start the store writer thread: {e}")))?;
        Ok(GroupCommit {
            healthy,
            tx: Mutex::new(Some(tx)),
            thread: Mutex::new(Some(thread)),
        })
    }

    fn send(&self, op: Op) -> Result<(), Op> {
        let tx = self.tx.lock().unwrap_or_else(|p| p.into_inner());
        match tx.as_ref() {
            Some(tx) => tx.send(op).map_err(|e| e.0),
            None => Err(op),
        }
    }

    /// Whether the last batch was written without an error (true at first). A
    /// failing store turns it off until a batch succeeds again.
    pub fn healthy(&self) -> bool {
        self.healthy.load(Ordering::Relaxed)
    }

    /// Records an admitted run (see [`Runs::admit`]); returns once committed.
    /// `on_new` runs on the writer thread right after the commit when the run is
    /// new (it starts the run), before the caller is woken.
    pub async fn admit(
        &self,
        tenant: &str,
        rec: &RunRecord,
        idempotency: Option<(&str, &str)>,
        on_new: Option<Box<dyn FnOnce() + Send>>,
    ) -> Result<Admitted, StoreError> {
        let (reply, answer) = tokio::sync::oneshot::channel();
        let op = Op::Admit {
            tenant: tenant.to_string(),
            rec: rec.clone(),
            idempotency: idempotency.map(|(k, b)| (k.to_string(), b.to_string())),
            reply,
            on_new,
        };
        if self.send(op).is_err() {
            return Err(StoreError("the run store is closed (shutting down)".into()));
        }
        answer
            .await
            .unwrap_or_else(|_| Err(StoreError("the run store writer stopped".into())))
    }

    /// Writes a run's new state; `then` runs after the commit (or at once with the
    /// error when the store is closed).
    pub fn update(&self, rec: RunRecord, then: Option<AfterCommit>) {
        self.end(None, rec, then)
    }

    /// Writes the final record of a run of `tenant` whose admission was not
    /// written (a waited run without an idempotency key): its one insert,
    /// committed like an update; `then` runs after the commit.
    pub fn insert_final(&self, tenant: &str, rec: RunRecord, then: Option<AfterCommit>) {
        self.end(Some(tenant.to_string()), rec, then)
    }

    fn end(&self, insert_for: Option<String>, rec: RunRecord, then: Option<AfterCommit>) {
        if let Err(Op::Update {
            then: Some(then), ..
        }) = self.send(Op::Update {
            insert_for,
            rec,
            then,
        }) {
            then(Err(StoreError(
                "the run store is closed (shutting down)".into(),
            )));
        }
    }

    /// Writes what is queued and stops the writer.
    pub fn stop(&self) {
        self.tx.lock().unwrap_or_else(|p| p.into_inner()).take();
        if let Some(t) = self.thread.lock().unwrap_or_else(|p| p.into_inner()).take() {
            let _ = t.join();
        }
    }
}

fn writer(store: &dyn Runs, rx: &mpsc::Receiver<Op>, healthy: &AtomicBool) {
    while let Ok(first) = rx.recv() {
        let mut ops = vec![first];
        while ops.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(op) => ops.push(op),
                Err(_) => break,
            }
        }
        let writes: Vec<Write<'_>> = ops
            .iter()
            .map(|op| match op {
                Op::Admit {
                    tenant,
                    rec,
                    idempotency,
                    ..
                } => Write::Admit {
                    tenant,
                    rec,
                    idempotency: idempotency.as_ref().map(|(k, b)| (k.as_str(), b.as_str())),
                },
                Op::Update {
                    insert_for: Some(tenant),
                    rec,
                    ..
                } => Write::Admit {
                    tenant,
                    rec,
                    idempotency: None,
                },
                Op::Update { rec, .. } => Write::Update(rec),
            })
            .collect();
        let results = store.write_batch(&writes);
        healthy.store(results.iter().all(|r| r.is_ok()), Ordering::Relaxed);
        drop(writes);
        for (op, result) in ops.into_iter().zip(results) {
            match op {
                Op::Admit { reply, on_new, .. } => {
                    let result = result.map(|w| match w {
                        Written::Admitted(a) => a,
                        Written::Updated => Admitted::New,
                    });
                    if let (Ok(Admitted::New), Some(start)) = (&result, on_new) {
                        start();
                    }
                    let _ = reply.send(result);
                }
                Op::Update { rec, then, .. } => {
                    let result = result.map(|_| ());
                    if let Err(e) = &result {
                        tracing::error!(run_id = %rec.run_id, error = %e, "cannot record the run");
                    }
                    if let Some(then) = then {
                        then(result);
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::{Durability, SqliteRuns};
    use super::*;

    fn record(id: &str) -> RunRecord {
        RunRecord::queued(id.into(), "echo".into(), "sha256:00".into(), "echo".into())
    }

    #[test]
    fn concurrent_admissions_share_commits_and_keep_idempotency() {
        let dir = tempfile::tempdir().unwrap();
        let store: Arc<dyn Runs> = Arc::new(
            SqliteRuns::open(&dir.path().join("runs.sqlite"), Durability::Process).unwrap(),
        );
        let gc = Arc::new(GroupCommit::start(store.clone()).unwrap());
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .build()
            .unwrap();
        let outcomes = rt.block_on(async {
            let mut tasks = Vec::new();
            for i in 0..200 {
                let gc = gc.clone();
                tasks.push(tokio::spawn(async move {
                    // Every fourth admission reuses the key "same" with one body.
                    let key = if i % 4 == 0 {
                        "same".to_string()
                    } else {
                        format!("k{i}")
                    };
                    gc.admit("t", &record(&format!("r{i}")), Some((&key, "body")), None)
                        .await
                        .unwrap()
                }));
            }
            let mut v = Vec::new();
            for t in tasks {
                v.push(t.await.unwrap());
            }
            v
        });
        let new = outcomes
            .iter()
            .filter(|a| matches!(a, Admitted::New))
            .count();
        // 150 distinct keys and one shared key: 151 runs.
        assert_eq!(new, 151);
        assert_eq!(store.count().unwrap(), 151);
        // An update's callback runs after its commit; stop writes what is queued.
        let (tx, rx) = std::sync::mpsc::channel();
        let mut rec = record("r1");
        rec.status = "finished".into();
        gc.update(
            rec,
            Some(Box::new(move |r| {
                tx.send(r.is_ok()).unwrap();
            })),
        );
        gc.stop();
        assert!(rx.recv().unwrap());
        assert_eq!(store.get("t", "r1").unwrap().unwrap().status, "finished");
        // A closed writer refuses, it does not hang.
        let e = rt
            .block_on(gc.admit("t", &record("late"), None, None))
            .unwrap_err();
        assert!(e.0.contains("closed"), "{e}");
    }
}
