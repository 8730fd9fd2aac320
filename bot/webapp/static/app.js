// Posyandu dashboard (Telegram Mini App). Plain JavaScript, no library and no CDN: everything is served by the bot.
// Data from the server is only ever put on the page as text (textContent, createTextNode), never as HTML.
"use strict";

// ---------------------------------------------------------------- Telegram bridge
// Telegram's own telegram-web-app.js carries no licence statement, so it is not shipped. The few parts of the
// Mini App protocol used here (core.telegram.org/api/web-events) are: initData and theme from the URL hash,
// web_app_ready / web_app_expand / file download events out, theme_changed in. A page opened outside Telegram
// (or with the official script loaded) works too: window.Telegram.WebApp is used when present.
const TG = (() => {
  const hash = new URLSearchParams(location.hash.slice(1));
  const official = window.Telegram && window.Telegram.WebApp;
  let initData = (official && official.initData) || hash.get("tgWebAppData") || "";
  try {
    if (initData) sessionStorage.setItem("tgInitData", initData);
    else initData = sessionStorage.getItem("tgInitData") || "";
  } catch (e) { /* storage can be disabled */ }
  let theme = (official && official.themeParams) || null;
  if (!theme) {
    try { theme = JSON.parse(hash.get("tgWebAppThemeParams") || "null"); } catch (e) { theme = null; }
  }
  const version = parseFloat((official && official.version) || hash.get("tgWebAppVersion") || "0") || 0;
  const inTelegram = !!(window.TelegramWebviewProxy || (window.parent !== window) || official);

  function postEvent(type, data) {
    if (official && type === "web_app_request_file_download" && official.downloadFile) {
      official.downloadFile(data); return;
    }
    const payload = JSON.stringify(data || {});
    try {
      if (window.TelegramWebviewProxy) window.TelegramWebviewProxy.postEvent(type, payload);
      else if (window.parent !== window) window.parent.postMessage(JSON.stringify({ eventType: type, eventData: data || {} }), "*");
    } catch (e) { /* outside Telegram: nothing to tell */ }
  }

  const listeners = [];
  function onTheme(fn) { listeners.push(fn); }
  function themeChanged(params) { if (params) { theme = params; listeners.forEach((fn) => fn(params)); } }
  window.Telegram = window.Telegram || {};
  window.Telegram.WebView = window.Telegram.WebView || {};
  const previous = window.Telegram.WebView.receiveEvent;
  window.Telegram.WebView.receiveEvent = (type, data) => {
    if (type === "theme_changed" && data) themeChanged(data.theme_params);
    if (typeof previous === "function") previous(type, data);
  };
  window.addEventListener("message", (event) => {
    if (event.source !== window.parent) return;
    try {
      const msg = JSON.parse(event.data);
      if (msg && msg.eventType === "theme_changed") themeChanged(msg.eventData && msg.eventData.theme_params);
    } catch (e) { /* not ours */ }
  });
  if (official && official.onEvent) official.onEvent("themeChanged", () => themeChanged(official.themeParams));
  return { initData, theme: () => theme, version, inTelegram, postEvent, onTheme };
})();

function applyTheme(params) {
  if (!params) return;
  const root = document.documentElement.style;
  for (const [key, value] of Object.entries(params)) {
    if (typeof value === "string" && /^#[0-9a-fA-F]{3,8}$/.test(value)) {
      root.setProperty("--tg-theme-" + key.replace(/_/g, "-"), value);
    }
  }
}
applyTheme(TG.theme());
TG.onTheme(applyTheme);

// ---------------------------------------------------------------- state, strings, formatting

const state = {
  lang: "id", strings: {}, me: null, tab: "overview", area: null, month: null, year: null, posyandu: null,
  overview: null, sort: {}, expanded: {}, chart: null,
};
const BASE = location.pathname.replace(/[^/]*$/, "");

function t(key, values) {
  let s = state.strings[key] || key;
  if (values) for (const [k, v] of Object.entries(values)) s = s.split("{" + k + "}").join(String(v));
  return s;
}
function locale() { return state.lang === "en" ? "en-GB" : "id-ID"; }
function fmtInt(n) { return n === null || n === undefined ? "—" : new Intl.NumberFormat(locale()).format(n); }
function fmtPct(p) {
  if (p === null || p === undefined) return "—";
  return new Intl.NumberFormat(locale(), { minimumFractionDigits: 1, maximumFractionDigits: 1 }).format(p) + "%";
}
function fmtMonth(ym, long) {
  const [y, m] = ym.split("-").map(Number);
  return new Intl.DateTimeFormat(locale(), { month: long ? "long" : "short", year: "numeric", timeZone: "UTC" })
    .format(new Date(Date.UTC(y, m - 1, 1)));
}
function fmtDate(iso) {
  if (!iso) return "—";
  const [y, m, d] = iso.split("-").map(Number);
  return new Intl.DateTimeFormat(locale(), { day: "numeric", month: "short", year: "numeric", timeZone: "UTC" })
    .format(new Date(Date.UTC(y, m - 1, d)));
}

// el("div", {class: "x", onclick: fn}, "text", child) -- strings become text nodes, never markup.
function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
    else if (k === "class") node.className = v;
    else node.setAttribute(k, v === true ? "" : String(v));
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    node.appendChild(typeof c === "string" || typeof c === "number" ? document.createTextNode(String(c)) : c);
  }
  return node;
}
// Replace a node's children (arrays flattened, empty parts skipped).
function fill(node, ...children) {
  node.replaceChildren(...children.flat(2).filter((c) => c !== null && c !== undefined && c !== false));
}
const SVG = "http://www.w3.org/2000/svg";
function svg(tag, attrs, ...children) {
  const node = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, String(v));
  for (const c of children.flat()) if (c) node.appendChild(typeof c === "string" ? document.createTextNode(c) : c);
  return node;
}

function setStatus(text, isError) {
  const s = document.getElementById("status");
  s.textContent = text || "";
  s.hidden = !text;
  s.classList.toggle("error", !!isError);
}

// ---------------------------------------------------------------- the API

class ApiError extends Error {
  constructor(status, reason) { super(reason); this.status = status; this.reason = reason; }
}

async function api(path, options) {
  const opts = options || {};
  const headers = { Authorization: "tma " + TG.initData };
  let body;
  if (opts.body !== undefined) { headers["Content-Type"] = "application/json"; body = JSON.stringify(opts.body); }
  const sep = path.includes("?") ? "&" : "?";
  const query = opts.anyLang ? "" : sep + "lang=" + state.lang;  // anyLang: the user's language from the chat
  const response = await fetch(BASE + "api/" + path + query,
    { method: opts.method || "GET", headers, body, cache: "no-store" });
  if (!response.ok) {
    let reason = "";
    try { reason = (await response.json()).error || ""; } catch (e) { /* not JSON */ }
    throw new ApiError(response.status, reason);
  }
  if (opts.blob) return response.blob();
  return response.json();
}

function explain(error) {
  if (error instanceof ApiError) {
    if (error.status === 401) return t("err_auth");
    if (error.status === 403) return t("err_scope");
    if (error.status === 404) return t("err_none");
    return t("err_server");
  }
  return t("err_network");
}

async function loadStrings(lang) {
  const r = await fetch(BASE + "api/strings?lang=" + encodeURIComponent(lang), { cache: "no-store" });
  const data = await r.json();
  state.lang = data.lang;
  state.strings = data.strings;
  document.documentElement.lang = state.lang;
}

// ---------------------------------------------------------------- charts (SVG)

const COLOURS = { stunting: "#c0392b", wasting: "#e67e22", underweight_pct: "#8e44ad", overweight_pct: "#2980b9",
  d_s: "#27ae60" };

function lineChart(months, series, opts) {
  const W = 640, H = 220, L = 34, R = 8, T = 10, B = 26;
  const values = series.flatMap((s) => s.values).filter((v) => v !== null);
  const top = Math.max(opts && opts.max ? opts.max : 0, ...values, 5);
  const yMax = top > 50 ? 100 : Math.ceil(top / 5) * 5;
  const x = (i) => L + (months.length < 2 ? 0 : (i * (W - L - R)) / (months.length - 1));
  const y = (v) => T + (H - T - B) * (1 - v / yMax);
  const root = svg("svg", { viewBox: `0 0 ${W} ${H}`, class: "chart", role: "img" });
  for (let g = 0; g <= 4; g++) {
    const v = (yMax * g) / 4;
    root.appendChild(svg("line", { x1: L, x2: W - R, y1: y(v), y2: y(v), class: "grid" }));
    root.appendChild(svg("text", { x: L - 4, y: y(v) + 4, class: "axis", "text-anchor": "end" },
      new Intl.NumberFormat(locale()).format(v)));
  }
  // Every third month labelled (the last one always), so labels never overlap on a phone.
  const step = months.length > 6 ? 3 : 1;
  months.forEach((m, i) => {
    const last = i === months.length - 1;
    if (!last && ((months.length - 1 - i) % step !== 0 || months.length - 1 - i < step)) return;
    root.appendChild(svg("text", { x: x(i), y: H - 8, class: "axis", "text-anchor": last ? "end" : "middle" },
      fmtMonth(m)));
  });
  for (const s of series) {
    let d = "";
    s.values.forEach((v, i) => { if (v !== null) d += (d && s.values[i - 1] !== null ? "L" : "M") + x(i) + " " + y(v); });
    root.appendChild(svg("path", { d, class: "line", stroke: s.colour }));
    s.values.forEach((v, i) => {
      if (v !== null) root.appendChild(svg("circle", { cx: x(i), cy: y(v), r: 2.6, fill: s.colour }));
    });
  }
  const legend = el("div", { class: "legend" }, series.map((s) =>
    el("span", { class: "key" }, el("i", { style: "background:" + s.colour }), s.label)));
  return el("figure", { class: "card chart-card" }, opts && opts.title ? el("figcaption", {}, opts.title) : null,
    root, legend);
}

function sparkline(values) {
  const W = 70, H = 20;
  const present = values.filter((v) => v !== null);
  const root = svg("svg", { viewBox: `0 0 ${W} ${H}`, class: "spark", "aria-hidden": "true" });
  if (present.length < 2) return root;
  const max = Math.max(...present, 1), min = Math.min(...present, 0);
  const x = (i) => (i * W) / (values.length - 1);
  const y = (v) => H - 2 - ((H - 4) * (v - min)) / (max - min || 1);
  let d = "";
  values.forEach((v, i) => { if (v !== null) d += (d ? "L" : "M") + x(i).toFixed(1) + " " + y(v).toFixed(1); });
  root.appendChild(svg("path", { d, class: "line thin", stroke: COLOURS.stunting }));
  return root;
}

// ---------------------------------------------------------------- sortable tables

function table(id, columns, rows, onRow) {
  const sort = state.sort[id] || { key: null, dir: 1 };
  const sorted = rows.slice();
  if (sort.key) {
    const col = columns.find((c) => c.key === sort.key);
    const val = col && col.sortValue ? col.sortValue : (r) => r[sort.key];
    sorted.sort((a, b) => {
      const va = val(a), vb = val(b);
      if (va === vb) return 0;
      if (va === null || va === undefined) return 1;
      if (vb === null || vb === undefined) return -1;
      return (typeof va === "string" ? va.localeCompare(vb, locale()) : va - vb) * sort.dir;
    });
  }
  const head = el("tr", {}, columns.map((c) => el("th", {
    scope: "col", class: (c.num ? "num " : "") + (c.sortable === false ? "" : "sortable"),
    "aria-sort": sort.key === c.key ? (sort.dir > 0 ? "ascending" : "descending") : null,
    "data-key": c.key,
    onclick: c.sortable === false ? null : () => {
      const cur = state.sort[id] || {};
      state.sort[id] = { key: c.key, dir: cur.key === c.key ? -cur.dir : (c.num ? -1 : 1) };
      const fresh = table(id, columns, rows, onRow);
      wrap.replaceWith(fresh);
    },
  }, c.label, sort.key === c.key ? (sort.dir > 0 ? " ▲" : " ▼") : "")));
  // Long lists (a city has hundreds of posyandu) show the first rows at once; the rest on request.
  const limit = state.expanded[id] ? Infinity : 50;
  const shown = sorted.length > limit ? sorted.slice(0, limit) : sorted;
  const body = shown.map((r) => el("tr", {
    class: onRow ? "link" : null, tabindex: onRow ? "0" : null, "data-id": r.id,
    onclick: onRow ? () => onRow(r) : null,
    onkeydown: onRow ? (e) => { if (e.key === "Enter") onRow(r); } : null,
  }, columns.map((c) => el("td", { class: c.num ? "num" : null }, c.render ? c.render(r) : String(r[c.key] ?? "—")))));
  const more = sorted.length > shown.length ? el("button", { type: "button", class: "chip more", onclick: () => {
    state.expanded[id] = true;
    wrap.replaceWith(table(id, columns, rows, onRow));
  } }, t("show_all", { n: fmtInt(sorted.length) })) : null;
  const wrap = el("div", { class: "table-wrap", id }, el("table", {}, el("thead", {}, head), el("tbody", {}, body)),
    more);
  return wrap;
}

function prevalenceColumns(withParent, parentLabel) {
  const cols = [{ key: "name", label: t("col_name") }];
  if (withParent) cols.push({ key: "parent", label: parentLabel });
  cols.push(
    { key: "s", label: "S", num: true, render: (r) => fmtInt(r.s) },
    { key: "d", label: "D", num: true, render: (r) => fmtInt(r.d) },
    { key: "d_s", label: "D/S", num: true, render: (r) => fmtPct(r.d_s) },
    { key: "stunting", label: t("stunting"), num: true, render: (r) => fmtPct(r.stunting) },
    { key: "wasting", label: t("wasting"), num: true, render: (r) => fmtPct(r.wasting) },
    { key: "underweight_pct", label: t("underweight"), num: true, render: (r) => fmtPct(r.underweight_pct) },
    { key: "overweight_pct", label: t("overweight"), num: true, render: (r) => fmtPct(r.overweight_pct) },
    { key: "refer", label: t("refer_short"), num: true, render: (r) => fmtInt(r.refer) },
    { key: "trend", label: t("trend"), sortable: false, render: (r) => sparkline(r.trend || []) },
  );
  return cols;
}

// ---------------------------------------------------------------- sections from the registry

function sectionCard(s) {
  const card = el("section", { class: "card section" + (s.available ? "" : " unavailable"), "data-section": s.key },
    el("h3", {}, s.title), s.note ? el("p", { class: "muted" }, s.note) : null);
  if (s.figures.length) {
    card.appendChild(el("div", { class: "figures" }, s.figures.map((f) =>
      el("div", { class: "figure" }, el("b", {}, f.value === null ? "—" : String(f.value) + (f.unit || "")),
        el("span", {}, f.label)))));
  }
  s.tables.forEach((tb, i) => {
    const cols = tb.columns.map((c, j) => {
      const num = tb.rows.length > 0 && tb.rows.every((r) => r[j] === null || typeof r[j] === "number");
      return { key: String(j), label: c, num, render: (r) => (num ? fmtInt(r[j]) : String(r[j] ?? "—")) };
    });
    card.appendChild(el("h4", {}, tb.title));
    card.appendChild(table("sec-" + s.key + "-" + i, cols, tb.rows.map((r, k) => Object.assign({ id: k }, r))));
  });
  return card;
}

// ---------------------------------------------------------------- overview

function stat(label, value, sub, key) {
  return el("div", { class: "stat", "data-stat": key }, el("span", { class: "label" }, label),
    el("b", { class: "value" }, value), sub ? el("span", { class: "sub" }, sub) : null);
}

function renderOverview(data) {
  const page = document.getElementById("overview");
  const total = data.total;
  const stats = el("div", { class: "stats" },
    stat(t("s_long"), fmtInt(total.s), null, "s"),
    stat(t("d_long"), fmtInt(total.d), "D/S " + fmtPct(total.d_s), "d"),
    stat(t("n_long"), fmtInt(total.n), "N/D " + fmtPct(total.n_d), "n"),
    stat(t("stunting"), fmtPct(total.stunting), t("children_n", { n: fmtInt(total.stunted) }), "stunting"),
    stat(t("wasting"), fmtPct(total.wasting), t("children_n", { n: fmtInt(total.wasted) }), "wasting"),
    stat(t("underweight"), fmtPct(total.underweight_pct), t("children_n", { n: fmtInt(total.underweight) }), "underweight"),
    stat(t("overweight"), fmtPct(total.overweight_pct), t("children_n", { n: fmtInt(total.overweight) }), "overweight"),
    stat(t("refer"), fmtInt(total.refer), t("today_n", { n: fmtInt(total.urgent) }), "refer"));
  const months = data.trend.map((p) => p.month);
  const prevalence = lineChart(months, [
    { label: t("stunting"), colour: COLOURS.stunting, values: data.trend.map((p) => p.stunting) },
    { label: t("wasting"), colour: COLOURS.wasting, values: data.trend.map((p) => p.wasting) },
    { label: t("underweight"), colour: COLOURS.underweight_pct, values: data.trend.map((p) => p.underweight_pct) },
    { label: t("overweight"), colour: COLOURS.overweight_pct, values: data.trend.map((p) => p.overweight_pct) },
  ], { title: t("trend_prevalence") });
  const coverage = lineChart(months, [
    { label: "D/S", colour: COLOURS.d_s, values: data.trend.map((p) => p.d_s) },
    { label: "N/D", colour: "#7f8c8d", values: data.trend.map((p) => p.n_d) },
  ], { title: t("trend_coverage"), max: 100 });
  const openPosyandu = (r) => { state.posyandu = r.id; switchTab("posyandu"); };
  fill(page,
    el("h2", {}, data.area.label + " · " + fmtMonth(data.month, true)),
    stats, el("div", { class: "charts" }, prevalence, coverage),
    data.kelurahan.length > 1 ? el("h3", {}, t("per_kelurahan")) : null,
    data.kelurahan.length > 1 ? table("kel", prevalenceColumns(true, t("col_kecamatan")), data.kelurahan,
      (r) => { setArea(r.id); }) : null,
    el("h3", {}, t("per_posyandu")),
    el("p", { class: "muted" }, t("tap_posyandu")),
    table("pos", prevalenceColumns(true, t("col_kelurahan")), data.posyandu, openPosyandu),
    data.sections.map(sectionCard));
}

// ---------------------------------------------------------------- posyandu

function posyanduChoices() {
  const areas = new Set(areaAndBelow(state.area));
  return state.me.posyandu.filter((p) => areas.has(p.area));
}

function childList(id, title, items, columns, mayChart) {
  return [el("h3", {}, title + " (" + fmtInt(items.length) + ")"),
    items.length ? table(id, columns, items, mayChart ? (r) => openChart(r) : null)
      : el("p", { class: "muted" }, t("nobody"))];
}

function renderPosyandu(data) {
  const page = document.getElementById("posyandu");
  const choices = posyanduChoices();
  const select = el("select", { id: "posyandu-select", onchange: (e) => { state.posyandu = Number(e.target.value); loadTab(); } },
    choices.map((p) => el("option", { value: p.id, selected: p.id === state.posyandu }, p.name)));
  const head = el("label", { class: "field" }, el("span", {}, t("posyandu")), select);
  if (!data) { fill(page, head, el("p", { class: "muted" }, t("no_posyandu"))); return; }
  const total = data.total;
  const name = { key: "name", label: t("col_name") };
  const age = { key: "age", label: t("col_age"), num: true, render: (r) => t("age_months", { n: r.age }) };
  const measured = [name, age,
    { key: "weighing", label: "N/T", render: (r) => r.weighing || "—" },
    { key: "tags", label: t("col_status"), sortValue: (r) => r.tags.join(","), render: (r) =>
      el("span", {}, r.tags.length ? r.tags.map((x) => el("span", { class: "tag" + (r.urgent ? " urgent" : "") }, x)) : t("normal")) },
    { key: "measured_on", label: t("col_date"), render: (r) => fmtDate(r.measured_on) }];
  const follow = [name,
    { key: "reasons", label: t("col_reasons"), sortValue: (r) => r.reasons.join(","), render: (r) =>
      el("span", {}, (r.urgent ? "🔴 " : "⚠️ ") + r.reasons.join(", ")) },
    { key: "last", label: t("col_last"), render: (r) => fmtDate(r.last) }];
  fill(page, head,
    el("h2", {}, data.posyandu.name + " · " + fmtMonth(data.month, true)),
    el("p", { class: "muted" }, data.posyandu.kelurahan),
    el("div", { class: "stats" },
      stat("S", fmtInt(total.s), null, "s"), stat("D", fmtInt(total.d), "D/S " + fmtPct(total.d_s), "d"),
      stat(t("stunting"), fmtPct(total.stunting), t("children_n", { n: fmtInt(total.stunted) }), "stunting"),
      stat(t("refer"), fmtInt(total.refer), t("today_n", { n: fmtInt(total.urgent) }), "refer")),
    data.may_chart ? el("p", { class: "muted" }, t("tap_child")) : null,
    childList("follow", t("follow_up"), data.follow_up, follow, data.may_chart),
    childList("missing", t("missing"), data.missing, [name, age], data.may_chart),
    data.remeasure.length ? childList("remeasure", t("remeasure"), data.remeasure, [name, age], data.may_chart) : null,
    childList("measured", t("measured"), data.measured, measured, data.may_chart),
    el("div", { id: "chart-view" }));
}

async function openChart(child, indicator) {
  const view = document.getElementById("chart-view");
  const ind = indicator || "wfa";
  const buttons = el("div", { class: "row" }, [["wfa", t("chart_wfa")], ["lhfa", t("chart_lhfa")], ["wflh", t("chart_wflh")]]
    .map(([key, label]) => el("button", { type: "button", class: "chip" + (key === ind ? " active" : ""),
      onclick: () => openChart(child, key) }, label)));
  view.replaceChildren(el("div", { class: "card" }, el("h3", {}, child.name + " (" + child.code + ")"), buttons,
    el("p", { class: "muted" }, t("loading"))));
  view.scrollIntoView({ behavior: "smooth", block: "start" });
  try {
    const blob = await api("child/" + child.id + "/chart/" + ind, { blob: true });
    if (state.chart) URL.revokeObjectURL(state.chart);
    state.chart = URL.createObjectURL(blob);
    view.firstChild.replaceChild(el("img", { src: state.chart, alt: t("chart_alt"), class: "growth" }), view.firstChild.lastChild);
  } catch (e) {
    view.firstChild.lastChild.textContent = explain(e);
  }
}

// ---------------------------------------------------------------- annual review

function reviewColumns(parentLabel) {
  const now = (k) => (r) => r.now[k], before = (k) => (r) => r.before[k];
  return [
    { key: "name", label: t("col_name") },
    parentLabel ? { key: "parent", label: parentLabel } : null,
    { key: "s", label: "S", num: true, sortValue: now("s"), render: (r) => fmtInt(r.now.s) },
    { key: "ds", label: "D/S", num: true, sortValue: now("d_s"), render: (r) => fmtPct(r.now.d_s) },
    { key: "st0", label: t("stunting_last_year"), num: true, sortValue: before("stunting"), render: (r) => fmtPct(r.before.stunting) },
    { key: "st1", label: t("stunting_this_year"), num: true, sortValue: now("stunting"), render: (r) => fmtPct(r.now.stunting) },
    { key: "wa", label: t("wasting"), num: true, sortValue: now("wasting"), render: (r) => fmtPct(r.before.wasting) + " → " + fmtPct(r.now.wasting) },
    { key: "uw", label: t("underweight"), num: true, sortValue: now("underweight_pct"), render: (r) => fmtPct(r.before.underweight_pct) + " → " + fmtPct(r.now.underweight_pct) },
    { key: "ow", label: t("overweight"), num: true, sortValue: now("overweight_pct"), render: (r) => fmtPct(r.before.overweight_pct) + " → " + fmtPct(r.now.overweight_pct) },
    { key: "moved_out", label: t("moved_out"), num: true, render: (r) => fmtInt(r.moved_out) },
  ].filter(Boolean);
}

function renderReview(data) {
  const page = document.getElementById("review");
  const years = [];
  for (let y = state.me.year; y >= state.me.year - 5; y--) years.push(y);
  const yearSelect = el("select", { id: "year", onchange: (e) => { state.year = Number(e.target.value); loadTab(); } },
    years.map((y) => el("option", { value: y, selected: y === data.year }, String(y))));
  const tot = data.total;
  const summary = el("div", { class: "stats" },
    stat(t("stunting"), fmtPct(tot.now.stunting), t("last_year", { v: fmtPct(tot.before.stunting) }), "stunting"),
    stat(t("wasting"), fmtPct(tot.now.wasting), t("last_year", { v: fmtPct(tot.before.wasting) }), "wasting"),
    stat(t("underweight"), fmtPct(tot.now.underweight_pct), t("last_year", { v: fmtPct(tot.before.underweight_pct) }), "underweight"),
    stat(t("overweight"), fmtPct(tot.now.overweight_pct), t("last_year", { v: fmtPct(tot.before.overweight_pct) }), "overweight"),
    stat("D/S", fmtPct(tot.now.d_s), t("last_year", { v: fmtPct(tot.before.d_s) }), "d_s"),
    stat(t("moved_out"), fmtInt(tot.moved_out), t("of_stunted", { n: fmtInt(tot.ever_stunted) }), "moved_out"));
  const coverage = lineChart(data.coverage.map((c) => c.month),
    [{ label: "D/S", colour: COLOURS.d_s, values: data.coverage.map((c) => c.d_s) }], { title: t("coverage_year"), max: 100 });
  const notes = el("form", { class: "card notes", onsubmit: (e) => { e.preventDefault(); saveNotes(data, form); } });
  const form = notes;
  for (const [key, label] of [["achievements", t("achievements")], ["obstacles", t("obstacles")],
    ["recommendations", t("recommendations")]]) {
    notes.appendChild(el("label", { class: "field" }, el("span", {}, label),
      el("textarea", { name: key, rows: 4, maxlength: 4000, readonly: !data.may_write }, data.notes[key] || "")));
  }
  if (data.may_write) notes.appendChild(el("button", { type: "submit", class: "primary", id: "save-notes" }, t("save")));
  else notes.appendChild(el("p", { class: "muted" }, t("notes_read_only")));
  notes.appendChild(el("p", { class: "muted", id: "notes-status" },
    data.notes.updated_at ? t("saved_at", { when: fmtDate(data.notes.updated_at.slice(0, 10)) }) : ""));
  fill(page,
    el("div", { class: "row" }, el("label", { class: "field narrow" }, el("span", {}, t("year")), yearSelect),
      el("div", { class: "downloads" },
        el("button", { type: "button", class: "primary", id: "dl-xlsx", onclick: () => download("xlsx", data) }, t("download_xlsx")),
        el("button", { type: "button", class: "primary", id: "dl-pdf", onclick: () => download("pdf", data) }, t("download_pdf")))),
    el("h2", {}, t("review_title", { year: data.year, area: data.area.label })),
    el("p", { class: "muted" }, t("review_month", { month: fmtMonth(data.month, true), before: fmtMonth(data.month_before, true) })),
    summary, coverage,
    data.kelurahan.length > 1 ? el("h3", {}, t("per_kelurahan")) : null,
    data.kelurahan.length > 1 ? table("rkel", reviewColumns(null), data.kelurahan) : null,
    el("h3", {}, t("per_posyandu")),
    table("rpos", reviewColumns(t("col_kelurahan")), data.posyandu),
    data.sections.map(sectionCard),
    el("h3", {}, t("notes")), notes);
}

async function saveNotes(data, form) {
  const status = document.getElementById("notes-status");
  const body = { area: data.area.id, year: data.year };
  for (const key of ["achievements", "obstacles", "recommendations"]) body[key] = form.elements[key].value;
  status.textContent = t("saving");
  try {
    await api("review/notes", { method: "PUT", body });
    status.textContent = t("saved");
  } catch (e) { status.textContent = explain(e); }
}

async function download(kind, data) {
  setStatus(t("preparing"));
  try {
    const r = await api("download", { method: "POST", body: { kind, area: data.area.id, year: data.year } });
    const url = new URL(r.url, location.href).href;
    if (TG.inTelegram && TG.version >= 8) {
      TG.postEvent("web_app_request_file_download", { url, file_name: r.filename });
    } else if (TG.inTelegram && TG.version > 0) {
      TG.postEvent("web_app_open_link", { url });
    } else {
      const a = el("a", { href: url, download: r.filename, hidden: true });
      document.body.appendChild(a);
      a.click();
      a.remove();
    }
    setStatus("");
  } catch (e) { setStatus(explain(e), true); }
}

// ---------------------------------------------------------------- navigation

function areaAndBelow(areaId) {
  if (areaId === null) return state.me.areas.map((a) => a.id);
  const out = [areaId];
  for (let i = 0; i < out.length; i++) state.me.areas.forEach((a) => { if (a.parent === out[i]) out.push(a.id); });
  return out;
}

function fillControls() {
  const areaSelect = document.getElementById("area");
  const byParent = {};
  state.me.areas.forEach((a) => { (byParent[a.parent] = byParent[a.parent] || []).push(a); });
  const options = [];
  const walk = (a, depth) => {
    options.push(el("option", { value: a.id, selected: a.id === state.area }, "\u00a0\u00a0".repeat(depth) + a.label));
    (byParent[a.id] || []).forEach((c) => walk(c, depth + 1));
  };
  if (state.me.home === null) {
    options.push(el("option", { value: "", selected: state.area === null }, state.me.home_label));
    (byParent.null || []).forEach((a) => walk(a, 1));
  } else {
    walk(state.me.areas.find((a) => a.id === state.me.home), 0);
  }
  areaSelect.replaceChildren(...options);
  const monthSelect = document.getElementById("month");
  const [y, m] = state.me.month.split("-").map(Number);
  const months = [];
  for (let i = 0; i < 24; i++) {
    const d = new Date(Date.UTC(y, m - 1 - i, 1));
    months.push(d.getUTCFullYear() + "-" + String(d.getUTCMonth() + 1).padStart(2, "0"));
  }
  monthSelect.replaceChildren(...months.map((v) => el("option", { value: v, selected: v === state.month }, fmtMonth(v, true))));
}

function translateChrome() {
  document.title = t("app_title");
  document.getElementById("title").textContent = t("app_title");
  document.getElementById("l-area").textContent = t("area");
  document.getElementById("l-month").textContent = t("month");
  document.getElementById("t-overview").textContent = t("tab_overview");
  document.getElementById("t-posyandu").textContent = t("tab_posyandu");
  document.getElementById("t-review").textContent = t("tab_review");
  document.getElementById("lang").textContent = state.lang === "id" ? "EN" : "ID";
}

function setArea(id) {
  state.area = id;
  const choices = posyanduChoices();
  if (!choices.some((p) => p.id === state.posyandu)) state.posyandu = choices.length ? choices[0].id : null;
  fillControls();
  loadTab();
}

function showTab(tab) {
  state.tab = tab;
  document.querySelectorAll(".tab").forEach((b) => {
    b.classList.toggle("active", b.dataset.tab === tab);
    b.setAttribute("aria-selected", b.dataset.tab === tab ? "true" : "false");
  });
  document.querySelectorAll(".page").forEach((p) => { p.hidden = p.id !== tab; });
  document.getElementById("month").disabled = tab === "review";
}

function switchTab(tab) {
  showTab(tab);
  loadTab();
}

function ready() {
  setStatus("");
  document.body.dataset.ready = state.tab;
  if (performance.mark) performance.mark("ready-" + state.tab);  // benchmarks/dashboard.py reads it
}

let loading = 0;
async function loadTab() {
  const ticket = ++loading;
  setStatus(t("loading"));
  const areaParam = state.area === null ? "" : "area=" + state.area + "&";
  try {
    if (state.tab === "overview") {
      const data = await api("overview?" + areaParam + "month=" + state.month);
      if (ticket === loading) renderOverview(data);
    } else if (state.tab === "posyandu") {
      if (state.posyandu === null) { renderPosyandu(null); }
      else {
        const data = await api("posyandu/" + state.posyandu + "?month=" + state.month);
        if (ticket === loading) renderPosyandu(data);
      }
    } else {
      const data = await api("review?" + areaParam + "year=" + (state.year || state.me.year));
      if (ticket === loading) renderReview(data);
    }
    if (ticket === loading) ready();
  } catch (e) {
    if (ticket === loading) setStatus(explain(e), true);
  }
}

async function start() {
  const asked = new URLSearchParams(location.search).get("lang");
  let lang = asked || "";
  try { lang = lang || localStorage.getItem("dashboardLang") || ""; } catch (e) { /* storage off */ }
  if (lang) state.lang = lang === "en" ? "en" : "id";
  // The words, the caller and the home area's overview are asked for at once (the overview needs neither).
  const words = loadStrings(lang || "id");
  const me = TG.initData ? api("me", { anyLang: !lang }).catch((e) => e) : null;
  const first = TG.initData ? api("overview", { anyLang: !lang }).catch((e) => e) : null;
  await words;
  translateChrome();
  if (!TG.initData) { setStatus(t("err_open_in_telegram"), true); return; }
  state.me = await me;
  if (state.me instanceof Error) { setStatus(explain(state.me), true); return; }
  if (!lang && state.me.lang !== state.lang) { await loadStrings(state.me.lang); translateChrome(); }
  state.area = state.me.home;
  state.month = state.me.month;
  state.year = state.me.year;
  const choices = posyanduChoices();
  state.posyandu = choices.length ? choices[0].id : null;
  fillControls();
  document.getElementById("area").addEventListener("change", (e) => setArea(e.target.value === "" ? null : Number(e.target.value)));
  document.getElementById("month").addEventListener("change", (e) => { state.month = e.target.value; loadTab(); });
  document.querySelectorAll(".tab").forEach((b) => b.addEventListener("click", () => switchTab(b.dataset.tab)));
  document.getElementById("lang").addEventListener("click", async () => {
    const next = state.lang === "id" ? "en" : "id";
    try { localStorage.setItem("dashboardLang", next); } catch (e) { /* storage off */ }
    await loadStrings(next);
    translateChrome();
    fillControls();
    loadTab();
  });
  TG.postEvent("web_app_ready");
  TG.postEvent("web_app_expand");
  const early = first ? await first : null;
  if (early && !(early instanceof Error) && early.month === state.month) {
    showTab("overview");
    renderOverview(early);
    ready();
  } else {
    switchTab("overview");
  }
}

start();
