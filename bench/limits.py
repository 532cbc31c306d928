#!/usr/bin/env python3
"""Physical limits measured in the same run as the tools: how fast this machine reads the
image file from the page cache, hashes it with SHA-256, and decompresses its gzip layers
(`pigz -d` where installed, else `gzip -d`) and the same bytes as zstd (`zstd -d`). Each
layerlens figure in results.md is then shown as a fraction of the limit that bounds it.

Usage (standalone): bench/limits.py IMAGE.docker.tar [IMAGE.oci.tar]  -> JSON on stdout
"""
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time

CHUNK = 16 << 20


def _timed(argv, stdin=None):
    t0 = time.perf_counter()
    subprocess.run(argv, stdin=stdin, stdout=subprocess.DEVNULL, check=True)
    return time.perf_counter() - t0


def _best(fn, reps=3):
    return min(fn() for _ in range(reps))


def gzip_members(oci):
    """(offset, size) of every member of an oci-archive whose bytes start with gzip's magic."""
    out = []
    with tarfile.open(oci) as t, open(oci, "rb") as f:
        for m in t:
            if m.isfile() and m.size > 2:
                f.seek(m.offset_data)
                if f.read(2) == b"\x1f\x8b":
                    out.append((m.offset_data, m.size))
    return out


def _copy_range(src, off, size, dst):
    with open(src, "rb") as f, open(dst, "wb") as o:
        f.seek(off)
        left = size
        while left:
            b = f.read(min(CHUNK, left))
            if not b:
                break
            o.write(b)
            left -= len(b)


def measure(docker, oci=None, reps=3):
    """The limits for one image. Times are the best of `reps` (a limit, not a typical run)."""
    size = os.path.getsize(docker)
    r = {"bytes": size}
    with open(docker, "rb") as f:  # warm the page cache
        while f.read(CHUNK):
            pass
    r["read_s"] = _best(lambda: _timed(["cat", docker]), reps)
    r["sha256_s"] = _best(lambda: _timed(["sha256sum", docker]), reps)
    r["read_mb_s"] = size / 1e6 / r["read_s"]
    r["sha256_mb_s"] = size / 1e6 / r["sha256_s"]
    if not oci:
        return r
    members = gzip_members(oci)
    if not members:
        return r
    gunzip = ["pigz", "-dc"] if shutil.which("pigz") else ["gzip", "-dc"]
    r["gunzip_tool"] = gunzip[0]
    with tempfile.TemporaryDirectory(dir=os.path.dirname(os.path.abspath(oci))) as tmp:
        blobs = []
        for i, (off, n) in enumerate(members):
            p = os.path.join(tmp, f"layer{i}.gz")
            _copy_range(oci, off, n, p)
            blobs.append(p)
        compressed = sum(n for _, n in members)
        # Uncompressed size, once (and the same bytes as zstd, for zstd -d's rate).
        plain = 0
        zst = []
        for p in blobs:
            z = p[:-3] + ".zst"
            with open(p, "rb") as src, open(z, "wb") as dst:
                g = subprocess.Popen(["gzip", "-dc"], stdin=src, stdout=subprocess.PIPE)
                c = subprocess.Popen(["zstd", "-q", "-c"], stdin=subprocess.PIPE, stdout=dst) if shutil.which("zstd") else None
                while True:
                    b = g.stdout.read(CHUNK)
                    if not b:
                        break
                    plain += len(b)
                    if c:
                        c.stdin.write(b)
                g.wait()
                if c:
                    c.stdin.close()
                    c.wait()
                    zst.append(z)

        def all_layers(argv, files):
            def go():
                t = 0.0
                for p in files:
                    with open(p, "rb") as src:
                        t += _timed(argv, stdin=src)
                return t
            return go

        r["gzip_bytes"] = compressed
        r["gunzip_out_bytes"] = plain
        # One core: the layers one after another. Layers decode independently, so with enough
        # layers the bound on this machine is this divided by min(cores, layers) (largest first).
        r["gunzip_s"] = _best(all_layers(gunzip, blobs), reps)
        r["gunzip_mb_s"] = plain / 1e6 / r["gunzip_s"]
        r["largest_layer_share"] = max(n for _, n in members) / compressed
        if zst:
            r["zstd_s"] = _best(all_layers(["zstd", "-dc"], zst), reps)
            r["zstd_mb_s"] = plain / 1e6 / r["zstd_s"]
    r["cores"] = os.cpu_count()
    return r


def parallel_bound(seconds, share, cores):
    """The best a perfect parallel decoder reaches: the work spread over the cores, but never
    below the largest layer's own time."""
    return max(seconds / cores, seconds * share)


if __name__ == "__main__":
    print(json.dumps(measure(sys.argv[1], sys.argv[2] if len(sys.argv) > 2 else None), indent=1))
