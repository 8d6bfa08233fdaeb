// OEE page: availability, performance, quality and OEE with their losses (ISO 22400) by
// machine, line or shift over a chosen range of plant time, and the downtime Pareto: the
// reasons machines were down, longest first, with the cumulative share.
import {
  api, el, fmtDuration, fmtPercent, fmtTime, header, lastSegment, machineGroups, nsToIso,
  plantNow, start,
} from "./app.js";

const RANGES = [["1 h", 3600], ["8 h", 28800], ["24 h", 86400], ["7 d", 604800]];
const GROUPINGS = [["machine", "Machine"], ["line", "Line"], ["shift", "Shift"]];
const LOSSES = [
  ["down_s", "Down"], ["setup_s", "Setup"], ["waiting_s", "Starved, blocked, idle"],
  ["unknown_s", "No data"],
];

const choice = { by: "machine", seconds: 28800 };
let groups = [];

function nameOf(record) {
  if (choice.by === "shift") return `${record.shift} · ${fmtTime(record.window_start_ns)}`;
  if (choice.by === "line") return lastSegment(record.line ?? "") || "plant";
  return lastSegment(record.machine ?? "");
}

function ratioCell(ratio) {
  const width = ratio === null ? 0 : Math.max(0, Math.min(1, ratio)) * 100;
  return el("td", { class: "num bar-cell" }, el("i", { style: `width: ${width}%` }), el("span", {}, fmtPercent(ratio)));
}

function table(records) {
  if (!records.length) return el("p", { class: "empty" }, "No production data in this range.");
  const heads = [choice.by === "shift" ? "Shift" : choice.by === "line" ? "Line" : "Machine",
    "Availability", "Performance", "Quality", "OEE", "Good", "Scrap",
    ...LOSSES.map(([, label]) => label), "Speed loss", "Scrap loss"];
  return el("table", { id: "oee-table" },
    el("thead", {}, el("tr", {}, heads.map((h, i) => el("th", { class: i ? "num" : null }, h)))),
    el("tbody", {}, records.map((r) => el("tr", {},
      el("td", {}, nameOf(r)),
      ratioCell(r.availability), ratioCell(r.performance), ratioCell(r.quality), ratioCell(r.oee),
      el("td", { class: "num" }, String(r.good)),
      el("td", { class: "num" }, String(r.scrap)),
      LOSSES.map(([key]) => el("td", { class: "num" }, fmtDuration(r[key]))),
      el("td", { class: "num" }, fmtDuration(r.losses.speed_loss_s)),
      el("td", { class: "num" }, fmtDuration(r.losses.scrap_loss_s))))));
}

/** Downtime by reason over every record, longest first. */
function downtimeByReason(records) {
  const total = new Map();
  for (const r of records) {
    for (const [reason, seconds] of Object.entries(r.losses.downtime_s ?? {})) {
      total.set(reason, (total.get(reason) ?? 0) + seconds);
    }
  }
  return [...total].sort((a, b) => b[1] - a[1]);
}

function pareto(box, records) {
  const reasons = downtimeByReason(records);
  if (!reasons.length) {
    Plotly.purge(box);
    box.replaceChildren(el("p", { class: "empty" }, "No downtime in this range."));
    return;
  }
  box.querySelector(".empty")?.remove(); // plotly keeps its own nodes: leave them be
  const sum = reasons.reduce((acc, [, s]) => acc + s, 0);
  let running = 0;
  const cumulative = reasons.map(([, s]) => (running += s) / sum * 100);
  const labels = reasons.map(([reason]) => reason.replaceAll("_", " "));
  Plotly.react(box, [
    {
      type: "bar", x: labels, y: reasons.map(([, s]) => s / 60), name: "downtime",
      marker: { color: "#c62828" }, hovertemplate: "%{x}: %{y:.1f} min<extra></extra>",
    },
    {
      type: "scatter", mode: "lines+markers", x: labels, y: cumulative, yaxis: "y2",
      name: "cumulative", line: { color: "#ffd23f" },
      hovertemplate: "%{y:.0f} % of downtime<extra></extra>",
    },
  ], {
    height: 360, margin: { l: 55, r: 50, t: 30, b: 90 },
    paper_bgcolor: "#1a212b", plot_bgcolor: "#1a212b", font: { color: "#c9d4e2", size: 11 },
    title: { text: "Downtime by reason", font: { size: 13 }, x: 0.02 },
    showlegend: false,
    xaxis: { tickangle: -30, fixedrange: true },
    yaxis: { title: { text: "minutes" }, gridcolor: "#2f3a48", fixedrange: true },
    yaxis2: { overlaying: "y", side: "right", range: [0, 105], tickvals: [0, 25, 50, 75, 100],
      ticktext: ["0 %", "25 %", "50 %", "75 %", "100 %"], showgrid: false, fixedrange: true },
  }, { displaylogo: false, responsive: true, displayModeBar: false });
}

const TIME_USE = [
  ["Valuable time", (r) => r.production_s - r.losses.speed_loss_s - r.losses.scrap_loss_s, "#1f8f4e"],
  ["Speed loss", (r) => r.losses.speed_loss_s, "#7ee787"],
  ["Scrap loss", (r) => r.losses.scrap_loss_s, "#e3b341"],
  ["Down", (r) => r.down_s, "#c62828"],
  ["Setup", (r) => r.setup_s, "#0e8aa6"],
  ["Starved, blocked, idle", (r) => r.waiting_s, "#b7791f"],
  ["No data", (r) => r.unknown_s, "#5b6573"],
];

/** The planned busy time of every record together, split into OEE's time categories. */
function lossChart(box, records) {
  if (!records.length) {
    Plotly.purge(box);
    return;
  }
  const hours = TIME_USE.map(([, of]) => records.reduce((acc, r) => acc + Math.max(0, of(r)), 0) / 3600);
  Plotly.react(box, [{
    type: "bar", orientation: "h", y: TIME_USE.map(([label]) => label), x: hours,
    marker: { color: TIME_USE.map(([, , colour]) => colour) },
    hovertemplate: "%{y}: %{x:.2f} h<extra></extra>",
  }], {
    height: 360, margin: { l: 150, r: 20, t: 30, b: 40 },
    paper_bgcolor: "#1a212b", plot_bgcolor: "#1a212b", font: { color: "#c9d4e2", size: 11 },
    title: { text: "Machine hours by category", font: { size: 13 }, x: 0.02 },
    xaxis: { title: { text: "hours" }, gridcolor: "#2f3a48", fixedrange: true },
    yaxis: { autorange: "reversed", fixedrange: true },
  }, { displaylogo: false, responsive: true, displayModeBar: false });
}

let latest = 0; // the newest request: an older answer arriving late is dropped

async function load(parts) {
  const ticket = ++latest;
  const now = await plantNow(groups);
  const from = now - choice.seconds * 1e9;
  const query = new URLSearchParams({ by: choice.by, start: nsToIso(from), end: nsToIso(now) });
  const records = await api(`/api/oee?${query}`);
  if (ticket !== latest) return;
  parts.note.textContent = `${fmtTime(from)} – ${fmtTime(now)} (plant time)`;
  parts.table.replaceChildren(table(records));
  pareto(parts.pareto, records);
  lossChart(parts.losses, records);
}

function segmented(options, current, pick) {
  const buttons = options.map(([value, label]) => el("button", {
    type: "button", value, "aria-pressed": String(value === current),
    onclick: (event) => {
      for (const b of buttons) b.setAttribute("aria-pressed", String(b === event.currentTarget));
      pick(value);
    },
  }, label));
  return el("span", { class: "segmented" }, buttons);
}

start(async () => {
  await header();
  groups = machineGroups(await api("/api/assets"));
  const parts = {
    table: el("div", {}, el("p", { class: "muted" }, "Loading…")),
    pareto: el("div", { class: "chart", id: "pareto" }),
    losses: el("div", { class: "chart", id: "losses" }),
    note: el("span", { class: "mode" }),
  };
  const reload = () => load(parts).catch((error) => parts.table.replaceChildren(
    el("p", { class: "error" }, error.message)));
  document.getElementById("main").replaceChildren(
    el("h1", {}, "Overall equipment effectiveness"),
    el("div", { class: "controls" },
      el("label", {}, "By"),
      segmented(GROUPINGS, choice.by, (by) => { choice.by = by; reload(); }),
      el("label", {}, "Range"),
      segmented(RANGES.map(([l, s]) => [s, l]), choice.seconds, (s) => { choice.seconds = +s; reload(); }),
      el("button", { type: "button", onclick: reload }, "Refresh"),
      parts.note),
    el("section", {}, el("h2", {}, "OEE and losses"), parts.table),
    el("div", { class: "grid-2" },
      el("section", {}, el("h2", {}, "Downtime Pareto"), parts.pareto),
      el("section", {}, el("h2", {}, "Where the planned time went"), parts.losses)),
  );
  await load(parts);
});
