// Charts: time series on uPlot (vendored), bars as a few lines of SVG.

import uPlot from "uplot";
import { html, useEffect, useRef } from "./html.js";

const COLOURS = ["#2f7ed8", "#e4572e", "#29a35a", "#8e44ad", "#f4a300"];

// series: [{label, scale, unit}] ; data: [times (s), ...one array per series]
export function TimeChart({ title, series, data, height = 220 }) {
  const box = useRef(null);
  const plot = useRef(null);
  useEffect(() => {
    const scales = [...new Set(series.map((s) => s.scale))];
    plot.current = new uPlot({
      title,
      width: box.current.clientWidth || 600,
      height,
      scales: Object.fromEntries(scales.map((s) => [s, {}])),
      series: [{}, ...series.map((s, i) => ({ label: s.label, scale: s.scale, stroke: COLOURS[i], width: 2,
        value: (u, v) => (v === null || v === undefined ? "–" : `${v.toFixed(s.digits ?? 1)} ${s.unit}`) }))],
      axes: [{}, ...scales.map((scale, i) => ({ scale, side: i === 0 ? 3 : 1, grid: { show: i === 0 },
        label: series.filter((s) => s.scale === scale).map((s) => s.unit)[0] }))],
    }, data, box.current);
    const resized = () => plot.current?.setSize({ width: box.current.clientWidth, height });
    window.addEventListener("resize", resized);
    return () => { window.removeEventListener("resize", resized); plot.current.destroy(); };
  }, [series.map((s) => s.label).join()]);
  useEffect(() => { plot.current?.setData(data); }, [data]);
  return html`<div class="chart" ref=${box} data-points=${data[0]?.length ?? 0}></div>`;
}

// items: [{label, value}] (value ≥ 0); unit appended to each value
export function Bars({ title, items, unit = "", width = 520 }) {
  const max = Math.max(1, ...items.map((i) => i.value ?? 0));
  const bar = 22;
  const label = 150;
  return html`
    <figure class="bars">
      <figcaption>${title}</figcaption>
      ${items.length === 0 ? html`<p class="muted">nothing yet</p>` : html`
      <svg width=${width} height=${items.length * (bar + 6)} role="img" aria-label=${title}>
        ${items.map((item, i) => {
          const w = ((item.value ?? 0) / max) * (width - label - 90);
          const y = i * (bar + 6);
          return html`<g>
            <text x="0" y=${y + 15} class="bar-label">${item.label}</text>
            <rect x=${label} y=${y} width=${Math.max(1, w)} height=${bar} fill=${COLOURS[i % COLOURS.length]} rx="3" />
            <text x=${label + w + 6} y=${y + 15} class="bar-value">${item.value ?? "–"}${unit}</text>
          </g>`;
        })}
      </svg>`}
    </figure>`;
}
