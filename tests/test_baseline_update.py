"""Updating the baseline adds and removes entries and leaves every other byte alone."""

from __future__ import annotations

import datetime
from pathlib import Path

import pytest

from pytest_devsecops.core.baseline import Baseline, Entry, parse
from pytest_devsecops.core.baseline_update import render, scalar

HAND_EDITED = """\
# Our accepted risks. Reviewed quarterly.
version: 1
findings:
  # shell call: only ever given constants
  - fingerprint: "bbbbbbbbbbbbbbbbbbbbbbbb"
    scanner: bandit
    rule: B602
    path: app/b.py
    title: shell
    severity: high
    reason: 'yes: café owner said so'   # keep this comment
    owner: ann
    expires: 2031-05-01

  - fingerprint: "dddddddddddddddddddddddd"
    scanner: bandit
    rule: B324
    path: app/d.py
    title: md5
    severity: high
    reason: on
    owner: bob
    expires:
# trailing comment
"""


def entry(fingerprint: str, path: str) -> Entry:
    return Entry(fingerprint=fingerprint * 24, scanner="bandit", rule="B101", path=path, title="t")


def load(text: str, tmp_path: Path) -> Baseline:
    return parse(tmp_path / "b.yml", text.encode())


def test_a_new_file_is_sorted_without_timestamps_or_line_numbers(tmp_path: Path) -> None:
    text = render(Baseline(path=tmp_path / "b.yml"), [entry("c", "z.py"), entry("a", "a.py")], [])
    reloaded = load(text, tmp_path)
    assert [e.path for e in reloaded.entries] == ["a.py", "z.py"]
    assert "line" not in text.replace("baseline", "")
    assert str(datetime.date.today().year) not in text


def test_untouched_entries_and_comments_survive_byte_for_byte(tmp_path: Path) -> None:
    baseline = load(HAND_EDITED, tmp_path)
    text = render(baseline, [entry("c", "app/c.py")], [])
    assert text.replace(render_entry_lines(text, "c" * 24), "") == HAND_EDITED
    assert [e.path for e in load(text, tmp_path).entries] == ["app/b.py", "app/c.py", "app/d.py"]


def render_entry_lines(text: str, fingerprint: str) -> str:
    lines = text.splitlines(keepends=True)
    start = next(i for i, line in enumerate(lines) if fingerprint in line)
    end = start + 1
    while end < len(lines) and lines[end].startswith("    "):
        end += 1
    return "".join(lines[start:end])


def test_removing_an_entry_takes_its_own_comment_and_nothing_else(tmp_path: Path) -> None:
    baseline = load(HAND_EDITED, tmp_path)
    text = render(baseline, [], ["b" * 24])
    assert "shell call" not in text
    assert "# Our accepted risks" in text
    assert "# trailing comment" in text
    assert text.endswith(HAND_EDITED.split("\n\n", 1)[1])


def test_crlf_files_stay_crlf(tmp_path: Path) -> None:
    crlf = HAND_EDITED.replace("\n", "\r\n")
    text = render(load(crlf, tmp_path), [entry("c", "app/c.py")], [])
    assert "\n" not in text.replace("\r\n", "")
    assert text.startswith(crlf.split("\r\n\r\n", 1)[0])


def test_an_empty_list_grows_into_block_style(tmp_path: Path) -> None:
    text = render(load("version: 1\nfindings: []\n", tmp_path), [entry("a", "a.py")], [])
    assert [e.fingerprint for e in load(text, tmp_path).entries] == ["a" * 24]


def test_a_flow_style_list_is_refused_rather_than_rewritten(tmp_path: Path) -> None:
    flow = 'version: 1\nfindings: [{fingerprint: "' + "a" * 24 + '", scanner: b, rule: r}]\n'
    with pytest.raises(Exception, match="flow style"):
        render(load(flow, tmp_path), [entry("c", "c.py")], [])


@pytest.mark.parametrize(
    "value", ["on", "no", "null", "12", "1e3", "", "a: b", "# x", "\x1b[2J", "é"]
)
def test_scalars_read_back_as_the_same_string(value: str, tmp_path: Path) -> None:
    text = f'version: 1\nfindings:\n  - fingerprint: "{"a" * 24}"\n    scanner: s\n    rule: r\n'
    text += f"    reason: {scalar(value)}\n"
    assert load(text, tmp_path).entries[0].reason == value
