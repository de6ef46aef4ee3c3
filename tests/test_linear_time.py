"""Every rule applied to a reader's text runs in linear time: a flood of whitespace or of dots in
any field is answered at once, never pins a worker.

The bounds are generous (one second for a 5,000-character flood that used to cost minutes) and
count this thread's CPU time, not the wall clock, so that other work on a loaded machine does
not make them flaky; the growth tests compare a text with four times as much of the same flood,
which a super-linear pattern fails by far (16x for quadratic).
"""

import time

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation

from kb.models import Correction, Guide, GuideFeedback
from kb.search import gaps, snippets, tokens
from kb.search.normalize import normalize as search_normalize
from kb.services import spam
from kb.views import pagecache
from tests import factories

pytestmark = pytest.mark.django_db

FLOOD = 4_900
BOUND = 1.0
UNITS = {
    "spaces": " ",
    "newlines": "\n",
    "tabs": "\t",
    "ideographic spaces": "\u3000",
    "crlf": "\r\n",
    "mixed whitespace": " \t\n\u3000",
    "spaced dots": " . ",
    "spelt dots": " dot ",
    "ideographic dots": " 。 ",
    "bracket dots": " [.] ",
    "dots between spaces": "  .  \u3000",
    "zero-width between spaces": " \u200b",
}


def flood(unit: str, length: int = FLOOD) -> str:
    return (unit * (length // len(unit) + 1))[:length]


def timed(call, *args, **kwargs) -> float:
    return run(call, *args, **kwargs)[0]


def run(call, *args, **kwargs):
    """(CPU seconds, result) of one call."""
    started = time.thread_time()
    result = call(*args, **kwargs)
    return time.thread_time() - started, result


def best_of(call, *args, times: int = 3) -> float:
    return min(timed(call, *args) for _ in range(times))


# --- the rules themselves --------------------------------------------------------------------
RULES = {
    "spam.check": lambda text: spam.check(
        proposed_text=text, current_text=text[:200], evidence_url=text
    ),
    "spam.fingerprint_source": spam.fingerprint_source,
    "search.normalize": search_normalize,
    "search.terms": lambda text: tokens.terms(search_normalize(text)),
    "search.term_spans": lambda text: tokens.term_spans(search_normalize(text)),
    "search.snippets.plain": snippets.plain,
    "search.gap_query": gaps.gap_query,
}
# Floods of what each pattern looks for, not only whitespace: the start of a link, an image, an
# e-mail address, a handle or a number without its end.
GROWTH_UNITS = [
    *UNITS.values(),
    "a.",
    "a@",
    "*a",
    "1 ",
    "1(",
    "[",
    "![",
    "![a](",
    "qq-",
    "wechat ",
    "t.me/",
    "www.",
    "@ab",
]


@pytest.mark.parametrize("rule", RULES)
@pytest.mark.parametrize("unit", list(UNITS.values()), ids=list(UNITS))
def test_a_whitespace_flood_costs_every_text_rule_well_under_a_second(rule, unit):
    text = "联系 t" + flood(unit) + "me 加我"
    assert timed(RULES[rule], text) < BOUND


@pytest.mark.parametrize("rule", RULES)
def test_every_text_rule_grows_linearly_with_its_input(rule):
    for unit in GROWTH_UNITS:
        small = best_of(RULES[rule], flood(unit, 2_500))
        large = best_of(RULES[rule], flood(unit, 10_000))
        # 4x the text; a quadratic pattern costs 16x, a cubic one 64x.
        assert large < max(small, 0.002) * 10, (unit, small, large)


def test_the_dot_tricks_are_still_read_through_any_amount_of_whitespace():
    for gap in (" ", "   ", "\t\t", "\u3000\u3000", " \n "):
        text = f"加我 t{gap}dot{gap}me/esim1088"
        assert [r["rule"] for r in spam.check(proposed_text=text)][:1] == ["messenger_link"]
        assert spam.messenger_links(f"wa{gap}。{gap}me/123")


def test_lines_survive_whitespace_normalization():
    text = "同一行文字\n\n\n   同一行文字\t\n同一行文字"
    assert spam.repeated_text(text)
    assert spam.normalize("a \t\u3000 b\n \n c") == "a b\nc"


# --- through the reader's path ---------------------------------------------------------------
@pytest.fixture
def guide(settings):
    settings.KB_CORRECTION_RATE = "0"
    settings.KB_CORRECTION_GUIDE_RATE = "0"
    settings.KB_CORRECTION_MIN_SECONDS = 0
    return factories.guide(status=Guide.Status.PUBLISHED, steps=2)


def correction_data(guide, **overrides):
    data = {
        "kind": "outdated",
        "step": "",
        "proposed_text": "在 App 里点“账户”→“暂停线路”，再确认。",
        "evidence_url": "",
        "tried_on": "",
        "plan_type": "",
        "email": "",
        "website": "",
        "started": spam.form_token(guide.pk, now=time.time() - 60),
    }
    data.update(overrides)
    return data


CORRECTION_FIELDS = ["proposed_text", "evidence_url", "email", "website", "started", "tried_on"]


@pytest.mark.parametrize("field", CORRECTION_FIELDS)
@pytest.mark.parametrize("unit", list(UNITS.values()), ids=list(UNITS))
def test_a_flood_in_any_correction_field_is_answered_within_a_second(guide, field, unit):
    value = "t" + flood(unit) + "me"
    data = correction_data(guide, **{field: value})
    seconds, response = run(Client().post, guide.get_correction_url(), data)
    assert seconds < BOUND
    # Stored (accepted or as spam), or a field refused with a message.
    assert response.status_code in (302, 400)
    if field in ("proposed_text", "website", "started"):
        # Accepted or marked as spam, but stored either way.
        assert Correction.objects.count() == 1


def test_a_flood_with_a_messenger_link_is_still_marked_as_spam(guide):
    text = "加我 t" + flood(" \u3000\t", 2_000) + "." + flood(" \n", 2_000) + "me/esim1088"
    response = Client().post(guide.get_correction_url(), correction_data(guide, proposed_text=text))
    assert response.status_code == 302
    assert Correction.objects.get().status == Correction.Status.SPAM


@pytest.mark.parametrize("field", ["helpful", "reason", "comment"])
@pytest.mark.parametrize("unit", list(UNITS.values()), ids=list(UNITS))
def test_a_flood_in_any_feedback_field_is_answered_within_a_second(guide, field, unit):
    pagecache.clear()
    with translation.override(guide.language):
        url = reverse("kb:guide_feedback", kwargs={"slug": guide.slug})
    data = {"helpful": "no", "reason": "", "comment": ""}
    # The comment is at most 500 characters: a longer one is refused, a shorter one stored.
    for length in (FLOOD, 490):
        data[field] = "x" + flood(unit, length) + "y"
        seconds, response = run(Client(HTTP_USER_AGENT="Mozilla/5.0").post, url, data)
        assert seconds < BOUND
        assert response.status_code in (302, 400)
    if field == "comment":
        assert GuideFeedback.objects.count() == 1


@pytest.mark.parametrize("unit", list(UNITS.values()), ids=list(UNITS))
def test_a_flood_in_a_search_is_answered_within_a_second(guide, unit):
    for language in ("zh-hans", "en"):
        for query in ("注销" + flood(unit) + "T-Mobile", flood(unit), flood(unit, 20_000)):
            seconds, response = run(Client().get, f"/{language}/search/", {"q": query})
            assert seconds < BOUND
            assert response.status_code == 200
