from django import template

from kb import markdown

register = template.Library()


@register.filter
def sanitized(html):
    """Output stored Markdown HTML, cleaned again by the allowlist."""
    return markdown.safe(html or "")
