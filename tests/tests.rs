//! layerlens against real tools on real data: one integration binary (ripgrep style).
//!
//! - `analyze`: every shared fixture, compared with GNU tar's own listing of the layers (and
//!   with dive's layer sizes); the two broken fixtures are refused.
//! - `export`: the exported rootfs equals what skopeo + umoci unpack; `--platform`.
//! - `squash`: squashed archives load in skopeo, umoci and podman and keep the rootfs.
//! - `squash_options`: `squash --drop/--format/--compress/--source-date-epoch` against skopeo,
//!   umoci and podman; buildah images built apart squash to the same bytes with an epoch.
//! - `buildah`: images built here with buildah for the edge cases, analyzed, exported and
//!   squashed.
//! - `cli`: process-level behaviour: exit codes, messages, pipes, argument validation.
//! - `names`: names with bidirectional overrides and zero-width characters reach no terminal
//!   raw.
//! - `unsafe_code`: every crate root forbids unsafe code but crates/memcmp.
//! - `module_graph`: core's modules follow the layered diagram in its lib.rs, without cycles.
//! - `output`: outputs appear whole or not at all and never over the input (signals, a full
//!   filesystem, a failure mid-write, `-o -` into skopeo and podman).
//! - `install`: `cargo install --path crates/cli` into an empty prefix; completions, man pages,
//!   `--color`.
//! - `recipes`: the CI recipe of docs/ci.md, run with buildah and skopeo (scripts/ci-recipe).
//! - `pipes`: `-`, `/dev/stdin` and FIFOs read in one pass give the file's results; commands
//!   that need contents spool the pipe.
//! - `see_inside`: `cat` and `extract` of any file or subtree after any layer against GNU tar
//!   and umoci's unpack of the first N+1 layers; `diff` against umoci and `diff -u`;
//!   `history --dockerfile`.
//! - `compare`: `compare` on buildah-built pairs (a rebuild, a base bump, a cache deleted in
//!   the same step, a squash, docker vs oci archives) against a walk of the two unpacked trees.
//! - `raw_layer`: `layer` and `digests` against GNU tar, Python's tarfile, sha256 and
//!   `skopeo inspect --raw`; the sample's whiteout markers linked to what they remove.
//! - `dirs`: image directories (skopeo's `oci:` and `dir:`, an unpacked `docker save`) give
//!   the archive's analysis, export and squash; directories that are no image are refused.
//! - `audit`: `layerlens audit` against dpkg-query, a hash walk and `find -perm` on umoci's
//!   rootfs of a debootstrap image, and against a second apk database reader.
//! - `report`: `report` against `analyze --json` on every fixture and the sample; no request
//!   leaves the page; the size map's sums.
//!
//! Shared machinery: `macros` (the fixture list), `util` (paths, the binary, commands),
//! `reference` (reading archives and layers without layerlens), `rootfs` (trees and their
//! comparison), `peers` (skopeo + umoci unpack, private podman stores).
//!
//! Peer tools are required: a missing one fails the test with an install hint
//! (`scripts/setup test`).
#![forbid(unsafe_code)]

#[macro_use]
mod macros;

mod analyze;
mod audit;
mod buildah;
mod cli;
mod compare;
mod dirs;
mod export;
mod hostile;
mod install;
mod module_graph;
mod names;
mod output;
mod peers;
mod pipes;
mod raw_layer;
mod recipes;
mod reference;
mod report;
mod rootfs;
mod secrets;
mod see_inside;
mod squash;
mod squash_options;
mod unsafe_code;
mod util;
mod wasm_unit_tests;
mod waste;
