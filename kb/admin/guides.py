from adminsortable2.admin import (
    CustomInlineFormSetMixin,
    SortableAdminBase,
    SortableInlineAdminMixin,
)
from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Count, Exists, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone, translation
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from kb import traditional
from kb.admin.base import URL_FIELDS_HTTPS
from kb.admin.dashboard import MineFilter, dashboard_item
from kb.admin.preview import MarkdownFieldsMixin, MarkdownPreviewMixin
from kb.compare import compare_versions
from kb.models import (
    Correction,
    Guide,
    GuideEvent,
    GuideFeedback,
    GuideRevision,
    Problem,
    Source,
    Step,
)
from kb.services import workflow
from kb.services._common import renumber
from kb.services.snapshots import snapshot

Status = Guide.Status


def _count(queryset):
    """A correlated COUNT subquery: list columns without one query per row."""
    return Coalesce(
        Subquery(queryset.order_by().values("guide").annotate(n=Count("pk")).values("n")[:1]),
        0,
    )


class VerificationFilter(admin.SimpleListFilter):
    title = _("verification")
    parameter_name = "verification"

    def lookups(self, request, model_admin):
        return (
            ("due", _("Needs verification")),
            ("verified", _("Verified and current")),
            ("never", _("Never verified")),
        )

    def queryset(self, request, queryset):
        if self.value() == "due":
            return queryset.filter(pk__in=Guide.objects.needs_verification().values("pk"))
        if self.value() == "never":
            return queryset.filter(last_verified_at__isnull=True)
        if self.value() == "verified":
            return queryset.filter(last_verified_at__isnull=False).exclude(
                pk__in=Guide.objects.needs_verification().values("pk")
            )
        return queryset


class PendingFilter(admin.SimpleListFilter):
    title = _("pending change")
    parameter_name = "pending"

    def lookups(self, request, model_admin):
        return (
            ("live", _("Published, with a pending change")),
            ("copies", _("Pending changes")),
            ("originals", _("Guides (without pending copies)")),
        )

    def queryset(self, request, queryset):
        if self.value() == "live":
            return queryset.filter(has_pending=True)
        if self.value() == "copies":
            return queryset.filter(draft_of__isnull=False)
        if self.value() == "originals":
            return queryset.filter(draft_of__isnull=True)
        return queryset


class RenumberingFormSet(CustomInlineFormSetMixin, forms.BaseInlineFormSet):
    """Saves ordered children 1..n in the order the editor left them.

    django-admin-sortable2's script writes each row's place (1, 2, 3…) into its hidden
    ``position`` input when a row is dragged or moved with the buttons; a new row has none and
    goes last. Positions are unique per guide in the database, so swapping two steps would
    collide half-way: the rows are first moved out of the way, then numbered again.
    """

    def clean(self):
        super().clean()
        if any("position" in form.errors for form in self.forms):
            raise forms.ValidationError(
                _(
                    "The new order could not be read. Reload the page and move the rows again; "
                    "nothing was saved."
                ),
                code="invalid_order",
            )

    def save(self, commit=True):
        if not commit:
            return super().save(commit=False)
        kept = [
            form
            for form in self.forms
            if form.has_changed() or form.instance.pk
            if not self._should_delete_form(form)
            if form.cleaned_data
        ]
        kept.sort(
            key=lambda form: (form.cleaned_data.get("position") or 10_000, self.forms.index(form))
        )
        self.new_objects, self.changed_objects, self.deleted_objects = [], [], []
        with transaction.atomic():
            for form in self.deleted_forms:
                if form.instance.pk:
                    self.deleted_objects.append(form.instance)
                    form.instance.delete()
            rows = []
            for form in kept:
                is_new = form.instance.pk is None
                obj = form.save(commit=False)
                obj.guide = self.instance
                rows.append(obj)
                if is_new:
                    self.new_objects.append(obj)
                elif form.has_changed():
                    self.changed_objects.append((obj, form.changed_data))
            renumber(self.model.objects.filter(guide=self.instance), rows)
        return rows


class OrderedInline(MarkdownFieldsMixin, SortableInlineAdminMixin, admin.StackedInline):
    """Steps and problems: dragged by their heading, or moved with "Move up" / "Move down"
    (static/js/admin-reorder.js); the order is saved with the guide, through ``save_related``
    like any other edit of its text."""

    formfield_overrides = URL_FIELDS_HTTPS
    view_on_site = False  # a step of a draft has no public page
    formset = RenumberingFormSet
    template = "admin/kb/edit_inline/sortable_stacked.html"
    extra = 0
    ordering = ("position",)
    kb_primary = True  # shown right after the guide's main fields


class StepInline(OrderedInline):
    model = Step
    fields = ("title", "body", "tip", "warning")
    extra = 1


class ProblemInline(OrderedInline):
    model = Problem
    fields = ("symptom", "cause", "solution")


class SourceInline(admin.TabularInline):
    formfield_overrides = URL_FIELDS_HTTPS
    model = Source
    fields = ("position", "title", "url", "accessed_on")
    extra = 0
    classes = ("collapse",)


class GuideForm(forms.ModelForm):
    """The guide's change form, bound to the version its editor opened: a save over a newer
    version is refused (with the typed text kept in the form) instead of overwriting it."""

    kb_version = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.current_version = workflow.version_token(self.instance) if self.instance.pk else ""
        self.fields["kb_version"].initial = self.current_version

    def clean(self):
        cleaned = super().clean()
        posted = self.data.get("kb_version", "")
        if self.instance.pk and posted and posted != self.current_version:
            # The next save is then a deliberate choice to replace the newer version.
            self.data = self.data.copy()
            self.data["kb_version"] = self.current_version
            raise forms.ValidationError(
                _(
                    "Someone changed this guide since you opened it: review it again. Reload "
                    "the page to see the new version; saving again replaces it with this form."
                )
            )
        return cleaned


TRANSITION_MESSAGES = {
    "submit": _("Submitted for review."),
    "publish": _("Published."),
    "reject": _("Sent back to draft."),
    "edit": _(
        "You are editing a pending change. Readers see the published guide until it is published."
    ),
    "verify": _("Marked as verified today."),
    "archive": _("Archived."),
    "unpublish": _("Back to draft."),
    "discard": _("The pending change was discarded."),
}


@admin.register(Guide)
class GuideAdmin(SortableAdminBase, MarkdownPreviewMixin, admin.ModelAdmin):
    form = GuideForm
    formfield_overrides = URL_FIELDS_HTTPS
    change_form_template = "admin/kb/guide/change_form.html"
    save_on_top = True

    class Media:
        css = {"all": ("css/guide-admin.css", "css/admin-layout.css")}
        js = ("js/admin-reorder.js",)

    # Carrier, task and language sit under the title (a column each squeezed the title to
    # ~100 px at 1280 px); static/css/admin-layout.css keeps the title column readable.
    list_display = (
        "title_label",
        "status_label",
        "verification_label",
        "feedback_label",
        "corrections_label",
        "review_link",
        "updated_at",
    )
    list_filter = (
        MineFilter,
        "status",
        PendingFilter,
        VerificationFilter,
        "language",
        "plan_type",
        "country",
        "carrier",
        "task",
    )
    list_display_links = ("title_label",)
    list_select_related = ("carrier", "task", "country")
    search_fields = ("title", "slug", "summary", "carrier__name", "task__name_zh", "task__name_en")
    date_hierarchy = "updated_at"
    list_per_page = 50
    inlines = (StepInline, ProblemInline, SourceInline)
    autocomplete_fields = ("translation_of",)
    readonly_fields = (
        "status",
        "pending_of",
        "published_at",
        "content_updated_at",
        "verification_label",
        "last_verified_at",
        "last_verified_by",
        "review_note",
        "origin",
        "created_by",
        "updated_by",
        "submitted_by",
    )
    # The change form reads top-down as the guide does: title and summary, then the steps and
    # problems (templates/admin/kb/guide/change_form.html puts the ordered inlines here), then
    # the rest folded away. Folded sections list one field a line: Django opens a folded section
    # that has an error only for fields listed alone.
    PRIMARY_FIELDS = ("title", "summary")
    WHERE_FIELDS = ("slug", "carrier", "country", "task", "plan_type", "language", "translation_of")
    SECONDARY = "collapse kb-after-steps"
    fieldsets = (
        (None, {"fields": PRIMARY_FIELDS}),
        (_("Where it applies"), {"classes": (SECONDARY,), "fields": WHERE_FIELDS}),
        (
            _("Before and around the steps"),
            {
                "classes": (SECONDARY,),
                "fields": (
                    "prerequisites",
                    "time_needed",
                    "risk_notes",
                    "irreversible",
                    "tips",
                    "unconfirmed",
                ),
            },
        ),
        (
            _("Editorial state"),
            {
                "classes": (SECONDARY,),
                "fields": (
                    ("status", "pending_of"),
                    "review_note",
                    ("published_at", "content_updated_at"),
                    ("verification_label", "last_verified_at", "last_verified_by"),
                    "reverify_days",
                    ("created_by", "updated_by", "submitted_by"),
                    "origin",
                ),
            },
        ),
    )

    def get_fieldsets(self, request, obj=None):
        if obj is not None:
            return super().get_fieldsets(request, obj)
        # A new guide needs its carrier, country and task before anything else.
        primary = ("title", *self.WHERE_FIELDS, "summary")
        return ((None, {"fields": primary}), *self.fieldsets[2:])

    # No bulk publishing: a reviewer publishes only what their screen showed.
    actions = ("submit_selected", "verify_selected")

    # --- lists ----------------------------------------------------------------------------
    def get_queryset(self, request):
        pending = Guide.objects.filter(draft_of=OuterRef("pk"))
        return (
            super()
            .get_queryset(request)
            .annotate(
                has_pending=Exists(pending),
                pending_in_review=Exists(pending.filter(status=Status.IN_REVIEW)),
                votes_yes=_count(GuideFeedback.objects.filter(guide=OuterRef("pk"), helpful=True)),
                votes_no=_count(GuideFeedback.objects.filter(guide=OuterRef("pk"), helpful=False)),
                open_corrections=_count(Correction.objects.waiting().filter(guide=OuterRef("pk"))),
            )
        )

    @admin.display(description=_("title"), ordering="title")
    def title_label(self, obj):
        where = obj.carrier if obj.carrier_id else obj.country
        return format_html(
            '<span class="kb-list-title">{}</span> <span class="kb-list-meta">{} · {} · {}</span>',
            obj.title,
            where,
            obj.task,
            obj.get_language_display(),
        )

    @admin.display(description=_("did it work? yes / no"))
    def feedback_label(self, obj):
        yes, no = getattr(obj, "votes_yes", 0), getattr(obj, "votes_no", 0)
        if not yes and not no:
            return "—"
        url = reverse("admin:kb_guidefeedback_changelist") + f"?guide__id__exact={obj.pk}"
        return format_html('<a href="{}">{} / {}</a>', url, yes, no)

    @admin.display(description=_("open corrections"))
    def corrections_label(self, obj):
        count = getattr(obj, "open_corrections", 0)
        if not count:
            return "—"
        url = reverse("admin:kb_correction_changelist") + f"?guide__id__exact={obj.pk}"
        return format_html('<a href="{}">{}</a>', url, count)

    @admin.display(description=_("review"))
    def review_link(self, obj):
        if obj.status == Status.IN_REVIEW:
            label = _("Review")
        elif getattr(obj, "pending_in_review", False):
            label = _("Review the change")
        else:
            return "—"
        return format_html(
            '<a href="{}">{}</a>', reverse("admin:kb_guide_review", args=[obj.pk]), label
        )

    @admin.display(description=_("status"), ordering="status")
    def status_label(self, obj):
        label = obj.get_status_display()
        if obj.draft_of_id:
            return format_html("{} · {}", label, _("pending change"))
        if getattr(obj, "has_pending", False):
            return format_html("{} · {}", label, _("change pending"))
        return label

    @admin.display(description=_("verification"))
    def verification_label(self, obj):
        if obj.status != Status.PUBLISHED:
            return "—"
        state = obj.verification_state()
        if state == Guide.Verification.VERIFIED:
            return format_html(
                "{} {}",
                Guide.Verification(state).label,
                timezone.localtime(obj.last_verified_at).date(),
            )
        return Guide.Verification(state).label

    @admin.display(description=_("pending change of"))
    def pending_of(self, obj):
        if not obj.draft_of_id:
            return "—"
        url = reverse("admin:kb_guide_change", args=[obj.draft_of_id])
        return format_html('<a href="{}">{}</a>', url, obj.draft_of.title)

    @admin.display(description=_("origin"))
    def origin(self, obj):
        if not obj.origin_file:
            return "—"
        if obj.imported_at:
            return format_html(
                "{} ({})",
                obj.origin_file,
                timezone.localtime(obj.imported_at).strftime("%Y-%m-%d %H:%M"),
            )
        return obj.origin_file

    # --- editing --------------------------------------------------------------------------
    def _is_locked(self, obj):
        return (
            obj is not None
            and not obj.draft_of_id
            and obj.status in (Status.PUBLISHED, Status.ARCHIVED)
        )

    def get_view_on_site_url(self, obj=None):
        """Readers' page of a published guide; the staff preview of anything else (a draft, a
        pending change or an archived guide has no public page)."""
        if obj is None:
            return None
        if obj.status == Status.PUBLISHED and not obj.draft_of_id:
            return obj.get_absolute_url()
        return reverse("admin:kb_guide_preview", args=[obj.pk])

    def has_change_permission(self, request, obj=None):
        # Published and archived guides are changed through a pending copy, never in place.
        if self._is_locked(obj):
            return False
        return super().has_change_permission(request, obj)

    def has_view_permission(self, request, obj=None):
        return super().has_view_permission(request, obj) or super().has_change_permission(
            request, obj
        )

    def has_delete_permission(self, request, obj=None):
        if obj is not None and (obj.status != Status.DRAFT or obj.draft_of_id):
            return False
        return super().has_delete_permission(request, obj)

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = obj.updated_by = request.user
        super().save_model(request, obj, form, change)
        if not change:
            workflow.guide_record_created(guide=obj, user=request.user)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        if not change:
            return
        changed = [form.fields[name].label for name in form.changed_data if name != "kb_version"]
        changed += [fs.model._meta.verbose_name_plural for fs in formsets if fs.has_changed()]
        if not changed:
            return
        was = form.instance.status
        # A reviewer who fixes something while sending the guide back: the send-back (in this
        # same transaction) takes it to draft with the reviewer's reason.
        sent_back = (
            request.POST.get("_transition") == "reject"
            and request.POST.get("reason-reject", "").strip()
            and workflow.is_allowed("reject", guide=form.instance, user=request.user)
        )
        guide = workflow.guide_record_edit(
            guide=form.instance, user=request.user, changed=changed, back_to_draft=not sent_back
        )
        form.instance.status = guide.status
        if was != guide.status:
            self.message_user(
                request,
                _(
                    "The guide was in review: your edit sent it back to draft. Submit it again "
                    "when it is ready."
                ),
                messages.WARNING,
            )

    # --- buttons: the workflow table decides, the services carry out ------------------------
    def get_urls(self):
        urls = [
            path(
                "<int:pk>/transition/<str:name>/",
                self.admin_site.admin_view(self.transition_view),
                name="kb_guide_transition",
            ),
            path(
                "<int:pk>/history/revisions/",
                self.admin_site.admin_view(self.revisions_view),
                name="kb_guide_revisions",
            ),
            path(
                "<int:pk>/review/",
                self.admin_site.admin_view(self.review_view),
                name="kb_guide_review",
            ),
            path(
                "<int:pk>/preview/",
                self.admin_site.admin_view(self.preview_view),
                name="kb_guide_preview",
            ),
        ]
        return urls + super().get_urls()

    def workflow_buttons(self, request, guide):
        """One entry per action the user may take now (``workflow.available_actions``); those that
        change the text's state post the change form, so what was typed is saved first."""
        editable = self.has_change_permission(request, guide)
        return [
            {
                "name": t.name,
                "label": workflow.label_for(t, guide),
                "needs": t.needs,
                "with_form": t.uses_form and editable,
            }
            for t in workflow.available_actions(guide=guide, user=request.user)
        ]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = extra_context or {}
        guide = self.get_object(request, object_id)
        if guide is not None:
            pending = guide.pending_versions.first() if not guide.draft_of_id else None
            extra_context.update(
                {
                    "review_url": review_url(pending or guide),
                    "workflow_buttons": self.workflow_buttons(request, guide),
                    "events": guide.live.events.select_related("actor")[:20],
                    "pending": pending,
                    "is_locked": self._is_locked(guide),
                    "self_publish_blocked": guide.status == Status.IN_REVIEW
                    and request.user.has_perm(workflow.PERM_PUBLISH)
                    and not workflow.is_allowed("publish", guide=guide, user=request.user),
                }
            )
        return super().change_view(request, object_id, form_url, extra_context)

    def response_change(self, request, obj):
        name = request.POST.get("_transition")
        if name:
            return self._transition(request, obj, name)
        return super().response_change(request, obj)

    def transition_view(self, request, pk, name):
        if request.method != "POST":
            raise Http404
        guide = get_object_or_404(Guide, pk=pk)
        if name == "revert":
            return self._revert(request, guide)
        return self._transition(request, guide, name)

    def _transition(self, request, guide, name):
        _done, target = self._run_transition(request, guide, name)
        return HttpResponseRedirect(reverse("admin:kb_guide_change", args=[target.pk]))

    def _run_transition(self, request, guide, name):
        """Carry out the button ``name`` through its service, with a message either way.
        Returns whether it was done and the guide to show next."""
        service = workflow.SERVICES.get(name)
        if service is None:
            raise Http404
        post = request.POST
        data = {
            "note": post.get(f"note-{name}", post.get("note", "")),
            "reason": post.get(f"reason-{name}", post.get("reason", "")),
            "version": post.get("kb_version", post.get("version", "")),
        }
        try:
            result = service(guide, request.user, data)
        except PermissionDenied as exc:
            self.message_user(
                request, str(exc) or _("You do not have permission to do this."), messages.ERROR
            )
        except workflow.WorkflowError as exc:
            self.message_user(request, str(exc), messages.ERROR)
        else:
            self.message_user(request, TRANSITION_MESSAGES[name], messages.SUCCESS)
            return True, result
        return False, guide

    def _revert(self, request, guide):
        number = request.POST.get("revision", "")
        if not number.isdigit():
            raise Http404
        revision = get_object_or_404(GuideRevision, guide=guide, number=int(number))
        target = guide
        try:
            target = workflow.guide_revert(revision=revision, user=request.user)
        except PermissionDenied as exc:
            self.message_user(
                request, str(exc) or _("You do not have permission to do this."), messages.ERROR
            )
        except workflow.WorkflowError as exc:
            self.message_user(request, str(exc), messages.ERROR)
        else:
            self.message_user(
                request, _("The old revision is now a pending change for review."), messages.SUCCESS
            )
        return HttpResponseRedirect(reverse("admin:kb_guide_change", args=[target.pk]))

    # --- history and compare --------------------------------------------------------------
    def revisions_view(self, request, pk):
        guide = get_object_or_404(Guide, pk=pk)
        if not self.has_view_permission(request, guide):
            raise PermissionDenied
        # A pending change has no revisions of its own: it is compared with its live guide's.
        pending = guide if guide.is_pending_copy else guide.pending_versions.first()
        guide = guide.live
        revisions = list(guide.revisions.select_related("created_by").order_by("-number"))
        numbers = [r.number for r in revisions]
        try:
            a = int(request.GET.get("a") or (numbers[1] if len(numbers) > 1 else 0))
            b = int(request.GET.get("b") or (numbers[0] if numbers else 0))
        except ValueError:
            a = b = 0
        by_number = {r.number: r for r in revisions}
        comparison = None
        if a in by_number and b in by_number:
            comparison = compare_versions(by_number[a].data, by_number[b].data)
        elif request.GET.get("current") and revisions:
            comparison = compare_versions(revisions[0].data, snapshot(pending or guide))
        context = {
            **self.admin_site.each_context(request),
            "title": _("History of “%(title)s”") % {"title": guide.title},
            "opts": self.model._meta,
            "original": guide,
            "guide": guide,
            "revisions": revisions,
            "a": a,
            "b": b,
            "comparison": comparison,
            "pending": pending,
            "can_revert": workflow.is_allowed("revert", guide=guide, user=request.user),
        }
        return TemplateResponse(request, "admin/kb/guide/revisions.html", context)

    # --- the review screen ------------------------------------------------------------------
    REVIEW_ACTIONS = ("publish", "reject")

    def review_view(self, request, pk):
        """The page a change in review opens on: live and proposed side by side, with the
        reviewer's publish and send-back forms (only those the workflow table allows)."""
        guide = get_object_or_404(Guide.objects.select_related("draft_of"), pk=pk)
        if not self.has_view_permission(request, guide):
            raise PermissionDenied
        if not guide.is_pending_copy and guide.status in (Status.PUBLISHED, Status.ARCHIVED):
            pending = guide.pending_versions.first()
            if pending is not None:
                return HttpResponseRedirect(reverse("admin:kb_guide_review", args=[pending.pk]))
            self.message_user(request, _("There is no change of this guide to review."))
            return HttpResponseRedirect(reverse("admin:kb_guide_change", args=[guide.pk]))
        if request.method == "POST":
            name = request.POST.get("_transition", "")
            if name not in self.REVIEW_ACTIONS:
                raise Http404
            done, target = self._run_transition(request, guide, name)
            if not done:
                return HttpResponseRedirect(reverse("admin:kb_guide_review", args=[guide.pk]))
            return HttpResponseRedirect(reverse("admin:kb_guide_change", args=[target.pk]))
        live, last_revision = None, None
        if guide.is_pending_copy:
            live = snapshot(guide.draft_of)
        else:
            last_revision = guide.revisions.order_by("-number").first()
            live = last_revision.data if last_revision else None
        allowed = {
            t.name for t in workflow.available_actions(guide=guide, user=request.user)
        } & set(self.REVIEW_ACTIONS)
        comparison = compare_versions(live, snapshot(guide))
        context = {
            **self.admin_site.each_context(request),
            "title": _("Review “%(title)s”") % {"title": guide.title},
            "opts": self.model._meta,
            "original": guide,
            "guide": guide,
            "live_guide": guide.draft_of if guide.is_pending_copy else None,
            "has_live": live is not None,
            "last_revision": last_revision,
            "comparison": comparison,
            "version": workflow.version_token(guide),
            "can_publish": "publish" in allowed,
            "can_reject": "reject" in allowed,
            "publish_blocked": ""
            if "publish" in allowed
            else self._review_blocked_reason(request, guide),
            "preview_url": reverse("admin:kb_guide_preview", args=[guide.pk]),
        }
        return TemplateResponse(request, "admin/kb/guide/review.html", context)

    def _review_blocked_reason(self, request, guide):
        if guide.status == Status.DRAFT:
            return _(
                "This version is a draft: it can be published once it is submitted for review."
            )
        if not request.user.has_perm(workflow.PERM_PUBLISH):
            return _("Only a reviewer can publish this change or send it back.")
        return workflow.blocked_reason("publish", guide=guide, user=request.user)

    def preview_view(self, request, pk):
        guide = get_object_or_404(Guide.objects.select_related("carrier", "country", "task"), pk=pk)
        if not self.has_view_permission(request, guide):
            raise PermissionDenied
        context = {"guide": guide, "preview": True}
        if guide.language != traditional.SIMPLIFIED or request.GET.get("script") != "hant":
            context["preview_traditional_url"] = (
                f"{request.path}?script=hant" if guide.language == traditional.SIMPLIFIED else ""
            )
            return TemplateResponse(request, "kb/guide.html", context)
        # The Traditional version readers of /zh-hant/ will see, converted as publishing would.
        steps, problems = list(guide.steps.order_by("position")), list(guide.problems.all())
        sources = list(guide.sources.order_by("position", "id"))
        data = traditional.guide_converted(guide, steps=steps, problems=problems, sources=sources)
        traditional.show_traditional(
            guide, steps=steps, problems=problems, sources=sources, data=data
        )
        context.update(
            steps=steps, problems=problems, sources=sources, preview_simplified_url=request.path
        )
        with translation.override(traditional.TRADITIONAL):
            response = TemplateResponse(request, "kb/guide.html", context).render()
            response.content = traditional.html_to_traditional(response.content.decode())
        return response

    # --- bulk actions ---------------------------------------------------------------------
    def _bulk(self, request, queryset, service, done_message, **kwargs):
        done, failed = 0, []
        for guide in queryset:
            try:
                service(guide=guide, user=request.user, **kwargs)
                done += 1
            except (PermissionDenied, workflow.WorkflowError) as exc:
                failed.append(f"{guide.title}: {exc}")
        if done:
            self.message_user(request, done_message % {"count": done}, messages.SUCCESS)
        for line in failed:
            self.message_user(request, line, messages.ERROR)

    @admin.action(description=_("Submit selected drafts for review"), permissions=("change",))
    def submit_selected(self, request, queryset):
        self._bulk(
            request, queryset, workflow.guide_submit, _("%(count)d guide(s) submitted for review.")
        )

    @admin.action(description=_("Mark selected guides as verified"), permissions=("verify",))
    def verify_selected(self, request, queryset):
        self._bulk(
            request, queryset, workflow.guide_verify, _("%(count)d guide(s) marked as verified.")
        )

    def has_verify_permission(self, request):
        return request.user.has_perm(workflow.PERM_VERIFY)


def review_url(guide: Guide) -> str | None:
    """The review screen of ``guide`` when it has something to review: a guide in review or a
    pending change (of a published guide: its pending change)."""
    if guide.is_pending_copy or guide.status == Status.IN_REVIEW:
        return reverse("admin:kb_guide_review", args=[guide.pk])
    return None


@admin.register(GuideEvent)
class GuideEventAdmin(admin.ModelAdmin):
    class Media:
        css = {"all": ("css/admin-layout.css",)}

    list_display = ("at", "guide", "action", "actor", "from_label", "to_label", "note")
    list_filter = ("action",)
    list_select_related = ("guide", "actor")
    search_fields = ("guide__title", "note")
    date_hierarchy = "at"

    @admin.display(description=_("from"), ordering="from_status")
    def from_label(self, obj):
        return _status_label(obj.from_status)

    @admin.display(description=_("to"), ordering="to_status")
    def to_label(self, obj):
        return _status_label(obj.to_status)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


def _status_label(code: str) -> str:
    return Status(code).label if code in Status.values else (code or "—")


# --- the editorial dashboard ------------------------------------------------------------------
def _guide_list(query: str) -> str:
    return f"{reverse('admin:kb_guide_changelist')}?{query}"


def _can_see_guides(request) -> bool:
    return request.user.has_perm("kb.view_guide") or request.user.has_perm("kb.change_guide")


@dashboard_item
def guides_in_review(request):
    if not _can_see_guides(request):
        return None
    count = Guide.objects.filter(status=Status.IN_REVIEW).count()
    return {
        "label": _("Guides in review"),
        "count": count,
        "url": _guide_list("status__exact=in_review"),
    }


@dashboard_item
def pending_changes(request):
    if not _can_see_guides(request):
        return None
    count = Guide.objects.pending_changes().count()
    return {
        "label": _("Pending changes of published guides"),
        "count": count,
        "url": _guide_list("pending=copies"),
    }


@dashboard_item
def needs_verification(request):
    if not _can_see_guides(request):
        return None
    count = Guide.objects.needs_verification().count()
    return {
        "label": _("Guides that need verification"),
        "count": count,
        "url": _guide_list("verification=due"),
    }


@dashboard_item
def drafts(request):
    if not _can_see_guides(request):
        return None
    count = Guide.objects.originals().filter(status=Status.DRAFT).count()
    return {
        "label": _("Drafts"),
        "count": count,
        "url": _guide_list("status__exact=draft&pending=originals"),
    }
