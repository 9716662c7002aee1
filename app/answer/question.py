"""What a question asks for: its expected answer type, unit, content terms and language."""

from __future__ import annotations

import re
from dataclasses import dataclass

from app.dates import DATE_TERM
from app.ingest.speakers import TITLES
from app.text import PLACE_SUFFIXES, cities, cjk_ratio, dictionary_tag, tagged, words

# Checked in order; the first matching type wins.
_TYPES: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("person", re.compile(r"谁|哪位|哪一位|何人|哪个人|哪名|\bwho\b|\bwhom\b", re.I)),
    ("date", re.compile(r"何时|哪天|哪一天|什么时候|哪年|哪一年|几月|几号|日期|\bwhen\b|what date|which year|what year", re.I)),
    ("list", re.compile(r"哪些|哪几|哪[两三四五六七八九十\d]+[个位家座项条种类点地]|有什么|有哪|几方面|哪方面|\bwhich\b.*s\b|what (?:are|were)|^\s*(?:please\s+)?list\b", re.I)),
    ("number", re.compile(r"多少|几[个家名项条年倍届次天篇位座类大]|几成|百分之|比例|比重多|how (?:many|much)|what percentage|what share|\bwhat\b[^?]{0,60}?\b(?:amount|target|figure|total|sum|budget)s?\b", re.I)),
    ("place", re.compile(r"哪里|哪儿|何地|何处|在哪|哪个(?:城市|地方|区)|哪座|哪些(?:城市|地方|区)|\bwhere\b|which cit", re.I)),
)
# A question without a question word names what it asks for by its last noun ("某外长访华时间",
# "2023年全国茶叶产量", "某学术年会的举办地点"), as a search query does. Checked after _TYPES.
_TAIL = r"\s*(?:是|为)?\s*(?:多少|什么|哪天|哪里)?\s*[?？。]?\s*$"
_TAIL_TYPES: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("number", re.compile(r"多久|多长时间|多少时间")),  # a duration is a figure, not a date
    ("date", re.compile(rf"(?:时间|日期|时候|年份){_TAIL}")),
    ("number", _TAIL_FIGURE := re.compile(
        rf"(?:(?<![质力能分考商衡尽大])量|(?<![函变无多少礼])数|额|(?<![轻坦直草])率|收入|营收|票房|产值|总值|规模|GDP|奖金|震级|人次){_TAIL}",
        re.I,
    )),
    ("place", re.compile(rf"(?:地点|地址|举办地|举行地|所在地|发源地){_TAIL}")),
)
_DEFINES = re.compile(r"\s*(?:什么(?:是|叫)|何为|何谓)")
# The unit right after 多少/几 ("多少亿元", "几天", "百分之多少") that a fitting answer must carry.
_UNIT = re.compile(r"(?:多少|几)(亿元|万元|亿|万|元|平方公里|公里|个|家|名|项|条|年|倍|届|次|天|篇|位|座|人|户|所|座)")
# The same for an English question: what "how many X" counts, in the measure word the Chinese text uses.
_UNIT_EN = re.compile(r"\bhow many\s+(?:[a-z-]+\s+){0,3}?(compan(?:y|ies)|firms?|enterprises?|businesses|people|persons|visitors|tourists|residents"
                      r"|talents|workers|students|experts|participants|households|families|days|years|times)\b", re.I)
_EN_UNITS = {"compan": "家", "firm": "家", "enterp": "家", "busine": "家", "househ": "户", "famili": "户", "days": "天", "years": "年", "times": "次"}
_MONEY_EN = re.compile(r"\bhow much\b[^?]{0,60}?\b(?:money|investment|funding|funds|revenue|income|spending|yuan)\b", re.I)
_MONEY = re.compile(r"多少钱|多少资金|多少经费|多少奖金|多少投资|金额|额度|how much money", re.I)  # 贷款最高额度 is money
_PERCENT = re.compile(r"百分之多少|百分比|(?:比例|比重|占比|增长率|增速|增幅|涨幅)[^，。？?]{0,8}多少|what percentage", re.I)
# A figure, with a Latin unit or none (182CM, 5km); digits inside names such as 5G, MU5735 or iPhone 14
# are not figures.
NUMBER = re.compile(r"(?<![A-Za-z\d])\d+(?:\.\d+)?(?:(?![A-Za-z\d])|(?=(?:cm|mm|km|kg|ml|CM|MM|KM|KG|ML|GB|MB|TB|MW|GW|kW|kWh)(?![A-Za-z])))\s*(?:%|％)?|[一二三四五六七八九十百千万亿两]+(?=[个家名项条年倍届次天篇位座类大亿万])")
DATE = re.compile(r"\d{4}\s*年(?:\s*\d{1,2}\s*月)?(?:\s*\d{1,2}\s*日)?|\d{1,2}\s*月\s*\d{1,2}\s*日|今年\d{1,2}月|\d{4}-\d{2}-\d{2}")


# What makes a question specific enough to refuse when the articles never mention it: people
# (jieba's nr), known cities, organisations by their suffix (市财政局, 某某公司), figures with a digit
# and ordinals (第五篇). jieba's broader organisation and proper-noun tags (nt, nz) also fire on
# common nouns such as 科研院所, so they are not used.
_SPECIFIC_TAGS = ("nr",)
_PLACE_NAME = re.compile(r"^[\u4e00-\u9fff]{2,3}(?:省|自治区)$")
# A figure, or an ordinal of a text or its parts (第三条, 第五篇): facts a text states as written.
# Other ordinals (第一次, 第二种) are how a question refers to things, often written otherwise (首次).
_FIGURE = re.compile(r"\d|^第[一二三四五六七八九十百]+[条款项章节篇版期部]")
# Organisations a question can be refused on: only suffixes that cannot end an event or a thing
# (app.text.ORGANISATION_SUFFIXES also has 会 and 馆, which end 发布会 and 博物馆).
# 总部, 内部, 东部 and 上部 end in 部 but name a part or a place, not an office.
_ORGANISATION = re.compile(r"[\u4e00-\u9fff]{1,10}(?:局|委|办|厅|(?<![总内外全东南西北中局上下底头背腹顶])部|公司|集团|大学|银行)$")
QUESTION_WORD = re.compile(r"几|多少|哪|什么|何")
# Words that ask: 哪 with a measure or count (哪几种, 哪家, 哪儿; not a name such as 哪吒), 什么…, 多少….
# A word that counts or orders ("第一次", "两家", "3项"): a fact as written, never cut into parts or
# carried as a topic.
COUNTED = re.compile(r"\d|^第|[一二两三四五六七八九十百千万亿]+[个篇条项次年种类届位家]")
_ASKING = re.compile(r"哪(?:[几些里儿个位名家年月天日种类所座国条项次届批样部省市区县张本首件支只块间辆台期篇版章节场轮段]|[一二两三四五六七八九十\d])|什么|多少")
_LEVEL_OFFICE = re.compile(r"(?:省|市|区|县)[\u4e00-\u9fff]{2,8}?(?:局|厅|委员会|办公室)")


@dataclass(frozen=True)
class QuestionInfo:
    text: str
    kind: str  # person | date | number | place | list | general
    unit: str  # e.g. 亿元, 天, % ("" when none is asked for)
    terms: tuple[str, ...]  # content words, in question order
    english: bool
    specifics: tuple[str, ...] = ()  # names, places, organisations, figures the question is about
    people: tuple[str, ...] = ()  # the people it names (jieba's nr, 2-4 characters)
    common: frozenset[str] = frozenset()  # terms in a large share of passages (set by the answerer)
    unseen: frozenset[str] = frozenset()  # terms no passage uses (set by the answerer)
    places: tuple[str, ...] = ()  # places the question pins down (某省, 东湖区)
    measure: tuple[str, ...] = ()  # what a figure question measures (出口 总额), its words
    periods: tuple[str, ...] = ()  # the periods a figure question pins down (8月份, 上半年, 1-7月)


# "几位受访者…分别怎么说" asks what each of them said, not for a head count.
_NUMERALS = {"一": 1, "两": 2, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}


def asked_count(question: str) -> int:
    """How many items a "哪N个…" question expects ("哪三点" -> 3, "哪13条" -> 13); 0 when it names none."""
    match = _WHICH_N.search(question)
    if not match:
        return 0
    numeral = match.group(0)[1:-1]
    if numeral.isdigit():
        return int(numeral)
    if "十" in numeral:  # 十 10, 十二 12, 二十 20
        tens, _, ones = numeral.partition("十")
        return _NUMERALS.get(tens, 1) * 10 + _NUMERALS.get(ones, 0)
    return _NUMERALS.get(numeral, 0)


_LIST_CLAUSE = re.compile(r"[，,。；;：:！!？?]")
_LAST_ITEM = re.compile(r"和|与|及")  # "A、B和C", "A与B", "A以及B"
_QUOTED_ITEM = re.compile(r"[“\"「『][^”\"」』]{1,20}[”\"」』]")


def items_listed(text: str) -> int:
    """The most items one clause of the text lists: "A、B和C" is 3, “A”“B”“C” is 3."""
    best = 0
    for clause in _LIST_CLAUSE.split(text):
        listed = clause.count("、") + 1 if "、" in clause else 0
        last = clause.rsplit("、", 1)[-1]
        if _LAST_ITEM.search(last):
            listed = max(listed, 1) + 1
        best = max(best, listed, len(_QUOTED_ITEM.findall(clause)))
    return best


_EACH = re.compile(r"分别|各自|各有|各是|都")
_HEAD_COUNT = re.compile(r"几(?:位|次|个|家|名|座|人|篇|处)")
_WHICH_N = re.compile(r"哪[一二两三四五六七八九十\d]+[个位家座项条种类点地]")
_ASKS_WHAT = re.compile(r"怎么|什么|如何|哪些")


def analyse(question: str) -> QuestionInfo:
    # "什么是基尼系数" asks what the noun means, not for a figure; "什么时间、什么地点" asks two things.
    tails = () if _DEFINES.match(question) or len(QUESTION_WORD.findall(question)) > 1 else _TAIL_TYPES
    kind = next((name for name, pattern in (*_TYPES, *tails) if pattern.search(question)), "general")
    unit_match = _UNIT.search(question)
    unit = "%" if _PERCENT.search(question) else (unit_match.group(1) if unit_match else "")
    if not unit and (english_unit := _UNIT_EN.search(question)):
        unit = _EN_UNITS.get(english_unit.group(1).lower()[:6], "人")  # the rest count people
    if not unit and (_MONEY.search(question) or _MONEY_EN.search(question)):
        unit = "元"
    if not unit and (counted := _COUNT_TAIL.search(question)):
        unit = counted.group(1)  # "死亡人数" counts 人, "旅游人次" 人次
    if kind == "number" and _EACH.search(question) and _HEAD_COUNT.search(question) and _ASKS_WHAT.search(question) and "多少" not in question:
        kind, unit = "list", ""
    english = cjk_ratio(question) < 0.3
    # Single characters carry little meaning in Chinese; figures are kept.
    # Question words ask, they are not asked about: 哪几种, 哪家, 什么样 are in no answer.
    terms = [w for w in words(question) if (len(w) >= 2 or w.isdigit()) and not _ASKING.match(w)]
    # "哪三个城市": the count belongs to the question word, not to what is asked about.
    asked_counts = "".join(_WHICH_N.findall(question))
    terms = [w for w in terms if w not in asked_counts]
    # A date is one term: "5月17日" is not a 5 and a 17 that any figure could match.
    dates = [m.group(0).replace(" ", "") for m in DATE_TERM.finditer(question)]
    if dates:
        pieces = {p for d in dates for p in re.findall(r"\d+", d)}
        terms = [w for w in terms if w not in pieces] + dates
    if english:
        return QuestionInfo(question, kind, unit, tuple(dict.fromkeys(terms)), english)
    tags = tagged(question)  # once: part-of-speech tagging is the costliest step here
    people = tuple(dict.fromkeys(w for w, flag in tags if flag == "nr" and 2 <= len(w) <= 4 and not _PLACE_SUFFIX.search(w)))
    return QuestionInfo(
        question, kind, unit, tuple(dict.fromkeys(terms)), english, specifics(question, tags), people,
        places=places_in(tags), measure=measured(tags) if kind == "number" else (), periods=periods_in(question) if kind == "number" else (),
    )


# A period within a year that a figure is for: a month or run of months, a quarter, a half-year.
_PERIOD = re.compile(
    r"\d{1,2}\s*[-—－~至到]\s*\d{1,2}\s*月份?|(?<![\d-])\d{1,2}\s*月份(?!\d)|前[一二三四五六七八九十两\d]{1,3}个?月"
    r"|[上下]半年|[一二三四1-4]季度|第[一二三四1-4]季度"
)
_NUMBER_WORDS = dict(zip("一二三四五六七八九十", range(1, 11)))


def periods_in(question: str) -> tuple[str, ...]:
    """Periods a question pins its figure to ("8月份的货量", "1-7月份", "上半年")."""
    return tuple(dict.fromkeys(m.group(0).replace(" ", "") for m in _PERIOD.finditer(question)))


def period_forms(period: str) -> tuple[str, ...]:
    """How texts write a period: 8月份 as 8月; 1-7月 also as 1至7月, 1月至7月 and 前7个月; 二季度 as 第二季度."""
    if match := re.fullmatch(r"(\d{1,2})[-—－~至到](\d{1,2})月份?", period):
        a, b = match.groups()
        forms = [f"{a}{sep}{b}月" for sep in ("-", "—", "－", "至", "到", "月至", "月-", "月到", "月—")]
        return tuple(forms + ([f"前{b}个月", f"前{b}月"] if a == "1" else []))
    if match := re.fullmatch(r"前([一二三四五六七八九十两\d]{1,3})个?月", period):
        n = match.group(1)
        n = str(_NUMBER_WORDS.get(n, 2 if n == "两" else n))
        return tuple(dict.fromkeys((period, f"前{n}个月", f"1-{n}月", f"1至{n}月", f"前{n}月")))
    if period.endswith("月份"):
        return (period[:-1],)
    if "季度" in period:
        quarter = period.lstrip("第").removesuffix("季度")
        return tuple(dict.fromkeys((f"{quarter}季度", f"第{quarter}季度")))
    return (period,)


# Administrative units: a word ending in one names a place, whatever jieba tags it.
_PLACE_SUFFIX = re.compile(f"(?:{'|'.join(PLACE_SUFFIXES)})$")
_SCOPE = frozenset("全国 国内 全省 全市 全区 全县 国际 境内 境外 海外 各地 当地 本地 我国 中国 两国 双方 各国".split())


def places_in(tags: list[tuple[str, str]]) -> tuple[str, ...]:
    """Places a question names: jieba's place tag, or any word ending in an administrative unit."""
    found = []
    for word, flag in tags:
        if len(word) < 2 or word in _SCOPE or QUESTION_WORD.search(word):
            continue
        if re.fullmatch(r"[东南西北中上下内外]+", word):
            continue  # 东西, 东北: directions, whatever the tagger says
        if flag == "ns" and word[-1] in _FUNCTION_ENDS | {"不", "没"} and not dictionary_tag(word):
            continue
        if flag == "ns" or (len(word) >= 3 and _PLACE_SUFFIX.search(word) and flag in ("ns", "nr", "n", "nz", "nt")):
            found.append(word)
    return tuple(dict.fromkeys(found))


def place_forms(place: str) -> tuple[str, ...]:
    """A place as texts write it: 东湖区 is also 东湖, a 省 without its suffix."""
    bare = re.sub(r"(?:省|市|自治区|地区|区|县)$", "", place)
    return (place, bare) if len(bare) >= 2 and bare != place else (place,)


# Verbs and words that frame a figure rather than say what it measures.
_MEASURE_FRAME = frozenset(
    "是 有 为 达 达到 增长 提高 提升 下降 减少 降低 涨 增加 完成 实现 同比 环比 一共 共 总共 累计 约 大约 了 到 "
    "今年 去年 明年 全年 上半年 下半年 年底 年初 目前 截至 其中 分别 各 具体 月份 目标 计划 任务 规模 总量 数量 数字 情况 多少".split()
)
_MEASURE_STOP = re.compile(r"^(?:x|p|uj|ul|c|r|t|m|q|ns|f|s)$")


def measured(tags: list[tuple[str, str]]) -> tuple[str, ...]:
    """The words of what a figure question measures: the content words next to its question word, back to the nearest
    place, time, preposition, 的 or punctuation ("出口总额是多少" -> 出口 总额; "有多少家企业" -> 企业)."""
    at = next((i for i, (w, _) in enumerate(tags) if re.search(r"多少|几", w)), -1)
    if at < 0:
        # No question word: what ends the question is measured ("2023年全国茶叶产量" -> 茶叶 产量).
        at = len(tags)
        while at and (tags[at - 1][1] in ("x", "y", "uj", "ul") or tags[at - 1][0] in ("是", "为", "有")):
            at -= 1
        if not at or not _TAIL_FIGURE.search("".join(w for w, _ in tags)):
            return ()

    def run(indices: range, forward: bool = False) -> list[str]:
        words: list[str] = []
        for i in indices:
            word, flag = tags[i]
            if word in _SCOPE or word in _MEASURE_FRAME or (flag in ("d", "j") and not words):
                if words and word not in _SCOPE:
                    break
                continue
            if flag == "v" or flag in ("j", "nt", "nr", "ns") or _ORGANISATION.fullmatch(word):
                if forward and words:
                    break
                continue  # what is measured is named by nouns, not by who does it or the verb
            if (_MEASURE_STOP.match(flag) and not (flag == "x" and re.fullmatch(r"[\u4e00-\u9fff]{2,}", word))) or not word.strip():
                if words or flag not in ("q", "m"):
                    break
                continue
            if len(word) >= 2:
                words.append(word)
        return words

    after = run(range(at + 1, len(tags)), forward=True)  # "多少家企业"
    found = after or list(reversed(run(range(at - 1, -1, -1))))  # "出口总额是多少"
    # "人口数", "病例数量", "发送量" and "增长率" measure 人口, 病例, 发送 and 增长: a text gives
    # "人口约33,700人", "发送旅客3473.6万人次", "增长2.6%".
    # 人数 and 人次 say what is counted, which the asked unit (人) checks.
    heads = (_COUNT_OF.sub("", w) if len(_COUNT_OF.sub("", w)) >= 2 else w for w in found)
    return tuple(dict.fromkeys(w for w in heads if w not in ("人数", "人次")))


_COUNT_OF = re.compile(r"(?:总数|数量|数|量|率)$")
_COUNT_TAIL = re.compile(rf"(人次|人)数?{_TAIL}")


# Offices a question may ask about: the titles that head something (局长, 书记, 主任, 发言人…), not
# words such as 代表 or 专家 that also describe people in general.
OFFICES = tuple(t for t in TITLES if re.search(r"(?:长|书记|主任|主席|总监|总经理|总裁|发言人|负责人|领事|大使|政委)$", t))
_POST = re.compile(rf"((?:[\u4e00-\u9fff]{{0,6}}?))({'|'.join(OFFICES)})")


def posts(question: str) -> tuple[tuple[str, str], ...]:
    """(organisation, title) pairs a question names: 市委书记 -> (市委, 书记), 市长 -> ("", 市长)."""
    found = []
    for match in _POST.finditer(question):
        org, title = match.group(1), match.group(2)
        # "…发言人和长春市常务副市长": the organisation starts after the word joining it to what precedes.
        org = re.split(r"[的和与、位]", org)[-1]
        if QUESTION_WORD.search(org):
            org = ""
        found.append((org, title))
    return tuple(found)


# jieba's HMM coins "松才", "叶有" and "锦地罗不" from "鸡毛松才可以", "上部叶有什么", "锦地罗不需要": not names nor places.
_FUNCTION_ENDS = frozenset("才有是在也都就和与被把将又还")


def _name_like(word: str, before: list[tuple[str, str]]) -> bool:
    """Whether a word tagged as a person's name is one: not run into a function character (松才), nor a
    dictionary noun jieba lists as a name that a thing has ("银行的英文名", "某草的叶子")."""
    if not dictionary_tag(word):
        return not (len(word) == 2 and word[1] in _FUNCTION_ENDS)
    return not (len(before) == 2 and before[1][0] == "的" and not before[0][1].startswith("nr"))


def specifics(question: str, tags: list[tuple[str, str]] | None = None) -> tuple[str, ...]:
    """Names, places, organisations, figures and dates in the question ("武汉", "市教育局", "2022年")."""
    dates = [m.group(0).replace(" ", "") for m in DATE_TERM.finditer(question)]  # a date is one fact
    found, tags = list(dates), tags if tags is not None else tagged(question)
    for i, (word, flag) in enumerate(tags):
        asked = i > 0 and QUESTION_WORD.search(tags[i - 1][0])  # "哪位帝王的皇后": what is asked, not a name
        if len(word) < 2 or QUESTION_WORD.search(word) or asked or any(word in date for date in dates) or (
                flag == "nr" and not _name_like(word, tags[max(0, i - 2) : i])):
            continue
        place = word in cities() or (flag == "ns" and _PLACE_NAME.match(word))
        figure = flag in ("m", "t") and _FIGURE.search(word)
        organisation = len(word) >= 3 and _ORGANISATION.match(word)  # 主办, 举办 are verbs, not 办 offices
        if flag in _SPECIFIC_TAGS or place or figure or organisation:
            found.append(word)
    # An office named after its level ("市测试局") is one name even where jieba splits it (市 / 测试 / 局).
    found += [m.group(0) for m in _LEVEL_OFFICE.finditer(question) if not any(m.group(0) in f or f in m.group(0) for f in found)]
    return tuple(dict.fromkeys(found))
