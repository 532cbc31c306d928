#!/usr/bin/env python3
"""Runs docker-squash 1.2.2 (PyPI `docker-squash`) on an image archive, with no Docker daemon.

usage: docker_squash_nodaemon.py IN.tar OUT.tar [-f FROM] [-t NAME:TAG] [--tmp-dir DIR]

Run it with the Python of a venv that has docker-squash==1.2.2 (bench/run makes
bench/.venv-peers). docker-squash reaches the daemon only through a docker-py API client, and
of that only through five calls:
  version()          the API version picks its code path (>= 1.22: the "v2" one);
  inspect_image(ref) the image id (and, for `-f ID`, a layer's);
  history(ref)       one id per config history entry, newest first ("<missing>" but the top);
  get_image(ref)     the `docker save` stream, which it unpacks into its work dir;
  load_image(data)   only when it loads the result back, which this never asks for.
`ArchiveDaemon` answers them from the archive file, and docker-squash writes the squashed image
to OUT.tar itself; all the squashing is its own unmodified code. Its work dir is kept only
when --tmp-dir is given (it then must not exist yet).

What `get_image` streams is what a daemon that had loaded the archive would save. docker-squash
understands Docker's own save layouts only, so an archive already in Docker < 25's layout
(`<id>/layer.tar` files) is streamed as it is, and every other one (buildah / podman / skopeo's
`<diffid>.tar` blobs behind `<id>/layer.tar` symlinks, Docker >= 25's OCI layout, gzip or zstd
layers, oci-archive) is re-packed on the fly into that layout, layers uncompressed and byte for
byte as they decompress, config unchanged.

Exit status 0 when OUT.tar was written (an image docker-squash finds nothing to squash in is
copied unchanged), 1 when docker-squash failed, 2 for bad input.
"""
import argparse
import gzip
import hashlib
import io
import json
import logging
import os
import posixpath
import shutil
import sys
import tarfile
import tempfile
import threading
import time

BUF = 4 << 20
GZIP_MAGIC = b"\x1f\x8b"
ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"


class BadArchive(Exception):
    pass


class ImageArchive:
    """The first image of an image archive: its config, its layers (as archive members) and tags."""

    def __init__(self, path):
        self.path = path
        try:
            self.tar = tarfile.open(path, "r:")
        except tarfile.TarError as e:
            raise BadArchive(f"{path}: not a plain tar archive ({e})")
        self.members = {}
        for m in self.tar.getmembers():
            self.members[posixpath.normpath(m.name)] = m
        if "manifest.json" in self.members:
            self._from_docker_manifest()
        elif "index.json" in self.members:
            self._from_oci_index()
        else:
            raise BadArchive(f"{path}: no manifest.json and no index.json: not an image archive")
        self.config_bytes = self.read(self.config_name)
        self.config = json.loads(self.config_bytes)
        self.image_id = "sha256:" + hashlib.sha256(self.config_bytes).hexdigest()

    def _from_docker_manifest(self):
        manifest = json.loads(self.read("manifest.json"))
        if not isinstance(manifest, list) or not manifest:
            raise BadArchive(f"{self.path}: manifest.json names no image")
        first = manifest[0]
        self.config_name = first["Config"]
        self.layer_names = list(first["Layers"])
        self.tags = list(first.get("RepoTags") or [])

    def _from_oci_index(self):
        desc = json.loads(self.read("index.json"))
        ref = None
        # An index may point at a nested index before the manifest.
        while "manifests" in desc:
            if not desc["manifests"]:
                raise BadArchive(f"{self.path}: index.json lists no manifest")
            first = desc["manifests"][0]
            ref = (first.get("annotations") or {}).get("org.opencontainers.image.ref.name")
            desc = json.loads(self.read(blob_name(first["digest"])))
        self.config_name = blob_name(desc["config"]["digest"])
        self.layer_names = [blob_name(layer["digest"]) for layer in desc["layers"]]
        self.tags = [ref if ":" in ref else f"{ref}:latest"] if ref else []

    def member(self, name, hops=0):
        """The archive member with that name, symlinks and hardlinks inside the archive followed."""
        key = posixpath.normpath(name)
        m = self.members.get(key)
        if m is None:
            raise BadArchive(f"{self.path}: no member {name}")
        if hops > 16:
            raise BadArchive(f"{self.path}: link loop at {name}")
        if m.issym():
            return self.member(posixpath.join(posixpath.dirname(key), m.linkname), hops + 1)
        if m.islnk():
            return self.member(m.linkname, hops + 1)
        return m

    def open(self, name):
        return self.tar.extractfile(self.member(name))

    def read(self, name):
        with self.open(name) as f:
            return f.read()

    def in_docker_layout(self):
        """Whether a daemon's `docker save` (Docker < 25) would look like this file already."""
        return "index.json" not in self.members and "manifest.json" in self.members and all(
            name.endswith("/layer.tar") and self.members.get(posixpath.normpath(name), None) is not None
            and self.members[posixpath.normpath(name)].isfile()
            and self._starts_plain(name)
            for name in self.layer_names)

    def _starts_plain(self, name):
        with self.open(name) as f:
            head = f.read(4)
        return not (head.startswith(GZIP_MAGIC) or head.startswith(ZSTD_MAGIC))


def blob_name(digest):
    algo, _, hexdigest = digest.partition(":")
    return f"blobs/{algo}/{hexdigest}"


def plain_layer(archive, name, scratch):
    """(file object, size) of a layer's uncompressed tar; compressed ones go through a file."""
    member = archive.member(name)
    f = archive.open(name)
    head = f.read(4)
    f.seek(0)
    if not (head.startswith(GZIP_MAGIC) or head.startswith(ZSTD_MAGIC)):
        return f, member.size
    path = os.path.join(scratch, "layer.tar")
    with open(path, "wb") as out:
        if head.startswith(GZIP_MAGIC):
            with gzip.GzipFile(fileobj=f) as g:
                shutil.copyfileobj(g, out, BUF)
        else:
            try:
                import zstandard
            except ImportError:
                raise BadArchive(f"{archive.path}: {name} is zstd; pip install zstandard to read it")
            zstandard.ZstdDecompressor().copy_stream(f, out)
    return open(path, "rb"), os.path.getsize(path)


def write_docker_save(archive, sink, scratch):
    """Writes the archive's image to `sink` as Docker < 25's `docker save` would."""
    config = archive.config
    diff_ids = config.get("rootfs", {}).get("diff_ids", [])
    if len(diff_ids) != len(archive.layer_names):
        raise BadArchive(f"{archive.path}: {len(archive.layer_names)} layers but {len(diff_ids)} diff_ids")
    created = config.get("created", "1970-01-01T00:00:00Z")
    out = tarfile.open(fileobj=sink, mode="w|", format=tarfile.PAX_FORMAT, bufsize=BUF)

    def add(name, data):
        info = tarfile.TarInfo(name)
        info.size, info.mode = len(data), 0o644
        out.addfile(info, io.BytesIO(data))

    parent, chain, names = None, None, []
    for i, (name, diff_id) in enumerate(zip(archive.layer_names, diff_ids)):
        # Directory names as Docker's v1 ids are: unique per layer stack (chain id).
        chain = diff_id if chain is None else "sha256:" + hashlib.sha256(f"{chain} {diff_id}".encode()).hexdigest()
        layer_dir = chain.split(":", 1)[1]
        top = i == len(diff_ids) - 1
        v1 = {"id": layer_dir, "created": created}
        if parent:
            v1["parent"] = parent
        # docker-squash reads "config" from the json of the first layer it squashes.
        v1["config"] = dict(config.get("config") or {}) if top else {}
        v1["os"] = config.get("os", "linux")
        add(f"{layer_dir}/VERSION", b"1.0")
        add(f"{layer_dir}/json", json.dumps(v1, separators=(",", ":")).encode())
        f, size = plain_layer(archive, name, scratch)
        with f:
            info = tarfile.TarInfo(f"{layer_dir}/layer.tar")
            info.size, info.mode = size, 0o644
            out.addfile(info, f)
        names.append(f"{layer_dir}/layer.tar")
        parent = layer_dir
    config_name = archive.image_id.split(":", 1)[1] + ".json"
    add(config_name, archive.config_bytes)
    add("manifest.json", json.dumps([{"Config": config_name, "RepoTags": archive.tags[:1] or None,
                                      "Layers": names}]).encode())
    if archive.tags:
        repo, _, tag = archive.tags[0].rpartition(":")
        add("repositories", json.dumps({repo: {tag: parent}}).encode())
    out.close()


class ArchiveDaemon:
    """The part of docker-py's APIClient that docker-squash calls, served from one archive."""

    def __init__(self, archive, scratch):
        self.archive = archive
        self.scratch = scratch
        self.calls = []

    def version(self):
        self.calls.append("version")
        return {"Version": "24.0.0 (no daemon: docker_squash_nodaemon.py)", "ApiVersion": "1.43"}

    def _is_this_image(self, ref):
        hexid = self.archive.image_id.split(":", 1)[1]
        return (ref in (self.archive.image_id, hexid) or (len(ref) >= 12 and hexid.startswith(ref))
                or ref in self.archive.tags or any(t.endswith("/" + ref) for t in self.archive.tags))

    def inspect_image(self, ref):
        self.calls.append("inspect_image")
        if not self._is_this_image(ref):
            import docker.errors
            raise docker.errors.ImageNotFound(f"no such image: {ref}")
        c = self.archive.config
        return {"Id": self.archive.image_id, "RepoTags": self.archive.tags, "Created": c.get("created"),
                "Config": c.get("config") or {}, "RootFS": c.get("rootfs") or {}}

    def history(self, ref):
        self.calls.append("history")
        entries = self.archive.config.get("history") or []
        newest_first = []
        for i, h in enumerate(reversed(entries)):
            newest_first.append({"Id": self.archive.image_id if i == 0 else "<missing>",
                                 "CreatedBy": h.get("created_by", ""), "Comment": h.get("comment", ""),
                                 "Tags": self.archive.tags if i == 0 else None, "Size": 0})
        return newest_first

    def get_image(self, ref, chunk_size=BUF):
        self.calls.append("get_image")
        if self.archive.in_docker_layout():
            with open(self.archive.path, "rb") as f:
                while chunk := f.read(chunk_size):
                    yield chunk
            return
        # Re-pack in a thread into a pipe, so docker-squash unpacks while the archive is read,
        # as it would from a daemon's stream.
        r, w = os.pipe()
        failure = []

        def produce():
            try:
                with os.fdopen(w, "wb", buffering=BUF) as sink:
                    write_docker_save(self.archive, sink, self.scratch)
            except BaseException as e:
                failure.append(e)

        producer = threading.Thread(target=produce, daemon=True)
        producer.start()
        with os.fdopen(r, "rb", buffering=0) as source:
            while chunk := source.read(chunk_size):
                yield chunk
        producer.join()
        if failure:
            raise failure[0]

    def load_image(self, data):
        raise RuntimeError("load_image: there is no daemon to load into (the output goes to a file)")

    def remove_image(self, *args, **kwargs):
        self.calls.append("remove_image")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("input")
    ap.add_argument("output")
    ap.add_argument("-f", "--from-layer", help="as docker-squash's -f: a number of history entries from the top, or a layer id")
    ap.add_argument("-t", "--tag", help="the squashed image's name:tag (default: the input's first tag)")
    ap.add_argument("--tmp-dir", help="docker-squash's work dir, kept afterwards (must not exist)")
    ap.add_argument("-v", "--verbose", action="store_true")
    args = ap.parse_args()
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.INFO, stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(message)s")
    log = logging.getLogger("docker-squash")

    from docker_squash.errors import SquashError, SquashUnnecessaryError
    from docker_squash.squash import Squash
    from docker_squash.version import version

    started = time.monotonic()
    try:
        archive = ImageArchive(args.input)
    except (BadArchive, KeyError, ValueError) as e:
        print(f"docker_squash_nodaemon: {e}", file=sys.stderr)
        return 2
    scratch = tempfile.mkdtemp(prefix="docker-squash-nodaemon-",
                               dir=os.path.dirname(os.path.abspath(args.tmp_dir)) if args.tmp_dir else None)
    daemon = ArchiveDaemon(archive, scratch)
    ref = archive.tags[0] if archive.tags else archive.image_id
    log.info("docker-squash %s on %s (%d layers, %s)", version, args.input, len(archive.layer_names),
             "streamed as it is" if archive.in_docker_layout() else "re-packed as docker save writes it")
    try:
        Squash(log=log, image=ref, docker=daemon, from_layer=args.from_layer,
               tag=args.tag or (archive.tags[0] if archive.tags else "squashed:latest"),
               tmp_dir=args.tmp_dir, output_path=args.output, load_image=False, cleanup=False).run()
    except SquashUnnecessaryError as e:
        log.warning("%s: copying the input unchanged", e)
        shutil.copyfile(args.input, args.output)
    except SquashError as e:
        log.error("docker-squash failed: %s", e)
        return 1
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    log.info("wrote %s (%d bytes) in %.2f s; daemon calls: %s", args.output, os.path.getsize(args.output),
             time.monotonic() - started, " ".join(daemon.calls))
    return 0


if __name__ == "__main__":
    sys.exit(main())
