//! The fixture list, as a macro so each module can turn it into one `#[test]` per fixture
//! (parallel, and named after the fixture when it fails). `analyze::fixture_list_is_complete`
//! checks that this list names every archive under `tests/fixtures`, so a new fixture
//! cannot be skipped by accident.

/// Calls `$callback! { name => "path below the fixtures dir", … }` with every archive that a
/// reader must accept.
macro_rules! valid_fixtures {
    ($callback:ident) => {
        $callback! {
            dive_docker => "real/dive/test-docker-image.tar",
            dive_kaniko => "real/dive/test-kaniko-image.tar",
            dive_oci_estargz => "real/dive/test-oci-estargz-image.tar",
            dive_oci_gzip => "real/dive/test-oci-gzip-image.tar",
            dive_oci_uncompressed => "real/dive/test-oci-uncompressed-image.tar",
            dive_oci_zstd => "real/dive/test-oci-zstd-image.tar",
            ggcr_overwritten_file => "real/ggcr/mutate__overwritten_file.tar",
            ggcr_source_image => "real/ggcr/mutate__source_image.tar",
            ggcr_source_image_empty_layer_history => "real/ggcr/mutate__source_image_with_empty_layer_history.tar",
            ggcr_whiteout_dir => "real/ggcr/mutate__whiteout_dir.tar",
            ggcr_whiteout_image => "real/ggcr/mutate__whiteout_image.tar",
            ggcr_hello_world_v25 => "real/ggcr/tarball__hello-world-v25.tar",
            ggcr_test_bundle => "real/ggcr/tarball__test_bundle.tar",
            ggcr_test_image_1 => "real/ggcr/tarball__test_image_1.tar",
            ggcr_test_image_2 => "real/ggcr/tarball__test_image_2.tar",
            ggcr_test_link => "real/ggcr/tarball__test_link.tar",
            built_tiny_docker => "built/tiny.docker.tar",
            built_tiny_oci => "built/tiny.oci.tar",
            built_tiny_oci_uncompressed => "built/tiny.oci-uncompressed.tar",
            built_tiny_umoci_docker => "built/tiny_umoci.docker.tar",
            built_tiny_umoci_oci => "built/tiny_umoci.oci.tar",
            built_whiteouts_docker => "built/whiteouts.docker.tar",
            built_whiteouts_oci => "built/whiteouts.oci.tar",
            built_whiteouts_oci_uncompressed => "built/whiteouts.oci-uncompressed.tar",
            built_whiteouts_vfs_docker => "built/whiteouts_vfs.docker.tar",
            built_whiteouts_vfs_oci => "built/whiteouts_vfs.oci.tar",
            built_whiteouts_vfs_oci_uncompressed => "built/whiteouts_vfs.oci-uncompressed.tar",
            built_secrets_docker => "built/secrets.docker.tar",
            built_secrets_oci => "built/secrets.oci.tar",
            built_secrets_oci_uncompressed => "built/secrets.oci-uncompressed.tar",
        }
    };
}

/// The archives every reader must reject (hand-made negative cases from go-containerregistry).
pub const INVALID_FIXTURES: &[&str] = &[
    "real/ggcr/tarball__no_manifest.tar",
    "real/ggcr/tarball__null_manifest.tar",
];

macro_rules! fixture_paths {
    ($($name:ident => $path:literal),* $(,)?) => {
        pub const VALID_FIXTURES: &[&str] = &[$($path),*];
    };
}
valid_fixtures!(fixture_paths);
