//! The policy file: grants, mappings and limits per plugin, as the alternative to
//! command-line flags (`caplet run --policy FILE`).
//!
//! ```toml
//! # Every module must be signed by one of these keys (as `caplet run --trusted-key`;
//! # the flag adds to them). A key or a `.pub` file from `caplet keygen`.
//! trusted-keys = ["keys/release.pub"]
//!
//! # Applies to every plugin; a plugin's own section is merged over it.
//! [defaults]
//! log-level = "warn"
//! kv-store = "state/kv.sqlite"
//!
//! # Keyed by the plugin's manifest name.
//! [plugins.fs_tool]
//! allow = ["log", "fs:read:/data/**", "fs:write:/data/out/**"]
//! dirs = ["data::/data", "/etc/ssl/certs::/certs:ro"]
//! env = ["TZ", "MODE=prod"]
//! secrets = "secrets.toml"
//! config = { greeting = "hi", retries = 3 }
//! fuel = 5_000_000
//! memory = "4MiB"
//! write-quota = "256MiB"  # bytes written beneath the mappings (default 1 GiB)
//! write-quota-files = 500 # files created beneath them (default 100,000)
//! exec-timeout-ms = 5000   # longest program run by `exec` (default 10,000)
//! exec-output = "256KiB"   # stdout, and stderr, captured per run (default 1 MiB)
//! timeout-ms = 500
//! sha256 = "e6cd…"         # bind this section to one module
//!
//! [plugins.fs_tool.http]
//! timeout-ms = 2000
//! max-redirects = 3
//! rate = "5/10"            # requests per second / burst, or "off"
//! trust = ["10.0.0.7"]     # exempt from the private-address guard
//! ```
//!
//! Sections are keyed by the plugin's manifest name, which the plugin's author
//! chooses: a hostile module can claim any name. Pin `sha256` in every section that
//! grants more than you would give any module; a module with another digest is then
//! refused (exit 3).
//!
//! Relative paths (`dirs` host sides, `secrets`, `kv-store`) are relative to the
//! policy file's directory. Unknown keys are errors, so a typo never silently drops a
//! restriction. Merging: lists (`allow`, `dirs`, `env`, `trust`) and `config` add up
//! (defaults, then the plugin's section, then command-line flags); single values are
//! overridden in the same order.

use std::collections::BTreeMap;
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use caplet_core::platform::Level;
use caplet_core::{parse_size, Capability, Digest};
use serde::Deserialize;

use crate::fs::Mount;
use crate::http::{HttpConfig, RateLimit};

/// Largest policy file accepted.
pub const MAX_POLICY_BYTES: u64 = 1 << 20;

/// A size written as bytes (`4096`) or with a unit (`"4MiB"`).
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
enum Size {
    Bytes(u64),
    Text(String),
}

/// A config value: text, number or boolean (given to the plugin as text).
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
enum ConfigValue {
    Text(String),
    Int(i64),
    Float(f64),
    Bool(bool),
}

impl ConfigValue {
    fn into_text(self) -> String {
        match self {
            ConfigValue::Text(s) => s,
            ConfigValue::Int(i) => i.to_string(),
            ConfigValue::Float(f) => f.to_string(),
            ConfigValue::Bool(b) => b.to_string(),
        }
    }
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawHttp {
    timeout_ms: Option<u64>,
    max_redirects: Option<u32>,
    rate: Option<String>,
    #[serde(default)]
    trust: Vec<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawSection {
    #[serde(default)]
    allow: Vec<String>,
    #[serde(default)]
    dirs: Vec<String>,
    #[serde(default)]
    env: Vec<String>,
    secrets: Option<PathBuf>,
    kv_store: Option<PathBuf>,
    #[serde(default)]
    config: BTreeMap<String, ConfigValue>,
    fuel: Option<u64>,
    memory: Option<Size>,
    write_quota: Option<Size>,
    write_quota_files: Option<u32>,
    exec_timeout_ms: Option<u64>,
    exec_output: Option<Size>,
    timeout_ms: Option<u64>,
    log_level: Option<String>,
    http: Option<RawHttp>,
    sha256: Option<String>,
}

/// A policy file's TOML, before checking (the tenants file of `caplet serve`
/// embeds one per tenant).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawPolicy {
    #[serde(default, rename = "trusted-keys")]
    trusted_keys: Vec<String>,
    #[serde(default)]
    defaults: RawSection,
    #[serde(default)]
    plugins: BTreeMap<String, RawSection>,
}

impl RawPolicy {
    /// Whether it lists `trusted-keys` (before the keys are read).
    pub(crate) fn lists_trusted_keys(&self) -> bool {
        !self.trusted_keys.is_empty()
    }
}

/// HTTP settings of a section; unset fields keep the earlier value.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct HttpSettings {
    /// Longest one request may take.
    pub timeout: Option<Duration>,
    /// Redirect hops followed.
    pub max_redirects: Option<u32>,
    /// `Some(None)` turns the rate limit off.
    pub rate: Option<Option<RateLimit>>,
    /// Addresses exempt from the private-address guard.
    pub trusted: Vec<IpAddr>,
}

impl HttpSettings {
    /// Applies these settings over `base`.
    pub fn apply(&self, base: &mut HttpConfig) {
        if let Some(t) = self.timeout {
            base.timeout = t;
        }
        if let Some(r) = self.max_redirects {
            base.max_redirects = r;
        }
        if let Some(r) = self.rate {
            base.rate = r;
        }
        base.trusted.extend(self.trusted.iter().copied());
    }
}

/// What a policy says about one plugin, checked and with paths resolved.
#[derive(Debug, Clone, Default)]
pub struct Settings {
    /// Capabilities granted.
    pub allow: Vec<Capability>,
    /// Directory mappings.
    pub dirs: Vec<Mount>,
    /// Environment allowlist (`NAME` or `NAME=VALUE`).
    pub env: Vec<String>,
    /// Secrets file.
    pub secrets: Option<PathBuf>,
    /// Durable KV store.
    pub kv_store: Option<PathBuf>,
    /// Config values.
    pub config: BTreeMap<String, String>,
    /// Fuel per call.
    pub fuel: Option<u64>,
    /// Memory budget in bytes.
    pub memory: Option<u64>,
    /// Bytes the plugin may write beneath its mappings.
    pub write_quota: Option<u64>,
    /// Files the plugin may create beneath its mappings.
    pub write_quota_files: Option<u32>,
    /// Longest run of a program started by `exec`.
    pub exec_timeout: Option<Duration>,
    /// Bytes of each output stream captured from a program run by `exec`.
    pub exec_output: Option<u64>,
    /// Timeout per call.
    pub timeout: Option<Duration>,
    /// Plugin log level.
    pub log_level: Option<Level>,
    /// HTTP settings.
    pub http: HttpSettings,
    /// The module digest this section is bound to (`sha256 = "…"`).
    pub sha256: Option<Digest>,
}

impl Settings {
    /// Merges `over` onto `self`: lists and config add up, single values are replaced.
    pub fn merge(&mut self, over: Settings) {
        self.allow.extend(over.allow);
        self.dirs.extend(over.dirs);
        self.env.extend(over.env);
        self.config.extend(over.config);
        self.secrets = over.secrets.or(self.secrets.take());
        self.kv_store = over.kv_store.or(self.kv_store.take());
        self.fuel = over.fuel.or(self.fuel);
        self.memory = over.memory.or(self.memory);
        self.write_quota = over.write_quota.or(self.write_quota);
        self.write_quota_files = over.write_quota_files.or(self.write_quota_files);
        self.exec_timeout = over.exec_timeout.or(self.exec_timeout);
        self.exec_output = over.exec_output.or(self.exec_output);
        self.timeout = over.timeout.or(self.timeout);
        self.log_level = over.log_level.or(self.log_level);
        self.sha256 = over.sha256.or(self.sha256);
        let h = over.http;
        self.http.timeout = h.timeout.or(self.http.timeout);
        self.http.max_redirects = h.max_redirects.or(self.http.max_redirects);
        self.http.rate = h.rate.or(self.http.rate);
        self.http.trusted.extend(h.trusted);
    }
}

impl Settings {
    /// Applies the section's limits (write quota, files, exec timeout and output)
    /// to `limits`.
    pub fn apply_limits(&self, limits: &mut caplet_core::Limits) -> Result<(), String> {
        if let Some(q) = self.write_quota {
            limits.write_quota_bytes = q;
        }
        if let Some(q) = self.write_quota_files {
            limits.write_quota_files = q;
        }
        if let Some(t) = self.exec_timeout {
            limits.exec_timeout_ms = u64::try_from(t.as_millis()).unwrap_or(u64::MAX);
        }
        if let Some(n) = self.exec_output {
            limits.max_exec_output_bytes =
                u32::try_from(n).map_err(|_| format!("exec output cap {n} is over 4 GiB"))?;
        }
        Ok(())
    }

    /// Checks the module against the section's pinned digest (`sha256 = "…"`), if
    /// any. A section is keyed by the plugin's own, author-chosen name; the pin binds
    /// it to one module. The error is the message for a `digest:` failure.
    pub fn check_pin(&self, name: &str, wasm: &[u8]) -> Result<(), String> {
        match self.sha256 {
            Some(pinned) if pinned.verify(wasm).is_err() => Err(format!(
                "the policy section for `{name}` pins {pinned}, but this module is {}",
                Digest::of(wasm)
            )),
            _ => Ok(()),
        }
    }

    /// The grants: the section's `allow` and `extra`, each once.
    pub fn grants(&self, extra: &[Capability]) -> Result<caplet_core::Grants, caplet_core::Error> {
        let mut grants = caplet_core::Grants::new();
        for cap in self.allow.iter().chain(extra) {
            if !grants.iter().any(|g| g == cap) {
                grants.grant(cap.clone())?;
            }
        }
        Ok(grants)
    }

    /// The std platform this section describes (`stdio`: give WASI programs the
    /// process's standard streams).
    pub fn platform(&self, stdio: bool) -> crate::platform::StdPlatform {
        let mut http = HttpConfig::default();
        self.http.apply(&mut http);
        crate::platform::StdPlatform {
            log_level: self.log_level.unwrap_or(Level::Info),
            mounts: self.dirs.clone(),
            env: self.env.clone(),
            secrets_file: self.secrets.clone(),
            kv_store: self.kv_store.clone(),
            http,
            stdio,
        }
    }
}

/// A parsed policy file.
#[derive(Debug, Clone, Default)]
pub struct Policy {
    defaults: Settings,
    plugins: BTreeMap<String, Settings>,
    trusted_keys: Vec<caplet_core::signature::PublicKey>,
}

/// Parses a log level name.
pub fn parse_level(s: &str) -> Result<Level, String> {
    Ok(match s {
        "trace" => Level::Trace,
        "debug" => Level::Debug,
        "info" => Level::Info,
        "warn" => Level::Warn,
        "error" => Level::Error,
        _ => {
            return Err(format!(
                "`{s}` is not one of trace, debug, info, warn, error"
            ))
        }
    })
}

/// Parses an HTTP rate: `RATE`, `RATE/BURST` or `off`.
pub fn parse_rate(s: &str) -> Result<Option<RateLimit>, String> {
    if s == "off" {
        Ok(None)
    } else {
        RateLimit::parse(s).map(Some)
    }
}

/// Parses a trusted address.
pub fn parse_trusted(s: &str) -> Result<IpAddr, String> {
    s.parse().map_err(|_| format!("`{s}` is not an IP address"))
}

fn resolve(base: &Path, p: PathBuf) -> PathBuf {
    if p.is_relative() {
        base.join(p)
    } else {
        p
    }
}

fn section(raw: RawSection, base: &Path) -> Result<Settings, String> {
    let mut s = Settings::default();
    for cap in raw.allow {
        s.allow
            .push(Capability::parse(&cap).map_err(|e| format!("allow: `{cap}`: {e}"))?);
    }
    for d in raw.dirs {
        let mut m = Mount::parse(&d).map_err(|e| format!("dirs: {e}"))?;
        m.host = resolve(base, m.host);
        s.dirs.push(m);
    }
    for e in &raw.env {
        crate::env::StdEnv::from_specs_with(std::slice::from_ref(e), |_| None)
            .map_err(|err| format!("env: {err}"))?;
    }
    s.env = raw.env;
    s.secrets = raw.secrets.map(|p| resolve(base, p));
    s.kv_store = raw.kv_store.map(|p| resolve(base, p));
    s.config = raw
        .config
        .into_iter()
        .map(|(k, v)| (k, v.into_text()))
        .collect();
    s.fuel = raw.fuel;
    s.memory = size_key("memory", raw.memory)?;
    s.write_quota = size_key("write-quota", raw.write_quota)?;
    s.write_quota_files = raw.write_quota_files;
    s.exec_timeout = raw.exec_timeout_ms.map(Duration::from_millis);
    s.exec_output = size_key("exec-output", raw.exec_output)?;
    s.timeout = raw.timeout_ms.map(Duration::from_millis);
    s.sha256 = raw
        .sha256
        .map(|d| Digest::from_hex(&d).map_err(|e| format!("sha256: `{d}`: {e}")))
        .transpose()?;
    s.log_level = raw
        .log_level
        .map(|l| parse_level(&l).map_err(|e| format!("log-level: {e}")))
        .transpose()?;
    if let Some(h) = raw.http {
        s.http.timeout = h.timeout_ms.map(Duration::from_millis);
        s.http.max_redirects = h.max_redirects;
        s.http.rate = h
            .rate
            .map(|r| parse_rate(&r).map_err(|e| format!("http.rate: {e}")))
            .transpose()?;
        for t in h.trust {
            s.http
                .trusted
                .push(parse_trusted(&t).map_err(|e| format!("http.trust: {e}"))?);
        }
    }
    Ok(s)
}

/// A size key (`memory`, `write-quota`): bytes, or text with a unit.
fn size_key(key: &str, raw: Option<Size>) -> Result<Option<u64>, String> {
    match raw {
        None => Ok(None),
        Some(Size::Bytes(n)) => Ok(Some(n)),
        Some(Size::Text(t)) => parse_size(&t).map(Some).ok_or_else(|| {
            format!("{key}: `{t}` is not a size (bytes, or a number with KiB, MiB or GiB)")
        }),
    }
}

/// Reads an operator's configuration file (`what`: "policy file", "tenants
/// file"…): a regular file of at most `max` bytes of UTF-8. Returns its text and
/// the directory relative paths in it are taken from.
pub(crate) fn read_config(path: &Path, max: u64, what: &str) -> Result<(String, PathBuf), String> {
    let text = crate::files::open_regular(path)
        .and_then(|f| crate::files::read_text_capped_from(f, max))
        .map_err(|e| format!("cannot read {what} {}: {e}", path.display()))?;
    let base = path.parent().unwrap_or(Path::new(".")).to_path_buf();
    Ok((text, base))
}

/// Parses an operator's TOML. toml's Display quotes the offending source line, which
/// may hold a value the operator considers secret (an `env = ["KEY=…"]`, a token
/// hash): the error names the line only.
pub(crate) fn from_toml<T: serde::de::DeserializeOwned>(text: &str) -> Result<T, String> {
    toml::from_str(text).map_err(|e: toml::de::Error| {
        let line = e
            .span()
            .map(|s| text[..s.start.min(text.len())].matches('\n').count() + 1);
        match line {
            Some(l) => format!("line {l}: {}", e.message()),
            None => e.message().to_string(),
        }
    })
}

impl Policy {
    /// Reads and checks the policy file at `path`.
    pub fn load(path: &Path) -> Result<Policy, String> {
        let (text, base) = read_config(path, MAX_POLICY_BYTES, "policy file")?;
        Policy::parse(&text, &base).map_err(|e| format!("policy file {}: {e}", path.display()))
    }

    /// Parses policy TOML; relative paths are taken from `base`.
    pub fn parse(text: &str, base: &Path) -> Result<Policy, String> {
        Policy::from_raw(from_toml(text)?, base)
    }

    /// Checks a policy already read from TOML; relative paths are taken from `base`.
    pub(crate) fn from_raw(raw: RawPolicy, base: &Path) -> Result<Policy, String> {
        let defaults = section(raw.defaults, base).map_err(|e| format!("[defaults] {e}"))?;
        let mut plugins = BTreeMap::new();
        for (name, sec) in raw.plugins {
            let s = section(sec, base).map_err(|e| format!("[plugins.{name}] {e}"))?;
            plugins.insert(name, s);
        }
        // A key, or a `.pub` file relative to the policy file's directory.
        let trusted_keys = raw
            .trusted_keys
            .iter()
            .map(|k| crate::signing::read_public_in(k, base))
            .collect::<Result<Vec<_>, String>>()
            .map_err(|e| format!("trusted-keys: {e}"))?;
        Ok(Policy {
            defaults,
            plugins,
            trusted_keys,
        })
    }

    /// The keys of `trusted-keys`: when there are any, every module loaded under
    /// this policy must carry a valid signature by one of them.
    pub fn trusted_keys(&self) -> &[caplet_core::signature::PublicKey] {
        &self.trusted_keys
    }

    /// The settings for plugin `name`: the defaults with its own section merged over.
    pub fn for_plugin(&self, name: &str) -> Settings {
        let mut s = self.defaults.clone();
        if let Some(own) = self.plugins.get(name) {
            s.merge(own.clone());
        }
        s
    }

    /// Every section (the defaults first, under the name `defaults`).
    pub fn sections(&self) -> impl Iterator<Item = (&str, &Settings)> {
        std::iter::once(("defaults", &self.defaults))
            .chain(self.plugins.iter().map(|(n, s)| (n.as_str(), s)))
    }

    /// Whether the policy has a section for `name`.
    pub fn names(&self, name: &str) -> bool {
        self.plugins.contains_key(name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const EXAMPLE: &str = r#"
[defaults]
log-level = "warn"
kv-store = "state/kv.sqlite"
allow = ["log"]

[plugins.fs_tool]
allow = ["fs:read:/data/**"]
dirs = ["data::/data", "/etc/ssl/certs::/certs:ro"]
env = ["TZ", "MODE=prod"]
secrets = "/run/secrets.toml"
config = { greeting = "hi", retries = 3, on = true }
fuel = 5_000_000
memory = "4MiB"
write-quota = "256MiB"
write-quota-files = 500
exec-timeout-ms = 5000
exec-output = "256KiB"
timeout-ms = 500

[plugins.fs_tool.http]
rate = "5/10"
trust = ["10.0.0.7"]
"#;

    #[test]
    fn sections_merge_over_defaults() {
        let p = Policy::parse(EXAMPLE, Path::new("/etc/caplet")).unwrap();
        let s = p.for_plugin("fs_tool");
        let caps: Vec<String> = s.allow.iter().map(|c| c.to_string()).collect();
        assert_eq!(caps, ["log", "fs:read:/data/**"]);
        assert_eq!(s.dirs[0].host, Path::new("/etc/caplet/data"));
        assert_eq!(s.dirs[1].host, Path::new("/etc/ssl/certs"));
        assert!(s.dirs[1].read_only);
        assert_eq!(
            s.kv_store.as_deref(),
            Some(Path::new("/etc/caplet/state/kv.sqlite"))
        );
        assert_eq!(s.secrets.as_deref(), Some(Path::new("/run/secrets.toml")));
        assert_eq!(s.config["retries"], "3");
        assert_eq!(s.config["on"], "true");
        assert_eq!(s.fuel, Some(5_000_000));
        assert_eq!(s.memory, Some(4 << 20));
        assert_eq!(s.write_quota, Some(256 << 20));
        assert_eq!(s.write_quota_files, Some(500));
        assert_eq!(s.exec_timeout, Some(Duration::from_millis(5000)));
        assert_eq!(s.exec_output, Some(256 << 10));
        assert_eq!(s.timeout, Some(Duration::from_millis(500)));
        assert_eq!(s.log_level, Some(Level::Warn));
        let mut http = HttpConfig::default();
        s.http.apply(&mut http);
        assert_eq!(http.rate.unwrap().burst, 10);
        assert_eq!(http.trusted, ["10.0.0.7".parse::<IpAddr>().unwrap()]);
        // A plugin without a section gets the defaults only.
        let other = p.for_plugin("echo");
        assert_eq!(other.allow.len(), 1);
        assert!(other.dirs.is_empty());
        assert!(p.names("fs_tool") && !p.names("echo"));
    }

    #[test]
    fn mistakes_are_named() {
        let base = Path::new(".");
        let cases = [
            ("[plugins.a]\nalow = [\"log\"]", "alow"),
            (
                "[plugins.a]\nallow = [\"teleport\"]",
                "[plugins.a] allow: `teleport`",
            ),
            ("[plugins.a]\ndirs = [\"/x\"]", "[plugins.a] dirs"),
            ("[defaults]\nmemory = \"lots\"", "[defaults] memory"),
            ("[plugins.a.http]\nrate = \"0\"", "http.rate"),
            ("[plugins.a.http]\ntrust = [\"localhost\"]", "http.trust"),
            ("[plugins.a]\nlog-level = \"loud\"", "log-level"),
            ("[plugins.a]\nenv = [\"=x\"]", "env"),
            ("[plugins.a]\nsha256 = \"abc\"", "sha256"),
        ];
        for (text, needle) in cases {
            let e = Policy::parse(text, base).unwrap_err();
            assert!(e.contains(needle), "{text}: {e}");
        }
    }
}

#[cfg(test)]
mod echo_tests {
    use super::*;

    #[test]
    fn syntax_errors_name_the_line_not_its_text() {
        let text = "[plugins.a]\nenv = [\"API_KEY=sk-live-123\"]\nallow = [\"log\" \"kv\"]\n";
        let e = Policy::parse(text, Path::new(".")).unwrap_err();
        assert!(e.contains("line 3"), "{e}");
        assert!(!e.contains("sk-live-123") && !e.contains('\n'), "{e}");
    }
}
