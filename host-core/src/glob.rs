//! Glob matching for capability scopes.
//!
//! No maintained glob crate builds without `std` (they use `std::path`), so the core
//! carries this small matcher. Semantics:
//!
//! - `?` matches one character that is not the separator;
//! - `*` matches any run of characters without the separator;
//! - `**` matches any run of characters, separators included;
//! - every other character matches itself (no classes, no braces, no escapes).
//!
//! The separator is `/` for paths and `.` is *not* a separator for hosts, names and
//! topics (they are matched with [`Separator::None`]), so `*.example.com` matches
//! `api.eu.example.com`. The matcher is iterative with one backtrack point per
//! star kind, so it runs in O(pattern × text) time and constant space whatever the
//! pattern: a hostile scope cannot make it explode.

/// What `*` does not cross.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Separator {
    /// `*` stops at `/`; `**` crosses it (paths).
    Slash,
    /// No separator: `*` and `**` are the same (hosts, names, topics).
    None,
}

/// Does `text` match `pattern`?
///
/// With [`Separator::Slash`], a trailing `/**` also matches the directory itself
/// (`/data/**` matches `/data`), so a grant on a tree covers listing its root.
pub fn matches(pattern: &str, text: &str, sep: Separator) -> bool {
    if sep == Separator::Slash {
        if let Some(dir) = pattern.strip_suffix("/**") {
            if matches_inner(dir, text, sep) {
                return true;
            }
        }
    }
    matches_inner(pattern, text, sep)
}

fn matches_inner(pattern: &str, text: &str, sep: Separator) -> bool {
    let p = pattern.as_bytes();
    let t = text.as_bytes();
    let is_sep = |c: u8| sep == Separator::Slash && c == b'/';
    let (mut pi, mut ti) = (0usize, 0usize);
    // Backtrack point of the last `*` (may not cross separators).
    let mut star: Option<(usize, usize)> = None;
    // Backtrack point of the last `**` (may cross separators).
    let mut globstar: Option<(usize, usize)> = None;
    while ti < t.len() {
        if pi < p.len() {
            match p[pi] {
                b'*' => {
                    let double = pi + 1 < p.len() && p[pi + 1] == b'*';
                    if double || sep == Separator::None {
                        let mut next = pi + 1;
                        while next < p.len() && p[next] == b'*' {
                            next += 1;
                        }
                        globstar = Some((next, ti));
                        star = None;
                        pi = next;
                    } else {
                        star = Some((pi + 1, ti));
                        pi += 1;
                    }
                    continue;
                }
                b'?' if !is_sep(t[ti]) => {
                    pi += 1;
                    ti += 1;
                    continue;
                }
                c if c != b'?' && c == t[ti] => {
                    pi += 1;
                    ti += 1;
                    continue;
                }
                _ => {}
            }
        }
        // Mismatch: extend the innermost star, if it may absorb t[ti].
        if let Some((sp, st)) = star {
            if !is_sep(t[st]) {
                star = Some((sp, st + 1));
                pi = sp;
                ti = st + 1;
                continue;
            }
            star = None;
        }
        if let Some((gp, gt)) = globstar {
            globstar = Some((gp, gt + 1));
            pi = gp;
            ti = gt + 1;
            continue;
        }
        return false;
    }
    // Text consumed: the rest of the pattern must be stars only.
    p[pi..].iter().all(|&c| c == b'*')
}

#[cfg(test)]
mod tests {
    use super::{matches, Separator::*};

    #[test]
    fn literal_and_question_mark() {
        assert!(matches("abc", "abc", Slash));
        assert!(!matches("abc", "abd", Slash));
        assert!(!matches("abc", "abcd", Slash));
        assert!(matches("a?c", "abc", Slash));
        assert!(!matches("a?c", "a/c", Slash));
        assert!(matches("", "", Slash));
        assert!(!matches("", "a", Slash));
    }

    #[test]
    fn single_star_stops_at_slash() {
        assert!(matches("/data/*", "/data/a.txt", Slash));
        assert!(!matches("/data/*", "/data/sub/a.txt", Slash));
        assert!(matches("/data/*.txt", "/data/a.b.txt", Slash));
        assert!(!matches("/data/*.txt", "/data/a.md", Slash));
        assert!(matches("/data/*/x", "/data/sub/x", Slash));
    }

    #[test]
    fn double_star_crosses_slash() {
        assert!(matches("/data/**", "/data/sub/deep/a.txt", Slash));
        assert!(matches("/data/**", "/data/", Slash));
        assert!(matches("/data/**", "/data", Slash));
        assert!(!matches("/data/**", "/database", Slash));
        assert!(!matches("/data/**", "/etc/passwd", Slash));
        assert!(matches("/data/**/*.log", "/data/a/b/c.log", Slash));
        assert!(!matches("/data/**/*.log", "/data/a/b/c.txt", Slash));
        assert!(matches("**", "/anything/at/all", Slash));
    }

    #[test]
    fn hosts_and_names() {
        assert!(matches("*.example.com", "api.example.com", None));
        assert!(matches("*.example.com", "a.b.example.com", None));
        assert!(!matches("*.example.com", "example.com", None));
        assert!(!matches("*.example.com", "example.com.evil.net", None));
        assert!(matches("APP_*", "APP_TOKEN", None));
        assert!(!matches("APP_*", "HOME", None));
        assert!(matches("*", "", None));
        assert!(matches("events.*", "events.user.created", None));
    }

    #[test]
    fn hostile_patterns_stay_linear() {
        let text = "a".repeat(4000);
        let pattern = "*a*a*a*a*a*a*a*a*a*a*a*b";
        assert!(!matches(pattern, &text, None));
        assert!(!matches(pattern, &text, Slash));
    }
}
