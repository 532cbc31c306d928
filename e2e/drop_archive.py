#!/usr/bin/env python3
"""Writes the docker-archive of the browser test for the squash panel's "drop these" boxes.

Usage: drop_archive.py OUT

Two uncompressed layers: an app copied with its `.git` directory, then an `apt-get install`
that left its downloaded packages in /var/cache/apt/archives, and a hardlink into the app.
Findings point at both, so the page offers them as drops. Made with Python's tarfile,
independently of layerlens.
"""

import hashlib
import io
import json
import random
import sys
import tarfile


def tar_bytes(members):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as t:
        for name, payload, link in members:
            info = tarfile.TarInfo(name)
            info.mtime = 1_700_000_000
            if link is not None:
                info.type = tarfile.LNKTYPE
                info.linkname = link
                t.addfile(info)
            elif payload is None:
                info.type = tarfile.DIRTYPE
                info.mode = 0o755
                t.addfile(info)
            else:
                info.mode = 0o644
                info.size = len(payload)
                t.addfile(info, io.BytesIO(payload))
    return buf.getvalue()


def noise(n, seed):
    r = random.Random(seed)
    return bytes(r.getrandbits(8) for _ in range(n))


def main(out):
    l0 = tar_bytes([
        ("app", None, None),
        ("app/main.py", b"print('hello')\n" * 200, None),
        ("app/.git", None, None),
        ("app/.git/HEAD", b"ref: refs/heads/main\n", None),
        ("app/.git/objects", None, None),
        ("app/.git/objects/pack.pack", noise(400_000, 1), None),
    ])
    l1 = tar_bytes([
        ("var", None, None),
        ("var/cache", None, None),
        ("var/cache/apt", None, None),
        ("var/cache/apt/archives", None, None),
        ("var/cache/apt/archives/tool_1.0_amd64.deb", noise(600_000, 2), None),
        ("usr", None, None),
        ("usr/bin", None, None),
        ("usr/bin/tool", b"#!/bin/sh\necho tool\n" * 100, None),
        ("app/main-link.py", None, "app/main.py"),
    ])
    config = json.dumps({
        "architecture": "amd64",
        "os": "linux",
        "rootfs": {"type": "layers", "diff_ids": ["sha256:" + hashlib.sha256(l).hexdigest() for l in (l0, l1)]},
        "history": [
            {"created": "2024-01-01T00:00:00Z", "created_by": "COPY . /app # buildkit"},
            {"created": "2024-01-01T00:00:01Z", "created_by": "RUN /bin/sh -c apt-get install -y tool # buildkit"},
        ],
    }).encode()
    manifest = json.dumps([{"Config": "config.json", "RepoTags": ["drop:latest"], "Layers": ["l0/layer.tar", "l1/layer.tar"]}]).encode()
    with open(out, "wb") as f:
        f.write(tar_bytes([("l0/layer.tar", l0, None), ("l1/layer.tar", l1, None), ("config.json", config, None), ("manifest.json", manifest, None)]))


if __name__ == "__main__":
    main(sys.argv[1])
