// The dashboard: a wallboard of the agents of one team (or the whole account), live from
// the state stream, and two charts from the Agent Activity API. The token comes from the
// link's #token= fragment (never sent to the server as part of the page's URL); data
// requests carry it as a Bearer header, the EventSource (which cannot set headers) as
// ?access_token=. The team is the fragment's &group= (teams.js). A module: strict, and
// run once the page is parsed.
import { minutesToday, timelineChart, todayChart } from "./charts.js";
import {
  ALL,
  ROOT,
  chooseTeam,
  fillPicker,
  groupTree,
  keepTeamInFragment,
  pickerChoices,
  readFragment,
} from "./teams.js";
import { Wallboard, agentLabel, agentTitle } from "./wallboard.js";

const TOKEN = /^dt1\.([A-Za-z0-9_-]{1,64})\.([0-9a-f]{16})\.([0-9]{1,12})\.[A-Za-z0-9_-]{43}$/;
const CHART_REFRESH_MS = 60000;
const POLL_MS = 5000;

const board = new Wallboard();
const view = {
  interval: 15,
  failed: false,
  timers: [], // the page's own timers, stopped when it fails
  poll: null, // the state poll of a refused stream (for the team shown)
  source: null,
  team: ALL, // the agent group shown (with its descendants); ALL: the whole account
  generation: 0, // moves with each team shown: an answer for an older one is dropped
  groups: { choices: [], readable: true },
};
let token = "";
let account = "";

const $ = (id) => document.getElementById(id);

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

const refusal = (error) => error.status === 401 || error.status === 403;

// --- failures ---------------------------------------------------------------------------

function fail(message) {
  view.failed = true;
  board.stopped = true;
  $("download").hidden = true;
  if (view.source) view.source.close();
  view.timers.forEach((timer) => clearInterval(timer));
  clearInterval(view.poll);
  board.clear();
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
  if (error instanceof ApiFailure && refusal(error)) {
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

function notice(text) {
  $("notice").textContent = text;
  $("notice").hidden = !text;
}

// --- paths, narrowed to the team shown ----------------------------------------------------

function accountBase() {
  return "/api/account/" + encodeURIComponent(account);
}

function teamParameter() {
  return view.team === ALL ? "" : "&agentGroupIds=" + encodeURIComponent(view.team);
}

function statePath() {
  return accountBase() + "/agents/state?agentIds=all" + teamParameter();
}

function activityPath(query) {
  return "/operations" + accountBase() + "/agentactivity?" + query + teamParameter();
}

// The activity report of the day shown (today, in the browser's time zone), per interval
// of the timeline's toggle, for the team shown, as CSV. A plain link, so the browser
// saves the streamed file itself; like the stream, it carries the token in its query.
function localDay(ms, zone) {
  const parts = new Intl.DateTimeFormat("en-CA", {
    timeZone: zone,
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
  }).formatToParts(new Date(ms));
  const part = (type) => Number(parts.find((p) => p.type === type).value);
  return { year: part("year"), month: part("month"), day: part("day") };
}

function isoDay(year, month, day) {
  return new Date(Date.UTC(year, month - 1, day)).toISOString().slice(0, 10);
}

function reportPath() {
  const zone = Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";
  const { year, month, day } = localDay(board.serverNow(), zone);
  const query = new URLSearchParams({
    from: isoDay(year, month, day),
    to: isoDay(year, month, day + 1),
    tz: zone,
    interval: String(view.interval),
    access_token: token,
  });
  return accountBase() + "/reports/activity.csv?" + query.toString() + teamParameter();
}

function updateDownload() {
  const link = $("download");
  link.href = reportPath();
  link.title = "Today's figures per agent, " + view.interval + "-minute intervals, as CSV";
  link.hidden = false;
}

// --- live updates -----------------------------------------------------------------------

function openStream() {
  const path =
    accountBase() + "/agents/state/stream?access_token=" + encodeURIComponent(token) + teamParameter();
  const source = new EventSource(path);
  view.source = source;
  const live = () => setConnection("live", "Live");
  source.addEventListener("open", live);
  source.addEventListener("snapshot", (event) => {
    board.applySnapshot(JSON.parse(event.data));
    live();
  });
  source.addEventListener("agent", (event) => {
    board.applyAgent(JSON.parse(event.data));
    live();
  });
  source.addEventListener("error", () => {
    if (view.failed || view.source !== source) return;
    if (source.readyState === EventSource.CLOSED) {
      streamRefused();
    } else {
      setConnection("reconnecting", "Reconnecting…"); // the browser retries by itself
    }
  });
}

async function loadState() {
  const generation = view.generation;
  const snapshot = await api(statePath());
  if (generation === view.generation) board.applySnapshot(snapshot);
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
  clearInterval(view.poll);
  view.poll = setInterval(() => {
    loadState().catch((error) => {
      if (refusal(error)) failWith(error);
    });
  }, POLL_MS);
}

// --- charts (drawn by charts.js) --------------------------------------------------------

// Each bar's label: the name the wallboard has for the agent (its id when none).
function who(id) {
  const agent = board.agents.get(id);
  return { label: agentLabel(id, agent), title: agentTitle(id, agent) };
}

async function drawToday() {
  const generation = view.generation;
  const timeframe = minutesToday(board.serverNow());
  const answer = await api(activityPath("timeframe=" + timeframe + "&agentIds=all&v=1"));
  if (generation !== view.generation) return; // another team was picked meanwhile
  $("today").replaceChildren(todayChart(answer, timeframe, who));
}

async function drawTimeline() {
  const generation = view.generation;
  const interval = view.interval;
  const asked = board.serverNow();
  const answer = await api(
    activityPath("timeframe=1440&agentIds=all&v=1&totals=true&interval=" + interval)
  );
  // Toggled or another team picked meanwhile: the newer drawing wins.
  if (interval !== view.interval || generation !== view.generation) return;
  $("timeline").replaceChildren(timelineChart(answer, interval, asked));
}

async function refreshCharts() {
  updateDownload(); // the day may have changed
  for (const [draw, id] of [[drawToday, "today"], [drawTimeline, "timeline"]]) {
    try {
      await draw();
    } catch (error) {
      if (refusal(error)) {
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
      updateDownload();
      for (const other of document.querySelectorAll(".toggle button")) {
        other.setAttribute("aria-pressed", String(other === button));
      }
      drawTimeline().catch((error) => {
        if (refusal(error)) failWith(error);
      });
    });
  }
}

// --- teams (teams.js) -------------------------------------------------------------------

// Reads the groups for the picker. The picker only names teams: without the listing
// (a passing fault) the page still shows the team of its fragment, by id.
async function loadGroups() {
  if (!view.groups.readable) return false;
  try {
    const groups = await api(accountBase() + "/configuration/le-users/agentGroups");
    view.groups.choices = pickerChoices(groupTree(groups));
    return true;
  } catch (error) {
    if (refusal(error)) view.groups.readable = false; // asking again would only log more
    return false;
  }
}

function showPicker() {
  const box = $("team-box");
  box.hidden = view.groups.choices.length === 0;
  if (!box.hidden) fillPicker($("team"), view.groups.choices, view.team);
}

// The team asked for (the fragment's, or ALL) if the listing offers it; else the
// listing's first choice, saying so. Returns false when nothing changed.
function settleTeam(requested) {
  const { team, refused } = chooseTeam(view.groups.choices, requested);
  if (refused) {
    const shown = view.groups.choices.find((c) => c.value === team);
    notice(
      "Team " + requested + " is not one this link can show (deleted, or outside the link's team): showing " +
        (shown ? shown.label : "all agents") + "."
    );
  }
  const changed = team !== view.team;
  view.team = team;
  keepTeamInFragment(team);
  showPicker();
  return changed;
}

// Shows another team: its agents from a fresh listing and stream, and its charts.
async function showTeam() {
  const generation = ++view.generation;
  if (view.source) view.source.close();
  view.source = null;
  clearInterval(view.poll);
  board.clear();
  for (const id of ["today", "timeline"]) $(id).textContent = "Loading…";
  setConnection("connecting", "Connecting…");
  try {
    await loadState();
  } catch (error) {
    failWith(error);
    return;
  }
  if (generation !== view.generation) return; // picked again meanwhile: that one streams
  openStream();
  await refreshCharts();
}

function setupPicker() {
  $("team").addEventListener("change", () => {
    notice("");
    view.team = $("team").value;
    keepTeamInFragment(view.team);
    showTeam();
  });
}

// Every minute with the charts: groups added, renamed or deleted meanwhile. A team that
// is gone falls back to the link's first choice.
async function refreshGroups() {
  if (!(await loadGroups()) || view.failed) return;
  if (view.team === ALL || view.groups.choices.some((c) => c.value === view.team)) {
    showPicker();
  } else if (settleTeam(view.team)) {
    await showTeam();
  }
}

// --- start ------------------------------------------------------------------------------

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
  const fragment = readFragment();
  token = fragment.token;
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
  if (await loadGroups()) {
    settleTeam(fragment.group);
  } else {
    // Checked by the server instead: a group it does not know is its 400, one outside
    // a team link's team its 403, either shown as the page's error.
    view.team = fragment.group === ROOT ? ALL : fragment.group;
  }
  try {
    await loadState();
  } catch (error) {
    failWith(error);
    return;
  }
  openStream();
  setupToggle();
  setupPicker();
  view.timers.push(setInterval(() => board.tick(), 1000));
  view.timers.push(
    setInterval(async () => {
      await refreshGroups();
      await refreshCharts();
    }, CHART_REFRESH_MS)
  );
  watchExpiry(expiresAt);
  await refreshCharts();
}

start();
