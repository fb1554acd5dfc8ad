"""MkDocs hook: publish the repository files that the guide links to from outside docs/.

The guide's pages link to files beside docs/ the way GitHub resolves them (`../benchmarks/results/README.md`,
`../examples/keras3_mobilenet_v2.py`). MkDocs only knows the files under docs/, so this hook adds the folders
in PUBLISHED to the site under their repository paths (benchmarks/results/README.md becomes the page
benchmarks/results/) and rewrites each link that leaves docs/ to the same file's place in the site. A link to
anything else outside docs/, or to a file that does not exist, is left as written, so that
`mkdocs build --strict` still fails on it.
"""
import os
import posixpath
import re

from mkdocs.structure.files import File

PUBLISHED = ("benchmarks/results", "examples")

_LINK = re.compile(r"\]\((\.\./[^)\s#]+)(#[^)\s]*)?\)")


def _root(config) -> str:
    return os.path.dirname(os.path.abspath(config["docs_dir"]))


def on_files(files, config):
    root = _root(config)
    for folder in PUBLISHED:
        for directory, _, names in os.walk(os.path.join(root, folder)):
            for name in sorted(names):
                path = os.path.join(directory, name)
                files.append(File(os.path.relpath(path, root).replace(os.sep, "/"), root, config["site_dir"],
                                  config["use_directory_urls"]))
    return files


def on_page_markdown(markdown, page, config, files):
    page_dir = posixpath.dirname(page.file.src_uri)
    depth = len(page_dir.split("/")) if page_dir else 0

    def rewrite(match):
        target = posixpath.normpath(posixpath.join("docs", page_dir, match.group(1)))
        if not target.startswith(PUBLISHED) or files.get_file_from_path(target) is None:
            return match.group(0)
        return "](" + "../" * depth + target + (match.group(2) or "") + ")"

    return _LINK.sub(rewrite, markdown)
