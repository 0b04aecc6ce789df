"""SSML 1.1 scripts (``.ssml``) -> one raw chapter per file.

Elements: speak, p, s, w/token (text spoken; ``w role`` picks a PLS lexeme), break
(time/strength), prosody (rate/pitch/volume -> :class:`~lector.core.model.Prosody`),
emphasis, phoneme (ipa / x-sampa / x-pinyin / sapi -> tokens with origin "ssml", checked
here), sub (alias is spoken), say-as, voice (name = a cast name), lang and ``xml:lang`` on
any element (with ``onlangfailure``: the planner errors or skips text no cast voice speaks),
lexicon + lookup (ssml_lex), audio (its fallback content is spoken, with a plan warning),
mark/desc/meta, and Azure ``mstts:express-as style=... styledegree=...`` (emotion). The chapter title
comes from ``<meta name="title" content="..."/>``, else the file name.
Malformed XML -> ManuscriptError naming file, line and column.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path

from lxml import etree

from ..errors import LexiconError, ManuscriptError, TagError
from ..model import Prosody, Token
from ..planwarn import add_warning
from ..text.lexicon import Lexicon, parse_pinyin
from ..text.segment import is_han
from . import say_as as say_as_mod
from . import ssml_lex
from . import tags as tagmod
from .markdown import title_from_stem
from .raw import DEFAULT_STYLE, Boundary, Break, Item, RawChapter, RawParagraph, Run, Style

SSML_NS = "http://www.w3.org/2001/10/synthesis"
MSTTS_NS = "http://www.w3.org/2001/mstts"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
BREAK_STRENGTH_MS = {"none": 0, "x-weak": 100, "weak": 250, "medium": 400, "strong": 800, "x-strong": 1200}
RATE_WORDS = {"x-slow": 0.5, "slow": 0.75, "medium": 1.0, "default": 1.0, "fast": 1.25, "x-fast": 1.5}
PITCH_WORDS = {"x-low": 0.8, "low": 0.9, "medium": 1.0, "default": 1.0, "high": 1.1, "x-high": 1.2}
VOLUME_WORDS = {
    "silent": -60.0,
    "x-soft": -12.0,
    "soft": -6.0,
    "medium": 0.0,
    "default": 0.0,
    "loud": 6.0,
    "x-loud": 12.0,
}
EMPHASIS = {
    "strong": Prosody(0.9, 1.05, 4.0),
    "moderate": Prosody(0.95, 1.03, 2.0),
    "none": Prosody(),
    "reduced": Prosody(1.05, 0.97, -3.0),
}
# Azure speaking styles -> our emotion names (used when the style itself is not an emotion)
AZURE_STYLES = {
    "cheerful": "happy",
    "joyful": "happy",
    "sad": "sad",
    "depressed": "sad",
    "angry": "angry",
    "excited": "excited",
    "calm": "calm",
    "gentle": "calm",
    "whispering": "whisper",
    "serious": "neutral",
    "newscast": "neutral",
    "narration-professional": "neutral",
}
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
_PINYIN_RE = re.compile(r"[a-zü:v]+[1-5]")
_CJK = "[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef“”]"
_CJK_GAP = re.compile(f"(?<={_CJK}) (?={_CJK})")
_SKIP = {"mark", "desc", "meta", "metadata"}
LANG_FAILURES = ("processorchoice", "changevoice", "ignoretext", "ignorelang")


@dataclass
class _Walker:
    source: str
    vocab: tagmod.Vocabulary
    lang: str
    paragraphs: list[RawParagraph] = field(default_factory=list)
    items: list[Item] = field(default_factory=list)
    para_line: int = 1
    title: str | None = None
    base: Path = Path(".")  # the script's folder (lexicon uris)
    declared: dict[str, Lexicon] = field(default_factory=dict)  # xml:id -> lexicon
    active: list[Lexicon] = field(default_factory=list)  # global + enclosing lookups
    role: str = ""  # enclosing <w role>

    def error(self, message: str, line: int | None, fix: str) -> ManuscriptError:
        return ManuscriptError(message, file=self.source, line=line, fix=fix)

    def flush(self) -> None:
        if any(isinstance(i, Run) and i.text.strip() for i in self.items) or any(
            isinstance(i, Break) for i in self.items
        ):
            self.paragraphs.append(RawParagraph(tuple(self.items), self.para_line))
        self.items = []

    def add(self, item: Item) -> None:
        if not self.items:
            self.para_line = item.line
        self.items.append(item)

    def text(self, text: str | None, line: int, style: Style) -> None:
        if text:
            cleaned = collapse_ws(text)
            for run in ssml_lex.lookup_runs(cleaned, line, style, self.active, self.role):
                self.add(run)

    def walk(self, elem: etree._Element, style: Style) -> None:
        name = self.local_name(elem)
        line = elem.sourceline or 1
        style = self.lang_style(elem, style, line) if name != "speak" else style
        if name in ("speak", "p", "s", "prosody", "emphasis", "voice", "lang", "express-as", "token"):
            self.container(elem, name, line, style)
        elif name in ("w", "lookup", "audio"):
            self.scoped(elem, name, line, style)
        elif name == "lexicon":
            self.declare(elem, line)
        elif name == "break":
            self.add(Break(self.break_ms(elem, line), line))
        elif name in ("phoneme", "sub", "say-as"):
            self.add(self.atomic(elem, name, line, style))
        elif name == "meta" and elem.get("name") == "title":
            self.title = elem.get("content")
        elif name not in _SKIP:
            raise self.error(
                f"unsupported SSML element <{name}>",
                line,
                "use speak, p, s, w, token, break, prosody, emphasis, phoneme, sub, say-as, voice, "
                "lang, lexicon, lookup, audio or mstts:express-as",
            )

    def declare(self, elem: etree._Element, line: int) -> None:
        uri = elem.get("uri")
        if not uri:
            raise self.error("<lexicon> without uri", line, 'write <lexicon uri="names.pls" xml:id="names"/>')
        lex = ssml_lex.load_declared(uri, self.base, self.source, line)
        xml_id = elem.get("{http://www.w3.org/XML/1998/namespace}id")
        if xml_id:
            self.declared[xml_id] = lex
        else:
            self.active.append(lex)

    def scoped(self, elem: etree._Element, name: str, line: int, style: Style) -> None:
        """<lookup ref>, <w role> and <audio> around a container walk."""
        saved_active, saved_role = list(self.active), self.role
        if name == "lookup":
            ref = elem.get("ref", "")
            if ref not in self.declared:
                raise self.error(
                    f"<lookup ref={ref!r}> names no <lexicon xml:id> declared before it",
                    line,
                    f'declare <lexicon uri="....pls" xml:id="{ref or "id"}"/> first '
                    f"(declared: {', '.join(self.declared) or 'none'})",
                )
            self.active.append(self.declared[ref])
        elif name == "w":
            self.role = elem.get("role", "") or self.role
        else:
            fallback = " ".join("".join(t for t in _audio_fallback(elem)).split())
            what = (
                f"its fallback text {fallback!r} is spoken"
                if fallback
                else "it has no fallback text, nothing is spoken"
            )
            add_warning(
                "audio", f"<audio src={elem.get('src', '')!r}> is not played: {what}", f"{self.source}:{line}"
            )
        try:
            self.container(elem, name, line, style)
        finally:
            self.active, self.role = saved_active, saved_role

    def container(self, elem: etree._Element, name: str, line: int, style: Style) -> None:
        if name == "p":
            self.flush()
        inner = self.inner_style(elem, name, line, style)
        self.text(elem.text, line, inner)
        for child in elem:
            if isinstance(child.tag, str):
                self.walk(child, inner)
            self.text(child.tail, child.sourceline or line, inner)
        if name == "s":
            self.add(Boundary(line))
        elif name == "p":
            self.flush()

    def inner_style(self, elem: etree._Element, name: str, line: int, style: Style) -> Style:
        if name == "prosody":
            return replace(style, prosody=combine(style.prosody, self.prosody(elem, line)))
        if name == "emphasis":
            level = elem.get("level", "moderate")
            if level not in EMPHASIS:
                raise self.error(f"bad emphasis level {level!r}", line, f"use one of {list(EMPHASIS)}")
            return replace(style, prosody=combine(style.prosody, EMPHASIS[level]))
        if name == "voice":
            voice = elem.get("name", "")
            wanted = (elem.get("languages") or "").split()
            if not voice and wanted:  # <voice languages="it">: the cast voice of that language (planner)
                return replace(
                    style,
                    lang=wanted[0].split("-")[0].lower(),
                    on_lang_failure=style.on_lang_failure or "changevoice",
                )
            if not voice:
                raise TagError(
                    "<voice> without a name: Lector casts voices by name, not by gender, age or variant",
                    file=self.source,
                    line=line,
                    fix=f'write <voice name="..."> with one of: {", ".join(self.vocab.voices)}, '
                    'or <voice languages="it"> for the cast voice of a language',
                )
            if voice not in self.vocab.voices:
                raise TagError(
                    f"unknown voice {voice!r} in <voice name=...>",
                    file=self.source,
                    line=line,
                    fix=f"use one of: {', '.join(self.vocab.voices)} (cast names in project.toml)",
                )
            return replace(style, voice=voice)
        if name == "express-as":
            return self.express_as(elem, line, style)
        return style

    def express_as(self, elem: etree._Element, line: int, style: Style) -> Style:
        raw = elem.get("style", "")
        emotion = raw if raw in self.vocab.emotions else AZURE_STYLES.get(raw.lower())
        if emotion not in self.vocab.emotions:
            raise TagError(
                f"unknown express-as style {raw!r}",
                file=self.source,
                line=line,
                fix=f"use one of: {', '.join(self.vocab.emotions)}",
            )
        degree = None
        if elem.get("styledegree") is not None:
            degree = _float(elem.get("styledegree"))
            if degree is None or not 0.01 <= degree <= 2.0:
                raise self.error(f"bad styledegree {elem.get('styledegree')!r}", line, "use 0.01..2")
        return replace(style, emotion=emotion, emotion_degree=degree)

    def lang_style(self, elem: etree._Element, style: Style, line: int) -> Style:
        failure = elem.get("onlangfailure")
        if failure is not None and failure not in LANG_FAILURES:
            raise self.error(f"bad onlangfailure {failure!r}", line, f"use one of {list(LANG_FAILURES)}")
        lang = elem.get(XML_LANG)
        if lang:
            # SSML 1.1 3.1.13: onlangfailure is inherited; the default (processorchoice) is an error here
            return replace(
                style,
                lang=lang.split("-")[0].lower(),
                on_lang_failure=failure or style.on_lang_failure or "processorchoice",
            )
        return replace(style, on_lang_failure=failure) if failure else style

    def local_name(self, elem: etree._Element) -> str:
        qname = etree.QName(elem)
        if qname.namespace not in (None, SSML_NS, MSTTS_NS):
            raise self.error(
                f"element <{qname.localname}> in unknown namespace {qname.namespace}",
                elem.sourceline,
                f"use the SSML namespace {SSML_NS}",
            )
        name: str = qname.localname
        return name

    def break_ms(self, elem: etree._Element, line: int) -> int:
        if (time := elem.get("time")) is not None:
            return tagmod.parse_duration_ms(time, file=self.source, line=line)
        strength = elem.get("strength", "medium")
        if strength not in BREAK_STRENGTH_MS:
            raise self.error(
                f"bad break strength {strength!r}", line, f"use one of {list(BREAK_STRENGTH_MS)}"
            )
        return BREAK_STRENGTH_MS[strength]

    def prosody(self, elem: etree._Element, line: int) -> Prosody:
        try:
            return Prosody(
                rate=_ratio(elem.get("rate"), RATE_WORDS),
                pitch=_pitch(elem.get("pitch")),
                volume_db=_volume(elem.get("volume")),
            )
        except ValueError as exc:
            raise self.error(
                f"bad <prosody> value: {exc}",
                line,
                "use rate='slow'|'90%'|'+10%', pitch='high'|'+2st'|'-5%', volume='loud'|'+6dB'",
            ) from None

    def atomic(self, elem: etree._Element, name: str, line: int, style: Style) -> Run:
        text = collapse_ws("".join(elem.itertext()))
        if name == "sub":
            alias = elem.get("alias")
            if alias is None:
                raise self.error("<sub> without alias", line, 'write <sub alias="spoken form">text</sub>')
            return Run(text, line, style, spoken=alias)
        if name == "say-as":
            lang = style.lang or ("zh" if any(is_han(c) for c in text) else self.lang)
            try:
                spoken = say_as_mod.say_as(text, elem.get("interpret-as", ""), elem.get("format"), lang)
            except ValueError as exc:
                raise self.error(
                    f"<say-as>: {exc}", line, "check interpret-as, format and the value"
                ) from None
            return Run(text, line, style, spoken=spoken)
        return self.phoneme(elem, text, line, style)

    def phoneme(self, elem: etree._Element, text: str, line: int, style: Style) -> Run:
        alphabet, ph = (elem.get("alphabet") or "ipa").lower(), (elem.get("ph") or "").strip()
        if not ph:
            raise self.error(
                "<phoneme> without ph", line, 'write <phoneme alphabet="x-pinyin" ph="hang2">行</phoneme>'
            )
        lang = style.lang or ("zh" if any(is_han(c) for c in text) else self.lang)
        if alphabet in ("x-pinyin", "pinyin") or (alphabet == "sapi" and lang == "zh"):
            counted = re.findall(r"[a-zü:v]+\s*[1-5]", ph.lower())
            if counted and len(counted) != sum(1 for c in text if is_han(c)):
                self.pinyin_tokens(text, counted, line)  # raises: syllables and characters differ
            try:  # syllables and tones checked here, at plan time (tone marks are read too)
                syllables = parse_pinyin(ph, text, (self.source, line)).split()
            except LexiconError as exc:
                fix = exc.fix or 'write pinyin with tone numbers, e.g. ph="yin2 hang2"'
                raise self.error(f"<phoneme ph={ph!r}> for {text!r}: {exc.message}", line, fix) from None
            return Run(
                text, line, replace(style, lang="zh"), tokens=self.pinyin_tokens(text, syllables, line)
            )
        if alphabet == "sapi":
            try:
                ph = " ".join(sapi_to_ipa(word) for word in ph.split("-"))
            except ValueError as exc:
                raise self.error(
                    f'<phoneme alphabet="sapi" ph={ph!r}>: {exc}',
                    line,
                    'write SAPI phones with stress digits, e.g. ph="h eh 1 l ow"',
                ) from None
        elif alphabet in ("ipa", "x-sampa"):
            if lang == "zh":
                raise self.error(
                    f"<phoneme alphabet={alphabet!r}> for Mandarin {text!r}",
                    line,
                    'the Mandarin voices take pinyin: alphabet="x-pinyin" ph="yin2 hang2"',
                )
            ph = ssml_lex.check_ipa(ph, alphabet, text, self.source, line)
        else:
            raise self.error(
                f"unsupported phoneme alphabet {alphabet!r}", line, "use ipa, x-sampa, x-pinyin or sapi"
            )
        words, prons = text.split(), ph.split()
        if len(words) == len(prons) > 1:
            tokens = tuple(Token(w, p, "ssml") for w, p in zip(words, prons, strict=True))
        else:
            tokens = (Token(text, ph, "ssml"),)
        return Run(text, line, style, tokens=tokens)

    def pinyin_tokens(self, text: str, syllables: list[str], line: int) -> tuple[Token, ...]:
        han = [c for c in text if is_han(c)]
        if len(han) != len(syllables):
            raise self.error(
                f"<phoneme> has {len(syllables)} pinyin syllables for {len(han)} characters in {text!r}",
                line,
                'give one syllable with a tone number per character, e.g. ph="yin2 hang2"',
            )
        it = iter(syllables)
        return tuple(
            Token(c, next(it), "ssml") if is_han(c) else Token(c, "", "ssml") for c in text if not c.isspace()
        )


def _audio_fallback(elem: etree._Element) -> Iterator[str]:
    """The text of an <audio> element's content, <desc> left out."""
    for node in elem.iter():
        if isinstance(node.tag, str) and etree.QName(node).localname == "desc":
            continue
        if node is elem or isinstance(node.tag, str):
            yield node.text or ""
        if node is not elem:
            yield node.tail or ""


def collapse_ws(text: str) -> str:
    """Whitespace runs -> one space; none left between two CJK characters."""
    text = re.sub(r"\s+", " ", text)
    return _CJK_GAP.sub("", text)


def combine(a: Prosody, b: Prosody) -> Prosody:
    return Prosody(
        rate=round(a.rate * b.rate, 4),
        pitch=round(a.pitch * b.pitch, 4),
        volume_db=round(a.volume_db + b.volume_db, 2),
    )


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


def _float(text: str | None) -> float | None:
    try:
        return float(text) if text is not None else None
    except ValueError:
        return None


def _ratio(value: str | None, words: dict[str, float]) -> float:
    if value is None:
        return 1.0
    v = value.strip().lower()
    if v in words:
        return words[v]
    if m := re.fullmatch(r"([+-]?\d+(?:\.\d+)?)%", v):
        n = float(m.group(1))
        return round(1 + n / 100 if v[0] in "+-" else n / 100, 4)
    if (ratio := _float(v)) is not None and ratio > 0:
        return ratio
    raise ValueError(f"{value!r}")


def _pitch(value: str | None) -> float:
    if value is not None and (m := re.fullmatch(r"([+-]?\d+(?:\.\d+)?)st", value.strip())):
        return round(2 ** (float(m.group(1)) / 12), 4)
    if value is not None and (m := re.fullmatch(r"([+-]\d+(?:\.\d+)?)hz", value.strip().lower())):
        return round(1 + float(m.group(1)) / 200, 4)
    return _ratio(value, PITCH_WORDS)


def _volume(value: str | None) -> float:
    if value is None:
        return 0.0
    v = value.strip().lower()
    if v in VOLUME_WORDS:
        return VOLUME_WORDS[v]
    if m := re.fullmatch(r"([+-]?\d+(?:\.\d+)?)db", v):
        return float(m.group(1))
    if (n := _float(v)) is not None and 0 < n <= 100:
        return round(20 * math.log10(n / 100), 2)
    raise ValueError(f"{value!r}")


def read_ssml(path: Path, *, source: str, vocab: tagmod.Vocabulary, lang: str) -> list[RawChapter]:
    """Read one SSML file into one chapter. Raises ManuscriptError / TagError."""
    parser = etree.XMLParser(
        resolve_entities=False, no_network=True, remove_comments=True, remove_pis=True, load_dtd=False
    )
    try:
        root = etree.parse(str(path), parser).getroot()
    except etree.XMLSyntaxError as exc:
        line, column = exc.position if exc.position else (exc.lineno, 0)
        raise ManuscriptError(
            f"malformed SSML at line {line}, column {column}: {exc.msg}",
            file=source,
            line=line,
            fix="close every element and quote every attribute",
        ) from None
    except OSError as exc:
        raise ManuscriptError(f"cannot read SSML: {exc}", file=source, fix="check the file") from None
    walker = _Walker(source, vocab, (root.get(XML_LANG) or lang).split("-")[0].lower(), base=path.parent)
    if walker.local_name(root) != "speak":
        raise walker.error(
            f"root element is <{etree.QName(root).localname}>, not <speak>",
            root.sourceline,
            f'wrap the script in <speak version="1.1" xmlns="{SSML_NS}">',
        )
    walker.walk(root, DEFAULT_STYLE)
    walker.flush()
    title = walker.title or title_from_stem(path.stem)
    return [RawChapter(title, source, tuple(walker.paragraphs), root.sourceline or 1)]
