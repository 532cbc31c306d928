//! The runtime configurations compared field by field, and the two histories side by side.
//!
//! Env, labels, exposed ports and volumes compare as maps or sets (their order does not
//! change how a container runs); entrypoint and cmd as whole argument lists. `Volumes` and
//! `StopSignal` are read from the config bytes, as the parsed config does not keep them.

use alloc::collections::{BTreeMap, BTreeSet};
use alloc::string::{String, ToString};
use alloc::vec::Vec;

use serde::{Deserialize, Serialize};

use crate::image::{step, Image};

/// One configuration difference.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConfigChange {
    /// `env`, `entrypoint`, `cmd`, `user`, `working_dir`, `exposed_ports`, `volumes`,
    /// `labels`, `stop_signal`, or (strict about times) `created`.
    pub field: String,
    /// The variable, label, port or volume, for the map and set fields.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    /// A's value (`None`: A does not have it).
    pub a: Option<String>,
    /// B's value.
    pub b: Option<String>,
}

/// Compares the runtime configurations of `a` and `b` (and the creation times if `times`).
pub fn diff_config(a: &Image, b: &Image, times: bool) -> Vec<ConfigChange> {
    let (ra, rb) = (&a.config.runtime, &b.config.runtime);
    let mut out = Vec::new();
    let env = |r: &crate::image::RuntimeConfig| -> BTreeMap<String, String> {
        r.env
            .iter()
            .map(|e| match e.split_once('=') {
                Some((k, v)) => (k.to_string(), v.to_string()),
                None => (e.clone(), String::new()),
            })
            .collect()
    };
    maps(&mut out, "env", &env(ra), &env(rb));
    let list = |v: &[String]| -> Option<String> {
        (!v.is_empty()).then(|| serde_json::to_string(v).unwrap_or_default())
    };
    scalar(
        &mut out,
        "entrypoint",
        list(&ra.entrypoint),
        list(&rb.entrypoint),
    );
    scalar(&mut out, "cmd", list(&ra.cmd), list(&rb.cmd));
    let text = |s: &str| (!s.is_empty()).then(|| s.to_string());
    scalar(&mut out, "user", text(&ra.user), text(&rb.user));
    scalar(
        &mut out,
        "working_dir",
        text(&ra.working_dir),
        text(&rb.working_dir),
    );
    let ports = |r: &crate::image::RuntimeConfig| -> BTreeSet<String> {
        r.exposed_ports.keys().cloned().collect()
    };
    sets(&mut out, "exposed_ports", &ports(ra), &ports(rb));
    let (xa, xb) = (Extra::of(a), Extra::of(b));
    sets(&mut out, "volumes", &xa.volumes, &xb.volumes);
    maps(&mut out, "labels", &ra.labels, &rb.labels);
    scalar(&mut out, "stop_signal", xa.stop_signal, xb.stop_signal);
    if times {
        scalar(
            &mut out,
            "created",
            a.config.created.clone(),
            b.config.created.clone(),
        );
    }
    out
}

fn scalar(out: &mut Vec<ConfigChange>, field: &str, a: Option<String>, b: Option<String>) {
    if a != b {
        out.push(ConfigChange {
            field: field.into(),
            key: None,
            a,
            b,
        });
    }
}

fn maps(
    out: &mut Vec<ConfigChange>,
    field: &str,
    a: &BTreeMap<String, String>,
    b: &BTreeMap<String, String>,
) {
    let keys: BTreeSet<&String> = a.keys().chain(b.keys()).collect();
    for k in keys {
        let (va, vb) = (a.get(k), b.get(k));
        if va != vb {
            out.push(ConfigChange {
                field: field.into(),
                key: Some(k.clone()),
                a: va.cloned(),
                b: vb.cloned(),
            });
        }
    }
}

fn sets(out: &mut Vec<ConfigChange>, field: &str, a: &BTreeSet<String>, b: &BTreeSet<String>) {
    for k in a.symmetric_difference(b) {
        let present = |s: &BTreeSet<String>| s.contains(k).then(|| "present".to_string());
        out.push(ConfigChange {
            field: field.into(),
            key: Some(k.clone()),
            a: present(a),
            b: present(b),
        });
    }
}

/// The runtime fields the parsed config leaves out.
#[derive(Default, Deserialize)]
struct Extra {
    #[serde(default)]
    volumes: BTreeSet<String>,
    #[serde(default)]
    stop_signal: Option<String>,
}

impl Extra {
    fn of(image: &Image) -> Extra {
        #[derive(Deserialize)]
        struct Raw {
            #[serde(default)]
            config: Option<RawRuntime>,
        }
        #[derive(Deserialize)]
        struct RawRuntime {
            #[serde(rename = "Volumes", default)]
            volumes: Option<BTreeMap<String, serde_json::Value>>,
            #[serde(rename = "StopSignal", default)]
            stop_signal: Option<String>,
        }
        let Ok(Raw { config: Some(r) }) = serde_json::from_slice::<Raw>(&image.config_bytes) else {
            return Extra::default();
        };
        Extra {
            volumes: r.volumes.unwrap_or_default().into_keys().collect(),
            stop_signal: r.stop_signal.filter(|s| !s.is_empty()),
        }
    }
}

/// One history step as shown side by side.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Step {
    /// The step as a Dockerfile line.
    pub step: String,
    /// When it ran.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created: Option<String>,
    /// Whether it made no layer.
    #[serde(default)]
    pub empty_layer: bool,
}

/// Both histories, every step (empty-layer ones included).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Histories {
    /// A's steps.
    pub a: Vec<Step>,
    /// B's steps.
    pub b: Vec<Step>,
    /// Whether the steps differ (text and empty-layer marks; times only when strict about
    /// times).
    pub differ: bool,
}

impl Histories {
    /// The histories of `a` and `b`.
    pub fn new(a: &Image, b: &Image, times: bool) -> Self {
        let steps = |i: &Image| -> Vec<Step> {
            i.config
                .history
                .iter()
                .map(|h| Step {
                    step: h.created_by.as_deref().map(step).unwrap_or_default(),
                    created: h.created.clone(),
                    empty_layer: h.empty_layer,
                })
                .collect()
        };
        let (sa, sb) = (steps(a), steps(b));
        let key = |s: &Step| {
            (
                s.step.clone(),
                s.empty_layer,
                times.then(|| s.created.clone()),
            )
        };
        let differ = sa.len() != sb.len() || sa.iter().zip(&sb).any(|(x, y)| key(x) != key(y));
        Histories {
            a: sa,
            b: sb,
            differ,
        }
    }
}
