//! Compile-time support for [`manifest!`](crate::manifest): a `const` check
//! that the embedded text is well-formed JSON with `name` and `version`, and
//! the copy into the byte array that lands in the `caplet.manifest` section.
//!
//! The host does the full validation (name syntax, semver, capability
//! strings) when it loads the module; this check only catches typos early.

/// Copies `json` into an array of exactly its length.
///
/// Fails to compile (const panic) when `N` differs from `json.len()`.
pub const fn manifest_bytes<const N: usize>(json: &str) -> [u8; N] {
    let src = json.as_bytes();
    assert!(src.len() == N, "manifest length mismatch");
    let mut out = [0u8; N];
    let mut i = 0;
    while i < N {
        out[i] = src[i];
        i += 1;
    }
    out
}

/// Checks that `json` is one JSON object whose top level has `"name"` and
/// `"version"` keys. Returns a short description of the first problem.
pub const fn check_manifest(json: &str) -> Result<(), &'static str> {
    let b = json.as_bytes();
    let i = ws(b, 0);
    if i >= b.len() || b[i] != b'{' {
        return Err("the manifest must be a JSON object");
    }
    let mut flags = 0u8;
    let end = match object(b, i, 0, &mut flags) {
        Ok(end) => end,
        Err(e) => return Err(e),
    };
    if ws(b, end) != b.len() {
        return Err("trailing characters after the manifest object");
    }
    if flags & HAS_NAME == 0 {
        return Err("the manifest needs a \"name\"");
    }
    if flags & HAS_VERSION == 0 {
        return Err("the manifest needs a \"version\"");
    }
    Ok(())
}

const HAS_NAME: u8 = 1;
const HAS_VERSION: u8 = 2;
const MAX_DEPTH: usize = 32;

const fn ws(b: &[u8], mut i: usize) -> usize {
    while i < b.len() && matches!(b[i], b' ' | b'\t' | b'\n' | b'\r') {
        i += 1;
    }
    i
}

const fn eq(b: &[u8], start: usize, end: usize, word: &[u8]) -> bool {
    if end - start != word.len() {
        return false;
    }
    let mut k = 0;
    while k < word.len() {
        if b[start + k] != word[k] {
            return false;
        }
        k += 1;
    }
    true
}

/// A value starting at `i` (after whitespace); returns the index after it.
const fn value(b: &[u8], i: usize, depth: usize) -> Result<usize, &'static str> {
    let i = ws(b, i);
    if i >= b.len() {
        return Err("unexpected end of manifest");
    }
    match b[i] {
        b'{' => {
            let mut ignored = 0u8;
            object(b, i, depth, &mut ignored)
        }
        b'[' => array(b, i, depth),
        b'"' => string(b, i),
        b't' => literal(b, i, b"true"),
        b'f' => literal(b, i, b"false"),
        b'n' => literal(b, i, b"null"),
        b'-' | b'0'..=b'9' => number(b, i),
        _ => Err("unexpected character in manifest JSON"),
    }
}

const fn literal(b: &[u8], i: usize, word: &[u8]) -> Result<usize, &'static str> {
    if i + word.len() <= b.len() && eq(b, i, i + word.len(), word) {
        Ok(i + word.len())
    } else {
        Err("bad literal in manifest JSON")
    }
}

const fn digits(b: &[u8], mut i: usize) -> usize {
    while i < b.len() && b[i].is_ascii_digit() {
        i += 1;
    }
    i
}

const fn number(b: &[u8], mut i: usize) -> Result<usize, &'static str> {
    if b[i] == b'-' {
        i += 1;
    }
    if i < b.len() && b[i] == b'0' {
        i += 1;
    } else {
        let j = digits(b, i);
        if j == i {
            return Err("bad number in manifest JSON");
        }
        i = j;
    }
    if i < b.len() && b[i] == b'.' {
        let j = digits(b, i + 1);
        if j == i + 1 {
            return Err("bad number in manifest JSON");
        }
        i = j;
    }
    if i < b.len() && (b[i] == b'e' || b[i] == b'E') {
        i += 1;
        if i < b.len() && (b[i] == b'+' || b[i] == b'-') {
            i += 1;
        }
        let j = digits(b, i);
        if j == i {
            return Err("bad number in manifest JSON");
        }
        i = j;
    }
    Ok(i)
}

const fn string(b: &[u8], i: usize) -> Result<usize, &'static str> {
    let mut i = i + 1;
    while i < b.len() {
        match b[i] {
            b'"' => return Ok(i + 1),
            b'\\' => {
                if i + 1 >= b.len() {
                    break;
                }
                match b[i + 1] {
                    b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't' => i += 2,
                    b'u' => {
                        let mut k = 0;
                        while k < 4 {
                            if i + 2 + k >= b.len() || !b[i + 2 + k].is_ascii_hexdigit() {
                                return Err("bad \\u escape in manifest JSON");
                            }
                            k += 1;
                        }
                        i += 6;
                    }
                    _ => return Err("bad escape in manifest JSON"),
                }
            }
            0..=0x1f => return Err("control character in a manifest string"),
            _ => i += 1,
        }
    }
    Err("unterminated string in manifest JSON")
}

const fn array(b: &[u8], i: usize, depth: usize) -> Result<usize, &'static str> {
    if depth >= MAX_DEPTH {
        return Err("manifest JSON nested too deeply");
    }
    let mut i = ws(b, i + 1);
    if i < b.len() && b[i] == b']' {
        return Ok(i + 1);
    }
    loop {
        i = match value(b, i, depth + 1) {
            Ok(j) => ws(b, j),
            Err(e) => return Err(e),
        };
        if i >= b.len() {
            return Err("unterminated array in manifest JSON");
        }
        match b[i] {
            b',' => i += 1,
            b']' => return Ok(i + 1),
            _ => return Err("expected ',' or ']' in manifest JSON"),
        }
    }
}

const fn object(b: &[u8], i: usize, depth: usize, flags: &mut u8) -> Result<usize, &'static str> {
    if depth >= MAX_DEPTH {
        return Err("manifest JSON nested too deeply");
    }
    let mut i = ws(b, i + 1);
    if i < b.len() && b[i] == b'}' {
        return Ok(i + 1);
    }
    loop {
        if i >= b.len() || b[i] != b'"' {
            return Err("expected a string key in manifest JSON");
        }
        let key_end = match string(b, i) {
            Ok(j) => j,
            Err(e) => return Err(e),
        };
        if eq(b, i, key_end, b"\"name\"") {
            *flags |= HAS_NAME;
        } else if eq(b, i, key_end, b"\"version\"") {
            *flags |= HAS_VERSION;
        }
        i = ws(b, key_end);
        if i >= b.len() || b[i] != b':' {
            return Err("expected ':' in manifest JSON");
        }
        i = match value(b, i + 1, depth + 1) {
            Ok(j) => ws(b, j),
            Err(e) => return Err(e),
        };
        if i >= b.len() {
            return Err("unterminated object in manifest JSON");
        }
        match b[i] {
            b',' => i = ws(b, i + 1),
            b'}' => return Ok(i + 1),
            _ => return Err("expected ',' or '}' in manifest JSON"),
        }
    }
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    use std::format;

    const GOOD: &str = r#"{
        "name": "echo", "version": "1.0.0", "description": "a \"quoted\" \u00e9 thing",
        "entrypoints": ["echo", "upper"], "capabilities": [],
        "limits": {"fuel": 10000000, "memory": 1048576, "timeout_ms": 1000},
        "config": {"prefix": ">"}, "x": [true, false, null, -1.5e3, 0]
    }"#;

    // The check runs at compile time, as in the macro.
    const _: () = match check_manifest(GOOD) {
        Ok(()) => (),
        Err(e) => panic!("{}", e),
    };

    #[test]
    fn accepts_good_manifests() {
        assert_eq!(check_manifest(GOOD), Ok(()));
        assert_eq!(check_manifest(r#"{"version":"1.0.0","name":"a"}"#), Ok(()));
    }

    #[test]
    fn rejects_bad_manifests() {
        for bad in [
            "",
            "[]",
            r#"{"name":"a"}"#,
            r#"{"version":"1.0.0"}"#,
            r#"{"config":{"name":"x","version":"y"}}"#,
            r#"{"name":"a","version":"1.0.0",}"#,
            r#"{"name":"a","version":"1.0.0"} x"#,
            r#"{"name":"a","version":"1.0.0","n":01}"#,
            r#"{"name":"a","version":"1.0.0","n":1.}"#,
            r#"{"name":"a","version":"1.0.0","s":"\x"}"#,
            r#"{"name":"a","version":"1.0.0","s":"open}"#,
            r#"{"name":"a","version":"1.0.0","a":[1 2]}"#,
            r#"{"name":"a","version":"1.0.0","t":tru}"#,
            "{\"name\":\"a\",\"version\":\"1\",\"s\":\"tab\there\"}",
        ] {
            assert!(check_manifest(bad).is_err(), "accepted {bad:?}");
        }
        let deep = format!(
            "{{\"name\":\"a\",\"version\":\"1\",\"d\":{}{}}}",
            "[".repeat(40),
            "]".repeat(40)
        );
        assert!(check_manifest(&deep).is_err());
    }

    #[test]
    fn copies_bytes() {
        const B: [u8; 2] = manifest_bytes::<2>("{}");
        assert_eq!(&B, b"{}");
    }
}
