"""Small builders for test data: valid objects with the fewest arguments."""

import itertools

from django.contrib.auth.models import Group, User
from django.utils import timezone

from kb.models import Carrier, Country, Guide, Problem, Step, Task

_seq = itertools.count(1)


def country(slug="us", **kwargs):
    obj, _ = Country.objects.get_or_create(
        slug=slug,
        defaults={
            "name_zh": kwargs.pop("name_zh", "美国"),
            "name_en": kwargs.pop("name_en", "United States"),
            **kwargs,
        },
    )
    return obj


def carrier(slug="t-mobile", name="T-Mobile", country_slug="us", aliases="Tmobile\nTMO", **kwargs):
    obj, _ = Carrier.objects.get_or_create(
        slug=slug,
        defaults={"name": name, "country": country(country_slug), "aliases": aliases, **kwargs},
    )
    return obj


def task(
    slug="cancel", name_zh="注销", name_en="Cancel a line", synonyms="注销\n销号\ncancel", **kwargs
):
    obj, _ = Task.objects.get_or_create(
        slug=slug, defaults={"name_zh": name_zh, "name_en": name_en, "synonyms": synonyms, **kwargs}
    )
    return obj


def user(username=None, *, groups=(), superuser=False, **kwargs):
    username = username or f"user{next(_seq)}"
    if superuser:
        return User.objects.create_superuser(username, f"{username}@example.com", "pw-not-used-123")
    obj = User.objects.create_user(username, password="pw-not-used-123", is_staff=True, **kwargs)
    for name in groups:
        obj.groups.add(Group.objects.get(name=name))
    return obj


def editor(username=None):
    return user(username, groups=["Editors"])


def reviewer(username=None):
    return user(username, groups=["Reviewers"])


def guide(
    *,
    steps=3,
    problems=1,
    status=Guide.Status.DRAFT,
    language="zh-hans",
    carrier_obj=None,
    task_obj=None,
    **kwargs,
):
    carrier_obj = carrier_obj if carrier_obj is not None else carrier()
    task_obj = task_obj or task()
    n = next(_seq)
    defaults = {
        "carrier": carrier_obj,
        "country": carrier_obj.country if carrier_obj else country(),
        "task": task_obj,
        "language": language,
        "title": f"测试指南 {n}",
        "slug": f"guide-{n}",
        "summary": "这是一份测试指南。",
        "status": status,
    }
    if status == Guide.Status.PUBLISHED:
        defaults["published_at"] = defaults["content_updated_at"] = timezone.now()
    defaults.update(kwargs)
    obj = Guide.objects.create(**defaults)
    for position in range(1, steps + 1):
        Step.objects.create(
            guide=obj, position=position, title=f"第 {position} 步", body=f"做第 {position} 件事。"
        )
    for position in range(1, problems + 1):
        Problem.objects.create(
            guide=obj,
            position=position,
            symptom="收不到验证码？",
            cause="漫游关闭。",
            solution="打开漫游。",
        )
    return obj
