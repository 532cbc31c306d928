//! Secrets in bytes and text: key and token patterns, found in file contents (streamed, by the
//! deep scan) and in the image config (history `created_by`, `Env`), and masked wherever they
//! would be shown. A leaf: it knows bytes and rules, nothing of images.
//!
//! The rule set ([`SecretKind`]) and its limits:
//!
//! - Tokens with a fixed, documented prefix are found anywhere (any file, any step): PEM
//!   private key blocks (`-----BEGIN [RSA |EC |DSA |OPENSSH |ENCRYPTED ]PRIVATE KEY-----`,
//!   `-----BEGIN PGP PRIVATE KEY BLOCK-----`), AWS access key ids (`AKIA`/`ASIA` + 16
//!   upper-case letters or digits), GitHub tokens (`ghp_`/`gho_`/`ghs_`/`ghu_`/`ghr_` + 36,
//!   `github_pat_` + 22 or more), GitLab personal tokens (`glpat-` + 20 or more), Slack tokens
//!   (`xoxb-`/`xoxa-`/`xoxp-`/`xoxr-`/`xoxs-` + 10 or more), Google API keys (`AIza` + 35),
//!   Stripe live keys (`sk_live_`/`rk_live_` + 24 or more), npm tokens (`npm_` + 36). Each
//!   must stand alone (no letter or digit right before it), so `XAKIA…` inside a longer word
//!   or a base64 blob is not taken; a random blob can still contain such a run by chance (one
//!   in about 10^12 per position for an AWS key id), which is the rule set's false-positive
//!   floor.
//! - Keyed values, found only where a key names them: an AWS secret access key (40 base64
//!   characters after `aws_secret_access_key`/`AWS_SECRET_ACCESS_KEY` and `=` or `:`), npm's
//!   `_authToken=`/`_auth=` in an `.npmrc`, `"auth": "…"` in a Docker `config.json` (or a
//!   containers `auth.json`), and generic assignments `password=…`, `token: …`,
//!   `API_KEY="…"` (a key ending in `password`, `passwd`, `pwd`, `secret`, `token`,
//!   `api_key`/`apikey`, `access_key`, `private_key` or `credentials`, any case) in
//!   configuration files (by name: `.env`, `*.conf`, `*.ini`, `*.properties`, `*.yml`, …) and
//!   in history steps and `Env`. Not in source code: `password = input()` in a `.py` file is
//!   not a secret. Values that are references or placeholders (`$VAR`, `${VAR}`, `%(x)s`,
//!   `{{ x }}`, `<x>`, `***`, `changeme`, `null`, …) or shorter than 6 characters are skipped.
//!   An `Env` entry whose name is such a key is taken whole (`DB_PASSWORD=…`).
//! - Not read: files under test directories (`test/`, `tests/`, `testdata/`, `__tests__/`) and
//!   in `/usr/share/doc` and `/usr/share/man`, where packages ship test keys and examples.
//! - Not found: secrets in binary files (a NUL byte in the first 8 KiB marks a file binary and
//!   stops its scan), past the first [`SCAN_LIMIT`] bytes of a file, split by a line break or
//!   an escape, or encoded (base64 of a key file, compressed archives); high-entropy strings
//!   without a known prefix or key; labels.
//!
//! Every value found is shown masked ([`mask`]): its first characters (four for 16 or more,
//! two for 10 or more, none for shorter), `…`, and its length.

mod rules;
mod stream;

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use serde::{Deserialize, Serialize};

pub use stream::{ContentScanner, SCAN_LIMIT};

/// What kind of secret a value is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SecretKind {
    /// A PEM or PGP private key block.
    PrivateKey,
    /// An AWS access key id (`AKIA…`, `ASIA…`).
    AwsAccessKeyId,
    /// An AWS secret access key (after its key name).
    AwsSecretKey,
    /// A GitHub token.
    #[serde(rename = "github_token")]
    GitHubToken,
    /// A GitLab personal access token.
    #[serde(rename = "gitlab_token")]
    GitLabToken,
    /// A Slack token.
    SlackToken,
    /// A Google API key.
    GoogleApiKey,
    /// A Stripe live secret or restricted key.
    StripeKey,
    /// An npm token (`npm_…`, or `_authToken` in an `.npmrc`).
    NpmToken,
    /// A registry credential in a Docker `config.json` (`auths.*.auth`).
    DockerAuth,
    /// A value assigned to a password, token or key setting.
    Assignment,
}

impl SecretKind {
    /// What people call it.
    pub fn name(self) -> &'static str {
        match self {
            SecretKind::PrivateKey => "private key",
            SecretKind::AwsAccessKeyId => "AWS access key id",
            SecretKind::AwsSecretKey => "AWS secret access key",
            SecretKind::GitHubToken => "GitHub token",
            SecretKind::GitLabToken => "GitLab token",
            SecretKind::SlackToken => "Slack token",
            SecretKind::GoogleApiKey => "Google API key",
            SecretKind::StripeKey => "Stripe live key",
            SecretKind::NpmToken => "npm token",
            SecretKind::DockerAuth => "registry credential",
            SecretKind::Assignment => "password or token setting",
        }
    }
}

/// Which keyed rules apply to a text, by where it comes from (the prefixed tokens always do).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Rules {
    /// Generic `password=…` / `token: …` assignments (configuration files, build steps).
    pub assignments: bool,
    /// npm's `_authToken=` and `_auth=` (an `.npmrc`).
    pub npmrc: bool,
    /// `"auth": "…"` (a Docker `config.json`, a containers `auth.json`).
    pub docker_auths: bool,
}

impl Rules {
    /// The rules for a build step or an `Env` entry.
    pub const STEP: Rules = Rules {
        assignments: true,
        npmrc: true,
        docker_auths: false,
    };

    /// The rules for a file, by its path (normalised, no leading `/`); `None` for files not
    /// worth reading (archives, images, compiled code: they are binary anyway).
    pub fn for_path(path: &[u8]) -> Option<Rules> {
        rules::for_path(path)
    }
}

/// A secret found in a text: where its value is, and what it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Hit {
    /// What it is.
    pub kind: SecretKind,
    /// The value's byte range in the text scanned.
    pub start: usize,
    /// One past its end.
    pub end: usize,
}

/// Every secret in `text` under `rules`, in order, not overlapping.
pub fn find(text: &[u8], rules: Rules) -> Vec<Hit> {
    rules::find(text, rules)
}

/// A secret value as it may be shown: a prefix, `…`, the length (`AKIA…(20 chars)`).
pub fn mask(value: &[u8]) -> String {
    let text = String::from_utf8_lossy(value);
    let n = text.chars().count();
    let shown = match n {
        16.. => 4,
        10..=15 => 2,
        _ => 0,
    };
    let head: String = text.chars().take(shown).collect();
    format!("{head}…({n} chars)")
}

/// How a found value is shown: [`mask`]ed, but a private key block by its header (which says
/// what it is and gives nothing away) and its body's length.
pub(crate) fn mask_hit(kind: SecretKind, value: &[u8]) -> String {
    if kind == SecretKind::PrivateKey {
        let header_end = value
            .get(11..)
            .and_then(|t| t.windows(5).position(|w| w == b"-----"))
            .map_or(value.len(), |p| p + 16);
        let (header, body) = value.split_at(header_end.min(value.len()));
        let header = String::from_utf8_lossy(header);
        let body = body.trim_ascii();
        return if body.is_empty() {
            header.into_owned()
        } else {
            format!("{header}…({} chars)", body.len())
        };
    }
    mask(value)
}

/// A secret found in a text and masked there.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Masked {
    /// What it is.
    pub kind: SecretKind,
    /// The value, masked ([`mask`]).
    pub masked: String,
}

/// `text` with every secret value replaced by its mask, and what was masked (empty, and the
/// text unchanged, when there is none).
pub fn mask_text(text: &str, rules: Rules) -> (String, Vec<Masked>) {
    let hits = find(text.as_bytes(), rules);
    if hits.is_empty() {
        return (text.into(), Vec::new());
    }
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut found = Vec::with_capacity(hits.len());
    let mut at = 0;
    for h in hits {
        let value = bytes.get(h.start..h.end).unwrap_or_default();
        let m = mask_hit(h.kind, value);
        out.extend_from_slice(bytes.get(at..h.start).unwrap_or_default());
        out.extend_from_slice(m.as_bytes());
        found.push(Masked {
            kind: h.kind,
            masked: m,
        });
        at = h.end;
    }
    out.extend_from_slice(bytes.get(at..).unwrap_or_default());
    // Hits start and end on ASCII bytes, so the result is still UTF-8; lossy to be sure.
    (String::from_utf8_lossy(&out).into_owned(), found)
}

/// An `Env` entry (`NAME=value`) with its secret masked: the whole value when the name is a
/// password, token or key setting, else whatever [`mask_text`] finds in it.
pub fn mask_env(entry: &str) -> (String, Vec<Masked>) {
    if let Some((name, value)) = entry.split_once('=') {
        if rules::secret_key_name(name.as_bytes()) && rules::real_value(value.as_bytes()) {
            let m = mask(value.as_bytes());
            let found = alloc::vec![Masked {
                kind: rules::keyed_kind(name.as_bytes()),
                masked: m.clone(),
            }];
            return (format!("{name}={m}"), found);
        }
    }
    mask_text(entry, Rules::STEP)
}

#[cfg(test)]
mod tests;
