"""Pictures in the guide admin: one inline on the guide, each row with a "where" selector.

Django's admin has no nested inlines (pictures inside the step inline). One picture inline on
the guide page, whose rows say which step or problem they illustrate, keeps everything about a
guide on one page and one save, works with the pending-change copy like the step inline does,
and needs no JavaScript. New steps must be saved once before a picture can point at them.
"""

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.storage import default_storage
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404
from django.urls import path
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from kb import images
from kb.models import Correction, Guide, GuideImage, ImageAsset
from kb.services import images as image_services
from kb.views.media import CONTENT_TYPES

ACCEPT = "image/jpeg,image/png,image/webp"


class GuideImageForm(forms.ModelForm):
    place = forms.ChoiceField(label=_("shown with"))
    upload = forms.FileField(
        label=_("picture file"),
        required=False,
        help_text=_("JPEG, PNG or WebP, at most 5 MB. Metadata (such as location) is removed."),
        widget=forms.ClearableFileInput(attrs={"accept": ACCEPT}),
        error_messages={"empty": images.MESSAGES["empty"]},
    )

    class Meta:
        model = GuideImage
        fields = ("alt", "caption", "position")
        widgets = {"alt": forms.TextInput(attrs={"size": 40})}

    def __init__(self, *args, guide: Guide | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        choices = [("", "---------")]
        if guide is not None and guide.pk:
            steps = [
                (f"step:{s.pk}", _("Step %(n)s: %(title)s") % {"n": s.position, "title": s.title})
                for s in guide.steps.order_by("position")
            ]
            problems = [
                (f"problem:{p.pk}", _("Problem: %(symptom)s") % {"symptom": p.symptom})
                for p in guide.problems.order_by("position")
            ]
            choices += [(_("Steps"), steps), (_("Problems"), problems)]
        self.fields["place"].choices = choices
        self.fields["place"].help_text = _("Save new steps first; then they can be chosen here.")
        if self.instance.pk:
            self.initial["place"] = (
                f"step:{self.instance.step_id}"
                if self.instance.step_id
                else f"problem:{self.instance.problem_id}"
            )
        self._processed = None

    def clean_upload(self):
        upload = self.cleaned_data.get("upload")
        if upload:
            self._processed = image_services.image_process(upload=upload)
        elif not self.instance.asset_id:
            raise ValidationError(_("Choose a picture file."), code="required")
        return upload

    def clean(self):
        cleaned = super().clean()
        place = cleaned.get("place") or ""
        kind, _sep, pk = place.partition(":")
        guide = self.instance.guide
        self.instance.step = self.instance.problem = None
        if kind == "step":
            self.instance.step = guide.steps.filter(pk=pk).first()
        elif kind == "problem":
            self.instance.problem = guide.problems.filter(pk=pk).first()
        if place and self.instance.step is None and self.instance.problem is None:
            self.add_error("place", _("Choose a step or problem of this guide."))
        return cleaned

    def save(self, commit=True):
        if self._processed is not None:
            self.instance.asset = image_services.image_store(processed=self._processed)
        return super().save(commit=commit)


class GuideImageFormSet(forms.BaseInlineFormSet):
    def get_form_kwargs(self, index):
        return {**super().get_form_kwargs(index), "guide": self.instance}


class GuideImageInline(admin.TabularInline):
    model = GuideImage
    form = GuideImageForm
    formset = GuideImageFormSet
    fields = ("thumbnail", "place", "upload", "alt", "caption", "position")
    readonly_fields = ("thumbnail",)
    extra = 0
    ordering = ("step__position", "problem__position", "position", "id")
    verbose_name = _("picture")
    verbose_name_plural = _("pictures (screenshots and diagrams)")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("asset", "step", "problem")

    def get_fields(self, request, obj=None):
        """Read-only, the form's own fields (where and which file) give way to a plain
        "shown with" column: Django would label them from their bare names."""
        if self.has_change_permission(request, obj):
            return self.fields
        return ("thumbnail", "shown_with", "alt", "caption", "position")

    def get_readonly_fields(self, request, obj=None):
        if self.has_change_permission(request, obj):
            return self.readonly_fields
        return ("thumbnail", "shown_with", "alt", "caption", "position")

    @admin.display(description=_("shown with"))
    def shown_with(self, obj):
        if obj.step_id:
            return _("Step %(n)s: %(title)s") % {"n": obj.step.position, "title": obj.step.title}
        if obj.problem_id:
            return _("Problem: %(symptom)s") % {"symptom": obj.problem.symptom}
        return "—"

    @admin.display(description=_("picture"))
    def thumbnail(self, obj):
        if not obj or not obj.asset_id:
            return "—"
        return format_html(
            '<img src="{}" width="120" alt="{}" class="kb-thumbnail">',
            obj.asset.thumbnail_url,
            obj.alt,
        )

    def _locked(self, obj):
        guide_admin = self.admin_site._registry.get(Guide)
        return obj is not None and guide_admin is not None and guide_admin._is_locked(obj)

    def has_add_permission(self, request, obj=None):
        return not self._locked(obj) and super().has_add_permission(request, obj)

    def has_change_permission(self, request, obj=None):
        return not self._locked(obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return not self._locked(obj) and super().has_delete_permission(request, obj)


@admin.register(ImageAsset)
class ImageAssetAdmin(admin.ModelAdmin):
    """The stored files: read-only (they are made by uploads and deleted by prune_images)."""

    list_display = ("thumbnail", "key_short", "width", "height", "uses", "created_at")
    readonly_fields = ("thumbnail", "key", "width", "height", "has_alpha", "renditions")
    fields = readonly_fields

    def get_queryset(self, request):
        from django.db.models import Count

        return super().get_queryset(request).annotate(use_count=Count("placements"))

    @admin.display(description=_("picture"))
    def thumbnail(self, obj):
        return format_html('<img src="{}" width="120" alt="">', obj.thumbnail_url)

    @admin.display(description=_("key"))
    def key_short(self, obj):
        return obj.key[:16]

    @admin.display(description=_("used in guides"), ordering="use_count")
    def uses(self, obj):
        return getattr(obj, "use_count", 0)

    def get_urls(self):
        return [
            path(
                "evidence/<int:pk>/",
                self.admin_site.admin_view(self.evidence_view),
                name="kb_correction_screenshot",
            ),
            *super().get_urls(),
        ]

    def evidence_view(self, request, pk):
        """A reader's screenshot, for staff who may see the corrections queue; never cached."""
        if not request.user.has_perm("kb.view_correction"):
            raise PermissionDenied
        correction = get_object_or_404(Correction, pk=pk)
        name = correction.screenshot.name
        if not name:
            raise Http404
        try:
            handle = default_storage.open(name, "rb")
        except Exception:
            raise Http404 from None
        extension = name.rsplit(".", 1)[-1]
        response = FileResponse(handle, content_type=CONTENT_TYPES.get(extension, "image/png"))
        response["Cache-Control"] = "private, no-store"
        response["Content-Security-Policy"] = "default-src 'none'"
        return response

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


def attach_to(guide_admin_class) -> None:
    """Add the picture inline to the guide admin (kept here, so that file stays its own)."""
    if GuideImageInline not in guide_admin_class.inlines:
        guide_admin_class.inlines = (*guide_admin_class.inlines, GuideImageInline)
