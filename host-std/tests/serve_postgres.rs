//! `caplet serve --database postgres://…` against a real PostgreSQL server: each
//! test starts its own (`initdb` into a temporary directory, `postgres` on a free
//! loopback port, as an unprivileged user when the tests run as root), stopped
//! when the test ends. Nothing is skipped: without PostgreSQL's programs the
//! tests fail and say to run `scripts/setup.sh`.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

use caplet::serve::pgkv::PgTenantKv;
use caplet::serve::plugins::TenantKv;
use caplet::serve::store::{now_ms, Admitted, PgRuns, RunRecord, Runs, Write, Written};
use caplet_core::Code;
use std::os::unix::process::CommandExt;

/// PostgreSQL's programs: on PATH, else the newest /usr/lib/postgresql/*/bin.
fn pg_bin_dir() -> PathBuf {
    if let Some(path) = std::env::var_os("PATH") {
        for dir in std::env::split_paths(&path) {
            let initdb = dir.join("initdb");
            if initdb.is_file() {
                // Debian links them into PATH; `postgres` sits beside the target.
                let real = std::fs::canonicalize(&initdb).unwrap_or(initdb);
                if let Some(bin) = real.parent() {
                    if bin.join("postgres").is_file() {
                        return bin.to_path_buf();
                    }
                }
            }
        }
    }
    let mut found: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            let version = e.file_name().to_str()?.parse::<u32>().ok()?;
            let bin = e.path().join("bin");
            bin.join("initdb").is_file().then_some((version, bin))
        })
        .collect();
    found.sort();
    match found.pop() {
        Some((_, bin)) => bin,
        None => panic!(
            "PostgreSQL (initdb, postgres) is not installed: run scripts/setup.sh, which \
             installs Debian's postgresql package"
        ),
    }
}

/// The uid and gid of `nobody` when running as root (PostgreSQL refuses root).
fn unprivileged() -> Option<(u32, u32)> {
    if !rustix::process::getuid().is_root() {
        return None;
    }
    let passwd = std::fs::read_to_string("/etc/passwd").expect("read /etc/passwd");
    let line = passwd
        .lines()
        .find(|l| l.starts_with("nobody:"))
        .expect("a `nobody` user to run PostgreSQL as (it refuses to run as root)");
    let fields: Vec<&str> = line.split(':').collect();
    Some((
        fields[2].parse().expect("nobody's uid"),
        fields[3].parse().expect("nobody's gid"),
    ))
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free loopback port")
        .port()
}

/// One PostgreSQL server in a temporary directory.
struct Pg {
    dir: tempfile::TempDir,
    bin: PathBuf,
    user: Option<(u32, u32)>,
    port: u16,
    child: Option<Child>,
}

impl Pg {
    fn start() -> Pg {
        let bin = pg_bin_dir();
        let dir = tempfile::tempdir().expect("temp dir");
        let user = unprivileged();
        if let Some((uid, gid)) = user {
            std::os::unix::fs::chown(dir.path(), Some(uid), Some(gid)).expect("chown temp dir");
        }
        let log = std::fs::File::create(dir.path().join("initdb.log")).unwrap();
        let status = Self::as_user(
            Command::new(bin.join("initdb"))
                .arg("-D")
                .arg(dir.path().join("data"))
                .args(["-U", "postgres", "-A", "trust", "-E", "UTF8", "--locale=C"])
                .arg("--no-sync")
                .current_dir(dir.path())
                .stdout(log.try_clone().unwrap())
                .stderr(log),
            user,
        )
        .status()
        .expect("run initdb");
        assert!(
            status.success(),
            "initdb failed: {}",
            std::fs::read_to_string(dir.path().join("initdb.log")).unwrap_or_default()
        );
        let mut pg = Pg {
            dir,
            bin,
            user,
            port: free_port(),
            child: None,
        };
        pg.run();
        pg
    }

    fn as_user(cmd: &mut Command, user: Option<(u32, u32)>) -> &mut Command {
        if let Some((uid, gid)) = user {
            cmd.uid(uid).gid(gid);
        }
        cmd
    }

    /// Starts the server on the data directory and port (again, after [`stop`]).
    fn run(&mut self) {
        assert!(self.child.is_none(), "the server is running");
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.dir.path().join("postgres.log"))
            .unwrap();
        let child = Self::as_user(
            Command::new(self.bin.join("postgres"))
                .arg("-D")
                .arg(self.dir.path().join("data"))
                .arg("-p")
                .arg(self.port.to_string())
                .arg("-k")
                .arg(self.dir.path())
                .args(["-c", "listen_addresses=127.0.0.1"])
                .args(["-c", "fsync=off", "-c", "shared_buffers=16MB"])
                .current_dir(self.dir.path())
                .stdin(Stdio::null())
                .stdout(log.try_clone().unwrap())
                .stderr(log),
            self.user,
        )
        .spawn()
        .expect("start postgres");
        self.child = Some(child);
        let until = Instant::now() + Duration::from_secs(30);
        loop {
            if postgres::Client::connect(&self.url(), postgres::NoTls).is_ok() {
                return;
            }
            if let Some(status) = self
                .child
                .as_mut()
                .and_then(|c| c.try_wait().ok().flatten())
            {
                self.child = None;
                panic!("postgres exited ({status}): {}", self.log());
            }
            assert!(
                Instant::now() < until,
                "postgres did not accept connections in 30 s: {}",
                self.log()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("postgres.log")).unwrap_or_default()
    }

    /// Shuts the server down with `signal` (INT: fast, QUIT: immediate) and waits.
    fn signal_and_wait(&mut self, signal: rustix::process::Signal) {
        if let Some(mut child) = self.child.take() {
            let _ = rustix::process::kill_process(rustix::process::Pid::from_child(&child), signal);
            let until = Instant::now() + Duration::from_secs(20);
            while matches!(child.try_wait(), Ok(None)) && Instant::now() < until {
                std::thread::sleep(Duration::from_millis(20));
            }
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Stops the server (fast shutdown: clients are disconnected).
    fn stop(&mut self) {
        self.signal_and_wait(rustix::process::Signal::INT);
    }

    fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }

    fn client(&self) -> postgres::Client {
        postgres::Client::connect(&self.url(), postgres::NoTls).expect("connect to test server")
    }
}

impl Drop for Pg {
    fn drop(&mut self) {
        self.signal_and_wait(rustix::process::Signal::QUIT);
    }
}

fn record(id: &str) -> RunRecord {
    RunRecord::queued(id.into(), "echo".into(), "sha256:00".into(), "echo".into())
}

/// SqliteRuns' cases on PostgreSQL: the first run or a conflict per key, keys per
/// tenant, another tenant's run not found.
#[test]
fn pg_runs_idempotency_keys_return_the_first_run_or_conflict() {
    let pg = Pg::start();
    let s = PgRuns::connect(&pg.url(), "replica-a").unwrap();
    let n = s.interrupt_unfinished().unwrap();
    assert_eq!(n, 0);
    // The same answers as SqliteRuns' (one list of them for both stores).
    caplet::serve::store::check_idempotency_answers(&s);
    // Without a key, every admission is a new run.
    assert!(matches!(
        s.admit("a", &record("r5"), None).unwrap(),
        Admitted::New
    ));
    assert_eq!(s.count().unwrap(), 3);
    // Another tenant's run is not found.
    assert!(s.get("b", "r1").unwrap().is_none());
    assert!(s.get("a", "missing").unwrap().is_none());
    let mut r1 = s.get("a", "r1").unwrap().unwrap();
    assert_eq!(r1, record_like(&r1, "r1"));
    r1.status = "finished".into();
    r1.output = Some("HI".into());
    s.update(&r1).unwrap();
    assert_eq!(s.get("a", "r1").unwrap().unwrap(), r1);
    // The stored record is JSON an operator can query.
    let status: String = pg
        .client()
        .query_one(
            "SELECT record->>'status' FROM caplet_runs WHERE id = 'r1'",
            &[],
        )
        .unwrap()
        .get(0);
    assert_eq!(status, "finished");
}

/// A final record whose output holds the NUL character, which `jsonb` refuses, is
/// stored with U+FFFD in its place, and does not fail the batch it shares.
#[test]
fn pg_runs_store_a_record_with_nul_without_failing_its_batch() {
    let pg = Pg::start();
    let s = PgRuns::connect(&pg.url(), "replica-a").unwrap();
    let mut nul = record("n1");
    nul.status = "finished".into();
    nul.output = Some("a\0b".into());
    nul.labels
        .insert("l".into(), serde_json::Value::String("x\0".into()));
    let results = s.write_batch(&[
        Write::Admit {
            tenant: "t",
            rec: &nul,
            idempotency: None,
        },
        Write::Admit {
            tenant: "t",
            rec: &record("n2"),
            idempotency: None,
        },
    ]);
    assert!(results.iter().all(|r| r.is_ok()), "{results:?}");
    let stored = s.get("t", "n1").unwrap().unwrap();
    assert_eq!(stored.output.as_deref(), Some("a\u{fffd}b"));
    assert_eq!(stored.labels["l"], "x\u{fffd}");
    assert!(s.get("t", "n2").unwrap().is_some());
}

/// `record(id)` with `r`'s creation time.
fn record_like(r: &RunRecord, id: &str) -> RunRecord {
    RunRecord {
        created_ms: r.created_ms,
        ..record(id)
    }
}

/// A replica starting marks only its own unfinished runs interrupted; prune removes
/// ended runs and their keys.
#[test]
fn pg_runs_write_batches_in_order_with_keyed_admissions_apart() {
    let pg = Pg::start();
    let s = PgRuns::connect(&pg.url(), "replica-a").unwrap();
    let mut done = record("b1");
    done.status = "finished".into();
    s.admit("t", &record("k0"), Some(("key", "body"))).unwrap();
    let writes = [
        Write::Admit {
            tenant: "t",
            rec: &record("b1"),
            idempotency: None,
        },
        Write::Admit {
            tenant: "t",
            rec: &record("b2"),
            idempotency: Some(("key", "body")),
        },
        Write::Admit {
            tenant: "t",
            rec: &record("b3"),
            idempotency: Some(("key", "other")),
        },
        Write::Update(&done),
    ];
    let results = s.write_batch(&writes);
    assert!(matches!(results[0], Ok(Written::Admitted(Admitted::New))));
    match &results[1] {
        Ok(Written::Admitted(Admitted::Existing(first))) => assert_eq!(first.run_id, "k0"),
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        results[2],
        Ok(Written::Admitted(Admitted::Conflict))
    ));
    assert!(matches!(results[3], Ok(Written::Updated)));
    // The update came after the admission in the same transaction.
    assert_eq!(s.get("t", "b1").unwrap().unwrap().status, "finished");
    assert!(s.get("t", "b2").unwrap().is_none());
    assert_eq!(s.count().unwrap(), 2);
}

#[test]
fn pg_runs_interrupt_only_their_own_replicas_runs_and_prune() {
    let pg = Pg::start();
    let url = pg.url();
    {
        let a = PgRuns::connect(&url, "replica-a").unwrap();
        let b = PgRuns::connect(&url, "replica-b").unwrap();
        a.admit("t", &record("a-queued"), None).unwrap();
        let mut running = record("a-running");
        a.admit("t", &running, None).unwrap();
        running.status = "running".into();
        a.update(&running).unwrap();
        let mut done = record("a-done");
        a.admit("t", &done, Some(("k", "b"))).unwrap();
        done.status = "finished".into();
        a.update(&done).unwrap();
        b.admit("t", &record("b-queued"), None).unwrap();
    }
    // Replica b restarts while a is alive: a's runs are untouched.
    let b = PgRuns::connect(&url, "replica-b").unwrap();
    let n = b.interrupt_unfinished().unwrap();
    assert_eq!(n, 1, "b's own queued run");
    assert_eq!(
        b.get("t", "b-queued").unwrap().unwrap().status,
        "interrupted"
    );
    assert_eq!(b.get("t", "a-queued").unwrap().unwrap().status, "queued");
    assert_eq!(b.get("t", "a-running").unwrap().unwrap().status, "running");
    // Replica c (new) interrupts nothing.
    let c = PgRuns::connect(&url, "replica-c").unwrap();
    let n = c.interrupt_unfinished().unwrap();
    assert_eq!(n, 0);
    // Replica a restarts: its two unfinished runs are interrupted, its finished one kept.
    let a = PgRuns::connect(&url, "replica-a").unwrap();
    let n = a.interrupt_unfinished().unwrap();
    assert_eq!(n, 2);
    let r = a.get("t", "a-running").unwrap().unwrap();
    assert_eq!(r.status, "interrupted");
    assert_eq!(r.error.unwrap().kind, "interrupted");
    assert!(r.finished_ms.is_some());
    assert_eq!(a.get("t", "a-done").unwrap().unwrap().status, "finished");
    // Nothing is older than the retention yet.
    assert_eq!(a.prune(now_ms().saturating_sub(60_000)).unwrap(), 0);
    // A still-queued run is never pruned.
    a.admit("t", &record("fresh"), None).unwrap();
    assert_eq!(a.prune(now_ms() + 1).unwrap(), 4);
    assert_eq!(a.count().unwrap(), 1);
    // The key went with its run.
    assert!(matches!(
        a.admit("t", &record("again"), Some(("k", "other")))
            .unwrap(),
        Admitted::New
    ));
}

/// Two replicas (two stores, separate connections) admitting one key from many
/// threads at once create exactly one run; everyone else gets that run.
#[test]
fn two_replicas_admitting_one_key_at_once_create_one_run() {
    let pg = Pg::start();
    let url = pg.url();
    let a = Arc::new(PgRuns::connect(&url, "replica-a").unwrap());
    let b = Arc::new(PgRuns::connect(&url, "replica-b").unwrap());
    const THREADS: usize = 8; // per replica
    const ROUNDS: usize = 25;
    for round in 0..ROUNDS {
        let start = Arc::new(Barrier::new(2 * THREADS));
        let key = format!("key-{round}");
        let threads: Vec<_> = (0..2 * THREADS)
            .map(|i| {
                let store = if i % 2 == 0 { a.clone() } else { b.clone() };
                let (start, key) = (start.clone(), key.clone());
                std::thread::spawn(move || {
                    start.wait();
                    let id = format!("run-{round}-{i}");
                    match store.admit("t", &record(&id), Some((&key, "same body"))) {
                        Ok(Admitted::New) => Some(id),
                        Ok(Admitted::Existing(first)) => {
                            assert_ne!(first.run_id, id);
                            Some(format!("existing:{}", first.run_id))
                        }
                        other => panic!("round {round}: {other:?}"),
                    }
                })
            })
            .collect();
        let results: Vec<String> = threads
            .into_iter()
            .map(|t| t.join().unwrap().unwrap())
            .collect();
        let new: Vec<&String> = results
            .iter()
            .filter(|r| !r.starts_with("existing:"))
            .collect();
        assert_eq!(new.len(), 1, "round {round}: {results:?}");
        let winner = new[0];
        for r in &results {
            if let Some(first) = r.strip_prefix("existing:") {
                assert_eq!(first, winner, "round {round}");
            }
        }
    }
    assert_eq!(a.count().unwrap(), ROUNDS as u64);
    assert_eq!(b.count().unwrap(), ROUNDS as u64);
}

/// Tenants never see each other's keys; the KV semantics of the other stores.
#[test]
fn pg_kv_tenants_are_isolated() {
    let pg = Pg::start();
    let kv = PgTenantKv::connect(&pg.url()).unwrap();
    let a = kv.for_tenant("alice").unwrap();
    let b = kv.for_tenant("bob").unwrap();
    a.set("ns", "k", b"alice's", 10).unwrap();
    assert_eq!(b.get("ns", "k").unwrap(), None);
    assert_eq!(b.delete("ns", "k"), Err(Code::NotFound));
    b.set("ns", "k", b"bob's", 10).unwrap();
    assert_eq!(a.get("ns", "k").unwrap().as_deref(), Some(&b"alice's"[..]));
    assert_eq!(b.get("ns", "k").unwrap().as_deref(), Some(&b"bob's"[..]));
    // Namespaces apart too; a replaced key is no new key; the cap is per namespace.
    a.set("ns", "k", b"2", 2).unwrap();
    a.set("ns", "j", b"x", 2).unwrap();
    assert_eq!(a.set("ns", "third", b"x", 2), Err(Code::Limit));
    a.set("ns", "k", b"3", 2).unwrap();
    a.set("other", "k", b"o", 2).unwrap();
    // Bob's key does not count against Alice's cap.
    assert_eq!(a.get("ns", "k").unwrap().as_deref(), Some(&b"3"[..]));
    a.delete("ns", "j").unwrap();
    assert_eq!(a.delete("ns", "j"), Err(Code::NotFound));
    a.set("ns", "third", b"x", 2).unwrap();
    // Binary values and empty ones survive.
    a.set("bin", "v", &[0, 255, 1, 0], 1).unwrap();
    a.set("bin", "e", b"", 2).unwrap();
    assert_eq!(
        a.get("bin", "v").unwrap().as_deref(),
        Some(&[0u8, 255, 1, 0][..])
    );
    assert_eq!(a.get("bin", "e").unwrap().as_deref(), Some(&b""[..]));
    // Another process (a second store) sees the same rows.
    let again = PgTenantKv::connect(&pg.url()).unwrap();
    assert_eq!(
        again
            .for_tenant("bob")
            .unwrap()
            .get("ns", "k")
            .unwrap()
            .as_deref(),
        Some(&b"bob's"[..])
    );
}

/// The key cap holds across replicas: writers on two stores (separate
/// connections) racing new keys into one namespace under cap 1024 store exactly
/// 1024; every other write gets LIMIT.
#[test]
fn pg_kv_cap_holds_with_concurrent_writers_on_two_replicas() {
    let pg = Pg::start();
    let url = pg.url();
    let one = PgTenantKv::connect(&url).unwrap();
    let two = PgTenantKv::connect(&url).unwrap();
    const CAP: usize = 1024;
    const WRITERS: usize = 3; // per replica
    const KEYS: usize = 200; // per writer: 2 × 3 × 200 = 1200 new keys
    let start = Arc::new(Barrier::new(2 * WRITERS));
    let writers: Vec<_> = (0..2 * WRITERS)
        .map(|w| {
            let store = if w % 2 == 0 {
                one.for_tenant("t").unwrap()
            } else {
                two.for_tenant("t").unwrap()
            };
            let start = start.clone();
            std::thread::spawn(move || {
                start.wait();
                let (mut ok, mut limit) = (0, 0);
                for k in 0..KEYS {
                    match store.set("ns", &format!("w{w}-k{k}"), b"v", CAP) {
                        Ok(()) => ok += 1,
                        Err(Code::Limit) => limit += 1,
                        Err(e) => panic!("writer {w} key {k}: {e:?}"),
                    }
                }
                (ok, limit)
            })
        })
        .collect();
    let (mut ok, mut limit) = (0, 0);
    for w in writers {
        let (o, l) = w.join().unwrap();
        ok += o;
        limit += l;
    }
    assert_eq!(ok, CAP);
    assert_eq!(limit, 2 * WRITERS * KEYS - CAP);
    let stored: i64 = pg
        .client()
        .query_one(
            "SELECT COUNT(*) FROM caplet_kv WHERE tenant = 't' AND namespace = 'ns'",
            &[],
        )
        .unwrap()
        .get(0);
    assert_eq!(stored, CAP as i64);
}

/// The cap at its edge: in each round, writers on two stores add one new key each
/// to a fresh namespace at the same moment; exactly `cap` of them succeed.
#[test]
fn pg_kv_cap_holds_at_the_edge_in_many_rounds() {
    let pg = Pg::start();
    let url = pg.url();
    let one = PgTenantKv::connect(&url).unwrap();
    let two = PgTenantKv::connect(&url).unwrap();
    const WRITERS: usize = 4; // per replica
    const CAP: usize = 3;
    let stores: Vec<_> = (0..2 * WRITERS)
        .map(|w| {
            if w % 2 == 0 { &one } else { &two }
                .for_tenant("t")
                .unwrap()
        })
        .collect();
    for round in 0..40 {
        let ns = format!("round-{round}");
        let start = Barrier::new(2 * WRITERS);
        let ok = std::thread::scope(|s| {
            let writers: Vec<_> = stores
                .iter()
                .enumerate()
                .map(|(w, store)| {
                    let (start, ns) = (&start, &ns);
                    s.spawn(move || {
                        start.wait();
                        match store.set(ns, &format!("w{w}"), b"v", CAP) {
                            Ok(()) => true,
                            Err(Code::Limit) => false,
                            Err(e) => panic!("round {round} writer {w}: {e:?}"),
                        }
                    })
                })
                .collect();
            writers
                .into_iter()
                .map(|w| w.join().expect("writer"))
                .filter(|&stored| stored)
                .count()
        });
        assert_eq!(ok, CAP, "round {round}");
    }
}

/// A write blocked by another transaction's lock ends with TIMEOUT at the call's
/// deadline, not later.
#[test]
fn pg_kv_write_waits_no_longer_than_the_call_deadline() {
    let pg = Pg::start();
    let kv = PgTenantKv::connect(&pg.url()).unwrap();
    let a = kv.for_tenant("a").unwrap();
    a.set("ns", "k", b"1", 10).unwrap();
    // Another session holds the row.
    let mut other = pg.client();
    let mut tx = other.transaction().unwrap();
    tx.execute(
        "SELECT 1 FROM caplet_kv WHERE tenant = 'a' AND namespace = 'ns' AND key = 'k' FOR UPDATE",
        &[],
    )
    .unwrap();
    let started = Instant::now();
    let until = Some(started + Duration::from_millis(300));
    let r = caplet::deadline::with_call_deadline(until, || a.set("ns", "k", b"2", 10));
    let took = started.elapsed();
    assert_eq!(r, Err(Code::Timeout));
    assert!(took < Duration::from_secs(2), "waited {took:?}");
    let r = caplet::deadline::with_call_deadline(until, || a.delete("ns", "k"));
    assert_eq!(r, Err(Code::Timeout), "the deadline has passed");
    tx.rollback().unwrap();
    a.set("ns", "k", b"3", 10).unwrap();
    assert_eq!(a.get("ns", "k").unwrap().as_deref(), Some(&b"3"[..]));
}

/// With PostgreSQL stopped, calls fail fast with an error naming the unreachable
/// database; once it runs again (same port and data) the same store objects work,
/// without a restart of the service.
#[test]
fn stores_fail_fast_while_postgres_is_down_and_recover_after() {
    let mut pg = Pg::start();
    let url = pg.url();
    let runs = PgRuns::connect(&url, "replica-a").unwrap();
    let kv = PgTenantKv::connect(&url).unwrap().for_tenant("t").unwrap();
    runs.admit("t", &record("before"), Some(("k", "b")))
        .unwrap();
    kv.set("ns", "k", b"v", 10).unwrap();

    pg.stop();
    for attempt in 0..3 {
        let started = Instant::now();
        let e = runs.get("t", "before").unwrap_err();
        let took = started.elapsed();
        assert!(took < Duration::from_secs(5), "attempt {attempt}: {took:?}");
        assert!(
            e.0.contains("unreachable") && e.0.contains(&format!("127.0.0.1:{}", pg.port)),
            "attempt {attempt}: {e}"
        );
        let started = Instant::now();
        assert!(runs.admit("t", &record("during"), None).is_err());
        assert!(runs.count().is_err());
        assert_eq!(kv.get("ns", "k"), Err(Code::Io));
        assert_eq!(kv.set("ns", "k", b"w", 10), Err(Code::Io));
        assert!(started.elapsed() < Duration::from_secs(10));
    }

    pg.run();
    assert_eq!(runs.get("t", "before").unwrap().unwrap().run_id, "before");
    match runs.admit("t", &record("after"), Some(("k", "b"))).unwrap() {
        Admitted::Existing(first) => assert_eq!(first.run_id, "before"),
        other => panic!("{other:?}"),
    }
    assert_eq!(kv.get("ns", "k").unwrap().as_deref(), Some(&b"v"[..]));

    // A restart between two calls: the pooled connections the server closed are
    // replaced, and the first call after it already succeeds.
    pg.stop();
    pg.run();
    assert_eq!(runs.count().unwrap(), 1);
    kv.set("ns", "k2", b"v", 10).unwrap();
}

/// A `caplet serve` process, killed on drop.
struct Server {
    child: Child,
    addr: String,
    _data: tempfile::TempDir,
}

impl Server {
    fn start(url: &str, plugins: &Path) -> Server {
        let data = tempfile::tempdir().unwrap();
        let mut child = Command::new(env!("CARGO_BIN_EXE_caplet"))
            .args(["serve", "--listen", "127.0.0.1:0", "--workers", "2"])
            .arg("--plugin-dir")
            .arg(plugins)
            .arg("--data")
            .arg(data.path())
            .args(["--database", url])
            .env("CAPLET_LOG", "warn")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start caplet serve");
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if let Some(addr) = line.strip_prefix("caplet serve: listening on http://") {
                    let _ = tx.send(addr.to_string());
                }
            }
        });
        let addr = match rx.recv_timeout(Duration::from_secs(60)) {
            Ok(addr) => addr,
            Err(_) => {
                let _ = child.kill();
                let status = child.wait();
                panic!("caplet serve did not listen within 60 s ({status:?})");
            }
        };
        Server {
            child,
            addr,
            _data: data,
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(60)))
        .build()
        .into()
}

/// Two `caplet serve` replicas on one database: one request with one
/// Idempotency-Key sent to both at once is one run, readable from either.
#[test]
fn two_serve_replicas_share_runs_and_idempotency_keys() {
    let pg = Pg::start();
    let url = pg.url();
    let plugins = tempfile::tempdir().unwrap();
    std::fs::copy(
        caplet_tests::plugin_path("echo"),
        plugins.path().join("echo.wasm"),
    )
    .unwrap();
    let servers = [
        Server::start(&url, plugins.path()),
        Server::start(&url, plugins.path()),
    ];
    let body = r#"{"plugin":"echo","call":"upper","input":"hi"}"#;
    for round in 0..3 {
        let key = format!("same-key-{round}");
        let start = Arc::new(Barrier::new(2));
        let answers: Vec<(u16, serde_json::Value)> = std::thread::scope(|s| {
            let posts: Vec<_> = servers
                .iter()
                .map(|server| {
                    let (start, key) = (start.clone(), key.clone());
                    let url = format!("http://{}/v1/runs", server.addr);
                    s.spawn(move || {
                        start.wait();
                        let mut resp = agent()
                            .post(&url)
                            .header("Idempotency-Key", &key)
                            .header("Content-Type", "application/json")
                            .send(body)
                            .expect("POST /v1/runs");
                        let status = resp.status().as_u16();
                        let text = resp.body_mut().read_to_string().unwrap();
                        let json: serde_json::Value = serde_json::from_str(&text)
                            .unwrap_or_else(|e| panic!("{status} {text}: {e}"));
                        (status, json)
                    })
                })
                .collect();
            posts.into_iter().map(|p| p.join().unwrap()).collect()
        });
        for (status, json) in &answers {
            assert!(
                *status == 200 || *status == 202,
                "round {round}: {status} {json}"
            );
        }
        let id = answers[0].1["run_id"].as_str().unwrap().to_string();
        assert_eq!(
            answers[1].1["run_id"].as_str(),
            Some(id.as_str()),
            "round {round}: one run for one key: {answers:?}"
        );
        // The run is readable from both replicas, including the one that did
        // not run it; it ends with the plugin's output.
        for server in &servers {
            let until = Instant::now() + Duration::from_secs(30);
            loop {
                let mut resp = agent()
                    .get(&format!("http://{}/v1/runs/{id}", server.addr))
                    .call()
                    .expect("GET /v1/runs/{id}");
                let status = resp.status().as_u16();
                let text = resp.body_mut().read_to_string().unwrap();
                assert_eq!(status, 200, "round {round}: {text}");
                let rec: serde_json::Value = serde_json::from_str(&text).unwrap();
                assert_eq!(rec["run_id"], id.as_str());
                if rec["status"] == "finished" {
                    assert_eq!(rec["output"], "HI", "{rec}");
                    break;
                }
                assert!(
                    Instant::now() < until,
                    "round {round}: the run did not finish: {rec}"
                );
                std::thread::sleep(Duration::from_millis(50));
            }
        }
    }
    let runs: i64 = pg
        .client()
        .query_one("SELECT COUNT(*) FROM caplet_runs", &[])
        .unwrap()
        .get(0);
    assert_eq!(runs, 3, "one run per key across both replicas");
}

fn post_upper(server: &Server) -> (u16, String) {
    let mut resp = agent()
        .post(&format!("http://{}/v1/runs", server.addr))
        .header("Content-Type", "application/json")
        .send(r#"{"plugin":"echo","call":"upper","input":"hi"}"#)
        .expect("POST /v1/runs");
    let status = resp.status().as_u16();
    (status, resp.body_mut().read_to_string().unwrap())
}

/// The service stays up while PostgreSQL is down: runs get a quick 503 naming the
/// unreachable database, and once it is back runs are answered again by the same
/// process.
#[test]
fn serve_answers_503_while_postgres_is_down_and_recovers() {
    let mut pg = Pg::start();
    let plugins = tempfile::tempdir().unwrap();
    std::fs::copy(
        caplet_tests::plugin_path("echo"),
        plugins.path().join("echo.wasm"),
    )
    .unwrap();
    let server = Server::start(&pg.url(), plugins.path());
    let (status, text) = post_upper(&server);
    assert_eq!(status, 200, "{text}");
    pg.stop();
    for attempt in 0..2 {
        let started = Instant::now();
        let (status, text) = post_upper(&server);
        assert_eq!(status, 503, "{text}");
        assert!(text.contains("unreachable"), "{text}");
        assert!(started.elapsed() < Duration::from_secs(5));
        let body: serde_json::Value = serde_json::from_str(&text).unwrap();
        if attempt == 0 {
            // The store had not failed yet: the run ran (a waited run without a
            // key is written when it ends), its write failed, and its record
            // comes back with the error.
            assert_eq!(body["run"]["status"], "finished", "{text}");
            assert_eq!(body["run"]["output"], "HI", "{text}");
        } else {
            // Since then runs take the admission write, which fails first:
            // nothing ran.
            assert!(body.get("run").is_none(), "{text}");
        }
    }
    pg.run();
    let (status, text) = post_upper(&server);
    assert_eq!(status, 200, "{text}");
    assert!(text.contains(r#""output":"HI""#), "{text}");
}

fn serve_fails(database: &str) -> String {
    let data = tempfile::tempdir().unwrap();
    let started = Instant::now();
    let out = Command::new(env!("CARGO_BIN_EXE_caplet"))
        .args(["serve", "--listen", "127.0.0.1:0", "--database", database])
        .arg("--data")
        .arg(data.path())
        .env("CAPLET_LOG", "warn")
        .stdin(Stdio::null())
        .output()
        .expect("run caplet serve");
    assert!(!out.status.success());
    assert!(started.elapsed() < Duration::from_secs(10));
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// `--database` with another scheme, or a database that is not there, stops the
/// service at start-up with an error saying which (and never the password).
#[test]
fn serve_refuses_other_schemes_and_names_an_unreachable_database() {
    let e = serve_fails("mysql://user:secret@127.0.0.1/db");
    assert!(e.contains("`mysql` URLs are not supported"), "{e}");
    assert!(!e.contains("secret"), "{e}");
    let port = free_port();
    let e = serve_fails(&format!("postgres://user:secret@127.0.0.1:{port}/db"));
    assert!(
        e.contains("unreachable") && e.contains(&format!("127.0.0.1:{port}/db")),
        "{e}"
    );
    assert!(!e.contains("secret"), "{e}");
    let e = serve_fails("postgres://127.0.0.1/db?sslmode=require");
    assert!(e.contains("TLS to PostgreSQL is not supported yet"), "{e}");
}
