"""Voice folders: ``<project>/voices/<voice>/``.

```
voices/<voice>/
  voice.toml                 engine, language, default emotion, fallback, engine voice, [[clips]]
  clips/<voice>-NN.wav       reference clips (mono 16-bit WAV at the source rate)
  embeddings/<sha256>.npy    speaker embedding of a clip, keyed by the clip file's sha256
```
The transcript of each clip lives in its ``[[clips]]`` entry (one source of truth). Cloning
engines resolve ``SynthRequest.voice`` (the voice folder name) through :func:`load_voice`
using ``EngineOptions.voices_dir`` (the renderer sets it to ``<project>/voices``).
"""

from __future__ import annotations

import hashlib
import io
import json
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt
import soundfile as sf
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ..errors import ConfigError, VoiceError
from ..fsutil import atomic_write_bytes
from .clip import ClipReport, load_clip, validate_clip

if TYPE_CHECKING:
    from ..project import Project

VOICE_TOML = "voice.toml"
CLONING_ENGINES = ("gpt-sovits", "cosyvoice", "openai-speech")  # engines that speak voices/<name>/
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ClipEntry(_Strict):
    file: str  # relative to the voice folder
    transcript: str = Field(min_length=1)
    lang: str = "zh"
    emotion: str = "neutral"  # clip used when a sentence asks for this emotion
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    duration_s: float = Field(gt=0)
    sample_rate: int = Field(ge=16000)


class VoiceConfig(_Strict):
    engine: str  # engine id that speaks this voice, e.g. "gpt-sovits"
    language: str = "zh"
    emotion: str = "neutral"  # default emotion when a sentence asks for none
    fallback: str | None = None  # suggested cast name to fall back to (cast fallback wins)
    engine_voice: str | None = None  # built-in speaker id (CosyVoice spk_id, OpenAI voice)
    description: str = ""
    clips: tuple[ClipEntry, ...] = ()


@dataclass(frozen=True)
class Voice:
    name: str
    folder: Path
    config: VoiceConfig

    def clip_path(self, entry: ClipEntry) -> Path:
        return self.folder / entry.file

    def clip_for(self, emotion: str) -> ClipEntry:
        """The clip tagged with ``emotion``, else the default emotion's, else the first."""
        if not self.config.clips:
            raise VoiceError(
                f"voice {self.name!r} has no reference clip",
                file=self.folder / VOICE_TOML,
                field="clips",
                fix=f"run `lector voice add PROJECT {self.name} CLIP --transcript TEXT`",
            )
        for wanted in (emotion, self.config.emotion):
            for entry in self.config.clips:
                if entry.emotion == wanted:
                    return entry
        return self.config.clips[0]


def check_name(name: str) -> str:
    if not _NAME.fullmatch(name):
        raise VoiceError(
            f"voice name {name!r} is not a simple folder name",
            field="name",
            fix="use letters, digits, '-', '_' or '.', starting with a letter or digit",
        )
    return name


def voices_dir(project_root: str | Path) -> Path:
    return Path(project_root) / "voices"


def load_voice(folder_root: str | Path, name: str) -> Voice:
    """Read and validate ``<folder_root>/<name>/voice.toml``."""
    folder = Path(folder_root) / check_name(name)
    path = folder / VOICE_TOML
    if not path.is_file():
        known = ", ".join(v.name for v in list_voices(folder_root)) or "(none)"
        raise VoiceError(
            f"voice {name!r} has no {VOICE_TOML}",
            file=path,
            fix=f"add it with `lector voice add`; known voices: {known}",
        )
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        config = VoiceConfig.model_validate(data)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"invalid TOML: {exc}", file=path, fix="correct the TOML syntax") from None
    except ValidationError as exc:
        err = exc.errors()[0]
        raise ConfigError(
            f"{err['msg']} (got {err.get('input')!r})",
            file=path,
            field=".".join(str(k) for k in err["loc"]),
            fix="see docs/VOICES.md for the voice.toml keys",
        ) from None
    return Voice(name=name, folder=folder, config=config)


def list_voices(folder_root: str | Path) -> list[Voice]:
    root = Path(folder_root)
    if not root.is_dir():
        return []
    return [
        load_voice(root, p.name) for p in sorted(root.iterdir()) if p.is_dir() and (p / VOICE_TOML).is_file()
    ]


def _toml_value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    return json.dumps(str(value), ensure_ascii=False)  # a valid TOML basic string


def dump_voice_toml(config: VoiceConfig) -> str:
    lines = []
    for key, value in config.model_dump(exclude={"clips"}).items():
        if value is not None:
            lines.append(f"{key} = {_toml_value(value)}")
    for entry in config.clips:
        lines += ["", "[[clips]]"]
        lines += [f"{k} = {_toml_value(v)}" for k, v in entry.model_dump().items()]
    return "\n".join(lines) + "\n"


def save_voice(voice: Voice) -> Path:
    path = voice.folder / VOICE_TOML
    atomic_write_bytes(path, dump_voice_toml(voice.config).encode("utf-8"))  # keeps the file's mode and owner
    return path


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def embedding_path(voice: Voice, entry: ClipEntry) -> Path:
    return voice.folder / "embeddings" / f"{entry.sha256}.npy"


def clip_embedding(voice: Voice, entry: ClipEntry) -> npt.NDArray[np.float32]:
    """Speaker embedding of a clip, computed once and cached by the clip's sha256."""
    path = embedding_path(voice, entry)
    if path.is_file():
        cached: npt.NDArray[np.float32] = np.load(path)
        return cached
    from .embed import speaker_embedding  # the encoder's weights: loaded only when used

    clip_file = voice.clip_path(entry)
    if sha256_bytes(clip_file.read_bytes()) != entry.sha256:
        raise VoiceError(
            f"clip {entry.file} changed since it was added (sha256 differs)",
            file=clip_file,
            fix=f"add it again with `lector voice add` for {voice.name}",
        )
    audio, rate, _ = load_clip(clip_file)
    emb = np.asarray(speaker_embedding(audio, rate), dtype=np.float32)
    buf = io.BytesIO()
    np.save(buf, emb)
    atomic_write_bytes(path, buf.getvalue())
    return emb


@dataclass(frozen=True)
class AddResult:
    voice: Voice
    entry: ClipEntry
    report: ClipReport


def cast_engine(project: Project, name: str) -> str | None:
    """The cloning engine the project's cast speaks voice ``name`` with, or None (not cast yet)."""
    for spec in project.config.voices.values():
        if spec.voice == name and spec.engine in CLONING_ENGINES:
            return spec.engine
    return None


def add_clip(
    folder_root: str | Path,
    name: str,
    clip: str | Path,
    transcript: str,
    *,
    engine: str | None = None,
    lang: str | None = None,
    emotion: str = "neutral",
    check_speaker: bool = True,
) -> AddResult:
    """Validate ``clip`` and store it (mono 16-bit WAV) in voice ``name``; create the voice if new.

    The speaker embedding is computed once here and cached under ``embeddings/<sha256>.npy``.
    """
    check_name(name)
    if not transcript.strip():
        raise VoiceError(
            "the transcript is empty",
            field="transcript",
            fix="pass --transcript with the exact words spoken in the clip",
        )
    audio, rate, report = validate_clip(clip, check_speaker=check_speaker)
    folder = Path(folder_root) / name
    if (folder / VOICE_TOML).is_file():
        config = load_voice(folder_root, name).config
        if engine and engine != config.engine:
            raise VoiceError(
                f"voice {name!r} uses engine {config.engine!r}, not {engine!r}",
                file=folder / VOICE_TOML,
                field="engine",
                fix="leave --engine out, or add the clip under another voice name",
            )
    else:
        config = VoiceConfig(engine=engine or "gpt-sovits", language=lang or "zh", emotion=emotion)
    buf = io.BytesIO()
    sf.write(buf, audio, rate, format="WAV", subtype="PCM_16")
    data = buf.getvalue()
    digest = sha256_bytes(data)
    rel = f"clips/{name}-{len(config.clips) + 1:02d}.wav"
    if any(c.sha256 == digest for c in config.clips):
        raise VoiceError(
            f"this clip is already in voice {name!r}", file=clip, fix="add a different recording"
        )
    entry = ClipEntry(
        file=rel,
        transcript=transcript.strip(),
        lang=lang or config.language,
        emotion=emotion,
        sha256=digest,
        duration_s=report.duration_s,
        sample_rate=rate,
    )
    atomic_write_bytes(folder / rel, data)
    voice = Voice(
        name=name, folder=folder, config=config.model_copy(update={"clips": (*config.clips, entry)})
    )
    save_voice(voice)
    if check_speaker:
        clip_embedding(voice, entry)
    return AddResult(voice=voice, entry=entry, report=report)
