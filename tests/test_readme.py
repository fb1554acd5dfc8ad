"""The README is the front door: short, and every relative link in it leads somewhere (issue 31).

The user guide under docs/ is checked by `mkdocs build --strict` in .ci/run; the README is not part of that
site, so its links are checked here, anchors included (as Python-Markdown's toc extension names headings).
"""
import re
import unicodedata
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
MAX_LINES = 200

_LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)")
_FENCE = re.compile(r"^```.*?^```", re.S | re.M)


def relative_links(text: str):
    """The link targets of a Markdown text outside code blocks that are neither URLs nor in-page anchors."""
    for target in _LINK.findall(_FENCE.sub("", text)):
        if not re.match(r"^[a-z][a-z0-9+.-]*:", target) and not target.startswith("#"):
            yield target


def slug(heading: str) -> str:
    """A heading's anchor as Python-Markdown's toc extension (MkDocs) and GitHub name it, for plain headings."""
    text = unicodedata.normalize("NFKD", heading).encode("ascii", "ignore").decode()
    text = re.sub(r"[^\w\s-]", "", text).strip().lower()
    return re.sub(r"[-\s]+", "-", text)


def anchors(markdown_file: Path):
    text = _FENCE.sub("", markdown_file.read_text(encoding="utf-8"))
    return {slug(match) for match in re.findall(r"^#{1,6}\s+(.+?)\s*#*\s*$", text, re.M)}


def broken_links(markdown_file: Path):
    broken = []
    for target in relative_links(markdown_file.read_text(encoding="utf-8")):
        path, _, anchor = target.partition("#")
        resolved = (markdown_file.parent / path).resolve()
        if not resolved.exists():
            broken.append(f"{target} (no such file)")
        elif anchor and resolved.suffix == ".md" and anchor not in anchors(resolved):
            broken.append(f"{target} (no heading with that anchor)")
    return broken


def test_readme_stays_a_front_door():
    lines = README.read_text(encoding="utf-8").count("\n")
    assert lines <= MAX_LINES, f"README.md has {lines} lines (at most {MAX_LINES}): move the detail to docs/"


def test_every_relative_link_in_the_readme_leads_to_a_file():
    assert list(relative_links(README.read_text(encoding="utf-8"))), "README.md links to no file at all"
    assert broken_links(README) == []


def test_a_broken_link_or_anchor_is_found(tmp_path):
    (tmp_path / "guide.md").write_text("# Guide\n\n## Several workers, one grid\n", encoding="utf-8")
    page = tmp_path / "page.md"
    page.write_text("[ok](guide.md#several-workers-one-grid) [site](https://example.org/x.md) [top](#top)\n"
                    "[gone](missing.md) [wrong](guide.md#reliability)\n```\n[in code](nowhere.md)\n```\n",
                    encoding="utf-8")
    assert broken_links(page) == ["missing.md (no such file)", "guide.md#reliability (no heading with that anchor)"]
