"""What the editors' actions change in the project, where the production flow sees it.

* edit text  -> the sentence's manuscript line (``Sentence.source``), or a pending note
* lexicon    -> a validated line appended to ``<project>/lexicon.tsv``
* re-roll / emotion / voice -> ``<project>/overrides.json`` (lector.core.overrides)
* re-render  -> lector.review.jobs (a background thread; old cache keys are kept as takes)
* voice clip uploads -> with a transcript: validated into ``<project>/voices/<name>/voice.toml``
  (as `lector voice add`); without one: kept under ``<project>/voices/<name>/uploads/``
"""

from __future__ import annotations

import functools
import hashlib
import re
import secrets
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from lector.core.errors import LectorError, LexiconError
from lector.core.fsutil import atomic_write_bytes
from lector.core.lock import project_lock
from lector.core.text.lexicon import load_tsv

from .security import MAX_UPLOAD_BYTES, sniff_audio

EDIT_LOCK_WAIT_S = 2.0  # an edit waits this long for the project lock, then answers 409
SOURCE_RE = re.compile(r"^(manuscript/[^:]+):(\d+)$")
VOICE_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


@dataclass(frozen=True)
class Outcome:
    ok: bool
    message: str


def _locked(fn):
    """Run an edit of the project under its lock (lector.core.lock): never while a render reads the
    project; ProjectBusy (the app answers 409) when one holds it longer than EDIT_LOCK_WAIT_S."""

    @functools.wraps(fn)
    def inner(root, *args, **kwargs):
        with project_lock(Path(root) / "build", "review app edit", wait_s=EDIT_LOCK_WAIT_S, on_wait=None):
            return fn(root, *args, **kwargs)

    return inner


@_locked
def edit_text(root: Path, source: str, old_text: str, new_text: str) -> Outcome:
    """Replace ``old_text`` on the manuscript line named by ``source`` ("manuscript/<file>:<line>")."""
    new_text = new_text.strip()
    if not new_text or "\n" in new_text or "\r" in new_text:
        return Outcome(False, "the new text must be one non-empty line")
    found = _manuscript_line(root, source)
    if isinstance(found, Outcome):
        return found
    path, name, number, lines = found
    line = lines[number - 1]
    count = line.count(old_text)
    if count != 1:
        why = "not found" if count == 0 else f"found {count} times"
        return Outcome(False, f"the sentence text is {why} on {name}:{number}; stored as a pending note")
    lines[number - 1] = line.replace(old_text, new_text, 1)
    atomic_write_bytes(path, "".join(lines).encode("utf-8"))
    return Outcome(True, f"{name}:{number} updated")


def _manuscript_line(root: Path, source: str) -> tuple[Path, str, int, list[str]] | Outcome:
    """(file, its name, line number, its lines) of a "manuscript/<file>:<line>" source, or why not."""
    m = SOURCE_RE.match(source or "")
    if not m:
        return Outcome(False, f"source {source!r} is not a manuscript line; stored as a pending note")
    manuscript = (root / "manuscript").resolve()
    path = (root / m.group(1)).resolve()
    if not path.is_relative_to(manuscript) or not path.is_file():
        return Outcome(False, f"{m.group(1)} is not a manuscript file; stored as a pending note")
    if path.suffix.lower() not in (".md", ".markdown", ".txt", ".ssml", ".xml"):
        return Outcome(False, f"{path.name} is not a text manuscript (EPUB?); stored as a pending note")
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    number = int(m.group(2))
    if not 1 <= number <= len(lines):
        return Outcome(False, f"{m.group(1)} has no line {number}; stored as a pending note")
    return path, m.group(1), number, lines


@_locked
def add_lexicon_entry(root: Path, word: str, pronunciation: str, context: str = "") -> Outcome:
    """Validate (lector.core.text.lexicon) and append ``word<TAB>pron[<TAB>context]``."""
    cols = [c.strip() for c in (word, pronunciation, context)]
    if any("\t" in c or "\n" in c or "\r" in c for c in cols) or not cols[0] or not cols[1]:
        return Outcome(False, "word and pronunciation are required; no tabs or line breaks")
    if cols[0].startswith("#"):
        return Outcome(False, "a word cannot start with #")
    line = "\t".join(cols if cols[2] else cols[:2]) + "\n"
    with tempfile.TemporaryDirectory() as tmp:
        probe = Path(tmp) / "lexicon.tsv"
        probe.write_text(line, encoding="utf-8")
        try:
            load_tsv(probe, label="lexicon.tsv")
        except LexiconError as exc:
            return Outcome(False, exc.message + (f" — fix: {exc.fix}" if exc.fix else ""))
    path = root / "lexicon.tsv"
    existing = path.read_bytes() if path.is_file() else b""
    prefix = b"" if not existing or existing.endswith(b"\n") else b"\n"
    atomic_write_bytes(path, existing + prefix + line.encode("utf-8"))
    return Outcome(True, f"lexicon.tsv: {cols[0]} → {cols[1]}")


@_locked
def set_override(
    root: Path,
    sentence_id: str,
    *,
    seed: int | None = None,
    emotion: str | None = None,
    voice: str | None = None,
) -> Outcome:
    from lector.core.overrides import load_overrides, save_overrides

    ov = load_overrides(root)
    if seed is not None:
        ov = ov.with_seed(sentence_id, seed)
    if emotion is not None:
        ov = ov.with_emotion(sentence_id, emotion)
    if voice is not None:
        ov = ov.with_voice(sentence_id, voice)
    save_overrides(root, ov)
    what = (
        f"seed {seed}"
        if seed is not None
        else f"emotion {emotion}"
        if emotion is not None
        else f"voice {voice}"
    )
    return Outcome(True, f"override saved: {what}")


def new_seed() -> int:
    return secrets.randbelow(0x7FFFFFFF) + 1


@_locked
def save_clip(root: Path, voice: str, data: bytes) -> Outcome:
    """An uploaded clip without a transcript, kept under ``voices/<voice>/uploads/`` for later
    (`lector voice add` registers it once its words are known)."""
    kind = check_upload(voice, data)
    if isinstance(kind, Outcome):
        return kind
    folder = root / "voices" / voice / "uploads"
    folder.mkdir(parents=True, exist_ok=True)
    name = f"{time.strftime('%Y%m%d-%H%M%S')}-{hashlib.sha256(data).hexdigest()[:12]}.{kind}"
    atomic_write_bytes(folder / name, data)
    return Outcome(True, f"voices/{voice}/uploads/{name}")


@_locked
def add_clip(root: Path, voice: str, data: bytes, transcript: str, emotion: str = "neutral") -> Outcome:
    """An uploaded clip with its transcript, validated and registered in ``voices/<voice>/voice.toml``
    exactly as `lector voice add` does (duration, rate, clipping, SNR, one speaker); a refused clip
    is reported with the measured value and the fix, and nothing is stored."""
    from lector.core.project import load_project
    from lector.core.voices.store import add_clip as store_clip
    from lector.core.voices.store import cast_engine, voices_dir

    checked = check_upload(voice, data)
    if isinstance(checked, Outcome):
        return checked
    try:
        project = load_project(root)
        if emotion not in project.config.emotions:
            known = ", ".join(project.config.emotions)
            return Outcome(False, f"emotion {emotion!r} is not one of the project's: {known}")
        with tempfile.TemporaryDirectory(prefix="lector-clip-") as tmp:
            clip = Path(tmp) / f"upload.{checked}"
            clip.write_bytes(data)
            added = store_clip(
                voices_dir(root),
                voice,
                clip,
                transcript,
                engine=cast_engine(project, voice),
                lang=project.config.book.language,
                emotion=emotion,
            )
    except LectorError as exc:
        return Outcome(False, str(exc))
    r = added.report
    return Outcome(
        True,
        f"added voices/{voice}/{added.entry.file} to voice {voice!r}: {r.duration_s:.1f} s, "
        f"SNR {r.snr_db:.0f} dB, one-speaker cosine {r.speaker_cosine:.2f}",
    )


def check_upload(voice: str, data: bytes) -> Outcome | str:
    """The upload's kind ("wav" | "flac"), or why it is refused."""
    if not VOICE_NAME_RE.match(voice):
        return Outcome(False, f"voice name {voice!r} is invalid (letters, digits, _ . -)")
    if len(data) > MAX_UPLOAD_BYTES:
        return Outcome(False, f"clip is larger than {MAX_UPLOAD_BYTES // (1024 * 1024)} MB")
    kind = sniff_audio(data[:16])
    return kind if kind is not None else Outcome(False, "only WAV or FLAC clips are accepted")


__all__ = [
    "Outcome",
    "add_clip",
    "add_lexicon_entry",
    "edit_text",
    "new_seed",
    "save_clip",
    "set_override",
]
