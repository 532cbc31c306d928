#!/usr/bin/env python3
"""A second reader of apk's installed database, independent of layerlens: reads a
docker-archive with Python's tarfile, follows /lib/apk/db/installed through the layers
(writes and whiteouts) and prints, as JSON, what each layer that touched it installed
(new or another version) and removed, and the final package list.

    apk_reader.py ARCHIVE.tar   ->  {"layers": [{"layer", "installed", "removed"}], "final": [...]}

Each package is [name, version, arch, installed_size]."""
import io
import json
import sys
import tarfile

DB = "lib/apk/db/installed"


def parse(text):
    pkgs = []
    for stanza in text.split("\n\n"):
        fields = {}
        for line in stanza.splitlines():
            if len(line) >= 2 and line[1] == ":" and line[0] not in fields:
                fields[line[0]] = line[2:]
        if "P" in fields:
            pkgs.append([fields["P"], fields.get("V", ""), fields.get("A", ""), int(fields.get("I", "0") or 0)])
    return sorted(pkgs)


def main(path):
    with tarfile.open(path) as outer:
        manifest = json.load(outer.extractfile("manifest.json"))
        layers = manifest[0]["Layers"]
        state, out = [], []
        for i, name in enumerate(layers):
            blob = outer.extractfile(outer.getmember(name) if name in outer.getnames() else name)
            data = blob.read()
            with tarfile.open(fileobj=io.BytesIO(data), mode="r:*") as layer:
                now = None
                for m in layer.getmembers():
                    p = m.name.lstrip("./") if m.name.startswith("./") else m.name.lstrip("/")
                    if p == DB and m.isfile():
                        now = parse(layer.extractfile(m).read().decode("utf-8", "replace"))
                    elif p in ("lib/apk/db/.wh.installed", "lib/apk/.wh.db", "lib/.wh.apk"):
                        now = []
                if now is None:
                    continue
            old = {(p[0], p[2]): p for p in state}
            new = {(p[0], p[2]): p for p in now}
            out.append({
                "layer": i,
                "installed": [p for p in now if old.get((p[0], p[2]), [None, None])[1] != p[1]],
                "removed": [p for p in state if (p[0], p[2]) not in new],
            })
            state = now
    json.dump({"layers": out, "final": state}, sys.stdout)


main(sys.argv[1])
