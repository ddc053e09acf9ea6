// Recordings: open one (a file, or the last export from a trace), verify its hash chain, read its
// timeline; compare two (an original and its replay) side by side, exchange by exchange.

import { api } from "../api.js";
import { html, useState } from "../html.js";
import { Json } from "./widgets.js";

let lastExport = null; // {name, text}: the trace's latest export, kept for this page's life

export function keepExport(name, text) { lastExport = { name, text }; }

function readFile(input) {
  const file = input.files[0];
  return file ? file.text().then((text) => ({ name: file.name, text })) : Promise.resolve(null);
}

export function RecordingsView() {
  const [opened, setOpened] = useState(null);
  const [inspection, setInspection] = useState(null);
  const [comparison, setComparison] = useState(null);
  const [error, setError] = useState(null);

  async function open(recording) {
    if (!recording) return;
    setError(null);
    setInspection(null);
    setOpened(recording.name);
    try {
      setInspection(await api("/lab/api/recordings/inspect", { method: "POST", body: recording.text, type: "application/x-ndjson" }));
    } catch (e) { setInspection(null); setError(e.message); }
  }

  async function compare(event) {
    event.preventDefault();
    const form = event.currentTarget;
    const [before, after] = await Promise.all([readFile(form.elements.before), readFile(form.elements.after)]);
    if (!before || !after) return setError("choose both recordings");
    setError(null);
    try {
      setComparison(await api("/lab/api/recordings/diff", {
        method: "POST", body: { before: before.text, after: after.text, prefix: form.elements.prefix.value },
      }));
    } catch (e) { setComparison(null); setError(e.message); }
  }

  return html`
    <section class="recordings">
      <div class="toolbar"><h2>Recordings</h2></div>
      <div class="columns">
        <div class="card">
          <h3>Open a recording</h3>
          <input type="file" name="recording" accept=".jsonl,.ndjson,application/x-ndjson"
            onChange=${(e) => readFile(e.currentTarget).then(open)} />
          ${lastExport && html`<button onClick=${() => open(lastExport)}>open the last export (${lastExport.name})</button>`}
        </div>
        <form class="card" onSubmit=${compare}>
          <h3>Compare a replay with its original</h3>
          <label class="field"><span class="label">original</span><input type="file" name="before" /></label>
          <label class="field"><span class="label">replay</span><input type="file" name="after" /></label>
          <label class="field"><span class="label">identity prefix of the replay</span><input name="prefix" /></label>
          <button type="submit">compare</button>
        </form>
      </div>
      ${error && html`<p class="error" role="alert">${error}</p>`}
      ${inspection && html`<${Inspection} name=${opened} value=${inspection} />`}
      ${comparison && html`<${ComparisonView} value=${comparison} />`}
    </section>`;
}

function Inspection({ name, value }) {
  return html`
    <div class="card inspection">
      <h3>${name}</h3>
      <p class=${value.intact ? "ok" : "error"} data-intact=${value.intact}>
        ${value.intact ? `chain intact: ${value.header.count} events` : `chain broken at line ${value.broken.line}: ${value.broken.reason}`}
        ${" · final hash "}<code>${value.header.final_hash.slice(0, 16)}…</code></p>
      <p class="muted">recorded ${value.header.created_at} · filter <code>${JSON.stringify(value.header.filter)}</code></p>
      <ol class="timeline">${value.timeline.map((entry) => html`
        <li key=${entry.position} class=${entry.style.replace(/\s+/g, "-")}><code>${entry.text}</code></li>`)}</ol>
      ${value.truncated && html`<p class="muted">(first ${value.timeline.length} entries shown)</p>`}
    </div>`;
}

function ComparisonView({ value }) {
  return html`
    <div class="card comparison">
      <h3 class=${value.same ? "ok" : "error"} data-same=${value.same}>
        ${value.same ? "same: the CSMS answered alike" : `different: ${value.differences.length} difference(s)`}</h3>
      <table class="side-by-side">
        <thead><tr><th>charger</th><th>original</th><th>replay</th></tr></thead>
        <tbody>${value.rows.map((row, i) => html`
          <tr key=${i} class=${row.differences.length ? "differs" : ""}>
            <td>${row.charger}</td>
            <td>${row.before && html`<b>${row.before.direction} ${row.before.action}</b><${Json} value=${row.before.answer} />`}</td>
            <td>${row.after && html`<b>${row.after.direction} ${row.after.action}</b><${Json} value=${row.after.answer} />`}
              ${row.differences.map((d) => html`<p class="error">${d.what}</p>`)}</td>
          </tr>`)}</tbody>
      </table>
    </div>`;
}
