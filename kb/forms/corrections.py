from datetime import date, timedelta

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Column, Div, Field, Layout, Row, Submit
from django import forms
from django.conf import settings
from django.core.validators import URLValidator
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kb import images
from kb.models import Correction, Guide, Step
from kb.services import images as image_services
from kb.services import spam

EARLIEST_TRIED_ON = date(2000, 1, 1)


def _same_text(a: str, b: str) -> bool:
    return " ".join((a or "").split()) == " ".join((b or "").split())


class UncheckedField(forms.CharField):
    """A hidden field whose value is judged by the spam rules, never rejected by validation:
    a robot's odd value must still be stored (as spam), not bounced back to it."""

    def __init__(self, **kwargs):
        super().__init__(required=False, strip=True, **kwargs)
        self.validators = []

    def to_python(self, value):
        return (super().to_python(value) or "").replace("\x00", "")[:500]


class ReaderTextField(forms.CharField):
    """A reader's text with NUL characters dropped before validation: a NUL pasted by accident
    (or sent by a broken client) is invisible to the reader, so refusing the post for it would
    give a message nobody can act on, and the database would refuse it anyway."""

    def to_python(self, value):
        if isinstance(value, str):
            value = value.replace("\x00", "")
        return super().to_python(value)


class StepChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return _("Step %(n)s: %(title)s") % {"n": obj.position, "title": obj.title}


class CorrectionForm(forms.ModelForm):
    step = StepChoiceField(
        queryset=Step.objects.none(),
        required=False,
        label=_("Which step"),
        empty_label=_("The whole guide (no particular step)"),
        help_text=_("For a missing step, choose the step it should come after."),
    )
    evidence_url = forms.URLField(
        label=_("Evidence link"),
        required=False,
        max_length=500,
        assume_scheme="https",
        validators=[URLValidator(schemes=["http", "https"])],
        help_text=_("Optional: the carrier's page or announcement that shows the change."),
        widget=forms.URLInput(attrs={"placeholder": "https://"}),
    )
    screenshot = forms.FileField(
        label=_("Screenshot"),
        required=False,
        help_text=_(
            "Optional: one JPEG, PNG or WebP picture of what you see, at most 5 MB. Only our "
            "editors see it; its metadata (such as location) is removed, and it is deleted "
            "with your other details."
        ),
        widget=forms.ClearableFileInput(attrs={"accept": "image/jpeg,image/png,image/webp"}),
        error_messages={"empty": images.MESSAGES["empty"]},
    )
    website = UncheckedField(
        label=_("Leave this field empty"),
        widget=forms.TextInput(attrs={"autocomplete": "off", "tabindex": "-1"}),
    )
    started = UncheckedField(widget=forms.HiddenInput)

    class Meta:
        model = Correction
        fields = ["kind", "proposed_text", "evidence_url", "tried_on", "plan_type", "email"]
        field_classes = {"proposed_text": ReaderTextField}
        widgets = {
            "kind": forms.RadioSelect,
            "proposed_text": forms.Textarea(attrs={"rows": 8, "maxlength": 5000}),
            "tried_on": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        }

    field_order = [
        "kind",
        "step",
        "proposed_text",
        "evidence_url",
        "screenshot",
        "tried_on",
        "plan_type",
        "email",
    ]

    def __init__(self, *args, guide: Guide, step: Step | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.guide = guide
        self.instance.guide = guide
        self.fields["step"].queryset = guide.steps.order_by("position")
        self.fields["kind"].choices = list(Correction.Kind.choices)
        self.fields["plan_type"].choices = [("", _("Prefer not to say"))] + list(
            Correction.PlanType.choices
        )
        self.fields["email"].help_text = _(
            "Optional. Used only to tell you once what became of this report, then deleted "
            "(after %(days)s days at the latest). Never shown on the site or shared."
        ) % {"days": settings.KB_PERSONAL_DATA_DAYS}
        self.fields["proposed_text"].label = _("The text as it should be")
        self.fields["proposed_text"].help_text = _(
            "We filled in the step as it is now: change what is wrong rather than retyping it."
        )
        if not self.is_bound:
            self.initial["started"] = spam.form_token(guide.pk)
            if step is not None:
                self.initial["step"] = step.pk
                self.initial["proposed_text"] = step.body
        self.screenshot_processed = None
        self.helper = self._helper()

    def _helper(self) -> FormHelper:
        helper = FormHelper()
        helper.form_method = "post"
        helper.form_id = "correction-form"
        helper.attrs = {"novalidate": ""}
        helper.layout = Layout(
            Field("kind"),
            Field("step"),
            Field("proposed_text"),
            Field("evidence_url"),
            Field("screenshot"),
            Row(
                Column("tried_on", css_class="col-sm-6"), Column("plan_type", css_class="col-sm-6")
            ),
            Field("email"),
            Div(Field("website"), css_class="d-none", aria_hidden="true"),
            Field("started"),
            Submit("send", _("Send the correction")),
        )
        return helper

    def clean_screenshot(self):
        upload = self.cleaned_data.get("screenshot")
        if not upload:
            return None
        try:
            self.screenshot_processed = image_services.evidence_process(upload=upload)
        except forms.ValidationError as exc:
            raise forms.ValidationError(
                [
                    *exc.messages,
                    _(
                        "Your text is kept below: choose another picture, or send the "
                        "correction without one."
                    ),
                ],
                code=getattr(exc, "code", "invalid"),
            ) from None
        return upload

    def clean_proposed_text(self):
        return (self.cleaned_data.get("proposed_text") or "").replace("\r\n", "\n").strip()

    def clean_tried_on(self):
        value = self.cleaned_data.get("tried_on")
        if value is None:
            return value
        if value > timezone.localdate() + timedelta(days=1):
            raise forms.ValidationError(_("This date is in the future."), code="future")
        if value < EARLIEST_TRIED_ON:
            raise forms.ValidationError(_("Give a date after 2000."), code="too_early")
        return value

    def clean(self):
        cleaned = super().clean()
        step = cleaned.get("step")
        text = cleaned.get("proposed_text")
        if step is not None and text and _same_text(text, step.body):
            self.add_error(
                "proposed_text",
                forms.ValidationError(
                    _("This is the step as it is now: change the text to say what is right."),
                    code="unchanged",
                ),
            )
        return cleaned

    def spam_flags(self) -> list[dict]:
        """What the hidden fields say about the sender (honeypot, signed time)."""
        return spam.form_reasons(
            token=self.cleaned_data.get("started", ""),
            honeypot=self.cleaned_data.get("website", ""),
            guide_id=self.guide.pk,
        )
