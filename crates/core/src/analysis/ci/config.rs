//! The CI configuration: dive's `.dive-ci` file read unchanged, plus layerlens' own rules in
//! a `layerlens:` section that dive ignores.
//!
//! ```yaml
//! rules:                          # dive 0.13.1, same keys, defaults and semantics
//!   lowestEfficiency: 0.95        # default 0.9
//!   highestWastedBytes: 20MB      # default disabled
//!   highestUserWastedPercent: 0.2 # default 0.1
//! layerlens:
//!   maxReclaimableBytes: 50MB     # default disabled
//!   maxReclaimablePercent: 0.1    # default disabled
//!   failOnSecurityFinding: true   # default true
//!   warnAboveSize: 1GB            # default 1GB
//!   failAboveSize: 5GB            # default disabled
//!   maxLayerSize: 500MB           # default disabled: a size budget for every layer
//!   ignorePaths:                  # the waste rules leave these out (dive #347)
//!     - /var/cache/**
//!   forbiddenPaths:               # fail if the final image has any of these
//!     - "**/.git"
//!     - /root/.ssh
//! ```
//!
//! dive reads its keys through viper: case-insensitive, camelCase only; a value is the
//! string viper makes of the YAML scalar (`0.20` → `0.2`, `0x10` → `16`, `~` → the default).
//! layerlens also reads `lowest_efficiency` and `lowest-efficiency`, which dive silently
//! ignores: each such key gets a note, so a file never means two different things unseen.

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use serde::{Deserialize, Serialize};

use crate::dive::yaml::{self, Yaml, YamlError};

/// dive's three rules, as the strings dive parses.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DiveRules {
    /// `rules.lowestEfficiency`: a ratio in 0..=1, or `disabled`.
    pub lowest_efficiency: String,
    /// `rules.highestWastedBytes`: a size (`20MB`), or `disabled`.
    pub highest_wasted_bytes: String,
    /// `rules.highestUserWastedPercent`: a ratio in 0..=1, or `disabled`.
    pub highest_user_wasted_percent: String,
}

impl Default for DiveRules {
    fn default() -> Self {
        DiveRules {
            lowest_efficiency: "0.9".into(),
            highest_wasted_bytes: "disabled".into(),
            highest_user_wasted_percent: "0.1".into(),
        }
    }
}

/// layerlens' own rules, as strings (parsed and checked when evaluated).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LayerlensRules {
    /// Fail when a full squash would save more than this (a size), or `disabled`.
    pub max_reclaimable_bytes: String,
    /// Fail when a full squash would save more than this ratio (0..=1) of the image's
    /// uncompressed layers, or `disabled`.
    pub max_reclaimable_percent: String,
    /// `true` (default): fail on any security finding (a secret still shipped).
    pub fail_on_security_finding: String,
    /// Warn when the uncompressed layers exceed this size (default `1GB`), or `disabled`.
    pub warn_above_size: String,
    /// Fail when the uncompressed layers exceed this size (a registry's cap), or `disabled`.
    pub fail_above_size: String,
    /// Fail when any one layer's tar exceeds this size, or `disabled`.
    pub max_layer_size: String,
    /// Globs of paths the waste rules (dive's three, `maxReclaimable*`) leave out.
    pub ignore_paths: Vec<String>,
    /// Globs of paths that must not be in the final image.
    pub forbidden_paths: Vec<String>,
}

impl Default for LayerlensRules {
    fn default() -> Self {
        LayerlensRules {
            max_reclaimable_bytes: "disabled".into(),
            max_reclaimable_percent: "disabled".into(),
            fail_on_security_finding: "true".into(),
            warn_above_size: "1GB".into(),
            fail_above_size: "disabled".into(),
            max_layer_size: "disabled".into(),
            ignore_paths: Vec::new(),
            forbidden_paths: Vec::new(),
        }
    }
}

/// The whole configuration.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CiConfig {
    /// dive's rules.
    pub dive: DiveRules,
    /// layerlens' rules.
    pub layerlens: LayerlensRules,
    /// Where layerlens reads the file differently from dive, said once each.
    pub notes: Vec<String>,
}

/// A configuration file that is not valid YAML (dive stops with an error too).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError(pub YamlError);

impl core::fmt::Display for ConfigError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "invalid CI configuration: {}", self.0)
    }
}

impl core::error::Error for ConfigError {}

fn normalise(key: &str) -> String {
    key.chars()
        .filter(|c| *c != '_' && *c != '-')
        .flat_map(char::to_lowercase)
        .collect()
}

impl CiConfig {
    /// Reads a `.dive-ci` file.
    ///
    /// # Errors
    /// YAML this reader does not accept, with the line.
    pub fn parse(text: &str) -> Result<Self, ConfigError> {
        let doc = yaml::parse(text).map_err(ConfigError)?;
        let mut c = CiConfig::default();
        let dive_keys: [(&str, &mut String); 3] = [
            ("lowestEfficiency", &mut c.dive.lowest_efficiency),
            ("highestWastedBytes", &mut c.dive.highest_wasted_bytes),
            (
                "highestUserWastedPercent",
                &mut c.dive.highest_user_wasted_percent,
            ),
        ];
        for (key, slot) in dive_keys {
            // viper: a flat `rules.key` wins over a nested one; keys without case.
            let flat = doc.get_ci(&format!("rules.{key}"));
            let nested = doc.get_ci("rules").and_then(|r| r.get_ci(key));
            if let Some(v) = flat.or(nested).and_then(Yaml::viper_string) {
                *slot = v;
                continue;
            }
            // Keys dive does not read: take them, and say so.
            if let Some((alias, v)) = alias(doc.get_ci("rules"), key) {
                if let Some(v) = v.viper_string() {
                    c.notes.push(format!(
                        "rules.{alias}: dive 0.13.1 ignores this spelling (it reads only `{key}`) and uses its default; layerlens applies {v:?}"
                    ));
                    *slot = v;
                }
            }
        }
        let ours = doc.get_ci("layerlens");
        let own: [(&str, &mut String); 6] = [
            (
                "maxReclaimableBytes",
                &mut c.layerlens.max_reclaimable_bytes,
            ),
            (
                "maxReclaimablePercent",
                &mut c.layerlens.max_reclaimable_percent,
            ),
            (
                "failOnSecurityFinding",
                &mut c.layerlens.fail_on_security_finding,
            ),
            ("warnAboveSize", &mut c.layerlens.warn_above_size),
            ("failAboveSize", &mut c.layerlens.fail_above_size),
            ("maxLayerSize", &mut c.layerlens.max_layer_size),
        ];
        for (key, slot) in own {
            if let Some(v) = ours
                .and_then(|m| {
                    m.get_ci(key)
                        .or_else(|| alias(Some(m), key).map(|(_, v)| v))
                })
                .and_then(Yaml::viper_string)
            {
                *slot = v;
            }
        }
        let lists: [(&str, &mut Vec<String>); 2] = [
            ("ignorePaths", &mut c.layerlens.ignore_paths),
            ("forbiddenPaths", &mut c.layerlens.forbidden_paths),
        ];
        for (key, slot) in lists {
            let v = ours.and_then(|m| {
                m.get_ci(key)
                    .or_else(|| alias(Some(m), key).map(|(_, v)| v))
            });
            *slot = match v {
                Some(Yaml::Seq(items)) => items.iter().filter_map(Yaml::viper_string).collect(),
                Some(other) => other.viper_string().into_iter().collect(),
                None => Vec::new(),
            };
            slot.retain(|p| !p.is_empty());
        }
        if let Some(Yaml::Map(m)) = ours {
            let known = [
                "maxreclaimablebytes",
                "maxreclaimablepercent",
                "failonsecurityfinding",
                "warnabovesize",
                "failabovesize",
                "maxlayersize",
                "ignorepaths",
                "forbiddenpaths",
            ];
            for (k, _) in m {
                if !known.contains(&normalise(k).as_str()) {
                    c.notes.push(format!("layerlens.{k}: unknown key, ignored"));
                }
            }
        }
        Ok(c)
    }
}

/// A snake_case or kebab-case spelling of `key` in `map` (not the exact camelCase one).
fn alias<'a>(map: Option<&'a Yaml>, key: &str) -> Option<(&'a str, &'a Yaml)> {
    let Some(Yaml::Map(m)) = map else {
        return None;
    };
    let want = normalise(key);
    m.iter()
        .rev()
        .find(|(k, _)| !k.eq_ignore_ascii_case(key) && normalise(k) == want)
        .map(|(k, v)| (k.as_str(), v))
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn defaults_are_dives() {
        let c = CiConfig::parse("").unwrap();
        assert_eq!(c.dive, DiveRules::default());
        assert_eq!(c.dive.lowest_efficiency, "0.9");
        assert!(c.notes.is_empty());
    }

    #[test]
    fn camel_case_without_case_and_flat_keys() {
        let c = CiConfig::parse("rules:\n  LOWESTEFFICIENCY: 0.5\n  highestWastedBytes: 20MB\nrules.highestUserWastedPercent: 0.3\n").unwrap();
        assert_eq!(c.dive.lowest_efficiency, "0.5");
        assert_eq!(c.dive.highest_wasted_bytes, "20MB");
        assert_eq!(c.dive.highest_user_wasted_percent, "0.3");
    }

    #[test]
    fn snake_case_is_read_with_a_note() {
        let c = CiConfig::parse("rules:\n  lowest_efficiency: 0.4\n  highest-wasted-bytes: 1kB\n")
            .unwrap();
        assert_eq!(c.dive.lowest_efficiency, "0.4");
        assert_eq!(c.dive.highest_wasted_bytes, "1kB");
        assert_eq!(c.notes.len(), 2);
        // camelCase wins, as dive would read it.
        let c =
            CiConfig::parse("rules:\n  lowest_efficiency: 0.4\n  lowestEfficiency: 0.7\n").unwrap();
        assert_eq!(c.dive.lowest_efficiency, "0.7");
        assert!(c.notes.is_empty());
    }

    #[test]
    fn null_keeps_the_default_and_layerlens_section() {
        let c = CiConfig::parse("rules:\n  lowestEfficiency: ~\nlayerlens:\n  max_reclaimable_bytes: 10MB\n  failOnSecurityFinding: false\n  bogus: 1\n").unwrap();
        assert_eq!(c.dive.lowest_efficiency, "0.9");
        assert_eq!(c.layerlens.max_reclaimable_bytes, "10MB");
        assert_eq!(c.layerlens.fail_on_security_finding, "false");
        assert_eq!(c.notes.len(), 1);
    }

    #[test]
    fn path_rules_are_lists_or_one_path() {
        let c = CiConfig::parse("layerlens:\n  ignorePaths:\n    - /var/cache/**\n    - \"**/*.pyc\"\n  forbidden_paths: /root/.ssh\n  maxLayerSize: 100MB\n").unwrap();
        assert_eq!(c.layerlens.ignore_paths, ["/var/cache/**", "**/*.pyc"]);
        assert_eq!(c.layerlens.forbidden_paths, ["/root/.ssh"]);
        assert_eq!(c.layerlens.max_layer_size, "100MB");
        assert!(c.notes.is_empty());
    }
}
