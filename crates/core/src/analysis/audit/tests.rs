#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

use super::packages::{delta, Manager};
use super::*;
use crate::fs::UnionFs;
use crate::progress::NoProgress;
use crate::testing::{docker_archive, load, LayerBuilder as L};

const DPKG_0: &[u8] = b"Package: base-files\nStatus: install ok installed\nArchitecture: amd64\nVersion: 12.4\nInstalled-Size: 341\nDescription: base\n files\n\nPackage: gone\nStatus: deinstall ok config-files\nVersion: 1\n\n";
const DPKG_1: &[u8] = b"Package: base-files\nStatus: install ok installed\nArchitecture: amd64\nVersion: 12.4\nInstalled-Size: 341\n\nPackage: curl\nStatus: install ok installed\nArchitecture: amd64\nVersion: 7.88\nInstalled-Size: 500\n";
const APK: &[u8] = b"C:Q1abc=\nP:musl\nV:1.2.4-r2\nA:x86_64\nS:383152\nI:622592\nT:the musl c library\n\nC:Q1def=\nP:busybox\nV:1.36.1-r5\nA:x86_64\nI:946176\n";

fn audit_of(layers: &[Vec<u8>]) -> Audit {
    let bytes = docker_archive(layers);
    let (mut archive, image) = load(&bytes);
    let (fs, changes) = UnionFs::build(image.indexes());
    let m = Model::new(&image, &fs, &changes);
    let c = read_contents(archive.source_mut(), &image, &wanted(m), &mut NoProgress).unwrap();
    audit(m, &c)
}

#[test]
fn dpkg_and_apk_databases_parse() {
    let d = Manager::Dpkg.parse(DPKG_0);
    assert_eq!(d.len(), 1, "config-files packages are not installed");
    assert_eq!(d[0].installed_size, 341 * 1024);
    let a = Manager::Apk.parse(APK);
    assert_eq!(a.len(), 2);
    assert_eq!((a[1].name.as_str(), a[1].installed_size), ("musl", 622_592));
    let dl = delta(&d, &Manager::Dpkg.parse(DPKG_1));
    assert_eq!(dl.installed.len(), 1);
    assert_eq!(dl.installed[0].name, "curl");
    assert!(dl.removed.is_empty());
}

#[test]
fn packages_by_layer_follow_each_version_of_the_database() {
    let l0 = L::new().file("var/lib/dpkg/status", DPKG_0).build();
    let l1 = L::new().file("var/lib/dpkg/status", DPKG_1).build();
    let l2 = L::new().file("var/lib/dpkg/status", DPKG_0).build();
    let a = audit_of(&[l0, l1, l2]);
    assert_eq!(a.layers.len(), 3);
    assert_eq!(a.layers[1].installed[0].name, "curl");
    assert_eq!(a.layers[1].installed_bytes, 500 * 1024);
    assert_eq!(a.layers[2].removed[0].name, "curl");
    assert_eq!(a.packages.len(), 1);
    assert_eq!(
        (a.packages[0].package.name.as_str(), a.packages[0].layer),
        ("base-files", 0)
    );
}

#[test]
fn a_removed_database_leaves_no_packages() {
    let l0 = L::new().file("lib/apk/db/installed", APK).build();
    let l1 = L::new().whiteout("lib/apk/db/installed").build();
    let a = audit_of(&[l0, l1]);
    assert_eq!(a.layers.len(), 2);
    assert_eq!(a.layers[0].installed.len(), 2);
    assert_eq!(a.layers[1].removed.len(), 2);
    assert!(a.packages.is_empty());
}

#[test]
fn duplicates_count_inodes_not_hardlinks() {
    let mut l0 = L::new()
        .file("a", &[1; 100])
        .file("b", &[1; 100])
        .file("c", &[2; 100])
        .hardlink("d", "a")
        .file("e", b"");
    l0.file_mode("usr/bin/passwd", b"x", 0o4755);
    let l0 = l0.dir("tmp").build();
    let l1 = L::new().file("c", &[1; 100]).build();
    let a = audit_of(&[l0, l1]);
    assert_eq!(a.duplicates.len(), 1);
    let d = &a.duplicates[0];
    assert_eq!((d.copies, d.saving, d.size), (3, 200, 100));
    let paths: Vec<&str> = d.paths.iter().map(|p| p.path.as_str()).collect();
    assert_eq!(paths, ["/a", "/b", "/c", "/d"]);
    assert_eq!(d.paths[2].layer, 1);
    assert_eq!(a.duplicate_bytes, 200);
    assert_eq!(a.special.len(), 1);
    assert!(a.special[0].setuid);
    assert_eq!(a.special[0].mode, "4755");
}

#[test]
fn accounts_tools_and_keys() {
    let l0 = L::new()
        .file(
            "etc/passwd",
            b"root:x:0:0:root:/root:/bin/bash\n# c\napp:x:1000:1000::/home/app:/usr/sbin/nologin\n",
        )
        .file("etc/group", b"root:x:0:\nadm:x:4:app,root\n")
        .file("bin/bash", b"ELF")
        .symlink("bin/sh", "bash")
        .file("usr/bin/apt-get", b"ELF")
        .file(
            "etc/ssl/private/site.key",
            b"-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----\n",
        )
        .file(
            "etc/ssl/certs/ca.pem",
            b"-----BEGIN CERTIFICATE-----\nA\n-----END CERTIFICATE-----\n-----BEGIN CERTIFICATE-----\nB\n-----END CERTIFICATE-----\n",
        )
        .build();
    let a = audit_of(&[l0]);
    assert_eq!(a.users.len(), 2);
    assert!(a.users[0].login && !a.users[1].login);
    assert_eq!(a.groups[1].members, ["app", "root"]);
    let shells: Vec<&str> = a.shells.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(shells, ["bash", "sh"]);
    assert_eq!(a.shells[1].link.as_deref(), Some("bash"));
    assert_eq!(a.package_managers[0].name, "apt-get");
    assert_eq!(a.keys.len(), 2);
    assert_eq!(
        (a.keys[0].at.path.as_str(), a.keys[0].certificates),
        ("/etc/ssl/certs/ca.pem", 2)
    );
    assert_eq!(a.keys[1].private_keys, 1);
}
