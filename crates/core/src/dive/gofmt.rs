//! The few Go formatting and parsing routines dive's CI output and `.dive-ci` rules go
//! through, reproduced so that layerlens prints and accepts exactly what dive does:
//! `%v` of a float64, `strconv.ParseFloat`, and go-humanize's `Bytes` and `ParseBytes`.

use alloc::format;
use alloc::string::{String, ToString};

/// Go's `fmt.Sprint(f)` / `%v` of a float64 (`strconv.FormatFloat(f, 'g', -1, 64)`): the
/// shortest digits, in `%e` form when the decimal exponent is below -4 or at least 6.
pub fn go_float_v(f: f64) -> String {
    if f.is_nan() {
        return "NaN".into();
    }
    if f.is_infinite() {
        return if f > 0.0 {
            "+Inf".into()
        } else {
            "-Inf".into()
        };
    }
    if f == 0.0 {
        return if f.is_sign_negative() {
            "-0".into()
        } else {
            "0".into()
        };
    }
    // Rust's `{:e}` gives the shortest round-trip digits, as Go's 'g' with precision -1.
    let sci = format!("{:e}", f.abs());
    let (mantissa, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let digits: String = mantissa.chars().filter(|c| *c != '.').collect();
    let neg = if f < 0.0 { "-" } else { "" };
    if !(-4..6).contains(&exp) {
        let (first, rest) = digits.split_at(1.min(digits.len()));
        let mut s = format!("{neg}{first}");
        if !rest.is_empty() {
            s.push('.');
            s.push_str(rest);
        }
        let sign = if exp < 0 { '-' } else { '+' };
        let e = exp.unsigned_abs();
        if e < 10 {
            s.push_str(&format!("e{sign}0{e}"));
        } else {
            s.push_str(&format!("e{sign}{e}"));
        }
        return s;
    }
    // %f with exactly the shortest digits.
    let nd = digits.len() as i32;
    let dp = exp + 1; // digits before the decimal point
    let mut s = String::from(neg);
    if dp <= 0 {
        s.push_str("0.");
        for _ in 0..(-dp) {
            s.push('0');
        }
        s.push_str(&digits);
    } else if dp >= nd {
        s.push_str(&digits);
        for _ in 0..(dp - nd) {
            s.push('0');
        }
    } else {
        let (a, b) = digits.split_at(dp as usize);
        s.push_str(a);
        s.push('.');
        s.push_str(b);
    }
    s
}

/// Go's `fmt.Sprintf("%.{prec}f", f)` (Rust rounds half to even on the exact value too).
pub fn go_fixed(f: f64, prec: usize) -> String {
    if f.is_nan() {
        return "NaN".into();
    }
    if f.is_infinite() {
        return if f > 0.0 {
            "+Inf".into()
        } else {
            "-Inf".into()
        };
    }
    format!("{f:.prec$}")
}

/// Go's `strconv.Quote`, enough for config values (ASCII escapes, `\u` for the rest).
pub fn go_quote(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            '\u{7}' => out.push_str("\\a"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\u{b}' => out.push_str("\\v"),
            c if (c as u32) < 0x20 || c == '\u{7f}' => {
                out.push_str(&format!("\\x{:02x}", c as u32))
            }
            c if c.is_control() => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Why a number did not parse, worded as Go's `strconv.NumError`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError(pub String);

/// Go's `strconv.ParseFloat(s, 64)`: decimal or hexadecimal (`0x1p-2`), optional sign,
/// `inf`/`infinity`/`nan` in any case, underscores only after a base prefix. Out of range
/// gives an error (Go also returns ±Inf, which dive then ignores).
pub fn parse_float(s: &str) -> Result<f64, ParseError> {
    let syntax = || {
        ParseError(format!(
            "strconv.ParseFloat: parsing {}: invalid syntax",
            go_quote(s)
        ))
    };
    let range = || {
        ParseError(format!(
            "strconv.ParseFloat: parsing {}: value out of range",
            go_quote(s)
        ))
    };
    let (neg, body) = match s.as_bytes().first() {
        Some(b'+') => (false, &s[1..]),
        Some(b'-') => (true, &s[1..]),
        _ => (false, s),
    };
    let lower = body.to_ascii_lowercase();
    if lower == "inf" || lower == "infinity" {
        return Ok(if neg {
            f64::NEG_INFINITY
        } else {
            f64::INFINITY
        });
    }
    if lower == "nan" {
        // Go accepts "nan" only without a sign.
        return if body.len() == s.len() {
            Ok(f64::NAN)
        } else {
            Err(syntax())
        };
    }
    if let Some(hex) = lower.strip_prefix("0x") {
        let v = parse_hex_float(hex).ok_or_else(syntax)?;
        if v.is_infinite() {
            return Err(range());
        }
        return Ok(if neg { -v } else { v });
    }
    // Decimal: digits with at most one '.', at least one digit, optional exponent.
    let b = body.as_bytes();
    let mut i = 0;
    let mut digits = 0;
    let mut dot = false;
    while let Some(&c) = b.get(i) {
        match c {
            b'0'..=b'9' => digits += 1,
            b'.' if !dot => dot = true,
            _ => break,
        }
        i += 1;
    }
    if digits == 0 {
        return Err(syntax());
    }
    if let Some(&c) = b.get(i) {
        if c != b'e' && c != b'E' {
            return Err(syntax());
        }
        i += 1;
        if matches!(b.get(i), Some(b'+') | Some(b'-')) {
            i += 1;
        }
        let start = i;
        while matches!(b.get(i), Some(b'0'..=b'9')) {
            i += 1;
        }
        if i == start || i != b.len() {
            return Err(syntax());
        }
    }
    let v: f64 = body.parse().map_err(|_| syntax())?;
    if v.is_infinite() {
        return Err(range());
    }
    Ok(if neg { -v } else { v })
}

fn parse_hex_float(s: &str) -> Option<f64> {
    let s: String = s.chars().filter(|&c| c != '_').collect();
    let (mant, exp) = s.split_once('p')?;
    let exp: i32 = exp.parse().ok()?;
    let (int, frac) = mant.split_once('.').unwrap_or((mant, ""));
    if int.is_empty() && frac.is_empty() {
        return None;
    }
    let mut v = 0f64;
    for c in int.chars() {
        v = v * 16.0 + f64::from(c.to_digit(16)?);
    }
    let mut scale = 1.0 / 16.0;
    for c in frac.chars() {
        v += f64::from(c.to_digit(16)?) * scale;
        scale /= 16.0;
    }
    Some(v * powi(2.0, exp))
}

/// go-humanize's `Bytes`: SI units, one decimal below 10 (`6.4 kB`, `32 kB`, `55 B`).
pub fn humanize_bytes(s: u64) -> String {
    const SIZES: [&str; 7] = ["B", "kB", "MB", "GB", "TB", "PB", "EB"];
    if s < 10 {
        return format!("{s} B");
    }
    let e = floor(go_log(s as f64) / go_log(1000.0));
    let suffix = SIZES.get(e as usize).copied().unwrap_or("EB");
    let val = floor(s as f64 / powi(1000.0, e as i32) * 10.0 + 0.5) / 10.0;
    if val < 10.0 {
        format!("{val:.1} {suffix}")
    } else {
        format!("{val:.0} {suffix}")
    }
}

/// go-humanize's `ParseBytes`: a number (digits, `.`, `,`) then an optional unit, SI
/// (`kB`, `MB`, `k`, `M`) or IEC (`KiB`, `Mi`), case-insensitive; the result truncated to
/// whole bytes.
pub fn parse_bytes(s: &str) -> Result<u64, ParseError> {
    let last = s
        .char_indices()
        .find(|(_, c)| !(c.is_ascii_digit() || *c == '.' || *c == ','))
        .map_or(s.len(), |(i, _)| i);
    let (num, rest) = s.split_at(last);
    let num = num.replace(',', "");
    let f = parse_float(&num)?;
    let extra = rest.trim().to_lowercase();
    let m: u64 = match extra.as_str() {
        "b" | "" => 1,
        "kib" | "ki" => 1 << 10,
        "kb" | "k" => 1000,
        "mib" | "mi" => 1 << 20,
        "mb" | "m" => 1000u64.pow(2),
        "gib" | "gi" => 1 << 30,
        "gb" | "g" => 1000u64.pow(3),
        "tib" | "ti" => 1 << 40,
        "tb" | "t" => 1000u64.pow(4),
        "pib" | "pi" => 1 << 50,
        "pb" | "p" => 1000u64.pow(5),
        "eib" | "ei" => 1 << 60,
        "eb" | "e" => 1000u64.pow(6),
        _ => return Err(ParseError(format!("unhandled size name: {extra}"))),
    };
    let v = f * m as f64;
    if v >= u64::MAX as f64 {
        return Err(ParseError(format!("too large: {s}")));
    }
    Ok(v as u64)
}

/// Go's `math.Log` (the FreeBSD algorithm Go ports), so unit boundaries fall where dive's do.
#[allow(clippy::excessive_precision)] // Go's constants, digit for digit
pub fn go_log(x: f64) -> f64 {
    const LN2_HI: f64 = 6.931_471_803_691_238_164_90e-01;
    const LN2_LO: f64 = 1.908_214_929_270_587_700_02e-10;
    const L1: f64 = 6.666_666_666_666_735_130e-01;
    const L2: f64 = 3.999_999_999_940_941_908e-01;
    const L3: f64 = 2.857_142_874_366_239_149e-01;
    const L4: f64 = 2.222_219_843_214_978_396e-01;
    const L5: f64 = 1.818_357_216_161_805_012e-01;
    const L6: f64 = 1.531_383_769_920_937_332e-01;
    const L7: f64 = 1.479_819_860_511_658_591e-01;
    if x.is_nan() || x == f64::INFINITY {
        return x;
    }
    if x < 0.0 {
        return f64::NAN;
    }
    if x == 0.0 {
        return f64::NEG_INFINITY;
    }
    // frexp: x = f1 * 2^ki with f1 in [0.5, 1)
    let (mut f1, mut ki) = frexp(x);
    if f1 < core::f64::consts::SQRT_2 / 2.0 {
        f1 *= 2.0;
        ki -= 1;
    }
    let f = f1 - 1.0;
    let k = f64::from(ki);
    let s = f / (2.0 + f);
    let s2 = s * s;
    let s4 = s2 * s2;
    let t1 = s2 * (L1 + s4 * (L3 + s4 * (L5 + s4 * L7)));
    let t2 = s4 * (L2 + s4 * (L4 + s4 * L6));
    let r = t1 + t2;
    let hfsq = 0.5 * f * f;
    k * LN2_HI - ((hfsq - (s * (hfsq + r) + k * LN2_LO)) - f)
}

fn frexp(x: f64) -> (f64, i32) {
    let bits = x.to_bits();
    let exp = ((bits >> 52) & 0x7ff) as i32;
    if exp == 0 {
        // subnormal: normalise first
        let (f, e) = frexp(x * (1u64 << 54) as f64);
        return (f, e - 54);
    }
    let f = f64::from_bits((bits & !(0x7ff << 52)) | (1022 << 52));
    (f, exp - 1022)
}

/// Go's `strconv.FormatFloat(f, 'f', -1, 64)` (how viper turns a YAML float into the
/// string dive parses): shortest digits, never an exponent.
pub fn go_float_f(f: f64) -> String {
    if f.is_nan() {
        return "NaN".into();
    }
    if f.is_infinite() {
        return if f > 0.0 {
            "+Inf".into()
        } else {
            "-Inf".into()
        };
    }
    // Rust's Display is exactly this for finite floats.
    f.to_string()
}

/// `x.floor()`; without std (no float intrinsics in `core`), libm's, which is exact too.
fn floor(x: f64) -> f64 {
    #[cfg(feature = "std")]
    return x.floor();
    #[cfg(not(feature = "std"))]
    return libm::floor(x);
}

/// `x.powi(n)`; without std, by repeated multiplication (the figures dive prints are computed
/// with std, so only a no-std build can differ in the last bit).
fn powi(x: f64, n: i32) -> f64 {
    #[cfg(feature = "std")]
    return x.powi(n);
    #[cfg(not(feature = "std"))]
    {
        let mut r = 1.0;
        for _ in 0..n.unsigned_abs() {
            r *= x;
        }
        if n < 0 {
            1.0 / r
        } else {
            r
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn float_v_matches_go() {
        let cases: [(f64, &str); 12] = [
            (0.4457831325301205, "0.4457831325301205"),
            (1.0185185185185186, "1.0185185185185186"),
            (0.1, "0.1"),
            (1.0, "1"),
            (1e-5, "1e-05"),
            (1e-320, "1e-320"),
            (0.0001, "0.0001"),
            (123456.0, "123456"),
            (1234567.0, "1.234567e+06"),
            (1e21, "1e+21"),
            (-2.5, "-2.5"),
            (f64::NAN, "NaN"),
        ];
        for (f, s) in cases {
            assert_eq!(go_float_v(f), s);
        }
    }

    #[test]
    fn humanize_matches_go_humanize() {
        assert_eq!(humanize_bytes(0), "0 B");
        assert_eq!(humanize_bytes(55), "55 B");
        assert_eq!(humanize_bytes(6405), "6.4 kB");
        assert_eq!(humanize_bytes(32025), "32 kB");
        assert_eq!(humanize_bytes(1000), "1.0 kB");
        assert_eq!(humanize_bytes(999_999), "1000 kB");
        assert_eq!(humanize_bytes(1_000_000), "1.0 MB");
        assert_eq!(humanize_bytes(60_166_903), "60 MB");
    }

    #[test]
    fn parse_bytes_matches_go_humanize() {
        assert_eq!(parse_bytes("20MB"), Ok(20_000_000));
        assert_eq!(parse_bytes("1,000 KiB"), Ok(1_024_000));
        assert_eq!(parse_bytes("54.9"), Ok(54));
        assert_eq!(parse_bytes("0.5 kB"), Ok(500));
        assert_eq!(
            parse_bytes("Disabled"),
            Err(ParseError(
                "strconv.ParseFloat: parsing \"\": invalid syntax".into()
            ))
        );
        assert_eq!(
            parse_bytes("5 XB"),
            Err(ParseError("unhandled size name: xb".into()))
        );
    }

    #[test]
    fn parse_float_matches_go() {
        assert_eq!(parse_float("0.95"), Ok(0.95));
        assert_eq!(parse_float(".5"), Ok(0.5));
        assert_eq!(parse_float("1e-5"), Ok(1e-5));
        assert_eq!(parse_float("Inf"), Ok(f64::INFINITY));
        assert_eq!(parse_float("0x1p-2"), Ok(0.25));
        assert!(parse_float("-nan").is_err());
        assert!(parse_float("1_000").is_err());
        assert_eq!(
            parse_float(" 0.5"),
            Err(ParseError(
                "strconv.ParseFloat: parsing \" 0.5\": invalid syntax".into()
            ))
        );
        assert_eq!(
            parse_float("1e999"),
            Err(ParseError(
                "strconv.ParseFloat: parsing \"1e999\": value out of range".into()
            ))
        );
    }

    #[test]
    fn go_log_is_close_to_ln() {
        for x in [1.0, 10.0, 1000.0, 1e6, 123456789.0, 0.5] {
            assert!((go_log(x) - x.ln()).abs() <= 1e-15 * x.ln().abs().max(1.0));
        }
        assert_eq!(go_log(1.0), 0.0);
    }
}
