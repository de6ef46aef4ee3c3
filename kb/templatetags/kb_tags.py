from django import template
from django.utils.safestring import mark_safe

from kb import markdown

register = template.Library()


@register.filter
def sanitized(html):
    """Output a model's stored ``*_html``, sanitized by ``markdown.render`` when it was saved."""
    return markdown.stored(html)


@register.filter
def sanitized_with_phones(html):
    """Like ``sanitized``, with phone numbers as tappable ``tel:`` links (digits only are
    wrapped, in HTML that ``markdown.render`` sanitized when it was saved)."""
    return mark_safe(markdown.link_phone_numbers(html or ""))  # noqa: S308
