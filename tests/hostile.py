"""Hostile input for tests/test_hostile_input.py, and the checks an answer to it must pass.

Every value is something a reader (or a script) can send: markup and event attributes,
``javascript:`` links in the spellings browsers accept, SQL, the query syntax of SQLite FTS5 and
of PostgreSQL's tsquery, NUL and control characters, floods of whitespace and 100 KB values.
"""

from html.parser import HTMLParser

FLOOD = 5_000
BIG = 100_000

MARKUP = {
    "script": "<script>alert(1)</script>",
    "img onerror": "<img src=x onerror=alert(1)>",
    "svg onload": '"><svg onload=alert(1)>',
    "svg slash onload": "'><svg/onload=alert(1)>",
    "attribute break": '" autofocus onfocus="alert(1)',
    "single-quote attribute break": "' autofocus onfocus='alert(1)",
    "end textarea": "</textarea><script>alert(1)</script>",
    "end title": "</title><script>alert(1)</script>",
    "end script": "</script><script>alert(1)</script>",
    "iframe": "<iframe src=javascript:alert(1)></iframe>",
    "template syntax": "{{ 7|add:7 }}{% debug %}${7*7}",
}
JAVASCRIPT = {
    "javascript": "javascript:alert(1)",
    "mixed case": "JaVaScRiPt:alert(1)",
    "tab inside": "java\tscript:alert(1)",
    "newline inside": "java\nscript:alert(1)",
    "entity": "&#106;avascript:alert(1)",
    "hex entity": "&#x6A;avascript:alert(1)",
    "percent-encoded": "%6a%61vascript:alert(1)",
    "leading space": " javascript:alert(1)",
    "leading control": "\x01javascript:alert(1)",
    "colon entity": "javascript&colon;alert(1)",
    "vbscript": "vbscript:msgbox(1)",
    "data": "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
    "protocol-relative": "//evil.example/",
}
SQL = {
    "or 1=1": "' OR 1=1 --",
    "drop table": '"; DROP TABLE kb_guide; --',
    "union": "' UNION SELECT username, password FROM auth_user --",
    "sleep": "1; SELECT pg_sleep(5); --",
    "backslash": "\\",
    "like wildcards": "%_%",
}
SEARCH_SYNTAX = {
    "near": "NEAR(",
    "near terms": "NEAR(T-Mobile 注销, 2",
    "quote": '"',
    "unterminated phrase": '"T-Mobile 注销',
    "star": "*",
    "prefix star": "T-Mobile*",
    "boolean words": "AND OR NOT",
    "caret": "^",
    "minus": "-",
    "leading minus": "-T-Mobile",
    "colon": ":",
    "column filter": "title:注销",
    "parentheses": "((())",
    "bang": "!",
    "ampersand": "&",
    "pipe": "|",
    "followed by": "<->",
    "distance": "T-Mobile <2> 注销",
    "tsquery mix": "!(a & | b) <-> :*",
    "prefix tsquery": "注销:*",
    "apostrophes": "''' '' \\'",
    "braces": "{}[]",
}
# The operators alone, without a word of their own: a search with them around its words still
# finds what the words name.
SEARCH_OPERATORS = ('"', "*", "^", "-", ":", "(", ")", "!", "&", "|", "<->", "'", ":*", "{}", "+")
CONTROL = {
    "nul": "\x00",
    "nul inside": "a\x00b",
    "nul script": "\x00<script>alert(1)</script>",
    "controls": "".join(chr(c) for c in range(1, 32)),
    "bom": "\ufeff",
    "right-to-left override": "\u202eabc",
    "zero-width": "\u200b\u200c\u200d",
    "emoji": "📱" * 50,
}
NUMBERS = {
    "negative": "-1",
    "zero": "0",
    "huge": "9" * 40,
    "float": "1.5",
    "exponent": "1e308",
    "nan": "NaN",
}
FLOODS = {
    "spaces": " " * FLOOD,
    "newlines": "\n" * FLOOD,
    "tabs": "\t" * FLOOD,
    "ideographic spaces": "\u3000" * FLOOD,
    "mixed whitespace": (" \r\n\t\u3000" * FLOOD)[:FLOOD],
    "100 KB": "x" * BIG,
    "100 KB of markup": ("<script>alert(1)</script>" * (BIG // 25 + 1))[:BIG],
}

ALL = {
    **{f"markup: {k}": v for k, v in MARKUP.items()},
    **{f"url: {k}": v for k, v in JAVASCRIPT.items()},
    **{f"sql: {k}": v for k, v in SQL.items()},
    **{f"search: {k}": v for k, v in SEARCH_SYNTAX.items()},
    **{f"control: {k}": v for k, v in CONTROL.items()},
    **{f"number: {k}": v for k, v in NUMBERS.items()},
    **{f"flood: {k}": v for k, v in FLOODS.items()},
}
# One of each kind, for the product with every public address.
SAMPLE = {
    name: ALL[name]
    for name in (
        "markup: script",
        "markup: svg onload",
        "markup: attribute break",
        "markup: end script",
        "url: javascript",
        "url: tab inside",
        "sql: or 1=1",
        "sql: drop table",
        "search: near",
        "search: quote",
        "search: tsquery mix",
        "search: apostrophes",
        "control: nul script",
        "control: controls",
        "number: huge",
        "number: negative",
        "flood: mixed whitespace",
        "flood: 100 KB of markup",
    )
}
BIG_NAMES = {name for name, value in ALL.items() if len(value) >= FLOOD}

# Path segments, already percent-encoded as they travel: invalid UTF-8, NUL, markup, long.
SEGMENTS = {
    "script": "%3Cscript%3Ealert(1)%3C%2Fscript%3E",
    "svg onload": "%22%3E%3Csvg%20onload=alert(1)%3E",
    "nul": "%00",
    "nul inside": "a%00b",
    "invalid utf-8": "%FF%FE",
    "overlong utf-8": "%C0%AF",
    "lone continuation byte": "abc%80",
    "javascript": "javascript:alert(1)",
    "sql": "%27%20OR%201=1--",
    "dot dot": "..%2F..%2Fetc%2Fpasswd",
    "long": "a" * 3000,
    "huge number": "9" * 40,
}
# Raw query strings: bytes that are not UTF-8, NUL, a flood of empty fields.
RAW_QUERIES = {
    "invalid utf-8": "q=%FF%FE&page=%C0%AF&carrier=%80&goal=%FF",
    "nul": "q=%00&page=%00&carrier=a%00b&lang=%00",
    "repeated keys": "q=a&q=%3Cscript%3E&page=1&page=2&page=x",
    "no values": "q&page&carrier&&&=&==",
    "many fields": "&".join(f"f{n}=%3Cscript%3E" for n in range(1_200)),
}

# What must never appear as it was sent: the start of a tag or of an event handler.
UNESCAPED = (
    "<script>alert(",
    "<img src=x onerror",
    "<svg onload",
    "<svg/onload",
    "<iframe src=javascript",
)
URL_ATTRIBUTES = {"href", "src", "action", "formaction", "data", "poster", "xlink:href"}
BAD_SCHEMES = ("javascript:", "vbscript:", "data:text/html")


def _url_start(value: str) -> str:
    """A URL as a browser reads its scheme: leading spaces and controls dropped, tabs and
    newlines removed anywhere, case ignored."""
    value = value.lstrip("".join(chr(c) for c in range(33)))
    return "".join(ch for ch in value if ch not in "\t\n\r").lower()


class _Collector(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.problems = []

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            value = value or ""
            if name.startswith("on") and "alert(" in value:
                self.problems.append(f"<{tag} {name}={value[:60]!r}>")
            if name in URL_ATTRIBUTES and _url_start(value).startswith(BAD_SCHEMES):
                self.problems.append(f"<{tag} {name}={value[:60]!r}>")
            if name == "srcset" and any(
                _url_start(part).startswith(BAD_SCHEMES) for part in value.split(",")
            ):
                self.problems.append(f"<{tag} srcset={value[:60]!r}>")

    handle_startendtag = handle_starttag


def problems(body: str) -> list[str]:
    """What in an HTML or XML answer could run a script: markup as it was sent, an event
    attribute calling alert(), a link or source with a script scheme."""
    found = [f"unescaped {marker!r}" for marker in UNESCAPED if marker in body]
    collector = _Collector()
    collector.feed(body)
    collector.close()
    return found + collector.problems
