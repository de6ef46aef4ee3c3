from django.db.models import Prefetch
from django.http import Http404
from django.shortcuts import get_object_or_404, render
from django.utils.translation import get_language

from kb.models import Carrier, Country, Guide, Task


def _published():
    return Guide.objects.published().select_related("carrier", "country", "task")


def home(request):
    countries = Country.objects.prefetch_related(
        Prefetch("carriers", queryset=Carrier.objects.order_by("name"))
    )
    recent = _published().filter(language=get_language()).order_by("-content_updated_at")[:8]
    return render(
        request,
        "kb/home.html",
        {"countries": countries, "tasks": Task.objects.all(), "recent": recent},
    )


def country_detail(request, slug):
    country = get_object_or_404(Country, slug=slug)
    return render(
        request,
        "kb/country.html",
        {
            "country": country,
            "carriers": country.carriers.all(),
            "guides": _published().filter(country=country, carrier__isnull=True),
        },
    )


def carrier_detail(request, slug):
    carrier = get_object_or_404(Carrier.objects.select_related("country"), slug=slug)
    guides = {g.task_id: g for g in _published().filter(carrier=carrier, language=get_language())}
    matrix = [(task, guides.get(task.pk)) for task in Task.objects.all()]
    return render(
        request,
        "kb/carrier.html",
        {"carrier": carrier, "channels": carrier.channels.all(), "matrix": matrix},
    )


def task_detail(request, slug):
    task = get_object_or_404(Task, slug=slug)
    return render(
        request,
        "kb/task.html",
        {"task": task, "guides": _published().filter(task=task, language=get_language())},
    )


def guide_detail(request, slug):
    guide = (
        _published()
        .filter(slug=slug, language=get_language())
        .prefetch_related("steps", "problems", "sources")
        .first()
    )
    if guide is None:
        raise Http404
    return render(request, "kb/guide.html", {"guide": guide})
