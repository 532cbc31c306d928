//! The matchers behind [`super::find`]: prefixed tokens found by their first byte, keyed
//! values found from their `=` or `:` back to the key. Hand-written: every rule is a fixed
//! prefix or key plus a character class and a length, which a byte loop checks in one pass.

use alloc::vec::Vec;

use super::{Hit, Rules, SecretKind};

fn alnum(b: u8) -> bool {
    b.is_ascii_alphanumeric()
}
fn upper_digit(b: u8) -> bool {
    b.is_ascii_uppercase() || b.is_ascii_digit()
}
fn url_safe(b: u8) -> bool {
    alnum(b) || b == b'_' || b == b'-'
}
fn word(b: u8) -> bool {
    alnum(b) || b == b'_'
}
fn base64(b: u8) -> bool {
    alnum(b) || b == b'/' || b == b'+' || b == b'='
}

/// Length of the run of `class` bytes at `text[at..]`.
fn run(text: &[u8], at: usize, class: fn(u8) -> bool) -> usize {
    text.get(at..)
        .unwrap_or_default()
        .iter()
        .take_while(|&&b| class(b))
        .count()
}

/// A token: `prefix` then `min..=max` bytes of `class`, the run not continuing past `max`.
struct Token {
    prefix: &'static [u8],
    class: fn(u8) -> bool,
    min: usize,
    max: usize,
    kind: SecretKind,
}

const TOKENS: &[Token] = &[
    Token {
        prefix: b"AKIA",
        class: upper_digit,
        min: 16,
        max: 16,
        kind: SecretKind::AwsAccessKeyId,
    },
    Token {
        prefix: b"ASIA",
        class: upper_digit,
        min: 16,
        max: 16,
        kind: SecretKind::AwsAccessKeyId,
    },
    Token {
        prefix: b"AIza",
        class: url_safe,
        min: 35,
        max: 35,
        kind: SecretKind::GoogleApiKey,
    },
    Token {
        prefix: b"ghp_",
        class: alnum,
        min: 36,
        max: 255,
        kind: SecretKind::GitHubToken,
    },
    Token {
        prefix: b"gho_",
        class: alnum,
        min: 36,
        max: 255,
        kind: SecretKind::GitHubToken,
    },
    Token {
        prefix: b"ghs_",
        class: alnum,
        min: 36,
        max: 255,
        kind: SecretKind::GitHubToken,
    },
    Token {
        prefix: b"ghu_",
        class: alnum,
        min: 36,
        max: 255,
        kind: SecretKind::GitHubToken,
    },
    Token {
        prefix: b"ghr_",
        class: alnum,
        min: 36,
        max: 255,
        kind: SecretKind::GitHubToken,
    },
    Token {
        prefix: b"github_pat_",
        class: word,
        min: 22,
        max: 255,
        kind: SecretKind::GitHubToken,
    },
    Token {
        prefix: b"glpat-",
        class: url_safe,
        min: 20,
        max: 255,
        kind: SecretKind::GitLabToken,
    },
    Token {
        prefix: b"xoxb-",
        class: url_safe,
        min: 10,
        max: 255,
        kind: SecretKind::SlackToken,
    },
    Token {
        prefix: b"xoxa-",
        class: url_safe,
        min: 10,
        max: 255,
        kind: SecretKind::SlackToken,
    },
    Token {
        prefix: b"xoxp-",
        class: url_safe,
        min: 10,
        max: 255,
        kind: SecretKind::SlackToken,
    },
    Token {
        prefix: b"xoxr-",
        class: url_safe,
        min: 10,
        max: 255,
        kind: SecretKind::SlackToken,
    },
    Token {
        prefix: b"xoxs-",
        class: url_safe,
        min: 10,
        max: 255,
        kind: SecretKind::SlackToken,
    },
    Token {
        prefix: b"sk_live_",
        class: alnum,
        min: 24,
        max: 255,
        kind: SecretKind::StripeKey,
    },
    Token {
        prefix: b"rk_live_",
        class: alnum,
        min: 24,
        max: 255,
        kind: SecretKind::StripeKey,
    },
    Token {
        prefix: b"npm_",
        class: alnum,
        min: 36,
        max: 36,
        kind: SecretKind::NpmToken,
    },
];

/// PEM and PGP private key headers, after `-----BEGIN `.
const KEY_HEADERS: &[&[u8]] = &[
    b"PRIVATE KEY-----",
    b"RSA PRIVATE KEY-----",
    b"EC PRIVATE KEY-----",
    b"DSA PRIVATE KEY-----",
    b"OPENSSH PRIVATE KEY-----",
    b"ENCRYPTED PRIVATE KEY-----",
    b"PGP PRIVATE KEY BLOCK-----",
];

/// The longest header a private key block starts with (`-----BEGIN ` + the longest tail).
pub(super) const LONGEST_HEADER: usize = 11 + 26;

/// The token or key header starting at `text[i]`, as (kind, end).
fn token_at(text: &[u8], i: usize) -> Option<(SecretKind, usize)> {
    let rest = text.get(i..)?;
    // No letter or digit right before: a token inside a longer word is not one.
    if i > 0 && text.get(i - 1).is_some_and(|&b| word(b)) {
        return None;
    }
    if let Some(tail) = rest.strip_prefix(b"-----BEGIN ") {
        let h = KEY_HEADERS.iter().find(|h| tail.starts_with(h))?;
        // The block runs to its END line when it is in the text, else to the end of the line.
        let start = i + 11 + h.len();
        let end = find_from(text, start, b"-----END ")
            .and_then(|e| find_from(text, e + 9, b"-----").map(|f| f + 5))
            .unwrap_or_else(|| line_end(text, start));
        return Some((SecretKind::PrivateKey, end));
    }
    for t in TOKENS {
        if !rest.starts_with(t.prefix) {
            continue;
        }
        let at = i + t.prefix.len();
        let n = run(text, at, t.class);
        if n >= t.min && n <= t.max {
            return Some((t.kind, at + n));
        }
    }
    None
}

fn find_from(text: &[u8], from: usize, needle: &[u8]) -> Option<usize> {
    crate::bytes::find(text.get(from..)?, needle).map(|p| p + from)
}

fn line_end(text: &[u8], from: usize) -> usize {
    text.get(from..)
        .and_then(|t| t.iter().position(|&b| b == b'\n'))
        .map_or(text.len(), |p| p + from)
}

/// Key names whose values are secrets (compared case-insensitively, as the key's end).
const SECRET_KEYS: &[&str] = &[
    "password",
    "passwd",
    "_pwd",
    "secret",
    "token",
    "api_key",
    "apikey",
    "api-key",
    "access_key",
    "accesskey",
    "private_key",
    "credentials",
    "_auth",
];

/// Whether a setting's name says its value is a secret (`DB_PASSWORD`, `token`, `apiKey`).
pub(super) fn secret_key_name(name: &[u8]) -> bool {
    let name = name.trim_ascii();
    SECRET_KEYS.iter().any(|k| ends_with_ci(name, k))
}

fn ends_with_ci(s: &[u8], suffix: &str) -> bool {
    s.len() >= suffix.len()
        && s.get(s.len() - suffix.len()..)
            .is_some_and(|t| t.eq_ignore_ascii_case(suffix.as_bytes()))
}

/// The kind of a secret named by its key.
pub(super) fn keyed_kind(name: &[u8]) -> SecretKind {
    if ends_with_ci(name, "aws_secret_access_key") {
        SecretKind::AwsSecretKey
    } else if ends_with_ci(name, "_authtoken") {
        SecretKind::NpmToken
    } else {
        SecretKind::Assignment
    }
}

/// Whether a value is a real one, not a reference, a placeholder or too short to matter.
pub(super) fn real_value(v: &[u8]) -> bool {
    const PLACEHOLDERS: &[&str] = &[
        "changeme",
        "change_me",
        "password",
        "passwd",
        "secret",
        "token",
        "null",
        "none",
        "undefined",
        "example",
        "redacted",
        "placeholder",
        "required",
        "optional",
        "default",
        "false",
        "true",
    ];
    if v.len() < 6 {
        return false;
    }
    if matches!(
        v.first(),
        Some(b'$' | b'%' | b'{' | b'<' | b'[' | b'(' | b'@')
    ) {
        return false;
    }
    if v.windows(2).any(|w| w == b"${" || w == b"{{" || w == b"$(") {
        return false;
    }
    if v.iter().all(|&b| b == v[0]) {
        return false; // `******`, `xxxxxx`
    }
    !PLACEHOLDERS
        .iter()
        .any(|p| v.eq_ignore_ascii_case(p.as_bytes()))
}

/// The keyed secret whose separator (`=` or `:`) is at `text[sep]`, as (kind, value range).
fn keyed_at(text: &[u8], sep: usize, rules: Rules) -> Option<(SecretKind, usize, usize)> {
    // The key: back over spaces and a closing quote, then name characters.
    let mut k = sep;
    while k > 0 && text.get(k - 1) == Some(&b' ') && sep - k < 4 {
        k -= 1;
    }
    let quoted_key = k > 0 && matches!(text.get(k - 1), Some(b'"' | b'\''));
    if quoted_key {
        k -= 1;
    }
    let key_end = k;
    while k > 0
        && text
            .get(k - 1)
            .is_some_and(|&b| alnum(b) || matches!(b, b'_' | b'-' | b'.'))
    {
        k -= 1;
    }
    let key = text.get(k..key_end)?;
    if key.is_empty() || key.len() > 128 {
        return None;
    }
    let colon = text.get(sep) == Some(&b':');
    // `https://…`, `a::b`: not a setting.
    if colon && matches!(text.get(sep + 1), Some(b'/' | b':')) {
        return None;
    }
    // The value: after spaces, quoted or up to a space or shell or JSON punctuation.
    let mut v = sep + 1;
    while text.get(v) == Some(&b' ') && v - sep < 8 {
        v += 1;
    }
    let (start, end) = match text.get(v) {
        Some(&q @ (b'"' | b'\'')) => {
            let close = text
                .get(v + 1..)?
                .iter()
                .position(|&b| b == q || b == b'\n')?;
            if text.get(v + 1 + close) != Some(&q) {
                return None;
            }
            (v + 1, v + 1 + close)
        }
        _ => {
            let n = text
                .get(v..)?
                .iter()
                .take_while(|&&b| {
                    !b.is_ascii_whitespace()
                        && !matches!(
                            b,
                            b';' | b'&' | b'|' | b',' | b'"' | b'\'' | b')' | b'}' | b'`'
                        )
                })
                .count();
            (v, v + n)
        }
    };
    let value = text.get(start..end)?;
    let kind = if rules.docker_auths && colon && key.eq_ignore_ascii_case(b"auth") {
        (value.len() >= 8 && value.iter().all(|&b| base64(b))).then_some(SecretKind::DockerAuth)
    } else if ends_with_ci(key, "aws_secret_access_key") {
        (value.len() == 40 && value.iter().all(|&b| base64(b))).then_some(SecretKind::AwsSecretKey)
    } else if rules.npmrc && (ends_with_ci(key, "_authtoken") || key.eq_ignore_ascii_case(b"_auth"))
    {
        real_value(value).then_some(SecretKind::NpmToken)
    } else {
        (rules.assignments && secret_key_name(key) && real_value(value))
            .then_some(SecretKind::Assignment)
    }?;
    // A keyed value that is a known token (`GITHUB_TOKEN=ghp_…`) is named for the token.
    match token_at(text, start) {
        Some((k, e)) if e <= end => Some((k, start, e)),
        _ => Some((kind, start, end)),
    }
}

/// See [`super::find`].
pub(super) fn find(text: &[u8], rules: Rules) -> Vec<Hit> {
    let mut hits = Vec::new();
    let mut i = 0;
    while i < text.len() {
        let b = text.get(i).copied().unwrap_or(0);
        let found = match b {
            b'-' | b'A' | b'g' | b'x' | b's' | b'r' | b'n' => {
                token_at(text, i).map(|(k, e)| (k, i, e))
            }
            b'=' | b':' => keyed_at(text, i, rules),
            _ => None,
        };
        match found {
            Some((kind, start, end)) if end > start => {
                hits.push(Hit { kind, start, end });
                i = end.max(i + 1);
            }
            _ => i += 1,
        }
    }
    // A keyed value can hold a prefixed token (`token=ghp_…`): keep the specific kind.
    hits.sort_by_key(|h| (h.start, h.kind == SecretKind::Assignment, h.end));
    let mut out: Vec<Hit> = Vec::with_capacity(hits.len());
    for h in hits {
        if out.last().is_none_or(|l| h.start >= l.end) {
            out.push(h);
        }
    }
    out
}

/// File names and extensions of configuration files, where generic assignments count.
fn config_file(name: &[u8]) -> bool {
    const NAMES: &[&str] = &[
        ".env",
        ".npmrc",
        ".yarnrc",
        ".pypirc",
        ".netrc",
        ".pgpass",
        ".git-credentials",
        ".gitconfig",
        "credentials",
        "config",
        "settings",
        "secrets",
        ".s3cfg",
        ".my.cnf",
        "wp-config.php",
    ];
    const EXTS: &[&str] = &[
        "env",
        "conf",
        "cfg",
        "cnf",
        "ini",
        "properties",
        "yaml",
        "yml",
        "toml",
        "json",
        "config",
        "secret",
        "secrets",
        "credentials",
        "rc",
    ];
    if NAMES
        .iter()
        .any(|n| name.eq_ignore_ascii_case(n.as_bytes()))
        || name.starts_with(b".env.")
    {
        return true;
    }
    let ext = name
        .iter()
        .rposition(|&b| b == b'.')
        .and_then(|i| name.get(i + 1..))
        .unwrap_or_default();
    EXTS.iter().any(|e| ext.eq_ignore_ascii_case(e.as_bytes()))
}

/// Extensions of files that are binary or compressed: not read at all.
fn skipped(name: &[u8]) -> bool {
    const EXTS: &[&str] = &[
        "png", "jpg", "jpeg", "gif", "webp", "ico", "gz", "tgz", "bz2", "xz", "zst", "lz4", "zip",
        "jar", "war", "whl", "egg", "deb", "rpm", "so", "a", "o", "pyc", "pyo", "class", "woff",
        "woff2", "ttf", "otf", "mo", "wasm", "node",
    ];
    let Some(i) = name.iter().rposition(|&b| b == b'.') else {
        return false;
    };
    let ext = name.get(i + 1..).unwrap_or_default();
    // `libc.so.6`: a versioned shared library.
    let versioned_so = name.windows(4).any(|w| w == b".so.");
    versioned_so || EXTS.iter().any(|e| ext.eq_ignore_ascii_case(e.as_bytes()))
}

/// Test suites and documentation: many packages ship test keys and example tokens there
/// (Python's, Go's, OpenSSL's), which would flag every image built on them.
fn tests_or_docs(path: &[u8]) -> bool {
    const DIRS: &[&[u8]] = &[b"test", b"tests", b"testdata", b"__tests__", b"test-data"];
    let mut comps = path.split(|&b| b == b'/');
    // The file name itself is not a directory.
    comps.next_back();
    path.starts_with(b"usr/share/doc/")
        || path.starts_with(b"usr/share/man/")
        || comps.any(|c| DIRS.contains(&c))
}

/// See [`Rules::for_path`].
pub(super) fn for_path(path: &[u8]) -> Option<Rules> {
    let name = path.rsplit(|&b| b == b'/').next().unwrap_or(path);
    if skipped(name) || tests_or_docs(path) {
        return None;
    }
    let parent = path
        .len()
        .checked_sub(name.len() + 1)
        .and_then(|end| path.get(..end))
        .map(|p| p.rsplit(|&b| b == b'/').next().unwrap_or(p))
        .unwrap_or_default();
    Some(Rules {
        assignments: config_file(name),
        npmrc: name == b".npmrc" || name == b"npmrc",
        docker_auths: (name == b"config.json" && parent == b".docker")
            || (name == b"auth.json" && parent == b"containers")
            || name == b".dockercfg",
    })
}
