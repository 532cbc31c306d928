#!/usr/bin/env python3
"""The benchmark driver behind bench/run (which sets up the tools first; run that, not this).

Measures, on each image, `layerlens analyze` against dive 0.13.1 and `layerlens squash` against
docker-squash 1.2.2 (through ../shared/tools/peer_squash.py), alternating the two tools run by
run, and checks every squash output's final filesystem against the input's (rootfs_digest.py,
and on the fixtures also ../shared/tools/rootfs_compare.sh). Writes results.json (every run),
results.md (medians and ratios) and scaling.svg into bench/results/<date>/.

Environment (all optional; bench/run documents them):
  FIX         cache of the make_fixtures.sh images (realistic, large: $FIX/out)   /work/fixtures
  BENCH_DIR   cache of the generated scaling images                               $FIX/bench
  REPS        runs per tool and image                                             3
  PEER_BUDGET seconds of one peer on one image after which it gets no more runs   500
  PEER_TIMEOUT seconds after which one peer run is stopped (recorded as timeout)  1200
              (a peer is not started where its time on the previous image of the series,
              scaled linearly, already passes this)
  BENCH_HUGE=1 add the 10 GB image (about 25 GB of disk while it runs)
  BENCH_PEER_SQUASH_HUGE=1 also run docker-squash on the 10 GB image (needs ~40 GB more disk)
  BENCH_ONLY  comma-separated image names to run (e.g. "e10k,b100m"); BENCH_NO_BROWSER=1
"""
import datetime
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
SHARED = os.path.normpath(os.path.join(ROOT, "..", "shared"))
LL = os.path.join(ROOT, "target", "release", "layerlens")
VENV = os.path.join(HERE, ".venv-peers")
DIVE = os.path.join(VENV, "bin", "dive")
PEER_PY = os.path.join(VENV, "bin", "python")
PEER_SQUASH = os.path.join(SHARED, "tools", "peer_squash.py")
ROOTFS_COMPARE = os.path.join(SHARED, "tools", "rootfs_compare.sh")
DIGEST = os.path.join(HERE, "rootfs_digest.py")
GEN = os.path.join(HERE, "gen_image.py")

FIX = os.environ.get("FIX", "/work/fixtures")
BENCH_DIR = os.environ.get("BENCH_DIR", os.path.join(FIX, "bench"))
REPS = int(os.environ.get("REPS", "3"))
PEER_BUDGET = float(os.environ.get("PEER_BUDGET", "500"))
PEER_TIMEOUT = float(os.environ.get("PEER_TIMEOUT", "1200"))
HUGE = os.environ.get("BENCH_HUGE") == "1"
PEER_SQUASH_HUGE = os.environ.get("BENCH_PEER_SQUASH_HUGE") == "1"
ONLY = [x for x in os.environ.get("BENCH_ONLY", "").split(",") if x]
DATE = os.environ.get("BENCH_DATE", datetime.date.today().isoformat())
OUT = os.path.join(HERE, "results", DATE)
RAW = os.path.join(OUT, "raw")
TMP = os.path.join(BENCH_DIR, "tmp")

# name, kind, amount (generated) or None (make_fixtures.sh image)
SCALING = [("e10k", "entries", "10000"), ("e100k", "entries", "100000"), ("e1m", "entries", "1000000"),
           ("b100m", "bytes", "100M"), ("b1g", "bytes", "1G")]
if HUGE:
    SCALING.append(("b10g", "bytes", "10G"))
FIXTURES = ["realistic", "large"]


def log(*a):
    print(time.strftime("%H:%M:%S"), *a, flush=True)


def load():
    return [round(x, 2) for x in os.getloadavg()]


# --------------------------------------------------------------------------------------------
# Measuring

def timed(argv, tag, env=None, timeout=None, cwd=None):
    """Runs argv under GNU time; returns {wall, rss_kb, rc, out, err} (out/err: file paths)."""
    base = os.path.join(RAW, tag)
    tfile, out, err = base + ".time", base + ".out", base + ".err"
    t0 = time.perf_counter()
    with open(out, "wb") as fo, open(err, "wb") as fe:
        p = subprocess.Popen(["/usr/bin/time", "-f", "%e %M", "-o", tfile] + argv, stdout=fo, stderr=fe,
                             env=env, cwd=cwd, start_new_session=True)
        try:
            rc = p.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(p.pid, 9)
            p.wait()
            return {"wall": time.perf_counter() - t0, "rss_kb": None, "rc": "timeout", "out": out, "err": err}
    wall = time.perf_counter() - t0
    rss = None
    try:
        last = open(tfile).read().strip().splitlines()[-1].split()
        rss = int(last[1])
    except Exception:
        pass
    return {"wall": round(wall, 3), "rss_kb": rss, "rc": rc, "out": out, "err": err}


def warm(path):
    with open(path, "rb") as f:
        while f.read(16 << 20):
            pass


def median(xs):
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else None


# --------------------------------------------------------------------------------------------
# Tools

def ll_analyze(img, tag, extra=()):
    r = timed([LL, "analyze", img, *extra], tag)
    txt = open(r["out"], errors="replace").read()
    r["figures"] = dive_figures_ll(txt)
    r["ok"] = r["rc"] == 0 and " layers " in txt
    return r


def dive(img, tag):
    env = dict(os.environ, CI="true")
    cwd = tempfile.mkdtemp(dir=TMP)  # no .dive-ci here: dive's default rules
    r = timed([DIVE, "--source", "docker-archive", img], tag, env=env, timeout=PEER_TIMEOUT, cwd=cwd)
    shutil.rmtree(cwd, ignore_errors=True)
    txt = open(r["out"], errors="replace").read()
    r["figures"] = dive_figures_dive(txt)
    # exit 1 is dive's CI verdict "FAIL" (inefficient image), not an error
    r["ok"] = r["rc"] in (0, 1) and r["figures"].get("efficiency") is not None
    return r


def dive_figures_ll(txt):
    import re
    m = re.search(r"efficiency ([\d.]+) %\s+wasted (\d+) bytes", txt)
    return {"efficiency": m.group(1), "wasted": int(m.group(2))} if m else {}


def dive_figures_dive(txt):
    import re
    txt = re.sub(r"\x1b\[[0-9;]*m", "", txt)
    e = re.search(r"efficiency: ([\d.]+) %", txt)
    w = re.search(r"wastedBytes: (\d+) bytes", txt)
    return {"efficiency": e.group(1) if e else None, "wasted": int(w.group(1)) if w else None}


def ll_squash(img, out, tag):
    return timed([LL, "squash", img, "-o", out], tag)


def docker_squash(img, out, tag):
    tmp = os.path.join(TMP, "docker-squash-" + tag)  # docker-squash creates it (refuses an existing one)
    shutil.rmtree(tmp, ignore_errors=True)
    r = timed([PEER_PY, PEER_SQUASH, img, out, "--tmp-dir", tmp], tag, timeout=PEER_TIMEOUT)
    shutil.rmtree(tmp, ignore_errors=True)
    return r


# --------------------------------------------------------------------------------------------
# Checks

def digest(img, listing=None):
    argv = [sys.executable, DIGEST, img] + (["--list", listing] if listing else [])
    t0 = time.perf_counter()
    p = subprocess.run(argv, capture_output=True, text=True)
    if p.returncode != 0:
        return {"error": p.stderr.strip()[-500:]}
    d = json.loads(p.stdout)
    d["seconds"] = round(time.perf_counter() - t0, 1)
    return d


def diff_listings(a, b):
    """Counts paths only in a, only in b, and differing, between two --list files."""
    def read(p):
        out = {}
        with open(p, encoding="utf-8", errors="surrogateescape") as f:
            for line in f:
                k, _, v = line.partition("\t")
                out[k] = v
        return out
    A, B = read(a), read(b)
    only_a = [k for k in A if k not in B]
    only_b = [k for k in B if k not in A]
    changed = [k for k in A if k in B and A[k] != B[k]]
    return {"only_in_input": len(only_a), "only_in_output": len(only_b), "changed": len(changed),
            "examples": (only_a[:3] + only_b[:3] + changed[:3])}


def check_output(name, tool, inp_digest, inp_list, out, fixture):
    """Whether a squash output's final filesystem is the input's."""
    res = {}
    lst = os.path.join(RAW, f"{name}.{tool}.rootfs.txt")
    d = digest(out, lst)
    res["digest"] = d
    if "error" in d:
        res["equal"] = False
        res["summary"] = "unreadable: " + d["error"][-200:]
    elif d["sha256"] == inp_digest["sha256"]:
        res["equal"] = True
        res["summary"] = f"equal ({d['entries']} paths)"
        os.remove(lst)
    else:
        res["equal"] = False
        res["diff"] = diff_listings(inp_list, lst)
        x = res["diff"]
        res["summary"] = (f"DIFFERENT: {x['only_in_input']} paths missing, {x['only_in_output']} extra, "
                          f"{x['changed']} changed")
    if fixture:
        env = dict(os.environ, CMP_HARDLINKS="1", TMPDIR=TMP)
        p = subprocess.run(["bash", ROOTFS_COMPARE, inp_path_of(name), out], capture_output=True, text=True, env=env)
        last = (p.stdout.strip().splitlines() or ["?"])[-1]
        res["rootfs_compare"] = {"rc": p.returncode, "result": last}
        open(os.path.join(RAW, f"{name}.{tool}.rootfs_compare.txt"), "w").write(p.stdout + p.stderr)
        if (p.returncode == 0) != res["equal"]:
            res["summary"] += f" (rootfs_compare.sh disagrees: {last})"
    return res


_inputs = {}
_last_peer = {}
NO_WASTE = os.path.exists(LL) and "--no-waste" in subprocess.run([LL, "analyze", "--help"], capture_output=True, text=True).stdout


def inp_path_of(name):
    return _inputs[name]


# --------------------------------------------------------------------------------------------
# Images

def images():
    out = []
    # the generated series first, the fixtures (the headline figures) last
    for n, kind, amount in SCALING:
        if ONLY and n not in ONLY:
            continue
        prefix = os.path.join(BENCH_DIR, n)
        if not (os.path.exists(prefix + ".docker.tar") and os.path.exists(prefix + ".oci.tar")
                and os.path.exists(prefix + ".meta.json")):
            log(f"generating {n} ({kind} {amount})")
            subprocess.run([sys.executable, GEN, kind, amount, prefix], check=True, stdout=subprocess.DEVNULL)
        meta = json.load(open(prefix + ".meta.json"))
        out.append({"name": n, "series": kind, "docker": prefix + ".docker.tar", "oci": prefix + ".oci.tar",
                    "meta": meta})
    for n in FIXTURES:
        if ONLY and n not in ONLY:
            continue
        d = os.path.join(FIX, "out", f"{n}.docker.tar")
        o = os.path.join(FIX, "out", f"{n}.oci.tar")
        if not os.path.exists(d):
            log(f"missing {d}: bench/run makes it with ../shared/fixtures/make_fixtures.sh")
            continue
        out.append({"name": n, "series": "fixture", "docker": d, "oci": o if os.path.exists(o) else None})
    return out


def table_entries(txt):
    """Entries per layer from `layerlens analyze`'s layer table."""
    import re
    return [int(m.group(1)) for m in re.finditer(r"^\s+\d+\s+[\d.]+ [kMGT]?B\s+(\d+)\s", txt, re.M)]


# --------------------------------------------------------------------------------------------

def bench_image(img, results):
    name = img["name"]
    fixture = img["series"] == "fixture"
    big = img["name"] == "b10g"
    rec = {"name": name, "series": img["series"], "docker": img["docker"], "oci": img["oci"],
           "docker_bytes": os.path.getsize(img["docker"]),
           "oci_bytes": os.path.getsize(img["oci"]) if img["oci"] else None,
           "meta": img.get("meta"), "load_before": load(), "runs": [], "checks": {}}
    results["images"].append(rec)
    _inputs[name] = img["docker"]
    p = subprocess.run([LL, "analyze", img["docker"]], capture_output=True, text=True)
    per_layer = table_entries(p.stdout)
    rec["entries"], rec["layers"], rec["entries_per_layer"] = sum(per_layer), len(per_layer), per_layer
    log(f"== {name}: {rec['docker_bytes'] / 1e6:.0f} MB, {rec['entries']} entries in {len(per_layer)} layers; "
        f"load {rec['load_before']}")

    inp_list = os.path.join(RAW, f"{name}.input.rootfs.txt")
    t0 = time.perf_counter()
    rec["checks"]["input"] = digest(img["docker"], inp_list)
    inp = rec["checks"]["input"]
    log(f"   input rootfs: {inp}")
    if img["oci"]:
        o = digest(img["oci"])
        rec["checks"]["oci_input_same_rootfs"] = o.get("sha256") == inp.get("sha256")
    rec["checks"]["seconds"] = round(time.perf_counter() - t0, 1)

    def run(tool, op, form, rep, fn):
        r = fn()
        row = {"tool": tool, "op": op, "form": form, "rep": rep, "wall": r["wall"], "rss_kb": r["rss_kb"],
               "rc": r["rc"], "ok": r.get("ok", r["rc"] == 0)}
        if "figures" in r:
            row["figures"] = r["figures"]
        rec["runs"].append(row)
        log(f"   {tool:13} {op:7} {form:6} #{rep}: {r['wall']:8.2f} s {((r['rss_kb'] or 0) / 1024):7.0f} MB"
            f"  rc={r['rc']}{'' if row['ok'] else '  FAILED'}")
        return row

    peer_time = {"dive": 0.0, "docker-squash": 0.0}
    peer_squash_ok = not big or PEER_SQUASH_HUGE
    if big and not PEER_SQUASH_HUGE:
        rec.setdefault("skipped", {})["docker-squash"] = "not run on the 10 GB image (BENCH_PEER_SQUASH_HUGE=1 runs it)"
    # A peer whose time on the previous image of the same series, scaled linearly (a lower bound
    # when it grows faster), would pass PEER_TIMEOUT here is not run: a known timeout.
    size_of = lambda r: r["entries"] if r["series"] == "entries" else r["docker_bytes"]
    prev = _last_peer.get(img["series"])
    skip = {}
    if prev and img["series"] != "fixture":
        for tool, t in prev["times"].items():
            guess = t * size_of(rec) / prev["size"]
            if guess > PEER_TIMEOUT:
                skip[tool] = (f"not run: {prev['name']} took {t:.0f} s, so at least {guess:.0f} s here "
                              f"(linear scaling), over the {PEER_TIMEOUT:.0f} s limit")
                rec.setdefault("skipped", {})[tool] = skip[tool]
                log(f"   {tool}: {skip[tool]}")

    def peer_allowed(tool, rep):
        if tool in skip:
            return False
        return rep == 0 or peer_time[tool] < PEER_BUDGET

    # analyze: docker-archive, alternating with dive
    warm(img["docker"])
    for rep in range(REPS):
        order = ["ll", "ll-nw", "dive"] if rep % 2 == 0 else ["dive", "ll-nw", "ll"]
        for who in order:
            if who == "ll":
                run("layerlens", "analyze", "docker", rep, lambda: ll_analyze(img["docker"], f"{name}.ll.analyze.{rep}"))
            elif who == "ll-nw":
                if NO_WASTE:
                    run("layerlens", "analyze-nowaste", "docker", rep,
                        lambda: ll_analyze(img["docker"], f"{name}.ll.analyze-nowaste.{rep}", ["--no-waste"]))
            elif peer_allowed("dive", rep):
                row = run("dive", "analyze", "docker", rep, lambda: dive(img["docker"], f"{name}.dive.{rep}"))
                peer_time["dive"] += row["wall"]
    # squash: docker-archive, alternating with docker-squash
    ll_out = os.path.join(TMP, f"{name}.ll-squashed.tar")
    ds_out = os.path.join(TMP, f"{name}.ds-squashed.tar")
    for rep in range(REPS):
        order = ["ll", "ds"] if rep % 2 == 0 else ["ds", "ll"]
        for who in order:
            if who == "ll":
                row = run("layerlens", "squash", "docker", rep, lambda: ll_squash(img["docker"], ll_out, f"{name}.ll.squash.{rep}"))
                if rep == 0 and row["rc"] == 0:
                    rec["checks"]["layerlens_squash"] = check_output(name, "layerlens", inp, inp_list, ll_out, fixture)
                    rec["checks"]["layerlens_squash"]["bytes"] = os.path.getsize(ll_out)
                    log(f"   layerlens squash output: {rec['checks']['layerlens_squash']['summary']}")
                elif row["rc"] == 0:
                    row["same_size_as_first"] = os.path.getsize(ll_out) == rec["checks"].get("layerlens_squash", {}).get("bytes")
                if os.path.exists(ll_out):
                    os.remove(ll_out)
            elif peer_squash_ok and peer_allowed("docker-squash", rep):
                row = run("docker-squash", "squash", "docker", rep, lambda: docker_squash(img["docker"], ds_out, f"{name}.ds.{rep}"))
                peer_time["docker-squash"] += row["wall"]
                if rep == 0 and row["rc"] == 0:
                    rec["checks"]["docker_squash"] = check_output(name, "docker-squash", inp, inp_list, ds_out, fixture)
                    log(f"   docker-squash output: {rec['checks']['docker_squash']['summary']}")
                if os.path.exists(ds_out):
                    os.remove(ds_out)
    # oci-archive (gzip layers): layerlens alone (dive does not read oci-archive)
    if img["oci"]:
        warm(img["oci"])
        for rep in range(REPS):
            run("layerlens", "analyze", "oci", rep, lambda: ll_analyze(img["oci"], f"{name}.ll.analyze-oci.{rep}"))
        for rep in range(REPS):
            row = run("layerlens", "squash", "oci", rep, lambda: ll_squash(img["oci"], ll_out, f"{name}.ll.squash-oci.{rep}"))
            if rep == 0 and row["rc"] == 0:
                rec["checks"]["layerlens_squash_oci"] = check_output(name, "layerlens-oci", inp, inp_list, ll_out, False)
                log(f"   layerlens squash (oci input) output: {rec['checks']['layerlens_squash_oci']['summary']}")
            if os.path.exists(ll_out):
                os.remove(ll_out)
    # dive parity of the figures (efficiency, wasted bytes)
    fl = [r["figures"] for r in rec["runs"] if r["tool"] == "layerlens" and r["op"] == "analyze" and r["form"] == "docker" and r.get("figures")]
    fd = [r["figures"] for r in rec["runs"] if r["tool"] == "dive" and r.get("figures")]
    if fl and fd:
        rec["checks"]["dive_parity"] = {"layerlens": fl[0], "dive": fd[0],
                                        "same": fl[0].get("efficiency") == fd[0].get("efficiency") and fl[0].get("wasted") == fd[0].get("wasted")}
    if os.path.exists(inp_list):
        os.remove(inp_list)
    # what the next image of this series can expect of the peers (first run; a timeout counts
    # as the limit itself)
    times = {}
    for tool, op in (("dive", "analyze"), ("docker-squash", "squash")):
        first = [r for r in rec["runs"] if r["tool"] == tool and r["rep"] == 0]
        if first:
            times[tool] = PEER_TIMEOUT if first[0]["rc"] == "timeout" else first[0]["wall"]
        elif tool in skip:
            times[tool] = prev["times"][tool] * size_of(rec) / prev["size"]
    _last_peer[img["series"]] = {"name": name, "size": size_of(rec), "times": times}
    rec["load_after"] = load()
    summarize_image(rec)
    save(results)


def summarize_image(rec):
    """Medians per (tool, op, form) and per-pair ratios layerlens/peer."""
    s = {}
    for r in rec["runs"]:
        k = f"{r['tool']}|{r['op']}|{r['form']}"
        s.setdefault(k, []).append(r)
    med = {}
    for k, rows in s.items():
        good = [r for r in rows if r["ok"]]
        med[k] = {"n": len(good), "failed": len(rows) - len(good),
                  "wall": median([r["wall"] for r in good]), "rss_kb": median([r["rss_kb"] for r in good]),
                  "timeouts": sum(1 for r in rows if r["rc"] == "timeout")}
    rec["medians"] = med
    ratios = {}
    for op, peer in (("analyze", "dive"), ("analyze-nowaste", "dive"), ("squash", "docker-squash")):
        ll = {r["rep"]: r for r in s.get(f"layerlens|{op}|docker", []) if r["ok"]}
        pr = {r["rep"]: r for r in s.get(f"{peer}|{op.split('-')[0]}|docker", []) if r["ok"]}
        pairs = [(ll[i], pr[i]) for i in sorted(set(ll) & set(pr))]
        if pairs:
            ratios[op] = {
                "peer": peer, "pairs": len(pairs),
                "time": median([a["wall"] / b["wall"] for a, b in pairs]),
                "rss": median([a["rss_kb"] / b["rss_kb"] for a, b in pairs if a["rss_kb"] and b["rss_kb"]]),
                "per_pair_time": [round(a["wall"] / b["wall"], 4) for a, b in pairs],
            }
    rec["ratios"] = ratios


def save(results):
    with open(os.path.join(OUT, "results.json"), "w") as f:
        json.dump(results, f, indent=1)


def machine():
    cpu = ""
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = 0
    for line in open("/proc/meminfo"):
        if line.startswith("MemTotal"):
            mem = int(line.split()[1]) * 1024
    osr = ""
    try:
        osr = [l.split("=", 1)[1].strip().strip('"') for l in open("/etc/os-release") if l.startswith("PRETTY_NAME")][0]
    except Exception:
        pass
    def ver(argv):
        p = subprocess.run(argv, capture_output=True, text=True)
        return ((p.stdout or p.stderr).strip().splitlines() or [""])[0]
    return {"cpus": os.cpu_count(), "cpu": cpu, "memory_bytes": mem, "os": osr, "kernel": platform.release(),
            "layerlens": ver([LL, "--version"]), "dive": ver([DIVE, "--version"]),
            "docker_squash": ver([PEER_PY, "-c", "from docker_squash.version import version; print('docker-squash', version)"]),
            "commit": subprocess.run(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip(),
            "dirty": bool(subprocess.run(["git", "-C", ROOT, "status", "--porcelain", "--", "crates", "web"], capture_output=True, text=True).stdout.strip())}


def main():
    global LL
    os.makedirs(RAW, exist_ok=True)
    os.makedirs(TMP, exist_ok=True)
    # A private copy of the binary: a rebuild of target/ during the run cannot change it.
    import hashlib
    copy = os.path.join(TMP, "layerlens")
    shutil.copy2(LL, copy)
    LL = copy
    ll_sha = hashlib.sha256(open(LL, "rb").read()).hexdigest()
    t0 = time.time()
    results = {"date": DATE, "started": datetime.datetime.now().isoformat(timespec="seconds"),
               "machine": machine(), "settings": {"reps": REPS, "peer_budget_s": PEER_BUDGET,
                                                  "peer_timeout_s": PEER_TIMEOUT, "huge": HUGE},
               "load_start": load(), "layerlens_sha256": ll_sha, "images": []}
    imgs = images()
    results["generation_seconds"] = round(time.time() - t0, 1)
    for img in imgs:
        bench_image(img, results)
    results["load_end"] = load()
    results["bench_seconds"] = round(time.time() - t0, 1)
    save(results)
    shutil.rmtree(TMP, ignore_errors=True)
    log(f"wrote {os.path.join(OUT, 'results.json')} ({results['bench_seconds']:.0f} s)")


if __name__ == "__main__":
    main()
