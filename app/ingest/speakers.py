"""Who speaks in an article: people introduced by a title, and the speaker of every sentence.

General Chinese news grammar only, never a list of anyone's names: a person is a name that follows
a title ("省商务厅副厅长郑晓东", "——访某国驻广州总领事巴图尔"), with the name's length settled by
what follows it or by how often the article repeats it. A sentence has a speaker when the text says
so: the name (or position) before a speech verb ("郑晓东说", "…主任韩梅回答："), a pronoun pointing
back ("他表示"), a quotation still open from the speaker's sentence, or an answer ("答：") in a
question-and-answer interview.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from app.text import common_word, sentence_spans

# Titles and roles, longest first so 副局长 wins over 局长. General grammar of Chinese officialdom,
# business and scholarship, not anyone's name.
_TITLE_WORDS = """
党工委书记 党组书记 党委书记 纪委书记 副书记 书记 常务副市长 副市长 市长 副区长 区长 副县长 县长 副省长 省长 副州长 州长
副镇长 镇长 乡长 村主任 副局长 局长 副厅长 厅长 副部长 部长 副司长 司长 副处长 处长 副科长 科长 副主任 主任 副秘书长 秘书长
副主席 主席 副院长 院长 副所长 所长 副校长 校长 副馆长 馆长 副会长 会长 副理事长 理事长 副行长 行长 副署长 署长 副总裁 总裁
副总经理 总经理 副总监 总监 经理 董事长 副董事长 董事 首席执行官 首席经济学家 首席科学家 首席分析师 经济学家 分析师 研究员
副研究员 教授 副教授 专家 总工程师 工程师 总领事 领事 大使 参赞 新闻发言人 发言人 负责人 相关负责人 有关负责人 创始人
联合创始人 合伙人 总编辑 主编 队长 站长 常委 委员 政委 司令员 巡视员 调研员 主任委员 代表 校长 园长 社长
助理 总经理助理 院长助理 军士长 学者 监事长 副监事长 监事 理事 主持人 讲解员 所长
""".split()
TITLES = tuple(sorted(set(_TITLE_WORDS), key=len, reverse=True))
_TITLE_ALT = "|".join(TITLES)
_TITLE = re.compile(_TITLE_ALT)
# Speech verbs that introduce what someone says.
SPEECH = ("表示", "介绍", "指出", "强调", "透露", "回答", "坦言", "谈到", "提到", "告诉", "分析", "解释", "建议", "认为",
          "说", "称", "答", "看来", "直言", "补充", "谈及", "提出", "呼吁", "宣布", "致辞", "讲话", "发言", "通报", "解读")
SPEECH_ALT = "|".join(sorted(SPEECH, key=len, reverse=True))
_MILITARY_RANK = "大校|上校|中校|少校|少将|中将|上将"
# What may follow a name: a speech verb, punctuation, or a word that cannot start a name.
_AFTER_NAME = re.compile(
    rf"(?:{SPEECH_ALT}|{_MILITARY_RANK}|[\u4e00-\u9fff]{{2}}地(?:{SPEECH_ALT})|[，,。：:；;、“”\"（(）)\s—]|在|也|还|就|对|向|为|从|以|等|和|与|及|接受|出席|主持|参加|作|进行|带领|率|"
    r"一行|同志|先生|女士|时|的|是|则|更|又|已|将|均|都|会见|来到|走进|调研|视察|签署|代表|宣读|发布|通报|谈)"
)
_CJK_NAME = re.compile(r"[\u4e00-\u9fff]")
# Common Chinese surnames (single and double): general knowledge of the language. A name without
# one (a foreign or minority name, 巴图尔) must be confirmed by a speech verb or by repetition.
SURNAMES = frozenset(
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
    "常温康施文牛樊葛邢安齐易乔伍庞颜倪庄聂章鲁岳翟殷詹申欧耿关兰焦俞左柳甘祝包宁尚符舒阮柯纪梅童凌毕单季裴霍涂成苗谷盛曲翁冉骆蓝路游辛靳管柴蒙鲍华喻祁蒲房滕屈饶解牟艾尤阳时穆农司卓古吉缪简车项连芦麦褚娄窦戚岑景党宫费卜冷晏席卫米柏宗瞿桂全佟应臧闵苟邬边卞姬师和仇栾隋商刁沙荣巫寇桑郎甄丛仲虞敖巩明佘池查麻苑迟邝"
    "官封谈匡鞠惠荆乐冀郁胥南班储原栗燕楚鄢劳谌奚皮粟冼蔺楼盘满闻位厉伊仝区郜海阚花权强帅屠豆朴盖练廉禹井祖漆巴丰支卿国狄平计索宣晋相初门云容敬来扈晁芮都普阙浦戈伏鹿薄邸雍辜羊阿乌母裘亓修邰赫杭况那宿鲜印逯隆茹诸战慕危玉银亢嵇公哈湛宾戎勾茅利於呼居揭干但尉冶斯元束檀衣信展阴昝智幸奉植衡富尧闭由鄂"
)
_DOUBLE_SURNAMES = ("欧阳", "司马", "上官", "诸葛", "东方", "皇甫", "令狐", "慕容", "尉迟", "长孙", "宇文", "司徒", "夏侯", "轩辕", "端木", "公孙")
_NOT_IN_NAME = re.compile(r"[的了会性与及是在有为等里市省区县局委部厅处们这那其该各每本我你他她它]")
# What follows a title word when it is part of an organisation's name instead (委员会, 代表团).
_ORG_AFTER_TITLE = re.compile(r"[会团处局厅部组室队所院办]")

# Characters of an organisation or position before a title: Chinese, digits, Latin letters, 、 and brackets.
_POSITION_CHAR = re.compile(r"[\u4e00-\u9fff0-9A-Za-z、（）()·]")
# Words that end the text before a position rather than belong to it.
# 和 / 与 join two people ("市长张三和副市长"), except inside an organisation's name (工业和信息化局,
# 住房和城乡建设局, 文化广电和旅游厅), where what follows them ends in an organisation word.
_POSITION_CUT = re.compile(
    r".*(?:访|问|在|据|由|向|对|请|邀请|会上|表示|介绍|认为|说|据悉|期间|其中|以及|日电|记者|专访|活动|会议|仪式|上|时|是"
    r"|(?:和|与)(?![\u4e00-\u9fff]{1,8}?(?:局|厅|委员会|部|办公室|中心|院|署|总局)))"
)
_POINTER = re.compile(r"^\s*(?:他|她|其|该负责人|这位负责人|该局负责人|上述负责人|这位[\u4e00-\u9fff]{1,4})(?:还|也|同时|进一步|最后)?(?:" + SPEECH_ALT + r")")
_ANSWER_MARK = re.compile(r"^\s*(?:答|A)\s*[：:]")
_QUESTION_MARK = re.compile(r"^\s*(?:问|记者|Q)\s*[：:]")
_INTERVIEW = re.compile(r"——访|专访|接受[^，。]{0,12}(?:采访|专访)|答记者问")
_NAME_MAX = 4


@dataclass(frozen=True)
class Person:
    name: str  # "" when only a position is known ("有关负责人")
    position: str  # e.g. 国家发改委副主任


@dataclass(frozen=True)
class Voice:
    """The speaker of a span of text (offsets into the text that was analysed)."""

    start: int
    end: int
    name: str
    position: str

    @property
    def who(self) -> str:
        return f"{self.position}{self.name}"


def _position_before(text: str, title_start: int, title_end: int) -> str:
    start = title_start
    while start > 0 and title_start - start < 30 and _POSITION_CHAR.match(text[start - 1]):
        start -= 1
    prefix = text[start:title_start]
    cut = _POSITION_CUT.match(prefix)
    if cut:
        prefix = prefix[cut.end():]
    return (prefix + text[title_start:title_end]).lstrip("、·")


def has_surname(name: str) -> bool:
    return name[0] in SURNAMES or name.startswith(_DOUBLE_SURNAMES)


_SPEECH_AT = re.compile(rf"(?:{SPEECH_ALT}|{_MILITARY_RANK})")


def _name_after(text: str, at: int) -> str:
    """The name that starts at `at`: 2–4 Chinese characters, settled by what follows or by repetition."""
    options = []
    for length in (2, 3, 4):
        name = text[at : at + length]
        if len(name) < length or not all(_CJK_NAME.match(c) for c in name) or _TITLE.match(name):
            continue
        if _NOT_IN_NAME.search(name[1:]) or name in SPEECH or any(t in name for t in ("记者", "通讯员", "表示", "介绍", "认为")):
            continue
        options.append(name)
    # Surest: the name is followed by a speech verb or a rank ("郑晓东说", "王磊大校"), here or
    # elsewhere in the text (a foreign name such as 巴图尔 has no Chinese surname to go by).
    for name in options:
        if _SPEECH_AT.match(text, at + len(name)) and (has_surname(name) or (text.count(name) >= 2 and not common_word(name))):
            return name
    # A word the dictionary knows as something else is a name only when it has a surname and is
    # somewhere followed by a speech verb ("总经理文静…文静认为"). A speech verb is never a name.
    for name in sorted(options, key=len, reverse=True):
        if re.search(re.escape(name) + rf"(?:{SPEECH_ALT})", text) and (not common_word(name) or has_surname(name)):
            return name
    # Anything less sure does not take such a word: "代表全国…党员" makes 代表 a verb, not a title
    # before a name 全国 (a surname 全, and repeated in 全国代表大会).
    options = [name for name in options if not common_word(name)]
    # Then: followed by punctuation or a word that cannot continue a name, with a surname.
    for name in sorted(options, key=lambda n: abs(len(n) - 3)):
        if _AFTER_NAME.match(text, at + len(name)) and has_surname(name):
            return name
    repeated = [(text.count(name), -abs(len(name) - 3), name) for name in options if has_surname(name)]
    repeated = [r for r in repeated if r[0] >= 2]
    return max(repeated)[2] if repeated else ""


_RANKED = re.compile(rf"([\u4e00-\u9fff]{{2,3}}?)({_MILITARY_RANK})")


def find_people(text: str) -> dict[str, Person]:
    """People the text introduces with a title, by name; plus the positions of unnamed speakers
    ("有关负责人") under the position itself."""
    people: dict[str, Person] = {}
    for match in _RANKED.finditer(text):  # "某军事学院王磊大校": organisation, name, rank
        for length in (3, 2):
            start = match.end(1) - length
            name = text[start : match.end(1)]
            if len(name) == length and has_surname(name) and not _NOT_IN_NAME.search(name[1:]):
                position = _position_before(text, start, start) + match.group(2)
                people.setdefault(name, Person(name, position))
                break
    for match in _TITLE.finditer(text):
        # 副局长 inside 常务副局长 or 局长 inside 副局长 is the same title, matched at its start.
        end = match.end()
        if _ORG_AFTER_TITLE.match(text, end):
            continue
        name = _name_after(text, end)
        position = _position_before(text, match.start(), end)
        if not name:
            if match.group(0).endswith("负责人") and len(position) > 3:
                people.setdefault(position, Person("", position))
            continue
        if name not in people:  # the first introduction is the fullest in news style
            people[name] = Person(name, position)
    return people


# What may stand between a speaker's name and the verb: a short phrase ("在会上致辞说", "感慨地说"),
# or a first clause and then one joined to it ("向青年抛出橄榄枝，并表示").
_SAYS_AFTER = re.compile(rf"[^，。“”]{{0,16}}?(?:{SPEECH_ALT})|[^，。“”]{{0,20}}[，,](?:并|还|同时|也|并且)(?:{SPEECH_ALT})")


def _speaker_in(sentence: str, people: dict[str, Person]) -> Person | None:
    """The person a sentence says is speaking: a known name or position before a speech verb."""
    best: tuple[int, Person] | None = None
    for key, person in people.items():
        for match in re.finditer(re.escape(key), sentence):
            tail = sentence[match.end() : match.end() + 40]
            verb = _SAYS_AFTER.match(tail)
            if verb or re.match(r"\s*[：:]", tail):
                if best is None or match.start() < best[0]:
                    best = (match.start(), person)
                break
    return best[1] if best else None


QUOTE_BACK_SENTENCES = 6  # sentences of a quotation an attribution after it may reach back over


def _attributes_before(sentence: str, person: Person) -> bool:
    """Whether a sentence opens with who speaks ("梁溪区委书记、局长朱刚说。", "黄叙新说，…"): it then
    attributes the quotation just before it."""
    match = re.search(re.escape(person.name or person.position), sentence)
    return bool(match) and match.start() <= 40 and not sentence.lstrip().startswith("“") and bool(
        re.match(rf"[^，。“”]{{0,16}}?(?:{SPEECH_ALT})", sentence[match.end() : match.end() + 24])
    ) and "“" not in sentence[: match.start()]


def _quoted_before(text: str, spans: list[tuple[int, int]], number: int, out: list[Voice], person: Person) -> list[Voice]:
    """Voices for the sentences of a quotation closing right before sentence `number` ("“…。”朱刚说。"),
    back to the one that opens it, when no one is already said to speak them."""
    voiced = {(v.start, v.end) for v in out}
    found: list[Voice] = []
    index = number - 1
    if index < 0 or text[spans[index][0] : spans[index][1]].rstrip()[-1:] not in "”\"" or text[spans[index][1] : spans[number][0]].strip():
        return []
    while index >= 0 and number - index <= QUOTE_BACK_SENTENCES:
        a, b = spans[index]
        if (a, b) in voiced or "\n" in text[b : spans[index + 1][0]]:
            return []
        opening = text.rfind("“", a, b)
        after = text[opening + 1 : b].rstrip()
        if index == number - 1:
            after = after[:-1]  # the closing mark of the quotation itself
        if opening >= 0 and "”" not in after:
            # The quotation opens in this sentence, maybe after a lead-in or a heading run into the
            # line ("房产中介：刺激…释放“近几年…品质。”"): the voice covers the quotation only.
            found.append(Voice(opening, b, person.name, person.position))
            return found[::-1]
        found.append(Voice(a, b, person.name, person.position))
        index -= 1
    return []


def main_person(text: str, people: dict[str, Person]) -> Person | None:
    """The interviewee of an interview: the person named after "——访", else the most mentioned one."""
    visit = re.search(r"——访", text)
    if visit:
        after = text[visit.end() : visit.end() + 60]
        named = [(after.find(n), p) for n, p in people.items() if p.name and n in after]
        if named:
            return min(named, key=lambda pair: pair[0])[1]
    if not people or not _INTERVIEW.search(text):
        return None
    named = [(text.count(n), p) for n, p in people.items() if p.name]
    if named:
        return max(named, key=lambda pair: pair[0])[1]
    return next(iter(people.values()))


def voices(text: str, people: dict[str, Person], default: Person | None = None) -> list[Voice]:
    """The speaker of each sentence of text that the text attributes, in order."""
    out: list[Voice] = []
    current: Person | None = None
    depth = 0  # open quotation marks carried from earlier sentences
    answering = False
    previous_end = 0
    spans = sentence_spans(text)
    for number, (start, end) in enumerate(spans):
        sentence = text[start:end]
        if "\n" in text[previous_end:start]:
            depth = 0  # a quotation does not run on past its paragraph
        previous_end = end
        speaker = _speaker_in(sentence, people)
        if speaker is not None and _attributes_before(sentence, speaker):
            out += _quoted_before(text, spans, number, out, speaker)
        if _QUESTION_MARK.match(sentence) or (sentence.rstrip("”\"").endswith(("？", "?")) and speaker is None):
            answering = False
            speaker_here = None
        elif _ANSWER_MARK.match(sentence):
            answering = True
            speaker_here = speaker or default or current
        elif speaker is not None:
            speaker_here = speaker
        elif _POINTER.match(sentence) or depth > 0:
            speaker_here = current
        elif answering:
            speaker_here = default or current
        else:
            speaker_here = None
        if speaker is not None:
            current = speaker
        if speaker_here is not None:
            current = speaker_here
            out.append(Voice(start, end, speaker_here.name, speaker_here.position))
        depth = max(0, depth + sentence.count("“") - sentence.count("”"))
    return out
