// A charger's live OCPP trace: every frame both ways as it happens, paged from the ledger by position
// (older pages load on scrolling up) and shown through a virtual list, so a busy charger's history never
// freezes the page. Filters, search, pause, call → answer timing, payload and raw frame, the command
// that caused a frame, and the export of what is shown as a recording.

import { api, query, headers } from "../api.js";
import { html, useEffect, useMemo, useRef, useState } from "../html.js";
import { VirtualList } from "../virtual.js";
import { Json, time } from "./widgets.js";
import { keepExport } from "./recordings.js";

const ROW = 26;
const KEEP = 20_000; // frames held in the page; older ones are paged back in on scrolling up
const TYPES = { 2: "CALL", 3: "RESULT", 4: "ERROR" };

function payloadOf(frame) {
  try {
    const parsed = JSON.parse(frame.message);
    return parsed[0] === 2 ? parsed[3] : parsed[0] === 3 ? parsed[2] : { code: parsed[2], description: parsed[3], details: parsed[4] };
  } catch {
    return frame.message;
  }
}

function accepts(filters, frame) {
  if (filters.action && frame.action !== filters.action) return false;
  if (filters.direction && frame.direction !== filters.direction) return false;
  if (filters.since && frame.timestamp < new Date(filters.since).toISOString()) return false;
  if (filters.until && frame.timestamp > new Date(filters.until).toISOString()) return false;
  if (filters.q && !frame.message.toLowerCase().includes(filters.q.toLowerCase())) return false;
  return true;
}

function toParams(filters) {
  return {
    action: filters.action,
    direction: filters.direction,
    since: filters.since && new Date(filters.since).toISOString(),
    until: filters.until && new Date(filters.until).toISOString(),
    q: filters.q,
  };
}

// The trace's frames: a page from the ledger taken after the stream opened, plus every frame the stream
// brings (those that arrive while a page loads are merged in), each once, in ledger order.
export function useTrace(chargerId) {
  const [frames, setFrames] = useState([]);
  const [hasOlder, setHasOlder] = useState(false);
  const [filters, setFilters] = useState({ action: "", direction: "", since: "", until: "", q: "" });
  const [paused, setPaused] = useState(false);
  const [started, setStarted] = useState(0);
  const held = useRef([]);
  const seen = useRef(new Set());
  const loading = useRef(null); // frames that arrived while a page loads
  const loadingOlder = useRef(false);
  const generation = useRef(0);

  function add(list) {
    const fresh = [];
    for (const f of list) {
      if (seen.current.has(f.position)) continue; // a page and the stream may both bring a frame
      seen.current.add(f.position);
      fresh.push(f);
    }
    return fresh;
  }

  async function reload() {
    const mine = ++generation.current;
    loading.current = [];
    const page = await api(`/lab/api/chargers/${chargerId}/frames`, { params: { limit: 200, ...toParams(filters) } });
    if (mine !== generation.current) return;
    const arrived = loading.current;
    loading.current = null;
    seen.current = new Set();
    held.current = [];
    setFrames(add([...page.data, ...arrived].sort((a, b) => a.position - b.position)));
    setHasOlder(page.has_older);
  }

  async function older() {
    if (!hasOlder || loadingOlder.current || frames.length === 0) return;
    loadingOlder.current = true;
    try {
      const page = await api(`/lab/api/chargers/${chargerId}/frames`, {
        params: { limit: 500, before: frames[0].position, ...toParams(filters) },
      });
      setFrames((current) => [...add(page.data), ...current]);
      setHasOlder(page.has_older);
    } finally {
      loadingOlder.current = false;
    }
  }

  // The first page waits for the stream's hello: what the stream does not bring, the page has.
  useEffect(() => { if (started) reload(); }, [chargerId, filters, started]);

  function live(frame) {
    if (!accepts(filters, frame)) return;
    if (loading.current) { loading.current.push(frame); return; }
    if (paused) { held.current.push(frame); return; }
    const fresh = add([frame]);
    if (fresh.length) setFrames((current) => capped([...current, ...fresh]));
  }

  function capped(list) {
    if (list.length <= KEEP) return list;
    for (const f of list.slice(0, list.length - KEEP)) seen.current.delete(f.position);
    setHasOlder(true);
    return list.slice(-KEEP);
  }

  // A stream (re)started from its head, not resumed: reload the page.
  function restart() {
    loading.current = [];
    setStarted((n) => n + 1);
  }

  function resume() {
    const fresh = add(held.current);
    held.current = [];
    setPaused(false);
    if (fresh.length) setFrames((current) => capped([...current, ...fresh]));
  }

  return {
    frames, hasOlder, older, filters, setFilters, paused, pause: () => setPaused(true), resume, live, held, restart,
  };
}

export function Trace({ chargerId, identity, trace }) {
  const { frames, filters, setFilters, paused } = trace;
  const [selected, setSelected] = useState(null);
  const [exporting, setExporting] = useState(null);

  const timing = useMemo(() => {
    const calls = new Map();
    const ms = new Map();
    for (const f of frames) {
      if (f.message_type === 2) calls.set(`${f.direction}:${f.message_id}`, f);
      else if (f.message_type === 3 || f.message_type === 4) {
        const other = f.direction === "cp_to_csms" ? "csms_to_cp" : "cp_to_csms";
        const call = calls.get(`${other}:${f.message_id}`);
        if (call) ms.set(f.position, new Date(f.timestamp) - new Date(call.timestamp));
      }
    }
    return ms;
  }, [frames]);
  const actions = useMemo(() => [...new Set(frames.map((f) => f.action).filter(Boolean))].sort(), [frames]);

  function set(name) {
    return (event) => setFilters({ ...filters, [name]: event.currentTarget.value });
  }

  async function exportShown() {
    // The slice on screen: the filters' time range, or from the first frame shown to the last.
    const since = filters.since ? new Date(filters.since).toISOString() : frames[0]?.timestamp;
    const until = filters.until ? new Date(filters.until).toISOString()
      : frames.length ? new Date(new Date(frames[frames.length - 1].timestamp).getTime() + 1).toISOString() : undefined;
    setExporting("exporting…");
    const answer = await fetch(`/lab/api/chargers/${chargerId}/export${query({ since, until })}`, { headers: headers() });
    const text = await answer.text();
    keepExport(`${identity}.jsonl`, text);
    const link = document.createElement("a");
    link.href = URL.createObjectURL(new Blob([text], { type: "application/x-ndjson" }));
    link.download = `${identity}.jsonl`;
    link.click();
    setExporting(html`exported ${text.split("\n").length - 2} events · <a href="#/recordings">open in Recordings</a>`);
  }

  const row = (f) => html`
    <div class=${`frame ${f.direction} ${selected?.position === f.position ? "selected" : ""} t${f.message_type}`}
      style=${`height:${ROW}px`} key=${f.position} data-position=${f.position} data-action=${f.action ?? ""}
      onClick=${() => setSelected(f)}>
      <span class="t">${time(f.timestamp)}</span>
      <span class="dir">${f.direction === "cp_to_csms" ? "CP → CSMS" : "CSMS → CP"}</span>
      <span class="kind">${TYPES[f.message_type] ?? "?"}</span>
      <span class="action">${f.action ?? "?"}</span>
      <span class="mid">${f.message_id ?? ""}</span>
      <span class="ms">${timing.has(f.position) ? `${timing.get(f.position)} ms` : ""}</span>
      <span class="cmd">${f.command_id ? "⚑" : ""}</span>
    </div>`;

  return html`
    <section class="trace" data-count=${frames.length} ref=${(el) => { if (el) el.labFrames = frames; }}>
      <div class="toolbar">
        <h3>OCPP trace</h3>
        <input list="trace-actions" placeholder="action" value=${filters.action} onChange=${set("action")} aria-label="action filter" />
        <datalist id="trace-actions">${actions.map((a) => html`<option value=${a} />`)}</datalist>
        <select value=${filters.direction} onChange=${set("direction")} aria-label="direction filter">
          <option value="">both ways</option><option value="cp_to_csms">CP → CSMS</option><option value="csms_to_cp">CSMS → CP</option>
        </select>
        <label>from <input type="datetime-local" step="1" value=${filters.since} onChange=${set("since")} /></label>
        <label>to <input type="datetime-local" step="1" value=${filters.until} onChange=${set("until")} /></label>
        <input type="search" placeholder="search frames" value=${filters.q} onChange=${set("q")} aria-label="search frames" />
        ${paused
          ? html`<button onClick=${trace.resume}>resume (${trace.held.current.length} new)</button>`
          : html`<button onClick=${trace.pause}>pause</button>`}
        <button onClick=${exportShown} disabled=${!frames.length}>export as recording</button>
        <span class="muted">${frames.length} frames${trace.hasOlder ? " (scroll up for older)" : ""}</span>
        ${exporting && html`<span class="export-note">${exporting}</span>`}
      </div>
      <div class="trace-body">
        <${VirtualList} items=${frames} rowHeight=${ROW} height=${360} row=${row} stickToBottom=${!paused}
          onTop=${trace.older} className="trace-list" />
        <div class="frame-detail">
          ${selected ? html`
            <div><b>${selected.action}</b> ${TYPES[selected.message_type]} · ${selected.direction} · id ${selected.message_id}
              · position ${selected.position} · ${selected.timestamp}</div>
            ${selected.command_id && html`<div>caused by command <a href=${`#/command/${selected.command_id}`}>${selected.command_id}</a></div>`}
            <h4>payload</h4><${Json} value=${payloadOf(selected)} />
            <h4>raw frame</h4><pre class="raw">${selected.message}</pre>`
            : html`<p class="muted">Select a frame to read its payload and raw text.</p>`}
        </div>
      </div>
    </section>`;
}
