"""Real-time factor of the embedded engines -> bench/results/engines.json.

usage: python -m bench.engines [--runs 7] [--threads N] [--out bench/results/engines.json]

RTF = synthesis wall time / audio duration, median over ``--runs`` runs after one warm-up,
for a short and a long sentence per engine (text planned first, as `lector say` does).
``cpu_rtf_median`` is the process CPU time (all threads) per second of audio: it sees through
other processes' load, which inflates wall time. The machine's load average is recorded per
case: on a shared machine the wall figures are noisy and only comparable between runs taken
under similar load.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import time
from pathlib import Path

from lector.core.engines.base import SynthRequest
from lector.core.engines.registry import default_threads, get_engine
from lector.core.project import EngineOptions, VoiceSpec
from lector.core.speak import plan_speech

TEXTS = {
    "zh": {
        "short": "今天天气很好，我们去公园散步。",
        "long": (
            "今天上午，市气象台发布消息称，受冷空气影响，本周末全市将出现明显降温，"
            "专家提醒广大市民注意添衣保暖，出行时注意交通安全，老人和儿童尽量减少户外活动。"
        ),
    },
    "en": {
        "short": "The quick brown fox jumps over the lazy dog.",
        "long": (
            "Yesterday afternoon the city council approved a new plan to repair the old bridge "
            "near the river, and engineers say the work will take about eight months and will "
            "cost nearly four million dollars, while buses use a temporary route through the "
            "market district and residents allow extra time for their morning commute."
        ),
    },
}
TARGETS = {"fastspeech2-zh": 0.08, "piper-en": 0.10, "espeak-draft": 0.005}
LANG = {"fastspeech2-zh": "zh", "piper-en": "en", "espeak-draft": "en"}


def bench_engine(engine_id: str, runs: int, threads: int | None) -> dict:
    t0 = time.perf_counter()
    engine = get_engine(engine_id, EngineOptions(threads=threads))
    load_s = time.perf_counter() - t0
    sr = engine.capabilities.sample_rate
    result = {"load_s": round(load_s, 3), "target_rtf": TARGETS[engine_id], "cases": {}}
    for case, text in TEXTS[LANG[engine_id]].items():
        (sentence,), _ = plan_speech(text, VoiceSpec(engine=engine_id, lang=LANG[engine_id]))
        req = SynthRequest(f"bench-{case}", sentence.spans, seed=1)
        engine.synthesize([req])  # warm-up
        times, cpu = [], []
        for _ in range(runs):
            t, c = time.perf_counter(), time.process_time()
            (audio,) = engine.synthesize([req])
            times.append(time.perf_counter() - t)
            cpu.append(time.process_time() - c)
        audio_s = len(audio) / sr
        result["cases"][case] = {
            "chars": len(text),
            "audio_s": round(audio_s, 3),
            "synth_s": [round(x, 4) for x in times],
            "rtf_median": round(statistics.median(times) / audio_s, 4),
            "rtf_min": round(min(times) / audio_s, 4),
            "cpu_s": [round(x, 4) for x in cpu],
            "cpu_rtf_median": round(statistics.median(cpu) / audio_s, 4),
            "load_avg_1min": round(os.getloadavg()[0], 2),
        }
    return result


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--threads", type=int, default=None)
    ap.add_argument("--engines", nargs="*", default=list(TARGETS))
    ap.add_argument("--out", default=str(Path(__file__).parent / "results" / "engines.json"))
    args = ap.parse_args()
    report = {
        "machine": {
            "cpus": os.cpu_count(),
            "platform": platform.platform(),
            "load_avg_start": [round(x, 2) for x in os.getloadavg()],
            "note": "shared machine: figures are noisy",
        },
        "runs": args.runs,
        "threads": default_threads(EngineOptions(threads=args.threads)),
        "engines": {},
    }
    for engine_id in args.engines:
        report["engines"][engine_id] = bench_engine(engine_id, args.runs, args.threads)
        print(engine_id, json.dumps(report["engines"][engine_id]["cases"], ensure_ascii=False))
    report["machine"]["load_avg_end"] = [round(x, 2) for x in os.getloadavg()]
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    print("wrote", out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
