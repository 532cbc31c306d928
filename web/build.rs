// Build script: embeds the commit, as the CLI does (see ../crates/cli/build_commit.rs).
#![forbid(unsafe_code)]
include!("../crates/cli/build_commit.rs");

fn main() {
    emit_commit();
}
