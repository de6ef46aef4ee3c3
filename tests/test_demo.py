import re
from io import StringIO

import pytest
import yaml
from django.core.management import call_command
from django.test import override_settings
from django.utils.html import escape

from kb.models import Carrier, Country, Guide, Problem, Source, Step, SupportChannel, Task
from kb.services.demo import DEMO_DIR
from tests.test_demo_content import cited_as_read

GUIDE_FILES = sorted((DEMO_DIR / "guides").glob("*.yaml"))

pytestmark = pytest.mark.django_db

PROMO = re.compile(
    r"t\.me/|telegram|whatsapp|wechat|微信|QQ群|(?<![\w.])@[A-Za-z0-9_]{3,}|!\[|<img|postimg|esim1088",
    re.I,
)


def _load(**kwargs):
    out = StringIO()
    call_command("load_demo", "--no-accounts", stdout=out, **kwargs)
    return out.getvalue()


@pytest.fixture
def demo():
    _load()


def test_catalogue_and_guide_counts(demo):
    assert set(Country.objects.values_list("slug", flat=True)) == {"us", "it", "gb", "hk", "cn"}
    assert set(Carrier.objects.values_list("slug", flat=True)) == {
        "t-mobile",
        "att",
        "verizon",
        "mint-mobile",
        "ultra-mobile",
        "tim",
        "vodafone-it",
        "windtre",
        "iliad",
        "giffgaff",
        "three-uk",
        "cmhk",
        "china-mobile",
        "china-unicom",
        "china-telecom",
    }
    assert set(Task.objects.values_list("slug", flat=True)) == {
        "pause",
        "cancel",
        "renew",
        "activate-esim",
        "transfer-esim",
        "keep-number",
        "port-out",
    }
    files = [yaml.safe_load(path.read_text("utf-8")) for path in GUIDE_FILES]
    published = Guide.objects.published()
    for language in ("zh-hans", "en"):
        expected = {
            d["slug"] for d in files if d["status"] == "published" and d["language"] == language
        }
        assert set(published.filter(language=language).values_list("slug", flat=True)) == expected
    assert Guide.objects.filter(status=Guide.Status.DRAFT).count() == sum(
        d["status"] == "draft" for d in files
    )
    english = published.filter(language="en")
    assert all(g.translation_of and g.translation_of.language == "zh-hans" for g in english)
    assert all(g.translation_of.slug == g.slug for g in english)


def test_demo_corrections_without_accounts_are_received_or_spam(demo):
    from kb.models import Correction

    assert sorted(Correction.objects.values_list("status", flat=True)) == [
        "received",
        "received",
        "received",
        "spam",
    ]
    spam = Correction.objects.get(status="spam")
    assert spam.spam_reasons


def test_every_published_guide_has_real_content(demo):
    for guide in Guide.objects.published():
        assert guide.steps.count() >= 4, guide.slug
        assert guide.problems.count() >= 2, guide.slug
        assert guide.sources.count() >= 1, guide.slug
        assert guide.summary and guide.risk_notes, guide.slug
        assert guide.revisions.count() == 1
        # Unchecked facts stay marked as such; a verified guide has nothing left unconfirmed.
        if guide.last_verified_at is None:
            assert guide.verification_state() == Guide.Verification.UNVERIFIED
        else:
            assert not guide.unconfirmed, guide.slug
        # A guide is marked verified only when every one of its sources carries the date it was read.
        if guide.verification_state() != Guide.Verification.UNVERIFIED:
            assert all(source.accessed_on for source in guide.sources.all()), guide.slug
    for source in Source.objects.all():
        assert cited_as_read(source.url), source.url


def test_every_carrier_has_aliases_and_channels(demo):
    for carrier in Carrier.objects.all():
        assert carrier.alias_list, carrier.slug
        assert carrier.channels.exists(), carrier.slug
    for task in Task.objects.all():
        assert len(task.synonym_list) >= 4, task.slug


def test_no_promotion_anywhere_in_the_demo_content(demo):
    fields = {
        Guide: ("title", "summary", "prerequisites", "risk_notes", "tips"),
        Step: ("title", "body", "tip", "warning"),
        Problem: ("symptom", "cause", "solution"),
        Source: ("url", "title"),
        Carrier: ("aliases", "description_zh", "description_en", "website"),
        SupportChannel: (
            "label_zh",
            "label_en",
            "value",
            "url",
            "hours_zh",
            "hours_en",
            "cost_zh",
            "cost_en",
        ),
    }
    for model, names in fields.items():
        for obj in model.objects.all():
            for name in names:
                value = getattr(obj, name) or ""
                assert not PROMO.search(value), f"{model.__name__}.{name}: {value[:80]}"


def test_every_published_guide_renders(demo, client):
    for guide in Guide.objects.published():
        response = client.get(guide.get_absolute_url())
        assert response.status_code == 200, guide.get_absolute_url()
        assert escape(guide.title) in response.content.decode()


def test_second_run_changes_nothing_and_keeps_editor_changes(demo):
    guide = Guide.objects.get(slug="t-mobile-cancel", language="zh-hans")
    Guide.objects.filter(pk=guide.pk).update(title="编辑改过的标题")
    Carrier.objects.filter(slug="tim").update(website="https://www.tim.it/assistenza")
    counts = {
        model: model.objects.count()
        for model in (Guide, Step, Problem, Source, Carrier, SupportChannel, Task)
    }
    out = _load()
    assert "guides: 0 created" in out
    assert {model: model.objects.count() for model in counts} == counts
    assert Guide.objects.get(pk=guide.pk).title == "编辑改过的标题"
    assert Carrier.objects.get(slug="tim").website == "https://www.tim.it/assistenza"


@override_settings(DEBUG=False)
def test_no_accounts_with_debug_off():
    from django.contrib.auth.models import User

    out = StringIO()
    call_command("load_demo", stdout=out)
    assert "none created" in out.getvalue()
    assert not User.objects.exists()


def test_demo_accounts_with_debug_on(tmp_path, settings):
    from django.contrib.auth.models import User

    settings.DEBUG = True
    settings.VAR_DIR = tmp_path
    out = StringIO()
    call_command("load_demo", stdout=out)
    logins = dict(re.findall(r"login: (\S+) / (\S+)", out.getvalue()))
    assert set(logins) == {"demo-editor", "demo-reviewer"}
    editor = User.objects.get(username="demo-editor")
    assert (
        editor.check_password(logins["demo-editor"])
        and editor.groups.filter(name="Editors").exists()
    )
    assert User.objects.get(username="demo-reviewer").groups.filter(name="Reviewers").exists()
    again = StringIO()
    call_command("load_demo", stdout=again)
    assert dict(re.findall(r"login: (\S+) / (\S+)", again.getvalue())) == logins
    # The demo queue has work in every state, decided by the demo reviewer through the services.
    from kb.models import Correction

    statuses = sorted(Correction.objects.values_list("status", flat=True))
    assert statuses == ["accepted", "received", "rejected", "spam"]
    accepted = Correction.objects.get(status="accepted")
    assert Guide.objects.filter(draft_of=accepted.guide).exists()
    assert "corrections: 0 created" in again.getvalue()


def test_broken_demo_data_fails_with_one_line_per_problem(tmp_path):
    from kb.services.demo import DemoDataError, load_demo

    (tmp_path / "guides").mkdir()
    (tmp_path / "catalogue.yaml").write_text("countries: [", encoding="utf-8")
    (tmp_path / "guides" / "x.zh-hans.yaml").write_text("key: x\n", encoding="utf-8")
    with pytest.raises(DemoDataError) as error:
        load_demo(tmp_path)
    assert len(error.value.problems) == 2
    assert not Guide.objects.exists()


def _guide_yaml(key, plan_type):
    return (
        f"key: {key}\nlanguage: zh-hans\nstatus: published\ncarrier: t-mobile\ncountry: us\n"
        f"task: pause\nplan_type: {plan_type}\ntitle: 标题 {key}\nslug: {key}\nsummary: 摘要。\n"
        "steps:\n  - title: 一\n    body: 做一件事。\n"
    )


def test_a_demo_guide_names_its_plan_type_and_an_unknown_one_is_one_clear_problem(tmp_path):
    import shutil

    from kb.services.demo import DemoDataError, load_demo

    shutil.copy(DEMO_DIR / "catalogue.yaml", tmp_path / "catalogue.yaml")
    guides = tmp_path / "guides"
    guides.mkdir()
    (guides / "a.zh-hans.yaml").write_text(_guide_yaml("a-prepaid", "prepaid"), encoding="utf-8")
    (guides / "b.zh-hans.yaml").write_text(_guide_yaml("b-monthly", "monthly"), encoding="utf-8")
    load_demo(tmp_path)
    assert dict(Guide.objects.values_list("slug", "plan_type")) == {
        "a-prepaid": "prepaid",
        "b-monthly": "monthly",
    }
    (guides / "c.zh-hans.yaml").write_text(_guide_yaml("c-other", "business"), encoding="utf-8")
    with pytest.raises(DemoDataError) as error:
        load_demo(tmp_path)
    assert error.value.problems == [
        "c.zh-hans.yaml: ValueError: plan_type 'business' is not one of all, prepaid, monthly"
    ]
    assert not Guide.objects.filter(slug="c-other").exists()
