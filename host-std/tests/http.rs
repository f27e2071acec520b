//! The HTTP service with the real `http_fetch` plugin against a real HTTP server on
//! 127.0.0.1 started by each test: allowlist, private-address guard, redirects
//! (allowed, to a denied host, to private addresses, too many), binary bodies, size
//! caps, deadlines and the rate limit.

mod common;

use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use base64::Engine as _;
use caplet::deadline::with_call_deadline;
use caplet::http::{HttpConfig, RateLimit};
use caplet::platform::StdPlatform;
use caplet_core::platform::testing::RecordingAudit;
use caplet_core::{Code, Instance, Kind, Limits, Manifest};
use common::{guest_code, instance_with, platform};
use serde_json::{json, Value};

/// A real HTTP server on 127.0.0.1 with a few routes; it counts and records the
/// paths it served.
struct Server {
    server: Arc<tiny_http::Server>,
    port: u16,
    seen: Arc<Mutex<Vec<String>>>,
}

impl Drop for Server {
    fn drop(&mut self) {
        self.server.unblock();
    }
}

fn query(url: &str, key: &str) -> Option<String> {
    let q = url.split_once('?')?.1;
    q.split('&').find_map(|kv| {
        let (k, v) = kv.split_once('=')?;
        (k == key).then(|| {
            v.replace("%3A", ":")
                .replace("%2F", "/")
                .replace("%3F", "?")
        })
    })
}

fn header(name: &str, value: &str) -> tiny_http::Header {
    tiny_http::Header::from_bytes(name.as_bytes(), value.as_bytes()).unwrap()
}

fn handle(mut req: tiny_http::Request) {
    let url = req.url().to_string();
    let path = url.split('?').next().unwrap_or("").to_string();
    let mut body = Vec::new();
    let _ = req.as_reader().read_to_end(&mut body);
    let response = match path.as_str() {
        "/hello" => tiny_http::Response::from_string("hello")
            .with_header(header("X-Served-By", "caplet-test"))
            .boxed(),
        "/echo" => {
            let auth = req
                .headers()
                .iter()
                .find(|h| h.field.equiv("Authorization"))
                .map(|h| h.value.to_string())
                .unwrap_or_default();
            let cookie = req
                .headers()
                .iter()
                .find(|h| h.field.equiv("Cookie"))
                .map(|h| h.value.to_string())
                .unwrap_or_default();
            let host = req
                .headers()
                .iter()
                .find(|h| h.field.equiv("Host"))
                .map(|h| h.value.to_string())
                .unwrap_or_default();
            tiny_http::Response::from_data(body)
                .with_header(header("X-Method", req.method().as_str()))
                .with_header(header("X-Auth", &auth))
                .with_header(header("X-Host", &host))
                .with_header(header("X-Cookie", &cookie))
                .boxed()
        }
        "/redirect" => {
            let to = query(&url, "to").unwrap_or_default();
            let code: u16 = query(&url, "code")
                .and_then(|c| c.parse().ok())
                .unwrap_or(302);
            tiny_http::Response::empty(code)
                .with_header(header("Location", &to))
                .boxed()
        }
        "/loop" => tiny_http::Response::empty(302)
            .with_header(header("Location", "/loop"))
            .boxed(),
        "/big" => {
            let n: usize = query(&url, "n").and_then(|c| c.parse().ok()).unwrap_or(0);
            tiny_http::Response::from_data(vec![b'x'; n]).boxed()
        }
        "/chunked" => {
            // No Content-Length: the cap must hold while streaming.
            let n: usize = query(&url, "n").and_then(|c| c.parse().ok()).unwrap_or(0);
            tiny_http::Response::new(
                200.into(),
                vec![],
                std::io::Cursor::new(vec![b'y'; n]),
                None,
                None,
            )
            .boxed()
        }
        "/slow" => {
            let ms: u64 = query(&url, "ms").and_then(|c| c.parse().ok()).unwrap_or(0);
            std::thread::sleep(Duration::from_millis(ms));
            tiny_http::Response::from_string("late").boxed()
        }
        _ => tiny_http::Response::from_string("no such route")
            .with_status_code(404)
            .boxed(),
    };
    let _ = req.respond(response);
}

impl Server {
    fn start() -> Server {
        let server = Arc::new(tiny_http::Server::http("127.0.0.1:0").unwrap());
        let port = server.server_addr().to_ip().unwrap().port();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let (s, log) = (server.clone(), seen.clone());
        std::thread::spawn(move || {
            for req in s.incoming_requests() {
                log.lock().unwrap().push(req.url().to_string());
                std::thread::spawn(move || handle(req));
            }
        });
        Server { server, port, seen }
    }

    fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    fn seen(&self) -> Vec<String> {
        self.seen.lock().unwrap().clone()
    }
}

fn loopback() -> IpAddr {
    "127.0.0.1".parse().unwrap()
}

/// Operator settings trusting 127.0.0.1 (where the test server lives), no rate limit.
fn trusting() -> HttpConfig {
    HttpConfig {
        trusted: vec![loopback()],
        rate: None,
        ..HttpConfig::default()
    }
}

fn fetcher(caps: &[&str], http: HttpConfig, limits: Limits) -> (Instance, Arc<RecordingAudit>) {
    let (p, audit) = platform(StdPlatform {
        http,
        ..StdPlatform::default()
    });
    // The fixture's manifest asks for `net:outbound:*`; these tests grant narrower
    // scopes, so they load it without its manifest (the link check still applies).
    let manifest = Some(Manifest::anonymous("http_fetch"));
    (
        instance_with("http_fetch", manifest, caps, limits, p),
        audit,
    )
}

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

fn fetch(i: &mut Instance, request: Value) -> Result<(u16, Value, Vec<u8>), caplet_core::Error> {
    let out = i.call("fetch", request.to_string().as_bytes())?;
    let v: Value = serde_json::from_slice(&out).expect("response JSON");
    let body = base64::engine::general_purpose::STANDARD
        .decode(v["body"].as_str().unwrap_or(""))
        .expect("base64 body");
    Ok((
        v["status"].as_u64().unwrap() as u16,
        v["headers"].clone(),
        body,
    ))
}

fn get(i: &mut Instance, url: &str) -> Result<(u16, Value, Vec<u8>), caplet_core::Error> {
    fetch(i, json!({"method": "GET", "url": url}))
}

#[test]
fn an_allowed_host_round_trips_binary_bodies_and_headers() {
    let srv = Server::start();
    let grant = format!("net:outbound:127.0.0.1:{}", srv.port);
    let (mut i, _) = fetcher(&[&grant], trusting(), Limits::default());
    let (status, headers, body) = get(&mut i, &srv.url("/hello")).unwrap();
    assert_eq!((status, body.as_slice()), (200, &b"hello"[..]));
    assert_eq!(headers["x-served-by"], "caplet-test");

    let all_bytes: Vec<u8> = (0..=255u8).collect();
    let (status, headers, body) = fetch(
        &mut i,
        json!({
            "method": "PUT",
            "url": srv.url("/echo"),
            "headers": {"Authorization": "Bearer t0k", "Host": "evil.example"},
            "body": b64(&all_bytes),
        }),
    )
    .unwrap();
    assert_eq!(status, 200);
    assert_eq!(body, all_bytes, "the body survives the trip byte for byte");
    assert_eq!(headers["x-method"], "PUT");
    assert_eq!(headers["x-auth"], "Bearer t0k");
    // The guest's Host header is ignored: the client sends the real authority.
    assert_eq!(headers["x-host"], format!("127.0.0.1:{}", srv.port));

    let (status, _, body) = get(&mut i, &srv.url("/nowhere")).unwrap();
    assert_eq!((status, body.as_slice()), (404, &b"no such route"[..]));
}

#[test]
fn hosts_outside_the_allowlist_are_denied_before_any_connection() {
    let srv = Server::start();
    let (mut i, audit) = fetcher(
        &["net:outbound:*.example.com"],
        trusting(),
        Limits::default(),
    );
    assert_eq!(
        guest_code(get(&mut i, &srv.url("/hello"))),
        Code::PermissionDenied
    );
    // Right host, wrong port.
    let other_port = format!("net:outbound:127.0.0.1:{}", srv.port.wrapping_add(1).max(1));
    let (mut j, _) = fetcher(&[&other_port], trusting(), Limits::default());
    assert_eq!(
        guest_code(get(&mut j, &srv.url("/hello"))),
        Code::PermissionDenied
    );
    assert!(srv.seen().is_empty(), "the server saw {:?}", srv.seen());
    let subject = format!("127.0.0.1:{}", srv.port);
    assert!(audit
        .denials()
        .iter()
        .any(|(_, k, s, at_load)| *k == Kind::NetOutbound && *s == subject && !at_load));
}

#[test]
fn loopback_needs_the_private_grant_or_an_operator_trust() {
    let srv = Server::start();
    let grant = format!("net:outbound:127.0.0.1:{}", srv.port);
    let untrusted = HttpConfig {
        rate: None,
        ..HttpConfig::default()
    };
    let (mut i, _) = fetcher(&[&grant], untrusted.clone(), Limits::default());
    assert_eq!(
        guest_code(get(&mut i, &srv.url("/hello"))),
        Code::PermissionDenied
    );
    // `localhost` resolves to loopback addresses: refused the same way.
    let (mut l, _) = fetcher(
        &["net:outbound:localhost:*"],
        untrusted.clone(),
        Limits::default(),
    );
    let url = format!("http://localhost:{}/hello", srv.port);
    assert_eq!(guest_code(get(&mut l, &url)), Code::PermissionDenied);
    assert!(srv.seen().is_empty(), "the server saw {:?}", srv.seen());

    let (mut p, _) = fetcher(
        &[&grant, "net:outbound:private"],
        untrusted,
        Limits::default(),
    );
    assert_eq!(get(&mut p, &srv.url("/hello")).unwrap().0, 200);
}

#[test]
fn redirects_are_followed_only_while_every_hop_is_allowed() {
    let srv = Server::start();
    let grant = format!("net:outbound:127.0.0.1:{}", srv.port);
    let (mut i, audit) = fetcher(&[&grant], trusting(), Limits::default());

    // A relative redirect on the same allowed host is followed.
    let (status, _, body) = get(&mut i, &srv.url("/redirect?to=/hello")).unwrap();
    assert_eq!((status, body.as_slice()), (200, &b"hello"[..]));

    // A redirect to a host the grant does not cover is refused; the target is never
    // contacted and the denial is audited.
    let to = format!("http://localhost:{}/hello?via=redirect", srv.port);
    let before = srv.seen().len();
    assert_eq!(
        guest_code(get(&mut i, &srv.url(&format!("/redirect?to={to}")))),
        Code::PermissionDenied
    );
    let after = srv.seen();
    assert_eq!(
        after.len(),
        before + 1,
        "only the redirect itself was served: {after:?}"
    );
    assert!(
        !after.iter().any(|p| p.starts_with("/hello?via")),
        "{after:?}"
    );
    let subject = format!("localhost:{}", srv.port);
    assert!(audit.denials().iter().any(|(_, _, s, _)| *s == subject));

    // A redirect loop stops at the hop cap.
    assert_eq!(guest_code(get(&mut i, &srv.url("/loop"))), Code::Limit);
    let loops = srv.seen().iter().filter(|p| *p == "/loop").count();
    assert_eq!(loops, 1 + HttpConfig::default().max_redirects as usize);
}

#[test]
fn redirects_to_private_addresses_are_refused_by_the_guard() {
    let srv = Server::start();
    // Every host is allowed; only the operator's trusted 127.0.0.1 is exempt from
    // the private-address guard.
    let (mut i, _) = fetcher(&["net:outbound:*"], trusting(), Limits::default());
    assert_eq!(get(&mut i, &srv.url("/hello")).unwrap().0, 200);
    for target in [
        format!("http://127.0.0.2:{}/hello", srv.port),
        format!("http://[::1]:{}/hello", srv.port),
        "http://10.255.255.1/metadata".to_string(),
        "http://169.254.169.254/latest/meta-data".to_string(),
        format!("http://[::ffff:127.0.0.3]:{}/hello", srv.port),
    ] {
        let started = Instant::now();
        let code = guest_code(get(&mut i, &srv.url(&format!("/redirect?to={target}"))));
        assert_eq!(code, Code::PermissionDenied, "{target}");
        // Refused before connecting: no connect timeout was waited out.
        assert!(started.elapsed() < Duration::from_secs(5), "{target}");
    }
}

#[test]
fn credentials_do_not_follow_a_redirect_to_another_origin() {
    let a = Server::start();
    let b = Server::start();
    let caps = [
        format!("net:outbound:127.0.0.1:{}", a.port),
        format!("net:outbound:127.0.0.1:{}", b.port),
    ];
    let caps: Vec<&str> = caps.iter().map(String::as_str).collect();
    let (mut i, _) = fetcher(&caps, trusting(), Limits::default());
    let same = a.url(&format!("/redirect?code=307&to={}", a.url("/echo")));
    let cross = a.url(&format!("/redirect?code=307&to={}", b.url("/echo")));
    let req = |url: &str| {
        json!({"method": "POST", "url": url, "headers": {"Authorization": "Bearer t0k"},
               "body": b64(b"payload")})
    };
    let (_, h, body) = fetch(&mut i, req(&same)).unwrap();
    assert_eq!(
        (h["x-auth"].as_str(), body.as_slice()),
        (Some("Bearer t0k"), &b"payload"[..])
    );
    let (_, h, body) = fetch(&mut i, req(&cross)).unwrap();
    assert_eq!(h["x-method"], "POST", "307 keeps the method");
    assert_eq!(body, b"payload", "307 keeps the body");
    assert_eq!(
        h["x-auth"], "",
        "Authorization dropped on the cross-origin hop"
    );
    // 303 turns into a GET without a body.
    let see_other = a.url(&format!("/redirect?code=303&to={}", a.url("/echo")));
    let (_, h, body) = fetch(&mut i, req(&see_other)).unwrap();
    assert_eq!((h["x-method"].as_str(), body.len()), (Some("GET"), 0));
}

#[test]
fn oversized_bodies_hit_the_cap() {
    let srv = Server::start();
    let grant = format!("net:outbound:127.0.0.1:{}", srv.port);
    let limits = Limits {
        max_host_result_bytes: 1024,
        ..Limits::default()
    };
    let (mut i, _) = fetcher(&[&grant], trusting(), limits);
    assert_eq!(get(&mut i, &srv.url("/big?n=1024")).unwrap().2.len(), 1024);
    assert_eq!(
        guest_code(get(&mut i, &srv.url("/big?n=1025"))),
        Code::Limit
    );
    assert_eq!(
        guest_code(get(&mut i, &srv.url("/big?n=10000000"))),
        Code::Limit
    );
    assert_eq!(
        guest_code(get(&mut i, &srv.url("/chunked?n=5000"))),
        Code::Limit
    );
    assert_eq!(
        get(&mut i, &srv.url("/chunked?n=1000")).unwrap().2.len(),
        1000
    );
    // HEAD carries no body, whatever Content-Length announces.
    let (status, _, body) = fetch(
        &mut i,
        json!({"method": "HEAD", "url": srv.url("/big?n=5000")}),
    )
    .unwrap();
    assert_eq!((status, body.len()), (200, 0));
}

#[test]
fn a_302_after_post_becomes_a_get_and_cookies_stay_home() {
    let a = Server::start();
    let b = Server::start();
    let caps = [
        format!("net:outbound:127.0.0.1:{}", a.port),
        format!("net:outbound:127.0.0.1:{}", b.port),
    ];
    let caps: Vec<&str> = caps.iter().map(String::as_str).collect();
    let (mut i, _) = fetcher(&caps, trusting(), Limits::default());
    let req = |url: String| {
        json!({"method": "POST", "url": url, "headers": {"Cookie": "session=abc"},
               "body": b64(b"form")})
    };
    let same = a.url(&format!("/redirect?code=302&to={}", a.url("/echo")));
    let (status, h, body) = fetch(&mut i, req(same)).unwrap();
    assert_eq!(
        (status, h["x-method"].as_str(), body.len()),
        (200, Some("GET"), 0)
    );
    assert_eq!(h["x-cookie"], "session=abc", "same origin keeps the cookie");
    let cross = a.url(&format!("/redirect?code=302&to={}", b.url("/echo")));
    let (status, h, _) = fetch(&mut i, req(cross)).unwrap();
    assert_eq!((status, h["x-method"].as_str()), (200, Some("GET")));
    assert_eq!(h["x-cookie"], "", "the cookie does not cross origins");
}

#[test]
fn a_slow_server_runs_into_the_call_deadline() {
    let srv = Server::start();
    let grant = format!("net:outbound:127.0.0.1:{}", srv.port);
    let (mut i, _) = fetcher(&[&grant], trusting(), Limits::default());
    let started = Instant::now();
    let until = Some(started + Duration::from_millis(300));
    let r = with_call_deadline(until, || get(&mut i, &srv.url("/slow?ms=5000")));
    assert_eq!(guest_code(r), Code::Timeout);
    let took = started.elapsed();
    assert!(
        took >= Duration::from_millis(250) && took < Duration::from_secs(3),
        "{took:?}"
    );

    // The operator's own per-request timeout applies without a call deadline.
    let short = HttpConfig {
        timeout: Duration::from_millis(200),
        ..trusting()
    };
    let (mut j, _) = fetcher(&[&grant], short, Limits::default());
    let started = Instant::now();
    assert_eq!(
        guest_code(get(&mut j, &srv.url("/slow?ms=5000"))),
        Code::Timeout
    );
    assert!(started.elapsed() < Duration::from_secs(3));
    // A request made after the deadline passed fails at once.
    let r = with_call_deadline(Some(Instant::now()), || get(&mut j, &srv.url("/hello")));
    assert_eq!(guest_code(r), Code::Timeout);
}

#[test]
fn the_rate_limit_refuses_requests_beyond_the_burst() {
    let srv = Server::start();
    let grant = format!("net:outbound:127.0.0.1:{}", srv.port);
    let limited = HttpConfig {
        rate: Some(RateLimit {
            per_second: 0.5,
            burst: 2,
        }),
        ..trusting()
    };
    let (mut i, _) = fetcher(&[&grant], limited, Limits::default());
    assert_eq!(get(&mut i, &srv.url("/hello")).unwrap().0, 200);
    assert_eq!(get(&mut i, &srv.url("/hello")).unwrap().0, 200);
    assert_eq!(guest_code(get(&mut i, &srv.url("/hello"))), Code::Limit);
    assert_eq!(
        srv.seen().len(),
        2,
        "the refused request never left the host"
    );
    // Another plugin, with the same settings, has its own full bucket.
    let same = HttpConfig {
        rate: Some(RateLimit {
            per_second: 0.5,
            burst: 2,
        }),
        ..trusting()
    };
    let (mut other, _) = fetcher(&[&grant], same, Limits::default());
    assert_eq!(get(&mut other, &srv.url("/hello")).unwrap().0, 200);
    assert_eq!(srv.seen().len(), 3);
}

#[test]
fn malformed_requests_are_invalid_input() {
    let (mut i, _) = fetcher(&["net:outbound:*"], trusting(), Limits::default());
    for bad in [
        json!({"method": "GET", "url": "ftp://example.com/"}),
        json!({"method": "GET", "url": "http://user@example.com/"}),
        json!({"method": "G ET", "url": "http://example.com/"}),
        json!({"method": "GET", "url": "http://example.com/", "body": "***not base64***"}),
    ] {
        let code = guest_code(fetch(&mut i, bad.clone()));
        assert_eq!(code, Code::InvalidInput, "{bad}");
    }
}

#[test]
fn the_cli_reports_a_host_call_timeout_as_exit_4() {
    let srv = Server::start();
    let request = json!({"method": "GET", "url": srv.url("/slow?ms=5000")}).to_string();
    let started = Instant::now();
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_caplet"))
        .args([
            "run",
            &caplet_tests::plugin_path("http_fetch")
                .display()
                .to_string(),
        ])
        .args(["--allow", "net:outbound:*", "--trust-addr", "127.0.0.1"])
        .args(["--timeout", "300", "--input", &request])
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(4), "{stderr}");
    assert!(
        stderr.contains("the 300 ms timeout passed after"),
        "{stderr}"
    );
    assert!(started.elapsed() < Duration::from_secs(4));
}
