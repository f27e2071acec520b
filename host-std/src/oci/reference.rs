//! Registry references: `registry[:port]/repository[:tag][@sha256:…]`.

use caplet_core::Digest;

use super::{parse_digest, OciError};

/// A registry reference: `registry[:port]/repository[:tag][@sha256:…]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reference {
    /// `host` or `host:port`.
    pub registry: String,
    /// `path/name`.
    pub repository: String,
    /// The tag (defaults to `latest` when there is no digest).
    pub tag: Option<String>,
    /// A pinned manifest digest.
    pub digest: Option<Digest>,
}

impl std::fmt::Display for Reference {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.registry, self.repository)?;
        if let Some(t) = &self.tag {
            write!(f, ":{t}")?;
        }
        if let Some(d) = &self.digest {
            write!(f, "@{d}")?;
        }
        Ok(())
    }
}

fn valid_component(c: &str) -> bool {
    // [a-z0-9]+(([._]|__|[-]*)[a-z0-9]+)*
    !c.is_empty()
        && c.bytes().all(|b| {
            b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'.' | b'_' | b'-')
        })
        && c.as_bytes()[0].is_ascii_alphanumeric()
        && c.as_bytes()[c.len() - 1].is_ascii_alphanumeric()
}

pub(super) fn valid_tag(t: &str) -> bool {
    !t.is_empty()
        && t.len() <= 128
        && (t.as_bytes()[0].is_ascii_alphanumeric() || t.as_bytes()[0] == b'_')
        && t.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
}

impl Reference {
    /// Whether `text` looks like a registry reference (its first component is a host:
    /// it has a `.` or a `:`, or is `localhost`).
    pub fn looks_like(text: &str) -> bool {
        match text.split_once('/') {
            Some((host, rest)) => {
                !rest.is_empty()
                    && (host.contains('.') || host.contains(':') || host == "localhost")
            }
            None => false,
        }
    }

    /// Parses a reference.
    pub fn parse(text: &str) -> Result<Reference, OciError> {
        let bad = |why: &str| OciError(format!("`{text}` is not a registry reference: {why}"));
        let (rest, digest) = match text.split_once('@') {
            Some((r, d)) => (r, Some(parse_digest(d)?)),
            None => (text, None),
        };
        let (registry, path) = rest
            .split_once('/')
            .ok_or_else(|| bad("expected REGISTRY/REPOSITORY[:TAG][@DIGEST]"))?;
        if !(registry.contains('.') || registry.contains(':') || registry == "localhost") {
            return Err(bad("the first component must be a registry host"));
        }
        if registry
            .bytes()
            .any(|b| !(b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b':' | b'[' | b']')))
        {
            return Err(bad("invalid registry host"));
        }
        let (repository, tag) = match path.rsplit_once(':') {
            Some((r, t)) if !t.contains('/') => (r, Some(t.to_string())),
            _ => (path, None),
        };
        if !repository.split('/').all(valid_component) {
            return Err(bad(
                "repository components are lower-case letters, digits, `.`, `_`, `-`",
            ));
        }
        if let Some(t) = &tag {
            if !valid_tag(t) {
                return Err(bad("invalid tag"));
            }
        }
        let tag = if tag.is_none() && digest.is_none() {
            Some("latest".to_string())
        } else {
            tag
        };
        Ok(Reference {
            registry: registry.to_string(),
            repository: repository.to_string(),
            tag,
            digest,
        })
    }

    /// What to ask the registry for: the digest if pinned, else the tag.
    pub fn target(&self) -> String {
        match (&self.digest, &self.tag) {
            (Some(d), _) => d.to_string(),
            (None, Some(t)) => t.clone(),
            (None, None) => "latest".into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_parse() {
        let r = Reference::parse("127.0.0.1:5000/plugins/echo:1.0.0").unwrap();
        assert_eq!(r.registry, "127.0.0.1:5000");
        assert_eq!(r.repository, "plugins/echo");
        assert_eq!(r.tag.as_deref(), Some("1.0.0"));
        let r = Reference::parse("ghcr.io/acme/echo").unwrap();
        assert_eq!(r.tag.as_deref(), Some("latest"));
        let d = "sha256:".to_string() + &"ab".repeat(32);
        let r = Reference::parse(&format!("localhost/echo@{d}")).unwrap();
        assert_eq!(
            (r.tag, r.digest.map(|d| d.to_string())),
            (None, Some(d.clone()))
        );
        assert_eq!(
            Reference::parse(&format!("localhost/echo@{d}"))
                .unwrap()
                .target(),
            d
        );
        for bad in [
            "echo",
            "echo:1",
            "docker/echo",
            "host.io/Echo",
            "host.io/echo:bad tag",
            "host.io/echo@sha256:xyz",
            "host.io/",
        ] {
            assert!(Reference::parse(bad).is_err(), "{bad}");
        }
        assert!(Reference::looks_like("localhost:5000/x"));
        assert!(!Reference::looks_like("plugins/echo.wasm"));
        assert!(!Reference::looks_like("echo@^1"));
    }
}
