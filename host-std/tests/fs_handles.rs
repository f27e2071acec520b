//! The handle-based (WASI) filesystem operations of `StdFs` over real temp
//! directories: one read-write mapping at `/data`, one read-only at `/ro`, and a
//! directory `outside/` next to them that is never mapped.

use std::os::unix::fs::symlink;
use std::path::PathBuf;
use std::sync::mpsc;
use std::time::Duration;

use caplet::fs::{Mount, StdFs};
use caplet_core::platform::{FileType, Filesystem, FsError, OpenFile, OpenFlags, SetTime, Whence};
use caplet_core::Code;

const DENIED: FsError = FsError::Code(Code::PermissionDenied);

struct Sandbox {
    _tmp: tempfile::TempDir,
    data: PathBuf,
    ro: PathBuf,
    outside: PathBuf,
    fs: StdFs,
}

fn sandbox() -> Sandbox {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let ro = tmp.path().join("ro");
    let outside = tmp.path().join("outside");
    for d in [&data, &ro, &outside] {
        std::fs::create_dir_all(d).unwrap();
    }
    std::fs::create_dir(data.join("sub")).unwrap();
    std::fs::write(data.join("hello.txt"), "hello").unwrap();
    std::fs::write(data.join("sub/inner.txt"), "inner").unwrap();
    std::fs::write(ro.join("kept.txt"), "kept").unwrap();
    std::fs::write(outside.join("secret.txt"), "top secret").unwrap();
    let fs = StdFs::new(vec![
        Mount {
            host: data.clone(),
            guest: "/data".into(),
            read_only: false,
        },
        Mount {
            host: ro.clone(),
            guest: "/ro".into(),
            read_only: true,
        },
    ])
    .unwrap();
    Sandbox {
        _tmp: tmp,
        data,
        ro,
        outside,
        fs,
    }
}

fn rd() -> OpenFlags {
    OpenFlags {
        read: true,
        follow: true,
        ..OpenFlags::default()
    }
}

fn rw_create() -> OpenFlags {
    OpenFlags {
        read: true,
        write: true,
        create: true,
        follow: true,
        ..OpenFlags::default()
    }
}

fn err<T>(r: Result<T, FsError>) -> FsError {
    match r {
        Ok(_) => panic!("expected an error"),
        Err(e) => e,
    }
}

fn read_all(f: &mut dyn OpenFile) -> Vec<u8> {
    let mut out = Vec::new();
    let mut buf = [0u8; 3];
    loop {
        let n = f.read(&mut buf).unwrap();
        if n == 0 {
            return out;
        }
        out.extend_from_slice(&buf[..n]);
    }
}

#[test]
fn open_create_write_read_seek_round_trip() {
    let s = sandbox();
    let mut f = s.fs.open("/data/new.txt", rw_create()).unwrap();
    assert_eq!(f.write(b"hello world").unwrap(), 11);
    assert_eq!(f.seek(0, Whence::Current).unwrap(), 11);
    assert_eq!(f.seek(0, Whence::Start).unwrap(), 0);
    assert_eq!(read_all(&mut *f), b"hello world");
    assert_eq!(f.seek(-5, Whence::End).unwrap(), 6);
    let mut buf = [0u8; 5];
    assert_eq!(f.read(&mut buf).unwrap(), 5);
    assert_eq!(&buf, b"world");
    assert_eq!(err(f.seek(-1, Whence::Start)), FsError::Invalid);

    // Positional I/O leaves the cursor alone.
    f.seek(2, Whence::Start).unwrap();
    assert_eq!(f.write_at(b"WORLD", 6).unwrap(), 5);
    let mut buf = [0u8; 5];
    assert_eq!(f.read_at(&mut buf, 0).unwrap(), 5);
    assert_eq!(&buf, b"hello");
    assert_eq!(f.seek(0, Whence::Current).unwrap(), 2);

    let st = f.stat().unwrap();
    assert_eq!(st.filetype, FileType::RegularFile);
    assert_eq!(st.size, 11);
    assert_eq!(st.nlink, 1);
    assert!(st.mtim > 0);

    // Append mode, tracked by the handle.
    f.set_append(true).unwrap();
    f.seek(0, Whence::Start).unwrap();
    f.write(b"!").unwrap();
    f.set_append(false).unwrap();
    f.seek(0, Whence::Start).unwrap();
    f.write(b"H").unwrap();
    f.set_size(12).unwrap();
    f.sync(true).unwrap();
    f.sync(false).unwrap();
    f.set_times(SetTime::At(1_000_000_000), SetTime::At(2_000_000_123))
        .unwrap();
    assert_eq!(f.stat().unwrap().mtim, 2_000_000_123);
    assert_eq!(f.stat().unwrap().atim, 1_000_000_000);
    assert_eq!(err(f.read_dir()), FsError::NotDir);
    drop(f);
    assert_eq!(
        std::fs::read(s.data.join("new.txt")).unwrap(),
        b"Hello WORLD!"
    );

    // Opened with append: writes go to the end; truncate empties.
    let mut f =
        s.fs.open(
            "/data/hello.txt",
            OpenFlags {
                write: true,
                append: true,
                follow: true,
                ..OpenFlags::default()
            },
        )
        .unwrap();
    f.write(b" there").unwrap();
    drop(f);
    assert_eq!(
        std::fs::read(s.data.join("hello.txt")).unwrap(),
        b"hello there"
    );
    let f =
        s.fs.open(
            "/data/hello.txt",
            OpenFlags {
                write: true,
                truncate: true,
                ..OpenFlags::default()
            },
        )
        .unwrap();
    assert_eq!(f.stat().unwrap().size, 0);

    // A read-only handle cannot write.
    let mut f = s.fs.open("/data/sub/inner.txt", rd()).unwrap();
    assert_eq!(err(f.write(b"x")), FsError::BadDescriptor);
    assert_eq!(read_all(&mut *f), b"inner");

    // Missing files, and files where a directory is needed.
    assert_eq!(
        err(s.fs.open("/data/missing", rd())),
        FsError::Code(Code::NotFound)
    );
    assert_eq!(
        err(s.fs.open("/nowhere/x", rd())),
        FsError::Code(Code::NotFound)
    );
    assert_eq!(
        err(s.fs.open(
            "/data/hello.txt",
            OpenFlags {
                directory: true,
                ..rd()
            }
        )),
        FsError::NotDir
    );
    assert_eq!(err(s.fs.open("/data/hello.txt/x", rd())), FsError::NotDir);
}

#[test]
fn exclusive_create_of_an_existing_file_is_exists() {
    let s = sandbox();
    let excl = OpenFlags {
        exclusive: true,
        ..rw_create()
    };
    assert_eq!(err(s.fs.open("/data/hello.txt", excl)), FsError::Exists);
    assert_eq!(err(s.fs.open("/data", excl)), FsError::Exists);
    let mut f = s.fs.open("/data/fresh.txt", excl).unwrap();
    f.write(b"x").unwrap();
    assert_eq!(err(s.fs.open("/data/fresh.txt", excl)), FsError::Exists);
}

#[test]
fn directories_open_as_directory_handles() {
    let s = sandbox();
    symlink("hello.txt", s.data.join("link")).unwrap();
    let mut d =
        s.fs.open(
            "/data",
            OpenFlags {
                directory: true,
                ..rd()
            },
        )
        .unwrap();
    let st = d.stat().unwrap();
    assert_eq!(st.filetype, FileType::Directory);
    let entries = d.read_dir().unwrap();
    let names: Vec<&str> = entries.iter().map(|e| e.name.as_str()).collect();
    assert_eq!(names, [".", "..", "hello.txt", "link", "sub"]);
    assert_eq!(entries[0].ino, st.ino);
    // `..` of the mount point is itself.
    assert_eq!(entries[1].ino, st.ino);
    let by_name = |n: &str| entries.iter().find(|e| e.name == n).unwrap();
    assert_eq!(by_name("sub").filetype, FileType::Directory);
    assert_eq!(by_name("hello.txt").filetype, FileType::RegularFile);
    assert_eq!(by_name("link").filetype, FileType::SymbolicLink);
    assert_eq!(
        by_name("hello.txt").ino,
        s.fs.stat("/data/hello.txt", false).unwrap().ino
    );
    // Listing twice gives the same entries.
    assert_eq!(d.read_dir().unwrap(), entries);

    let mut buf = [0u8; 4];
    assert_eq!(err(d.read(&mut buf)), FsError::IsDir);
    assert_eq!(err(d.write(b"x")), FsError::IsDir);
    assert_eq!(err(d.read_at(&mut buf, 0)), FsError::IsDir);
    assert_eq!(err(d.set_size(0)), FsError::IsDir);
    assert!(d.seek(0, Whence::Start).is_err());
    d.set_times(SetTime::Keep, SetTime::At(3_000_000_000))
        .unwrap();
    assert_eq!(d.stat().unwrap().mtim, 3_000_000_000);
    d.sync(false).unwrap();

    // A subdirectory's `..` is the mount point.
    let mut sub = s.fs.open("/data/sub", rd()).unwrap();
    let entries = sub.read_dir().unwrap();
    assert_eq!(entries[1].name, "..");
    assert_eq!(entries[1].ino, st.ino);
    assert_eq!(entries[2].name, "inner.txt");

    // Writing a directory is refused.
    assert_eq!(
        err(s.fs.open(
            "/data/sub",
            OpenFlags {
                write: true,
                ..OpenFlags::default()
            }
        )),
        FsError::IsDir
    );
}

#[test]
fn path_stat_and_set_times() {
    let s = sandbox();
    symlink("hello.txt", s.data.join("link")).unwrap();
    let file = s.fs.stat("/data/hello.txt", false).unwrap();
    assert_eq!(file.filetype, FileType::RegularFile);
    assert_eq!(file.size, 5);
    assert_eq!(
        s.fs.stat("/data/link", false).unwrap().filetype,
        FileType::SymbolicLink
    );
    assert_eq!(s.fs.stat("/data/link", true).unwrap().ino, file.ino);
    assert_eq!(
        s.fs.stat("/data", false).unwrap().filetype,
        FileType::Directory
    );
    assert_eq!(
        s.fs.stat("/ro", true).unwrap().filetype,
        FileType::Directory
    );

    s.fs.set_times(
        "/data/link",
        true,
        SetTime::At(5_000_000_000),
        SetTime::At(6_000_000_000),
    )
    .unwrap();
    let st = s.fs.stat("/data/hello.txt", true).unwrap();
    assert_eq!((st.atim, st.mtim), (5_000_000_000, 6_000_000_000));
    s.fs.set_times(
        "/data/link",
        false,
        SetTime::Keep,
        SetTime::At(7_000_000_000),
    )
    .unwrap();
    assert_eq!(s.fs.stat("/data/link", false).unwrap().mtim, 7_000_000_000);
    assert_eq!(
        s.fs.stat("/data/hello.txt", true).unwrap().mtim,
        6_000_000_000
    );
    s.fs.set_times("/data/sub", true, SetTime::Now, SetTime::Now)
        .unwrap();
    s.fs.set_times("/data", false, SetTime::Keep, SetTime::At(8_000_000_000))
        .unwrap();
    assert_eq!(s.fs.stat("/data", false).unwrap().mtim, 8_000_000_000);
    assert_eq!(
        err(s
            .fs
            .set_times("/ro/kept.txt", true, SetTime::Now, SetTime::Now)),
        DENIED
    );
}

#[test]
fn mkdir_and_rmdir() {
    let s = sandbox();
    s.fs.create_dir("/data/d").unwrap();
    assert!(s.data.join("d").is_dir());
    assert_eq!(err(s.fs.create_dir("/data/d")), FsError::Exists);
    assert_eq!(err(s.fs.create_dir("/data")), FsError::Exists);
    assert_eq!(
        err(s.fs.create_dir("/data/no/such")),
        FsError::Code(Code::NotFound)
    );
    std::fs::write(s.data.join("d/f"), "x").unwrap();
    assert_eq!(err(s.fs.remove_dir("/data/d")), FsError::NotEmpty);
    assert_eq!(err(s.fs.remove_dir("/data/d/f")), FsError::NotDir);
    assert_eq!(err(s.fs.remove_file("/data/d")), FsError::IsDir);
    s.fs.remove_file("/data/d/f").unwrap();
    s.fs.remove_dir("/data/d").unwrap();
    assert!(!s.data.join("d").exists());
    assert_eq!(
        err(s.fs.remove_dir("/data/d")),
        FsError::Code(Code::NotFound)
    );
    // The mount point stays.
    assert_eq!(err(s.fs.remove_dir("/data")), DENIED);
    assert_eq!(err(s.fs.remove_file("/data")), DENIED);
}

#[test]
fn rename_within_a_mapping_only() {
    let s = sandbox();
    s.fs.rename("/data/hello.txt", "/data/sub/moved.txt")
        .unwrap();
    assert_eq!(
        std::fs::read(s.data.join("sub/moved.txt")).unwrap(),
        b"hello"
    );
    assert!(!s.data.join("hello.txt").exists());
    s.fs.rename("/data/sub", "/data/sub2").unwrap();
    assert!(s.data.join("sub2/inner.txt").is_file());
    assert_eq!(
        err(s.fs.rename("/data/sub2/moved.txt", "/ro/moved.txt")),
        FsError::CrossDevice
    );
    assert_eq!(err(s.fs.rename("/data", "/data/x")), DENIED);
    assert_eq!(err(s.fs.rename("/data/sub2", "/data")), DENIED);
    assert_eq!(err(s.fs.rename("/ro/kept.txt", "/ro/k2.txt")), DENIED);
    assert_eq!(
        err(s.fs.rename("/data/missing", "/data/x")),
        FsError::Code(Code::NotFound)
    );
}

#[test]
fn hard_links() {
    let s = sandbox();
    s.fs.hard_link("/data/hello.txt", "/data/sub/linked.txt", false)
        .unwrap();
    assert_eq!(s.fs.stat("/data/hello.txt", false).unwrap().nlink, 2);
    let mut f = s.fs.open("/data/sub/linked.txt", rd()).unwrap();
    assert_eq!(read_all(&mut *f), b"hello");
    assert_eq!(
        err(s
            .fs
            .hard_link("/data/hello.txt", "/data/sub/linked.txt", false)),
        FsError::Exists
    );
    assert_eq!(
        err(s.fs.hard_link("/data/hello.txt", "/ro/l", false)),
        FsError::CrossDevice
    );
    assert_eq!(err(s.fs.hard_link("/ro/kept.txt", "/ro/l", false)), DENIED);
    // Following the link names the file it points to.
    symlink("hello.txt", s.data.join("link")).unwrap();
    s.fs.hard_link("/data/link", "/data/via_follow", true)
        .unwrap();
    assert_eq!(
        s.fs.stat("/data/via_follow", false).unwrap().filetype,
        FileType::RegularFile
    );
    s.fs.hard_link("/data/link", "/data/link2", false).unwrap();
    assert_eq!(
        s.fs.stat("/data/link2", false).unwrap().filetype,
        FileType::SymbolicLink
    );
    // Following a link out of the mapping is refused.
    symlink(s.outside.join("secret.txt"), s.data.join("out")).unwrap();
    assert_eq!(
        err(s.fs.hard_link("/data/out", "/data/stolen", true)),
        DENIED
    );
    assert!(!s.data.join("stolen").exists());
}

#[test]
fn symlink_and_read_link() {
    let s = sandbox();
    s.fs.symlink("sub/inner.txt", "/data/l").unwrap();
    assert_eq!(s.fs.read_link("/data/l").unwrap(), "sub/inner.txt");
    assert_eq!(
        std::fs::read_link(s.data.join("l")).unwrap(),
        PathBuf::from("sub/inner.txt")
    );
    // The target is stored as given, even one that would escape.
    s.fs.symlink("../../etc/passwd", "/data/esc").unwrap();
    assert_eq!(s.fs.read_link("/data/esc").unwrap(), "../../etc/passwd");
    assert_eq!(err(s.fs.symlink("/etc/passwd", "/data/abs")), DENIED);
    assert!(std::fs::symlink_metadata(s.data.join("abs")).is_err());
    assert_eq!(err(s.fs.symlink("x", "/data/l")), FsError::Exists);
    assert_eq!(err(s.fs.symlink("kept.txt", "/ro/l")), DENIED);
    assert_eq!(err(s.fs.read_link("/data/hello.txt")), FsError::Invalid);
    assert_eq!(
        err(s.fs.read_link("/data/none")),
        FsError::Code(Code::NotFound)
    );
    // A link whose text is absolute (made on the host) is read back as is.
    symlink("/etc/passwd", s.data.join("host_abs")).unwrap();
    assert_eq!(s.fs.read_link("/data/host_abs").unwrap(), "/etc/passwd");
    s.fs.remove_file("/data/l").unwrap();
    assert!(s.data.join("sub/inner.txt").exists());
}

#[test]
fn symlinks_are_followed_beneath_the_mapping_only() {
    let s = sandbox();
    symlink("sub/inner.txt", s.data.join("in_file")).unwrap();
    symlink("sub", s.data.join("in_dir")).unwrap();
    symlink("../outside/secret.txt", s.data.join("up")).unwrap();
    symlink("../../etc/passwd", s.data.join("sub/way_up")).unwrap();
    symlink(s.outside.join("secret.txt"), s.data.join("abs")).unwrap();
    symlink(&s.outside, s.data.join("abs_dir")).unwrap();
    symlink(s.data.join("hello.txt"), s.data.join("abs_inside")).unwrap();

    let mut f = s.fs.open("/data/in_file", rd()).unwrap();
    assert_eq!(read_all(&mut *f), b"inner");
    // Through a link in an intermediate component.
    let mut f = s.fs.open("/data/in_dir/inner.txt", rd()).unwrap();
    assert_eq!(read_all(&mut *f), b"inner");
    let mut d = s.fs.open("/data/in_dir", rd()).unwrap();
    assert_eq!(d.stat().unwrap().filetype, FileType::Directory);
    // `.`, `..`, `inner.txt`, `way_up`
    assert_eq!(d.read_dir().unwrap().len(), 4);

    for p in [
        "/data/up",
        "/data/sub/way_up",
        "/data/abs",
        "/data/abs_dir/secret.txt",
        "/data/abs_inside",
    ] {
        assert_eq!(err(s.fs.open(p, rd())), DENIED, "{p}");
        assert_eq!(err(s.fs.stat(p, true)), DENIED, "{p}");
        let w = OpenFlags {
            write: true,
            truncate: true,
            ..rw_create()
        };
        assert_eq!(err(s.fs.open(p, w)), DENIED, "{p}");
    }
    assert_eq!(
        std::fs::read(s.outside.join("secret.txt")).unwrap(),
        b"top secret"
    );
    // A new link out, made by the guest, is refused the same way.
    s.fs.symlink("../outside/secret.txt", "/data/mine").unwrap();
    assert_eq!(err(s.fs.open("/data/mine", rd())), DENIED);
    // Creating through a dangling link out is refused.
    symlink("../outside/new.txt", s.data.join("dangling")).unwrap();
    assert_eq!(err(s.fs.open("/data/dangling", rw_create())), DENIED);
    assert!(!s.outside.join("new.txt").exists());
}

#[test]
fn no_follow_on_a_symlink_is_loop() {
    let s = sandbox();
    symlink("hello.txt", s.data.join("link")).unwrap();
    symlink("sub", s.data.join("dlink")).unwrap();
    let nofollow = OpenFlags {
        read: true,
        ..OpenFlags::default()
    };
    assert_eq!(err(s.fs.open("/data/link", nofollow)), FsError::Loop);
    assert_eq!(err(s.fs.open("/data/dlink", nofollow)), FsError::Loop);
    // Intermediate components are still followed.
    let mut f = s.fs.open("/data/dlink/inner.txt", nofollow).unwrap();
    assert_eq!(read_all(&mut *f), b"inner");
    // A self-referencing loop.
    symlink("loop", s.data.join("loop")).unwrap();
    assert_eq!(err(s.fs.open("/data/loop", rd())), FsError::Loop);
}

#[test]
fn fifos_are_refused_without_blocking() {
    let s = sandbox();
    let fifo = s.data.join("fifo");
    let status = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .expect("mkfifo runs");
    assert!(status.success());
    let (tx, rx) = mpsc::channel();
    let fs = s.fs;
    std::thread::spawn(move || {
        let r = fs.open("/data/fifo", rd()).map(|_| ());
        let w = fs
            .open(
                "/data/fifo",
                OpenFlags {
                    write: true,
                    follow: true,
                    ..OpenFlags::default()
                },
            )
            .map(|_| ());
        let st = fs.stat("/data/fifo", false).map(|st| st.filetype);
        let t = fs.set_times("/data/fifo", true, SetTime::Now, SetTime::Now);
        let _ = tx.send((r, w, st, t));
    });
    let (r, w, st, t) = rx
        .recv_timeout(Duration::from_secs(10))
        .expect("the FIFO did not block");
    assert_eq!(r, Err(DENIED));
    assert_eq!(w, Err(DENIED));
    assert_eq!(st, Ok(FileType::Unknown));
    assert_eq!(t, Ok(()));
}

#[test]
fn the_read_only_mapping_refuses_every_change() {
    let s = sandbox();
    let mut f = s.fs.open("/ro/kept.txt", rd()).unwrap();
    assert_eq!(read_all(&mut *f), b"kept");
    assert_eq!(err(f.write(b"x")), DENIED);
    assert_eq!(err(f.write_at(b"x", 0)), DENIED);
    assert_eq!(err(f.set_size(0)), DENIED);
    assert_eq!(err(f.set_times(SetTime::Now, SetTime::Now)), DENIED);
    let mut d = s.fs.open("/ro", rd()).unwrap();
    assert_eq!(d.read_dir().unwrap().len(), 3);
    assert_eq!(err(d.set_times(SetTime::Now, SetTime::Now)), DENIED);

    for flags in [
        OpenFlags {
            write: true,
            ..rd()
        },
        OpenFlags {
            create: true,
            ..rd()
        },
        OpenFlags {
            truncate: true,
            ..rd()
        },
        OpenFlags {
            append: true,
            ..rd()
        },
        rw_create(),
    ] {
        assert_eq!(err(s.fs.open("/ro/kept.txt", flags)), DENIED, "{flags:?}");
        assert_eq!(err(s.fs.open("/ro/new.txt", flags)), DENIED, "{flags:?}");
    }
    assert_eq!(err(s.fs.create_dir("/ro/d")), DENIED);
    assert_eq!(err(s.fs.remove_file("/ro/kept.txt")), DENIED);
    assert_eq!(err(s.fs.remove_dir("/ro")), DENIED);
    assert_eq!(err(s.fs.symlink("kept.txt", "/ro/s")), DENIED);
    assert_eq!(err(s.fs.hard_link("/ro/kept.txt", "/ro/h", false)), DENIED);
    assert_eq!(err(s.fs.rename("/ro/kept.txt", "/ro/k")), DENIED);
    assert_eq!(
        err(s
            .fs
            .set_times("/ro/kept.txt", false, SetTime::Now, SetTime::Now)),
        DENIED
    );
    assert_eq!(std::fs::read(s.ro.join("kept.txt")).unwrap(), b"kept");
    assert_eq!(std::fs::read_dir(&s.ro).unwrap().count(), 1);
}

#[test]
fn contract_v1_still_refuses_symlinks() {
    let s = sandbox();
    symlink("hello.txt", s.data.join("link")).unwrap();
    assert_eq!(s.fs.read("/data/hello.txt", 100).unwrap(), b"hello");
    assert_eq!(s.fs.read("/data/link", 100), Err(Code::PermissionDenied));
}
