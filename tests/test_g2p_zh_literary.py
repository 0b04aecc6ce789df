"""Literary polyphones (issue 14): readings that depend on grammar, and the hand-labelled set."""

from pathlib import Path

import pytest

from lector.core.text.g2p_zh import pinyin

LITERARY = Path(__file__).parents[1] / "bench" / "data" / "literary_polyphones.tsv"

CASES = [
    ("他看着我笑。", "着", "zhe5"),
    ("她想着心事。", "着", "zhe5"),
    ("孩子睡着了。", "着", "zhao2"),
    ("孔乙己着了慌。", "着", "zhao2"),
    ("再找不着了。", "着", "zhao2"),
    ("他背着手踱着。", "着", "zhe5"),
    ("他终于走了。", "了", "le5"),
    ("只是黄瘦些罢了。", "了", "le5"),
    ("掌柜又说我干不了这事。", "了", "liao3"),
    ("我觉得很好。", "得", "de5"),
    ("我还记得你。", "得", "de5"),
    ("树叶子却绿得发亮。", "得", "de5"),
    ("你也能看得到天色。", "得", "de5"),
    ("他得到了奖励。", "得", "de2"),
    ("行李太多了，得向脚夫行些小费。", "得", "dei3"),
    ("还是你来吧。", "还", "hai2"),
    ("家里还有饭。", "还", "hai2"),
    ("父亲还了亏空。", "还", "huan2"),
    ("他和同行们聊天。", "行", "hang2"),
    ("我们便同行。", "行", "xing2"),
    ("我和你都去。", "和", "he2"),
    ("我可以附和着笑。", "和", "he4"),
    ("这儿准保暖和。", "和", "huo5"),
    ("他把信藏在枕头下。", "藏", "cang2"),
    ("捉几回迷藏。", "藏", "cang2"),
    ("她去西藏旅行。", "藏", "zang4"),
    ("据史书记载，此事属实。", "载", "zai3"),
    ("白云千载空悠悠。", "载", "zai3"),
    ("这辆车载重五吨。", "载", "zai4"),
    ("衣服已经干了。", "干", "gan1"),
    ("我赶紧拭干了泪。", "干", "gan1"),
    ("你在干什么？", "干", "gan4"),
    ("房间里很安静。", "间", "jian1"),
    ("只有那眼珠间或一轮。", "间", "jian4"),
    ("北京是中国的首都。", "都", "du1"),
    ("这故都的秋味。", "都", "du1"),
    ("大家都来了。", "都", "dou1"),
    ("他慢慢地走。", "地", "de5"),
    ("它们安静不动地低声地说。", "地", "de5"),
    ("土地很肥沃。", "地", "di4"),
    ("仿佛在梦中。", "佛", "fu2"),
    ("心里很轻松似的。", "似", "shi4"),
    ("他似乎很累。", "似", "si4"),
    ("孔乙己便涨红了脸。", "涨", "zhang4"),
    ("都种着碧绿的西瓜。", "种", "zhong4"),
]


@pytest.mark.parametrize("text, char, pron", CASES)
def test_literary_reading(text, char, pron):
    assert pinyin(text)[text.index(char)] == pron


def test_year_zero_is_read():
    assert pinyin("一九〇七年") == ["yi1", "jiu3", "ling2", "qi1", "nian2"]


def test_literary_set_shape():
    rows = [
        line.split("\t")
        for line in LITERARY.read_text(encoding="utf-8").splitlines()
        if line and not line.startswith("#")
    ]
    assert all(len(r) == 4 and r[0] in ("dev", "heldout") and r[2].count("\u2581") == 2 for r in rows)
    assert (sum(r[0] == "dev" for r in rows), sum(r[0] == "heldout" for r in rows)) == (582, 274)
