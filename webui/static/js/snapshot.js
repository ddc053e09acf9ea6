// A snapshot kept current by the stream: the snapshot is (re)loaded when the stream says hello (or
// reset, or a fleet change), and messages that arrive meanwhile are applied once it is in, in order.
// Renders at most a few times a second however fast messages come.

import { useStream } from "./stream.js";
import { useEffect, useRef, useState } from "./html.js";

export function useLiveSnapshot({ load, apply, params, reloadOn = () => false, onEvent = () => {}, deps = [] }) {
  const state = useRef(null);
  const pending = useRef([]);
  const loading = useRef(null);
  const [view, setView] = useState(null);
  const [error, setError] = useState(null);
  const timer = useRef(null);

  function publish() {
    if (timer.current) return;
    timer.current = setTimeout(() => { timer.current = null; setView(state.current); }, 200);
  }

  function reload() {
    pending.current = [];
    const attempt = (loading.current = load());
    attempt.then((snapshot) => {
      if (loading.current !== attempt) return;
      loading.current = null;
      state.current = snapshot;
      for (const event of pending.current) state.current = apply(state.current, event);
      pending.current = [];
      setError(null);
      setView(state.current);
    }).catch((e) => setError(e.message));
  }

  const tap = useRef(onEvent);
  tap.current = onEvent;
  const stream = useStream(params, (event) => {
    tap.current(event);
    if (event.kind === "hello" || event.kind === "reset" || reloadOn(event)) return reload();
    if (event.kind === "heartbeat") return;
    if (loading.current) pending.current.push(event);
    else if (state.current) { state.current = apply(state.current, event); publish(); }
  }, deps);

  useEffect(() => () => clearTimeout(timer.current), []);
  return { view, error, stream, reload };
}
