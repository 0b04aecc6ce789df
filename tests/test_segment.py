from lector.core.text.segment import dominant_lang, split_lang, split_long, split_sentences


def test_zh_sentences_keep_closing_quotes():
    text = "他说：“你好。”然后走了！真的吗？是的……好；最后一句"
    assert split_sentences(text, "zh") == [
        "他说：“你好。”",
        "然后走了！",
        "真的吗？",
        "是的……",
        "好；",
        "最后一句",
    ]


def test_zh_sentences_brackets_and_book_quotes():
    assert split_sentences("（这是括号。）「引号！」『书名？』", "zh") == [
        "（这是括号。）",
        "「引号！」",
        "『书名？』",
    ]


def test_en_sentences_pysbd_keeps_abbreviations():
    text = 'Dr. Smith went home. He said "Hi!" and left. Then she came.'
    assert split_sentences(text, "en") == [
        "Dr. Smith went home. ",
        'He said "Hi!" and left. ',
        "Then she came.",
    ]


def test_split_sentences_is_lossless():
    for text, lang in [("一。二！三", "zh"), ("A. B? C", "en"), ("   ", "zh"), ("x", "en")]:
        assert "".join(split_sentences(text, lang)) == text


def test_mixed_spans_keep_language():
    assert split_lang("我用iPhone拍了3次照片，GDP增长3.5%。") == [
        ("我用", "zh"),
        ("iPhone", "en"),
        ("拍了3次照片，", "zh"),
        ("GDP", "en"),
        ("增长3.5%。", "zh"),
    ]
    assert split_lang("2020年我在Apple工作") == [("2020年我在", "zh"), ("Apple", "en"), ("工作", "zh")]
    assert split_lang("Hello 世界 ok", "en") == [("Hello ", "en"), ("世界 ", "zh"), ("ok", "en")]
    assert split_lang("123，", "en") == [("123，", "en")]


def test_dominant_lang():
    assert dominant_lang("我喜欢Python编程") == "zh"
    assert dominant_lang("I like 中文 a lot, really") == "en"
    assert dominant_lang("123", "en") == "en"


def test_long_sentence_split_at_clauses():
    text = "一二三四五，六七八九十，一二三四五六七八九十"
    assert split_long(text, 12) == ["一二三四五，六七八九十，", "一二三四五六七八九十"]
    assert split_long(text, 30) == [text]


def test_long_sentence_split_at_spaces_then_hard():
    assert split_long("aaa bbb ccc ddd", 8) == ["aaa bbb ", "ccc ddd"]
    assert split_long("abcdefghij", 4) == ["abcd", "efgh", "ij"]


def test_long_split_never_loses_characters_2000_chars_without_punctuation():
    text = "".join(chr(0x4E00 + (i * 7) % 500) for i in range(2000))
    pieces = split_long(text, 120)
    assert "".join(pieces) == text
    assert len(pieces) == 17
    assert max(len(p) for p in pieces) == 120


def test_long_split_lossless_mixed_text():
    text = ("这是一个很长的句子，" * 30) + "and some English words here " * 10
    pieces = split_long(text, 50)
    assert "".join(pieces) == text
    assert all(len(p.strip()) <= 50 for p in pieces)


def test_en_numbers_before_capitalised_words_stay_with_their_sentence():
    # pysbd's numbered-list rule used to cut *before* "6." here, orphaning the numbers
    text = (
        "Keeper climbed the stairs while the sea number 6. Tower gulls waited for bread number 7. "
        "Tower the lamp turned its light number 8. Gulls climbed."
    )
    assert split_sentences(text, "en") == [
        "Keeper climbed the stairs while the sea number 6. ",
        "Tower gulls waited for bread number 7. ",
        "Tower the lamp turned its light number 8. ",
        "Gulls climbed.",
    ]
