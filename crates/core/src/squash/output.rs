//! The output's container format and the new layer's compression.

use alloc::string::String;

use serde::Serialize;

use crate::error::{Error, Result};
use crate::stream::Compression;

/// Archive layout of the output.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Format {
    /// `docker save`'s layout: `manifest.json`, `N/layer.tar`, the config by image ID.
    #[default]
    Docker,
    /// An oci-archive: a tar of an OCI image layout (`oci-layout`, `index.json`,
    /// `blobs/sha256/…`).
    Oci,
}

impl Format {
    /// `docker` or `oci`.
    ///
    /// # Errors
    /// Anything else.
    pub fn parse(s: &str) -> Result<Format> {
        match s {
            "docker" | "docker-archive" => Ok(Format::Docker),
            "oci" | "oci-archive" => Ok(Format::Oci),
            _ => Err(Error::request(alloc::format!(
                "--format {s:?}: expected docker or oci"
            ))),
        }
    }
}

/// How the new layer is compressed. Pure-Rust encoders (flate2's miniz_oxide, ruzstd), so the
/// CLI and the browser write the same bytes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "type", content = "level")]
pub enum Compress {
    /// A plain tar.
    #[default]
    None,
    /// gzip at a level 0–9 (6 when not given, as gzip's default).
    Gzip(u32),
    /// Zstandard. ruzstd 0.8 implements only its "fastest" level, about zstd's level 1:
    /// 1 is the only level accepted.
    Zstd(u32),
}

/// gzip's default level.
pub const GZIP_DEFAULT: u32 = 6;

impl Compress {
    /// `none`, `gzip`, `gzip:LEVEL`, `zstd`, `zstd:LEVEL`; `level` (`--compress-level`)
    /// applies when the text has none.
    ///
    /// # Errors
    /// An unknown name, a level out of range, a level for `none`.
    pub fn parse(s: &str, level: Option<u32>) -> Result<Compress> {
        let bad = |why: String| Error::request(alloc::format!("--compress {s:?}: {why}"));
        let (name, inline) = match s.split_once(':') {
            Some((n, l)) => (
                n,
                Some(
                    l.parse::<u32>()
                        .map_err(|_| bad(alloc::format!("{l:?} is not a level")))?,
                ),
            ),
            None => (s, None),
        };
        let level = inline.or(level);
        match name {
            "none" if level.is_none() => Ok(Compress::None),
            "none" => Err(bad("an uncompressed layer has no level".into())),
            "gzip" => match level.unwrap_or(GZIP_DEFAULT) {
                l @ 0..=9 => Ok(Compress::Gzip(l)),
                l => Err(bad(alloc::format!("gzip levels are 0 to 9, not {l}"))),
            },
            "zstd" => match level.unwrap_or(1) {
                1 => Ok(Compress::Zstd(1)),
                l => Err(bad(alloc::format!(
                    "level {l}: the pure-Rust zstd encoder (ruzstd 0.8, the one the browser \
                     can run too) has only level 1"
                ))),
            },
            _ => Err(bad("expected none, gzip[:LEVEL] or zstd[:LEVEL]".into())),
        }
    }

    /// The stream encoding it produces.
    pub fn compression(self) -> Compression {
        match self {
            Compress::None => Compression::None,
            Compress::Gzip(_) => Compression::Gzip,
            Compress::Zstd(_) => Compression::Zstd,
        }
    }
}

/// OCI media type of a layer blob with `c`.
pub fn layer_media_type(c: Compression) -> &'static str {
    match c {
        Compression::None => "application/vnd.oci.image.layer.v1.tar",
        Compression::Gzip => "application/vnd.oci.image.layer.v1.tar+gzip",
        Compression::Zstd => "application/vnd.oci.image.layer.v1.tar+zstd",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn compress_names_and_levels() {
        assert_eq!(Compress::parse("none", None).unwrap(), Compress::None);
        assert_eq!(Compress::parse("gzip", None).unwrap(), Compress::Gzip(6));
        assert_eq!(Compress::parse("gzip:9", None).unwrap(), Compress::Gzip(9));
        assert_eq!(Compress::parse("gzip", Some(1)).unwrap(), Compress::Gzip(1));
        assert_eq!(Compress::parse("zstd", None).unwrap(), Compress::Zstd(1));
        for bad in ["gzip:10", "zstd:3", "none:1", "brotli", "gzip:x"] {
            assert!(Compress::parse(bad, None).is_err(), "{bad}");
        }
        assert!(Compress::parse("none", Some(3)).is_err());
    }
}
