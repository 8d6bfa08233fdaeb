// Machine page: live trends of the machine's numeric tags, zoom and pan into history, the
// state timeline, and the machine's active alarms.
//
// Live mode shows the last `span` seconds of plant time and appends samples from the live
// stream. Zooming or panning switches to history mode: the visible range is fetched from
// /api/history, downsampled to about POINTS points per tag. Double-click or "Live" goes back.
import {
  api, el, every, fmtNumber, fmtPercent, fmtTime, header, lastSegment, live, nsToIso, PRIORITIES,
  samplesOf, start, stateNamed, stateOfCode, STATES,
} from "./app.js";

const machine = decodeURIComponent(location.pathname.slice("/machine/".length));
const SPANS = [["15 min", 900], ["1 h", 3600], ["8 h", 28800], ["24 h", 86400]];
const POINTS = 600;
const REDRAW_MS = 500;
const OFF_BY_DEFAULT = new Set(["good_count", "scrap_count", "energy"]);
const PALETTE = ["#5aa9ff", "#ffb454", "#7ee787", "#ff7b72", "#d2a8ff", "#79c0ff", "#f0883e",
  "#a5d6ff", "#56d364", "#e3b341"];
const UNITS = { degC: "°C", "1": "" };
// Plotly draws times as given: shift UTC to the browser's zone so the axis reads local time.
const ZONE_MS = new Date().getTimezoneOffset() * 60000;
const toPlot = (ns) => ns / 1e6 - ZONE_MS;
const plotToNs = (value) => {
  const ms = typeof value === "number" ? value : Date.parse(`${value.replace(" ", "T")}Z`);
  return (ms + ZONE_MS) * 1e6;
};

const view = {
  mode: "live", // "live" follows the newest data; "history" shows a chosen range
  span: 900, // seconds of plant time in live mode
  range: null, // [startNs, endNs] in history mode
  every: 0, // seconds per point of the last history fetch
  newestNs: 0, // plant time: the newest sample seen
};
let tags = []; // numeric tags drawn as trends, in the tree's order
const shown = new Set();
const series = new Map(); // tag name -> {x: [], y: []}, x in plot time
let segments = []; // state timeline: [{start, end, code}] in ns
let chart = null;
let controls = null;
let redrawTimer = null;
let drawing = false;

let latestFetch = 0; // the newest history request: an older answer arriving late is dropped

/** Fetch the range's trends and states; false when a newer fetch has begun meanwhile. */
async function loadHistory(startNs, endNs) {
  const ticket = ++latestFetch;
  const every = Math.max(1, Math.ceil((endNs - startNs) / 1e9 / POINTS));
  const query = new URLSearchParams({
    path: `${machine}/+`, start: nsToIso(startNs), end: nsToIso(endNs), every: `${every}s`,
  });
  const [down, states] = await Promise.all([
    api(`/api/history?${query}`),
    // From a while before the range: the state sample that tells the state at its start.
    api(`/api/history?${new URLSearchParams({
      path: `${machine}/state`, start: nsToIso(startNs - 600e9), end: nsToIso(endNs), limit: "20000",
    })}`),
  ]);
  if (ticket !== latestFetch) return false;
  view.every = every;
  series.clear();
  for (const s of down.series) {
    series.set(lastSegment(s.path), { x: s.ts.map(toPlot), y: s.value });
  }
  segments = [];
  const raw = states.series[0];
  if (raw) raw.ts.forEach((ts, i) => addState(ts, raw.value[i]));
  if (segments.length) segments[0].start = Math.max(segments[0].start, startNs);
  for (const s of down.series) view.newestNs = Math.max(view.newestNs, s.ts.at(-1) ?? 0);
  return true;
}

function addState(ts, code) {
  if (code === null || !stateOfCode(code)) return;
  const last = segments.at(-1);
  if (last && last.code === code) {
    last.end = Math.max(last.end, ts);
    return;
  }
  if (last) last.end = ts;
  segments.push({ start: ts, end: ts, code });
}

function onSamples(message) {
  let changed = false;
  for (const { path, ts, value } of samplesOf(message)) {
    if (!path.startsWith(`${machine}/`)) continue;
    view.newestNs = Math.max(view.newestNs, ts);
    if (view.mode !== "live" || value === null) continue;
    const name = lastSegment(path);
    if (name === "state") addState(ts, value);
    let trace = series.get(name);
    if (!trace) series.set(name, (trace = { x: [], y: [] }));
    trace.x.push(toPlot(ts));
    trace.y.push(value);
    changed = true;
  }
  if (changed) scheduleDraw();
}

function trim() {
  // Keep a little more than the window, so a longer span needs no refetch right away.
  const from = toPlot(view.newestNs - 1.2 * view.span * 1e9);
  for (const trace of series.values()) {
    const cut = trace.x.findIndex((x) => x >= from);
    if (cut > 0) {
      trace.x.splice(0, cut);
      trace.y.splice(0, cut);
    }
  }
  const fromNs = view.newestNs - 1.2 * view.span * 1e9;
  segments = segments.filter((s) => s.end >= fromNs || s === segments.at(-1));
}

function scheduleDraw() {
  if (redrawTimer === null) redrawTimer = setTimeout(draw, REDRAW_MS);
}

function xRange() {
  if (view.mode === "history") return view.range;
  return [view.newestNs - view.span * 1e9, view.newestNs];
}

function draw() {
  redrawTimer = null;
  if (view.mode === "live") {
    trim();
    const last = segments.at(-1);
    if (last) last.end = Math.max(last.end, view.newestNs);
  }
  const drawn = tags.filter((t) => shown.has(t.name));
  const rows = drawn.length;
  // Heights in pixels, turned into fractions: the state timeline on top, a band per tag.
  const band = 85;
  const plotHeight = 48 + band * rows;
  const timeline = 30 / plotHeight;
  const gap = 18 / plotHeight;
  const each = (1 - timeline - gap * (rows + 1)) / Math.max(rows, 1);
  const layout = {
    height: plotHeight + 70,
    margin: { l: 60, r: 20, t: 40, b: 30 },
    paper_bgcolor: "#1a212b",
    plot_bgcolor: "#1a212b",
    font: { color: "#c9d4e2", size: 11 },
    showlegend: true,
    legend: { orientation: "h", x: 0, y: 1, yanchor: "bottom", font: { size: 11 } },
    hovermode: "x unified",
    dragmode: "zoom",
    barmode: "overlay",
    xaxis: {
      type: "date", range: xRange().map(toPlot), anchor: "free", position: 0,
      gridcolor: "#2f3a48",
    },
    yaxis: { domain: [1 - timeline, 1], fixedrange: true, showticklabels: false, showgrid: false },
    annotations: [],
  };
  const traces = [];
  drawn.forEach((tag, i) => {
    const axis = `y${i + 2}`;
    const top = 1 - timeline - gap - i * (each + gap);
    layout[`yaxis${i + 2}`] = {
      domain: [top - each, top], fixedrange: true, gridcolor: "#2f3a48", zeroline: false,
    };
    const unit = UNITS[tag.unit] ?? tag.unit;
    layout.annotations.push({
      text: unit ? `${tag.name} (${unit})` : tag.name, xref: "paper", yref: "paper", x: 0,
      y: top, xanchor: "left", yanchor: "bottom", showarrow: false, font: { size: 12 },
    });
    const data = series.get(tag.name) ?? { x: [], y: [] };
    traces.push({
      type: "scatter", mode: "lines", name: tag.name, x: data.x, y: data.y, xaxis: "x",
      yaxis: axis, showlegend: false, connectgaps: false,
      line: { width: 1.5, color: PALETTE[i % PALETTE.length] },
      hovertemplate: `%{y:.3~f}${unit ? ` ${unit}` : ""}<extra>${tag.name}</extra>`,
    });
  });
  STATES.forEach((state, index) => {
    const mine = segments.filter((s) => Math.round(s.code) === index + 1);
    if (!mine.length) return;
    traces.push({
      type: "bar", orientation: "h", name: state.label, yaxis: "y", xaxis: "x",
      y: mine.map(() => "state"), base: mine.map((s) => toPlot(s.start)),
      x: mine.map((s) => Math.max(s.end - s.start, 1e6) / 1e6),
      marker: { color: state.colour }, width: 0.9, hoverinfo: "name",
    });
  });
  drawing = true;
  Plotly.react(chart, traces, layout, {
    displaylogo: false, responsive: true, scrollZoom: true,
    modeBarButtonsToRemove: ["select2d", "lasso2d", "autoScale2d", "toImage"],
  }).finally(() => (drawing = false));
  showMode();
}

function showMode() {
  const [from, to] = xRange();
  controls.mode.textContent = view.mode === "live"
    ? `Live: the last ${SPANS.find(([, s]) => s === view.span)?.[0] ?? `${view.span} s`}`
    : `History: ${fmtTime(from)} – ${fmtTime(to)}, one point per ${view.every} s`;
  controls.live.hidden = view.mode === "live";
  for (const button of controls.spans) {
    button.setAttribute("aria-pressed", String(view.mode === "live" && +button.value === view.span));
  }
}

async function goLive(span = view.span) {
  view.mode = "live";
  view.span = span;
  if (await loadHistory(view.newestNs - span * 1e9, view.newestNs + 1e9)) draw();
}

let pendingRange = null;
function onRelayout(event) {
  if (drawing) return;
  if (event["xaxis.autorange"]) {
    goLive().catch(() => null);
    return;
  }
  const range = event["xaxis.range"] ?? [event["xaxis.range[0]"], event["xaxis.range[1]"]];
  if (range[0] === undefined) return;
  view.mode = "history";
  view.range = range.map(plotToNs);
  // Wait for the wheel or the drag to settle before asking the historian.
  clearTimeout(pendingRange);
  pendingRange = setTimeout(async () => {
    if (await loadHistory(...view.range)) draw();
  }, 300);
}

function tagChips() {
  return el("div", { class: "chips", "aria-label": "tags" }, tags.map((tag) =>
    el("label", {},
      el("input", {
        type: "checkbox", value: tag.name, checked: shown.has(tag.name),
        onchange: (event) => {
          if (event.target.checked) shown.add(tag.name);
          else shown.delete(tag.name);
          draw();
        },
      }),
      tag.name)));
}

function alarmRows(alarms) {
  const mine = alarms.filter((a) => a.asset === machine);
  if (!mine.length) return el("p", { class: "empty" }, "No active alarms.");
  return el("table", { id: "machine-alarms" },
    el("thead", {}, el("tr", {}, ["Priority", "Alarm", "State", "Value", "Since"].map((h) => el("th", {}, h)))),
    el("tbody", {}, mine.map((a) => el("tr", { class: a.state.startsWith("unack") ? "unacked" : null },
      el("td", {}, el("span", { class: `badge ${a.priority}` }, a.priority)),
      el("td", {}, a.message),
      el("td", {}, a.state.replaceAll("_", " ")),
      el("td", { class: "num" }, fmtNumber(a.value, 2)),
      el("td", {}, fmtTime(a.since_ns))))));
}

async function poll(head, alarmBox) {
  const [states, alarms] = await Promise.all([api("/api/states"), api("/api/alarms")]);
  const row = states.find((s) => s.machine === machine);
  const state = stateNamed(row?.state);
  head.state.textContent = state ? state.label : "no data";
  head.state.style.background = state ? state.colour : "";
  head.reason.textContent = row?.reason ? row.reason.replaceAll("_", " ") : "";
  head.oee.textContent = `OEE since start ${fmtPercent(row?.oee)}`;
  alarmBox.replaceChildren(alarmRows(alarms.sort((a, b) =>
    PRIORITIES.indexOf(a.priority) - PRIORITIES.indexOf(b.priority))));
}

start(async () => {
  await header();
  const found = await api(`/api/tags?pattern=${encodeURIComponent(`${machine}/+`)}`);
  if (!found.length) {
    document.getElementById("main").replaceChildren(
      el("p", { class: "empty" }, `No machine with tags at ${machine}. `, el("a", { href: "/" }, "Overview")));
    return;
  }
  tags = found.filter((t) => t.type !== "text" && t.name !== "state");
  for (const t of tags) if (!OFF_BY_DEFAULT.has(t.name)) shown.add(t.name);
  const head = {
    state: el("span", { class: "pill", id: "machine-state" }, "–"),
    reason: el("span", { class: "muted" }),
    oee: el("span", { class: "muted" }),
  };
  controls = {
    spans: SPANS.map(([label, seconds]) => el("button", {
      type: "button", value: seconds, onclick: () => goLive(seconds).catch(() => null),
    }, label)),
    live: el("button", { type: "button", class: "primary", onclick: () => goLive().catch(() => null) }, "Back to live"),
    mode: el("span", { class: "mode" }),
  };
  chart = el("div", { id: "chart" });
  const alarmBox = el("div", {}, el("p", { class: "muted" }, "Loading…"));
  document.getElementById("main").replaceChildren(
    el("div", { class: "crumbs" }, el("a", { href: "/" }, "Overview"), ` › ${machine}`),
    el("div", { class: "machine-head" }, el("h1", {}, lastSegment(machine)), head.state, head.reason, head.oee),
    el("h2", {}, "Active alarms"),
    alarmBox,
    el("h2", {}, "Trends"),
    el("div", { class: "controls" }, el("span", { class: "segmented" }, controls.spans), controls.live, controls.mode),
    tagChips(),
    chart,
  );
  await poll(head, alarmBox);
  every(3000, () => poll(head, alarmBox));
  const latest = await api(`/api/latest?pattern=${encodeURIComponent(`${machine}/+`)}`);
  view.newestNs = Math.max(Date.now() * 1e6, ...latest.map((r) => r.ts));
  await goLive(view.span);
  chart.on("plotly_relayout", onRelayout);
  live([`${machine}/+`, machine], (message) => {
    if (message.type === "samples") onSamples(message);
    else if (message.type === "events" && message.events.some((e) => e.kind.startsWith("alarm."))) {
      poll(head, alarmBox).catch(() => null);
    }
  });
});
