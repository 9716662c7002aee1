"""Questions that ask what else something is called ("某树的别名是什么", "文件全称是什么") or how
someone is related to another ("某某是谁的女儿", "某某是哪位皇帝的皇后"), and whether a sentence says it.
General grammar: the markers Chinese uses for another name, and its kinship and marriage nouns."""

from __future__ import annotations

import re

# Asking for another name: 别名, 又称… (not "为什么被称为", which asks why).
_ASKS_ALIAS = re.compile(r"全称|全名|别名|别称|又名|又称|又叫|亦称|也称|俗称|俗名|简称|别号|外号|绰号|昵称|美誉|称号|称之为什么|还叫什么|还被称为什么")
# Saying one: "又名…", "别称…", "亦作…", "俗称…", "被誉为…"; a full name is given with the short one
# it stands for ("《…若干政策措施》(以下简称《若干措施》)").
_ALIAS = re.compile(
    r"又名|又称|又叫|又作|又译|别名|别称|亦称|亦作|亦名|也称|也叫|也作|或称|俗称|俗名|简称|通称|旧称|古称|原名|本名|别号|外号|绰号|昵称|"
    r"人称|号称|誉为|称为|称作|称之为|被称|之称|美誉|全称|全名"
)
# Kinship and marriage nouns, with the one-character forms texts use after 之 ("某某之女") or in
# "嫁…为妻".
_RELATIONS = {
    "儿子": "子", "女儿": "女", "妻子": "妻", "丈夫": "夫", "母亲": "母", "父亲": "父", "皇后": "后", "王后": "王妃|后|妃",
    "妃子": "妃", "夫人": "妻|夫人", "孙子": "孙", "孙女": "孙女", "侄子": "侄", "外甥": "甥", "女婿": "婿", "弟弟": "弟",
    "哥哥": "兄", "姐姐": "姊|姐", "妹妹": "妹", "养子": "养子", "弟子": "弟子|门生", "学生": "学生|门生", "老师": "师",
}
_ASKS_RELATION = re.compile(rf"(?:是|为)(?:谁|何人|哪[位个一][\u4e00-\u9fff]{{0,3}}?)的({'|'.join(_RELATIONS)})[？?]?\s*$")


def asks_alias(question: str) -> bool:
    """Whether a question asks what else something is called."""
    return bool(_ASKS_ALIAS.search(question))


def gives_alias(sentence: str) -> bool:
    """Whether a sentence gives another name: "又名…", "别称…", "被誉为…"."""
    return bool(_ALIAS.search(sentence))


def asked_relation(question: str) -> str:
    """The relation a "某某是谁的女儿" question asks ("女儿"), "" when it asks none."""
    match = _ASKS_RELATION.search(question)
    return match.group(1) if match else ""


def states_relation(relation: str, sentence: str) -> bool:
    """Whether a sentence says whose relation someone is: "某某的女儿", "某某之女", "某某的第二任皇后",
    "嫁某某为妻"."""
    short = _RELATIONS[relation]
    rank = r"(?:第[一二三四五六七八九十\d]+[任个位]?|[长次幼独养庶嫡])?"
    return bool(re.search(
        # a one-character form stands alone ("的女" is also the start of 女性)
        rf"[的之]{rank}{relation}|之{rank}(?:{short})|[的为]{rank}(?:{short})(?![\u4e00-\u9fff])", sentence,
    ))
