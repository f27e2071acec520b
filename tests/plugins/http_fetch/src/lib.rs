//! `http_fetch`: outbound HTTP. Capability `net:outbound:*`.
//!
//! `fetch`: the input is a request in the contract's JSON form
//! (`{"method","url","headers","body"}`, body base64); the output is the
//! response in the same form (`{"status","headers","body"}`).

use caplet_guest::http::{self, Request, Response};
use caplet_guest::Error;

caplet_guest::manifest!(
    r#"{
  "name": "http_fetch",
  "version": "1.0.0",
  "description": "Performs one HTTP request",
  "entrypoints": ["fetch"],
  "capabilities": ["net:outbound:*"]
}"#
);

fn fetch(request: Request) -> Result<Response, Error> {
    http::request(&request)
}

caplet_guest::json_entrypoint!(fetch);
