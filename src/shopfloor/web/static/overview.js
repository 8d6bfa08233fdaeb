// Plant overview: every line (or cell) of the asset tree with a tile per machine, coloured by
// the machine's state and ringed by its worst active alarm, with its OEE and live values.
// States, OEE and alarms are polled from /api/states; values, states and alarm events also
// arrive on the live stream, so a change shows without waiting for the next poll.
import {
  api, el, every, fmtNumber, fmtPercent, header, lastSegment, live, machineGroups, samplesOf,
  start, stateNamed, stateOfCode, STATES,
} from "./app.js";

const SHOWN = [
  { tag: "temperature", label: "Temperature", digits: 1 },
  { tag: "vibration_rms", label: "Vibration", digits: 2 },
];
const UNITS = { degC: "°C", "1": "" };
const POLL_MS = 3000;

const tiles = new Map(); // machine path -> {node, parts}
const seenLive = new Set(); // tag paths with a value from the stream (newer than a poll's)

function unitOf(machine, tag) {
  const unit = machine.tags.find((t) => t.name === tag)?.unit ?? "";
  return UNITS[unit] ?? unit;
}

function tile(machine) {
  const parts = {
    state: el("div", { class: "state" }, "–"),
    reason: el("div", { class: "reason" }),
    oee: el("dd", { "data-field": "oee" }, "–"),
    badge: el("span", { class: "badge", hidden: true }),
    values: {},
  };
  const rows = SHOWN.map(({ tag, label }) => {
    parts.values[tag] = el("dd", { "data-tag": tag }, "–");
    const unit = unitOf(machine, tag);
    return [el("dt", {}, unit ? `${label} (${unit})` : label), parts.values[tag]];
  });
  const node = el(
    "a",
    { class: "tile", href: `/machine/${machine.path}`, "data-machine": machine.path },
    parts.badge,
    el("div", { class: "name" }, machine.name),
    el("div", { class: "kind", title: machine.description }, machine.description || machine.kind),
    parts.state,
    parts.reason,
    el("dl", {}, rows, el("dt", {}, "OEE"), parts.oee),
  );
  tiles.set(machine.path, { node, parts });
  return node;
}

function showState(entry, stateName) {
  const state = stateNamed(stateName);
  entry.node.dataset.state = stateName ?? "";
  entry.node.classList.remove(...STATES.map((s) => `state-${s.name}`));
  if (state) entry.node.classList.add(`state-${state.name}`);
  entry.parts.state.textContent = state ? state.label : "no data";
}

function showAlarm(entry, priority) {
  entry.node.dataset.alarm = priority ?? "";
  entry.node.classList.remove("alarm-urgent", "alarm-high", "alarm-medium", "alarm-low");
  entry.parts.badge.hidden = !priority;
  if (!priority) return;
  entry.node.classList.add(`alarm-${priority}`);
  entry.parts.badge.className = `badge ${priority}`;
  entry.parts.badge.textContent = `${priority} alarm`;
}

function showValue(path, value) {
  const cut = path.lastIndexOf("/");
  const entry = tiles.get(path.slice(0, cut));
  const field = SHOWN.find((s) => s.tag === path.slice(cut + 1));
  if (!entry || !field) return;
  entry.parts.values[field.tag].textContent = fmtNumber(value, field.digits);
}

async function poll() {
  const states = await api("/api/states");
  for (const row of states) {
    const entry = tiles.get(row.machine);
    if (!entry) continue;
    showState(entry, row.state);
    entry.parts.reason.textContent = row.reason ? row.reason.replaceAll("_", " ") : "";
    entry.parts.oee.textContent = fmtPercent(row.oee);
    showAlarm(entry, row.alarm);
    for (const { tag } of SHOWN) {
      const path = `${row.machine}/${tag}`;
      if (!seenLive.has(path) && row.values[tag] !== undefined) showValue(path, row.values[tag]);
    }
  }
}

function onLive(message, refreshSoon) {
  if (message.type === "events") {
    if (message.events.some((e) => e.kind.startsWith("alarm."))) refreshSoon();
    return;
  }
  if (message.type === "text") {
    for (let i = 0; i < message.tag.length; i++) {
      const path = message.paths[message.tag[i]];
      const entry = tiles.get(path.slice(0, path.lastIndexOf("/")));
      if (entry) entry.parts.reason.textContent = message.value[i].replaceAll("_", " ");
    }
    return;
  }
  // Only the newest sample of each tag in a message is worth drawing.
  const newest = new Map();
  for (const s of samplesOf(message)) newest.set(s.path, s.value);
  for (const [path, value] of newest) {
    if (value === null) continue;
    if (lastSegment(path) === "state") {
      const entry = tiles.get(path.slice(0, path.lastIndexOf("/")));
      if (entry) showState(entry, stateOfCode(value)?.name);
    } else {
      seenLive.add(path);
      showValue(path, value);
    }
  }
}

start(async () => {
  await header();
  const tree = await api("/api/assets");
  const groups = machineGroups(tree);
  const sections = groups.map(({ asset, trail, machines }) =>
    el(
      "section",
      { "data-group": asset.path },
      el("div", { class: "crumbs" }, [...trail, asset].map((a) => a.description || a.name).join(" › ")),
      el("h1", {}, asset.description ? `${asset.name} · ${asset.description}` : asset.name),
      el("div", { class: "tiles" }, machines.map(tile)),
    ),
  );
  const legend = el(
    "div",
    { class: "legend" },
    STATES.map((s) => el("span", { style: `--swatch: var(--${s.name})` }, s.label)),
  );
  document.getElementById("main").replaceChildren(
    ...(sections.length ? sections : [el("p", { class: "empty" }, "This plant has no machines.")]),
    legend,
  );
  await poll();
  every(POLL_MS, poll);

  let pending = null;
  const refreshSoon = () => {
    clearTimeout(pending);
    pending = setTimeout(() => poll().catch(() => null), 150);
  };
  const patterns = groups.flatMap(({ asset }) => [
    ...SHOWN.map(({ tag }) => `${asset.path}/+/${tag}`),
    `${asset.path}/+/state`,
    `${asset.path}/+/state_reason`,
    `${asset.path}/+`, // machine events: alarms raised and cleared
  ]);
  if (patterns.length) live(patterns, (message) => onLive(message, refreshSoon));
});
