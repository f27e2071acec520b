//! Registry credentials and the registry's `WWW-Authenticate` challenge.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use base64::Engine as _;
use serde::Deserialize;

use super::{err, OciError};

/// Credentials for registries.
#[derive(Clone, Default)]
pub struct Credentials {
    env: Option<(String, String)>,
    file: BTreeMap<String, (String, String)>,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials")
            .field("from_env", &self.env.is_some())
            .field("registries", &self.file.keys().collect::<Vec<_>>())
            .finish()
    }
}

impl Credentials {
    /// No credentials: anonymous access only.
    pub fn anonymous() -> Credentials {
        Credentials::default()
    }

    /// From the environment and `file` (or `$CAPLET_AUTH_FILE`, or
    /// `~/.docker/config.json` when present).
    pub fn load(file: Option<&Path>) -> Result<Credentials, OciError> {
        let mut c = Credentials::default();
        if let (Ok(u), Ok(p)) = (
            std::env::var("CAPLET_REGISTRY_USER"),
            std::env::var("CAPLET_REGISTRY_PASSWORD"),
        ) {
            c.env = Some((u, p));
        }
        let path = file
            .map(Path::to_path_buf)
            .or_else(|| std::env::var_os("CAPLET_AUTH_FILE").map(PathBuf::from))
            .or_else(|| {
                std::env::var_os("HOME")
                    .map(|h| PathBuf::from(h).join(".docker/config.json"))
                    .filter(|p| p.is_file())
            });
        if let Some(path) = path {
            let bytes = crate::files::read_capped(&path, 1 << 20)
                .map_err(|e| OciError(format!("credentials file {}: {e}", path.display())))?;
            c.file = parse_auth_file(&bytes)
                .map_err(|e| OciError(format!("credentials file {}: {e}", path.display())))?;
        }
        Ok(c)
    }

    pub(super) fn for_registry(&self, registry: &str) -> Option<(String, String)> {
        self.env
            .clone()
            .or_else(|| self.file.get(registry).cloned())
    }
}

fn parse_auth_file(bytes: &[u8]) -> Result<BTreeMap<String, (String, String)>, String> {
    #[derive(Deserialize)]
    struct Entry {
        auth: Option<String>,
        username: Option<String>,
        password: Option<String>,
    }
    #[derive(Deserialize)]
    struct File {
        #[serde(default)]
        auths: BTreeMap<String, Entry>,
    }
    let f: File = serde_json::from_slice(bytes).map_err(|_| "not valid JSON".to_string())?;
    let mut out = BTreeMap::new();
    for (host, e) in f.auths {
        let host = host
            .trim_start_matches("https://")
            .trim_start_matches("http://")
            .trim_end_matches('/')
            .to_string();
        let pair = match (e.auth, e.username, e.password) {
            (Some(a), _, _) => {
                let raw = base64::engine::general_purpose::STANDARD
                    .decode(a.trim())
                    .map_err(|_| format!("`auth` of {host} is not base64"))?;
                let text =
                    String::from_utf8(raw).map_err(|_| format!("`auth` of {host} is not UTF-8"))?;
                let (u, p) = text
                    .split_once(':')
                    .ok_or_else(|| format!("`auth` of {host} is not user:password"))?;
                (u.to_string(), p.to_string())
            }
            (None, Some(u), Some(p)) => (u, p),
            _ => continue,
        };
        out.insert(host, pair);
    }
    Ok(out)
}

pub(super) enum Challenge {
    Basic,
    Bearer {
        realm: String,
        service: Option<String>,
        scope: Option<String>,
    },
}

pub(super) fn parse_challenge(h: &str) -> Option<Challenge> {
    let (scheme, params) = h.trim().split_once(' ').unwrap_or((h.trim(), ""));
    if scheme.eq_ignore_ascii_case("basic") {
        return Some(Challenge::Basic);
    }
    if !scheme.eq_ignore_ascii_case("bearer") {
        return None;
    }
    let mut map = BTreeMap::new();
    let mut rest = params;
    while let Some((k, after)) = rest.split_once('=') {
        let k = k.trim().trim_start_matches(',').trim().to_ascii_lowercase();
        let after = after.trim_start();
        let (v, next) = if let Some(q) = after.strip_prefix('"') {
            let end = q.find('"')?;
            (&q[..end], &q[end + 1..])
        } else {
            let end = after.find(',').unwrap_or(after.len());
            (&after[..end], &after[end..])
        };
        map.insert(k, v.to_string());
        rest = next;
    }
    Some(Challenge::Bearer {
        realm: map.remove("realm")?,
        service: map.remove("service"),
        scope: map.remove("scope"),
    })
}

pub(super) fn basic(user: &str, password: &str) -> String {
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"))
    )
}

/// Whether the registry's credentials may go to its token realm, checked before
/// anything is sent (as Docker's and oras' clients do): over HTTPS to any host, or
/// over plain HTTP only to the registry's own host when that host is this machine
/// (the rule for credentials over plain HTTP everywhere in Caplet).
pub(super) fn realm_may_get_credentials(registry: &str, realm: &url::Url) -> Result<(), OciError> {
    if realm.scheme() == "https" {
        return Ok(());
    }
    let realm_host = match (realm.host_str(), realm.port()) {
        (Some(h), Some(p)) => format!("{h}:{p}"),
        (Some(h), None) => h.to_string(),
        (None, _) => String::new(),
    };
    if realm.scheme() == "http"
        && realm_host.eq_ignore_ascii_case(registry)
        && is_loopback_registry(registry)
    {
        return Ok(());
    }
    err(format!(
        "{registry}: refusing to send credentials to the token service at {realm}: \
         credentials go over HTTPS, or over plain HTTP only to the registry's own host on \
         this machine"
    ))
}

pub(super) fn is_loopback_registry(registry: &str) -> bool {
    let host = registry
        .rsplit_once(':')
        .map_or(registry, |(h, p)| {
            if p.chars().all(|c| c.is_ascii_digit()) {
                h
            } else {
                registry
            }
        })
        .trim_start_matches('[')
        .trim_end_matches(']');
    host == "localhost"
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn challenges_parse() {
        let c = parse_challenge(
            r#"Bearer realm="https://auth.example/token",service="registry.example",scope="repository:a/b:pull""#,
        );
        match c {
            Some(Challenge::Bearer {
                realm,
                service,
                scope,
            }) => {
                assert_eq!(realm, "https://auth.example/token");
                assert_eq!(service.as_deref(), Some("registry.example"));
                assert_eq!(scope.as_deref(), Some("repository:a/b:pull"));
            }
            _ => panic!("expected a bearer challenge"),
        }
        assert!(matches!(
            parse_challenge("Basic realm=\"x\""),
            Some(Challenge::Basic)
        ));
        assert!(parse_challenge("Negotiate").is_none());
    }

    #[test]
    fn credentials_go_to_a_token_realm_only_over_https_or_to_the_loopback_registry_itself() {
        let ok = |reg: &str, realm: &str| {
            realm_may_get_credentials(reg, &url::Url::parse(realm).unwrap()).is_ok()
        };
        assert!(ok("registry.example", "https://auth.example/token"));
        assert!(ok("127.0.0.1:5000", "http://127.0.0.1:5000/token"));
        assert!(ok("localhost:5000", "http://localhost:5000/token"));
        assert!(!ok("127.0.0.1:5000", "http://127.0.0.2:5000/token"));
        assert!(!ok("127.0.0.1:5000", "http://127.0.0.1:5001/token"));
        assert!(!ok("127.0.0.1:5000", "http://evil.example/token"));
        assert!(!ok("registry.example", "http://registry.example/token"));
        assert!(!ok("127.0.0.1:5000", "ftp://127.0.0.1:5000/token"));
    }

    #[test]
    fn auth_files_parse() {
        let f = br#"{"auths": {"https://reg.example:5000/": {"auth": "dTpw"}, "other": {"username": "a", "password": "b"}}}"#;
        let m = parse_auth_file(f).unwrap();
        assert_eq!(m["reg.example:5000"], ("u".to_string(), "p".to_string()));
        assert_eq!(m["other"], ("a".to_string(), "b".to_string()));
        assert!(parse_auth_file(br#"{"auths": {"x": {"auth": "!!"}}}"#).is_err());
    }
}
