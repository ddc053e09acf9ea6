// Small pieces several views share.

import { html } from "../html.js";

export function StreamBadge({ state }) {
  const label = { live: "live", connecting: "connecting…", reconnecting: "reconnecting…", refused: "refused" }[
    state.state
  ] ?? state.state;
  return html`<span class=${`badge stream-${state.state}`} title="live updates pushed by the server">${label}</span>`;
}

export function Json({ value }) {
  return html`<pre class="json">${JSON.stringify(value, null, 2)}</pre>`;
}

export function time(iso) {
  if (!iso) return "–";
  const d = new Date(iso);
  return d.toLocaleTimeString([], { hour12: false }) + "." + String(d.getMilliseconds()).padStart(3, "0");
}
