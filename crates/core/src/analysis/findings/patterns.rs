//! What paths look like: secrets, package-manager caches, build tools, things a
//! `.dockerignore` should have kept out, data files. Matching is on normalised paths
//! (`usr/bin/gcc`, no leading slash), component by component.

use alloc::vec::Vec;

/// The components of a normalised path.
fn components(path: &[u8]) -> Vec<&[u8]> {
    path.split(|&b| b == b'/')
        .filter(|c| !c.is_empty())
        .collect()
}

fn file_name(path: &[u8]) -> &[u8] {
    path.rsplit(|&b| b == b'/').next().unwrap_or(path)
}

fn ext_of(name: &[u8]) -> Option<&[u8]> {
    let i = name.iter().rposition(|&b| b == b'.')?;
    (i > 0).then(|| name.get(i + 1..).unwrap_or_default())
}

fn eq_ci(a: &[u8], b: &str) -> bool {
    a.eq_ignore_ascii_case(b.as_bytes())
}

/// How sure a name is to be a secret.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Secret {
    /// A private key or credentials file by its well-known name: flagged even in the final
    /// image.
    Strong,
    /// Looks like key material (`*.pem`, `*.key`, …): flagged when deleted in a later layer
    /// (someone meant it not to ship), not when it simply ships (CA bundles, test keys).
    Weak,
}

/// Whether `path` names a secret-looking file.
pub(super) fn secret(path: &[u8]) -> Option<Secret> {
    let name = file_name(path);
    let parent = path
        .len()
        .checked_sub(name.len() + 1)
        .and_then(|end| path.get(..end))
        .map(file_name);
    const KEYS: [&str; 4] = ["id_rsa", "id_dsa", "id_ecdsa", "id_ed25519"];
    if KEYS.iter().any(|k| eq_ci(name, k)) {
        return Some(Secret::Strong);
    }
    const CREDENTIAL_FILES: [&str; 5] = [
        ".git-credentials",
        ".netrc",
        ".pypirc",
        ".pgpass",
        ".htpasswd",
    ];
    if CREDENTIAL_FILES.iter().any(|k| eq_ci(name, k)) {
        return Some(Secret::Strong);
    }
    if eq_ci(name, ".env") {
        return Some(Secret::Strong);
    }
    if parent.is_some_and(|p| eq_ci(p, ".aws")) && (eq_ci(name, "credentials")) {
        return Some(Secret::Strong);
    }
    if parent.is_some_and(|p| eq_ci(p, ".docker")) && eq_ci(name, "config.json") {
        return Some(Secret::Weak);
    }
    if parent.is_some_and(|p| eq_ci(p, ".kube")) && eq_ci(name, "config") {
        return Some(Secret::Strong);
    }
    if name.len() > 5
        && name
            .get(..5)
            .is_some_and(|p| p.eq_ignore_ascii_case(b".env."))
    {
        let rest = name.get(5..).unwrap_or_default();
        let harmless = ["example", "sample", "template", "dist", "defaults"];
        if !harmless.iter().any(|h| eq_ci(rest, h)) {
            return Some(Secret::Weak);
        }
    }
    const WEAK_NAMES: [&str; 6] = [
        ".npmrc",
        ".dockercfg",
        "secrets.yml",
        "secrets.yaml",
        "secrets.json",
        "credentials.json",
    ];
    if WEAK_NAMES.iter().any(|k| eq_ci(name, k)) {
        return Some(Secret::Weak);
    }
    if let Some(ext) = ext_of(name) {
        const WEAK_EXT: [&str; 8] = ["pem", "key", "p12", "pfx", "jks", "keystore", "kdbx", "ppk"];
        if WEAK_EXT.iter().any(|e| eq_ci(ext, e)) {
            return Some(Secret::Weak);
        }
    }
    None
}

/// A package manager whose cache or index can be left in a layer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(super) enum Cache {
    AptLists,
    AptArchives,
    Apk,
    DnfYum,
    Pip,
    Npm,
    Yarn,
    Go,
    Cargo,
    Gem,
    Composer,
}

impl Cache {
    pub fn name(self) -> &'static str {
        match self {
            Cache::AptLists => "apt package lists",
            Cache::AptArchives => "apt package archives",
            Cache::Apk => "apk cache",
            Cache::DnfYum => "dnf/yum cache",
            Cache::Pip => "pip cache",
            Cache::Npm => "npm cache",
            Cache::Yarn => "yarn cache",
            Cache::Go => "Go module and build cache",
            Cache::Cargo => "Cargo registry",
            Cache::Gem => "RubyGems cache",
            Cache::Composer => "Composer cache",
        }
    }

    /// The flag or command that avoids it.
    pub fn fix(self) -> &'static str {
        match self {
            Cache::AptLists => "End the same RUN that runs `apt-get update` with `&& rm -rf /var/lib/apt/lists/*` (the lists are only needed while installing).",
            Cache::AptArchives => "Run `apt-get clean` in the same RUN as `apt-get install` (or use a cache mount: `RUN --mount=type=cache,target=/var/cache/apt …`).",
            Cache::Apk => "Install with `apk add --no-cache …` (no index or package cache is written).",
            Cache::DnfYum => "End the install RUN with `&& dnf clean all` (or `yum clean all`), or use `--setopt=keepcache=0`.",
            Cache::Pip => "Install with `pip install --no-cache-dir …` (or set `ENV PIP_NO_CACHE_DIR=1`).",
            Cache::Npm => "Run `npm ci && npm cache clean --force` in one RUN, or use a cache mount: `RUN --mount=type=cache,target=/root/.npm npm ci`.",
            Cache::Yarn => "Run `yarn install --frozen-lockfile && yarn cache clean` in one RUN, or use a cache mount for the yarn cache directory.",
            Cache::Go => "Build in a separate stage and `COPY --from=build` only the binary; or keep the caches out of the layer with `RUN --mount=type=cache,target=/root/.cache/go-build --mount=type=cache,target=/go/pkg/mod …`.",
            Cache::Cargo => "Build in a separate stage and `COPY --from=build` only the binary; or use `RUN --mount=type=cache,target=/usr/local/cargo/registry …`.",
            Cache::Gem => "Install with `gem install --no-document` and remove the `cache/` directories in the same RUN (`bundle install && rm -rf /usr/local/bundle/cache`).",
            Cache::Composer => "Run `composer install --no-dev && composer clear-cache` in one RUN (or `COMPOSER_CACHE_DIR=/dev/null`).",
        }
    }
}

fn starts_with(comps: &[&[u8]], prefix: &[&str]) -> bool {
    comps.len() > prefix.len()
        && prefix
            .iter()
            .zip(comps)
            .all(|(p, c)| *p == "*" || c == &p.as_bytes())
}

/// `root/<rest>` or `home/<user>/<rest>`: the rest of a path under a home directory.
fn under_home<'a>(comps: &'a [&'a [u8]]) -> Option<&'a [&'a [u8]]> {
    match comps.first().copied() {
        Some(b"root") => comps.get(1..),
        Some(b"home") => comps.get(2..),
        _ => None,
    }
}

/// Whether `path` (a regular file) belongs to a package manager's cache or index.
pub(super) fn cache(path: &[u8]) -> Option<Cache> {
    // Most paths are nowhere near a cache: decide those without splitting.
    const ROOTS: [&[u8]; 6] = [
        b"var/",
        b"root/",
        b"home/",
        b"usr/local/",
        b"go/",
        b"etc/apk/",
    ];
    if !ROOTS.iter().any(|r| path.starts_with(r)) {
        return None;
    }
    let c = components(path);
    let name = file_name(path);
    if starts_with(&c, &["var", "lib", "apt", "lists"]) {
        // `lock` and `partial/` are the empty skeleton apt keeps.
        if name == b"lock" || c.get(4) == Some(&&b"partial"[..]) {
            return None;
        }
        return Some(Cache::AptLists);
    }
    if starts_with(&c, &["var", "cache", "apt"]) {
        if name == b"lock" || c.contains(&&b"partial"[..]) {
            return None;
        }
        return Some(Cache::AptArchives);
    }
    if starts_with(&c, &["var", "cache", "apk"]) || starts_with(&c, &["etc", "apk", "cache"]) {
        return Some(Cache::Apk);
    }
    if starts_with(&c, &["var", "cache", "dnf"]) || starts_with(&c, &["var", "cache", "yum"]) {
        return Some(Cache::DnfYum);
    }
    if starts_with(&c, &["usr", "local", "share", ".cache", "yarn"]) {
        return Some(Cache::Yarn);
    }
    if starts_with(&c, &["go", "pkg", "mod"]) {
        return Some(Cache::Go);
    }
    if starts_with(&c, &["usr", "local", "cargo", "registry"])
        || starts_with(&c, &["usr", "local", "cargo", "git"])
    {
        return Some(Cache::Cargo);
    }
    if starts_with(&c, &["usr", "local", "bundle", "cache"]) {
        return Some(Cache::Gem);
    }
    if let Some(rest) = under_home(&c) {
        if starts_with(rest, &[".cache", "pip"]) {
            return Some(Cache::Pip);
        }
        if starts_with(rest, &[".npm", "_cacache"]) {
            return Some(Cache::Npm);
        }
        if starts_with(rest, &[".cache", "yarn"])
            || starts_with(rest, &[".yarn-cache"])
            || starts_with(rest, &[".yarn", "berry", "cache"])
        {
            return Some(Cache::Yarn);
        }
        if starts_with(rest, &["go", "pkg", "mod"]) || starts_with(rest, &[".cache", "go-build"]) {
            return Some(Cache::Go);
        }
        if starts_with(rest, &[".cargo", "registry"]) || starts_with(rest, &[".cargo", "git"]) {
            return Some(Cache::Cargo);
        }
        if starts_with(rest, &[".gem", "*", "*", "cache"]) {
            return Some(Cache::Gem);
        }
        if starts_with(rest, &[".composer", "cache"]) || starts_with(rest, &[".cache", "composer"])
        {
            return Some(Cache::Composer);
        }
    }
    if starts_with(&c, &["var", "lib", "gems", "*", "cache"]) {
        return Some(Cache::Gem);
    }
    None
}

/// Compilers, headers and build tools: what a runtime image does not need.
pub(super) fn build_tool(path: &[u8]) -> bool {
    const ROOTS: [&[u8]; 4] = [b"usr/", b"bin/", b"root/", b"home/"];
    if !ROOTS.iter().any(|r| path.starts_with(r)) {
        return false;
    }
    let c = components(path);
    let name = file_name(path);
    let in_bin = matches!(
        c.as_slice(),
        [b"usr", b"bin", _] | [b"usr", b"local", b"bin", _] | [b"bin", _]
    );
    if in_bin {
        const TOOLS: [&str; 22] = [
            "gcc", "g++", "cc", "c++", "cpp", "clang", "clang++", "gfortran", "rustc", "javac",
            "tcc", "make", "cmake", "ninja", "autoconf", "automake", "libtool", "meson", "bison",
            "flex", "ld", "as",
        ];
        if TOOLS.iter().any(|t| name == t.as_bytes()) {
            return true;
        }
        // Versioned and cross compilers: gcc-12, x86_64-linux-gnu-gcc-12, clang-16.
        for base in ["gcc-", "g++-", "clang-", "cpp-"] {
            if name.starts_with(base.as_bytes()) {
                return true;
            }
        }
        if name.windows(5).any(|w| w == b"-gcc-" || w == b"-g++-")
            || name.ends_with(b"-gcc")
            || name.ends_with(b"-g++")
        {
            return true;
        }
    }
    if starts_with(&c, &["usr", "lib", "gcc"]) || starts_with(&c, &["usr", "libexec", "gcc"]) {
        return true;
    }
    if starts_with(&c, &["usr", "local", "go", "pkg", "tool"]) || path == b"usr/local/go/bin/go" {
        return true;
    }
    if let Some(rest) = under_home(&c) {
        if starts_with(rest, &[".rustup", "toolchains"]) {
            return true;
        }
    }
    if starts_with(&c, &["usr", "local", "rustup", "toolchains"]) {
        return true;
    }
    let header = ext_of(name).is_some_and(|e| e == b"h" || e == b"hpp" || e == b"hh");
    header
        && (starts_with(&c, &["usr", "include"]) || starts_with(&c, &["usr", "local", "include"]))
}

/// What kind of unwanted build-context content a directory is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(super) enum Junk {
    /// `.git`, `.svn`, `.hg`, `.bzr`.
    Vcs,
    /// `.idea`, `.vscode`, swap files, `.DS_Store`.
    Editor,
    /// `node_modules` copied from the build context.
    NodeModules,
    /// `tests`, `test`, `__tests__`, `spec`, `coverage`, `.pytest_cache`, `.tox`.
    Tests,
    /// `docs`, `doc`, `examples`.
    Docs,
}

impl Junk {
    pub fn name(self) -> &'static str {
        match self {
            Junk::Vcs => "version-control metadata",
            Junk::Editor => "editor files",
            Junk::NodeModules => "node_modules from the build context",
            Junk::Tests => "tests",
            Junk::Docs => "documentation",
        }
    }
}

/// System directories whose contents come from packages, not from the build context.
fn system(c: &[&[u8]]) -> bool {
    matches!(
        c.first().copied(),
        Some(
            b"usr"
                | b"lib"
                | b"lib32"
                | b"lib64"
                | b"libx32"
                | b"bin"
                | b"sbin"
                | b"etc"
                | b"var"
                | b"proc"
                | b"sys"
                | b"dev"
                | b"run"
        )
    )
}

/// The junk directory (its path length in components) `path` lies in, if any. `copied`:
/// the layer came from `COPY`/`ADD`, so the build context's contents count.
pub(super) fn junk(path: &[u8], copied: bool) -> Option<(Junk, usize)> {
    // Most paths have no component junk could name: one pass over the bytes says so without
    // collecting the components (twelve substring scans did it before, 43 ms of `large`'s
    // waste report in wasm).
    if !path.split(|&b| b == b'/').any(|c| junk_name(c, copied)) {
        return None;
    }
    junk_in(path, copied)
}

/// Whether `junk_in` could name this component (exactly the names it matches, without their
/// conditions on position).
fn junk_name(comp: &[u8], copied: bool) -> bool {
    match comp {
        b".git" | b".svn" | b".hg" | b".bzr" | b".idea" | b".vscode" | b".DS_Store"
        | b"Thumbs.db" => true,
        n if n.starts_with(b".") && (n.ends_with(b".swp") || n.ends_with(b".swo")) => true,
        b"node_modules" | b"tests" | b"test" | b"__tests__" | b"spec" | b"coverage"
        | b".pytest_cache" | b".tox" | b".nyc_output" | b"docs" | b"doc" | b"examples" => copied,
        _ => false,
    }
}

/// [`junk`] without its filter.
fn junk_in(path: &[u8], copied: bool) -> Option<(Junk, usize)> {
    let c = components(path);
    for (i, comp) in c.iter().enumerate() {
        let last = i + 1 == c.len();
        let kind = match *comp {
            b".git" | b".svn" | b".hg" | b".bzr" => Some(Junk::Vcs),
            b".idea" | b".vscode" => Some(Junk::Editor),
            b".DS_Store" | b"Thumbs.db" if last => Some(Junk::Editor),
            n if last && (n.ends_with(b".swp") || n.ends_with(b".swo")) && n.starts_with(b".") => {
                Some(Junk::Editor)
            }
            _ if !copied || system(&c) => None,
            b"node_modules" => Some(Junk::NodeModules),
            b"tests" | b"test" | b"__tests__" | b"spec" | b"coverage" | b".pytest_cache"
            | b".tox" | b".nyc_output"
                if !last =>
            {
                Some(Junk::Tests)
            }
            b"docs" | b"doc" | b"examples" if !last => Some(Junk::Docs),
            _ => None,
        };
        if let Some(k) = kind {
            // Tests and docs inside node_modules belong to the node_modules finding.
            return Some((k, i + 1));
        }
    }
    None
}

/// Whether `path` is a data-like file (by extension) outside package databases.
pub(super) fn data_file(path: &[u8]) -> bool {
    let c = components(path);
    if starts_with(&c, &["var", "lib", "rpm"])
        || starts_with(&c, &["var", "lib", "dpkg"])
        || starts_with(&c, &["usr", "lib", "sysimage"])
        || starts_with(&c, &["var", "cache"])
    {
        return false;
    }
    let Some(ext) = ext_of(file_name(path)) else {
        return false;
    };
    const EXT: [&str; 27] = [
        "csv",
        "tsv",
        "parquet",
        "feather",
        "arrow",
        "orc",
        "avro",
        "jsonl",
        "ndjson",
        "sqlite",
        "sqlite3",
        "db",
        "mdb",
        "h5",
        "hdf5",
        "npy",
        "npz",
        "pkl",
        "pickle",
        "pt",
        "pth",
        "onnx",
        "safetensors",
        "ckpt",
        "tfrecord",
        "xlsx",
        "dump",
    ];
    EXT.iter().any(|e| eq_ci(ext, e))
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn secrets() {
        assert_eq!(secret(b"root/.ssh/id_rsa"), Some(Secret::Strong));
        assert_eq!(secret(b"root/.ssh/id_rsa.pub"), None);
        assert_eq!(secret(b"app/.env"), Some(Secret::Strong));
        assert_eq!(secret(b"app/.env.production"), Some(Secret::Weak));
        assert_eq!(secret(b"app/.env.example"), None);
        assert_eq!(secret(b"etc/ssl/certs/ca.pem"), Some(Secret::Weak));
        assert_eq!(secret(b"root/.aws/credentials"), Some(Secret::Strong));
        assert_eq!(secret(b"usr/bin/env"), None);
    }

    #[test]
    fn caches() {
        assert_eq!(
            cache(b"var/lib/apt/lists/deb.debian.org_dists_bookworm_InRelease"),
            Some(Cache::AptLists)
        );
        assert_eq!(cache(b"var/lib/apt/lists/lock"), None);
        assert_eq!(
            cache(b"var/cache/apt/archives/curl.deb"),
            Some(Cache::AptArchives)
        );
        assert_eq!(cache(b"root/.cache/pip/http/a/b"), Some(Cache::Pip));
        assert_eq!(cache(b"home/app/.cache/pip/x"), Some(Cache::Pip));
        assert_eq!(cache(b"root/.npm/_cacache/index-v5/00/x"), Some(Cache::Npm));
        assert_eq!(
            cache(b"usr/local/share/.cache/yarn/v6/x"),
            Some(Cache::Yarn)
        );
        assert_eq!(cache(b"root/go/pkg/mod/cache/x"), Some(Cache::Go));
        assert_eq!(
            cache(b"usr/local/cargo/registry/cache/x.crate"),
            Some(Cache::Cargo)
        );
        assert_eq!(cache(b"var/cache/apk/APKINDEX.tar.gz"), Some(Cache::Apk));
        assert_eq!(cache(b"usr/lib/x"), None);
    }

    #[test]
    fn build_tools() {
        assert!(build_tool(b"usr/bin/gcc"));
        assert!(build_tool(b"usr/bin/x86_64-linux-gnu-gcc-12"));
        assert!(build_tool(b"usr/include/stdio.h"));
        assert!(build_tool(b"usr/lib/gcc/x86_64-linux-gnu/12/cc1"));
        assert!(!build_tool(b"usr/bin/python3"));
        assert!(!build_tool(b"app/include/x.h"));
    }

    #[test]
    fn junk_dirs() {
        assert_eq!(junk(b"app/.git/HEAD", false), Some((Junk::Vcs, 2)));
        assert_eq!(
            junk(b"app/node_modules/x/index.js", true),
            Some((Junk::NodeModules, 2))
        );
        assert_eq!(junk(b"app/node_modules/x/index.js", false), None);
        assert_eq!(junk(b"app/tests/test_a.py", true), Some((Junk::Tests, 2)));
        assert_eq!(
            junk(b"usr/lib/python3/dist-packages/x/tests/a.py", true),
            None
        );
        assert_eq!(junk(b"app/test", true), None);
    }

    /// The filter drops only paths the full match would not name: every path of up to three
    /// components from names junk matches, near misses and ordinary ones, both ways copied.
    #[test]
    fn junk_filter_keeps_every_match() {
        let names: [&[u8]; 24] = [
            b".git",
            b".gitignore",
            b"git",
            b".svn",
            b".hg",
            b".bzr",
            b".idea",
            b".vscode",
            b".DS_Store",
            b"Thumbs.db",
            b".a.swp",
            b"a.swp",
            b".swo",
            b"node_modules",
            b"tests",
            b"test",
            b"testing",
            b"__tests__",
            b"spec",
            b"coverage",
            b".tox",
            b"docs",
            b"examples",
            b"usr",
        ];
        let mut named = 0;
        for a in names {
            for b in names {
                for c in names {
                    for path in [[a, b, c].join(&b'/'), [a, b].join(&b'/'), a.to_vec()] {
                        for copied in [false, true] {
                            let full = junk_in(&path, copied);
                            named += usize::from(full.is_some());
                            assert_eq!(
                                junk(&path, copied),
                                full,
                                "{:?}",
                                alloc::string::String::from_utf8_lossy(&path)
                            );
                        }
                    }
                }
            }
        }
        assert!(
            named > 10_000,
            "the names matched too rarely to test the filter: {named}"
        );
    }

    #[test]
    fn data_files() {
        assert!(data_file(b"app/data/train.csv"));
        assert!(data_file(b"models/model.safetensors"));
        assert!(!data_file(b"var/lib/rpm/rpmdb.sqlite"));
        assert!(!data_file(b"app/main.py"));
    }
}
