//! A hostile registry's token realm: credentials are checked against the realm's
//! scheme and host before anything is sent. A fake registry on 127.0.0.1 answers
//! 401 with `Bearer realm="http://127.0.0.2:<port>/token"` (another host, plain
//! HTTP); the token service there must never see the credentials.

use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// A server answering every request with `status` and `headers`, recording the
/// `Authorization` header of each request (or `None`).
fn server(
    addr: &str,
    status: u16,
    headers: Vec<(String, String)>,
) -> (u16, Arc<Mutex<Vec<Option<String>>>>) {
    let server = tiny_http::Server::http(addr).unwrap();
    let port = server.server_addr().to_ip().unwrap().port();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    std::thread::spawn(move || {
        for req in server.incoming_requests() {
            let auth = req
                .headers()
                .iter()
                .find(|h| h.field.equiv("Authorization"))
                .map(|h| h.value.to_string());
            log.lock().unwrap().push(auth);
            let mut resp = tiny_http::Response::from_string("{}").with_status_code(status);
            for (k, v) in &headers {
                resp.add_header(tiny_http::Header::from_bytes(k.as_bytes(), v.as_bytes()).unwrap());
            }
            let _ = req.respond(resp);
        }
    });
    (port, seen)
}

#[test]
fn registry_credentials_never_go_to_a_plain_http_realm_on_another_host() {
    // The token service on another loopback address (another host for the client).
    let (token_port, token_seen) = server("127.0.0.2:0", 200, vec![]);
    let realm = format!("http://127.0.0.2:{token_port}/token");
    let (reg_port, reg_seen) = server(
        "127.0.0.1:0",
        401,
        vec![(
            "WWW-Authenticate".into(),
            format!(r#"Bearer realm="{realm}",service="fake",scope="repository:x/y:pull""#),
        )],
    );
    let store = tempfile::tempdir().unwrap();
    let reference = format!("127.0.0.1:{reg_port}/x/y:1");
    let out = Command::new(env!("CARGO_BIN_EXE_caplet"))
        .args(["pull", &reference, "--insecure", "--store"])
        .arg(store.path())
        .env("CAPLET_REGISTRY_USER", "alice")
        .env("CAPLET_REGISTRY_PASSWORD", "s3cret")
        .env("HOME", "/nonexistent")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    std::thread::sleep(Duration::from_millis(100));
    let err = String::from_utf8_lossy(&out.stderr);
    assert_ne!(out.status.code(), Some(0), "{err}");
    assert!(
        err.contains("refusing to send credentials to the token service"),
        "{err}"
    );
    assert!(
        token_seen.lock().unwrap().iter().all(|a| a.is_none()),
        "the realm on another host received credentials: {:?}",
        token_seen.lock().unwrap()
    );
    // The registry itself saw only requests without credentials.
    assert!(reg_seen.lock().unwrap().iter().all(|a| a.is_none()));
}
