"""The README extractor finds shell and Python blocks per section and honours the norun and file markers."""

from __future__ import annotations

from pathlib import Path

from tests.e2e.readme import sections

SAMPLE = """# Title

```sh
echo top
```

## First

<!-- norun: needs a real AWS account -->
```sh
aws ses send-email
```

Some text.

```console
$ sesflow --version
sesflow 0.1.0
```

## Second

<!-- file: ~/.sesflow/env.yaml -->
```yaml
connections: {}
```

```yaml
not: run
```

```python
print("hi")
```
"""


def test_blocks_are_grouped_by_section_with_their_markers(tmp_path: Path) -> None:
    readme = tmp_path / "README.md"
    readme.write_text(SAMPLE, encoding="utf-8")
    found = {s.title: s.blocks for s in sections(readme)}
    assert list(found) == ["top", "First", "Second"]
    assert found["top"][0].commands() == "echo top\n"
    skipped, console = found["First"]
    assert skipped.norun and not skipped.runnable
    assert console.kind == "shell" and console.commands() == "sesflow --version"
    written, other, python = found["Second"]
    assert written.kind == "file" and written.file == "~/.sesflow/env.yaml" and written.runnable
    assert other.kind == "other" and not other.runnable
    assert python.kind == "python" and python.text == 'print("hi")\n'


def test_a_marker_only_applies_to_the_block_right_after_it(tmp_path: Path) -> None:
    readme = tmp_path / "README.md"
    readme.write_text("## S\n\n<!-- norun -->\nA paragraph.\n\n```sh\necho yes\n```\n", encoding="utf-8")
    (block,) = sections(readme)[0].blocks
    assert not block.norun
