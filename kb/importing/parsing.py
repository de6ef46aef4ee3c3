"""Finding the parts of an article: title, intro, steps, problems and the remaining notes.

Articles number many things (reasons, cases, sections, steps). Every numbered sequence is a
candidate *run*; the run that is the procedure is the one under a heading about how to do it
(or written with explicit step words), and runs under headings about reasons, problems, tips or
cases are not steps. What is neither steps nor problems is kept, section by section, for the
guide's tips, prerequisites or risks, so no sentence of the source is lost.
"""

import re
import textwrap
from dataclasses import dataclass, field

CN_DIGITS = {"一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_CN = "一二三四五六七八九十"

_HEADING = re.compile(r"^ {0,3}(#{1,6})\s+(.*?)\s*#*\s*$")
_FENCE = re.compile(r"^ {0,3}(```|~~~)")
_BOLD_ONLY = re.compile(r"^\s*(\*\*|__)(?P<inner>[^*_\n].*?)\1\s*[:：]?\s*$")
_BOLD_LEAD = re.compile(r"^\s*(\*\*|__)(?P<inner>[^*_\n].*?)\1\s*[:：]?\s*(?P<rest>.*)$")
_BULLET = re.compile(r"^[-*+]\s+")

STEP_MARKER = re.compile(
    r"^(?:"
    rf"第\s*(?P<ord>[{_CN}\d]{{1,3}})\s*步"
    rf"|步骤\s*(?P<bu>[{_CN}\d]{{1,3}})"
    r"|step\s*(?P<en>\d{1,2})\b"
    rf"|第(?P<di>[{_CN}]{{1,3}})(?=[，,、：:])"
    r"|(?P<num>\d{1,2})\s*[.．、)）](?!\d)"
    r"|[(（](?P<par>\d{1,2})[)）]"
    rf"|(?P<cn>[{_CN}]{{1,3}})\s*[、.．]"
    r")\s*[:：.、．,，\-—–]?\s*(?P<rest>.*)$",
    re.IGNORECASE,
)
PROBLEM_MARKER = re.compile(
    rf"^(?:问题|疑问|常见问题|Q|Problem|Issue)\s*(?:[{_CN}]{{1,3}}|\d{{1,2}})?\s*[：:.、．)）]\s*"
    r"(?P<rest>\S.*)$",
    re.IGNORECASE,
)
# Possessive (*+) where one run of whitespace could otherwise be shared by several quantifiers.
_LABEL = re.compile(
    r"^\s*+(?:[-*+>]\s*+)?(?:#{1,6}\s*+)?(?:\*\*|__)?\s*+"
    r"(?P<label>原因分析|可能原因|原因|解决方法|解决办法|解决方案|处理方法|处理办法|应对方法|解决|办法|"
    r"causes?|reasons?|why|solutions?|fix|what to do|how to fix)"
    r"\s*+(?:\*\*|__)?\s*+(?:[:：]|$)\s*+(?:\*\*|__)?\s*+(?P<rest>.*)$",
    re.IGNORECASE,
)
_CAUSE_LABELS = ("原因分析", "可能原因", "原因", "cause", "causes", "reason", "reasons", "why")
_STEP_NOTE = re.compile(
    r"^\s*+(?:>\s*+)?(?:[-*+]\s++)?(?:\*\*|__)?\s*+[^\w\s]{0,3}\s*+"
    r"(?P<label>小贴士|小提示|温馨提示|贴士|提示|技巧|tips?|hint|注意事项|注意|警告|重要|特别提醒|"
    r"note|warning|important|caution)"
    r"\s*+(?:\*\*|__)?\s*+[:：]\s*+(?:\*\*|__)?\s*+(?P<rest>.*)$",
    re.IGNORECASE,
)
_TIP_LABELS = ("小贴士", "小提示", "温馨提示", "贴士", "提示", "技巧", "tip", "tips", "hint")
_INTRO_LABEL = re.compile(r"^(?:引言|前言|导语|导读|摘要|简介|introduction|intro)\s*[:：]?$", re.I)

HOWTO_STRONG = re.compile(
    r"步骤|流程|教程|操作指南|\bsteps?\b|step-by-step|procedure|instructions|walkthrough", re.I
)
HOWTO = re.compile(
    r"如何|怎么|怎样|怎麼|办理|操作|(?<!解决)方法|指南|攻略|\bhow (?:to|do)\b|\bguide\b", re.I
)
NOT_STEPS = re.compile(
    r"为什么|为何|原因|重要性|好处|优点|优势|缺点|区别|对比|比较|注意|问题|贴士|提示|建议|案例|总结|"
    r"结语|什么是|概念|可能性|介绍|背景|须知|\bwhy\b|\breasons?\b|\bbenefits?\b|\badvantages?\b|"
    r"\bdifferences?\b|\btips?\b|\bnotes?\b|\bwarnings?\b|\bproblems?\b|\bissues?\b|\bfaq\b|"
    r"troubleshoot|\bcases?\b|\bsummary\b|\bconclusion\b|\bwhat is\b|\boverview\b|\bbackground\b",
    re.I,
)
_LEAD_IN = re.compile(r"(?:步骤|如下|以下|下面|steps|follow)", re.I)
PROBLEMS_SECTION = re.compile(
    r"常见问题|遇到的问题|问题及|问题与|问题和|疑难|故障|\bfaq\b|troubleshoot|"
    r"common (?:problems|issues)|^(?:problems?|issues?)\b",
    re.I,
)
_QUESTION = re.compile(
    r"[？?]\s*$|怎么办|怎么回事|为什么|无法|不能|失败|收不到|打不通|\bwhat if\b|\bwhy\b|can't|cannot|won't",
    re.I,
)

BLOCK_KINDS = (
    (
        "summary",
        re.compile(r"总结|结语|结论|小结|写在最后|综上|summary|conclusion|final thoughts", re.I),
    ),
    ("case", re.compile(r"案例|实例|例子|经历|\bcases?\b|\bexamples?\b|\bstor(?:y|ies)\b", re.I)),
    (
        "prerequisites",
        re.compile(
            r"准备|前提|所需|需要什么|材料|条件|before you (?:start|begin)|prerequisites?|"
            r"what you(?:'ll| will)? need|requirements?",
            re.I,
        ),
    ),
    ("risk", re.compile(r"风险|警告|不可逆|不可撤销|\brisks?\b|\bwarnings?\b", re.I)),
    ("tip", re.compile(r"小贴士|贴士|提示|技巧|建议|\btips?\b|\badvice\b|\bhints?\b", re.I)),
    ("note", re.compile(r"注意|须知|\bnotes?\b|\bimportant\b", re.I)),
    ("problems", PROBLEMS_SECTION),
)

TITLE_MAX = 200
STEP_TITLE_MAX = 200
SYMPTOM_MAX = 300


@dataclass
class StepDraft:
    title: str
    body: str
    tip: str = ""
    warning: str = ""


@dataclass
class ProblemDraft:
    symptom: str
    cause: str
    solution: str


@dataclass
class NoteBlock:
    kind: str
    heading: str
    level: int
    body: str


@dataclass
class Article:
    title: str
    summary: str
    steps: list[StepDraft] = field(default_factory=list)
    problems: list[ProblemDraft] = field(default_factory=list)
    blocks: list[NoteBlock] = field(default_factory=list)

    @property
    def notes(self) -> int:
        step_notes = sum(bool(step.tip) + bool(step.warning) for step in self.steps)
        return len(self.blocks) + step_notes

    @property
    def prerequisites(self) -> str:
        return _blocks_markdown([b for b in self.blocks if b.kind == "prerequisites"])

    @property
    def risk_notes(self) -> str:
        return _blocks_markdown([b for b in self.blocks if b.kind == "risk"])

    @property
    def tips(self) -> str:
        return _blocks_markdown([b for b in self.blocks if b.kind not in ("prerequisites", "risk")])


# --- Lines ---------------------------------------------------------------------------------


@dataclass
class _Line:
    raw: str
    level: int = 0
    heading: str = ""
    fenced: bool = False

    @property
    def blank(self) -> bool:
        return not self.raw.strip()


def _scan(text: str) -> list[_Line]:
    lines, fenced = [], False
    for raw in text.split("\n"):
        if _FENCE.match(raw):
            fenced = not fenced
            lines.append(_Line(raw, fenced=True))
            continue
        match = None if fenced else _HEADING.match(raw)
        if match:
            lines.append(
                _Line(raw, level=len(match.group(1)), heading=clean_inline(match.group(2)))
            )
        else:
            lines.append(_Line(raw, fenced=fenced))
    return lines


def clean_inline(text: str) -> str:
    """Plain text of a short Markdown fragment: no emphasis markers, links reduced to their text."""
    text = re.sub(r"!?\[([^\[\]\n]*)\]\([^()\n]*\)", r"\1", text)
    text = re.sub(r"(\*\*|__)(.+?)\1", r"\2", text)
    text = text.replace("**", "").replace("__", "")
    text = re.sub(r"(?<![\w*])\*(?!\s)(.+?)(?<!\s)\*(?!\w)", r"\1", text)
    return re.sub(r"\s+", " ", text).strip().rstrip("：:").strip()


def _shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _first_sentence(text: str) -> str:
    match = re.match(r"(.+?)(?:[。！？!?；;]|\.(?:\s|$))", text)
    return (match.group(1) if match else text).strip()


def _tidy(lines: list[str]) -> str:
    text = textwrap.dedent("\n".join(line.rstrip() for line in lines))
    return re.sub(r"\n{3,}", "\n\n", text).strip("\n").strip()


# --- Title ---------------------------------------------------------------------------------


def _find_title(lines: list[_Line]) -> tuple[int | None, str]:
    content = [i for i, line in enumerate(lines) if not line.blank and not line.fenced][:6]
    if not content:
        return None, ""
    first = lines[content[0]]
    if first.level:
        return content[0], first.heading
    for i in content:
        if lines[i].level == 1:
            return i, lines[i].heading
    bold = _BOLD_ONLY.match(first.raw)
    if bold:
        return content[0], clean_inline(bold.group("inner"))
    text = clean_inline(first.raw)
    if len(content) > 1 and len(text) <= 80 and not re.search(r"[。.!！]$", text):
        return content[0], text
    return None, ""


# --- Step runs -----------------------------------------------------------------------------


@dataclass
class _Marker:
    index: int
    key: tuple
    number: int | None
    text: str
    explicit: bool
    parent: int


@dataclass
class _Run:
    markers: list[_Marker]
    end: int = 0
    score: float = 0.0

    @property
    def start(self) -> int:
        return self.markers[0].index

    @property
    def kind(self) -> str:
        return self.markers[0].key[0]


def _number(token: str) -> int:
    if token.isdigit():
        return int(token)
    if token == "十":
        return 10
    if token.startswith("十"):
        return 10 + CN_DIGITS.get(token[1:], 0)
    if "十" in token:
        tens, _, units = token.partition("十")
        return CN_DIGITS.get(tens, 0) * 10 + CN_DIGITS.get(units, 0)
    return CN_DIGITS.get(token, 0)


def _step_marker(text: str) -> tuple[str, int, str] | None:
    """(style, number, rest) when ``text`` starts with a step number, else ``None``."""
    match = STEP_MARKER.match(text.strip())
    if not match:
        return None
    for group, style in (
        ("ord", "explicit"),
        ("bu", "explicit"),
        ("en", "explicit"),
        ("di", "ordinal"),
        ("num", "arabic"),
        ("par", "paren"),
        ("cn", "cn"),
    ):
        token = match.group(group)
        if token:
            number = _number(token)
            return (style, number, match.group("rest").strip()) if number else None
    return None


def _parents(lines: list[_Line]) -> tuple[list[int], list[list[int]]]:
    """For each line: the nearest heading above it, and the stack of open headings."""
    nearest, stacks, stack, last = [], [], [], -1
    for i, line in enumerate(lines):
        nearest.append(last)
        stacks.append(list(stack))
        if line.level:
            while stack and lines[stack[-1]].level >= line.level:
                stack.pop()
            stack.append(i)
            last = i
    return nearest, stacks


def _markers(lines: list[_Line], skip: set[int]) -> list[_Marker]:
    nearest, stacks = _parents(lines)
    found = []
    for i, line in enumerate(lines):
        if i in skip or line.blank or line.fenced:
            continue
        if line.level:
            marker = _step_marker(line.heading)
            if marker:
                style, number, rest = marker
                parent = next((h for h in reversed(stacks[i]) if lines[h].level < line.level), -1)
                found.append(
                    _Marker(i, ("h", line.level, style), number, rest, style == "explicit", parent)
                )
            continue
        stripped = line.raw.strip()
        bold = _BOLD_ONLY.match(line.raw)
        if bold:
            inner = clean_inline(bold.group("inner"))
            marker = _step_marker(inner)
            if marker:
                style, number, rest = marker
                found.append(
                    _Marker(i, ("bold", style), number, rest, style == "explicit", nearest[i])
                )
            elif len(inner) <= 60 and not re.search(r"[。.！!？?]$", inner):
                found.append(_Marker(i, ("boldtitle",), None, inner, False, nearest[i]))
            continue
        lead = _BOLD_LEAD.match(line.raw)
        lead_marker = lead and _step_marker(clean_inline(lead.group("inner")))
        if lead_marker:
            style, number, rest = lead_marker
            text = f"**{rest}** {lead.group('rest')}" if rest else lead.group("rest")
            found.append(
                _Marker(i, ("para", style), number, text.strip(), style == "explicit", nearest[i])
            )
            continue
        marker = _step_marker(_BULLET.sub("", stripped))
        if marker and marker[0] in ("explicit", "ordinal"):
            style, number, rest = marker
            found.append(_Marker(i, ("para", style), number, rest, style == "explicit", nearest[i]))
        elif marker and not _BULLET.match(stripped):
            style, number, rest = marker
            indent = len(line.raw) - len(line.raw.lstrip())
            found.append(_Marker(i, ("ol", indent, style), number, rest, False, nearest[i]))
    return found


def _runs(markers: list[_Marker]) -> list[_Run]:
    runs: list[_Run] = []
    open_runs: dict[tuple, _Run] = {}
    for marker in markers:
        slot = (marker.key, marker.parent)
        run = open_runs.get(slot)
        last = run.markers[-1] if run else None
        follows = last is not None and (
            (marker.number is None and last.number is None)
            or (
                marker.number is not None
                and last.number is not None
                and marker.number == last.number + 1
            )
        )
        if follows:
            run.markers.append(marker)
        else:
            run = _Run([marker])
            open_runs[slot] = run
            runs.append(run)
    return [run for run in runs if len(run.markers) >= 2]


def _run_end(lines: list[_Line], run: _Run) -> int:
    last = run.markers[-1]
    if run.kind == "h":
        level = last.key[1]
        for i in range(last.index + 1, len(lines)):
            if lines[i].level and lines[i].level <= level:
                return i
        return len(lines)
    if run.kind == "ol":
        indent = last.key[1]
        end, previous_blank = last.index + 1, False
        for i in range(last.index + 1, len(lines)):
            line = lines[i]
            line_indent = len(line.raw) - len(line.raw.lstrip())
            if line.level or (line_indent <= indent and _step_marker(line.raw)):
                break
            if line.blank:
                previous_blank = True
                continue
            if line_indent <= indent and previous_blank:
                break
            end, previous_blank = i + 1, False
        return end
    for i in range(last.index + 1, len(lines)):
        if lines[i].level:
            return i
    return len(lines)


def _context_heading(lines: list[_Line], run: _Run) -> str:
    parent = run.markers[0].parent
    return lines[parent].heading if parent >= 0 else ""


def _lead_in(lines: list[_Line], run: _Run) -> str:
    for i in range(run.start - 1, -1, -1):
        if lines[i].level:
            return ""
        if not lines[i].blank:
            return lines[i].raw.strip()
    return ""


def _score(lines: list[_Line], run: _Run, title: str) -> float:
    context = _context_heading(lines, run)
    score = 0.1 * min(len(run.markers), 12)
    if any(marker.explicit for marker in run.markers):
        score += 4
    if HOWTO_STRONG.search(context):
        score += 3
    elif HOWTO.search(context):
        score += 2
    elif not NOT_STEPS.search(context) and (HOWTO.search(title) or HOWTO_STRONG.search(title)):
        score += 1
    if NOT_STEPS.search(context):
        score -= 3
    lead_in = _lead_in(lines, run)
    if lead_in and _LEAD_IN.search(lead_in) and re.search(r"[:：]$", lead_in):
        score += 1
    style = run.markers[0].key[-1]
    if style == "cn":
        score -= 1
    if run.kind == "boldtitle":
        score -= 1
    return score


def choose_step_run(lines: list[_Line], title: str, skip: set[int]) -> _Run | None:
    best = None
    for run in _runs(_markers(lines, skip)):
        run.end = _run_end(lines, run)
        run.score = _score(lines, run, title)
        if run.score >= 1 and (
            best is None or (run.score, len(run.markers)) > (best.score, len(best.markers))
        ):
            best = run
    return best


def _split_title(text: str) -> tuple[str, str]:
    """Title and body from the first line of a list item or paragraph step."""
    bold = re.match(r"^(\*\*|__)(.+?)\1\s*[:：]?\s*(.*)$", text)
    if bold:
        return clean_inline(bold.group(2)), bold.group(3).strip()
    colon = re.match(r"^([^:：。]{1,40})[:：]\s*(.+)$", text)
    if colon:
        return clean_inline(colon.group(1)), colon.group(2).strip()
    sentence = clean_inline(_first_sentence(text))
    if len(sentence) > 60:
        sentence = _shorten(sentence, 40)
    return sentence, text.strip()


def _steps_from_run(lines: list[_Line], run: _Run) -> list[StepDraft]:
    steps = []
    for n, marker in enumerate(run.markers):
        end = run.markers[n + 1].index if n + 1 < len(run.markers) else run.end
        body_lines = [line.raw for line in lines[marker.index + 1 : end]]
        if run.kind in ("h", "bold", "boldtitle"):
            title, first = clean_inline(marker.text), ""
        else:
            title, first = _split_title(marker.text)
        body = _tidy(([first] if first else []) + [textwrap.dedent("\n".join(body_lines))])
        if not title:
            title = _shorten(clean_inline(_first_sentence(body)), 60)
        body, tip, warning = _split_step_notes(body)
        steps.append(
            StepDraft(
                title=_shorten(title or f"{n + 1}", STEP_TITLE_MAX),
                body=body or title,
                tip=tip,
                warning=warning,
            )
        )
    return steps


def _split_step_notes(body: str) -> tuple[str, str, str]:
    """Move paragraphs labelled 小贴士 / 提示 / Tip to the tip, 注意 / Warning to the warning."""
    kept, tips, warnings = [], [], []
    for paragraph in re.split(r"\n\s*\n", body):
        match = _STEP_NOTE.match(paragraph.split("\n", 1)[0])
        if not match:
            kept.append(paragraph)
            continue
        rest = paragraph.split("\n", 1)
        text = _tidy([match.group("rest")] + rest[1:2])
        if match.group("label").lower() in _TIP_LABELS:
            tips.append(text)
        else:
            warnings.append(text)
    return "\n\n".join(kept).strip(), "\n\n".join(tips), "\n\n".join(warnings)


# --- Problems ------------------------------------------------------------------------------


def _problem_markers(lines: list[_Line], skip: set[int]) -> list[tuple[int, str, int]]:
    """(line, symptom, heading level or 0) for every problem the article states."""
    found = []
    section_level = 0
    for i, line in enumerate(lines):
        if line.fenced or line.blank:
            continue
        if line.level and section_level and line.level <= section_level:
            section_level = 0
        if i in skip:
            continue
        if line.level:
            match = PROBLEM_MARKER.match(line.heading)
            if match:
                found.append((i, match.group("rest"), line.level))
            elif section_level and _QUESTION.search(line.heading):
                found.append((i, line.heading, line.level))
            elif PROBLEMS_SECTION.search(line.heading):
                section_level = line.level
            continue
        bold = _BOLD_ONLY.match(line.raw)
        text = clean_inline(bold.group("inner")) if bold else _BULLET.sub("", line.raw.strip())
        match = PROBLEM_MARKER.match(clean_inline(text) if not bold else text)
        if match:
            found.append((i, match.group("rest"), 0))
        elif bold and section_level and _QUESTION.search(text):
            found.append((i, text, 0))
    return found


def _problem_end(lines: list[_Line], start: int, level: int, next_marker: int) -> int:
    for i in range(start + 1, min(next_marker, len(lines))):
        if lines[i].level and (level == 0 or lines[i].level <= level):
            return i
    return min(next_marker, len(lines))


def find_problems(lines: list[_Line], skip: set[int]) -> tuple[list[ProblemDraft], set[int]]:
    markers = _problem_markers(lines, skip)
    problems, used = [], set()
    for n, (start, symptom, level) in enumerate(markers):
        next_marker = markers[n + 1][0] if n + 1 < len(markers) else len(lines)
        end = _problem_end(lines, start, level, next_marker)
        first = ""
        if not level and not _BOLD_ONLY.match(lines[start].raw):
            symptom, first = _split_symptom(clean_inline(symptom))
        cause, solution = _cause_and_solution(
            ([first] if first else []) + [line.raw for line in lines[start + 1 : end]]
        )
        problems.append(
            ProblemDraft(
                symptom=_shorten(clean_inline(symptom), SYMPTOM_MAX), cause=cause, solution=solution
            )
        )
        used.update(range(start, end))
    return problems, used


def _split_symptom(text: str) -> tuple[str, str]:
    match = re.match(r"^(.+?[？?])\s*(.+)$", text)
    return (match.group(1), match.group(2)) if match else (text, "")


def _cause_and_solution(body: list[str]) -> tuple[str, str]:
    parts: dict[str, list[str]] = {"pre": [], "cause": [], "solution": []}
    current, labelled = "pre", False
    for raw in body:
        match = _LABEL.match(raw)
        if match:
            labelled = True
            current = "cause" if match.group("label").lower() in _CAUSE_LABELS else "solution"
            if match.group("rest").strip():
                parts[current].append(match.group("rest"))
            continue
        parts[current].append(raw)
    if not labelled:
        return "", _tidy(parts["pre"])
    return _tidy(parts["pre"] + parts["cause"]), _tidy(parts["solution"])


# --- Blocks and summary --------------------------------------------------------------------


def _block_kind(heading: str) -> str:
    for kind, pattern in BLOCK_KINDS:
        if pattern.search(heading):
            return kind
    return "section"


def _blocks(lines: list[_Line], consumed: set[int]) -> tuple[list[str], list[NoteBlock]]:
    """The intro (text before the first heading and before any steps) and the other sections."""
    intro: list[str] = []
    sections: list[tuple[str, int, list[str]]] = []
    current = intro
    for i, line in enumerate(lines):
        if i in consumed:
            if i - 1 not in consumed:
                _drop_lead_in(current)
            if current is intro and any(raw.strip() for raw in intro):
                current = []
                sections.append(("", 0, current))
            continue
        if line.level:
            current = []
            sections.append((line.heading, line.level, current))
        else:
            current.append(line.raw)
    blocks = []
    for heading, level, body_lines in sections:
        body = _tidy(body_lines)
        if body:
            kind = _block_kind(heading or body.split("\n", 1)[0])
            blocks.append(NoteBlock(kind, heading, level, body))
    return intro, blocks


def _drop_lead_in(body_lines: list[str]) -> None:
    """Remove the sentence that introduced the steps or problems taken out of this section."""
    while body_lines and not body_lines[-1].strip():
        body_lines.pop()
    if not body_lines or not re.search(r"[:：]\s*$", body_lines[-1]):
        return
    sentences = re.split(r"(?<=[。！？!?])|(?<=\.)\s", body_lines[-1].rstrip())
    kept = "".join(sentences[:-1]).rstrip()
    if kept:
        body_lines[-1] = kept
    else:
        body_lines.pop()


def _summary(intro: list[str], blocks: list[NoteBlock], title: str) -> str:
    """The intro before the first heading, else the first paragraph of the summary section."""
    kept = [
        line
        for line in intro
        if not (_BOLD_ONLY.match(line) and _INTRO_LABEL.match(clean_inline(line)))
    ]
    text = _plain(_tidy(kept))
    if text:
        return text
    for block in sorted(blocks, key=lambda b: b.kind != "summary"):
        paragraph = _plain(re.split(r"\n\s*\n", block.body)[0])
        if paragraph:
            return paragraph
    return title


def _plain(markdown: str) -> str:
    paragraphs = []
    for paragraph in re.split(r"\n\s*\n", markdown):
        lines = [
            clean_inline(re.sub(r"^\s*(?:[-*+>]|\d+[.)])\s+", "", line))
            for line in paragraph.split("\n")
        ]
        text = " ".join(line for line in lines if line)
        if text:
            paragraphs.append(text)
    return "\n\n".join(paragraphs)


def _blocks_markdown(blocks: list[NoteBlock]) -> str:
    if not blocks:
        return ""
    top = min((block.level for block in blocks if block.heading), default=1)
    parts = []
    for block in blocks:
        if not block.heading:
            parts.append(block.body)
            continue
        level = max(3, min(6, block.level - top + 3))
        parts.append(f"{'#' * level} {block.heading}\n\n{block.body}")
    return "\n\n".join(parts)


# --- Entry point ---------------------------------------------------------------------------


def parse_article(text: str, *, fallback_title: str = "") -> Article:
    lines = _scan(text)
    title_index, title = _find_title(lines)
    title = _shorten(title or fallback_title.strip() or "Imported article", TITLE_MAX)
    consumed = {title_index} if title_index is not None else set()

    run = choose_step_run(lines, title, consumed)
    steps = _steps_from_run(lines, run) if run else []
    if run:
        consumed.update(range(run.start, run.end))

    problems, problem_lines = find_problems(lines, consumed)
    consumed |= problem_lines

    intro, blocks = _blocks(lines, consumed)
    summary = _summary(intro, blocks, title)
    return Article(title=title, summary=summary, steps=steps, problems=problems, blocks=blocks)
