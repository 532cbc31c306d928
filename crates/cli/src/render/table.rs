//! Plain-text formatting helpers.

pub use layerlens_core::view::{human_size as size, step};

/// Cuts `s` to `max` characters with an ellipsis.
pub fn ellipsize(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_string();
    }
    let mut out: String = s.chars().take(max.saturating_sub(1)).collect();
    out.push('…');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_are_compact() {
        assert_eq!(size(999), "999 B");
        assert_eq!(size(1_640_000_000), "1.64 GB");
        assert_eq!(size(45_300), "45.3 kB");
    }

    #[test]
    fn steps_lose_shell_noise() {
        assert_eq!(
            step("/bin/sh -c #(nop) COPY file:abc in /x "),
            "COPY file:abc in /x"
        );
        assert_eq!(step("/bin/sh -c apt-get  update"), "RUN apt-get update");
    }
}
