// A charger's live state: the fleet snapshot's row, patched by stream messages (absolute values, applied
// in ledger order, so the result is the state at the latest position whatever the snapshot held).

export function applyMessage(charger, event) {
  if (!charger) return charger;
  const data = event.data;
  if (event.kind === "charger") {
    const { charger_id, reason, status, error_code, ...patch } = data;
    return { ...charger, ...patch };
  }
  if (event.kind === "connector" || event.kind === "meter") {
    const connectors = charger.connectors.map((c) => {
      if (c.connector_id !== data.connector_id) return c;
      const next = { ...c };
      for (const key of ["status", "error_code", "plugged", "transaction_id", "energy_wh", "power_w", "soc", "fault"]) {
        if (key in data) next[key] = data[key];
      }
      return next;
    });
    return { ...charger, connectors };
  }
  return charger;
}

export const kw = (w) => (w === null || w === undefined ? "–" : `${(w / 1000).toFixed(1)} kW`);
export const kwh = (wh) => (wh === null || wh === undefined ? "–" : `${(wh / 1000).toFixed(2)} kWh`);
export const pct = (soc) => (soc === null || soc === undefined ? "–" : `${Math.round(soc)} %`);

export function linkState(charger) {
  if (!charger.running) return ["stopped", "stopped"];
  if (!charger.attached) return ["provisioning", "provisioning"];
  if (!charger.connected) return ["offline", "disconnected"];
  return [charger.boot_status === "Accepted" ? "online" : "booting", charger.boot_status ?? "connected"];
}
