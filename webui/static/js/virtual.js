// A list that renders only the rows in view (fixed row height), so 10,000 chargers or 100,000 frames
// scroll as smoothly as 10.

import { html, useEffect, useRef, useState } from "./html.js";

export function VirtualList({ items, rowHeight, height, row, stickToBottom = false, onTop, className = "" }) {
  const box = useRef(null);
  const [top, setTop] = useState(0);
  const atBottom = useRef(true);
  const previous = useRef({ first: items[0] });

  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const { first } = previous.current;
    const prepended = first !== undefined && items[0] !== first ? items.indexOf(first) : -1;
    if (prepended > 0) el.scrollTop += prepended * rowHeight; // older rows loaded above: keep the view still
    else if (stickToBottom && atBottom.current) el.scrollTop = el.scrollHeight;
    previous.current = { first: items[0] };
  }, [items, stickToBottom]);

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
