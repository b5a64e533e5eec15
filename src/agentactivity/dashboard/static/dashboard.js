// The dashboard: a wallboard of every agent, live from the state stream, and two charts
// from the Agent Activity API. The token comes from the link's #token= fragment (never
// sent to the server as part of the page's URL); data requests carry it as a Bearer
// header, the EventSource (which cannot set headers) as ?access_token=.
"use strict";

(function () {
  const STATES = {
    ONLINE: "Online",
    BACK_SOON: "Back soon",
    AWAY: "Away",
    OFFLINE: "Logged out",
  };
  // Agent Activity entry ids (SPEC section 3) of the three logged-in states.
  const CHART_STATES = [
    { id: 2, key: "ONLINE" },
    { id: 3, key: "BACK_SOON" },
    { id: 4, key: "AWAY" },
  ];
  const TOKEN = /^dt1\.([A-Za-z0-9_-]{1,64})\.([0-9a-f]{16})\.([0-9]{1,12})\.[A-Za-z0-9_-]{43}$/;
  const CHART_REFRESH_MS = 60000;
  const POLL_MS = 5000;
  const MAX_TIMEFRAME = 1440;
  const SVG = "http://www.w3.org/2000/svg";

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

  // --- charts (plain SVG) -----------------------------------------------------------------

  function svgElement(name, attributes, text) {
    const element = document.createElementNS(SVG, name);
    for (const [key, value] of Object.entries(attributes || {})) {
      element.setAttribute(key, String(value));
    }
    if (text !== undefined) element.textContent = text;
    return element;
  }

  function stateSeconds(entries) {
    const seconds = {};
    for (const { id, key } of CHART_STATES) {
      const entry = (entries || []).find((e) => e.id === id);
      seconds[key] = entry ? entry.value.total : 0;
    }
    return seconds;
  }

  function hours(seconds) {
    const h = Math.floor(seconds / 3600);
    const m = Math.floor((seconds % 3600) / 60);
    return h + "h" + String(m).padStart(2, "0");
  }

  function niceStep(max, wanted) {
    const raw = max / wanted;
    const power = Math.pow(10, Math.floor(Math.log10(raw)));
    for (const factor of [1, 2, 5, 10]) {
      if (raw <= factor * power) return factor * power;
    }
    return 10 * power;
  }

  async function drawToday() {
    const now = new Date(serverNow());
    const midnight = new Date(now.getFullYear(), now.getMonth(), now.getDate()).getTime();
    const timeframe = Math.max(1, Math.min(MAX_TIMEFRAME, Math.floor((now - midnight) / 60000)));
    const answer = await api(
      "/operations/api/account/" + encodeURIComponent(account) +
        "/agentactivity?timeframe=" + timeframe + "&agentIds=all&v=1"
    );
    const perAgent = answer.agentsMetrics.metricsPerAgent;
    const ids = Object.keys(perAgent).sort((a, b) => Number(a) - Number(b));
    const box = $("today");
    if (ids.length === 0) {
      box.textContent = "No agent has logged in today.";
      return;
    }
    const span = timeframe * 60;
    const left = 90;
    const right = 70;
    const width = 720;
    const row = 20;
    const top = 8;
    const plot = width - left - right;
    const height = top + ids.length * row + 28;
    const svg = svgElement("svg", {
      viewBox: "0 0 " + width + " " + height,
      role: "img",
      "aria-label": "Time in each state today, per agent",
      "data-timeframe": timeframe,
    });
    const step = niceStep(span / 3600, 8) * 3600;
    const grid = svgElement("g", { class: "grid" });
    for (let t = 0; t <= span; t += step) {
      const x = left + (t / span) * plot;
      grid.append(svgElement("line", { x1: x, x2: x, y1: top, y2: top + ids.length * row }));
      svg.append(
        svgElement("text", { x: x, y: height - 8, "text-anchor": "middle", class: "muted" }, t / 3600 + "h")
      );
    }
    svg.append(grid);
    ids.forEach((id, i) => {
      const seconds = stateSeconds(perAgent[id]);
      const y = top + i * row;
      svg.append(
        svgElement("text", { x: left - 8, y: y + row * 0.7, "text-anchor": "end" }, id)
      );
      let x = left;
      let total = 0;
      for (const { key } of CHART_STATES) {
        const w = (seconds[key] / span) * plot;
        if (w > 0) {
          const rect = svgElement("rect", {
            x: x, y: y + 3, width: w, height: row - 6, class: "s-" + key,
            "data-agent": id, "data-state": key, "data-seconds": seconds[key],
          });
          rect.append(svgElement("title", {}, "Agent " + id + ": " + STATES[key] + " " + hours(seconds[key])));
          svg.append(rect);
        }
        x += w;
        total += seconds[key];
      }
      svg.append(svgElement("text", { x: x + 6, y: y + row * 0.7, class: "muted" }, hours(total)));
    });
    box.replaceChildren(svg);
  }

  async function drawTimeline() {
    const interval = view.interval;
    const asked = serverNow();
    const answer = await api(
      "/operations/api/account/" + encodeURIComponent(account) +
        "/agentactivity?timeframe=1440&agentIds=all&v=1&totals=true&interval=" + interval
    );
    if (interval !== view.interval) return; // toggled meanwhile: the newer drawing wins
    const start = asked - 1440 * 60000;
    const columns = answer.metricsByIntervals
      .map((item) => {
        const end = Math.min(item.timestamp, asked);
        const begin = Math.max(item.timestamp - interval * 60000, start);
        const seconds = stateSeconds(item.metricsData.agentsMetrics.metricsTotals);
        const length = Math.max(1, (end - begin) / 1000);
        const average = {};
        for (const { key } of CHART_STATES) average[key] = seconds[key] / length;
        return { begin: item.timestamp - interval * 60000, end: item.timestamp, average };
      })
      .reverse();
    const box = $("timeline");
    const width = 720;
    const height = 300;
    const left = 44;
    const bottom = 26;
    const top = 10;
    const plotW = width - left - 12;
    const plotH = height - top - bottom;
    const peak = Math.max(1, ...columns.map((c) => CHART_STATES.reduce((s, { key }) => s + c.average[key], 0)));
    const yStep = niceStep(peak, 5);
    const yMax = Math.ceil(peak / yStep) * yStep;
    const svg = svgElement("svg", {
      viewBox: "0 0 " + width + " " + height,
      role: "img",
      "aria-label": "Average agents in each state per " + interval + " minutes, last 24 hours",
    });
    const grid = svgElement("g", { class: "grid" });
    for (let v = 0; v <= yMax + 1e-9; v += yStep) {
      const y = top + plotH - (v / yMax) * plotH;
      grid.append(svgElement("line", { x1: left, x2: left + plotW, y1: y, y2: y }));
      svg.append(svgElement("text", { x: left - 6, y: y + 4, "text-anchor": "end", class: "muted" }, String(Math.round(v * 10) / 10)));
    }
    svg.append(grid);
    const first = columns.length ? columns[0].begin : asked - 1440 * 60000;
    const last = columns.length ? columns[columns.length - 1].end : asked;
    const xOf = (t) => left + ((t - first) / (last - first)) * plotW;
    const barW = Math.max(1, plotW / Math.max(1, columns.length) - 1);
    for (const column of columns) {
      let y = top + plotH;
      const label = new Date(column.begin).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
      for (const { key } of CHART_STATES) {
        const h = (column.average[key] / yMax) * plotH;
        if (h <= 0) continue;
        y -= h;
        const rect = svgElement("rect", { x: xOf(column.begin), y: y, width: barW, height: h, class: "s-" + key });
        rect.append(svgElement("title", {}, label + ": " + STATES[key] + " " + column.average[key].toFixed(1) + " agents"));
        svg.append(rect);
      }
    }
    const hour = 3600000;
    for (let t = Math.ceil(first / (3 * hour)) * 3 * hour; t <= last; t += 3 * hour) {
      const label = new Date(t).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
      svg.append(svgElement("text", { x: xOf(t), y: height - 6, "text-anchor": "middle", class: "muted" }, label));
    }
    box.replaceChildren(svg);
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

  document.addEventListener("DOMContentLoaded", start);
})();
