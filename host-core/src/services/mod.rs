//! Host services: one per capability. A service takes Rust values (never guest
//! pointers), checks the grant and its scope, applies the caps, writes the audit
//! record of a denial and only then calls the platform. Every check of Caplet's
//! capability model is written once, here; the ABI profiles
//! ([`crate::profiles`]) only translate guest memory to these calls and the
//! returned [`Code`] to their own error encoding.
//!
//! ```text
//!  guest ──► profile (caplet | wasi_snapshot_preview1 | …)   guest memory ⇄ Rust values
//!              │
//!              ▼
//!            service (log, clock, random, kv, emit, config,   grant + scope, caps,
//!                     fs, http, env, secrets, stdio, exec,    audit, usage
//!                     application functions)
//!              │
//!              ▼
//!            platform trait (the host's I/O)
//! ```

pub mod app;
mod clock;
mod config;
mod emit;
mod env;
pub mod exec;
pub mod fs;
pub mod http;
mod kv;
mod log;
mod random;
mod secrets;
mod stdio;

use alloc::collections::BTreeMap;
use alloc::string::String;

use crate::capability::{Grants, Kind};
use crate::error::Code;
use crate::limits::Limits;
use crate::platform::{Denial, Platform};

pub use stdio::Stream;

/// The services of one loaded plugin: its name (the KV namespace and the name in
/// audit records), the operator's grants, the effective limits, its config and the
/// host's platform. Shared by every instance of the plugin.
pub struct Services {
    pub(crate) name: String,
    pub(crate) grants: Grants,
    pub(crate) platform: Platform,
    pub(crate) limits: Limits,
    pub(crate) config: BTreeMap<String, String>,
    pub(crate) wasi: crate::profiles::wasi::WasiConfig,
    /// Bytes written and files created beneath mappings so far (the write quota).
    pub(crate) written: fs::WriteQuota,
    /// The private scratch directories of the `fs:temp` grants, by guest
    /// directory (each a filesystem of its own, dropped with the plugin).
    pub(crate) scratch:
        alloc::vec::Vec<(String, alloc::sync::Arc<dyn crate::platform::Filesystem>)>,
    /// Whether the grants allow each of the runtime's application functions, by
    /// [`AppFunction::id`](app::AppFunction): decided at load, read per call.
    pub(crate) app_granted: alloc::vec::Vec<bool>,
}

impl Services {
    /// The plugin's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The effective limits.
    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    /// The grants.
    pub fn grants(&self) -> &Grants {
        &self.grants
    }

    /// The call-time check of a scoped capability; a denial is audited and never
    /// reaches the platform.
    pub fn check(&self, kind: Kind, subject: &str) -> Result<(), Code> {
        if self.grants.allows(kind, subject) {
            Ok(())
        } else {
            self.deny(kind, subject)
        }
    }

    /// The call-time check of an unscoped capability (`log`, `clock`, `random`,
    /// `kv`, `stdio`). Contract v1 also refuses the import at load; other profiles
    /// (WASI) link every import and rely on this check alone.
    pub fn require(&self, kind: Kind) -> Result<(), Code> {
        if self.grants.has_kind(kind) {
            Ok(())
        } else {
            self.deny(kind, kind.prefix())
        }
    }

    /// Records a denial and returns `PERMISSION_DENIED`.
    pub(crate) fn deny(&self, kind: Kind, subject: &str) -> Result<(), Code> {
        self.platform.audit(&Denial {
            plugin: &self.name,
            kind,
            subject,
            at_load: false,
        });
        Err(Code::PermissionDenied)
    }
}

/// `Err(LIMIT)` when `len` is over `cap`.
pub(crate) fn capped(len: usize, cap: u32) -> Result<(), Code> {
    if len > cap as usize {
        Err(Code::Limit)
    } else {
        Ok(())
    }
}
