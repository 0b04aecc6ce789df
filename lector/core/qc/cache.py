"""Per-sentence QC cache: what QC measures on one take depends only on its audio.

A take's signal statistics, Whisper transcript and speaker embedding are stored
content-addressed under ``build/qc-cache/<key[:2]>/<key>-<QC_VERSION>.json`` (plus
``.npy`` for the embedding), ``key`` = sha256 of the take's FLAC bytes (or of its
float32 samples when it is sliced from chapter.flac). Writes are atomic, so parallel
QC tasks may share the folder. The WER (it depends on the text) and everything
chapter-level (voice centroids, duration and loudness norms, profile) are recomputed
from these records on every run, which costs milliseconds.

``CALLS`` counts the model calls actually made ("asr", "embed") so tests and the
benchmark can check that an unchanged chapter is checked with none.
"""

from __future__ import annotations

import hashlib
import io
import json
from collections import Counter
from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from ..fsutil import atomic_write_bytes
from ..hashing import file_digest
from .checks import SignalStats, Thresholds
from .report import write_json_atomic

QC_VERSION = "qc2"  # bump when signal stats, the ASR model/decoding or the embedder change
# qc2: transcripts per Whisper window id, temperature-0 decoding only
CALLS: Counter[str] = (
    Counter()
)  # model work in this process: "asr" (takes transcribed), "whisper" (model calls), "embed"


def profile_key(profile: str, chapter_flac: Path) -> str:
    """The record key of a chapter master's profile check: per (chapter.flac bytes, profile)."""
    return hashlib.sha256(f"profile:{profile}:{file_digest(chapter_flac)}".encode()).hexdigest()


def audio_digest(audio: npt.NDArray[np.floating[Any]], sample_rate: int) -> str:
    h = hashlib.sha256(f"pcm:{int(sample_rate)}:".encode())
    h.update(np.ascontiguousarray(audio, dtype="<f4").tobytes())
    return h.hexdigest()


def _signal_th(th: Thresholds) -> list[float | int]:
    return [float(th.clip_level), int(th.clip_run_samples)]


class QCCache:
    """Records keyed by audio digest; ``root=None`` keeps nothing (in-memory checks)."""

    def __init__(self, root: Path | None) -> None:
        self.root = Path(root) if root is not None else None

    def load(self, key: str) -> dict[str, Any]:
        if self.root is None:
            return {}
        path, _ = _paths(self.root, key)
        try:
            entry = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError):
            return {}
        return entry if isinstance(entry, dict) and entry.get("version") == QC_VERSION else {}

    def stats(self, entry: dict[str, Any], th: Thresholds) -> SignalStats | None:
        signal = entry.get("signal")
        if not isinstance(signal, dict) or entry.get("signal_th") != _signal_th(th):
            return None
        try:
            return SignalStats(**signal)
        except TypeError:
            return None

    def embedding(self, key: str, entry: dict[str, Any]) -> tuple[bool, npt.NDArray[np.float32] | None]:
        """(known, embedding): known=False when never embedded or the .npy is unreadable."""
        state = entry.get("embedding")
        if state == "none":
            return True, None
        if state != "npy" or self.root is None:
            return False, None
        try:
            emb = np.load(_paths(self.root, key)[1], allow_pickle=False)
        except (OSError, ValueError):
            return False, None
        return True, emb.astype(np.float32, copy=False)

    def store(
        self,
        key: str,
        *,
        stats: SignalStats,
        th: Thresholds,
        transcripts: dict[str, str],
        embedding: tuple[bool, npt.NDArray[np.float32] | None],
    ) -> None:
        """``transcripts``: Whisper window id -> what was heard in that window (qc.asr.window_id)."""
        if self.root is None:
            return
        path, npy = _paths(self.root, key)
        entry: dict[str, Any] = {"version": QC_VERSION, "signal": asdict(stats), "signal_th": _signal_th(th)}
        if transcripts:
            entry["asr"] = dict(transcripts)
        known, emb = embedding
        if known and emb is None:
            entry["embedding"] = "none"
        elif known:
            _save_npy_atomic(npy, np.asarray(emb, np.float32))
            entry["embedding"] = "npy"
        write_json_atomic(path, entry)

    def store_extra(self, key: str, data: dict[str, Any]) -> None:
        """A chapter-level record (e.g. a profile check) under the same versioned layout."""
        if self.root is not None:
            write_json_atomic(_paths(self.root, key)[0], {"version": QC_VERSION, **data})


def _paths(root: Path, key: str) -> tuple[Path, Path]:
    folder = root / key[:2]
    return folder / f"{key}-{QC_VERSION}.json", folder / f"{key}-{QC_VERSION}.npy"


def _save_npy_atomic(path: Path, array: npt.NDArray[np.float32]) -> None:
    buf = io.BytesIO()
    np.save(buf, array, allow_pickle=False)
    atomic_write_bytes(path, buf.getvalue(), fsync=False)
