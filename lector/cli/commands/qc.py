"""`lector qc PROJECT [--json] [--no-asr] [--no-voice] [--chapters 1,2]`: QC the built
chapters (timeline.json + cached takes), write build/qc.json, print the report.
Exit status 1 when any sentence is flagged or a chapter fails its mastering profile."""

from __future__ import annotations

import json
from pathlib import Path

from lector.core.errors import ConfigError


def register(sub) -> None:
    p = sub.add_parser("qc", help="check rendered chapters: signal, voice consistency, ASR round-trip")
    p.add_argument("project", help="project folder")
    p.add_argument("--json", action="store_true", help="print the full JSON report")
    p.add_argument("--no-asr", action="store_true", help="skip the Whisper round-trip (English)")
    p.add_argument("--no-voice", action="store_true", help="skip speaker-embedding consistency")
    p.add_argument("--chapters", default=None, help="comma-separated chapter numbers (default: all built)")
    p.set_defaults(func=run)


def _chapters(value: str | None) -> list[int] | None:
    if not value:
        return None
    try:
        return [int(v) for v in value.split(",") if v.strip()]
    except ValueError:
        raise ConfigError(
            f"--chapters {value!r} is not a list of numbers",
            field="--chapters",
            fix="write e.g. --chapters 1,3",
        ) from None


def run(args) -> int:
    from lector.core.build import BuildDir
    from lector.core.qc import QCOptions, options_for, run_qc

    root = Path(args.project).resolve()
    build = BuildDir(root / "build")
    if not build.chapters_dir.is_dir():
        raise ConfigError(
            "no built chapters",
            file=build.chapters_dir,
            fix=f"run `lector render {args.project}` first",
        )
    if (root / "project.toml").is_file():
        from lector.core.project import load_project

        options = options_for(load_project(root), asr=not args.no_asr, voice=not args.no_voice)
    else:  # a bare build folder: no mastering profile to check
        options = QCOptions(asr=not args.no_asr, voice=not args.no_voice)
    report = run_qc(root, chapters=_chapters(args.chapters), options=options)
    summary = report.summary()
    if args.json:
        written = build.read_qc()
        print(json.dumps(written.to_dict() if written else {}, ensure_ascii=False, indent=2))
    else:
        for chapter in report.chapters:
            s = chapter.summary()
            counts = f"{s['sentences']} sentences, {s['flagged']} flagged {s['flags']}"
            print(f"chapter {chapter.chapter:02d}: {counts}")
            for q in chapter.flagged:
                print(f"  {q.sentence_id}  {', '.join(q.flags)}")
            for p in chapter.profile:
                if not p.ok:
                    print(f"  profile {p.name}: {p.detail}")
        print(f"report: {build.qc_json}")
    return 1 if summary["flagged"] or summary["profile_failures"] else 0
