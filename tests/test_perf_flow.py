"""Flow re-runs encode only what changed: unchanged chapters keep their master, MP3 and AAC."""

from __future__ import annotations

import hashlib
import json
import time
from collections import Counter

import pytest
from mutagen.mp4 import MP4

from lector.core.pipeline import exports, master
from lector.flows.produce import produce_book, rerender_changed

pytestmark = pytest.mark.usefixtures("prefect_server")


def _count(monkeypatch) -> Counter:
    """Calls of assemble_chapter (stitch + master of a chapter) and blocks run through the encoders."""
    calls: Counter = Counter()
    real_assemble, real_encode, real_aac = (
        master.assemble_chapter,
        exports.encode_chapter_blocks,
        exports.encode_aac,
    )

    def assemble(*args, **kwargs):
        calls["assemble_chapter"] += 1
        return real_assemble(*args, **kwargs)

    def encode(block_dir, blocks, codec, **kwargs):
        frames, encoded = real_encode(block_dir, blocks, codec, **kwargs)
        calls[f"{codec}_blocks"] += encoded
        return frames, encoded

    def whole_aac(*args, **kwargs):
        calls["encode_aac"] += 1
        return real_aac(*args, **kwargs)

    monkeypatch.setattr(master, "assemble_chapter", assemble)
    monkeypatch.setattr(exports, "encode_chapter_blocks", encode)
    monkeypatch.setattr(exports, "encode_aac", whole_aac)
    return calls


def _sha(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_rerun_and_edit_encode_only_the_changed_paragraph(tiny_project, monkeypatch):
    root = tiny_project()
    calls = _count(monkeypatch)
    produce_book(str(root), publish=False)
    # two chapters x (title block + one paragraph block), each encoded once as MP3 and once as AAC
    assert calls == Counter({"assemble_chapter": 2, "mp3_blocks": 4, "aac_blocks": 4})
    masters = root / "build" / "masters"
    before = {p.name: _sha(p) for p in masters.iterdir() if p.is_file()}
    again = produce_book(str(root), publish=False)
    assert again["chapters"] == [1, 2]
    assert calls == Counter({"assemble_chapter": 2, "mp3_blocks": 4, "aac_blocks": 4})
    assert {p.name: _sha(p) for p in masters.iterdir() if p.is_file()} == before
    md = root / "manuscript" / "02.md"
    md.write_text(
        md.read_text(encoding="utf-8").replace("It ends soon.", "It ends very soon."), encoding="utf-8"
    )
    edited = produce_book(str(root), publish=False)
    assert (edited["synthesized"], edited["cached"]) == (1, 5)
    # chapter 2 only, and in it only the edited paragraph: the previous recipe held
    assert calls == Counter({"assemble_chapter": 3, "mp3_blocks": 5, "aac_blocks": 5})
    master_doc = json.loads((root / "build" / "chapters" / "02" / "master.json").read_text(encoding="utf-8"))
    assert master_doc["notes"] == ["kept the previous mastering recipe: 1 of 2 block(s) re-mastered"]
    manifest = json.loads((root / "build" / "manifest.json").read_text(encoding="utf-8"))
    assert [(c["index"], c["recipe_kept"]) for c in manifest["chapters"]] == [(1, False), (2, True)]
    assert manifest["chapters"][1]["master_id"] == master_doc["master_id"]
    assert _sha(masters / "01-one.mp3") == before["01-one.mp3"]
    assert _sha(masters / "02-two.mp3") != before["02-two.mp3"]
    book = MP4(masters / "tiny-book.m4b")
    assert [c.title for c in book.chapters] == ["One", "Two"]
    assert len(book.tags["covr"]) == 1
    assert list((root / "build" / "aac").glob("*.aac")) == []  # the M4B holds them (blocks keep AAC frames)
    assert rerender_changed(str(root))["chapters"] == []
    assert "encode_aac" not in calls


def _task_names(state) -> Counter:
    """Task runs of a finished flow run, by the first word of their run name: chapter tasks are named
    "render ch01 One [1-2/3]" (a synthesis task), others keep Prefect's "cache-probe-<n>"."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId
    from prefect.client.schemas.sorting import TaskRunSort

    flow_filter = FlowRunFilter(id=FlowRunFilterId(any_=[state.state_details.flow_run_id]))
    runs, deadline = None, time.monotonic() + 20
    with get_client(sync_client=True) as client:
        # task-run records reach the API through Prefect's event worker, possibly after the flow
        # returned: read until two reads a second apart agree
        while True:
            again = client.read_task_runs(
                flow_run_filter=flow_filter, sort=TaskRunSort.EXPECTED_START_TIME_ASC, limit=200
            )
            if (runs is not None and len(again) == len(runs)) or time.monotonic() > deadline:
                runs = again
                break
            runs = again
            time.sleep(1)
    return Counter(r.name.split(" ", 1)[0] if " " in r.name else r.name.rsplit("-", 1)[0] for r in runs)


def test_an_edit_runs_one_synthesis_task_and_links_the_flac_delivery(tiny_project):
    root = tiny_project(batch_size=1)  # one batch per sentence
    first = produce_book(str(root), publish=False, return_state=True)
    assert _task_names(first)["render"] == 6
    md = root / "manuscript" / "02.md"
    md.write_text(
        md.read_text(encoding="utf-8").replace("It ends soon.", "It ends very soon."), encoding="utf-8"
    )
    edited = produce_book(str(root), publish=False, return_state=True)
    names = _task_names(edited)
    # the cache probe served the five cached batches: no task was started for them
    assert (names["cache-probe"], names["render"]) == (1, 1)
    assert (edited.result()["synthesized"], edited.result()["cached"]) == (1, 5)
    build = root / "build"
    for index, stem in ((1, "01-one"), (2, "02-two")):
        chapter_flac = build / "chapters" / f"{index:02d}" / "chapter.flac"
        # the delivery FLAC is the chapter master itself (a hard link), not a second copy
        assert (build / "masters" / f"{stem}.flac").stat().st_ino == chapter_flac.stat().st_ino
    manifest = json.loads((build / "manifest.json").read_text(encoding="utf-8"))
    assert {f["path"]: f["sha256"] for f in manifest["files"]} == {
        f["path"]: _sha(build / f["path"]) for f in manifest["files"]
    }
