"""Polyphone accuracy on the CPP dev set: pypinyin alone, g2pM alone, Lector's g2p_zh.

    .venv/bin/python bench/polyphones.py [--data DIR] [--out bench/results/polyphones.json]

Accuracy = correct / total on the marked character. Also reports the two
halves (even lines = tuning half, odd lines = check half) and the fixed
300-sentence slice used by tests/test_g2p_zh.py.
"""
from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

DEFAULT_DATA = Path("/work/shared/data/polyphones")
MARK = "\u2581"


def load_dev(data_dir: Path = DEFAULT_DATA) -> list[tuple[str, int, str]]:
    """(sentence without marks, index of the polyphone, gold pinyin with v for ü)."""
    sents = (data_dir / "cpp-dev.sent").read_text(encoding="utf-8").splitlines()
    golds = (data_dir / "cpp-dev.lb").read_text(encoding="utf-8").splitlines()
    items = []
    for sent, gold in zip(sents, golds):
        i = sent.index(MARK)
        items.append((sent.replace(MARK, ""), i, gold.strip().replace("u:", "v")))
    return items


def test_slice(items: list, n: int = 300) -> list:
    """A fixed, evenly spread slice (every k-th item)."""
    step = max(1, len(items) // n)
    return items[::step][:n]


def predict_pypinyin(text: str, i: int) -> str:
    from pypinyin import Style, lazy_pinyin

    prons = lazy_pinyin(text, style=Style.TONE3, neutral_tone_with_five=True,
                        errors=lambda chunk: list(chunk))
    return prons[i] if len(prons) == len(text) else ""


def predict_g2pm(text: str, i: int) -> str:
    from tts_engine.text.g2p_zh import _g2pm

    model, _ = _g2pm()
    return model(text, char_split=True)[i].replace("u:", "v")


def predict_ours(text: str, i: int) -> str:
    from tts_engine.text.g2p_zh import pinyin

    return pinyin(text)[i]


def predict_no_rules(text: str, i: int) -> str:
    from tts_engine.text.g2p_zh import pinyin

    return pinyin(text, rules=False)[i]


def accuracy(items: list, predict) -> float:
    return sum(predict(t, i) == g for t, i, g in items) / len(items) if items else 0.0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA)
    ap.add_argument("--out", type=Path, default=Path(__file__).parent / "results" / "polyphones.json")
    ap.add_argument("--skip-baselines", action="store_true")
    args = ap.parse_args(argv)
    items = load_dev(args.data)
    systems = {"ours": predict_ours}
    if not args.skip_baselines:
        systems = {"pypinyin": predict_pypinyin, "g2pM": predict_g2pm,
                   "ours_without_context_rules": predict_no_rules, **systems}
    result: dict = {"dataset": str(args.data / "cpp-dev.sent"), "total": len(items), "systems": {}}
    for name, fn in systems.items():
        t0 = time.perf_counter()
        hits = [fn(t, i) == g for t, i, g in items]
        result["systems"][name] = {
            "accuracy": round(sum(hits) / len(hits), 4),
            "correct": sum(hits),
            "tuning_half_even_lines": round(sum(hits[0::2]) / len(hits[0::2]), 4),
            "check_half_odd_lines": round(sum(hits[1::2]) / len(hits[1::2]), 4),
            "seconds": round(time.perf_counter() - t0, 1),
        }
        print(name, json.dumps(result["systems"][name]), flush=True)
    result["test_slice_300_ours"] = round(accuracy(test_slice(items), predict_ours), 4)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print("wrote", args.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
