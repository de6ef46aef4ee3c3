from django import template

from kb import markdown

register = template.Library()


@register.filter
def sanitized(html):
    """Output a model's stored ``*_html``, sanitized by ``markdown.render`` when it was saved."""
    return markdown.stored(html)
