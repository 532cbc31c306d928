#!/usr/bin/env python3
"""Writes the docker-archives of the browser tests for layout, keyboard, phone and bugs.

Usage: odd_archive.py MANY NAMES

MANY: 66 layers. L0 is a 2 MiB base (bin/base.bin and etc/), each of the 65 layers above
adds a small file in app/ and deletes or overwrites the one before it (so tiny layers have
waste and findings), the way a long `RUN` chain of a real image looks.
NAMES: two layers whose L0 adds names people trip on: one with a newline, one with bytes that
are not UTF-8, a 255-byte name, a name that is a single space; L1 overwrites the newline one
and removes the 255-byte one (so each has a history).
Made with Python's tarfile (GNU format; non-UTF-8 bytes kept as they are).
"""

import hashlib
import io
import json
import sys
import tarfile


def tar_bytes(members):
    """A tar of (name, kind, data) members; names may carry surrogate escapes (raw bytes)."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.GNU_FORMAT, encoding="utf-8", errors="surrogateescape") as t:
        for name, kind, payload in members:
            info = tarfile.TarInfo(name)
            info.mtime = 1_700_000_000
            info.mode = 0o755 if kind == "dir" else 0o644
            if kind == "dir":
                info.type = tarfile.DIRTYPE
                t.addfile(info)
            else:
                info.size = len(payload)
                t.addfile(info, io.BytesIO(payload))
    return buf.getvalue()


def archive(path, layers, steps, tags):
    diff_ids = ["sha256:" + hashlib.sha256(l).hexdigest() for l in layers]
    config = json.dumps({
        "architecture": "amd64",
        "os": "linux",
        "config": {"Env": ["PATH=/usr/bin:/bin"]},
        "rootfs": {"type": "layers", "diff_ids": diff_ids},
        "history": [{"created_by": s} for s in steps],
    }).encode()
    names = [f"l{i}/layer.tar" for i in range(len(layers))]
    manifest = json.dumps([{"Config": "config.json", "RepoTags": tags, "Layers": names}]).encode()
    members = [(n, "file", l) for n, l in zip(names, layers)]
    members += [("config.json", "file", config), ("manifest.json", "file", manifest)]
    with open(path, "wb") as f:
        f.write(tar_bytes(members))


def many(path):
    layers = [tar_bytes([
        ("bin", "dir", None),
        ("bin/base.bin", "file", bytes(range(256)) * 8192),
        ("etc", "dir", None),
        ("etc/os-release", "file", b"NAME=odd\n"),
    ])]
    steps = ["/bin/sh -c #(nop) ADD base.tar /"]
    for i in range(1, 66):
        members = [("app", "dir", None), (f"app/step{i:02}.txt", "file", bytes([i]) * (700 + 37 * i))]
        if i > 1 and i % 2 == 0:
            members.append((f"app/.wh.step{i - 1:02}.txt", "file", b""))
        elif i > 1:
            members.append((f"app/step{i - 2:02}.txt" if i > 2 else "etc/os-release", "file", b"changed %d\n" % i))
        layers.append(tar_bytes(members))
        steps.append(f"/bin/sh -c echo step {i} > /app/step{i:02}.txt && rm -f /app/step{i - 1:02}.txt")
    archive(path, layers, steps, ["odd/many:66"])


def names(path):
    long_name = "n" * 251 + ".txt"
    l0 = tar_bytes([
        ("odd", "dir", None),
        ("odd/line\nbreak.txt", "file", b"a" * 1200),
        ("odd/caf\udce9.txt", "file", b"b" * 1300),
        (f"odd/{long_name}", "file", b"c" * 1400),
        ("odd/ ", "file", b"d" * 1500),
    ])
    l1 = tar_bytes([
        ("odd", "dir", None),
        ("odd/line\nbreak.txt", "file", b"A" * 1250),
        (f"odd/.wh.{long_name}", "file", b""),
    ])
    steps = ["/bin/sh -c #(nop) COPY odd /odd", "/bin/sh -c echo A > '/odd/line\nbreak.txt' && rm /odd/n*.txt"]
    archive(path, [l0, l1], steps, ["odd/names:1"])


if __name__ == "__main__":
    many(sys.argv[1])
    names(sys.argv[2])
