//! Command-line arguments. The doc comments are the `--help` text.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

/// Analyze, export and squash container image archives (`docker save`, `podman save`,
/// oci-archive). Everything runs locally.
#[derive(Debug, Parser)]
#[command(name = "layerlens", version, about)]
pub struct Cli {
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
}

/// Which image in the archive.
#[derive(Debug, Args, Clone)]
pub struct ImageArgs {
    /// The image archive (a `docker save` tarball, optionally gzipped, or an oci-archive).
    pub image: PathBuf,
    /// Image to use when the archive holds several: a tag or a position (0, 1, …).
    #[arg(long = "image", value_name = "TAG|N")]
    pub select: Option<String>,
    /// Platform for multi-platform images (`linux/arm64`).
    #[arg(long)]
    pub platform: Option<String>,
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
}

#[derive(Debug, Args)]
pub struct ExportArgs {
    #[command(flatten)]
    pub image: ImageArgs,
    /// Where to write the tar (`-` for standard output).
    #[arg(short, long, value_name = "ROOTFS.tar")]
    pub output: PathBuf,
}

#[derive(Debug, Args)]
pub struct SquashArgs {
    #[command(flatten)]
    pub image: ImageArgs,
    /// Where to write the squashed image (a docker-archive tar).
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
    /// Print the plan (sizes and savings by cause) and write nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Print the plan as JSON.
    #[arg(long)]
    pub json: bool,
}
