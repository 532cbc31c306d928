//! `SOURCE_DATE_EPOCH` (reproducible-builds.org): seconds since 1970 as the RFC 3339 time
//! the config and history carry, and RFC 3339 times back to seconds to clamp them.

use alloc::string::String;

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The date of a day count since 1970-01-01.
fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (
        if m <= 2 {
            yoe + era * 400 + 1
        } else {
            yoe + era * 400
        },
        m,
        d,
    )
}

/// `secs` as `YYYY-MM-DDTHH:MM:SSZ`.
pub fn rfc3339(secs: i64) -> String {
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    let (y, m, d) = civil_from_days(days);
    alloc::format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem / 60 % 60,
        rem % 60
    )
}

/// Seconds since 1970 of an RFC 3339 time (checked by [`super::check_time`]); a fraction
/// rounds down. `None` if it does not parse.
pub fn seconds(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    let num = |r: core::ops::Range<usize>| -> Option<i64> {
        let part = b.get(r)?;
        if !part.iter().all(u8::is_ascii_digit) {
            return None;
        }
        core::str::from_utf8(part).ok()?.parse().ok()
    };
    let days = days_from_civil(num(0..4)?, num(5..7)?, num(8..10)?);
    let mut t = days * 86_400 + num(11..13)? * 3600 + num(14..16)? * 60 + num(17..19)?;
    let mut i = 19;
    if b.get(i) == Some(&b'.') {
        i += 1;
        while b.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
    }
    match b.get(i)? {
        b'Z' | b'z' => {}
        sign @ (b'+' | b'-') => {
            let off = num(i + 1..i + 3)? * 3600 + num(i + 4..i + 6)? * 60;
            // Local time = UTC + offset.
            t -= if *sign == b'+' { off } else { -off };
        }
        _ => return None,
    }
    Some(t)
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn round_trips_and_known_values() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(1_700_000_000), "2023-11-14T22:13:20Z");
        assert_eq!(rfc3339(951_782_400), "2000-02-29T00:00:00Z");
        for t in [0, 1, 86_399, 951_782_400, 1_700_000_000, 4_102_444_800] {
            assert_eq!(seconds(&rfc3339(t)), Some(t));
        }
        assert_eq!(
            seconds("2023-11-14T23:13:20.999+01:00"),
            Some(1_700_000_000)
        );
        assert_eq!(seconds("2023-11-14T21:13:20-01:00"), Some(1_700_000_000));
        assert_eq!(seconds("junk"), None);
    }
}
