//! Capabilities: what a plugin may reach, granted by the operator, scope by scope.
//!
//! A capability string is a kind and, for scoped kinds, a glob:
//!
//! | string | kind | scope matched against |
//! | --- | --- | --- |
//! | `log` | [`Kind::Log`] | — |
//! | `clock` | [`Kind::Clock`] | — |
//! | `random` | [`Kind::Random`] | — |
//! | `kv` | [`Kind::Kv`] | — (the plugin's own namespace) |
//! | `emit:<topic-glob>` | [`Kind::Emit`] | the topic |
//! | `fs:read:<path-glob>` | [`Kind::FsRead`] | the normalised guest path |
//! | `fs:write:<path-glob>` | [`Kind::FsWrite`] | the normalised guest path |
//! | `net:outbound:<host-glob>[:<port>]` | [`Kind::NetOutbound`] | host and port |
//! | `net:outbound:private` | [`Kind::NetPrivate`] | — (lifts the private-address guard) |
//! | `env:<name-glob>` | [`Kind::Env`] | the variable name |
//! | `secrets:read:<name-glob>` | [`Kind::SecretsRead`] | the secret name |
//! | `stdio` | [`Kind::Stdio`] | — |
//! | `app:<name-glob>` | [`Kind::App`] | the capability name an application function declares |
//! | `exec:<program-path-glob>` | [`Kind::Exec`] | the program's absolute host path |
//! | `fs:temp[:<dir>]` | [`Kind::FsTemp`] | — (a private scratch directory at guest `<dir>`, `/tmp` by default) |
//!
//! Deny by default: a [`Grants`] table starts empty and only what is added is allowed.
//! The table has a fixed capacity ([`MAX_GRANTS`]); adding past it is an error.

use alloc::format;
use alloc::string::{String, ToString};
use core::fmt;

use crate::error::Error;
use crate::glob::{self, Separator};

/// How many grants one plugin can hold.
pub const MAX_GRANTS: usize = 32;
/// Longest capability string accepted.
pub const MAX_CAPABILITY_LEN: usize = 512;

/// The kinds of capability.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum Kind {
    /// `log`
    Log,
    /// `clock`
    Clock,
    /// `random`
    Random,
    /// `kv`
    Kv,
    /// `emit:<topic-glob>`
    Emit,
    /// `fs:read:<path-glob>`
    FsRead,
    /// `fs:write:<path-glob>`
    FsWrite,
    /// `net:outbound:<host-glob>[:<port>]`
    NetOutbound,
    /// `net:outbound:private`
    NetPrivate,
    /// `env:<name-glob>`
    Env,
    /// `secrets:read:<name-glob>`
    SecretsRead,
    /// `stdio`: a WASI program's standard input, output and error.
    Stdio,
    /// `app:<name-glob>`: the application functions whose declared capability
    /// name matches.
    App,
    /// `exec:<program-path-glob>`: running the programs whose absolute host path
    /// matches (no shell).
    Exec,
    /// `fs:temp[:<dir>]`: a fresh, private scratch directory at guest path `<dir>`
    /// (`/tmp` by default), readable and writable beneath, removed with the plugin.
    FsTemp,
}

impl Kind {
    /// Every kind.
    pub const ALL: [Kind; 15] = [
        Kind::Log,
        Kind::Clock,
        Kind::Random,
        Kind::Kv,
        Kind::Emit,
        Kind::FsRead,
        Kind::FsWrite,
        Kind::NetOutbound,
        Kind::NetPrivate,
        Kind::Env,
        Kind::SecretsRead,
        Kind::Stdio,
        Kind::App,
        Kind::Exec,
        Kind::FsTemp,
    ];

    /// The prefix of the capability string (`fs:read`, `kv`, …).
    pub const fn prefix(self) -> &'static str {
        match self {
            Kind::Log => "log",
            Kind::Clock => "clock",
            Kind::Random => "random",
            Kind::Kv => "kv",
            Kind::Emit => "emit",
            Kind::FsRead => "fs:read",
            Kind::FsWrite => "fs:write",
            Kind::NetOutbound => "net:outbound",
            Kind::NetPrivate => "net:outbound:private",
            Kind::Env => "env",
            Kind::SecretsRead => "secrets:read",
            Kind::Stdio => "stdio",
            Kind::App => "app",
            Kind::Exec => "exec",
            Kind::FsTemp => "fs:temp",
        }
    }

    /// Whether the kind carries a scope glob.
    pub const fn is_scoped(self) -> bool {
        matches!(
            self,
            Kind::Emit
                | Kind::FsRead
                | Kind::FsWrite
                | Kind::NetOutbound
                | Kind::Env
                | Kind::SecretsRead
                | Kind::App
                | Kind::Exec
        )
    }

    const fn separator(self) -> Separator {
        match self {
            Kind::FsRead | Kind::FsWrite | Kind::Exec => Separator::Slash,
            _ => Separator::None,
        }
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.prefix())
    }
}

/// A port constraint of a `net:outbound` grant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Port {
    /// Any port.
    Any,
    /// Exactly this port.
    Exactly(u16),
}

/// One capability: a kind and, for scoped kinds, a glob.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Capability {
    kind: Kind,
    scope: String,
    port: Port,
}

impl Capability {
    /// Parses a capability string such as `fs:read:/data/**` or `net:outbound:*.example.com:443`.
    pub fn parse(text: &str) -> Result<Self, Error> {
        let bad = |reason: &str| Error::BadCapability {
            text: truncate(text, 80),
            reason: reason.to_string(),
        };
        if text.len() > MAX_CAPABILITY_LEN {
            return Err(bad("longer than 512 bytes"));
        }
        if text.chars().any(|c| c.is_control() || c.is_whitespace()) {
            return Err(bad("contains whitespace or control characters"));
        }
        let plain = |kind| {
            Ok(Capability {
                kind,
                scope: String::new(),
                port: Port::Any,
            })
        };
        match text {
            "log" => return plain(Kind::Log),
            "clock" => return plain(Kind::Clock),
            "random" => return plain(Kind::Random),
            "kv" => return plain(Kind::Kv),
            "stdio" => return plain(Kind::Stdio),
            "net:outbound:private" => return plain(Kind::NetPrivate),
            "fs:temp" => return Ok(Capability::any(Kind::FsTemp)),
            _ => {}
        }
        if let Some(dir) = text.strip_prefix("fs:temp:") {
            return Ok(Capability {
                kind: Kind::FsTemp,
                scope: scratch_dir(dir).map_err(bad)?,
                port: Port::Any,
            });
        }
        let scoped = [
            (Kind::FsRead, "fs:read:"),
            (Kind::FsWrite, "fs:write:"),
            (Kind::NetOutbound, "net:outbound:"),
            (Kind::SecretsRead, "secrets:read:"),
            (Kind::Emit, "emit:"),
            (Kind::Env, "env:"),
            (Kind::App, "app:"),
            (Kind::Exec, "exec:"),
        ];
        for (kind, prefix) in scoped {
            if let Some(scope) = text.strip_prefix(prefix) {
                if scope.is_empty() {
                    return Err(bad(
                        "the scope after the last `:` is empty (use `*` for any)",
                    ));
                }
                return match kind {
                    Kind::NetOutbound => {
                        let bracketed = scope.starts_with('[');
                        let (host, port) = split_host_port(scope).map_err(bad)?;
                        if host.is_empty() {
                            return Err(bad("empty host pattern"));
                        }
                        // One text, one capability: a `:` in an unbracketed host
                        // would make `host:port` ambiguous, and a host named
                        // `private` would print as the private-address grant.
                        if !bracketed && host.contains(':') {
                            return Err(bad(
                                "an IPv6 host goes in brackets (`net:outbound:[::1]:443`)",
                            ));
                        }
                        if bracketed && (host.contains(['[', ']']) || !host.contains(':')) {
                            return Err(bad("brackets hold an IPv6 address pattern only"));
                        }
                        if host.eq_ignore_ascii_case("private") && port == Port::Any {
                            return Err(bad(
                                "`private` is reserved: the private-address grant is \
                                 `net:outbound:private`, in lower case",
                            ));
                        }
                        Ok(Capability {
                            kind,
                            scope: host.to_ascii_lowercase(),
                            port,
                        })
                    }
                    Kind::FsRead | Kind::FsWrite if !scope.starts_with('/') && scope != "**" => {
                        Err(bad("path scopes are absolute guest paths (start with `/`)"))
                    }
                    Kind::Exec if !scope.starts_with('/') => Err(bad(
                        "program scopes are absolute host paths (`exec:/usr/bin/*`); \
                         nothing is looked up in PATH",
                    )),
                    _ => Ok(Capability {
                        kind,
                        scope: scope.to_string(),
                        port: Port::Any,
                    }),
                };
            }
        }
        let known = "log, clock, random, kv, stdio, emit:<topic>, fs:read:<path>, fs:write:<path>, \
                     fs:temp[:<dir>], net:outbound:<host>[:<port>], net:outbound:private, env:<name>, \
                     secrets:read:<name>, app:<name>, exec:<program-path>";
        Err(Error::BadCapability {
            text: truncate(text, 80),
            reason: msg!("unknown capability (known: {known})"),
        })
    }

    /// A capability of an unscoped kind, or a scoped kind with scope `*`/`/**`
    /// (`fs:temp` at its default `/tmp`).
    pub fn any(kind: Kind) -> Self {
        let scope = match kind {
            Kind::FsRead | Kind::FsWrite | Kind::Exec => "/**",
            Kind::FsTemp => DEFAULT_SCRATCH_DIR,
            k if k.is_scoped() => "*",
            _ => "",
        };
        Capability {
            kind,
            scope: scope.to_string(),
            port: Port::Any,
        }
    }

    /// The kind.
    pub fn kind(&self) -> Kind {
        self.kind
    }

    /// The scope glob (empty for unscoped kinds; the host part for `net:outbound`;
    /// the guest directory for `fs:temp`).
    pub fn scope(&self) -> &str {
        &self.scope
    }

    /// The port constraint (only meaningful for `net:outbound`).
    pub fn port(&self) -> Port {
        self.port
    }

    /// Whether this grant allows `subject` (a topic, path, name or host).
    pub fn allows(&self, kind: Kind, subject: &str) -> bool {
        self.kind == kind
            && (!kind.is_scoped() || glob::matches(&self.scope, subject, kind.separator()))
    }

    /// Whether this grant allows `host:port` (for `net:outbound`).
    pub fn allows_net(&self, host: &str, port: u16) -> bool {
        self.kind == Kind::NetOutbound
            && glob::matches(&self.scope, host, Separator::None)
            && match self.port {
                Port::Any => true,
                Port::Exactly(p) => p == port,
            }
    }

    /// Whether this grant is at least as wide as `required`: same kind and the
    /// required scope, read as text, matches this grant's glob (so `fs:read:/data/**`
    /// covers `fs:read:/data/*.txt` and `fs:read:/data/**`).
    pub fn covers(&self, required: &Capability) -> bool {
        if self.kind != required.kind {
            return false;
        }
        if self.kind == Kind::FsTemp {
            return self.scope == required.scope;
        }
        if !self.kind.is_scoped() {
            return true;
        }
        let port_ok = match (self.port, required.port) {
            (Port::Any, _) => true,
            (Port::Exactly(a), Port::Exactly(b)) => a == b,
            (Port::Exactly(_), Port::Any) => false,
        };
        port_ok
            && (self.scope == required.scope
                || glob::matches(&self.scope, &required.scope, self.kind.separator()))
    }
}

impl fmt::Display for Capability {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.kind == Kind::FsTemp && self.scope != DEFAULT_SCRATCH_DIR {
            return write!(f, "fs:temp:{}", self.scope);
        }
        if !self.kind.is_scoped() {
            return f.write_str(self.kind.prefix());
        }
        if self.kind == Kind::NetOutbound && self.scope.contains(':') {
            write!(f, "{}:[{}]", self.kind.prefix(), self.scope)?;
        } else {
            write!(f, "{}:{}", self.kind.prefix(), self.scope)?;
        }
        if let Port::Exactly(p) = self.port {
            write!(f, ":{p}")?;
        }
        Ok(())
    }
}

/// Where `fs:temp` maps its scratch directory unless the grant names another.
pub const DEFAULT_SCRATCH_DIR: &str = "/tmp";

/// The guest directory of `fs:temp:<dir>`: absolute, without globs, `.` or `..`
/// components, empty components or a trailing `/`, and not `/` itself.
fn scratch_dir(dir: &str) -> Result<String, &'static str> {
    if !dir.starts_with('/') || dir == "/" {
        return Err(
            "the scratch directory is an absolute guest path below `/` (`fs:temp:/scratch`)",
        );
    }
    if dir.contains(['*', '?', '[', ']', '{', '}', '\\']) {
        return Err("the scratch directory is a path, not a glob");
    }
    if dir[1..]
        .split('/')
        .any(|c| c.is_empty() || c == "." || c == "..")
    {
        return Err("the scratch directory has an empty, `.` or `..` component");
    }
    Ok(dir.to_string())
}

fn split_host_port(scope: &str) -> Result<(&str, Port), &'static str> {
    if let Some(rest) = scope.strip_prefix('[') {
        // [v6-literal] or [v6-literal]:port
        let (host, after) = rest.split_once(']').ok_or("unclosed `[` in host")?;
        return match after {
            "" => Ok((host, Port::Any)),
            p => parse_port(p.strip_prefix(':').ok_or("expected `:port` after `]`")?)
                .map(|p| (host, p)),
        };
    }
    match scope.rsplit_once(':') {
        None => Ok((scope, Port::Any)),
        Some((host, port)) => parse_port(port).map(|p| (host, p)),
    }
}

fn parse_port(p: &str) -> Result<Port, &'static str> {
    if p == "*" {
        return Ok(Port::Any);
    }
    match p.parse::<u16>() {
        Ok(0) | Err(_) => Err("port must be 1-65535 or `*`"),
        Ok(n) => Ok(Port::Exactly(n)),
    }
}

pub(crate) fn truncate(s: &str, max: usize) -> String {
    if s.len() <= max {
        return s.to_string();
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &s[..end])
}

/// The operator's grants for one plugin: a fixed-capacity table, deny by default.
#[derive(Debug, Clone, Default)]
pub struct Grants {
    items: heapless::Vec<Capability, MAX_GRANTS>,
}

impl Grants {
    /// An empty table: everything is denied.
    pub const fn new() -> Self {
        Grants {
            items: heapless::Vec::new(),
        }
    }

    /// Parses and adds each capability string.
    pub fn from_strs<'a>(caps: impl IntoIterator<Item = &'a str>) -> Result<Self, Error> {
        let mut grants = Grants::new();
        for cap in caps {
            grants.grant(Capability::parse(cap)?)?;
        }
        Ok(grants)
    }

    /// Adds a grant. Duplicates are kept once. Fails when the table is full.
    pub fn grant(&mut self, cap: Capability) -> Result<(), Error> {
        if self.items.contains(&cap) {
            return Ok(());
        }
        self.items
            .push(cap)
            .map_err(|_| Error::CapabilityTableFull {
                capacity: MAX_GRANTS,
            })
    }

    /// The grants, in the order they were added.
    pub fn iter(&self) -> impl Iterator<Item = &Capability> {
        self.items.iter()
    }

    /// Number of grants.
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// Whether nothing is granted.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// Whether any grant of this kind exists (the link-time check). An `fs:temp`
    /// grant counts as both `fs:read` and `fs:write`.
    pub fn has_kind(&self, kind: Kind) -> bool {
        self.items.iter().any(|c| {
            c.kind == kind
                || (c.kind == Kind::FsTemp && matches!(kind, Kind::FsRead | Kind::FsWrite))
        })
    }

    /// Whether some grant allows `subject` for `kind` (the call-time check). An
    /// `fs:temp` grant allows reading and writing its directory and beneath.
    pub fn allows(&self, kind: Kind, subject: &str) -> bool {
        self.items.iter().any(|c| c.allows(kind, subject))
            || (matches!(kind, Kind::FsRead | Kind::FsWrite)
                && self.scratch_dir_of(subject).is_some())
    }

    /// The directory of the `fs:temp` grant that `path` lies in (the directory
    /// itself included), if any.
    pub fn scratch_dir_of(&self, path: &str) -> Option<&str> {
        self.scratch_dirs().find(|dir| {
            path == *dir
                || path
                    .strip_prefix(dir)
                    .is_some_and(|rest| rest.starts_with('/'))
        })
    }

    /// The guest directories of the `fs:temp` grants.
    pub fn scratch_dirs(&self) -> impl Iterator<Item = &str> {
        self.items
            .iter()
            .filter(|c| c.kind == Kind::FsTemp)
            .map(|c| c.scope.as_str())
    }

    /// Whether some grant allows connecting to `host:port`.
    pub fn allows_net(&self, host: &str, port: u16) -> bool {
        let host = host.trim_end_matches('.');
        self.items.iter().any(|c| {
            if host.bytes().any(|b| b.is_ascii_uppercase()) {
                c.allows_net(&host.to_ascii_lowercase(), port)
            } else {
                c.allows_net(host, port)
            }
        })
    }

    /// Whether a grant of `kind` allows every path beneath directory `dir`
    /// (itself included): its scope is `**`, `/**`, or `<prefix>/**` with `dir`
    /// at or beneath `<prefix>`.
    pub fn covers_tree(&self, kind: Kind, dir: &str) -> bool {
        if matches!(kind, Kind::FsRead | Kind::FsWrite) && self.scratch_dir_of(dir).is_some() {
            return true;
        }
        self.items.iter().any(|c| {
            if c.kind != kind {
                return false;
            }
            let Some(prefix) = c.scope.strip_suffix("/**") else {
                return c.scope == "**";
            };
            if prefix.contains(['*', '?', '[', '{']) {
                return false;
            }
            prefix.is_empty()
                || dir == prefix
                || dir
                    .strip_prefix(prefix)
                    .is_some_and(|rest| rest.starts_with('/'))
        })
    }

    /// Whether some grant covers `required` (manifest requirements).
    pub fn covers(&self, required: &Capability) -> bool {
        self.items.iter().any(|c| c.covers(required))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::string::ToString;

    #[test]
    fn capabilities_survive_display_and_parse() {
        for (text, shown) in [
            ("net:outbound:[::1]", "net:outbound:[::1]"),
            ("net:outbound:[::1]:443", "net:outbound:[::1]:443"),
            ("net:outbound:[fe80::*]:*", "net:outbound:[fe80::*]"),
            ("net:outbound:private", "net:outbound:private"),
            ("net:outbound:private:443", "net:outbound:private:443"),
            (
                "net:outbound:API.example.com:443",
                "net:outbound:api.example.com:443",
            ),
        ] {
            let c = Capability::parse(text).unwrap();
            assert_eq!(c.to_string(), shown, "{text}");
            assert_eq!(Capability::parse(shown).unwrap(), c, "{text}");
        }
    }

    #[test]
    fn ambiguous_network_grants_are_refused() {
        for text in [
            "net:outbound:*:*:*",
            "net:outbound:::1",
            "net:outbound:PRIVATE",
            "net:outbound:Private",
            "net:outbound:[example.com]",
            "net:outbound:[[::1]]",
        ] {
            assert!(Capability::parse(text).is_err(), "{text}");
        }
    }

    #[test]
    fn whole_trees_are_covered_only_by_recursive_scopes() {
        let g = Grants::from_strs(["fs:read:/data/**", "fs:write:/data/out/*"]).unwrap();
        assert!(g.covers_tree(Kind::FsRead, "/data"));
        assert!(g.covers_tree(Kind::FsRead, "/data/sub"));
        assert!(!g.covers_tree(Kind::FsRead, "/database"));
        assert!(!g.covers_tree(Kind::FsRead, "/"));
        assert!(!g.covers_tree(Kind::FsWrite, "/data/out"));
        let all = Grants::from_strs(["fs:write:/**"]).unwrap();
        assert!(all.covers_tree(Kind::FsWrite, "/"));
        assert!(all.covers_tree(Kind::FsWrite, "/x"));
        let wild = Grants::from_strs(["fs:read:/d*/**"]).unwrap();
        assert!(!wild.covers_tree(Kind::FsRead, "/data"));
    }

    #[test]
    fn parses_every_kind_and_prints_it_back() {
        for text in [
            "log",
            "clock",
            "random",
            "kv",
            "emit:events.*",
            "fs:read:/data/**",
            "fs:write:/out/*.json",
            "net:outbound:*.example.com",
            "net:outbound:api.example.com:443",
            "net:outbound:[::1]:8080",
            "net:outbound:private",
            "env:APP_*",
            "secrets:read:db-*",
            "stdio",
            "app:sensors.read",
            "app:sensors.*",
            "exec:/usr/bin/*",
            "exec:/opt/runner",
            "fs:temp",
            "fs:temp:/scratch/work",
        ] {
            let cap = Capability::parse(text).unwrap();
            assert_eq!(cap.to_string(), text);
        }
    }

    proptest::proptest! {
        /// Whatever text parses, its display parses back to the same capability
        /// and displays the same: a refusal's text can be granted as shown.
        #[test]
        fn display_then_parse_is_the_identity(
            prefix in proptest::sample::select(&[
                "log", "clock", "kv", "stdio", "emit:", "fs:read:", "fs:write:",
                "net:outbound:", "env:", "secrets:read:", "app:", "exec:", "fs:temp", "fs:temp:",
            ][..]),
            scope in "[a-zA-Z0-9*?:.\\[\\]/_-]{0,14}",
        ) {
            let text = alloc::format!("{prefix}{scope}");
            if let Ok(cap) = Capability::parse(&text) {
                let shown = cap.to_string();
                let again = Capability::parse(&shown);
                proptest::prop_assert_eq!(again.as_ref().ok(), Some(&cap), "{} -> {}", text, shown);
                proptest::prop_assert_eq!(again.unwrap().to_string(), shown);
            }
        }
    }

    #[test]
    fn rejects_bad_strings_with_reasons() {
        for (text, needle) in [
            ("logs", "unknown capability"),
            ("fs:read:", "empty"),
            ("fs:read:data/*", "absolute"),
            ("net:outbound:host:99999", "port"),
            ("net:outbound:host:0", "port"),
            ("env:A B", "whitespace"),
            ("net:outbound:[::1", "unclosed"),
            ("exec:echo", "absolute"),
            ("exec:", "empty"),
            ("app:", "empty"),
            ("fs:temp:tmp", "absolute"),
            ("fs:temp:/", "absolute"),
            ("fs:temp:/a/../b", "`..`"),
            ("fs:temp:/t*", "glob"),
            ("fs:temp:/a//b", "empty"),
        ] {
            let err = Capability::parse(text).unwrap_err();
            let msg = err.to_string();
            assert!(msg.contains(needle), "{text}: {msg}");
        }
        let long = "env:".to_string() + &"A".repeat(600);
        assert!(Capability::parse(&long)
            .unwrap_err()
            .to_string()
            .contains("512"));
    }

    #[test]
    fn deny_by_default_and_scopes() {
        let empty = Grants::new();
        for kind in Kind::ALL {
            assert!(!empty.has_kind(kind));
            assert!(!empty.allows(kind, "x"));
        }
        let g = Grants::from_strs([
            "fs:read:/data/**",
            "env:APP_*",
            "net:outbound:*.example.com:443",
        ])
        .unwrap();
        assert!(g.allows(Kind::FsRead, "/data/a/b"));
        assert!(!g.allows(Kind::FsRead, "/etc/passwd"));
        assert!(!g.allows(Kind::FsWrite, "/data/a"));
        assert!(g.allows(Kind::Env, "APP_KEY"));
        assert!(!g.allows(Kind::Env, "HOME"));
        assert!(g.allows_net("api.example.com", 443));
        assert!(g.allows_net("API.Example.com.", 443));
        assert!(!g.allows_net("api.example.com", 80));
        assert!(!g.allows_net("example.org", 443));
    }

    #[test]
    fn scratch_grants_allow_their_tree_only() {
        let g = Grants::from_strs(["fs:temp"]).unwrap();
        for path in ["/tmp", "/tmp/a", "/tmp/a/b.txt"] {
            assert!(g.allows(Kind::FsRead, path), "{path}");
            assert!(g.allows(Kind::FsWrite, path), "{path}");
        }
        for path in ["/tmpx", "/", "/data/tmp", "/tm"] {
            assert!(!g.allows(Kind::FsRead, path), "{path}");
            assert!(!g.allows(Kind::FsWrite, path), "{path}");
        }
        assert!(g.covers_tree(Kind::FsWrite, "/tmp"));
        assert!(!g.covers_tree(Kind::FsWrite, "/"));
        assert!(!g.allows(Kind::Exec, "/tmp"));
        let other = Grants::from_strs(["fs:temp:/scratch"]).unwrap();
        assert!(other.allows(Kind::FsWrite, "/scratch/x"));
        assert!(!other.allows(Kind::FsWrite, "/tmp/x"));
        assert_eq!(
            other.scratch_dirs().collect::<alloc::vec::Vec<_>>(),
            ["/scratch"]
        );
    }

    #[test]
    fn program_and_application_scopes() {
        let g = Grants::from_strs(["exec:/usr/bin/*", "app:sensors.*"]).unwrap();
        assert!(g.allows(Kind::Exec, "/usr/bin/echo"));
        assert!(!g.allows(Kind::Exec, "/usr/bin/x/y"));
        assert!(!g.allows(Kind::Exec, "/bin/sh"));
        assert!(g.allows(Kind::App, "sensors.read"));
        assert!(!g.allows(Kind::App, "gpio.write"));
    }

    #[test]
    fn table_is_fixed_capacity() {
        let mut g = Grants::new();
        for i in 0..MAX_GRANTS {
            g.grant(Capability::parse(&alloc::format!("env:V{i}")).unwrap())
                .unwrap();
        }
        // A duplicate is not a new entry.
        g.grant(Capability::parse("env:V0").unwrap()).unwrap();
        let err = g.grant(Capability::parse("env:MORE").unwrap()).unwrap_err();
        assert_eq!(
            err,
            Error::CapabilityTableFull {
                capacity: MAX_GRANTS
            }
        );
        assert_eq!(g.len(), MAX_GRANTS);
    }

    #[test]
    fn coverage_of_required_capabilities() {
        let g = Grants::from_strs(["fs:read:/data/**", "kv", "net:outbound:*:443"]).unwrap();
        assert!(g.covers(&Capability::parse("fs:read:/data/*.txt").unwrap()));
        assert!(g.covers(&Capability::parse("fs:read:/data/**").unwrap()));
        assert!(!g.covers(&Capability::parse("fs:read:/**").unwrap()));
        assert!(g.covers(&Capability::parse("kv").unwrap()));
        assert!(!g.covers(&Capability::parse("log").unwrap()));
        assert!(g.covers(&Capability::parse("net:outbound:api.x.com:443").unwrap()));
        assert!(!g.covers(&Capability::parse("net:outbound:api.x.com").unwrap()));
    }
}
