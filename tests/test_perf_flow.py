"""Flow re-runs encode only what changed: unchanged chapters keep their master, MP3 and AAC."""
from __future__ import annotations

import hashlib
from collections import Counter

import pytest
from mutagen.mp4 import MP4

import flows.tasks as t
from flows.produce import produce_book, rerender_changed

pytestmark = pytest.mark.usefixtures("prefect_server")


def _count(monkeypatch) -> Counter:
    calls: Counter = Counter()
    for name in ("master_chapter", "export_mp3", "encode_aac"):
        real = getattr(t, name)

        def wrapper(*args, _real=real, _name=name, **kwargs):
            calls[_name] += 1
            return _real(*args, **kwargs)

        monkeypatch.setattr(t, name, wrapper)
    return calls


def _sha(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_rerun_and_edit_encode_only_the_changed_chapter(tiny_project, monkeypatch):
    root = tiny_project()
    calls = _count(monkeypatch)
    produce_book(str(root), publish=False)
    assert calls == Counter({"master_chapter": 2, "export_mp3": 2, "encode_aac": 2})
    masters = root / "build" / "masters"
    before = {p.name: _sha(p) for p in masters.iterdir() if p.is_file()}
    again = produce_book(str(root), publish=False)
    assert again["chapters"] == [1, 2]
    assert calls == Counter({"master_chapter": 2, "export_mp3": 2, "encode_aac": 2})
    assert {p.name: _sha(p) for p in masters.iterdir() if p.is_file()} == before
    md = root / "manuscript" / "02.md"
    md.write_text(md.read_text(encoding="utf-8").replace("It ends soon.", "It ends very soon."), encoding="utf-8")
    edited = produce_book(str(root), publish=False)
    assert (edited["synthesized"], edited["cached"]) == (1, 5)
    assert calls == Counter({"master_chapter": 3, "export_mp3": 3, "encode_aac": 3})
    assert _sha(masters / "01-one.mp3") == before["01-one.mp3"]
    assert _sha(masters / "02-two.mp3") != before["02-two.mp3"]
    book = MP4(masters / "tiny-book.m4b")
    assert [c.title for c in book.chapters] == ["One", "Two"]
    assert len(book.tags["covr"]) == 1
    assert len(list((root / "build" / "aac").glob("*.aac"))) == 2
    assert rerender_changed(str(root))["chapters"] == []
