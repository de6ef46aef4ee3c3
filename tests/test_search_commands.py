"""The search commands: search_guides (relied on by evaluation scripts) and rebuild_search_index."""

import io
import json

import pytest
from django.core.management import CommandError, call_command

from kb.models import SearchDocument
from tests import search_data

pytestmark = pytest.mark.django_db


@pytest.fixture
def guides():
    cat = search_data.catalogue()
    zh = search_data.published(cat.carriers.tmobile, cat.tasks.cancel)
    en = search_data.published(cat.carriers.tmobile, cat.tasks.cancel, language="en")
    other = search_data.published(cat.carriers.tim, cat.tasks.cancel)
    return zh, en, other


def run(*args):
    out = io.StringIO()
    call_command("search_guides", *args, stdout=out)
    return out.getvalue()


def test_search_guides_prints_json_best_first(guides):
    zh, en, _ = guides
    rows = json.loads(run("T-Mobile 註銷", "--json", "--lang", "en", "--limit", "2"))
    assert [set(row) for row in rows] == [
        {"carrier", "country", "task", "language", "title", "url", "score"}
    ] * 2
    # The query is Chinese: the Chinese guide matches it better, even for an English reader.
    assert rows[0] == {
        "carrier": "t-mobile",
        "country": "us",
        "task": "cancel",
        "language": "zh-hans",
        "title": zh.title,
        "url": zh.get_absolute_url(),
        "score": rows[0]["score"],
    }
    assert rows[1]["language"] == "en" and rows[1]["url"] == en.get_absolute_url()
    assert rows[0]["score"] >= rows[1]["score"]


def test_search_guides_prints_an_empty_array_when_nothing_matches(guides):
    assert json.loads(run("qqzzxx", "--json")) == []


def test_search_guides_without_json_prints_one_line_a_result(guides):
    lines = run("T-Mobile", "注销").splitlines()
    assert lines[0].startswith(" 1.") and "t-mobile · cancel · zh-hans" in lines[0]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["  "], "the query is empty"),
        (["x", "--lang", "fr"], "--lang must be one of"),
        (["x", "--limit", "0"], "--limit must be at least 1"),
    ],
)
def test_search_guides_rejects_bad_input_with_one_clear_line(guides, args, message):
    with pytest.raises(CommandError, match=message):
        run(*args)


def test_rebuild_search_index_reports_and_rebuilds(guides):
    SearchDocument.objects.all().delete()
    out = io.StringIO()
    call_command("rebuild_search_index", stdout=out)
    assert "Indexed 3 published guide(s)" in out.getvalue()
    assert json.loads(run("T-Mobile 註銷", "--json"))[0]["carrier"] == "t-mobile"
