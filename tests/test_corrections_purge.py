"""`purge_personal_data`: emails once resolved and notified, everything personal after N days."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from kb import ratelimit
from kb.models import ClientHashKey, Correction, CorrectionEvent, Guide
from tests import factories

pytestmark = pytest.mark.django_db

Status = Correction.Status


@pytest.fixture
def guide():
    return factories.guide(status=Guide.Status.PUBLISHED)


def make(guide, code, *, days_old=1, **fields):
    defaults = {
        "guide": guide,
        "kind": "wrong",
        "proposed_text": f"text {code}",
        "language": "zh-hans",
        "email": f"{code.lower()}@example.com",
        "client_hash": code[0] * 64,
        "code": code,
        "created_at": timezone.now() - timedelta(days=days_old),
    }
    defaults.update(fields)
    return Correction.objects.create(**defaults)


def purge(*args):
    out = StringIO()
    call_command("purge_personal_data", *args, stdout=out)
    return out.getvalue()


def test_purge_erases_what_is_no_longer_needed(guide, settings):
    settings.KB_PERSONAL_DATA_DAYS = 90
    now = timezone.now()
    waiting = make(guide, "AAAA2222")
    accepted = make(guide, "BBBB2222", status=Status.ACCEPTED)
    published_told = make(guide, "CCCC2222", status=Status.PUBLISHED, notified_at=now)
    rejected_untold = make(guide, "DDDD2222", status=Status.REJECTED)
    rejected_told = make(guide, "EEEE2222", status=Status.REJECTED, notified_at=now)
    spam_flagged = make(guide, "FFFF2222", status=Status.SPAM)
    spam_confirmed = make(guide, "GGGG2222", status=Status.SPAM, decided_at=now)
    ancient = make(guide, "HHHH2222", days_old=91)

    output = purge()

    def email(c):
        c.refresh_from_db()
        return c.email

    assert email(waiting) and email(accepted) and email(rejected_untold) and email(spam_flagged)
    assert email(published_told) == email(rejected_told) == email(spam_confirmed) == ""
    assert email(ancient) == "" and ancient.client_hash == ""
    assert waiting.client_hash == "A" * 64
    assert ancient.personal_data_purged_at is not None
    assert "Erased 4 email(s), 1 sender key(s)" in output
    assert CorrectionEvent.objects.filter(correction=ancient, action="purged").count() == 2


def test_purge_deletes_old_period_keys(guide, settings):
    settings.KB_PERSONAL_DATA_DAYS = 90
    settings.KB_CLIENT_HASH_ROTATE_DAYS = 7
    current = ratelimit.current_period()
    for period in (current, current - 5, current - 12, current - 14, current - 30):
        ClientHashKey.objects.create(period=period, salt="x" * 64)
    purge()
    kept = set(ClientHashKey.objects.values_list("period", flat=True))
    assert kept == {current, current - 5, current - 12}


def test_dry_run_changes_nothing(guide):
    make(guide, "AAAA3333", days_old=200)
    output = purge("--dry-run")
    assert "Would erase 1 email(s), 1 sender key(s)" in output
    assert Correction.objects.get().email == "aaaa3333@example.com"


def test_days_option_overrides_the_setting(guide):
    make(guide, "AAAA4444", days_old=10)
    purge("--days", "30")
    assert Correction.objects.get().email
    purge("--days", "5")
    assert Correction.objects.get().email == ""


def test_bad_days_is_one_clear_error(guide):
    with pytest.raises(CommandError, match="--days must be at least 1"):
        purge("--days", "0")


def test_purge_output_never_shows_an_email(guide):
    make(guide, "AAAA5555", days_old=200)
    assert "@" not in purge()
