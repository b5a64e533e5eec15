// The team picker (SPEC section 8): the agent groups of the le-users/agentGroups listing
// as a tree, each named by its path ("Sales / Tier 2"), and the team shown kept in the
// link's fragment (#token=...&group=ID), so that a wallboard reloaded, or a link passed
// on, shows the same team. A team is a group with all its descendants: the server
// narrows the listing, the stream and the figures to it (agentGroupIds).

export const ROOT = "-1"; // "Main Group": every agent of the account
export const ALL = ""; // the picker's value for the whole account (no agentGroupIds)

// The groups in tree order (a parent before its subgroups, siblings by name), each with
// its name path from the top of the listing. A group whose parent is not listed is a
// top: the root for an account's link; a team link's listing holds only its team's
// groups, so there its team is the top. The root's name is left out of paths: it is
// the whole account, which the picker calls "All agents".
export function groupTree(groups) {
  const listed = new Map();
  for (const group of groups) {
    if (!group.deleted) listed.set(String(group.id), group);
  }
  const children = new Map();
  const tops = [];
  for (const [id, group] of listed) {
    const parent = group.parentGroupId === null ? null : String(group.parentGroupId);
    if (parent !== null && parent !== id && listed.has(parent)) {
      if (!children.has(parent)) children.set(parent, []);
      children.get(parent).push(group);
    } else {
      tops.push(group);
    }
  }
  const byName = (a, b) => a.name.localeCompare(b.name) || Number(a.id) - Number(b.id);
  const entries = [];
  const seen = new Set(); // a listing that changed between pages cannot loop us
  const walk = (group, parentPath, depth) => {
    const id = String(group.id);
    if (seen.has(id)) return;
    seen.add(id);
    const name = String(group.name);
    const path = id === ROOT ? "" : parentPath ? parentPath + " / " + name : name;
    entries.push({ id, name, path, depth });
    for (const child of (children.get(id) || []).sort(byName)) walk(child, path, depth + 1);
  };
  for (const top of tops.sort(byName)) walk(top, "", 0);
  return entries;
}

// What the picker offers: "All agents" when the link reads the whole account (its
// listing has the root), then every other group; a team link offers its team's groups.
export function pickerChoices(entries) {
  const choices = entries
    .filter((entry) => entry.id !== ROOT)
    .map((entry) => ({ value: entry.id, label: entry.path, depth: entry.depth }));
  if (entries.some((entry) => entry.id === ROOT)) {
    choices.unshift({ value: ALL, label: "All agents", depth: 0 });
  }
  return choices;
}

// The team to show for the fragment's `group`: itself when offered ("-1" is the whole
// account); else the first choice ("All agents", or a team link's own team), with
// `refused` set when a group was asked for that is not offered (deleted, or outside a
// team link's team).
export function chooseTeam(choices, requested) {
  const wanted = requested === ROOT ? ALL : requested;
  if (choices.some((choice) => choice.value === wanted)) return { team: wanted, refused: false };
  const fallback = choices.length ? choices[0].value : ALL;
  return { team: fallback, refused: wanted !== ALL };
}

export function fillPicker(select, choices, team) {
  const current = Array.from(select.options).map((o) => o.value + "\n" + o.textContent);
  const wanted = choices.map((c) => c.value + "\n" + c.label);
  // Rebuilt only when the groups changed: an open drop-down must not close every minute.
  if (current.join("\t") !== wanted.join("\t")) {
    select.replaceChildren(
      ...choices.map((choice) => {
        const option = document.createElement("option");
        option.value = choice.value;
        option.textContent = choice.label;
        option.dataset.depth = String(choice.depth);
        return option;
      })
    );
  }
  select.value = team;
}

export function readFragment() {
  const params = new URLSearchParams(window.location.hash.slice(1));
  return { token: params.get("token") || "", group: params.get("group") || "" };
}

// Puts the team in the fragment without reloading (replaceState fires no hashchange);
// the token stays first, as dashboard-link printed it.
export function keepTeamInFragment(team) {
  const params = new URLSearchParams(window.location.hash.slice(1));
  const token = params.get("token") || "";
  const rest = new URLSearchParams();
  for (const [key, value] of params) {
    if (key !== "token" && key !== "group") rest.append(key, value);
  }
  let fragment = "token=" + token;
  if (team !== ALL) fragment += "&group=" + encodeURIComponent(team);
  if (rest.toString()) fragment += "&" + rest.toString();
  window.history.replaceState(null, "", "#" + fragment);
}
