//! `json_transform`: a JSON entry point. No capabilities.
//!
//! `transform`: `{"name": String, "values": [i64]}` →
//! `{"greeting": "hello, <name>", "sum": <sum>, "count": <n>}`.
//! Bad JSON (or a sum that overflows i64) is `INVALID_INPUT`.

use caplet_guest::Error;
use serde::{Deserialize, Serialize};

caplet_guest::manifest!(
    r#"{
  "name": "json_transform",
  "version": "1.0.0",
  "description": "Greets a name and sums a list of integers",
  "entrypoints": ["transform"],
  "capabilities": [],
  "limits": {"fuel": 10000000, "memory": 1048576, "timeout_ms": 1000}
}"#
);

#[derive(Deserialize)]
struct Input {
    name: String,
    values: Vec<i64>,
}

#[derive(Serialize)]
struct Output {
    greeting: String,
    sum: i64,
    count: usize,
}

fn transform(input: Input) -> Result<Output, Error> {
    let sum = input
        .values
        .iter()
        .try_fold(0i64, |acc, v| acc.checked_add(*v))
        .ok_or_else(|| Error::invalid_input("sum overflows a 64-bit integer"))?;
    Ok(Output {
        greeting: format!("hello, {}", input.name),
        sum,
        count: input.values.len(),
    })
}

caplet_guest::json_entrypoint!(transform);
