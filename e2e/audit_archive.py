#!/usr/bin/env python3
"""Writes the docker-archive of the browser test for the Audit panel.

Usage: audit_archive.py OUT

Two layers, made with Python's tarfile and gzip, independently of layerlens. Layer 0 (plain):
/etc/passwd and /etc/group, a shell and a symlink to it, apt-get, a setuid passwd, a sticky
world-writable /tmp, a dpkg status with two installed packages (and one in config-files
state), two files with the same bytes and one of the same size with other bytes, a PEM private
key and a certificate bundle. Layer 1 (gzip): the dpkg status again with one package upgraded
and one new, an apk installed database, a third copy of the duplicated bytes.
"""

import gzip
import hashlib
import io
import json
import sys
import tarfile

STATUS_0 = b"""Package: base-files
Status: install ok installed
Architecture: amd64
Version: 12.4+deb12u5
Installed-Size: 341
Description: Debian base system miscellaneous files

Package: bash
Status: install ok installed
Architecture: amd64
Version: 5.2.15-2+b2
Installed-Size: 7164

Package: old-tool
Status: deinstall ok config-files
Architecture: amd64
Version: 1.0-1
Installed-Size: 12
"""

STATUS_1 = STATUS_0.replace(b"5.2.15-2+b2", b"5.2.15-2+b7") + b"""
Package: curl
Status: install ok installed
Architecture: amd64
Version: 7.88.1-10+deb12u5
Installed-Size: 500
"""

APK = b"""C:Q1SJ8ZXR4Hd9R7E0yVXxBq3ZeBqsk=
P:musl
V:1.2.4_git20230717-r4
A:x86_64
S:407278
I:663552
T:the musl c library (libc) implementation

C:Q1Uj6w7ZLrO3bLzZT0NfuqxPa9gT8=
P:busybox
V:1.36.1-r15
A:x86_64
S:509410
I:946176
T:Size optimized toolbox of many common UNIX utilities
"""

KEY = b"-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7\n-----END PRIVATE KEY-----\n"
CERTS = b"".join(
    b"-----BEGIN CERTIFICATE-----\nMIIB%dzCCAR2gAwIBAgIU\n-----END CERTIFICATE-----\n" % i for i in range(3)
)
SAME = bytes(range(256)) * 20
OTHER = bytes(reversed(range(256))) * 20


def tar_bytes(members):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as t:
        for name, payload, mode, kind in members:
            info = tarfile.TarInfo(name)
            info.mtime = 1_700_000_000
            info.mode = mode
            if kind == "dir":
                info.type = tarfile.DIRTYPE
                t.addfile(info)
            elif kind == "symlink":
                info.type = tarfile.SYMTYPE
                info.linkname = payload
                t.addfile(info)
            else:
                info.size = len(payload)
                t.addfile(info, io.BytesIO(payload))
    return buf.getvalue()


def d(name, mode=0o755):
    return (name, None, mode, "dir")


def f(name, payload, mode=0o644):
    return (name, payload, mode, "file")


def main(out):
    layer0 = tar_bytes([
        d("etc"),
        f("etc/passwd", b"root:x:0:0:root:/root:/bin/bash\ndaemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\napp:x:1000:1000::/home/app:/bin/sh\n"),
        f("etc/group", b"root:x:0:\nadm:x:4:app\napp:x:1000:\n"),
        d("etc/ssl"), d("etc/ssl/private", 0o700), d("etc/ssl/certs"),
        f("etc/ssl/private/server.key", KEY, 0o600),
        f("etc/ssl/certs/bundle.pem", CERTS),
        d("bin"),
        f("bin/bash", b"\x7fELF bash", 0o755),
        ("bin/sh", "bash", 0o777, "symlink"),
        d("usr"), d("usr/bin"),
        f("usr/bin/apt-get", b"\x7fELF apt-get", 0o755),
        f("usr/bin/passwd", b"\x7fELF passwd", 0o4755),
        d("tmp", 0o1777),
        d("var"), d("var/lib"), d("var/lib/dpkg"),
        f("var/lib/dpkg/status", STATUS_0),
        d("srv"),
        f("srv/a.bin", SAME), f("srv/b.bin", SAME), f("srv/c.bin", OTHER),
    ])
    layer1 = tar_bytes([
        f("var/lib/dpkg/status", STATUS_1),
        d("lib"), d("lib/apk"), d("lib/apk/db"),
        f("lib/apk/db/installed", APK),
        f("srv/d.bin", SAME),
    ])
    blob1 = gzip.compress(layer1, mtime=0)
    config = json.dumps({
        "architecture": "amd64",
        "os": "linux",
        "rootfs": {"type": "layers", "diff_ids": ["sha256:" + hashlib.sha256(l).hexdigest() for l in (layer0, layer1)]},
        "history": [
            {"created_by": "/bin/sh -c #(nop) ADD file:rootfs in / "},
            {"created_by": "/bin/sh -c apt-get install -y curl && apk add musl busybox"},
        ],
    }).encode()
    manifest = json.dumps([{"Config": "config.json", "RepoTags": ["audit:latest"], "Layers": ["l0/layer.tar", "l1/layer.tar.gz"]}]).encode()
    with open(out, "wb") as fh:
        fh.write(tar_bytes([
            f("l0/layer.tar", layer0), f("l1/layer.tar.gz", blob1),
            f("config.json", config), f("manifest.json", manifest),
        ]))


if __name__ == "__main__":
    main(sys.argv[1])
