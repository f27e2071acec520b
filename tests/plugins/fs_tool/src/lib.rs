//! `fs_tool`: files under `/data`. Capabilities `fs:read:/data/**`, `fs:write:/data/**`.
//!
//! * `read` — `{"path": "..."}` → the file's bytes, raw;
//! * `write` — `{"path": "...", "data": "<text>"}` → `ok`;
//! * `list` — `{"path": "..."}` → JSON array of `{"name","kind","size"}`.

use caplet_guest::fs::{self, DirEntry};
use caplet_guest::{json, Error};
use serde::Deserialize;

caplet_guest::manifest!(
    r#"{
  "name": "fs_tool",
  "version": "1.0.0",
  "description": "Reads, writes and lists files under /data",
  "entrypoints": ["read", "write", "list"],
  "capabilities": ["fs:read:/data/**", "fs:write:/data/**"]
}"#
);

#[derive(Deserialize)]
struct PathArg {
    path: String,
}

#[derive(Deserialize)]
struct WriteArg {
    path: String,
    data: String,
}

fn read(input: &[u8]) -> Result<Vec<u8>, Error> {
    let arg: PathArg = json::parse(input)?;
    fs::read(&arg.path)
}

fn write(input: &[u8]) -> Result<&'static str, Error> {
    let arg: WriteArg = json::parse(input)?;
    fs::write(&arg.path, arg.data.as_bytes())?;
    Ok("ok")
}

fn list(arg: PathArg) -> Result<Vec<DirEntry>, Error> {
    fs::list(&arg.path)
}

caplet_guest::entrypoint!(read, write);
caplet_guest::json_entrypoint!(list);
