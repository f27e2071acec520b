//! `secrets:read:<name-glob>`: secrets from the platform's store.

use alloc::vec::Vec;

use super::{capped, Services};
use crate::capability::Kind;
use crate::error::Code;

impl Services {
    /// The secret `name`.
    pub fn secret_get(&self, name: &str) -> Result<Vec<u8>, Code> {
        capped(name.len(), self.limits.max_name_bytes)?;
        self.check(Kind::SecretsRead, name)?;
        let secrets = self.platform.secrets.as_ref().ok_or(Code::Unsupported)?;
        let value = secrets.get(name)?.ok_or(Code::NotFound)?;
        capped(value.len(), self.limits.max_host_result_bytes)?;
        Ok(value)
    }
}
