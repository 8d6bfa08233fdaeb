// Shared by every dashboard page: API calls with the session cookie, the live WebSocket,
// the header bar, plant time, and formatting. The session token never reaches this code:
// the browser sends the HttpOnly cookie with every request and with the WebSocket upgrade.

export class ApiError extends Error {
  constructor(status, message, code) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

/** Call the API; JSON in and out. A lost session goes to the login page. */
export async function api(path, { method = "GET", body } = {}) {
  const init = { method, credentials: "same-origin", headers: { Accept: "application/json" } };
  if (body !== undefined) {
    init.body = JSON.stringify(body);
    init.headers["Content-Type"] = "application/json";
  }
  const response = await fetch(path, init);
  const data = await response.json().catch(() => null);
  if (response.status === 401) toLogin();
  if (response.status === 403 && data?.error === "security.password_change_required") {
    location.assign("/password");
  }
  if (!response.ok) {
    throw new ApiError(response.status, data?.message ?? response.statusText, data?.error);
  }
  return data;
}

export function toLogin() {
  if (location.pathname === "/login") return; // a wrong password, not a lost session
  const here = location.pathname + location.search;
  location.assign(`/login?next=${encodeURIComponent(here)}`);
}

/** Fill in the header (user, role, log out); resolves to /api/me. */
export async function header() {
  const me = await api("/api/me");
  const who = document.getElementById("who");
  if (who) who.textContent = `${me.user} · ${me.role}`;
  document.getElementById("logout")?.addEventListener("click", async () => {
    await api("/api/logout", { method: "POST" }).catch(() => null);
    location.assign("/login");
  });
  me.may = (permission) => (me.permissions ?? []).includes(permission);
  return me;
}

/**
 * Follow the live stream for `patterns` (unified-namespace patterns). `onMessage` gets each
 * decoded message; the socket reconnects with backoff and reports its state in the header.
 */
export function live(patterns, onMessage) {
  let socket = null;
  let delay = 1000;
  let stopped = false;
  const status = document.getElementById("live-status");
  const show = (on, text) => {
    if (!status) return;
    status.textContent = text;
    status.className = `live-status ${on ? "on" : "off"}`;
  };
  const open = () => {
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    const query = encodeURIComponent(patterns.join(","));
    socket = new WebSocket(`${scheme}://${location.host}/api/live?patterns=${query}`);
    socket.onopen = () => {
      delay = 1000;
      show(true, "live");
    };
    socket.onmessage = (event) => onMessage(JSON.parse(event.data));
    socket.onclose = (event) => {
      if (stopped) return;
      if (event.code === 4401) return toLogin();
      show(false, "reconnecting");
      setTimeout(open, delay);
      delay = Math.min(delay * 2, 15000);
    };
  };
  open();
  // Closing on the way out keeps the server from writing to a page that is gone.
  addEventListener("pagehide", () => {
    stopped = true;
    // A socket still connecting is dropped with the page; closing it would log an error.
    if (socket?.readyState === WebSocket.OPEN) socket.close();
  });
}

/** Each sample of a live `samples` message as {path, ts, value}, in message order. */
export function* samplesOf(message) {
  if (message.type !== "samples") return;
  for (let i = 0; i < message.tag.length; i++) {
    yield { path: message.paths[message.tag[i]], ts: message.ts[i], value: message.value[i] };
  }
}

/** Run `task` every `ms` while the page is visible; errors go to the toast. */
export function every(ms, task) {
  const run = () => {
    if (!document.hidden) task().catch((error) => error.status === 401 || notify(error));
  };
  return setInterval(run, ms);
}

/** The machine states, in the order of shopfloor.model.states (codes 1 to 7). */
export const STATES = [
  { name: "running", label: "running", colour: "#1f8f4e" },
  { name: "idle", label: "idle", colour: "#5b6573" },
  { name: "starved", label: "starved", colour: "#b7791f" },
  { name: "blocked", label: "blocked", colour: "#d69e2e" },
  { name: "setup", label: "setup", colour: "#0e8aa6" },
  { name: "planned_stop", label: "planned stop", colour: "#3d4a5c" },
  { name: "unplanned_stop", label: "unplanned stop", colour: "#c62828" },
];
export const stateOfCode = (code) => STATES[Math.round(code) - 1];
export const stateNamed = (name) => STATES.find((s) => s.name === name);
export const PRIORITIES = ["urgent", "high", "medium", "low"];

/** Machines of the asset tree grouped by the asset that holds them (a line or a cell). */
export function machineGroups(root) {
  const groups = [];
  const walk = (asset, trail) => {
    const machines = asset.children.filter((c) => c.level === "machine");
    if (machines.length) groups.push({ asset, trail, machines });
    for (const child of asset.children) {
      if (child.level !== "machine") walk(child, [...trail, asset]);
    }
  };
  walk(root, []);
  return groups;
}

/**
 * The plant's present in nanoseconds: the newest machine state sample, or the wall clock when
 * that is later. A twin running faster than real time stamps its samples ahead of the wall
 * clock; times computed from it keep the newest data in view.
 */
export async function plantNow(groups) {
  let newest = 0;
  for (const group of groups) {
    const found = await api(`/api/latest?pattern=${encodeURIComponent(`${group.asset.path}/+/state`)}`);
    for (const row of found) newest = Math.max(newest, row.ts);
  }
  return Math.max(newest, Date.now() * 1e6);
}

export const nsToIso = (ns) => new Date(ns / 1e6).toISOString();
export const lastSegment = (path) => path.slice(path.lastIndexOf("/") + 1);

export function fmtNumber(value, digits = 1) {
  return value === null || value === undefined || Number.isNaN(value) ? "–" : value.toFixed(digits);
}

export function fmtPercent(ratio) {
  return ratio === null || ratio === undefined ? "–" : `${(100 * ratio).toFixed(1)} %`;
}

export function fmtDuration(seconds) {
  if (seconds === null || seconds === undefined) return "–";
  const s = Math.round(seconds);
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.round(s / 60)} min`;
  return `${Math.floor(s / 3600)} h ${String(Math.round((s % 3600) / 60)).padStart(2, "0")} min`;
}

/** A time in the browser's time zone: "HH:MM:SS" today, with the date otherwise. */
export function fmtTime(ns) {
  if (!ns) return "–";
  const when = new Date(ns / 1e6);
  const time = when.toLocaleTimeString([], { hour12: false });
  const today = new Date().toDateString() === when.toDateString();
  return today ? time : `${when.toLocaleDateString()} ${time}`;
}

/** Build an element: el("td", {class: "num"}, "text", child, ...). */
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value === true ? "" : value);
  }
  node.append(...children.flat(Infinity).filter((c) => c !== null && c !== undefined));
  return node;
}

/** Show a short message in the corner; errors stay until the next message. */
export function notify(message) {
  const toast = document.getElementById("toast");
  const error = message instanceof Error;
  if (!toast) return;
  toast.textContent = error ? message.message : message;
  toast.className = error ? "error" : "";
  toast.hidden = false;
  clearTimeout(notify.timer);
  if (!error) notify.timer = setTimeout(() => (toast.hidden = true), 4000);
}

/** Run a page's `main`; a failure shows in the page instead of only in the console. */
export function start(main) {
  main().catch((error) => {
    if (error instanceof ApiError && error.status === 401) return; // on the way to log in
    const where = document.getElementById("main");
    where.replaceChildren(el("p", { class: "error" }, `Could not load this page: ${error.message}`));
  });
}
