// Alarm page: the active alarms, sortable by priority or time; acknowledge and shelve (each
// with a comment) for the roles that may; shelved alarms with unshelve; and the history of
// alarm events, with who acknowledged or shelved what and when. Alarm events on the live
// stream refresh the page at once; a poll catches anything missed.
import {
  api, el, every, fmtNumber, fmtTime, header, lastSegment, live, machineGroups, notify, nsToIso,
  plantNow, PRIORITIES, start,
} from "./app.js";

const STATE_LABELS = {
  unacknowledged_active: "active, unacknowledged",
  acknowledged_active: "active, acknowledged",
  unacknowledged_rtn: "cleared, unacknowledged",
  shelved: "shelved",
  suppressed: "suppressed",
  normal: "normal",
};
const SHELVE_FOR = [["15m", "15 minutes"], ["1h", "1 hour"], ["8h", "8 hours"], ["24h", "24 hours"]];
const HISTORY_HOURS = 24;

let me = null;
let groups = [];
let sortBy = "priority"; // or "time"
const boxes = {};

const machineOf = (alarm) => lastSegment(alarm.asset);
const needsAck = (state) => state.startsWith("unacknowledged");

function sorted(alarms) {
  const byTime = (a, b) => (b.since_ns ?? 0) - (a.since_ns ?? 0);
  if (sortBy === "time") return [...alarms].sort(byTime);
  // The server's order: most urgent first, unacknowledged before acknowledged, newest first.
  return [...alarms].sort((a, b) =>
    PRIORITIES.indexOf(a.priority) - PRIORITIES.indexOf(b.priority)
    || Number(!needsAck(a.state)) - Number(!needsAck(b.state)) || byTime(a, b));
}

function sortHeader(key, label) {
  return el("th", {}, el("button", {
    type: "button", "data-sort": key, "data-sorted": sortBy === key,
    onclick: () => {
      sortBy = key;
      refresh().catch(notify);
    },
  }, label));
}

function actionButtons(alarm) {
  const buttons = [];
  if (me.may("alarm_acknowledge") && needsAck(alarm.state)) {
    buttons.push(el("button", { type: "button", class: "primary", "data-action": "ack", onclick: () => act("ack", alarm) }, "Acknowledge"));
  }
  if (me.may("alarm_shelve") && alarm.state !== "shelved") {
    buttons.push(el("button", { type: "button", "data-action": "shelve", onclick: () => act("shelve", alarm) }, "Shelve"));
  }
  if (me.may("alarm_shelve") && alarm.state === "shelved") {
    buttons.push(el("button", { type: "button", "data-action": "unshelve", onclick: () => act("unshelve", alarm) }, "Unshelve"));
  }
  return buttons;
}

function alarmTable(alarms, id, empty) {
  if (!alarms.length) return el("p", { class: "empty" }, empty);
  const withActions = me.may("alarm_acknowledge") || me.may("alarm_shelve");
  return el("table", { id },
    el("thead", {}, el("tr", {},
      sortHeader("priority", "Priority"), el("th", {}, "Machine"), el("th", {}, "Alarm"),
      el("th", {}, "State"), el("th", { class: "num" }, "Value"), el("th", { class: "num" }, "Limit"),
      sortHeader("time", "Since"), withActions ? el("th", {}, "Actions") : null)),
    el("tbody", {}, sorted(alarms).map((a) => el("tr", {
      "data-alarm-id": a.id, "data-machine": a.asset, class: needsAck(a.state) ? "unacked" : null,
    },
    el("td", {}, el("span", { class: `badge ${a.priority}` }, a.priority)),
    el("td", {}, el("a", { href: `/machine/${a.asset}` }, machineOf(a))),
    el("td", {}, a.message),
    el("td", { class: "state" }, STATE_LABELS[a.state] ?? a.state),
    el("td", { class: "num" }, fmtNumber(a.value, 2)),
    el("td", { class: "num" }, a.limit === null ? "" : fmtNumber(a.limit, 1)),
    el("td", {}, fmtTime(a.state === "shelved" ? a.shelved_until_ns : a.since_ns),
      a.state === "shelved" ? ` (until, by ${a.shelved_by})` : ""),
    withActions ? el("td", { class: "actions" }, actionButtons(a)) : null))));
}

function historyTable(events) {
  if (!events.length) return el("p", { class: "empty" }, "No alarm events in the last day.");
  return el("table", { id: "alarm-history" },
    el("thead", {}, el("tr", {}, ["Time", "Machine", "Alarm", "Event", "By", "Comment", "Priority"]
      .map((h) => el("th", {}, h)))),
    el("tbody", {}, events.map((e) => el("tr", { "data-kind": e.kind, "data-actor": e.actor },
      el("td", {}, fmtTime(e.time_ns)),
      el("td", {}, lastSegment(e.asset)),
      el("td", {}, e.payload.message ?? e.payload.alarm_id),
      el("td", {}, e.kind.replace("alarm.", "")),
      el("td", {}, e.actor.startsWith("user:") ? e.actor.slice(5) : e.actor),
      el("td", { class: "comment" }, e.payload.comment ?? e.payload.reason ?? ""),
      el("td", {}, el("span", { class: `badge ${e.payload.priority}` }, e.payload.priority))))));
}

/** Ask for a comment (and, to shelve, a duration); null when cancelled. */
function ask(title, alarm, withDuration) {
  const duration = el("select", { id: "shelve-duration", name: "duration" },
    SHELVE_FOR.map(([value, label]) => el("option", { value }, label)));
  const comment = el("textarea", { id: "action-comment", name: "comment", maxlength: "2000" });
  const dialog = el("dialog", { id: "action-dialog" },
    el("form", { method: "dialog" },
      el("h2", {}, title),
      el("p", {}, `${machineOf(alarm)}: ${alarm.message}`),
      withDuration ? [el("label", { for: "shelve-duration" }, "For"), duration] : null,
      el("label", { for: "action-comment" }, "Comment"),
      comment,
      el("menu", {},
        el("button", { value: "cancel", formnovalidate: true }, "Cancel"),
        el("button", { value: "ok", class: "primary", id: "action-ok" }, title))));
  document.body.append(dialog);
  return new Promise((resolve) => {
    dialog.addEventListener("close", () => {
      dialog.remove();
      resolve(dialog.returnValue === "ok" ? { comment: comment.value, duration: duration.value } : null);
    });
    dialog.showModal();
    comment.focus();
  });
}

async function act(action, alarm) {
  const titles = { ack: "Acknowledge", shelve: "Shelve", unshelve: "Unshelve" };
  const answer = await ask(titles[action], alarm, action === "shelve");
  if (!answer) return;
  const body = action === "shelve" ? { duration: answer.duration, comment: answer.comment } : { comment: answer.comment };
  try {
    const id = alarm.id.split("/").map(encodeURIComponent).join("/");
    await api(`/api/alarms/${id}/${action}`, { method: "POST", body });
    notify(`${titles[action]}d: ${machineOf(alarm)}, ${alarm.message}`);
  } catch (error) {
    notify(error);
  }
  await refresh();
}

async function refresh() {
  const [active, everyAlarm] = await Promise.all([api("/api/alarms"), api("/api/alarms/all")]);
  boxes.active.replaceChildren(alarmTable(active, "active-alarms", "No active alarms."));
  boxes.count.textContent = active.length ? `(${active.length})` : "";
  const shelved = everyAlarm.filter((a) => a.state === "shelved");
  boxes.shelved.replaceChildren(alarmTable(shelved, "shelved-alarms", "No shelved alarms."));
  await refreshHistory();
}

async function refreshHistory() {
  const now = await plantNow(groups);
  // An hour past the plant's present: operator actions are stamped on the twin's clock, which
  // may run ahead of the newest state sample.
  const query = new URLSearchParams({
    start: nsToIso(now - HISTORY_HOURS * 3600e9), end: nsToIso(now + 3600e9), limit: "200",
  });
  boxes.history.replaceChildren(historyTable(await api(`/api/alarms/history?${query}`)));
}

start(async () => {
  me = await header();
  groups = machineGroups(await api("/api/assets"));
  boxes.active = el("div", {}, el("p", { class: "muted" }, "Loading…"));
  boxes.shelved = el("div", {});
  boxes.history = el("div", {});
  boxes.count = el("span", { class: "muted", id: "active-count" });
  const role = me.may("alarm_acknowledge") ? "" : `You are logged in as ${me.role}: you may look, not act.`;
  document.getElementById("main").replaceChildren(
    el("h1", {}, "Alarms ", boxes.count),
    el("p", { class: "muted", id: "read-only", hidden: !role }, role),
    el("h2", {}, "Active"), boxes.active,
    el("h2", {}, "Shelved"), boxes.shelved,
    el("h2", {}, `History (last ${HISTORY_HOURS} h, newest first)`), boxes.history,
  );
  await refresh();
  every(5000, refresh);
  const soon = { list: null, history: null };
  const patterns = groups.map(({ asset }) => `${asset.path}/+`);
  if (patterns.length) {
    live(patterns, (message) => {
      if (message.type !== "events" || !message.events.some((e) => e.kind.startsWith("alarm."))) return;
      clearTimeout(soon.list);
      clearTimeout(soon.history);
      soon.list = setTimeout(() => refresh().catch(notify), 150);
      // The historian stores events within about a second (the recorder flushes each
      // second): read the history again once this one is in.
      soon.history = setTimeout(() => refreshHistory().catch(notify), 1500);
    });
  }
});
