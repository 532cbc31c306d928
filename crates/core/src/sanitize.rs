//! One place that turns hostile bytes (entry names, tags) into text safe to print:
//! invalid UTF-8 becomes U+FFFD, and control characters, bidirectional overrides and
//! zero-width characters are escaped, so a name cannot move the cursor, clear a terminal,
//! forge a line of output or read as another name (`evil\u{202e}gnp.exe` shows as
//! `evilexe.png`; `a\u{200b}b` as `ab`).

use alloc::string::String;
use core::fmt::Write;

/// Bytes as printable text: lossy UTF-8 with control, bidirectional and zero-width
/// characters escaped (`\n`, `\u{1b}`, `\u{202e}`, …). The result contains none of them and
/// escaping it again changes nothing.
pub fn display_bytes(bytes: &[u8]) -> String {
    display_text(&String::from_utf8_lossy(bytes))
}

/// Text as printable text: [`display_bytes`] for strings that are already UTF-8 (a tag, a
/// build step, an error message).
pub fn display_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if c.is_control() || is_invisible(c) => {
                let _ = write!(out, "\\u{{{:x}}}", c as u32);
            }
            c => out.push(c),
        }
    }
    out
}

/// Characters that change how the text around them reads without showing themselves:
/// bidirectional embeddings, overrides and isolates (U+202A–U+202E, U+2066–U+2069) and marks
/// (U+200E, U+200F, U+061C); zero-width spaces and joiners (U+200B–U+200D, U+2060, U+FEFF);
/// line and paragraph separators (U+2028, U+2029), which some terminals and editors break
/// lines at.
fn is_invisible(c: char) -> bool {
    matches!(
        c,
        '\u{061c}'
            | '\u{200b}'..='\u{200f}'
            | '\u{2028}'..='\u{202e}'
            | '\u{2060}'
            | '\u{2066}'..='\u{2069}'
            | '\u{feff}'
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn escapes_controls_and_replaces_invalid_utf8() {
        assert_eq!(display_bytes(b"a\x1b[2Jb\n"), "a\\u{1b}[2Jb\\n");
        assert_eq!(display_bytes(b"caf\xe9"), "caf\u{fffd}");
        assert_eq!(display_bytes("ünï 🙂".as_bytes()), "ünï 🙂");
    }

    #[test]
    fn escapes_bidirectional_and_zero_width_characters() {
        assert_eq!(
            display_bytes("evil\u{202e}gnp.exe".as_bytes()),
            "evil\\u{202e}gnp.exe"
        );
        assert_eq!(display_text("a\u{200b}b"), "a\\u{200b}b");
        let every: alloc::vec::Vec<char> = ('\u{202a}'..='\u{202e}')
            .chain('\u{2066}'..='\u{2069}')
            .chain('\u{200b}'..='\u{200f}')
            .chain(['\u{feff}', '\u{061c}', '\u{2028}', '\u{2029}', '\u{2060}'])
            .collect();
        for c in every {
            let shown = display_text(&alloc::format!("x{c}y"));
            assert_eq!(shown, alloc::format!("x\\u{{{:x}}}y", c as u32));
            assert_eq!(
                display_text(&shown),
                shown,
                "escaping twice changes nothing"
            );
        }
        // Visible right-to-left text stays as it is.
        assert_eq!(display_text("שלום سلام 👍"), "שלום سلام 👍");
    }
}
