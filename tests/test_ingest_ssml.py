"""SSML 1.1 reader: element mapping and errors."""

import pytest

from lector.core.errors import ManuscriptError, TagError
from lector.core.ingest import Boundary, Break, Run, Style, read_manuscript
from lector.core.model import Prosody, Token
from lector.core.planner import build_plan
from lector.core.project import load_project
from tests.test_project import EN_TOML, StubPronouncer, make_project

HEAD = (
    '<?xml version="1.0"?>\n<speak version="1.1" xmlns="http://www.w3.org/2001/10/synthesis" '
    'xmlns:mstts="http://www.w3.org/2001/mstts" xml:lang="zh-CN">\n'
)


def _items(tmp_path, body: str, toml=None):
    make_project(tmp_path, {"01.ssml": HEAD + body + "\n</speak>\n"}, *([toml] if toml else []))
    chapters = read_manuscript(load_project(tmp_path))
    items = [i for p in chapters[0].paragraphs for i in p.items]
    return chapters[0], [i for i in items if not (isinstance(i, Run) and not i.text.strip())]


def test_title_paragraphs_sentences_and_breaks(tmp_path):
    chapter, items = _items(
        tmp_path,
        '<meta name="title" content="序章"/>\n'
        '<p><s>一。</s><s>二<break time="300ms"/>三</s></p>\n<p>四<break strength="strong"/></p>',
    )
    assert chapter.title == "序章"
    assert len(chapter.paragraphs) == 2
    assert items == [
        Run("一。", 4),
        Boundary(4),
        Run("二", 4),
        Break(300, 4),
        Run("三", 4),
        Boundary(4),
        Run("四", 5),
        Break(800, 5),
    ]


def test_prosody_emphasis_voice_lang_express_as(tmp_path):
    _, items = _items(
        tmp_path,
        '<p><prosody rate="slow" pitch="+10%" volume="+6dB">慢<emphasis level="strong">重</emphasis>'
        '</prosody></p>\n<voice name="alice"><lang xml:lang="en-US">Hi</lang></voice>\n'
        '<mstts:express-as style="cheerful" styledegree="1.5">乐</mstts:express-as>\n'
        '<mstts:express-as style="sad">哀</mstts:express-as>',
    )
    assert items == [
        Run("慢", 3, Style(prosody=Prosody(0.75, 1.1, 6.0))),
        Run("重", 3, Style(prosody=Prosody(0.675, 1.155, 10.0))),
        Run("Hi", 4, Style(voice="alice", lang="en", on_lang_failure="processorchoice")),
        Run("乐", 5, Style(emotion="happy", emotion_degree=1.5)),
        Run("哀", 6, Style(emotion="sad")),
    ]


def test_phoneme_sub_say_as(tmp_path):
    _, items = _items(
        tmp_path,
        '<phoneme alphabet="x-pinyin" ph="yin2 hang2">银行</phoneme>'
        '<phoneme alphabet="sapi" ph="zhong 4">重</phoneme>'
        '<sub alias="世界卫生组织">WHO</sub>'
        '<say-as interpret-as="digits">2020</say-as><say-as interpret-as="cardinal">12</say-as>'
        '<say-as interpret-as="ordinal">3</say-as><say-as interpret-as="telephone">010-1234</say-as>'
        '<say-as interpret-as="date" format="ymd">2020-3-5</say-as>'
        '<say-as interpret-as="characters">AB1</say-as>',
    )
    zh = Style(lang="zh")
    assert items[0] == Run("银行", 3, zh, tokens=(Token("银", "yin2", "ssml"), Token("行", "hang2", "ssml")))
    assert items[1] == Run("重", 3, zh, tokens=(Token("重", "zhong4", "ssml"),))
    assert [(i.text, i.spoken) for i in items[2:]] == [
        ("WHO", "世界卫生组织"),
        ("2020", "二零二零"),
        ("12", "十二"),
        ("3", "第三"),
        ("010-1234", "零幺零幺二三四"),
        ("2020-3-5", "二零二零年三月五日"),
        ("AB1", "A B 一"),
    ]


def test_english_say_as_and_ipa_phoneme(tmp_path):
    body = (
        '<lang xml:lang="en"><say-as interpret-as="ordinal">21</say-as> '
        '<say-as interpret-as="date" format="mdy">'
        '3/5/2020</say-as> <say-as interpret-as="characters">ABC</say-as> '
        '<phoneme alphabet="ipa" ph="ʃɪˈvɔːn">Siobhan</phoneme> '
        '<phoneme alphabet="sapi" ph="h eh 1 l ow">hello</phoneme></lang>'
    )
    _, items = _items(tmp_path, body)
    runs = [i for i in items if i.atomic]
    assert [r.spoken for r in runs[:3]] == ["twenty-first", "March fifth, twenty twenty", "A B C"]
    assert runs[3].tokens == (Token("Siobhan", "ʃɪˈvɔːn", "ssml"),)
    assert runs[4].tokens == (Token("hello", "hˈɛloʊ", "ssml"),)


def test_ssml_through_planner(tmp_path):
    make_project(
        tmp_path,
        {
            "01.ssml": HEAD + '<p><s>他说<break time="300ms"/>你好。</s>'
            '<s>在<phoneme alphabet="x-pinyin" ph="yin2 hang2">银行</phoneme>。</s></p></speak>'
        },
    )
    sentences = build_plan(load_project(tmp_path), pronouncer=StubPronouncer()).chapters[0].sentences
    assert [(s.text, s.pause_after_ms) for s in sentences] == [
        ("他说", 300),
        ("你好。", 450),
        ("在银行。", 900),
    ]
    assert sentences[2].pronunciation == "x1 yin2 hang2"


def test_unclosed_tag_names_file_line_and_column(tmp_path):
    make_project(tmp_path, {"01.ssml": HEAD + "<p>\n<s>一。\n</p>\n</speak>\n"})
    with pytest.raises(ManuscriptError) as info:
        read_manuscript(load_project(tmp_path))
    assert (info.value.file, info.value.line) == ("manuscript/01.ssml", 5)
    assert "line 5, column 5" in str(info.value)


@pytest.mark.parametrize(
    "body, error, message",
    [
        ('<voice name="bob">x</voice>', TagError, "unknown voice 'bob'"),
        ('<mstts:express-as style="furious">x</mstts:express-as>', TagError, "unknown express-as style"),
        (
            '<phoneme alphabet="x-pinyin" ph="yin2">银行</phoneme>',
            ManuscriptError,
            "1 pinyin syllables for 2",
        ),
        ('<break time="soon"/>', TagError, "bad pause length"),
        ('<prosody rate="zippy">x</prosody>', ManuscriptError, "bad <prosody> value"),
        ('<say-as interpret-as="weird">x</say-as>', ManuscriptError, "unsupported interpret-as"),
        ("<blink>x</blink>", ManuscriptError, "unsupported SSML element <blink>"),
    ],
)
def test_bad_ssml_values(tmp_path, body, error, message):
    make_project(tmp_path, {"01.ssml": HEAD + "\n" + body + "</speak>"})
    with pytest.raises(error) as info:
        read_manuscript(load_project(tmp_path))
    assert (info.value.file, info.value.line) == ("manuscript/01.ssml", 4)
    assert message in info.value.message


def test_en_ssml_uses_book_language(tmp_path):
    make_project(
        tmp_path,
        {
            "01.ssml": '<speak xmlns="http://www.w3.org/2001/10/synthesis" xml:lang="en-US">'
            '<s>It is <say-as interpret-as="cardinal">42</say-as>.</s></speak>'
        },
        EN_TOML,
    )
    sentence = build_plan(load_project(tmp_path), pronouncer=StubPronouncer()).chapters[0].sentences[0]
    assert (sentence.text, sentence.spoken, sentence.lang) == ("It is 42.", "It is forty-two.", "en")


def test_sentence_prosody_is_that_of_most_of_its_text_and_sub_language(tmp_path):
    make_project(
        tmp_path,
        {
            "01.ssml": HEAD + '<s>这是<emphasis level="strong">重要</emphasis>的事情啊。</s>'
            '<s><prosody rate="fast">快快快快快</prosody>慢。</s>'
            '<s>Ask the <sub alias="World Health Organization">WHO</sub>.</s></speak>'
        },
    )
    s = build_plan(load_project(tmp_path), pronouncer=StubPronouncer()).chapters[0].sentences
    assert [x.prosody for x in s[:2]] == [Prosody(), Prosody(rate=1.25)]
    assert [(x.text, x.lang) for x in s[2].spans] == [("Ask the ", "en"), ("WHO", "en"), (".", "en")]
