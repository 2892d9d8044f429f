"""Do the docs hold together: a short README, and links that reach a file and a heading that exist?"""
import re

import pytest

from conftest import ROOT

DOCS = [ROOT / "README.md", ROOT / "hw6" / "HANDOUT.md", *sorted((ROOT / "docs").glob("*.md"))]
LINK = re.compile(r"\]\(([^)\s]+)\)")


def anchor(heading):
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def anchors(path):
    """The anchors of a Markdown file's headings; a "# comment" in a code block is no heading."""
    found, in_code = set(), False
    for line in path.read_text().splitlines():
        in_code ^= line.startswith("```")
        if line.startswith("#") and not in_code:
            found.add(anchor(line.lstrip("#")))
    return found


def test_readme_is_short():
    """Is the README at most 150 lines, with the rest in docs/ and hw6/HANDOUT.md?"""
    assert len((ROOT / "README.md").read_text().splitlines()) <= 150


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_links_resolve(doc):
    """Does every relative link in the doc reach a file, and its #anchor a heading of that file?"""
    broken = []
    for target in LINK.findall(doc.read_text()):
        if re.match(r"[a-z]+:", target):
            continue  # http:, mailto: ...: not ours to check offline
        file, _, fragment = target.partition("#")
        path = (doc.parent / file).resolve() if file else doc
        if not path.exists() or (fragment and path.suffix == ".md" and fragment not in anchors(path)):
            broken.append(target)
    assert not broken, broken
