"""The public pages: home, country, carrier, task and guide, and the readers' two small forms
("did this work?" and "ask for a guide"). Pages are read-only and cached whole (pagecache)."""

import logging
import re

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.db import DatabaseError
from django.db.models import Count, F, Prefetch, Q
from django.http import Http404, HttpResponseForbidden, HttpResponseRedirect, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.text import Truncator
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from kb import ratelimit, selectors
from kb.chooser import chosen_guide
from kb.forms.chooser import ChooserForm
from kb.models import (
    Carrier,
    Country,
    Guide,
    GuideImage,
    GuideRevision,
    Problem,
    Source,
    Step,
    Task,
)
from kb.services import feedback, sourcewatch
from kb.templatetags.kb_public import alternates_for_guide
from kb.traditional import content_language, is_traditional, show_traditional
from kb.views import seo
from kb.views.pagecache import cached_page
from kb.views.public_forms import FeedbackForm, GuideRequestForm, SearchBoxForm

logger = logging.getLogger(__name__)


def _home_crumb():
    return (_("Home"), reverse("kb:home"))


def _page(
    request, template, context, *, tags, status=200, last_modified=None, meta=None, fresh_for=None
):
    """A cached public page; ``tags`` name what it shows (kb/views/pagecache.py)."""
    context["cached_page"] = True
    response = render(request, template, context, status=status)
    response.kb_tags = tags
    response.kb_last_modified = last_modified
    response.kb_meta = meta or {}
    response.kb_fresh_for = fresh_for
    return response


#: Carriers per page on a country page (the home and task pages show selectors.TOP_CARRIERS).
CARRIERS_PER_PAGE = 120


@cached_page
def home(request):
    language = content_language()
    countries = selectors.countries_with_top_carriers(language)
    recent = (
        selectors.published_guides().filter(language=language).order_by("-content_updated_at")[:6]
    )
    verified = (
        selectors.published_guides()
        .filter(language=language, verification_due_at__gte=timezone.now())
        .order_by("-last_verified_at")[:6]
    )
    return _page(
        request,
        "kb/home.html",
        {
            "page_description": gettext(
                "Step-by-step guides for managing phone lines and eSIMs from abroad: pause, "
                "cancel or renew a line, move an eSIM, keep your number."
            ),
            "search_form": SearchBoxForm(place="home"),
            "countries": countries,
            "tasks": feedback.popular_tasks(limit=6),
            "recent": recent,
            "verified": verified,
            "structured_data": seo.graph(
                {
                    "@type": "WebSite",
                    "name": settings.SITE_NAME,
                    "url": request.build_absolute_uri(reverse("kb:home")),
                    "potentialAction": {
                        "@type": "SearchAction",
                        "target": request.build_absolute_uri(reverse("kb:search")) + "?q={query}",
                        "query-input": "required name=query",
                    },
                }
            ),
        },
        tags=("guides",),
    )


@cached_page(query=("page",))
def country_detail(request, slug):
    language = content_language()
    country = get_object_or_404(Country, slug=slug)
    carriers = country.carriers.annotate(
        guide_count=Count("guides", filter=selectors.published_here(language))
    ).order_by("name", "pk")
    pages = Paginator(carriers, CARRIERS_PER_PAGE)
    number = request.GET.get("page")
    if number is not None:
        # Only real page numbers are rendered (and cached); anything else goes to one.
        wanted = pages.get_page(number).number
        if str(wanted) != number or wanted == 1:
            target = country.get_absolute_url()
            return HttpResponseRedirect(target if wanted == 1 else f"{target}?page={wanted}")
    page = pages.get_page(number)
    guides = selectors.one_per_topic(
        selectors.published_guides()
        .filter(country=country, carrier__isnull=True)
        .order_by("task__position"),
        language,
    )
    crumbs = [_home_crumb(), (country.display_name, country.get_absolute_url())]
    return _page(
        request,
        "kb/country.html",
        {
            "page_title": country.display_name,
            "page_description": gettext(
                "Carriers in %(country)s and guides for managing a line there from abroad."
            )
            % {"country": country.display_name},
            "country": country,
            "carriers": page.object_list,
            "page": page,
            "guides": guides,
            "chooser": ChooserForm(
                carriers=country.carriers.filter(
                    pk__in=[carrier.pk for carrier in page.object_list]
                ).order_by("name")
            ),
            "crumbs": crumbs,
            "structured_data": seo.graph(seo.breadcrumb_list(request, crumbs)),
        },
        tags=(f"country:{country.pk}",),
    )


@cached_page
def carrier_detail(request, slug):
    language = content_language()
    carrier = get_object_or_404(Carrier.objects.select_related("country"), slug=slug)
    channels = [_channel(channel) for channel in carrier.channels.all()]
    matrix = []
    for task, variants in selectors.carrier_tasks(carrier, language):
        request_url = None
        if not variants or all(guide.language != language for guide in variants):
            request_url = reverse(
                "kb:guide_request", kwargs={"carrier": carrier.slug, "task": task.slug}
            )
        matrix.append({"task": task, "guides": variants, "request_url": request_url})
    crumbs = [
        _home_crumb(),
        (carrier.country.display_name, carrier.country.get_absolute_url()),
        (carrier.name, carrier.get_absolute_url()),
    ]
    return _page(
        request,
        "kb/carrier.html",
        {
            "page_title": carrier.name,
            "page_description": gettext(
                "%(carrier)s: step-by-step guides and support contacts that work from abroad."
            )
            % {"carrier": carrier.name},
            "carrier": carrier,
            "chooser": ChooserForm(
                carriers=Carrier.objects.filter(pk=carrier.pk), fixed_carrier=carrier
            ),
            "carrier_description": carrier.tr("description"),
            "channels": channels,
            "matrix": matrix,
            "crumbs": crumbs,
            "structured_data": seo.graph(seo.breadcrumb_list(request, crumbs)),
        },
        tags=(f"carrier:{carrier.pk}", f"countrywide:{carrier.country_id}"),
    )


@cached_page
def task_detail(request, slug):
    language = content_language()
    task = get_object_or_404(Task, slug=slug)
    country_list = selectors.countries_with_top_carriers(language)
    shown = [carrier.pk for country in country_list for carrier in country.top_carriers]
    guides = sorted(
        selectors.one_per_topic(
            selectors.published_guides().filter(
                Q(carrier_id__in=shown) | Q(carrier__isnull=True), task=task
            ),
            language,
        ),
        key=selectors.plan_order,
    )
    by_carrier, countrywide = {}, {}
    for guide in guides:
        if guide.carrier_id:
            by_carrier.setdefault(guide.carrier_id, []).append(guide)
        else:
            countrywide.setdefault(guide.country_id, []).append(guide)
    countries = []
    for country in country_list:
        rows = []
        for carrier in country.top_carriers:
            variants = by_carrier.get(carrier.pk, [])
            request_url = None
            if not variants or all(guide.language != language for guide in variants):
                request_url = reverse(
                    "kb:guide_request", kwargs={"carrier": carrier.slug, "task": task.slug}
                )
            rows.append({"carrier": carrier, "guides": variants, "request_url": request_url})
        countries.append(
            {"country": country, "rows": rows, "countrywide": countrywide.get(country.pk, [])}
        )
    crumbs = [_home_crumb(), (task.display_name, task.get_absolute_url())]
    return _page(
        request,
        "kb/task.html",
        {
            "page_title": task.display_name,
            "page_description": task.tr("description")
            or gettext("%(task)s: guides for each carrier.") % {"task": task.display_name},
            "task": task,
            "task_description": task.tr("description"),
            "countries": countries,
            "crumbs": crumbs,
            "structured_data": seo.graph(seo.breadcrumb_list(request, crumbs)),
        },
        tags=(f"task:{task.pk}", "guides"),  # which carriers lead depends on every guide
    )


def _count_read(request, meta):
    if meta.get("guide_id"):
        feedback.reads_record(
            meta["guide_id"],
            user_agent=request.headers.get("User-Agent", ""),
            address=ratelimit.client_ip(request),
        )


def _attach_pictures(guide, steps, problems) -> None:
    by_step, by_problem = {}, {}
    for picture in guide.images.all():
        if picture.step_id:
            by_step.setdefault(picture.step_id, []).append(picture)
        else:
            by_problem.setdefault(picture.problem_id, []).append(picture)
    for step in steps:
        step.pictures = by_step.get(step.pk, [])
    for problem in problems:
        problem.pictures = by_problem.get(problem.pk, [])


@cached_page(served=_count_read)
def guide_detail(request, slug):
    language = content_language()
    guide = (
        selectors.published_guides()
        .select_related("last_verified_by")
        .prefetch_related(
            # Each ordered by its own columns: the models' default orderings start with the
            # guide, which would join guide, country, carrier and task just to sort.
            Prefetch("steps", queryset=Step.objects.order_by("position")),
            Prefetch("problems", queryset=Problem.objects.order_by("position")),
            Prefetch("sources", queryset=Source.objects.order_by("position", "id")),
            Prefetch("images", queryset=GuideImage.objects.select_related("asset")),
            Prefetch(
                "revisions",
                queryset=GuideRevision.objects.only(
                    "id", "guide_id", "number", "created_at", "note"
                ).order_by("-number"),
            ),
        )
        .filter(slug=slug, language=language)
        .annotate(being_rechecked=sourcewatch.being_rechecked())
        .order_by()
        .first()
    )
    if guide is None:
        return _guide_missing(request, slug, language)
    siblings = list(
        guide.translation_siblings()
        .only("id", "slug", "language", "title", "content_updated_at", "translation_of_id")
        .order_by("language")
    )
    steps = list(guide.steps.all())
    problems = list(guide.problems.all())
    sources = list(guide.sources.all())
    if is_traditional():
        show_traditional(guide, steps=steps, problems=problems, sources=sources)
    _attach_pictures(guide, steps, problems)
    for step in steps:
        step.correction_url = guide.get_correction_url(step)
    crumbs = [_home_crumb(), (guide.country.display_name, guide.country.get_absolute_url())]
    if guide.carrier:
        crumbs.append((guide.carrier.name, guide.carrier.get_absolute_url()))
    crumbs.append((guide.title, guide.get_absolute_url()))
    changes = [
        stamp
        for stamp in (
            guide.content_updated_at,
            guide.published_at,
            guide.last_verified_at,
            guide.carrier.updated_at if guide.carrier else None,
            *(s.content_updated_at for s in siblings),
        )
        if stamp
    ]
    verifier = guide.last_verified_by
    related = selectors.related_guides(guide, language)
    return _page(
        request,
        "kb/guide.html",
        {
            "page_title": guide.title,
            "page_description": Truncator(guide.summary).chars(160),
            "guide": guide,
            "steps": steps,
            "problems": problems,
            "sources": sources,
            "revisions": list(guide.revisions.all()),
            "verification": guide.verification_state(),
            "verifier_name": verifier.first_name if verifier else "",
            "alternates": alternates_for_guide(guide, siblings),
            "related": related,
            "contacts": _abroad_contacts(guide),
            "feedback_form": FeedbackForm(),
            "crumbs": crumbs,
            "structured_data": seo.graph(
                seo.breadcrumb_list(request, crumbs),
                seo.how_to(request, guide, steps),
                seo.faq_page(problems),
            ),
        },
        tags=(f"guide:{guide.pk}", *(f"guide:{sibling.pk}" for sibling in siblings)),
        last_modified=max(changes) if changes else None,
        meta={"guide_id": guide.pk},
        fresh_for=_until_stale(guide),
    )


def _until_stale(guide):
    """Seconds until a verified guide's page must say "may be out of date"."""
    due = guide.reverify_due_at
    if due is None:
        return None
    return max(1, int((due - timezone.now()).total_seconds()) + 1)


def _guide_missing(request, slug, language):
    """No published guide at this address: an archived guide (with its replacement), the same
    guide in the other language, or 404."""
    elsewhere = Guide.objects.published().filter(slug=slug).exclude(language=language).first()
    archived = (
        Guide.objects.filter(
            status=Guide.Status.ARCHIVED, draft_of__isnull=True, slug=slug, language=language
        )
        .select_related("carrier", "country", "task")
        .order_by("-updated_at")
        .first()
    )
    if archived is None:
        if elsewhere is not None:
            # Temporary: a translation may be published at this address later.
            return HttpResponseRedirect(elsewhere.get_absolute_url())
        raise Http404
    topic = Q(carrier=archived.carrier) if archived.carrier_id else Q(carrier__isnull=True)
    replacement = (
        Guide.objects.published()
        .filter(
            topic,
            country=archived.country_id,
            task=archived.task_id,
            plan_type=archived.plan_type,
            language=language,
        )
        .first()
    )
    return render(
        request,
        "kb/guide_archived.html",
        {"archived": archived, "replacement": replacement, "elsewhere": elsewhere},
        status=404,
    )


_PHONE_CHARS = re.compile(r"[^\d+]")


def _channel(channel) -> dict:
    tel = _PHONE_CHARS.sub("", channel.value) if channel.kind == channel.Kind.PHONE else ""
    return {
        "kind": channel.kind,
        "kind_label": channel.get_kind_display(),
        "label": channel.tr("label"),
        "value": channel.value,
        "tel": tel if sum(c.isdigit() for c in tel) >= 5 else "",
        "url": channel.url,
        "hours": channel.tr("hours"),
        "cost": channel.tr("cost"),
        "works_from_abroad": channel.works_from_abroad,
    }


def _abroad_contacts(guide) -> list[dict]:
    """The channels that work from abroad for the guide's carrier (or, for a country-wide guide,
    for every carrier in the country): international numbers first, then other phones, then
    apps and websites."""
    if guide.carrier_id:
        carriers = [guide.carrier]
        channels = [(guide.carrier, c) for c in guide.carrier.channels.all()]
    else:
        carriers = guide.country.carriers.prefetch_related("channels")
        channels = [(carrier, c) for carrier in carriers for c in carrier.channels.all()]
    rows = []
    for carrier, channel in channels:
        if not channel.works_from_abroad:
            continue
        row = _channel(channel)
        row["carrier"] = "" if guide.carrier_id else carrier.name
        rows.append(row)
    rows.sort(
        key=lambda row: (row["carrier"], not row["value"].startswith("+"), row["kind"] != "phone")
    )
    return rows


# --- Readers' forms ----------------------------------------------------------------------------


def _cross_site(request) -> bool:
    """A form post that a browser says came from another site (Fetch metadata, else Origin).

    Posts without either header (old browsers, scripts) are let through: a cross-site forgery
    needs a browser, and browsers send them.
    """
    fetch_site = request.headers.get("Sec-Fetch-Site")
    if fetch_site is not None:
        return fetch_site not in ("same-origin", "none")
    origin = request.headers.get("Origin")
    if origin is None:
        return False
    return origin not in (
        f"{request.scheme}://{request.get_host()}",
        *settings.CSRF_TRUSTED_ORIGINS,
    )


def _reader(request) -> str:
    return feedback.reader_key(
        address=ratelimit.client_ip(request), user_agent=request.headers.get("User-Agent", "")
    )


def _wants_json(request) -> bool:
    return "application/json" in request.headers.get("Accept", "")


@csrf_exempt
@require_http_methods(["GET", "HEAD", "POST"])
def guide_feedback(request, slug):
    """ "Did this work for you?": works as a plain form post; the page's script sends the same
    form in the background and shows the answer in place.

    The form sits on cached guide pages that every reader shares, so it carries no CSRF token;
    cross-site posts are refused from the browser's Fetch metadata or Origin instead, and the
    worst a forged post could do is one anonymous answer, which the rate limit bounds."""
    if request.method == "POST" and _cross_site(request):
        return HttpResponseForbidden(gettext("Answers can only be sent from this site."))
    guide = get_object_or_404(selectors.published_guides(), slug=slug, language=content_language())
    answered = request.GET.get("answer") if request.method != "POST" else None
    status = 200
    if request.method == "POST":
        form = FeedbackForm(request.POST)
        if not form.is_valid():
            status = 400
            if _wants_json(request):
                return JsonResponse(
                    {
                        "ok": False,
                        "message": gettext("Please check your answer and try again."),
                        "errors": form.errors.get_json_data(),
                    },
                    status=400,
                )
        elif feedback.rate_limited(address=ratelimit.client_ip(request)):
            message = gettext("Too many answers from your connection. Please try again later.")
            if _wants_json(request):
                return JsonResponse({"ok": False, "message": message}, status=429)
            messages.error(request, message)
            status = 429
        else:
            data = form.cleaned_data
            try:
                feedback.feedback_record(
                    guide=guide,
                    helpful=data["helpful"],
                    reason=data["reason"],
                    comment=data["comment"],
                    voter=_reader(request),
                )
            except DatabaseError:
                logger.exception("feedback not saved for guide %s", guide.pk)
                message = gettext(
                    "Your answer could not be saved just now. Please try again later."
                )
                if _wants_json(request):
                    return JsonResponse({"ok": False, "message": message}, status=503)
                messages.error(request, message)
                status = 503
            else:
                message = gettext("Thank you! Your answer helps us keep this guide right.")
                if _wants_json(request):
                    return JsonResponse({"ok": True, "message": message})
                messages.success(request, message)
                answer = "yes" if data["helpful"] else "no"
                if data["reason"] or data["comment"]:
                    answer += "-detailed"
                return redirect(
                    reverse("kb:guide_feedback", kwargs={"slug": guide.slug}) + f"?answer={answer}"
                )
    else:
        initial = {"helpful": "no" if (answered or "").startswith("no") else "yes"}
        form = FeedbackForm(initial=initial)
    return render(
        request,
        "kb/guide_feedback.html",
        {
            "guide": guide,
            "form": form,
            "answered": answered if answered in ("yes", "no") else None,
            "answered_detail": answered in ("yes-detailed", "no-detailed"),
        },
        status=status,
    )


@require_http_methods(["GET", "HEAD", "POST"])
def guide_request(request, carrier, task):
    """Ask for a guide that does not exist in the reader's language."""
    language = content_language()
    carrier = get_object_or_404(Carrier.objects.select_related("country"), slug=carrier)
    task = get_object_or_404(Task, slug=task)
    guides = selectors.published_guides().filter(
        Q(carrier=carrier) | Q(carrier__isnull=True, country_id=carrier.country_id), task=task
    )
    # A guide for the carrier wins over a guide for the whole country.
    existing = {g.language: g for g in guides.order_by(F("carrier_id").asc(nulls_first=True))}
    if language in existing and request.method != "POST":
        return redirect(existing[language].get_absolute_url())
    action = reverse("kb:guide_request", kwargs={"carrier": carrier.slug, "task": task.slug})
    status = 200
    if request.method == "POST":
        if feedback.rate_limited(address=ratelimit.client_ip(request)):
            messages.error(
                request, gettext("Too many requests from your connection. Please try again later.")
            )
            status = 429
        else:
            try:
                feedback.guide_request_record(
                    carrier=carrier, task=task, language=language, voter=_reader(request)
                )
            except DatabaseError:
                logger.exception("guide request not saved")
                messages.error(
                    request,
                    gettext("Your request could not be saved just now. Please try again later."),
                )
                status = 503
            else:
                messages.success(
                    request, gettext("Thank you! We have noted that readers need this guide.")
                )
                return redirect(action + "?sent=1")
    other_languages = [g for code, g in existing.items() if code != language]
    crumbs = [
        _home_crumb(),
        (carrier.name, carrier.get_absolute_url()),
    ]
    return render(
        request,
        "kb/guide_request.html",
        {
            "carrier": carrier,
            "task": task,
            "other_languages": other_languages,
            "form": GuideRequestForm(action=action),
            "sent": request.GET.get("sent") == "1",
            "crumbs": crumbs,
        },
        status=status,
    )


def choose(request):
    """The chooser's answer: the one guide, or "no guide yet, ask for it"."""
    language = content_language()
    carriers = Carrier.objects.select_related("country").order_by("country__position", "name")
    form = ChooserForm(request.GET or None, carriers=carriers)
    choice = None
    status = 200
    if form.is_bound:
        if form.is_valid():
            carrier = form.cleaned_data["carrier"]
            choice = chosen_guide(
                carrier=carrier,
                goal=form.cleaned_data["goal"],
                plan=form.cleaned_data["plan"] or "unsure",
                sim=form.cleaned_data["sim"] or "unsure",
                language=language,
            )
            if choice.guide is None and choice.task is not None:
                choice.request_url = reverse(
                    "kb:guide_request", kwargs={"carrier": carrier.slug, "task": choice.task.slug}
                )
        else:
            status = 400
    return render(
        request,
        "kb/choose.html",
        {
            "page_title": gettext("Which guide do I need?"),
            "form": form,
            "choice": choice,
            "crumbs": [_home_crumb()],
        },
        status=status,
    )
