// The page: sends the chosen File to the worker and shows what comes back.
const worker = new Worker(new URL("./worker.js", import.meta.url), { type: "module" });
const out = document.getElementById("out");
const squash = document.getElementById("squash");
const download = document.getElementById("download");
const mb = (n) => `${(n / 1e6).toFixed(1)} MB`;

worker.onmessage = ({ data }) => {
  if (data.error) {
    out.textContent = `Error: ${data.error}`;
    return;
  }
  if (data.summary) {
    const s = data.summary;
    out.textContent = [
      `${s.tags.join(", ") || "<none>"}  ${s.platform}  ${s.id}`,
      `${s.layers.length} layers, ${mb(s.size)} stored; final filesystem ${mb(s.final_size)} in ${s.final_entries} paths`,
      ...s.layers.map((l) => `  ${l.position}  ${mb(l.tar_size)}  +${l.counts.added} ~${l.counts.modified} -${l.counts.removed}  ${l.created_by.slice(0, 70)}`),
      `wasted ${mb(data.waste.figures.dead_bytes)}; a squash reclaims ${mb(data.waste.reclaim.total)}`,
      ...data.waste.findings.slice(0, 5).map((f) => `  [${f.severity}] ${f.title}`),
    ].join("\n");
    squash.disabled = false;
  }
  if (data.squashed) {
    download.href = URL.createObjectURL(data.squashed);
    download.download = "squashed.tar";
    download.textContent = `download squashed.tar (${data.squashed.size} bytes)`;
    download.hidden = false;
  }
};

document.getElementById("file").addEventListener("change", (e) => {
  const file = e.target.files[0];
  if (!file) return;
  out.textContent = `Reading ${file.name}…`;
  squash.disabled = true;
  download.hidden = true;
  worker.postMessage({ open: file });
});
squash.addEventListener("click", () => worker.postMessage({ squash: true }));
