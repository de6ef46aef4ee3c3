""" "Which guide do I need?": three questions on country and carrier pages lead to one guide."""

import pytest
from django.urls import reverse
from django.utils import translation

from kb.models import Guide
from tests import factories

pytestmark = pytest.mark.django_db
PUBLISHED = Guide.Status.PUBLISHED


@pytest.fixture
def line():
    tmobile = factories.carrier("t-mobile", "T-Mobile", "us")
    factories.carrier("verizon", "Verizon", "us")
    tasks = {
        slug: factories.task(slug=slug, name_zh=zh, name_en=en)
        for slug, zh, en in [
            ("pause", "暂停服务", "Pause a line"),
            ("cancel", "注销", "Cancel a line"),
            ("keep-number", "保号", "Keep a number alive"),
            ("renew", "充值续费", "Top up or renew"),
            ("activate-esim", "激活 eSIM", "Activate an eSIM"),
            ("transfer-esim", "转移 eSIM", "Move an eSIM"),
            ("port-out", "转网", "Port a number out"),
        ]
    }

    def published(task, **kwargs):
        return factories.guide(
            status=PUBLISHED,
            carrier_obj=kwargs.pop("carrier", tmobile),
            task_obj=tasks[task],
            slug=kwargs.pop("slug", f"t-mobile-{task}"),
            **kwargs,
        )

    guides = {
        "pause": published("pause"),
        "cancel": published("cancel"),
        "keep-prepaid": published("keep-number", plan_type="prepaid", slug="t-mobile-keep-pre"),
        "keep-monthly": published("keep-number", plan_type="monthly", slug="t-mobile-keep-mon"),
        "transfer": published("transfer-esim"),
        "activate": published("activate-esim"),
    }
    return tmobile, guides


def answer(client, language="zh-hans", **params):
    with translation.override(language):
        url = reverse("kb:choose")
    return client.get(url, params)


def chosen(response):
    html = response.content.decode()
    start = html.index('class="chooser-answer"')
    return html[start : html.index("</section>", start)]


def test_carrier_page_asks_the_three_questions_in_a_plain_get_form(client, line):
    with translation.override("zh-hans"):
        html = client.get(reverse("kb:carrier", kwargs={"slug": "t-mobile"})).content.decode()
    form = html[html.index('class="chooser-form"') - 60 :]
    form = form[: form.index("</form>")]
    assert 'method="get"' in form and 'action="/zh-hans/choose/"' in form
    assert 'type="hidden" name="carrier" value="t-mobile"' in form
    for name in ("goal", "plan", "sim"):
        assert f'name="{name}"' in form
    assert "你想保留这个号码吗？" in form and "<script" not in form


def test_country_page_asks_which_carrier_too(client, line):
    with translation.override("en"):
        html = client.get(reverse("kb:country", kwargs={"slug": "us"})).content.decode()
    assert '<select class="form-select" name="carrier"' in html
    assert '<option value="verizon"' in html and '<option value="t-mobile"' in html


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"goal": "end"}, "cancel"),
        ({"goal": "keep", "plan": "prepaid"}, "keep-prepaid"),
        ({"goal": "keep", "plan": "monthly"}, "keep-monthly"),
        ({"goal": "phone", "sim": "esim"}, "transfer"),
        ({"goal": "phone", "sim": "physical"}, "activate"),
    ],
)
def test_the_answers_lead_to_the_one_guide(client, line, params, expected):
    _, guides = line
    response = answer(client, carrier="t-mobile", **params)
    assert response.status_code == 200
    assert guides[expected].get_absolute_url() in chosen(response)


def test_a_monthly_line_to_keep_gets_the_pause_guide_when_there_is_no_keep_guide(client, line):
    _, guides = line
    guides["keep-monthly"].delete()
    response = answer(client, carrier="t-mobile", goal="keep", plan="monthly")
    assert guides["pause"].get_absolute_url() in chosen(response)


def test_no_guide_yet_offers_to_ask_for_it(client, line):
    response = answer(client, "en", carrier="t-mobile", goal="move")
    part = chosen(response)
    assert "No guide yet for this case" in part
    assert 'href="/en/request/t-mobile/port-out/"' in part


def test_drafts_are_never_chosen(client, line):
    _, guides = line
    Guide.objects.filter(pk=guides["cancel"].pk).update(status=Guide.Status.DRAFT)
    part = chosen(answer(client, carrier="t-mobile", goal="end"))
    assert guides["cancel"].get_absolute_url() not in part
    assert "/request/t-mobile/cancel/" in part


@pytest.mark.parametrize(
    "params",
    [{"carrier": "nope", "goal": "end"}, {"carrier": "t-mobile", "goal": "<b>"}, {"x": "1"}],
)
def test_bad_answers_get_the_form_back_with_a_message(client, line, params):
    response = answer(client, "en", **params)
    assert response.status_code == 400
    html = response.content.decode()
    assert "Please answer the questions below." in html
    assert "<b>" not in html.split("<main", 1)[-1]
