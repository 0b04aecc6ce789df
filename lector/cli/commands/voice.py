"""`lector voice add PROJECT NAME CLIP --transcript TEXT` and `lector voice list PROJECT`.

``add`` validates a reference clip (3–30 s, >= 16 kHz, not clipped, not noisy, one speaker),
stores it under ``PROJECT/voices/NAME/`` with its transcript in ``voice.toml`` and caches
its speaker embedding. A refused clip exits with code 2 and one line naming the measured
value, the limit and the fix.
"""

from __future__ import annotations

from lector.core.errors import ConfigError


def register(sub) -> None:
    p = sub.add_parser("voice", help="reference-clip voices: add a clip, list voices")
    vsub = p.add_subparsers(dest="voice_command", required=True, metavar="ACTION")
    a = vsub.add_parser("add", help="validate a reference clip and store it in a voice")
    a.add_argument("project", help="project folder")
    a.add_argument("name", help="voice name (folder under PROJECT/voices)")
    a.add_argument("clip", help="reference clip (WAV/FLAC, 3–30 s, 5–10 s recommended)")
    a.add_argument("--transcript", required=True, help="exact words spoken in the clip")
    a.add_argument(
        "--engine",
        default=None,
        help="engine that speaks the voice: gpt-sovits, cosyvoice or openai-speech "
        "(default: the cast's, else gpt-sovits)",
    )
    a.add_argument("--lang", default=None, help="language of the clip (default: the book's)")
    a.add_argument("--emotion", default="neutral", help="emotion this clip carries")
    a.set_defaults(func=run_add)
    ls = vsub.add_parser("list", help="list the project's voices and their clips")
    ls.add_argument("project", help="project folder")
    ls.set_defaults(func=run_list)


def run_add(args) -> int:
    from lector.core.errors import did_you_mean
    from lector.core.project import load_project
    from lector.core.voices.store import CLONING_ENGINES, add_clip, cast_engine, voices_dir

    project = load_project(args.project)
    if args.engine is not None and args.engine not in CLONING_ENGINES:
        raise ConfigError(
            f"engine {args.engine!r} does not speak reference-clip voices"
            f"{did_you_mean(args.engine, CLONING_ENGINES)}",
            field="--engine",
            fix=f"use one of: {', '.join(CLONING_ENGINES)}",
        )
    if args.emotion not in project.config.emotions:
        raise ConfigError(
            f"emotion {args.emotion!r} is not one of the project's emotions"
            f"{did_you_mean(args.emotion, project.config.emotions)}",
            field="--emotion",
            fix=f"use one of {list(project.config.emotions)}",
        )
    result = add_clip(
        voices_dir(project.root),
        args.name,
        args.clip,
        args.transcript,
        engine=args.engine or cast_engine(project, args.name),
        lang=args.lang or project.config.book.language,
        emotion=args.emotion,
    )
    r = result.report
    print(
        f"added {result.voice.folder / result.entry.file} to voice {args.name!r} "
        f"({result.voice.config.engine}): {r.duration_s:.1f} s, {r.sample_rate} Hz, "
        f"SNR {r.snr_db:.0f} dB, one-speaker cosine {r.speaker_cosine:.2f}"
    )
    for warning in r.warnings:
        print(f"warning: {warning}")
    return 0


def run_list(args) -> int:
    from lector.core.project import load_project
    from lector.core.voices.store import list_voices, voices_dir

    project = load_project(args.project)
    voices = list_voices(voices_dir(project.root))
    if not voices:
        print(f"no voices in {voices_dir(project.root)} — add one with `lector voice add`")
        return 0
    for voice in voices:
        cfg = voice.config
        cast = sorted(
            n for n, s in project.config.voices.items() if s.voice == voice.name and s.engine == cfg.engine
        )
        total_s = sum(c.duration_s for c in cfg.clips)
        emotions = sorted({c.emotion for c in cfg.clips})
        extra = f" speaker {cfg.engine_voice}" if cfg.engine_voice else ""
        print(
            f"{voice.name}: engine {cfg.engine}, {cfg.language}, {len(cfg.clips)} clip(s) "
            f"{total_s:.1f} s, emotions {','.join(emotions) or '-'}{extra}; "
            f"cast: {', '.join(cast) or '-'}"
        )
        for clip in cfg.clips:
            print(f"  {clip.file} [{clip.emotion}, {clip.lang}] {clip.duration_s:.1f} s: {clip.transcript}")
    return 0
