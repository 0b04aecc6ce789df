"""Eye dialect respelled for the speech engines: the spellings a reader says without thinking but
espeak-ng (the phonemiser of the English voices) spells out letter by letter.

    a-going -> a going       (the a- prefix; espeak-ng says the letter name "ay-going")
    b’lieve -> blieve        s’pose -> spose      t’other -> tother      W’y -> Wy
    (a lone consonant before an elision apostrophe; espeak-ng says "bee-lieve", "ess-pose")
    th’ -> the               e’en -> een          (espeak-ng: "tee-aitch", "eh-en")

The consonant keeps its apostrophe when the letters left would not start an English syllable
("b’fo", "n’ll"), before a capital ("s’I": "sI" is spelled too), and where espeak-ng knows the
elision itself ("d’ye", "c’mon", "y’know"). Kept ones that espeak-ng would still spell, g2p_en reads
with a schwa for the vowel left out ("b’fo" -> bəfˈoʊ); "s’I" (says I) is in the base lexicon.
"""

from __future__ import annotations

import re

_A_PREFIX = re.compile(r"(?<![\w’'\-‑])([aA])-(?=[a-z]{2})")
# not d’ j’ l’ m’ n’: the elisions of French and Italian phrases (l’oeuvre, d’oro, n’est)
_ELIDED = re.compile(r"(?<![\w’'\-‑])([bcfghkpqrstvwxyzBCFGHKPQRSTVWXYZ])['’](?=([a-z]))")
# the first two letters of an English syllable, when the first is a consonant ("c’e", "c’i" are
# French: c’est)
_ONSET = re.compile(
    r"[bdfghj-np-tv-z][aeiou]|c[aou]|[bcfgkp][lr]|[dtg][rw]|[kg]w|[bgkpw]y|s[ckl-pt-w]|[cstw]h|wr", re.I
)
_TH = re.compile(r"(?<![\w’'])([Tt])h['’](?=\s)")  # th’ old man
_EEN = re.compile(r"(?<![\w’'])([Ee])['’]en\b")  # e’en (even)


def respell_dialect(text: str) -> str:
    text = _A_PREFIX.sub(r"\1 ", text)
    text = _TH.sub(r"\1he", text)
    text = _EEN.sub(r"\1en", text)
    return _ELIDED.sub(_elided, text)


def _elided(m: re.Match[str]) -> str:
    letter, after = m.group(1), m.group(2)
    return letter if _ONSET.fullmatch(letter + after[0]) else m.group(0)
