//! A content diff shown unified or side by side, changed words highlighted; a binary one as
//! its changed byte ranges.

use layerlens_core::analysis::content_diff::{ContentDiff, DiffLine, Hunk, LineTag};
use layerlens_core::present::human_size;
use yew::prelude::*;

/// Unified (one column) or side by side.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layout {
    /// `diff -u`.
    Unified,
    /// Old left, new right.
    SideBySide,
}

fn segments(l: &DiffLine) -> Html {
    let parts = l.segments.iter().map(|s| {
        if s.changed && l.tag != LineTag::Context {
            html! { <mark class="word">{ s.text.clone() }</mark> }
        } else {
            html! { { s.text.clone() } }
        }
    });
    html! { <>{ for parts }</> }
}

fn class(tag: LineTag) -> &'static str {
    match tag {
        LineTag::Context => "ctx",
        LineTag::Removed => "del",
        LineTag::Added => "ins",
    }
}

fn header(h: &Hunk) -> String {
    let r = |start: usize, len: usize| match len {
        0 => format!("{start},0"),
        1 => format!("{}", start + 1),
        _ => format!("{},{len}", start + 1),
    };
    format!(
        "@@ -{} +{} @@",
        r(h.old_start, h.old_len),
        r(h.new_start, h.new_len)
    )
}

/// Shows `diff`.
pub fn diff_view(diff: &ContentDiff, layout: Layout) -> Html {
    match diff {
        ContentDiff::Same => {
            html! { <p id="diff-same">{ "The two versions have the same bytes." }</p> }
        }
        ContentDiff::Binary(b) => html! {
            <div id="diff-binary">
                <p>{ format!("Binary: {} of {} → {} bytes differ, in {} range(s).", b.changed_bytes, b.old_size, b.new_size, b.ranges.len() as u64 + b.more) }</p>
                <table class="ranges">
                    <thead><tr><th>{ "offset" }</th><th>{ "length" }</th></tr></thead>
                    <tbody>{ for b.ranges.iter().map(|r| html! { <tr><td class="mono">{ format!("{:#010x}", r.offset) }</td><td>{ human_size(r.len) }</td></tr> }) }</tbody>
                </table>
                if b.more > 0 { <p class="muted">{ format!("… and {} more ranges", b.more) }</p> }
            </div>
        },
        ContentDiff::Text(t) => match layout {
            Layout::Unified => html! {
                <pre class="diff unified" id="diff-unified">
                    { for t.hunks.iter().map(|h| html! {
                        <>
                            <div class="hunk">{ header(h) }</div>
                            { for h.lines.iter().map(|l| html! {
                                <div class={classes!("line", class(l.tag))}>
                                    <span class="mark">{ match l.tag { LineTag::Context => ' ', LineTag::Removed => '-', LineTag::Added => '+' } }</span>
                                    { segments(l) }
                                    if l.no_newline { <span class="muted">{ " ⏎ (no newline at end)" }</span> }
                                </div>
                            }) }
                        </>
                    }) }
                </pre>
            },
            Layout::SideBySide => html! {
                <table class="diff side" id="diff-side">
                    { for t.hunks.iter().map(|h| html! {
                        <>
                            <tr class="hunk"><td colspan="4">{ header(h) }</td></tr>
                            { for pairs(&h.lines).into_iter().map(|(a, b)| html! {
                                <tr>
                                    <td class="num">{ a.and_then(|l| l.old).map(|n| n.to_string()).unwrap_or_default() }</td>
                                    <td class={classes!("cell", a.map(|l| class(l.tag)))}>{ a.map(segments).unwrap_or_default() }</td>
                                    <td class="num">{ b.and_then(|l| l.new).map(|n| n.to_string()).unwrap_or_default() }</td>
                                    <td class={classes!("cell", b.map(|l| class(l.tag)))}>{ b.map(segments).unwrap_or_default() }</td>
                                </tr>
                            }) }
                        </>
                    }) }
                </table>
            },
        },
    }
}

/// Rows of a side-by-side view: context on both sides; a run of removed lines beside the
/// run of added lines that follows it.
fn pairs(lines: &[DiffLine]) -> Vec<(Option<&DiffLine>, Option<&DiffLine>)> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        if lines[i].tag == LineTag::Context {
            out.push((Some(&lines[i]), Some(&lines[i])));
            i += 1;
            continue;
        }
        let del: Vec<&DiffLine> = lines[i..]
            .iter()
            .take_while(|l| l.tag == LineTag::Removed)
            .collect();
        i += del.len();
        let ins: Vec<&DiffLine> = lines[i..]
            .iter()
            .take_while(|l| l.tag == LineTag::Added)
            .collect();
        i += ins.len();
        for k in 0..del.len().max(ins.len()) {
            out.push((del.get(k).copied(), ins.get(k).copied()));
        }
    }
    out
}
