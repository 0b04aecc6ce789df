"""Planning speed for a 300,000-character Chinese novel on one core.

    .venv/bin/python bench/zh_planning.py [--chars 300000] [--out bench/results/zh_planning.json] [--quick]

The novel is the literary polyphone sentences (bench/data/literary_polyphones.tsv) plus a few
sentences with numbers and English, every sentence made unique with a number (第N句，: the
planner's token cache would otherwise answer repeats), 4 sentences to a paragraph, 20
paragraphs to a chapter. Two timings, both
pinned to one CPU:

* ``zh_frontend_300k_cpu_s``: normalize_zh + lexicon aliases + Pronouncer.tokens per sentence
  (the Chinese front-end the planner runs, models already loaded);
* ``zh_build_plan_300k_cpu_s``: ``build_plan`` on a temporary project holding the novel as
  Markdown, from a cold token cache (includes reading, segmentation, ids, model loading).

Both are CPU seconds of this process (``time.process_time``): on a shared machine the wall time
(also reported for build_plan) counts the time other processes held the core.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")
if hasattr(os, "sched_setaffinity"):
    os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import RESULTS_DIR, is_quick, metric, write_result
from bench.polyphones import LITERARY, MARK

EXTRA = (
    "1907年，他用iPhone 15拍下了GDP增长3.5%的新闻。",
    "比分3:2，早上8:30出发，气温-3℃。",
    "电话13812345678，票价￥25.5。",
)


def sentences() -> list[str]:
    seen, out = set(), []
    for line in LITERARY.read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            text = line.split("\t")[2].replace(MARK, "")
            if text not in seen:
                seen.add(text)
                out.append(text)
    return out + list(EXTRA)


def novel(chars: int) -> list[str]:
    """Paragraphs of about ``chars`` characters in total, every sentence unique (numbered)."""
    base = [s for text in sentences() for s in re.findall(r"[^。！？]+[。！？”]*", text)]
    paras, total, n = [], 0, 0
    while total < chars:
        para = "".join(f"第{n * 4 + k + 1}句，{base[(n * 4 + k) * 7 % len(base)]}" for k in range(4))
        paras.append(para)
        total += len(para)
        n += 1
    return paras


def time_frontend(paras: list[str]) -> tuple[float, float]:
    from lector.core.pronounce import Pronouncer
    from lector.core.text.normalize_zh import normalize_zh

    p = Pronouncer.for_project(None)
    p.tokens("预热模型。", "zh")  # load g2pM / jieba outside the timing
    t0, c0 = time.perf_counter(), time.process_time()
    for para in paras:
        spoken = p.substitute(normalize_zh(para), "zh")
        p.tokens(spoken, "zh")
    return time.perf_counter() - t0, time.process_time() - c0


def time_build_plan(paras: list[str]) -> tuple[float, float, str]:
    from lector.core.planner import build_plan
    from lector.core.project import load_project

    root = Path(tempfile.mkdtemp(prefix="lector-zh-bench-"))
    try:
        (root / "manuscript").mkdir()
        for c in range(0, len(paras), 20):
            body = "\n\n".join(paras[c : c + 20])
            (root / "manuscript" / f"{c // 20:04d}.md").write_text(
                f"# 第{c // 20 + 1}章\n\n{body}\n", encoding="utf-8"
            )
        (root / "project.toml").write_text(
            '[book]\ntitle = "长篇"\nlanguage = "zh"\n\n[voices.narrator]\nengine = "fastspeech2-zh"\n',
            encoding="utf-8",
        )
        t0, c0 = time.perf_counter(), time.process_time()
        plan = build_plan(load_project(root))
        wall, cpu = time.perf_counter() - t0, time.process_time() - c0
        n = sum(len(c.sentences) for c in plan.chapters)
        return wall, cpu, f"{len(plan.chapters)} chapters, {n} sentences"
    finally:
        shutil.rmtree(root, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--chars", type=int, default=300_000)
    ap.add_argument("--out", type=Path, default=RESULTS_DIR / "zh_planning.json")
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args(argv)
    quick = is_quick(argv if argv is not None else sys.argv[1:])
    chars = 30_000 if quick else args.chars
    paras = novel(chars)
    n_chars = sum(len(p) for p in paras)
    scale = 300_000 / n_chars
    _, fe_cpu = time_frontend(paras)
    plan_wall, plan_cpu, note = time_build_plan(paras)
    load = f"1 core; load avg {os.getloadavg()[0]:.1f}"
    metrics = [
        metric(
            "zh_frontend_300k_cpu_s",
            fe_cpu * scale,
            "s",
            "<= 60",
            f"CPU seconds; {n_chars} chars, scaled to 300k; {load}",
        ),
        metric(
            "zh_build_plan_300k_cpu_s",
            plan_cpu * scale,
            "s",
            "<= 60",
            f"CPU seconds; {note}; cold token cache; {load}",
        ),
        metric(
            "zh_build_plan_300k_wall_s",
            plan_wall * scale,
            "s",
            "",
            f"wall seconds (inflated when other work shares the core); {load}",
        ),
    ]
    for m in metrics:
        print(m.name, m.value, m.note, flush=True)
    path = write_result(
        "zh_planning",
        metrics,
        details={"chars": n_chars, "paragraphs": len(paras)},
        quick=quick,
        results_dir=args.out.parent,
    )
    if path != args.out:
        path.replace(args.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
