"""Do the pages work in a real browser? Headless Chromium renders the hostile-xss sample's report
(grade-all writes it as `grade --html` does), its group's gradebook.html and the group's
similarity page (its code beside its near-copies), from the samples graded once per session
(conftest.graded_samples), so no model is trained for this test.

Skipped when Chromium is missing (Debian: apt-get install chromium; .ci/run installs it as root).
Set HW6_SCREENSHOTS=DIR to keep the screenshots.
"""
import html
import json
import os
import re
import shutil
import subprocess

import numpy as np
import pytest

from autograder.results import html_report
from test_hostile_samples import pages_of

CHROMIUM = next(filter(None, map(shutil.which, ("chromium", "chromium-browser", "google-chrome"))), None)
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed (apt-get install chromium)")

# Appended to a copy of the page, with a policy that lets this one script run: once the page has
# loaded, it reports what the browser made of it.
PROBE = """<script nonce="probe">addEventListener("load", () => {
  const handlers = [...document.querySelectorAll("*")].filter(e => [...e.attributes].some(a => a.name.startsWith("on")));
  const probe = document.createElement("pre");
  probe.id = "probe";
  probe.textContent = JSON.stringify({title: document.title, scripts: document.scripts.length, handlers: handlers.length,
    images: [...document.images].map(i => [i.complete, i.naturalWidth, i.naturalHeight])});
  document.body.append(probe);
});</script>"""


def chromium(*args):
    command = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--no-first-run", *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=120)


def probe(page, tmp_path):
    """What Chromium made of `page` once loaded: its title, scripts, event handlers and images."""
    text = page.read_text()
    policy = html_report.CSP + "; script-src 'nonce-probe'"
    probed = tmp_path / f"probed-{page.name}"
    probed.write_text(text.replace(html_report.CSP, policy, 1).replace("</body>", PROBE + "</body>"))
    dom = chromium("--virtual-time-budget=10000", "--dump-dom", probed.as_uri())
    found = re.search(r'<pre id="probe">(.*?)</pre>', dom.stdout, re.S)
    assert found, dom.stdout[-2000:] + dom.stderr[-2000:]
    return json.loads(html.unescape(found.group(1)))


def screenshot(page, tmp_path):
    """A screenshot of `page` as an RGB array (kept in $HW6_SCREENSHOTS if set)."""
    from PIL import Image
    shot = tmp_path / f"{page.stem}.png"
    chromium("--window-size=1280,2600", f"--screenshot={shot}", page.as_uri())
    if os.environ.get("HW6_SCREENSHOTS"):
        shutil.copy(shot, os.path.join(os.environ["HW6_SCREENSHOTS"], f"{page.parent.name}-{shot.name}"))
    return np.asarray(Image.open(shot).convert("RGB"))


@pytest.mark.parametrize("which", ["report", "gradebook", "similarity"])
def test_page_renders_its_figures_and_runs_nothing(graded_samples, tmp_path, which):
    """In Chromium, is every image of the page decoded (naturalWidth > 0), does the page keep its
    title, with no script but the probe and no event handler (so none of the student's markup ran),
    and does the screenshot show more than a blank page?"""
    graded_samples["hostile-xss"]  # skips when the sample was not graded
    page = pages_of(graded_samples, "hostile-xss")[["report", "gradebook", "similarity"].index(which)]
    seen = probe(page, tmp_path)
    expected_images = page.read_text().count("<img ")
    # report: 6.1's two figures (the CVAE died); gradebook: its three charts; similarity: code only
    assert expected_images >= 2 if which != "similarity" else expected_images == 0
    assert len(seen["images"]) == expected_images
    assert all(complete and width > 0 and height > 0 for complete, width, height in seen["images"]), seen
    assert seen["title"] == html.unescape(re.search(r"<title>(.*?)</title>", page.read_text()).group(1))
    assert seen["scripts"] == 1 and seen["handlers"] == 0, seen
    pixels = screenshot(page, tmp_path)
    ink = (pixels.min(axis=2) < 200).mean()  # text, tables and figures, on a white page
    assert ink > 0.01, ink
