"""Content rules for reader corrections, written against what the scraped seeds are full of:
messenger handles and links ("[TG💪+ @esim1088](https://t.me/s/esim1088)"), WhatsApp / WeChat /
QQ contact offers, promotional images and link farms, and repeated text.

Each rule returns the reasons it found as ``{"rule": <code>, "match": <the text that matched>}``.
A correction with any reason is stored with status ``spam`` (never dropped) so that an editor
can rescue a false positive.
"""

import re
import time
import unicodedata
from collections import Counter
from urllib.parse import urlsplit

from django.conf import settings
from django.core import signing
from django.utils.translation import gettext_lazy as _

RULE_LABELS = {
    "messenger_link": _("Link to a messenger account or group"),
    "messenger_handle": _("Messenger handle or number offered as a contact"),
    "contact_offer": _("Promotional contact offer"),
    "link_farm": _("Many links"),
    "promo_image": _("Embedded image or link shortener"),
    "repeated_text": _("Repeated text"),
    "repeated_submission": _("Same text sent several times"),
    "honeypot": _("Hidden field filled in (a robot)"),
    "too_fast": _("Sent too fast after the form was shown"),
    "too_old": _("Form shown too long ago"),
    "bad_token": _("Form token missing or altered"),
    "rate_limited": _("Over the rate limit"),
}

# Every rule below runs on normalized text, in which no two whitespace characters are adjacent,
# and none has two quantifiers that can share the same characters: each runs in linear time.
_ZERO_WIDTH = re.compile("[\u200b-\u200f\u2060-\u2064\ufeff\u00ad]")
_WHITESPACE = re.compile(r"\s+")
_DOT = re.compile(r"\s?(?:\[\.\]|\(\.\)|\{\.\}|。|．|｡|\sdot(?=\s))\s?")

MESSENGER_DOMAINS = (
    r"t\s?\.\s?me",
    r"telegram\.(?:me|dog|org)",
    r"tg://",
    r"wa\s?\.\s?me",
    r"(?:api|chat|web)\.whatsapp\.com",
    r"whatsapp\.com/(?:send|channel|invite)",
    r"weixin\.qq\.com",
    r"u\.wechat\.com",
    r"wechat\.com/(?:add|u)",
    r"weixin://",
    r"(?:qm|jq|wpa)\.qq\.com",
    r"line\.me",
    r"discord\.gg",
    r"signal\.me",
)
_URL_TAIL = r"[a-z0-9\-._~:/?#@!$&*+,;=%]*"
_MESSENGER_LINK = re.compile(
    r"(?<![a-z0-9-])(?:" + "|".join(MESSENGER_DOMAINS) + rf")(?:/{_URL_TAIL})?", re.I
)

# Names readers and spammers use for messengers, including the usual Chinese nicknames.
_MESSENGER = (
    r"(?<![a-z])(?:tg|telegram|whats\s*app|wechat|weixin|vx|wx|qq|line\s*id|skype)(?![a-z])"
    r"|电报|飞机|纸飞机|微信|威信|薇信|徽信|v信|微\s*x|扣扣|企鹅|瓦次"
)
_HANDLE = r"@\s?[a-z0-9_][a-z0-9_.-]{3,31}"
_NUMBER = r"\+?\d[\d\s-]{5,}\d"
_ID = r"[a-z][a-z0-9_-]{4,31}"
# An id with both letters and digits ("esim1088"), which ordinary words are not.
_MIXED_ID = r"(?=[a-z_-]{0,30}\d)(?=\d{0,30}[a-z])[a-z0-9_-]{5,31}(?![a-z0-9_-])"
_SEP = r"[^\w\n]{0,8}?(?:号|號|id|账号|帳號|号码|號碼)?[^\w\n]{0,6}?"

_MESSENGER_HANDLE = re.compile(rf"(?:{_MESSENGER}){_SEP}(?:{_HANDLE})", re.I)
_MESSENGER_NUMBER = re.compile(rf"(?:{_MESSENGER}){_SEP}(?:{_NUMBER})", re.I)
_MESSENGER_ID = re.compile(
    rf"(?:{_MESSENGER})\s*(?:号|號|id|账号|帳號)?\s*(?:[:：]\s*{_ID}|{_MIXED_ID})",
    re.I,
)
# "@name" after a promotion verb: 关注 @xxx, 联系 @xxx, DM @xxx.
_PROMO_HANDLE = re.compile(
    r"(?:关注|關注|联系|聯繫|聯係|私信|私聊|咨询|諮詢|加|添加|找|follow|contact|dm|message|join)"
    r"[^\w\n]{0,6}?" + _HANDLE,
    re.I,
)
_EMAIL = re.compile(r"(?<![a-z0-9._%+-])[a-z0-9._%+-]+@[a-z0-9.-]+\.[a-z]{2,}", re.I)

_OFFER = re.compile(
    r"加我|加微|加v|加vx|加q|加群|进群|進群|入群|私聊|私信我|联系我|聯繫我|咨询我|"
    r"代办|代辦|代注销|代註銷|代开|代開|代充|代激活|代实名|代收|接码|接碼|出售|批发|批發|"
    r"低价|低價|免费领|免費領|包过|包過|添加好友|客服微信|"
    r"contact me|dm me|message me|add me|whatsapp me|text me|promo code|best price|buy now",
    re.I,
)
_CONTACT_HINT = re.compile(rf"{_MESSENGER}|{_HANDLE}|https?://|www\.|{_NUMBER}", re.I)

_URL = re.compile(
    rf"(?:https?://|www\.)[a-z0-9\-._~:/?#@!$&*+,;=%]+"
    r"|(?<![@\w.-])[a-z0-9-]+(?:\.[a-z0-9-]+)*\.(?:com|net|org|me|io|cn|top|xyz|cc|vip|shop|"
    rf"site|online|club|link|ly|gg|co)(?:/{_URL_TAIL})?(?![a-z0-9.])",
    re.I,
)
# Neither part runs past the next "![", so no two attempts scan the same characters.
_IMAGE = re.compile(r"!\[(?:[^\]\n!]|!(?!\[))*\]\((?:[^)\n!]|!(?!\[))*\)|<img\b", re.I)
_SHORTENERS = re.compile(
    r"(?<![a-z0-9-])(?:bit\.ly|t\.cn|tinyurl\.com|goo\.gl|is\.gd|ow\.ly|cutt\.ly|"
    r"(?:i\.)?postimg\.cc|imgur\.com|i\.imgur\.com)(?![a-z0-9-])",
    re.I,
)

LINK_FARM_LINKS = 3
_REPEAT_UNIT = re.compile(r"(.{2,40}?)\1{3,}", re.S)
_REPEAT_CHAR = re.compile(r"(.)\1{19,}", re.S)
REPEATED_LINE_TIMES = 3


def _one_space(match: re.Match) -> str:
    return "\n" if "\n" in match.group(0) else " "


def normalize(text: str) -> str:
    """NFKC (full-width letters and ＠), lower case, zero-width characters out, each run of
    whitespace one space (or one newline if it had one), dot tricks ("t dot me", "t 。me") out."""
    text = unicodedata.normalize("NFKC", text or "")
    text = _WHITESPACE.sub(_one_space, _ZERO_WIDTH.sub("", text)).lower()
    return _DOT.sub(".", text)


def _reason(rule: str, match: str) -> dict:
    return {"rule": rule, "match": match.strip()[:120]}


def messenger_links(text: str) -> list[dict]:
    found = {m.group(0) for m in _MESSENGER_LINK.finditer(normalize(text))}
    return [_reason("messenger_link", m) for m in sorted(found)]


def messenger_handles(text: str, *, allow_numbers: bool = False) -> list[dict]:
    """A messenger named next to a handle, an id or (unless ``allow_numbers``) a number, and
    "@name" after a promotion verb. E-mail addresses are not handles."""
    clean = _EMAIL.sub(" ", normalize(text))
    patterns = [_MESSENGER_HANDLE, _PROMO_HANDLE, _MESSENGER_ID]
    if not allow_numbers:
        patterns.append(_MESSENGER_NUMBER)
    found = []
    for pattern in patterns:
        for match in pattern.finditer(clean):
            if match.group(0) not in found:
                found.append(match.group(0))
    return [_reason("messenger_handle", m) for m in found]


def contact_offers(text: str) -> list[dict]:
    """Promotion phrases ("代办注销", "加微信", "contact me") next to a way to reach someone."""
    clean = normalize(text)
    offer = _OFFER.search(clean)
    if offer and _CONTACT_HINT.search(_EMAIL.sub(" ", clean)):
        return [_reason("contact_offer", offer.group(0))]
    return []


def _links(text: str) -> list[str]:
    links = []
    for match in _URL.finditer(normalize(text)):
        link = match.group(0).rstrip(".,;:!?，。；：！？")
        host = urlsplit(link if "//" in link else f"//{link}").netloc or link
        links.append(host.removeprefix("www."))
    return links


def link_farm(text: str, *, known: str = "") -> list[dict]:
    """Links the step did not already have: three or more, or an embedded image / shortener."""
    known_hosts = set(_links(known))
    new = [host for host in _links(text) if host not in known_hosts]
    reasons = []
    if len(new) >= LINK_FARM_LINKS:
        reasons.append(_reason("link_farm", ", ".join(sorted(set(new)))))
    clean = normalize(text)
    images = [m.group(0) for m in _IMAGE.finditer(clean)]
    images += [m.group(0) for m in _SHORTENERS.finditer(clean) if m.group(0) not in known_hosts]
    known_clean = normalize(known)
    images = [m for m in images if m not in known_clean]
    if images:
        reasons.append(_reason("promo_image", images[0]))
    return reasons


def repeated_text(text: str) -> list[dict]:
    """A phrase over and over, a character 20 times, or the same line three times."""
    clean = normalize(text)
    for pattern in (_REPEAT_UNIT, _REPEAT_CHAR):
        for match in pattern.finditer(clean):
            unit = match.group(1)
            if any(ch.isalnum() for ch in unit):
                return [_reason("repeated_text", match.group(0)[:60])]
    lines = [line.strip() for line in clean.splitlines()]
    counts = Counter(line for line in lines if len(line) >= 4 and any(c.isalnum() for c in line))
    for line, times in counts.most_common(1):
        if times >= REPEATED_LINE_TIMES:
            return [_reason("repeated_text", line)]
    return []


def check(
    *, proposed_text: str, current_text: str = "", evidence_url: str = "", kind: str = ""
) -> list[dict]:
    """Every content reason found in a correction (empty list: nothing suspicious)."""
    reasons = []
    # What was already in the step (prefilled) is not the reader's doing.
    known = current_text or ""
    known_clean = normalize(known)
    reasons += [r for r in messenger_links(proposed_text) if r["match"] not in known_clean]
    reasons += messenger_links(evidence_url)
    handles = messenger_handles(proposed_text, allow_numbers=kind == "contact")
    reasons += [r for r in handles if r["match"] not in known_clean]
    reasons += contact_offers(proposed_text)
    reasons += link_farm(proposed_text, known=known)
    reasons += repeated_text(proposed_text)
    unique = []
    for reason in reasons:
        if reason not in unique:
            unique.append(reason)
    return unique


def fingerprint_source(text: str) -> str:
    """The text reduced to what matters for "the same text sent again"."""
    return re.sub(r"\s+", " ", normalize(text)).strip()


def label(rule: str) -> str:
    return str(RULE_LABELS.get(rule, rule))


# --- the form's signed timestamp and honeypot -------------------------------------------------
TOKEN_SALT = "kb.corrections.form"


def form_token(guide_id: int, *, now: float | None = None) -> str:
    """A signed "this form for this guide was shown at" value for a hidden field."""
    return signing.dumps(
        # Whole seconds, rounded down: the form never looks younger than it is.
        {"g": guide_id, "t": int(now if now is not None else time.time())},
        salt=TOKEN_SALT,
    )


def form_reasons(
    *, token: str, honeypot: str, guide_id: int, now: float | None = None
) -> list[dict]:
    """Reasons from the hidden fields: the honeypot filled in, the token missing, altered, made
    for another guide, used too soon (a robot) or too late."""
    reasons = []
    if (honeypot or "").strip():
        reasons.append(_reason("honeypot", honeypot))
    try:
        data = signing.loads(token or "", salt=TOKEN_SALT)
        shown_at = float(data["t"])
        if data["g"] != guide_id:
            raise ValueError("token made for another guide")
    except (signing.BadSignature, ValueError, KeyError, TypeError):
        return [*reasons, _reason("bad_token", "")]
    age = (now if now is not None else time.time()) - shown_at
    if age < settings.KB_CORRECTION_MIN_SECONDS:
        reasons.append(_reason("too_fast", f"{max(age, 0):.1f}s"))
    elif age > settings.KB_CORRECTION_MAX_FORM_AGE:
        reasons.append(_reason("too_old", f"{age / 3600:.0f}h"))
    return reasons
