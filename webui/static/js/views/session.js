// A session's chart: power, energy and SoC from its meter samples, growing live while it charges.

import { api } from "../api.js";
import { TimeChart } from "../chart.js";
import { html, useEffect, useMemo, useState } from "../html.js";

const SERIES = [
  { label: "power", scale: "kW", unit: "kW", digits: 2 },
  { label: "energy", scale: "kWh", unit: "kWh", digits: 3 },
  { label: "SoC", scale: "%", unit: "%", digits: 0 },
];

export function useSessionSamples(chargerId, transactionId) {
  const [samples, setSamples] = useState([]);
  useEffect(() => {
    setSamples([]);
    if (!transactionId) return;
    api(`/lab/api/chargers/${chargerId}/sessions/${encodeURIComponent(transactionId)}/samples`)
      .then((r) => setSamples((live) => merge(r.data, live)));
  }, [chargerId, transactionId]);
  function live(event) {
    if (event.kind !== "meter" || event.data.transaction_id !== transactionId) return;
    setSamples((current) => merge(current, [{ position: event.id, ...event.data }]));
  }
  return { samples, live };
}

function merge(a, b) {
  const byPosition = new Map([...a, ...b].map((s) => [s.position, s]));
  return [...byPosition.values()].sort((x, y) => x.position - y.position);
}

export function SessionChart({ session, samples }) {
  const data = useMemo(() => [
    samples.map((s) => new Date(s.sampled_at).getTime() / 1000),
    samples.map((s) => s.power_w / 1000),
    samples.map((s) => s.energy_wh / 1000),
    samples.map((s) => s.soc),
  ], [samples]);
  if (!session) return html`<p class="muted">No session yet.</p>`;
  return html`
    <div class="session-chart" data-transaction=${session.transaction_id}>
      <${TimeChart} title=${`session ${session.transaction_id} on connector ${session.connector_id}`}
        series=${SERIES} data=${data} />
      <p class="muted">${samples.length} meter samples${session.stopped_at ? ` · stopped (${session.stop_reason})` : " · charging"}</p>
    </div>`;
}

