"""Polyphone accuracy: the CPP dev set and Lector's hand-labelled literary set (dev + held-out).

    .venv/bin/python bench/polyphones.py [--data DIR] [--out bench/results/polyphones.json]
                                         [--skip-baselines]

Systems: pypinyin alone, g2pM alone, Lector's g2p_zh without and with its context rules.
Accuracy = correct / total on the marked character. CPP is also split into its even lines
(tuning half) and odd lines (check half); the literary set (bench/data/literary_polyphones.tsv)
into ``dev`` (rules were tuned on it) and ``heldout`` (never looked at while tuning).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import RESULTS_DIR, metric, write_result

DEFAULT_DATA = Path("/work/shared/data/polyphones")
LITERARY = Path(__file__).resolve().parent / "data" / "literary_polyphones.tsv"
MARK = "\u2581"


def load_dev(data_dir: Path = DEFAULT_DATA) -> list[tuple[str, int, str]]:
    """(sentence without marks, index of the polyphone, gold pinyin with v for ü)."""
    sents = (data_dir / "cpp-dev.sent").read_text(encoding="utf-8").splitlines()
    golds = (data_dir / "cpp-dev.lb").read_text(encoding="utf-8").splitlines()
    items = []
    for sent, gold in zip(sents, golds, strict=True):
        i = sent.index(MARK)
        items.append((sent.replace(MARK, ""), i, gold.strip().replace("u:", "v")))
    return items


def load_literary(path: Path = LITERARY) -> dict[str, list[tuple[str, int, str]]]:
    """{"dev": [...], "heldout": [...]} of (sentence, index, gold) from the literary TSV."""
    out: dict[str, list] = {"dev": [], "heldout": []}
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line or line.startswith("#"):
            continue
        split, _source, marked, gold = line.split("\t")
        out[split].append((marked.replace(MARK, ""), marked.index(MARK), gold))
    return out


def test_slice(items: list, n: int = 300) -> list:
    """A fixed, evenly spread slice (every k-th item)."""
    step = max(1, len(items) // n)
    return items[::step][:n]


def predict_pypinyin(text: str, i: int) -> str:
    from pypinyin import Style, lazy_pinyin

    prons = lazy_pinyin(text, style=Style.TONE3, neutral_tone_with_five=True, errors=list)
    return prons[i] if len(prons) == len(text) else ""


def predict_g2pm(text: str, i: int) -> str:
    from lector.core.text.g2p_zh import _g2pm

    model, _ = _g2pm()
    return model(text, char_split=True)[i].replace("u:", "v")


def predict_ours(text: str, i: int) -> str:
    from lector.core.text.g2p_zh import pinyin

    return pinyin(text)[i]


def predict_no_rules(text: str, i: int) -> str:
    from lector.core.text.g2p_zh import pinyin

    return pinyin(text, rules=False)[i]


def accuracy(items: list, predict) -> float:
    return sum(predict(t, i) == g for t, i, g in items) / len(items) if items else 0.0


def _score(items: list, fn) -> tuple[list[bool], float]:
    t0 = time.perf_counter()
    hits = [fn(t, i) == g for t, i, g in items]
    return hits, time.perf_counter() - t0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA)
    ap.add_argument("--out", type=Path, default=RESULTS_DIR / "polyphones.json")
    ap.add_argument("--skip-baselines", action="store_true")
    args = ap.parse_args(argv)
    cpp, literary = load_dev(args.data), load_literary()
    systems = {"ours": predict_ours}
    if not args.skip_baselines:
        systems = {
            "pypinyin": predict_pypinyin,
            "g2pM": predict_g2pm,
            "ours_without_context_rules": predict_no_rules,
            **systems,
        }
    details: dict = {
        "cpp_dataset": str(args.data / "cpp-dev.sent"),
        "cpp_total": len(cpp),
        "literary_dataset": "bench/data/literary_polyphones.tsv",
        "literary_total": {k: len(v) for k, v in literary.items()},
        "systems": {},
    }
    for name, fn in systems.items():
        hits, seconds = _score(cpp, fn)
        row = {
            "cpp_dev": round(sum(hits) / len(hits), 4),
            "cpp_correct": sum(hits),
            "cpp_tuning_half_even_lines": round(sum(hits[0::2]) / len(hits[0::2]), 4),
            "cpp_check_half_odd_lines": round(sum(hits[1::2]) / len(hits[1::2]), 4),
            "cpp_seconds": round(seconds, 1),
        }
        for split, items in literary.items():
            lit, _ = _score(items, fn)
            row[f"literary_{split}"] = round(sum(lit) / len(lit), 4)
            row[f"literary_{split}_correct"] = sum(lit)
        details["systems"][name] = row
        print(name, row, flush=True)
    ours = details["systems"]["ours"]
    details["test_slice_300_ours"] = round(accuracy(test_slice(cpp), predict_ours), 4)
    metrics = [
        metric("cpp_dev_accuracy", ours["cpp_dev"], "", ">= 0.985", f"{len(cpp)} CPP dev sentences"),
        metric(
            "literary_dev_accuracy",
            ours["literary_dev"],
            "",
            ">= 0.95",
            f"{len(literary['dev'])} hand-labelled occurrences (rules tuned on these)",
        ),
        metric(
            "literary_heldout_accuracy",
            ours["literary_heldout"],
            "",
            ">= 0.95",
            f"{len(literary['heldout'])} hand-labelled occurrences never tuned on",
        ),
    ]
    path = write_result(
        "polyphones", metrics, details=details, quick=args.skip_baselines, results_dir=args.out.parent
    )
    if path != args.out:
        path.replace(args.out)
    print("wrote", args.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
