//! How two versions of a file differ: a line diff with changed words marked for text (what
//! `diff -u` shows, and a side-by-side view needs), or the changed byte ranges for anything
//! else. The line diff is `similar`'s Myers diff (std only).

use alloc::string::String;
use alloc::vec::Vec;
use core::fmt::Write as _;

use serde::{Deserialize, Serialize};
use similar::{ChangeTag, TextDiff as Lines};

/// Lines of context around each change, as `diff -u` has by default.
pub const CONTEXT: usize = 3;

/// Largest version (bytes) given a line diff; bigger text gets byte ranges, which cost
/// linear time where a line diff of two unlike big files may not.
pub const MAX_TEXT: usize = 8 << 20;

/// Most byte ranges listed; the rest are counted in [`ByteDiff::more`].
pub const MAX_RANGES: usize = 1000;

/// Equal bytes that still join two changed runs into one range.
const JOIN: usize = 8;

/// How two versions differ.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "type")]
pub enum ContentDiff {
    /// The bytes are the same.
    Same,
    /// Both are UTF-8 text without NUL bytes: a line diff.
    Text(TextDiff),
    /// Otherwise: the byte ranges that differ.
    Binary(ByteDiff),
}

/// A line diff in hunks, as `diff -u` groups them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TextDiff {
    /// The hunks.
    pub hunks: Vec<Hunk>,
}

/// One hunk: a run of changes with their context.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Hunk {
    /// First old line (0-based) and how many old lines it covers.
    pub old_start: usize,
    /// Old lines covered.
    pub old_len: usize,
    /// First new line (0-based).
    pub new_start: usize,
    /// New lines covered.
    pub new_len: usize,
    /// Its lines in order.
    pub lines: Vec<DiffLine>,
}

/// What a line of a hunk is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LineTag {
    /// In both versions.
    Context,
    /// Only in the old one.
    Removed,
    /// Only in the new one.
    Added,
}

/// One line of a hunk.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DiffLine {
    /// What it is.
    pub tag: LineTag,
    /// Its number in the old version (1-based), if it is there.
    pub old: Option<usize>,
    /// Its number in the new version (1-based), if it is there.
    pub new: Option<usize>,
    /// Its text without the line end, in runs; `changed` marks the words that differ from
    /// the line it replaces.
    pub segments: Vec<Segment>,
    /// The line is the last of its file and has no line end.
    pub no_newline: bool,
}

/// A run of a line's text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Segment {
    /// The text.
    pub text: String,
    /// Whether it differs from the paired line.
    pub changed: bool,
}

impl DiffLine {
    /// The line's text without its end.
    pub fn text(&self) -> String {
        self.segments.iter().map(|s| s.text.as_str()).collect()
    }
}

/// The changed byte ranges of two binary versions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ByteDiff {
    /// Size of the old version.
    pub old_size: u64,
    /// Size of the new version.
    pub new_size: u64,
    /// Ranges `[offset, offset + len)` where the bytes differ, a size change as one range
    /// from the shorter length to the longer.
    pub ranges: Vec<ByteRange>,
    /// Ranges beyond [`MAX_RANGES`], not listed.
    pub more: u64,
    /// Bytes that differ in all (the size change included).
    pub changed_bytes: u64,
}

/// A run of differing bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ByteRange {
    /// First byte.
    pub offset: u64,
    /// Length.
    pub len: u64,
}

/// Compares two versions of a file.
pub fn diff_contents(old: &[u8], new: &[u8]) -> ContentDiff {
    if old == new {
        return ContentDiff::Same;
    }
    match (as_text(old), as_text(new)) {
        (Some(o), Some(n)) => ContentDiff::Text(text_diff(o, n)),
        _ => ContentDiff::Binary(byte_diff(old, new)),
    }
}

/// Text a line diff suits: UTF-8, no NUL (which `diff` takes for binary), not too big.
fn as_text(b: &[u8]) -> Option<&str> {
    if b.len() > MAX_TEXT || b.contains(&0) {
        return None;
    }
    core::str::from_utf8(b).ok()
}

fn text_diff(old: &str, new: &str) -> TextDiff {
    let diff = Lines::configure()
        .algorithm(similar::Algorithm::Myers)
        .diff_lines(old, new);
    let mut hunks = Vec::new();
    for group in diff.grouped_ops(CONTEXT) {
        let (Some(first), Some(last)) = (group.first(), group.last()) else {
            continue;
        };
        let (o, n) = (first.old_range().start, first.new_range().start);
        let mut hunk = Hunk {
            old_start: o,
            old_len: last.old_range().end - o,
            new_start: n,
            new_len: last.new_range().end - n,
            lines: Vec::new(),
        };
        for op in &group {
            for change in diff.iter_inline_changes(op) {
                let tag = match change.tag() {
                    ChangeTag::Equal => LineTag::Context,
                    ChangeTag::Delete => LineTag::Removed,
                    ChangeTag::Insert => LineTag::Added,
                };
                let mut segments: Vec<Segment> = change
                    .iter_strings_lossy()
                    .map(|(changed, text)| Segment {
                        text: text.into_owned(),
                        changed,
                    })
                    .collect();
                if let Some(last) = segments.last_mut() {
                    if last.text.ends_with('\n') {
                        last.text.pop();
                    }
                }
                segments.retain(|s| !s.text.is_empty());
                hunk.lines.push(DiffLine {
                    tag,
                    old: change.old_index().map(|i| i + 1),
                    new: change.new_index().map(|i| i + 1),
                    segments,
                    no_newline: change.missing_newline(),
                });
            }
        }
        hunks.push(hunk);
    }
    TextDiff { hunks }
}

impl TextDiff {
    /// The diff as `diff -u` prints it, with `old` and `new` on the `---` / `+++` lines.
    pub fn unified(&self, old: &str, new: &str) -> String {
        let mut out = String::new();
        let _ = writeln!(out, "--- {old}\n+++ {new}");
        for h in &self.hunks {
            let _ = writeln!(
                out,
                "@@ -{} +{} @@",
                range(h.old_start, h.old_len),
                range(h.new_start, h.new_len)
            );
            for l in &h.lines {
                let mark = match l.tag {
                    LineTag::Context => ' ',
                    LineTag::Removed => '-',
                    LineTag::Added => '+',
                };
                let _ = writeln!(out, "{mark}{}", l.text());
                if l.no_newline {
                    out.push_str("\\ No newline at end of file\n");
                }
            }
        }
        out
    }
}

/// A hunk range as `diff -u` writes it: `start,len`, `start` alone for one line, and the
/// line before for an empty range.
fn range(start: usize, len: usize) -> String {
    match len {
        0 => alloc::format!("{start},0"),
        1 => alloc::format!("{}", start + 1),
        _ => alloc::format!("{},{len}", start + 1),
    }
}

fn byte_diff(old: &[u8], new: &[u8]) -> ByteDiff {
    let common = old.len().min(new.len());
    let mut ranges: Vec<ByteRange> = Vec::new();
    let mut more = 0u64;
    let mut changed = 0u64;
    let mut push = |offset: usize, len: usize, ranges: &mut Vec<ByteRange>| {
        changed += len as u64;
        if let Some(last) = ranges.last_mut() {
            if offset <= (last.offset + last.len) as usize + JOIN {
                last.len = (offset + len) as u64 - last.offset;
                return;
            }
        }
        if ranges.len() < MAX_RANGES {
            ranges.push(ByteRange {
                offset: offset as u64,
                len: len as u64,
            });
        } else {
            more += 1;
        }
    };
    let mut i = 0;
    while i < common {
        if old[i] == new[i] {
            i += 1;
            continue;
        }
        let start = i;
        while i < common && old[i] != new[i] {
            i += 1;
        }
        push(start, i - start, &mut ranges);
    }
    if old.len() != new.len() {
        push(common, old.len().max(new.len()) - common, &mut ranges);
    }
    ByteDiff {
        old_size: old.len() as u64,
        new_size: new.len() as u64,
        ranges,
        more,
        changed_bytes: changed,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn unified_output_has_diffs_ranges_and_missing_newlines() {
        let old = "a\nb\nc\nd\ne\nf\ng\nh\n";
        let new = "a\nb\nc\nD\ne\nf\ng\nh\ni";
        let ContentDiff::Text(t) = diff_contents(old.as_bytes(), new.as_bytes()) else {
            panic!("not text");
        };
        assert_eq!(
            t.unified("a/x", "b/x"),
            "--- a/x\n+++ b/x\n@@ -1,8 +1,9 @@\n a\n b\n c\n-d\n+D\n e\n f\n g\n h\n+i\n\\ No newline at end of file\n"
        );
        let added = &t.hunks[0].lines[4];
        assert_eq!(added.tag, LineTag::Added);
        assert_eq!((added.old, added.new), (None, Some(4)));
    }

    #[test]
    fn changed_words_are_marked() {
        let ContentDiff::Text(t) = diff_contents(b"PATH=/bin old tail\n", b"PATH=/bin new tail\n")
        else {
            panic!("not text");
        };
        let removed = &t.hunks[0].lines[0];
        assert!(removed
            .segments
            .iter()
            .any(|s| s.changed && s.text == "old"));
        assert!(removed.segments.iter().any(|s| !s.changed));
    }

    #[test]
    fn binary_versions_give_byte_ranges() {
        let old: Vec<u8> = (0..30).collect();
        let mut longer = old.clone();
        longer[2] = 99;
        longer[3] = 99;
        longer.extend_from_slice(&[0; 40]);
        longer[40] = 1;
        let ContentDiff::Binary(b) = diff_contents(&old, &longer) else {
            panic!("not binary");
        };
        assert_eq!(b.ranges[0], ByteRange { offset: 2, len: 2 });
        assert_eq!(
            b.ranges[1],
            ByteRange {
                offset: 30,
                len: 40
            }
        );
        assert_eq!(b.changed_bytes, 42);
        assert_eq!(diff_contents(&old, &old), ContentDiff::Same);
    }
}
