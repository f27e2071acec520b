//! `kv`: the plugin's own namespace of the platform's KV store.

use alloc::vec::Vec;

use super::{capped, Services};
use crate::capability::Kind;
use crate::error::Code;
use crate::platform::KvStore;

impl Services {
    fn kv(&self, key: &str) -> Result<&dyn KvStore, Code> {
        self.require(Kind::Kv)?;
        capped(key.len(), self.limits.max_kv_key_bytes)?;
        self.platform.kv.as_deref().ok_or(Code::Unsupported)
    }

    /// The value of `key` in the plugin's namespace.
    pub fn kv_get(&self, key: &str) -> Result<Vec<u8>, Code> {
        self.kv(key)?.get(&self.name, key)?.ok_or(Code::NotFound)
    }

    /// Stores `value` under `key` (caps: value size, keys per namespace).
    pub fn kv_set(&self, key: &str, value: &[u8]) -> Result<(), Code> {
        let kv = self.kv(key)?;
        capped(value.len(), self.limits.max_kv_value_bytes)?;
        kv.set(&self.name, key, value, self.limits.max_kv_keys as usize)
    }

    /// Removes `key`.
    pub fn kv_delete(&self, key: &str) -> Result<(), Code> {
        self.kv(key)?.delete(&self.name, key)
    }
}
