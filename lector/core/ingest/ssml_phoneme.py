"""SSML <phoneme> -> a run with its tokens: x-pinyin (and SAPI for Mandarin) as checked pinyin
syllables, one per Han character; IPA, X-SAMPA and SAPI American English phones as IPA.

Kept apart from the element walk (ssml) because it owns the alphabets: pinyin is parsed and
counted against the characters, X-SAMPA and IPA are checked (ssml_lex.check_ipa) and SAPI phones
are mapped to IPA, so a bad pronunciation is refused at plan time with the file and line.
"""

from __future__ import annotations

import re
from dataclasses import replace

from lxml import etree

from ..errors import LexiconError, ManuscriptError
from ..model import Token
from ..text.lexicon import parse_pinyin
from ..text.segment import is_han
from . import ssml_lex
from .raw import Run, Style

_SAPI_EN = {
    "aa": "ɑ",
    "ae": "æ",
    "ah": "ʌ",
    "ao": "ɔ",
    "aw": "aʊ",
    "ax": "ə",
    "ay": "aɪ",
    "b": "b",
    "ch": "tʃ",
    "d": "d",
    "dh": "ð",
    "eh": "ɛ",
    "er": "ɝ",
    "ey": "eɪ",
    "f": "f",
    "g": "ɡ",
    "h": "h",
    "ih": "ɪ",
    "iy": "i",
    "jh": "dʒ",
    "k": "k",
    "l": "l",
    "m": "m",
    "n": "n",
    "ng": "ŋ",
    "ow": "oʊ",
    "oy": "ɔɪ",
    "p": "p",
    "r": "ɹ",
    "s": "s",
    "sh": "ʃ",
    "t": "t",
    "th": "θ",
    "uh": "ʊ",
    "uw": "u",
    "v": "v",
    "w": "w",
    "y": "j",
    "z": "z",
    "zh": "ʒ",
}


def phoneme_run(
    elem: etree._Element, text: str, line: int, style: Style, *, source: str, script_lang: str
) -> Run:
    """The run of a <phoneme> element over ``text``: tokens with origin "ssml" in the alphabet's
    pronunciation (pinyin for Mandarin, IPA otherwise); ``script_lang`` is the script's language.
    Raises ManuscriptError naming ``source`` and ``line``."""
    alphabet, ph = (elem.get("alphabet") or "ipa").lower(), (elem.get("ph") or "").strip()
    if not ph:
        raise _error(
            source, "<phoneme> without ph", line, 'write <phoneme alphabet="x-pinyin" ph="hang2">行</phoneme>'
        )
    lang = style.lang or ("zh" if any(is_han(c) for c in text) else script_lang)
    if alphabet in ("x-pinyin", "pinyin") or (alphabet == "sapi" and lang == "zh"):
        return _pinyin_run(ph, text, line, style, source)
    if alphabet == "sapi":
        try:
            ph = " ".join(sapi_to_ipa(word) for word in ph.split("-"))
        except ValueError as exc:
            raise _error(
                source,
                f'<phoneme alphabet="sapi" ph={ph!r}>: {exc}',
                line,
                'write SAPI phones with stress digits, e.g. ph="h eh 1 l ow"',
            ) from None
    elif alphabet in ("ipa", "x-sampa"):
        if lang == "zh":
            raise _error(
                source,
                f"<phoneme alphabet={alphabet!r}> for Mandarin {text!r}",
                line,
                'the Mandarin voices take pinyin: alphabet="x-pinyin" ph="yin2 hang2"',
            )
        ph = ssml_lex.check_ipa(ph, alphabet, text, source, line)
    else:
        raise _error(
            source, f"unsupported phoneme alphabet {alphabet!r}", line, "use ipa, x-sampa, x-pinyin or sapi"
        )
    words, prons = text.split(), ph.split()
    if len(words) == len(prons) > 1:
        tokens = tuple(Token(w, p, "ssml") for w, p in zip(words, prons, strict=True))
    else:
        tokens = (Token(text, ph, "ssml"),)
    return Run(text, line, style, tokens=tokens)


def _pinyin_run(ph: str, text: str, line: int, style: Style, source: str) -> Run:
    """A Mandarin <phoneme>: ``ph`` parsed as pinyin, one syllable per Han character of ``text``."""
    counted = re.findall(r"[a-zü:v]+\s*[1-5]", ph.lower())
    if counted and len(counted) != sum(1 for c in text if is_han(c)):
        pinyin_tokens(text, counted, source, line)  # raises: syllables and characters differ
    try:  # syllables and tones checked here, at plan time (tone marks are read too)
        syllables = parse_pinyin(ph, text, (source, line)).split()
    except LexiconError as exc:
        fix = exc.fix or 'write pinyin with tone numbers, e.g. ph="yin2 hang2"'
        raise _error(source, f"<phoneme ph={ph!r}> for {text!r}: {exc.message}", line, fix) from None
    return Run(text, line, replace(style, lang="zh"), tokens=pinyin_tokens(text, syllables, source, line))


def pinyin_tokens(text: str, syllables: list[str], source: str, line: int) -> tuple[Token, ...]:
    """One token per Han character of ``text``, each with its syllable (others with none)."""
    han = [c for c in text if is_han(c)]
    if len(han) != len(syllables):
        raise _error(
            source,
            f"<phoneme> has {len(syllables)} pinyin syllables for {len(han)} characters in {text!r}",
            line,
            'give one syllable with a tone number per character, e.g. ph="yin2 hang2"',
        )
    it = iter(syllables)
    return tuple(
        Token(c, next(it), "ssml") if is_han(c) else Token(c, "", "ssml") for c in text if not c.isspace()
    )


def _error(source: str, message: str, line: int, fix: str) -> ManuscriptError:
    return ManuscriptError(message, file=source, line=line, fix=fix)


def sapi_to_ipa(phones: str) -> str:
    """SAPI American English phones ('h eh 1 l ow') -> IPA ('hˈɛloʊ')."""
    out: list[str] = []
    for ph in phones.lower().split():
        if ph in ("1", "2"):
            stress = "ˈ" if ph == "1" else "ˌ"
            out.insert(_vowel_index(out), stress)
            continue
        if ph not in _SAPI_EN:
            raise ValueError(f"unknown SAPI phone {ph!r}")
        out.append(_SAPI_EN[ph])
    return "".join(out)


def _vowel_index(out: list[str]) -> int:
    """Stress mark goes before the last vowel written."""
    for i in range(len(out) - 1, -1, -1):
        if out[i][0] in "ɑæʌɔaəɛɝeɪioʊu":
            return i
    return len(out)
