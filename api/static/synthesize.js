// The "Synthesize" button: POST /synthesize with the search box as topic and the page's filters (read
// from the URL, which app.js keeps in step), then download the file. Kept apart from app.js on purpose.
"use strict";

(function () {
  // The filter fields that repeat (alternatives): GET /fields, the server's one definition of them.
  async function filterFields(headers) {
    const response = await fetch("/fields", { headers });
    const body = await response.json();
    return body.fields.filter((f) => f.repeatable).map((f) => f.field);
  }

  function currentFilters(fields) {
    const params = new URLSearchParams(window.location.search);
    const filters = {};
    for (const name of fields) {
      const values = params.getAll(name).filter(Boolean);
      if (values.length) filters[name] = values;
    }
    return filters;
  }

  async function synthesize() {
    const status = document.getElementById("synth-status");
    const topic = document.getElementById("q").value.trim();
    const format = document.getElementById("synth-format").value;
    if (!topic) { status.textContent = "Type a topic (a theme such as “age assurance”, or any words) first."; return; }
    status.textContent = "Writing the synthesis…";
    const headers = { "Content-Type": "application/json" };
    const key = sessionStorage.getItem("cwg-api-key");
    if (key) headers.Authorization = `Bearer ${key}`;
    try {
      const response = await fetch("/synthesize", {
        method: "POST", headers, body: JSON.stringify({ topic, format, filters: currentFilters(await filterFields(headers)) }),
      });
      if (!response.ok) {
        const body = await response.json().catch(() => ({}));
        throw new Error(typeof body.detail === "string" ? body.detail : response.statusText);
      }
      const blob = await response.blob();
      const link = document.createElement("a");
      link.href = URL.createObjectURL(blob);
      const safe = topic.replace(/[^A-Za-z0-9]+/g, "-").replace(/^-|-$/g, "").toLowerCase() || "synthesis";
      link.download = `synthesis-${safe}.${format}`;
      document.body.appendChild(link);
      link.click();
      link.remove();
      setTimeout(() => URL.revokeObjectURL(link.href), 10000);
      status.textContent = `Synthesis downloaded (${link.download}).`;
    } catch (err) {
      status.textContent = `Synthesis failed: ${err.message}`;
    }
  }

  document.addEventListener("DOMContentLoaded", () => {
    const button = document.getElementById("synthesize");
    if (button) button.addEventListener("click", synthesize);
  });
})();
