"""The project cites only files of its own repository."""

import os
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SKIPPED = {".git", ".venv", "node_modules", "staticfiles", "test-artifacts", "backups"}
TEXT = {".py", ".html", ".txt", ".md", ".toml", ".cfg", ".css", ".js", ".example", ""}
# A document or map data cited by name; URLs are not files of ours.
CITED = re.compile(r"(?<![\w/.:-])((?:[\w-]+/)*[\w-]+\.(?:md|geojson))\b")


def project_files():
    for folder, subfolders, files in os.walk(ROOT):
        # Hidden folders are tools' caches, except the CI script's.
        subfolders[:] = [
            name
            for name in subfolders
            if name not in SKIPPED and (name == ".ci" or not name.startswith("."))
        ]
        for name in files:
            path = Path(folder) / name
            if path == Path(__file__).resolve():
                continue  # its own examples
            if path.suffix in TEXT or name == "Makefile":
                yield path


def cited_files(text):
    return {name for name in CITED.findall(text) if "://" not in name}


def test_the_citation_finder_finds_a_file_name_and_ignores_addresses():
    text = "see DESIGN.md and docs/benchmarks.md, not https://example.org/LO.md"
    assert cited_files(text) == {"DESIGN.md", "docs/benchmarks.md"}


def test_every_file_the_project_cites_is_in_the_project():
    names = {path.name for path in project_files()}
    missing = []
    for path in project_files():
        for cited in cited_files(path.read_text(encoding="utf-8", errors="replace")):
            if not (ROOT / cited).exists() and Path(cited).name not in names:
                missing.append(f"{path.relative_to(ROOT)}: {cited}")
    assert missing == []
