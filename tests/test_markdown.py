from html.parser import HTMLParser

import pytest

from kb import markdown
from tests import factories


def _tags(html):
    found = []

    class Collector(HTMLParser):
        def handle_starttag(self, tag, attrs):
            found.append((tag, attrs))

    Collector().feed(html)
    return found


@pytest.mark.parametrize(
    "text",
    [
        "<script>alert(1)</script>",
        "hello <img src=x onerror=alert(1)>",
        '<a href="javascript:alert(1)">x</a>',
        "[click](javascript:alert(1))",
        "[click](JaVaScRiPt:alert(1))",
        "[click](java\tscript:alert(1))",
        "[click](data:text/html;base64,PHNjcmlwdD4=)",
        "[click](vbscript:msgbox(1))",
        "![img](https://i.postimg.cc/x.png)",
        '<div onclick="alert(1)">x</div>',
        "<iframe src=https://evil.example></iframe>",
        "<style>body{display:none}</style>",
    ],
)
def test_hostile_markdown_is_neutralised(text):
    tags = _tags(markdown.render(text))
    for tag, attrs in tags:
        assert tag in markdown.ALLOWED_TAGS
        for name, value in attrs:
            assert not name.startswith("on")
            if name == "href":
                assert value.split(":", 1)[0].lower() in {"http", "https", "mailto"}


def test_allowed_markdown_survives():
    html = markdown.render(
        "## 标题\n\n**粗体** *斜体* `code`\n\n1. 一\n2. 二\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n"
        "[官网](https://www.t-mobile.com/support) [mail](mailto:help@example.com)"
    )
    for tag in ("<h2>", "<strong>", "<em>", "<code>", "<ol>", "<li>", "<table>", "<td>"):
        assert tag in html
    assert 'href="https://www.t-mobile.com/support"' in html
    assert 'rel="nofollow noopener noreferrer"' in html
    assert 'href="mailto:help@example.com"' in html


@pytest.mark.parametrize(
    "text", ["", "   ", "**unclosed", "[broken](", "```\nno end", "\x00", "> " * 500, "*" * 5000]
)
def test_broken_markdown_never_raises(text):
    assert isinstance(markdown.render(text), str)


def test_nul_bytes_are_dropped():
    assert "\x00" not in markdown.render("a\x00b")


@pytest.mark.django_db
def test_step_html_is_rendered_and_sanitized_on_save():
    guide = factories.guide(steps=0)
    step = guide.steps.create(
        position=1,
        title="t",
        body="打开 **设置** <script>x</script>",
        tip="[x](javascript:alert(1))",
    )
    assert "<strong>设置</strong>" in step.body_html
    assert "<script>" not in step.body_html
    assert "href" not in step.tip_html


def test_safe_resanitizes_stored_html():
    assert "<script" not in str(markdown.safe("<p>ok</p><script>alert(1)</script>"))
