"""Cut a sentence's espeak-ng phonemes back into one IPA string per word.

espeak-ng reads a sentence in space-separated groups: mostly one word each, but it runs short
function words into a neighbour ("that a" -> ðˌæɾə, "out of" -> ˌaʊɾəv) and reads some words as
several groups ("42" -> fˈɔːɹɾi tˈuː). A character alignment over the whole sentence lets one
word's phonemes slide into its neighbour's ("that a typewriter": "a" -> t), so the cut is made in
two steps: first words are matched to whole groups (one word to one or more groups, or a run of
words to one group), then each group that holds several words is cut between them by an
alignment that knows vowels from consonants ("that a": ðˌæɾ + ə). The groups are never changed,
only divided: the words' readings joined are exactly the sentence's reading.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence

from rapidfuzz.distance import Levenshtein

_STRESS = "ˈˌ"
_VOWELS = frozenset("aeiouyæɐɑɒɔəɘɚɛɜɝɞɤɨɪɯɵɶʉʊʌʏᵻ")
_MARKS = frozenset("ːˑʲʰʷ̩̃ʔ")  # length, palatal glide, aspiration...: cheap to add or drop
_WEAK = frozenset("hj")  # dropped in running speech: "not have" -> nˌɑːɾɐv
_FLAPS = frozenset("tdɾʔ")  # "that a" -> ðˌæɾə
# (words, groups) a block may hold: one word in up to three groups, a run of up to four words in one
# group, a word espeak left nothing for, a group no word accounts for
_SHAPES = ((1, 1), (2, 1), (1, 2), (3, 1), (1, 3), (4, 1), (1, 0), (0, 1))
_BAND = 3  # how much further than at the ends the word and group counts may drift apart


def strip_stress(ipa: str) -> tuple[str, list[int]]:
    """(ipa without stress marks, start offset in ``ipa`` of each kept character + end).
    A stress mark belongs to the character after it."""
    plain, starts, pending = [], [], None
    for k, ch in enumerate(ipa):
        if ch in _STRESS:
            pending = k if pending is None else pending
            continue
        plain.append(ch)
        starts.append(k if pending is None else pending)
        pending = None
    starts.append(len(ipa))
    return "".join(plain), starts


def align(alone: Sequence[str], pieces: Sequence[str]) -> list[str]:
    """One IPA string per word of ``alone`` (each word's reading said alone), cut from the
    sentence's phoneme groups ``pieces``. A word the sentence reading leaves no phonemes for keeps
    its own reading; a group no word accounts for goes to the word before it."""
    words = [strip_stress(a)[0] for a in alone]
    groups = [strip_stress(p)[0] for p in pieces]
    out: list[str] = []
    orphan = ""
    for i0, i1, j0, j1 in _blocks(words, groups):
        text = "".join(pieces[j0:j1])
        if i1 == i0:  # nobody's group: the word before takes it, else the next one
            if out:
                out[-1] += text
            else:
                orphan += text
        elif j1 == j0:
            out.append(alone[i0])
        elif i1 - i0 == 1:
            out.append(text)
        else:  # a word the group leaves nothing for keeps its own reading
            parts = split_group(words[i0:i1], text)
            out.extend(part or own for part, own in zip(parts, alone[i0:i1], strict=True))
        if orphan and out:
            out[0], orphan = orphan + out[0], ""
    return out


def _blocks(words: list[str], groups: list[str]) -> list[tuple[int, int, int, int]]:
    """Words matched to groups as (word start, word end, group start, group end) blocks in order,
    at the least edit distance between each block's words said alone and its groups."""
    n, m = len(words), len(groups)
    band = abs(n - m) + _BAND
    said = {a: ["".join(words[i : i + a]) for i in range(n)] for a in range(5)}
    heard = {b: ["".join(groups[j : j + b]) for j in range(m)] for b in range(4)}
    shapes = [(a, b, 0.5 * max(0, a + b - 2) + (1.0 if a == 0 or b == 0 else 0.0)) for a, b in _SHAPES]
    inf = float("inf")
    cost = [[inf] * (m + 1) for _ in range(n + 1)]
    back = [[(0, 0)] * (m + 1) for _ in range(n + 1)]
    cost[0][0] = 0.0
    distance = Levenshtein.distance
    for i in range(n + 1):
        row = cost[i]
        for j in range(max(0, i - band), min(m, i + band) + 1):
            here = row[j]
            if here == inf:
                continue
            for a, b, extra in shapes:
                if i + a > n or j + b > m:
                    continue
                w = said[a][i] if a else ""
                g = heard[b][j] if b else ""
                step = here + extra + distance(w, g)
                if step < cost[i + a][j + b]:
                    cost[i + a][j + b], back[i + a][j + b] = step, (a, b)
    blocks = []
    i, j = n, m
    while i or j:
        a, b = back[i][j]
        blocks.append((i - a, i, j - b, j))
        i, j = i - a, j - b
    return blocks[::-1]


def split_group(words: Sequence[str], group: str) -> list[str]:
    """Cut one phoneme group (stress marks kept) between the ``words`` (stress-free readings said
    alone) it holds; phonemes between two words' own go to the word before (ˌoʊvɚɹ + ɐ)."""
    plain, starts = strip_stress(group)
    ref = "".join(words)
    path = _path(ref, plain)
    cuts, at = [0], 0
    for w in words[:-1]:
        at += len(w)
        cuts.append(max(j for i, j in path if i == at))
    cuts.append(len(plain))
    for k in range(1, len(cuts) - 1):  # every word keeps a phoneme while there are some left
        cuts[k] = min(max(cuts[k], cuts[k - 1] + 1), len(plain))
    return [group[starts[a] : starts[b]] for a, b in itertools.pairwise(cuts)]


def _sub(x: str, y: str) -> float:
    if x == y:
        return 0.0
    if (x in _VOWELS) != (y in _VOWELS):
        return 2.5  # never a vowel for a consonant: a gap on each side costs less
    if x in _VOWELS:
        return 0.5
    return 0.3 if x in _FLAPS and y in _FLAPS else 0.7


def _gap(ch: str) -> float:
    return 0.2 if ch in _MARKS else 0.5 if ch in _WEAK else 1.0


def _path(ref: str, plain: str) -> list[tuple[int, int]]:
    """The (ref position, plain position) points of one least-cost alignment, end to start."""
    n, m = len(ref), len(plain)
    cost = [[0.0] * (m + 1) for _ in range(n + 1)]
    for i in range(1, n + 1):
        cost[i][0] = cost[i - 1][0] + _gap(ref[i - 1])
    for j in range(1, m + 1):
        cost[0][j] = cost[0][j - 1] + _gap(plain[j - 1])
    for i in range(1, n + 1):
        for j in range(1, m + 1):
            cost[i][j] = min(
                cost[i - 1][j - 1] + _sub(ref[i - 1], plain[j - 1]),
                cost[i - 1][j] + _gap(ref[i - 1]),
                cost[i][j - 1] + _gap(plain[j - 1]),
            )
    path, i, j = [(n, m)], n, m
    while i or j:
        if i and j and cost[i][j] == cost[i - 1][j - 1] + _sub(ref[i - 1], plain[j - 1]):
            i, j = i - 1, j - 1
        elif i and cost[i][j] == cost[i - 1][j] + _gap(ref[i - 1]):
            i -= 1
        else:
            j -= 1
        path.append((i, j))
    return path
