"""Pull the runnable snippets out of README.md, section by section.

Rules (also stated in the README's "Development" section):
- fenced blocks tagged ``sh``, ``bash``, ``shell`` or ``console`` are shell; in ``console`` blocks only lines
  starting with ``$ `` are commands. Blocks tagged ``python`` or ``py`` are Python. Others are not run.
- an HTML comment ``<!-- norun -->`` (or ``<!-- norun: why -->``) on the line(s) just before a fence keeps
  that block from running (it needs a real AWS account, or is only illustrative);
- ``<!-- file: PATH -->`` before a block writes the block's text to PATH instead of running it (for the
  YAML files the commands after it read; ``~/`` is the test's home folder);
- the blocks of one ``##`` section run in order in one working folder.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

FENCE = re.compile(r"^(?P<indent> {0,3})(?P<fence>`{3,}|~{3,})\s*(?P<lang>[\w+-]*)[^\n]*$")
MARKER = re.compile(r"^\s*<!--\s*(?P<name>norun|file)\s*(?::\s*(?P<arg>.*?))?\s*-->\s*$")
SHELL = {"sh", "bash", "shell", "console", "zsh"}
PYTHON = {"python", "py", "python3"}


@dataclass(frozen=True)
class Block:
    """One fenced block: where it is, what language, its text, and the markers before it."""

    line: int
    lang: str
    text: str
    norun: bool = False
    file: str | None = None

    @property
    def kind(self) -> str:
        """``shell``, ``python``, ``file`` or ``other``."""
        if self.file:
            return "file"
        if self.lang in SHELL:
            return "shell"
        if self.lang in PYTHON:
            return "python"
        return "other"

    @property
    def runnable(self) -> bool:
        """Whether the README test executes (or writes) this block."""
        return not self.norun and self.kind != "other"

    def commands(self) -> str:
        """The shell script to run: the block, or its ``$ `` lines for a console block."""
        if self.lang != "console":
            return self.text
        return "\n".join(line[2:] for line in self.text.splitlines() if line.startswith("$ "))


@dataclass
class Section:
    """A ``##`` section of the README and its blocks, in order."""

    title: str
    line: int
    blocks: list[Block] = field(default_factory=list)

    @property
    def slug(self) -> str:
        """A test id for the section."""
        return re.sub(r"[^a-z0-9]+", "-", self.title.lower()).strip("-") or "top"


def sections(path: Path) -> list[Section]:
    """The README's sections with their fenced blocks and markers."""
    lines = path.read_text(encoding="utf-8").splitlines()
    found = [Section("top", 1)]
    markers: dict[str, str | None] = {}
    i = 0
    while i < len(lines):
        line = lines[i]
        opening = FENCE.match(line)
        if line.startswith("## ") and not opening:
            found.append(Section(line[3:].strip(), i + 1))
            markers = {}
        elif (marker := MARKER.match(line)) is not None:
            markers[marker["name"]] = marker["arg"]
        elif opening:
            fence = opening["fence"]
            body: list[str] = []
            i += 1
            while i < len(lines) and not lines[i].strip().startswith(fence):
                body.append(lines[i])
                i += 1
            found[-1].blocks.append(
                Block(
                    line=i + 1 - len(body),
                    lang=opening["lang"].lower(),
                    text="\n".join(body) + "\n",
                    norun="norun" in markers,
                    file=markers.get("file") if "file" in markers else None,
                )
            )
            markers = {}
        elif line.strip():
            markers = {}
        i += 1
    return [section for section in found if section.blocks]
