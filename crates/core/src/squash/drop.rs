//! `--drop GLOB`: which paths a squash leaves out. A pattern is an absolute path whose
//! components may hold `*` (any run of bytes but `/`), `?` (one byte), `[…]` classes
//! (`[a-z]`, `[!.]`) and `\` escapes; a component that is exactly `**` stands for any number
//! of components, none included. A path is dropped when a pattern matches it or one of its
//! ancestors: dropping a directory drops everything under it.

use alloc::string::{String, ToString};
use alloc::vec::Vec;

use crate::error::{Error, Result};
use crate::layer::EntryPath;

/// The patterns of one squash, checked once.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DropSet {
    patterns: Vec<Pattern>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Pattern {
    text: String,
    components: Vec<Component>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Component {
    /// `**`: zero or more whole components.
    Any,
    /// Tokens matched against one component.
    Tokens(Vec<Token>),
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Token {
    Byte(u8),
    One,
    Star,
    /// Byte ranges, negated or not.
    Class(bool, Vec<(u8, u8)>),
}

impl DropSet {
    /// Parses `patterns`.
    ///
    /// # Errors
    /// A pattern that is not absolute, names the root itself, or has an unclosed `[`.
    pub fn new<S: AsRef<str>>(patterns: &[S]) -> Result<Self> {
        let patterns = patterns
            .iter()
            .map(|p| Pattern::parse(p.as_ref()))
            .collect::<Result<Vec<_>>>()?;
        Ok(DropSet { patterns })
    }

    /// No patterns: nothing is dropped.
    pub fn is_empty(&self) -> bool {
        self.patterns.is_empty()
    }

    /// The patterns as given.
    pub fn patterns(&self) -> impl Iterator<Item = &str> {
        self.patterns.iter().map(|p| p.text.as_str())
    }

    /// The first pattern (by position) that drops `path`, if any.
    pub fn matching(&self, path: &EntryPath) -> Option<usize> {
        if path.is_root() || self.patterns.is_empty() {
            return None;
        }
        let comps: Vec<&[u8]> = path.as_bytes().split(|&b| b == b'/').collect();
        self.patterns
            .iter()
            .position(|p| p.matches_some_prefix(&comps))
    }

    /// Whether `path` is dropped.
    pub fn drops(&self, path: &EntryPath) -> bool {
        self.matching(path).is_some()
    }
}

impl Pattern {
    fn parse(text: &str) -> Result<Pattern> {
        let bad = |why: &str| Error::request(alloc::format!("--drop {text:?}: {why}"));
        let rest = text
            .strip_prefix('/')
            .ok_or_else(|| bad("a pattern is an absolute path (it starts with /)"))?;
        let mut components = Vec::new();
        for c in rest.split('/').filter(|c| !c.is_empty() && *c != ".") {
            if c == ".." {
                return Err(bad("`..` is not allowed"));
            }
            if c == "**" {
                // `**/**` is one `**`.
                if components.last() != Some(&Component::Any) {
                    components.push(Component::Any);
                }
                continue;
            }
            components.push(Component::Tokens(tokens(c.as_bytes()).ok_or_else(
                || bad("unclosed `[` (write `\\[` for a literal bracket)"),
            )?));
        }
        if components.iter().all(|c| *c == Component::Any) {
            return Err(bad(
                "the pattern names the root: that would drop everything",
            ));
        }
        Ok(Pattern {
            text: text.to_string(),
            components,
        })
    }

    /// Whether the pattern matches `path[..k]` for some `k ≥ 1` (the path or an ancestor).
    fn matches_some_prefix(&self, path: &[&[u8]]) -> bool {
        // reach[j]: the pattern components seen so far can match exactly path[..j].
        let n = path.len();
        let mut reach = alloc::vec![false; n + 1];
        reach[0] = true;
        for c in &self.components {
            let mut next = alloc::vec![false; n + 1];
            match c {
                Component::Any => {
                    let mut on = false;
                    for j in 0..=n {
                        on |= reach[j];
                        next[j] = on;
                    }
                }
                Component::Tokens(t) => {
                    for j in 0..n {
                        if reach[j] && match_component(t, path[j]) {
                            next[j + 1] = true;
                        }
                    }
                }
            }
            reach = next;
        }
        reach.iter().skip(1).any(|&r| r)
    }
}

fn tokens(c: &[u8]) -> Option<Vec<Token>> {
    let mut out = Vec::new();
    let mut i = 0;
    while let Some(&b) = c.get(i) {
        i += 1;
        out.push(match b {
            b'*' => Token::Star,
            b'?' => Token::One,
            b'\\' => {
                let e = c.get(i).copied().unwrap_or(b'\\');
                i += 1;
                Token::Byte(e)
            }
            b'[' => {
                let negated = matches!(c.get(i), Some(b'!' | b'^'));
                if negated {
                    i += 1;
                }
                let mut ranges = Vec::new();
                let mut first = true;
                loop {
                    let lo = *c.get(i)?;
                    if lo == b']' && !first {
                        i += 1;
                        break;
                    }
                    first = false;
                    i += 1;
                    if c.get(i) == Some(&b'-') && c.get(i + 1).is_some_and(|&h| h != b']') {
                        ranges.push((lo, *c.get(i + 1)?));
                        i += 2;
                    } else {
                        ranges.push((lo, lo));
                    }
                }
                Token::Class(negated, ranges)
            }
            b => Token::Byte(b),
        });
    }
    Some(out)
}

/// Token match of one component; `*` backtracks to its last position only (enough, as
/// `*` never crosses a `/`).
fn match_component(t: &[Token], s: &[u8]) -> bool {
    let (mut ti, mut si) = (0usize, 0usize);
    let mut star: Option<(usize, usize)> = None;
    while si < s.len() {
        match t.get(ti) {
            Some(Token::Star) => {
                star = Some((ti, si));
                ti += 1;
                continue;
            }
            Some(tok) if one(tok, s[si]) => {
                ti += 1;
                si += 1;
                continue;
            }
            _ => {}
        }
        let Some((st, ss)) = star else {
            return false;
        };
        ti = st + 1;
        si = ss + 1;
        star = Some((st, ss + 1));
    }
    t[ti.min(t.len())..].iter().all(|t| *t == Token::Star)
}

fn one(t: &Token, b: u8) -> bool {
    match t {
        Token::Byte(x) => *x == b,
        Token::One => true,
        Token::Star => false,
        Token::Class(neg, ranges) => ranges.iter().any(|&(lo, hi)| lo <= b && b <= hi) != *neg,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    fn drops(pattern: &str, path: &str) -> bool {
        DropSet::new(&[pattern])
            .unwrap()
            .drops(&EntryPath::parse(path.as_bytes()).unwrap())
    }

    #[test]
    fn globs_match_paths_and_their_subtrees() {
        assert!(drops("/var/cache/apt", "var/cache/apt"));
        assert!(drops("/var/cache/apt", "var/cache/apt/archives/x.deb"));
        assert!(!drops("/var/cache/apt", "var/cache/aptitude"));
        assert!(!drops("/var/cache/apt", "var/cache"));
        assert!(drops("/usr/share/doc/*", "usr/share/doc/bash/copyright"));
        assert!(!drops("/usr/share/doc/*", "usr/share/doc"));
        assert!(drops("/**/.git", "src/app/.git/HEAD"));
        assert!(drops("/**/.git", ".git"));
        assert!(!drops("/**/.git", "src/.github"));
        assert!(drops(
            "/**/*.pyc",
            "usr/lib/python3/a/__pycache__/b.cpython-311.pyc"
        ));
        assert!(drops("/tmp/**", "tmp/a"));
        assert!(drops("/etc/ssh/ssh_host_*_key", "etc/ssh/ssh_host_rsa_key"));
        assert!(!drops(
            "/etc/ssh/ssh_host_*_key",
            "etc/ssh/ssh_host_rsa_key.pub"
        ));
        assert!(drops("/a/[bc]?/d", "a/cx/d"));
        assert!(!drops("/a/[!bc]?/d", "a/cx/d"));
        assert!(drops("/a/\\*", "a/*"));
        assert!(!drops("/a/\\*", "a/b"));
        assert!(drops("/a/*b*c", "a/xxbyybzc"));
        assert!(!drops("/a/*b*c", "a/xxbyybzcd"));
    }

    #[test]
    fn bad_patterns_are_refused() {
        for p in ["relative/path", "/", "/**", "/a/[b", "/a/../b"] {
            assert!(DropSet::new(&[p]).is_err(), "{p} accepted");
        }
    }
}
