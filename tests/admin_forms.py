"""What an editor's browser posts: the admin change form as it was rendered, plus the edits."""

from django.forms import CheckboxInput


def change_form_data(response, **changes) -> dict:
    """The POST data of the change form in ``response`` (a rendered admin change page), with
    ``changes`` applied (field names as posted, e.g. ``title`` or ``steps-0-body``)."""
    forms = [response.context["adminform"].form]
    for inline in response.context["inline_admin_formsets"]:
        forms.append(inline.formset.management_form)
        forms.extend(inline.formset.forms)
    data = {}
    for form in forms:
        for field in form:
            value = field.value()
            if isinstance(field.field.widget, CheckboxInput):
                if value:
                    data[field.html_name] = "on"
            elif value is not None:
                data[field.html_name] = value
    data.update(changes)
    return data
