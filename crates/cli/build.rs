// Build script: embeds the commit (see build_commit.rs).
#![forbid(unsafe_code)]
include!("build_commit.rs");

fn main() {
    emit_commit();
}
