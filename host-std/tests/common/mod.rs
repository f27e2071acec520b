//! Helpers shared by the std adapter's integration tests.
#![allow(dead_code)]

use std::sync::Arc;

use caplet::platform::StdPlatform;
use caplet_core::platform::testing::RecordingAudit;
use caplet_core::platform::Platform;
use caplet_core::{Code, Error, Grants, Instance, Limits, Manifest, PluginConfig, Runtime};

/// A std platform from `settings`, with denials recorded in the returned audit.
pub fn platform(settings: StdPlatform) -> (Platform, Arc<RecordingAudit>) {
    let mut p = settings.build().expect("platform builds");
    let audit = Arc::new(RecordingAudit::default());
    p.audit = Some(audit.clone());
    (p, audit)
}

/// An instance of fixture plugin `name` with `caps` granted on `platform`.
pub fn instance(name: &str, caps: &[&str], limits: Limits, platform: Platform) -> Instance {
    instance_with(name, None, caps, limits, platform)
}

/// Like [`instance`], with `manifest` standing in for the embedded one (to grant a
/// narrower scope than the fixture's manifest asks for).
pub fn instance_with(
    name: &str,
    manifest: Option<Manifest>,
    caps: &[&str],
    limits: Limits,
    platform: Platform,
) -> Instance {
    let plugin = Runtime::default()
        .load(
            &caplet_tests::plugin(name),
            PluginConfig {
                manifest,
                grants: Grants::from_strs(caps.iter().copied()).expect("valid grants"),
                limits,
                platform,
                ..Default::default()
            },
        )
        .unwrap_or_else(|e| panic!("{name} loads: {e}"));
    plugin.instantiate().expect("instantiates")
}

/// The code a guest error carries; panics on success or another kind of error.
pub fn guest_code<T: std::fmt::Debug>(r: Result<T, Error>) -> Code {
    match r {
        Err(Error::Guest { code: Some(c), .. }) => c,
        other => panic!("expected a guest error code, got {other:?}"),
    }
}
