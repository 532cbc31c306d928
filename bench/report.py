#!/usr/bin/env python3
"""Turns bench.py's results.json (and browser.mjs's browser.json) into results.md and scaling.svg.

usage: report.py RESULTS_DIR        (reads RESULTS_DIR/results.json and, if present,
                                     RESULTS_DIR/browser.json; writes results.md, scaling.svg,
                                     and the targets into results.json)
"""
import glob
import json
import math
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import limits as physical  # noqa: E402

# ---------------------------------------------------------------------------------------------
# Formatting


def secs(x):
    if x is None:
        return "–"
    if x < 1:
        return f"{x * 1000:.0f} ms"
    if x < 100:
        return f"{x:.2f} s"
    return f"{x:.0f} s"


def mb_kb(kb):
    return "–" if kb is None else f"{kb / 1024:.0f} MB"


def size(b):
    if b is None:
        return "–"
    if b >= 1e9:
        return f"{b / 1e9:.2f} GB"
    if b >= 1e6:
        return f"{b / 1e6:.0f} MB"
    return f"{b / 1e3:.0f} kB"


def count(n):
    if n is None:
        return "–"
    if n >= 1e6:
        return f"{n / 1e6:.2f} M"
    if n >= 1e3:
        return f"{n / 1e3:.0f} k"
    return str(n)


def ratio(x):
    """layerlens/peer as `0.021 (47× faster)`."""
    if x is None:
        return "–"
    return f"{x:.3f} ({1 / x:.0f}×)" if x < 0.1 else f"{x:.2f} ({1 / x:.1f}×)"


def med(rec, tool, op, form):
    return rec.get("medians", {}).get(f"{tool}|{op}|{form}", {})


def exponent(points):
    """Least-squares slope of log y against log x (1 = linear, 0 = flat)."""
    pts = [(math.log(x), math.log(y)) for x, y in points if x and y]
    if len(pts) < 2:
        return None
    mx = sum(p[0] for p in pts) / len(pts)
    my = sum(p[1] for p in pts) / len(pts)
    sxx = sum((p[0] - mx) ** 2 for p in pts)
    return sum((p[0] - mx) * (p[1] - my) for p in pts) / sxx if sxx else None


# ---------------------------------------------------------------------------------------------
# SVG plot (no dependencies)

COLORS = {"layerlens analyze": "#1f77b4", "layerlens squash": "#ff7f0e", "dive": "#7f3fbf",
          "docker-squash": "#d62728"}


def svg_plot(panels, path):
    W, H = 460, 300
    ml, mr, mt, mb = 62, 16, 30, 44
    cols = 2
    rows = (len(panels) + 1) // cols
    nlegend = len({s["label"] for p in panels for s in p["series"] if s["points"]})
    legend_h = 24 + 20 * ((nlegend + 2) // 3)
    total_w, total_h = W * cols, H * rows + legend_h
    o = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{total_w}" height="{total_h}" '
         f'viewBox="0 0 {total_w} {total_h}" font-family="sans-serif" font-size="11">',
         f'<rect width="{total_w}" height="{total_h}" fill="white"/>']
    for pi, p in enumerate(panels):
        ox, oy = (pi % cols) * W, (pi // cols) * H
        pw, ph = W - ml - mr, H - mt - mb
        xs = [x for s in p["series"] for x, _ in s["points"]]
        ys = [y for s in p["series"] for _, y in s["points"]]
        if not xs:
            continue
        x0, x1 = 10 ** math.floor(math.log10(min(xs))), 10 ** math.ceil(math.log10(max(xs)))
        y0, y1 = 10 ** math.floor(math.log10(min(ys))), 10 ** math.ceil(math.log10(max(ys)))
        if x1 == x0:
            x1 *= 10
        if y1 == y0:
            y1 *= 10
        X = lambda x: ox + ml + pw * (math.log10(x) - math.log10(x0)) / (math.log10(x1) - math.log10(x0))
        Y = lambda y: oy + mt + ph - ph * (math.log10(y) - math.log10(y0)) / (math.log10(y1) - math.log10(y0))
        o.append(f'<text x="{ox + ml + pw / 2}" y="{oy + 18}" text-anchor="middle" font-size="13" '
                 f'font-weight="bold">{p["title"]}</text>')
        o.append(f'<rect x="{ox + ml}" y="{oy + mt}" width="{pw}" height="{ph}" fill="none" stroke="#888"/>')
        d = math.floor(math.log10(x0))
        while 10 ** d <= x1 * 1.0001:
            v = 10 ** d
            o.append(f'<line x1="{X(v):.1f}" y1="{oy + mt}" x2="{X(v):.1f}" y2="{oy + mt + ph}" stroke="#e5e5e5"/>')
            o.append(f'<text x="{X(v):.1f}" y="{oy + mt + ph + 14}" text-anchor="middle">{p["xfmt"](v)}</text>')
            d += 1
        d = math.floor(math.log10(y0))
        while 10 ** d <= y1 * 1.0001:
            for m in (1, 2, 5):
                v = m * 10 ** d
                if y0 <= v <= y1 * 1.0001:
                    o.append(f'<line x1="{ox + ml}" y1="{Y(v):.1f}" x2="{ox + ml + pw}" y2="{Y(v):.1f}" '
                             f'stroke="{"#e5e5e5" if m == 1 else "#f4f4f4"}"/>')
                    o.append(f'<text x="{ox + ml - 4}" y="{Y(v) + 4:.1f}" text-anchor="end">{p["yfmt"](v)}</text>')
            d += 1
        o.append(f'<text x="{ox + ml + pw / 2}" y="{oy + H - 8}" text-anchor="middle">{p["xlabel"]}</text>')
        o.append(f'<text transform="translate({ox + 14},{oy + mt + ph / 2}) rotate(-90)" '
                 f'text-anchor="middle">{p["ylabel"]}</text>')
        for s in p["series"]:
            pts = sorted(s["points"])
            if not pts:
                continue
            dash = ' stroke-dasharray="5,3"' if s.get("dashed") else ""
            o.append(f'<polyline fill="none" stroke="{s["color"]}" stroke-width="2"{dash} points="'
                     + " ".join(f"{X(x):.1f},{Y(y):.1f}" for x, y in pts) + '"/>')
            for x, y in pts:
                shape = (f'<rect x="{X(x) - 3:.1f}" y="{Y(y) - 3:.1f}" width="6" height="6" fill="white" '
                         f'stroke="{s["color"]}" stroke-width="1.5"/>') if s.get("dashed") else \
                    f'<circle cx="{X(x):.1f}" cy="{Y(y):.1f}" r="3.2" fill="{s["color"]}"/>'
                o.append(shape)
    # legend
    seen = []
    for p in panels:
        for s in p["series"]:
            if s["label"] not in [x["label"] for x in seen] and s["points"]:
                seen.append(s)
    lx, ly = 20, H * rows + 18
    for i, s in enumerate(seen):
        x = lx + (i % 3) * 300
        y = ly + (i // 3) * 20
        dash = ' stroke-dasharray="5,3"' if s.get("dashed") else ""
        o.append(f'<line x1="{x}" y1="{y}" x2="{x + 28}" y2="{y}" stroke="{s["color"]}" stroke-width="2"{dash}/>')
        o.append(f'<text x="{x + 34}" y="{y + 4}">{s["label"]}</text>')
    o.append("</svg>")
    with open(path, "w") as f:
        f.write("\n".join(o) + "\n")


# ---------------------------------------------------------------------------------------------


BEFORE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "results", "2026-11-26", "results.json")


def issue17_targets(d, imgs, B, others):
    """Issue 17's targets as (target, measured, met) rows; met is None when not measured."""
    rows = []
    by_key = {os.path.basename(o["image"])[:-4]: o for o in others}
    browser = {}
    if B:
        browser["large.docker"] = B
    for k in ("e1m.docker", "large.oci"):
        if k in by_key:
            browser[k] = by_key[k]
    for k in ("large.docker", "e1m.docker"):
        o = browser.get(k)
        if not o:
            rows.append((f"browser within 2× of the CLI on {k}.tar", "not run", None))
            continue
        M = o["medians"]
        r = [M.get("tableRatio"), M.get("wasteRatio"), M.get("buildRatio")]
        shown = ", ".join(f"{x:.1f}×" if x else "–" for x in r)
        rows.append((f"browser within 2× of the CLI on `{k}.tar` (layer table vs `analyze --no-waste`; waste shown vs "
                     "`analyze`; download ready vs `squash`)", shown, all(x is not None and x <= 2 for x in r)))
    o = browser.get("large.docker")
    if o:
        M = o["medians"]
        rows.append(("Chromium's summed RSS ≤ 1 GB opening and squashing `large`",
                     f"{size(M.get('peakRss'))} (PSS {size(M.get('peakPss'))})", (M.get("peakRss") or 9e99) <= 1e9))
    o = browser.get("e1m.docker")
    if o:
        M = o["medians"]
        parts = M.get("blobParts")
        rows.append(("no main-thread task over 50 ms at 1M entries (e1m: opening and building)",
                     f"longest {M.get('longestTaskMs', 0):.0f} ms ({M.get('longTasks', 0):.0f} tasks over 50 ms)",
                     (M.get("longestTaskMs") or 0) <= 50))
        rows.append(("e1m's download within 2× of the CLI (Blob parts coalesced)",
                     f"{M.get('buildRatio', 0):.1f}×" + (f", {parts:.0f} Blob parts" if parts else ""),
                     (M.get("buildRatio") or 9) <= 2))
    L = imgs.get("large")
    if L:
        a, b = med(L, "layerlens", "analyze", "oci").get("wall"), med(L, "layerlens", "analyze", "docker").get("wall")
        text = f"native {a / b:.2f}× ({secs(a)} / {secs(b)})" if a and b else "native not measured"
        ok = bool(a and b and a / b <= 1.5)
        o, od = browser.get("large.oci"), browser.get("large.docker")
        if o and od:
            x, y = o["medians"].get("tableMs"), od["medians"].get("tableMs")
            if x and y:
                text += f"; browser {x / y:.2f}× ({secs(x / 1000)} / {secs(y / 1000)}, layer table)"
                ok = ok and x / y <= 1.5
        rows.append(("`large` as oci-archive analysed within 1.5× of the uncompressed form", text, ok))
    before = {}
    if os.path.exists(BEFORE):
        before = {r["name"]: r for r in json.load(open(BEFORE))["images"]}
    big = next((n for n in ("b10g", "b1g") if n in imgs), None)
    if big and big in before:
        cells, ok = [], True
        for op in ("analyze", "squash"):
            now = med(imgs[big], "layerlens", op, "oci").get("wall")
            then = med(before[big], "layerlens", op, "oci").get("wall")
            if now and then:
                cells.append(f"{op} {secs(then)} → {secs(now)} ({then / now:.1f}×)")
                ok = ok and then / now >= 2.5
            else:
                cells.append(f"{op} not measured")
                ok = False
        note = "" if big == "b10g" else " (b10g not in this run: `bench/run --huge`; b1g has the same layers at a tenth of the size)"
        rows.append((f"`{big}` as oci-archive ≥ 2.5× faster than before{note}", "; ".join(cells), ok))
    E = imgs.get("e1m")
    if E:
        a = med(E, "layerlens", "analyze", "docker").get("rss_kb")
        q = med(E, "layerlens", "squash", "docker").get("rss_kb")
        rows.append(("e1m `analyze` ≤ 400 MB and `squash` ≤ 300 MB peak RSS (before: 707 and 438 MB)",
                     f"{mb_kb(a)} and {mb_kb(q)}", bool(a and q and a <= 400 * 1024 and q <= 300 * 1024)))
    have = [n for n in imgs if "read_mb_s" in imgs[n].get("limits", {})]
    rows.append(("the results show the machine's limits (read, SHA-256, gunzip, zstd -d) and each figure's fraction of its bound",
                 f"measured on {len(have)} images (table above)" if have else "not measured", bool(have) if have else None))
    return rows


def main():
    d = sys.argv[1]
    R = json.load(open(os.path.join(d, "results.json")))
    bpath = os.path.join(d, "browser.json")
    B = json.load(open(bpath)) if os.path.exists(bpath) else None
    imgs = {r["name"]: r for r in R["images"]}
    m = R["machine"]
    out = []
    w = out.append

    w(f"# layerlens benchmarks, {R['date']}\n")
    w(f"Machine: {m['cpus']} cores ({m['cpu']}), {m['memory_bytes'] / 2**30:.0f} GB RAM, {m['os']}, "
      f"Linux {m['kernel']}. layerlens {m['layerlens'].split()[-1]} at {m['commit']}"
      f"{' (with uncommitted changes in crates/ or web/)' if m.get('dirty') else ''}, {m['dive']}, "
      f"{m['docker_squash']} (no daemon: bench/docker_squash_nodaemon.py).\n")
    w(f"Load average (1/5/15 min) at the start {R['load_start']}, at the end {R.get('load_end')}; "
      f"{R['settings']['reps']} runs per tool and image unless a peer's runs on one image passed "
      f"{R['settings']['peer_budget_s']:.0f} s; page cache warm; wall time and peak RSS "
      f"(GNU time `%M`) of each process. Ratios are layerlens/peer, taken per pair of runs that "
      f"ran back to back (the two tools alternate), then the median; `(47×)` means 47 times faster or smaller.\n")
    if os.environ.get("BENCH_T0"):
        import time
        R["total_seconds"] = round(time.time() - int(os.environ["BENCH_T0"]))
    if R.get("bench_seconds"):
        w(f"`bench/run` took {R.get('total_seconds', R['bench_seconds']) / 60:.0f} min in all; the measurements and "
          f"checks {R['bench_seconds'] / 60:.0f} min, of which generating images {R.get('generation_seconds', 0):.0f} s.\n")

    # ---- peers
    w("## layerlens against the peers (docker-archive input)\n")
    w("| image | entries | size | operation | layerlens | peak RSS | peer | peer time | peer RSS | time ratio | RSS ratio | runs | output: layerlens / peer |")
    w("|---|---:|---:|---|---:|---:|---|---:|---:|---:|---:|---|---|")
    order = [n for n in ("realistic", "large", "e10k", "e100k", "e1m", "b100m", "b1g", "b10g") if n in imgs]
    notes = []
    for n in order:
        r = imgs[n]
        c = r.get("checks", {})
        for op, peer in (("analyze", "dive"), ("analyze-nowaste", "dive"), ("squash", "docker-squash")):
            a, p = med(r, "layerlens", op, "docker"), med(r, peer, op.split("-")[0], "docker")
            if not a:
                continue
            rt = r.get("ratios", {}).get(op, {})
            if op == "analyze-nowaste":
                chk = "layers only: no waste figures (dive computes them)"
            elif op == "analyze":
                dp = c.get("dive_parity")
                chk = "same efficiency and wasted bytes as dive" if dp and dp["same"] else \
                    ("figures differ from dive's" if dp else "")
            else:
                lc, pc = c.get("layerlens_squash", {}), c.get("docker_squash", {})
                chk = f"{'rootfs equal' if lc.get('equal') else lc.get('summary', '–')} / " + \
                      (("rootfs equal" if pc.get("equal") else pc.get("summary", "–")) if pc else
                       ("not run" if not p else "–"))
            skipped = r.get("skipped", {}).get(peer)
            if skipped and not p and op != "analyze-nowaste":
                notes.append(f"{n}, {peer}: {skipped}.")
                chk += f" (peer {'not run' if 'not run' in skipped else 'skipped'}: note {len(notes)})"
            if p.get("timeouts") and op != "analyze-nowaste":
                notes.append(f"{n}, {peer}: stopped after {R['settings']['peer_timeout_s']:.0f} s (PEER_TIMEOUT); "
                             "its time is at least that.")
            pt = secs(p.get("wall"))
            tr = ratio(rt.get("time"))
            if p.get("timeouts") and not p.get("wall"):
                pt = f"> {R['settings']['peer_timeout_s']:.0f} s"
                if a.get("wall"):
                    bound = a["wall"] / R["settings"]["peer_timeout_s"]
                    tr = f"< {bound:.4f} (> {1 / bound:.0f}×)"
            runs = f"{a.get('n', 0)}/{p.get('n', 0)}" + (f" ({p['failed']} failed)" if p.get("failed") else "") + \
                (f" ({p['timeouts']} timed out)" if p.get("timeouts") else "")
            opname = "analyze --no-waste" if op == "analyze-nowaste" else op
            w(f"| {n} | {count(r.get('entries'))} | {size(r['docker_bytes'])} | {opname} | {secs(a.get('wall'))} | "
              f"{mb_kb(a.get('rss_kb'))} | {peer} | {pt} | {mb_kb(p.get('rss_kb'))} | "
              f"{tr} | {ratio(rt.get('rss'))} | {runs} | {chk} |")
    w("")
    for i, t in enumerate(notes, 1):
        w(f"{i}. {t}")
    if notes:
        w("")

    # ---- scaling
    w("## Scaling of layerlens (medians)\n")
    w("Generated images (bench/gen_image.py): four layers with whiteouts, an opaque directory, "
      "overwrites, chmods and hardlinks; `eN` = N entries of small files, `bS` = S bytes in a few big files. "
      "docker-archive = uncompressed layers; oci-archive = the same layers gzip-compressed.\n")
    w("| image | entries | docker-archive | analyze | RSS | squash | RSS | oci-archive | analyze | RSS | squash | RSS | squash output (docker / oci input) |")
    w("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|")
    for n in order:
        r = imgs[n]
        c = r.get("checks", {})
        cells = []
        for form in ("docker", "oci"):
            a, s = med(r, "layerlens", "analyze", form), med(r, "layerlens", "squash", form)
            cells += [secs(a.get("wall")), mb_kb(a.get("rss_kb")), secs(s.get("wall")), mb_kb(s.get("rss_kb"))]
        ok = lambda k: ("equal" if c.get(k, {}).get("equal") else c.get(k, {}).get("summary", "–"))
        w(f"| {n} | {count(r.get('entries'))} | {size(r['docker_bytes'])} | " + " | ".join(cells[:4]) +
          f" | {size(r.get('oci_bytes'))} | " + " | ".join(cells[4:]) + f" | {ok('layerlens_squash')} / {ok('layerlens_squash_oci')} |")
    w("")
    w("![time and peak memory against entries and bytes](scaling.svg)\n")

    # ---- physical limits
    have = [n for n in order if "read_mb_s" in imgs[n].get("limits", {})]
    if have:
        w("## Against the machine's limits (measured in the same run)\n")
        w("Rates of this machine on each image's own bytes, page cache warm, best of 3: `cat` of the "
          "docker-archive (read), `sha256sum` of it, the oci-archive's gzip layers through "
          "`gzip -d`/`pigz -d` one after another, and the same bytes through `zstd -d`. A squash copies "
          "the kept bytes and hashes the new layer, so its bound is read + SHA-256 of its output; "
          "analysing an oci-archive decodes every layer, so its bound is the gunzip time spread over "
          "the cores (never below the largest layer's own time). `fraction` = bound / layerlens's "
          "median: 100 % would be the machine's limit.\n")
        w("| image | read | sha256 | gunzip | zstd -d | analyze oci: bound / layerlens / fraction | "
          "squash docker: bound / layerlens / fraction |")
        w("|---|---:|---:|---:|---:|---|---|")
        for n in have:
            r = imgs[n]
            L = r["limits"]
            rate = lambda k: f"{L[k]:.0f} MB/s" if k in L else "–"
            cells = []
            a = med(r, "layerlens", "analyze", "oci")
            if "gunzip_s" in L and a.get("wall"):
                b = physical.parallel_bound(L["gunzip_s"], L["largest_layer_share"], L["cores"])
                cells.append(f"{secs(b)} / {secs(a['wall'])} / {100 * b / a['wall']:.0f} %")
            else:
                cells.append("–")
            q = med(r, "layerlens", "squash", "docker")
            out_bytes = r.get("checks", {}).get("layerlens_squash", {}).get("bytes")
            if q.get("wall") and out_bytes:
                b = out_bytes / 1e6 / L["read_mb_s"] + out_bytes / 1e6 / L["sha256_mb_s"]
                cells.append(f"{secs(b)} / {secs(q['wall'])} / {100 * b / q['wall']:.0f} %")
            else:
                cells.append("–")
            w(f"| {n} | {rate('read_mb_s')} | {rate('sha256_mb_s')} | {rate('gunzip_mb_s')} | "
              f"{rate('zstd_mb_s')} | {cells[0]} | {cells[1]} |")
        w("")

    # ---- browser
    if B:
        M = B["medians"]
        w(f"## Browser (headless Chromium, bench/browser.mjs) on `{os.path.basename(B['image'])}` "
          f"({size(B['bytes'])}), medians of {B['runs']} runs\n")
        if B.get("commit") and B["commit"] != R["machine"].get("commit"):
            w(f"Run separately, at {B['commit']}{' (with local changes)' if B.get('dirty') else ''}, "
              f"{B['date'][:16].replace('T', ' ')} UTC; the native CLI was measured in the same run, right "
              "after each browser run. Ratios are per run (browser, then native), then the median.\n")
        else:
            w("Ratios are per run (the browser run, then the native runs right after it), then the median.\n")
        w("| measure | browser | native CLI | browser/native |")
        w("|---|---:|---:|---:|")
        rr = lambda a, b: f"{a / b:.1f}×" if a and b else "–"
        pr = lambda k, a, b: f"{M[k]:.1f}×" if M.get(k) else rr(a, b)
        nw = M.get("nativeAnalyzeNoWasteMs")
        if nw:
            w(f"| open → layer table (native: `analyze --no-waste`) | {secs(M['tableMs'] / 1000)} | {secs(nw / 1000)} | {pr('tableRatio', M['tableMs'], nw)} |")
            w(f"| open → waste analysis shown (native: `analyze`) | {secs(M['wasteMs'] / 1000)} | {secs(M['nativeAnalyzeMs'] / 1000)} | {pr('wasteRatio', M['wasteMs'], M['nativeAnalyzeMs'])} |")
        else:
            w(f"| open → layer table (native: `analyze`) | {secs(M['tableMs'] / 1000)} | {secs(M['nativeAnalyzeMs'] / 1000)} | {rr(M['tableMs'], M['nativeAnalyzeMs'])} |")
        w(f"| … of which the worker's analysis | {secs(M['workerMs'] / 1000)} | | |")
        w(f"| open → file tree shown | {secs(M['treeMs'] / 1000)} | | |")
        w(f"| Build → download starts (native: `squash -o`) | {secs(M['buildMs'] / 1000)} | {secs(M['nativeSquashMs'] / 1000)} | {pr('buildRatio', M['buildMs'], M['nativeSquashMs'])} |")
        if M.get("playwrightTableMs"):
            w(f"| open → layer table / Build → download, as Playwright sees them (+ protocol round trips) | "
              f"{secs(M['playwrightTableMs'] / 1000)} / {secs(M['playwrightBuildMs'] / 1000)} | | |")
        w(f"| Build → file saved | {secs(M['savedMs'] / 1000)} | | |")
        w(f"| main-thread long tasks (opening + building) | {M['longTasks']:.0f} ({M['longTasksOpen']:.0f} + {M['longTasksBuild']:.0f}) | | |")
        w(f"| longest main-thread task (opening / building) | {M['longestTaskMs']:.0f} ms ({M['longestTaskOpenMs']:.0f} / {M['longestTaskBuildMs']:.0f} ms) | | |")
        w(f"| peak memory: summed RSS of Chromium's processes (native: squash) | {size(M['peakRss'])} | {size(M['nativeSquashRss'])} | {rr(M['peakRss'], M['nativeSquashRss'])} |")
        w(f"| peak memory: summed PSS | {size(M['peakPss'])} | | |")
        w(f"\nThe download is {'byte-identical to' if B.get('sameBytesAsNative') else 'NOT the same bytes as'} the native squash (sha256).\n")
        if os.path.exists(os.path.join(d, "browser-profile.md")):
            w("Where the browser's time goes, and why opening stays above 3×: [browser-profile.md](browser-profile.md).\n")

    # ---- browser on every image
    others = []
    for f in sorted(glob.glob(os.path.join(d, "browser-*.json"))):
        try:
            others.append(json.load(open(f)))
        except (OSError, ValueError):
            pass
    if others:
        order = ["realistic", "large", "e10k", "e100k", "e1m", "b100m", "b1g", "b10g"]
        def key(o):
            base = os.path.basename(o["image"])
            n, _, form = base[:-4].partition(".")
            return (form != "docker", order.index(n) if n in order else 99)
        others.sort(key=key)
        w("## Browser on every image (bench/browser.mjs, one run each)\n")
        w("In-page times; native = the CLI right after, on the same file. A gzip oci-archive's squashed "
          "download collects its decompressed bytes into the Blob, so oci forms that decompress to a GB "
          "or more are left out, but for `large.oci.tar`, whose opening only is timed (`--open-only`).\n")
        w("| image | size | layer table | native `--no-waste` | ratio | waste shown | native `analyze` | ratio "
          "| download ready | native `squash` | ratio | longest task | peak RSS | same bytes |")
        w("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|")
        for o in others:
            M = o["medians"]
            f = lambda k: M.get(k)
            # An --open-only run builds nothing: no download to compare.
            same = lambda o: "–" if o["medians"].get("buildMs") is None else ("yes" if o.get("sameBytesAsNative") else "**no**")
            ms = lambda v: secs(v / 1000) if v is not None else "–"
            rt = lambda v: f"{v:.1f}×" if v else "–"
            w(f"| {os.path.basename(o['image'])} | {size(o['bytes'])} | {ms(f('tableMs'))} | {ms(f('nativeAnalyzeNoWasteMs'))} | "
              f"{rt(f('tableRatio'))} | {ms(f('wasteMs'))} | {ms(f('nativeAnalyzeMs'))} | {rt(f('wasteRatio'))} | "
              f"{ms(f('buildMs'))} | {ms(f('nativeSquashMs'))} | {rt(f('buildRatio'))} | "
              f"{f('longestTaskMs'):.0f} ms | {size(f('peakRss'))} | {same(o)} |")
        w("")

    # ---- targets
    targets = []
    L = imgs.get("large")
    if L:
        ra = L.get("ratios", {}).get("analyze", {})
        t, rs = ra.get("time"), ra.get("rss")
        nw = L.get("ratios", {}).get("analyze-nowaste", {})
        extra = ""
        if nw.get("time") and nw.get("rss"):
            extra = (f"; `--no-waste` (layers only): {1 / nw['time']:.0f}× faster, {nw['rss']:.2f}× dive's memory "
                     f"({mb_kb(med(L, 'layerlens', 'analyze-nowaste', 'docker').get('rss_kb'))})")
        targets.append(("analyze `large` ≥ 40× faster than dive, ≤ half its peak memory",
                        (f"{1 / t:.0f}× faster, {rs:.2f}× dive's memory ({mb_kb(med(L, 'layerlens', 'analyze', 'docker').get('rss_kb'))} "
                         f"vs {mb_kb(med(L, 'dive', 'analyze', 'docker').get('rss_kb'))}){extra}") if t and rs else "not measured",
                        bool(t and rs and 1 / t >= 40 and rs <= 0.5)))
        rq = L.get("ratios", {}).get("squash", {})
        t = rq.get("time")
        rss = med(L, "layerlens", "squash", "docker").get("rss_kb")
        targets.append(("squash `large` ≥ 30× faster than docker-squash, peak RSS < 150 MB",
                        f"{1 / t:.0f}× faster, {mb_kb(rss)}" if t and rss else "not measured",
                        bool(t and rss and 1 / t >= 30 and rss < 150 * 1024)))
    ent = [imgs[n] for n in ("e10k", "e100k", "e1m") if n in imgs]
    byt = [imgs[n] for n in ("b100m", "b1g", "b10g") if n in imgs]
    pts = lambda series, op, form, key, xkey: [(r.get("entries") if xkey == "entries" else r["docker_bytes"],
                                                 med(r, "layerlens", op, form).get(key)) for r in series]
    if len(ent) >= 2:
        k = exponent(pts(ent, "analyze", "docker", "wall", "entries"))
        targets.append(("analysis linear in entries (time ∝ entries^k, k ≤ 1.1)", f"k = {k:.2f}", k is not None and k <= 1.1))
    if len(byt) >= 2:
        k = exponent(pts(byt, "analyze", "docker", "wall", "bytes"))
        last = med(byt[-1], "layerlens", "analyze", "docker").get("wall")
        targets.append((f"analysis flat in bytes, uncompressed layers (k ≤ 0.2, or under 50 ms at {size(byt[-1]['docker_bytes'])})",
                        f"k = {k:.2f}; {secs(last)} at {size(byt[-1]['docker_bytes'])}",
                        k is not None and (k <= 0.2 or (last or 1) < 0.05)))
        k = exponent(pts(byt, "squash", "docker", "wall", "bytes"))
        targets.append(("squash linear in bytes (k ≤ 1.1)", f"k = {k:.2f}", k is not None and k <= 1.1))
    if len(ent) >= 2 and len(byt) >= 2:
        ke = max(exponent(pts(ent, op, "docker", "rss_kb", "entries")) or 9 for op in ("analyze", "squash"))
        kb = max(exponent(pts(byt, op, f, "rss_kb", "bytes")) or 9 for op in ("analyze", "squash") for f in ("docker", "oci"))
        big = max(med(byt[-1], "layerlens", op, f).get("rss_kb") or 0 for op in ("analyze", "squash") for f in ("docker", "oci"))
        targets.append(("memory linear in entries only (k ≤ 1.1 in entries, ≤ 0.2 in bytes)",
                        f"k = {ke:.2f} in entries; {kb:.2f} in bytes; at most {mb_kb(big)} on {size(byt[-1]['docker_bytes'])}",
                        ke <= 1.1 and kb <= 0.2))
    if B:
        M = B["medians"]
        s = M.get("buildRatio") or M["buildMs"] / M["nativeSquashMs"]
        if M.get("nativeAnalyzeNoWasteMs"):
            a = M.get("tableRatio") or M["tableMs"] / M["nativeAnalyzeNoWasteMs"]
            aw = M.get("wasteRatio") or M["wasteMs"] / M["nativeAnalyzeMs"]
            targets.append(("browser within 3× of the native CLI (layer table vs `analyze --no-waste`; waste shown vs "
                            "`analyze`; download ready vs `squash`)",
                            f"{a:.1f}×, {aw:.1f}× and {s:.1f}×", a <= 3 and aw <= 3 and s <= 3))
        else:
            a = M["tableMs"] / M["nativeAnalyzeMs"]
            targets.append(("browser within 3× of the native CLI (layer table vs analyze; download ready vs squash)",
                            f"{a:.1f}× and {s:.1f}×", a <= 3 and s <= 3))
    targets17 = issue17_targets(d, imgs, B, others)
    w("## Targets (issue 7)\n")
    w("| target | measured | met |")
    w("|---|---|---|")
    for t, v, ok in targets:
        w(f"| {t} | {v} | {'yes' if ok else '**no**'} |")
    w("")
    if targets17:
        w("## Targets (issue 17: performance, round two)\n")
        w("Ratios of figures measured in this run. \"Before\" is bench/results/2026-11-26 (layerlens "
          "2d8f108, the same machine), the figures the issue was written against.\n")
        w("| target | measured | met |")
        w("|---|---|---|")
        for t, v, ok in targets17:
            w(f"| {t} | {v} | {'yes' if ok else ('**no**' if ok is not None else 'not measured')} |")
        w("")
    R["targets_issue17"] = [{"target": t, "measured": v, "met": ok} for t, v, ok in targets17]
    R["targets"] = [{"target": t, "measured": v, "met": ok} for t, v, ok in targets]
    with open(os.path.join(d, "results.json"), "w") as f:
        json.dump(R, f, indent=1)

    # ---- plot
    def series(imgs_, op, form, tool, key, xkey, label, color, dashed=False):
        pts_ = []
        for r in imgs_:
            v = med(r, tool, op, form).get(key)
            x = r.get("entries") if xkey == "entries" else r["docker_bytes"]
            if v and x:
                pts_.append((x, v / 1024 if key == "rss_kb" else v))
        return {"label": label, "color": color, "dashed": dashed, "points": pts_}

    def all_series(imgs_, key, xkey):
        return [
            series(imgs_, "analyze", "docker", "layerlens", key, xkey, "layerlens analyze (docker-archive)", COLORS["layerlens analyze"]),
            series(imgs_, "analyze", "oci", "layerlens", key, xkey, "layerlens analyze (oci-archive, gzip)", COLORS["layerlens analyze"], True),
            series(imgs_, "analyze-nowaste", "docker", "layerlens", key, xkey, "layerlens analyze --no-waste (docker-archive)", "#17becf"),
            series(imgs_, "squash", "docker", "layerlens", key, xkey, "layerlens squash (docker-archive)", COLORS["layerlens squash"]),
            series(imgs_, "squash", "oci", "layerlens", key, xkey, "layerlens squash (oci-archive, gzip)", COLORS["layerlens squash"], True),
            series(imgs_, "analyze", "docker", "dive", key, xkey, "dive 0.13.1 (docker-archive)", COLORS["dive"]),
            series(imgs_, "squash", "docker", "docker-squash", key, xkey, "docker-squash 1.2.2 (docker-archive)", COLORS["docker-squash"]),
        ]
    fs = lambda v: f"{v:g} s" if v >= 1 else f"{v * 1000:g} ms"
    fm = lambda v: f"{v / 1024:g} GB" if v >= 1024 else f"{v:g} MB"
    fe = lambda v: f"{v / 1e6:g}M" if v >= 1e6 else (f"{v / 1e3:g}k" if v >= 1e3 else f"{v:g}")
    fb = lambda v: f"{v / 1e9:g} GB" if v >= 1e9 else (f"{v / 1e6:g} MB" if v >= 1e6 else f"{v / 1e3:g} kB")
    panels = [
        {"title": "Wall time vs entries", "xlabel": "entries in all layers", "ylabel": "seconds",
         "xfmt": fe, "yfmt": fs, "series": all_series(ent, "wall", "entries")},
        {"title": "Peak RSS vs entries", "xlabel": "entries in all layers", "ylabel": "peak RSS",
         "xfmt": fe, "yfmt": fm, "series": all_series(ent, "rss_kb", "entries")},
        {"title": "Wall time vs bytes", "xlabel": "image size (docker-archive)", "ylabel": "seconds",
         "xfmt": fb, "yfmt": fs, "series": all_series(byt, "wall", "bytes")},
        {"title": "Peak RSS vs bytes", "xlabel": "image size (docker-archive)", "ylabel": "peak RSS",
         "xfmt": fb, "yfmt": fm, "series": all_series(byt, "rss_kb", "bytes")},
    ]
    svg_plot(panels, os.path.join(d, "scaling.svg"))
    with open(os.path.join(d, "results.md"), "w") as f:
        f.write("\n".join(out) + "\n")
    print("\n".join(out))


if __name__ == "__main__":
    main()
