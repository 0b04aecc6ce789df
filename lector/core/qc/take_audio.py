"""Where a built chapter's takes are read from: the render cache, else chapter.flac.

Owns the takes' QC cache keys: a render-cache take is keyed by its FLAC bytes and decoded only on
a QC cache miss; a take whose cache file is gone is cut from chapter.flac by the timeline and keyed
by its samples.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from ..build import BuildDir, Timeline
from ..errors import AudioError, CacheError
from ..hashing import file_digest
from .cache import audio_digest
from .takes import Loader, TakeRef

if TYPE_CHECKING:
    from ..audio.io import Audio


def _given(audio: Audio, rate: int) -> tuple[Audio, int]:
    return audio, rate


def read_flac(path: Path) -> tuple[Audio, int]:
    import soundfile as sf

    try:
        audio, rate = sf.read(str(path), dtype="float32", always_2d=True)
    except (RuntimeError, sf.LibsndfileError) as exc:
        raise CacheError(f"cannot read audio: {exc}", file=path, fix="re-render this chapter") from None
    mono: Audio = audio.mean(axis=1) if audio.shape[1] > 1 else audio[:, 0]
    return mono, int(rate)


def _read_timeline(chapter_dir: Path, build_dir: Path) -> Timeline:
    index = int(chapter_dir.name)
    timeline = BuildDir(build_dir).read_timeline(index)
    if timeline is None:
        raise AudioError(
            "cannot read timeline: no such file",
            file=BuildDir(build_dir).timeline_path(index),
            fix="re-run `lector render` for this chapter",
        )
    return timeline


def cached_take(build_dir: Path, key: str) -> tuple[str, Loader] | None:
    """(QC cache key, loader) of a take in the render cache build/cache, or None when it is not there."""
    try:
        path = BuildDir(build_dir).take_path(key) if key else None
    except CacheError:  # not a render-cache key: the take is cut from chapter.flac
        path = None
    if path is None or not path.is_file():
        return None
    return file_digest(path), functools.partial(read_flac, path)


def timeline_refs(
    chapter_dir: Path, build_dir: Path, planned: Mapping[str, Mapping[str, object]] | None = None
) -> tuple[Timeline, list[TakeRef]]:
    """The chapter's takes: the render cache's FLAC (keyed by its bytes' sha256, decoded only on a QC
    cache miss) or, when that file is gone, chapter.flac sliced by the timeline (keyed by its samples).
    ``planned``: sentence id -> its plan entry ("lang", "spoken"), as the caller's plan has it; else
    build/plan.json is read (the whole book's plan, for one chapter)."""
    timeline = _read_timeline(chapter_dir, build_dir)
    chapter_audio: list[tuple[Audio, int]] = []
    if planned is None:
        planned = BuildDir(build_dir).plan_sentences()
    refs = []
    for s in timeline.sentences:
        cached = cached_take(build_dir, s.cache_key)
        if cached is not None:
            digest, load = cached
        else:
            if not chapter_audio:
                chapter_audio.append(read_flac(BuildDir(build_dir).chapter_flac(int(chapter_dir.name))))
            full, rate = chapter_audio[0]
            piece = full[int(s.start_s * rate) : int(s.end_s * rate)]
            digest, load = audio_digest(piece, rate), functools.partial(_given, piece, rate)
        plan_entry = planned.get(s.id, {})
        refs.append(
            TakeRef(
                sentence_id=s.id,
                text=s.text,
                voice=s.voice,
                lang=s.lang or str(plan_entry.get("lang", "")),
                spoken=str(plan_entry.get("spoken", "")),
                key=digest,
                load=load,
            )
        )
    return timeline, refs
