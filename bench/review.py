"""Review app: edit-to-hear (median of 10 edits / re-rolls), the app's memory and its worker's.

    python -m bench.review [--edits 10] [--workdir /tmp/lector-bench-review] [--fresh] [--quick]

Copies projects/demo-zh (Markdown: real text edits) and projects/demo-en (EPUB: its text cannot
be edited in place, so re-rolls) under ``--workdir``, renders chapter 1 of each *inside the app*
(review.preview: no Prefect server), then times, through the app's HTTP API (TestClient),
"Preview" (apply the change, plan, synthesize in the preview worker process, fetch the take)
for the sentence nearest 30 Han characters / 20 English words, and one "Accept" (master,
chapter.flac, exports). The app's RSS is this process's; the planner and engines live in the
preview worker (a child), whose RSS and peak are reported apart, as is the largest child's peak
(worker or QC child). A synthetic 20-hour book (plan.json, timelines and qc.json of ~19,600
sentences) is opened in a fresh app, every page read, for the app's RSS with a long book.
Writes bench/results/review.json. Targets: median edit-to-hear <= 3 s; app RSS <= 400 MB.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import time
from pathlib import Path

from .common import BENCH_DIR, metric, peak_rss_mb, print_metrics, write_result

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
        rss_edits, worker_edits = rss_mb(), service.worker.memory_mb()
        t0 = time.perf_counter()
        client.post(
            f"/sentences/{row['id']}/accept",
            data={"csrf_token": token},
            headers={"X-Requested-With": "fetch"},
        ).raise_for_status()
        accept_s = time.perf_counter() - t0
        if service.last_check is not None:
            service.last_check.result()
        worker_qc, rss_qc, worker_pid = service.worker.memory_mb(), rss_mb(), service.worker.pid
    stopped = worker_pid is not None and not Path(f"/proc/{worker_pid}").exists()
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
        "rss_mb_after_qc": rss_qc,
        "worker_rss_mb_after_edits": worker_edits.get("rss_mb"),
        "worker_rss_mb_after_accept": worker_qc.get("rss_mb"),
        "worker_peak_mb": worker_qc.get("peak_mb"),
        "children_peak_mb": peak_rss_mb(children=True),  # worker and QC child, once ended
        "worker_stopped_with_app": stopped,
    }


LONG_CHAPTERS, LONG_SENTENCES = 40, 490  # ~3.7 s a sentence (demo-en): about 20 hours


def make_long_book(workdir: Path) -> Path:
    """A synthetic 20-hour book for the app to open: demo-en's project.toml and its rendered
    chapter 1 repeated (new ids) into plan.json, 40 timelines and a qc.json flagging 1 in 20."""
    import json

    base = workdir / "demo-en.base"
    root = workdir / "long-book"
    shutil.rmtree(root, ignore_errors=True)
    (root / "build" / "chapters").mkdir(parents=True)
    shutil.copy2(base / "project.toml", root / "project.toml")
    plan = json.loads((base / "build" / "plan.json").read_text("utf-8"))
    rows = json.loads((base / "build" / "chapters" / "01" / "timeline.json").read_text("utf-8"))["sentences"]
    models = [s for c in plan["chapters"] for s in c["sentences"]]
    chapters, qc_chapters, step, n_flagged = [], [], rows[-1]["end_s"] / len(rows), 0
    for c in range(1, LONG_CHAPTERS + 1):
        ids = [f"{c:04x}{n:08x}" for n in range(LONG_SENTENCES)]
        chapters.append(
            {
                "index": c,
                "title": f"Chapter {c}",
                "source": "manuscript/long.md",
                "sentences": [{**models[n % len(models)], "id": sid} for n, sid in enumerate(ids)],
            }
        )
        timeline = {
            "chapter": c,
            "title": f"Chapter {c}",
            "sample_rate": 44100,
            "duration_s": step * LONG_SENTENCES,
            "sentences": [
                {**rows[n % len(rows)], "id": sid, "start_s": n * step, "end_s": (n + 1) * step}
                for n, sid in enumerate(ids)
            ],
        }
        (root / "build" / "chapters" / f"{c:02d}").mkdir()
        (root / "build" / "chapters" / f"{c:02d}" / "timeline.json").write_text(json.dumps(timeline))
        flagged = [{"sentence_id": sid, "flags": ["internal-silence"], "wer": 0.3} for sid in ids[::20]]
        qc_chapters.append({"chapter": c, "sentences": flagged})
        n_flagged += len(flagged)
    (root / "build" / "plan.json").write_text(json.dumps({**plan, "chapters": chapters}))
    summary = {
        "chapters": LONG_CHAPTERS,
        "sentences": LONG_CHAPTERS * LONG_SENTENCES,
        "flagged": n_flagged,
        "flags": {"internal-silence": n_flagged},
        "profile_failures": 0,
    }
    qc = {"summary": summary, "chapters": qc_chapters}
    (root / "build" / "qc.json").write_text(json.dumps(qc))
    return root


def open_long_book(project: Path) -> dict:
    """Every page of the long book read in one app (an editor's day): its RSS before and after."""
    from fastapi.testclient import TestClient

    from lector.review.app import create_app

    app = create_app(project)
    with TestClient(app, base_url=BASE) as client:
        rss_start = rss_mb()
        t0 = time.perf_counter()
        client.get("/").raise_for_status()
        first_page_s = time.perf_counter() - t0
        client.get("/queue").raise_for_status()
        pages = []
        for c in range(1, LONG_CHAPTERS + 1):
            t0 = time.perf_counter()
            client.get(f"/chapters/{c}").raise_for_status()
            pages.append(time.perf_counter() - t0)
            client.get(f"/api/sentences/{c:04x}{LONG_SENTENCES - 1:08x}").raise_for_status()
        rss_pages = rss_mb()
        plan_json = project / "build" / "plan.json"
        for _edit_n in range(3):  # each preview writes plan.json again: the app reads it anew
            plan_json.write_bytes(plan_json.read_bytes())
            client.get("/chapters/1").raise_for_status()
        return {
            "sentences": LONG_CHAPTERS * LONG_SENTENCES,
            "plan_json_mb": round((project / "build" / "plan.json").stat().st_size / 2**20, 1),
            "rss_mb_app_started": rss_start,
            "rss_mb_after_all_pages": rss_pages,
            "rss_mb_after_plan_rewrites": rss_mb(),
            "peak_rss_mb": peak_rss_mb(),
            "project_page_s": round(first_page_s, 2),
            "chapter_page_median_s": round(statistics.median(pages), 2),
        }


def in_child(args, *extra: str) -> dict:
    """One app per process, as `lector review` runs it: its memory is its own."""
    import json
    import subprocess
    import sys

    cmd = [sys.executable, "-m", "bench.review", *extra, "--edits", str(args.edits)]
    cmd += ["--workdir", str(args.workdir)] + (["--fresh"] if args.fresh else [])
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
    ap.add_argument("--long", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.build:
        build(args.build)
        return 0
    os.environ.setdefault("LECTOR_REVIEW_WARM", "0")  # warmed explicitly, timed apart
    from lector.core.memtune import bound_heap

    bound_heap()  # as `lector review` runs the app
    if args.quick:
        args.edits = 3
    if args.long:
        import json

        print(json.dumps(open_long_book(make_long_book(args.workdir))))
        return 0
    if args.child:
        import json

        print(json.dumps(measure(prepare(args.child, args.workdir, args.fresh), args.lang, args.edits)))
        return 0
    edits = args.edits
    zh = in_child(args, "--child", "demo-zh", "--lang", "zh")
    en = in_child(args, "--child", "demo-en", "--lang", "en")
    long = in_child(args, "--long")
    note = f"median of {edits}; TestClient POST preview + GET take; this machine's load shared"
    worker = "the preview worker process (planner + engines; larger of zh, en)"
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
            note="the app's process (larger of zh, en) after the edits; planner + engines are in the worker",
        ),
        metric(
            "app_rss_mb_after_qc",
            max(zh["rss_mb_after_qc"], en["rss_mb_after_qc"]),
            "MB",
            "<= 400",
            note="the same after accept (master in the worker) and the chapter's QC (in a QC child)",
        ),
        metric(
            "app_rss_mb_long_book",
            long["rss_mb_after_all_pages"],
            "MB",
            "<= 400",
            note=f"a synthetic 20-hour book ({long['sentences']} sentences), every page read in one app",
        ),
        metric(
            "worker_rss_mb",
            max(zh["worker_rss_mb_after_accept"], en["worker_rss_mb_after_accept"]),
            "MB",
            note=f"{worker}, after the edits and the accept",
        ),
        metric(
            "worker_peak_mb", max(zh["worker_peak_mb"], en["worker_peak_mb"]), "MB", note=f"{worker}, peak"
        ),
        metric(
            "children_peak_mb",
            max(zh["children_peak_mb"], en["children_peak_mb"]),
            "MB",
            note="the largest child's peak (preview worker or QC child), after the app stopped",
        ),
    ]
    write_result("review", metrics, details={"zh": zh, "en": en, "long_book": long}, quick=args.quick)
    print_metrics(metrics)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
