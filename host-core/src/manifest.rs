//! The plugin manifest: JSON, parsed without `std` by `serde-json-core`.
//!
//! ```json
//! {
//!   "name": "echo",
//!   "version": "1.0.0",
//!   "description": "returns its input",
//!   "entrypoints": ["echo", "upper"],
//!   "capabilities": ["log", "kv"],
//!   "limits": { "fuel": 1000000, "memory": 1048576, "timeout_ms": 500 },
//!   "config": { "prefix": "> " },
//!   "module": "echo.wasm",
//!   "sha256": "…64 hex digits…"
//! }
//! ```
//!
//! `name` and `version` are required; `module` and `sha256` belong to a sidecar file
//! (they are refused inside the module's `caplet.manifest` section, where they would
//! describe the bytes that contain them). Unknown fields are refused, so a typo such as
//! `capabilites` is an error rather than a silently ignored requirement.

use alloc::collections::BTreeMap;
use alloc::string::String;
use alloc::vec;
use alloc::vec::Vec;
use serde::Deserialize;

use crate::capability::Capability;
use crate::digest::Digest;
use crate::error::Error;

/// Longest manifest accepted, in bytes.
pub const MAX_MANIFEST_BYTES: usize = 64 * 1024;
/// Name of the custom section that carries an embedded manifest.
pub const MANIFEST_SECTION: &str = "caplet.manifest";

/// Limits a plugin asks for. The operator's settings take precedence.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ManifestLimits {
    /// Fuel per call.
    pub fuel: Option<u64>,
    /// Linear-memory bytes.
    pub memory: Option<u64>,
    /// Wall-clock milliseconds per call (enforced by hosts that have a clock).
    pub timeout_ms: Option<u64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Raw {
    name: String,
    version: String,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    entrypoints: Vec<String>,
    #[serde(default)]
    capabilities: Vec<String>,
    #[serde(default)]
    limits: Option<ManifestLimits>,
    #[serde(default)]
    config: BTreeMap<StrKey, String>,
    #[serde(default)]
    module: Option<String>,
    #[serde(default)]
    sha256: Option<String>,
}

/// A map key that deserializes through `deserialize_str`.
///
/// `serde-json-core` 0.7's map-key deserializer hits `unreachable!()` for
/// `deserialize_string` (what `String` asks for): a panic reachable from untrusted
/// JSON. Every string-keyed map the core parses uses this key type instead.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct StrKey(pub String);

impl<'de> Deserialize<'de> for StrKey {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl serde::de::Visitor<'_> for V {
            type Value = StrKey;
            fn expecting(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
                f.write_str("a string key")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<StrKey, E> {
                Ok(StrKey(String::from(v)))
            }
        }
        d.deserialize_str(V)
    }
}

/// A validated manifest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Manifest {
    /// Plugin name: 1–64 of `[a-z0-9_-]`, starting with a letter or digit.
    pub name: String,
    /// Semantic version.
    pub version: semver::Version,
    /// Free text.
    pub description: Option<String>,
    /// Entry points the plugin declares (each must be exported with the entry signature).
    pub entrypoints: Vec<String>,
    /// Capabilities the plugin requires.
    pub capabilities: Vec<Capability>,
    /// Limits it asks for.
    pub limits: ManifestLimits,
    /// Config defaults (the operator may override them).
    pub config: BTreeMap<String, String>,
    /// Sidecar only: path of the module, relative to the manifest.
    pub module: Option<String>,
    /// Sidecar only: SHA-256 of the module bytes.
    pub sha256: Option<Digest>,
}

impl Manifest {
    /// Parses and validates a manifest (sidecar form: `module` and `sha256` allowed).
    pub fn parse(json: &[u8]) -> Result<Self, Error> {
        let m = parse_raw(json)?;
        m.validate()?;
        Ok(m)
    }

    /// Parses a manifest found in a module's `caplet.manifest` section.
    pub fn parse_embedded(json: &[u8]) -> Result<Self, Error> {
        let m = Self::parse(json)?;
        if m.module.is_some() || m.sha256.is_some() {
            return Err(Error::manifest(
                "`module` and `sha256` belong in a sidecar manifest, not in the module's caplet.manifest section",
            ));
        }
        Ok(m)
    }

    /// A minimal manifest for a module that has none: the given name, version 0.0.0.
    pub fn anonymous(name: &str) -> Self {
        Manifest {
            name: sanitize_name(name),
            version: semver::Version::new(0, 0, 0),
            description: None,
            entrypoints: vec![],
            capabilities: vec![],
            limits: ManifestLimits::default(),
            config: BTreeMap::new(),
            module: None,
            sha256: None,
        }
    }

    fn validate(&self) -> Result<(), Error> {
        validate_name(&self.name)?;
        for e in &self.entrypoints {
            if e.is_empty() || e.len() > 128 || e.chars().any(|c| c.is_control()) {
                return Err(Error::manifest(msg!(
                    "entry point name `{e}` is empty, too long or has control characters"
                )));
            }
        }
        for key in self.config.keys() {
            if key.is_empty() || key.len() > 128 {
                return Err(Error::manifest(msg!(
                    "config key `{key}` must be 1-128 bytes"
                )));
            }
        }
        if let Some(module) = &self.module {
            if module.is_empty() {
                return Err(Error::manifest("`module` is empty"));
            }
        }
        Ok(())
    }
}

/// Checks a plugin name: 1–64 of `[a-z0-9_-]`, starting with a letter or digit.
pub fn validate_name(name: &str) -> Result<(), Error> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
        && name.as_bytes()[0].is_ascii_alphanumeric();
    if ok {
        Ok(())
    } else {
        Err(Error::manifest(msg!(
            "name `{}` must be 1-64 characters of a-z, 0-9, `-`, `_`, starting with a letter or digit",
            crate::capability::truncate(name, 80)
        )))
    }
}

/// Turns a file stem into a valid plugin name (`My Plugin.v2` → `my-plugin-v2`).
pub fn sanitize_name(stem: &str) -> String {
    let mut out: String = stem
        .chars()
        .take(64)
        .map(|c| {
            let c = c.to_ascii_lowercase();
            if c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-' {
                c
            } else {
                '-'
            }
        })
        .collect();
    while out.starts_with(['-', '_']) {
        out.remove(0);
    }
    if out.is_empty() {
        out.push_str("plugin");
    }
    out
}

fn parse_raw(json: &[u8]) -> Result<Manifest, Error> {
    if json.len() > MAX_MANIFEST_BYTES {
        return Err(Error::manifest(msg!(
            "manifest is {} bytes, more than the {} allowed",
            json.len(),
            MAX_MANIFEST_BYTES
        )));
    }
    // Unescaped strings are at most as long as the input.
    let mut scratch = vec![0u8; json.len()];
    let (raw, used): (Raw, usize) = serde_json_core::from_slice_escaped(json, &mut scratch)
        .map_err(|e| Error::manifest(msg!("invalid JSON: {}", json_error(&e))))?;
    if json[used..].iter().any(|b| !b.is_ascii_whitespace()) {
        return Err(Error::manifest("trailing characters after the JSON object"));
    }
    let version = semver::Version::parse(&raw.version)
        .map_err(|e| Error::manifest(msg!("version `{}` is not semver: {e}", raw.version)))?;
    let mut capabilities = Vec::with_capacity(raw.capabilities.len());
    for c in &raw.capabilities {
        capabilities
            .push(Capability::parse(c).map_err(|e| Error::manifest(msg!("capabilities: {e}")))?);
    }
    let sha256 = match raw.sha256 {
        None => None,
        Some(hex) => {
            Some(Digest::from_hex(&hex).map_err(|e| Error::manifest(msg!("sha256: {e}")))?)
        }
    };
    // Moved over one by one: the keys come sorted from a `BTreeMap` already, and
    // `BTreeMap`'s `FromIterator` would sort them again with the stable sort, whose
    // code is 2.3 KiB of a board's flash.
    let mut config = BTreeMap::new();
    for (key, value) in raw.config {
        config.insert(key.0, value);
    }
    Ok(Manifest {
        name: raw.name,
        version,
        description: raw.description,
        entrypoints: raw.entrypoints,
        capabilities,
        limits: raw.limits.unwrap_or_default(),
        config,
        module: raw.module,
        sha256,
    })
}

fn json_error(e: &serde_json_core::de::Error) -> String {
    use serde_json_core::de::Error as E;
    let text = match e {
        E::EofWhileParsingList
        | E::EofWhileParsingObject
        | E::EofWhileParsingString
        | E::EofWhileParsingNumber
        | E::EofWhileParsingValue => "unexpected end of input",
        E::ExpectedColon => "expected `:`",
        E::ExpectedListCommaOrEnd => "expected `,` or `]`",
        E::ExpectedObjectCommaOrEnd => "expected `,` or `}`",
        E::ExpectedSomeIdent => "expected `true`, `false` or `null`",
        E::ExpectedSomeValue => "expected a value",
        E::InvalidNumber => "invalid number",
        E::InvalidType => "a field has the wrong type",
        E::InvalidUnicodeCodePoint => "invalid unicode escape",
        E::KeyMustBeAString => "object keys must be strings",
        E::TrailingCharacters => "trailing characters",
        E::TrailingComma => "trailing comma",
        E::EscapedStringIsTooLong => "escaped string too long",
        E::CustomError => "a field is missing, unknown or out of range",
        _ => "malformed JSON",
    };
    String::from(text)
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::string::ToString;

    const FULL: &str = r#"{
        "name": "echo", "version": "1.2.3-beta.1", "description": "say \"hi\"",
        "entrypoints": ["echo", "upper"], "capabilities": ["log", "fs:read:/data/**"],
        "limits": {"fuel": 5000, "memory": 131072, "timeout_ms": 20},
        "config": {"prefix": "> ", "n": "1"},
        "module": "echo.wasm",
        "sha256": "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    }"#;

    #[test]
    fn parses_every_field() {
        let m = Manifest::parse(FULL.as_bytes()).unwrap();
        assert_eq!(m.name, "echo");
        assert_eq!(m.version, semver::Version::parse("1.2.3-beta.1").unwrap());
        assert_eq!(m.description.as_deref(), Some("say \"hi\""));
        assert_eq!(m.entrypoints, ["echo", "upper"]);
        assert_eq!(m.capabilities.len(), 2);
        assert_eq!(m.capabilities[1].to_string(), "fs:read:/data/**");
        assert_eq!(m.limits.fuel, Some(5000));
        assert_eq!(m.limits.memory, Some(131072));
        assert_eq!(m.limits.timeout_ms, Some(20));
        assert_eq!(m.config.get("prefix").map(String::as_str), Some("> "));
        assert_eq!(m.module.as_deref(), Some("echo.wasm"));
        assert_eq!(
            m.sha256.unwrap().to_hex(),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        assert!(Manifest::parse_embedded(FULL.as_bytes())
            .unwrap_err()
            .to_string()
            .contains("sidecar"));
    }

    #[test]
    fn minimal_manifest() {
        let m = Manifest::parse(br#"{"name":"a","version":"0.1.0"}"#).unwrap();
        assert!(m.capabilities.is_empty() && m.entrypoints.is_empty() && m.config.is_empty());
    }

    #[test]
    fn refuses_bad_manifests_naming_the_problem() {
        for (json, needle) in [
            (r#"{"name":"a","version":"1"}"#, "not semver"),
            (r#"{"name":"A b","version":"1.0.0"}"#, "name `A b`"),
            (r#"{"name":"","version":"1.0.0"}"#, "name ``"),
            (r#"{"version":"1.0.0"}"#, "missing"),
            (
                r#"{"name":"a","version":"1.0.0","capabilites":["kv"]}"#,
                "unknown",
            ),
            (
                r#"{"name":"a","version":"1.0.0","capabilities":["teleport"]}"#,
                "unknown capability",
            ),
            (r#"{"name":"a","version":"1.0.0","sha256":"xyz"}"#, "sha256"),
            (r#"{"name":"a","version":"1.0.0"} x"#, "trailing"),
            (r#"{"name":"a","version":"1.0.0","#, "end of input"),
            (
                r#"{"name":"a","version":"1.0.0","limits":{"fuel":-1}}"#,
                "manifest",
            ),
            (r#"[1,2]"#, "manifest"),
        ] {
            let msg = Manifest::parse(json.as_bytes()).unwrap_err().to_string();
            assert!(msg.contains(needle), "{json}: {msg}");
        }
        let huge = alloc::format!(
            r#"{{"name":"a","version":"1.0.0","description":"{}"}}"#,
            "x".repeat(MAX_MANIFEST_BYTES)
        );
        assert!(Manifest::parse(huge.as_bytes())
            .unwrap_err()
            .to_string()
            .contains("more than"));
    }

    #[test]
    fn sanitizes_file_stems() {
        assert_eq!(sanitize_name("My Plugin.v2"), "my-plugin-v2");
        assert_eq!(sanitize_name("__"), "plugin");
        validate_name(&sanitize_name("Ünïcode")).unwrap();
    }
}
