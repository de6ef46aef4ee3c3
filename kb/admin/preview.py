"""A live preview under every Markdown field of the guide form, rendered on the server by the
functions the public page uses (``markdown.render`` when a row is saved, then the phone links of
the ``sanitized_with_phones`` filter), so what the editor sees is what readers will see.

The page runs no inline script: static/js/markdown-preview.js posts the text to
``admin:kb_markdown_preview`` (staff who may add or change guides) and shows the answer in a
panel under the field.
"""

from django.contrib.admin.widgets import AdminTextareaWidget
from django.core.exceptions import PermissionDenied
from django.http import JsonResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kb import markdown

MAX_PREVIEW_CHARS = 50_000


def markdown_fields(model) -> set[str]:
    """The model's Markdown fields: those saved with a rendered ``<name>_html`` beside them."""
    names = {field.name for field in model._meta.concrete_fields}
    return {name for name in names if f"{name}_html" in names}


def preview_html(text: str) -> str:
    return markdown.link_phone_numbers(markdown.render(text))


class MarkdownTextarea(AdminTextareaWidget):
    """The admin's textarea, with a button that opens the preview panel below it (the button
    shows once the script runs)."""

    class Media:
        css = {"all": ("css/markdown-preview.css",)}
        js = ("js/markdown-preview.js",)

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        context["widget"]["attrs"]["data-markdown-preview"] = reverse("admin:kb_markdown_preview")
        return context

    def render(self, name, value, attrs=None, renderer=None):
        return format_html(
            '<div class="kb-md" data-empty="{}" data-failed="{}">{}'
            '<div class="kb-md-tools"><button type="button" class="kb-md-toggle" '
            'aria-expanded="false" data-show="{}" data-hide="{}">{}</button></div>'
            '<div class="kb-md-preview" role="region" aria-label="{}" aria-live="polite" hidden>'
            "</div></div>",
            _("Nothing to preview yet."),
            _("The preview could not be loaded. Your text is not lost: it is still in the field."),
            super().render(name, value, attrs, renderer),
            _("Show preview"),
            _("Hide preview"),
            _("Show preview"),
            _("Preview, as readers will see it"),
        )


class MarkdownFieldsMixin:
    """For a ModelAdmin or an inline: its model's Markdown fields get the preview widget."""

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if db_field.name in markdown_fields(db_field.model):
            kwargs["widget"] = MarkdownTextarea
        return super().formfield_for_dbfield(db_field, request, **kwargs)


class MarkdownPreviewMixin(MarkdownFieldsMixin):
    """For the guide's ModelAdmin: also serves the preview endpoint."""

    def get_urls(self):
        preview = path(
            "markdown-preview/",
            self.admin_site.admin_view(self.markdown_preview_view),
            name="kb_markdown_preview",
        )
        return [preview, *super().get_urls()]

    def markdown_preview_view(self, request):
        # Staff who may not write a guide have no Markdown field to preview.
        if not (self.has_add_permission(request) or self.has_change_permission(request)):
            raise PermissionDenied
        return markdown_preview_view(request)


@require_POST
def markdown_preview_view(request):
    text = request.POST.get("text", "")
    if len(text) > MAX_PREVIEW_CHARS:
        message = _("This text is too long to preview: %(count)s characters, at most %(max)s.") % {
            "count": f"{len(text):,}",
            "max": f"{MAX_PREVIEW_CHARS:,}",
        }
        return JsonResponse({"error": message}, status=400)
    return JsonResponse({"html": preview_html(text)})
