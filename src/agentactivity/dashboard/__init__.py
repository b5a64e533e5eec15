"""The browser dashboard: signed, expiring, read-only links (tokens), the page and its
static files, and the `agentactivity dashboard-link` command."""
