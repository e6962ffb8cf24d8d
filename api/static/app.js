// The search page. Plain JS, no build step. Every piece of document text is put in the page as a
// text node (textContent, createTextNode): a contribution containing <script> shows as text.
"use strict";

// The filter fields and the facets shown, with their names: read from GET /fields (one definition, on the server).
const FIELDS = { names: {}, filters: [], facets: [] };
const fieldName = (name) => FIELDS.names[name] || name;
const SNIPPET_CHARS = 420;

const state = { q: "", k: 10, perSource: false, filters: {}, lastView: "results" };
const $ = (id) => document.getElementById(id);

// --- small DOM helpers (text only) -----------------------------------------------------------------
function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (name === "text") node.textContent = value;
    else if (name === "class") node.className = value;
    else if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
    else node.setAttribute(name, value === true ? "" : String(value));
  }
  for (const child of children) {
    if (child === null || child === undefined) continue;
    node.append(typeof child === "string" ? document.createTextNode(child) : child);
  }
  return node;
}

function clear(node) { while (node.firstChild) node.removeChild(node.firstChild); }

function escapeRegExp(s) { return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"); }

// Text with the query terms wrapped in <mark>: the text is split into text nodes, never parsed as HTML.
function highlighted(text, terms) {
  const frag = document.createDocumentFragment();
  const words = (terms || []).filter((t) => t.length > 1).map(escapeRegExp);
  if (!words.length) { frag.append(document.createTextNode(text)); return frag; }
  const pattern = new RegExp("(?<![\\p{L}\\p{N}])(" + words.join("|") + ")[\\p{L}\\p{N}]*", "giu");
  let last = 0;
  for (const m of text.matchAll(pattern)) {
    if (m.index > last) frag.append(document.createTextNode(text.slice(last, m.index)));
    frag.append(el("mark", { text: m[0] }));
    last = m.index + m[0].length;
  }
  if (last < text.length) frag.append(document.createTextNode(text.slice(last)));
  return frag;
}

// A window of the passage around the first query term.
function snippet(text, terms) {
  const flat = text.replace(/\s+/g, " ").trim();
  if (flat.length <= SNIPPET_CHARS) return flat;
  const lower = flat.toLowerCase();
  let at = -1;
  for (const t of terms || []) {
    const i = lower.indexOf(t.toLowerCase());
    if (i >= 0 && (at < 0 || i < at)) at = i;
  }
  const start = Math.max(0, Math.min(at < 0 ? 0 : at - 120, flat.length - SNIPPET_CHARS));
  const cut = flat.slice(start, start + SNIPPET_CHARS);
  return (start > 0 ? "… " : "") + cut + (start + SNIPPET_CHARS < flat.length ? " …" : "");
}

function pageLabel(page, pageEnd, ocrConfidence) {
  if (page === null || page === undefined) return "";
  const pages = pageEnd && pageEnd !== page ? `pp. ${page}–${pageEnd}` : `p. ${page}`;
  // a passage read by OCR from a scanned page says so, with OCR's confidence
  return typeof ocrConfidence === "number" ? `${pages}, OCR ${Math.round(ocrConfidence * 100)}%` : pages;
}

function fileLink(documentId, page) {
  const base = `/documents/${encodeURIComponent(documentId)}/file`;
  return page ? `${base}#page=${page}` : base;
}

// --- talking to the API ----------------------------------------------------------------------------
async function api(path, params) {
  const url = new URL(path, window.location.origin);
  for (const [name, value] of params || []) url.searchParams.append(name, value);
  const headers = { Accept: "application/json" };
  const key = sessionStorage.getItem("cwg-api-key");
  if (key) headers.Authorization = `Bearer ${key}`;
  const response = await fetch(url, { headers });
  const body = await response.json().catch(() => ({}));
  if (response.status === 401 || response.status === 403) $("key-form").hidden = false;
  if (!response.ok) {
    const detail = Array.isArray(body.detail)
      ? body.detail.map((d) => `${(d.loc || []).slice(1).join(".")}: ${d.msg}`).join("; ")
      : body.detail || response.statusText;
    throw new Error(detail);
  }
  return body;
}

function filterParams() {
  const out = [];
  for (const [name, values] of Object.entries(state.filters)) for (const v of values) out.push([name, v]);
  return out;
}

// --- URL state (so Back and a shared link work) -----------------------------------------------------
function writeUrl(push) {
  const params = new URLSearchParams();
  if (state.q) params.set("q", state.q);
  if (state.k !== 10) params.set("k", String(state.k));
  if (state.perSource) params.set("per_source", "2");
  for (const [name, value] of filterParams()) params.append(name, value);
  const url = params.toString() ? `?${params}` : window.location.pathname;
  (push ? history.pushState : history.replaceState).call(history, null, "", url);
}

function readUrl() {
  const params = new URLSearchParams(window.location.search);
  state.q = params.get("q") || "";
  state.k = [10, 20, 50].includes(Number(params.get("k"))) ? Number(params.get("k")) : 10;
  state.perSource = params.has("per_source");
  state.filters = {};
  for (const name of FIELDS.filters) {
    const values = params.getAll(name).filter(Boolean);
    if (values.length) state.filters[name] = values;
  }
  $("q").value = state.q;
  $("k").value = String(state.k);
  $("per-source").checked = state.perSource;
}

// --- views ---------------------------------------------------------------------------------------
function show(view) {
  $("results-section").hidden = view !== "results";
  $("similar-section").hidden = view !== "similar";
  $("document-section").hidden = view !== "document";
  if (view !== "document") state.lastView = view;
}

// The feed of new documents for the current search and filters (GET /feeds/documents.atom).
function updateFollowLink() {
  const params = new URLSearchParams();
  if (state.q) params.set("q", state.q);
  for (const [name, value] of filterParams()) params.append(name, value);
  const link = $("follow");
  if (link) link.href = "/feeds/documents.atom" + (params.toString() ? `?${params}` : "");
}

async function run(push) {
  writeUrl(push);
  updateFollowLink();
  show("results");
  const status = $("status");
  status.textContent = "Searching…";
  clear($("results"));
  clear($("library"));
  $("library-section").hidden = true;
  try {
    if (state.q) {
      const params = [["q", state.q], ["k", String(state.k)], ...filterParams()];
      if (state.perSource) params.push(["per_source", "2"]);
      const data = await api("/search", params);
      renderFacets(data.facets, "in these results");
      renderHits(data);
    } else {
      const [facets, docs] = await Promise.all([api("/facets", filterParams()),
                                                api("/documents", [["limit", "200"], ...filterParams()])]);
      renderFacets(facets.facets, "documents");
      renderDocuments(docs);
    }
  } catch (err) {
    status.textContent = `Could not load results: ${err.message}`;
  }
}

function renderHits(data) {
  const list = $("results");
  const n = data.hits.length;
  const library = data.library || [];
  const notices = (data.notices || []).filter((text) => !text.startsWith("nothing in the repository"));
  let said = n
    ? `${n} passage${n === 1 ? "" : "s"} for “${data.query}”`
    : library.length
      ? `No contribution answers “${data.query}”; the reference library does.`
      : `Nothing in the repository answers “${data.query}”${filterParams().length ? " with these filters" : ""}.`;
  if (data.held_back && data.min_relevance) {
    said += ` ${data.held_back} less likely passage${data.held_back === 1 ? " was" : "s were"} held back.`;
  }
  $("status").textContent = [said, ...notices].join(" ");
  data.hits.forEach((hit, i) => list.append(hitCard(hit, data.terms, i)));
  const shelf = $("library");
  clear(shelf);
  library.forEach((hit, i) => shelf.append(hitCard(hit, data.terms, `library-${i}`)));
  $("library-section").hidden = library.length === 0;
}

function citationLine(item) {
  const parts = [item.source || "unknown source"];
  if (item.country && item.country !== item.source) parts.push(item.country);
  if (item.meeting) parts.push(item.meeting);
  const page = pageLabel(item.page, item.page_end, item.ocr_confidence);
  if (page) parts.push(page);
  return parts.join(" · ");
}

function languageName(code) {  // a language named in itself ("français"), the code where the browser cannot
  try { return new Intl.DisplayNames([code], { type: "language" }).of(code) || code; } catch (e) { return code; }
}

function versionLinks(hit, titleId, prefix = "also in: ") {  // the same contribution in other languages
  if (!hit.versions || !hit.versions.length) return null;
  const line = el("p", { class: "versions" }, prefix);
  hit.versions.forEach((v, n) => {
    if (n) line.append(", ");
    line.append(el("button", { type: "button", class: "linkish", lang: v.language, "aria-describedby": titleId,
                               onclick: () => openDocument(v.document_id) }, languageName(v.language)));
  });
  return line;
}

function hitCard(hit, terms, i) {
  const titleId = `hit-title-${i}`;
  const actions = el("p", { class: "actions" });
  if (hit.page) {
    actions.append(el("a", { href: fileLink(hit.document_id, hit.page), target: "_blank", rel: "noopener",
                             "aria-describedby": titleId }, `Open at page ${hit.page}`));
  }
  actions.append(
    el("button", { type: "button", class: "secondary", "aria-describedby": titleId,
                   onclick: () => openDocument(hit.document_id, hit.chunk_id) }, "Read in document"),
    el("button", { type: "button", class: "secondary", "aria-describedby": titleId,
                   onclick: () => openSimilar(hit.document_id, hit.title) }, "Similar initiatives"));
  return el("li", { class: "card" },
    el("article", { "aria-labelledby": titleId },
      el("h3", { id: titleId, class: "card-title" }, hit.title, " ", curationBadge(hit.curation)),
      el("p", { class: "cite" }, citationLine(hit),
         hit.relevance != null ? ` · answers with probability ${Math.round(hit.relevance * 100)}%` : ""),
      hit.section ? el("p", { class: "section" }, hit.section) : null,
      el("p", { class: "snippet" }, highlighted(snippet(hit.text, terms), terms)),
      versionLinks(hit, titleId),
      actions));
}

function renderDocuments(data) {
  const list = $("results");
  $("status").textContent = `${data.total} document${data.total === 1 ? "" : "s"}` +
    (filterParams().length ? " match these filters." : " in the index. Type a question to search them.");
  data.documents.forEach((doc, i) => {
    const titleId = `doc-title-${i}`;
    list.append(el("li", { class: "card" },
      el("article", { "aria-labelledby": titleId },
        el("h3", { id: titleId, class: "card-title" }, doc.title, " ", curationBadge(doc.curation)),
        el("p", { class: "cite" }, citationLine(doc)),
        el("p", { class: "actions" },
          el("button", { type: "button", class: "secondary", "aria-describedby": titleId,
                         onclick: () => openDocument(doc.document_id) }, "Open document"),
          el("button", { type: "button", class: "secondary", "aria-describedby": titleId,
                         onclick: () => openSimilar(doc.document_id, doc.title) }, "Similar initiatives")))));
  });
}

// --- facets as filters -------------------------------------------------------------------------------
function renderFacets(facets, countsOf) {
  const box = $("facets");
  clear(box);
  for (const name of FIELDS.facets) {
    const values = (facets[name] || []).slice();
    for (const chosen of state.filters[name] || []) {
      if (!values.some((v) => v.value === chosen)) values.push({ value: chosen, name: chosen, count: 0 });
    }
    if (!values.length) continue;
    const fieldset = el("fieldset", { class: "facet" }, el("legend", {}, fieldName(name)));
    const list = el("ul", {});
    values.slice(0, 12).forEach((v, i) => {
      const id = `facet-${name}-${i}`;
      const checked = (state.filters[name] || []).includes(v.value);
      const input = el("input", { type: "checkbox", id, checked,
                                  onchange: (e) => toggleFilter(name, v.value, e.target.checked) });
      list.append(el("li", {}, input,
        el("label", { for: id }, v.name || v.value, " ",
          el("span", { class: "count", "aria-label": `${v.count} ${countsOf}` }, `(${v.count})`))));
    });
    fieldset.append(list);
    box.append(fieldset);
  }
  renderChips();
}

function renderChips() {
  const chips = $("active-filters");
  clear(chips);
  for (const [name, value] of filterParams()) {
    chips.append(el("button", { type: "button", class: "chip",
                                onclick: () => toggleFilter(name, value, false) },
      `${fieldName(name)}: ${value} `, el("span", { "aria-hidden": "true" }, "×"),
      el("span", { class: "visually-hidden" }, " (remove filter)")));
  }
}

function toggleFilter(name, value, on) {
  const values = new Set(state.filters[name] || []);
  if (on) values.add(value); else values.delete(value);
  if (values.size) state.filters[name] = [...values]; else delete state.filters[name];
  run(true);
}

// --- similar initiatives ------------------------------------------------------------------------------
// like a document (by its id), or like one initiative record (`by` "initiative_id") or one passage ("chunk_id")
async function openSimilar(documentId, title, by = "document_id") {
  show("similar");
  $("similar-heading").textContent = `Similar initiatives to “${title}”`;
  const status = $("similar-status");
  const list = $("similar");
  clear(list);
  status.textContent = "Looking for similar initiatives…";
  $("similar-heading").focus();
  try {
    const data = await api("/similar", [[by, documentId], ["k", "10"]]);
    status.textContent = data.results.length
      ? `${data.results.length} initiatives from other sources`
      : "No similar initiatives from other sources.";
    data.results.forEach((r, i) => {
      const titleId = `similar-title-${i}`;
      const p = r.passage;
      const actions = el("p", { class: "actions" },
        el("button", { type: "button", class: "secondary", "aria-describedby": titleId,
                       onclick: () => openDocument(r.document_id, p.chunk_id) }, "Read in document"));
      if (p.page) actions.prepend(el("a", { href: fileLink(r.document_id, p.page), target: "_blank",
                                            rel: "noopener", "aria-describedby": titleId }, `Open at page ${p.page}`));
      const shared = r.shared || [];
      const article = el("article", { "aria-labelledby": titleId },
        el("h3", { id: titleId, class: "card-title" }, r.title),
        el("p", { class: "cite" }, `${citationLine(p)} · similarity ${r.score.toFixed(2)}`),
        el("p", { class: "snippet" }, highlighted(snippet(p.text, shared), shared)));
      if (r.matched && r.matched.text) {
        article.append(el("p", { class: "snippet matched" }, el("span", { class: "label" }, "Matches: "),
                          highlighted(snippet(r.matched.text, shared), shared)));
      }
      if (shared.length) article.append(el("p", { class: "cite" }, `Shared: ${shared.join(", ")}`));
      if (r.why) {
        const alike = [...r.why.initiative_type, ...r.why.audience, ...r.why.risk].join(", ");
        const name = (i) => i.name || i.initiative_type;
        article.append(el("p", { class: "cite why" },
          `Why: ${alike || "their texts"} (${name(r.why.initiative)} ~ ${name(r.why.matched_initiative)})`));
      }
      if (r.also && r.also.length) {
        article.append(el("p", { class: "cite" },
          `Also from ${p.source || "this source"}: ${r.also.map((a) => a.title).join("; ")}`));
      }
      article.append(actions);
      list.append(el("li", { class: "card" }, article));
    });
  } catch (err) {
    status.textContent = `Could not find similar initiatives: ${err.message}`;
  }
}

// --- document view ---------------------------------------------------------------------------------
async function openDocument(documentId, chunkId) {
  $("document-close").textContent = state.lastView === "similar" ? "Back to similar initiatives" : "Back to results";
  show("document");
  const heading = $("document-heading");
  heading.textContent = "Loading document…";
  clear($("document-meta"));
  clear($("document-actions"));
  clear($("document-passages"));
  heading.focus();
  try {
    const doc = await api(`/documents/${encodeURIComponent(documentId)}`);
    heading.textContent = doc.title;
    const meta = $("document-meta");
    const rows = [["Source", doc.source], ["Country", doc.country], ["Region", doc.region],
                  ["Submitted by", doc.actor_type.replace("_", " ")], ["Type", doc.doc_type.replace("_", " ")],
                  ["Meeting", doc.meeting], ["Date", doc.date],
                  ["Language", doc.language], ["Format", doc.pages ? `${doc.format}, ${doc.pages} pages` : doc.format],
                  ["File", doc.file_name]];
    for (const [label, value] of rows) if (value) meta.append(el("dt", {}, label), el("dd", {}, String(value)));
    const versions = versionLinks(doc, "document-heading", "");  // switch to the same contribution in another language
    if (versions) meta.append(el("dt", {}, "Other languages"), el("dd", {}, ...versions.childNodes));
    renderCard(doc.document_id);  // repository.js: curation, quality, similar, what is new
    if (doc.has_file) {
      $("document-actions").append(el("a", { href: fileLink(doc.document_id), target: "_blank", rel: "noopener" },
                                       "Open the original file"));
    }
    const list = $("document-passages");
    let target = null;
    for (const c of doc.passages) {
      const item = el("li", { id: `passage-${c.chunk_id}`, class: "passage", tabindex: "-1" });
      const page = pageLabel(c.page, c.page_end, c.ocr_confidence);
      if (page || c.section) item.append(el("p", { class: "cite" }, [page, c.section].filter(Boolean).join(" · ")));
      item.append(el("p", { class: "passage-text" }, c.text));
      if (c.chunk_id === chunkId) { item.classList.add("current"); target = item; }
      list.append(item);
    }
    if (target) { target.scrollIntoView({ block: "start" }); target.focus(); }
  } catch (err) {
    heading.textContent = `Could not open the document: ${err.message}`;
  }
}

function backFromPanel() {
  const target = $("document-section").hidden ? "results" : state.lastView;
  show(target);
  $(target === "similar" ? "similar-heading" : "results-heading").focus();
}

// --- wiring -----------------------------------------------------------------------------------------
async function loadFields() {
  const body = await api("/fields");
  for (const f of [...body.fields, ...body.facets]) FIELDS.names[f.field] = f.name;
  FIELDS.filters = body.fields.filter((f) => f.repeatable).map((f) => f.field);
  FIELDS.facets = body.facets.map((f) => f.field);
}

document.addEventListener("DOMContentLoaded", async () => {
  if (window.matchMedia("(max-width: 720px)").matches) $("filters-details").open = false;  // results first on a phone
  try { await loadFields(); } catch (e) { /* a key is asked for first (the key form shows); facets wait */ }
  readUrl();
  $("search-form").addEventListener("submit", (e) => {
    e.preventDefault();
    state.q = $("q").value.trim();
    state.k = Number($("k").value);
    state.perSource = $("per-source").checked;
    run(true).then(() => { if (state.q) $("results-heading").focus(); });
  });
  $("key-form").addEventListener("submit", async (e) => {
    e.preventDefault();
    sessionStorage.setItem("cwg-api-key", $("api-key").value);
    $("key-form").hidden = true;
    if (!FIELDS.facets.length) {
      try { await loadFields(); readUrl(); } catch (err) { /* the key was refused: its form shows again */ }
    }
    run(false);
  });
  $("document-close").addEventListener("click", backFromPanel);
  $("similar-close").addEventListener("click", backFromPanel);
  document.addEventListener("keydown", (e) => {
    if (e.key === "Escape" && $("results-section").hidden) backFromPanel();
    if (e.key === "/" && document.activeElement.tagName !== "INPUT") { e.preventDefault(); $("q").focus(); }
  });
  window.addEventListener("popstate", () => { readUrl(); run(false); });
  const linked = new URLSearchParams(window.location.search).get("document");  // a feed entry or a reading list
  run(false).then(() => { if (linked) openDocument(linked); });
});
