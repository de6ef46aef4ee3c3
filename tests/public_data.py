"""Test data for the public-site tests (tests/test_public*.py and tests/browser/)."""

from datetime import date, timedelta

from django.utils import timezone

from kb.models import Guide, GuideRevision, Problem, Source, SupportChannel
from tests import factories

PUBLISHED = Guide.Status.PUBLISHED


def carrier_with_channels(**kwargs):
    carrier = factories.carrier(
        website="https://www.t-mobile.com",
        aliases="Tmobile\nT-Mo\nT家",
        description_zh="美国三大运营商之一。",
        description_en="One of the three big US carriers.",
        **kwargs,
    )
    SupportChannel.objects.get_or_create(
        carrier=carrier,
        position=1,
        defaults={
            "kind": SupportChannel.Kind.PHONE,
            "label_zh": "海外拨打客服",
            "label_en": "Customer care from abroad",
            "value": "+1 505 998 3793",
            "hours_zh": "每天 24 小时",
            "hours_en": "24 hours a day",
            "cost_zh": "用 T-Mobile 手机漫游拨打免费",
            "cost_en": "Free from a T-Mobile phone while roaming",
        },
    )
    return carrier


def published_pair(*, carrier=None, task=None, slug="t-mobile-pause", steps=3, **kwargs):
    """A published Chinese guide with every part filled in, and its English translation."""
    carrier = carrier if carrier is not None else carrier_with_channels()
    task = task or factories.task(slug="pause", name_zh="暂停服务", name_en="Pause a line")
    now = timezone.now()
    zh = factories.guide(
        status=PUBLISHED,
        carrier_obj=carrier,
        task_obj=task,
        slug=slug,
        title="人在国外如何暂停 T-Mobile 线路",
        summary="暂停线路可以保留号码，少交月费。",
        prerequisites="- 账户 PIN\n- 能接收短信的手机",
        time_needed="约 15 分钟",
        risk_notes="暂停期间**无法接收验证码**。",
        tips="- 记下客服的名字",
        irreversible=False,
        steps=steps,
        problems=2,
        **kwargs,
    )
    zh.steps.filter(position=1).update(tip_html="<p>先备份联系人。</p>")
    zh.steps.filter(position=2).update(warning_html="<p>不要删除 eSIM。</p>")
    Problem.objects.filter(guide=zh, position=2).update(symptom="客服说不能暂停？")
    Source.objects.create(
        guide=zh,
        position=1,
        url="https://www.t-mobile.com/support/pause",
        title="T-Mobile – Pause service",
        accessed_on=date(2025, 5, 1),
    )
    GuideRevision.objects.create(guide=zh, number=1, note="首次发布", data={}, created_at=now)
    en = factories.guide(
        status=PUBLISHED,
        carrier_obj=carrier,
        task_obj=task,
        language="en",
        translation_of=zh,
        slug=slug,
        title="How to pause a T-Mobile line from abroad",
        summary="Pausing keeps your number for less money.",
        steps=steps,
        problems=1,
    )
    GuideRevision.objects.create(
        guide=en, number=1, note="First published", data={}, created_at=now
    )
    return zh, en


def verify(guide, *, days_ago=0, reverify_days=180, name="Lin"):
    user = factories.user(first_name=name)
    verified_at = timezone.now() - timedelta(days=days_ago)
    Guide.objects.filter(pk=guide.pk).update(
        last_verified_at=verified_at,
        last_verified_by=user,
        reverify_days=reverify_days,
        verification_due_at=verified_at + timedelta(days=reverify_days),
    )
    guide.refresh_from_db()
    return guide
