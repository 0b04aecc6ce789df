"""Review app on a real 20-hour manuscript: edit-to-hear (median of 10 text edits) and the app's memory.

    python -m bench.review_long [--hours 20] [--edits 10] [--workdir /tmp/lector-bench-review-long]

The book is bench.longbook's generated Markdown (``--hours`` of prose in 30-minute chapters, one
espeak-draft narrator). Its build for the app is made once under ``--workdir`` (``<name>.base``,
reused by later runs): the real plan (``build_plan``, written to plan.json; the token cache it
leaves makes later plans quick) and, for every chapter, a timeline of the plan's sentences with
times at espeak's pace and no audio (rendering 20 hours would take the bench's whole budget;
the app's pages and the preview need the rows, not the samples), plus a qc.json flagging 1 in 20.
A fresh copy is opened in the app (TestClient, one app in this process as `lector review` runs
it), the preview worker is warmed (its first full plan, timed apart), then a sentence of about
20 words in the middle chapter is edited ``--edits`` times through the app's HTTP API ("Preview":
the manuscript line changed, the chapter planned, the sentence synthesized in the worker, the
take fetched). Then every page is read (project, queue, each chapter, a sentence's words).

Writes bench/results/review_long.json. Targets: edit_to_hear_s_median <= 3; app_rss_mb <= 400.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

from .common import metric, peak_rss_mb, print_metrics, write_result
from .longbook import NOUNS, write_project
from .review import BASE, rss_mb

SECONDS_PER_WORD = 60 / 172  # espeak-draft en-us (bench.longbook.WORDS_PER_HOUR)


def make_base(base: Path, hours: float) -> dict:
    """The generated book with its real plan, per-chapter timelines (no audio) and a qc.json."""
    from lector.core.build import BuildDir
    from lector.core.planner import build_plan
    from lector.core.project import load_project

    shutil.rmtree(base, ignore_errors=True)
    write_project(base, hours)
    project = load_project(base)
    t0 = time.perf_counter()
    plan = build_plan(project)
    plan_s = time.perf_counter() - t0
    bd = BuildDir.of(project)
    bd.write_plan(plan)
    qc = []
    for ch in plan.chapters:
        rows, at = [], 0.0
        for s in ch.sentences:
            length = SECONDS_PER_WORD * max(1, len(s.text.split()))
            rows.append(
                {
                    "id": s.id,
                    "start_s": round(at, 3),
                    "end_s": round(at + length, 3),
                    "cache_key": "",
                    "text": s.text,
                    "pronunciation": s.pronunciation,
                    "voice": s.voice,
                    "emotion": s.emotion,
                    "seed": s.seed,
                    "engine": "espeak-draft",
                }
            )
            at += length + s.pause_after_ms / 1000
        timeline = {"chapter": ch.index, "title": ch.title, "sample_rate": 44100, "duration_s": at}
        bd.chapter_dir(ch.index).mkdir(parents=True, exist_ok=True)
        bd.timeline_path(ch.index).write_text(json.dumps({**timeline, "sentences": rows}), encoding="utf-8")
        flagged = [{"sentence_id": r["id"], "flags": ["internal-silence"], "wer": 0.3} for r in rows[::20]]
        qc.append({"chapter": ch.index, "sentences": flagged})
    n_flagged = sum(len(c["sentences"]) for c in qc)
    summary = {"chapters": len(qc), "sentences": sum(len(c.sentences) for c in plan.chapters)}
    summary |= {"flagged": n_flagged, "flags": {"internal-silence": n_flagged}, "profile_failures": 0}
    bd.qc_json.write_text(json.dumps({"summary": summary, "chapters": qc}), encoding="utf-8")
    made = {"plan_s_cold": round(plan_s, 1), **summary}
    (base / "bench-base.json").write_text(json.dumps(made), encoding="utf-8")
    return made


def _target(rows: list[dict]) -> dict:
    return min(rows, key=lambda r: abs(len(r["text"].split()) - 20))


def _edit(text: str, i: int) -> str:
    """The i-th variant: the sentence's last word replaced by another noun."""
    words = text.rstrip(".").split()
    return " ".join([*words[:-1], NOUNS[i % len(NOUNS)]]) + "."


def measure(project: Path, edits: int) -> dict:
    from fastapi.testclient import TestClient

    from lector.review.app import create_app

    app = create_app(project)
    with TestClient(app, base_url=BASE) as client:
        service = app.state.ctx.previews
        chapters = sorted(int(p.name) for p in (project / "build" / "chapters").iterdir())
        middle = chapters[len(chapters) // 2]
        timeline = project / "build" / "chapters" / f"{middle:02d}" / "timeline.json"
        row = _target(json.loads(timeline.read_text("utf-8"))["sentences"])
        client.get("/")
        token = client.cookies["lector_csrf"]
        rss_open = rss_mb()
        t0 = time.perf_counter()
        service.warm().join()
        warm_s = time.perf_counter() - t0
        times, synthesized = [], 0
        for i in range(edits):
            t0 = time.perf_counter()
            r = client.post(
                f"/sentences/{row['id']}/preview",
                data={"text": _edit(row["text"], i), "csrf_token": token},
                headers={"X-Requested-With": "fetch"},
            )
            r.raise_for_status()
            client.get(r.json()["take"]["url"]).raise_for_status()
            times.append(time.perf_counter() - t0)
            synthesized += int(r.json()["synthesized"])
        rss_edits, worker = rss_mb(), service.worker.memory_mb()
        pages = []
        client.get("/queue").raise_for_status()
        for c in chapters:
            t0 = time.perf_counter()
            client.get(f"/chapters/{c}").raise_for_status()
            pages.append(time.perf_counter() - t0)
        client.get(f"/api/sentences/{row['id']}/words").raise_for_status()
        rss_pages = rss_mb()
    return {
        "chapter": middle,
        "sentence": row["text"],
        "words": len(row["text"].split()),
        "edit_to_hear_s": [round(t, 3) for t in times],
        "median_s": round(statistics.median(times), 3),
        "synthesized": synthesized,
        "warm_s": round(warm_s, 1),
        "rss_mb_open": rss_open,
        "rss_mb_after_edits": rss_edits,
        "rss_mb_after_all_pages": rss_pages,
        "app_peak_rss_mb": peak_rss_mb(),
        "worker_rss_mb": worker.get("rss_mb"),
        "worker_peak_mb": worker.get("peak_mb"),
        "chapter_page_median_s": round(statistics.median(pages), 2),
        "plan_json_mb": round((project / "build" / "plan.json").stat().st_size / 2**20, 1),
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--hours", type=float, default=20)
    ap.add_argument("--edits", type=int, default=10)
    ap.add_argument("--workdir", type=Path, default=Path("/tmp/lector-bench-review-long"))
    ap.add_argument("--fresh", action="store_true", help="generate and plan the book again")
    ap.add_argument("--make-base", type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.make_base:
        make_base(args.make_base, args.hours)
        return 0
    os.environ.setdefault("LECTOR_REVIEW_WARM", "0")  # warmed explicitly, timed apart
    from lector.core.memtune import bound_heap

    bound_heap()  # as `lector review` runs the app
    base = args.workdir / f"long-{args.hours:g}h.base"
    made_file = base / "bench-base.json"
    made = json.loads(made_file.read_text()) if made_file.is_file() and not args.fresh else None
    if made is None:  # in a child: the planner's models are not the measured app's memory
        cmd = [
            sys.executable,
            "-m",
            "bench.review_long",
            "--make-base",
            str(base),
            "--hours",
            str(args.hours),
        ]
        subprocess.run(cmd, check=True, cwd=Path(__file__).resolve().parents[1], timeout=1800)
        made = json.loads(made_file.read_text())
    project = args.workdir / f"long-{args.hours:g}h"
    shutil.rmtree(project, ignore_errors=True)
    shutil.copytree(base, project)
    got = measure(project, args.edits)
    book = f"{args.hours:g}-hour Markdown book ({made['sentences']} sentences, {made['chapters']} chapters)"
    metrics = [
        metric(
            "edit_to_hear_s_median",
            got["median_s"],
            "s",
            "<= 3",
            note=f"median of {args.edits} text edits of a {got['words']}-word sentence, {book}; "
            "TestClient POST preview + GET take; this machine's load shared",
        ),
        metric(
            "app_rss_mb",
            max(got["rss_mb_after_edits"], got["rss_mb_after_all_pages"]),
            "MB",
            "<= 400",
            note=f"the app's process after the edits and every page read, {book}",
        ),
        metric("worker_warm_s", got["warm_s"], "s", note="the worker's first full plan of the book"),
        metric("worker_peak_mb", got["worker_peak_mb"], "MB", note="the preview worker (planner + engine)"),
    ]
    write_result("review_long", metrics, details={"book": made, **got})
    print_metrics(metrics)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
