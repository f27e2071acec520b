//! `fs:temp` in the core: each loaded plugin gets its own scratch filesystem
//! from the platform, every path beneath the grant's directory goes there (and
//! nowhere else), and nothing moves between it and the mappings.

use caplet_core::platform::FsError;
use caplet_core::{Code, Grants, PluginConfig, Runtime};

fn load(caps: &[&str]) -> caplet_core::Plugin {
    let wasm = caplet_tests::wat_str(r#"(module (memory (export "memory") 1))"#);
    Runtime::default()
        .load(
            &wasm,
            PluginConfig {
                grants: Grants::from_strs(caps.iter().copied()).unwrap(),
                platform: caplet_core::platform::testing::full(),
                ..Default::default()
            },
        )
        .unwrap()
}

#[test]
fn scratch_paths_go_to_the_plugins_own_filesystem() {
    let a = load(&["fs:temp", "fs:write:/data/**", "fs:read:/data/**"]);
    let b = load(&["fs:temp"]);
    a.services().fs_write("/tmp/k", b"a").unwrap();
    b.services().fs_write("/tmp/k", b"b").unwrap();
    assert_eq!(a.services().fs_read("/tmp/k").unwrap(), b"a");
    assert_eq!(b.services().fs_read("/tmp/k").unwrap(), b"b");
    // The platform's own filesystem never saw them.
    a.services().fs_write("/data/k", b"d").unwrap();
    assert_eq!(b.services().fs_read("/data/k"), Err(Code::PermissionDenied));
    // Neither a rename nor a link crosses between scratch and a mapping.
    assert!(matches!(
        a.services().fs_rename("/tmp/k", "/data/moved"),
        Err(FsError::CrossDevice)
    ));
    assert!(matches!(
        a.services().fs_hard_link("/data/k", "/tmp/l", false),
        Err(FsError::CrossDevice)
    ));
}

#[test]
fn a_scratch_directory_elsewhere_than_tmp() {
    let p = load(&["fs:temp:/scratch"]);
    p.services().fs_write("/scratch/x", b"1").unwrap();
    assert_eq!(
        p.services().fs_write("/tmp/x", b"1"),
        Err(Code::PermissionDenied)
    );
    // The grant names its directory.
    assert!(p.grants().scratch_dirs().eq(["/scratch"]));
}
