#!/usr/bin/env python3
"""Writes the docker-archives of the browser test for names that read as other names.

Usage: names_archive.py GOOD BROKEN

GOOD: two layers. L0 adds app/evil<U+202E>gnp.exe (shown raw it reads "evilexe.png"), a
symlink app/li<U+200B>nk to it, and tmp/zero<U+200B>width.txt, which L1 deletes (a finding
that names it). The tag and the build steps carry the same characters.
BROKEN: its manifest names a layer member l<U+202E>9/layer.tar that is not in the archive.
Made with Python's tarfile, so the names travel in PAX headers (the Rust test in
tests/names.rs writes them into plain GNU headers).
"""

import hashlib
import io
import json
import sys
import tarfile

RLO = "\u202e"
ZWSP = "\u200b"


def tar_bytes(members):
    """A tar of (name, kind, data or link target) members."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as t:
        for name, kind, payload in members:
            info = tarfile.TarInfo(name)
            info.mtime = 1_700_000_000
            info.mode = 0o755 if kind == "dir" else 0o644
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


def archive(layers, steps, tags, layer_names=None):
    diff_ids = ["sha256:" + hashlib.sha256(l).hexdigest() for l in layers]
    names = layer_names or [f"l{i}/layer.tar" for i in range(len(layers))]
    config = json.dumps({
        "architecture": "amd64",
        "os": "linux",
        "rootfs": {"type": "layers", "diff_ids": diff_ids},
        "history": [{"created_by": s} for s in steps],
    }).encode()
    manifest = json.dumps([{"Config": "config.json", "RepoTags": tags, "Layers": names}]).encode()
    members = [(f"l{i}/layer.tar", "file", l) for i, l in enumerate(layers)]
    members += [("config.json", "file", config), ("manifest.json", "file", manifest)]
    return tar_bytes(members)


def main(good, broken):
    l0 = tar_bytes([
        ("app", "dir", None),
        (f"app/evil{RLO}gnp.exe", "file", b"\x01" * 1500),
        (f"app/li{ZWSP}nk", "symlink", f"evil{RLO}gnp.exe"),
        ("tmp", "dir", None),
        (f"tmp/zero{ZWSP}width.txt", "file", b"\x02" * 3000),
    ])
    l1 = tar_bytes([(f"tmp/.wh.zero{ZWSP}width.txt", "file", b"")])
    steps = [
        f"/bin/sh -c #(nop) COPY app/evil{RLO}gnp.exe /app/",
        f"/bin/sh -c rm /tmp/zero{ZWSP}width.txt",
    ]
    with open(good, "wb") as f:
        f.write(archive([l0, l1], steps, [f"names:ev{RLO}il"]))
    with open(broken, "wb") as f:
        f.write(archive([l0], steps[:1], ["names:broken"], [f"l{RLO}9/layer.tar"]))


if __name__ == "__main__":
    main(*sys.argv[1:3])
