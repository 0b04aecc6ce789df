import pytest

from lector.core.errors import TagError
from lector.core.ingest.raw import Style
from lector.core.ingest.tags import Tag, Vocabulary, apply, is_tag_only, parse_duration_ms, scan

VOCAB = Vocabulary(emotions=("neutral", "sad", "happy"), voices=("narrator", "alice"))


def test_scan_splits_text_and_tags():
    parts = scan(
        "前[[emotion:sad:0.6]]中[[voice:alice]]后[[pause:1.5s]][[seed:123]]",
        file="manuscript/01.md",
        line=3,
        vocab=VOCAB,
    )
    assert parts == [
        "前",
        Tag("emotion", value="sad", degree=0.6, line=3, column=2),
        "中",
        Tag("voice", value="alice", line=3, column=22),
        "后",
        Tag("pause", ms=1500, line=3, column=38),
        Tag("seed", seed=123, line=3, column=52),
    ]


def test_durations():
    assert [parse_duration_ms(t, file=None, line=None) for t in ("800ms", "1.5s", "0s")] == [800, 1500, 0]


def test_apply_and_tag_only():
    style = apply(Style(), Tag("emotion", value="sad", degree=0.6))
    assert apply(style, Tag("voice", value="alice")) == Style(
        voice="alice", emotion="sad", emotion_degree=0.6
    )
    assert is_tag_only(["  ", Tag("voice", value="alice")]) is True
    assert is_tag_only(["x", Tag("voice", value="alice")]) is False
    assert is_tag_only(["x"]) is False


def _error(text: str) -> TagError:
    with pytest.raises(TagError) as info:
        scan(text, file="manuscript/02.md", line=7, vocab=VOCAB)
    return info.value


def test_unknown_emotion_lists_allowed_values():
    err = _error("他[[emotion:furious]]说")
    assert (err.file, err.line) == ("manuscript/02.md", 7)
    assert str(err).startswith("manuscript/02.md:7: unknown emotion 'furious'")
    assert "neutral, sad, happy" in str(err)


def test_unknown_voice_lists_cast():
    err = _error("[[voice:bob]]")
    assert str(err).startswith("manuscript/02.md:7: unknown voice 'bob'")
    assert "narrator, alice" in err.fix


@pytest.mark.parametrize(
    "text, message",
    [
        ("[[emotion:sad", "unclosed tag"),
        ("[[mood:sad]]", "unknown tag"),
        ("[[pause:soon]]", "bad pause length"),
        ("[[pause:90s]]", "longer than 60 s"),
        ("[[seed:-1]]", "bad seed"),
        ("[[emotion:sad:3]]", "bad emotion degree"),
        ("[[voice:]]", "has no value"),
        ("text]]", "stray ']]'"),
    ],
)
def test_malformed_tags_name_file_and_line(text, message):
    err = _error(text)
    assert (err.file, err.line) == ("manuscript/02.md", 7)
    assert message in err.message
