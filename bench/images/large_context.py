#!/usr/bin/env python3
"""Writes the build context of the `large` benchmark image into DIR (bench/make-images calls it).

usage: large_context.py DIR

small/  100 directories of 1000 files of 0 to 4 KiB (a third text, the rest random bytes)
small2/ 10,000 more small files (added by the last layer)
big/    three 300 MiB random files; big2/ one of 200 MiB
Seeded: the same bytes every time. Every mtime is 2020-01-01.
"""
import os
import random
import sys

MTIME = 1577836800  # 2020-01-01T00:00:00Z


def write(path, data):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data)
    os.utime(path, (MTIME, MTIME))


def big(path, mib, seed):
    rnd = random.Random(seed)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        for _ in range(mib):
            f.write(rnd.randbytes(1 << 20))
    os.utime(path, (MTIME, MTIME))


def main(root):
    rnd = random.Random(20240601)
    for d in range(100):
        for i in range(1000):
            n = rnd.choice([0, rnd.randrange(1, 512), rnd.randrange(512, 4096)])
            data = (b"line %d %d\n" % (d, i)) * (n // 12) if i % 3 == 0 else rnd.randbytes(n)
            write(f"{root}/small/d{d:02d}/sub{i % 10}/f{i:04d}.dat", data)
    for i in range(10000):
        write(f"{root}/small2/s{i // 1000}/g{i:05d}.txt", b"x" * (i % 700))
    big(f"{root}/big/b1.bin", 300, 1)
    big(f"{root}/big/b2.bin", 300, 2)  # deleted by the churn layer: waste
    big(f"{root}/big/b3.bin", 300, 3)
    big(f"{root}/big2/b4.bin", 200, 4)


if __name__ == "__main__":
    main(sys.argv[1])
