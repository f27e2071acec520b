//! The load bench of `caplet serve`: `POST /v1/runs` of the 64-byte echo at
//! concurrency 1, 16 and 64, against two floors built on the same HTTP stack
//! (hyper's HTTP/1.1 server, an axum router, serde_json):
//!
//! - **constant**: parses the request and answers a fixed run record;
//! - **raw wasmi**: parses the request and runs the echo on raw wasmi, on a pool of
//!   worker threads like Caplet's (one instance per thread, reused);
//! - **caplet**: the real `caplet serve` (SQLite under a temp `--data`), and, when
//!   `--postgres URL` is given, two replicas sharing that database, the load
//!   spread over both.
//!
//! Each server is its own process; the load generator runs here, on one thread.
//! The floors and the generator use mimalloc, the allocator of the `caplet` binary.
//! For every target and concurrency: runs/s, p50 and p99 latency, the server's
//! RSS and its CPU time per run (user + system, from /proc).
//!
//! ```text
//! serve_load --caplet target/release/caplet [--seconds 5] [--postgres URL] [--json OUT]
//! serve_load floor constant|wasmi   # the floor servers (started by the above)
//! serve_load drive ADDR CONCURRENCY SECONDS   # load only, on a server run elsewhere
//! ```

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{mpsc, Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::post;
use axum::Router;
use http_body_util::{BodyExt, Full};
use serde::Deserialize;
use serde_json::json;

const INPUT: &str = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
const CONCURRENCY: [usize; 3] = [1, 16, 64];

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("floor") {
        floor(args.get(1).map(String::as_str).unwrap_or("constant"));
        return;
    }
    if args.first().map(String::as_str) == Some("drive") {
        // `drive ADDR CONCURRENCY SECONDS`: load on a server started elsewhere
        // (to profile it).
        let addr: SocketAddr = args[1].parse().expect("ADDR");
        let c: usize = args[2].parse().expect("CONCURRENCY");
        let secs: u64 = args[3].parse().expect("SECONDS");
        let r = drive(&[addr], c, Duration::from_secs(secs));
        println!(
            "{} runs, {} errors, {:.0} runs/s, p50 {} µs, p99 {} µs",
            r.runs,
            r.errors,
            r.runs as f64 / r.elapsed.as_secs_f64(),
            r.p50_us,
            r.p99_us
        );
        return;
    }
    let mut caplet = None;
    let mut seconds = 5u64;
    let mut postgres = None;
    let mut json_out = None;
    let mut it = args.into_iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--caplet" => caplet = it.next().map(PathBuf::from),
            "--seconds" => seconds = it.next().and_then(|s| s.parse().ok()).unwrap_or(5),
            "--postgres" => postgres = it.next(),
            "--json" => json_out = it.next().map(PathBuf::from),
            other => panic!("unknown argument {other}"),
        }
    }
    let caplet = caplet.expect("--caplet PATH (a release build of the caplet binary)");
    let me = std::env::current_exe().unwrap();
    let tmp = std::env::temp_dir().join(format!("caplet-serve-load-{}", std::process::id()));
    std::fs::create_dir_all(tmp.join("plugins")).unwrap();
    std::fs::write(tmp.join("plugins/echo.wasm"), caplet_tests::plugin("echo")).unwrap();

    let mut results = Vec::new();
    let measure = Duration::from_secs(seconds);
    let targets: Vec<(&str, Vec<Vec<String>>)> = {
        let mut t = vec![
            (
                "constant floor",
                vec![vec![
                    me.display().to_string(),
                    "floor".into(),
                    "constant".into(),
                ]],
            ),
            (
                "raw wasmi floor",
                vec![vec![
                    me.display().to_string(),
                    "floor".into(),
                    "wasmi".into(),
                ]],
            ),
            (
                "caplet serve, SQLite",
                vec![caplet_cmd(&caplet, &tmp, "sqlite", None)],
            ),
        ];
        if let Some(url) = &postgres {
            t.push((
                "caplet serve, 2 replicas on PostgreSQL",
                vec![
                    caplet_cmd(&caplet, &tmp, "pg-a", Some(url)),
                    caplet_cmd(&caplet, &tmp, "pg-b", Some(url)),
                ],
            ));
        }
        t
    };
    for (name, cmds) in targets {
        let servers: Vec<Server> = cmds.iter().map(|c| Server::start(c)).collect();
        let addrs: Vec<SocketAddr> = servers.iter().map(|s| s.addr).collect();
        for c in CONCURRENCY {
            // Warm-up: instances pooled, code compiled, connections open.
            drive(&addrs, c, Duration::from_millis(500));
            let cpu0: u64 = servers.iter().map(|s| s.cpu_ticks()).sum();
            let r = drive(&addrs, c, measure);
            let cpu1: u64 = servers.iter().map(|s| s.cpu_ticks()).sum();
            let ticks_per_s = 100.0; // USER_HZ on Linux
            let cpu_us_per_run = (cpu1 - cpu0) as f64 / ticks_per_s * 1e6 / r.runs.max(1) as f64;
            let rss_kib: u64 = servers.iter().map(|s| s.rss_kib()).sum();
            let row = json!({
                "target": name,
                "concurrency": c,
                "runs": r.runs,
                "errors": r.errors,
                "runs_per_s": r.runs as f64 / r.elapsed.as_secs_f64(),
                "p50_us": r.p50_us,
                "p99_us": r.p99_us,
                "rss_kib": rss_kib,
                "cpu_us_per_run": cpu_us_per_run,
            });
            eprintln!("{row}");
            results.push(row);
        }
        drop(servers);
    }
    let _ = std::fs::remove_dir_all(&tmp);
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    let out = json!({"seconds": seconds, "loadavg_after": load.trim(), "results": results});
    match json_out {
        Some(p) => std::fs::write(p, serde_json::to_string_pretty(&out).unwrap()).unwrap(),
        None => println!("{}", serde_json::to_string_pretty(&out).unwrap()),
    }
}

fn caplet_cmd(caplet: &Path, tmp: &Path, data: &str, database: Option<&String>) -> Vec<String> {
    let mut v = vec![
        caplet.display().to_string(),
        "serve".into(),
        "--listen".into(),
        "127.0.0.1:0".into(),
        "--data".into(),
        tmp.join(data).display().to_string(),
        "--plugin-dir".into(),
        tmp.join("plugins").display().to_string(),
        "--workers".into(),
        "2".into(),
    ];
    if let Some(url) = database {
        v.push("--database".into());
        v.push(url.clone());
    }
    v
}

struct Server {
    child: Child,
    addr: SocketAddr,
}

impl Server {
    fn start(cmd: &[String]) -> Server {
        let mut child = Command::new(&cmd[0])
            .args(&cmd[1..])
            .env("CAPLET_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("starting {}: {e}", cmd[0]));
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let addr = line
            .trim()
            .rsplit("http://")
            .next()
            .and_then(|a| a.parse().ok())
            .unwrap_or_else(|| panic!("no address in {line:?}"));
        Server { child, addr }
    }

    fn stat(&self) -> Vec<String> {
        let s = std::fs::read_to_string(format!("/proc/{}/stat", self.child.id())).unwrap();
        // Fields after the command name, which is in parentheses.
        let rest = &s[s.rfind(')').unwrap() + 2..];
        rest.split_whitespace().map(String::from).collect()
    }

    /// utime + stime, in clock ticks.
    fn cpu_ticks(&self) -> u64 {
        let f = self.stat();
        // state is field 3; utime 14 and stime 15 (1-based, whole line).
        f[11].parse::<u64>().unwrap() + f[12].parse::<u64>().unwrap()
    }

    fn rss_kib(&self) -> u64 {
        let s = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).unwrap();
        s.lines()
            .find(|l| l.starts_with("VmRSS:"))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

struct Driven {
    runs: u64,
    errors: u64,
    elapsed: Duration,
    p50_us: u64,
    p99_us: u64,
}

/// `concurrency` connections (spread over `addrs`), each sending one request at a
/// time for `duration`.
fn drive(addrs: &[SocketAddr], concurrency: usize, duration: Duration) -> Driven {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let body =
            Bytes::from(json!({"plugin": "echo", "call": "echo", "input": INPUT}).to_string());
        let until = Instant::now() + duration;
        let started = Instant::now();
        let mut tasks = Vec::new();
        for i in 0..concurrency {
            let addr = addrs[i % addrs.len()];
            let body = body.clone();
            tasks.push(tokio::spawn(async move {
                let mut hist = hdrhistogram::Histogram::<u64>::new(3).unwrap();
                let mut errors = 0u64;
                let stream = tokio::net::TcpStream::connect(addr).await.unwrap();
                stream.set_nodelay(true).unwrap();
                let (mut send, conn) =
                    hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(stream))
                        .await
                        .unwrap();
                tokio::spawn(conn);
                while Instant::now() < until {
                    let req = hyper::Request::post("/v1/runs")
                        .header("host", addr.to_string())
                        .header("content-type", "application/json")
                        .body(Full::new(body.clone()))
                        .unwrap();
                    let t0 = Instant::now();
                    let resp = match send.send_request(req).await {
                        Ok(r) => r,
                        Err(_) => {
                            errors += 1;
                            break;
                        }
                    };
                    let ok = resp.status() == 200;
                    let bytes = resp.into_body().collect().await.map(|b| b.to_bytes());
                    let us = t0.elapsed().as_micros() as u64;
                    match bytes {
                        Ok(b) if ok && b.windows(INPUT.len()).any(|w| w == INPUT.as_bytes()) => {
                            hist.record(us.max(1)).unwrap();
                        }
                        _ => errors += 1,
                    }
                }
                (hist, errors)
            }));
        }
        let mut all = hdrhistogram::Histogram::<u64>::new(3).unwrap();
        let mut errors = 0;
        for t in tasks {
            let (h, e) = t.await.unwrap();
            all.add(h).unwrap();
            errors += e;
        }
        Driven {
            runs: all.len(),
            errors,
            elapsed: started.elapsed(),
            p50_us: all.value_at_quantile(0.50),
            p99_us: all.value_at_quantile(0.99),
        }
    })
}

#[derive(Deserialize)]
#[allow(dead_code)]
struct RunRequest {
    plugin: String,
    call: String,
    input: String,
}

type Job = (Vec<u8>, tokio::sync::oneshot::Sender<Vec<u8>>);

/// A floor server on the same HTTP stack as `caplet serve`.
fn floor(kind: &str) {
    let workers = 2;
    let pool: Option<Arc<Mutex<mpsc::Sender<Job>>>> = (kind == "wasmi").then(|| {
        let (tx, rx) = mpsc::channel::<Job>();
        let rx = Arc::new(Mutex::new(rx));
        for _ in 0..workers {
            let rx = rx.clone();
            std::thread::spawn(move || {
                let mut echo = caplet_benches::RawEcho::new(&caplet_tests::plugin("echo"), "echo");
                loop {
                    let job = rx.lock().unwrap().recv();
                    match job {
                        Ok((input, reply)) => {
                            let _ = reply.send(echo.call(&input));
                        }
                        Err(_) => return,
                    }
                }
            });
        }
        Arc::new(Mutex::new(tx))
    });
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async move {
        let app = Router::new().route(
            "/v1/runs",
            post(move |body: Bytes| {
                let pool = pool.clone();
                async move {
                    let req: RunRequest = match serde_json::from_slice(&body) {
                        Ok(r) => r,
                        Err(e) => return (StatusCode::BAD_REQUEST, e.to_string()).into_response(),
                    };
                    let output = match pool {
                        None => req.input.into_bytes(),
                        Some(pool) => {
                            let (tx, rx) = tokio::sync::oneshot::channel();
                            pool.lock()
                                .unwrap()
                                .send((req.input.into_bytes(), tx))
                                .unwrap();
                            rx.await.unwrap()
                        }
                    };
                    axum::Json(json!({
                        "run_id": "0",
                        "status": "finished",
                        "plugin": req.plugin,
                        "call": req.call,
                        "output": String::from_utf8_lossy(&output),
                    }))
                    .into_response()
                }
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        println!(
            "floor: listening on http://{}",
            listener.local_addr().unwrap()
        );
        loop {
            let (stream, _) = listener.accept().await.unwrap();
            let service = hyper_util::service::TowerToHyperService::new(app.clone());
            tokio::spawn(async move {
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(hyper_util::rt::TokioIo::new(stream), service)
                    .await;
            });
        }
    });
}
