"""`lector say TEXT --lang zh|en --out file.wav`: speak a text through one engine.

The text goes through the planner's own front end (lector.core.speak.plan_speech: normalised,
cut into sentences no longer than the engine's max_chars, split into language spans, pronounced
with the project's lexicon when ``--project`` is given), so it sounds as it would in the book.
Every sentence is synthesized and the result written as a 16-bit PCM WAV. The same text and
seed give a byte-identical file across processes.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # imported in the functions: `lector --help` loads no numpy or engines
    from lector.core.audio.io import Audio
    from lector.core.project import Project, VoiceSpec

PAUSE_MS = 400


def register(sub) -> None:
    p = sub.add_parser("say", help="speak a text with one engine and write a WAV")
    p.add_argument("text", help="text to speak")
    p.add_argument("--lang", required=True, help="language of the text: zh | en (or any espeak language)")
    p.add_argument("--engine", help="engine id (default: the project's narrator, else by language)")
    p.add_argument("--voice", default=None, help="engine voice id (default: the engine's default)")
    p.add_argument("--emotion", default="neutral")
    p.add_argument("--emotion-degree", type=float, default=1.0)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--speed", type=float, default=None, help="speaking-rate multiplier")
    p.add_argument("--project", default=None, help="project folder (lexicon, engine options, cast)")
    p.add_argument("--out", required=True, help="output .wav path")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    import numpy as np

    from lector.core.engines.base import SynthRequest
    from lector.core.engines.registry import get_engine
    from lector.core.errors import AudioError
    from lector.core.speak import plan_speech

    project = None
    if args.project:
        from lector.core.project import load_project

        project = load_project(args.project)
    spec = _voice(args, project)
    sentences, warnings = plan_speech(args.text, spec, project)
    for w in warnings:
        print(f"warning: {w.kind}: {w.message}", file=sys.stderr)
    engine = get_engine(spec.engine, project.config.engines.get(spec.engine) if project else None)
    requests = [
        SynthRequest(
            sentence_id=f"say-{i:03d}",
            spans=s.spans,
            voice=spec.voice,
            emotion=args.emotion,
            emotion_degree=args.emotion_degree,
            seed=args.seed + i,
            speed=spec.speed,
            pitch=spec.pitch,
        )
        for i, s in enumerate(sentences)
    ]
    if not requests:
        raise AudioError("nothing to say: the text is empty", field="text", fix="pass some text")
    audio = engine.synthesize(requests)
    sr = engine.capabilities.sample_rate
    gap = np.zeros(int(sr * PAUSE_MS / 1000), np.float32)
    joined = np.concatenate([x for a in audio for x in (a, gap)][:-1])
    write_wav(Path(args.out), joined, sr)
    print(
        f"wrote {args.out}: {len(joined) / sr:.2f} s, {sr} Hz, engine {spec.engine}, {len(requests)} piece(s)"
    )
    return 0


def _voice(args: argparse.Namespace, project: Project | None) -> VoiceSpec:
    """The project's narrator when it speaks ``--lang`` and no ``--engine`` is given, else the
    engine asked for (or the language's default engine) with ``--voice``."""
    from pydantic import ValidationError

    from lector.core.errors import ConfigError
    from lector.core.project import VoiceSpec
    from lector.core.speak import DEFAULT_ENGINE

    lang = args.lang.split("-")[0].lower()
    if not re.fullmatch(r"[a-z]{2,3}", lang):
        raise ConfigError(
            f"--lang {args.lang!r} is not a language code", field="--lang", fix="use zh, en or e.g. de, fr"
        )
    if args.engine is None and project is not None:
        spec = project.config.voices.get(project.config.book.narrator)
        if spec is not None and spec.lang == lang:
            return spec.model_copy(
                update={
                    "voice": args.voice or spec.voice,
                    "speed": args.speed or spec.speed,
                    "fallback": None,
                }
            )
    engine_id = args.engine or DEFAULT_ENGINE.get(lang, "espeak-draft")
    try:
        return VoiceSpec(engine=engine_id, voice=args.voice or "default", lang=lang, speed=args.speed or 1.0)
    except ValidationError as exc:
        err = exc.errors()[0]
        raise ConfigError(
            f"--speed {args.speed}: {err['msg']}", field="--speed", fix="use a multiplier above 0.25, up to 4"
        ) from None


def write_wav(path: Path, audio: Audio, sample_rate: int) -> None:
    import numpy as np
    import soundfile as sf

    path.parent.mkdir(parents=True, exist_ok=True)
    sf.write(str(path), np.clip(audio, -1.0, 1.0), sample_rate, subtype="PCM_16", format="WAV")
