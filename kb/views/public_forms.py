"""The readers' forms on the public pages, rendered with crispy forms."""

from crispy_forms.bootstrap import FieldWithButtons, StrictButton
from crispy_forms.helper import FormHelper
from crispy_forms.layout import Layout, Submit
from django import forms
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from kb.models import GuideFeedback


class SearchBoxForm(forms.Form):
    q = forms.CharField(
        label=_("What do you need to do?"),
        max_length=200,
        required=False,
        widget=forms.TextInput(attrs={"type": "search", "enterkeyhint": "search"}),
    )

    def __init__(self, *args, place="home", **kwargs):
        super().__init__(*args, auto_id=f"{place}-%s", **kwargs)
        self.helper = FormHelper()
        self.helper.form_method = "get"
        self.helper.form_action = reverse("kb:search")
        self.helper.form_class = f"search-box search-box-{place}"
        self.helper.attrs = {"role": "search"}
        if place == "header":
            self.fields["q"].label = _("Search guides")
            self.fields["q"].widget.attrs["placeholder"] = _("Search guides")
            self.helper.label_class = "visually-hidden"
        else:
            self.fields["q"].widget.attrs["placeholder"] = _("e.g. T-Mobile pause, 注销")
        self.helper.layout = Layout(
            FieldWithButtons(
                "q",
                StrictButton(_("Search"), type="submit", css_class="btn-primary"),
                input_size="input-group-sm" if place == "header" else "",
            )
        )


class FeedbackForm(forms.ModelForm):
    """ "Did this work for you?": the answer comes from the button pressed."""

    helpful = forms.TypedChoiceField(
        label=_("Did this work for you?"),
        choices=(("yes", _("Yes")), ("no", _("No"))),
        coerce=lambda value: value == "yes",
        error_messages={"required": _("Choose yes or no.")},
    )

    class Meta:
        model = GuideFeedback
        fields = ["helpful", "reason", "comment"]
        labels = {
            "reason": _("What went wrong? (optional)"),
            "comment": _("Anything else? (optional)"),
        }
        help_texts = {
            "reason": "",
            "comment": _("Do not write phone numbers, passwords or codes here."),
        }
        widgets = {"comment": forms.Textarea(attrs={"rows": 2, "maxlength": 500})}

    def __init__(self, *args, prefix_id="feedback", **kwargs):
        super().__init__(*args, auto_id=f"{prefix_id}-%s", **kwargs)
        self.fields["reason"].choices = [("", _("Choose a reason"))] + list(
            GuideFeedback.Reason.choices
        )


class GuideRequestForm(forms.Form):
    """Asking for a guide has nothing to fill in: the carrier and task are in the address."""

    def __init__(self, *args, action="", **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_method = "post"
        self.helper.form_action = action
        self.helper.add_input(Submit("ask", _("Ask for this guide")))
