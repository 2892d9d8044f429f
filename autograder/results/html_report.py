"""Standalone HTML pages of grading results: one submission's report, and a class's gradebook.

    python -m autograder grade DIR --html report.html     # one submission (report_page)
    python -m autograder grade-all SRC --out book.csv      # also book.html, and NAME.report.html each

Each page is one self-contained file: inline CSS, figures as PNG data URIs, no script, and a
Content-Security-Policy that lets none run and nothing load. Text from a submission (messages,
file and student names) is escaped; an item's HTML output is the grader's own (feedback.item_html).
"""
import html
import os
from pathlib import Path
from urllib.parse import quote

import numpy as np

from . import feedback, figures

CSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'"
MAX_BARS = 40  # submissions in the grading-time bar chart; a larger class gets a histogram
STYLE = """
body { font: 14px/1.45 system-ui, sans-serif; margin: 24px auto; max-width: 1100px; padding: 0 16px; color: #222; }
table { border-collapse: collapse; margin: 8px 0 20px; }
th, td { border-bottom: 1px solid #ddd; padding: 3px 10px 3px 0; text-align: left; vertical-align: top; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
tr.lost td { color: #a00; }
pre { background: #f6f6f6; padding: 8px; overflow-x: auto; white-space: pre-wrap; }
section { border-top: 1px solid #ccc; margin-top: 18px; }
h2 { font-size: 16px; }
"""


def page(title, body, style=""):
    """A self-contained page: `body` (HTML) under the shared STYLE and `style` (the page's own CSS)."""
    return (f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
            f'<meta http-equiv="Content-Security-Policy" content="{CSP}">'
            f"<title>{html.escape(title)}</title><style>{STYLE}{style}</style></head>\n<body>\n{body}\n</body></html>\n")


def table(header, rows, classes=None):
    """An HTML table; cells are escaped unless given as ("html", markup); numbers align right."""
    def cell(value, tag):
        if isinstance(value, tuple) and value[0] == "html":
            return f"<{tag}>{value[1]}</{tag}>"
        number = isinstance(value, (int, float)) and not isinstance(value, bool)
        text = f"{value:g}" if number else html.escape(str(value))
        return f'<{tag} class="num">{text}</{tag}>' if number else f"<{tag}>{text}</{tag}>"
    lines = ["<table>", "<tr>" + "".join(cell(h, "th") for h in header) + "</tr>"]
    for index, row in enumerate(rows):
        css = f' class="{classes[index]}"' if classes and classes[index] else ""
        lines.append(f"<tr{css}>" + "".join(cell(v, "td") for v in row) + "</tr>")
    return "\n".join(lines + ["</table>"])


def item_body(test):
    """An item's output as HTML: the grader's own HTML as it is, any other text escaped."""
    if test.get("output_format") == "html":
        return test.get("output", "")
    return f"<pre>{html.escape(test.get('output', ''))}</pre>" if test.get("output") else ""


def last_line(test):
    lines = feedback.plain_text(test).strip().splitlines()
    return lines[-1] if lines else ""


def anchor(test):
    return "item-" + quote(str(test.get("number") or test.get("name", "")), safe="")


def report_page(results, title):
    """One submission's results as a page: the total, the rubric table, then every item."""
    tests = results.get("tests", [])
    total = sum(t.get("max_score", 0) for t in tests)
    rows = [(("html", f'<a href="#{anchor(t)}">{html.escape(str(t.get("number", "")))}</a>'), t.get("name", ""),
             t.get("score", 0), t.get("max_score", 0), last_line(t)) for t in tests]
    lost = ["lost" if t.get("score", 0) < t.get("max_score", 0) or t.get("status") == "failed" else "" for t in tests]
    sections = [f'<section id="{anchor(t)}"><h2>{html.escape(str(t.get("number", "")))} '
                f'{html.escape(t.get("name", ""))}: {t.get("score", 0):g} / {t.get("max_score", 0):g}</h2>'
                f"\n{item_body(t)}</section>" for t in tests]
    body = [f"<h1>HW6 autograder: {html.escape(title)}</h1>",
            f"<p><b>Total: {results.get('score', 0):g} / {total:g}</b> &middot; graded in "
            f"{float(results.get('execution_time', 0) or 0):.0f} s</p>",
            f"<pre>{html.escape(results.get('output', ''))}</pre>",
            table(("item", "name", "points", "max", "message"), rows, lost), *sections]
    return page(f"HW6 autograder: {title}", "\n".join(body))


def write_report(results, path, title):
    """Write report_page(results) to path; return the path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(report_page(results, title), encoding="utf-8")
    return path


def gradebook_page(graded, numbers, out_dir, similarity=None):
    """A class at a glance. graded: [(entry, results or None, status)] (gradebook.py); numbers: the items;
    similarity: the path of the class's similarity page, to link.

    A histogram of the totals, each item's pass rate (full marks), the grading time of each
    submission, and a table linking each submission's report, with its integrity flags (for staff,
    never scored: results' extra_data, evidence/integrity.py).
    """
    done = [(entry, results) for entry, results, status in graded if status == "graded"]
    charts = []
    if done:
        totals = [r.get("score", 0) for _, r in done]
        most = max(sum(t.get("max_score", 0) for t in r.get("tests", [])) for _, r in done)
        charts.append(figures.histogram(totals, bins=20, xlabel="total score", title="Total scores",
                                        span=(0, max(most, *totals, 1))))
        rates = [100 * np.mean([passed(r, n) for _, r in done]) for n in numbers]
        charts.append(figures.bar_chart(numbers, rates, "% of graded submissions with full marks",
                                        "Pass rate per item", limit=100))
        seconds = [float(r.get("execution_time", 0) or 0) for _, r in done]
        if len(done) <= MAX_BARS:
            charts.append(figures.bar_chart([e.id for e, _ in done], seconds, "seconds", "Grading time per submission"))
        else:  # one bar each would not be readable; the table has every submission's time
            charts.append(figures.histogram(seconds, bins=20, xlabel="seconds", title="Grading time per submission"))
    rows = []
    for entry, results, status in graded:
        report = os.path.relpath(entry.report, out_dir)
        link = (("html", f'<a href="{html.escape(quote(report))}">{html.escape(entry.id)}</a>')
                if results is not None and entry.report.exists() else entry.id)
        rows.append((link, "; ".join(n for n, _ in entry.submitters), results.get("score", 0) if results else "",
                     float(results.get("execution_time", 0) or 0) if results else "", status,
                     "; ".join(flags_of(results))))
    body = [f"<h1>HW6 gradebook: {len(graded)} submissions, {len(done)} graded</h1>"]
    if similarity is not None:
        href = html.escape(quote(os.path.relpath(similarity, out_dir)))
        body.append(f'<p><a href="{href}">Similarity across the class</a> (for staff: no score depends on it).</p>')
    flagged = sum(bool(flags_of(results)) for _, results, _ in graded)
    body += [*(feedback.figure_html(chart) for chart in charts),
             f"<p>Integrity flags (for staff, never scored; each log says what was checked): {flagged} of "
             f"{len(graded)} submissions.</p>",
             table(("submission", "names", "total", "seconds", "status", "integrity flags"), rows,
                   ["" if status == "graded" else "lost" for _, _, status in graded])]
    return page("HW6 gradebook", "\n".join(body))


def flags_of(results):
    """The integrity flags grading stored in results (extra_data), or []."""
    flags = ((results or {}).get("extra_data") or {}).get("flags") or []
    return [str(flag) for flag in flags] if isinstance(flags, list) else []


def passed(results, number):
    test = next((t for t in results.get("tests", []) if t.get("number") == number), None)
    return test is not None and test.get("score", 0) >= test.get("max_score", 0)
