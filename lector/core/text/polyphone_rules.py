"""Hand-written, high-precision context rules for frequent Mandarin polyphones.

Each rule is general (a word or grammatical pattern, never a memorised
sentence): ``Rule(char, left, right, pron)`` fires when the text just before
the character matches the regex ``left`` (anchored at its end) and the text
just after it matches ``right`` (anchored at its start). Rules were chosen by
measuring on the first half of the CPP dev set and checked on the second half
(see bench/polyphones.py).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

# degree adverbs / complements that follow a structural 得 (de5)
_DEGREE = "很|较|极|非常|十分|相当|特别|太|更|越来越|格外|过于|颇|挺|满|不错|多|好|快|慢|清楚|一干二净"


@dataclass(frozen=True)
class Rule:
    char: str
    left: str  # regex on the text before the char ("" = anything)
    right: str  # regex on the text after the char ("" = anything)
    pron: str


RULES: tuple[Rule, ...] = (
    # 地 as adverbial marker after -性 / reduplicated adjectives
    Rule("地", r"[^\W\d]性", r"[^区方带面球理]", "de5"),
    Rule("地", r"(.)\1", "", "de5"),
    # 得 + degree complement (structural particle)
    Rule("得", r"[说跑走写做唱跳看听吃睡活死过长变显觉记懂值晓使免]", f"(?:{_DEGREE})", "de5"),
    Rule("得", r"觉|懂|记|显|值|晓|使|免|省|舍|落|变|认|见", "", "de5"),
    # potential complement after a one-syllable verb: 看得到, 辨得出, 找得着 (de5)
    Rule(
        "得",
        r"(?:^|[^获取赢求难])[看听做找买办拿吃见想猜闻摸赶碰借辨认说写分跑走睡记数查搬抬装]",
        r"到|出|着|见|起|动|完|了|住|下|过|清|懂",
        "de5",
    ),
    Rule("得", "", r"到|以|知|出|益|分|奖|票|主", "de2"),
    Rule("得", r"[我你他她它们咱]", r"去|走|来|赶|快|马上|好好|小心|注意|多|先|了解|想办法", "dei3"),
    # clause-initial or after 真/总/非/准 (must): 得向脚夫行些小费, 真得算个宝地
    Rule(
        "得",
        r"^|[，。；：！？]|真|总|非|准",
        r"向|去|把|先|快|赶|走|给|让|请|找|花|用|等|靠|算|要|跟|有",
        "dei3",
    ),
    Rule("得", r"获|取|所|难|赢|求|博|不", "", "de2"),
    # 得了 + object = obtained: 他得了第一名, ，得了病 (not 得了解, and 我得了 + verb is dei3 above)
    Rule("得", r"^|[，。；：！？他她我你们]", r"了(?![解结却然断])[^，。！？；、]", "de2"),
    # 长: 长 + noun of length/duration (chang2) vs. 长 as head/grow (zhang3)
    Rule("长", "", r"度|期|久|远|江|城|篇|短|途|时间|方形|廊|跑|寿|河", "chang2"),
    Rule("长", r"[部局科院校市省县镇村州社站厅团队班组股会家首官兄师]", "", "zhang3"),
    Rule("长", "", r"大|老|者|官|子|女|孙|辈", "zhang3"),
    Rule("长", r"很|太|更|最|较|多|这么|那么|非常|特别|挺|不够", r"(?![大出成得满了着起])", "chang2"),
    # 行: banking / trade / rows
    Rule("行", "同", r"[们业中间是]|之间", "hang2"),
    Rule("行", r"[便一结与和们起]同|同", r"[，。！？；、]|$|者|的人|之人", "xing2"),
    Rule("行", r"银|商|车|洋|琴|内|外|央", r"[长业^]|$|[，。、）]", "hang2"),
    Rule("行", "", r"业|列|情|家|距|长", "hang2"),
    Rule("行", r"[这那一两二三四五六七八九十几每某数]", r"字|诗|文|泪|代码|小字", "hang2"),
    # 重: repeat (chong2) vs. heavy/important (zhong4)
    Rule("重", "", r"新|复|建|修|组|叠|演|返|申|播|逢|围|印|映|置|启|现|排", "chong2"),
    Rule("重", "", r"要|大|点|视|量|伤|任|兵|心|型", "zhong4"),
    Rule("重", r"严|尊|注|加|体|隆|庄|比|着|沉|贵|珍|看|器|偏", "", "zhong4"),
    # 还: return (huan2) vs. still (hai2)
    Rule("还", "", r"[钱债款书手原击清给乡家俗魂礼价账嘴]|了(?!解|得|不起)", "huan2"),
    Rule("还", r"[\u4e00-\u9fff]", r"[，。！？；]|$", "huan2"),
    Rule("还", r"归|偿|退|送|交|返|奉|生|往", "", "huan2"),
    Rule("还", "", r"是|有|要|没|在|会|能|可以|不|未|得|很|更|算", "hai2"),
    # 乐: music (yue4) vs. happy (le4)
    Rule("乐", "", r"[队器曲团谱章手坛评迷府师]", "yue4"),
    Rule("乐", r"音|声|器|礼|奏|管|弦|雅|民|配|军|古", "", "yue4"),
    Rule("乐", r"快|欢|娱|享|可|安|取|俱|作|玩", "", "le4"),
    # 朝: dynasty / court (chao2) vs. morning (zhao1)
    Rule("朝", "", r"代|廷|向|鲜|着|拜|圣|野|臣|政|贡|见", "chao2"),
    Rule("朝", r"[王唐宋元明清汉隋晋周商本前历两三六北南新]", "", "chao2"),
    Rule("朝", "", r"阳(?![区市县路门])|霞|夕|气|晖|露|辞|发", "zhao1"),
    Rule("朝", r"今|明|一", r"(?!代)", "zhao1"),
    # 为: for/because (wei4) vs. be/act as (wei2)
    Rule("为", r"因|是|所|只", r"(?!止)", "wei4"),
    Rule("为", "", r"了|何|什么|此|人民|国|之|其", "wei4"),
    Rule(
        "为",
        r"(?:^|[^认成以作称视选改变化沦转行因身难分誉封立定列评奉结传意更广较最甚极尤])",
        r"(?:[你我他她它咱]|大家|别人|自己)(?:们)?(?![所之]|人所)",
        "wei4",
    ),
    # 了解 / 了结 / 了却 / 不了 (liao3)
    Rule("了", "", r"解|结|却|然|如指掌|不起|得", "liao3"),
    Rule("了", r"[^罢]不|得|受", r"[，。！？、]|$", "liao3"),
    # potential complement V不了 (can't manage to): 干不了这事, 免不了, 侍候不了
    Rule("了", r"(?:[干受少免候吃走办做忘去跑管顾躲逃改治成活饶跑说写学]|侍候|承受)不", "", "liao3"),
    # 和: 暖和 huo5, 应和/附和 he4
    Rule("和", r"暖|搀|掺|软|热乎", "", "huo5"),
    Rule("和", r"应|附|唱|一唱一", "", "he4"),
    # 藏: hide (cang2) vs. Tibet / treasure store (zang4)
    Rule("藏", "", r"[着在了起身匿书品于进入好]", "cang2"),
    Rule("藏", r"迷|躲|隐|收|珍|储|潜|窝|埋|包|私|掩|冷|蕴|典|馆", "", "cang2"),
    Rule("藏", r"西|宝|三|青|川|驻|大", "", "zang4"),
    Rule("藏", "", r"族|语|文|药|区|历|獒|传|军|人", "zang4"),
    # 载: year (zai3: 千载, 十载, 记载) vs. carry (zai4)
    Rule("载", r"[千万十百半数一二三四五六七八九两几]|记|刊|登|连|转|下|选", "", "zai3"),
    Rule("载", "", r"重|货|客|人|体|荷|运|歌|舞|入|满|有|具", "zai4"),
    Rule("载", r"装|承|负|运|满|超|搭|车|空|船|机|舰", "", "zai4"),
    # 干: dry (gan1) vs. do / trunk (gan4)
    Rule("干", r"饼|肉|晒|烘|风|拭|擦|晾|吹|揩|烤|口|若|豆腐|笋|菜|果|相|不相", "", "gan1"),
    Rule("干", "", r"净|燥|旱|枯|涸|杯|粮|脆|瘪|裂|爽|咳|涉|扰|预|戈", "gan1"),
    Rule("干", r"已经|都|全|早就|早已|也", r"了?(?:[，。！？]|$)", "gan1"),  # 衣服已经干了
    Rule("干", r"能|苦|实|巧|肯|蛮|才|骨|树|主|躯|精|硬|大|快|敢|想|要|会|去|来|在", "", "gan4"),
    Rule("干", "", r"活|部|劲|事|吗|嘛|什么|啥|掉|不了|完|下去|警|线|将|练|道|得|过|了[一两几半]", "gan4"),
    # 间: gap / separate (jian4) vs. between, room (jian1)
    Rule("间", "", r"或|隔|断|接|谍|歇|苗|作|道", "jian4"),
    Rule("间", r"离|反|挑|相", r"(?!的|之)", "jian4"),
    # 似的 (shi4 de5) vs. 相似的 (si4)
    Rule("似", r"(?:^|[^相类近酷形神貌疑恰])", "的", "shi4"),
    Rule("佛", "仿", "", "fu2"),
    # verbs that read differently from the noun/adjective
    Rule("涨", "", r"红|紫|得通红", "zhang4"),
    Rule("笼", "", r"[着罩上住统]", "long3"),
    Rule(
        "种",
        r"(?:^|[^一这那各几多某品人物兵播良火稻菌树变工语剧杂原])",
        r"[着地树花菜田瓜豆麦]|了(?![一这])",
        "zhong4",
    ),
    Rule("供", "", r"品|奉|桌|祖|神|佛|像|菩萨", "gong4"),
    Rule("供", r"上|口|翻|招|逼|录|串", "", "gong4"),
    Rule("盛", r"(?:^|[^茂兴繁昌强旺丰鼎全极隆])", r"[了饭汤满着]|一[碗篮盘杯勺]", "cheng2"),
    Rule("铺", "", r"好|开|上|满|平|着|设|路|张|垫|天盖地", "pu1"),
    Rule("铺", r"店|当|床|质|饭|药|卧|肉|杂货|通|钱|商", "", "pu4"),
    Rule("教", "", r"给|书|[，。！？]|$", "jiao1"),
    Rule("空", "", r"隙|儿|白|缺|闲|额|当", "kong4"),
    Rule("空", r"(?:^|[^天对防海陆高航太时真])", r"地(?!区|面|导|毯)", "kong4"),
    Rule("参", "", "差", "cen1"),
    Rule("缝", r"树|门|墙|石|裂|夹|牙|指|窗|板|砖|岩", "", "feng4"),
    Rule("缝", "", r"隙|儿", "feng4"),
    Rule("结", "", r"实(?!累)|巴", "jie1"),
    Rule("恶", r"嫌|厌|憎|好|可", "", "wu4"),
    Rule("好", "", r"[吃喝]懒做|逸恶劳|客|胜|强|色|动|战|高骛远|奇(?!怪)", "hao4"),
    Rule("重", r"[万千数几层九]", r"[山门天霄关围楼]", "chong2"),
    Rule("弄", "", r"堂", "long4"),
    Rule("弄", "", r"[清干得坏懂明脏乱成到来去出好了湿错丢]", "nong4"),
    Rule("挨", r"紧|相", "", "ai1"),
    Rule("挨", "", r"[着近家户个次门]", "ai1"),
    Rule("挨", "", r"[打揍骂饿冻批整]", "ai2"),
    # 都: capital (du1) vs. all (dou1)
    Rule("都", r"首|故|建|定|迁|古|帝|陪|京|旧|之", "", "du1"),
    Rule("都", r"国", r"[^是在已会不有没还要能分被很将曾可]", "du1"),
    # 成都 the city, unless 成 ends a verb (变成都是, 做成都不行)
    Rule(
        "都",
        r"(?:^|[^变做完当造形构组达养建生合制写织分换改炼练装拼搭割切剪揉捏编谱译绘长看落集老收赞现速告功学有既促"
        r"一二三四五六七八九十几两])成",
        "",
        "du1",
    ),
    Rule("都", r"大|东|西|南|北", r"[城市](?!场)", "du1"),
    Rule("都", "", r"是|在|已|会|不|有|没|还|要|能|分别|被|很|可以|将|曾", "dou1"),
    # 只: measure word (zhi1) vs. only (zhi3)
    Rule("只", r"[一两二三四五六七八九十几每这那某半][\u4e00-\u9fff]?", r"[鸡鸭鸟狗猫羊虎手脚眼船]", "zhi1"),
    Rule("只", "", r"是|有|要|能|会|在|好|剩|不|可", "zhi3"),
    # 着: verb + 着 (zhe5) vs. 着急/着火/睡着 (zhao2)
    Rule("着", "", r"了?[急慌迷魔]|凉", "zhao2"),
    Rule("着", r"(?:^|[^靠烤围烧对向望朝看点举擎])", r"火", "zhao2"),
    Rule("着", r"[睡找猜够摸碰见]不?", r"[了，。！？]|$", "zhao2"),
    Rule("着", r"(?:^|[^背拉握牵搓抄挥摆插叉袖甩拍])", r"手|陆|装|重|力|实", "zhuo2"),
    Rule("着", "", r"落", "zhuo2"),
    # 数: count (shu3) in verb patterns: 数了数, 数一数, 数不清
    Rule("数", "", r"了数|一数|着|不清|不胜|不过来|落|钱", "shu3"),
    Rule("数", r"数了|数一|屈指可|不可胜|细", "", "shu3"),
    # 没: 没有/没来 (mei2) vs. 淹没/没收 (mo4)
    Rule("没", r"淹|沉|埋|出|隐|吞|覆|湮|泯|辱|鬼", "", "mo4"),
    Rule("没", "", r"收|落|入|顶|世|齿", "mo4"),
    Rule("没", "", "", "mei2"),
    # 的: 的确 / 目的 / 的士
    Rule("的", "", r"确|士", "di2"),
    Rule("的", r"目|有|众矢之", r"(?!的)", "di4"),
    # 相: prime minister / appearance (xiang4)
    Rule("相", r"首|宰|丞|真|照|长|面|外|首|变|亮|宝|卿|扮|色", "", "xiang4"),
    Rule("相", "", r"声|貌|片|册|机", "xiang4"),
    # 差: difference (cha1) vs. bad (cha4)
    Rule("差", r"落|温|时|误|相|高|价|公|反|级", r"(?!不多|点|劲)", "cha1"),
    # 划: row a boat (hua2)
    Rule("划", "", r"船|桨|拳|算|水", "hua2"),
    # 尽: do one's utmost (jin4)
    Rule("尽", "", r"心|力|职|责|情|头|得|是|数|皆|收|交|忠|孝|其|失|显|兴|善", "jin4"),
    Rule("尽", "", r"管|快|早|量|可能", "jin3"),
    # 传: biography (zhuan4)
    Rule("传", r"自|列|外|正|评|本|小|别|经|左氏|水浒|[书》]", r"(?![统播说达授染承递闻])", "zhuan4"),
    # 将: general (jiang4)
    Rule(
        "将",
        r"大|名|猛|武|主|副|参|少|中|上|虎|战|老|守|爱|良|宿|骁|女|敌|魏|蜀|吴|汉|楚|部|诸|裨|败|降|骑",
        r"(?![会要来在于把军])",
        "jiang4",
    ),
    Rule("将", "", r"领|士|帅|官|校", "jiang4"),
    # 假: vacation (jia4)
    Rule("假", r"放|请|休|度|暑|寒|病|产|婚|事|年|长|短|春", "", "jia4"),
    Rule("假", "", r"期|日", "jia4"),
    # 兴: interest / mood (xing4) vs. rise (xing1)
    Rule("兴", "", r"致|趣|味|冲冲|高采烈|头", "xing4"),
    Rule("兴", r"扫|败|尽|即|助|雅|游|诗|酒|乘|余", r"(?!起|建|办|旺|盛|衰|亡|奋)", "xing4"),
    # 觉: sleep (jiao4): 睡觉, 午觉, 一觉醒来
    Rule("觉", r"睡|午|懒|回笼|[一个]", r"(?!得|悟|察|着|出)", "jiao4"),
    # 少不了 / 少不得 / 不少 (shao3); 少年 stays to the model
    Rule("少", "", r"不了|不得|不免|许|量|数|见|有|说", "shao3"),
    # 间或 / 间亦 / 间有 (now and then, jian4)
    Rule("间", r"^|[，。；]", r"亦|或|有", "jian4"),
    # 识 in a signature after a date or 谨/题 (inscribed, zhi4): 七年四月二日识, 某某谨识
    Rule("识", r"[日月]|谨|敬|题|附|款|标", r"[。，；]|$", "zhi4"),
    # 行行出状元 (every trade, hang2)
    Rule("行", "", r"行出", "hang2"),
    Rule("行", "行", r"出", "hang2"),
    # everyday nouns with the neutral suffix 子 that pypinyin's phrase dictionary lacks (样子, 胡子)
    Rule(
        "子",
        r"[样胡嗓法池厨疯傻瘦矮麻秃驼柱褂罐盆勺竿袖领性婶婆汉鬼豹虫竹桃杏豆麦谷珠炉刀剪本票段园寨村镇"
        r"窗席匣筐包饼蹄膀腿月点帐]",
        r"(?![女孙弟民嗣系集类宫午夜时公])",
        "zi5",
    ),
    # 钉钯 (Zhu Bajie's rake, pa2), 钯子; 钯 alone is palladium (ba3)
    Rule("钯", r"钉|齿|铁", "", "pa2"),
    Rule("钯", "", r"子", "pa2"),
    # 不亦说乎 (说 = 悦, yue4)
    Rule("说", r"不亦", r"乎", "yue4"),
)


@cache
def _compiled(char: str) -> tuple[tuple[re.Pattern[str] | None, re.Pattern[str] | None, str], ...]:
    return tuple(
        (re.compile(f"(?:{r.left})$") if r.left else None, re.compile(r.right) if r.right else None, r.pron)
        for r in RULES
        if r.char == char
    )


# jieba part-of-speech tags of the structural particles, read with the neutral tone
_PARTICLES = {("地", "uv"): "de5", ("得", "ud"): "de5", ("着", "uz"): "zhe5", ("了", "ul"): "le5"}


def pos_pron(char: str, word: str, flag: str, after: str = "") -> str | None:
    """Reading of a one-character jieba word from its part of speech (the particle 地 de5,
    not the noun di4), or None. ``after`` is the text that follows: a particle is never
    last in its clause (三个主要地： is the noun)."""
    if word != char or not after or not ("\u4e00" <= after[0] <= "\u9fff"):
        return None
    return _PARTICLES.get((char, flag))


def rule_pron(text: str, i: int) -> str | None:
    """Pronunciation forced by a context rule for ``text[i]``, or None."""
    for left, right, pron in _compiled(text[i]):
        if left is not None and not left.search(text, 0, i):
            continue
        if right is not None and not right.match(text, i + 1):
            continue
        return pron
    return None
