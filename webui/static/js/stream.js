// The live stream: Server-Sent Events read with fetch() (EventSource cannot send the token in a header).
// Each event's id is a ledger position; after a drop the stream reconnects with Last-Event-ID and the
// server resumes exactly there, so the page sees every message once, in ledger order.

import { headers, query } from "./api.js";
import { useEffect, useRef, useState } from "./html.js";

const QUIET_MS = 40_000; // the server sends a heartbeat every 15 s: this long without one is a dead line

export function openStream(params, onMessage, onState = () => {}) {
  let lastId = null;
  let closed = false;
  let controller = null;
  let retry = 500;

  async function run() {
    while (!closed) {
      controller = new AbortController();
      let watchdog;
      const alive = () => {
        clearTimeout(watchdog);
        watchdog = setTimeout(() => controller.abort(), QUIET_MS);
      };
      try {
        const extra = lastId === null ? {} : { "Last-Event-ID": String(lastId) };
        const answer = await fetch(`/lab/stream${query(params)}`, {
          headers: headers(extra), signal: controller.signal, cache: "no-store",
        });
        if (answer.status === 401 || answer.status === 403) {
          onState({ state: "refused", status: answer.status });
          return;
        }
        if (!answer.ok) throw new Error(`stream answered ${answer.status}`);
        alive();
        retry = 500;
        onState({ state: "live", lastId });
        const reader = answer.body.pipeThrough(new TextDecoderStream()).getReader();
        let buffer = "";
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          alive();
          buffer += value;
          let end;
          while ((end = buffer.indexOf("\n\n")) >= 0) {
            const block = buffer.slice(0, end);
            buffer = buffer.slice(end + 2);
            const event = parse(block);
            if (event === null) continue;
            lastId = event.id;
            onMessage(event);
          }
        }
      } catch (error) {
        if (closed) return;
      } finally {
        clearTimeout(watchdog);
      }
      if (closed) return;
      onState({ state: "reconnecting", lastId });
      await new Promise((resolve) => setTimeout(resolve, retry));
      retry = Math.min(retry * 2, 10_000);
    }
  }

  run();
  return {
    close() { closed = true; controller?.abort(); },
    // Tests and the status badge: drop the line as a network failure would (the stream resumes).
    drop() { controller?.abort(); },
    get lastId() { return lastId; },
  };
}

function parse(block) {
  const event = { id: null, kind: "message", data: null };
  for (const line of block.split("\n")) {
    const colon = line.indexOf(": ");
    if (colon < 0) continue;
    const name = line.slice(0, colon);
    const value = line.slice(colon + 2);
    if (name === "id") event.id = Number(value);
    else if (name === "event") event.kind = value;
    else if (name === "data") event.data = JSON.parse(value);
  }
  return event.id === null ? null : event;
}

// A component's stream: opened with the component, closed when it goes; the latest handler is used.
export function useStream(params, onMessage, deps = []) {
  const handler = useRef(onMessage);
  handler.current = onMessage;
  const [state, setState] = useState({ state: "connecting" });
  useEffect(() => {
    const stream = openStream(params, (event) => handler.current(event), setState);
    window.labStreams = (window.labStreams ?? new Set()).add(stream);
    return () => { stream.close(); window.labStreams.delete(stream); };
  }, deps);
  return state;
}
