"""`lector say TEXT --lang zh|en --out file.wav`: speak a text through one engine.

Runs the text front-end (normalise, split into sentences no longer than the engine's
max_chars, cut zh/en runs, pronounce with the project's lexicon when ``--project`` is
given), synthesizes every piece and writes a 16-bit PCM WAV. The same text and seed
give a byte-identical file across processes.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # imported in the functions: `lector --help` loads no numpy or engines
    import numpy as np

    from lector.core.model import Span

DEFAULT_ENGINE = {"zh": "fastspeech2-zh", "en": "piper-en"}
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


def run(args) -> int:
    import numpy as np

    from lector.core.engines.base import SynthRequest
    from lector.core.engines.registry import get_engine
    from lector.core.errors import AudioError

    project = None
    if args.project:
        from lector.core.project import load_project

        project = load_project(args.project)
    engine_id, voice, speed, pitch = _choose(args, project)
    options = project.config.engines.get(engine_id) if project else None
    engine = get_engine(engine_id, options)
    pieces = front_end(args.text, args.lang, engine.capabilities.max_chars, project.root if project else None)
    requests = [
        SynthRequest(
            sentence_id=f"say-{i:03d}",
            spans=spans,
            voice=voice,
            emotion=args.emotion,
            emotion_degree=args.emotion_degree,
            seed=args.seed + i,
            speed=speed,
            pitch=pitch,
        )
        for i, spans in enumerate(pieces)
    ]
    if not requests:
        raise AudioError("nothing to say: the text is empty", field="text", fix="pass some text")
    audio = engine.synthesize(requests)
    sr = engine.capabilities.sample_rate
    gap = np.zeros(int(sr * PAUSE_MS / 1000), np.float32)
    joined = np.concatenate([x for a in audio for x in (a, gap)][:-1])
    write_wav(Path(args.out), joined, sr)
    print(
        f"wrote {args.out}: {len(joined) / sr:.2f} s, {sr} Hz, engine {engine_id}, {len(requests)} piece(s)"
    )
    return 0


def _choose(args, project) -> tuple[str, str, float, float]:
    speed = args.speed or 1.0
    if args.engine is None and project is not None:
        spec = project.config.voices.get(project.config.book.narrator)
        if spec is not None and spec.lang == args.lang:
            return spec.engine, args.voice or spec.voice, args.speed or spec.speed, spec.pitch
    engine_id = args.engine or DEFAULT_ENGINE.get(args.lang, "espeak-draft")
    return engine_id, args.voice or "default", speed, 1.0


def front_end(text: str, lang: str, max_chars: int, project_root: Path | None) -> list[tuple[Span, ...]]:
    """Text -> one tuple of spans per piece (sentence, or part of an over-long sentence)."""
    from lector.core.text.segment import split_lang, split_long, split_sentences

    text = _normalize(text, lang)
    pron = _pronouncer(project_root)
    pieces = []
    for sentence in split_sentences(text, lang):
        for piece in split_long(sentence, max_chars):
            if not piece.strip():
                continue
            runs = (
                split_lang(piece.strip(), default=lang) if lang in ("zh", "en") else [(piece.strip(), lang)]
            )
            pieces.append(tuple(_span(run, run_lang, pron) for run, run_lang in runs if run.strip()))
    return [p for p in pieces if p]


def _normalize(text: str, lang: str) -> str:
    if lang == "zh":
        from lector.core.text.normalize_zh import normalize_zh

        return normalize_zh(text)
    if lang == "en":
        from lector.core.text.normalize_en import normalize_en

        return normalize_en(text)
    return text


def _pronouncer(project_root: Path | None):
    try:
        from lector.core.text.pronounce import Pronouncer
    except ImportError:
        return None  # front-end not installed: engines fall back to their own G2P
    return Pronouncer.for_project(project_root)


def _span(run: str, lang: str, pron) -> Span:
    from lector.core.model import Span

    tokens: tuple = ()
    spoken = run
    if pron is not None and lang in ("zh", "en"):
        spoken = pron.substitute(run, lang)
        tokens = tuple(pron.tokens(spoken, lang))
    return Span(text=run, spoken=spoken, lang=lang, tokens=tokens)


def write_wav(path: Path, audio: np.ndarray, sample_rate: int) -> None:
    import numpy as np
    import soundfile as sf

    path.parent.mkdir(parents=True, exist_ok=True)
    sf.write(str(path), np.clip(audio, -1.0, 1.0), sample_rate, subtype="PCM_16", format="WAV")
