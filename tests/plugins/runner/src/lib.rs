//! `runner`: runs allowed programs and keeps files in its private scratch
//! directory. Capabilities `exec:<program>` and `fs:temp`, as granted.
//!
//! - `run`: the input is `{"argv": [...], "env": [...], "cwd": "...",
//!   "stdin": "text", "timeout_ms": N}`; returns `{"exit_code", "signal",
//!   "timed_out", "output_capped", "stdout", "stderr", "stdout_len", "duration_ms"}`
//!   (streams as lossy UTF-8, the first 4 KiB).
//! - `scratch_put`: the input is `name=text`; writes `/tmp/<name>`.
//! - `scratch_get`: the input is a name; reads `/tmp/<name>`.
//! - `scratch_list`: lists `/tmp`.

use caplet_guest::exec::Command;
use caplet_guest::{fs, Error};
use serde::{Deserialize, Serialize};

caplet_guest::manifest!(
    r#"{
  "name": "runner",
  "version": "1.0.0",
  "description": "Runs allowed programs; keeps files in its scratch directory",
  "entrypoints": ["run", "scratch_put", "scratch_get", "scratch_list"]
}"#
);

#[derive(Deserialize)]
struct RunRequest {
    argv: Vec<String>,
    #[serde(default)]
    env: Vec<String>,
    #[serde(default)]
    cwd: Option<String>,
    #[serde(default)]
    stdin: String,
    #[serde(default)]
    timeout_ms: Option<u64>,
}

#[derive(Serialize)]
struct RunResult {
    exit_code: Option<i32>,
    signal: Option<i32>,
    timed_out: bool,
    output_capped: bool,
    stdout: String,
    stderr: String,
    stdout_len: usize,
    duration_ms: u64,
}

fn run(req: RunRequest) -> Result<RunResult, Error> {
    let mut argv = req.argv.into_iter();
    let program = argv
        .next()
        .ok_or_else(|| Error::invalid_input("argv is empty"))?;
    let mut cmd = Command::new(program)
        .args(argv)
        .stdin(req.stdin.into_bytes());
    for name in req.env {
        cmd = cmd.env(name);
    }
    if let Some(dir) = req.cwd {
        cmd = cmd.cwd(dir);
    }
    if let Some(ms) = req.timeout_ms {
        cmd = cmd.timeout_ms(ms);
    }
    let out = cmd.run()?;
    Ok(RunResult {
        exit_code: out.exit_code,
        signal: out.signal,
        timed_out: out.timed_out,
        output_capped: out.output_capped,
        stdout_len: out.stdout.len(),
        duration_ms: out.duration_ms,
        stdout: String::from_utf8_lossy(&out.stdout[..out.stdout.len().min(4096)]).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr[..out.stderr.len().min(4096)]).into_owned(),
    })
}

fn scratch_put(input: &[u8]) -> Result<Vec<u8>, Error> {
    let text = std::str::from_utf8(input)?;
    let (name, body) = text
        .split_once('=')
        .ok_or_else(|| Error::invalid_input("expected name=text"))?;
    fs::write(&format!("/tmp/{name}"), body.as_bytes())?;
    Ok(Vec::new())
}

fn scratch_get(input: &[u8]) -> Result<Vec<u8>, Error> {
    fs::read(&format!("/tmp/{}", std::str::from_utf8(input)?))
}

fn scratch_list(_input: &[u8]) -> Result<String, Error> {
    let mut names: Vec<String> = fs::list("/tmp")?.into_iter().map(|e| e.name).collect();
    names.sort();
    Ok(names.join(","))
}

caplet_guest::json_entrypoint!(run);
caplet_guest::entrypoint!(scratch_put, scratch_get, scratch_list);
