"""The "did this work?" reader key: made with the sender keys' rotating salt, erased by
purge_personal_data, and still one answer per reader and day."""

from datetime import UTC, date, datetime, timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation

from kb import ratelimit
from kb.models import ClientHashKey, GuideFeedback, GuideRequest
from kb.services import feedback
from kb.services.corrections import personal_data_purge
from tests import factories
from tests.public_data import published_pair

pytestmark = pytest.mark.django_db

BROWSER = "Mozilla/5.0 (Linux; Android 14) Mobile Safari/537.36"
ADDRESS = "203.0.113.7"


def _feedback_url(guide):
    with translation.override(guide.language):
        return reverse("kb:guide_feedback", kwargs={"slug": guide.slug})


def _noon(day):
    return datetime(day.year, day.month, day.day, 12, tzinfo=UTC).timestamp()


def test_the_same_reader_answering_twice_the_same_day_is_one_answer():
    guide = published_pair()[0]
    client = Client(REMOTE_ADDR=ADDRESS, HTTP_USER_AGENT=BROWSER)
    client.post(_feedback_url(guide), {"helpful": "yes"})
    client.post(_feedback_url(guide), {"helpful": "no"})
    other = Client(REMOTE_ADDR="198.51.100.9", HTTP_USER_AGENT=BROWSER)
    other.post(_feedback_url(guide), {"helpful": "yes"})
    answers = GuideFeedback.objects.filter(guide=guide)
    assert answers.count() == 2
    today = feedback.reader_key(address=ADDRESS, user_agent=BROWSER)
    assert answers.get(voter=today).helpful is False


def test_the_reader_key_is_made_with_the_periods_salt_not_the_secret_key_alone(settings):
    settings.KB_CLIENT_HASH_ROTATE_DAYS = 7
    day = date(2025, 6, 2)
    first = feedback.reader_key(address=ADDRESS, user_agent=BROWSER, day=day)
    assert first == feedback.reader_key(address=ADDRESS, user_agent=BROWSER, day=day)
    period = ratelimit.current_period(_noon(day))
    assert ClientHashKey.objects.filter(period=period).exists()
    ClientHashKey.objects.filter(period=period).update(salt="f" * 64)
    assert feedback.reader_key(address=ADDRESS, user_agent=BROWSER, day=day) != first


def test_once_the_salt_is_purged_an_old_reader_key_cannot_be_made_again(settings):
    settings.KB_CLIENT_HASH_ROTATE_DAYS = 7
    settings.KB_PERSONAL_DATA_DAYS = 30
    long_ago = timezone.localdate() - timedelta(days=60)
    old_key = feedback.reader_key(address=ADDRESS, user_agent=BROWSER, day=long_ago)

    personal_data_purge()

    period = ratelimit.current_period(_noon(long_ago))
    assert not ClientHashKey.objects.filter(period=period).exists()
    # Asking again makes a fresh salt for that period: the old key is not found again.
    assert feedback.reader_key(address=ADDRESS, user_agent=BROWSER, day=long_ago) != old_key


def test_purge_erases_reader_keys_older_than_the_retention_and_keeps_the_counts(settings):
    settings.KB_PERSONAL_DATA_DAYS = 90
    guide = published_pair()[0]
    carrier, task = factories.carrier(), factories.task(slug="cancel")
    now = timezone.now()
    old, recent = now - timedelta(days=91), now - timedelta(days=10)
    for voter, when, helpful in (
        ("old-a", old, True),
        ("old-b", old, False),
        ("new", recent, True),
    ):
        answer = GuideFeedback.objects.create(
            guide=guide, helpful=helpful, voter=voter, language=guide.language
        )
        GuideFeedback.objects.filter(pk=answer.pk).update(created_at=when, updated_at=when)
    for voter, when in (("old-a", old), ("new", recent)):
        asked = GuideRequest.objects.create(carrier=carrier, task=task, language="en", voter=voter)
        GuideRequest.objects.filter(pk=asked.pk).update(created_at=when)

    out = StringIO()
    call_command("purge_personal_data", stdout=out)

    voters = list(GuideFeedback.objects.order_by("voter").values_list("voter", flat=True))
    assert sorted(voters, key=str) == [None, None, "new"]
    assert feedback.counts_for([guide.pk])[guide.pk] == feedback.FeedbackCounts(yes=2, no=1)
    assert set(GuideRequest.objects.values_list("voter", flat=True)) == {"new", None}
    assert "3 reader key(s)" in out.getvalue()
    # The dates stay what the readers did: the purge does not touch them.
    assert set(GuideFeedback.objects.values_list("updated_at", flat=True)) == {old, recent}


def test_a_dry_run_counts_reader_keys_and_erases_none(settings):
    settings.KB_PERSONAL_DATA_DAYS = 90
    guide = published_pair()[0]
    answer = GuideFeedback.objects.create(guide=guide, helpful=True, voter="k", language="en")
    long_ago = timezone.now() - timedelta(days=100)
    GuideFeedback.objects.filter(pk=answer.pk).update(updated_at=long_ago)
    assert personal_data_purge(dry_run=True)["reader_keys"] == 1
    answer.refresh_from_db()
    assert answer.voter == "k"
