#!/usr/bin/env python3
"""Writes the docker-archive of the browser test for the file viewer's kinds of content.

Usage: see_archive.py OUT

One layer, gzipped (so the viewer decodes the layer up to each file): a PNG, a GIF, an SVG
whose script must never run (it is shown only as an image), a JSON file, a text file with
invalid UTF-8 in the middle, and a 3 MiB text file (more than one 1 MiB page).
Made with Python's tarfile and gzip, independently of layerlens.
"""

import base64
import gzip
import hashlib
import io
import json
import struct
import sys
import tarfile
import zlib



def png(width, height, rgb):
    """A real PNG of one colour (chunks with their CRCs, zlib-compressed rows)."""
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    rows = b"".join(b"\x00" + bytes(rgb) * width for _ in range(height))
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


PNG = png(3, 2, (200, 30, 30))
# A 1x1 GIF.
GIF = base64.b64decode("R0lGODlhAQABAIAAAP///wAAACH5BAEAAAAALAAAAAABAAEAAAICRAEAOw==")
SVG = (
    b'<svg xmlns="http://www.w3.org/2000/svg" width="40" height="20">'
    b'<script>window.__svgRan = true</script>'
    b'<rect width="40" height="20" fill="teal"/></svg>\n'
)


def tar_bytes(members):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as t:
        for name, payload in members:
            info = tarfile.TarInfo(name)
            info.mtime = 1_700_000_000
            if payload is None:
                info.type = tarfile.DIRTYPE
                info.mode = 0o755
                t.addfile(info)
            else:
                info.mode = 0o644
                info.size = len(payload)
                t.addfile(info, io.BytesIO(payload))
    return buf.getvalue()


def main(out):
    big = b"".join(b"line %07d of a file longer than one page\n" % i for i in range(75_000))
    layer = tar_bytes([
        ("srv", None),
        ("srv/pixel.png", PNG),
        ("srv/dot.gif", GIF),
        ("srv/logo.svg", SVG),
        ("srv/config.json", json.dumps({"b": [1, 2], "a": {"c": "d"}}).encode()),
        ("srv/latin1.txt", b"caf\xe9 au lait\nsecond line\n"),
        ("srv/big.txt", big),
    ])
    blob = gzip.compress(layer, mtime=0)
    config = json.dumps({
        "architecture": "amd64",
        "os": "linux",
        "rootfs": {"type": "layers", "diff_ids": ["sha256:" + hashlib.sha256(layer).hexdigest()]},
        "history": [{"created_by": "/bin/sh -c #(nop) COPY dir:srv in /srv "}],
    }).encode()
    manifest = json.dumps([{"Config": "config.json", "RepoTags": ["see:latest"], "Layers": ["l0/layer.tar.gz"]}]).encode()
    with open(out, "wb") as f:
        f.write(tar_bytes([("l0/layer.tar.gz", blob), ("config.json", config), ("manifest.json", manifest)]))


if __name__ == "__main__":
    main(sys.argv[1])
