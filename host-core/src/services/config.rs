//! `config`: the plugin's own configuration. Needs no grant.

use super::{capped, Services};
use crate::error::Code;

impl Services {
    /// The value of config `key`.
    pub fn config_get(&self, key: &str) -> Result<&str, Code> {
        capped(key.len(), self.limits.max_config_bytes)?;
        self.config
            .get(key)
            .map(|v| v.as_str())
            .ok_or(Code::NotFound)
    }
}
