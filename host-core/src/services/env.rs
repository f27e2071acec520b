//! `env:<name-glob>`: environment variables from the operator's allowlist.

use alloc::string::String;
use alloc::vec::Vec;

use super::{capped, Services};
use crate::capability::Kind;
use crate::error::Code;

impl Services {
    /// The value of variable `name`.
    pub fn env_get(&self, name: &str) -> Result<String, Code> {
        capped(name.len(), self.limits.max_name_bytes)?;
        self.check(Kind::Env, name)?;
        let env = self.platform.env.as_ref().ok_or(Code::Unsupported)?;
        let value = env.get(name)?.ok_or(Code::NotFound)?;
        capped(value.len(), self.limits.max_host_result_bytes)?;
        Ok(value)
    }

    /// Every variable of the platform's allowlist that a grant covers, in the
    /// platform's order (WASI's `environ_get`). Variables no grant covers are left
    /// out; the total is capped like one host result.
    pub fn env_vars(&self) -> Result<Vec<(String, String)>, Code> {
        let Some(env) = &self.platform.env else {
            return Ok(Vec::new());
        };
        let mut out = Vec::new();
        let mut total = 0usize;
        for (name, value) in env.vars()? {
            if !self.grants.allows(Kind::Env, &name) {
                continue;
            }
            total = total.saturating_add(name.len() + value.len() + 2);
            capped(total, self.limits.max_host_result_bytes)?;
            out.push((name, value));
        }
        Ok(out)
    }
}
