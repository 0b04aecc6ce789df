"""Review app: edit-to-hear (median of 10 edits / re-rolls) and the app's memory.

    python -m bench.review [--edits 10] [--workdir /tmp/lector-bench-review] [--fresh]

Copies projects/demo-zh (Markdown: real text edits) and projects/demo-en (EPUB: its text cannot
be edited in place, so re-rolls) under ``--workdir``, renders chapter 1 of each *inside the app*
(review.preview: no Prefect server), then times, through the app's HTTP API (TestClient),
"Preview" (apply the change, plan, synthesize on the engine's long-lived worker, fetch the take)
for the sentence nearest 30 Han characters / 20 English words, and one "Accept" (master,
chapter.flac, exports). Writes bench/results/review.json. Target: median edit-to-hear <= 3 s.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import time
from pathlib import Path

from .common import BENCH_DIR, metric, write_result

REPO = BENCH_DIR.parent
BASE = "http://127.0.0.1:8765"
ZH_WORDS = ["今天", "明天", "后来", "然后", "立刻", "慢慢", "马上", "终于", "忽然", "从此", "果然", "依然"]


def rss_mb() -> float:
    """The process's resident memory now (the app runs in this process), in MiB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return round(int(line.split()[1]) / 1024.0, 1)
    return 0.0


def prepare(name: str, workdir: Path, fresh: bool) -> Path:
    """A run's copy of ``<workdir>/<name>.base`` (the project with chapter 1 rendered in the app,
    made once; --fresh makes it again), so every run's edits are new to the render cache."""
    base, out = workdir / f"{name}.base", workdir / name
    if fresh and base.exists():
        shutil.rmtree(base)
    if not (base / "build" / "chapters" / "01" / "timeline.json").is_file():
        shutil.rmtree(base, ignore_errors=True)
        shutil.copytree(REPO / "projects" / name, base, ignore=shutil.ignore_patterns("build", "__pycache__"))
        render_first_chapter(base)
    shutil.rmtree(out, ignore_errors=True)
    shutil.copytree(base, out)
    return out


def render_first_chapter(project: Path) -> None:
    """In its own process (its models and QC are not the measured app's), through the app's
    in-process re-render (review.preview: no Prefect server)."""
    import subprocess
    import sys

    subprocess.run(
        [sys.executable, "-m", "bench.review", "--build", str(project)],
        check=True,
        cwd=REPO,
        timeout=900,
        capture_output=True,
    )


def build(project: Path) -> None:
    from fastapi.testclient import TestClient

    from lector.review.app import create_app

    app = create_app(project)
    with TestClient(app, base_url=BASE):
        service = app.state.ctx.previews
        service.render_chapter(1)
        if service.last_check is not None:
            service.last_check.result()


def _target(rows: list[dict], lang: str) -> dict:
    size = (
        (lambda t: sum(1 for ch in t if "\u4e00" <= ch <= "\u9fff"))
        if lang == "zh"
        else (lambda t: len(t.split()))
    )
    goal = 30 if lang == "zh" else 20
    return min(rows, key=lambda r: abs(size(r["text"]) - goal))


def _edit(text: str, i: int) -> str:
    """The i-th variant of a Chinese sentence, about 30 Han characters: its last two characters
    before the full stop replaced, and a clause added."""
    body = text.rstrip("。！？")
    return body[:-2] + ZH_WORDS[i % len(ZH_WORDS)] + "，然后他慢慢地走回了自己的家。"


def han(text: str) -> int:
    return sum(1 for ch in text if "\u4e00" <= ch <= "\u9fff")


def measure(project: Path, lang: str, edits: int) -> dict:
    import json

    from fastapi.testclient import TestClient

    from lector.review.app import create_app

    app = create_app(project)
    with TestClient(app, base_url=BASE) as client:
        service = app.state.ctx.previews
        timeline = project / "build" / "chapters" / "01" / "timeline.json"
        started = time.perf_counter()
        service.warm().join()
        warm_s = time.perf_counter() - started
        row = _target(json.loads(timeline.read_text("utf-8"))["sentences"], lang)
        client.get("/")
        token = client.cookies["lector_csrf"]
        rss_open = rss_mb()
        times, synthesized = [], 0
        for i in range(edits):
            change = {"text": _edit(row["text"], i)} if lang == "zh" else {"reroll": "1"}
            t0 = time.perf_counter()
            r = client.post(
                f"/sentences/{row['id']}/preview",
                data={**change, "csrf_token": token},
                headers={"X-Requested-With": "fetch"},
            )
            r.raise_for_status()
            audio = client.get(r.json()["take"]["url"])
            audio.raise_for_status()
            times.append(time.perf_counter() - t0)
            synthesized += int(r.json()["synthesized"])
        rss_edits = rss_mb()
        t0 = time.perf_counter()
        client.post(
            f"/sentences/{row['id']}/accept",
            data={"csrf_token": token},
            headers={"X-Requested-With": "fetch"},
        ).raise_for_status()
        accept_s = time.perf_counter() - t0
        if service.last_check is not None:
            service.last_check.result()
        return {
            "sentence": row["text"],
            "edit_kind": "text edit" if lang == "zh" else "re-roll",
            "edit_to_hear_s": [round(t, 3) for t in times],
            "median_s": round(statistics.median(times), 3),
            "synthesized": synthesized,
            "accept_s": round(accept_s, 3),
            "size": han(_edit(row["text"], 0)) if lang == "zh" else len(row["text"].split()),
            "warm_s": round(warm_s, 2),
            "rss_mb_open": rss_open,
            "rss_mb_after_edits": rss_edits,
            "rss_mb_after_qc": rss_mb(),
        }


def in_child(name: str, lang: str, args) -> dict:
    """One app per process, as `lector review` runs it: its memory is its own."""
    import json
    import subprocess
    import sys

    cmd = [
        sys.executable,
        "-m",
        "bench.review",
        "--child",
        name,
        "--lang",
        lang,
        "--edits",
        str(args.edits),
        "--workdir",
        str(args.workdir),
    ] + (["--fresh"] if args.fresh else [])
    done = subprocess.run(cmd, capture_output=True, text=True, check=True, cwd=REPO, timeout=900)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--edits", type=int, default=10)
    ap.add_argument("--workdir", type=Path, default=Path("/tmp/lector-bench-review"))
    ap.add_argument("--fresh", action="store_true", help="copy and render the books again")
    ap.add_argument("--quick", action="store_true", help="3 edits per book")
    ap.add_argument("--child", help=argparse.SUPPRESS)
    ap.add_argument("--lang", help=argparse.SUPPRESS)
    ap.add_argument("--build", type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.build:
        build(args.build)
        return 0
    os.environ.setdefault("LECTOR_REVIEW_WARM", "0")  # warmed explicitly, timed apart
    if args.quick:
        args.edits = 3
    if args.child:
        import json

        print(json.dumps(measure(prepare(args.child, args.workdir, args.fresh), args.lang, args.edits)))
        return 0
    edits = args.edits
    zh = in_child("demo-zh", "zh", args)
    en = in_child("demo-en", "en", args)
    note = f"median of {edits}; TestClient POST preview + GET take; this machine's load shared"
    metrics = [
        metric("edit_to_hear_zh_s", zh["median_s"], "s", "<= 3", note=f"demo-zh text edit, {note}"),
        metric("edit_to_hear_en_s", en["median_s"], "s", "<= 3", note=f"demo-en re-roll, {note}"),
        metric("accept_zh_s", zh["accept_s"], "s", note="master + chapter.flac + MP3/VTT/AAC of chapter 1"),
        metric("accept_en_s", en["accept_s"], "s", note="master + chapter.flac + MP3/VTT/AAC of chapter 1"),
        metric(
            "app_rss_mb_edits",
            max(zh["rss_mb_after_edits"], en["rss_mb_after_edits"]),
            "MB",
            "<= 400",
            note="one app per process (the larger of zh, en): planner + engine loaded, after the edits",
        ),
        metric(
            "app_rss_mb_after_qc",
            max(zh["rss_mb_after_qc"], en["rss_mb_after_qc"]),
            "MB",
            "<= 400",
            note="the same after accept and the chapter's QC (ASR + speaker models loaded in the app)",
        ),
    ]
    write_result("review", metrics, details={"zh": zh, "en": en}, quick=args.quick)
    for m in metrics:
        print(
            f"{m.name}: {m.value} {m.unit} {m.target} {'' if m.ok is None else ('ok' if m.ok else 'MISSED')}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
