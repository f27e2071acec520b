//! The environment service: only variables the operator named.
//!
//! `--env NAME` copies `NAME` from the host's environment at start-up (a variable
//! that is not set is simply absent); `--env NAME=VALUE` sets a value for the plugin
//! without touching the host environment. Nothing else of the host environment is
//! visible, whatever `env:<glob>` grants say: the grant narrows this list further.

use std::collections::BTreeMap;

use caplet_core::platform::Environment;
use caplet_core::Code;

/// The std [`Environment`]: a fixed allowlist resolved when it is built.
#[derive(Debug, Clone, Default)]
pub struct StdEnv {
    vars: BTreeMap<String, String>,
    /// Names in the order the operator gave them (WASI's `environ_get` order).
    order: Vec<String>,
}

impl StdEnv {
    /// Builds the allowlist from `NAME` / `NAME=VALUE` specs, reading `NAME`s from
    /// the host environment once, now.
    pub fn from_specs<S: AsRef<str>>(specs: &[S]) -> Result<StdEnv, String> {
        Self::from_specs_with(specs, |name| std::env::var(name).ok())
    }

    /// Like [`from_specs`](Self::from_specs) with `lookup` standing in for the host
    /// environment.
    pub fn from_specs_with<S: AsRef<str>>(
        specs: &[S],
        lookup: impl Fn(&str) -> Option<String>,
    ) -> Result<StdEnv, String> {
        let mut vars = BTreeMap::new();
        let mut order = Vec::new();
        for spec in specs {
            let spec = spec.as_ref();
            let (name, value) = match spec.split_once('=') {
                Some((n, v)) => (n, Some(v.to_string())),
                None => (spec, None),
            };
            if name.is_empty() || name.contains('\0') {
                return Err(format!("`{spec}` is not NAME or NAME=VALUE"));
            }
            if let Some(v) = value.or_else(|| lookup(name)) {
                if vars.insert(name.to_string(), v).is_none() {
                    order.push(name.to_string());
                }
            }
        }
        Ok(StdEnv { vars, order })
    }

    /// Names visible to plugins.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.vars.keys().map(String::as_str)
    }
}

impl Environment for StdEnv {
    fn get(&self, name: &str) -> Result<Option<String>, Code> {
        Ok(self.vars.get(name).cloned())
    }

    fn vars(&self) -> Result<Vec<(String, String)>, Code> {
        Ok(self
            .order
            .iter()
            .filter_map(|n| self.vars.get(n).map(|v| (n.clone(), v.clone())))
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_named_variables_are_visible() {
        let host = |n: &str| match n {
            "HOME" => Some("/home/op".to_string()),
            "SECRET_TOKEN" => Some("hunter2".to_string()),
            _ => None,
        };
        let env = StdEnv::from_specs_with(&["HOME", "MODE=prod", "UNSET"], host).unwrap();
        assert_eq!(env.get("HOME").unwrap().as_deref(), Some("/home/op"));
        assert_eq!(env.get("MODE").unwrap().as_deref(), Some("prod"));
        assert_eq!(env.get("UNSET").unwrap(), None);
        assert_eq!(env.get("SECRET_TOKEN").unwrap(), None);
        assert_eq!(env.names().collect::<Vec<_>>(), ["HOME", "MODE"]);
        assert!(StdEnv::from_specs_with(&["=x"], host).is_err());
    }
}
