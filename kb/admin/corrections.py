"""The review queue for reader corrections: oldest first, a character-level diff of the step,
and one button per decision (each a service with its own permission check and audit record)."""

from datetime import timedelta

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.text import Truncator
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from kb import traditional
from kb.admin.dashboard import dashboard_item
from kb.diff import char_diff_html
from kb.models import Correction, Guide
from kb.models.corrections import normalize_code
from kb.services import corrections as services
from kb.services import spam

Status = Correction.Status


class AgeFilter(admin.SimpleListFilter):
    title = _("age")
    parameter_name = "age"

    def lookups(self, request, model_admin):
        return (
            ("day", _("Less than a day")),
            ("week", _("1 to 7 days")),
            ("older", _("More than 7 days")),
            ("month", _("More than 30 days")),
        )

    def queryset(self, request, queryset):
        now = timezone.now()
        day, week, month = (
            now - timedelta(days=1),
            now - timedelta(days=7),
            now - timedelta(days=30),
        )
        if self.value() == "day":
            return queryset.filter(created_at__gte=day)
        if self.value() == "week":
            return queryset.filter(created_at__lt=day, created_at__gte=week)
        if self.value() == "older":
            return queryset.filter(created_at__lt=week)
        if self.value() == "month":
            return queryset.filter(created_at__lt=month)
        return queryset


class FlaggedFilter(admin.SimpleListFilter):
    title = _("spam check")
    parameter_name = "flagged"

    def lookups(self, request, model_admin):
        return (
            ("unchecked", _("Flagged by the rules, not yet checked")),
            ("confirmed", _("Confirmed as spam by an editor")),
        )

    def queryset(self, request, queryset):
        if self.value() == "unchecked":
            return queryset.filter(status=Status.SPAM, decided_at__isnull=True)
        if self.value() == "confirmed":
            return queryset.filter(status=Status.SPAM, decided_at__isnull=False)
        return queryset


class RejectForm(forms.Form):
    reason = forms.ChoiceField(label=_("Reason"), choices=Correction.RejectReason.choices)
    note = forms.CharField(
        label=_("Note to the reader (shown on the status page)"),
        required=False,
        max_length=services.MAX_NOTE,
        widget=forms.Textarea(attrs={"rows": 2, "cols": 60}),
    )


class DuplicateForm(forms.Form):
    original = forms.CharField(
        label=_("Reference code of the original report"),
        max_length=12,
        help_text=_("For example ABCD-2345."),
    )
    note = forms.CharField(label=_("Note"), required=False, max_length=services.MAX_NOTE)

    def clean_original(self):
        code = normalize_code(self.cleaned_data["original"])
        original = Correction.objects.filter(code=code).first() if code else None
        if original is None:
            raise forms.ValidationError(_("No report has this reference code."))
        return original


class AcceptForm(forms.Form):
    text = forms.CharField(
        label=_("Text to apply (improve it if needed)"),
        max_length=services.MAX_TEXT,
        widget=forms.Textarea(attrs={"rows": 8, "cols": 80}),
    )
    submit = forms.BooleanField(
        label=_("Submit the pending change for review (a reviewer publishes it)"),
        required=False,
        initial=True,
    )
    note = forms.CharField(
        label=_("Note to the reader (shown on the status page)"),
        required=False,
        max_length=services.MAX_NOTE,
    )


class NoteForm(forms.Form):
    note = forms.CharField(label=_("Note"), required=False, max_length=services.MAX_NOTE)


# name -> (form for the POST, the service call, the message): the buttons the page shows come
# from services.correction_available_actions, the same table the services check.
DECISION_VIEWS = {
    "review": (
        None,
        lambda c, user, data: services.correction_start_review(correction=c, user=user),
        _("Marked as under review."),
    ),
    "accept": (
        AcceptForm,
        lambda c, user, data: services.correction_accept(correction=c, user=user, **data),
        _("Accepted: the pending change of the guide has the text."),
    ),
    "reject": (
        RejectForm,
        lambda c, user, data: services.correction_reject(correction=c, user=user, **data),
        _("Rejected."),
    ),
    "duplicate": (
        DuplicateForm,
        lambda c, user, data: services.correction_mark_duplicate(correction=c, user=user, **data),
        _("Marked as a duplicate."),
    ),
    "spam": (
        NoteForm,
        lambda c, user, data: services.correction_mark_spam(correction=c, user=user, **data),
        _("Marked as spam."),
    ),
    "rescue": (
        None,
        lambda c, user, data: services.correction_rescue(correction=c, user=user),
        _("Not spam: back in the queue."),
    ),
}


@admin.register(Correction)
class CorrectionAdmin(admin.ModelAdmin):
    change_form_template = "admin/kb/correction/change_form.html"
    list_display = (
        "code_label",
        "guide_label",
        "step_label",
        "kind",
        "status_label",
        "carrier_label",
        "text_preview",
        "age",
    )
    list_display_links = ("code_label",)
    list_filter = (
        "status",
        FlaggedFilter,
        "kind",
        ("guide__carrier", admin.RelatedOnlyFieldListFilter),
        ("guide", admin.RelatedOnlyFieldListFilter),
        AgeFilter,
        "language",
    )
    list_select_related = ("guide", "guide__carrier")
    search_fields = ("code", "guide__title", "guide__slug")
    ordering = ("created_at", "id")
    list_per_page = 50
    actions = ("bulk_start_review", "bulk_reject", "bulk_spam")
    fieldsets = (
        (
            None,
            {
                "fields": (
                    ("code_label", "status"),
                    "guide_link",
                    ("step_label", "kind"),
                    "language",
                )
            },
        ),
        (
            _("From the reader"),
            {
                "fields": (
                    ("tried_on", "plan_type"),
                    "evidence_link",
                    "reply_requested",
                    "created_at",
                )
            },
        ),
        (
            _("Decision"),
            {
                "fields": (
                    ("decided_at", "decided_by"),
                    ("reject_reason", "decision_note"),
                    "duplicate_link",
                    "pending_change_link",
                    ("revision", "published_at", "notified_at"),
                    "personal_data_purged_at",
                )
            },
        ),
    )
    readonly_fields = (
        "code_label",
        "status",
        "guide_link",
        "step_label",
        "kind",
        "language",
        "tried_on",
        "plan_type",
        "evidence_link",
        "reply_requested",
        "created_at",
        "decided_at",
        "decided_by",
        "reject_reason",
        "decision_note",
        "duplicate_link",
        "pending_change_link",
        "revision",
        "published_at",
        "notified_at",
        "personal_data_purged_at",
    )

    class Media:
        css = {"all": ("css/corrections-admin.css",)}

    def get_search_results(self, request, queryset, search_term):
        code = normalize_code(search_term)
        if code:
            return queryset.filter(code=code), False
        return super().get_search_results(request, queryset, search_term)

    # --- permissions: read-only pages, decisions through the buttons ------------------------
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_triage_permission(self, request):
        return request.user.has_perm(services.PERM_TRIAGE)

    def has_accept_permission(self, request):
        return request.user.has_perm(services.PERM_ACCEPT)

    # --- columns --------------------------------------------------------------------------
    @admin.display(description=_("code"), ordering="code")
    def code_label(self, obj):
        return obj.display_code

    @admin.display(description=_("guide"), ordering="guide__title")
    def guide_label(self, obj):
        return obj.guide.title

    @admin.display(description=_("guide"))
    def guide_link(self, obj):
        guide = obj.guide
        return format_html(
            '<a href="{}">{}</a> · <a href="{}" target="_blank" rel="noopener">{}</a>',
            reverse("admin:kb_guide_change", args=[guide.pk]),
            guide.title,
            guide.get_absolute_url(),
            _("public page"),
        )

    @admin.display(description=_("step"), ordering="step_position")
    def step_label(self, obj):
        if not obj.step_position:
            return _("whole guide")
        return format_html("{} · {}", obj.step_position, obj.step_title)

    @admin.display(description=_("status"), ordering="status")
    def status_label(self, obj):
        label = obj.get_status_display()
        if obj.status == Status.SPAM:
            rules = ", ".join(sorted({spam.label(r.get("rule", "")) for r in obj.spam_reasons}))
            suffix = _("unchecked") if not obj.decided_at else _("confirmed")
            return format_html(
                '<span class="kb-status kb-status-spam" title="{}">{} ({})</span>',
                rules,
                label,
                suffix,
            )
        return format_html('<span class="kb-status kb-status-{}">{}</span>', obj.status, label)

    @admin.display(description=_("carrier"), ordering="guide__carrier__name")
    def carrier_label(self, obj):
        return obj.guide.carrier.name if obj.guide.carrier_id else "—"

    @admin.display(description=_("proposed text"))
    def text_preview(self, obj):
        return Truncator(" ".join(obj.proposed_text.split())).chars(60)

    @admin.display(description=_("received"), ordering="created_at")
    def age(self, obj):
        return format_html(
            '<time datetime="{}">{}</time>',
            obj.created_at.isoformat(),
            timezone.localtime(obj.created_at).strftime("%Y-%m-%d %H:%M"),
        )

    @admin.display(description=_("evidence link"))
    def evidence_link(self, obj):
        url = obj.evidence_url
        if not url:
            return "—"
        if url.lower().startswith(("http://", "https://")):
            return format_html(
                '<a href="{}" target="_blank" rel="noopener noreferrer nofollow">{}</a>', url, url
            )
        return url

    @admin.display(description=_("reply requested"), boolean=True)
    def reply_requested(self, obj):
        return bool(obj.email)

    @admin.display(description=_("duplicate of"))
    def duplicate_link(self, obj):
        if not obj.duplicate_of_id:
            return "—"
        return format_html(
            '<a href="{}">{}</a>',
            reverse("admin:kb_correction_change", args=[obj.duplicate_of_id]),
            obj.duplicate_of.display_code,
        )

    @admin.display(description=_("pending change"))
    def pending_change_link(self, obj):
        copy = services.pending_change_of(obj)
        if copy is not None:
            return format_html(
                '<a href="{}">{}</a> ({})',
                reverse("admin:kb_guide_change", args=[copy.pk]),
                copy.title,
                copy.get_status_display(),
            )
        if obj.pending_change_ref and obj.status == Status.ACCEPTED:
            return _("The pending change was discarded: accept again to reopen it.")
        if obj.pending_change_ref:
            return _("Published")
        return "—"

    # --- the change page ------------------------------------------------------------------
    def change_view(self, request, object_id, form_url="", extra_context=None):
        correction = self.get_object(request, object_id)
        extra_context = extra_context or {}
        if correction is not None:
            extra_context.update(self._review_context(request, correction))
        return super().change_view(request, object_id, form_url, extra_context)

    def _review_context(self, request, correction):
        guide = correction.guide
        live_step = None
        if correction.step_position:
            live_step = guide.steps.filter(position=correction.step_position).first()
        current = live_step.body if live_step is not None else correction.current_text
        changed_since = live_step is not None and " ".join(live_step.body.split()) != " ".join(
            correction.current_text.split()
        )
        same_step = Correction.objects.none()
        if correction.step_position:
            same_step = Correction.objects.about_step(guide.pk, correction.step_position)
        else:
            same_step = Correction.objects.filter(guide=guide, step_position__isnull=True)
        same_sender = Correction.objects.none()
        if correction.client_hash:
            same_sender = Correction.objects.filter(client_hash=correction.client_hash)
        allowed = {
            d.name
            for d in services.correction_available_actions(correction=correction, user=request.user)
        }
        # A reader of /zh-hant/ writes Traditional characters: editors compare and accept the
        # Simplified conversion, and see the reader's own text beside it.
        proposed = correction.proposed_text
        simplified = ""
        if traditional.is_traditional(correction.language):
            simplified = proposed = traditional.to_simplified(correction.proposed_text)
        return {
            "correction": correction,
            "proposed_simplified": simplified,
            "guide": guide,
            "live_step": live_step,
            "current_text": current,
            "changed_since": changed_since,
            "diff": char_diff_html(current, proposed),
            "spam_reasons": [
                {"label": spam.label(r.get("rule", "")), "match": r.get("match", "")}
                for r in correction.spam_reasons
            ],
            "same_step": same_step.exclude(pk=correction.pk).order_by("-created_at")[:20],
            "same_sender": same_sender.exclude(pk=correction.pk)
            .select_related("guide")
            .order_by("-created_at")[:20],
            "verification": guide.get_verification_state_display(),
            "guide_pending": guide.pending_versions.first(),
            "events": correction.events.select_related("actor"),
            "allowed": allowed,
            "accept_form": AcceptForm(
                initial={"text": proposed, "submit": bool(correction.step_position)}
            ),
            "reject_form": RejectForm(),
            "duplicate_form": DuplicateForm(),
            "note_form": NoteForm(),
        }

    # --- decisions ------------------------------------------------------------------------
    def get_urls(self):
        return [
            path(
                "<int:pk>/decide/<str:name>/",
                self.admin_site.admin_view(self.decide_view),
                name="kb_correction_decide",
            ),
            *super().get_urls(),
        ]

    def decide_view(self, request, pk, name):
        if request.method != "POST":
            raise Http404
        decision = DECISION_VIEWS.get(name)
        if decision is None:
            raise Http404
        correction = get_object_or_404(Correction, pk=pk)
        if not self.has_view_permission(request, correction):
            raise PermissionDenied
        back = reverse("admin:kb_correction_change", args=[correction.pk])
        form_class, run, message = decision
        data = {}
        if form_class is not None:
            form = form_class(request.POST)
            if not form.is_valid():
                return self._form_errors(request, form, back)
            data = form.cleaned_data
        try:
            result = run(correction, request.user, data)
        except PermissionDenied as exc:
            self.message_user(
                request, str(exc) or _("You do not have permission to do this."), messages.ERROR
            )
        except (services.CorrectionError, services.workflow.WorkflowError) as exc:
            self.message_user(request, str(exc), messages.ERROR)
        else:
            self.message_user(request, message, messages.SUCCESS)
            if isinstance(result, Guide):
                back = reverse("admin:kb_guide_change", args=[result.pk])
        return HttpResponseRedirect(back)

    def _form_errors(self, request, form, back):
        for field, errors in form.errors.items():
            label = form.fields[field].label if field in form.fields else ""
            for error in errors:
                self.message_user(request, f"{label}: {error}" if label else error, messages.ERROR)
        return HttpResponseRedirect(back)

    # --- bulk actions ---------------------------------------------------------------------
    def _bulk(self, request, queryset, service, done_message, **kwargs):
        done, failed = 0, []
        for correction in queryset:
            try:
                service(correction=correction, user=request.user, **kwargs)
                done += 1
            except (PermissionDenied, services.CorrectionError) as exc:
                failed.append(f"{correction.display_code}: {exc}")
        if done:
            self.message_user(request, done_message(done), messages.SUCCESS)
        for line in failed:
            self.message_user(request, line, messages.WARNING)

    @admin.action(description=_("Mark selected as under review"), permissions=("triage",))
    def bulk_start_review(self, request, queryset):
        self._bulk(
            request,
            queryset.filter(status=Status.RECEIVED),
            services.correction_start_review,
            lambda n: (
                ngettext("%(n)d correction under review.", "%(n)d corrections under review.", n)
                % {"n": n}
            ),
        )

    @admin.action(description=_("Reject selected corrections…"), permissions=("triage",))
    def bulk_reject(self, request, queryset):
        if request.POST.get("apply"):
            form = RejectForm(request.POST)
            if form.is_valid():
                self._bulk(
                    request,
                    queryset,
                    services.correction_reject,
                    lambda n: (
                        ngettext("%(n)d correction rejected.", "%(n)d corrections rejected.", n)
                        % {"n": n}
                    ),
                    **form.cleaned_data,
                )
                return None
        else:
            form = RejectForm()
        context = {
            **self.admin_site.each_context(request),
            "title": _("Reject corrections"),
            "opts": self.model._meta,
            "queryset": queryset.select_related("guide"),
            "form": form,
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            "select_across": request.POST.get("select_across", "0"),
        }
        return TemplateResponse(request, "admin/kb/correction/bulk_reject.html", context)

    @admin.action(description=_("Mark selected as spam"), permissions=("triage",))
    def bulk_spam(self, request, queryset):
        self._bulk(
            request,
            queryset,
            services.correction_mark_spam,
            lambda n: (
                ngettext("%(n)d correction marked as spam.", "%(n)d corrections marked as spam.", n)
                % {"n": n}
            ),
        )


# --- the editorial dashboard ------------------------------------------------------------------
def _changelist(query: str) -> str:
    return f"{reverse('admin:kb_correction_changelist')}?{query}"


@dashboard_item
def corrections_waiting(request):
    if not request.user.has_perm(services.PERM_VIEW):
        return None
    return {
        "label": _("Reader corrections waiting"),
        "count": Correction.objects.waiting().count(),
        "url": _changelist(f"status__in={','.join(Correction.OPEN_STATUSES)}"),
    }


@dashboard_item
def corrections_flagged(request):
    if not request.user.has_perm(services.PERM_VIEW):
        return None
    return {
        "label": _("Corrections flagged as spam, not yet checked"),
        "count": Correction.objects.flagged_unchecked().count(),
        "url": _changelist("flagged=unchecked"),
    }
