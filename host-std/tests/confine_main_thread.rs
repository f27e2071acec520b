//! `serve::confine` called the way `caplet serve` must call it: on the main thread
//! while it is the only thread, and the threads started afterwards (an async
//! runtime's workers, a worker thread) are confined too.
//!
//! This binary has no test harness: libtest would run a test on a second thread,
//! and the point here is a process with one thread. It confines itself, so it is a
//! test binary of its own.

use std::io;
use std::path::Path;

use caplet::serve::confine::{confine, Confinement, Status};

/// Whether opening `path` for reading is refused with `EACCES`.
fn refused(path: &Path) -> bool {
    std::fs::File::open(path)
        .err()
        .and_then(|e| e.raw_os_error())
        == Some(13)
}

fn main() {
    // `cargo test -- --list` and filters: this binary has one check, always run.
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let threads = || std::fs::read_dir("/proc/self/task").unwrap().count();
    assert_eq!(threads(), 1, "the check needs a single-threaded process");
    let rw = tempfile::tempdir().unwrap();
    let report = confine(&Confinement {
        read_write: vec![rw.path().to_path_buf()],
        read_only: Vec::new(),
        allow_exec: false,
    })
    .expect("confine");
    println!("{report}");
    let active = match &report.landlock {
        Status::Enforced { .. } => true,
        Status::Partial { detail } => {
            // With no other thread, nothing can be left outside the domain: only an
            // old kernel's missing rights may make it partial.
            assert!(
                !detail.contains("unrestricted"),
                "a single-threaded caller must not be told threads stay unrestricted: {detail}"
            );
            true
        }
        Status::Unsupported { .. } => false,
    };
    let passwd = Path::new("/etc/passwd");
    let inside = rw.path().join("from-worker.txt");
    // The main thread, a worker thread and the async runtime's threads, the last
    // two started after confine.
    let main_refused = refused(passwd);
    let worker_refused = std::thread::spawn(move || refused(passwd)).join().unwrap();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("async runtime after confine");
    let (async_refused, async_write) = rt.block_on(async move {
        tokio::spawn(async move {
            let write: io::Result<()> = std::fs::write(&inside, "ok");
            (refused(passwd), write.is_ok())
        })
        .await
        .unwrap()
    });
    println!(
        "main_refused={main_refused} worker_refused={worker_refused} \
         async_refused={async_refused} async_write={async_write}"
    );
    assert!(async_write, "the read-write directory stays writable");
    if active {
        assert!(main_refused && worker_refused && async_refused);
    } else {
        assert!(!main_refused && !worker_refused && !async_refused);
    }
    println!("1 passed, 0 failed");
}
