//! The image configuration (`config.json`): platform, runtime settings, history and diff_ids.
//! Parsed leniently: writers disagree on which fields they fill, and a missing optional field
//! is not an error.

use alloc::collections::BTreeMap;
use alloc::string::String;
use alloc::vec::Vec;

use serde::{Deserialize, Serialize};

use crate::digest::Digest;
use crate::error::{Error, Result};
use crate::secrets::{mask_env, mask_text, Masked, Rules};

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
    /// Secrets found in the history's `created_by` and in `Env`; those texts above hold them
    /// masked (only [`super::Image::config_bytes`] has them as written).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub secrets: Vec<ConfigSecret>,
}

/// Where in the config a secret was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConfigPlace {
    /// `history[i].created_by` (`i` counts empty-layer entries too).
    History(usize),
    /// `config.Env[i]`.
    Env(usize),
}

/// A secret in the config's text, masked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConfigSecret {
    /// Where it is.
    pub place: ConfigPlace,
    /// What it is, masked.
    #[serde(flatten)]
    pub secret: Masked,
}

/// Masks the secrets in the history's steps and in `Env`, and lists them: the parsed config
/// is what every output shows, so no output can show them.
fn mask_secrets(history: &mut [History], env: &mut [String]) -> Vec<ConfigSecret> {
    let mut found = Vec::new();
    for (i, h) in history.iter_mut().enumerate() {
        if let Some(text) = h.created_by.as_mut() {
            let (masked, hits) = mask_text(text, Rules::STEP);
            if !hits.is_empty() {
                *text = masked;
                found.extend(hits.into_iter().map(|secret| ConfigSecret {
                    place: ConfigPlace::History(i),
                    secret,
                }));
            }
        }
    }
    for (i, e) in env.iter_mut().enumerate() {
        let (masked, hits) = mask_env(e);
        if !hits.is_empty() {
            *e = masked;
            found.extend(hits.into_iter().map(|secret| ConfigSecret {
                place: ConfigPlace::Env(i),
                secret,
            }));
        }
    }
    found
}

impl ImageConfig {
    /// Parses config JSON.
    ///
    /// # Errors
    /// Invalid JSON, no `rootfs`, or a malformed digest.
    pub fn parse(bytes: &[u8]) -> Result<Self> {
        let mut raw: RawConfig = serde_json::from_slice(bytes)
            .map_err(|e| Error::json(alloc::format!("image config is not valid: {e}")))?;
        let rootfs = raw.rootfs.take().ok_or_else(|| {
            Error::json("image config has no `rootfs` (is this an image config?)")
        })?;
        let secrets = mask_secrets(&mut raw.history, &mut raw.config.env);
        Ok(ImageConfig {
            architecture: raw.architecture,
            os: raw.os,
            variant: raw.variant,
            created: raw.created,
            author: raw.author,
            runtime: raw.config,
            diff_ids: rootfs.diff_ids,
            history: raw.history,
            secrets,
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
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;
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
    fn secrets_in_steps_and_env_are_masked_and_listed() {
        let json = br#"{"rootfs":{"type":"layers","diff_ids":[]},"history":[
            {"created_by":"/bin/sh -c echo password=hunter2hunter2 > /etc/app.conf"},
            {"created_by":"ENV AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY","empty_layer":true}],
            "config":{"Env":["PATH=/bin","API_TOKEN=tok-0123456789abcdef"]}}"#;
        let c = ImageConfig::parse(json).unwrap();
        assert_eq!(
            c.history[0].created_by.as_deref(),
            Some("/bin/sh -c echo password=hu…(14 chars) > /etc/app.conf")
        );
        assert_eq!(
            c.history[1].created_by.as_deref(),
            Some("ENV AWS_SECRET_ACCESS_KEY=wJal…(40 chars)")
        );
        assert_eq!(c.runtime.env, ["PATH=/bin", "API_TOKEN=tok-…(20 chars)"]);
        let places: Vec<_> = c.secrets.iter().map(|s| s.place).collect();
        assert_eq!(
            places,
            [
                ConfigPlace::History(0),
                ConfigPlace::History(1),
                ConfigPlace::Env(1)
            ]
        );
    }

    #[test]
    fn a_manifest_is_not_a_config() {
        let err = ImageConfig::parse(br#"{"schemaVersion":2}"#).unwrap_err();
        assert!(alloc::format!("{err}").contains("rootfs"));
    }
}
