// Charts: command latency percentiles per stage, sessions/energy/faults per charger (the analytics read
// model), CSMS errors over time. Refreshed when commands or sessions move (at most every 2 s).

import { api } from "../api.js";
import { Bars, TimeChart } from "../chart.js";
import { html, useEffect, useRef, useState } from "../html.js";
import { useStream } from "../stream.js";
import { StreamBadge } from "./widgets.js";

const STAGES = {
  queued_to_dispatched: "queued → dispatched",
  dispatched_to_first_answer: "dispatched → first CSMS answer",
  dispatched_to_completed: "dispatched → completed",
  queued_to_completed: "queued → completed",
};
const ERROR_SERIES = [{ label: "CALLERRORs", scale: "n", unit: "errors", digits: 0 }];

export function ChartsView() {
  const [locations, setLocations] = useState([]);
  const [where, setWhere] = useState("");
  const [data, setData] = useState(null);
  const timer = useRef(null);

  async function load() {
    const scope = { location_id: where || undefined };
    const [commands, perCharger, errors] = await Promise.all([
      api("/analytics/commands", { params: scope }),
      api("/lab/api/analytics/chargers", { params: scope }),
      api("/lab/api/analytics/csms-errors", { params: { ...scope, bucket_seconds: 60 } }),
    ]);
    setData({ commands, perCharger: perCharger.data, errors: errors.data });
  }
  useEffect(() => { api("/lab/api/fleet").then((f) => setLocations(f.locations)); }, []);
  useEffect(() => { load(); }, [where]);
  const stream = useStream({ kinds: "command,connector" }, (event) => {
    if (event.kind === "hello" || event.kind === "heartbeat" || timer.current) return;
    if (event.kind === "connector" && !event.data.session) return;
    timer.current = setTimeout(() => { timer.current = null; load(); }, 2000);
  });
  useEffect(() => () => clearTimeout(timer.current), []);

  if (!data) return html`<p class="muted">Loading analytics…</p>`;
  const top = (key) => [...data.perCharger].sort((a, b) => b[key] - a[key]).slice(0, 15)
    .map((c) => ({ label: c.identity, value: c[key] }));
  const errorData = [data.errors.map((b) => new Date(b.start).getTime() / 1000), data.errors.map((b) => b.count)];
  return html`
    <section class="charts">
      <div class="toolbar"><h2>Charts</h2>
        <select value=${where} onChange=${(e) => setWhere(e.currentTarget.value)} aria-label="location">
          <option value="">every location</option>
          ${locations.map((l) => html`<option value=${l.id}>${l.name}</option>`)}
        </select>
        <span class="muted">${data.commands.total} commands</span>
        <${StreamBadge} state=${stream} />
      </div>
      <h3>Command latency</h3>
      <div class="grid latency">${Object.entries(STAGES).map(([stage, label]) => {
        const p = data.commands.latency[stage];
        return html`<${Bars} key=${stage} title=${`${label} (${p.count} commands)`} unit=" ms" width=${420}
          items=${p.count ? [["p50", p.p50_ms], ["p90", p.p90_ms], ["p99", p.p99_ms], ["max", p.max_ms]]
            .map(([l, v]) => ({ label: l, value: v })) : []} />`;
      })}</div>
      <h3>Per charger</h3>
      <div class="grid per-charger">
        <${Bars} title="sessions" items=${top("sessions")} />
        <${Bars} title="energy" items=${top("energy_kwh")} unit=" kWh" />
        <${Bars} title="faults" items=${top("faults")} />
      </div>
      <h3>CSMS errors over time</h3>
      ${data.errors.length ? html`<${TimeChart} title="CALLERRORs per minute" series=${ERROR_SERIES} data=${errorData} />`
        : html`<p class="muted">The CSMS has answered no CALLERROR.</p>`}
    </section>`;
}
