//! One place that turns hostile bytes (entry names, tags) into text safe to print:
//! invalid UTF-8 becomes U+FFFD and control characters are escaped, so a name cannot
//! move the cursor, clear a terminal or forge a line of output.

use alloc::string::String;
use core::fmt::Write;

/// Bytes as printable text: lossy UTF-8 with control characters escaped (`\n`, `\x1b`, …).
pub fn display_bytes(bytes: &[u8]) -> String {
    let lossy = String::from_utf8_lossy(bytes);
    let mut out = String::with_capacity(lossy.len());
    for c in lossy.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if c.is_control() => {
                let _ = write!(out, "\\u{{{:x}}}", c as u32);
            }
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_controls_and_replaces_invalid_utf8() {
        assert_eq!(display_bytes(b"a\x1b[2Jb\n"), "a\\u{1b}[2Jb\\n");
        assert_eq!(display_bytes(b"caf\xe9"), "caf\u{fffd}");
        assert_eq!(display_bytes("ünï 🙂".as_bytes()), "ünï 🙂");
    }
}
