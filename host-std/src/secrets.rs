//! The secrets service: values from a file the operator gives (`--secrets FILE`).
//!
//! The file is TOML with one string per secret name:
//!
//! ```toml
//! api_token = "s3cr3t"
//! "db.password" = "…"
//! ```
//!
//! It must be readable by its owner only (mode `0600` or `0400`): a file that group or
//! others can read is refused, as ssh refuses a private key. Values never appear in
//! logs, `Debug` output or error messages; a parse error reports only the line.

use std::collections::BTreeMap;
use std::path::Path;

use caplet_core::platform::Secrets;
use caplet_core::Code;

/// Largest secrets file accepted.
pub const MAX_SECRETS_FILE_BYTES: u64 = 1 << 20;

/// The std [`Secrets`] store.
#[derive(Clone, Default)]
pub struct StdSecrets {
    values: BTreeMap<String, Vec<u8>>,
}

impl std::fmt::Debug for StdSecrets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StdSecrets")
            .field("names", &self.values.keys().collect::<Vec<_>>())
            .finish_non_exhaustive()
    }
}

impl StdSecrets {
    /// No secrets.
    pub fn empty() -> StdSecrets {
        StdSecrets::default()
    }

    /// Reads the secrets file at `path`, refusing it when group or others may read it.
    pub fn from_file(path: &Path) -> Result<StdSecrets, String> {
        let shown = path.display();
        let file = crate::files::open_regular(path)
            .map_err(|e| format!("cannot open secrets file {shown}: {e}"))?;
        let meta = file
            .metadata()
            .map_err(|e| format!("cannot stat secrets file {shown}: {e}"))?;
        if !meta.is_file() {
            return Err(format!("secrets file {shown} is not a regular file"));
        }
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = meta.permissions().mode() & 0o777;
            if mode & 0o077 != 0 {
                return Err(format!(
                    "secrets file {shown} is readable by group or others (mode {mode:04o}); \
                     make it owner-only with `chmod 600`"
                ));
            }
        }
        // From the descriptor that was checked, never the path again. The io
        // error's text is generic ("larger than…", "not UTF-8"): no secret in it.
        let text = crate::files::read_text_capped_from(file, MAX_SECRETS_FILE_BYTES)
            .map_err(|e| format!("cannot read secrets file {shown}: {e}"))?;
        Self::parse(&text).map_err(|e| format!("secrets file {shown}: {e}"))
    }

    /// Parses secrets TOML. Errors name the line, never the text.
    pub fn parse(text: &str) -> Result<StdSecrets, String> {
        let table: toml::Table = text.parse().map_err(|e: toml::de::Error| {
            let line = e
                .span()
                .map(|s| text[..s.start.min(text.len())].matches('\n').count() + 1);
            match line {
                Some(l) => format!("invalid TOML at line {l}"),
                None => "invalid TOML".to_string(),
            }
        })?;
        let mut values = BTreeMap::new();
        for (name, value) in table {
            match value {
                toml::Value::String(s) => {
                    values.insert(name, s.into_bytes());
                }
                other => {
                    return Err(format!(
                        "secret `{name}` is a {}, not a string",
                        other.type_str()
                    ))
                }
            }
        }
        Ok(StdSecrets { values })
    }

    /// Number of secrets.
    pub fn len(&self) -> usize {
        self.values.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }
}

impl Secrets for StdSecrets {
    fn get(&self, name: &str) -> Result<Option<Vec<u8>>, Code> {
        Ok(self.values.get(name).cloned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_strings_and_hides_values() {
        let s = StdSecrets::parse("api = \"tok-123\"\n\"db.pw\" = \"x\"\n").unwrap();
        assert_eq!(s.get("api").unwrap().as_deref(), Some(&b"tok-123"[..]));
        assert_eq!(s.get("db.pw").unwrap().as_deref(), Some(&b"x"[..]));
        assert_eq!(s.get("nope").unwrap(), None);
        let shown = format!("{s:?}");
        assert!(
            shown.contains("api") && !shown.contains("tok-123"),
            "{shown}"
        );
    }

    #[test]
    fn oversized_files_are_refused_without_their_text() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("secrets.toml");
        let big = format!("k = \"{}\"\n", "hunter2".repeat(200_000));
        std::fs::write(&path, big).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
        let e = StdSecrets::from_file(&path).unwrap_err();
        assert!(e.contains("1048576-byte limit"), "{e}");
        assert!(!e.contains("hunter2"), "{e}");
    }

    #[test]
    fn errors_never_echo_the_text() {
        let e = StdSecrets::parse("a = \"ok\"\nb = hunter2\n").unwrap_err();
        assert!(e.contains("line 2"), "{e}");
        assert!(!e.contains("hunter2"), "{e}");
        let e = StdSecrets::parse("n = 5").unwrap_err();
        assert!(e.contains("`n`") && e.contains("integer"), "{e}");
    }
}
