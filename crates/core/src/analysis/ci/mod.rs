//! The CI gate: rules → verdict. dive's three rules keep dive 0.13.1's exact semantics
//! (strict comparisons, the exact value `disabled`, range checks, a misconfigured rule
//! stopping the evaluation); layerlens adds its own (reclaimable bytes, security findings,
//! a size budget). The CLI prints the verdict as dive prints its report.

mod config;

pub use config::{CiConfig, ConfigError, DiveRules, LayerlensRules};

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use serde::{Deserialize, Serialize};

use crate::dive::gofmt::{go_float_v, humanize_bytes, parse_bytes, parse_float};
use crate::dive::DiveReport;

/// A rule's outcome.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RuleStatus {
    /// Within the threshold.
    Pass,
    /// Over it.
    Fail,
    /// Over a warning threshold: reported, not failing.
    Warn,
    /// Disabled.
    Skip,
    /// Its configured value is invalid.
    Misconfigured,
    /// Valid but not evaluated, because another rule is misconfigured (dive's
    /// `CONFIGURED`).
    Configured,
}

impl RuleStatus {
    /// dive's label.
    pub fn label(self) -> &'static str {
        match self {
            RuleStatus::Pass => "PASS",
            RuleStatus::Fail => "FAIL",
            RuleStatus::Warn => "WARN",
            RuleStatus::Skip => "SKIP",
            RuleStatus::Misconfigured => "MISCONFIGURED",
            RuleStatus::Configured => "CONFIGURED   ",
        }
    }
}

/// One rule's result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuleResult {
    /// Rule name (`lowestEfficiency`, `layerlens.maxReclaimableBytes`).
    pub key: String,
    /// Outcome.
    pub status: RuleStatus,
    /// dive's message (empty for a pass).
    pub message: String,
    /// The configured value.
    pub configured: String,
}

/// The results of one rule family.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuleSet {
    /// Results, sorted by key (as dive prints them).
    pub results: Vec<RuleResult>,
    /// A rule could not be read: nothing was evaluated.
    pub misconfigured: bool,
}

impl RuleSet {
    /// How many rules ended with status `s`.
    pub fn count(&self, s: RuleStatus) -> usize {
        self.results.iter().filter(|r| r.status == s).count()
    }

    /// No rule failed and none is misconfigured.
    pub fn passed(&self) -> bool {
        !self.misconfigured && self.count(RuleStatus::Fail) == 0
    }
}

/// The overall outcome.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Every rule passed (warnings allowed).
    Pass,
    /// A rule failed.
    Fail,
    /// A rule's value is invalid: the configuration must be fixed.
    Misconfigured,
}

/// dive's rules and layerlens' rules, evaluated.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Verdict {
    /// dive 0.13.1's three rules.
    pub dive: RuleSet,
    /// layerlens' rules.
    pub layerlens: RuleSet,
    /// Overall.
    pub outcome: Outcome,
}

/// What the rules look at.
#[derive(Debug, Clone, Copy)]
pub struct CiInput<'a> {
    /// dive-compatible figures.
    pub dive: &'a DiveReport,
    /// Bytes a full squash saves (the squash plan's net savings).
    pub reclaimable_bytes: i64,
    /// Uncompressed size of every layer (the size budget's measure).
    pub image_size: u64,
    /// One line per security finding.
    pub security_findings: &'a [String],
}

/// Evaluates `config` on an image's waste report and uncompressed size (every layer's tar):
/// the one call `layerlens ci` and the page's `.dive-ci` check both make.
pub fn check(config: &CiConfig, report: &super::WasteReport, image_size: u64) -> Verdict {
    let security = report.security_findings();
    evaluate(
        config,
        &CiInput {
            dive: &report.dive,
            reclaimable_bytes: report.reclaim.total,
            image_size,
            security_findings: &security,
        },
    )
}

/// Whose figures a rule gates on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FigureSource {
    /// dive 0.13.1's figures, computed as dive does (a file in several layers counts every
    /// copy as waste, the final one too).
    Dive,
    /// layerlens' own figures (bytes the final image cannot see, the squash plan, findings).
    Layerlens,
}

/// Which figure a rule compares with its threshold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct RuleFigure {
    /// The rule's key, as in [`RuleResult::key`].
    pub key: &'static str,
    /// Whose figure.
    pub source: FigureSource,
    /// The figure, in words.
    pub figure: &'static str,
}

/// Every rule and the figure it uses, in the order the verdict lists them.
pub const RULE_FIGURES: &[RuleFigure] = &[
    RuleFigure {
        key: "highestUserWastedPercent",
        source: FigureSource::Dive,
        figure: "dive's user wasted ratio: dive's wasted bytes above the base layer / bytes above the base layer",
    },
    RuleFigure {
        key: "highestWastedBytes",
        source: FigureSource::Dive,
        figure: "dive's wasted bytes: every copy of each file found in more than one layer, the final copy included",
    },
    RuleFigure {
        key: "lowestEfficiency",
        source: FigureSource::Dive,
        figure: "dive's efficiency score: 1 - dive's wasted bytes / all bytes",
    },
    RuleFigure {
        key: "layerlens.failAboveSize",
        source: FigureSource::Layerlens,
        figure: "uncompressed image size: the sum of every layer's tar",
    },
    RuleFigure {
        key: "layerlens.failOnSecurityFinding",
        source: FigureSource::Layerlens,
        figure: "security findings: secret-looking files, secrets in file contents (with the deep scan), in the history and in Env",
    },
    RuleFigure {
        key: "layerlens.maxReclaimableBytes",
        source: FigureSource::Layerlens,
        figure: "bytes a full squash reclaims (the squash plan's net savings: dead copies minus tar overhead)",
    },
    RuleFigure {
        key: "layerlens.maxReclaimablePercent",
        source: FigureSource::Layerlens,
        figure: "bytes a full squash reclaims / uncompressed image size",
    },
    RuleFigure {
        key: "layerlens.warnAboveSize",
        source: FigureSource::Layerlens,
        figure: "uncompressed image size: the sum of every layer's tar",
    },
];

/// The figure rule `key` uses.
pub fn rule_figure(key: &str) -> Option<&'static RuleFigure> {
    RULE_FIGURES.iter().find(|f| f.key == key)
}

/// Evaluates `config` on `input`.
pub fn evaluate(config: &CiConfig, input: &CiInput<'_>) -> Verdict {
    let dive = evaluate_dive(&config.dive, input.dive);
    let layerlens = evaluate_layerlens(&config.layerlens, input);
    let outcome = if dive.misconfigured || layerlens.misconfigured {
        Outcome::Misconfigured
    } else if dive.passed() && layerlens.passed() {
        Outcome::Pass
    } else {
        Outcome::Fail
    };
    Verdict {
        dive,
        layerlens,
        outcome,
    }
}

type Check<'a> = (
    &'a str,
    &'a str,
    Result<(), String>,
    &'a dyn Fn() -> (RuleStatus, String),
);

fn run_rules(checks: Vec<Check<'_>>) -> RuleSet {
    let misconfigured = checks
        .iter()
        .any(|(_, v, valid, _)| *v != "disabled" && valid.is_err());
    let mut results: Vec<RuleResult> = checks
        .iter()
        .map(|(key, value, valid, eval)| {
            let (status, message) = if *value == "disabled" {
                let s = if misconfigured {
                    RuleStatus::Configured
                } else {
                    RuleStatus::Skip
                };
                (s, "rule disabled".into())
            } else if let Err(e) = valid {
                (RuleStatus::Misconfigured, e.clone())
            } else if misconfigured {
                (RuleStatus::Configured, "test".into())
            } else {
                eval()
            };
            RuleResult {
                key: (*key).into(),
                status,
                message,
                configured: (*value).into(),
            }
        })
        .collect();
    results.sort_by(|a, b| a.key.cmp(&b.key));
    RuleSet {
        results,
        misconfigured,
    }
}

fn ratio_in_range(key: &str, v: &str) -> Result<f64, String> {
    let f = parse_float(v).map_err(|e| format!("invalid config value ('{v}'): {}", e.0))?;
    // Not `!(0.0..=1.0).contains(&f)`: dive lets NaN through, and so must this.
    #[allow(clippy::manual_range_contains)]
    if f < 0.0 || f > 1.0 {
        return Err(format!(
            "{key} config value is outside allowed range (0-1), given '{v}'"
        ));
    }
    Ok(f)
}

fn bytes_value(v: &str) -> Result<u64, String> {
    parse_bytes(v).map_err(|e| format!("invalid config value ('{v}'): {}", e.0))
}

fn evaluate_dive(rules: &DiveRules, r: &DiveReport) -> RuleSet {
    let eff = rules.lowest_efficiency.as_str();
    let wasted = rules.highest_wasted_bytes.as_str();
    let user = rules.highest_user_wasted_percent.as_str();
    let eff_check = || {
        let t = ratio_in_range("lowestEfficiency", eff).unwrap_or(f64::NAN);
        if t > r.efficiency {
            (
                RuleStatus::Fail,
                format!(
                    "image efficiency is too low (efficiency={} < threshold={})",
                    go_float_v(r.efficiency),
                    go_float_v(t)
                ),
            )
        } else {
            (RuleStatus::Pass, String::new())
        }
    };
    let wasted_check = || {
        let t = bytes_value(wasted).unwrap_or(u64::MAX);
        if r.wasted_bytes > t {
            (
                RuleStatus::Fail,
                format!(
                    "too many bytes wasted (wasted-bytes={} > threshold={t})",
                    r.wasted_bytes
                ),
            )
        } else {
            (RuleStatus::Pass, String::new())
        }
    };
    let user_check = || {
        let t = ratio_in_range("highestUserWastedPercent", user).unwrap_or(f64::NAN);
        if t < r.user_wasted_ratio {
            (
                RuleStatus::Fail,
                format!(
                    "too many bytes wasted, relative to the user bytes added (%-user-wasted-bytes={} > threshold={})",
                    go_float_v(r.user_wasted_ratio),
                    go_float_v(t)
                ),
            )
        } else {
            (RuleStatus::Pass, String::new())
        }
    };
    run_rules(alloc::vec![
        (
            "lowestEfficiency",
            eff,
            ratio_in_range("lowestEfficiency", eff).map(|_| ()),
            &eff_check
        ),
        (
            "highestWastedBytes",
            wasted,
            bytes_value(wasted).map(|_| ()),
            &wasted_check
        ),
        (
            "highestUserWastedPercent",
            user,
            ratio_in_range("highestUserWastedPercent", user).map(|_| ()),
            &user_check
        ),
    ])
}

fn bool_value(v: &str) -> Result<bool, String> {
    match v.to_ascii_lowercase().as_str() {
        "true" | "yes" | "on" | "1" => Ok(true),
        "false" | "no" | "off" | "0" => Ok(false),
        _ => Err(format!(
            "invalid config value ('{v}'): expected true or false"
        )),
    }
}

fn evaluate_layerlens(rules: &LayerlensRules, input: &CiInput<'_>) -> RuleSet {
    // Long on purpose: a table of five rules, each a parse, a comparison and a message; one
    // function reads as the list of rules the docs describe.
    let reclaim = input.reclaimable_bytes.max(0) as u64;
    let ratio = if input.image_size == 0 {
        0.0
    } else {
        reclaim as f64 / input.image_size as f64
    };
    let max_bytes = rules.max_reclaimable_bytes.as_str();
    let max_pct = rules.max_reclaimable_percent.as_str();
    let security = rules.fail_on_security_finding.as_str();
    let warn = rules.warn_above_size.as_str();
    let fail = rules.fail_above_size.as_str();
    let bytes_check = || {
        let t = bytes_value(max_bytes).unwrap_or(u64::MAX);
        if reclaim > t {
            (
                RuleStatus::Fail,
                format!(
                    "a squash would reclaim {} ({reclaim} bytes) > threshold={t}",
                    humanize_bytes(reclaim)
                ),
            )
        } else {
            (RuleStatus::Pass, String::new())
        }
    };
    let pct_check = || {
        let t = ratio_in_range("maxReclaimablePercent", max_pct).unwrap_or(f64::NAN);
        if ratio > t {
            (
                RuleStatus::Fail,
                format!(
                    "a squash would reclaim {} of the image (ratio={} > threshold={})",
                    humanize_bytes(reclaim),
                    go_float_v(ratio),
                    go_float_v(t)
                ),
            )
        } else {
            (RuleStatus::Pass, String::new())
        }
    };
    let security_check = || {
        let on = bool_value(security).unwrap_or(true);
        if on && !input.security_findings.is_empty() {
            (
                RuleStatus::Fail,
                format!(
                    "{} security finding(s): {}",
                    input.security_findings.len(),
                    input.security_findings.join("; ")
                ),
            )
        } else {
            (RuleStatus::Pass, String::new())
        }
    };
    let warn_check = || {
        let t = bytes_value(warn).unwrap_or(u64::MAX);
        if input.image_size > t {
            (
                RuleStatus::Warn,
                format!(
                    "image is {} uncompressed (size={} > budget={t})",
                    humanize_bytes(input.image_size),
                    input.image_size
                ),
            )
        } else {
            (RuleStatus::Pass, String::new())
        }
    };
    let fail_check = || {
        let t = bytes_value(fail).unwrap_or(u64::MAX);
        if input.image_size > t {
            (
                RuleStatus::Fail,
                format!(
                    "image is {} uncompressed (size={} > cap={t})",
                    humanize_bytes(input.image_size),
                    input.image_size
                ),
            )
        } else {
            (RuleStatus::Pass, String::new())
        }
    };
    let security_valid = if security == "disabled" {
        Ok(())
    } else {
        bool_value(security).map(|_| ())
    };
    run_rules(alloc::vec![
        (
            "layerlens.maxReclaimableBytes",
            max_bytes,
            bytes_value(max_bytes).map(|_| ()),
            &bytes_check
        ),
        (
            "layerlens.maxReclaimablePercent",
            max_pct,
            ratio_in_range("maxReclaimablePercent", max_pct).map(|_| ()),
            &pct_check
        ),
        (
            "layerlens.failOnSecurityFinding",
            security,
            security_valid,
            &security_check
        ),
        (
            "layerlens.warnAboveSize",
            warn,
            bytes_value(warn).map(|_| ()),
            &warn_check
        ),
        (
            "layerlens.failAboveSize",
            fail,
            bytes_value(fail).map(|_| ()),
            &fail_check
        ),
    ])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::findings::FindingOptions;
    use crate::analysis::WasteReport;
    use crate::fs::UnionFs;
    use crate::model::Model;
    use crate::testing::{docker_archive, load, LayerBuilder as L};

    /// Every rule a verdict lists says whose figure it compares, and dive's three rules
    /// compare dive's.
    #[test]
    fn every_rule_names_its_figure() {
        let bytes = docker_archive(&[L::new().file("a", b"x").build()]);
        let (_, img) = load(&bytes);
        let (fs, cs) = UnionFs::build(img.indexes());
        let w = WasteReport::new(Model::new(&img, &fs, &cs), &FindingOptions::default());
        let v = check(&CiConfig::default(), &w, img.tar_size());
        let keys: Vec<&str> = v
            .dive
            .results
            .iter()
            .chain(&v.layerlens.results)
            .map(|r| r.key.as_str())
            .collect();
        let listed: Vec<&str> = RULE_FIGURES.iter().map(|f| f.key).collect();
        assert_eq!(keys, listed);
        for r in &v.dive.results {
            assert_eq!(
                rule_figure(&r.key).map(|f| f.source),
                Some(FigureSource::Dive)
            );
        }
        for r in &v.layerlens.results {
            assert_eq!(
                rule_figure(&r.key).map(|f| f.source),
                Some(FigureSource::Layerlens)
            );
        }
    }
}
