// A list that renders only the rows in view (fixed row height), so 10,000 chargers or 100,000 frames
// scroll as smoothly as 10.

import { html, useEffect, useRef, useState } from "./html.js";

export function VirtualList({ items, rowHeight, height, row, stickToBottom = false, onTop, className = "" }) {
  const box = useRef(null);
  const [top, setTop] = useState(0);
  const atBottom = useRef(true);
  const previousLength = useRef(items.length);

  useEffect(() => {
    const el = box.current;
    if (!el) return;
    if (stickToBottom && atBottom.current) el.scrollTop = el.scrollHeight;
    previousLength.current = items.length;
  }, [items.length, stickToBottom]);

  function scrolled(event) {
    const el = event.currentTarget;
    setTop(el.scrollTop);
    atBottom.current = el.scrollTop + el.clientHeight >= el.scrollHeight - rowHeight;
    if (onTop && el.scrollTop < rowHeight * 3) onTop();
  }

  const first = Math.max(0, Math.floor(top / rowHeight) - 10);
  const last = Math.min(items.length, Math.ceil((top + height) / rowHeight) + 10);
  const visible = [];
  for (let i = first; i < last; i++) visible.push(row(items[i], i));
  return html`
    <div class="virtual ${className}" ref=${box} style=${`height:${height}px`} onScroll=${scrolled}>
      <div style=${`height:${items.length * rowHeight}px;position:relative`}>
        <div style=${`position:absolute;top:${first * rowHeight}px;left:0;right:0`}>${visible}</div>
      </div>
    </div>`;
}
