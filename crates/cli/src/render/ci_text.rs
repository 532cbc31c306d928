//! The `ci` report as text: dive's own report (byte for byte without colours, so CI logs
//! read the same) and layerlens' rules after it, with ANSI colours on a terminal.

use layerlens_core::analysis::ci::{RuleSet, RuleStatus};
use layerlens_core::dive::gofmt::{go_fixed, humanize_bytes};
use layerlens_core::dive::DiveReport;

/// ANSI styles dive uses, or none.
struct Style {
    on: bool,
}

impl Style {
    fn wrap(&self, code: &str, s: &str) -> String {
        if self.on {
            format!("\x1b[{code}m{s}\x1b[0m")
        } else {
            s.into()
        }
    }
    fn status(&self, s: RuleStatus) -> String {
        match s {
            RuleStatus::Fail | RuleStatus::Misconfigured => self.wrap("1;7;31", s.label()),
            RuleStatus::Warn | RuleStatus::Skip => self.wrap("34", s.label()),
            RuleStatus::Pass | RuleStatus::Configured => s.label().into(),
        }
    }
}

/// dive's CI report from the analysis figures to the result line, as dive 0.13.1 prints it
/// (`color`: with its ANSI styles).
/// dive's report: its figures, inefficient files and rule results.
pub fn dive_text(report: &DiveReport, rules: &RuleSet, color: bool) -> String {
    let st = Style { on: color };
    let mut out = String::new();
    out.push_str(&format!(
        "  efficiency: {} %\n",
        go_fixed(report.efficiency * 100.0, 4)
    ));
    out.push_str(&format!(
        "  wastedBytes: {} bytes ({})\n",
        report.wasted_bytes,
        humanize_bytes(report.wasted_bytes)
    ));
    out.push_str(&format!(
        "  userWastedPercent: {} %\n",
        go_fixed(report.user_wasted_ratio * 100.0, 4)
    ));
    out.push_str(&st.wrap("1", "Inefficient Files:"));
    out.push('\n');
    out.push_str(&format!(
        "{:>5}  {:>12}  {}\n",
        "Count", "Wasted Space", "File Path"
    ));
    // dive lists nothing when a rule is misconfigured: it stops before collecting files.
    if report.inefficient_files.is_empty() || rules.misconfigured {
        out.push_str("None\n");
    } else {
        for f in &report.inefficient_files {
            out.push_str(&format!(
                "{:>5}  {:>12}  {}\n",
                f.count,
                humanize_bytes(f.wasted_bytes),
                // dive prints names raw; a terminal line must not.
                layerlens_core::sanitize::display_text(&f.path)
            ));
        }
    }
    out.push_str(&st.wrap("1", "Results:"));
    out.push('\n');
    out.push_str(&rule_lines(&st, rules));
    if rules.misconfigured {
        out.push_str(&st.wrap("31", "CI Misconfigured"));
    } else {
        out.push_str(&summary(&st, rules));
    }
    out.push('\n');
    out
}

fn rule_lines(st: &Style, rules: &RuleSet) -> String {
    let mut out = String::new();
    for r in &rules.results {
        if r.message.is_empty() {
            out.push_str(&format!("  {}: {}\n", st.status(r.status), r.key));
        } else {
            out.push_str(&format!(
                "  {}: {}: {}\n",
                st.status(r.status),
                r.key,
                r.message
            ));
        }
    }
    out
}

fn summary(st: &Style, rules: &RuleSet) -> String {
    let pass = rules.passed();
    let s = format!(
        "Result:{} [Total:{}] [Passed:{}] [Failed:{}] [Warn:{}] [Skipped:{}]",
        if rules.count(RuleStatus::Fail) > 0 {
            "FAIL"
        } else {
            "PASS"
        },
        rules.results.len(),
        rules.count(RuleStatus::Pass),
        rules.count(RuleStatus::Fail),
        rules.count(RuleStatus::Warn),
        rules.count(RuleStatus::Skip)
    );
    st.wrap(if pass { "32" } else { "31" }, &s)
}

/// layerlens' rules in the same style as dive's: result lines and a summary.
/// layerlens' rule results and their summary line.
pub fn layerlens_text(rules: &RuleSet, color: bool) -> String {
    let st = Style { on: color };
    let mut out = rule_lines(&st, rules);
    if rules.misconfigured {
        out.push_str(&st.wrap("31", "CI Misconfigured"));
    } else {
        out.push_str(&summary(&st, rules));
    }
    out.push('\n');
    out
}

#[cfg(test)]
#[path = "ci_text/tests.rs"]
mod tests;
