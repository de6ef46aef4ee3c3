from django import template
from django.utils.safestring import mark_safe

from kb import markdown

register = template.Library()


@register.filter
def sanitized(html):
    """Output stored Markdown HTML, cleaned again by the allowlist."""
    return markdown.safe(html or "")


@register.filter
def sanitized_with_phones(html):
    """Like ``sanitized``, with phone numbers as tappable ``tel:`` links."""
    return mark_safe(markdown.link_phone_numbers(markdown.sanitize(html or "")))  # noqa: S308
