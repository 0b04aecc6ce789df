"""Facts about files remembered per file identity: digests, ADTS sample counts, parsed review JSON."""

from __future__ import annotations

import hashlib
import json
import os

import numpy as np

from lector.core.audio.blockcodec import GRID, encode_aac_block, write_adts
from lector.core.audio.export import adts_samples
from lector.core.audio.mp4mux import adts_table
from lector.core.build.records import read_object
from lector.core.fsutil import atomic_write_bytes
from lector.core.hashing import FACTS, SHA256, FileFacts, file_digest, remember_digest, sha256_file
from lector.core.text.segment import split_sentences
from lector.review.data import _read_cached


def test_file_digest_is_remembered_until_the_file_is_replaced(tmp_path):
    path = tmp_path / "a.bin"
    atomic_write_bytes(path, b"first")
    assert file_digest(path) == hashlib.sha256(b"first").hexdigest()
    st = os.stat(path)
    FACTS.put(path, SHA256, "remembered", st)  # what the next call trusts while unchanged
    assert file_digest(path) == "remembered"
    os.utime(path)
    remember_digest(path, "checked before the touch")
    assert file_digest(path) == "checked before the touch"
    atomic_write_bytes(path, b"second")  # a new inode: worked out again
    assert file_digest(path) == hashlib.sha256(b"second").hexdigest() == sha256_file(path)


def test_file_facts_see_an_in_place_edit_and_forget_the_oldest(tmp_path):
    facts = FileFacts(limit=2)
    paths = [tmp_path / f"{i}.txt" for i in range(3)]
    for i, p in enumerate(paths):
        p.write_text(str(i))
        facts.put(p, "n", i)
    assert [facts.get(p, "n") for p in paths] == [None, 1, 2]
    os.utime(paths[2], ns=(1, 1))  # same inode, another mtime
    assert facts.get(paths[2], "n") is None
    assert facts.get(tmp_path / "missing", "n") is None


def test_adts_table_is_read_once_per_file_identity(tmp_path):
    block = (0.1 * np.sin(np.arange(2 * GRID) * 0.05)).astype(np.float32)
    frames = encode_aac_block(block)
    written = write_adts(tmp_path / "a.aac", [frames, frames])
    table = adts_table(written)
    assert (table.frames, adts_samples(written), table.sample_rate, hex(table.config)) == (
        36,
        4 * GRID,
        44100,
        "0x1208",
    )
    assert adts_table(written) is table
    write_adts(written, [frames])  # replaced: read again
    assert adts_samples(written) == 2 * GRID


def test_review_json_is_parsed_again_when_replaced(tmp_path):
    path = tmp_path / "plan.json"
    atomic_write_bytes(path, json.dumps({"n": 1}).encode())

    def load(p):
        return read_object(p, "qc")

    first = _read_cached(path, load)
    assert first == {"n": 1} and _read_cached(path, load) is first
    atomic_write_bytes(path, json.dumps({"n": 2}).encode())
    assert _read_cached(path, load) == {"n": 2}
    path.write_text("{broken", encoding="utf-8")
    assert _read_cached(path, load) is None


def test_split_sentences_gives_a_fresh_list_each_time():
    first = split_sentences("One. Two.", "en")
    first.append("mutated")
    assert split_sentences("One. Two.", "en") == ["One. ", "Two."]
