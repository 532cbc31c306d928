#!/usr/bin/env python3
"""Writes synthetic image archives for the scaling benchmarks, directly (no container tools).

usage: gen_image.py entries N OUT_PREFIX     N small files (10k, 100k, 1M …)
       gen_image.py bytes   S OUT_PREFIX     ~S bytes of content in a few big files (100M, 1G, 10G)

Writes OUT_PREFIX.docker.tar (docker-archive in Docker < 25's layout: <id>/{VERSION,json,
layer.tar}, <config>.json, manifest.json, repositories; uncompressed layers) and
OUT_PREFIX.oci.tar (oci-archive, the same layers gzip-compressed, level $GZIP_LEVEL, default 1),
plus OUT_PREFIX.meta.json (entries per layer, bytes). The same arguments give the same bytes.

Both kinds have four layers, so that a squash has work to do:
  L0 base    the bulk of the files (entries: 50 % of N, in directories of 100 files, with 1 %
             symlinks and 0.5 % hardlinks; bytes: 200 small files and 4 files of 15 % of S)
  L1 add     more files (entries: 30 % of N; bytes: 2 files of 10 % of S)
  L2 churn   per-file whiteouts, whole-directory whiteouts, an opaque directory, overwritten
             files, chmod-only changes (entries: ~12 % of N; bytes: deletes a 15 % file,
             overwrites one with 10 % of S new content, chmods a 10 % file: re-shipped)
  L3 top     new files and overwrites of L2's files (entries: 10 % of N; bytes: small files)
Contents are base64 text of a seeded random pool (gzip shrinks them to ~75 %).
"""
import base64
import gzip
import hashlib
import io
import json
import os
import random
import struct
import sys
import tarfile
import time
import zlib

MTIME = 1700000000
POOL_SIZE = 64 << 20
CHUNK = 4 << 20


def make_pool(seed):
    rnd = random.Random(seed)
    raw = rnd.randbytes(POOL_SIZE * 3 // 4 + 3)
    return base64.b64encode(raw)[:POOL_SIZE]


class HashWriter:
    """File-like sink that hashes and counts what goes through it."""

    def __init__(self, f):
        self.f, self.h, self.n = f, hashlib.sha256(), 0

    def write(self, b):
        self.h.update(b)
        self.n += len(b)
        self.f.write(b)
        return len(b)


class PoolReader:
    """Reads `size` bytes of the pool, starting at `start`, wrapping around."""

    def __init__(self, pool, start, size):
        self.pool, self.pos, self.left = pool, start % len(pool), size

    def read(self, n=-1):
        if n is None or n < 0:
            n = self.left
        n = min(n, self.left, CHUNK)
        out = self.pool[self.pos:self.pos + n]
        if len(out) < n:
            out += self.pool[:n - len(out)]
        self.pos = (self.pos + n) % len(self.pool)
        self.left -= n
        return out


def tar_header(name, size, typeflag=b"0", mode=0o644, linkname="", mtime=MTIME):
    """A ustar header (names < 100 bytes, as the outer archive and blob names are)."""
    ti = tarfile.TarInfo(name)
    ti.size, ti.mode, ti.mtime, ti.type, ti.linkname = size, mode, mtime, typeflag, linkname
    ti.uname = ti.gname = ""
    return ti.tobuf(format=tarfile.USTAR_FORMAT)


class OuterTar:
    """An outer archive written member by member; a member's size (and name) can be fixed up
    after its bytes are streamed, so layers never go through a temporary file."""

    def __init__(self, path):
        self.f = open(path, "wb")

    def add_bytes(self, name, data, mode=0o644):
        self.f.write(tar_header(name, len(data), mode=mode))
        self.f.write(data)
        self.f.write(b"\0" * (-len(data) % 512))

    def begin(self):
        self.at = self.f.tell()
        self.f.write(b"\0" * 512)
        return HashWriter(self.f)

    def end(self, name, size):
        self.f.write(b"\0" * (-size % 512))
        end = self.f.tell()
        self.f.seek(self.at)
        self.f.write(tar_header(name, size))
        self.f.seek(end)

    def close(self):
        self.f.write(b"\0" * 1024)
        self.f.close()


class Layer:
    """Entries of one layer, written as a tar into any sink."""

    def __init__(self, step):
        self.step = step
        self.items = []  # (kind, path, arg…)
        self.entries = 0
        self.content = 0

    def dir(self, path, mode=0o755):
        self.items.append(("dir", path, mode))
        self.entries += 1

    def file(self, path, size, start, mode=0o644):
        self.items.append(("file", path, size, start, mode))
        self.entries += 1
        self.content += size

    def symlink(self, path, target):
        self.items.append(("sym", path, target))
        self.entries += 1

    def hardlink(self, path, target):
        self.items.append(("hard", path, target))
        self.entries += 1

    def whiteout(self, path):
        d, _, base = path.rpartition("/")
        self.items.append(("file", f"{d}/.wh.{base}" if d else f".wh.{base}", 0, 0, 0o644))
        self.entries += 1

    def opaque(self, dirpath):
        self.items.append(("file", f"{dirpath}/.wh..wh..opq", 0, 0, 0o644))
        self.entries += 1

    def write(self, sink, pool):
        tf = tarfile.open(fileobj=sink, mode="w|", format=tarfile.PAX_FORMAT)
        for it in self.items:
            ti = tarfile.TarInfo(it[1])
            ti.mtime, ti.uid, ti.gid, ti.uname, ti.gname = MTIME, 0, 0, "", ""
            if it[0] == "dir":
                ti.type, ti.mode = tarfile.DIRTYPE, it[2]
                tf.addfile(ti)
            elif it[0] == "file":
                ti.size, ti.mode = it[2], it[4]
                tf.addfile(ti, PoolReader(pool, it[3], it[2]) if it[2] else None)
            elif it[0] == "sym":
                ti.type, ti.linkname, ti.mode = tarfile.SYMTYPE, it[2], 0o777
                tf.addfile(ti)
            elif it[0] == "hard":
                ti.type, ti.linkname, ti.mode = tarfile.LNKTYPE, it[2], 0o644
                tf.addfile(ti)
        tf.close()


def entries_layers(n, rnd):
    """Layers for the entries series: about n entries in all."""
    per_dir = 100
    small = lambda: rnd.randrange(0, 513)
    L0, L1, L2, L3 = Layer("ADD base/ /a/"), Layer("ADD more/ /b/"), Layer("RUN churn"), Layer("COPY top/ /c/")
    # L0: 50 % files in /a/dNNNNN/, 1 % symlinks, 0.5 % hardlinks
    n0 = n // 2
    files0 = []
    L0.dir("a")
    for d in range(max(1, n0 // per_dir)):
        dp = f"a/d{d:05}"
        L0.dir(dp)
        for i in range(per_dir):
            p = f"{dp}/f{i:03}.txt"
            k = rnd.random()
            if k < 0.01:
                L0.symlink(p, f"f{(i + 1) % per_dir:03}.txt")
            elif k < 0.015 and files0 and files0[-1][0].startswith(dp + "/"):
                L0.hardlink(p, files0[-1][0])
            else:
                s, st = small(), rnd.randrange(POOL_SIZE)
                L0.file(p, s, st)
                files0.append((p, s, st))
    # L1: 30 % in /b/dNNNNN/
    dirs1 = []
    L1.dir("b")
    for d in range(max(1, n * 3 // 10 // per_dir)):
        dp = f"b/d{d:05}"
        L1.dir(dp)
        dirs1.append(dp)
        for i in range(per_dir - 1):
            L1.file(f"{dp}/f{i:03}.txt", small(), rnd.randrange(POOL_SIZE))
    # L2: delete 5 % of n (files of L0), whole directories (1 % of n), overwrite 5 %, chmod 1 %,
    # one opaque directory (of L1) with 10 new files
    ndirs0 = max(1, n0 // per_dir)
    gone_dirs = set(rnd.sample(range(ndirs0), max(1, ndirs0 // 50)))
    for d in sorted(gone_dirs):
        L2.whiteout(f"a/d{d:05}")
    alive = [f for f in files0 if int(f[0][3:8]) not in gone_dirs]
    rnd.shuffle(alive)
    k = n // 20
    dele, over, chm = alive[:k], alive[k:2 * k], alive[2 * k:2 * k + n // 100]
    for p, _, _ in sorted(dele):
        L2.whiteout(p)
    top = []
    for p, _, _ in sorted(over):
        s = small()
        L2.file(p, s, rnd.randrange(POOL_SIZE))
        top.append(p)
    for p, s, st in sorted(chm):
        L2.file(p, s, st, mode=0o600)
    opq = dirs1[len(dirs1) // 2]
    L2.dir(opq, mode=0o750)
    L2.opaque(opq)
    for i in range(10):
        L2.file(f"{opq}/new{i}.txt", small(), rnd.randrange(POOL_SIZE))
    # L3: 10 % new files, and overwrites of 1 % of L2's rewritten files
    L3.dir("c")
    for d in range(max(1, n // 10 // per_dir)):
        dp = f"c/d{d:05}"
        L3.dir(dp)
        for i in range(per_dir - 1):
            L3.file(f"{dp}/f{i:03}.txt", small(), rnd.randrange(POOL_SIZE))
    for p in top[: max(1, n // 100)]:
        L3.file(p, small(), rnd.randrange(POOL_SIZE))
    return [L0, L1, L2, L3]


def bytes_layers(total, rnd):
    """Layers for the bytes series: about `total` bytes of content, ~250 entries."""
    big = lambda frac: int(total * frac)
    L0, L1, L2, L3 = Layer("ADD base/ /"), Layer("ADD data/ /data/"), Layer("RUN churn"), Layer("COPY conf/ /etc/app/")
    L0.dir("etc")
    for i in range(200):
        L0.file(f"etc/conf{i:03}", rnd.randrange(100, 4000), rnd.randrange(POOL_SIZE))
    L0.dir("opt")
    for i in range(4):
        L0.file(f"opt/big{i}.bin", big(0.15), rnd.randrange(POOL_SIZE))
    L1.dir("data")
    starts = [rnd.randrange(POOL_SIZE) for _ in range(2)]
    for i in range(2):
        L1.file(f"data/blob{i}.bin", big(0.10), starts[i])
    L2.whiteout("opt/big0.bin")                                    # deleted: 15 % dead
    L2.file("opt/big1.bin", big(0.10), rnd.randrange(POOL_SIZE))   # overwritten: 15 % dead
    L2.file("data/blob0.bin", big(0.10), starts[0], mode=0o600)            # chmod: re-shipped
    for i in range(20):
        L2.whiteout(f"etc/conf{i:03}")
    L3.dir("etc/app")
    for i in range(30):
        L3.file(f"etc/app/c{i:02}.yaml", rnd.randrange(100, 4000), rnd.randrange(POOL_SIZE))
    return [L0, L1, L2, L3]


def parse_size(s):
    s = s.strip().upper()
    mult = {"K": 10**3, "M": 10**6, "G": 10**9, "T": 10**12}
    return int(float(s[:-1]) * mult[s[-1]]) if s[-1] in mult else int(s)


def main():
    if len(sys.argv) != 4 or sys.argv[1] not in ("entries", "bytes"):
        sys.exit(__doc__)
    kind, amount, prefix = sys.argv[1], parse_size(sys.argv[2]), sys.argv[3]
    level = int(os.environ.get("GZIP_LEVEL", "1"))
    rnd = random.Random(f"{kind}-{amount}")
    pool = make_pool(f"pool-{kind}-{amount}")
    layers = entries_layers(amount, rnd) if kind == "entries" else bytes_layers(amount, rnd)
    name = os.path.basename(prefix)
    t0 = time.time()

    # docker-archive: layers streamed straight into the outer tar
    tmp = prefix + ".docker.tar.part"
    out = OuterTar(tmp)
    diff_ids, sizes, v1ids = [], [], []
    parent = ""
    for i, layer in enumerate(layers):
        w = out.begin()
        layer.write(w, pool)
        diff = "sha256:" + w.h.hexdigest()
        v1 = hashlib.sha256(f"{parent} {diff}".encode()).hexdigest()
        out.end(f"{v1}/layer.tar", w.n)
        diff_ids.append(diff)
        sizes.append(w.n)
        v1ids.append(v1)
        parent = v1
    history = [{"created": "2023-11-14T22:13:20Z", "created_by": f"/bin/sh -c #(nop) {l.step}"} for l in layers]
    config = {
        "architecture": "amd64", "os": "linux", "created": "2023-11-14T22:13:20Z",
        "config": {"Env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],
                   "Cmd": ["/bin/sh"], "Labels": {"org.example.bench": name}},
        "rootfs": {"type": "layers", "diff_ids": diff_ids},
        "history": history,
    }
    config_raw = json.dumps(config, separators=(",", ":")).encode()
    config_hex = hashlib.sha256(config_raw).hexdigest()
    parent = None
    for i, v1 in enumerate(v1ids):
        j = {"id": v1, "created": "2023-11-14T22:13:20Z", "container_config": {"Cmd": None}, "os": "linux"}
        if i == len(v1ids) - 1:
            j = {k: v for k, v in config.items() if k not in ("history", "rootfs")}
            j["id"] = v1
        if parent:
            j["parent"] = parent
        out.add_bytes(f"{v1}/VERSION", b"1.0")
        out.add_bytes(f"{v1}/json", json.dumps(j, separators=(",", ":")).encode())
        parent = v1
    tag = f"bench/{name}:latest"
    out.add_bytes(f"{config_hex}.json", config_raw)
    out.add_bytes("manifest.json", json.dumps(
        [{"Config": f"{config_hex}.json", "RepoTags": [tag], "Layers": [f"{v}/layer.tar" for v in v1ids]}],
        separators=(",", ":")).encode())
    out.add_bytes("repositories", json.dumps({f"bench/{name}": {"latest": v1ids[-1]}}).encode())
    out.close()
    os.replace(tmp, prefix + ".docker.tar")
    t1 = time.time()

    # oci-archive: each layer read back from the docker archive and gzipped into a blob
    tmp = prefix + ".oci.tar.part"
    out = OuterTar(tmp)
    out.f.write(b"")
    out.add_bytes("oci-layout", b'{"imageLayoutVersion":"1.0.0"}')
    gz_layers = []
    with tarfile.open(prefix + ".docker.tar") as src:
        for i, v1 in enumerate(v1ids):
            m = src.getmember(f"{v1}/layer.tar")
            r = src.extractfile(m)
            w = out.begin()
            z = zlib.compressobj(level, zlib.DEFLATED, 31)
            while True:
                b = r.read(CHUNK)
                if not b:
                    break
                w.write(z.compress(b))
            w.write(z.flush())
            digest = w.h.hexdigest()
            out.end(f"blobs/sha256/{digest}", w.n)
            gz_layers.append({"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
                              "digest": f"sha256:{digest}", "size": w.n})
    out.add_bytes(f"blobs/sha256/{config_hex}", config_raw)
    manifest = json.dumps({
        "schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                   "digest": f"sha256:{config_hex}", "size": len(config_raw)},
        "layers": gz_layers}, separators=(",", ":")).encode()
    mdigest = hashlib.sha256(manifest).hexdigest()
    out.add_bytes(f"blobs/sha256/{mdigest}", manifest)
    out.add_bytes("index.json", json.dumps({
        "schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json",
        "manifests": [{"mediaType": "application/vnd.oci.image.manifest.v1+json",
                       "digest": f"sha256:{mdigest}", "size": len(manifest),
                       "annotations": {"org.opencontainers.image.ref.name": "latest"}}]},
        separators=(",", ":")).encode())
    out.close()
    os.replace(tmp, prefix + ".oci.tar")
    t2 = time.time()

    meta = {
        "kind": kind, "amount": amount, "layers": len(layers),
        "entries": sum(l.entries for l in layers),
        "entries_per_layer": [l.entries for l in layers],
        "content_bytes": sum(l.content for l in layers),
        "layer_tar_bytes": sizes,
        "docker_bytes": os.path.getsize(prefix + ".docker.tar"),
        "oci_bytes": os.path.getsize(prefix + ".oci.tar"),
        "gzip_level": level,
        "seconds": {"docker": round(t1 - t0, 1), "oci": round(t2 - t1, 1)},
    }
    with open(prefix + ".meta.json", "w") as f:
        json.dump(meta, f, indent=1)
    print(json.dumps(meta))


if __name__ == "__main__":
    main()
