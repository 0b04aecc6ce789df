"""`lector proof PROJECT [--json] [--out DIR]`: the proof report (build/proof.html + build/proof.json).

Same as `lector plan PROJECT --proof`. The report itself is built by lector.core.proof."""

from __future__ import annotations

import argparse


def register(sub) -> None:
    p = sub.add_parser(
        "proof",
        help="write a proof report of the plan (durations, dropped and transformed "
        "text, warnings) to build/proof.html and build/proof.json",
    )
    p.add_argument("project", help="project folder (holds project.toml)")
    p.add_argument("--json", action="store_true", help="print the report as JSON instead of a summary")
    p.add_argument("--out", default=None, help="folder for proof.html/proof.json (default: PROJECT/build)")
    p.add_argument("--max-chars", type=int, default=None, help="split sentences longer than this")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from lector.core.planner import build_plan
    from lector.core.project import load_project

    project = load_project(args.project)
    plan = build_plan(project, max_chars=args.max_chars)
    return write_and_report(plan, project, out=args.out, as_json=args.json)


def write_and_report(plan, project, *, out: str | None = None, as_json: bool = False) -> int:
    from lector.core.proof import _hms, build_proof, proof_to_json, write_proof

    proof = build_proof(plan, project)
    json_path, html_path = write_proof(proof, out or project.build_dir)
    if as_json:
        print(proof_to_json(proof))
        return 0
    print(
        f"{proof.title} — {proof.author}: {len(proof.chapters)} chapters, "
        f"{sum(c.sentences for c in proof.chapters)} sentences, about {_hms(proof.estimated_s)}"
    )
    for c in proof.chapters:
        flag = f"  OVER the {proof.profile} chapter limit" if c.over_limit else ""
        print(f"  {c.index:02d}  {_hms(c.estimated_s)}  {c.sentences:5d} sentences  {c.title}{flag}")
    changes: dict[str, int] = {}
    for ch in proof.changes:
        changes[ch.kind] = changes.get(ch.kind, 0) + 1
    if changes:
        print("transformed: " + ", ".join(f"{k} {n}" for k, n in sorted(changes.items())))
    if proof.warnings:
        print("warnings: " + ", ".join(f"{k} {n}" for k, n in sorted(proof.warning_counts.items())))
    print(f"proof: {html_path}\n       {json_path}")
    return 0
