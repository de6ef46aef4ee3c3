"""The reader's correction form, the thank-you page and the public status page."""

import time

import pytest
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext

from kb.models import Correction, Guide
from kb.services import spam
from tests import factories

pytestmark = pytest.mark.django_db

HOSTILE = (
    '<script>alert("x")</script><img src=x onerror="alert(1)"><a href="javascript:alert(2)">go</a>'
)


@pytest.fixture(autouse=True)
def _no_limits(settings):
    settings.KB_CORRECTION_RATE = "0"
    settings.KB_CORRECTION_GUIDE_RATE = "0"
    settings.KB_CORRECTION_MIN_SECONDS = 3


@pytest.fixture
def guide():
    return factories.guide(status=Guide.Status.PUBLISHED, steps=3)


def form_data(guide, step_obj=None, **overrides):
    data = {
        "kind": "outdated",
        "step": str(step_obj.pk) if step_obj is not None else "",
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


def other_guide():
    renew = factories.task("renew", name_zh="续约", name_en="Renew", synonyms="")
    return factories.guide(status=Guide.Status.PUBLISHED, task_obj=renew)


def step_url(guide, position=1):
    return guide.get_correction_url(guide.steps.get(position=position))


# --- the form --------------------------------------------------------------------------------
def test_step_link_preselects_the_step_and_prefills_its_text(client, guide):
    step = guide.steps.get(position=2)
    response = client.get(guide.get_correction_url(step))
    assert response.status_code == 200
    html = response.content.decode()
    assert f'<option value="{step.pk}" selected>' in html
    assert "做第 2 件事。</textarea>" in html
    assert 'name="website"' in html and 'class="d-none"' in html
    assert response["Cache-Control"].startswith("max-age=0")


def test_form_is_in_the_readers_language(client):
    guide_en = factories.guide(status=Guide.Status.PUBLISHED, language="en")
    response = client.get(guide_en.get_correction_url())
    assert response.status_code == 200
    assert 'lang="en"' in response.content.decode()
    assert "What is wrong" in response.content.decode()


def test_valid_report_is_stored_and_the_reader_sees_a_reference_code(client, guide):
    step = guide.steps.get(position=1)
    data = form_data(
        guide,
        step,
        evidence_url="https://www.t-mobile.com/support/pause",
        tried_on="2025-01-15",
        plan_type="prepaid",
        email="reader@example.com",
    )
    response = client.post(step_url(guide), data)
    correction = Correction.objects.get()
    assert response.status_code == 302
    assert response["Location"] == correction.get_thanks_url()
    assert correction.status == Correction.Status.RECEIVED
    assert correction.step_position == 1
    assert correction.current_text == "做第 1 件事。"
    assert correction.email == "reader@example.com"
    assert correction.language == "zh-hans"
    assert correction.client_hash and "127.0.0.1" not in correction.client_hash
    thanks = client.get(response["Location"])
    html = thanks.content.decode()
    assert correction.display_code in html
    assert correction.get_absolute_url() in html
    status = client.get(correction.get_absolute_url())
    assert status.status_code == 200
    assert 'data-state="received"' in status.content.decode()


def test_report_about_the_whole_guide_needs_no_step(client, guide):
    response = client.post(guide.get_correction_url(), form_data(guide, kind="other"))
    assert response.status_code == 302
    assert Correction.objects.get().step_position is None


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"proposed_text": "   "}, "proposed_text"),
        ({"proposed_text": "长" * 5001}, "proposed_text"),
        ({"proposed_text": "做第 1 件事。"}, "proposed_text"),
        ({"proposed_text": "  做第 1  件事。\r\n"}, "proposed_text"),
        ({"proposed_text": "\x00\x00 \x00"}, "proposed_text"),
        ({"evidence_url": "not a url"}, "evidence_url"),
        ({"evidence_url": "javascript:alert(1)"}, "evidence_url"),
        ({"evidence_url": "ftp://example.com/x"}, "evidence_url"),
        ({"email": "nobody"}, "email"),
        ({"email": "a\x00@example.com"}, "email"),
        ({"kind": "nonsense"}, "kind"),
        ({"kind": "outdated\x00"}, "kind"),
        ({"tried_on": "2999-01-01"}, "tried_on"),
        ({"tried_on": "1999-12-31"}, "tried_on"),
        ({"tried_on": "yesterday"}, "tried_on"),
        ({"plan_type": "platinum"}, "plan_type"),
        ({"step": "999999"}, "step"),
        ({"step": "1\x00"}, "step"),
    ],
)
def test_invalid_input_is_answered_on_the_form_and_nothing_is_stored(
    client, guide, overrides, field
):
    data = form_data(guide, guide.steps.get(position=1), **overrides)
    response = client.post(step_url(guide), data)
    assert response.status_code == 400
    assert field in response.context["form"].errors
    assert not Correction.objects.exists()


def test_a_nul_character_in_the_text_is_dropped_and_the_correction_stored(client, guide):
    """A NUL is invisible to the reader: refusing the post for it would give a message nobody
    can act on, so it is dropped and the rest is kept."""
    data = form_data(guide, guide.steps.get(position=1), proposed_text="新的\x00文字")
    response = client.post(step_url(guide), data)
    assert response.status_code == 302
    assert Correction.objects.get().proposed_text == "新的文字"


def test_a_step_of_another_guide_is_refused(client, guide):
    other = other_guide()
    foreign_step = other.steps.get(position=1)
    response = client.post(step_url(guide), form_data(guide, foreign_step, proposed_text="新内容"))
    assert response.status_code == 400
    assert "step" in response.context["form"].errors
    assert not Correction.objects.exists()


def test_validation_keeps_what_the_reader_typed(client, guide):
    data = form_data(
        guide, guide.steps.get(position=1), proposed_text="我改过的文字 & more", email="bad"
    )
    response = client.post(step_url(guide), data)
    html = response.content.decode()
    assert response.status_code == 400
    assert "我改过的文字 &amp; more</textarea>" in html
    assert 'value="bad"' in html


def test_validation_messages_in_english(client):
    guide_en = factories.guide(status=Guide.Status.PUBLISHED, language="en")
    step = guide_en.steps.get(position=1)
    data = form_data(guide_en, step, proposed_text=step.body, evidence_url="nope", kind="")
    response = client.post(guide_en.get_correction_url(step), data)
    html = response.content.decode()
    assert "This field is required." in html
    assert "Enter a valid URL." in html
    assert "This is the step as it is now: change the text to say what is right." in html


def test_validation_messages_in_chinese(client, guide):
    step = guide.steps.get(position=1)
    data = form_data(guide, step, proposed_text=step.body, evidence_url="nope", kind="")
    response = client.post(step_url(guide), data)
    html = response.content.decode()
    assert "这个字段是必填项。" in html
    assert "输入一个有效的 URL。" in html
    with translation.override("zh-hans"):
        unchanged = gettext("This is the step as it is now: change the text to say what is right.")
    assert unchanged in html


@pytest.mark.parametrize(
    "make_url",
    [
        lambda g: reverse("kb:correction", kwargs={"slug": "no-such-guide"}),
        lambda g: reverse("kb:correction_step", kwargs={"slug": g.slug, "position": 99}),
        lambda g: f"/en/guides/{g.slug}/correction/",
    ],
)
def test_missing_guide_or_step_is_a_404(client, guide, make_url):
    with translation.override("zh-hans"):
        url = make_url(guide)
    assert client.get(url).status_code == 404
    assert client.post(url, form_data(guide)).status_code == 404


@pytest.mark.parametrize(
    "status", [Guide.Status.DRAFT, Guide.Status.IN_REVIEW, Guide.Status.ARCHIVED]
)
def test_unpublished_guide_takes_no_reports(client, status):
    draft = factories.guide(status=status, published_at=None)
    if status == Guide.Status.ARCHIVED:
        Guide.objects.filter(pk=draft.pk).update(published_at=draft.created_at)
    assert client.get(draft.get_correction_url()).status_code == 404
    assert client.post(draft.get_correction_url(), form_data(draft)).status_code == 404
    assert not Correction.objects.exists()


def test_pending_copy_takes_no_reports(client, guide):
    factories.guide(status=Guide.Status.DRAFT, draft_of=guide, slug=guide.slug)
    response = client.post(guide.get_correction_url(), form_data(guide))
    assert response.status_code == 302
    assert Correction.objects.get().guide_id == guide.pk


# --- spam defences as the reader meets them --------------------------------------------------
def test_honeypot_is_stored_as_spam_behind_the_same_thank_you_page(client, guide):
    response = client.post(
        step_url(guide),
        form_data(guide, guide.steps.get(position=1), website="http://spam.example"),
    )
    correction = Correction.objects.get()
    assert response.status_code == 302
    assert response["Location"] == correction.get_thanks_url()
    assert correction.status == Correction.Status.SPAM
    assert "honeypot" in {r["rule"] for r in correction.spam_reasons}
    status = client.get(correction.get_absolute_url()).content.decode()
    assert 'data-state="received"' in status


@pytest.mark.parametrize(
    ("token", "rule"),
    [
        (lambda g: spam.form_token(g.pk), "too_fast"),
        (lambda g: spam.form_token(g.pk, now=time.time() - 3 * 24 * 3600), "too_old"),
        (lambda g: spam.form_token(g.pk, now=time.time() - 60)[:-2] + "xx", "bad_token"),
        (lambda g: spam.form_token(g.pk + 1000, now=time.time() - 60), "bad_token"),
        (lambda g: "", "bad_token"),
        (lambda g: "\x00" * 20, "bad_token"),
    ],
)
def test_suspicious_timing_or_token_is_kept_as_spam(client, guide, token, rule):
    data = form_data(guide, guide.steps.get(position=1), started=token(guide))
    response = client.post(step_url(guide), data)
    correction = Correction.objects.get()
    assert response.status_code == 302
    assert correction.status == Correction.Status.SPAM
    assert rule in {r["rule"] for r in correction.spam_reasons}


def test_promo_text_from_the_seeds_is_kept_as_spam(client, guide):
    text = "记得关注[TG💪+ @esim1088](https://t.me/s/esim1088)，获取更多实用资讯！"
    response = client.post(
        step_url(guide), form_data(guide, guide.steps.get(position=1), proposed_text=text)
    )
    correction = Correction.objects.get()
    assert response.status_code == 302
    assert correction.status == Correction.Status.SPAM
    assert {"messenger_link", "messenger_handle"} <= {r["rule"] for r in correction.spam_reasons}


def statuses():
    return list(Correction.objects.order_by("pk").values_list("status", flat=True))


def limited():
    return [
        c.pk
        for c in Correction.objects.order_by("pk")
        if {"rule": "rate_limited", "match": "sender"} in c.spam_reasons
        or {"rule": "rate_limited", "match": "guide"} in c.spam_reasons
    ]


def test_a_post_over_the_limit_is_stored_as_limited_and_thanked_like_any_other(
    client, guide, settings
):
    settings.KB_CORRECTION_RATE = "2/h"
    step = guide.steps.get(position=1)
    for n in range(2):
        data = form_data(guide, step, proposed_text=f"第 {n} 次修改")
        assert client.post(step_url(guide), data).status_code == 302
    response = client.post(step_url(guide), form_data(guide, step, proposed_text="第三次的文字"))
    third = Correction.objects.order_by("pk").last()
    assert response.status_code == 302
    assert response["Location"] == third.get_thanks_url()
    assert third.proposed_text == "第三次的文字"
    assert third.status == Correction.Status.SPAM
    assert third.spam_reasons == [{"rule": "rate_limited", "match": "sender"}]
    thanks = client.get(response["Location"]).content.decode()
    assert third.display_code in thanks


def test_rotating_forwarded_for_from_an_untrusted_peer_gets_no_fresh_budget(
    client, guide, settings
):
    settings.KB_CORRECTION_RATE = "5/h"
    settings.KB_TRUSTED_PROXIES = ["10.0.0.0/8"]  # a proxy exists, but this peer is not it
    step = guide.steps.get(position=1)
    for n in range(8):
        response = client.post(
            step_url(guide),
            form_data(guide, step, proposed_text=f"第 {n} 次"),
            REMOTE_ADDR="203.0.113.50",
            HTTP_X_FORWARDED_FOR=f"198.51.100.{n}",
        )
        assert response.status_code == 302
    assert statuses().count(Correction.Status.RECEIVED) == 5
    assert len(limited()) == 3


def test_spoofed_forwarded_for_does_not_get_around_the_rate_limit(client, guide, settings):
    settings.KB_CORRECTION_RATE = "1/h"
    settings.KB_TRUSTED_PROXIES = []  # no proxy in front: X-Forwarded-For is the client's
    step = guide.steps.get(position=1)
    assert (
        client.post(step_url(guide), form_data(guide, step, proposed_text="一")).status_code == 302
    )
    for n, fake in enumerate(("1.2.3.4", "5.6.7.8, 9.9.9.9", "garbage")):
        client.post(
            step_url(guide),
            form_data(guide, step, proposed_text=f"再来 {n}"),
            HTTP_X_FORWARDED_FOR=fake,
        )
    assert statuses().count(Correction.Status.RECEIVED) == 1
    assert len(limited()) == 3


def test_behind_one_proxy_only_the_address_it_appended_counts(client, guide, settings):
    settings.KB_CORRECTION_RATE = "1/h"
    settings.KB_TRUSTED_PROXIES = ["127.0.0.1/32"]
    step = guide.steps.get(position=1)
    client.post(
        step_url(guide),
        form_data(guide, step, proposed_text="一"),
        HTTP_X_FORWARDED_FOR="198.51.100.7",
    )
    # The reader prepends a made-up address; the proxy still appends the real one.
    for n, fake in enumerate(("1.2.3.4", "5.6.7.8")):
        client.post(
            step_url(guide),
            form_data(guide, step, proposed_text=f"再来 {n}"),
            HTTP_X_FORWARDED_FOR=f"{fake}, 198.51.100.7",
        )
    client.post(
        step_url(guide),
        form_data(guide, step, proposed_text="另一位读者"),
        HTTP_X_FORWARDED_FOR="198.51.100.8",
    )
    received = Correction.Status.RECEIVED
    assert statuses() == [received, Correction.Status.SPAM, Correction.Status.SPAM, received]


def test_per_guide_limit_holds_across_senders(client, guide, settings):
    settings.KB_CORRECTION_GUIDE_RATE = "2/h"
    step = guide.steps.get(position=1)
    for n, address in enumerate(("10.0.0.1", "10.0.0.2", "10.0.0.3")):
        response = client.post(
            step_url(guide), form_data(guide, step, proposed_text=f"读者 {n}"), REMOTE_ADDR=address
        )
        assert response.status_code == 302
    assert Correction.objects.order_by("pk").last().spam_reasons == [
        {"rule": "rate_limited", "match": "guide"}
    ]


def test_spam_does_not_use_up_a_guides_budget(client, guide, settings):
    settings.KB_CORRECTION_GUIDE_RATE = "2/h"
    step = guide.steps.get(position=1)
    for n in range(10):
        client.post(
            step_url(guide),
            form_data(guide, step, proposed_text=f"加我 t.me/esim{1000 + n} 代办注销 {n}"),
            REMOTE_ADDR=f"10.0.1.{n}",
        )
    assert statuses() == [Correction.Status.SPAM] * 10
    for n in range(2):
        client.post(
            step_url(guide),
            form_data(guide, step, proposed_text=f"真正的修改 {n}"),
            REMOTE_ADDR=f"10.0.2.{n}",
        )
    assert statuses()[-2:] == [Correction.Status.RECEIVED] * 2


def test_a_broken_cache_counts_the_limit_in_the_database(client, guide, settings, monkeypatch):
    from django.core.cache import cache

    def broken(*args, **kwargs):
        raise ConnectionError("cache down")

    for name in ("add", "incr", "get_many", "get", "set"):
        monkeypatch.setattr(cache, name, broken)
    settings.KB_CORRECTION_RATE = "2/h"
    step = guide.steps.get(position=1)
    for n in range(3):
        response = client.post(step_url(guide), form_data(guide, step, proposed_text=f"第 {n}"))
        assert response.status_code == 302
    assert statuses() == [
        Correction.Status.RECEIVED,
        Correction.Status.RECEIVED,
        Correction.Status.SPAM,
    ]


# --- the status page -------------------------------------------------------------------------
def _correction(guide, **kwargs):
    defaults = {
        "guide": guide,
        "step_position": 1,
        "kind": Correction.Kind.WRONG,
        "proposed_text": "私人电话 +1 555 0100，邮箱 secret@example.com",
        "evidence_url": "https://evidence.example/private",
        "email": "reader-private@example.com",
        "language": "zh-hans",
        "client_hash": "f" * 64,
        "code": "ABCD2345",
    }
    defaults.update(kwargs)
    return Correction.objects.create(**defaults)


def test_status_page_shows_no_personal_data(client, guide):
    correction = _correction(guide)
    html = client.get(correction.get_absolute_url()).content.decode()
    assert "ABCD-2345" in html
    for private in (
        "reader-private@example.com",
        "f" * 64,
        "555 0100",
        "secret@example.com",
        "evidence.example",
    ):
        assert private not in html


@pytest.mark.parametrize(
    ("fields", "state", "text"),
    [
        ({"status": "received"}, "received", None),
        ({"status": "reviewing"}, "reviewing", None),
        ({"status": "accepted"}, "accepted", None),
        ({"status": "spam"}, "received", None),
        (
            {"status": "rejected", "reject_reason": "incorrect"},
            "rejected",
            "The proposed text is not correct",
        ),
    ],
)
def test_status_page_states(client, guide, fields, state, text):
    correction = _correction(guide, **fields)
    with translation.override("en"):
        url = reverse("kb:correction_status", kwargs={"code": correction.code})
    html = client.get(url).content.decode()
    assert f'data-state="{state}"' in html
    if text:
        assert text in html


def test_status_page_escapes_the_editors_note(client, guide):
    correction = _correction(
        guide, status="rejected", reject_reason="unclear", decision_note=HOSTILE
    )
    html = client.get(correction.get_absolute_url()).content.decode()
    assert "<script>alert" not in html and "<img src=x" not in html
    assert "&lt;script&gt;" in html
    assert 'href="javascript:' not in html


def test_codes_are_forgiving_and_unknown_codes_are_404(client, guide):
    correction = _correction(guide)
    with translation.override("zh-hans"):
        messy = reverse("kb:correction_status", kwargs={"code": "abcd-2345"})
        missing = reverse("kb:correction_status", kwargs={"code": "ZZZZ2345"})
        junk = reverse("kb:correction_status", kwargs={"code": "<script>\x00"})
    response = client.get(messy)
    assert response.status_code == 302 and response["Location"] == correction.get_absolute_url()
    assert client.get(missing).status_code == 404
    assert client.get(junk).status_code == 404


def test_public_pages_query_counts(client, guide, django_assert_max_num_queries):
    correction = _correction(guide)
    with django_assert_max_num_queries(6):
        assert client.get(step_url(guide)).status_code == 200
    with django_assert_max_num_queries(4):
        assert client.get(correction.get_absolute_url()).status_code == 200
    with django_assert_max_num_queries(4):
        assert client.get(correction.get_thanks_url()).status_code == 200


def test_hostile_text_is_escaped_when_the_form_is_shown_again(client, guide):
    data = form_data(guide, guide.steps.get(position=1), proposed_text=HOSTILE, email="x")
    html = client.post(step_url(guide), data).content.decode()
    assert "<script>alert" not in html
    assert "&lt;script&gt;alert" in html


def test_the_status_page_is_rate_limited_per_connection(guide, monkeypatch):
    from django.test import Client

    from kb.views import corrections as views

    monkeypatch.setattr(views, "STATUS_RATE", views.ratelimit.Rate(count=3, seconds=3600))
    correction = _correction(guide)
    url = reverse("kb:correction_status", kwargs={"code": correction.code})
    reader = Client(REMOTE_ADDR="203.0.113.70")
    assert [reader.get(url).status_code for _ in range(4)] == [200, 200, 200, 429]
    assert Client(REMOTE_ADDR="198.51.100.70").get(url).status_code == 200
