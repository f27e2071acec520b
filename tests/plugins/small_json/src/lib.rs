//! `small_json`: the contract of `json_transform` in the kit's small-plugin
//! mode (`no_std`, no allocator, 1-byte memory pages). It parses with `serde`
//! and `serde-json-core` and writes its output straight into the kit's
//! [`Output`]. No capabilities.
//!
//! `transform`: `{"name": String, "values": [i64]}` →
//! `{"greeting": "hello, <name>", "sum": <sum>, "count": <n>}`, byte for byte
//! what `json_transform` writes. Bad JSON (or a sum that overflows i64) is
//! `INVALID_INPUT` with a message.
//!
//! Bounds, each refused with `INVALID_INPUT` and a message that names it:
//!
//! * `name`: at most 64 bytes (unescaped), kept in a `heapless::String`;
//! * any string with escapes: at most 64 bytes unescaped (the parser's
//!   scratch buffer);
//! * nesting: at most 16 levels of arrays and objects (the parser recurses
//!   into fields it skips).
//!
//! `values` has no bound of its own: the integers are summed and counted as
//! they are parsed, never stored. The memory limit bounds the input.
//!
//! Where `serde-json-core` differs from `serde_json`: it refuses a character
//! escaped as a UTF-16 surrogate pair (`\ud83d\ude00`; the character itself
//! is read), and it checks the numbers and literals of unknown fields, which
//! both skip, less strictly.
#![no_std]

use core::fmt;

use caplet_guest::{Error, Output};
use serde::de::{self, Deserialize, Deserializer, SeqAccess, Visitor};

caplet_guest::manifest!(
    r#"{
  "name": "small_json",
  "version": "1.0.0",
  "description": "Greets a name and sums a list of integers, in the small-plugin mode",
  "entrypoints": ["transform"],
  "capabilities": [],
  "limits": {"fuel": 10000000, "memory": 32768, "timeout_ms": 1000}
}"#
);

/// The longest name, and the longest string with escapes, in bytes.
const MAX_STRING: usize = 64;
/// The deepest nesting of arrays and objects.
const MAX_DEPTH: usize = 16;

#[derive(serde::Deserialize)]
struct Input {
    name: Name,
    values: Sum,
}

/// The name, or the fact that it was too long (told apart from bad JSON).
enum Name {
    Fits(heapless::String<MAX_STRING>),
    TooLong,
}

impl<'de> Deserialize<'de> for Name {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Name, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Name;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Name, E> {
                let mut name = heapless::String::new();
                Ok(match name.push_str(v) {
                    Ok(()) => Name::Fits(name),
                    Err(_) => Name::TooLong,
                })
            }
        }
        d.deserialize_str(V)
    }
}

/// `values`, summed as they are parsed: `sum` is `None` once it overflowed.
struct Sum {
    sum: Option<i64>,
    count: usize,
}

impl<'de> Deserialize<'de> for Sum {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Sum, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Sum;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an array of integers")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Sum, A::Error> {
                let mut total = Sum {
                    sum: Some(0),
                    count: 0,
                };
                while let Some(v) = seq.next_element::<i64>()? {
                    total.sum = total.sum.and_then(|s| s.checked_add(v));
                    total.count += 1;
                }
                Ok(total)
            }
        }
        d.deserialize_seq(V)
    }
}

/// Refuses input nested deeper than [`MAX_DEPTH`] before the parser sees it.
fn check_depth(input: &[u8]) -> Result<(), Error> {
    let (mut depth, mut in_string, mut escaped) = (0usize, false, false);
    for &b in input {
        if in_string {
            if escaped {
                escaped = false;
            } else if b == b'\\' {
                escaped = true;
            } else if b == b'"' {
                in_string = false;
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b'[' | b'{' => {
                depth += 1;
                if depth > MAX_DEPTH {
                    return Err(Error::invalid_input("nested deeper than 16 levels"));
                }
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    Ok(())
}

fn json_error(e: serde_json_core::de::Error) -> Error {
    use serde_json_core::de::Error as E;
    Error::invalid_input(match e {
        E::EscapedStringIsTooLong => "a string with escapes is longer than 64 bytes",
        E::InvalidEscapeSequence => "bad JSON: an invalid escape (or an escaped surrogate pair)",
        E::InvalidNumber => "bad JSON: a value is not a 64-bit integer",
        E::InvalidType => "bad JSON: a value of the wrong type",
        E::CustomError => "bad JSON: a field is missing, repeated or of the wrong type",
        E::TrailingCharacters => "bad JSON: trailing characters",
        _ => "bad JSON",
    })
}

/// Writes `s` as the inside of a JSON string, escaped as `serde_json` does.
fn write_escaped(out: &mut Output, s: &str) -> Result<(), Error> {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let bytes = s.as_bytes();
    let mut start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        let short = match b {
            b'"' => b'"',
            b'\\' => b'\\',
            0x08 => b'b',
            0x09 => b't',
            0x0a => b'n',
            0x0c => b'f',
            0x0d => b'r',
            0x00..=0x1f => b'u',
            _ => continue,
        };
        out.try_extend_from_slice(&bytes[start..i])?;
        if short == b'u' {
            let hex = [
                b'\\',
                b'u',
                b'0',
                b'0',
                HEX[usize::from(b >> 4)],
                HEX[usize::from(b & 0xf)],
            ];
            out.try_extend_from_slice(&hex)?;
        } else {
            out.try_extend_from_slice(&[b'\\', short])?;
        }
        start = i + 1;
    }
    out.try_extend_from_slice(&bytes[start..])
}

/// Writes `n` in decimal.
fn write_int(out: &mut Output, n: i64) -> Result<(), Error> {
    if n < 0 {
        out.push(b'-')?;
    }
    let mut v = n.unsigned_abs();
    let mut digits = [0u8; 20];
    let mut at = digits.len();
    loop {
        at -= 1;
        digits[at] = b'0' + (v % 10) as u8;
        v /= 10;
        if v == 0 {
            break;
        }
    }
    out.try_extend_from_slice(&digits[at..])
}

fn transform(input: &[u8], out: &mut Output) -> Result<(), Error> {
    check_depth(input)?;
    let mut scratch = [0u8; MAX_STRING];
    let (input, _) =
        serde_json_core::from_slice_escaped::<Input>(input, &mut scratch).map_err(json_error)?;
    let Name::Fits(name) = input.name else {
        return Err(Error::invalid_input("name is longer than 64 bytes"));
    };
    let sum = input
        .values
        .sum
        .ok_or(Error::invalid_input("sum overflows a 64-bit integer"))?;
    out.try_extend_from_slice(br#"{"greeting":"hello, "#)?;
    write_escaped(out, &name)?;
    out.try_extend_from_slice(br#"","sum":"#)?;
    write_int(out, sum)?;
    out.try_extend_from_slice(br#","count":"#)?;
    // A count fits in i64: each value takes at least one byte of input.
    write_int(out, input.values.count as i64)?;
    out.push(b'}')
}

caplet_guest::entrypoint!(transform);
