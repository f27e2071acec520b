//! The conformance modules, embedded in flash by the build script with the SHA-256
//! of each computed at build time. Loading pins that digest, so the device hashes
//! the flash copy and refuses a module that differs before compiling it.

use caplet_conformance::{Module, Modules};
use caplet_core::Digest;

/// A module in flash.
pub struct Embedded {
    /// Name, as in `caplet_conformance::MODULES`.
    pub name: &'static str,
    /// The module bytes.
    pub bytes: &'static [u8],
    /// SHA-256 of `bytes`, computed at build time.
    pub digest: [u8; 32],
}

include!(concat!(env!("OUT_DIR"), "/modules.rs"));

/// Every embedded module, as the conformance run asks for them.
pub struct Flash;

impl Modules for Flash {
    fn module(&self, name: &str) -> Option<Module<'_>> {
        ALL.iter().find(|m| m.name == name).map(|m| Module {
            bytes: m.bytes,
            digest: Digest(m.digest),
        })
    }
}
