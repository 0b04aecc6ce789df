"""One sentence, two voices: a run in another language read by the cast voice of that language.

Under ``[manuscript] mixed_english = "voice"`` an English run inside a Chinese sentence keeps
``lang="en"`` (and Chinese inside English keeps ``lang="zh"``). :func:`mixed_job` cuts such a
sentence into parts, each a run of spans for one voice: the sentence's own voice for its
language (and for punctuation), the first cast voice of the span's language for the others
(a language no cast voice speaks stays with the sentence's voice; the plan refuses text no
voice can read, plan_text.Readability). It returns a per-sentence :class:`MixEngine` that the
renderer treats like any engine, so cache, fallback chain and reports work unchanged:

- each part is synthesized by its own engine with a seed derived from the sentence seed
  (:func:`part_seed`), so a re-render is byte-identical and a re-roll changes every part;
- parts are resampled (soxr) to the sentence voice's engine rate, their loudness matched
  (active-speech RMS of each part set to that of the sentence voice's parts), given short
  raised-cosine fades at the joins and joined with ``GAP_MS`` of silence: the take is
  ``sum(part lengths) + (parts - 1) * gap`` samples long;
- the cache key hashes every part's own render key (engine, version, voice, spans with
  tokens, seed ...) with the join settings (:func:`mix_key`).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np
import soxr

from .audio.io import Audio
from .cache import render_key
from .casting import ResolvedVoice, VoiceResolver, build_request, invalid_audio
from .engines.base import Capabilities, Engine, SynthRequest, VoiceInfo
from .errors import AudioError, EngineError
from .model import Sentence, Span

MIX_SCHEMA = "lector-mix-v1"
GAP_MS = 40  # silence between two voices' parts: a breath, not a sentence pause
FADE_MS = 8  # raised-cosine fade at each join (no click where a part starts or stops)
FRAME_MS = 20  # loudness frames
ACTIVE_DB = -30.0  # a frame counts as speech when within 30 dB of the part's loudest frame
PEAK_LIMIT = 0.98  # a part raised to match loudness is held under this peak


@dataclass(frozen=True)
class Part:
    """One run of spans spoken by one voice."""

    voice: ResolvedVoice
    engine: Engine
    request: SynthRequest
    key: str  # the part's own render key (as if rendered alone)
    main: bool  # spoken by the sentence's voice


@dataclass(frozen=True)
class Mix:
    voice: ResolvedVoice  # the sentence voice, engine_id = the mix engine's id (batches apart)
    request: SynthRequest  # the whole sentence in the sentence voice
    key: str
    engine: MixEngine


def primary(lang: str) -> str:
    return (lang or "").split("-")[0].lower()


def part_seed(seed: int, index: int) -> int:
    """Seed of part ``index`` of a sentence with seed ``seed`` (stable, 31 bits)."""
    return int(hashlib.sha256(f"{int(seed)}:part:{index}".encode()).hexdigest()[:8], 16) & 0x7FFFFFFF


def lang_voice(resolve: VoiceResolver, lang: str) -> str | None:
    """The first cast voice whose language is ``lang`` (primary subtags compared), or None."""
    return next((name for name, rv in resolve.voices.items() if primary(rv.lang) == primary(lang)), None)


def _speakable(span: Span) -> bool:
    return any(c.isalnum() for c in span.spoken)


def voice_groups(
    sentence: Sentence, rv: ResolvedVoice, resolve: VoiceResolver
) -> list[tuple[str | None, list[Span]]]:
    """Consecutive spans grouped by the cast voice that speaks them (None: the sentence's voice).
    Spans with nothing to say stay with the group before them (the first group: the one after)."""
    groups: list[tuple[str | None, list[Span]]] = []
    pending: list[Span] = []
    for span in sentence.spans:
        if not _speakable(span):
            (groups[-1][1] if groups else pending).append(span)
            continue
        other = lang_voice(resolve, span.lang) if primary(span.lang) != primary(rv.lang) else None
        target = other if other != rv.cast else None
        if groups and groups[-1][0] == target:
            groups[-1][1].append(span)
        else:
            groups.append((target, [*pending, span]))
            pending = []
    if pending and groups:
        groups[-1][1].extend(pending)
    return groups


def mixed_job(sentence: Sentence, rv: ResolvedVoice, resolve: VoiceResolver, *, relax: bool) -> Mix | None:
    """The mix of ``sentence`` in voice ``rv`` (see the module doc), or None when one voice says it all."""
    groups = voice_groups(sentence, rv, resolve)
    if len(groups) < 2 or all(cast is not None for cast, _ in groups):
        return None  # one voice says it all (none of it in the sentence voice's language: castcheck)
    parts = []
    for k, (cast, spans) in enumerate(groups):
        voice = rv if cast is None else resolve.voice(cast)
        engine = resolve.engine(voice.engine_id)
        caps = engine.capabilities
        text = replace(sentence, spans=_strip(spans), seed=part_seed(sentence.seed, k))
        request = build_request(text, voice, caps.emotions if relax else None)
        key = render_key(request, caps, resolve.params(voice.engine_id))
        parts.append(Part(voice, engine, request, key, cast is None))
    main_engine = resolve.engine(rv.engine_id)
    request = build_request(sentence, rv, main_engine.capabilities.emotions if relax else None)
    engine = MixEngine(main_engine.capabilities, tuple(parts), request)
    return Mix(
        replace(rv, engine_id=engine.capabilities.engine_id),
        request,
        mix_key(parts, engine.capabilities.sample_rate),
        engine,
    )


def mix_key(parts: Sequence[Part], sample_rate: int) -> str:
    identity = {
        "schema": MIX_SCHEMA,
        "parts": [[p.key, p.main] for p in parts],
        "rate": int(sample_rate),
        "gap_ms": GAP_MS,
        "fade_ms": FADE_MS,
        "frame_ms": FRAME_MS,
        "active_db": ACTIVE_DB,
        "peak": PEAK_LIMIT,
    }
    return hashlib.sha256(json.dumps(identity, sort_keys=True).encode("utf-8")).hexdigest()


def _strip(spans: list[Span]) -> tuple[Span, ...]:
    spans = list(spans)
    spans[0] = replace(spans[0], text=spans[0].text.lstrip(), spoken=spans[0].spoken.lstrip())
    spans[-1] = replace(spans[-1], text=spans[-1].text.rstrip(), spoken=spans[-1].spoken.rstrip())
    return tuple(spans)


class MixEngine:
    """Engine for one mixed sentence: synthesizes its parts and joins them (module doc)."""

    def __init__(self, main: Capabilities, parts: tuple[Part, ...], request: SynthRequest) -> None:
        engines = list(dict.fromkeys(p.engine.capabilities for p in parts))
        self.parts, self.request = parts, request
        self.capabilities = replace(
            main,
            engine_id="+".join(dict.fromkeys(c.engine_id for c in engines)),
            version=f"mix1:{'+'.join(c.version for c in engines)}",
            languages=tuple(dict.fromkeys(lang for c in engines for lang in c.languages)),
            seedable=all(c.seedable for c in engines),
            batchable=False,
            device="any",
        )  # its part engines take their own locks; no shared CPU turn for a one-off

    def voices(self) -> tuple[VoiceInfo, ...]:
        return ()

    def synthesize(self, requests: Sequence[SynthRequest]) -> list[Audio]:
        if list(requests) != [self.request]:
            raise EngineError(
                "a mixed-voice engine renders only its own sentence",
                fix="report the renderer bug (mixed_render.mixed_job)",
            )
        return [
            join_parts(
                [part_audio(p, self.capabilities.sample_rate) for p in self.parts],
                [p.main for p in self.parts],
                self.capabilities.sample_rate,
            )
        ]


def part_audio(part: Part, sample_rate: int) -> Audio:
    """The part synthesized by its engine, checked and resampled to ``sample_rate``."""
    takes = part.engine.synthesize([part.request])
    problem = invalid_audio(takes[0]) if len(takes) == 1 else f"returned {len(takes)} takes for 1 request"
    if problem:
        raise AudioError(
            f"{part.voice.engine_id} (voice {part.voice.cast!r}, part {part.request.spoken!r}): {problem}",
            fix="check that voice's engine",
        )
    audio = takes[0]
    rate = part.engine.capabilities.sample_rate
    if rate != sample_rate:
        audio = soxr.resample(audio, rate, sample_rate, quality="HQ").astype(np.float32)
    return audio


def active_rms(audio: Audio, sample_rate: int) -> float:
    """RMS over the frames within ACTIVE_DB of the loudest (speech, not the pauses around it)."""
    n = max(1, sample_rate * FRAME_MS // 1000)
    frames = audio[: len(audio) // n * n].reshape(-1, n) if len(audio) >= n else audio.reshape(1, -1)
    power = (frames.astype(np.float64) ** 2).mean(axis=1)
    active = power[power >= power.max() * 10 ** (ACTIVE_DB / 10)]
    return float(np.sqrt(active.mean())) if active.size else 0.0


def join_parts(parts: Sequence[Audio], main: Sequence[bool], sample_rate: int) -> Audio:
    """Loudness-matched parts, faded at the joins, with GAP_MS of silence between them."""
    target = active_rms(np.concatenate([a for a, m in zip(parts, main, strict=True) if m]), sample_rate)
    fade = max(1, sample_rate * FADE_MS // 1000)
    ramp = (0.5 - 0.5 * np.cos(np.linspace(0.0, np.pi, fade))).astype(np.float32)
    gap = np.zeros(sample_rate * GAP_MS // 1000, np.float32)
    out = []
    for k, (part, is_main) in enumerate(zip(parts, main, strict=True)):
        audio = np.array(part, np.float32)  # a copy: the fades below write in place
        level = active_rms(audio, sample_rate)
        if not is_main and level > 0 and target > 0:
            peak = float(np.abs(audio).max())
            audio *= min(target / level, PEAK_LIMIT / peak)
        n = min(fade, len(audio) // 2)
        if k > 0:
            audio[:n] *= ramp[:n]
        if k < len(parts) - 1:
            audio[len(audio) - n :] *= ramp[:n][::-1]
            out += [audio, gap]
        else:
            out.append(audio)
    return np.clip(np.concatenate(out), -1.0, 1.0).astype(np.float32)
