// The wallboard: one tile per agent of the shown team (SPEC section 7's agent objects,
// from the state listing and its stream), split into logged in and logged out, and the
// header's counts of those agents. Whatever the page shows comes from the server's own
// answer for the team (agentGroupIds), so counting the tiles is counting the team.
import { STATE_LABELS as STATES } from "./charts.js";

const $ = (id) => document.getElementById(id);

// The header's counts, in the order shown: [key, label, does this agent count?].
const COUNTS = [
  ["ONLINE", "Online", (agent, state) => state === "ONLINE"],
  ["BACK_SOON", "Back soon", (agent, state) => state === "BACK_SOON"],
  ["AWAY", "Away", (agent, state) => state === "AWAY"],
  ["OFFLINE", "Logged out", (agent, state) => state === "OFFLINE"],
  ["CHATTING", "Chatting", (agent) => agent.activeChats > 0],
  ["AT_MAX", "At max chats", (agent) => agent.atMaxConcurrency === true],
];

function duration(ms) {
  const s = Math.max(0, Math.floor(ms / 1000));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const pad = (n) => String(n).padStart(2, "0");
  return (h > 0 ? h + ":" + pad(m) : pad(m)) + ":" + pad(s % 60);
}

// What a person is called on the page: the directory's name, else the agent id.
export function agentLabel(id, agent) {
  return agent && agent.agentName ? agent.agentName : id;
}

// "Agent 1001 · EMP-01001": the hover text of a name, so the ids stay at hand.
export function agentTitle(id, agent) {
  const employee = agent && agent.employeeId ? " · employee " + agent.employeeId : "";
  return "Agent " + id + employee;
}

function placeTiles(container, tiles, emptyText) {
  if (tiles.length === 0 && emptyText) {
    if (container.querySelector(".empty")) return;
    const p = document.createElement("p");
    p.className = "empty";
    p.textContent = emptyText;
    container.replaceChildren(p);
    return;
  }
  // replaceChildren moves a tile that is elsewhere; tiles already in place stay put.
  const current = Array.from(container.children);
  const same = current.length === tiles.length && current.every((node, i) => node === tiles[i]);
  if (!same) container.replaceChildren(...tiles);
}

export class Wallboard {
  constructor() {
    this.agents = new Map(); // agentId -> agent object of GET /agents/state
    this.tiles = new Map(); // agentId -> tile element
    this.dirty = new Set(); // agents whose tile needs filling at the next render
    this.clockOffset = 0; // server clock - browser clock, from the snapshot's asOf
    this.renderPending = false;
    this.stopped = false;
  }

  serverNow() {
    return Date.now() + this.clockOffset;
  }

  // Forget every agent (another team is about to be shown, or the page failed).
  clear() {
    this.agents.clear();
    this.tiles.clear();
    this.dirty.clear();
    $("wallboard").replaceChildren();
    $("offline").replaceChildren();
    $("offline-count").textContent = "";
    $("summary").replaceChildren();
  }

  applySnapshot(snapshot) {
    this.clockOffset = snapshot.asOf - Date.now();
    for (const id of this.agents.keys()) {
      if (!(id in snapshot.agents)) this.tiles.delete(id); // no longer listed
    }
    this.agents.clear();
    for (const [id, agent] of Object.entries(snapshot.agents)) {
      this.agents.set(id, agent);
      this.dirty.add(id);
    }
    this.scheduleRender();
  }

  applyAgent(change) {
    const id = String(change.agentId);
    const agent = Object.assign({}, change);
    delete agent.agentId;
    this.agents.set(id, agent);
    this.dirty.add(id);
    this.scheduleRender();
  }

  scheduleRender() {
    if (this.renderPending || this.stopped) return;
    this.renderPending = true;
    setTimeout(() => this.render(), 0);
  }

  tileFor(id) {
    let tile = this.tiles.get(id);
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
    tile.append(head);
    for (const name of ["state", "reason", "time", "id", "max"]) {
      const div = document.createElement("div");
      div.className = name;
      tile.append(div);
    }
    tile.querySelector(".max").textContent = "AT MAX";
    this.tiles.set(id, tile);
    return tile;
  }

  fillTile(tile, agent) {
    const id = tile.dataset.agent;
    const state = agent.state in STATES ? agent.state : "OFFLINE";
    tile.className = "tile " + state + (agent.atMaxConcurrency ? " at-max" : "");
    tile.dataset.state = state;
    tile.dataset.since = agent.since === null ? "" : String(agent.since);
    const name = tile.querySelector(".agent");
    name.textContent = agentLabel(id, agent);
    name.title = agentTitle(id, agent);
    // The id also in small print under a name, so the browser's find (Ctrl+F) still
    // finds an agent by id; an agent shown by its id needs it only once.
    tile.querySelector(".id").textContent = agent.agentName ? id : "";
    tile.querySelector(".state").textContent = STATES[state];
    const reason = agent.reasonName || agent.reasonId || "";
    tile.querySelector(".reason").textContent = reason;
    tile.querySelector(".reason").title = reason;
    const limit = agent.maxChats > 0 ? String(agent.maxChats) : "∞";
    const chats = tile.querySelector(".chats");
    chats.textContent = agent.activeChats + "/" + limit;
    chats.title = agent.activeChats + " chats, limit " + (agent.maxChats > 0 ? limit : "none");
    const who = agent.agentName ? agent.agentName + " (agent " + id + ")" : "Agent " + id;
    tile.setAttribute("aria-label", who + ": " + STATES[state] + (reason ? " (" + reason + ")" : ""));
    this.tickTile(tile);
  }

  tickTile(tile) {
    const since = tile.dataset.since;
    const text = since === "" ? "—" : duration(this.serverNow() - Number(since));
    const time = tile.querySelector(".time");
    if (time.textContent !== text) time.textContent = text;
  }

  tick() {
    for (const tile of this.tiles.values()) this.tickTile(tile);
  }

  render() {
    this.renderPending = false;
    if (this.stopped) return;
    const ids = Array.from(this.agents.keys()).sort((a, b) => Number(a) - Number(b));
    const loggedIn = [];
    const loggedOut = [];
    const counts = Object.fromEntries(COUNTS.map(([key]) => [key, 0]));
    for (const id of ids) {
      const agent = this.agents.get(id);
      const tile = this.tileFor(id);
      if (this.dirty.has(id)) this.fillTile(tile, agent);
      for (const [key, , countsIn] of COUNTS) {
        if (countsIn(agent, tile.dataset.state)) counts[key] += 1;
      }
      (tile.dataset.state === "OFFLINE" ? loggedOut : loggedIn).push(tile);
    }
    this.dirty.clear();
    placeTiles($("wallboard"), loggedIn, "No agent is logged in.");
    placeTiles($("offline"), loggedOut, "");
    $("offline-count").textContent = "(" + loggedOut.length + ")";
    this.showCounts(counts);
  }

  showCounts(counts) {
    // Built once, then only the numbers change: the region is aria-live, and a screen
    // reader should hear a count that moved, not the whole line at every event.
    const summary = $("summary");
    if (summary.children.length !== COUNTS.length) {
      summary.replaceChildren(
        ...COUNTS.map(([key, label]) => {
          const span = document.createElement("span");
          span.dataset.count = key;
          span.append(document.createElement("b"), " " + label);
          return span;
        })
      );
    }
    for (const [key] of COUNTS) {
      const b = summary.querySelector('[data-count="' + key + '"] b');
      const text = String(counts[key]);
      if (b.textContent !== text) b.textContent = text;
    }
  }
}
