"""The reader's correction form, the thank-you page and the public status page."""

import hashlib

from django.conf import settings
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from kb import ratelimit
from kb.forms.corrections import CorrectionForm
from kb.models import Correction, Guide
from kb.models.corrections import normalize_code
from kb.services import corrections
from kb.traditional import content_language


def _guide_or_404(slug: str) -> Guide:
    guide = (
        Guide.objects.published()
        .filter(slug=slug, language=content_language())
        .select_related("carrier", "country", "task")
        .first()
    )
    if guide is None:
        raise Http404
    return guide


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def correction_form(request, slug, position=None):
    guide = _guide_or_404(slug)
    steps = list(guide.steps.order_by("position"))
    step = None
    if position is not None:
        step = next((s for s in steps if s.position == position), None)
        if step is None:
            raise Http404
    status = 200
    if request.method == "POST":
        form = CorrectionForm(request.POST, request.FILES, guide=guide, step=step)
        if form.is_valid():
            data = form.cleaned_data
            try:
                correction = corrections.correction_submit(
                    guide=guide,
                    step=data["step"],
                    kind=data["kind"],
                    proposed_text=data["proposed_text"],
                    evidence_url=data["evidence_url"],
                    tried_on=data["tried_on"],
                    plan_type=data["plan_type"],
                    email=data["email"],
                    language=get_language(),
                    client_hash=ratelimit.client_hash(request),
                    flags=form.spam_flags(),
                    screenshot=form.screenshot_processed,
                )
            except corrections.CorrectionError as exc:
                form.add_error(None, str(exc))
                status = 400
            else:
                return redirect(correction.get_thanks_url())
        else:
            status = 400
    else:
        form = CorrectionForm(guide=guide, step=step)
    step_texts = {str(s.pk): s.body for s in steps}
    return render(
        request,
        "kb/corrections/form.html",
        {"guide": guide, "step": step, "form": form, "step_texts": step_texts},
        status=status,
    )


def _correction_or_404(code: str) -> Correction:
    normalized = normalize_code(code)
    if normalized is None:
        raise Http404
    return get_object_or_404(
        Correction.objects.select_related("guide", "duplicate_of"), code=normalized
    )


@never_cache
@require_http_methods(["GET", "HEAD"])
def correction_thanks(request, code):
    correction = _correction_or_404(code)
    return render(request, "kb/corrections/thanks.html", {"correction": correction})


STATUS_RATE = ratelimit.Rate(count=60, seconds=3600)


@never_cache
@require_http_methods(["GET", "HEAD"])
def correction_status(request, code):
    # Reference codes are not guessable, but a client trying many is throttled all the same.
    network = ratelimit.network_key(ratelimit.client_ip(request))
    ident = hashlib.sha256(f"{settings.SECRET_KEY}|{network}".encode()).hexdigest()[:32]
    if not ratelimit.hit("correction-status", ident, STATUS_RATE, on_error=True):
        return HttpResponse(
            _("Too many requests from your connection. Please try again later."),
            status=429,
            content_type="text/plain; charset=utf-8",
        )
    correction = _correction_or_404(code)
    if correction.code != code:
        return redirect("kb:correction_status", code=correction.code)
    guide = correction.guide
    return render(
        request,
        "kb/corrections/status.html",
        {
            "correction": correction,
            "guide": guide,
            "guide_is_live": guide.status == Guide.Status.PUBLISHED and not guide.draft_of_id,
        },
    )
