// Commands: run any command on a charger, a location or some of its chargers, from a form generated
// from the OpenAPI schema (forms.js); watch each command move queued → dispatched → completed/failed
// live, with the frames it caused.

import { api } from "../api.js";
import { commandCatalog, EventFields, eventValue } from "../forms.js";
import { html, useEffect, useMemo, useState } from "../html.js";
import { useStream } from "../stream.js";
import { Json, StreamBadge, time } from "./widgets.js";

export function CommandForm({ chargers, locations, fixedCharger, onSent }) {
  const [catalog, setCatalog] = useState([]);
  const [name, setName] = useState("start-session");
  const [mode, setMode] = useState("charger");
  const [location, setLocation] = useState("");
  const [answer, setAnswer] = useState(null);
  const [busy, setBusy] = useState(false);
  useEffect(() => { commandCatalog().then(setCatalog); }, []);
  const command = catalog.find((c) => c.name === name) ?? catalog[0];
  const targets = command?.runtime ? ["charger"]
    : Object.keys(command?.target?.properties ?? {}).includes("location_id") && !fixedCharger
      ? ["charger", "location", "subset"] : ["charger"];
  const inLocation = chargers.filter((c) => c.location_id === location);

  async function submit(event) {
    event.preventDefault();
    const form = event.currentTarget;
    setBusy(true);
    setAnswer(null);
    try {
      const chargerId = fixedCharger ?? form.elements.charger_id?.value;
      let result;
      if (command.runtime) {
        result = await api(command.path.replace("{charger_id}", encodeURIComponent(chargerId)), { method: "POST" });
      } else {
        const target = mode === "charger" || !targets.includes(mode) ? { charger_id: chargerId }
          : mode === "location" ? { location_id: location }
            : { location_id: location, charger_ids: [...form.querySelectorAll("input[name=charger_ids]:checked")].map((i) => i.value) };
        result = await api(command.path, { method: "POST", body: { target, event: eventValue(form, command.event) } });
      }
      setAnswer({ ok: true, result });
      onSent?.(result);
    } catch (error) {
      setAnswer({ ok: false, result: error.body ?? error.message });
    } finally {
      setBusy(false);
    }
  }

  if (!command) return html`<p class="muted">Reading the API schema…</p>`;
  return html`
    <form class="command-form card" id="command-form" onSubmit=${submit}>
      <label class="field"><span class="label">command</span>
        <select name="command" value=${command.name} onChange=${(e) => { setName(e.currentTarget.value); setAnswer(null); }}>
          ${catalog.map((c) => html`<option value=${c.name}>${c.name}</option>`)}
        </select>
        <small class="muted">${command.summary}</small>
      </label>
      ${!fixedCharger && html`
        ${targets.length > 1 && html`<div class="modes">${targets.map((t) => html`
          <label><input type="radio" name="mode" value=${t} checked=${mode === t} onChange=${() => setMode(t)} />
            ${{ charger: "one charger", location: "a location", subset: "some chargers of a location" }[t]}</label>`)}</div>`}
        ${(mode === "charger" || targets.length === 1) ? html`
          <label class="field"><span class="label">charger</span>
            <select name="charger_id">${chargers.map((c) => html`<option value=${c.id}>${c.identity}</option>`)}</select></label>`
          : html`
          <label class="field"><span class="label">location</span>
            <select name="location_id" value=${location} onChange=${(e) => setLocation(e.currentTarget.value)}>
              <option value="">choose…</option>
              ${locations.map((l) => html`<option value=${l.id}>${l.name}</option>`)}</select></label>
          ${mode === "subset" && html`<div class="subset">${inLocation.map((c) => html`
            <label><input type="checkbox" name="charger_ids" value=${c.id} /> ${c.identity}</label>`)}</div>`}`}`}
      ${command.event && html`<fieldset><legend>event</legend><${EventFields} schema=${command.event} /></fieldset>`}
      <button type="submit" disabled=${busy}>${busy ? "sending…" : `run ${command.name}`}</button>
      ${answer && html`<div class=${`answer ${answer.ok ? "ok" : "error"}`} role="status">
        <b>${answer.ok ? "accepted" : "refused"}</b><${Json} value=${answer.result} /></div>`}
    </form>`;
}

const STATUS_ORDER = ["queued", "dispatched", "completed", "failed"];

// The tenant's (or one charger's) latest commands, kept current by command messages.
export function useCommands(chargerId) {
  const [commands, setCommands] = useState([]);
  useEffect(() => {
    api("/ocpp/commands", { params: { limit: 50, charger_id: chargerId } }).then((page) => setCommands(page.data));
  }, [chargerId]);
  function live(event) {
    if (event.kind !== "command" || (chargerId && event.data.charger_id !== chargerId)) return;
    const d = event.data;
    setCommands((current) => {
      const found = current.find((c) => c.id === d.command_id);
      if (!found) {
        return [{ id: d.command_id, event_type: d.event_type, status: d.status, charger_id: d.charger_id,
          queued_at: d.at, origin: d.origin }, ...current].slice(0, 200);
      }
      if (STATUS_ORDER.indexOf(d.status) < STATUS_ORDER.indexOf(found.status) && d.status !== "failed") return current;
      return current.map((c) => (c.id === d.command_id
        ? { ...c, status: d.status, result: d.result ?? c.result, error: d.error ?? c.error } : c));
    });
  }
  return { commands, live };
}

export function CommandList({ commands, identities, selected }) {
  return html`
    <table class="commands">
      <thead><tr><th>queued</th><th>command</th><th>charger</th><th>origin</th><th>status</th></tr></thead>
      <tbody>${commands.map((c) => html`
        <tr key=${c.id} class=${`${c.status} ${selected === c.id ? "selected" : ""}`} data-command=${c.id}>
          <td>${time(c.queued_at)}</td>
          <td><a href=${`#/command/${c.id}`}>${c.event_type}</a></td>
          <td><a href=${`#/charger/${c.charger_id}`}>${identities.get(c.charger_id) ?? c.identity ?? "…"}</a></td>
          <td>${c.origin}</td>
          <td><span class=${`status ${c.status}`}>${c.status}</span></td>
        </tr>`)}</tbody>
    </table>`;
}

function CommandDetail({ commandId, frames, tick }) {
  const [detail, setDetail] = useState(null);
  const [stored, setStored] = useState([]);
  useEffect(() => {
    api(`/ocpp/commands/${commandId}`).then((d) => {
      setDetail(d);
      return api(`/lab/api/chargers/${d.charger_id}/frames`, { params: { command_id: commandId, limit: 1000 } });
    }).then((page) => setStored(page.data)).catch((e) => setDetail({ error: e.message }));
  }, [commandId, tick]);
  if (!detail) return html`<p class="muted">Loading command…</p>`;
  if (detail.error) return html`<p class="error">${detail.error}</p>`;
  const all = new Map([...stored, ...frames].map((f) => [f.position, f]));
  return html`
    <div class="card command-detail" data-status=${detail.status}>
      <h3>${detail.event_type} <span class=${`status ${detail.status}`}>${detail.status}</span></h3>
      <p class="muted">${detail.id} · ${detail.identity} · by ${detail.origin}</p>
      <p>queued ${time(detail.queued_at)} → dispatched ${time(detail.dispatched_at)} → done ${time(detail.completed_at)}</p>
      ${detail.result && html`<h4>result</h4><${Json} value=${detail.result} />`}
      ${detail.error && html`<h4>error</h4><${Json} value=${detail.error} />`}
      <h4>frames it caused</h4>
      <ol class="command-frames">${[...all.values()].sort((a, b) => a.position - b.position).map((f) => html`
        <li key=${f.position}><b>${f.direction === "cp_to_csms" ? "CP → CSMS" : "CSMS → CP"}</b> ${f.action}
          <code>${f.message}</code></li>`)}</ol>
    </div>`;
}

export function CommandsView({ commandId }) {
  const [fleet, setFleet] = useState({ chargers: [], locations: [] });
  useEffect(() => { api("/lab/api/fleet").then(setFleet); }, []);
  const { commands, live } = useCommands(undefined);
  const [frames, setFrames] = useState([]);
  const [tick, setTick] = useState(0);
  useEffect(() => setFrames([]), [commandId]);
  const stream = useStream({ kinds: "command,frame" }, (event) => {
    live(event);
    if (event.kind === "frame" && commandId && event.data.command_id === commandId) {
      setFrames((current) => [...current, { position: event.id, ...event.data }]);
    }
    if (event.kind === "command" && event.data.command_id === commandId) setTick((t) => t + 1);
  }, []);
  const identities = useMemo(() => new Map(fleet.chargers.map((c) => [c.id, c.identity])), [fleet]);
  return html`
    <section class="commands-view">
      <div class="toolbar"><h2>Commands</h2><${StreamBadge} state=${stream} /></div>
      <div class="columns">
        <${CommandForm} chargers=${fleet.chargers} locations=${fleet.locations} />
        <div>
          ${commandId && html`<${CommandDetail} commandId=${commandId} frames=${frames} tick=${tick} key=${commandId} />`}
          <${CommandList} commands=${commands} identities=${identities} selected=${commandId} />
        </div>
      </div>
    </section>`;
}
