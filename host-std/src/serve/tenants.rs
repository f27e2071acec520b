//! Tenants: who may call the service, with which token, to run what, under which
//! policy.
//!
//! ```toml
//! [tenants.acme]
//! # SHA-256 of the bearer token, in hex (`printf %s "$TOKEN" | sha256sum`).
//! token-sha256 = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
//! # What it may run: NAME, NAME@REQ, sha256:HEX, a registry reference, or "*"
//! # (every plugin of the plugin directories).
//! plugins = ["echo", "kv_counter@^1"]
//! rate = "50/100"          # runs per second / burst (default: no limit)
//! max-fuel = 50_000_000    # the most fuel a request may ask for
//! max-timeout-ms = 10_000  # the longest timeout a request may ask for
//! admin = false            # may use /v1/admin/*
//!
//! # A policy file's format: [defaults] and [plugins.NAME], merged over the
//! # service's --policy.
//! [tenants.acme.policy.defaults]
//! allow = ["log"]
//! [tenants.acme.policy.plugins.kv_counter]
//! allow = ["kv"]
//! ```
//!
//! Tokens are stored hashed; a presented token is hashed and compared with every
//! tenant's hash in constant time. A tenant's KV store is its own file under the
//! service's data directory, so `kv-store` may not be set in a tenant's policy.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use caplet_core::Digest;
use serde::Deserialize;
use subtle::ConstantTimeEq;

use crate::http::{Bucket, RateLimit};
use crate::policy::{from_toml, parse_rate, read_config, Policy, RawPolicy, Settings};
use crate::registry::Requirement;

/// Largest tenants file accepted.
pub const MAX_TENANTS_BYTES: u64 = 1 << 20;

/// The name of the one tenant of a service started without `--tenants`.
pub const DEFAULT_TENANT: &str = "default";

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTenants {
    #[serde(default)]
    tenants: BTreeMap<String, RawTenant>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawTenant {
    token_sha256: String,
    #[serde(default)]
    plugins: Vec<String>,
    rate: Option<String>,
    max_fuel: Option<u64>,
    max_timeout_ms: Option<u64>,
    #[serde(default)]
    admin: bool,
    #[serde(default)]
    policy: RawPolicy,
}

/// One entry of a tenant's `plugins` list.
#[derive(Debug, Clone)]
pub enum Allowed {
    /// `*`: every plugin of the plugin directories.
    Any,
    /// `NAME` or `NAME@REQ`.
    Name(String, Requirement),
    /// `sha256:HEX`.
    Digest(Digest),
    /// A registry reference, exactly.
    Reference(String),
}

impl Allowed {
    fn parse(s: &str) -> Result<Allowed, String> {
        if s == "*" {
            return Ok(Allowed::Any);
        }
        if let Some(hex) = s.strip_prefix("sha256:") {
            return Digest::from_hex(hex)
                .map(Allowed::Digest)
                .map_err(|e| format!("`{s}`: {e}"));
        }
        if crate::oci::Reference::looks_like(s) {
            return Ok(Allowed::Reference(s.to_string()));
        }
        let (name, req) = crate::registry::parse_spec(s).map_err(|e| format!("`{s}`: {e}"))?;
        Ok(Allowed::Name(name.to_string(), req))
    }
}

/// A tenant, checked.
#[derive(Debug)]
pub struct Tenant {
    /// Its name (the tenants file's key).
    pub name: String,
    token_sha256: [u8; 32],
    /// What it may run.
    pub plugins: Vec<Allowed>,
    /// Runs per second and burst.
    pub rate: Option<RateLimit>,
    bucket: Option<Mutex<Bucket>>,
    /// The most fuel a request may ask for (default: the plugin's own budget).
    pub max_fuel: Option<u64>,
    /// The longest timeout a request may ask for.
    pub max_timeout: Option<Duration>,
    /// May use the admin endpoints.
    pub admin: bool,
    /// Its policy, merged over the service's.
    pub policy: Policy,
}

impl Tenant {
    /// The tenant of a service without `--tenants`: every plugin of the plugin
    /// directories, no token, no admin, no rate limit.
    pub fn open_default() -> Tenant {
        Tenant {
            name: DEFAULT_TENANT.to_string(),
            token_sha256: [0; 32],
            plugins: vec![Allowed::Any],
            rate: None,
            bucket: None,
            max_fuel: None,
            max_timeout: None,
            admin: false,
            policy: Policy::default(),
        }
    }

    /// Takes one run from the rate limit; `Err(retry after)` when it is spent.
    pub fn take_run(&self) -> Result<(), Duration> {
        let Some(b) = &self.bucket else {
            return Ok(());
        };
        let mut b = b.lock().unwrap_or_else(|p| p.into_inner());
        if b.take(Instant::now()) {
            Ok(())
        } else {
            Err(b.retry_after())
        }
    }

    /// The tenant's settings for plugin `name`: the service's policy, then the
    /// tenant's own.
    pub fn settings(&self, service: &Policy, name: &str) -> Settings {
        let mut s = service.for_plugin(name);
        s.merge(self.policy.for_plugin(name));
        s
    }
}

/// Every tenant.
#[derive(Debug)]
pub struct Tenants {
    tenants: Vec<Tenant>,
    /// Without a tenants file: one open tenant, no token.
    open: bool,
}

/// Why a request was not authenticated.
#[derive(Debug, PartialEq, Eq)]
pub enum AuthError {
    /// No `Authorization: Bearer …` header.
    Missing,
    /// A token no tenant has.
    Unknown,
}

impl Tenants {
    /// A service without a tenants file.
    pub fn open() -> Tenants {
        Tenants {
            tenants: vec![Tenant::open_default()],
            open: true,
        }
    }

    /// Reads and checks a tenants file.
    pub fn load(path: &Path) -> Result<Tenants, String> {
        let (text, base) = read_config(path, MAX_TENANTS_BYTES, "tenants file")?;
        Tenants::parse(&text, &base).map_err(|e| format!("tenants file {}: {e}", path.display()))
    }

    /// Parses a tenants file's TOML; relative paths are taken from `base`.
    pub fn parse(text: &str, base: &Path) -> Result<Tenants, String> {
        let raw: RawTenants = from_toml(text)?;
        if raw.tenants.is_empty() {
            return Err("no [tenants.NAME] section".into());
        }
        let mut tenants = Vec::new();
        for (name, t) in raw.tenants {
            let at = |e: String| format!("[tenants.{name}] {e}");
            if name.is_empty()
                || !name
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
            {
                return Err(at("a tenant name is letters, digits, `-` and `_`".into()));
            }
            let hash =
                Digest::from_hex(&t.token_sha256).map_err(|e| at(format!("token-sha256: {e}")))?;
            let plugins = t
                .plugins
                .iter()
                .map(|p| Allowed::parse(p))
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| at(format!("plugins: {e}")))?;
            let rate = t
                .rate
                .as_deref()
                .map(parse_rate)
                .transpose()
                .map_err(|e| at(format!("rate: {e}")))?
                .flatten();
            if t.policy.lists_trusted_keys() {
                return Err(at(
                    "policy: trusted-keys is set in the service's --policy file, for every \
                     plugin the service loads, not per tenant"
                        .into(),
                ));
            }
            let policy = Policy::from_raw(t.policy, base).map_err(|e| at(format!("policy {e}")))?;
            if let Some((section, _)) = policy.sections().find(|(_, s)| s.kv_store.is_some()) {
                return Err(at(format!(
                    "policy [{section}]: kv-store is not set per tenant; the service keeps each \
                     tenant's KV under --data"
                )));
            }
            if tenants.iter().any(|o: &Tenant| o.token_sha256 == hash.0) {
                return Err(at("shares its token with another tenant".into()));
            }
            tenants.push(Tenant {
                name,
                token_sha256: hash.0,
                plugins,
                bucket: rate.map(|r| Mutex::new(Bucket::new(r))),
                rate,
                max_fuel: t.max_fuel,
                max_timeout: t.max_timeout_ms.map(Duration::from_millis),
                admin: t.admin,
                policy,
            });
        }
        Ok(Tenants {
            tenants,
            open: false,
        })
    }

    /// Whether the service runs without tokens.
    pub fn is_open(&self) -> bool {
        self.open
    }

    /// The tenant whose token is `bearer` (the `Authorization` header's value).
    pub fn authenticate(&self, authorization: Option<&[u8]>) -> Result<&Tenant, AuthError> {
        if self.open {
            return Ok(&self.tenants[0]);
        }
        let token = authorization
            .and_then(|h| h.strip_prefix(b"Bearer "))
            .ok_or(AuthError::Missing)?;
        let presented = Digest::of(token).0;
        // Every tenant is compared, each in constant time, so neither the time
        // nor the order tells which hash came close.
        let mut found = None;
        for t in &self.tenants {
            if bool::from(t.token_sha256.ct_eq(&presented)) {
                found = Some(t);
            }
        }
        found.ok_or(AuthError::Unknown)
    }

    /// Every tenant.
    pub fn iter(&self) -> impl Iterator<Item = &Tenant> {
        self.tenants.iter()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hash(token: &str) -> String {
        Digest::of(token.as_bytes()).to_hex()
    }

    #[test]
    fn tokens_pick_their_tenant_and_nothing_else() {
        let text = format!(
            "[tenants.a]\ntoken-sha256 = \"{}\"\nplugins = [\"echo\"]\n\
             [tenants.b]\ntoken-sha256 = \"{}\"\nplugins = [\"*\"]\nadmin = true\n",
            hash("alpha-token"),
            hash("beta-token")
        );
        let t = Tenants::parse(&text, Path::new(".")).unwrap();
        assert_eq!(
            t.authenticate(Some(b"Bearer alpha-token")).unwrap().name,
            "a"
        );
        let b = t.authenticate(Some(b"Bearer beta-token")).unwrap();
        assert!(b.admin);
        assert_eq!(
            t.authenticate(Some(b"Bearer gamma")).unwrap_err(),
            AuthError::Unknown
        );
        assert_eq!(
            t.authenticate(Some(b"alpha-token")).unwrap_err(),
            AuthError::Missing
        );
        assert_eq!(t.authenticate(None).unwrap_err(), AuthError::Missing);
    }

    #[test]
    fn bad_files_name_the_fault() {
        let cases = [
            ("", "no [tenants.NAME]"),
            ("[tenants.a]\ntoken-sha256 = \"xyz\"\n", "token-sha256"),
            (
                "[tenants.a]\ntoken-sha256 = \"00\"\nsurprise = 1\n",
                "unknown field `surprise`",
            ),
            (
                &format!(
                    "[tenants.a]\ntoken-sha256 = \"{}\"\n[tenants.a.policy.defaults]\n\
                     kv-store = \"x.sqlite\"\n",
                    hash("t")
                ),
                "kv-store is not set per tenant",
            ),
            (
                &format!(
                    "[tenants.a]\ntoken-sha256 = \"{}\"\n[tenants.a.policy]\n\
                     trusted-keys = [\"ed25519:{}\"]\n",
                    hash("t"),
                    "11".repeat(32)
                ),
                "trusted-keys is set in the service's --policy file",
            ),
            (
                &format!(
                    "[tenants.a]\ntoken-sha256 = \"{0}\"\n[tenants.b]\ntoken-sha256 = \"{0}\"\n",
                    hash("t")
                ),
                "shares its token",
            ),
            (
                &format!(
                    "[tenants.a]\ntoken-sha256 = \"{}\"\nplugins = [\"bad name!\"]\n",
                    hash("t")
                ),
                "plugins",
            ),
        ];
        for (text, want) in cases {
            let e = Tenants::parse(text, Path::new(".")).unwrap_err();
            assert!(e.contains(want), "{text:?}: {e}");
        }
    }

    #[test]
    fn the_rate_limit_spends_the_burst_then_says_when() {
        let text = format!(
            "[tenants.a]\ntoken-sha256 = \"{}\"\nrate = \"1/2\"\n",
            hash("t")
        );
        let t = Tenants::parse(&text, Path::new(".")).unwrap();
        let a = t.authenticate(Some(b"Bearer t")).unwrap();
        assert!(a.take_run().is_ok());
        assert!(a.take_run().is_ok());
        let wait = a.take_run().unwrap_err();
        assert!(
            wait > Duration::from_millis(500) && wait <= Duration::from_secs(1),
            "{wait:?}"
        );
    }
}
