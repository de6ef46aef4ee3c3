from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from kb.admin.base import URL_FIELDS_HTTPS
from kb.admin.dashboard import dashboard_item
from kb.diff import char_diff_html
from kb.models import Carrier, CarrierChange, Country, SupportChannel, Task
from kb.services import catalogue, hooks


class CatalogueAdmin(admin.ModelAdmin):
    """Catalogue edits show on public pages at once: the page caches are dropped."""

    formfield_overrides = URL_FIELDS_HTTPS

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        hooks.catalogue_changed()

    def delete_model(self, request, obj):
        super().delete_model(request, obj)
        hooks.catalogue_changed()

    def delete_queryset(self, request, queryset):
        super().delete_queryset(request, queryset)
        hooks.catalogue_changed()

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        hooks.catalogue_changed()


@admin.register(Country)
class CountryAdmin(CatalogueAdmin):
    list_display = ("slug", "name_zh", "name_en", "position")
    list_editable = ("position",)
    search_fields = ("slug", "name_zh", "name_en", "aliases")
    fields = ("slug", "name_zh", "name_en", "aliases", "position")


class SupportChannelInline(admin.StackedInline):
    formfield_overrides = URL_FIELDS_HTTPS
    model = SupportChannel
    extra = 0
    fields = (
        ("kind", "position", "works_from_abroad"),
        ("label_zh", "label_en"),
        ("value", "url"),
        ("hours_zh", "hours_en"),
        ("cost_zh", "cost_en"),
    )


@admin.register(Carrier)
class CarrierAdmin(CatalogueAdmin):
    """Saving a carrier proposes the change; a reviewer approves it (``CarrierChangeAdmin``)."""

    list_display = ("name", "slug", "country", "website")
    list_filter = ("country",)
    list_select_related = ("country",)
    search_fields = ("name", "name_zh", "slug", "aliases", "search_aliases")
    inlines = (SupportChannelInline,)
    readonly_fields = ("change_history",)
    fieldsets = (
        (None, {"fields": ("name", "name_zh", "slug", "country", "website")}),
        (None, {"fields": ("aliases", "search_aliases")}),
        (None, {"fields": ("description_zh", "description_en")}),
        (_("Changes"), {"fields": ("change_history",)}),
    )

    def has_add_permission(self, request):
        # A new carrier is added by a reviewer; editors propose changes to existing ones.
        return super().has_add_permission(request) and request.user.has_perm(catalogue.PERM_APPROVE)

    @admin.display(description=_("proposed changes"))
    def change_history(self, obj):
        if obj is None or obj.pk is None:
            return "—"
        changes = obj.changes.select_related("proposed_by", "decided_by")[:10]
        if not changes:
            return "—"
        return format_html(
            "<ul>{}</ul>",
            format_html_join(
                "",
                '<li><a href="{}">{} · {} · {}</a>{}</li>',
                (
                    (
                        reverse("admin:kb_carrierchange_change", args=[c.pk]),
                        timezone.localtime(c.proposed_at).strftime("%Y-%m-%d %H:%M"),
                        c.proposed_by or "—",
                        c.get_status_display(),
                        f" · {c.decided_by}" if c.decided_by else "",
                    )
                    for c in changes
                ),
            ),
        )

    def save_model(self, request, obj, form, change):
        if not change:
            super().save_model(request, obj, form, change)

    def save_related(self, request, form, formsets, change):
        if not change:
            super().save_related(request, form, formsets, change)
            return
        carrier = form.instance
        channels = []
        for formset in formsets:
            kept = [
                f
                for f in formset.forms
                if f.cleaned_data
                and not formset._should_delete_form(f)
                and (f.instance.pk or f.has_changed())
            ]
            kept.sort(key=lambda f: (f.cleaned_data.get("position") or 0, formset.forms.index(f)))
            channels = [
                {field: getattr(f.instance, field) for field in catalogue.CHANNEL_FIELDS}
                for f in kept
            ]
        facts = {
            "carrier": {field: getattr(carrier, field) for field in catalogue.CARRIER_FIELDS},
            "channels": channels,
        }
        request._kb_carrier_change = catalogue.carrier_propose(
            carrier=carrier, user=request.user, facts=facts
        )

    def construct_change_message(self, request, form, formsets, add=False):
        if add:
            return super().construct_change_message(request, form, formsets, add)
        return ""  # nothing was saved: the proposal is the record

    def log_change(self, request, obj, message):
        return None

    def response_change(self, request, obj):
        proposal = getattr(request, "_kb_carrier_change", None)
        if proposal is None:
            self.message_user(request, _("Nothing changed."), messages.INFO)
            return HttpResponseRedirect(request.path)
        self.message_user(
            request,
            _("Your change is proposed: readers see it once a reviewer has approved it."),
            messages.SUCCESS,
        )
        return HttpResponseRedirect(reverse("admin:kb_carrierchange_change", args=[proposal.pk]))


def _fact_rows(before: dict, after: dict) -> dict:
    fields = []
    for name in catalogue.CARRIER_FIELDS:
        old, new = before["carrier"].get(name), after["carrier"].get(name)
        if old != new:
            label = Carrier._meta.get_field(name.removesuffix("_id")).verbose_name
            fields.append({"name": label, "diff": char_diff_html(str(old or ""), str(new or ""))})
    channels = []
    old_list, new_list = before.get("channels", []), after.get("channels", [])
    for index in range(max(len(old_list), len(new_list))):
        a = old_list[index] if index < len(old_list) else {}
        b = new_list[index] if index < len(new_list) else {}
        diffs = [
            {
                "name": SupportChannel._meta.get_field(name).verbose_name,
                "diff": char_diff_html(str(a.get(name, "")), str(b.get(name, ""))),
            }
            for name in catalogue.CHANNEL_FIELDS
            if a.get(name) != b.get(name)
        ]
        if diffs:
            status = (
                _("added")
                if not a
                else _("removed")
                if not b
                else pgettext_lazy("comparison", "changed")
            )
            channels.append({"position": index + 1, "status": status, "diffs": diffs})
    return {"fields": fields, "channels": channels}


class RejectChangeForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=2000)


@admin.register(CarrierChange)
class CarrierChangeAdmin(admin.ModelAdmin):
    change_form_template = "admin/kb/carrierchange/change_form.html"
    list_display = ("carrier", "status", "proposed_by", "proposed_at", "decided_by", "decided_at")
    list_filter = ("status",)
    list_select_related = ("carrier", "proposed_by", "decided_by")
    search_fields = ("carrier__name",)
    readonly_fields = (
        "carrier",
        "status",
        "proposed_by",
        "proposed_at",
        "decided_by",
        "decided_at",
        "note",
    )
    fields = readonly_fields

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def change_view(self, request, object_id, form_url="", extra_context=None):
        change = self.get_object(request, object_id)
        extra_context = extra_context or {}
        if change is not None:
            extra_context.update(
                {
                    "comparison": _fact_rows(change.before, change.after),
                    "can_decide": catalogue.can_decide(change, request.user),
                    "own_change": change.proposed_by_id == request.user.pk
                    and change.status == CarrierChange.Status.PENDING,
                }
            )
        return super().change_view(request, object_id, form_url, extra_context)

    def get_urls(self):
        return [
            path(
                "<int:pk>/decide/<str:name>/",
                self.admin_site.admin_view(self.decide_view),
                name="kb_carrierchange_decide",
            ),
            *super().get_urls(),
        ]

    def decide_view(self, request, pk, name):
        if request.method != "POST" or name not in ("approve", "reject"):
            raise Http404
        change = get_object_or_404(CarrierChange, pk=pk)
        back = reverse("admin:kb_carrierchange_change", args=[change.pk])
        try:
            if name == "approve":
                catalogue.carrier_change_approve(change=change, user=request.user)
                message = _("Approved: readers see the change now.")
            else:
                form = RejectChangeForm(request.POST)
                reason = form.cleaned_data["reason"] if form.is_valid() else ""
                catalogue.carrier_change_reject(change=change, user=request.user, reason=reason)
                message = _("Not approved.")
        except PermissionDenied as exc:
            self.message_user(request, str(exc), messages.ERROR)
        except (catalogue.CatalogueError, ValidationError) as exc:
            self.message_user(
                request, "; ".join(getattr(exc, "messages", [str(exc)])), messages.ERROR
            )
        else:
            self.message_user(request, message, messages.SUCCESS)
        return HttpResponseRedirect(back)


@dashboard_item
def carrier_changes_waiting(request):
    if not request.user.has_perm("kb.view_carrierchange"):
        return None
    return {
        "label": _("Carrier changes waiting for a reviewer"),
        "count": CarrierChange.objects.filter(status=CarrierChange.Status.PENDING).count(),
        "url": reverse("admin:kb_carrierchange_changelist") + "?status__exact=pending",
    }


@admin.register(Task)
class TaskAdmin(CatalogueAdmin):
    list_display = ("slug", "name_zh", "name_en", "position")
    list_editable = ("position",)
    search_fields = ("slug", "name_zh", "name_en", "synonyms")
