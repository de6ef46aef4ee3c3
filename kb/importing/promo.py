"""Removing promotion from an article: messenger links and handles, hot-linked images, promo
sentences and repeated promo lines. Everything removed is listed for the report."""

import re
from collections import Counter
from dataclasses import dataclass, field

MESSENGER_HOSTS = (
    "t.me",
    "telegram.me",
    "telegram.dog",
    "wa.me",
    "whatsapp.com",
    "line.me",
    "lin.ee",
    "discord.gg",
    "qm.qq.com",
    "jq.qq.com",
    "u.wechat.com",
    "weixin.qq.com",
    "m.me",
    "signal.me",
    "signal.group",
    "vk.me",
    "open.kakao.com",
    "invite.viber.com",
)
MESSENGER_PATH_PREFIXES = ("discord.com/invite", "telegram.org/k", "facebook.com/messages")

_HOST_ALTERNATION = "|".join(re.escape(host) for host in MESSENGER_HOSTS + MESSENGER_PATH_PREFIXES)
_BARE_MESSENGER_URL = re.compile(
    r"(?:(?:https?|tg)://|(?<![\w.@/-]))(?:www\.)?(?:[\w-]+\.)*(?:" + _HOST_ALTERNATION + r")"
    r"(?![\w-]|\.\w)(?:/[^\s<>()\[\]{}\"'，。！？、；）】]*)?",
    re.IGNORECASE,
)
_TG_SCHEME = re.compile(r"tg://[^\s<>()\[\]\"']+", re.IGNORECASE)

_MD_IMAGE = re.compile(r"!\[[^\[\]\n]*\]\(\s*<?([^)\s>]*)>?(?:\s+\"[^\"]*\")?\s*\)")
_HTML_IMAGE = re.compile(r"<img\b[^>]*>", re.IGNORECASE)
_HTML_SRC = re.compile(r"\bsrc\s*=\s*[\"']?([^\"'\s>]+)", re.IGNORECASE)
_MD_LINK = re.compile(
    r"\[(?P<text>(?:[^\[\]\n]|\[[^\[\]\n]*\])*)\]\(\s*<?(?P<url>[^()\s<>]*(?:\([^()\s]*\)[^()\s<>]*)*)>?"
    r"(?:\s+\"[^\"]*\")?\s*\)"
)
# No part runs past the next tag (or the next "<a" for the text): linear in the page's length.
_HTML_LINK = re.compile(
    r"<a\b[^<>]*?href\s*=\s*[\"']?([^\"'\s<>]+)[^<>]*>((?:(?!<a\b).)*?)</a>", re.IGNORECASE
)
_AUTOLINK = re.compile(r"<((?:https?|tg)://[^>\s]+)>", re.IGNORECASE)

MESSENGER_LABELS = (
    r"TG|Telegram|电报|電報|纸飞机|飞机|飛機|WhatsApp|WeChat|微信|VX|V信|wx|QQ群|QQ|LINE|Line|"
    r"Signal|Discord|Viber|KakaoTalk|Kakao"
)
_HANDLE = re.compile(
    r"(?:(?:" + MESSENGER_LABELS + r")[^\w@\n]{0,6})?(?<![\w.\-@])"
    r"@[A-Za-z0-9_](?:[A-Za-z0-9_.]{1,30}[A-Za-z0-9_])(?![\w@])"
)
_LABELLED_ID = re.compile(
    r"(?:(?:TG|Telegram|电报|電報|飞机|飛機|WhatsApp|WeChat|微信|微信号|客服微信|VX|V信|wx|加微|加V)"
    r"\s*(?:号|ID|id)?\s*[:：]\s*(?=[\w+\-]*[A-Za-z])[A-Za-z0-9_+\-]{4,40}"
    r"|QQ\s*(?:号|群)?\s*[:：]\s*\d{5,12})(?![\w@])"
)

_CALL_TO_ACTION = re.compile(
    r"关注|訂閱|订阅|加群|进群|入群|私信|私聊|扫码|掃碼|获取更多|獲取更多|更多资讯|更多實用|更多实用|"
    r"联系我们|聯繫我們|咨询|諮詢|代办|代辦|代购|代購|下单|下單|优惠码|折扣码|"
    r"follow us|follow me|subscribe|join (?:us|our)|contact us|\bDM\b|message us",
    re.IGNORECASE,
)
_SALES = re.compile(
    r"全网最低|最低价|限时|包邮|现货|秒发|低价|特价|优惠|折扣|返现|"
    r"buy now|order now|discount|coupon|promo code|best price|limited offer",
    re.IGNORECASE,
)
_CHANNEL_JOIN = re.compile(
    r"(?:关注|加入|订阅|扫码|follow|join|subscribe).{0,20}(?:公众号|频道|群|channel|group)",
    re.IGNORECASE,
)
_PROMO_LINK_TEXT = re.compile(
    r"代购|代办|优惠码|折扣码|下单|立即购买|马上购买|加群|进群|关注我们|联系我们|咨询|"
    r"buy now|order now|coupon|discount code|promo code|subscribe|join our",
    re.IGNORECASE,
)
_RESIDUE_WORDS = re.compile(
    r"(?:" + MESSENGER_LABELS + r")|频道|群组|群|客服|联系方式|联系|添加|加|我们|点击|链接|"
    r"\b(?:channel|group|contact|us|click|here|link)\b",
    re.IGNORECASE,
)
_EMPTY_BRACKETS = re.compile(r"\[\s*\]|【\s*】|（\s*）|\(\s*\)|「\s*」|《\s*》|\*\*\s*\*\*")
_SENTENCE_SPLIT = re.compile(r"(?<=[。！？!?])|(?<=\.)(?=\s)")
_HEADING = re.compile(r"^\s{0,3}#{1,6}\s")
_WORD = re.compile(r"[A-Za-z0-9\u3400-\u9fff]")


@dataclass
class Cleaned:
    text: str
    removed: list[str] = field(default_factory=list)

    @property
    def summary(self) -> list[str]:
        """What was removed, each kind once, with how often: ``link https://t.me/x ×3``."""
        counts = Counter(self.removed)
        return [f"{item} ×{counts[item]}" if counts[item] > 1 else item for item in counts]


def is_messenger_url(url: str) -> bool:
    url = (url or "").strip()
    if url.lower().startswith("tg://"):
        return True
    return bool(_BARE_MESSENGER_URL.fullmatch(url))


def strip_promotion(text: str) -> Cleaned:
    """The article without promotion, and the list of what was removed."""
    removed: list[str] = []
    repeated = _repeated_promo_lines(text)
    lines = []
    for line in text.split("\n"):
        key = _line_key(line)
        if key in repeated:
            removed.append(f"repeated line “{_shorten(line.strip())}”")
            continue
        new_line, found = _strip_tokens(line)
        if found:
            removed.extend(found)
            new_line = _drop_promo_sentences(new_line, removed)
            if _is_residue(new_line):
                continue
        else:
            new_line = _drop_channel_sentences(new_line, removed)
            if new_line is None:
                continue
        lines.append(new_line)
    cleaned = re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip("\n")
    return Cleaned(text=cleaned + "\n", removed=removed)


def find_promotion(text: str) -> list[str]:
    """Promotion still present in ``text`` (used to check stored text is clean)."""
    found = [f"image {url}" for url in _MD_IMAGE.findall(text)]
    found += [f"image {_html_src(m.group(0))}" for m in _HTML_IMAGE.finditer(text)]
    found += [f"link {m.group(0)}" for m in _BARE_MESSENGER_URL.finditer(text)]
    found += [f"handle {m.group(0).strip()}" for m in _HANDLE.finditer(text)]
    found += [f"handle {m.group(0).strip()}" for m in _LABELLED_ID.finditer(text)]
    return found


def _strip_tokens(line: str) -> tuple[str, list[str]]:
    found: list[str] = []

    def image(match):
        found.append(f"image {match.group(1)}".strip())
        return ""

    def html_image(match):
        found.append(f"image {_html_src(match.group(0))}".strip())
        return ""

    def md_link(match):
        url, label = match.group("url"), match.group("text")
        if is_messenger_url(url):
            found.append(f"link {url}")
            return ""
        if _PROMO_LINK_TEXT.search(label):
            found.append(f"link {url}")
            return ""
        return match.group(0)

    def html_link(match):
        url, label = match.group(1), match.group(2)
        if is_messenger_url(url) or _PROMO_LINK_TEXT.search(label):
            found.append(f"link {url}")
            return ""
        return label

    def bare(match):
        found.append(f"link {match.group(0)}")
        return ""

    def handle(match):
        found.append(f"handle {match.group(0).strip()}")
        return ""

    line = _MD_IMAGE.sub(image, line)
    line = _HTML_IMAGE.sub(html_image, line)
    line = _MD_LINK.sub(md_link, line)
    line = _HTML_LINK.sub(html_link, line)
    line = _AUTOLINK.sub(lambda m: bare(m) if is_messenger_url(m.group(1)) else m.group(0), line)
    line = _TG_SCHEME.sub(bare, line)
    line = _BARE_MESSENGER_URL.sub(bare, line)
    line = _HANDLE.sub(handle, line)
    line = _LABELLED_ID.sub(handle, line)
    if found:
        previous = None
        while previous != line:
            previous, line = line, _EMPTY_BRACKETS.sub("", line)
        line = line.rstrip()
    return line, found


def _html_src(tag: str) -> str:
    match = _HTML_SRC.search(tag)
    return match.group(1) if match else ""


def _drop_promo_sentences(line: str, removed: list[str]) -> str:
    """In a line that held promotion, drop the sentences that call the reader to act on it."""
    kept = []
    for sentence in _SENTENCE_SPLIT.split(line):
        if _CALL_TO_ACTION.search(sentence) or _CHANNEL_JOIN.search(sentence):
            if _WORD.search(sentence):
                removed.append(f"text “{_shorten(sentence.strip())}”")
            continue
        kept.append(sentence)
    return "".join(kept).rstrip()


def _drop_channel_sentences(line: str, removed: list[str]) -> str | None:
    """Drop "follow our channel / join our group" sentences; ``None`` when nothing is left."""
    if not _CHANNEL_JOIN.search(line) or _HEADING.match(line):
        return line
    kept = []
    for sentence in _SENTENCE_SPLIT.split(line):
        if _CHANNEL_JOIN.search(sentence):
            removed.append(f"text “{_shorten(sentence.strip())}”")
        else:
            kept.append(sentence)
    new_line = "".join(kept).rstrip()
    return None if _is_residue(new_line) else new_line


def _is_residue(line: str) -> bool:
    """True when what is left of a line is only decoration, labels or markup."""
    text = re.sub(r"^\s{0,3}(?:#{1,6}\s|[-*+>]\s|\d+[.)]\s)?", "", line)
    text = _RESIDUE_WORDS.sub("", text)
    return not _WORD.search(text)


def _repeated_promo_lines(text: str) -> set[str]:
    counts = Counter(_line_key(line) for line in text.split("\n"))
    return {
        key
        for key, count in counts.items()
        if count > 1 and key and (_CALL_TO_ACTION.search(key) or _SALES.search(key))
    }


def _line_key(line: str) -> str:
    if _HEADING.match(line):
        return ""
    key = re.sub(r"\s+", " ", line.replace("**", "")).strip().lower()
    return key if len(key) >= 4 else ""


def _shorten(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
