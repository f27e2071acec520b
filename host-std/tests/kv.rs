//! The durable KV store with real `caplet` processes: acknowledged writes survive
//! `kill -9`, and two processes sharing a store keep it whole and within its caps.

use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use caplet::kv::SqliteKv;
use caplet_core::platform::KvStore;
use caplet_tests::plugin_path;

fn kv_counter(store: &Path, call: &str, input: &str, extra: &[&str]) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_caplet"));
    c.args(["run", &plugin_path("kv_counter").display().to_string()])
        .args(["--call", call, "--input", input, "--allow", "kv"])
        .arg("--kv-store")
        .arg(store)
        .args(extra)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    c
}

fn read_counter(store: &Path, key: &str) -> Option<u64> {
    let kv = SqliteKv::open(store).ok()?;
    let v = kv.get("kv_counter", key).ok()??;
    std::str::from_utf8(&v).ok()?.parse().ok()
}

struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn counts_persist_across_runs() {
    let tmp = tempfile::tempdir().unwrap();
    let store = tmp.path().join("kv.sqlite");
    for expected in ["1", "2", "3"] {
        let o = kv_counter(&store, "incr", "visits", &[]).output().unwrap();
        assert_eq!(
            o.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&o.stderr)
        );
        assert_eq!(String::from_utf8_lossy(&o.stdout), expected);
    }
    // Without --kv-store the count starts over each run.
    let mut c = Command::new(env!("CARGO_BIN_EXE_caplet"));
    let o = c
        .args(["run", &plugin_path("kv_counter").display().to_string()])
        .args(["--call", "incr", "--input", "visits", "--allow", "kv"])
        .output()
        .unwrap();
    assert_eq!(o.stdout, b"1");
}

#[test]
fn acknowledged_writes_survive_kill_9() {
    let tmp = tempfile::tempdir().unwrap();
    let store = tmp.path().join("kv.sqlite");
    // The plugin increments `forever` in a loop, each step a committed kv_set.
    let child = kv_counter(&store, "count_forever", "", &["--fuel", "1000000000000000"])
        .spawn()
        .unwrap();
    let mut child = Killed(child);
    let started = Instant::now();
    let mut seen = 0;
    while seen < 25 {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "the writer made no progress (last value {seen})"
        );
        if let Ok(Some(status)) = child.0.try_wait() {
            panic!("the writer exited early: {status}");
        }
        std::thread::sleep(Duration::from_millis(20));
        seen = read_counter(&store, "forever").unwrap_or(0);
    }
    // SIGKILL: no destructor, no flush, no clean close of the database.
    child.0.kill().unwrap();
    child.0.wait().unwrap();
    let after = read_counter(&store, "forever").expect("the store opens after a kill");
    assert!(after >= seen, "value went back from {seen} to {after}");
    // The store still takes writes.
    let o = kv_counter(&store, "incr", "forever", &[]).output().unwrap();
    assert_eq!(String::from_utf8_lossy(&o.stdout), (after + 1).to_string());
}

#[test]
fn two_processes_share_a_store_without_breaking_its_caps() {
    let tmp = tempfile::tempdir().unwrap();
    let store = tmp.path().join("kv.sqlite");
    // Two writers at once, 300 distinct keys each.
    let spawn = |input: &str| kv_counter(&store, "fill", input, &[]).spawn().unwrap();
    let (a, b) = (spawn("a:300"), spawn("b:300"));
    let (a, b): (Output, Output) = (a.wait_with_output().unwrap(), b.wait_with_output().unwrap());
    for o in [&a, &b] {
        assert_eq!(
            o.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&o.stderr)
        );
        assert_eq!(o.stdout, b"300");
    }
    let kv = SqliteKv::open(&store).unwrap();
    assert_eq!(kv.len("kv_counter").unwrap(), 600);
    assert_eq!(
        kv.get("kv_counter", "a-299").unwrap().as_deref(),
        Some(&b"299"[..])
    );
    assert_eq!(
        kv.get("kv_counter", "b-0").unwrap().as_deref(),
        Some(&b"0"[..])
    );
    drop(kv);

    // Now both race for the last free keys under the default cap of 1,024 keys: the
    // cap holds across processes, and whoever hits it gets LIMIT (exit 1).
    let (c, d) = (spawn("c:400"), spawn("d:400"));
    let (c, d) = (c.wait_with_output().unwrap(), d.wait_with_output().unwrap());
    let kv = SqliteKv::open(&store).unwrap();
    assert_eq!(kv.len("kv_counter").unwrap(), 1024);
    let failed: Vec<&Output> = [&c, &d]
        .into_iter()
        .filter(|o| o.status.code() != Some(0))
        .collect();
    assert!(!failed.is_empty());
    for o in failed {
        assert_eq!(o.status.code(), Some(1));
        assert!(
            String::from_utf8_lossy(&o.stderr).contains("LIMIT"),
            "{}",
            String::from_utf8_lossy(&o.stderr)
        );
    }
}

/// 16 writers (each its own connection, as 16 processes would have) hammer one
/// store for 3 s: every writer must commit within the lock wait, none starves
/// while the others commit thousands of transactions.
#[test]
fn every_writer_progresses_under_contention() {
    use std::sync::{Arc, Barrier};
    let dir = tempfile::tempdir().unwrap();
    let path = Arc::new(dir.path().join("kv.sqlite"));
    SqliteKv::open(&path).unwrap();
    let writers = 16;
    let barrier = Arc::new(Barrier::new(writers));
    let handles: Vec<_> = (0..writers)
        .map(|w| {
            let path = path.clone();
            let barrier = barrier.clone();
            std::thread::spawn(move || {
                let kv = SqliteKv::open(&path).unwrap();
                barrier.wait();
                let started = Instant::now();
                let (mut first, mut commits, mut timeouts) = (None, 0u32, 0u32);
                while started.elapsed() < Duration::from_secs(3) {
                    match kv.set("ns", &format!("w{w}"), &commits.to_le_bytes(), 1024) {
                        Ok(()) => {
                            commits += 1;
                            first.get_or_insert(started.elapsed());
                        }
                        Err(caplet_core::Code::Timeout) => timeouts += 1,
                        Err(e) => panic!("writer {w}: {e:?}"),
                    }
                }
                (w, first, commits, timeouts)
            })
        })
        .collect();
    let results: Vec<_> = handles.into_iter().map(|h| h.join().unwrap()).collect();
    let total: u32 = results.iter().map(|r| r.2).sum();
    for (w, first, commits, timeouts) in &results {
        assert!(
            first.is_some_and(|f| f < Duration::from_secs(2)) && *timeouts == 0,
            "writer {w} starved: first commit {first:?}, {commits} commits, {timeouts} timeouts \
             (all: {results:?}, {total} commits in total)"
        );
    }
}
