//! `caplet serve` end to end: the real binary on a loopback port, driven over
//! HTTP. Each test starts its own service with its own data directory.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use caplet_core::Digest;
use serde_json::{json, Value};

/// A running `caplet serve`.
struct Server {
    child: Child,
    addr: String,
    data: PathBuf,
    log: PathBuf,
    _tmp: Option<tempfile::TempDir>,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn sidecar(dir: &Path, name: &str, version: &str, wasm: &[u8]) {
    let module = format!("{name}-{version}.wasm");
    std::fs::write(dir.join(&module), wasm).unwrap();
    std::fs::write(
        dir.join(format!("{name}-{version}.json")),
        format!(
            r#"{{"name":"{name}","version":"{version}","module":"{module}","sha256":"{}"}}"#,
            Digest::of(wasm).to_hex()
        ),
    )
    .unwrap();
}

/// echo (1.0.0 embedded, and 1.2.0 and 1.3.0 as sidecars), kv_counter, hostile
/// and compute.
fn plugin_dir(root: &Path) -> PathBuf {
    let dir = root.join("plugins");
    std::fs::create_dir_all(&dir).unwrap();
    for p in ["echo", "kv_counter", "hostile", "compute"] {
        std::fs::write(dir.join(format!("{p}.wasm")), caplet_tests::plugin(p)).unwrap();
    }
    let versions = dir.join("versions");
    std::fs::create_dir_all(&versions).unwrap();
    let echo = caplet_tests::plugin("echo");
    for v in ["1.2.0", "1.3.0"] {
        sidecar(&versions, "echo", v, &echo);
    }
    dir
}

fn start_in(root: &Path, data: &Path, args: &[&str]) -> Server {
    let plugins = plugin_dir(root);
    let log_path = root.join(format!(
        "serve-{}.log",
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos()
    ));
    let log = std::fs::File::create(&log_path).unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_caplet"))
        .arg("serve")
        .args(["--listen", "127.0.0.1:0", "--data"])
        .arg(data)
        .arg("--plugin-dir")
        .arg(&plugins)
        .args(args)
        .current_dir(root)
        .stdout(Stdio::piped())
        .stderr(log)
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut lines = BufReader::new(stdout).lines();
        if let Some(Ok(l)) = lines.next() {
            let _ = tx.send(l);
        }
        for _ in lines {}
    });
    let line = match rx.recv_timeout(Duration::from_secs(30)) {
        Ok(l) => l,
        Err(_) => {
            let _ = child.kill();
            let status = child.wait().unwrap();
            panic!(
                "caplet serve did not start ({status}); see the logs in {}",
                root.display()
            );
        }
    };
    let addr = line
        .strip_prefix("caplet serve: listening on http://")
        .unwrap_or_else(|| panic!("unexpected first line: {line}"))
        .to_string();
    Server {
        child,
        addr,
        data: data.to_path_buf(),
        log: log_path,
        _tmp: None,
    }
}

fn start(args: &[&str]) -> Server {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let mut s = start_in(tmp.path(), &data, args);
    s._tmp = Some(tmp);
    s
}

struct Answer {
    status: u16,
    headers: Vec<(String, String)>,
    body: Value,
    text: String,
}

impl Answer {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(60)))
        .build()
        .into()
}

impl Server {
    fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    fn send(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        extra: &[(&str, &str)],
        body: &[u8],
    ) -> Answer {
        let mut b = ureq::http::Request::builder()
            .method(method)
            .uri(self.url(path));
        if let Some(t) = token {
            b = b.header("authorization", format!("Bearer {t}"));
        }
        for (k, v) in extra {
            b = b.header(*k, *v);
        }
        if !body.is_empty() {
            b = b.header("content-type", "application/json");
        }
        let mut resp = agent().run(b.body(body.to_vec()).unwrap()).unwrap();
        let status = resp.status().as_u16();
        let headers = resp
            .headers()
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_str().unwrap_or("").to_string()))
            .collect();
        let text = resp.body_mut().read_to_string().unwrap_or_default();
        let body = serde_json::from_str(&text).unwrap_or(Value::Null);
        Answer {
            status,
            headers,
            body,
            text,
        }
    }

    fn post(&self, path: &str, token: Option<&str>, body: &Value) -> Answer {
        self.send("POST", path, token, &[], body.to_string().as_bytes())
    }

    fn get(&self, path: &str, token: Option<&str>) -> Answer {
        self.send("GET", path, token, &[], b"")
    }

    fn run(&self, token: Option<&str>, body: Value) -> Answer {
        self.post("/v1/runs", token, &body)
    }

    /// Polls a run until it has ended.
    fn wait_for(&self, token: Option<&str>, id: &str) -> Value {
        let until = Instant::now() + Duration::from_secs(30);
        loop {
            let a = self.get(&format!("/v1/runs/{id}"), token);
            assert_eq!(a.status, 200, "{}", a.text);
            let s = a.body["status"].as_str().unwrap().to_string();
            if ["finished", "failed", "interrupted"].contains(&s.as_str()) {
                return a.body;
            }
            assert!(Instant::now() < until, "run {id} still {s}");
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn metric(&self, line_start: &str) -> Option<f64> {
        let m = self.get("/metrics", None);
        m.text
            .lines()
            .find(|l| l.starts_with(line_start))
            .and_then(|l| l.rsplit(' ').next())
            .and_then(|v| v.parse().ok())
    }

    fn rss_kib(&self) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).unwrap();
        status
            .lines()
            .find(|l| l.starts_with("VmRSS:"))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse().ok())
            .unwrap()
    }
}

/// A service in `root` whose run events go to `root/events.jsonl`, outside `--data`
/// (the sink is opened before the service confines itself); returns the sink too.
fn start_with_sink(root: &Path, args: &[&str]) -> (Server, PathBuf) {
    let sink = root.join("events.jsonl");
    let mut all = args.to_vec();
    all.extend(["--events", sink.to_str().unwrap()]);
    (start_in(root, &root.join("data"), &all), sink)
}

/// The events written to `sink` so far (a line being written is left out).
fn sink_events(sink: &Path) -> Vec<Value> {
    std::fs::read_to_string(sink)
        .unwrap_or_default()
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect()
}

fn tenants_file(dir: &Path, text: &str) -> String {
    let p = dir.join("tenants.toml");
    std::fs::write(&p, text).unwrap();
    p.display().to_string()
}

fn hash(token: &str) -> String {
    Digest::of(token.as_bytes()).to_hex()
}

#[test]
fn a_run_answers_with_its_record_or_is_queued_and_read_later() {
    let s = start(&[]);
    let a = s.run(
        None,
        json!({"plugin": "echo", "call": "upper", "input": "hello", "labels": {"job": "7"}}),
    );
    assert_eq!(a.status, 200, "{}", a.text);
    assert_eq!(a.body["status"], "finished");
    assert_eq!(a.body["output"], "HELLO");
    assert_eq!(a.body["plugin"], "echo");
    assert_eq!(a.body["labels"]["job"], "7");
    assert!(a.body["usage"]["fuel"].as_u64().unwrap() > 0);
    assert!(a.body["digest"].as_str().unwrap().starts_with("sha256:"));
    let id = a.body["run_id"].as_str().unwrap();
    // The same record, read back.
    let g = s.get(&format!("/v1/runs/{id}"), None);
    assert_eq!(g.body, a.body);

    // Not waiting: 202 and an id, then the record.
    let q = s.run(
        None,
        json!({"plugin": "echo", "call": "upper", "input": "later", "wait": false}),
    );
    assert_eq!(q.status, 202, "{}", q.text);
    assert_eq!(q.body["status"], "queued");
    let rec = s.wait_for(None, q.body["run_id"].as_str().unwrap());
    assert_eq!(rec["output"], "LATER");

    // Binary input and output, and a typed call.
    let b = s.run(
        None,
        json!({"plugin": "echo", "call": "echo", "input_base64": "/wA="}),
    );
    assert_eq!(b.body["output_base64"], "/wA=", "{}", b.text);
    let t = s.run(
        None,
        json!({"plugin": "echo", "call": "add", "args": [{"i32": 2}, {"i32": 3}]}),
    );
    assert_eq!(t.body["result"], json!([{"i32": 5}]), "{}", t.text);

    // A guest error is a failed run with the plugin's message.
    let f = s.run(
        None,
        json!({"plugin": "echo", "call": "fail", "input": "x"}),
    );
    assert_eq!(f.status, 200);
    assert_eq!(f.body["status"], "failed");
    assert_eq!(f.body["error"]["kind"], "guest");
    assert_eq!(f.body["error"]["code"], 1);

    // The plugin list, health and the API description.
    let l = s.get("/v1/plugins", None);
    let names: Vec<&str> = l.body["plugins"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert!(
        names.contains(&"echo") && names.contains(&"kv_counter"),
        "{names:?}"
    );
    assert_eq!(s.get("/healthz", None).status, 200);
    assert_eq!(s.get("/readyz", None).status, 200);
    let api = s.get("/openapi.json", None);
    for path in [
        "/v1/runs",
        "/v1/runs/{id}",
        "/v1/plugins",
        "/metrics",
        "/v1/admin/aliases/{name}",
    ] {
        assert!(
            api.body["paths"].get(path).is_some(),
            "openapi.json lacks {path}"
        );
    }
}

#[test]
fn bad_requests_get_json_errors_that_name_the_fault() {
    let s = start(&["--max-body", "2KiB"]);
    let cases: Vec<(Vec<u8>, u16, &str)> = vec![
        (b"{not json".to_vec(), 400, "bad request body"),
        (
            br#"{"plugin":"echo","call":"upper","surprise":1}"#.to_vec(),
            400,
            "unknown field `surprise`",
        ),
        (
            br#"{"call":"upper"}"#.to_vec(),
            400,
            "missing field `plugin`",
        ),
        (
            br#"{"plugin":"echo","call":"upper","input":"a","input_base64":"YQ=="}"#.to_vec(),
            400,
            "not both",
        ),
        (
            br#"{"plugin":"echo","call":"upper","input_base64":"%%%"}"#.to_vec(),
            400,
            "input_base64",
        ),
        (
            br#"{"plugin":"echo","call":"add","args":[{"i32":"two"}]}"#.to_vec(),
            400,
            "args[0]",
        ),
        (
            br#"{"plugin":"echo","call":"add","args":[{"u8":1}]}"#.to_vec(),
            400,
            "args[0]",
        ),
        (
            br#"{"plugin":"nope","call":"upper"}"#.to_vec(),
            404,
            "no plugin named `nope`",
        ),
        (
            br#"{"plugin":"echo@^9","call":"upper"}"#.to_vec(),
            404,
            "echo@^9",
        ),
        (
            br#"{"plugin":"sha256:00","call":"upper"}"#.to_vec(),
            404,
            "sha256:00",
        ),
        (
            br#"{"plugin":"echo","call":"upper","fuel":99999999999999}"#.to_vec(),
            403,
            "fuel",
        ),
        (
            br#"{"plugin":"echo","call":"upper","timeout_ms":99999999}"#.to_vec(),
            403,
            "timeout_ms",
        ),
        (
            br#"{"plugin":"kv_counter","call":"incr","input":"k"}"#.to_vec(),
            403,
            "`kv` is not granted",
        ),
        (
            format!(
                r#"{{"plugin":"echo","call":"upper","input":"{}"}}"#,
                "x".repeat(4096)
            )
            .into_bytes(),
            413,
            "2048-byte cap",
        ),
    ];
    for (body, status, want) in cases {
        let a = s.send("POST", "/v1/runs", None, &[], &body);
        assert_eq!(
            a.status,
            status,
            "{}: {}",
            String::from_utf8_lossy(&body[..body.len().min(80)]),
            a.text
        );
        let msg = a.body["error"]["message"]
            .as_str()
            .unwrap_or_else(|| panic!("{}", a.text));
        assert!(msg.contains(want), "{msg} lacks {want}");
        assert_eq!(a.body["error"]["status"], status);
    }
    let a = s.get("/v1/runs/no-such-run", None);
    assert_eq!(a.status, 404);
    assert_eq!(s.get("/v2/whatever", None).status, 404);
    // A missing export is a failed run naming it.
    let m = s.run(None, json!({"plugin": "echo", "call": "nothing_here"}));
    assert_eq!(m.body["status"], "failed", "{}", m.text);
    assert!(m.body["error"]["message"]
        .as_str()
        .unwrap()
        .contains("nothing_here"));
    // A bad Idempotency-Key.
    let k = s.send(
        "POST",
        "/v1/runs",
        None,
        &[("idempotency-key", &"k".repeat(300))],
        br#"{"plugin":"echo","call":"upper"}"#,
    );
    assert_eq!(k.status, 400, "{}", k.text);
}

/// A waited run without an idempotency key is written once, when it ends; while it
/// runs, `GET /v1/runs/{id}` shows it from the service's memory, to its tenant only.
#[test]
fn a_waited_run_is_shown_from_memory_until_its_one_write() {
    let tmp = tempfile::tempdir().unwrap();
    let tenants = tenants_file(
        tmp.path(),
        &format!(
            r#"
[tenants.acme]
token-sha256 = "{}"
plugins = ["hostile"]
[tenants.globex]
token-sha256 = "{}"
plugins = ["echo"]
"#,
            hash("acme-token"),
            hash("globex-token")
        ),
    );
    let (s, sink) = start_with_sink(tmp.path(), &["--tenants", &tenants]);
    std::thread::scope(|scope| {
        let slow = scope.spawn(|| {
            s.run(
                Some("acme-token"),
                json!({"plugin": "hostile", "call": "spin", "timeout_ms": 1500}),
            )
        });
        // Its id, from the `run.started` event (its caller learns it at the end).
        let started = Instant::now();
        let id = loop {
            if let Some(e) = sink_events(&sink)
                .into_iter()
                .find(|e| e["event"] == "run.started")
            {
                break e["run"]["run_id"].as_str().unwrap().to_string();
            }
            assert!(
                started.elapsed() < Duration::from_secs(10),
                "no run.started"
            );
            std::thread::sleep(Duration::from_millis(5));
        };
        let during = s.get(&format!("/v1/runs/{id}"), Some("acme-token"));
        assert_eq!(during.status, 200, "{}", during.text);
        assert_eq!(during.body["status"], "running", "{}", during.text);
        assert!(during.body["started_ms"].as_u64().is_some());
        // Another tenant does not see it.
        let other = s.get(&format!("/v1/runs/{id}"), Some("globex-token"));
        assert_eq!(other.status, 404, "{}", other.text);
        let done = slow.join().unwrap();
        assert_eq!(done.status, 200, "{}", done.text);
        assert_eq!(done.body["run_id"], id.as_str());
        assert_eq!(done.body["status"], "failed");
        assert_eq!(done.body["error"]["kind"], "budget", "{}", done.text);
        // Stored: the same record, read back from the store.
        let after = s.get(&format!("/v1/runs/{id}"), Some("acme-token"));
        assert_eq!(after.body, done.body);
        assert_eq!(
            s.get(&format!("/v1/runs/{id}"), Some("globex-token"))
                .status,
            404
        );
    });
}

#[test]
fn tenants_see_only_their_plugins_runs_and_keys() {
    let tmp = tempfile::tempdir().unwrap();
    let tenants = tenants_file(
        tmp.path(),
        &format!(
            r#"
[tenants.acme]
token-sha256 = "{}"
plugins = ["echo", "kv_counter"]
max-fuel = 1000000
max-timeout-ms = 2000
[tenants.acme.policy.plugins.kv_counter]
allow = ["kv"]

[tenants.globex]
token-sha256 = "{}"
plugins = ["kv_counter", "echo@=1.2.0"]
rate = "1/2"
[tenants.globex.policy.plugins.kv_counter]
allow = ["kv"]

[tenants.ops]
token-sha256 = "{}"
admin = true

[tenants.initech]
token-sha256 = "{}"
plugins = ["echo"]
rate = "1/1"
"#,
            hash("acme-token"),
            hash("globex-token"),
            hash("ops-token"),
            hash("initech-token")
        ),
    );
    let data = tmp.path().join("data");
    let s = start_in(tmp.path(), &data, &["--tenants", &tenants]);
    // No token, or a wrong one.
    let a = s.run(None, json!({"plugin": "echo", "call": "upper"}));
    assert_eq!(a.status, 401, "{}", a.text);
    assert_eq!(a.header("www-authenticate"), Some("Bearer"));
    assert_eq!(
        s.run(Some("nope"), json!({"plugin": "echo", "call": "upper"}))
            .status,
        401
    );
    assert_eq!(s.get("/v1/plugins", None).status, 401);

    // KV: each tenant counts in its own store.
    let incr = |t: &str| {
        let a = s.run(
            Some(t),
            json!({"plugin": "kv_counter", "call": "incr", "input": "hits"}),
        );
        assert_eq!(a.status, 200, "{}", a.text);
        assert_eq!(a.body["status"], "finished", "{}", a.text);
        a.body["output"].as_str().unwrap().to_string()
    };
    assert_eq!(incr("acme-token"), "1");
    assert_eq!(incr("acme-token"), "2");
    assert_eq!(incr("globex-token"), "1");
    assert!(data.join("kv/acme.sqlite").is_file());
    assert!(data.join("kv/globex.sqlite").is_file());

    // Another tenant's run is not found.
    let mine = s.run(
        Some("acme-token"),
        json!({"plugin": "echo", "call": "upper", "input": "a"}),
    );
    let id = mine.body["run_id"].as_str().unwrap();
    assert_eq!(
        s.get(&format!("/v1/runs/{id}"), Some("acme-token")).status,
        200
    );
    assert_eq!(
        s.get(&format!("/v1/runs/{id}"), Some("globex-token"))
            .status,
        404
    );

    // Plugins outside the tenant's list, and limits beyond its own.
    let f = s.run(
        Some("ops-token"),
        json!({"plugin": "echo", "call": "upper"}),
    );
    assert_eq!(f.status, 403, "{}", f.text);
    let v = s.run(
        Some("globex-token"),
        json!({"plugin": "echo@=1.3.0", "call": "upper"}),
    );
    assert_eq!(v.status, 403, "{}", v.text);
    let fuel = s.run(
        Some("acme-token"),
        json!({"plugin": "echo", "call": "upper", "fuel": 2000000}),
    );
    assert_eq!(fuel.status, 403, "{}", fuel.text);
    let t = s.run(
        Some("acme-token"),
        json!({"plugin": "echo", "call": "upper", "timeout_ms": 3000}),
    );
    assert_eq!(t.status, 403, "{}", t.text);
    let ok = s.run(
        Some("acme-token"),
        json!({"plugin": "echo", "call": "upper", "fuel": 500000, "timeout_ms": 1000}),
    );
    assert_eq!(ok.status, 200, "{}", ok.text);

    // Each tenant's list.
    let list = |t: &str| -> Vec<String> {
        s.get("/v1/plugins", Some(t)).body["plugins"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| {
                format!(
                    "{}@{}",
                    p["name"].as_str().unwrap(),
                    p["version"].as_str().unwrap()
                )
            })
            .collect()
    };
    let g = list("globex-token");
    assert!(
        g.contains(&"echo@1.2.0".to_string()) && !g.contains(&"echo@1.3.0".to_string()),
        "{g:?}"
    );
    assert!(list("ops-token").is_empty());

    // globex's rate: 1 run per second, burst 2. The rate is checked before the
    // plugin is resolved, so the refused version above took a token too.
    let mut limited = None;
    for _ in 0..4 {
        let r = s.run(
            Some("globex-token"),
            json!({"plugin": "echo@=1.2.0", "call": "upper"}),
        );
        if r.status == 429 {
            limited = Some(r);
            break;
        }
    }
    let r = limited.expect("the rate limit never answered 429");
    let retry: u64 = r.header("retry-after").unwrap().parse().unwrap();
    assert!((1..=2).contains(&retry), "Retry-After {retry}");
    assert!(r.body["error"]["message"]
        .as_str()
        .unwrap()
        .contains("rate limit"));

    // initech's rate: 1 run per second, burst 1. Over the rate, a run with a new
    // key is refused, but a retry of an admitted run gets that run back (it is
    // not a new run).
    let keyed = |key: &str| {
        s.send(
            "POST",
            "/v1/runs",
            Some("initech-token"),
            &[("idempotency-key", key)],
            br#"{"plugin":"echo","call":"upper","input":"again"}"#,
        )
    };
    let first = keyed("retry-1");
    assert_eq!(first.status, 200, "{}", first.text);
    assert_eq!(keyed("retry-2").status, 429);
    let again = keyed("retry-1");
    assert_eq!(again.status, 200, "{}", again.text);
    assert_eq!(again.body["run_id"], first.body["run_id"]);
    assert_eq!(again.body["output"], "AGAIN");

    // Admin endpoints: only for admins.
    assert_eq!(
        s.post("/v1/admin/reload", Some("acme-token"), &json!({}))
            .status,
        403
    );
    assert_eq!(
        s.post("/v1/admin/reload", Some("ops-token"), &json!({}))
            .status,
        200
    );
    // Metrics carry no tenant names.
    let m = s.get("/metrics", None).text;
    assert!(m.contains("caplet_runs_total{"), "{m}");
    for name in ["acme", "globex", "ops", "initech"] {
        assert!(!m.contains(name), "metrics name tenant {name}");
    }
}

#[test]
fn an_idempotency_key_runs_the_plugin_once() {
    let tmp = tempfile::tempdir().unwrap();
    let policy = tmp.path().join("policy.toml");
    std::fs::write(&policy, "[plugins.kv_counter]\nallow = [\"kv\"]\n").unwrap();
    let s = start_in(
        tmp.path(),
        &tmp.path().join("data"),
        &["--policy", policy.to_str().unwrap()],
    );
    let body = br#"{"plugin":"kv_counter","call":"incr","input":"n"}"#;
    let first = s.send(
        "POST",
        "/v1/runs",
        None,
        &[("idempotency-key", "job-1")],
        body,
    );
    assert_eq!(first.status, 200, "{}", first.text);
    assert_eq!(first.body["output"], "1");
    let again = s.send(
        "POST",
        "/v1/runs",
        None,
        &[("idempotency-key", "job-1")],
        body,
    );
    assert_eq!(again.status, 200);
    assert_eq!(again.body, first.body, "the first run's record, unchanged");
    // The plugin ran once: the next count is 2.
    let next = s.run(
        None,
        json!({"plugin": "kv_counter", "call": "incr", "input": "n"}),
    );
    assert_eq!(next.body["output"], "2", "{}", next.text);
    // The same key with another body.
    let other = s.send(
        "POST",
        "/v1/runs",
        None,
        &[("idempotency-key", "job-1")],
        br#"{"plugin":"kv_counter","call":"incr","input":"m"}"#,
    );
    assert_eq!(other.status, 409, "{}", other.text);
    assert!(other.body["error"]["message"]
        .as_str()
        .unwrap()
        .contains("another request body"));
}

#[test]
fn kill_switches_and_canaries_route_runs() {
    let tmp = tempfile::tempdir().unwrap();
    let tenants = tenants_file(
        tmp.path(),
        &format!(
            "[tenants.app]\ntoken-sha256 = \"{}\"\nplugins = [\"*\"]\n\
             [tenants.ops]\ntoken-sha256 = \"{}\"\nadmin = true\n",
            hash("app"),
            hash("ops")
        ),
    );
    let aliases = tmp.path().join("aliases.toml");
    std::fs::write(&aliases, "[echo]\n\"1.2.0\" = 95\n\"1.3.0\" = 5\n").unwrap();
    let s = start_in(
        tmp.path(),
        &tmp.path().join("data"),
        &[
            "--tenants",
            &tenants,
            "--aliases",
            aliases.to_str().unwrap(),
        ],
    );
    let run = |plugin: &str| {
        s.run(
            Some("app"),
            json!({"plugin": plugin, "call": "upper", "input": "x"}),
        )
    };

    // The canary: 5 of every 100 runs of `echo` go to 1.3.0, in the record and
    // the metrics; a pinned version bypasses the alias.
    let mut canary = 0;
    for _ in 0..100 {
        let a = run("echo");
        assert_eq!(a.status, 200, "{}", a.text);
        assert_eq!(a.body["alias"], "echo");
        if a.body["version"] == "1.3.0" {
            canary += 1;
        } else {
            assert_eq!(a.body["version"], "1.2.0");
        }
    }
    assert_eq!(canary, 5);
    assert_eq!(
        s.metric(r#"caplet_runs_total{plugin="echo",version="1.3.0",status="finished"}"#),
        Some(5.0)
    );
    let pinned = run("echo@=1.0.0");
    assert_eq!(pinned.body["version"], "1.0.0");
    assert!(pinned.body.get("alias").is_none());
    // Moving every run to the new version, then removing the alias.
    let put = s.send(
        "PUT",
        "/v1/admin/aliases/echo",
        Some("ops"),
        &[],
        br#"{"1.3.0": 1}"#,
    );
    assert_eq!(put.status, 200, "{}", put.text);
    assert_eq!(run("echo").body["version"], "1.3.0");
    let bad = s.send(
        "PUT",
        "/v1/admin/aliases/echo",
        Some("ops"),
        &[],
        br#"{"9.9.9": 1}"#,
    );
    assert_eq!(bad.status, 404, "{}", bad.text);
    assert_eq!(
        s.send("DELETE", "/v1/admin/aliases/echo", Some("ops"), &[], b"")
            .status,
        200
    );
    assert_eq!(
        run("echo").body["version"],
        "1.3.0",
        "the highest version, with no alias"
    );
    assert!(run("echo").body.get("alias").is_none());
    assert_eq!(
        s.send("DELETE", "/v1/admin/aliases/echo", Some("ops"), &[], b"")
            .status,
        404
    );
    assert_eq!(
        s.send(
            "PUT",
            "/v1/admin/aliases/echo",
            Some("app"),
            &[],
            br#"{"1.3.0": 1}"#
        )
        .status,
        403
    );

    // Kill switches: one plugin, then everything.
    let off = s.post("/v1/admin/disable", Some("ops"), &json!({"plugin": "echo"}));
    assert_eq!(off.status, 200, "{}", off.text);
    let a = run("echo");
    assert_eq!(a.status, 503, "{}", a.text);
    assert!(a.body["error"]["message"]
        .as_str()
        .unwrap()
        .contains("switched off"));
    assert_eq!(
        s.run(
            Some("app"),
            json!({"plugin": "compute", "call": "fib", "args": [{"i32": 10}]})
        )
        .status,
        200
    );
    s.post("/v1/admin/enable", Some("ops"), &json!({"plugin": "echo"}));
    assert_eq!(run("echo").status, 200);
    s.post("/v1/admin/disable", Some("ops"), &json!({}));
    assert_eq!(run("echo").status, 503);
    assert_eq!(s.get("/readyz", None).status, 503);
    s.post("/v1/admin/enable", Some("ops"), &json!({}));
    assert_eq!(run("echo").status, 200);
    assert_eq!(s.get("/readyz", None).status, 200);
}

#[test]
fn hostile_runs_fail_alone_and_a_full_queue_answers_429() {
    let s = start(&["--workers", "1", "--queue", "1"]);
    // An endless loop ends at its timeout; a memory bomb at the memory limit.
    let spin = s.run(
        None,
        json!({"plugin": "hostile", "call": "spin", "timeout_ms": 300}),
    );
    assert_eq!(spin.status, 200, "{}", spin.text);
    assert_eq!(spin.body["status"], "failed");
    assert_eq!(spin.body["error"]["kind"], "budget", "{}", spin.text);
    let fuel = s.run(
        None,
        json!({"plugin": "hostile", "call": "spin", "fuel": 100000}),
    );
    assert_eq!(fuel.body["error"]["kind"], "budget", "{}", fuel.text);
    // `grow` grows memory until memory.grow fails, and reports the pages it got:
    // the budget stops it.
    let grow = s.run(None, json!({"plugin": "hostile", "call": "grow"}));
    assert_eq!(grow.body["status"], "finished", "{}", grow.text);
    let peak = grow.body["usage"]["memory_peak_bytes"].as_u64().unwrap();
    assert!(
        peak <= 16 << 20,
        "memory peak {peak} over the server budget"
    );
    let deep = s.run(None, json!({"plugin": "hostile", "call": "recurse"}));
    assert_eq!(deep.body["status"], "failed", "{}", deep.text);
    // The service is unharmed.
    assert_eq!(
        s.run(
            None,
            json!({"plugin": "echo", "call": "upper", "input": "ok"})
        )
        .body["output"],
        "OK"
    );
    assert!(
        s.metric(r#"caplet_limit_hits_total{kind="timeout"}"#)
            .unwrap_or(0.0)
            >= 1.0
    );
    assert!(
        s.metric(r#"caplet_limit_hits_total{kind="fuel"}"#)
            .unwrap_or(0.0)
            >= 1.0
    );

    // One worker, one queue slot: a third run at once is refused.
    let slow = json!({"plugin": "hostile", "call": "spin", "timeout_ms": 1500, "wait": false});
    let first = s.run(None, slow.clone());
    assert_eq!(first.status, 202);
    assert_eq!(s.run(None, slow.clone()).status, 202);
    let full = s.run(None, slow);
    assert_eq!(full.status, 429, "{}", full.text);
    assert!(full.header("retry-after").is_some());
    assert!(full.body["error"]["message"]
        .as_str()
        .unwrap()
        .contains("queue is full"));
}

#[test]
fn slow_clients_are_cut() {
    let s = start(&["--header-timeout-ms", "300", "--body-timeout-ms", "300"]);
    // A header that never ends: the connection is closed.
    let mut c = TcpStream::connect(&s.addr).unwrap();
    c.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    c.write_all(b"POST /v1/runs HTTP/1.1\r\nHost: x\r\n")
        .unwrap();
    let started = Instant::now();
    let mut buf = Vec::new();
    let _ = c.read_to_end(&mut buf);
    assert!(started.elapsed() < Duration::from_secs(4), "not cut");
    // A body that never ends: 408.
    let mut c = TcpStream::connect(&s.addr).unwrap();
    c.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    c.write_all(b"POST /v1/runs HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{\"plu")
        .unwrap();
    let mut buf = [0u8; 512];
    let n = c.read(&mut buf).unwrap();
    let head = String::from_utf8_lossy(&buf[..n]);
    assert!(head.starts_with("HTTP/1.1 408"), "{head}");
    // The service still answers.
    assert_eq!(s.get("/healthz", None).status, 200);
}

/// A `GET /healthz` on connection `c` (kept alive): the status line, or `None`
/// when nothing came back within `wait`.
fn healthz_on(c: &mut TcpStream, wait: Duration) -> Option<String> {
    c.set_read_timeout(Some(wait)).unwrap();
    c.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        .unwrap();
    let mut buf = [0u8; 512];
    match c.read(&mut buf) {
        Ok(n) if n > 0 => Some(
            String::from_utf8_lossy(&buf[..n])
                .lines()
                .next()
                .unwrap_or("")
                .to_string(),
        ),
        _ => None,
    }
}

#[test]
fn connections_past_the_cap_wait_until_one_closes() {
    let s = start(&["--max-connections", "2"]);
    // Two keep-alive connections take both slots, and stay open.
    let mut a = TcpStream::connect(&s.addr).unwrap();
    let mut b = TcpStream::connect(&s.addr).unwrap();
    for c in [&mut a, &mut b] {
        let line = healthz_on(c, Duration::from_secs(5));
        assert_eq!(line.as_deref(), Some("HTTP/1.1 200 OK"));
    }
    // A third is accepted by the kernel (the listen backlog) but not served.
    let mut c = TcpStream::connect(&s.addr).unwrap();
    assert_eq!(
        healthz_on(&mut c, Duration::from_millis(700)),
        None,
        "a connection past the cap was served"
    );
    // Closing one frees its slot: the waiting connection is served.
    drop(a);
    let mut buf = [0u8; 512];
    c.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let n = c.read(&mut buf).unwrap();
    assert!(
        String::from_utf8_lossy(&buf[..n]).starts_with("HTTP/1.1 200 OK"),
        "{}",
        String::from_utf8_lossy(&buf[..n])
    );
    // The open one still works.
    assert_eq!(
        healthz_on(&mut b, Duration::from_secs(5)).as_deref(),
        Some("HTTP/1.1 200 OK")
    );
}

#[test]
fn sigterm_drains_running_runs_then_exits() {
    let mut s = start(&["--workers", "1"]);
    let addr = s.addr.clone();
    // A run that takes about a second, waited for on another thread.
    let waiter = std::thread::spawn(move || {
        let mut resp = agent()
            .post(format!("http://{addr}/v1/runs"))
            .header("content-type", "application/json")
            .send(json!({"plugin": "hostile", "call": "spin", "timeout_ms": 1000}).to_string())
            .unwrap();
        let status = resp.status().as_u16();
        let text = resp.body_mut().read_to_string().unwrap();
        (status, serde_json::from_str::<Value>(&text).unwrap())
    });
    std::thread::sleep(Duration::from_millis(300));
    let pid = rustix::process::Pid::from_child(&s.child);
    rustix::process::kill_process(pid, rustix::process::Signal::TERM).unwrap();
    let (status, rec) = waiter.join().unwrap();
    assert_eq!(status, 200, "the waiting caller got its answer: {rec}");
    assert_eq!(rec["error"]["kind"], "budget", "{rec}");
    let exit = s.child.wait().unwrap();
    assert!(exit.success(), "{exit}");
    // The run is recorded as ended.
    let store = caplet::serve::store::SqliteRuns::open(
        &s.data.join("runs.sqlite"),
        caplet::serve::store::Durability::Process,
    )
    .unwrap();
    let got = caplet::serve::store::Runs::get(&store, "default", rec["run_id"].as_str().unwrap())
        .unwrap()
        .unwrap();
    assert_eq!(got.status, "failed");
}

#[test]
fn after_kill_9_every_answered_run_is_stored_and_retries_return_it() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let s = start_in(tmp.path(), &data, &["--workers", "1", "--queue", "500"]);
    // Queue many runs, some of them slow, then kill the process mid-way.
    let mut answered = Vec::new();
    for i in 0..60 {
        let body = if i % 10 == 0 {
            json!({"plugin": "hostile", "call": "spin", "timeout_ms": 200, "wait": false})
        } else {
            json!({"plugin": "echo", "call": "upper", "input": format!("n{i}"), "wait": false})
        };
        let key = format!("key-{i}");
        let a = s.send(
            "POST",
            "/v1/runs",
            None,
            &[("idempotency-key", &key)],
            body.to_string().as_bytes(),
        );
        assert_eq!(a.status, 202, "{}", a.text);
        answered.push((key, body, a.body["run_id"].as_str().unwrap().to_string()));
    }
    drop(s); // SIGKILL
    let s = start_in(tmp.path(), &data, &[]);
    let mut interrupted = 0;
    for (key, body, id) in &answered {
        let g = s.get(&format!("/v1/runs/{id}"), None);
        assert_eq!(g.status, 200, "run {id} was lost: {}", g.text);
        match g.body["status"].as_str().unwrap() {
            "finished" | "failed" => {}
            "interrupted" => interrupted += 1,
            other => panic!("run {id} is still {other} after a restart"),
        }
        // A retry with the same key returns the original run.
        let r = s.send(
            "POST",
            "/v1/runs",
            None,
            &[("idempotency-key", key)],
            body.to_string().as_bytes(),
        );
        assert_eq!(r.body["run_id"].as_str(), Some(id.as_str()), "{}", r.text);
    }
    assert!(
        interrupted > 0,
        "the kill came after every run had ended; nothing was in flight"
    );
}

/// The bytes of records in each of the run journal's segments under `data` (a
/// segment is preallocated: its lines, then zeros).
fn journal_segments(data: &Path) -> Vec<u64> {
    std::fs::read_dir(data)
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().starts_with("runs.journal."))
        .map(|e| {
            let text = std::fs::read(e.path()).unwrap();
            text.iter()
                .rposition(|b| *b != 0)
                .map_or(0, |i| i as u64 + 1)
        })
        .collect()
}

/// A waited run without an idempotency key is answered once its final record is
/// in the run journal, before that reaches SQLite. Here the journal moves records
/// only every ten minutes, so every answered run is still in it when the process is
/// killed: the next start reads the journal back, and every run is found with the
/// record its caller got. Before the kill, `GET` shows the journaled runs from
/// memory.
#[test]
fn after_kill_9_journaled_runs_are_read_back_from_the_journal() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let s = start_in(tmp.path(), &data, &["--journal-ms", "600000"]);
    let mut answered = Vec::new();
    for i in 0..20 {
        let a = s.run(
            None,
            json!({"plugin": "echo", "call": "upper", "input": format!("n{i}")}),
        );
        assert_eq!(a.status, 200, "{}", a.text);
        assert_eq!(a.body["output"], format!("N{i}"), "{}", a.text);
        answered.push(a.body.clone());
    }
    let first = answered[0]["run_id"].as_str().unwrap();
    let g = s.get(&format!("/v1/runs/{first}"), None);
    assert_eq!(g.status, 200, "{}", g.text);
    assert_eq!(g.body, answered[0], "shown from memory as answered");
    assert!(
        journal_segments(&data).iter().sum::<u64>() > 0,
        "no journal segment under --data"
    );
    drop(s); // SIGKILL
    let s = start_in(tmp.path(), &data, &[]);
    for rec in &answered {
        let id = rec["run_id"].as_str().unwrap();
        let g = s.get(&format!("/v1/runs/{id}"), None);
        assert_eq!(g.status, 200, "run {id} was lost: {}", g.text);
        assert_eq!(&g.body, rec, "run {id} is not stored as it was answered");
    }
    // Read back into the store: only new, empty segments are left.
    let left = journal_segments(&data);
    assert!(
        !left.is_empty() && left.iter().all(|n| *n == 0),
        "journal segments after the read-back: {left:?}"
    );
    let log = std::fs::read_to_string(&s.log).unwrap();
    assert!(
        log.lines().any(|l| {
            l.contains("left in the journal by the last process stored")
                && l.contains("\"runs\":20")
        }),
        "the restart did not say it read the journal back: {log}"
    );
}

/// SIGTERM stores what the run journal holds before the process exits, at once,
/// even when the journal would move records into SQLite only every ten minutes.
#[test]
fn sigterm_moves_the_journal_into_the_store_before_exiting() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let mut s = start_in(tmp.path(), &data, &["--journal-ms", "600000"]);
    let ids: Vec<String> = (0..10)
        .map(|i| {
            let a = s.run(
                None,
                json!({"plugin": "echo", "call": "upper", "input": format!("t{i}")}),
            );
            assert_eq!(a.status, 200, "{}", a.text);
            a.body["run_id"].as_str().unwrap().to_string()
        })
        .collect();
    let pid = rustix::process::Pid::from_child(&s.child);
    let asked = std::time::Instant::now();
    rustix::process::kill_process(pid, rustix::process::Signal::TERM).unwrap();
    let exit = s.child.wait().unwrap();
    assert!(exit.success(), "{exit}");
    assert!(
        asked.elapsed() < Duration::from_secs(10),
        "the service took {:?} to stop",
        asked.elapsed()
    );
    let store = caplet::serve::store::SqliteRuns::open(
        &data.join("runs.sqlite"),
        caplet::serve::store::Durability::Process,
    )
    .unwrap();
    for (i, id) in ids.iter().enumerate() {
        let got = caplet::serve::store::Runs::get(&store, "default", id)
            .unwrap()
            .unwrap_or_else(|| panic!("run {id} is not in the store after SIGTERM"));
        assert_eq!(got.output.as_deref(), Some(format!("T{i}").as_str()));
    }
    assert_eq!(
        journal_segments(&data).iter().sum::<u64>(),
        0,
        "records left in the journal after SIGTERM"
    );
}

/// With the journal moving records into SQLite every millisecond, a run read
/// right after its answer is always found, with the record its caller got,
/// whether it is still in memory or already in the store.
#[test]
fn a_journaled_run_is_found_as_answered_across_the_move_into_the_store() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let s = start_in(tmp.path(), &data, &["--journal-ms", "1"]);
    std::thread::scope(|scope| {
        for t in 0..4 {
            let s = &s;
            scope.spawn(move || {
                for i in 0..60 {
                    let a = s.run(
                        None,
                        json!({"plugin": "echo", "call": "upper", "input": format!("{t}-{i}")}),
                    );
                    assert_eq!(a.status, 200, "{}", a.text);
                    let id = a.body["run_id"].as_str().unwrap();
                    let g = s.get(&format!("/v1/runs/{id}"), None);
                    assert_eq!(
                        g.status, 200,
                        "run {id} not found after its answer: {}",
                        g.text
                    );
                    assert_eq!(g.body, a.body, "run {id}");
                }
            });
        }
    });
}

#[test]
fn reloads_free_old_engines_and_rss_stays_flat() {
    let tmp = tempfile::tempdir().unwrap();
    let tenants = tenants_file(
        tmp.path(),
        &format!(
            "[tenants.app]\ntoken-sha256 = \"{}\"\nplugins = [\"*\"]\nadmin = true\n",
            hash("t")
        ),
    );
    let s = start_in(
        tmp.path(),
        &tmp.path().join("data"),
        &["--tenants", &tenants, "--workers", "1"],
    );
    let cycle = || {
        let r = s.post("/v1/admin/reload", Some("t"), &json!({}));
        assert_eq!(r.status, 200, "{}", r.text);
        // A run loads (compiles) the plugin in the new generation.
        let a = s.run(
            Some("t"),
            json!({"plugin": "echo", "call": "upper", "input": "x"}),
        );
        assert_eq!(a.body["output"], "X", "{}", a.text);
        r.body["generation"].as_u64().unwrap()
    };
    for _ in 0..100 {
        cycle();
    }
    let warm = s.rss_kib();
    let mut last = 0;
    for _ in 0..900 {
        last = cycle();
    }
    let after = s.rss_kib();
    assert_eq!(last, 1001);
    // Only the current generation is alive: every old engine was dropped.
    assert_eq!(s.metric("caplet_engine_generations "), Some(1.0));
    eprintln!("RSS after 100 reloads: {warm} KiB; after 1,000: {after} KiB");
    assert!(
        after < warm + 4 * 1024,
        "RSS grew from {warm} KiB to {after} KiB over 900 reloads"
    );
}

#[test]
fn the_service_confines_itself_and_says_how() {
    let s = start(&[]);
    // The kernel's view of the running service: seccomp filter mode and
    // no_new_privs.
    let status = std::fs::read_to_string(format!("/proc/{}/status", s.child.id())).unwrap();
    let field = |name: &str| {
        status
            .lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .unwrap_or_else(|| panic!("no {name} in /proc/PID/status"))
            .to_string()
    };
    assert_eq!(field("Seccomp:"), "2", "a seccomp filter is installed");
    assert_eq!(field("NoNewPrivs:"), "1");
    // Runs still work confined, KV included (beneath --data).
    let a = s.run(
        None,
        json!({"plugin": "echo", "call": "upper", "input": "still"}),
    );
    assert_eq!(a.body["output"], "STILL", "{}", a.text);
    let log = std::fs::read_to_string(&s.log).unwrap();
    assert!(log.contains("self-confinement"), "{log}");
    assert!(log.contains("seccomp: enforced"), "{log}");
    assert!(log.contains("landlock: "), "{log}");

    // And without it, when asked.
    let open = start(&["--dangerous-no-confine"]);
    let status = std::fs::read_to_string(format!("/proc/{}/status", open.child.id())).unwrap();
    assert!(
        status
            .lines()
            .any(|l| l.starts_with("Seccomp:") && l.ends_with('0')),
        "{status}"
    );
}

#[test]
fn a_flood_past_the_queue_gets_429s_not_memory() {
    let s = start(&["--workers", "1", "--queue", "4"]);
    // Warm: the plugin loaded and an instance pooled.
    let warm = s.run(
        None,
        json!({"plugin": "hostile", "call": "spin", "timeout_ms": 10}),
    );
    assert_eq!(warm.status, 200, "{}", warm.text);
    let before = s.rss_kib();
    let addr = s.addr.clone();
    let body =
        json!({"plugin": "hostile", "call": "spin", "timeout_ms": 200, "wait": false}).to_string();
    let threads: Vec<_> = (0..16)
        .map(|_| {
            let (addr, body) = (addr.clone(), body.clone());
            std::thread::spawn(move || {
                let agent = agent();
                let (mut accepted, mut refused) = (0u32, 0u32);
                for _ in 0..150 {
                    let resp = agent
                        .post(format!("http://{addr}/v1/runs"))
                        .header("content-type", "application/json")
                        .send(body.clone())
                        .unwrap();
                    match resp.status().as_u16() {
                        202 => accepted += 1,
                        429 => {
                            assert!(resp.headers().get("retry-after").is_some());
                            refused += 1
                        }
                        other => panic!("status {other}"),
                    }
                }
                (accepted, refused)
            })
        })
        .collect();
    let (mut accepted, mut refused) = (0, 0);
    for t in threads {
        let (a, r) = t.join().unwrap();
        accepted += a;
        refused += r;
    }
    let after = s.rss_kib();
    eprintln!(
        "2,400 requests: {accepted} admitted, {refused} refused; RSS {before} -> {after} KiB"
    );
    // One worker, four queue slots, runs of 200 ms: only a few are admitted.
    assert!(refused > 2000, "{refused} refused");
    assert!(accepted >= 5, "{accepted} admitted");
    assert!(
        after < before + 8 * 1024,
        "RSS grew from {before} KiB to {after} KiB under the flood"
    );
    assert!(
        s.metric(r#"caplet_limit_hits_total{kind="queue"}"#)
            .unwrap_or(0.0)
            >= 2000.0
    );
}

/// A registry process (Debian's docker-registry) on a free loopback port.
struct RegistryProc {
    child: Child,
    port: u16,
    _dir: tempfile::TempDir,
}

impl Drop for RegistryProc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl RegistryProc {
    fn start() -> RegistryProc {
        let dir = tempfile::tempdir().unwrap();
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let config = dir.path().join("config.yml");
        std::fs::write(
            &config,
            format!(
                "version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n    rootdirectory: {}\nhttp:\n  addr: 127.0.0.1:{port}\n",
                dir.path().join("data").display()
            ),
        )
        .unwrap();
        let child = Command::new("docker-registry")
            .arg("serve")
            .arg(&config)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("docker-registry (scripts/setup.sh installs it)");
        let until = Instant::now() + Duration::from_secs(20);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < until, "the registry did not start");
            std::thread::sleep(Duration::from_millis(50));
        }
        RegistryProc {
            child,
            port,
            _dir: dir,
        }
    }
}

#[test]
fn a_registry_reference_runs_for_the_tenants_that_list_it() {
    let reg = RegistryProc::start();
    let tmp = tempfile::tempdir().unwrap();
    // Push echo 1.2.0 with the CLI.
    let src = tmp.path().join("src");
    std::fs::create_dir_all(&src).unwrap();
    sidecar(&src, "echo", "1.2.0", &caplet_tests::plugin("echo"));
    let reference = format!("127.0.0.1:{}/plugins/echo:1.2.0", reg.port);
    let o = Command::new(env!("CARGO_BIN_EXE_caplet"))
        .args(["push"])
        .arg(src.join("echo-1.2.0.json"))
        .args([&reference, "--insecure"])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));

    let tenants = tenants_file(
        tmp.path(),
        &format!(
            "[tenants.pulls]\ntoken-sha256 = \"{}\"\nplugins = [\"{reference}\"]\n\
             [tenants.other]\ntoken-sha256 = \"{}\"\nplugins = [\"*\"]\n",
            hash("p"),
            hash("o")
        ),
    );
    let data = tmp.path().join("data");
    let registry = format!("127.0.0.1:{}", reg.port);
    let s = start_in(
        tmp.path(),
        &data,
        &["--tenants", &tenants, "--insecure-registry", &registry],
    );
    let a = s.run(
        Some("p"),
        json!({"plugin": reference, "call": "upper", "input": "pulled"}),
    );
    assert_eq!(a.status, 200, "{}", a.text);
    assert_eq!(a.body["output"], "PULLED");
    assert_eq!(a.body["plugin"], "echo");
    assert_eq!(a.body["version"], "1.2.0");
    // Pulled into the service's store under --data.
    let module = Digest::of(&caplet_tests::plugin("echo")).to_hex();
    assert!(data.join("oci/blobs/sha256").join(&module).is_file());
    // "*" covers the plugin directories, not registries.
    let o = s.run(
        Some("o"),
        json!({"plugin": reference, "call": "upper", "input": "x"}),
    );
    assert_eq!(o.status, 403, "{}", o.text);
    // A reference nobody pushed: the registry's answer, as a 502.
    let missing = format!("127.0.0.1:{}/plugins/nothing:1.0.0", reg.port);
    let tenants2 = tenants_file(
        tmp.path(),
        &format!(
            "[tenants.pulls]\ntoken-sha256 = \"{}\"\nplugins = [\"{missing}\"]\n",
            hash("p")
        ),
    );
    drop(s);
    let s = start_in(
        tmp.path(),
        &tmp.path().join("data2"),
        &["--tenants", &tenants2, "--insecure-registry", &registry],
    );
    let m = s.run(Some("p"), json!({"plugin": missing, "call": "upper"}));
    assert_eq!(m.status, 502, "{}", m.text);
}

#[test]
fn run_events_go_to_the_event_sink_as_json_lines() {
    let tmp = tempfile::tempdir().unwrap();
    let (s, sink) = start_with_sink(tmp.path(), &[]);
    let ok = s.run(
        None,
        json!({"plugin": "echo", "call": "upper", "input": "e"}),
    );
    let failed = s.run(
        None,
        json!({"plugin": "echo", "call": "fail", "input": "e"}),
    );
    let events: Vec<Value> = std::fs::read_to_string(&sink)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let of = |id: &Value| -> Vec<&str> {
        events
            .iter()
            .filter(|e| e["run"]["run_id"] == *id)
            .map(|e| e["event"].as_str().unwrap())
            .collect()
    };
    assert_eq!(of(&ok.body["run_id"]), ["run.started", "run.finished"]);
    assert_eq!(of(&failed.body["run_id"]), ["run.started", "run.failed"]);
    let end = events.iter().find(|e| e["event"] == "run.failed").unwrap();
    assert_eq!(end["tenant"], "default");
    assert_eq!(end["run"]["error"]["kind"], "guest");
    assert!(end["at_ms"].as_u64().unwrap() > 0);
}

#[test]
fn unsafe_start_up_settings_are_refused_with_a_reason() {
    let tmp = tempfile::tempdir().unwrap();
    let plugins = plugin_dir(tmp.path());
    let serve = |args: &[&str]| {
        let o = Command::new(env!("CARGO_BIN_EXE_caplet"))
            .arg("serve")
            .arg("--data")
            .arg(tmp.path().join("data"))
            .arg("--plugin-dir")
            .arg(&plugins)
            .args(args)
            .output()
            .unwrap();
        (
            o.status.code(),
            String::from_utf8_lossy(&o.stderr).into_owned(),
        )
    };
    // No tokens: loopback only.
    let (code, err) = serve(&["--listen", "0.0.0.0:0"]);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("loopback only"), "{err}");
    // Each tenant's KV is its own: a shared kv-store in the policy is refused.
    let policy = tmp.path().join("policy.toml");
    std::fs::write(&policy, "[defaults]\nkv-store = \"shared.sqlite\"\n").unwrap();
    let (code, err) = serve(&[
        "--listen",
        "127.0.0.1:0",
        "--policy",
        policy.to_str().unwrap(),
    ]);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("kv-store is not set"), "{err}");
    // PostgreSQL is the only database.
    let (code, err) = serve(&[
        "--listen",
        "127.0.0.1:0",
        "--database",
        "mysql://u:secret@h/db",
    ]);
    assert_eq!(code, Some(2), "{err}");
    assert!(
        err.contains("`mysql` URLs are not supported") && !err.contains("secret"),
        "{err}"
    );
    // The run journal is SQLite's at process durability: a setting for it that
    // would do nothing is refused, not ignored.
    for (without, message) in [
        (
            ["--durability", "power"],
            "--journal-ms 10: there is no run journal with --durability power",
        ),
        (
            ["--database", "postgres://caplet@127.0.0.1:1/none"],
            "--journal-ms 10: there is no run journal with --database",
        ),
    ] {
        let mut args = vec!["--listen", "127.0.0.1:0", "--journal-ms", "10"];
        args.extend(without);
        let (code, err) = serve(&args);
        assert_eq!(code, Some(2), "{err}");
        assert!(err.contains(message), "{err}");
    }
}

/// The service's policy file may list `trusted-keys`: every plugin it loads must
/// then carry a valid signature by one of them (a sidecar beside a module of the
/// plugin directory, or an artifact's annotation). An unsigned plugin is refused
/// with an error that says so; a signed one runs.
#[test]
fn a_policy_with_trusted_keys_runs_signed_plugins_only() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    let cli = |args: &[&str]| {
        let o = Command::new(env!("CARGO_BIN_EXE_caplet"))
            .args(args)
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    };
    let plugins = root.join("plugins");
    std::fs::create_dir_all(&plugins).unwrap();
    let compute = plugins.join("compute.wasm");
    std::fs::write(&compute, caplet_tests::plugin("compute")).unwrap();
    let me = root.join("me");
    cli(&["keygen", me.to_str().unwrap()]);
    let key = root.join("me.key");
    cli(&[
        "sign",
        compute.to_str().unwrap(),
        "--key",
        key.to_str().unwrap(),
        "--sidecar",
    ]);
    let policy = root.join("policy.toml");
    std::fs::write(&policy, "trusted-keys = [\"me.pub\"]\n").unwrap();
    let s = start_in(
        root,
        &root.join("data"),
        &["--policy", policy.to_str().unwrap()],
    );
    let signed = s.run(
        None,
        json!({"plugin": "compute", "call": "count_primes", "args": [{"i32": 100}]}),
    );
    assert_eq!(signed.status, 200, "{}", signed.text);
    assert_eq!(signed.body["status"], "finished", "{}", signed.text);
    assert_eq!(signed.body["result"][0]["i32"], 25, "{}", signed.text);
    let unsigned = s.run(
        None,
        json!({"plugin": "echo", "call": "echo", "input": "x"}),
    );
    assert_eq!(unsigned.status, 422, "{}", unsigned.text);
    let message = unsigned.body["error"]["message"]
        .as_str()
        .unwrap_or_default();
    assert!(
        message.contains("neither pinned nor signed"),
        "{}",
        unsigned.text
    );
}
