// Build script: embeds the commit (see build_commit.rs).
include!("build_commit.rs");

fn main() {
    emit_commit();
}
