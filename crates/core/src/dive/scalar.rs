//! How yaml.v3 (the YAML parser behind dive's viper) resolves a plain scalar, and how
//! spf13/cast then prints it as the string dive parses: `0.20` → `0.2`, `0x10` → `16`,
//! `1_000` → `1000`, `017` → `15`, `true` → `true`, anything else unchanged.

use alloc::string::{String, ToString};

/// yaml.v3's resolution of a plain scalar, printed the way spf13/cast prints it.
pub(super) fn resolve_plain(t: &str) -> String {
    match t {
        "true" | "True" | "TRUE" => return "true".into(),
        "false" | "False" | "FALSE" => return "false".into(),
        ".nan" | ".NaN" | ".NAN" => return "NaN".into(),
        ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF" => return "+Inf".into(),
        "-.inf" | "-.Inf" | "-.INF" => return "-Inf".into(),
        _ => {}
    }
    let first = t.as_bytes().first().copied().unwrap_or(0);
    if !(first.is_ascii_digit() || matches!(first, b'+' | b'-' | b'.')) {
        return t.into();
    }
    let plain: String = t.chars().filter(|&c| c != '_').collect();
    if let Some(i) = go_parse_int(&plain) {
        return i.to_string();
    }
    if let Some(u) = go_parse_uint(&plain) {
        return u.to_string();
    }
    if is_yaml_float(&plain) {
        if let Ok(f) = plain.parse::<f64>() {
            return super::gofmt::go_float_f(f);
        }
    }
    t.into()
}

/// Go's `strconv.ParseInt(s, 0, 64)`.
fn go_parse_int(s: &str) -> Option<i128> {
    let (neg, body) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    let v = go_parse_uint_body(body)? as i128;
    let v = if neg { -v } else { v };
    (i128::from(i64::MIN)..=i128::from(i64::MAX))
        .contains(&v)
        .then_some(v)
}

/// Go's `strconv.ParseUint(s, 0, 64)` (no sign allowed).
fn go_parse_uint(s: &str) -> Option<u64> {
    if s.starts_with(['+', '-']) {
        return None;
    }
    go_parse_uint_body(s)
}

fn go_parse_uint_body(s: &str) -> Option<u64> {
    let lower = s.to_ascii_lowercase();
    let (digits, radix) = if let Some(r) = lower.strip_prefix("0x") {
        (r, 16)
    } else if let Some(r) = lower.strip_prefix("0o") {
        (r, 8)
    } else if let Some(r) = lower.strip_prefix("0b") {
        (r, 2)
    } else if lower.len() > 1 && lower.starts_with('0') {
        (&lower[1..], 8)
    } else {
        (lower.as_str(), 10)
    };
    if digits.is_empty() || !digits.chars().all(|c| c.is_digit(radix)) {
        return None;
    }
    u64::from_str_radix(digits, radix).ok()
}

/// yaml.v3's `^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$`.
fn is_yaml_float(s: &str) -> bool {
    let b = s.as_bytes();
    let mut i = 0;
    if matches!(b.first(), Some(b'+') | Some(b'-')) {
        i += 1;
    }
    let digits = |i: &mut usize| {
        let start = *i;
        while matches!(b.get(*i), Some(b'0'..=b'9')) {
            *i += 1;
        }
        *i - start
    };
    if b.get(i) == Some(&b'.') {
        i += 1;
        if digits(&mut i) == 0 {
            return false;
        }
    } else {
        if digits(&mut i) == 0 {
            return false;
        }
        if b.get(i) == Some(&b'.') {
            i += 1;
            digits(&mut i);
        }
    }
    if matches!(b.get(i), Some(b'e') | Some(b'E')) {
        i += 1;
        if matches!(b.get(i), Some(b'+') | Some(b'-')) {
            i += 1;
        }
        if digits(&mut i) == 0 {
            return false;
        }
    }
    i == b.len()
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn numbers_print_as_cast_prints_them() {
        for (i, o) in [
            ("0.20", "0.2"),
            ("1e3", "1000"),
            ("0x10", "16"),
            ("0o17", "15"),
            ("017", "15"),
            ("1_000", "1000"),
            ("+5", "5"),
            ("-0", "0"),
            (".5", "0.5"),
            ("1.", "1"),
            ("18446744073709551615", "18446744073709551615"),
            ("True", "true"),
            (".inf", "+Inf"),
            ("20MB", "20MB"),
            ("off", "off"),
            ("1e", "1e"),
        ] {
            assert_eq!(resolve_plain(i), o, "{i}");
        }
    }
}
