"""`lector plan PROJECT [--json] [--chapters 1,3]`: print the render plan."""

from __future__ import annotations

import argparse

from lector.core.errors import ConfigError


def register(sub) -> None:
    p = sub.add_parser("plan", help="show the render plan (sentences, voices, seeds, pronunciations)")
    p.add_argument("project", help="project folder (holds project.toml)")
    p.add_argument("--json", action="store_true", help="print the plan as JSON")
    p.add_argument("--chapters", default=None, help="only these chapter numbers, e.g. 1,3")
    p.add_argument("--max-chars", type=int, default=None, help="split sentences longer than this")
    p.add_argument("--write", action="store_true", help="also save the full plan to build/plan.json")
    p.add_argument(
        "--proof",
        action="store_true",
        help="write the proof report (build/proof.html, build/proof.json) and print its summary",
    )
    p.set_defaults(func=run)


def parse_chapters(text: str | None) -> set[int] | None:
    if not text:
        return None
    try:
        chapters = {int(part) for part in text.split(",") if part.strip()}
    except ValueError:
        raise ConfigError(
            f"--chapters {text!r} is not a list of numbers",
            field="--chapters",
            fix="write e.g. --chapters 1,3",
        ) from None
    if not chapters or min(chapters) < 1:
        raise ConfigError(
            f"--chapters {text!r} must name chapters from 1",
            field="--chapters",
            fix="write e.g. --chapters 1,3",
        )
    return chapters


def run(args: argparse.Namespace) -> int:
    from lector.core.build import BuildDir
    from lector.core.planner import build_plan, plan_to_json
    from lector.core.project import load_project

    chapters = parse_chapters(args.chapters)
    project = load_project(args.project)
    plan = build_plan(project, max_chars=args.max_chars)
    if args.write:
        BuildDir.of(project).write_plan(plan)
    if chapters is not None:
        missing = chapters - {c.index for c in plan.chapters}
        if missing:
            raise ConfigError(
                f"no chapter {sorted(missing)} (the book has {len(plan.chapters)})",
                field="--chapters",
                fix=f"use numbers 1..{len(plan.chapters)}",
            )
    if args.proof:
        from .proof import write_and_report

        return write_and_report(plan, project, as_json=args.json)
    if args.json:
        print(plan_to_json(plan, chapters=chapters))
        return 0
    print(f"{plan.title} — {plan.author} [{plan.language}]  plan {plan.plan_hash[:12]}")
    for chapter in plan.chapters:
        if chapters is not None and chapter.index not in chapters:
            continue
        print(
            f"\n{chapter.index:02d}  {chapter.title}  ({len(chapter.sentences)} sentences, {chapter.source})"
        )
        for s in chapter.sentences:
            mood = s.emotion if s.emotion_degree == 1.0 else f"{s.emotion}:{s.emotion_degree:g}"
            print(f"  {s.id}  {s.voice:<10} {mood:<10} seed={s.seed:<10} +{s.pause_after_ms}ms  {s.text}")
            if s.spoken != s.text:
                print(f"  {'':12}  spoken: {s.spoken}")
            if s.pronunciation:
                print(f"  {'':12}  pron:   {s.pronunciation}")
    print_warnings(plan.warnings)
    return 0


def print_warnings(warnings, limit: int = 10) -> None:
    """The plan's warnings, per kind (the first ``limit`` of each; all are in `lector proof`)."""
    if not warnings:
        return
    by_kind: dict[str, list] = {}
    for w in warnings:
        by_kind.setdefault(w.kind, []).append(w)
    print(f"\nwarnings: {len(warnings)}")
    for kind, items in by_kind.items():
        print(f"  {kind} ({len(items)})")
        for w in items[:limit]:
            print(f"    {w.source}: {w.message}" if w.source else f"    {w.message}")
        if len(items) > limit:
            print(f"    ... {len(items) - limit} more (lector proof PROJECT lists them all)")
