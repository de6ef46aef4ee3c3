from django import template

from kb.admin.dashboard import dashboard_rows, dashboard_sections

register = template.Library()


@register.simple_tag(takes_context=True)
def kb_dashboard_rows(context):
    request = context.get("request")
    if request is None or not request.user.is_staff:
        return []
    return dashboard_rows(request)


@register.simple_tag(takes_context=True)
def kb_dashboard_sections(context):
    request = context.get("request")
    if request is None or not request.user.is_staff:
        return []
    return dashboard_sections(request)
