// Charger: its state and connectors, its sessions with the chart of the one selected, its live OCPP
// trace, its commands and a command form aimed at it. One stream for this charger feeds them all.

import { api } from "../api.js";
import { applyMessage, kw, kwh, linkState, pct } from "../fleetstate.js";
import { html, useEffect, useState } from "../html.js";
import { useLiveSnapshot } from "../snapshot.js";
import { CommandForm, CommandList, useCommands } from "./commands.js";
import { SessionChart, useSessionSamples } from "./session.js";
import { Trace, useTrace } from "./trace.js";
import { StreamBadge, time } from "./widgets.js";

export function ChargerView({ chargerId }) {
  const trace = useTrace(chargerId);
  const { commands, live: liveCommand } = useCommands(chargerId);
  const [sessions, setSessions] = useState([]);
  const [chosen, setChosen] = useState(null);
  const loadSessions = () => api(`/lab/api/chargers/${chargerId}/sessions`).then((r) => setSessions(r.data));
  useEffect(() => { loadSessions(); }, [chargerId]);
  const session = sessions.find((s) => s.transaction_id === chosen) ?? sessions[0];
  const { samples, live: liveSample } = useSessionSamples(chargerId, session?.transaction_id);

  const { view: charger, error, stream } = useLiveSnapshot({
    load: () => api("/lab/api/fleet", { params: { charger_id: chargerId } }).then((f) => f.chargers[0] ?? null),
    apply: applyMessage,
    params: { charger_id: chargerId },
    onEvent: (event) => {
      if ((event.kind === "hello" && !event.data.resumed) || event.kind === "reset") trace.restart();
      else if (event.kind === "frame") trace.live({ position: event.id, ...event.data });
      else if (event.kind === "meter") liveSample(event);
      else if (event.kind === "command") liveCommand(event);
      else if (event.kind === "connector" && event.data.session) loadSessions();
    },
    deps: [chargerId],
  });

  if (error) return html`<p class="error">${error}</p>`;
  if (!charger) return html`<p class="muted">Loading the charger…</p>`;
  const [state, label] = linkState(charger);
  return html`
    <section class="charger-view" data-charger=${charger.id}>
      <div class="toolbar">
        <a href="#/fleet">← fleet</a>
        <h2>${charger.identity}</h2>
        <span class="muted">${charger.model} · ${charger.ocpp_version}</span>
        <span class="link-state"><i class=${`dot ${state}`}></i> ${label}</span>
        ${charger.charger_fault && html`<em class="fault">${charger.charger_fault}</em>`}
        <${StreamBadge} state=${stream} />
      </div>
      <div class="connector-cards">${charger.connectors.map((c) => html`
        <div class=${`card connector-card ${(c.status ?? "unknown").toLowerCase()}`} data-connector=${c.connector_id}>
          <h4>connector ${c.connector_id} <span class="status">${c.status ?? "–"}</span></h4>
          <dl>
            <dt>cable</dt><dd>${c.plugged ? "plugged" : "unplugged"}</dd>
            <dt>transaction</dt><dd class="tx">${c.transaction_id ?? "–"}</dd>
            <dt>power</dt><dd class="power">${kw(c.power_w)}</dd>
            <dt>energy</dt><dd class="energy">${kwh(c.energy_wh)}</dd>
            <dt>SoC</dt><dd>${pct(c.soc)}</dd>
            ${c.fault && html`<dt>fault</dt><dd class="fault">${c.fault}</dd>`}
          </dl>
        </div>`)}
      </div>
      <div class="columns">
        <div class="card">
          <h3>Sessions</h3>
          <ul class="sessions">${sessions.map((s) => html`
            <li key=${s.transaction_id} class=${s === session ? "selected" : ""}>
              <button class="link" onClick=${() => setChosen(s.transaction_id)}>
                tx ${s.transaction_id} · connector ${s.connector_id} · ${time(s.started_at)}
                ${s.stopped_at ? ` · ${kwh(s.meter_stop_wh - s.meter_start_wh)} · ${s.stop_reason}` : " · charging"}
              </button></li>`)}
          </ul>
          <${SessionChart} session=${session} samples=${samples} />
        </div>
        <div>
          <${CommandForm} chargers=${[charger]} locations=${[]} fixedCharger=${charger.id} />
        </div>
      </div>
      <${Trace} chargerId=${charger.id} identity=${charger.identity} trace=${trace} />
      <div class="card"><h3>Commands</h3>
        <${CommandList} commands=${commands} identities=${new Map([[charger.id, charger.identity]])} /></div>
    </section>`;
}
