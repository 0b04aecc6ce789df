"""Mandarin grapheme-to-pinyin with polyphone disambiguation.

Pipeline for one text (citation tones, tone numbers 1-5, ü written ``v``):

1. pypinyin (phrase dictionary) gives a reading for every Han character;
   this covers monophonic characters and word-level neutral tones (我们 men5).
2. For each polyphonic character (more than one reading in g2pM's CC-CEDICT
   digest) the decision is, in order: a high-precision context rule
   (:mod:`polyphone_rules`); the pypinyin phrase reading of the jieba word the
   character sits in, when g2pM is not confident (logit margin below
   ``PHRASE_MARGIN``); otherwise g2pM's BiLSTM restricted to the character's
   candidate readings.
3. 一/不 keep citation tones (yi1, bu4, the CPP dev-set convention);
   reduplicated kinship terms get a neutral second syllable (妈妈 ma1 ma5);
   the er-hua suffix 儿 (一点儿, 那儿, 玩儿) is ``er5``, not a full ``er2`` syllable
   (女儿, 婴儿, 儿子 keep er2).

:func:`apply_sandhi` turns citation tones into spoken tones (一/不 and
third-tone sandhi) for engines that want them.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Container
from functools import lru_cache
from typing import Any, cast

import numpy as np
from numpy.typing import NDArray

from lector.core.text.polyphone_rules import pos_pron, rule_pron
from lector.core.text.segment import is_han

PHRASE_MARGIN = 8.0  # tuned on the CPP dev set, see bench/polyphones.py
_KINSHIP = set("妈爸哥姐弟妹爷奶姥叔舅婶姑伯公婆")
_CITATION = {"一": "yi1", "不": "bu4"}
_NEUTRAL_SUFFIX = set("子头么们")  # phrase-dictionary neutral tones beat g2pM (桌子 zi5)
# words ending in 儿 that are a full syllable (a child, a son), not the er-hua suffix
_FULL_ER = {"孩儿", "小儿", "健儿", "宠儿", "幸运儿", "弄潮儿", "宁馨儿", "新生儿", "早产儿", "混血儿"}
_FULL_ER_AFTER = set("女婴孤男幼胎患育托弃孙妻乳侄犬麟娇骄义养病少")


@lru_cache(maxsize=1)
def _g2pm() -> tuple[Any, dict[str, NDArray[np.int64]]]:
    """The g2pM model, loaded once (weights ship inside its wheel)."""
    from g2pM import G2pM

    model = G2pM()
    class2idx = {pron: idx for idx, pron in model.idx2class.items()}
    cands = {
        ch: np.array([class2idx[p] for p in prons if p in class2idx], dtype=np.int64)
        for ch, prons in model.cedict.items()
        if len(prons) > 1
    }
    return model, cands


@lru_cache(maxsize=1)
def _jieba() -> Any:
    import jieba

    jieba.setLogLevel(logging.WARNING)
    jieba.initialize()
    return jieba


@lru_cache(maxsize=1)
def _posseg() -> Any:
    _jieba()
    import jieba.posseg

    return jieba.posseg


def segment(text: str) -> list[tuple[int, str, str]]:
    """(start, word, part-of-speech flag) for each jieba word of ``text``. The POS tags
    separate the structural particles (地 uv, 得 ud, 着 uz, 了 ul) from the same
    characters inside words (土地, 得到, 着急, 了解)."""
    out: list[tuple[int, str, str]] = []
    pos = 0
    for pair in _posseg().cut(text, HMM=False):  # the HMM pass doubles the time, adds nothing here
        out.append((pos, pair.word, pair.flag))
        pos += len(pair.word)
    return out


def _norm(pron: str) -> str:
    return pron.replace("u:", "v").replace("ü", "v")


def _lstm(model: Any, ids: NDArray[np.int64]) -> NDArray[np.float64]:
    """Hidden states [T, 2H] of g2pM's BiLSTM for one id sequence."""
    emb_f = model.get_embedding(ids[None, :])
    emb_b = model.get_embedding(ids[None, ::-1].copy())
    fs = bs = None
    fh, bh = [], []
    for t in range(len(ids)):
        fs = model.fw_lstm_cell(emb_f[:, t, :], fs)
        bs = model.bw_lstm_cell(emb_b[:, t, :], bs)
        fh.append(fs[0][0])
        bh.append(bs[0][0])
    hidden: NDArray[np.float64] = np.concatenate([np.stack(fh), np.stack(bh[::-1])], axis=1)
    return hidden


def g2pm_scores(text: str, positions: list[int]) -> dict[int, tuple[str, float]]:
    """g2pM reading and confidence margin (top-1 minus top-2 logit) per position."""
    model, cands = _g2pm()
    positions = [i for i in positions if text[i] in cands]
    if not positions:
        return {}
    unk = model.char2idx["<UNK>"]
    ids = [model.char2idx["시"]] + [model.char2idx.get(c, unk) for c in text] + [model.char2idx["끝"]]
    hidden = _lstm(model, np.array(ids, dtype=np.int64))
    logits = model.fc_layer(hidden[[i + 1 for i in positions]])
    out: dict[int, tuple[str, float]] = {}
    for row, i in zip(logits, positions, strict=True):
        idx = cands[text[i]]
        scores = row[idx]
        order = np.argsort(-scores, kind="stable")
        margin = float(scores[order[0]] - scores[order[1]]) if len(order) > 1 else 99.0
        out[i] = (_norm(model.idx2class[int(idx[order[0]])]), margin)
    return out


def _phrase_readings(words: list[tuple[int, str, str]]) -> dict[int, str]:
    """Readings from pypinyin's phrase dictionary for chars inside jieba words."""
    from pypinyin.constants import PHRASES_DICT

    out: dict[int, str] = {}
    for pos, word, _ in words:
        for start, sub in _dictionary_words(word, PHRASES_DICT):
            for k, pron in enumerate(_phrase_pinyin(sub)):
                out.setdefault(pos + start + k, pron)
    return out


@lru_cache(maxsize=65536)
def _phrase_pinyin(word: str) -> tuple[str, ...]:
    from pypinyin import Style, lazy_pinyin

    return tuple(lazy_pinyin(word, style=Style.TONE3, neutral_tone_with_five=True))


def _dictionary_words(word: str, phrases: Container[str]) -> list[tuple[int, str]]:
    """The word itself if it is a dictionary phrase, else its dictionary sub-words,
    longest first (好孩子 -> 孩子)."""
    if len(word) < 2:
        return []
    if word in phrases:
        return [(0, word)]
    return [
        (a, word[a : a + n])
        for n in range(len(word) - 1, 1, -1)
        for a in range(len(word) - n + 1)
        if word[a : a + n] in phrases
    ]


def _blanks(chunk: str) -> list[str]:
    return ["" for _ in chunk]


# pypinyin's stubs type ``errors`` as returning str; a list (one item per character) is documented
_BLANKS = cast("Callable[[str], str]", _blanks)


def _base_readings(text: str) -> list[str]:
    from pypinyin import Style, lazy_pinyin

    prons = lazy_pinyin(text, style=Style.TONE3, neutral_tone_with_five=True, errors=_BLANKS)
    if len(prons) != len(text):  # pypinyin merges runs in unusual inputs; go char by char
        prons = [
            (lazy_pinyin(c, style=Style.TONE3, neutral_tone_with_five=True, errors=_BLANKS) or [""])[0]
            if is_han(c)
            else ""
            for c in text
        ]
    return [p if is_han(c) and p and p[-1] in "12345" else "" for c, p in zip(text, prons, strict=True)]


def pinyin(text: str, *, rules: bool = True) -> list[str]:
    """One pinyin syllable with tone number per character; "" for non-Han chars.

    ``rules=False`` disables the hand-written context rules (for ablation)."""
    prons = _base_readings(text)
    _, cands = _g2pm()
    poly = [i for i, c in enumerate(text) if c in cands and prons[i]]
    if poly:
        words = segment(text)
        word_at = {pos + k: (word, flag) for pos, word, flag in words for k in range(len(word))}
        ruled = (
            {
                i: (rule_pron(text, i) or pos_pron(text[i], *word_at.get(i, ("", "")), text[i + 1 : i + 2]))
                for i in poly
            }
            if rules
            else {}
        )
        open_ = [i for i in poly if not ruled.get(i)]
        scores = g2pm_scores(text, open_) if open_ else {}  # the BiLSTM only when a rule left one
        phrases = _phrase_readings(words) if open_ else {}
        for i in poly:
            prons[i] = ruled.get(i) or _decide(text, i, scores.get(i), phrases.get(i)) or prons[i]
        for i in _erhua(words):
            prons[i] = "er5"
    for i, c in enumerate(text):
        if c == "〇":  # the year zero (一九〇七), outside the Han blocks
            prons[i] = "ling2"
        elif c in _CITATION:
            prons[i] = _CITATION[c]
        elif i > 0 and c in _KINSHIP and text[i - 1] == c and prons[i] and (i < 2 or text[i - 2] != c):
            prons[i] = prons[i][:-1] + "5"
    return prons


def _erhua(words: list[tuple[int, str, str]]) -> list[int]:
    """Positions of the er-hua suffix 儿: the last character of a jieba word (一点儿, 那儿,
    小孩儿; not 女儿, 儿子, nor a name tagged nr), or a one-character 儿 after a numeral, time
    or measure word (整天儿)."""
    out = []
    for k, (pos, word, flag) in enumerate(words):
        if not word.endswith("儿"):
            continue
        if len(word) >= 2:
            if flag != "nr" and word not in _FULL_ER and word[-2] not in _FULL_ER_AFTER:
                out.append(pos + len(word) - 1)
        elif k > 0 and words[k - 1][2][:1] in ("m", "t", "q") and is_han(words[k - 1][1][-1]):
            out.append(pos)
    return out


def _decide(text: str, i: int, scored: tuple[str, float] | None, phrase: str | None) -> str | None:
    if phrase and (
        scored is None or scored[1] < PHRASE_MARGIN or (phrase.endswith("5") and text[i] in _NEUTRAL_SUFFIX)
    ):
        return _norm(phrase)
    return scored[0] if scored else None


def _tone(p: str) -> str:
    return p[-1] if p and p[-1] in "12345" else ""


def apply_sandhi(text: str, prons: list[str]) -> list[str]:
    """Spoken tones from citation tones: 一/不 sandhi and third-tone sandhi inside words."""
    out = list(prons)
    for i, c in enumerate(text):
        nxt = _tone(out[i + 1]) if i + 1 < len(out) else ""
        if c == "不" and out[i] == "bu4" and nxt == "4":
            out[i] = "bu2"
        elif c == "一" and out[i] == "yi1" and nxt and not _ordinal_yi(text, i):
            out[i] = "yi2" if nxt == "4" else "yi4"
    pos = 0
    for word in _jieba().cut(text, HMM=False):
        # inside a word every 3rd tone before a (citation) 3rd tone becomes 2nd: 展览馆 zhan2 lan2 guan3
        for a in range(pos, pos + len(word) - 1):
            if _tone(prons[a]) == "3" and _tone(prons[a + 1]) == "3":
                out[a] = out[a][:-1] + "2"
        pos += len(word)
    return out


def _ordinal_yi(text: str, i: int) -> bool:
    prev = text[i - 1] if i > 0 else ""
    nxt = text[i + 1] if i + 1 < len(text) else ""
    digits = "零一二三四五六七八九十百千万亿"
    return bool(prev and prev in "第初" + digits) or bool(nxt and nxt in digits + "月号日")
