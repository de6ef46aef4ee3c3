"""Readers' signals: "did this work?", guide requests and read counts."""

import pytest
from django.db import DatabaseError
from django.test import Client
from django.urls import reverse
from django.utils import translation

from kb.models import Guide, GuideFeedback, GuideReadCount, GuideRequest
from kb.services import feedback
from kb.views import pagecache
from tests import factories
from tests.public_data import PUBLISHED, published_pair

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english():
    """These tests read English messages; the site's default language is zh-hans."""
    with translation.override("en"):
        yield


BROWSER = "Mozilla/5.0 (Linux; Android 14) Mobile Safari/537.36"


@pytest.fixture(autouse=True)
def _fresh_pages():
    pagecache.clear()
    feedback.reads_discard()
    yield
    pagecache.clear()


@pytest.fixture
def guide():
    return published_pair()[0]


def feedback_url(guide):
    with translation.override(guide.language):
        return reverse("kb:guide_feedback", kwargs={"slug": guide.slug})


def reader(address="203.0.113.7"):
    return Client(REMOTE_ADDR=address, HTTP_USER_AGENT=BROWSER)


# --- "Did this work for you?" ----------------------------------------------------------------


def test_a_yes_is_stored_and_thanked_without_javascript(guide):
    client = reader()
    response = client.post(feedback_url(guide), {"helpful": "yes"})
    assert response.status_code == 302
    assert response["Location"] == feedback_url(guide) + "?answer=yes"
    answer = GuideFeedback.objects.get()
    assert (answer.guide, answer.helpful, answer.language) == (guide, True, "zh-hans")
    follow_up = client.get(response["Location"]).content.decode()
    assert "谢谢！您的回答能帮助我们保持这篇指南准确。" in follow_up  # a zh-hans guide
    assert '<input type="hidden" name="helpful" value="yes">' in follow_up


def test_a_no_then_its_reason_count_as_one_answer_from_the_same_reader(guide):
    client = reader()
    client.post(feedback_url(guide), {"helpful": "no"})
    follow_up = client.get(feedback_url(guide) + "?answer=no").content.decode()
    assert 'name="reason"' in follow_up
    response = client.post(
        feedback_url(guide),
        {"helpful": "no", "reason": "steps_differ", "comment": "第 3 步的按钮不见了"},
    )
    assert response["Location"].endswith("?answer=no-detailed")
    answer = GuideFeedback.objects.get()
    assert (answer.helpful, answer.reason, answer.comment) == (
        False,
        "steps_differ",
        "第 3 步的按钮不见了",
    )


def test_answers_from_different_readers_are_counted_separately(guide):
    reader("203.0.113.7").post(feedback_url(guide), {"helpful": "yes"})
    reader("203.0.113.8").post(feedback_url(guide), {"helpful": "no"})
    reader("203.0.113.9").post(feedback_url(guide), {"helpful": "yes"})
    counts = feedback.counts_for([guide.pk])
    assert (counts[guide.pk].yes, counts[guide.pk].no, counts[guide.pk].yes_share) == (2, 1, 67)


def test_counts_for_answers_every_guide_in_one_query(guide, django_assert_num_queries):
    other = factories.guide(status=PUBLISHED)
    reader().post(feedback_url(guide), {"helpful": "no"})
    with django_assert_num_queries(1):
        counts = feedback.counts_for([guide.pk, other.pk])
    assert counts[guide.pk] == feedback.FeedbackCounts(yes=0, no=1)
    assert counts[other.pk].total == 0 and counts[other.pk].yes_share is None


def test_the_page_script_gets_a_json_answer(guide):
    response = reader().post(
        feedback_url(guide), {"helpful": "yes"}, HTTP_ACCEPT="application/json"
    )
    assert response.status_code == 200
    assert response.json()["ok"] is True and response.json()["message"]
    assert GuideFeedback.objects.filter(helpful=True).count() == 1


@pytest.mark.parametrize(
    "data",
    [
        {},
        {"helpful": "maybe"},
        {"helpful": "no", "reason": "not-a-reason"},
        {"helpful": "no", "comment": "x" * 501},
        {"helpful": ["yes", "no"], "reason": "\x00"},
    ],
)
def test_bad_input_gets_a_clear_400_and_stores_nothing(guide, data):
    response = reader().post(feedback_url(guide), data)
    assert response.status_code == 400
    assert "alert-danger" in response.content.decode()
    json_response = reader().post(feedback_url(guide), data, HTTP_ACCEPT="application/json")
    assert json_response.status_code == 400 and json_response.json()["ok"] is False
    assert not GuideFeedback.objects.exists()


def test_feedback_on_an_unpublished_guide_answers_404():
    draft = factories.guide(status=Guide.Status.DRAFT)
    assert reader().post(feedback_url(draft), {"helpful": "yes"}).status_code == 404
    assert not GuideFeedback.objects.exists()


def test_feedback_is_rate_limited_per_connection(guide, monkeypatch):
    monkeypatch.setattr(feedback, "RATE", feedback.ratelimit.Rate(count=3, seconds=3600))
    statuses = [
        reader().post(feedback_url(guide), {"helpful": "yes"}).status_code for _ in range(5)
    ]
    assert statuses == [302, 302, 302, 429, 429]
    other_connection = reader("198.51.100.1").post(feedback_url(guide), {"helpful": "no"})
    assert other_connection.status_code == 302


def test_a_broken_cache_still_takes_the_answer(guide, monkeypatch):
    def broken(*args, **kwargs):
        raise ConnectionError("cache down")

    monkeypatch.setattr(feedback.ratelimit.default_cache, "get_many", broken)
    monkeypatch.setattr(feedback.ratelimit.default_cache, "add", broken)
    monkeypatch.setattr(feedback.ratelimit.default_cache, "incr", broken)
    client = reader()
    for _ in range(3):
        assert client.post(feedback_url(guide), {"helpful": "yes"}).status_code == 302
    assert GuideFeedback.objects.count() == 1  # still one answer per reader


def test_a_database_error_is_a_clear_503_not_a_500(guide, monkeypatch):
    def broken(**kwargs):
        raise DatabaseError("disk full")

    monkeypatch.setattr(feedback, "feedback_record", broken)
    response = reader().post(feedback_url(guide), {"helpful": "yes"})
    assert response.status_code == 503
    assert "暂时无法保存您的回答" in response.content.decode()  # a zh-hans guide


def test_the_shared_cached_page_needs_no_csrf_token_to_answer(guide):
    client = Client(enforce_csrf_checks=True, HTTP_USER_AGENT=BROWSER)
    page = client.get(guide.get_absolute_url())
    assert "csrfmiddlewaretoken" not in page.content.decode()
    response = client.post(
        feedback_url(guide),
        {"helpful": "yes"},
        HTTP_SEC_FETCH_SITE="same-origin",
        HTTP_ORIGIN="http://testserver",
    )
    assert response.status_code == 302


@pytest.mark.parametrize(
    "headers",
    [
        {"HTTP_SEC_FETCH_SITE": "cross-site"},
        {"HTTP_SEC_FETCH_SITE": "same-site"},
        {"HTTP_ORIGIN": "https://evil.example"},
        {"HTTP_ORIGIN": "null"},
    ],
)
def test_a_post_from_another_site_is_refused(guide, headers):
    response = reader().post(feedback_url(guide), {"helpful": "yes"}, **headers)
    assert response.status_code == 403
    assert not GuideFeedback.objects.exists()


def test_the_reader_key_keeps_no_address_and_changes_every_day():
    from datetime import date

    monday = feedback.reader_key(address="203.0.113.7", user_agent=BROWSER, day=date(2025, 6, 2))
    tuesday = feedback.reader_key(address="203.0.113.7", user_agent=BROWSER, day=date(2025, 6, 3))
    assert monday != tuesday and "203.0.113.7" not in monday


# --- Asking for a guide -----------------------------------------------------------------------


def request_url(carrier="t-mobile", task="cancel", language="en"):
    with translation.override(language):
        return reverse("kb:guide_request", kwargs={"carrier": carrier, "task": task})


def test_a_reader_can_ask_for_a_missing_guide_once_a_day(guide):
    factories.task(slug="cancel")
    client = reader()
    page = client.get(request_url()).content.decode()
    assert "Ask for this guide" in page and 'method="post"' in page
    response = client.post(request_url(), {})
    assert response["Location"] == request_url() + "?sent=1"
    assert "Thank you" in client.get(response["Location"]).content.decode()
    client.post(request_url(), {})
    reader("198.51.100.1").post(request_url(), {})
    assert GuideRequest.objects.filter(carrier__slug="t-mobile", task__slug="cancel").count() == 2


def test_asking_for_a_guide_that_exists_leads_to_it(guide):
    response = reader().get(request_url(task="pause", language="zh-hans"))
    assert response.status_code == 302 and response["Location"] == guide.get_absolute_url()


def test_asking_for_an_unknown_carrier_or_task_answers_404():
    factories.task(slug="cancel")
    factories.carrier()
    assert reader().get(request_url(carrier="nope")).status_code == 404
    assert reader().get(request_url(task="nope")).status_code == 404


# --- Reads ------------------------------------------------------------------------------------


def test_reads_are_counted_and_rank_the_most_read_tasks_on_the_home_page(guide):
    cancel = factories.task(slug="cancel", name_zh="注销", name_en="Cancel a line", position=0)
    factories.guide(status=PUBLISHED, task_obj=cancel, slug="t-mobile-cancel")
    client = reader()
    for _ in range(3):
        client.get(guide.get_absolute_url())
    Client(HTTP_USER_AGENT="Googlebot/2.1").get(guide.get_absolute_url())
    assert feedback.reads_flush() == 1
    assert GuideReadCount.objects.get(guide=guide).count == 3
    home = client.get("/zh-hans/").content.decode()
    tasks = home[home.index('id="tasks-title"') :]
    assert tasks.index("/zh-hans/tasks/pause/") < tasks.index("/zh-hans/tasks/cancel/")


def test_a_second_flush_adds_to_the_same_day(guide):
    feedback.reads_record(guide.pk, user_agent=BROWSER)
    feedback.reads_flush()
    feedback.reads_record(guide.pk, user_agent=BROWSER)
    feedback.reads_record(guide.pk, user_agent=BROWSER)
    feedback.reads_flush()
    assert GuideReadCount.objects.get(guide=guide).count == 3


# --- Editors ----------------------------------------------------------------------------------


def test_editors_can_read_answers_but_not_change_them(guide, client):
    reader().post(feedback_url(guide), {"helpful": "no"})
    editor = factories.editor()
    client.force_login(editor)
    listing = client.get("/en/admin/kb/guidefeedback/")
    assert listing.status_code == 200
    assert guide.title in listing.content.decode()
    answer = GuideFeedback.objects.get()
    change = client.post(
        reverse("admin:kb_guidefeedback_change", args=[answer.pk]), {"helpful": "on"}
    )
    assert change.status_code == 403
    assert GuideFeedback.objects.get().helpful is False
    index = client.get("/en/admin/").content.decode()
    assert "in the last 30 days" in index


def test_editors_can_list_the_answers_for_one_guide(guide, client):
    other = factories.guide(status=PUBLISHED, title="Other guide")
    reader().post(feedback_url(guide), {"helpful": "no"})
    reader().post(feedback_url(other), {"helpful": "yes"})
    client.force_login(factories.editor())
    changelist = reverse("admin:kb_guidefeedback_changelist")
    html = client.get(f"{changelist}?guide__id__exact={guide.pk}").content.decode()
    assert guide.title in html and "Other guide" not in html
