//! Guest- and module-controlled text never reaches the terminal raw: a
//! `set_error` message, manifest text, import, export and config names are
//! printed with control characters escaped, so a plugin cannot forge a line
//! (`DENIED …`, `sha256: …`) or send terminal sequences.

use std::process::{Command, Output, Stdio};

fn run(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_caplet"))
        .args(args)
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

fn module(text: &str) -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("m.wasm");
    std::fs::write(&path, wat::parse_str(text).unwrap()).unwrap();
    let s = path.display().to_string();
    (dir, s)
}

fn no_raw_controls(text: &str) {
    assert!(!text.contains('\u{1b}'), "raw ESC in {text:?}");
    for line in text.lines() {
        assert!(!line.contains('\r'), "raw CR in {line:?}");
    }
}

#[test]
fn a_set_error_message_cannot_forge_lines_or_escapes() {
    let (_d, m) = module(
        r#"(module
            (import "caplet" "set_error" (func $e (param i32 i32)))
            (memory (export "memory") 1)
            (data (i32.const 16) "bad\0a[plugin] DENIED fs:read /etc\1b[2J")
            (func (export "caplet_alloc") (param i32) (result i32) i32.const 256)
            (func (export "fail") (param i32 i32) (result i64)
              (call $e (i32.const 16) (i32.const 38)) (i64.const -3)))"#,
    );
    let o = run(&["run", &m, "--call", "fail"]);
    assert_eq!(o.status.code(), Some(1));
    let err = String::from_utf8_lossy(&o.stderr);
    no_raw_controls(&err);
    assert_eq!(err.lines().count(), 1, "{err:?}");
    assert!(err.contains("bad\\n[plugin] DENIED"), "{err:?}");
    assert!(err.contains("\\u{1b}[2J"), "{err:?}");
}

#[test]
fn inspect_escapes_manifest_text_and_names() {
    let manifest = r#"{"name":"x","version":"1.0.0","description":"ok\nsha256:       0000\u001b[2J","entrypoints":[],"config":{"k\r\nsha256: 1":"v\u001b"}}"#;
    let escaped = manifest.replace('\\', "\\\\").replace('"', "\\\"");
    let (_d, m) = module(&format!(
        r#"(module
            (import "caplet\0a" "log\1b" (func))
            (memory (export "memory") 1)
            (func (export "f\0asha256: forged") (result i32) i32.const 0)
            (@custom "caplet.manifest" "{escaped}"))"#
    ));
    let o = run(&["inspect", &m]);
    let out = String::from_utf8_lossy(&o.stdout);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "{err}");
    no_raw_controls(&out);
    // One real `sha256:` line: the forged ones are escaped into other lines.
    assert_eq!(
        out.lines().filter(|l| l.starts_with("sha256:")).count(),
        1,
        "{out}"
    );
    assert!(out.contains("ok\\nsha256:"), "{out}");
    assert!(out.contains("f\\nsha256: forged"), "{out}");
    assert!(out.contains("caplet\\n.log\\u{1b}"), "{out}");
}
