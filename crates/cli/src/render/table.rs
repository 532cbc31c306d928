//! Plain-text formatting helpers.

/// `1.5 MB` style sizes (SI units, as `docker images` and dive show them).
pub fn size(bytes: u64) -> String {
    const UNITS: [&str; 6] = ["B", "kB", "MB", "GB", "TB", "PB"];
    let mut v = bytes as f64;
    let mut u = 0;
    while v >= 1000.0 && u + 1 < UNITS.len() {
        v /= 1000.0;
        u += 1;
    }
    if u == 0 {
        format!("{bytes} B")
    } else if v < 10.0 {
        format!("{v:.2} {}", UNITS[u])
    } else if v < 100.0 {
        format!("{v:.1} {}", UNITS[u])
    } else {
        format!("{v:.0} {}", UNITS[u])
    }
}

/// Cuts `s` to `max` characters with an ellipsis.
pub fn ellipsize(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_string();
    }
    let mut out: String = s.chars().take(max.saturating_sub(1)).collect();
    out.push('…');
    out
}

/// A build step as people read it: drop the `/bin/sh -c #(nop) ` noise.
pub fn step(created_by: &str) -> String {
    let s = created_by.trim();
    let s = s.strip_prefix("/bin/sh -c #(nop) ").unwrap_or(s);
    let s = s
        .strip_prefix("/bin/sh -c ")
        .map(|r| format!("RUN {r}"))
        .unwrap_or_else(|| s.to_string());
    s.split_whitespace().collect::<Vec<_>>().join(" ")
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
