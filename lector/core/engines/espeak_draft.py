"""``espeak-draft``: espeak-ng formant synthesis for fast proof listening.

Uses the ``espeakng-loader`` wheel (``libespeak-ng.so`` + ``espeak-ng-data``), driven through
ctypes in synchronous mode (``espeak_Initialize(AUDIO_OUTPUT_SYNCHRONOUS)`` + a synth
callback that collects 16-bit samples). No system espeak is needed. Speaks every language
its data knows; it reads the *spoken text* (it does not take our pinyin/IPA, so
``accepts_phonemes`` is False). Output is deterministic and identical for every seed
(``seedable`` False): espeak's pitch flutter carries a counter from one utterance to the
next, so we run every voice with our own flutter-free variant (``+lector``, written into a
symlinked copy of the data folder under the model cache) and reset its noise seed per call.
Its wave generator also keeps a toggle between two spectrum buffers from one utterance to the
next (static, not reset even by espeak_Terminate/espeak_Initialize), so a sentence sounded
slightly different after a different predecessor (32 of 60 in a shuffled order). Before each
utterance a short primer is spoken once or twice (``_Lib.settle``) until the toggle is in the
state a fresh process starts in: each take then depends on its own request only.
Emotions are (rate, pitch, range) presets; ``whisper`` uses espeak's whisper variant. Voice ids
are espeak language codes (``en-us``, ``cmn``, ``de`` ...); ``default`` picks a voice per span
language.
"""

from __future__ import annotations

import ctypes
import hashlib
import os
import shutil
import tempfile
import threading
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

import numpy as np
import numpy.typing as npt

from ..errors import EngineError, EngineUnavailable, VoiceError
from ..fsutil import model_cache_dir
from ..project import DEFAULT_EMOTIONS, EngineOptions
from .base import Capabilities, SynthRequest, VoiceInfo
from .registry import check_request

AUDIO_OUTPUT_SYNCHRONOUS = 2
INITIALIZE_DONT_EXIT = 0x8000
CHARS_UTF8 = 1
POS_CHARACTER = 1
RATE, VOLUME, PITCH, RANGE = 1, 2, 3, 4
# espeak's pitch "flutter" runs on a counter that carries over from one utterance to the
# next, so the same text sounds different on every call; our variants switch it off.
VARIANTS = {
    "lector": "language variant\nname lector\nflutter 0\n",
    "lector-whisper": (
        "language variant\nname lector-whisper\ngender male\npitch 82 117\n"
        "flutter 0\nformant 0 100  0 100\nformant 1 100 80 100\nvoicing 17\n"
        "breath   75  75  50  40  15  10\nbreathw 150 150 200 200 400 400\n"
    ),
}
BASE_RATE_WPM, BASE_PITCH, BASE_RANGE = 175, 50, 50
# emotion -> (rate, pitch, range) multipliers of the base values
EMOTIONS: dict[str, tuple[float, float, float]] = {
    "neutral": (1.0, 1.0, 1.0),
    "happy": (1.08, 1.3, 1.4),
    "sad": (0.85, 0.8, 0.6),
    "angry": (1.1, 1.1, 1.6),
    "calm": (0.92, 0.9, 0.7),
    "excited": (1.2, 1.4, 1.7),
    "whisper": (0.95, 1.0, 1.0),
}
PREFERRED = {"en": "en-us", "zh": "cmn", "fr": "fr-fr", "pt": "pt-br", "es": "es"}

_CALLBACK = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int, ctypes.c_void_p)


class _Voice(ctypes.Structure):
    _fields_ = [
        ("name", ctypes.c_char_p),
        ("languages", ctypes.c_void_p),
        ("identifier", ctypes.c_char_p),
        ("gender", ctypes.c_ubyte),
        ("age", ctypes.c_ubyte),
        ("variant", ctypes.c_ubyte),
        ("xx1", ctypes.c_ubyte),
        ("score", ctypes.c_int),
        ("spare", ctypes.c_void_p),
    ]


class _Lib:
    """The process-wide espeak-ng instance (the C library is a singleton, not thread-safe)."""

    def __init__(self) -> None:
        try:
            import espeakng_loader
        except ImportError as exc:
            raise EngineUnavailable(
                "espeakng-loader is not installed", field="engine", fix="pip install espeakng-loader"
            ) from exc
        self.lib = ctypes.CDLL(espeakng_loader.get_library_path())
        self.lib.espeak_Initialize.restype = ctypes.c_int
        self.lib.espeak_ListVoices.restype = ctypes.POINTER(ctypes.POINTER(_Voice))
        self.lib.espeak_Synth.argtypes = [
            ctypes.c_char_p,
            ctypes.c_size_t,
            ctypes.c_uint,
            ctypes.c_int,
            ctypes.c_uint,
            ctypes.c_uint,
            ctypes.c_void_p,
            ctypes.c_void_p,
        ]
        self.data_path = Path(espeakng_loader.get_data_path())
        data = str(_data_dir(self.data_path)).encode()
        self.sample_rate = self.lib.espeak_Initialize(AUDIO_OUTPUT_SYNCHRONOUS, 0, data, INITIALIZE_DONT_EXIT)
        if self.sample_rate <= 0:
            raise EngineUnavailable(
                "espeak-ng failed to initialise", field="engine", fix="reinstall espeakng-loader"
            )
        self._chunks: list[npt.NDArray[np.int16]] = []
        self._cb = _CALLBACK(self._collect)
        self.lib.espeak_SetSynthCallback(self._cb)
        self.lock = threading.Lock()
        self._primer_first = self._primer()  # the primer from the toggle's starting state

    def _primer(self) -> bytes:
        if self.lib.espeak_SetVoiceByName(PRIMER_VOICE) != 0:
            raise EngineUnavailable(
                "espeak-ng has no en-US voice", field="engine", fix="reinstall espeakng-loader"
            )
        for param, value in ((RATE, BASE_RATE_WPM), (PITCH, BASE_PITCH), (RANGE, BASE_RANGE), (VOLUME, 100)):
            self.lib.espeak_SetParameter(param, value, 0)
        return self._synth(PRIMER).tobytes()

    def settle(self) -> None:
        """Put the wave generator's spectrum toggle in the state a fresh process starts in. The
        primer flips it and sounds different in each state: spoken from the starting state it
        leaves the other one, so it is spoken once more."""
        if self._primer() == self._primer_first:
            self._primer()

    def _collect(self, wav: ctypes._Pointer[ctypes.c_short], n: int, events: int | None) -> int:
        if n > 0 and wav:
            self._chunks.append(np.ctypeslib.as_array(wav, shape=(n,)).copy())
        return 0

    def languages(self) -> dict[str, tuple[str, str]]:
        """espeak language code -> (voice file name, voice name), preferring the highest priority."""
        found: dict[str, tuple[int, str, str]] = {}
        voices = self.lib.espeak_ListVoices(None)
        k = 0
        while voices[k]:
            v = voices[k].contents
            k += 1
            if not self._has_dictionary(v.identifier.decode()):
                continue  # e.g. fo, kaa: listed, but the wheel ships no dictionary
            raw = ctypes.string_at(v.languages, 64)
            pos = 0
            while pos < len(raw) and raw[pos] != 0:  # (priority byte, name\0)*, 0
                end = raw.index(b"\0", pos + 1)
                code, priority = raw[pos + 1 : end].decode(), raw[pos]
                if code not in found or priority < found[code][0]:
                    found[code] = (priority, v.identifier.decode().rsplit("/", 1)[-1], v.name.decode())
                pos = end + 1
        return {code: (file, name) for code, (_, file, name) in found.items()}

    def _has_dictionary(self, identifier: str) -> bool:
        """The voice's ``dictionary`` (default: its first language, before any "-") exists."""
        path = self.data_path / "lang" / identifier
        if not path.is_file():
            path = self.data_path / "voices" / identifier
        words = [line.split() for line in path.read_text(encoding="utf-8", errors="replace").splitlines()]
        words = [w for w in words if len(w) >= 2]
        name = (
            next((w[1] for w in words if w[0] == "dictionary"), None)
            or next((w[1] for w in words if w[0] == "language"), "").split("-")[0]
        )
        return (self.data_path / f"{name}_dict").is_file()

    def speak(
        self, text: str, voice: str, rate: int, pitch: int, pitch_range: int
    ) -> npt.NDArray[np.float32]:
        self.settle()
        if self.lib.espeak_SetVoiceByName(voice.encode()) != 0:
            raise VoiceError(
                f"espeak-ng has no voice {voice!r}",
                field="voice",
                fix="pick a voice id from `lector engines`",
            )
        for param, value in ((RATE, rate), (PITCH, pitch), (RANGE, pitch_range), (VOLUME, 100)):
            self.lib.espeak_SetParameter(param, value, 0)
        return self._synth(text).astype(np.float32) / 32768.0

    def _synth(self, text: str) -> npt.NDArray[np.int16]:
        self._chunks = []
        self.lib.espeak_ng_SetRandSeed(ctypes.c_long(1))  # breath noise (whisper) is random
        data = text.encode("utf-8") + b"\0"
        err = self.lib.espeak_Synth(data, len(data), 0, POS_CHARACTER, 0, CHARS_UTF8, None, None)
        if err != 0:
            raise EngineError(
                f"espeak-ng failed with code {err} on {text[:40]!r}",
                field="text",
                fix="report the text; try another engine meanwhile",
            )
        return np.concatenate(self._chunks) if self._chunks else np.zeros(0, np.int16)


PRIMER = "Hello there."  # one clause that flips the spectrum toggle an odd number of times
PRIMER_VOICE = b"en-US+lector"  # espeak's American English voice file with our variant


def _data_dir(source: Path) -> Path:
    """A symlink copy of the wheel's espeak-ng-data plus our flutter-free variants (cached)."""
    tag = hashlib.sha256(repr((str(source), sorted(VARIANTS.items()))).encode()).hexdigest()[:12]
    target = model_cache_dir() / f"espeak-ng-data-{tag}"
    if (target / "voices" / "!v" / "lector").is_file():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=target.parent, prefix=".tmp-espeak-"))
    for entry in source.iterdir():
        if entry.name != "voices":
            os.symlink(entry, tmp / entry.name)
    (tmp / "voices" / "!v").mkdir(parents=True)
    for entry in (source / "voices").iterdir():
        if entry.name != "!v":
            os.symlink(entry, tmp / "voices" / entry.name)
    for entry in (source / "voices" / "!v").iterdir():
        os.symlink(entry, tmp / "voices" / "!v" / entry.name)
    for name, text in VARIANTS.items():
        (tmp / "voices" / "!v" / name).write_text(text)
    try:
        os.rename(tmp, target)
    except OSError:  # another process won the race
        shutil.rmtree(tmp, ignore_errors=True)
    return target


@lru_cache(maxsize=1)
def _lib() -> _Lib:
    return _Lib()


class EspeakDraft:
    capabilities: Capabilities

    def __init__(self, options: EngineOptions | None = None) -> None:
        self.options = options or EngineOptions()
        self._lib = _lib()
        langs = self._lib.languages()
        self._voices = tuple(
            VoiceInfo(code, code.split("-")[0], name) for code, (_, name) in sorted(langs.items())
        )
        self._files = {code: file for code, (file, _) in langs.items()}  # voice id -> espeak voice file
        self._ids = set(self._files)
        self.capabilities = Capabilities(
            engine_id="espeak-draft",
            version="2",  # 2: takes no longer depend on the sentence spoken before
            sample_rate=self._lib.sample_rate,
            languages=tuple(sorted({v.lang for v in self._voices})),
            max_chars=1000,
            emotions=DEFAULT_EMOTIONS,
            emotion_method="rate-pitch-presets",
            accepts_phonemes=False,
            seedable=False,
            batchable=False,
            device="cpu",
        )

    def voices(self) -> tuple[VoiceInfo, ...]:
        return self._voices

    def synthesize(self, requests: Sequence[SynthRequest]) -> list[npt.NDArray[np.float32]]:
        for req in requests:
            check_request(self.capabilities, req)
            if req.voice != "default" and req.voice not in self._ids:
                raise VoiceError(
                    f"unknown voice {req.voice!r} for engine espeak-draft",
                    field="voice",
                    fix="use default or an espeak language code such as en-us, en-gb, cmn, de",
                )
        with self._lib.lock:
            return [self._one(req) for req in requests]

    def _voice_for(self, lang: str, requested: str) -> str:
        if requested != "default" and requested.split("-", maxsplit=1)[0] == lang:
            return requested
        if lang in PREFERRED and PREFERRED[lang] in self._ids:
            return PREFERRED[lang]
        if lang in self._ids:
            return lang
        for v in self._voices:
            if v.lang == lang:
                return v.voice_id
        raise EngineError(
            f"espeak-ng has no voice for language {lang!r}",
            field="lang",
            fix="cast another engine for that language",
        )

    def _one(self, req: SynthRequest) -> npt.NDArray[np.float32]:
        r, p, rng = (1.0 + (x - 1.0) * req.emotion_degree for x in EMOTIONS[req.emotion])
        rate = round(BASE_RATE_WPM * r * req.speed * req.prosody.rate)
        pitch = round(min(99, BASE_PITCH * p * req.pitch * req.prosody.pitch))
        variant = "+lector-whisper" if req.emotion == "whisper" else "+lector"
        parts = []
        for span in req.spans:
            text = (span.spoken or span.text).strip()
            if not text:
                continue
            voice = self._files[self._voice_for(span.lang, req.voice)] + variant
            parts.append(
                self._lib.speak(text, voice, max(80, min(rate, 900)), pitch, round(min(99, BASE_RANGE * rng)))
            )
        audio = np.concatenate(parts) if parts else np.zeros(0, np.float32)
        return np.clip(audio, -1.0, 1.0).astype(np.float32)
