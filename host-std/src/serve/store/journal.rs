//! The run journal: how the final record of a waited run without an idempotency
//! key reaches the SQLite store without a commit on its answer's path.
//!
//! - The worker that ended the run appends the record, one JSON line, to a
//!   segment file under `--data` (`runs.journal.<n>`), and the caller is
//!   answered. A segment is a file of [`SEGMENT_BYTES`] with its blocks reserved,
//!   mapped into memory (`serve::store::mapped`): the append is a copy into the page
//!   cache, with no system call. Like a commit of SQLite's WAL with `synchronous
//!   = NORMAL`, the line is then in the operating system's hands: a killed
//!   process loses nothing (power loss may; `--durability power` does not use
//!   the journal). A line that does not fit starts the next segment.
//! - A thread of its own moves the appended records into the store every
//!   `--journal-ms` ([`INGEST_EVERY`] by default; or sooner once [`INGEST_AT`] wait), in one transaction for
//!   all of them; the segment they came from is then zeroed and used again
//!   (one at a time, on filesystems that write in place; see `Spares`), or
//!   removed. Until then
//!   `GET /v1/runs/{id}` shows the run from memory (the service's `Running` view):
//!   a run is always found, in memory or in the store.
//! - At start-up, segments left by a killed process are read back into the store
//!   before the service answers, up to their zero tail; a last line cut short by
//!   the kill (its run was not answered) is skipped with a warning.
//! - At most [`MAX_HELD`] records wait for the store; beyond that an append waits
//!   for the next ingest (a store that fails holds the workers back, it does not
//!   grow memory).
//!
//! Why: under load, a commit per batch of runs cost a third thread crossing and
//! SQLite's per-commit work on every answer (benches/notes.md, "`caplet serve`
//! under load"); an append is a copy on the worker's own thread.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use axum::body::Bytes;

use super::mapped::Mapped;
use super::{RunRecord, SqliteRuns, StoreError};

/// How often appended records are moved into the store, by default
/// (`caplet serve --journal-ms`).
pub const INGEST_EVERY: Duration = Duration::from_millis(50);
/// Records waiting that wake the ingest before its time.
pub const INGEST_AT: usize = 4096;
/// Records waiting for the store, at most; an append past it waits.
pub const MAX_HELD: usize = 32_768;
/// Bytes of records waiting for the store, at most (the service's view of runs
/// in flight shares these bytes); an append past it waits.
pub const MAX_HELD_BYTES: usize = 64 << 20;
/// How long an append waits for room before it fails (the caller gets `503`);
/// shorter in this module's tests, which wait it out.
pub const ROOM_WAIT: Duration = if cfg!(test) {
    Duration::from_millis(300)
} else {
    Duration::from_secs(5)
};

/// The size of a segment (a larger line gets a segment of its own size). At
/// 30,000 runs a second, 50 ms of ~750-byte lines fill about 1.1 MiB.
pub const SEGMENT_BYTES: usize = if cfg!(test) { 1024 } else { 8 << 20 };

const PREFIX: &str = "runs.journal.";
/// A stored segment being made ready for use again (see [`Spares`]): not a
/// segment, since its suffix is not a number; removed at start-up.
const FREE: &str = "runs.journal.free";

/// One journaled run, as the store inserts it.
#[derive(Debug, Clone)]
pub struct Journaled {
    /// The run's tenant.
    pub tenant: String,
    /// Its id.
    pub id: String,
    /// Its final status.
    pub status: String,
    /// When it was admitted.
    pub created_ms: u64,
    /// The record, serialised (shared with the caller's answer and the
    /// in-memory view: one serialisation per run).
    pub record: Bytes,
}

/// Called with the ids of runs once their records are in the store.
pub type OnStored = Box<dyn Fn(&[Journaled]) + Send + Sync>;

struct Segment {
    seq: u64,
    map: Mapped,
    /// Records appended to this segment, not yet taken by an ingest.
    records: Vec<Journaled>,
}

/// Where appends go.
struct Appends {
    current: Segment,
    /// Segments that filled up, oldest first, for the next ingest.
    full: Vec<Segment>,
    /// Set when `stop` removed the (empty) current segment's file: appends
    /// after that are refused, since they would not survive.
    closed: bool,
}

struct Shared {
    dir: PathBuf,
    every: Duration,
    store: Arc<SqliteRuns>,
    on_stored: OnStored,
    appends: Mutex<Appends>,
    /// The next segment's sequence number.
    next_seq: AtomicU64,
    /// Records appended and not yet in the store (in the current, full and taken
    /// segments), and their bytes.
    held: Mutex<(usize, usize)>,
    /// Signalled when records should be ingested, and when room was made.
    wake: Condvar,
    room: Condvar,
    /// Whether the last append succeeded.
    appending: AtomicBool,
    /// Whether the last move into the store succeeded.
    storing: AtomicBool,
    stop: AtomicBool,
}

/// The journal in front of a SQLite run store.
pub struct Journal {
    shared: Arc<Shared>,
    thread: Mutex<Option<JoinHandle<Vec<Segment>>>>,
}

impl Journal {
    /// Reads back the segments under `dir` into `store` (a killed process left
    /// them), then opens a new segment. Returns the journal and how many records
    /// were recovered. Call before the service answers.
    pub fn open(
        dir: &Path,
        store: Arc<SqliteRuns>,
        every: Duration,
        on_stored: OnStored,
    ) -> Result<(Journal, usize), StoreError> {
        // A stored segment a killed process was making ready for use again.
        remove(&dir.join(FREE))?;
        let mut segments = segments(dir)?;
        segments.sort();
        let mut recovered = 0;
        for (_, path) in &segments {
            let records = read_segment(path)?;
            store.insert_journaled(&records)?;
            recovered += records.len();
            remove(path)?;
        }
        let seq = match segments.last() {
            None => 0,
            Some((s, path)) => s.checked_add(1).ok_or_else(|| {
                StoreError(format!(
                    "run journal {}: no sequence number after it",
                    path.display()
                ))
            })?,
        };
        let current = Segment::create(dir, seq, SEGMENT_BYTES)?;
        let shared = Arc::new(Shared {
            dir: dir.to_path_buf(),
            every,
            store,
            on_stored,
            appends: Mutex::new(Appends {
                current,
                full: Vec::new(),
                closed: false,
            }),
            next_seq: AtomicU64::new(seq.saturating_add(1)),
            held: Mutex::new((0, 0)),
            wake: Condvar::new(),
            room: Condvar::new(),
            appending: AtomicBool::new(true),
            storing: AtomicBool::new(true),
            stop: AtomicBool::new(false),
        });
        Ok((
            Journal {
                shared,
                thread: Mutex::new(None),
            },
            recovered,
        ))
    }

    /// Starts the ingest thread.
    pub fn start(&self) -> Result<(), StoreError> {
        let shared = self.shared.clone();
        let t = std::thread::Builder::new()
            .name("caplet-journal".into())
            .spawn(move || ingest_loop(&shared))
            .map_err(|e| StoreError(format!("cannot start the run journal thread: {e}")))?;
        *lock(&self.thread) = Some(t);
        Ok(())
    }

    /// Whether the last append and the last move into the store succeeded (true
    /// at first). While not, the service records runs through the writer, whose
    /// admission write fails first, so that no run starts while its record
    /// cannot be kept.
    pub fn healthy(&self) -> bool {
        self.shared.appending.load(Ordering::Relaxed) && self.shared.storing.load(Ordering::Relaxed)
    }

    /// Appends the final record of run `rec` of `tenant`: once this returns `Ok`,
    /// the record survives the process. Waits while [`MAX_HELD`] records (or
    /// [`MAX_HELD_BYTES`]) wait for the store, and fails after [`ROOM_WAIT`]; fails
    /// too when the line does not fit and the next segment cannot be made.
    pub fn append(&self, tenant: &str, rec: &RunRecord) -> Result<Bytes, StoreError> {
        let s = &*self.shared;
        let record = Bytes::from(serde_json::to_vec(rec)?);
        let mut line = Vec::with_capacity(record.len() + tenant.len() + 32);
        line.extend_from_slice(b"{\"tenant\":");
        serde_json::to_writer(&mut line, tenant)?;
        line.extend_from_slice(b",\"record\":");
        line.extend_from_slice(&record);
        line.extend_from_slice(b"}\n");
        let bytes = record.len();
        {
            let held = lock(&s.held);
            let (mut held, waited) = s
                .room
                .wait_timeout_while(held, ROOM_WAIT, |(n, b)| {
                    (*n >= MAX_HELD || *b >= MAX_HELD_BYTES) && !s.stop.load(Ordering::Relaxed)
                })
                .unwrap_or_else(|p| p.into_inner());
            if waited.timed_out() {
                return Err(StoreError(format!(
                    "the run journal is full: {} runs wait for the run store",
                    held.0
                )));
            }
            held.0 += 1;
            held.1 += bytes;
        }
        let mut a = lock(&s.appends);
        if a.closed {
            drop(a);
            s.unhold(bytes);
            return Err(StoreError("the run journal is stopped".into()));
        }
        if a.current.map.room() < line.len() {
            // A rare stop on the append path: at most once per SEGMENT_BYTES.
            let next = s
                .take_seq()
                .and_then(|n| Segment::create(&s.dir, n, SEGMENT_BYTES.max(line.len())));
            match next {
                Ok(next) => {
                    let full = std::mem::replace(&mut a.current, next);
                    a.full.push(full);
                    s.wake.notify_one();
                }
                Err(e) => {
                    drop(a);
                    s.unhold(bytes);
                    s.appending.store(false, Ordering::Relaxed);
                    return Err(StoreError(format!("cannot append to the run journal: {e}")));
                }
            }
        }
        let seg = &mut a.current;
        seg.map.append(&line);
        seg.records.push(Journaled {
            tenant: tenant.to_string(),
            id: rec.run_id.clone(),
            status: rec.status.clone(),
            created_ms: rec.created_ms,
            record: record.clone(),
        });
        let n = seg.records.len();
        drop(a);
        if n == INGEST_AT {
            s.wake.notify_one();
        }
        Ok(record)
    }

    /// Moves every appended record into the store, then stops the ingest thread.
    /// Records the store refuses stay in their segments, which the next start
    /// reads back (the log says how many).
    pub fn stop(&self) {
        {
            // Under the lock the ingest thread checks the flag with: it cannot
            // miss the wake-up.
            let _a = lock(&self.shared.appends);
            self.shared.stop.store(true, Ordering::Relaxed);
            self.shared.wake.notify_one();
        }
        self.shared.room.notify_all();
        let mut taken = match lock(&self.thread).take() {
            Some(t) => t.join().unwrap_or_default(),
            None => Vec::new(),
        };
        // What the thread could not store, and anything appended after it ended.
        let mut spares = Spares::default();
        ingest(&self.shared, &mut spares, &mut taken);
        spares.discard(&self.shared);
        {
            // A clean stop leaves no segment behind: nothing to read at the next
            // start.
            let mut a = lock(&self.shared.appends);
            if a.current.records.is_empty() && a.full.is_empty() {
                a.closed = true;
                if let Err(e) = remove(&segment_path(&self.shared.dir, a.current.seq)) {
                    tracing::warn!(error = %e, "cannot remove the last run journal segment");
                }
            }
        }
        let left: usize = taken.iter().map(|seg| seg.records.len()).sum();
        if left > 0 {
            tracing::error!(
                runs = left,
                "run records left in the journal: the next start stores them"
            );
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

fn ingest_loop(s: &Shared) -> Vec<Segment> {
    // Segments taken whose records could not be stored yet, oldest first.
    let mut failed: Vec<Segment> = Vec::new();
    let mut spares = Spares::default();
    loop {
        spares.prepare(s);
        {
            let a = lock(&s.appends);
            if a.current.records.len() < INGEST_AT
                && a.full.is_empty()
                && !s.stop.load(Ordering::Relaxed)
            {
                let _ = s.wake.wait_timeout(a, s.every);
            }
        }
        let stopping = s.stop.load(Ordering::Relaxed);
        ingest(s, &mut spares, &mut failed);
        if stopping {
            spares.discard(s);
            return failed;
        }
    }
}

impl Shared {
    /// Gives back the room an append took and did not use.
    fn unhold(&self, bytes: usize) {
        let mut held = lock(&self.held);
        held.0 -= 1;
        held.1 -= bytes;
        drop(held);
        self.room.notify_one();
    }

    /// A sequence number for a new segment.
    fn take_seq(&self) -> Result<u64, StoreError> {
        let mut n = self.next_seq.load(Ordering::Relaxed);
        loop {
            let next = n.checked_add(1).ok_or_else(|| {
                StoreError("the run journal's segment numbers are used up".into())
            })?;
            match self
                .next_seq
                .compare_exchange_weak(n, next, Ordering::Relaxed, Ordering::Relaxed)
            {
                Ok(_) => return Ok(n),
                Err(now) => n = now,
            }
        }
    }

    fn free_path(&self) -> PathBuf {
        self.dir.join(FREE)
    }
}

impl Segment {
    fn create(dir: &Path, seq: u64, size: usize) -> Result<Segment, StoreError> {
        let path = segment_path(dir, seq);
        let map = Mapped::create(&path, size)
            .map_err(|e| StoreError(format!("cannot make run journal {}: {e}", path.display())))?;
        Ok(Segment {
            seq,
            map,
            records: Vec::new(),
        })
    }

    /// Unmaps and removes a segment (its records are stored, or it has none).
    fn discard(self, dir: &Path) {
        let seq = self.seq;
        drop(self);
        if let Err(e) = remove(&segment_path(dir, seq)) {
            tracing::warn!(error = %e, "cannot remove a run journal segment");
        }
    }
}

/// Segments made ready by the ingest thread, off the append lock.
///
/// A segment whose records are stored is used again rather than removed: its
/// pages are in the page cache and mapped already, so appends into it take no
/// page faults (a new file's pages cost each worker a fault that allocates and
/// zeroes them). It is renamed to [`FREE`] first (a name no start reads), its
/// lines zeroed, then renamed to the next segment's name: a kill at any step
/// leaves either a stored segment under a name no start reads, or a zero one.
#[derive(Default)]
struct Spares {
    /// The next segment, zeroed, under its own name.
    ready: Option<Segment>,
    /// A stored segment's mapping, zeroed, under [`FREE`].
    free: Option<Mapped>,
    /// Whether making a segment failed the last time (logged once until it
    /// works again: the ingest tries at every interval).
    failing: bool,
}

impl Spares {
    /// Makes a segment ready if none is: the free one renamed, or a new one.
    fn prepare(&mut self, s: &Shared) {
        if self.ready.is_some() {
            return;
        }
        let seq = match s.take_seq() {
            Ok(seq) => seq,
            Err(e) => return self.failed(&e),
        };
        let path = segment_path(&s.dir, seq);
        if let Some(map) = self.free.take() {
            match std::fs::rename(s.free_path(), &path) {
                Ok(()) => {
                    self.ready = Some(Segment {
                        seq,
                        map,
                        records: Vec::new(),
                    });
                    return;
                }
                Err(e) => {
                    tracing::warn!(error = %e, "cannot use a stored run journal segment again");
                    drop(map);
                    let _ = remove(&s.free_path());
                }
            }
        }
        match Segment::create(&s.dir, seq, SEGMENT_BYTES) {
            Ok(seg) => {
                if std::mem::take(&mut self.failing) {
                    tracing::info!("the next run journal segment is made again");
                }
                self.ready = Some(seg);
            }
            Err(e) => self.failed(&e),
        }
    }

    fn failed(&mut self, e: &StoreError) {
        if !std::mem::replace(&mut self.failing, true) {
            tracing::error!(error = %e, "cannot make the next run journal segment; will retry at every move");
        }
    }

    /// Keeps a stored segment for use again (if none is kept, it has the usual
    /// size and its filesystem writes in place), or removes it.
    fn recycle(&mut self, s: &Shared, mut seg: Segment) {
        if self.free.is_some() || seg.map.size() != SEGMENT_BYTES || !seg.map.reusable() {
            return seg.discard(&s.dir);
        }
        if let Err(e) = std::fs::rename(segment_path(&s.dir, seg.seq), s.free_path()) {
            tracing::warn!(error = %e, "cannot keep a stored run journal segment for use again");
            return seg.discard(&s.dir);
        }
        seg.map.clear();
        self.free = Some(seg.map);
    }

    fn discard(&mut self, s: &Shared) {
        if let Some(seg) = self.ready.take() {
            seg.discard(&s.dir);
        }
        if self.free.take().is_some() {
            if let Err(e) = remove(&s.free_path()) {
                tracing::warn!(error = %e, "cannot remove a run journal segment");
            }
        }
    }
}

/// Takes the full segments' and the current segment's records (the ready spare
/// takes the appends from here on) and stores them, after any that failed
/// before; the stored segments are kept for use again. After a failed append it
/// starts a new segment even without records, and the journal takes appends
/// again once that succeeds.
fn ingest(s: &Shared, spares: &mut Spares, failed: &mut Vec<Segment>) {
    let swap = |a: &Appends| !a.current.records.is_empty() || !s.appending.load(Ordering::Relaxed);
    if swap(&lock(&s.appends)) {
        // Made off the append lock (a no-op when the ingest thread made it).
        spares.prepare(s);
    }
    {
        let mut a = lock(&s.appends);
        failed.append(&mut a.full);
        if swap(&a) {
            if let Some(next) = spares.ready.take() {
                let old = std::mem::replace(&mut a.current, next);
                s.appending.store(true, Ordering::Relaxed);
                drop(a);
                if old.records.is_empty() {
                    old.discard(&s.dir);
                } else {
                    failed.push(old);
                }
            } else {
                // `prepare` said why. Appends go on into this segment while it
                // has room (until the service, seeing the journal unhealthy,
                // stops journaling); its records are taken with it once a new
                // one can be made.
                s.appending.store(false, Ordering::Relaxed);
            }
        }
    }
    while let Some(seg) = failed.first() {
        if let Err(e) = s.store.insert_journaled(&seg.records) {
            tracing::error!(error = %e, runs = seg.records.len(), "cannot move journaled runs into the store; will retry");
            s.storing.store(false, Ordering::Relaxed);
            return;
        }
        s.storing.store(true, Ordering::Relaxed);
        (s.on_stored)(&seg.records);
        let seg = failed.remove(0);
        let n = seg.records.len();
        let bytes: usize = seg.records.iter().map(|r| r.record.len()).sum();
        spares.recycle(s, seg);
        let mut held = lock(&s.held);
        held.0 = held.0.saturating_sub(n);
        held.1 = held.1.saturating_sub(bytes);
        drop(held);
        s.room.notify_all();
    }
}

fn segment_path(dir: &Path, seq: u64) -> PathBuf {
    dir.join(format!("{PREFIX}{seq}"))
}

fn remove(path: &Path) -> Result<(), StoreError> {
    match std::fs::remove_file(path) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(StoreError(format!(
            "cannot remove run journal {}: {e}",
            path.display()
        ))),
    }
}

/// The segments under `dir`, by sequence number.
fn segments(dir: &Path) -> Result<Vec<(u64, PathBuf)>, StoreError> {
    let read = std::fs::read_dir(dir)
        .map_err(|e| StoreError(format!("cannot list {}: {e}", dir.display())))?;
    let mut out = Vec::new();
    for entry in read.flatten() {
        let name = entry.file_name();
        let Some(seq) = name.to_str().and_then(|n| n.strip_prefix(PREFIX)) else {
            continue;
        };
        if let Ok(seq) = seq.parse::<u64>() {
            out.push((seq, entry.path()));
        }
    }
    Ok(out)
}

#[derive(serde::Deserialize)]
struct Line {
    tenant: String,
    record: RunRecord,
}

/// The records of a segment: its complete lines, each ended by `\n`. What follows
/// the last `\n` is the segment's zero tail, or a line cut short when the process
/// was killed while storing it (its run was not answered; the copy may have
/// stored its bytes in any order, so it may hold zeros), then zeros: that line is
/// skipped with a warning. A complete line that does not parse is a damaged
/// journal: an error naming the file and line, so that nothing is dropped
/// silently.
fn read_segment(path: &Path) -> Result<Vec<Journaled>, StoreError> {
    let text = std::fs::read(path)
        .map_err(|e| StoreError(format!("cannot read run journal {}: {e}", path.display())))?;
    let complete = text.iter().rposition(|b| *b == b'\n').map_or(0, |i| i + 1);
    let (lines, rest) = text.split_at(complete);
    let mut out = Vec::new();
    for (i, l) in lines.split(|b| *b == b'\n').enumerate() {
        if l.is_empty() {
            continue;
        }
        match serde_json::from_slice::<Line>(l) {
            Ok(line) => out.push(Journaled {
                id: line.record.run_id.clone(),
                status: line.record.status.clone(),
                created_ms: line.record.created_ms,
                record: Bytes::from(serde_json::to_vec(&line.record)?),
                tenant: line.tenant,
            }),
            Err(e) => {
                return Err(StoreError(format!(
                    "run journal {} line {}: {e}",
                    path.display(),
                    i + 1
                )))
            }
        }
    }
    let cut = rest.iter().rposition(|b| *b != 0).map_or(0, |i| i + 1);
    if cut > 0 {
        tracing::warn!(path = %path.display(), bytes = cut, "skipping a run journal line cut short (the process was killed while storing it)");
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::super::{Durability, Runs};
    use super::*;

    fn finished(id: &str) -> RunRecord {
        let mut r = RunRecord::queued(id.into(), "echo".into(), "sha256:00".into(), "echo".into());
        r.status = "finished".into();
        r.output = Some(format!("out of {id}"));
        r.created_ms = 1_764_000_000_000;
        r.finished_ms = Some(1_764_000_000_001);
        r
    }

    fn open(dir: &Path) -> (Arc<SqliteRuns>, Journal, usize, Arc<Mutex<Vec<String>>>) {
        let store =
            Arc::new(SqliteRuns::open(&dir.join("runs.sqlite"), Durability::Process).unwrap());
        let stored = Arc::new(Mutex::new(Vec::new()));
        let seen = stored.clone();
        let (j, n) = Journal::open(
            dir,
            store.clone(),
            INGEST_EVERY,
            Box::new(move |rs| seen.lock().unwrap().extend(rs.iter().map(|r| r.id.clone()))),
        )
        .unwrap();
        (store, j, n, stored)
    }

    /// Appended records reach the store by the ingest thread, the callback names
    /// each once they are in it, and the segment is used again.
    #[test]
    fn appended_runs_reach_the_store_and_their_segment_goes() {
        let dir = tempfile::tempdir().unwrap();
        let (store, j, recovered, stored) = open(dir.path());
        assert_eq!(recovered, 0);
        j.start().unwrap();
        for i in 0..100 {
            j.append("t", &finished(&format!("r{i}"))).unwrap();
        }
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        while stored.lock().unwrap().len() < 100 {
            assert!(
                std::time::Instant::now() < deadline,
                "ingest did not happen"
            );
            std::thread::sleep(Duration::from_millis(10));
        }
        assert_eq!(store.count().unwrap(), 100);
        // Every record, whichever multi-row statement it went in by.
        for i in 0..100 {
            let id = format!("r{i}");
            assert_eq!(store.get("t", &id).unwrap().unwrap(), finished(&id));
        }
        assert_eq!(store.get("other", "r7").unwrap(), None);
        j.stop();
        // A clean stop leaves no segment (and refuses a late append, which could
        // not survive).
        let left = segments(dir.path()).unwrap();
        assert!(left.is_empty(), "{left:?}");
        let e = j.append("t", &finished("late")).unwrap_err();
        assert!(e.0.contains("the run journal is stopped"), "{e}");
        assert_eq!(*lock(&j.shared.held), (0, 0));
    }

    /// Records that fill several segments: each full segment goes to the next
    /// ingest, a line larger than a segment gets one of its own size, and a killed
    /// process's segments are all read back.
    #[test]
    fn full_segments_roll_over_and_are_all_kept() {
        let dir = tempfile::tempdir().unwrap();
        let mut big = finished("big");
        big.output = Some("x".repeat(3 * SEGMENT_BYTES));
        {
            let (_store, j, _, _) = open(dir.path());
            for i in 0..20 {
                j.append("t", &finished(&format!("r{i}"))).unwrap();
            }
            j.append("t", &big).unwrap();
            j.append("t", &finished("after")).unwrap();
            let a = lock(&j.shared.appends);
            assert!(a.full.len() >= 3, "{} full segments", a.full.len());
            drop(a);
            // Killed before any ingest.
            std::mem::forget(j);
        }
        assert!(segments(dir.path()).unwrap().len() >= 4);
        let (store, j, recovered, _) = open(dir.path());
        assert_eq!(recovered, 22);
        for i in 0..20 {
            let id = format!("r{i}");
            assert_eq!(store.get("t", &id).unwrap().unwrap(), finished(&id));
        }
        assert_eq!(store.get("t", "big").unwrap().unwrap(), big);
        assert_eq!(store.get("t", "after").unwrap().unwrap(), finished("after"));
        // And with an ingest, in order, until no segment is left.
        j.start().unwrap();
        for i in 0..20 {
            j.append("u", &finished(&format!("s{i}"))).unwrap();
        }
        j.stop();
        assert_eq!(store.count().unwrap(), 42);
        assert!(segments(dir.path()).unwrap().is_empty());
    }

    /// A process killed before the ingest: its appended runs are read back into
    /// the store at the next open, a line cut short at the end is skipped, and
    /// records already stored are not stored twice.
    #[test]
    fn a_killed_process_s_journal_is_read_back_at_open() {
        let dir = tempfile::tempdir().unwrap();
        {
            let (_store, j, _, _) = open(dir.path());
            // No ingest thread: as if killed after answering.
            j.append("t", &finished("a")).unwrap();
            j.append("u", &finished("b")).unwrap();
            std::mem::forget(j);
        }
        // The kill cut the next line short, its copy out of order: its start and
        // end stored, zeros between, no newline yet.
        let (_, path) = segments(dir.path()).unwrap().pop().unwrap();
        let mut text = std::fs::read(&path).unwrap();
        let end = text.iter().rposition(|b| *b == b'\n').unwrap() + 1;
        let cut = b"{\"tenant\":\"t\",\"record\":{\"run_id\":\"c\",\"sta";
        text[end..end + cut.len()].copy_from_slice(cut);
        text[end + cut.len() + 40..end + cut.len() + 48].copy_from_slice(b"ished\"}}");
        std::fs::write(&path, &text).unwrap();
        // A later segment whose records were stored already (the same lines).
        std::fs::write(
            dir.path().join(format!("{PREFIX}7")),
            std::fs::read(&path).unwrap(),
        )
        .unwrap();
        let (store, j, recovered, _) = open(dir.path());
        assert_eq!(recovered, 4, "two segments of two records each");
        assert_eq!(store.count().unwrap(), 2);
        assert_eq!(store.get("t", "a").unwrap().unwrap(), finished("a"));
        assert_eq!(store.get("u", "b").unwrap().unwrap(), finished("b"));
        assert_eq!(store.get("t", "c").unwrap(), None);
        assert_eq!(
            segments(dir.path()).unwrap().len(),
            1,
            "read-back segments removed"
        );
        j.stop();
    }

    /// A complete line (ended by its newline) that does not parse is a damaged
    /// journal, the last one too: opening fails and names the file and line, and
    /// nothing is removed.
    #[test]
    fn a_damaged_journal_is_refused_by_name() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(format!("{PREFIX}3"));
        let mut text = b"{\"tenant\":\"t\",\"record\":".to_vec();
        text.extend(serde_json::to_vec(&finished("a")).unwrap());
        text.extend(b"}\n{\"tenant\":\"t\",\"record\":null}\n");
        text.extend([0; 64]);
        std::fs::write(&path, &text).unwrap();
        let store = Arc::new(
            SqliteRuns::open(&dir.path().join("runs.sqlite"), Durability::Process).unwrap(),
        );
        let e = Journal::open(dir.path(), store, INGEST_EVERY, Box::new(|_| {}))
            .err()
            .unwrap();
        assert!(e.0.contains("runs.journal.3 line 2"), "{e}");
        assert!(path.exists());
    }

    /// A store that fails keeps the records (in memory and in their segment) and
    /// turns the journal unhealthy; once the store works again the next move
    /// stores them and the journal is healthy again.
    #[test]
    fn a_failing_store_keeps_the_records_until_it_works_again() {
        let dir = tempfile::tempdir().unwrap();
        let (store, j, _, stored) = open(dir.path());
        let other = rusqlite::Connection::open(dir.path().join("runs.sqlite")).unwrap();
        other
            .execute_batch("ALTER TABLE runs RENAME TO runs_away")
            .unwrap();
        j.append("t", &finished("x")).unwrap();
        let mut failed = Vec::new();
        ingest(&j.shared, &mut Spares::default(), &mut failed);
        assert!(!j.healthy());
        assert_eq!(failed.len(), 1, "the taken segment is kept");
        assert!(stored.lock().unwrap().is_empty());
        assert!(segment_path(dir.path(), failed[0].seq).exists());
        other
            .execute_batch("ALTER TABLE runs_away RENAME TO runs")
            .unwrap();
        ingest(&j.shared, &mut Spares::default(), &mut failed);
        assert!(j.healthy());
        assert!(failed.is_empty());
        assert_eq!(store.get("t", "x").unwrap().unwrap(), finished("x"));
        assert_eq!(*stored.lock().unwrap(), vec!["x".to_string()]);
        assert_eq!(*lock(&j.shared.held), (0, 0));
    }

    /// With [`MAX_HELD`] records waiting, an append waits for room: it goes on
    /// once a move makes room, and fails after [`ROOM_WAIT`] (naming the cause,
    /// writing nothing) when none comes.
    #[test]
    fn a_full_journal_holds_appends_back_then_refuses_them() {
        let dir = tempfile::tempdir().unwrap();
        let (store, j, _, _) = open(dir.path());
        *lock(&j.shared.held) = (MAX_HELD, 0);
        let e = j.append("t", &finished("late")).unwrap_err();
        assert!(e.0.contains("the run journal is full"), "{e}");
        assert_eq!(*lock(&j.shared.held), (MAX_HELD, 0));
        assert!(lock(&j.shared.appends).current.records.is_empty());
        std::thread::scope(|s| {
            let waiting = s.spawn(|| j.append("t", &finished("x")));
            std::thread::sleep(ROOM_WAIT / 3);
            assert!(
                !waiting.is_finished(),
                "an append past the cap did not wait"
            );
            *lock(&j.shared.held) = (0, 0);
            j.shared.room.notify_all();
            waiting.join().unwrap().unwrap();
        });
        j.stop();
        assert_eq!(store.get("t", "x").unwrap().unwrap(), finished("x"));
        assert_eq!(store.get("t", "late").unwrap(), None);
    }

    /// A line that does not fit while the next segment cannot be made: the append
    /// answers an error naming the cause and turns the journal unhealthy; the next
    /// move starts a new segment, and the journal takes appends again.
    #[test]
    fn a_failed_append_is_refused_and_the_next_segment_heals_the_journal() {
        let dir = tempfile::tempdir().unwrap();
        let (store, j, _, _) = open(dir.path());
        // The next segment's name is taken.
        let next = j.shared.next_seq.load(Ordering::Relaxed);
        std::fs::create_dir(segment_path(dir.path(), next)).unwrap();
        let mut kept = 0;
        let e = loop {
            match j.append("t", &finished(&format!("r{kept}"))) {
                Ok(_) => kept += 1,
                Err(e) => break e,
            }
            assert!(kept < 100, "the segment never filled");
        };
        assert!(e.0.contains("cannot append to the run journal"), "{e}");
        assert!(e.0.contains(&format!("{PREFIX}{next}")), "{e}");
        assert!(!j.healthy());
        assert_eq!(lock(&j.shared.held).0, kept);
        ingest(&j.shared, &mut Spares::default(), &mut Vec::new());
        assert!(j.healthy(), "a new segment did not heal the journal");
        j.append("t", &finished("kept")).unwrap();
        j.stop();
        assert_eq!(store.get("t", "kept").unwrap().unwrap(), finished("kept"));
        assert_eq!(
            store.count().unwrap(),
            kept as u64 + 1,
            "the failed run is not stored"
        );
    }

    /// A stored segment is used again: renamed to the spare name, zeroed, then
    /// renamed to the next segment's name (the same file, so its pages are mapped
    /// already). A spare left by a killed process is removed at open, not read.
    #[test]
    fn a_stored_segment_is_used_again_and_its_spare_name_is_never_read() {
        use std::os::unix::fs::MetadataExt as _;
        let dir = tempfile::tempdir().unwrap();
        let (store, j, _, _) = open(dir.path());
        let first = lock(&j.shared.appends).current.seq;
        let first_path = segment_path(dir.path(), first);
        let inode = std::fs::metadata(&first_path).unwrap().ino();
        j.append("t", &finished("a")).unwrap();
        let reusable = lock(&j.shared.appends).current.map.reusable();
        let mut spares = Spares::default();
        ingest(&j.shared, &mut spares, &mut Vec::new());
        assert_eq!(store.get("t", "a").unwrap().unwrap(), finished("a"));
        assert!(!first_path.exists(), "the stored segment kept its name");
        let free = dir.path().join(FREE);
        if !reusable {
            // A copy-on-write filesystem: the stored segment is removed instead.
            assert!(spares.free.is_none() && !free.exists());
            return j.stop();
        }
        assert_eq!(std::fs::metadata(&free).unwrap().ino(), inode);
        assert!(std::fs::read(&free).unwrap().iter().all(|b| *b == 0));
        spares.prepare(&j.shared);
        let ready = spares.ready.as_ref().unwrap();
        let ready_path = segment_path(dir.path(), ready.seq);
        assert!(ready.seq > first);
        assert_eq!(std::fs::metadata(&ready_path).unwrap().ino(), inode);
        assert!(!free.exists());
        // It becomes current at the next move; appends go into it and are read
        // back from it.
        let ready_seq = ready.seq;
        j.append("t", &finished("b")).unwrap();
        ingest(&j.shared, &mut spares, &mut Vec::new());
        assert!(spares.ready.is_none());
        assert_eq!(lock(&j.shared.appends).current.seq, ready_seq);
        j.append("t", &finished("c")).unwrap();
        std::mem::forget(j);
        // A spare with stored lines, as a kill between its rename and its zeroing
        // leaves it: removed, and its lines are not read.
        std::fs::write(&free, b"not json\n").unwrap();
        let (store, j, recovered, _) = open(dir.path());
        assert_eq!(recovered, 1);
        assert_eq!(store.get("t", "c").unwrap().unwrap(), finished("c"));
        assert_eq!(store.count().unwrap(), 3);
        assert!(!ready_path.exists());
        assert!(!free.exists());
        j.stop();
    }

    /// `stop` stores what was appended even without an ingest thread.
    #[test]
    fn stop_stores_what_was_appended() {
        let dir = tempfile::tempdir().unwrap();
        let (store, j, _, stored) = open(dir.path());
        j.append("t", &finished("x")).unwrap();
        j.stop();
        assert_eq!(store.get("t", "x").unwrap().unwrap(), finished("x"));
        assert_eq!(*stored.lock().unwrap(), vec!["x".to_string()]);
    }
}
