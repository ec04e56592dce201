// DevMentor monitoring dashboard: plain DOM and inline SVG, no libraries (bundled with the service, no CDN).
"use strict";
(() => {
  const key = "devmentor.credential";
  const match = location.pathname.match(/^\/projects\/([^/]+)\/dashboard\/?$/);
  const project = match ? decodeURIComponent(match[1]) : null;
  const $ = id => document.getElementById(id);
  const say = text => { $("status").textContent = text; };
  let stream = null;
  let lastEventId = null;
  const runs = new Map();

  function headers() {
    const c = sessionStorage.getItem(key) || "";
    return c.split(".").length === 3 ? { Authorization: "Bearer " + c } : { "X-Api-Key": c };
  }

  async function api(path, init) {
    const response = await fetch(path, { ...init, headers: { Accept: "application/json", ...headers() } });
    if (!response.ok) {
      let detail = response.statusText;
      try { detail = (await response.json()).detail || detail; } catch { /* not JSON */ }
      const error = new Error(response.status + ": " + detail);
      error.status = response.status;
      throw error;
    }
    return response.status === 204 ? null : response.headers.get("content-type")?.includes("json") ? response.json() : response.text();
  }

  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, v);
    for (const c of children) node.append(c);
    return node;
  }

  // A bar chart of [label, value] pairs; each bar has a title, and the figure a text summary for screen readers.
  function chart(id, points) {
    const box = $(id);
    box.replaceChildren();
    const values = points.map(p => p[1] ?? 0);
    const max = Math.max(1, ...values);
    const ns = "http://www.w3.org/2000/svg";
    const svg = document.createElementNS(ns, "svg");
    svg.setAttribute("viewBox", "0 0 300 110");
    svg.setAttribute("role", "img");
    svg.setAttribute("aria-label", points.length ? points.map(p => `${p[0]}: ${p[1] ?? "none"}`).join(", ") : "no data");
    const width = 300 / Math.max(points.length, 1);
    points.forEach(([label, value], i) => {
      const h = ((value ?? 0) / max) * 95;
      const rect = document.createElementNS(ns, "rect");
      rect.setAttribute("x", String(i * width + 1));
      rect.setAttribute("y", String(100 - h));
      rect.setAttribute("width", String(Math.max(width - 2, 1)));
      rect.setAttribute("height", String(h));
      rect.setAttribute("data-value", String(value ?? ""));
      const title = document.createElementNS(ns, "title");
      title.textContent = `${label}: ${value ?? "none"}`;
      rect.append(title);
      svg.append(rect);
    });
    const text = document.createElementNS(ns, "text");
    text.setAttribute("x", "0");
    text.setAttribute("y", "109");
    text.textContent = points.length ? `max ${Math.round(max * 100) / 100}` : "no data yet";
    svg.append(text);
    box.append(svg);
  }

  function byDay(rows, value) {
    const days = new Map();
    for (const r of rows) {
      const day = r.periodStart.slice(0, 10);
      days.set(day, (days.get(day) ?? 0) + (value(r) ?? 0));
    }
    return [...days.entries()];
  }

  async function loadProject() {
    const a = await api(`/projects/${encodeURIComponent(project)}/analytics?granularity=day&metrics=builds,tests,dora,code`);
    chart("chart-builds", byDay(a.builds, r => r.runs));
    chart("chart-tests", a.tests.map(t => [t.periodStart.slice(0, 10), t.passRate == null ? null : Math.round(t.passRate * 1000) / 10]));
    chart("chart-deployments", byDay(a.dora, r => r.deployments));
    chart("chart-lead", a.dora.map(d => [d.periodStart.slice(0, 10), d.leadTimeP50Seconds == null ? null : Math.round(d.leadTimeP50Seconds / 36) / 100]));
    chart("chart-cfr", a.dora.map(d => [d.periodStart.slice(0, 10), d.changeFailureRate == null ? null : Math.round(d.changeFailureRate * 1000) / 10]));
    chart("chart-restore", a.dora.map(d => [d.periodStart.slice(0, 10), d.timeToRestoreP50Seconds == null ? null : Math.round(d.timeToRestoreP50Seconds / 0.6) / 100]));
    chart("chart-code", byDay(a.code, c => c.codeLines));
    const complexity = new Map();
    for (const c of a.code) {
      const day = c.periodStart.slice(0, 10), [total, methods] = complexity.get(day) ?? [0, 0];
      complexity.set(day, [total + (c.complexityTotal ?? 0), methods + c.methods]);
    }
    chart("chart-complexity", [...complexity.entries()].map(([day, [total, methods]]) => [day, methods ? Math.round(total / methods * 100) / 100 : null]));
    const latest = a.code.length ? a.code[a.code.length - 1].periodStart : null;
    $("code-languages").textContent = latest
      ? "Latest: " + a.code.filter(c => c.periodStart === latest).map(c => `${c.language} ${c.codeLines}`).join(", ") + " lines"
      : "";
    $("charts").hidden = false;
    await loadDeployments();
    streamRuns();
  }

  // Rows from the live stream; data-history keeps every status this page saw a run in.
  function renderRuns() {
    const rows = [...runs.values()].sort((a, b) => b.number - a.number).slice(0, 20);
    $("runs-body").replaceChildren(...rows.map(r => {
      const logs = el("button", { type: "button", "aria-label": `Show the log of build ${r.number}` }, "Show log");
      logs.addEventListener("click", () => showLog(r.runId));
      return el("tr", { "data-run": r.runId, "data-history": r.history.join(" ") }, el("td", {}, String(r.number)),
        el("td", { class: "status " + r.status }, r.status), el("td", {}, r.branch ?? ""), el("td", {}, r.trigger), el("td", {}, logs));
    }));
    $("runs").hidden = false;
  }

  function onRun(r) {
    const known = runs.get(r.runId);
    const history = !known ? [r.status] : known.status === r.status ? known.history : [...known.history, r.status];
    runs.set(r.runId, { ...r, history });
    if (known && known.status !== r.status) $("run-status").textContent = `Build #${r.number} is now ${r.status}.`;
    renderRuns();
  }

  // Server-sent events from /projects/{id}/runs/events. EventSource cannot send the credential header,
  // so the stream is read with fetch; on a drop it reconnects after 2 s with Last-Event-ID.
  async function streamRuns() {
    for (;;) {
      stream = new AbortController();
      try {
        const response = await fetch(`/projects/${encodeURIComponent(project)}/runs/events`, {
          headers: { Accept: "text/event-stream", ...headers(), ...(lastEventId ? { "Last-Event-ID": lastEventId } : {}) },
          signal: stream.signal,
        });
        if (!response.ok) throw new Error(`${response.status}: live build status is unavailable`);
        const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
        let buffer = "";
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          buffer += value.replace(/\r\n?/g, "\n");
          for (let end; (end = buffer.indexOf("\n\n")) >= 0;) {
            const block = buffer.slice(0, end);
            buffer = buffer.slice(end + 2);
            let type = "message", data = "", id = null;
            for (const line of block.split("\n")) {
              const colon = line.indexOf(":");
              if (colon === 0) continue; // a comment
              const field = colon < 0 ? line : line.slice(0, colon);
              const text = colon < 0 ? "" : line.slice(colon + 1).replace(/^ /, "");
              if (field === "event") type = text;
              else if (field === "data") data += (data ? "\n" : "") + text;
              else if (field === "id") id = text;
            }
            if (id) lastEventId = id;
            if (type === "run") onRun(JSON.parse(data));
          }
        }
      } catch (e) {
        if (e.name === "AbortError") return;
        say(e.message);
      }
      await new Promise(resolve => setTimeout(resolve, 2000));
    }
  }

  async function showLog(runId) {
    const text = await api(`/projects/${encodeURIComponent(project)}/builds/${runId}/logs`);
    const log = $("log");
    log.textContent = typeof text === "string" ? text : JSON.stringify(text, null, 2);
    log.hidden = false;
    log.focus();
  }

  async function loadDeployments() {
    const list = await api(`/projects/${encodeURIComponent(project)}/deployments?limit=20`);
    $("deployments-body").replaceChildren(...list.items.map(d => {
      const rollback = el("button", { type: "button", "aria-label": `Roll back ${d.environment} deployment of build ${d.runNumber}` }, "Roll back");
      rollback.addEventListener("click", async () => {
        try { await api(`/projects/${encodeURIComponent(project)}/deployments/${d.deploymentId}/rollback`, { method: "POST" }); say("Rollback requested."); await loadDeployments(); }
        catch (e) { say(e.status === 403 ? "Only maintainers and owners may roll back." : e.message); }
      });
      return el("tr", {}, el("td", {}, d.environment), el("td", {}, String(d.runNumber)), el("td", { class: d.status }, d.status), el("td", {}, d.trigger), el("td", {}, rollback));
    }));
    $("deployments").hidden = false;
  }

  async function loadPlatform() {
    const projects = await api("/projects?limit=100");
    $("projects-list").replaceChildren(...projects.items.map(p => el("li", {}, el("a", { href: `/projects/${p.id}/dashboard` }, p.name))));
    $("projects").hidden = false;
    try {
      const usage = await api("/analytics/usage?granularity=day");
      chart("chart-usage", byDay(usage.items, u => u.requests));
      $("usage").hidden = false;
    } catch (e) {
      if (e.status !== 403) throw e;
    }
  }

  async function start() {
    stream?.abort();
    if (!sessionStorage.getItem(key)) { say("Not signed in."); return; }
    try {
      if (project) { $("title").textContent = "DevMentor monitoring: " + project; await loadProject(); } else { await loadPlatform(); }
      say("Signed in.");
      performance.mark("dashboard-rendered"); // charts and tables drawn (bench/live reads it)
    } catch (e) {
      say(e.status === 401 ? "These credentials were refused; sign in again." : e.message);
    }
  }

  document.addEventListener("DOMContentLoaded", () => {
    // A link may carry the credential in its fragment (never sent to any server): taken, then removed from the address bar.
    const fragment = new URLSearchParams(location.hash.slice(1));
    if (fragment.get("credential")) {
      sessionStorage.setItem(key, fragment.get("credential"));
      history.replaceState(null, "", location.pathname + location.search);
    }
    $("signin-form").addEventListener("submit", event => {
      event.preventDefault();
      sessionStorage.setItem(key, $("credential").value.trim());
      $("credential").value = "";
      start();
    });
    $("signout").addEventListener("click", () => { sessionStorage.removeItem(key); location.reload(); });
    // A page left open in the back/forward cache would keep its stream (and one of the browser's six connections to this host).
    addEventListener("pagehide", () => stream?.abort());
    addEventListener("pageshow", event => { if (event.persisted && project && sessionStorage.getItem(key)) streamRuns(); });
    start();
  });
})();
