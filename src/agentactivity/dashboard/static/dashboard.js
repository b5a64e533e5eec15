// The dashboard: a wallboard of every agent, live from the state stream, and two charts
// from the Agent Activity API. The token comes from the link's #token= fragment (never
// sent to the server as part of the page's URL); data requests carry it as a Bearer
// header, the EventSource (which cannot set headers) as ?access_token=. A module:
// strict, and run once the page is parsed.
import { STATE_LABELS as STATES, minutesToday, timelineChart, todayChart } from "./charts.js";

const TOKEN = /^dt1\.([A-Za-z0-9_-]{1,64})\.([0-9a-f]{16})\.([0-9]{1,12})\.[A-Za-z0-9_-]{43}$/;
const CHART_REFRESH_MS = 60000;
const POLL_MS = 5000;

const view = {
  agents: new Map(), // agentId -> agent object of GET /agents/state
  tiles: new Map(), // agentId -> tile element
  clockOffset: 0, // server clock - browser clock, from the snapshot's asOf
  interval: 15,
  failed: false,
  timers: [],
  source: null,
  renderPending: false,
  dirty: new Set(), // agents whose tile needs filling at the next render
};
let token = "";
let account = "";

const $ = (id) => document.getElementById(id);
const serverNow = () => Date.now() + view.clockOffset;

class ApiFailure extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

async function api(path) {
  let answer;
  try {
    answer = await fetch(path, {
      headers: { Authorization: "Bearer " + token, Accept: "application/json" },
      cache: "no-store",
    });
  } catch (error) {
    throw new ApiFailure(0, "the server cannot be reached (" + error.message + ")");
  }
  let body = null;
  try {
    body = await answer.json();
  } catch (error) {
    body = null;
  }
  if (!answer.ok) {
    const message = body && body.message ? body.message : "HTTP " + answer.status;
    throw new ApiFailure(answer.status, message);
  }
  return body;
}

// --- failures ---------------------------------------------------------------------------

function fail(message) {
  view.failed = true;
  if (view.source) view.source.close();
  view.timers.forEach((timer) => clearInterval(timer));
  view.agents.clear();
  view.tiles.clear();
  $("wallboard").replaceChildren();
  $("offline").replaceChildren();
  $("summary").replaceChildren();
  const box = $("error");
  box.replaceChildren();
  const lines = Array.isArray(message) ? message : [message];
  lines.forEach((line) => {
    const p = document.createElement("p");
    p.textContent = line;
    box.append(p);
  });
  box.hidden = false;
  document.body.classList.add("failed");
  setConnection("failed", "No data");
}

function failWith(error) {
  if (error instanceof ApiFailure && (error.status === 401 || error.status === 403)) {
    fail("This dashboard link gives no access: " + error.message + ".");
  } else {
    fail("The dashboard could not load its data: " + error.message);
  }
}

function setConnection(status, text) {
  const box = $("connection");
  box.dataset.status = status;
  box.textContent = text;
}

// --- the wallboard ----------------------------------------------------------------------

function applySnapshot(snapshot) {
  view.clockOffset = snapshot.asOf - Date.now();
  for (const id of view.agents.keys()) {
    if (!(id in snapshot.agents)) view.tiles.delete(id); // no longer listed
  }
  view.agents.clear();
  for (const [id, agent] of Object.entries(snapshot.agents)) {
    view.agents.set(id, agent);
    view.dirty.add(id);
  }
  scheduleRender();
}

function applyAgent(change) {
  const id = String(change.agentId);
  const agent = Object.assign({}, change);
  delete agent.agentId;
  view.agents.set(id, agent);
  view.dirty.add(id);
  scheduleRender();
}

function scheduleRender() {
  if (view.renderPending || view.failed) return;
  view.renderPending = true;
  setTimeout(render, 0);
}

function duration(ms) {
  const s = Math.max(0, Math.floor(ms / 1000));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const pad = (n) => String(n).padStart(2, "0");
  return (h > 0 ? h + ":" + pad(m) : pad(m)) + ":" + pad(s % 60);
}

function tileFor(id) {
  let tile = view.tiles.get(id);
  if (tile) return tile;
  tile = document.createElement("article");
  tile.className = "tile";
  tile.dataset.agent = id;
  const head = document.createElement("div");
  head.className = "head";
  for (const name of ["agent", "chats"]) {
    const span = document.createElement("span");
    span.className = name;
    head.append(span);
  }
  head.firstChild.textContent = id;
  tile.append(head);
  for (const name of ["state", "reason", "time", "max"]) {
    const div = document.createElement("div");
    div.className = name;
    tile.append(div);
  }
  tile.querySelector(".max").textContent = "AT MAX";
  view.tiles.set(id, tile);
  return tile;
}

function fillTile(tile, agent) {
  const state = agent.state in STATES ? agent.state : "OFFLINE";
  tile.className = "tile " + state + (agent.atMaxConcurrency ? " at-max" : "");
  tile.dataset.state = state;
  tile.dataset.since = agent.since === null ? "" : String(agent.since);
  tile.querySelector(".state").textContent = STATES[state];
  const reason = agent.reasonName || agent.reasonId || "";
  tile.querySelector(".reason").textContent = reason;
  tile.querySelector(".reason").title = reason;
  const limit = agent.maxChats > 0 ? String(agent.maxChats) : "∞";
  const chats = tile.querySelector(".chats");
  chats.textContent = agent.activeChats + "/" + limit;
  chats.title = agent.activeChats + " chats, limit " + (agent.maxChats > 0 ? limit : "none");
  tile.setAttribute(
    "aria-label",
    "Agent " + tile.dataset.agent + ": " + STATES[state] + (reason ? " (" + reason + ")" : "")
  );
  tickTile(tile);
}

function tickTile(tile) {
  const since = tile.dataset.since;
  const text = since === "" ? "—" : duration(serverNow() - Number(since));
  const time = tile.querySelector(".time");
  if (time.textContent !== text) time.textContent = text;
}

function render() {
  view.renderPending = false;
  if (view.failed) return;
  const ids = Array.from(view.agents.keys()).sort((a, b) => Number(a) - Number(b));
  const loggedIn = [];
  const loggedOut = [];
  const counts = { ONLINE: 0, BACK_SOON: 0, AWAY: 0, OFFLINE: 0 };
  let atMax = 0;
  for (const id of ids) {
    const agent = view.agents.get(id);
    const tile = tileFor(id);
    if (view.dirty.has(id)) fillTile(tile, agent);
    counts[tile.dataset.state] += 1;
    if (agent.atMaxConcurrency) atMax += 1;
    (tile.dataset.state === "OFFLINE" ? loggedOut : loggedIn).push(tile);
  }
  view.dirty.clear();
  placeTiles($("wallboard"), loggedIn, "No agent is logged in.");
  placeTiles($("offline"), loggedOut, "");
  $("offline-count").textContent = "(" + loggedOut.length + ")";
  const summary = $("summary");
  summary.replaceChildren();
  for (const [label, count] of [
    ["Online", counts.ONLINE],
    ["Back soon", counts.BACK_SOON],
    ["Away", counts.AWAY],
    ["Logged out", counts.OFFLINE],
    ["At max chats", atMax],
  ]) {
    const span = document.createElement("span");
    const b = document.createElement("b");
    b.textContent = String(count);
    span.append(b, " " + label);
    summary.append(span);
  }
}

function placeTiles(container, tiles, emptyText) {
  // appendChild moves a tile that is elsewhere; one already in place stays put.
  const current = Array.from(container.children);
  const same = current.length === tiles.length && current.every((node, i) => node === tiles[i]);
  if (same) return;
  if (tiles.length === 0 && emptyText) {
    const p = document.createElement("p");
    p.className = "empty";
    p.textContent = emptyText;
    container.replaceChildren(p);
    return;
  }
  container.replaceChildren(...tiles);
}

function tick() {
  for (const tile of view.tiles.values()) tickTile(tile);
}

// --- live updates -----------------------------------------------------------------------

function openStream() {
  const path =
    "/api/account/" + encodeURIComponent(account) + "/agents/state/stream?access_token=" +
    encodeURIComponent(token);
  const source = new EventSource(path);
  view.source = source;
  const live = () => setConnection("live", "Live");
  source.addEventListener("open", live);
  source.addEventListener("snapshot", (event) => {
    applySnapshot(JSON.parse(event.data));
    live();
  });
  source.addEventListener("agent", (event) => {
    applyAgent(JSON.parse(event.data));
    live();
  });
  source.addEventListener("error", () => {
    if (view.failed) return;
    if (source.readyState === EventSource.CLOSED) {
      streamRefused();
    } else {
      setConnection("reconnecting", "Reconnecting…"); // the browser retries by itself
    }
  });
}

async function loadState() {
  applySnapshot(await api(statePath()));
}

function statePath() {
  return "/api/account/" + encodeURIComponent(account) + "/agents/state?agentIds=all";
}

async function streamRefused() {
  // The server answered the stream with an error: find out why; if the link still
  // works, keep the wallboard current by asking for the state every few seconds.
  try {
    await loadState();
  } catch (error) {
    failWith(error);
    return;
  }
  setConnection("polling", "Updating every " + POLL_MS / 1000 + " s");
  view.timers.push(
    setInterval(() => {
      loadState().catch((error) => {
        if (error.status === 401 || error.status === 403) failWith(error);
      });
    }, POLL_MS)
  );
}

// --- charts (drawn by charts.js) --------------------------------------------------------

function accountPath() {
  return "/operations/api/account/" + encodeURIComponent(account) + "/agentactivity";
}

async function drawToday() {
  const timeframe = minutesToday(serverNow());
  const answer = await api(accountPath() + "?timeframe=" + timeframe + "&agentIds=all&v=1");
  $("today").replaceChildren(todayChart(answer, timeframe));
}

async function drawTimeline() {
  const interval = view.interval;
  const asked = serverNow();
  const answer = await api(
    accountPath() + "?timeframe=1440&agentIds=all&v=1&totals=true&interval=" + interval
  );
  if (interval !== view.interval) return; // toggled meanwhile: the newer drawing wins
  $("timeline").replaceChildren(timelineChart(answer, interval, asked));
}

async function refreshCharts() {
  for (const [draw, id] of [[drawToday, "today"], [drawTimeline, "timeline"]]) {
    try {
      await draw();
    } catch (error) {
      if (error.status === 401 || error.status === 403) {
        failWith(error);
        return;
      }
      // Busy (429) or a passing fault: the previous drawing stays until the next minute.
      if (!$(id).querySelector("svg")) $(id).textContent = "Not available now: " + error.message;
    }
  }
}

function setupToggle() {
  for (const button of document.querySelectorAll(".toggle button")) {
    button.addEventListener("click", () => {
      view.interval = Number(button.dataset.interval);
      for (const other of document.querySelectorAll(".toggle button")) {
        other.setAttribute("aria-pressed", String(other === button));
      }
      drawTimeline().catch((error) => {
        if (error.status === 401 || error.status === 403) failWith(error);
      });
    });
  }
}

// --- start ------------------------------------------------------------------------------

function readToken() {
  const params = new URLSearchParams(window.location.hash.slice(1));
  return params.get("token") || "";
}

function watchExpiry(expiresAt) {
  const check = () => {
    if (!view.failed && Date.now() >= expiresAt) {
      fail("This dashboard link has expired: ask for a new link.");
    }
  };
  view.timers.push(setInterval(check, 10000));
}

async function start() {
  // Another link pasted into the address bar changes only the fragment: start afresh.
  window.addEventListener("hashchange", () => window.location.reload());
  token = readToken();
  const match = TOKEN.exec(token);
  if (!match) {
    fail([
      token ? "This dashboard link is damaged: its token is not complete." : "This page needs a dashboard link.",
      "Ask your administrator for one (agentactivity dashboard-link --account ID) and open it as printed.",
    ]);
    return;
  }
  account = match[1];
  const expiresAt = Number(match[3]) * 1000;
  $("account").textContent = "· account " + account;
  document.title = "Agents · " + account;
  $("footer").textContent =
    "Link " + match[2] + " expires " + new Date(expiresAt).toLocaleString() + ".";
  try {
    await loadState();
  } catch (error) {
    failWith(error);
    return;
  }
  openStream();
  setupToggle();
  view.timers.push(setInterval(tick, 1000));
  view.timers.push(setInterval(refreshCharts, CHART_REFRESH_MS));
  watchExpiry(expiresAt);
  await refreshCharts();
}

start();
