//! Searching byte strings for short needles (path components, names, markers).

/// The first position of `needle` in `hay` (`Some(0)` for an empty needle). Each position
/// costs one byte compare, and a slice compare only where the first byte matches: slice
/// equality is a `memcmp` call in wasm, and comparing every window that way made the waste
/// report's scan for build-context junk 230 ms of `large`'s open in the browser.
pub(crate) fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    let Some((&first, rest)) = needle.split_first() else {
        return Some(0);
    };
    let last_start = hay.len().checked_sub(needle.len())?;
    (0..=last_start).find(|&i| hay[i] == first && hay[i + 1..i + needle.len()] == *rest)
}

/// Whether `needle` occurs in `hay`.
pub(crate) fn contains(hay: &[u8], needle: &[u8]) -> bool {
    find(hay, needle).is_some()
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    /// The same answers as comparing every window.
    #[test]
    fn finds_as_every_window_does() {
        let hays: [&[u8]; 7] = [
            b"",
            b"a",
            b".wh.",
            b"x/.wh.y",
            b"aaab",
            b"app/node_modules/x",
            b"..wh.wh",
        ];
        let needles: [&[u8]; 6] = [b"a", b"ab", b".wh.", b"node_modules", b"wh", b"aaab"];
        for hay in hays {
            for needle in needles {
                let every = if needle.len() > hay.len() {
                    None
                } else {
                    hay.windows(needle.len()).position(|w| w == needle)
                };
                assert_eq!(find(hay, needle), every, "{hay:?} {needle:?}");
                assert_eq!(contains(hay, needle), every.is_some());
            }
            assert_eq!(find(hay, b""), Some(0));
        }
    }
}
