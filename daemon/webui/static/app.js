// shoal's web UI: polls the daemon's control API (/v1/...) every second,
// refreshes at once on its event stream, and sends the user's actions to
// the same API. No framework and no build step; every text goes in with
// textContent, so nothing a torrent or peer names is ever run as HTML.
"use strict";

const POLL_MS = 1000;
const HISTORY = 120; // rate samples kept per torrent: two minutes at POLL_MS
const $ = (id) => document.getElementById(id);

let rows = [];
let selected = null; // id of the torrent shown in detail
const history = new Map(); // id -> [{down, up}]
let pollTimer = null;

async function api(method, path, body) {
  const opt = { method, headers: {} };
  if (body !== undefined) {
    opt.headers["Content-Type"] = "application/json";
    opt.body = JSON.stringify(body);
  }
  const resp = await fetch("v1/" + path, opt);
  let data = null;
  try { data = await resp.json(); } catch (e) { /* not JSON: say the status */ }
  if (!resp.ok) throw new Error((data && data.error) || resp.status + " " + resp.statusText);
  return data;
}

function el(tag, text, cls) {
  const e = document.createElement(tag);
  if (text !== undefined && text !== null) e.textContent = text;
  if (cls) e.className = cls;
  return e;
}

function bytes(n) {
  const u = ["B", "KiB", "MiB", "GiB", "TiB"];
  let i = 0;
  while (n >= 1024 && i < u.length - 1) { n /= 1024; i++; }
  return (i ? n.toFixed(1) : n) + " " + u[i];
}
const rate = (bps) => (bps > 0 ? bytes(bps) + "/s" : "–");
function eta(s) {
  if (s < 0) return "∞";
  if (s === 0) return "–";
  const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60);
  return h ? h + "h" + String(m).padStart(2, "0") + "m" : m ? m + "m" + (s % 60) + "s" : s + "s";
}

function labelsOf(r) { return r.labels || []; }

function matches(r, q) {
  if (!q) return true;
  q = q.toLowerCase();
  return r.name.toLowerCase().includes(q) || r.state.includes(q) || r.infohash.startsWith(q) ||
    labelsOf(r).some((l) => l.toLowerCase().includes(q));
}

function renderRows() {
  const body = $("rows");
  const q = $("filter").value.trim();
  body.replaceChildren();
  let down = 0, up = 0;
  for (const r of rows) {
    down += r.down_bps; up += r.up_bps;
    if (!matches(r, q)) continue;
    const tr = el("tr");
    tr.dataset.id = r.id;
    tr.dataset.state = r.state;
    if (r.id === selected) tr.className = "sel";
    tr.append(el("td", r.id, "num"));
    const name = el("td", r.name || r.infohash, "name");
    for (const l of labelsOf(r)) name.append(el("span", l, "label"));
    if (r.super_seeding) name.append(el("span", "super-seed", "label super"));
    const why = r.error || r.stalled;
    if (why) name.append(el("div", why, "why"));
    tr.append(name, el("td", r.state, "state"));
    const bar = el("div", null, "bar"), fill = el("i");
    fill.style.width = (r.progress * 100).toFixed(1) + "%";
    bar.append(fill, el("span", (r.progress * 100).toFixed(1) + "%"));
    const pc = el("td"); pc.append(bar); tr.append(pc);
    tr.append(el("td", r.size_bytes ? bytes(r.size_bytes) : "?", "num"), el("td", rate(r.down_bps), "num down"),
      el("td", rate(r.up_bps), "num up"), el("td", r.peers + (r.seeds ? " (" + r.seeds + " seeds)" : ""), "num"),
      el("td", r.ratio.toFixed(2), "num"), el("td", eta(r.eta_seconds), "num"));
    const act = el("td");
    const paused = r.state === "paused";
    const b = el("button", paused ? "Resume" : "Pause", paused ? "resume" : "pause");
    b.onclick = (ev) => { ev.stopPropagation(); torrentAction(paused ? "resume" : "pause", r.id); };
    act.append(b); tr.append(act);
    tr.onclick = () => { selected = r.id; renderRows(); refreshDetail(); };
    body.append(tr);
  }
  $("empty").hidden = rows.length > 0;
  $("totals").textContent = rows.length + " torrent" + (rows.length === 1 ? "" : "s") + " · ↓ " + rate(down) + " · ↑ " + rate(up);
}

async function torrentAction(what, id) {
  try { await api("POST", "torrents/" + id + "/" + what, {}); } catch (e) { note("error", e.message); }
  poll();
}

function note(kind, msg) {
  const li = el("li", new Date().toLocaleTimeString() + " " + kind + (msg ? ": " + msg : ""));
  const ol = $("events");
  ol.prepend(li);
  while (ol.children.length > 50) ol.lastChild.remove();
}

// poll refreshes the list and the detail; calls while one is in flight
// ask for one more afterwards, so polls never overlap or multiply.
let polling = false, pollAgain = false;
async function poll() {
  if (polling) { pollAgain = true; return; }
  polling = true;
  clearTimeout(pollTimer);
  try {
    rows = await api("GET", "torrents");
    for (const r of rows) {
      const h = history.get(r.id) || [];
      h.push({ down: r.down_bps, up: r.up_bps });
      if (h.length > HISTORY) h.shift();
      history.set(r.id, h);
    }
    if (selected !== null && !rows.some((r) => r.id === selected)) selected = null;
    renderRows();
    await refreshDetail();
  } catch (e) {
    $("totals").textContent = "daemon unreachable: " + e.message;
  } finally {
    polling = false;
  }
  if (pollAgain) { pollAgain = false; return poll(); }
  pollTimer = setTimeout(poll, POLL_MS);
}

async function refreshDetail() {
  const sec = $("detail");
  if (selected === null) { sec.hidden = true; return; }
  let d;
  try { d = await api("GET", "torrents/" + selected); } catch (e) { sec.hidden = true; return; }
  const t = d.torrent;
  sec.hidden = false;
  sec.dataset.id = d.id;
  $("d-name").textContent = "#" + d.id + " " + (t.Name || d.infohash);
  $("d-summary").textContent = d.state + " · " + bytes(t.DoneBytes) + " of " + bytes(t.WantedBytes) +
    " · downloaded " + bytes(t.Downloaded) + ", uploaded " + bytes(t.Uploaded) + ", wasted " + bytes(t.Wasted) +
    " · in " + t.DataDir + " · " + d.infohash;
  const set = d.settings || {};
  if (document.activeElement !== $("d-labels")) $("d-labels").value = (set.labels || []).join(", ");
  const editing = [$("d-down"), $("d-up"), $("d-ratio")].includes(document.activeElement);
  if (!editing) {
    $("d-down").value = set.down_limit_bps ? Math.round(set.down_limit_bps / 1024) : "";
    $("d-up").value = set.up_limit_bps ? Math.round(set.up_limit_bps / 1024) : "";
    $("d-ratio").value = set.seed_ratio || "";
  }
  const goals = [];
  if (set.seed_ratio) goals.push(set.seed_ratio < 0 ? "no ratio limit" : "ratio limit " + set.seed_ratio);
  if (set.seed_time_seconds) goals.push(set.seed_time_seconds < 0 ? "no seeding-time limit" : "seed for " + eta(set.seed_time_seconds));
  if (goals.length) $("d-summary").textContent += " · " + goals.join(", ");
  $("d-stalled").hidden = !t.Stalled; $("d-stalled").textContent = t.Stalled ? "Why stuck: " + t.Stalled : "";
  $("d-error").hidden = !t.Err; $("d-error").textContent = t.Err || "";
  drawPieces(t);
  drawGraph(history.get(d.id) || []);
  peersTable(t, d.blocked);
  filesTable(d.id, t, d.urls || []);
  const tb = $("d-trackers"); tb.replaceChildren();
  for (const tr of t.Trackers || []) {
    const row = el("tr");
    row.append(el("td", tr.URL), el("td", tr.Seeders < 0 ? "?" : tr.Seeders, "num"),
      el("td", tr.Seeders < 0 ? "?" : tr.Leechers, "num"), el("td", tr.LastErr, "err"));
    tb.append(row);
  }
}

function peersTable(t, blocked) {
  const tb = $("d-peers"); tb.replaceChildren();
  const peers = t.Peers || [];
  const banned = (t.Banned || []).length;
  $("d-peercount").textContent = peers.length + " connected, " + t.PeersKnown + " known" +
    (banned ? ", " + banned + " banned" : "") + (blocked ? ", " + blocked + " blocked by the blocklist" : "");
  const src = ["manual", "incoming", "tracker", "dht", "pex", "lsd"];
  for (const p of peers) {
    const flags = (p.Encrypted ? "E" : "") + (p.Incoming ? "I" : "") + (p.PeerChoking ? "" : "d") +
      (p.AmChoking ? "" : "u") + (p.Snubbed ? "S" : "");
    const row = el("tr");
    row.append(el("td", p.Addr), el("td", p.Client || "?"), el("td", src[p.Source] || p.Source), el("td", flags),
      el("td", rate(p.DownBps), "num"), el("td", rate(p.UpBps), "num"), el("td", (p.Progress * 100).toFixed(0) + "%", "num"));
    tb.append(row);
  }
}

// filesTable lists the files; a file's path links to its stream URL (the
// daemon's loopback stream server: a player or this browser, on the
// daemon's machine) when there is one.
function filesTable(id, t, urls) {
  const tb = $("d-files");
  if (document.activeElement && tb.contains(document.activeElement)) return; // don't redraw a select in use
  tb.replaceChildren();
  (t.Files || []).forEach((f, i) => {
    const row = el("tr");
    const sel = el("select");
    sel.setAttribute("aria-label", "priority of " + f.Path);
    for (const [v, label] of [["high", "high"], ["normal", "normal"], ["skip", "skip"]]) {
      const o = el("option", label); o.value = v; sel.append(o);
    }
    sel.value = f.Priority > 0 ? "high" : f.Priority < 0 ? "skip" : "normal";
    sel.onchange = async () => {
      try { await api("POST", "torrents/" + id + "/set", { files: [{ index: i, priority: sel.value }] }); }
      catch (e) { note("error", e.message); }
      sel.blur(); poll();
    };
    const pr = el("td"); pr.append(sel);
    const pct = f.SizeBytes ? (100 * f.DoneBytes / f.SizeBytes).toFixed(0) + "%" : "100%";
    const name = el("td", "", "name");
    if (urls[i]) {
      const a = el("a", f.Path); a.href = urls[i]; a.target = "_blank"; a.rel = "noopener";
      a.title = "stream it: open, or give the link to mpv or vlc"; name.append(a);
    } else name.textContent = f.Path;
    row.append(el("td", i, "num"), name, el("td", bytes(f.SizeBytes), "num"), el("td", pct, "num"), pr);
    tb.append(row);
  });
}

// Piece states as the engine numbers them: missing, in flight, done, failed, skipped.
const PIECE_COLOURS = ["#d1d5da", "#f9c513", "#28a745", "#cb2431", "#f6f8fa"];

function drawPieces(t) {
  const c = $("d-map"), g = c.getContext("2d");
  g.clearRect(0, 0, c.width, c.height);
  let ps = [];
  if (t.Pieces) { const s = atob(t.Pieces); for (let i = 0; i < s.length; i++) ps.push(s.charCodeAt(i)); }
  const done = ps.filter((p) => p === 2).length;
  $("d-pieces").textContent = ps.length ? done + " of " + ps.length + " verified" : "(metadata not known yet)";
  if (!ps.length) return;
  const w = c.width / ps.length;
  ps.forEach((p, i) => { g.fillStyle = PIECE_COLOURS[p] || "#000"; g.fillRect(Math.floor(i * w), 0, Math.ceil(w), c.height); });
}

function drawGraph(h) {
  const c = $("d-graph"), g = c.getContext("2d");
  g.clearRect(0, 0, c.width, c.height);
  const max = Math.max(1, ...h.map((s) => Math.max(s.down, s.up)));
  const styles = getComputedStyle(document.documentElement);
  for (const [key, colour] of [["down", "--down"], ["up", "--up"]]) {
    g.strokeStyle = styles.getPropertyValue(colour).trim() || "#000";
    g.lineWidth = 2;
    g.beginPath();
    h.forEach((s, i) => {
      const x = (i / (HISTORY - 1)) * c.width, y = c.height - 2 - (s[key] / max) * (c.height - 4);
      i ? g.lineTo(x, y) : g.moveTo(x, y);
    });
    g.stroke();
  }
  g.fillStyle = styles.getPropertyValue("--dim").trim();
  g.fillText("max " + rate(max), 4, 12);
}

function readBase64(file) {
  return new Promise((resolve, reject) => {
    const r = new FileReader();
    r.onload = () => resolve(r.result.slice(r.result.indexOf(",") + 1)); // a data: URL; keep the base64
    r.onerror = () => reject(r.error);
    r.readAsDataURL(file);
  });
}

async function addSubmit(ev) {
  ev.preventDefault();
  const msg = $("add-msg");
  const req = { paused: $("add-paused").checked };
  const dir = $("add-dir").value.trim();
  if (dir) req.dir = dir;
  const file = $("add-file").files[0];
  const magnet = $("add-magnet").value.trim();
  if (file) req.metainfo = await readBase64(file);
  else if (magnet) req.source = magnet;
  else { msg.textContent = "paste a magnet link or choose a .torrent file"; msg.className = "err"; return; }
  msg.textContent = "adding…"; msg.className = "dim";
  try {
    const a = await api("POST", "torrents", req);
    msg.textContent = "added #" + a.id + " " + (a.name || a.infohash); msg.className = "ok";
    $("add").reset();
    selected = a.id;
  } catch (e) {
    msg.textContent = e.message; msg.className = "err";
  }
  poll();
}

async function saveLabels() {
  if (selected === null) return;
  const labels = $("d-labels").value.split(",").map((s) => s.trim()).filter(Boolean);
  try { await api("POST", "torrents/" + selected + "/set", { labels }); } catch (e) { note("error", e.message); }
  $("d-labels").blur();
  poll();
}

// saveLimits sends the torrent's own limits: empty rates mean none, an
// empty ratio follows the global goal, -1 seeds without a ratio limit.
async function saveLimits() {
  if (selected === null) return;
  const kib = (id) => Math.max(0, Math.round(Number($(id).value || 0) * 1024));
  const req = { down_limit_bps: kib("d-down"), up_limit_bps: kib("d-up"), seed_ratio: Number($("d-ratio").value || 0) };
  try { await api("POST", "torrents/" + selected + "/set", req); } catch (e) { note("error", e.message); }
  document.activeElement.blur();
  poll();
}

async function removeSelected() {
  if (selected === null) return;
  try {
    await api("POST", "torrents/" + selected + "/remove", { delete_data: $("d-delete").checked });
    $("d-delete").checked = false;
    selected = null;
  } catch (e) { note("error", e.message); }
  poll();
}

// events reads the daemon's event stream (one JSON object a line) and
// refreshes at once on each; if the stream breaks, polling carries on and
// the stream is opened again a little later.
async function events() {
  const kinds = ["added", "metadata", "completed", "verified", "tracker-error", "peer-banned", "disk-full",
    "error", "paused", "resumed", "removed", "data-changed"];
  try {
    const resp = await fetch("v1/events");
    const reader = resp.body.pipeThrough(new TextDecoderStream()).getReader();
    let buf = "";
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buf += value;
      let nl;
      while ((nl = buf.indexOf("\n")) >= 0) {
        const line = buf.slice(0, nl); buf = buf.slice(nl + 1);
        if (!line) continue;
        const e = JSON.parse(line);
        note(kinds[e.Kind] || e.Kind, [e.Name, e.Peer, e.Msg].filter(Boolean).join(" "));
        poll();
      }
    }
  } catch (e) { /* fall through to retry */ }
  setTimeout(events, 5000);
}

document.addEventListener("DOMContentLoaded", () => {
  $("add").addEventListener("submit", addSubmit);
  $("filter").addEventListener("input", renderRows);
  $("d-remove").addEventListener("click", removeSelected);
  $("d-labels-save").addEventListener("click", saveLabels);
  $("d-limits-save").addEventListener("click", saveLimits);
  poll();
  events();
});
