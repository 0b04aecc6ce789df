"""What a listener hears on real Chinese books: numbers, signs, English and polyphones as they
appear in Lu Xun, Lao She, chapter-novel headings and everyday prose (exact readings)."""

import pytest

from lector.core.planwarn import collecting
from lector.core.text.g2p_zh import pinyin
from lector.core.text.normalize_zh import normalize_zh
from lector.core.text.zh_mixed import english_tokens, spelled_words

NORMALIZED = [
    # prices drop their trailing zeros
    ("售价38.00元", "售价三十八元"),
    ("折后12.50元", "折后十二点五元"),
    ("共1,200.00元", "共一千二百元"),
    ("约3.5万元", "约三点五万元"),
    # year ranges with no 年: a life in brackets, a season; an amount range stays a range
    ("鲁迅（1881—1936），浙江绍兴人。", "鲁迅（一八八一至一九三六），浙江绍兴人。"),
    ("(1899-1966)", "(一八九九至一九六六)"),
    ("2019-2020赛季", "二〇一九至二〇二〇赛季"),
    ("1919—1921年间", "一九一九至一九二一年间"),
    ("1000-2000元", "一千到两千元"),
    ("1500-1600人", "一千五百到一千六百人"),
    # decades, generations, month·day event names
    ("1980s的音乐", "一九八〇年代的音乐"),
    ("他是90后，她是00后，还有95后", "他是九零后，她是零零后，还有九五后"),
    ("10后来", "十后来"),
    ("5·12汶川地震和9·11事件", "五一二汶川地震和九一一事件"),
    # 2 is 两 before a measure word at either end of a range, and in money
    ("1-2个", "一到两个"),
    ("2-3天", "两到三天"),
    ("1元2角5分", "一元两角五分"),
    ("2毛钱，￥2，¥2万", "两毛钱，两元，两万元"),
    ("第2角", "第二角"),
    # BC years are cardinals
    ("公元前2000年", "公元前两千年"),
    ("公元前221年", "公元前二百二十一年"),
    # numeral signs read, never dropped
    ("①学而时习之；②温故而知新；⑩", "一学而时习之；二温故而知新；十"),
    ("⑴甲⒉乙❸丙㈣丁", "一甲二乙三丙四丁"),
    ("第Ⅲ卷第Ⅳ章，ⅻ", "第三卷第四章，十二"),
    # Kangxi radicals / compatibility ideographs from PDF conversions
    ("⼈⼝⼀百", "人口一百"),
    # full-width digits and signs
    ("第１回至第１００回", "第一回至第一百回"),
    ("他有２０％的把握", "他有百分之二十的把握"),
    ("他喝了２杯茶", "他喝了两杯茶"),
    # what was already right stays right
    ("一九一九年五月四日", "一九一九年五月四日"),
    ("那是1919年5月4日，民国八年。", "那是一九一九年五月四日，民国八年。"),
    (
        "会议定于2023-10-01上午9:05开始，3:45结束。",
        "会议定于二〇二三年十月一日上午九点零五分开始，三点四十五分结束。",
    ),
    ("约有1/4的人，7.5%，3.14", "约有四分之一的人，百分之七点五，三点一四"),
    (
        "他买了3-5个苹果，花了￥12.5，也就是12元5角。",
        "他买了三到五个苹果，花了十二点五元，也就是十二元五角。",
    ),
    ("请拨打电话010-62751234，或到305室", "请拨打电话零幺零六二七五幺二三四，或到三零五室"),
    ("他住在302号，她家在中山路1024号。", "他住在三零二号，她家在中山路一零二四号。"),
    ("第302号文件", "第三百零二号文件"),
]


@pytest.mark.parametrize(("text", "spoken"), NORMALIZED)
def test_normalize_real_text(text: str, spoken: str) -> None:
    assert normalize_zh(text) == spoken


def test_han_without_a_reading_is_a_plan_warning() -> None:
    with collecting() as warnings:
        assert normalize_zh("他吃了一个𠮷野家的饭。") == "他吃了一个𠮷野家的饭。"
    assert [w.kind for w in warnings] == ["unread"]
    assert warnings[0].message.startswith("no Mandarin reading for 𠮷 U+20BB7 in '他吃了一个𠮷野家的饭。'")


def test_placeholder_marks_are_read_mou_with_a_warning() -> None:
    with collecting() as warnings:
        assert normalize_zh("他是××县的□□先生，3×4=12。") == "他是某某县的某某先生，三乘以四等于十二。"
    assert [w.kind for w in warnings] == ["placeholder", "placeholder"]
    assert warnings[0].message.startswith("'××' in '他是××县的□□先生，3×4=12。' is read as 某某; ")


def test_readable_text_has_no_warning() -> None:
    with collecting() as warnings:
        normalize_zh("这本书叫《呐喊》，是魯迅先生寫的。")
    assert warnings == []


def test_extension_b_characters_are_read() -> None:
    assert pinyin("𡈼𪚥") == ["ting3", "zhe2"]


def _tokens(text: str) -> list[tuple[str, str]]:
    return [(t.text, t.pron) for t in english_tokens(text)]


def test_full_width_latin_is_read_like_ascii() -> None:
    assert _tokens("Ｈｅｌｌｏ！") == [("Ｈｅｌｌｏ", "ha1 lou2"), ("！", "")]
    assert _tokens("ＧＤＰ") == [("ＧＤＰ", "ji4 di4 pi1")]
    assert spelled_words("ｗｉｄｇｅｔ") == ["widget"]


def test_unit_symbols_are_read_as_units() -> None:
    assert _tokens("kg，") == [("kg", "gong1 jin1"), ("，", "")]
    assert _tokens("m/s。") == [("m/s", "mi3 mei3 miao3"), ("。", "")]
    assert _tokens("km/h") == [("km/h", "gong1 li3 mei3 xiao3 shi2")]
    assert _tokens("cm") == [("cm", "li2 mi3")]
    assert _tokens("background") == [("background", "bi4 ei1 xi1 kai4 ji4 a1 er5 ou1 you1 en1 di4")]


def test_decade_in_an_english_run() -> None:
    assert _tokens("1980s") == [("1980s", "yi1 jiu3 ba1 ling2 nian2 dai4")]


READINGS = [
    # (sentence, index of the character, reading)
    ("便宜的东西都买完了。", 5, "dou1"),
    ("心中都明白。", 2, "dou1"),
    ("身上都是泥。", 2, "dou1"),
    ("成都是一个好地方。", 1, "du1"),
    ("这些东西变成都是垃圾。", 6, "dou1"),
    ("他们到了大都市。", 5, "du1"),
    ("你为什么为他做这件事？", 4, "wei4"),
    ("他为我们做了很多事。", 1, "wei4"),
    ("认为他是好人。", 1, "wei2"),
    ("不为他人所知。", 1, "wei2"),
    ("他兴致勃勃。", 1, "xing4"),
    ("扫兴而归。", 1, "xing4"),
    ("说起兴衰。", 2, "xing1"),
    ("他睡了一觉。", 4, "jiao4"),
    ("一觉醒来。", 1, "jiao4"),
    ("不知不觉。", 3, "jue2"),
    ("少不了被人说几句。", 0, "shao3"),
    ("少年时他很少说话。", 0, "shao4"),
    ("间亦有略具联络者。", 0, "jian4"),
    ("其间有一个少年。", 1, "jian1"),
    ("七年四月二日识。", 6, "zhi4"),
    ("他认识你。", 2, "shi2"),
    ("行行出状元。", 1, "hang2"),
    ("不亦说乎？", 2, "yue4"),
    ("他得了第一名。", 1, "de2"),
    ("我得了解一下。", 1, "dei3"),
    ("样子太傻。", 1, "zi5"),
    ("花白的胡子。", 4, "zi5"),
    ("乡村子女", 2, "zi3"),
    ("只见那呆子把钉钯一扛。", 7, "pa2"),
    ("钯是一种金属。", 0, "ba3"),
]


@pytest.mark.parametrize(("text", "index", "reading"), READINGS)
def test_polyphones_in_real_text(text: str, index: int, reading: str) -> None:
    assert pinyin(text)[index] == reading


def test_erhua_suffix_is_neutral() -> None:
    assert pinyin("拉整天儿") == ["la1", "zheng3", "tian1", "er5"]
    assert pinyin("他只说了一点儿。")[6] == "er5"
    assert pinyin("小孩儿在那儿玩儿。") == ["xiao3", "hai2", "er5", "zai4", "na4", "er5", "wan2", "er5", ""]


def test_full_er_words_keep_er2() -> None:
    assert pinyin("女儿和婴儿，儿子，孩儿们，幸运儿") == [
        "nv3",
        "er2",
        "he2",
        "ying1",
        "er2",
        "",
        "er2",
        "zi5",
        "",
        "hai2",
        "er2",
        "men5",
        "",
        "xing4",
        "yun4",
        "er2",
    ]


def test_squared_and_cubed_units_are_read_in_chinese() -> None:
    from lector.core.text.normalize_zh import normalize_zh
    from lector.core.text.segment import split_lang

    assert split_lang("面积3cm²的纸，体积5cm³") == [("面积3cm²的纸，体积5cm³", "zh")]
    assert normalize_zh("面积3cm²的纸，体积5cm³") == "面积三平方厘米的纸，体积五立方厘米"
    assert normalize_zh("湖面12km²，水量2km³，孔径4mm²") == "湖面十二平方公里，水量两立方公里，孔径四平方毫米"


def test_unit_symbols_after_digits_stay_in_the_chinese_run() -> None:
    from lector.core.text.segment import split_lang

    assert split_lang("他体重70kg，身高180cm，高3m。") == [("他体重70kg，身高180cm，高3m。", "zh")]
    assert split_lang("速度3m/s很快，加了5g盐") == [("速度3m/s很快，加了5g盐", "zh")]
    assert split_lang("我买了iPhone 15和3个苹果") == [
        ("我买了", "zh"),
        ("iPhone ", "en"),
        ("15和3个苹果", "zh"),
    ]
    assert split_lang("他说OK") == [("他说", "zh"), ("OK", "en")]
