// Fleet: locations → chargers → connectors, live. Filter and search; a virtual list keeps 1,000s of
// chargers smooth. Fed by one tenant-wide stream (charger, connector and meter messages; fleet changes
// reload the snapshot), never by polling chargers.

import { api } from "../api.js";
import { applyMessage, kw, kwh, linkState, pct } from "../fleetstate.js";
import { html, useMemo, useState } from "../html.js";
import { useLiveSnapshot } from "../snapshot.js";
import { StreamBadge } from "./widgets.js";
import { VirtualList } from "../virtual.js";

const ROW = 46;

function loadFleet() {
  return api("/lab/api/fleet").then((fleet) => ({
    locations: fleet.locations,
    chargers: new Map(fleet.chargers.map((c) => [c.id, c])),
  }));
}

function applyToFleet(fleet, event) {
  const id = event.data.charger_id;
  const charger = id && fleet.chargers.get(id);
  if (charger) fleet.chargers.set(id, applyMessage(charger, event));
  return { ...fleet };
}

const FILTERS = {
  all: () => true,
  online: (c) => linkState(c)[0] === "online",
  offline: (c) => linkState(c)[0] !== "online",
  charging: (c) => c.connectors.some((k) => k.status === "Charging"),
  faulted: (c) => c.charger_fault || c.connectors.some((k) => k.fault || k.status === "Faulted"),
};

export function FleetView() {
  const { view, error, stream } = useLiveSnapshot({
    load: loadFleet,
    apply: applyToFleet,
    params: { kinds: "charger,connector,meter,fleet" },
    reloadOn: (event) => event.kind === "fleet",
  });
  const [search, setSearch] = useState("");
  const [filter, setFilter] = useState("all");
  const [where, setWhere] = useState("");

  const rows = useMemo(() => {
    if (!view) return [];
    const needle = search.trim().toLowerCase();
    const names = new Map(view.locations.map((l) => [l.id, l]));
    const groups = new Map();
    for (const charger of view.chargers.values()) {
      if (where && (charger.location_id ?? "") !== where) continue;
      if (!FILTERS[filter](charger)) continue;
      if (needle && !`${charger.identity} ${charger.name ?? ""} ${charger.model}`.toLowerCase().includes(needle)) continue;
      const key = charger.location_id ?? "";
      if (!groups.has(key)) groups.set(key, []);
      groups.get(key).push(charger);
    }
    const flat = [];
    for (const [key, chargers] of groups) {
      const place = names.get(key);
      flat.push({ header: true, name: place ? place.name : "No location", city: place?.city, count: chargers.length });
      chargers.sort((a, b) => a.identity.localeCompare(b.identity));
      for (const charger of chargers) flat.push(charger);
    }
    return flat;
  }, [view, search, filter, where]);

  if (error) return html`<p class="error">${error}</p>`;
  if (!view) return html`<p class="muted">Loading the fleet…</p>`;
  const total = view.chargers.size;
  const shown = rows.filter((r) => !r.header).length;
  return html`
    <section class="fleet">
      <div class="toolbar">
        <h2>Fleet</h2>
        <input type="search" placeholder="search identity, name, model" value=${search}
          onInput=${(e) => setSearch(e.currentTarget.value)} aria-label="search chargers" />
        <select value=${filter} onChange=${(e) => setFilter(e.currentTarget.value)} aria-label="filter">
          ${Object.keys(FILTERS).map((f) => html`<option value=${f}>${f}</option>`)}
        </select>
        <select value=${where} onChange=${(e) => setWhere(e.currentTarget.value)} aria-label="location">
          <option value="">every location</option>
          ${view.locations.map((l) => html`<option value=${l.id}>${l.name}</option>`)}
        </select>
        <span class="muted count">${shown} of ${total} chargers</span>
        <${StreamBadge} state=${stream} />
      </div>
      <div class="fleet-head row-grid">
        <span>charger</span><span>link</span><span>connectors (status · power · energy · SoC)</span>
      </div>
      <${VirtualList} items=${rows} rowHeight=${ROW} height=${Math.max(300, window.innerHeight - 230)}
        row=${(item) => (item.header ? LocationRow(item) : ChargerRow(item))} className="fleet-list" />
    </section>`;
}

function LocationRow(item) {
  return html`<div class="location-row" style=${`height:${ROW}px`} key=${`loc-${item.name}`}>
    <b>${item.name}</b> <span class="muted">${item.city ?? ""} · ${item.count} chargers</span></div>`;
}

function ChargerRow(c) {
  const [state, label] = linkState(c);
  return html`
    <a class="charger-row row-grid" href=${`#/charger/${c.id}`} style=${`height:${ROW}px`} key=${c.id}
      data-identity=${c.identity}>
      <span><b>${c.identity}</b> <small class="muted">${c.model} · ${c.ocpp_version}</small></span>
      <span><i class=${`dot ${state}`}></i> ${label}${c.charger_fault ? html` <em class="fault">${c.charger_fault}</em>` : ""}</span>
      <span class="connectors">${c.connectors.map((k) => html`
        <span class=${`connector ${(k.status ?? "unknown").toLowerCase()}`} data-connector=${k.connector_id}>
          <b>#${k.connector_id}</b> <span class="status">${k.status ?? "–"}</span>
          ${k.transaction_id ? html` · tx ${k.transaction_id}` : ""} · ${kw(k.power_w)} · ${kwh(k.energy_wh)}
          ${k.soc !== null && k.soc !== undefined ? html` · ${pct(k.soc)}` : ""}
          ${k.fault ? html` <em class="fault">${k.fault}</em>` : ""}
        </span>`)}</span>
    </a>`;
}
