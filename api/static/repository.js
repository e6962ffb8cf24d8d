// The repository mechanism on the page: curation badges, the contribution card in the document view
// (quality signals with evidence or hints, labels, similar contributions, what is new), curating with a
// curator key (a status, or one quality signal), and the reading list of the best content for the current filters. Uses the helpers of
// app.js (el, clear, api, $, state, filterParams, openDocument, openSimilar); every text goes in as a text node.
"use strict";

const BADGES = { best_practice: "Best practice", promising: "Promising", noted: "Noted" };

function curationBadge(status, reason) {
  if (!BADGES[status]) return null;
  return el("span", { class: `badge badge-${status}`, title: reason || null }, BADGES[status]);
}

async function sendCuration(documentId, status, reason, key) {
  const response = await fetch(`/documents/${encodeURIComponent(documentId)}/curation`, {
    method: "PUT",
    headers: { "Content-Type": "application/json", Accept: "application/json", Authorization: `Bearer ${key}` },
    body: JSON.stringify({ status, reason, by: "curator (web page)" }),
  });
  const body = await response.json().catch(() => ({}));
  if (!response.ok) {
    const detail = Array.isArray(body.detail) ? body.detail.map((d) => d.msg).join("; ") : body.detail;
    throw new Error(detail || response.statusText);
  }
  return body;
}

function curateForm(documentId, onDone) {
  const status = el("select", { id: "curate-status" },
    ...Object.entries({ ...BADGES, none: "None (withdraw)" }).map(([v, t]) => el("option", { value: v }, t)));
  const reason = el("input", { id: "curate-reason", type: "text", maxlength: "2000", required: true });
  const key = el("input", { id: "curate-key", type: "password", autocomplete: "off", required: true });
  key.value = sessionStorage.getItem("cwg-curator-key") || "";
  const said = el("span", { id: "curate-status-line", class: "status", role: "status", "aria-live": "polite" });
  const form = el("form", { id: "curate-form", class: "curate" },
    el("label", { for: "curate-status" }, "Status"), status,
    el("label", { for: "curate-reason" }, "Reason"), reason,
    el("label", { for: "curate-key" }, "Curator key"), key,
    el("button", { type: "submit" }, "Save"), said);
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    said.textContent = "Saving…";
    try {
      sessionStorage.setItem("cwg-curator-key", key.value);
      await sendCuration(documentId, status.value, reason.value, key.value);
      said.textContent = "Saved.";
      onDone();
    } catch (err) {
      said.textContent = `Not saved: ${err.message}`;
    }
  });
  return form;
}

function curatorNote(s) {
  const c = s.curator;
  return c ? el("span", { class: "curator-word" }, ` · curator: ${c.verdict} (${c.reason}; ${c.by})`) : null;
}

function signalItem(s) {
  if (s.found) {
    const where = s.evidence && s.evidence.page ? ` (p. ${s.evidence.page})` : "";
    return el("li", { class: "signal found", "data-signal": s.id }, el("strong", {}, `✓ ${s.name}`), ": ",
              el("q", {}, s.evidence ? s.evidence.text.replace(/\s+/g, " ") : ""), where, curatorNote(s));
  }
  return el("li", { class: "signal missing", "data-signal": s.id }, el("strong", {}, `✗ ${s.name}`),
            `: ${s.hint}`, curatorNote(s));
}

async function sendSignalCorrection(documentId, signal, verdict, quote, reason, key) {
  const response = await fetch(`/documents/${encodeURIComponent(documentId)}/quality/${encodeURIComponent(signal)}`, {
    method: "PUT",
    headers: { "Content-Type": "application/json", Accept: "application/json", Authorization: `Bearer ${key}` },
    body: JSON.stringify({ verdict, quote, reason, by: "curator (web page)" }),
  });
  const body = await response.json().catch(() => ({}));
  if (!response.ok) {
    const detail = Array.isArray(body.detail) ? body.detail.map((d) => d.msg).join("; ") : body.detail;
    throw new Error(detail || response.statusText);
  }
  return body;
}

// A curator confirms or rejects one quality signal, or quotes the sentence that shows it (PUT
// /documents/{id}/quality/{signal}: the same write as `cwg quality`); the key is the curation form's.
function signalForm(documentId, signals, onDone) {
  const signal = el("select", { id: "signal-id" }, ...signals.map((s) => el("option", { value: s.id }, s.name)));
  const verdict = el("select", { id: "signal-verdict" },
    el("option", { value: "confirmed" }, "shows it"), el("option", { value: "rejected" }, "does not show it"));
  const quote = el("input", { id: "signal-quote", type: "text", maxlength: "2000",
                              placeholder: "optional: the sentence that shows it, copied from the text" });
  const reason = el("input", { id: "signal-reason", type: "text", maxlength: "2000", required: true });
  const said = el("span", { id: "signal-status-line", class: "status", role: "status", "aria-live": "polite" });
  const form = el("form", { id: "signal-form", class: "curate" },
    el("label", { for: "signal-id" }, "Signal"), signal, el("label", { for: "signal-verdict" }, "The document"), verdict,
    el("label", { for: "signal-quote" }, "Quote"), quote, el("label", { for: "signal-reason" }, "Reason"), reason,
    el("button", { type: "submit" }, "Correct"), said);
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    said.textContent = "Saving…";
    try {
      const key = ($("curate-key") && $("curate-key").value) || sessionStorage.getItem("cwg-curator-key") || "";
      sessionStorage.setItem("cwg-curator-key", key);
      await sendSignalCorrection(documentId, signal.value, verdict.value,
                                 verdict.value === "confirmed" ? quote.value : "", reason.value, key);
      said.textContent = "Saved.";
      onDone();
    } catch (err) {
      said.textContent = `Not saved: ${err.message}`;
    }
  });
  return form;
}

async function renderCard(documentId) {
  const box = $("document-card");
  clear(box);
  box.append(el("p", { class: "status" }, "Loading the contribution card…"));
  try {
    const card = await api(`/documents/${encodeURIComponent(documentId)}/card`);
    clear(box);
    const history = card.curation.history || [];
    const latest = history.length ? history[history.length - 1] : null;
    const badge = curationBadge(card.curation.status, latest && latest.reason);
    // a contribution in several languages has one status and one quality profile: say which version they are from
    const versionOf = (id) => (card.document.versions || []).find((v) => v.document_id === id);
    const setOn = latest && versionOf(latest.document_id);
    box.append(el("h3", {}, "Curation"),
      badge ? el("p", { id: "curation-line" }, badge, ` ${latest.reason} (${latest.by}, ${latest.at})`,
                 setOn ? el("span", { class: "from-version" }, " · set on the ",
                            el("span", { lang: setOn.language }, languageName(setOn.language)), " version") : null)
            : el("p", { id: "curation-line" }, "Not curated."),
      curateForm(documentId, () => renderCard(documentId)));
    const q = card.quality;
    const readOn = q.document_id && versionOf(q.document_id);
    box.append(el("h3", { id: "quality-heading" },
      q.score === null || q.score === undefined ? "Quality" : `Quality ${q.score.toFixed(2)} (${q.band})`),
      readOn ? el("p", { id: "quality-from", class: "from-version" }, "Read on the ",
                  el("span", { lang: readOn.language }, languageName(readOn.language)),
                  " version, the most complete: every version of this contribution shows it.") : null,
      el("ul", { class: "signals" }, ...q.signals.map(signalItem)),
      signalForm(q.document_id || documentId, q.signals, () => renderCard(documentId)));
    if (card.initiatives && card.initiatives.length) {
      box.append(el("h3", {}, "Initiatives"),
        el("ul", { class: "initiatives" }, ...card.initiatives.map((i) => {
          const quote = i.evidence.name || i.evidence.initiative_type;
          const facts = [i.initiative_type, ...i.audience.slice(0, 2), ...i.risk.slice(0, 2), i.status, i.year || ""]
            .filter(Boolean).join(" · ");
          return el("li", {}, el("strong", {}, i.name || "(unnamed)"), ` · ${facts}`,
            quote ? el("p", { class: "snippet" }, el("q", {}, quote.text.replace(/\s+/g, " ")),
                       quote.page ? ` (p. ${quote.page})` : "") : null,
            el("button", { type: "button", class: "secondary",
                           onclick: () => openSimilar(i.id, i.name || i.initiative_type, "initiative_id") },
               "Similar initiatives"));
        })));
    }
    if (card.labels.length) {
      box.append(el("h3", {}, "Characterization"),
        el("p", { class: "labels" }, card.labels.map((lb) => lb.name).join(" · ")));
    }
    box.append(el("h3", {}, "Similar contributions from other sources"));
    box.append(card.similar.length
      ? el("ul", {}, ...card.similar.map((s) => el("li", {},
          el("button", { type: "button", class: "linkish", onclick: () => openDocument(s.document_id) }, s.title),
          ` · ${s.source || "unknown source"}${s.meeting ? " · " + s.meeting : ""}`,
          s.shared.length ? ` · shared: ${s.shared.join(", ")}` : "")))
      : el("p", {}, "None found."));
    box.append(el("h3", {}, "What it adds"));
    box.append(card.new.length
      ? el("ul", {}, ...card.new.map((p) => el("li", {}, el("q", {}, p.text.replace(/\s+/g, " ").slice(0, 400)))))
      : el("p", {}, "Every passage has a close match elsewhere in the repository."));
  } catch (err) {
    clear(box);
    box.append(el("p", { class: "status" }, `No contribution card: ${err.message}`));
  }
}

async function showReadingList() {
  show("results");
  const list = $("results");
  clear(list);
  $("status").textContent = "Loading the reading list…";
  try {
    const data = await api("/select", filterParams());
    const n = data.documents.length;
    $("status").textContent = n
      ? `Reading list: ${n} document${n === 1 ? "" : "s"}, best practice first, then promising, then by quality.`
      : "No document matches these filters.";
    data.documents.forEach((d, i) => {
      const titleId = `list-title-${i}`;
      const quality = d.quality === null ? "" : `quality ${d.quality.toFixed(2)} (${d.quality_band})`;
      list.append(el("li", { class: "card" },
        el("article", { "aria-labelledby": titleId },
          el("h3", { id: titleId, class: "card-title" }, d.title, " ", curationBadge(d.curation, d.curation_reason)),
          el("p", { class: "cite" }, [d.source || "unknown source", d.meeting, quality].filter(Boolean).join(" · ")),
          d.curation_reason ? el("p", { class: "reason" }, d.curation_reason) : null,
          d.evidence ? el("p", { class: "snippet" }, el("q", {}, d.evidence.text.replace(/\s+/g, " "))) : null,
          el("p", { class: "actions" },
            el("button", { type: "button", class: "secondary", "aria-describedby": titleId,
                           onclick: () => openDocument(d.document_id) }, "Open the card")))));
    });
  } catch (err) {
    $("status").textContent = `Could not build the reading list: ${err.message}`;
  }
}

// The chart of themes per meeting for the current filters (GET /trends?format=svg), fetched with the read
// key when the server asks for one, shown as an image.
async function showTrends() {
  const figure = $("trends-figure");
  const params = new URLSearchParams([["facet", "theme"], ["by", "meeting"], ["format", "svg"], ...filterParams()]);
  const headers = {};
  const key = sessionStorage.getItem("cwg-api-key");
  if (key) headers.Authorization = `Bearer ${key}`;
  $("trends-caption").textContent = "Loading the chart…";
  figure.hidden = false;
  try {
    const response = await fetch(`/trends?${params}`, { headers });
    if (!response.ok) throw new Error(response.statusText);
    const blob = await response.blob();
    $("trends-chart").src = URL.createObjectURL(blob);
    $("trends-caption").textContent = "Share of each meeting's documents per theme, for the current filters.";
  } catch (err) {
    $("trends-caption").textContent = `No chart: ${err.message}`;
  }
}

document.addEventListener("DOMContentLoaded", () => {
  const button = $("reading-list");
  if (button) button.addEventListener("click", showReadingList);
  const trendsButton = $("trends-button");
  if (trendsButton) trendsButton.addEventListener("click", showTrends);
});
