#!/usr/bin/env python3
"""Peak heap of a massif run, split by caller: for each allocation site at the peak snapshot,
the bytes are charged to the innermost frame (nearest the allocation) matching one of PATTERNS.

usage: massif_peak.py massif.out [PATTERN ...]
"""
import re
import sys

path = sys.argv[1]
pats = sys.argv[2:] or ["analysis::dive::", "analysis::reclaim", "analysis::findings", "Figures::new",
                        "fs::union", "layer::index", "open::load", "render", "WasteReport"]
lines = open(path).read().splitlines()
snaps, cur = [], None
i = 0
while i < len(lines):
    l = lines[i]
    if l.startswith("snapshot="):
        cur = {"tree": None}
        snaps.append(cur)
    elif l.startswith("mem_heap_B="):
        cur["heap"] = int(l.split("=")[1])
    elif l.startswith("mem_heap_extra_B="):
        cur["extra"] = int(l.split("=")[1])
    elif l.startswith("heap_tree=") and l != "heap_tree=empty":
        cur["tree_at"] = i + 1
    i += 1
peak = max((s for s in snaps if "tree_at" in s), key=lambda s: s["heap"])
# parse the tree: each line "  nN: BYTES 0xADDR: func (file:line)" with indentation = depth
node = re.compile(r"^( *)n(\d+): (\d+) (.*)$")
stack, charged = [], {}
j = peak["tree_at"]
while j < len(lines) and node.match(lines[j]):
    m = node.match(lines[j])
    depth, nchild, nbytes, fn = len(m.group(1)), int(m.group(2)), int(m.group(3)), m.group(4)
    stack = stack[:depth]
    stack.append(fn)
    if nchild == 0:
        who = "other"
        for f in stack:  # massif trees go from the allocation site out to main
            hit = [p for p in pats if p in f]
            if hit:
                who = hit[0]
                break
        if "below massif's threshold" in fn:
            who = "(small sites)"
        charged[who] = charged.get(who, 0) + nbytes
    j += 1
tot = peak["heap"]
print(f"peak heap {tot / 1e6:.1f} MB (+{peak['extra'] / 1e6:.1f} MB allocator overhead)")
for k, v in sorted(charged.items(), key=lambda kv: -kv[1]):
    print(f"  {v / 1e6:7.1f} MB  {100 * v / tot:5.1f} %  {k}")
