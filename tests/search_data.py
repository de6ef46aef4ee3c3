"""A small catalogue for the search tests (tests/test_search*.py): four carriers in three
countries, four tasks with synonyms in Chinese, Traditional Chinese, English and Italian."""

from types import SimpleNamespace

from django.utils import timezone

from kb import caching
from kb.models import Guide, Problem, Step
from kb.search import index
from tests import factories

PUBLISHED = Guide.Status.PUBLISHED


def catalogue():
    us = factories.country("us", name_zh="美国", name_en="United States")
    it = factories.country("it", name_zh="意大利", name_en="Italy")
    gb = factories.country("gb", name_zh="英国", name_en="United Kingdom")
    carriers = SimpleNamespace(
        tmobile=factories.carrier(
            "t-mobile", "T-Mobile", "us", aliases="Tmobile\nT-Mo\nTMO\nT家\nT~M"
        ),
        verizon=factories.carrier("verizon", "Verizon", "us", aliases="Verizon Wireless\nVZW"),
        tim=factories.carrier("tim", "TIM", "it", aliases="Telecom Italia", name_zh="意大利电信"),
        iliad=factories.carrier("iliad", "iliad", "it", aliases="Iliad Italia"),
        giffgaff=factories.carrier("giffgaff", "giffgaff", "gb", aliases="GG\nGG卡"),
    )
    tasks = SimpleNamespace(
        cancel=factories.task(
            "cancel",
            name_zh="注销线路",
            name_en="Cancel a line",
            synonyms="注销\n销号\n销户\n註銷\ncancel\ncancellation\ndisdetta",
        ),
        pause=factories.task(
            "pause",
            name_zh="暂停服务",
            name_en="Pause a line",
            synonyms="暂停\n停机\n暫停\nsuspend\npause\nhold",
        ),
        renew=factories.task(
            "renew",
            name_zh="充值续费",
            name_en="Top up or renew",
            synonyms="续费\n充值\n續費\ntop up\nrecharge\nricarica",
        ),
        keep=factories.task(
            "keep-number",
            name_zh="保号",
            name_en="Keep a number alive",
            synonyms="保号\n停机保号\n保號\nkeep number",
        ),
    )
    caching.bump_content_version()
    caching.bump_tags([caching.CATALOGUE])
    return SimpleNamespace(us=us, it=it, gb=gb, carriers=carriers, tasks=tasks)


def published(carrier, task, *, language="zh-hans", title=None, summary=None, steps=None, **kw):
    """A published guide, indexed as the publishing service would."""
    title = title or (
        f"人在国外如何{task.name_zh} {carrier.name}"
        if language == "zh-hans"
        else f"How to {task.name_en.lower()} with {carrier.name} from abroad"
    )
    guide = factories.guide(
        status=PUBLISHED,
        carrier_obj=carrier,
        task_obj=task,
        language=language,
        title=title,
        slug=kw.pop("slug", f"{carrier.slug}-{task.slug}"),
        summary=summary
        or ("本指南说明具体做法。" if language == "zh-hans" else "What to do, step by step."),
        steps=0,
        problems=0,
        last_verified_at=kw.pop("last_verified_at", timezone.now()),
        **kw,
    )
    for position, (step_title, body) in enumerate(steps or [("登录", "打开 App。")], 1):
        Step.objects.create(guide=guide, position=position, title=step_title, body=body)
    Problem.objects.create(
        guide=guide, position=1, symptom="收不到验证码？", cause="漫游关闭。", solution="打开漫游。"
    )
    index.update_guide(guide)
    return guide
