//! The filesystem service with the real `fs_tool` plugin over real temp directories:
//! traversal, symlinks out (with and without a trailing slash), loops, hard links,
//! read-only mappings, caps and listings.

mod common;

use std::os::unix::fs::{symlink, PermissionsExt};
use std::path::Path;

use caplet::fs::Mount;
use caplet::platform::StdPlatform;
use caplet_core::{Code, Instance, Kind, Limits};
use common::{guest_code, instance, platform};

const CAPS: &[&str] = &["fs:read:/data/**", "fs:write:/data/**"];

struct Sandbox {
    _tmp: tempfile::TempDir,
    data: std::path::PathBuf,
    outside: std::path::PathBuf,
}

/// `data/` (mapped at /data) next to `outside/` (never mapped), with a secret outside.
fn sandbox() -> Sandbox {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let outside = tmp.path().join("outside");
    std::fs::create_dir_all(data.join("sub")).unwrap();
    std::fs::create_dir_all(&outside).unwrap();
    std::fs::write(outside.join("secret.txt"), "top secret").unwrap();
    std::fs::write(data.join("hello.txt"), "hello").unwrap();
    std::fs::write(data.join("sub/inner.txt"), "inner").unwrap();
    Sandbox {
        _tmp: tmp,
        data,
        outside,
    }
}

fn mount(host: &Path, guest: &str, read_only: bool) -> Mount {
    Mount {
        host: host.to_path_buf(),
        guest: guest.to_string(),
        read_only,
    }
}

fn fs_tool(
    mounts: Vec<Mount>,
) -> (
    Instance,
    std::sync::Arc<caplet_core::platform::testing::RecordingAudit>,
) {
    let (p, audit) = platform(StdPlatform {
        mounts,
        ..StdPlatform::default()
    });
    (instance("fs_tool", CAPS, Limits::default(), p), audit)
}

fn read(i: &mut Instance, path: &str) -> Result<Vec<u8>, caplet_core::Error> {
    i.call("read", format!(r#"{{"path":"{path}"}}"#).as_bytes())
}

fn write(i: &mut Instance, path: &str, data: &str) -> Result<Vec<u8>, caplet_core::Error> {
    i.call(
        "write",
        format!(r#"{{"path":"{path}","data":"{data}"}}"#).as_bytes(),
    )
}

#[test]
fn reads_writes_and_lists_inside_the_mapping() {
    let s = sandbox();
    let (mut i, _) = fs_tool(vec![mount(&s.data, "/data", false)]);
    assert_eq!(read(&mut i, "/data/hello.txt").unwrap(), b"hello");
    assert_eq!(
        read(&mut i, "/data/./sub/../sub/inner.txt").unwrap(),
        b"inner"
    );
    assert_eq!(write(&mut i, "/data/sub/new.txt", "fresh").unwrap(), b"ok");
    assert_eq!(std::fs::read(s.data.join("sub/new.txt")).unwrap(), b"fresh");
    // Replacing keeps the file's permissions and leaves no temporary file behind.
    std::fs::set_permissions(
        s.data.join("hello.txt"),
        std::fs::Permissions::from_mode(0o640),
    )
    .unwrap();
    write(&mut i, "/data/hello.txt", "replaced").unwrap();
    assert_eq!(
        std::fs::read(s.data.join("hello.txt")).unwrap(),
        b"replaced"
    );
    let mode = std::fs::metadata(s.data.join("hello.txt"))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o640);
    let listing: serde_json::Value =
        serde_json::from_slice(&i.call("list", br#"{"path":"/data"}"#).unwrap()).unwrap();
    assert_eq!(
        listing,
        serde_json::json!([
            {"name": "hello.txt", "kind": "file", "size": 8},
            {"name": "sub", "kind": "dir", "size": 0},
        ])
    );
}

#[test]
fn dot_dot_cannot_leave_the_granted_scope() {
    let s = sandbox();
    let (mut i, audit) = fs_tool(vec![mount(&s.data, "/data", false)]);
    // `..` is resolved on the guest path first: this is /outside/secret.txt, which no
    // grant covers, so the core refuses it before the platform sees it.
    assert_eq!(
        guest_code(read(&mut i, "/data/../outside/secret.txt")),
        Code::PermissionDenied
    );
    assert_eq!(
        guest_code(read(&mut i, "/data/../../../etc/passwd")),
        Code::PermissionDenied
    );
    let denied = audit.denials();
    assert!(denied
        .iter()
        .any(|(_, k, subject, _)| *k == Kind::FsRead && subject == "/outside/secret.txt"));
}

#[test]
fn symlinks_out_of_the_mapping_fail() {
    let s = sandbox();
    symlink("../outside/secret.txt", s.data.join("rel_escape")).unwrap();
    symlink(s.outside.join("secret.txt"), s.data.join("abs_escape")).unwrap();
    symlink(
        format!("{}/", s.outside.display()),
        s.data.join("dir_slash"),
    )
    .unwrap();
    symlink("../outside/", s.data.join("rel_dir_slash")).unwrap();
    symlink("/", s.data.join("root")).unwrap();
    symlink("sub/inner.txt", s.data.join("inside_link")).unwrap();
    let (mut i, _) = fs_tool(vec![mount(&s.data, "/data", false)]);
    for path in [
        "/data/rel_escape",
        "/data/abs_escape",
        "/data/dir_slash/secret.txt",
        "/data/rel_dir_slash/secret.txt",
        "/data/root/etc/passwd",
    ] {
        let code = guest_code(read(&mut i, path));
        assert!(
            matches!(code, Code::PermissionDenied | Code::NotFound),
            "{path}: {code:?}"
        );
    }
    // Listing through an escaping directory symlink fails the same way.
    let code = guest_code(i.call("list", br#"{"path":"/data/dir_slash"}"#));
    assert!(
        matches!(code, Code::PermissionDenied | Code::NotFound),
        "{code:?}"
    );
    // Writing through one does not create anything outside.
    let code = guest_code(write(&mut i, "/data/rel_dir_slash/planted.txt", "x"));
    assert!(
        matches!(code, Code::PermissionDenied | Code::NotFound),
        "{code:?}"
    );
    assert!(!s.outside.join("planted.txt").exists());
    // A write never replaces or follows a symlink, even one that stays inside.
    assert_eq!(
        guest_code(write(&mut i, "/data/inside_link", "x")),
        Code::PermissionDenied
    );
    assert_eq!(
        std::fs::read(s.data.join("sub/inner.txt")).unwrap(),
        b"inner"
    );
    // A symlink that stays inside is not followed either: scopes are checked on
    // guest paths, and the link's target has another one.
    assert_eq!(
        guest_code(read(&mut i, "/data/inside_link")),
        Code::PermissionDenied
    );
    assert_eq!(
        std::fs::read(s.outside.join("secret.txt")).unwrap(),
        b"top secret"
    );
}

#[test]
fn symlink_loops_fail_cleanly() {
    let s = sandbox();
    symlink("loop_b", s.data.join("loop_a")).unwrap();
    symlink("loop_a", s.data.join("loop_b")).unwrap();
    symlink("self", s.data.join("self")).unwrap();
    let (mut i, _) = fs_tool(vec![mount(&s.data, "/data", false)]);
    for path in ["/data/loop_a", "/data/self", "/data/loop_b/x"] {
        let code = guest_code(read(&mut i, path));
        assert!(
            matches!(code, Code::PermissionDenied | Code::NotFound),
            "{path}: {code:?}"
        );
    }
}

#[test]
fn hard_links_to_outside_files_are_refused() {
    let s = sandbox();
    std::fs::hard_link(s.outside.join("secret.txt"), s.data.join("hard")).unwrap();
    let (mut i, _) = fs_tool(vec![mount(&s.data, "/data", false)]);
    assert_eq!(
        guest_code(read(&mut i, "/data/hard")),
        Code::PermissionDenied
    );
    assert_eq!(
        guest_code(write(&mut i, "/data/hard", "owned")),
        Code::PermissionDenied
    );
    assert_eq!(
        std::fs::read(s.outside.join("secret.txt")).unwrap(),
        b"top secret"
    );
}

#[test]
fn read_only_mappings_refuse_every_write() {
    let s = sandbox();
    let (mut i, _) = fs_tool(vec![mount(&s.data, "/data", true)]);
    assert_eq!(read(&mut i, "/data/hello.txt").unwrap(), b"hello");
    // Create, truncate/replace, and into a subdirectory.
    for path in ["/data/new.txt", "/data/hello.txt", "/data/sub/inner.txt"] {
        assert_eq!(
            guest_code(write(&mut i, path, "")),
            Code::PermissionDenied,
            "{path}"
        );
    }
    assert!(!s.data.join("new.txt").exists());
    assert_eq!(std::fs::read(s.data.join("hello.txt")).unwrap(), b"hello");
    assert_eq!(
        std::fs::read(s.data.join("sub/inner.txt")).unwrap(),
        b"inner"
    );
}

#[test]
fn the_longest_mapping_wins_and_unmapped_paths_do_not_exist() {
    let s = sandbox();
    let (mut i, _) = fs_tool(vec![
        mount(&s.data, "/data", false),
        mount(&s.data.join("sub"), "/data/ro", true),
    ]);
    assert_eq!(read(&mut i, "/data/ro/inner.txt").unwrap(), b"inner");
    assert_eq!(
        guest_code(write(&mut i, "/data/ro/x.txt", "x")),
        Code::PermissionDenied
    );
    assert_eq!(write(&mut i, "/data/x.txt", "x").unwrap(), b"ok");
    // Granted by the scope, but no directory is mapped there.
    let (mut bare, _) = fs_tool(vec![]);
    assert_eq!(
        guest_code(read(&mut bare, "/data/hello.txt")),
        Code::NotFound
    );
}

#[test]
fn reads_are_capped_and_bad_targets_named() {
    let s = sandbox();
    std::fs::write(s.data.join("big.bin"), vec![7u8; 4096]).unwrap();
    let (p, _) = platform(StdPlatform {
        mounts: vec![mount(&s.data, "/data", false)],
        ..StdPlatform::default()
    });
    let limits = Limits {
        max_host_result_bytes: 1024,
        ..Limits::default()
    };
    let mut i = instance("fs_tool", CAPS, limits, p);
    assert_eq!(guest_code(read(&mut i, "/data/big.bin")), Code::Limit);
    assert_eq!(guest_code(read(&mut i, "/data/sub")), Code::InvalidInput);
    assert_eq!(guest_code(read(&mut i, "/data/missing")), Code::NotFound);
    assert_eq!(
        guest_code(write(&mut i, "/data/sub", "x")),
        Code::InvalidInput
    );
    assert_eq!(
        guest_code(write(&mut i, "/data/nodir/x.txt", "x")),
        Code::NotFound
    );
}

#[test]
fn a_missing_host_directory_is_a_clear_setup_error() {
    let e = StdPlatform {
        mounts: vec![mount(Path::new("/no/such/dir"), "/data", false)],
        ..StdPlatform::default()
    }
    .build()
    .unwrap_err();
    assert!(e.contains("/no/such/dir") && e.contains("/data"), "{e}");
}

#[test]
fn symlinks_inside_the_mapping_cannot_widen_a_narrow_scope() {
    let s = sandbox();
    std::fs::create_dir_all(s.data.join("public")).unwrap();
    std::fs::create_dir_all(s.data.join("private")).unwrap();
    std::fs::write(s.data.join("private/key"), "PRIVATE").unwrap();
    symlink("../private/key", s.data.join("public/link")).unwrap();
    symlink("../private", s.data.join("public/dir")).unwrap();
    let (p, _) = platform(StdPlatform {
        mounts: vec![mount(&s.data, "/data", false)],
        ..StdPlatform::default()
    });
    let caps = ["fs:read:/data/public/**", "fs:write:/data/public/**"];
    let manifest = Some(caplet_core::Manifest::anonymous("fs_tool"));
    let mut i = common::instance_with("fs_tool", manifest, &caps, Limits::default(), p);
    assert_eq!(
        guest_code(read(&mut i, "/data/public/link")),
        Code::PermissionDenied
    );
    assert_eq!(
        guest_code(read(&mut i, "/data/public/dir/key")),
        Code::PermissionDenied
    );
    assert_eq!(
        guest_code(write(&mut i, "/data/public/dir/key", "overwritten")),
        Code::PermissionDenied
    );
    let code = guest_code(i.call("list", br#"{"path":"/data/public/dir"}"#));
    assert_eq!(code, Code::PermissionDenied);
    assert_eq!(
        std::fs::read(s.data.join("private/key")).unwrap(),
        b"PRIVATE"
    );
    // Outside the scope by guest path: denied by the core.
    assert_eq!(
        guest_code(read(&mut i, "/data/private/key")),
        Code::PermissionDenied
    );
}

#[test]
fn fifos_and_other_special_files_are_refused_without_blocking() {
    let s = sandbox();
    let fifo = s.data.join("pipe");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap();
    assert!(made.success());
    let (mut i, _) = fs_tool(vec![mount(&s.data, "/data", false)]);
    let started = std::time::Instant::now();
    assert_eq!(guest_code(read(&mut i, "/data/pipe")), Code::InvalidInput);
    assert_eq!(
        guest_code(write(&mut i, "/data/pipe", "x")),
        Code::InvalidInput
    );
    assert!(started.elapsed() < std::time::Duration::from_secs(5));
    // Listing a file is a bad argument, not a missing directory.
    assert_eq!(
        guest_code(i.call("list", br#"{"path":"/data/hello.txt"}"#)),
        Code::InvalidInput
    );
}
