"""A guide may be for one plan type (prepaid, monthly) or for every plan type: one published guide
per (carrier or country, task, plan type, language), and readers see the variants side by side."""

import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import translation

from kb.models import Guide, PlanType
from kb.search import index
from kb.services import workflow
from kb.views import pagecache
from tests import factories

pytestmark = pytest.mark.django_db
Status = Guide.Status


@pytest.fixture(autouse=True)
def _fresh_pages():
    pagecache.clear()
    yield
    pagecache.clear()


def _published(**kwargs):
    return factories.guide(status=Status.PUBLISHED, **kwargs)


def test_a_prepaid_and_a_monthly_guide_for_the_same_topic_may_both_be_published():
    carrier = factories.carrier()
    _published(carrier_obj=carrier, plan_type=PlanType.PREPAID)
    _published(carrier_obj=carrier, plan_type=PlanType.MONTHLY)
    _published(carrier_obj=carrier, plan_type=PlanType.ALL)
    assert Guide.objects.published().filter(carrier=carrier).count() == 3


def test_database_refuses_two_published_guides_for_the_same_plan_type():
    carrier = factories.carrier()
    _published(carrier_obj=carrier, plan_type=PlanType.PREPAID)
    with pytest.raises(IntegrityError), transaction.atomic():
        _published(carrier_obj=carrier, plan_type=PlanType.PREPAID)


def test_database_refuses_two_countrywide_guides_for_the_same_plan_type():
    country = factories.country("it", name_zh="意大利", name_en="Italy")
    _published(carrier=None, country=country, plan_type=PlanType.PREPAID)
    _published(carrier=None, country=country, plan_type=PlanType.ALL)
    with pytest.raises(IntegrityError), transaction.atomic():
        _published(carrier=None, country=country, plan_type=PlanType.PREPAID)
    assert Guide.objects.filter(carrier__isnull=True).count() == 2


def test_the_same_plan_type_may_be_published_once_per_language():
    carrier = factories.carrier()
    _published(carrier_obj=carrier, plan_type=PlanType.PREPAID, language="zh-hans")
    _published(carrier_obj=carrier, plan_type=PlanType.PREPAID, language="en")


def test_database_refuses_an_unknown_plan_type():
    with pytest.raises(IntegrityError), transaction.atomic():
        factories.guide(plan_type="business")


def test_publishing_a_second_guide_for_the_same_plan_type_is_refused_with_a_message():
    editor, reviewer = factories.editor(), factories.reviewer()
    carrier = factories.carrier()
    first = factories.guide(carrier_obj=carrier, plan_type=PlanType.PREPAID, updated_by=editor)
    workflow.guide_publish(guide=workflow.guide_submit(guide=first, user=editor), user=reviewer)
    monthly = factories.guide(carrier_obj=carrier, plan_type=PlanType.MONTHLY, updated_by=editor)
    workflow.guide_publish(guide=workflow.guide_submit(guide=monthly, user=editor), user=reviewer)
    again = factories.guide(carrier_obj=carrier, plan_type=PlanType.PREPAID, updated_by=editor)
    again = workflow.guide_submit(guide=again, user=editor)
    with pytest.raises(workflow.WorkflowError):
        workflow.guide_publish(guide=again, user=reviewer)


def _url(name, language, **kwargs):
    with translation.override(language):
        return reverse(name, kwargs=kwargs)


@pytest.mark.parametrize(("language", "label"), [("zh-hans", "预付费"), ("en", "Prepaid")])
def test_carrier_page_shows_every_plan_type_variant_with_its_label(client, language, label):
    carrier = factories.carrier()
    task = factories.task()
    prepaid = _published(
        carrier_obj=carrier, task_obj=task, plan_type=PlanType.PREPAID, language=language
    )
    monthly = _published(
        carrier_obj=carrier, task_obj=task, plan_type=PlanType.MONTHLY, language=language
    )
    html = client.get(_url("kb:carrier", language, slug=carrier.slug)).content.decode()
    assert prepaid.get_absolute_url() in html and monthly.get_absolute_url() in html
    assert label in html
    guide_html = client.get(prepaid.get_absolute_url()).content.decode()
    assert label in guide_html


def test_task_page_lists_both_variants_for_a_carrier(client):
    carrier = factories.carrier()
    task = factories.task()
    prepaid = _published(carrier_obj=carrier, task_obj=task, plan_type=PlanType.PREPAID)
    monthly = _published(carrier_obj=carrier, task_obj=task, plan_type=PlanType.MONTHLY)
    html = client.get(_url("kb:task", "zh-hans", slug=task.slug)).content.decode()
    assert prepaid.get_absolute_url() in html and monthly.get_absolute_url() in html


def test_search_results_name_the_plan_type_of_each_variant(client):
    carrier = factories.carrier()
    _published(carrier_obj=carrier, plan_type=PlanType.PREPAID, title="T-Mobile 暂停 预付费")
    _published(carrier_obj=carrier, plan_type=PlanType.MONTHLY, title="T-Mobile 暂停 月结")
    index.rebuild()
    with translation.override("zh-hans"):
        html = client.get(reverse("kb:search"), {"q": "T-Mobile 暂停"}).content.decode()
    assert html.count('class="plan-type"') == 2
    assert "预付费" in html and "月付套餐" in html


def test_guide_page_names_what_is_not_yet_confirmed(client):
    guide = _published(unconfirmed="The fee for a restored line.")
    html = client.get(guide.get_absolute_url()).content.decode()
    assert "The fee for a restored line." in html
