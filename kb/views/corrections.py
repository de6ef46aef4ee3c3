from django.http import Http404


def correction_form(request, slug, position=None):
    raise Http404


def correction_status(request, code):
    raise Http404
