"""`lector engines [--json] [--project PATH]`: engines, their voices and capabilities."""

from __future__ import annotations

import json
from dataclasses import asdict


def register(sub) -> None:
    p = sub.add_parser("engines", help="list engines, voices and capabilities")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.add_argument("--project", default=None, help="project folder ([engines.*] options)")
    p.add_argument("--engine", default=None, help="only this engine")
    p.set_defaults(func=run)


def describe(engine_id: str, options=None) -> dict:
    """{"id", "available", "capabilities", "voices"} or {"id", "available": False, "error"}."""
    from lector.core.engines.registry import get_engine
    from lector.core.errors import LectorError

    try:
        engine = get_engine(engine_id, options)
    except LectorError as exc:
        return {"id": engine_id, "available": False, "error": str(exc)}
    return {
        "id": engine_id,
        "available": True,
        "capabilities": asdict(engine.capabilities),
        "voices": [asdict(v) for v in engine.voices()],
    }


def run(args) -> int:
    from lector.core.engines.registry import known_engines, list_engines
    from lector.core.errors import EngineError, did_you_mean

    if args.engine and args.engine not in known_engines():
        raise EngineError(
            f"unknown engine {args.engine!r}{did_you_mean(args.engine, known_engines())}",
            field="--engine",
            fix=f"use one of: {', '.join(known_engines())}",
        )
    options = {}
    if args.project:
        from lector.core.project import load_project

        options = dict(load_project(args.project).config.engines)
    ids = [args.engine] if args.engine else list(list_engines())
    rows = [describe(i, options.get(i)) for i in ids]
    if args.json:
        print(json.dumps(rows, ensure_ascii=False, indent=2))
        return 0
    for row in rows:
        if not row["available"]:
            print(f"{row['id']}: unavailable — {row['error']}")
            continue
        c = row["capabilities"]
        langs = ", ".join(c["languages"][:12]) + (" …" if len(c["languages"]) > 12 else "")
        print(
            f"{row['id']} (v{c['version']}): {c['sample_rate']} Hz, max {c['max_chars']} chars, "
            f"langs [{langs}], seedable={c['seedable']}, batchable={c['batchable']}, "
            f"phonemes={c['accepts_phonemes']}, device={c['device']}"
        )
        print(f"  emotions ({c['emotion_method']}): {', '.join(c['emotions'])}")
        voices = row["voices"]
        shown = ", ".join(v["voice_id"] for v in voices[:12]) + (
            f" … (+{len(voices) - 12})" if len(voices) > 12 else ""
        )
        print(f"  voices: {shown}")
    return 0
