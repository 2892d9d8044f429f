"""An item's feedback as HTML for Gradescope: its plain-text message, escaped, then its figures.

Gradescope renders a test's output as HTML when its output_format is "html". The message comes
first, in a <pre>, so the output still reads as text where HTML is not rendered, and
plain_text() gets it back exactly (the terminal table, the CSV). Everything in the message may
come from the student (printed output, exception messages), so it is always html.escape()d;
figures are PNGs the grader drew (figures.py), embedded as base64 data URIs.
"""
import base64
import html
import re

PRE = re.compile(r"<pre[^>]*>(.*?)</pre>", re.S)


def image_tag(figure, style=""):
    data = base64.b64encode(figure.png).decode("ascii")
    return (f'<img src="data:image/png;base64,{data}" alt="{html.escape(figure.alt)}"'
            + (f' style="{style}"' if style else "") + ">")


def figure_html(figure):
    """One figure: the image, and the caption that says how to read it."""
    caption = f"<br><small>{html.escape(figure.caption, quote=False)}</small>" if figure.caption else ""
    return (f'<div style="display:inline-block;vertical-align:top;max-width:760px;margin:6px 14px 6px 0">'
            f'{image_tag(figure, "max-width:100%")}{caption}</div>')


def item_html(text, figures=(), note=""):
    """An item's output: `text` escaped in a <pre>, then each figure, then `note` (the grader's)."""
    parts = [f'<pre style="white-space:pre-wrap">{html.escape(text, quote=False)}</pre>']
    parts += [figure_html(f) for f in figures]
    if note:
        parts.append(f"<p><small>{html.escape(note, quote=False)}</small></p>")
    return "\n".join(parts)


def plain_text(test):
    """A result's message as plain text, whether its output is text or item_html's HTML."""
    output = test.get("output") or ""
    if test.get("output_format") != "html":
        return output
    match = PRE.search(output)
    return html.unescape(match.group(1)) if match else ""
