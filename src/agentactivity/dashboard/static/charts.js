// The dashboard's charts, drawn as plain SVG from Agent Activity answers (SPEC section
// 3): today's time in each state per agent, and the last 24 hours stacked by state.

export const STATE_LABELS = {
  ONLINE: "Online",
  BACK_SOON: "Back soon",
  AWAY: "Away",
  OFFLINE: "Logged out",
};
// Agent Activity entry ids of the three logged-in states.
const CHART_STATES = [
  { id: 2, key: "ONLINE" },
  { id: 3, key: "BACK_SOON" },
  { id: 4, key: "AWAY" },
];
const MAX_TIMEFRAME = 1440;
const SVG = "http://www.w3.org/2000/svg";

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

function clockTime(ms) {
  return new Date(ms).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
}

// Minutes from the browser's local midnight to `now`: 1 to 1440 (the API's bounds).
export function minutesToday(now) {
  const date = new Date(now);
  const midnight = new Date(date.getFullYear(), date.getMonth(), date.getDate()).getTime();
  return Math.max(1, Math.min(MAX_TIMEFRAME, Math.floor((now - midnight) / 60000)));
}

const LABEL_CHARS = 18; // a longer name is cut, and whole in the label's hover text

function shortLabel(text) {
  return text.length > LABEL_CHARS ? text.slice(0, LABEL_CHARS - 1) + "…" : text;
}

// Horizontal bars, one per agent: seconds Online, Back soon and Away over `timeframe`
// minutes (the whole bar length is the whole time since midnight). `who(id)` gives
// each agent's label (its name, else its id) and hover text (its ids).
export function todayChart(answer, timeframe, who) {
  const perAgent = answer.agentsMetrics.metricsPerAgent;
  const ids = Object.keys(perAgent).sort((a, b) => Number(a) - Number(b));
  if (ids.length === 0) return "No agent has logged in today.";
  const people = new Map(ids.map((id) => [id, who(id)]));
  const span = timeframe * 60;
  // Room for the longest label (about 7.5 px a character at 13 px), 90 px at least.
  const longest = Math.max(...ids.map((id) => shortLabel(people.get(id).label).length));
  const left = Math.max(90, Math.ceil(longest * 7.5) + 14);
  const width = 720;
  const row = 20;
  const top = 8;
  const plot = width - left - 70;
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
    const person = people.get(id);
    const label = svgElement(
      "text",
      { x: left - 8, y: y + row * 0.7, "text-anchor": "end", class: "label", "data-agent": id },
      shortLabel(person.label)
    );
    label.append(svgElement("title", {}, person.title));
    svg.append(label);
    let x = left;
    let total = 0;
    for (const { key } of CHART_STATES) {
      const w = (seconds[key] / span) * plot;
      if (w > 0) {
        const rect = svgElement("rect", {
          x: x, y: y + 3, width: w, height: row - 6, class: "s-" + key,
          "data-agent": id, "data-state": key, "data-seconds": seconds[key],
        });
        const whose = person.label === id ? "Agent " + id : person.label + " (agent " + id + ")";
        rect.append(svgElement("title", {}, whose + ": " + STATE_LABELS[key] + " " + hours(seconds[key])));
        svg.append(rect);
      }
      x += w;
      total += seconds[key];
    }
    svg.append(svgElement("text", { x: x + 6, y: y + row * 0.7, class: "muted" }, hours(total)));
  });
  return svg;
}

// Columns per interval over the last 24 h (the answer of timeframe=1440, `interval`
// minutes, totals=true, asked at `asked`): average agents in each state, that is the
// interval's seconds in the state divided by its length (clipped to the window).
export function timelineChart(answer, interval, asked) {
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
  const width = 720;
  const height = 300;
  const left = 44;
  const bottom = 26;
  const top = 10;
  const plotW = width - left - 12;
  const plotH = height - top - bottom;
  const sums = columns.map((c) => CHART_STATES.reduce((s, { key }) => s + c.average[key], 0));
  const peak = Math.max(1, ...sums);
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
    const label = String(Math.round(v * 10) / 10);
    svg.append(svgElement("text", { x: left - 6, y: y + 4, "text-anchor": "end", class: "muted" }, label));
  }
  svg.append(grid);
  const first = columns.length ? columns[0].begin : start;
  const last = columns.length ? columns[columns.length - 1].end : asked;
  const xOf = (t) => left + ((t - first) / (last - first)) * plotW;
  const barW = Math.max(1, plotW / Math.max(1, columns.length) - 1);
  for (const column of columns) {
    let y = top + plotH;
    for (const { key } of CHART_STATES) {
      const h = (column.average[key] / yMax) * plotH;
      if (h <= 0) continue;
      y -= h;
      const rect = svgElement("rect", { x: xOf(column.begin), y: y, width: barW, height: h, class: "s-" + key });
      const text = clockTime(column.begin) + ": " + STATE_LABELS[key] + " " + column.average[key].toFixed(1) + " agents";
      rect.append(svgElement("title", {}, text));
      svg.append(rect);
    }
  }
  const hour = 3600000;
  for (let t = Math.ceil(first / (3 * hour)) * 3 * hour; t <= last; t += 3 * hour) {
    svg.append(svgElement("text", { x: xOf(t), y: height - 6, "text-anchor": "middle", class: "muted" }, clockTime(t)));
  }
  return svg;
}
