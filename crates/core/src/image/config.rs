//! The image configuration (`config.json`): platform, runtime settings, history and diff_ids.
//! Parsed leniently: writers disagree on which fields they fill, and a missing optional field
//! is not an error.

use alloc::collections::BTreeMap;
use alloc::string::String;
use alloc::vec::Vec;

use serde::{Deserialize, Serialize};

use crate::digest::Digest;
use crate::error::{Error, Result};

/// Runtime settings from the config's `config` object.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuntimeConfig {
    /// `Env`.
    #[serde(rename = "Env", default, deserialize_with = "null_default")]
    pub env: Vec<String>,
    /// `Entrypoint`.
    #[serde(rename = "Entrypoint", default, deserialize_with = "null_default")]
    pub entrypoint: Vec<String>,
    /// `Cmd`.
    #[serde(rename = "Cmd", default, deserialize_with = "null_default")]
    pub cmd: Vec<String>,
    /// `User`.
    #[serde(rename = "User", default, deserialize_with = "null_default")]
    pub user: String,
    /// `WorkingDir`.
    #[serde(rename = "WorkingDir", default, deserialize_with = "null_default")]
    pub working_dir: String,
    /// `Labels`.
    #[serde(rename = "Labels", default, deserialize_with = "null_default")]
    pub labels: BTreeMap<String, String>,
    /// `ExposedPorts` (keys like `80/tcp`).
    #[serde(rename = "ExposedPorts", default, deserialize_with = "null_default")]
    pub exposed_ports: BTreeMap<String, serde_json::Value>,
}

/// One history entry.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct History {
    /// RFC 3339 time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created: Option<String>,
    /// The build step (`/bin/sh -c #(nop) COPY …`, `RUN …`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_by: Option<String>,
    /// Free-form comment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    /// Author.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub author: Option<String>,
    /// Whether this step produced no layer.
    #[serde(default, skip_serializing_if = "is_false")]
    pub empty_layer: bool,
}

fn is_false(b: &bool) -> bool {
    !*b
}

#[derive(Deserialize)]
struct RootFs {
    #[serde(default, deserialize_with = "null_default")]
    diff_ids: Vec<Digest>,
}

#[derive(Deserialize)]
struct RawConfig {
    #[serde(default)]
    architecture: Option<String>,
    #[serde(default)]
    os: Option<String>,
    #[serde(default)]
    variant: Option<String>,
    #[serde(default)]
    created: Option<String>,
    #[serde(default)]
    author: Option<String>,
    #[serde(default, deserialize_with = "null_default")]
    config: RuntimeConfig,
    rootfs: Option<RootFs>,
    #[serde(default, deserialize_with = "null_default")]
    history: Vec<History>,
}

fn null_default<'de, D: serde::Deserializer<'de>, T: Default + Deserialize<'de>>(
    d: D,
) -> core::result::Result<T, D::Error> {
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}

/// The parsed image configuration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ImageConfig {
    /// CPU architecture (`amd64`).
    pub architecture: Option<String>,
    /// Operating system (`linux`).
    pub os: Option<String>,
    /// Architecture variant (`v8`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub variant: Option<String>,
    /// Creation time.
    pub created: Option<String>,
    /// Author.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub author: Option<String>,
    /// Runtime settings.
    pub runtime: RuntimeConfig,
    /// `rootfs.diff_ids`: the sha256 of each uncompressed layer, base first.
    pub diff_ids: Vec<Digest>,
    /// Every history entry, empty-layer ones included.
    pub history: Vec<History>,
}

impl ImageConfig {
    /// Parses config JSON.
    ///
    /// # Errors
    /// Invalid JSON, no `rootfs`, or a malformed digest.
    pub fn parse(bytes: &[u8]) -> Result<Self> {
        let raw: RawConfig = serde_json::from_slice(bytes)
            .map_err(|e| Error::json(alloc::format!("image config is not valid: {e}")))?;
        let rootfs = raw.rootfs.ok_or_else(|| {
            Error::json("image config has no `rootfs` (is this an image config?)")
        })?;
        Ok(ImageConfig {
            architecture: raw.architecture,
            os: raw.os,
            variant: raw.variant,
            created: raw.created,
            author: raw.author,
            runtime: raw.config,
            diff_ids: rootfs.diff_ids,
            history: raw.history,
        })
    }

    /// `os/architecture[/variant]`.
    pub fn platform(&self) -> String {
        let mut s = alloc::format!(
            "{}/{}",
            self.os.as_deref().unwrap_or("?"),
            self.architecture.as_deref().unwrap_or("?")
        );
        if let Some(v) = &self.variant {
            s.push('/');
            s.push_str(v);
        }
        s
    }

    /// History entries aligned to layers: entry `i` describes layer `i`; empty-layer steps
    /// are skipped. `None` where the history is shorter than the layer list.
    pub fn layer_history(&self, layers: usize) -> Vec<Option<&History>> {
        let mut it = self.history.iter().filter(|h| !h.empty_layer);
        (0..layers).map(|_| it.next()).collect()
    }
}

/// A build step as people read it: the history's `created_by` without the `/bin/sh -c #(nop) `
/// noise, a shell step as `RUN …`, whitespace runs collapsed. The analyses name steps this way
/// (findings, timelines) and the front ends show them so.
pub fn step(created_by: &str) -> String {
    let s = created_by.trim();
    let s = s.strip_prefix("/bin/sh -c #(nop) ").unwrap_or(s);
    let s = s
        .strip_prefix("/bin/sh -c ")
        .map(|r| alloc::format!("RUN {r}"))
        .unwrap_or_else(|| s.into());
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    #[test]
    fn steps_read_as_dockerfile_lines() {
        assert_eq!(
            super::step("/bin/sh -c #(nop) COPY file:abc in /x "),
            "COPY file:abc in /x"
        );
        assert_eq!(
            super::step("/bin/sh -c apt-get  update"),
            "RUN apt-get update"
        );
    }

    use super::*;

    #[test]
    fn history_skips_empty_layers_when_aligning() {
        let json = br#"{"rootfs":{"type":"layers","diff_ids":[]},"history":[
            {"created_by":"ADD base"},{"created_by":"ENV x=1","empty_layer":true},{"created_by":"RUN make"}],
            "config":{"Env":null,"Labels":{"a":"b"}}}"#;
        let c = ImageConfig::parse(json).unwrap();
        let h = c.layer_history(3);
        assert_eq!(h[0].unwrap().created_by.as_deref(), Some("ADD base"));
        assert_eq!(h[1].unwrap().created_by.as_deref(), Some("RUN make"));
        assert!(h[2].is_none());
        assert_eq!(c.runtime.labels.get("a").map(String::as_str), Some("b"));
        assert!(c.runtime.env.is_empty());
    }

    #[test]
    fn a_manifest_is_not_a_config() {
        let err = ImageConfig::parse(br#"{"schemaVersion":2}"#).unwrap_err();
        assert!(alloc::format!("{err}").contains("rootfs"));
    }
}
