//! The CI gate: rules → verdict. dive's three rules keep dive 0.13.1's exact semantics
//! (strict comparisons, the exact value `disabled`, range checks, a misconfigured rule
//! stopping the evaluation); layerlens adds its own (reclaimable bytes, security findings,
//! a size budget). The CLI prints the verdict as dive prints its report.

mod config;
pub mod paths;

pub use config::{CiConfig, ConfigError, DiveRules, LayerlensRules};
use paths::{Forbidden, PathFigures};

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

/// What the path rules found, beside the verdict (`ci --json`'s `paths`, the page's CI
/// bridge).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PathReport {
    /// The `ignorePaths` globs.
    pub ignore_paths: Vec<String>,
    /// The waste rules' figures with those paths left out (`None`: nothing ignored).
    pub ignored: Option<IgnoredFigures>,
    /// Final-image paths matching `forbiddenPaths` (the topmost of a matched subtree).
    pub forbidden: Vec<Forbidden>,
    /// Layers over `maxLayerSize`: `(layer, tar size)`.
    pub over_budget: Vec<(u32, u64)>,
}

/// The waste rules' inputs with the ignored paths left out.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct IgnoredFigures {
    /// dive's efficiency without them.
    pub efficiency: f64,
    /// dive's wasted bytes without them.
    pub wasted_bytes: u64,
    /// dive's user wasted ratio without them (`null` for NaN).
    pub user_wasted_ratio: Option<f64>,
    /// The squash's reclaim without their dead copies.
    pub reclaimable_bytes: i64,
}

/// [`check`] with the path rules: `ignorePaths` takes the matching paths out of the waste
/// rules' figures (dive's recomputed over layers without them, their dead copies off the
/// reclaim), `forbiddenPaths` and `maxLayerSize` are rules of the layerlens family.
pub fn check_model(
    config: &CiConfig,
    m: crate::model::Model<'_>,
    report: &super::WasteReport,
    image_size: u64,
) -> (Verdict, PathReport) {
    let rules = &config.layerlens;
    let figures = PathFigures::new(m, &rules.ignore_paths, &rules.forbidden_paths);
    let dive = figures.dive.as_ref().unwrap_or(&report.dive);
    let reclaimable = report.reclaim.total - figures.ignored_reclaim as i64;
    let security = report.security_findings();
    let mut v = evaluate(
        config,
        &CiInput {
            dive,
            reclaimable_bytes: reclaimable,
            image_size,
            security_findings: &security,
        },
    );
    let over_budget: Vec<(u32, u64)> = match bytes_value(&rules.max_layer_size) {
        Ok(t) => figures
            .layer_sizes
            .iter()
            .enumerate()
            .filter(|(_, s)| **s > t)
            .map(|(i, s)| (i as u32, *s))
            .collect(),
        Err(_) => Vec::new(),
    };
    let paths = PathReport {
        ignore_paths: rules.ignore_paths.clone(),
        ignored: figures.dive.as_ref().map(|d| IgnoredFigures {
            efficiency: d.efficiency,
            wasted_bytes: d.wasted_bytes,
            user_wasted_ratio: Some(d.user_wasted_ratio).filter(|r| !r.is_nan()),
            reclaimable_bytes: reclaimable,
        }),
        forbidden: figures.forbidden,
        over_budget,
    };
    let extra = evaluate_paths(rules, &paths);
    let set = &mut v.layerlens;
    set.misconfigured |= extra.misconfigured;
    if extra.misconfigured {
        for r in &mut set.results {
            if matches!(
                r.status,
                RuleStatus::Pass | RuleStatus::Fail | RuleStatus::Warn
            ) {
                r.status = RuleStatus::Configured;
                r.message = "test".into();
            }
        }
    }
    set.results.extend(extra.results);
    set.results.sort_by(|a, b| a.key.cmp(&b.key));
    v.outcome = if v.dive.misconfigured || v.layerlens.misconfigured {
        Outcome::Misconfigured
    } else if v.dive.passed() && v.layerlens.passed() {
        Outcome::Pass
    } else {
        Outcome::Fail
    };
    (v, paths)
}

fn evaluate_paths(rules: &LayerlensRules, p: &PathReport) -> RuleSet {
    let forbidden = rules.forbidden_paths.join(", ");
    let forbidden = if forbidden.is_empty() {
        String::from("disabled")
    } else {
        forbidden
    };
    let budget = rules.max_layer_size.as_str();
    let forbidden_check = || {
        if p.forbidden.is_empty() {
            (RuleStatus::Pass, String::new())
        } else {
            let list: Vec<String> = p
                .forbidden
                .iter()
                .map(|f| format!("{} (L{}, {})", f.path, f.layer, f.pattern))
                .collect();
            (
                RuleStatus::Fail,
                format!(
                    "{} forbidden path(s) in the image: {}",
                    list.len(),
                    list.join("; ")
                ),
            )
        }
    };
    let budget_check = || {
        if p.over_budget.is_empty() {
            (RuleStatus::Pass, String::new())
        } else {
            let t = bytes_value(budget).unwrap_or(u64::MAX);
            let list: Vec<String> = p
                .over_budget
                .iter()
                .map(|(l, s)| format!("L{l} is {} ({s} bytes)", humanize_bytes(*s)))
                .collect();
            (
                RuleStatus::Fail,
                format!("{} > budget={t}", list.join("; ")),
            )
        }
    };
    run_rules(alloc::vec![
        (
            "layerlens.forbiddenPaths",
            forbidden.as_str(),
            Ok(()),
            &forbidden_check
        ),
        (
            "layerlens.maxLayerSize",
            budget,
            bytes_value(budget).map(|_| ()),
            &budget_check
        ),
    ])
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
        key: "layerlens.forbiddenPaths",
        source: FigureSource::Layerlens,
        figure: "paths of the final image matching a forbiddenPaths glob",
    },
    RuleFigure {
        key: "layerlens.maxLayerSize",
        source: FigureSource::Layerlens,
        figure: "each layer's tar size",
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
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn path_rules_ignore_forbid_and_budget() {
        let l0 = L::new()
            .file("var/cache/a", &[1; 1000])
            .file("app/x", b"x")
            .build();
        let l1 = L::new()
            .file("var/cache/a", &[2; 1000])
            .dir("root/.ssh")
            .file("root/.ssh/id_rsa", b"k")
            .build();
        let bytes = docker_archive(&[l0, l1]);
        let (_, img) = load(&bytes);
        let (fs, cs) = UnionFs::build(img.indexes());
        let m = Model::new(&img, &fs, &cs);
        let w = WasteReport::new(m, &FindingOptions::default());
        let mut c = CiConfig::default();
        c.dive.highest_wasted_bytes = "1000".into();
        c.layerlens.max_reclaimable_bytes = "1100".into(); // the squash saves one end-of-archive block (1024) whatever is ignored
        c.layerlens.fail_on_security_finding = "false".into();
        let (v, _) = check_model(&c, m, &w, img.tar_size());
        assert_eq!(
            v.outcome,
            Outcome::Fail,
            "2000 wasted bytes, 1000 reclaimable"
        );
        c.layerlens.ignore_paths = alloc::vec!["/var/cache/**".into()];
        let (v, p) = check_model(&c, m, &w, img.tar_size());
        assert_eq!(v.outcome, Outcome::Pass, "{v:?}");
        assert_eq!(p.ignored.unwrap().wasted_bytes, 0);
        c.layerlens.forbidden_paths = alloc::vec!["/root/.ssh".into()];
        c.layerlens.max_layer_size = "100kB".into();
        let (v, p) = check_model(&c, m, &w, img.tar_size());
        assert_eq!(v.outcome, Outcome::Fail);
        assert_eq!(p.forbidden.len(), 1, "the directory, not each path below");
        assert_eq!(
            (p.forbidden[0].path.as_str(), p.forbidden[0].layer),
            ("/root/.ssh", 1)
        );
        assert!(p.over_budget.is_empty());
        c.layerlens.max_layer_size = "1kB".into();
        let (_, p) = check_model(&c, m, &w, img.tar_size());
        assert_eq!(p.over_budget.len(), 2);
        c.layerlens.max_layer_size = "lots".into();
        let (v, _) = check_model(&c, m, &w, img.tar_size());
        assert_eq!(v.outcome, Outcome::Misconfigured);
    }

    /// Every rule a verdict lists says whose figure it compares, and dive's three rules
    /// compare dive's.
    #[test]
    fn every_rule_names_its_figure() {
        let bytes = docker_archive(&[L::new().file("a", b"x").build()]);
        let (_, img) = load(&bytes);
        let (fs, cs) = UnionFs::build(img.indexes());
        let w = WasteReport::new(Model::new(&img, &fs, &cs), &FindingOptions::default());
        let (v, _) = check_model(
            &CiConfig::default(),
            Model::new(&img, &fs, &cs),
            &w,
            img.tar_size(),
        );
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
