"""Cross-validated test of a polyphone re-ranker trained on the CPP dev set (issue 14).

    .venv/bin/python tools/polyphone_rerank_cv.py [--data DIR] [--folds 5] [--l2 1 3]

For every marked polyphone of ``cpp-dev`` the script collects the signals that
``lector.core.text.g2p_zh`` computes (g2pM's logits over the character's candidate readings,
the pypinyin phrase reading of its jieba word, pypinyin's sentence reading, the pipeline's
own decision) and trains a conditional-logit model: one weight vector, softmax over the
candidate readings, L2-regularised, fitted with L-BFGS. Two feature sets:

* ``signals``: the signals above, globally and per character (learns "trust g2pM for 杆");
* ``signals+context``: also the character and reading joined with the characters at ±1 and
  ±2, its jieba word and part of speech.

Every number is held-out: the model is trained on K-1 folds (line number mod K) and scored
on the remaining fold. Positions that a context rule decides stay with the rule, as in
``g2p_zh.pinyin``. ``literary dev`` is scored by a model trained on all of CPP dev; the
literary held-out split is never read. scipy is needed here only (not by Lector).
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import scipy.sparse as sp
from scipy.optimize import minimize

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.polyphones import DEFAULT_DATA, load_dev, load_literary
from lector.core.text import g2p_zh
from lector.core.text.polyphone_rules import pos_pron, rule_pron


@dataclass
class Item:
    text: str
    i: int
    gold: str
    cands: list[str]
    logits: np.ndarray
    phrase: str | None
    base: str
    ours: str
    word: str
    flag: str
    ruled: bool


def collect(text: str, i: int, gold: str) -> Item:
    """The signals g2p_zh has for ``text[i]`` (g2pM is run even where a rule decides)."""
    model, cands = g2p_zh._g2pm()
    words = g2p_zh.segment(text)
    _, word, flag = next(w for w in words if w[0] <= i < w[0] + len(w[1]))
    unk = model.char2idx["<UNK>"]
    ids = [model.char2idx["시"]] + [model.char2idx.get(c, unk) for c in text] + [model.char2idx["끝"]]
    hidden = g2p_zh._lstm(model, np.array(ids, dtype=np.int64))
    idx = cands[text[i]]
    return Item(
        text,
        i,
        gold,
        [g2p_zh._norm(model.idx2class[int(k)]) for k in idx],
        model.fc_layer(hidden[i + 1][None])[0][idx],
        g2p_zh._phrase_readings(words).get(i),
        g2p_zh._base_readings(text)[i],
        g2p_zh.pinyin(text)[i],
        word,
        flag,
        bool(rule_pron(text, i) or pos_pron(text[i], word, flag, text[i + 1 : i + 2])),
    )


def features(it: Item, k: int, context: bool) -> list[str]:
    """Binary feature names of candidate ``k`` (the g2pM logit gap is added separately)."""
    c, ch = it.cands[k], it.text[it.i]
    top = int(np.argmax(it.logits))
    gaps = np.sort(it.logits)[::-1]
    margin = float(gaps[0] - gaps[1]) if len(gaps) > 1 else 99.0
    out = []
    if k == top:
        out += [f"top|{min(int(margin) // 3, 3)}", f"top|{ch}"]
    for name, reading in (("phrase", it.phrase), ("base", it.base), ("ours", it.ours)):
        if reading == c:
            out += [name, f"{name}|{ch}"]
    if context:
        t, i, key = it.text, it.i, f"{ch}|{c}"
        out += [
            f"prior|{key}",
            f"L1|{key}|{t[i - 1 : i]}",
            f"R1|{key}|{t[i + 1 : i + 2]}",
            f"L2|{key}|{t[max(0, i - 2) : i]}",
            f"R2|{key}|{t[i + 1 : i + 3]}",
            f"W|{key}|{it.word}",
            f"P|{key}|{it.flag}",
        ]
    return out


def design(items: list[Item], vocab: dict[str, int], context: bool, grow: bool):
    """Sparse matrix (one row per candidate), row -> item index, gold row per item (-1: none)."""
    rows, cols, vals, group, gold = [], [], [], [], []
    r = 0
    for n, it in enumerate(items):
        gold.append(r + it.cands.index(it.gold) if it.gold in it.cands else -1)
        for k in range(len(it.cands)):
            feats = [("gap", max(float(it.logits[k] - it.logits.max()), -20.0) / 10)]
            feats += [(f, 1.0) for f in features(it, k, context)]
            for name, value in feats:
                if grow and name not in vocab:
                    vocab[name] = len(vocab)
                if name in vocab:
                    rows.append(r)
                    cols.append(vocab[name])
                    vals.append(value)
            group.append(n)
            r += 1
    matrix = sp.csr_matrix((vals, (rows, cols)), shape=(r, len(vocab)))
    return matrix, np.array(group), np.array(gold)


def fit(items: list[Item], context: bool, l2: float) -> tuple[np.ndarray, dict[str, int]]:
    vocab: dict[str, int] = {}
    a, group, gold = design(items, vocab, context, grow=True)
    known = gold >= 0
    y = np.zeros(a.shape[0])
    y[gold[known]] = 1.0

    def loss(w: np.ndarray) -> tuple[float, np.ndarray]:
        s = a @ w
        top = np.full(len(items), -np.inf)
        np.maximum.at(top, group, s)
        e = np.exp(s - top[group])
        z = np.zeros(len(items))
        np.add.at(z, group, e)
        nll = -(s[gold[known]] - top[known] - np.log(z[known])).sum()
        return nll + 0.5 * l2 * w @ w, a.T @ (e / z[group] - y) + l2 * w

    w = minimize(loss, np.zeros(len(vocab)), jac=True, method="L-BFGS-B", options={"maxiter": 500}).x
    return w, vocab


def predict(items: list[Item], w: np.ndarray, vocab: dict[str, int], context: bool) -> list[str]:
    a, group, _ = design(items, vocab, context, grow=False)
    scores = a @ w
    best: dict[int, tuple[float, str]] = {}
    for row, (n, s) in enumerate(zip(group, scores, strict=True)):
        k = row - int(np.searchsorted(group, n))
        if n not in best or s > best[n][0]:
            best[n] = (float(s), items[n].cands[k])
    return [items[n].ours if items[n].ruled else best[n][1] for n in range(len(items))]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA)
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--l2", type=float, nargs="+", default=[1.0, 3.0])
    args = ap.parse_args(argv)
    t0 = time.perf_counter()
    cpp = [collect(*x) for x in load_dev(args.data)]
    lit = [collect(*x) for x in load_literary()["dev"]]
    print(f"signals collected in {time.perf_counter() - t0:.0f} s", flush=True)
    ours = sum(it.ours == it.gold for it in cpp)
    print(f"pipeline (g2p_zh.pinyin): CPP dev {ours}/{len(cpp)} = {ours / len(cpp):.4f}")
    for context in (False, True):
        for l2 in args.l2:
            hits = 0
            for fold in range(args.folds):
                train = [it for n, it in enumerate(cpp) if n % args.folds != fold and not it.ruled]
                test = [it for n, it in enumerate(cpp) if n % args.folds == fold]
                w, vocab = fit(train, context, l2)
                hits += sum(
                    p == it.gold for p, it in zip(predict(test, w, vocab, context), test, strict=True)
                )
            w, vocab = fit([it for it in cpp if not it.ruled], context, l2)
            lit_hits = sum(p == it.gold for p, it in zip(predict(lit, w, vocab, context), lit, strict=True))
            name = "signals+context" if context else "signals"
            print(
                f"re-ranker {name} l2={l2:g}: CPP dev {args.folds}-fold held-out {hits}/{len(cpp)} = "
                f"{hits / len(cpp):.4f}; literary dev {lit_hits}/{len(lit)} = {lit_hits / len(lit):.4f} "
                f"(pipeline {sum(it.ours == it.gold for it in lit)}/{len(lit)})",
                flush=True,
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
