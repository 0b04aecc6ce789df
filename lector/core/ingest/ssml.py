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

This module owns the element walk (which element does what, styles inherited down the tree,
paragraphs and sentence boundaries); attribute values are parsed by ssml_values, <phoneme>
alphabets by ssml_phoneme and PLS lexicons by ssml_lex.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path

from lxml import etree

from ..errors import ManuscriptError, TagError
from ..model import Prosody
from ..planwarn import add_warning
from ..text.lexicon import Lexicon
from ..text.segment import is_han
from . import say_as as say_as_mod
from . import ssml_lex
from . import tags as tagmod
from .markdown import title_from_stem
from .raw import DEFAULT_STYLE, Boundary, Break, Item, RawChapter, RawParagraph, Run, Style
from .ssml_phoneme import phoneme_run
from .ssml_values import AZURE_STYLES, BREAK_STRENGTH_MS, EMPHASIS, combine, parse_float, parse_prosody

SSML_NS = "http://www.w3.org/2001/10/synthesis"
MSTTS_NS = "http://www.w3.org/2001/mstts"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
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
            degree = parse_float(elem.get("styledegree"))
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
            return parse_prosody(elem.get("rate"), elem.get("pitch"), elem.get("volume"))
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
        return phoneme_run(elem, text, line, style, source=self.source, script_lang=self.lang)


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
