//! Command-line arguments. The doc comments are the `--help` text.

use std::ffi::OsString;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::color::ColorWhen;

/// `0.1.0 (commit 1a2b3c4d5e6f)`: the version and the commit built (`unknown` for a build
/// outside git without `LAYERLENS_COMMIT`), as the page's footer shows them.
const VERSION: &str = concat!(
    env!("CARGO_PKG_VERSION"),
    " (commit ",
    env!("LAYERLENS_COMMIT"),
    ")"
);

/// Analyze, export and squash container image archives (`docker save`, `podman save`,
/// oci-archive) and image directories (OCI layouts, `dir:` folders). Everything runs locally.
///
/// Files written (squash, export, ci --junit) appear whole or not at all: each is written
/// beside its destination, synced, checked against its planned size and renamed over it; on an
/// error, a panic, SIGINT, SIGTERM or SIGHUP the partial file is removed and an existing
/// destination is left as it was. An output that is the input (the same path, or the same
/// file through a symlink, a hardlink or standard output) is refused before anything is
/// written: write elsewhere, then rename. `-o -` writes to standard output (not a terminal).
#[derive(Debug, Parser)]
#[command(name = "layerlens", version = VERSION, about)]
pub struct Cli {
    /// When to colour text output: `auto` (a terminal, unless NO_COLOR is set), `always`,
    /// `never`.
    #[arg(long, global = true, value_enum, default_value_t = ColorWhen::Auto, value_name = "WHEN")]
    pub color: ColorWhen,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Show an image's layers: sizes, entries, what each added, changed and removed.
    Analyze(AnalyzeArgs),
    /// Write the image's final filesystem as one plain tar (like `crane export`).
    Export(ExportArgs),
    /// Squash layers into one and write a docker-archive that `docker load` accepts.
    Squash(SquashArgs),
    /// CI gate: dive's `.dive-ci` rules (unchanged) plus layerlens' own; exit 0 pass, 1 fail,
    /// 2 error or misconfigured rules.
    Ci(CiArgs),
    /// A path's history: which layers added, changed and removed it, and by which step.
    Why(WhyArgs),
    /// Write a file's bytes, as they are after a layer, to standard output.
    Cat(CatArgs),
    /// Write a file or a directory's subtree, as it is after a layer, as a plain tar.
    Extract(ExtractArgs),
    /// What differs between the filesystems after two layers, or how a file's content
    /// differs; exit 0 same, 1 different, 2 error (like `diff`).
    Diff(DiffArgs),
    /// Compare two images: layers aligned, final files (`+ `, `- `, `~ ` lines), config
    /// (`config ` lines), history, sizes and waste; exit 0 equal, 1 different, 2 error.
    Compare(CompareArgs),
    /// The image's history: every step, empty layers included, or (--dockerfile) the steps
    /// written back as Dockerfile instructions, each under a comment naming its layer.
    History(HistoryArgs),
    /// What the final image holds: duplicate files, setuid/setgid/world-writable paths,
    /// shells and package managers, users and groups, keys and certificates, and the
    /// packages each layer installed (dpkg and apk databases).
    Audit(AuditArgs),
    /// Write a self-contained HTML report (overview, layers, waste, findings, size map) that
    /// opens offline, or (--json) print the size map's tiles.
    Report(ReportArgs),
    /// One layer exactly as stored: every tar member in order with its type flag, name as
    /// written (whiteout markers included), size, mode, owner, PAX records and offset; each
    /// marker with the paths it removes from the layers below.
    Layer(LayerArgs),
    /// Each layer's blob digest, diff_id and chain ID and the image ID, with the formulas;
    /// --verify recomputes them from the bytes.
    Digests(DigestsArgs),
    /// The guided tour "How layers work", told with this image's own numbers (the page's
    /// tour shows the same steps).
    Tour(TourArgs),
    /// Print a shell completion script (`source <(layerlens completions bash)`).
    Completions(CompletionsArgs),
    /// Print the man page, or write every page (`layerlens.1`, `layerlens-squash.1`, …) into
    /// a directory.
    Manpage(ManpageArgs),
}

/// Which shell.
#[derive(Debug, Args, Clone)]
pub struct CompletionsArgs {
    /// bash, zsh, fish, elvish or powershell.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

/// Where the pages go.
#[derive(Debug, Args, Clone)]
pub struct ManpageArgs {
    /// Write all pages into this directory instead of the main page to standard output.
    #[arg(long, value_name = "DIR")]
    pub dir: Option<PathBuf>,
}

/// Which image in the archive.
#[derive(Debug, Args, Clone)]
pub struct ImageArgs {
    /// The image archive (a `docker save` tarball, optionally gzipped, or an oci-archive), or
    /// an image directory (an OCI image layout, a `skopeo copy … dir:` folder).
    pub image: PathBuf,
    /// Image to use when the archive holds several: a tag or a position (0, 1, …).
    #[arg(long = "image", value_name = "TAG|N")]
    pub select: Option<String>,
    /// Platform for multi-platform images (`linux/arm64`).
    #[arg(long)]
    pub platform: Option<String>,
    #[command(flatten)]
    pub limits: LimitArgs,
}

/// Caps that protect against hostile or broken archives (defaults suit real 10 GB images).
#[derive(Debug, Args, Clone)]
pub struct LimitArgs {
    /// Most entries across all layers of the image.
    #[arg(long, value_name = "N", default_value_t = layerlens_core::Limits::default().max_entries)]
    pub max_entries: u64,
    /// Most decompressed bytes of one compressed layer or gzipped archive (stops
    /// decompression bombs); accepts K, M, G, T suffixes.
    #[arg(long, value_name = "BYTES", default_value = "64G", value_parser = parse_bytes)]
    pub max_decompressed: u64,
    /// Most bytes of one JSON document (manifest, index, config); accepts suffixes.
    #[arg(long, value_name = "BYTES", default_value = "64M", value_parser = parse_bytes)]
    pub max_json: u64,
}

impl LimitArgs {
    /// The core's limits.
    pub fn to_limits(&self) -> layerlens_core::Limits {
        layerlens_core::Limits {
            max_entries: self.max_entries,
            max_decompressed: self.max_decompressed,
            max_json: self.max_json,
            ..Default::default()
        }
    }
}

/// `123`, `64M`, `10G`, `1T` (powers of 1024).
fn parse_bytes(s: &str) -> Result<u64, String> {
    let s = s.trim();
    let (num, shift) = match s.chars().last().map(|c| c.to_ascii_uppercase()) {
        Some('K') => (&s[..s.len() - 1], 10),
        Some('M') => (&s[..s.len() - 1], 20),
        Some('G') => (&s[..s.len() - 1], 30),
        Some('T') => (&s[..s.len() - 1], 40),
        _ => (s, 0),
    };
    let n: u64 = num
        .trim()
        .parse()
        .map_err(|_| format!("`{s}` is not a size (e.g. 500M, 10G)"))?;
    n.checked_mul(1u64 << shift)
        .ok_or_else(|| format!("`{s}` is too large"))
}

#[derive(Debug, Args)]
pub struct AnalyzeArgs {
    #[command(flatten)]
    pub image: ImageArgs,
    /// Print the whole model as JSON (schema `layerlens.analyze/v1`, see docs/json.md).
    #[arg(long)]
    pub json: bool,
    /// Hash every layer and check the diff_ids and blob digests (reads all bytes).
    #[arg(long)]
    pub verify: bool,
    /// Deep scan: hash the files later layers write again, to tell unchanged rewrites
    /// (same bytes) from real changes (reads those files' bytes).
    #[arg(long)]
    pub deep: bool,
    /// Findings shown (all of them are in --json).
    #[arg(long, value_name = "N", default_value_t = 10)]
    pub findings: usize,
    /// Layers only: skip the waste figures and findings (about half the time on an image
    /// with 100,000 files).
    #[arg(long, conflicts_with = "deep")]
    pub no_waste: bool,
}

#[derive(Debug, Args)]
pub struct CiArgs {
    #[command(flatten)]
    pub image: ImageArgs,
    /// The rules: dive's `.dive-ci` (read unchanged) with an optional `layerlens:` section
    /// (see docs/waste.md). Default: `.dive-ci` in the current directory if it exists, else
    /// dive's defaults.
    #[arg(long, value_name = ".dive-ci", alias = "ci-config")]
    pub config: Option<PathBuf>,
    /// Print the verdict as JSON (schema `layerlens.ci/v1`).
    #[arg(long)]
    pub json: bool,
    /// Also write a JUnit XML report (one test case per rule) to FILE (whole or not at all).
    #[arg(long, value_name = "FILE")]
    pub junit: Option<PathBuf>,
    /// Deep scan (see `analyze --deep`): unchanged rewrites count as identical content.
    #[arg(long)]
    pub deep: bool,
    /// dive's `lowestEfficiency` (a ratio 0-1 or `disabled`), overriding the file.
    #[arg(long, value_name = "RATIO", alias = "lowestEfficiency")]
    pub lowest_efficiency: Option<String>,
    /// dive's `highestWastedBytes` (`20MB` or `disabled`), overriding the file.
    #[arg(long, value_name = "SIZE", alias = "highestWastedBytes")]
    pub highest_wasted_bytes: Option<String>,
    /// dive's `highestUserWastedPercent` (a ratio 0-1 or `disabled`), overriding the file.
    #[arg(long, value_name = "RATIO", alias = "highestUserWastedPercent")]
    pub highest_user_wasted_percent: Option<String>,
    /// Fail when a full squash would reclaim more than SIZE (`50MB`).
    #[arg(long, value_name = "SIZE")]
    pub max_reclaimable: Option<String>,
    /// Fail when a full squash would reclaim more than RATIO (0-1) of the image.
    #[arg(long, value_name = "RATIO")]
    pub max_reclaimable_percent: Option<String>,
    /// Warn when the uncompressed image exceeds SIZE (default 1GB; `disabled` to turn off).
    #[arg(long, value_name = "SIZE")]
    pub warn_above_size: Option<String>,
    /// Fail when the uncompressed image exceeds SIZE (a registry's cap, such as 5GB).
    #[arg(long, value_name = "SIZE")]
    pub fail_above_size: Option<String>,
    /// Do not fail on security findings (secrets still shipped); they are still reported.
    #[arg(long)]
    pub allow_secrets: bool,
}

#[derive(Debug, Args)]
pub struct WhyArgs {
    #[command(flatten)]
    pub image: ImageArgs,
    /// The path (`/etc/passwd` or `etc/passwd`).
    pub path: String,
    /// Print the timeline as JSON.
    #[arg(long)]
    pub json: bool,
    /// Deep scan: say whether each rewrite changed the bytes.
    #[arg(long)]
    pub deep: bool,
}

#[derive(Debug, Args)]
pub struct ExportArgs {
    #[command(flatten)]
    pub image: ImageArgs,
    /// Where to write the tar (`-` for standard output). A file appears only when complete
    /// (written beside it, then renamed); it may not be the input, not even through a link
    /// (write elsewhere, then rename).
    #[arg(short, long, value_name = "ROOTFS.tar")]
    pub output: PathBuf,
    #[command(flatten)]
    pub write: WriteArgs,
}

/// How outputs are written.
#[derive(Debug, Args, Clone, Copy)]
pub struct WriteArgs {
    /// Do not check free space before writing (for filesystems that compress or report
    /// free space wrongly); a full disk then fails the write, and nothing is left behind.
    #[arg(long)]
    pub no_space_check: bool,
}

#[derive(Debug, Args)]
pub struct SquashArgs {
    #[command(flatten)]
    pub image: ImageArgs,
    /// Where to write the squashed image (a docker-archive tar; `-` for standard output,
    /// to pipe into `podman load`). A file appears only when complete (written beside it,
    /// then renamed); it may not be the input, not even through a link (write elsewhere,
    /// then rename).
    #[arg(
        short,
        long,
        value_name = "OUT.tar",
        required_unless_present = "dry_run"
    )]
    pub output: Option<PathBuf>,
    /// First layer to squash, by position (0 = base) or digest (diff_id, chain ID or blob
    /// digest, or a unique prefix); layers below are kept byte-identical. Default: all.
    #[arg(long, value_name = "N|DIGEST")]
    pub from: Option<String>,
    /// Tag for the output (repeatable); default: the input's tags.
    #[arg(long = "tag", short = 't', value_name = "NAME:TAG")]
    pub tags: Vec<String>,
    /// `created` time of the output (RFC 3339); default: the newest time in the input's
    /// history, so the same input gives the same bytes.
    #[arg(long)]
    pub created: Option<String>,
    /// Leave out every path matching GLOB, and everything under it (repeatable): an
    /// absolute path whose components may use `*`, `?`, `[a-z]` and `**` for any number of
    /// components, like `/var/cache/apt/**`, `/**/.git`, `/usr/share/doc`. Hardlinks to a
    /// dropped path are re-pointed to another path of their inode, or become regular files.
    /// Paths in kept layers (`--from`) are hidden by a whiteout; their bytes stay there.
    #[arg(long = "drop", value_name = "GLOB")]
    pub drop: Vec<String>,
    /// Reproducible output: mtimes in the new layer newer than N (seconds since 1970) are
    /// set to N, and N is the `created` of the config and the new history entry (history
    /// times newer than N are clamped too). Default: the SOURCE_DATE_EPOCH variable.
    #[arg(long, value_name = "N")]
    pub source_date_epoch: Option<i64>,
    /// Output layout: `docker` (a docker-archive, as `docker save` writes) or `oci` (an
    /// oci-archive, as `skopeo copy … oci-archive:` writes).
    #[arg(long, value_name = "docker|oci", default_value = "docker")]
    pub format: String,
    /// Compression of the new layer: `none`, `gzip[:LEVEL]` (0-9, default 6) or `zstd`
    /// (level 1, the pure-Rust encoder's one level). Kept layers are copied as they are.
    /// skopeo 1.9 and podman 4.3 refuse a docker-archive with a gzip layer (docker load
    /// takes it): use `--format oci` with gzip for them.
    #[arg(long, value_name = "none|gzip[:L]|zstd[:L]", default_value = "none")]
    pub compress: String,
    /// Level for `--compress` when it names none.
    #[arg(long, value_name = "LEVEL")]
    pub compress_level: Option<u32>,
    /// Print the plan (sizes and savings by cause) and write nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Print the plan as JSON.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub write: WriteArgs,
}

#[derive(Debug, Args)]
pub struct CatArgs {
    #[command(flatten)]
    pub image: ImageArgs,
    /// The file (`/etc/passwd`). Symlinks are followed inside the image only: one that leaves
    /// it, a directory or a missing path is an error (exit 2).
    pub path: OsString,
    /// Read the filesystem after this layer (position, 0 = base, or digest); default: the
    /// final filesystem. A file a later layer deletes is still there at its own layer.
    #[arg(long, value_name = "N|DIGEST")]
    pub layer: Option<String>,
}

#[derive(Debug, Args)]
pub struct ExtractArgs {
    #[command(flatten)]
    pub image: ImageArgs,
    /// The file or directory (`/etc`); a directory comes with its whole subtree. Symlinked
    /// parent directories are followed inside the image; the path itself is not (a symlink
    /// is written as a symlink).
    pub path: OsString,
    /// Where to write the tar (`-` for standard output); whole or not at all, never over the
    /// input, like `export`.
    #[arg(short, long, value_name = "OUT.tar")]
    pub output: PathBuf,
    /// The filesystem after this layer (position or digest); default: the final one.
    #[arg(long, value_name = "N|DIGEST")]
    pub layer: Option<String>,
    #[command(flatten)]
    pub write: WriteArgs,
}

#[derive(Debug, Args)]
pub struct DiffArgs {
    #[command(flatten)]
    pub image: ImageArgs,
    /// Paths to compare. A file gets a unified diff of its two versions (text) or a summary
    /// of the changed byte ranges (binary); a directory, the differing paths below it.
    /// Without a path: every differing path, one per line, `+ ` added, `~ ` changed, `- `
    /// removed, then the path and, after a tab, its type and sizes or what changed.
    pub paths: Vec<OsString>,
    /// Compare from the filesystem after this layer (position or digest), or `empty` (before
    /// the first layer). Default: the layer below --to, so the default is what --to changed.
    #[arg(long, value_name = "N|empty")]
    pub from: Option<String>,
    /// Compare to the filesystem after this layer. Default: the last.
    #[arg(long, value_name = "M")]
    pub to: Option<String>,
    /// Print the changes as JSON (schema `layerlens.diff/v1`).
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct AuditArgs {
    #[command(flatten)]
    pub image: ImageArgs,
    /// Print the audit as JSON (schema `layerlens.audit/v1`, docs/audit.md).
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct HistoryArgs {
    #[command(flatten)]
    pub image: ImageArgs,
    /// Write the history as a Dockerfile: each step as its instruction (`/bin/sh -c #(nop)`
    /// and the builders' other wrappings removed), under `# layer N` or `# empty layer`;
    /// steps no Dockerfile wrote (`umoci repack`) as comments.
    #[arg(long, conflicts_with = "json")]
    pub dockerfile: bool,
    /// Print the steps as JSON (schema `layerlens.history/v1`).
    #[arg(long)]
    pub json: bool,
}

/// Two images to compare and how strictly.
#[derive(Debug, Args)]
pub struct CompareArgs {
    /// Image A: an archive, an image directory, or `-` (standard input).
    pub a: PathBuf,
    /// Image B (may be A's archive again, with another --image-b).
    pub b: PathBuf,
    /// Image of A's archive when it holds several: a tag or a position (0, 1, …).
    #[arg(long = "image-a", value_name = "TAG|N")]
    pub select_a: Option<String>,
    /// Image of B's archive when it holds several.
    #[arg(long = "image-b", value_name = "TAG|N")]
    pub select_b: Option<String>,
    /// Platform for multi-platform images (`linux/arm64`), both sides.
    #[arg(long)]
    pub platform: Option<String>,
    /// Also compare mtimes (not directories'), history step times and the config's
    /// `created`.
    #[arg(long)]
    pub strict_mtime: bool,
    /// Also compare the history steps (text and empty-layer marks).
    #[arg(long)]
    pub strict_history: bool,
    /// Also require the same layers (diff_ids) in the same order.
    #[arg(long)]
    pub strict_layers: bool,
    /// All of --strict-mtime, --strict-history and --strict-layers.
    #[arg(long)]
    pub strict: bool,
    /// Print the comparison as JSON (schema `layerlens.compare/v1`, see docs/compare.md).
    #[arg(long)]
    pub json: bool,
    /// Directories listed, largest delta first (all of them are in --json).
    #[arg(long, value_name = "N", default_value_t = 10)]
    pub dirs: usize,
    #[command(flatten)]
    pub limits: LimitArgs,
}

/// The report to write, or the size map to print.
#[derive(Debug, Args)]
pub struct ReportArgs {
    #[command(flatten)]
    pub image: ImageArgs,
    /// Where to write the HTML report (`-` for standard output). A file appears only when
    /// complete; it may not be the input.
    #[arg(
        short,
        long,
        value_name = "REPORT.html",
        required_unless_present = "json"
    )]
    pub output: Option<PathBuf>,
    /// Print the size map as JSON (schema `layerlens.report/v1`): every tile with its path,
    /// bytes, dead bytes, layer and rectangle.
    #[arg(long, conflicts_with = "output")]
    pub json: bool,
    /// With --json: the map of this layer's files (a position or a digest prefix) instead
    /// of every file the image ships.
    #[arg(long, value_name = "N", requires = "json")]
    pub layer: Option<String>,
    /// Hash file contents first (reads every layer), so files written again with the same
    /// bytes are told apart in the waste figures, as `analyze --deep` does.
    #[arg(long)]
    pub deep: bool,
    #[command(flatten)]
    pub write: WriteArgs,
}

/// One layer's tar members as stored.
#[derive(Debug, Args)]
pub struct LayerArgs {
    #[command(flatten)]
    pub image: ImageArgs,
    /// The layer: a position (0 = base) or a digest prefix of its diff_id, chain ID or blob.
    pub layer: String,
    /// Print the members as JSON (schema `layerlens.layer/v1`).
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct DigestsArgs {
    #[command(flatten)]
    pub image: ImageArgs,
    /// Recompute every digest from the bytes (reads every layer) and say whether each matches.
    #[arg(long)]
    pub verify: bool,
    /// Print the digests as JSON (schema `layerlens.digests/v1`).
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct TourArgs {
    #[command(flatten)]
    pub image: ImageArgs,
    /// Print the steps as JSON (schema `layerlens.tour/v1`).
    #[arg(long)]
    pub json: bool,
}
