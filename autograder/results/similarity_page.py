"""similarity.html: the pairs at or above the threshold, side by side, the matching code highlighted.

One self-contained page like the gradebook (html_report.page: no script, a policy that lets none
run). Everything from a submission (its code, names, file names, errors) is escaped.
"""
import html

import numpy as np

from .html_report import page, table
from .fingerprint import matching_code

MAX_SHOWN = 100  # pairs shown side by side; pairs.csv has every pair
STYLE = """
.pair { display: grid; grid-template-columns: 1fr 1fr; gap: 12px; }
.pair pre { font-size: 12px; margin: 0; }
mark { background: #ffd76e; }
"""


def highlighted(text, slices):
    """`text` escaped, its matching passages ((starts, ends) character offsets) in <mark>."""
    if len(slices) != 2 or not np.size(slices[0]):
        return html.escape(text, quote=False)
    spans = sorted(zip(np.clip(slices[0], 0, len(text)).tolist(), np.clip(slices[1], 0, len(text)).tolist()))
    out, cursor = [], 0
    for start, end in spans:
        start = max(start, cursor)
        if end <= start:
            continue
        out += [html.escape(text[cursor:start], quote=False), "<mark>",
                html.escape(text[start:end], quote=False), "</mark>"]
        cursor = end
    out.append(html.escape(text[cursor:], quote=False))
    return "".join(out)


def who(submission):
    names = "; ".join(name for name, _ in submission.submitters)
    return f"{submission.name} ({names})" if names else submission.name


def problems(submissions):
    """Rows (submission, what could not be compared) for submissions not read whole."""
    rows = []
    for submission in submissions:
        code = submission.code
        if code.error:
            rows.append((submission.name, code.error))
        rows += [(submission.name, why) for why in code.unreadable.values()]
        rows += [(submission.name, f"{name} is {size:,} bytes, too large to read as code")
                 for name, size in code.oversized.items()]
    return rows


def similarity_page(submissions, pairs, threshold):
    """The page: what was compared, the pairs at or above `threshold`, each side by side."""
    shown = [pair for pair in pairs if pair.similarity >= threshold]
    past = sum(s.past for s in submissions)
    body = [f"<h1>HW6 similarity: {len(submissions) - past} submissions"
            + (f" and {past} from past terms" if past else "") + "</h1>",
            f"<p>Pairs with code in common: {len(pairs)}; <b>at or above the threshold of {threshold:g}: "
            f"{len(shown)}</b> (<code>[integrity] similarity_threshold</code> in the config)"
            + (f"; the first {MAX_SHOWN} are shown" if len(shown) > MAX_SHOWN else "")
            + ". Similarity is the share of both submissions' own code (their TODO definitions and helpers, "
            "the stencil's code left out) in matching passages, names and comments ignored. It is a reason "
            "to read the code, not a finding; no score depends on it.</p>"]
    trouble = problems(submissions)
    if trouble:
        body += ["<h2>Not compared in full</h2>", table(("submission", "why"), trouble)]
    rows = [(("html", f'<a href="#pair-{index}">{index}</a>'), who(pair.a), who(pair.b), round(pair.similarity, 3))
            for index, pair in enumerate(shown[:MAX_SHOWN], 1)]
    body.append(table(("pair", "submission A", "submission B", "similarity"), rows))
    for index, pair in enumerate(shown[:MAX_SHOWN], 1):
        parts = matching_code(pair.a.fingerprint, pair.b.fingerprint)
        columns = "".join(f"<div><h3>{html.escape(who(side))}</h3><pre>{highlighted(side.fingerprint.raw_code, part)}"
                          f"</pre></div>" for side, part in zip((pair.a, pair.b), parts))
        body.append(f'<section id="pair-{index}"><h2>{index}. {html.escape(pair.a.name)} and '
                    f'{html.escape(pair.b.name)}: {pair.similarity:.2f}</h2>\n<div class="pair">{columns}</div></section>')
    return page("HW6 similarity", "\n".join(body), style=STYLE)
