//! Expected texts are dive 0.13.1's own output on `built/tiny.docker.tar` with these
//! `.dive-ci` files (efficiency 0.4457831325301205, 55 wasted bytes, user ratio
//! 1.0185185185185186).

use super::*;
use layerlens_core::analysis::ci::{evaluate, CiConfig, CiInput, Outcome, Verdict};
use layerlens_core::dive::DiveFile;

fn tiny() -> DiveReport {
    DiveReport {
        efficiency: 0.4457831325301205,
        wasted_bytes: 55,
        user_wasted_ratio: 55.0 / 54.0,
        size_bytes: 83,
        user_size_bytes: 54,
        layer_sizes: vec![29, 8, 46],
        inefficient_files: vec![DiveFile {
            path: "/hello.txt".into(),
            count: 2,
            wasted_bytes: 55,
            kept_bytes: 46,
        }],
        abandoned_layers: Vec::new(),
    }
}

fn run(yaml: &str) -> (Verdict, String) {
    let c = CiConfig::parse(yaml).unwrap();
    let r = tiny();
    let v = evaluate(
        &c,
        &CiInput {
            dive: &r,
            reclaimable_bytes: 0,
            image_size: 0,
            security_findings: &[],
        },
    );
    let t = dive_text(&r, &v.dive, false);
    (v, t)
}

#[test]
fn default_rules_fail_as_dive_does() {
    let (v, t) = run("");
    assert_eq!(v.outcome, Outcome::Fail);
    assert_eq!(
        t,
        "  efficiency: 44.5783 %
  wastedBytes: 55 bytes (55 B)
  userWastedPercent: 101.8519 %
Inefficient Files:
Count  Wasted Space  File Path
    2          55 B  /hello.txt
Results:
  FAIL: highestUserWastedPercent: too many bytes wasted, relative to the user bytes added (%-user-wasted-bytes=1.0185185185185186 > threshold=0.1)
  SKIP: highestWastedBytes: rule disabled
  FAIL: lowestEfficiency: image efficiency is too low (efficiency=0.4457831325301205 < threshold=0.9)
Result:FAIL [Total:3] [Passed:0] [Failed:2] [Warn:0] [Skipped:1]
"
    );
}

#[test]
fn thresholds_compare_strictly() {
    let (v, t) = run("rules:\n  lowestEfficiency: 0.4457831325301205\n  highestWastedBytes: 55\n  highestUserWastedPercent: 1\n");
    assert!(t.contains("  PASS: lowestEfficiency\n"));
    assert!(t.contains("  PASS: highestWastedBytes\n"));
    assert!(t.contains("(%-user-wasted-bytes=1.0185185185185186 > threshold=1)"));
    assert_eq!(v.outcome, Outcome::Fail);
    let (_, t) = run("rules:\n  lowestEfficiency: 0.1\n  highestWastedBytes: 54.9\n  highestUserWastedPercent: 1e-320\n");
    assert!(t.contains(
        "FAIL: highestWastedBytes: too many bytes wasted (wasted-bytes=55 > threshold=54)"
    ));
    assert!(t.contains("threshold=1e-320)"));
}

#[test]
fn misconfigured_rules_stop_the_evaluation() {
    let (v, t) = run("rules:\n  lowestEfficiency: off\n  highestWastedBytes: Disabled\n  highestUserWastedPercent: disabled\n");
    assert_eq!(v.outcome, Outcome::Misconfigured);
    assert!(t.ends_with(
        "Count  Wasted Space  File Path
None
Results:
  CONFIGURED   : highestUserWastedPercent: rule disabled
  MISCONFIGURED: highestWastedBytes: invalid config value ('Disabled'): strconv.ParseFloat: parsing \"\": invalid syntax
  MISCONFIGURED: lowestEfficiency: invalid config value ('off'): strconv.ParseFloat: parsing \"off\": invalid syntax
CI Misconfigured
"
    ));
    let (_, t) = run("rules:\n  lowestEfficiency: 0.4\n  highestWastedBytes: 54\n  highestuserwastedpercent: 2\n");
    assert!(t.contains("  MISCONFIGURED: highestUserWastedPercent: highestUserWastedPercent config value is outside allowed range (0-1), given '2'\n  CONFIGURED   : highestWastedBytes: test\n  CONFIGURED   : lowestEfficiency: test\n"));
}

#[test]
fn nan_user_percent_passes_as_in_dive() {
    let mut r = tiny();
    r.user_wasted_ratio = f64::NAN;
    r.efficiency = 1.0;
    let v = evaluate(
        &CiConfig::default(),
        &CiInput {
            dive: &r,
            reclaimable_bytes: 0,
            image_size: 0,
            security_findings: &[],
        },
    );
    assert!(v.dive.passed());
    assert!(dive_text(&r, &v.dive, false).contains("  userWastedPercent: NaN %\n"));
}

#[test]
fn layerlens_rules_fail_warn_and_skip() {
    let c = CiConfig::parse(
        "rules:\n  lowestEfficiency: disabled\n  highestUserWastedPercent: disabled\nlayerlens:\n  maxReclaimableBytes: 1kB\n  maxReclaimablePercent: 0.5\n  warnAboveSize: 1MB\n",
    )
    .unwrap();
    let r = tiny();
    let findings = [String::from("secret")];
    let v = evaluate(
        &c,
        &CiInput {
            dive: &r,
            reclaimable_bytes: 2000,
            image_size: 2_000_000,
            security_findings: &findings,
        },
    );
    let status: Vec<(&str, RuleStatus)> = v
        .layerlens
        .results
        .iter()
        .map(|r| (r.key.as_str(), r.status))
        .collect();
    assert_eq!(
        status,
        [
            ("layerlens.failAboveSize", RuleStatus::Skip),
            ("layerlens.failOnSecurityFinding", RuleStatus::Fail),
            ("layerlens.maxReclaimableBytes", RuleStatus::Fail),
            ("layerlens.maxReclaimablePercent", RuleStatus::Pass),
            ("layerlens.warnAboveSize", RuleStatus::Warn),
        ]
    );
    assert!(v.dive.passed());
    assert_eq!(v.outcome, Outcome::Fail);
}
