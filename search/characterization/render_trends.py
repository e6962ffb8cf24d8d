"""Trends as a Markdown table, CSV, or a chart (PNG/SVG, matplotlib) readable in black and white: one line
per label with its own marker and dash pattern, shares of each period's documents."""

from __future__ import annotations

import io

from search.characterization.csv_export import csv_text

TREND_FORMATS = ("md", "csv", "json", "png", "svg")
_MARKERS = ("o", "s", "^", "D", "v", "x", "P", "*", "h", "<")
_DASHES = ("-", "--", ":", "-.")
MAX_LINES = 8


def _period_label(p: dict) -> str:  # type: ignore[type-arg]
    return f"{p['period']} ({p['date']})" if p.get("date") and p["date"] != p["period"] else str(p["period"])


def trends_markdown(t: dict) -> str:  # type: ignore[type-arg]
    labels = t["labels"]
    initiatives = t.get("count") == "initiatives"
    what = "Initiatives" if initiatives else "Documents"
    head = ["Period", "Documents", *(["Initiatives"] if initiatives else []), *(lb["name"] for lb in labels)]
    out = [f"# {what} per {t['facet']} label per {t['by']}", "",
           "| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for p in t["periods"]:
        cells = [f"{p['counts'].get(lb['id'], 0)} ({p['shares'].get(lb['id'], 0):.0%})" for lb in labels]
        counted = [str(p["documents"]), *([str(p["initiatives"])] if initiatives else [])]
        out.append("| " + " | ".join([_period_label(p), *counted, *cells]) + " |")
    if t.get("unplaced"):
        out += ["", f"{t['unplaced']} documents without a {t['by'] if t['by'] == 'meeting' else 'date'} are not counted."]
    return "\n".join(out) + "\n"


def trends_csv(t: dict) -> str:  # type: ignore[type-arg]
    return csv_text(["period", "date", "documents", "label", "label_name", "count", "share"],
                    ([p["period"], p["date"], p["documents"], lb["id"], lb["name"], p["counts"].get(lb["id"], 0),
                      p["shares"].get(lb["id"], 0.0)] for p in t["periods"] for lb in t["labels"]))


def trends_chart(t: dict, fmt: str) -> bytes:  # type: ignore[type-arg]
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    periods = t["periods"]
    totals = {lb["id"]: sum(p["counts"].get(lb["id"], 0) for p in periods) for lb in t["labels"]}
    shown = sorted(t["labels"], key=lambda lb: -totals[lb["id"]])[:MAX_LINES]
    fig, ax = plt.subplots(figsize=(8, 4.5), dpi=120)
    x = list(range(len(periods)))
    for i, lb in enumerate(shown):
        ax.plot(x, [p["shares"].get(lb["id"], 0.0) * 100 for p in periods], color="black",
                marker=_MARKERS[i % len(_MARKERS)], linestyle=_DASHES[i % len(_DASHES)], linewidth=1.4,
                markersize=6, markerfacecolor="white" if i % 2 else "black", label=lb["name"])
    ax.set_xticks(x, [_period_label(p) for p in periods], rotation=20, ha="right", fontsize=8)
    ax.set_ylabel("share of the period's documents (%)")
    ax.set_ylim(0, 105)
    ax.set_title(f"Documents per {t['facet'].replace('_', ' ')} label, by {t['by']}")
    ax.grid(axis="y", color="0.85")
    if shown:
        ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1), frameon=False)
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format=fmt)
    plt.close(fig)
    return buffer.getvalue()
