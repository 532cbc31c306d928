//! The CI verdict as JUnit XML: one test suite per rule family (dive's, layerlens'), one
//! test case per rule. A failed rule is a `<failure>`, a misconfigured one an `<error>`, a
//! disabled one `<skipped>`; a warning passes with its message in `<system-out>`.

use layerlens_core::analysis::ci::{RuleSet, RuleStatus, Verdict};

fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            // XML 1.0 cannot carry other control characters at all.
            c if (c as u32) < 0x20 && !matches!(c, '\t' | '\n' | '\r') => {
                out.push_str(&format!("\\u{{{:x}}}", c as u32))
            }
            c => out.push(c),
        }
    }
    out
}

struct Tally {
    tests: usize,
    failures: usize,
    errors: usize,
    skipped: usize,
}

fn tally(set: &RuleSet) -> Tally {
    let n = |s: RuleStatus| set.results.iter().filter(|r| r.status == s).count();
    Tally {
        tests: set.results.len(),
        failures: n(RuleStatus::Fail),
        errors: n(RuleStatus::Misconfigured),
        skipped: n(RuleStatus::Skip) + n(RuleStatus::Configured),
    }
}

fn suite(out: &mut String, name: &str, set: &RuleSet) {
    let t = tally(set);
    out.push_str(&format!(
        "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{}\" errors=\"{}\" skipped=\"{}\">\n",
        escape(name),
        t.tests,
        t.failures,
        t.errors,
        t.skipped
    ));
    for r in &set.results {
        let head = format!(
            "    <testcase classname=\"{}\" name=\"{}\"",
            escape(name),
            escape(&r.key)
        );
        let msg = escape(&r.message);
        let body = match r.status {
            RuleStatus::Pass => String::new(),
            RuleStatus::Fail => format!(
                "      <failure message=\"{msg}\" type=\"threshold\">configured: {}</failure>\n",
                escape(&r.configured)
            ),
            RuleStatus::Misconfigured => {
                format!("      <error message=\"{msg}\" type=\"misconfigured\"/>\n")
            }
            RuleStatus::Skip => format!("      <skipped message=\"{msg}\"/>\n"),
            RuleStatus::Configured => {
                "      <skipped message=\"not evaluated: another rule is misconfigured\"/>\n".into()
            }
            RuleStatus::Warn => format!("      <system-out>WARN: {msg}</system-out>\n"),
        };
        if body.is_empty() {
            out.push_str(&head);
            out.push_str("/>\n");
        } else {
            out.push_str(&head);
            out.push_str(">\n");
            out.push_str(&body);
            out.push_str("    </testcase>\n");
        }
    }
    out.push_str("  </testsuite>\n");
}

/// The report for `verdict` on the image `image` (shown in the root's name).
pub fn report(verdict: &Verdict, image: &str) -> String {
    let d = tally(&verdict.dive);
    let l = tally(&verdict.layerlens);
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    out.push_str(&format!(
        "<testsuites name=\"layerlens ci {}\" tests=\"{}\" failures=\"{}\" errors=\"{}\" skipped=\"{}\">\n",
        escape(image),
        d.tests + l.tests,
        d.failures + l.failures,
        d.errors + l.errors,
        d.skipped + l.skipped
    ));
    suite(&mut out, "dive", &verdict.dive);
    suite(&mut out, "layerlens", &verdict.layerlens);
    out.push_str("</testsuites>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use layerlens_core::analysis::ci::{Outcome, RuleResult};

    fn rule(key: &str, status: RuleStatus, message: &str) -> RuleResult {
        RuleResult {
            key: key.into(),
            status,
            message: message.into(),
            configured: "0.9".into(),
        }
    }

    #[test]
    fn rules_become_test_cases() {
        let v = Verdict {
            dive: RuleSet {
                results: vec![
                    rule(
                        "highestUserWastedPercent",
                        RuleStatus::Fail,
                        "too <many> bytes & more",
                    ),
                    rule("highestWastedBytes", RuleStatus::Skip, "rule disabled"),
                    rule("lowestEfficiency", RuleStatus::Pass, ""),
                ],
                misconfigured: false,
            },
            layerlens: RuleSet {
                results: vec![rule("layerlens.warnAboveSize", RuleStatus::Warn, "big")],
                misconfigured: false,
            },
            outcome: Outcome::Fail,
        };
        let x = report(&v, "img.tar");
        assert!(x.contains("<testsuites name=\"layerlens ci img.tar\" tests=\"4\" failures=\"1\" errors=\"0\" skipped=\"1\">"));
        assert!(x.contains(
            "<failure message=\"too &lt;many&gt; bytes &amp; more\" type=\"threshold\">"
        ));
        assert!(x.contains("<testcase classname=\"dive\" name=\"lowestEfficiency\"/>"));
        assert!(x.contains("<system-out>WARN: big</system-out>"));
    }
}
