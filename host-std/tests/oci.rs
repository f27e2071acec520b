//! OCI distribution against a real registry process (Debian's `docker-registry`,
//! distribution 2.8) started by each test on 127.0.0.1 with its own config, and
//! interop with an independent client (`skopeo`).

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use caplet::oci::{
    Artifact, Client, ClientConfig, Credentials, Layout, OciLimits, Reference, Store,
};
use caplet_core::Digest;

const REGISTRY_BIN: &str = "docker-registry";

struct RegistryProc {
    child: Child,
    port: u16,
    dir: tempfile::TempDir,
}

impl Drop for RegistryProc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

impl RegistryProc {
    /// Starts a registry; with `user`, it requires htpasswd basic auth.
    fn start(user: Option<(&str, &str)>) -> RegistryProc {
        let dir = tempfile::tempdir().unwrap();
        let port = free_port();
        let mut config = format!(
            "version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n    rootdirectory: {}\nhttp:\n  addr: 127.0.0.1:{port}\n",
            dir.path().join("data").display()
        );
        if let Some((u, p)) = user {
            let hash = bcrypt::hash(p, 4).unwrap();
            let file = dir.path().join("htpasswd");
            std::fs::write(&file, format!("{u}:{hash}\n")).unwrap();
            config += &format!(
                "auth:\n  htpasswd:\n    realm: caplet-test\n    path: {}\n",
                file.display()
            );
        }
        let config_path = dir.path().join("config.yml");
        std::fs::write(&config_path, config).unwrap();
        let child = Command::new(REGISTRY_BIN)
            .arg("serve")
            .arg(&config_path)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| {
                panic!(
                    "cannot start `{REGISTRY_BIN}` ({e}); install Debian's docker-registry package"
                )
            });
        let reg = RegistryProc { child, port, dir };
        let started = Instant::now();
        loop {
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                break;
            }
            assert!(
                started.elapsed() < Duration::from_secs(20),
                "registry did not start"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        reg
    }

    fn host(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    fn blob_file(&self, d: &Digest) -> PathBuf {
        let hex = d.to_hex();
        self.dir
            .path()
            .join("data/docker/registry/v2/blobs/sha256")
            .join(&hex[..2])
            .join(&hex)
            .join("data")
    }
}

/// A plugin directory with echo's module and a sidecar manifest for it.
fn echo_sidecar(dir: &Path, version: &str) -> PathBuf {
    let wasm = caplet_tests::plugin("echo");
    std::fs::write(dir.join("echo.wasm"), &wasm).unwrap();
    let manifest = dir.join(format!("echo-{version}.json"));
    std::fs::write(
        &manifest,
        format!(
            r#"{{"name":"echo","version":"{version}","module":"echo.wasm","sha256":"{}","entrypoints":["echo","upper"]}}"#,
            Digest::of(&wasm).to_hex()
        ),
    )
    .unwrap();
    manifest
}

fn caplet(args: &[&str], env: &[(&str, &str)]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_caplet"))
        .args(args)
        .envs(env.iter().copied())
        .env_remove("CAPLET_REGISTRY_USER")
        .env_remove("CAPLET_REGISTRY_PASSWORD")
        .env("HOME", "/nonexistent")
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

/// `caplet run TARGET --call upper --input INPUT`, through the registry's plain HTTP
/// and the given store when `store` is set.
fn upper(target: &str, store: Option<&str>, input: &str) -> Output {
    let mut args = vec!["run", target, "--call", "upper", "--input", input];
    if let Some(s) = store {
        args.extend(["--insecure", "--store", s]);
    }
    caplet(&args, &[])
}

/// `a` with its OCI manifest edited by `edit` (and its digest recomputed).
fn with_manifest(a: &Artifact, edit: impl FnOnce(&mut serde_json::Value)) -> Artifact {
    let mut m: serde_json::Value = serde_json::from_slice(&a.manifest).unwrap();
    edit(&mut m);
    let manifest = serde_json::to_vec(&m).unwrap();
    Artifact {
        manifest_digest: Digest::of(&manifest),
        manifest,
        ..a.clone()
    }
}

fn text(o: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

fn insecure_client(host: &str, limits: OciLimits) -> Client {
    Client::new(ClientConfig {
        insecure: vec![host.to_string()],
        credentials: Credentials::anonymous(),
        limits,
        progress: false,
    })
}

#[test]
fn push_pull_run_and_never_fetch_twice() {
    let reg = RegistryProc::start(None);
    let tmp = tempfile::tempdir().unwrap();
    let manifest = echo_sidecar(tmp.path(), "1.2.0");
    let store = tmp.path().join("store");
    let store_arg = store.display().to_string();
    let r = format!("{}/plugins/echo:1.2.0", reg.host());
    let o = caplet(
        &["push", &manifest.display().to_string(), &r, "--insecure"],
        &[],
    );
    let (out, err) = text(&o);
    assert_eq!(o.status.code(), Some(0), "{err}");
    assert!(out.starts_with("pushed echo 1.2.0 to "), "{out}");
    let digest = out
        .trim()
        .rsplit_once("(")
        .unwrap()
        .1
        .trim_end_matches(')')
        .to_string();
    assert!(digest.starts_with("sha256:"), "{out}");

    let o = caplet(&["pull", &r, "--insecure", "--store", &store_arg], &[]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o).1);
    assert!(text(&o).0.contains(&digest), "{}", text(&o).0);
    let module = Digest::of(&caplet_tests::plugin("echo"));
    assert!(store.join("blobs/sha256").join(module.to_hex()).is_file());

    let o = upper(&r, Some(&store_arg), "from the registry");
    assert_eq!(
        (o.status.code(), text(&o).0.as_str()),
        (Some(0), "FROM THE REGISTRY"),
        "{}",
        text(&o).1
    );

    // Pinned by digest, the artifact comes from the store: stop the registry first.
    drop(reg);
    let pinned = format!("{}@{digest}", r.rsplit_once(':').unwrap().0);
    let o = upper(&pinned, Some(&store_arg), "offline");
    assert_eq!(
        (o.status.code(), text(&o).0.as_str()),
        (Some(0), "OFFLINE"),
        "{}",
        text(&o).1
    );
}

#[test]
fn a_tampered_blob_is_refused() {
    let reg = RegistryProc::start(None);
    let tmp = tempfile::tempdir().unwrap();
    let manifest = echo_sidecar(tmp.path(), "1.0.0");
    let r = format!("{}/plugins/echo:1.0.0", reg.host());
    assert_eq!(
        caplet(
            &["push", &manifest.display().to_string(), &r, "--insecure"],
            &[]
        )
        .status
        .code(),
        Some(0)
    );
    // Flip one byte of the stored module, keeping its length.
    let module = Digest::of(&caplet_tests::plugin("echo"));
    let path = reg.blob_file(&module);
    let mut bytes = std::fs::read(&path).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 0xff;
    std::fs::write(&path, bytes).unwrap();
    let store = tmp.path().join("fresh-store");
    let o = upper(&r, Some(&store.display().to_string()), "");
    let (_, err) = text(&o);
    assert_eq!(o.status.code(), Some(3), "{err}");
    assert!(
        err.contains("the module layer has digest") && err.contains("refused"),
        "{err}"
    );
    assert!(!store.join("blobs/sha256").join(module.to_hex()).exists());
}

#[test]
fn wrong_media_types_and_oversized_blobs_are_refused() {
    let reg = RegistryProc::start(None);
    let host = reg.host();
    let client = insecure_client(&host, OciLimits::default());
    let caplet_manifest = br#"{"name":"echo","version":"1.0.0"}"#;
    let good = Artifact::build(caplet_manifest, caplet_tests::plugin("echo")).unwrap();

    // An image config instead of the wasm config.
    let image = with_manifest(&good, |m| {
        m["config"]["mediaType"] = "application/vnd.oci.image.config.v1+json".into()
    });
    let r = Reference::parse(&format!("{host}/plugins/not-wasm:1")).unwrap();
    client.push(&r, &image).unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let store_arg = tmp.path().join("store").display().to_string();
    let o = caplet(
        &["pull", &r.to_string(), "--insecure", "--store", &store_arg],
        &[],
    );
    let (_, err) = text(&o);
    assert_eq!(o.status.code(), Some(3), "{err}");
    assert!(
        err.contains("wrong media type: the config is `application/vnd.oci.image.config.v1+json`"),
        "{err}"
    );

    // A layer bigger than the cap is refused before it is downloaded.
    let r = Reference::parse(&format!("{host}/plugins/echo:big")).unwrap();
    client.push(&r, &good).unwrap();
    let small = insecure_client(
        &host,
        OciLimits {
            max_blob_bytes: 1000,
            ..OciLimits::default()
        },
    );
    let store = Store::open(&tmp.path().join("store2")).unwrap();
    let e = small.pull(&r, &store).unwrap_err();
    assert!(e.message.contains("over the 1000-byte cap"), "{e}");
    assert!(!store.has(&Digest::of(&good.module)));

    // A registry sending more than the descriptor's size is cut off at the size.
    let lying = with_manifest(&good, |m| {
        m["layers"][0]["size"] = (good.module.len() as u64 - 100).into()
    });
    let r = Reference::parse(&format!("{host}/plugins/echo:lying")).unwrap();
    client.push(&r, &lying).unwrap();
    let e = client.pull(&r, &store).unwrap_err();
    assert!(e.message.contains("cap"), "{e}");
}

#[test]
fn an_unreachable_registry_is_a_clear_error() {
    let port = free_port();
    let o = caplet(
        &[
            "pull",
            &format!("127.0.0.1:{port}/plugins/echo:1"),
            "--insecure",
            "--store",
            "/tmp/caplet-unused-store",
        ],
        &[],
    );
    let (_, err) = text(&o);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(
        err.contains("cannot reach the registry at 127.0.0.1"),
        "{err}"
    );
    assert!(err.contains("Connection refused"), "{err}");
}

#[test]
fn basic_auth_with_credentials_from_env_or_file() {
    let reg = RegistryProc::start(Some(("ci", "s3cret-pw")));
    let tmp = tempfile::tempdir().unwrap();
    let manifest = echo_sidecar(tmp.path(), "1.0.0").display().to_string();
    let r = format!("{}/plugins/echo:1.0.0", reg.host());
    let store = tmp.path().join("store").display().to_string();
    let o = caplet(&["push", &manifest, &r, "--insecure"], &[]);
    let (_, err) = text(&o);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(
        err.contains("unauthorized") && err.contains("CAPLET_REGISTRY_USER"),
        "{err}"
    );

    let env = [
        ("CAPLET_REGISTRY_USER", "ci"),
        ("CAPLET_REGISTRY_PASSWORD", "s3cret-pw"),
    ];
    let o = Command::new(env!("CARGO_BIN_EXE_caplet"))
        .args(["push", &manifest, &r, "--insecure"])
        .envs(env)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", text(&o).1);
    assert!(!text(&o).1.contains("s3cret-pw"));

    // A Docker-style credentials file.
    use base64::Engine as _;
    let auth = base64::engine::general_purpose::STANDARD.encode("ci:s3cret-pw");
    let file = tmp.path().join("auth.json");
    std::fs::write(
        &file,
        format!(r#"{{"auths":{{"{}":{{"auth":"{auth}"}}}}}}"#, reg.host()),
    )
    .unwrap();
    let file_arg = file.display().to_string();
    let o = caplet(
        &[
            "pull",
            &r,
            "--insecure",
            "--store",
            &store,
            "--credentials",
            &file_arg,
        ],
        &[],
    );
    assert_eq!(o.status.code(), Some(0), "{}", text(&o).1);

    let wrong = base64::engine::general_purpose::STANDARD.encode("ci:nope");
    std::fs::write(
        &file,
        format!(r#"{{"auths":{{"{}":{{"auth":"{wrong}"}}}}}}"#, reg.host()),
    )
    .unwrap();
    let o = caplet(
        &[
            "pull",
            &r,
            "--insecure",
            "--store",
            &store,
            "--credentials",
            &file_arg,
        ],
        &[],
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(
        text(&o).1.contains("refused the credentials"),
        "{}",
        text(&o).1
    );
}

#[test]
fn layouts_round_trip_and_refuse_tampering() {
    let tmp = tempfile::tempdir().unwrap();
    let manifest = echo_sidecar(tmp.path(), "2.0.0").display().to_string();
    let layout = tmp.path().join("layout");
    let o = caplet(
        &[
            "push",
            &manifest,
            "v2",
            "--layout",
            &layout.display().to_string(),
        ],
        &[],
    );
    assert_eq!(o.status.code(), Some(0), "{}", text(&o).1);
    assert!(layout.join("oci-layout").is_file() && layout.join("index.json").is_file());
    let target = format!("oci-layout:{}:v2", layout.display());
    let o = caplet(
        &["run", &target, "--call", "upper", "--input", "layout"],
        &[],
    );
    assert_eq!(text(&o).0, "LAYOUT", "{}", text(&o).1);
    let a = Layout::new(&layout)
        .read("v2", &OciLimits::default())
        .unwrap();
    assert_eq!(a.caplet.version.to_string(), "2.0.0");
    // Tamper with the module blob.
    let blob = layout
        .join("blobs/sha256")
        .join(Digest::of(&a.module).to_hex());
    let mut bytes = std::fs::read(&blob).unwrap();
    bytes[10] ^= 1;
    std::fs::write(&blob, bytes).unwrap();
    let o = caplet(&["run", &target, "--call", "upper"], &[]);
    assert_eq!(o.status.code(), Some(3));
    assert!(text(&o).1.contains("refused"), "{}", text(&o).1);
    // The index and manifests are capped too.
    let tiny = OciLimits {
        max_manifest_bytes: 64,
        ..OciLimits::default()
    };
    let e = Layout::new(&layout).read("v2", &tiny).unwrap_err();
    assert!(e.message.contains("64-byte limit"), "{e}");
    let o = caplet(
        &["run", &format!("oci-layout:{}:nope", layout.display())],
        &[],
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(
        text(&o).1.contains("has no manifest named `nope`"),
        "{}",
        text(&o).1
    );
}

#[test]
fn skopeo_reads_what_caplet_writes_and_caplet_runs_what_skopeo_writes() {
    let reg = RegistryProc::start(None);
    let tmp = tempfile::tempdir().unwrap();
    let manifest = echo_sidecar(tmp.path(), "3.0.0").display().to_string();
    let host = reg.host();
    let skopeo = |args: &[&str]| {
        let o = Command::new("skopeo")
            .args(args)
            .output()
            .unwrap_or_else(|e| panic!("cannot run skopeo ({e}); install Debian's skopeo package"));
        assert!(
            o.status.success(),
            "skopeo {args:?}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        o
    };
    // Caplet → registry → skopeo → layout → Caplet.
    let r = format!("{host}/plugins/echo:3.0.0");
    assert_eq!(
        caplet(&["push", &manifest, &r, "--insecure"], &[])
            .status
            .code(),
        Some(0)
    );
    let raw = skopeo(&[
        "inspect",
        "--raw",
        "--tls-verify=false",
        &format!("docker://{r}"),
    ]);
    let m: serde_json::Value = serde_json::from_slice(&raw.stdout).unwrap();
    assert_eq!(
        m["config"]["mediaType"],
        "application/vnd.wasm.config.v0+json"
    );
    assert_eq!(m["layers"][0]["mediaType"], "application/wasm");
    let from_skopeo = tmp.path().join("from-skopeo");
    skopeo(&[
        "copy",
        "--src-tls-verify=false",
        &format!("docker://{r}"),
        &format!("oci:{}:v3", from_skopeo.display()),
    ]);
    let o = upper(
        &format!("oci-layout:{}:v3", from_skopeo.display()),
        None,
        "via skopeo",
    );
    assert_eq!(text(&o).0, "VIA SKOPEO", "{}", text(&o).1);

    // Caplet → layout → skopeo → registry → Caplet.
    let mine = tmp.path().join("mine");
    assert_eq!(
        caplet(
            &[
                "push",
                &manifest,
                &format!("oci-layout:{}:v3b", mine.display())
            ],
            &[]
        )
        .status
        .code(),
        Some(0)
    );
    let r2 = format!("{host}/plugins/echo-copy:3.0.0");
    skopeo(&[
        "copy",
        "--dest-tls-verify=false",
        &format!("oci:{}:v3b", mine.display()),
        &format!("docker://{r2}"),
    ]);
    let store = tmp.path().join("store").display().to_string();
    let o = upper(&r2, Some(&store), "round trip");
    assert_eq!(text(&o).0, "ROUND TRIP", "{}", text(&o).1);
}

/// A sidecar signature (`caplet sign --sidecar`) travels as the artifact's
/// `dev.caplet.signature` annotation: `caplet push` takes MODULE.sig beside the
/// module, and `caplet run --trusted-key` verifies it after the pull. A signature
/// that does not sign the module is refused at push.
#[test]
fn sidecar_signatures_travel_as_an_annotation() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let manifest = echo_sidecar(dir, "2.1.0").display().to_string();
    let layout = dir.join("layout").display().to_string();
    let path = |p: &str| dir.join(p).display().to_string();
    for who in ["me", "other"] {
        let o = caplet(&["keygen", &path(who)], &[]);
        assert_eq!(o.status.code(), Some(0), "{}", text(&o).1);
    }
    let o = caplet(
        &[
            "sign",
            &path("echo.wasm"),
            "--key",
            &path("me.key"),
            "--sidecar",
        ],
        &[],
    );
    assert_eq!(o.status.code(), Some(0), "{}", text(&o).1);
    let o = caplet(&["push", &manifest, "signed", "--layout", &layout], &[]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o).1);
    let a = Layout::new(Path::new(&layout))
        .read("signed", &OciLimits::default())
        .unwrap();
    let carried = a.signature().unwrap().expect("the annotation");
    assert_eq!(carried, std::fs::read(path("echo.wasm.sig")).unwrap());
    let target = format!("oci-layout:{layout}:signed");
    let run = |key: &str| {
        caplet(
            &[
                "run",
                &target,
                "--call",
                "upper",
                "--input",
                "signed",
                "--trusted-key",
                &path(key),
            ],
            &[],
        )
    };
    let o = run("me.pub");
    assert_eq!(text(&o).0, "SIGNED", "{}", text(&o).1);
    // Another trusted key: refused before the module is read, naming the signer.
    let o = run("other.pub");
    assert_eq!(o.status.code(), Some(3), "{}", text(&o).1);
    assert!(text(&o).1.contains("signed by"), "{}", text(&o).1);
    // Without the sidecar the artifact carries no signature: refused when trust is
    // required, and runs when it is not.
    std::fs::remove_file(path("echo.wasm.sig")).unwrap();
    let o = caplet(&["push", &manifest, "unsigned", "--layout", &layout], &[]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o).1);
    let unsigned = format!("oci-layout:{layout}:unsigned");
    let o = caplet(
        &[
            "run",
            &unsigned,
            "--call",
            "upper",
            "--trusted-key",
            &path("me.pub"),
        ],
        &[],
    );
    assert_eq!(o.status.code(), Some(3), "{}", text(&o).1);
    assert!(
        text(&o).1.contains("neither pinned nor signed"),
        "{}",
        text(&o).1
    );
    let o = caplet(&["run", &unsigned, "--call", "upper", "--input", "x"], &[]);
    assert_eq!(text(&o).0, "X", "{}", text(&o).1);
    // A signature of another module is refused at push.
    let compute = dir.join("compute.wasm");
    std::fs::write(&compute, caplet_tests::plugin("compute")).unwrap();
    let o = caplet(
        &[
            "sign",
            &path("compute.wasm"),
            "--key",
            &path("me.key"),
            "--sidecar",
        ],
        &[],
    );
    assert_eq!(o.status.code(), Some(0), "{}", text(&o).1);
    let o = caplet(
        &[
            "push",
            &manifest,
            "wrong",
            "--layout",
            &layout,
            "--signature",
            &path("compute.wasm.sig"),
        ],
        &[],
    );
    assert_ne!(o.status.code(), Some(0));
    assert!(
        text(&o).1.contains("does not sign this module"),
        "{}",
        text(&o).1
    );
}
