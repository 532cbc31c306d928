//! How a file's bytes are shown: an image preview (PNG, JPEG, GIF, WebP, SVG: always as an
//! `<img>` from a Blob URL, never as markup in the page), pretty JSON, text with line numbers
//! (invalid UTF-8 marked byte by byte, not dropped), or a hex dump.

use yew::prelude::*;

/// What the bytes look like.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Look {
    /// An image the browser can show, with its MIME type.
    Image(&'static str),
    /// JSON (pretty-printed when the whole file is loaded and parses).
    Json,
    /// Text.
    Text,
    /// Anything else.
    Binary,
}

/// Guesses how to show a file from its first bytes and its name.
pub fn look(name: &str, head: &[u8]) -> Look {
    let lower = name.to_ascii_lowercase();
    if head.starts_with(b"\x89PNG\r\n\x1a\n") {
        return Look::Image("image/png");
    }
    if head.starts_with(&[0xff, 0xd8, 0xff]) {
        return Look::Image("image/jpeg");
    }
    if head.starts_with(b"GIF87a") || head.starts_with(b"GIF89a") {
        return Look::Image("image/gif");
    }
    if head.len() >= 12 && &head[..4] == b"RIFF" && &head[8..12] == b"WEBP" {
        return Look::Image("image/webp");
    }
    let sample = &head[..head.len().min(8192)];
    // Text with a few stray bytes (Latin-1 in a UTF-8 file) is still text, shown with
    // them marked; compressed or executable data has NULs or mostly invalid sequences.
    let texty = !sample.contains(&0) && invalid_share(sample) < 0.1;
    if texty && (lower.ends_with(".svg") || starts_svg(sample)) {
        return Look::Image("image/svg+xml");
    }
    if texty {
        let first = sample.iter().find(|b| !b.is_ascii_whitespace());
        if lower.ends_with(".json") || matches!(first, Some(b'{') | Some(b'[')) {
            return Look::Json;
        }
        return Look::Text;
    }
    Look::Binary
}

fn starts_svg(sample: &[u8]) -> bool {
    let text = String::from_utf8_lossy(&sample[..sample.len().min(1024)]);
    let t = text.trim_start();
    t.starts_with("<svg") || (t.starts_with("<?xml") && t.contains("<svg"))
}

/// Share of bytes in invalid UTF-8 sequences (a cut at the end of a page does not count).
fn invalid_share(b: &[u8]) -> f64 {
    if b.is_empty() {
        return 0.0;
    }
    let bad: usize = b.utf8_chunks().map(|c| c.invalid().len()).sum();
    bad as f64 / b.len() as f64
}

/// Pretty JSON, or `None` if it does not parse (then it is shown as text). Re-indented from
/// the text itself, so keys keep the file's order and numbers their spelling.
pub fn pretty_json(bytes: &[u8]) -> Option<String> {
    serde_json::from_slice::<serde::de::IgnoredAny>(bytes).ok()?;
    let text = std::str::from_utf8(bytes).ok()?;
    let mut out = String::with_capacity(text.len() * 2);
    let mut depth = 0usize;
    let (mut in_string, mut escaped) = (false, false);
    let newline = |out: &mut String, depth: usize| {
        out.push('\n');
        out.push_str(&"  ".repeat(depth));
    };
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if in_string {
            out.push(c);
            match (escaped, c) {
                (true, _) => escaped = false,
                (false, '\\') => escaped = true,
                (false, '"') => in_string = false,
                _ => {}
            }
            continue;
        }
        match c {
            '"' => {
                in_string = true;
                out.push(c);
            }
            '{' | '[' => {
                out.push(c);
                // An empty object or array stays on one line.
                while chars.peek().is_some_and(|n| n.is_whitespace()) {
                    chars.next();
                }
                if matches!(chars.peek(), Some('}') | Some(']')) {
                    if let Some(close) = chars.next() {
                        out.push(close);
                    }
                } else {
                    depth += 1;
                    newline(&mut out, depth);
                }
            }
            '}' | ']' => {
                depth = depth.saturating_sub(1);
                newline(&mut out, depth);
                out.push(c);
            }
            ',' => {
                out.push(c);
                newline(&mut out, depth);
            }
            ':' => out.push_str(": "),
            c if c.is_whitespace() => {}
            c => out.push(c),
        }
    }
    Some(out)
}

/// Text with line numbers; invalid UTF-8 bytes shown as `\xNN` in a marked span. `first_line`
/// numbers the first line.
pub fn text_view(bytes: &[u8], first_line: usize) -> Html {
    let mut lines = 0usize;
    let mut body: Vec<Html> = Vec::new();
    let mut plain = String::new();
    for chunk in bytes.utf8_chunks() {
        plain.push_str(chunk.valid());
        if !chunk.invalid().is_empty() {
            lines += plain.matches('\n').count();
            body.push(html! { { std::mem::take(&mut plain) } });
            let shown: String = chunk
                .invalid()
                .iter()
                .map(|b| format!("\\x{b:02X}"))
                .collect();
            body.push(html! { <mark class="bad-utf8" title="not UTF-8">{ shown }</mark> });
        }
    }
    lines += plain.matches('\n').count();
    body.push(html! { { plain } });
    let count = lines + usize::from(!bytes.ends_with(b"\n") && !bytes.is_empty());
    let gutter: String = (first_line..first_line + count.max(1))
        .map(|n| format!("{n}\n"))
        .collect();
    html! {
        <div class="text-view">
            <pre class="gutter" aria-hidden="true">{ gutter }</pre>
            <pre class="text" id="viewer-text">{ for body }</pre>
        </div>
    }
}

/// A hex dump: offset, 16 bytes in hex, the printable ones as text.
pub fn hex_dump(bytes: &[u8], offset: u64) -> String {
    let mut out = String::with_capacity(bytes.len() * 4 + 16);
    for (i, row) in bytes.chunks(16).enumerate() {
        out.push_str(&format!("{:08x}  ", offset + (i * 16) as u64));
        for j in 0..16 {
            match row.get(j) {
                Some(b) => out.push_str(&format!("{b:02x} ")),
                None => out.push_str("   "),
            }
            if j == 7 {
                out.push(' ');
            }
        }
        out.push(' ');
        out.extend(row.iter().map(|&b| {
            if (0x20..0x7f).contains(&b) {
                b as char
            } else {
                '.'
            }
        }));
        out.push('\n');
    }
    out
}
