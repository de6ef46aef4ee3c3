""" "Which guide do I need?": three questions asked on country and carrier pages (plain GET)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from kb.models import Carrier

GOAL_KEEP, GOAL_MOVE, GOAL_PHONE, GOAL_END = "keep", "move", "phone", "end"
PLAN_PREPAID, PLAN_MONTHLY, UNSURE = "prepaid", "monthly", "unsure"
SIM_PHYSICAL, SIM_ESIM = "physical", "esim"


class ChooserForm(forms.Form):
    carrier = forms.ModelChoiceField(
        label=_("Your carrier"),
        queryset=Carrier.objects.none(),
        to_field_name="slug",
        empty_label=None,
        error_messages={"invalid_choice": _("Choose a carrier from the list.")},
    )
    goal = forms.ChoiceField(
        label=_("Do you want to keep this number?"),
        widget=forms.RadioSelect,
        choices=(
            (GOAL_KEEP, _("Yes, keep it with this carrier while I am away")),
            (GOAL_MOVE, _("Yes, but move it to another carrier")),
            (GOAL_PHONE, _("Yes, and use it on a new phone or as an eSIM")),
            (GOAL_END, _("No, I want to end the line")),
        ),
        error_messages={"required": _("Choose what you want to do with the number.")},
    )
    plan = forms.ChoiceField(
        label=_("Is it prepaid or a monthly plan?"),
        widget=forms.RadioSelect,
        choices=(
            (PLAN_PREPAID, _("Prepaid (top-ups)")),
            (PLAN_MONTHLY, _("Monthly plan (a bill every month)")),
            (UNSURE, _("Not sure")),
        ),
        initial=UNSURE,
        required=False,
    )
    sim = forms.ChoiceField(
        label=_("Is it a physical SIM card or an eSIM?"),
        widget=forms.RadioSelect,
        choices=(
            (SIM_PHYSICAL, _("Physical SIM card")),
            (SIM_ESIM, _("eSIM")),
            (UNSURE, _("Not sure")),
        ),
        initial=UNSURE,
        required=False,
    )

    def __init__(self, *args, carriers, fixed_carrier=None, **kwargs):
        super().__init__(*args, auto_id="chooser-%s", **kwargs)
        self.fields["carrier"].queryset = carriers
        self.fixed_carrier = fixed_carrier
        if fixed_carrier is not None:
            self.fields["carrier"].widget = forms.HiddenInput()
            self.fields["carrier"].initial = fixed_carrier.slug
