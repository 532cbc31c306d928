//! Words and numbers as people read them: sizes, tag lists, signs, cut-off text.
//! A leaf: it depends on nothing else in the crate, and everything that writes text for people
//! (finding titles, timelines, the views, the CLI's tables, the page) uses these, so the CLI
//! and the page print the same figure the same way.

use alloc::string::String;

/// What an image without tags is called.
pub const NO_TAGS: &str = "<none>";

/// `1.64 GB` style sizes (SI units, as `docker images` and dive show them).
pub fn human_size(bytes: u64) -> String {
    const UNITS: [&str; 6] = ["B", "kB", "MB", "GB", "TB", "PB"];
    let mut v = bytes as f64;
    let mut u = 0;
    while v >= 1000.0 && u + 1 < UNITS.len() {
        v /= 1000.0;
        u += 1;
    }
    let unit = UNITS.get(u).copied().unwrap_or("B");
    if u == 0 {
        alloc::format!("{bytes} B")
    } else if v < 10.0 {
        alloc::format!("{v:.2} {unit}")
    } else if v < 100.0 {
        alloc::format!("{v:.1} {unit}")
    } else {
        alloc::format!("{v:.0} {unit}")
    }
}

/// [`NO_TAGS`] or the tags joined.
pub fn label(tags: &[String]) -> String {
    if tags.is_empty() {
        NO_TAGS.into()
    } else {
        tags.join(", ")
    }
}

/// A signed byte count as a size: `-1.20 kB` with `minus` as the sign of a negative one
/// (`-` in a terminal, `−` on the page).
pub fn signed_size(v: i64, minus: &str) -> String {
    if v < 0 {
        alloc::format!("{minus}{}", human_size(v.unsigned_abs()))
    } else {
        human_size(v as u64)
    }
}

/// Cuts `s` to `max` characters, the last one an ellipsis.
pub fn ellipsize(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.into();
    }
    let mut out: String = s.chars().take(max.saturating_sub(1)).collect();
    out.push('…');
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn sizes_signs_and_ellipses() {
        assert_eq!(human_size(999), "999 B");
        assert_eq!(human_size(1_640_000_000), "1.64 GB");
        assert_eq!(human_size(45_300), "45.3 kB");
        assert_eq!(signed_size(-1200, "-"), "-1.20 kB");
        assert_eq!(signed_size(5, "−"), "5 B");
        assert_eq!(ellipsize("abcdef", 4), "abc…");
        assert_eq!(ellipsize("abc", 4), "abc");
        assert_eq!(label(&[]), "<none>");
    }
}
