/// The page `GET /` serves: pick or drop an image, see the boxes and labels drawn over it. Self-contained (no CDN, no
/// build step); it calls `/v1/detect` (or `/v1/classify` for a classifier model) with the page's options.
enum Page {
    static let html = #"""
<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>swiftnet</title>
<style>
  body { font: 15px system-ui, sans-serif; margin: 2em; color: #222; }
  #drop { border: 2px dashed #888; border-radius: 8px; padding: 1.5em; text-align: center; margin: 1em 0; }
  #drop.over { background: #eef; }
  canvas { max-width: 100%; border: 1px solid #ccc; }
  #status { color: #555; min-height: 1.4em; }
  #objects li { font-family: monospace; }
  label { margin-right: 1em; }
</style>
</head>
<body>
<h1>swiftnet</h1>
<p id="model">loading model information…</p>
<div>
  <label>threshold <input id="thresh" type="number" min="0" max="1" step="0.05" value="0.25"></label>
  <label>API key <input id="key" type="password" placeholder="only if the server asks for one"></label>
</div>
<div id="drop">Drop an image here or <input id="file" type="file" accept="image/jpeg,image/png"></div>
<p id="status"></p>
<canvas id="canvas" width="0" height="0"></canvas>
<ul id="objects"></ul>
<script>
const $ = (id) => document.getElementById(id);
let kind = "detector";
const colors = ["#e6194b", "#3cb44b", "#4363d8", "#f58231", "#911eb4", "#42d4f4", "#f032e6", "#9a6324"];

function headers(extra) {
  const h = Object.assign({}, extra);
  const key = $("key").value.trim();
  if (key) h["Authorization"] = "Bearer " + key;
  return h;
}

async function describeModel() {
  try {
    const r = await fetch("/v1/models", { headers: headers({}) });
    const body = await r.json();
    if (!r.ok) { $("model").textContent = body.error ? body.error.message : "model unavailable"; return; }
    const m = body.models[0];
    kind = m.kind;
    $("model").textContent = `${m.kind}: ${m.cfg}, ${m.input.width}×${m.input.height}, ${m.classes} classes`;
  } catch (e) { $("model").textContent = "cannot reach the server: " + e; }
}

function draw(image, result) {
  const canvas = $("canvas"), ctx = canvas.getContext("2d");
  canvas.width = image.naturalWidth; canvas.height = image.naturalHeight;
  ctx.drawImage(image, 0, 0);
  const list = $("objects");
  list.innerHTML = "";
  const objects = result.objects || [];
  ctx.lineWidth = Math.max(2, canvas.width / 300);
  ctx.font = `${Math.max(14, canvas.width / 40)}px sans-serif`;
  objects.forEach((o, i) => {
    const color = colors[o.class_id % colors.length];
    ctx.strokeStyle = color; ctx.fillStyle = color;
    ctx.strokeRect(o.box.x, o.box.y, o.box.width, o.box.height);
    const text = `${o.name} ${(o.confidence * 100).toFixed(0)}%`;
    const w = ctx.measureText(text).width + 6, h = parseInt(ctx.font) + 4;
    ctx.fillRect(o.box.x, Math.max(0, o.box.y - h), w, h);
    ctx.fillStyle = "#fff"; ctx.fillText(text, o.box.x + 3, Math.max(h - 4, o.box.y - 4));
    const li = document.createElement("li");
    li.className = "object";
    li.dataset.name = o.name;
    li.dataset.confidence = o.confidence.toFixed(4);
    li.textContent = `${text} at (${o.box.x.toFixed(0)}, ${o.box.y.toFixed(0)}) ${o.box.width.toFixed(0)}×${o.box.height.toFixed(0)}`;
    list.appendChild(li);
  });
  (result.classes || []).forEach((c) => {
    const li = document.createElement("li");
    li.className = "object";
    li.dataset.name = c.name;
    li.dataset.confidence = c.probability.toFixed(4);
    li.textContent = `${c.name} ${(c.probability * 100).toFixed(1)}%`;
    list.appendChild(li);
  });
}

async function run(file) {
  $("status").textContent = "detecting…";
  const image = new Image();
  image.src = URL.createObjectURL(file);
  await image.decode();
  const route = kind === "classifier" ? "/v1/classify" : `/v1/detect?thresh=${encodeURIComponent($("thresh").value)}`;
  const r = await fetch(route, { method: "POST", headers: headers({ "Content-Type": file.type || "application/octet-stream" }), body: file });
  const body = await r.json();
  if (!r.ok) { $("status").textContent = "error: " + (body.error ? body.error.message : r.status); return; }
  draw(image, body);
  const n = (body.objects || body.classes || []).length;
  $("status").textContent = `${n} ${kind === "classifier" ? "classes" : "objects"} in ${body.timing.inference_ms.toFixed(0)} ms`;
  document.body.dataset.done = "true";
}

$("file").addEventListener("change", (e) => { if (e.target.files[0]) run(e.target.files[0]); });
const drop = $("drop");
drop.addEventListener("dragover", (e) => { e.preventDefault(); drop.classList.add("over"); });
drop.addEventListener("dragleave", () => drop.classList.remove("over"));
drop.addEventListener("drop", (e) => { e.preventDefault(); drop.classList.remove("over"); if (e.dataTransfer.files[0]) run(e.dataTransfer.files[0]); });
$("key").addEventListener("change", describeModel);
describeModel();
</script>
</body>
</html>
"""#
}
