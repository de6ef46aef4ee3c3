"""Catalogue facts readers see follow the guides' rule: an editor proposes a change to a carrier
(names, website, support channels), a reviewer approves it, and the history says who did what."""

import pytest
from django.urls import reverse
from django.utils import translation

from kb.models import CarrierChange, SupportChannel
from kb.services import catalogue
from tests import factories
from tests.admin_forms import change_form_data

pytestmark = pytest.mark.django_db
Status = CarrierChange.Status


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


@pytest.fixture(autouse=True)
def _settings(settings):
    settings.KB_ALLOW_SELF_PUBLISH = False


@pytest.fixture
def carrier():
    carrier = factories.carrier(website="https://www.t-mobile.com/")
    SupportChannel.objects.create(
        carrier=carrier, kind="phone", label_zh="客服", label_en="Support", value="+1 505 998 3793"
    )
    return carrier


def _url(carrier):
    return f"/en/admin/kb/carrier/{carrier.pk}/change/"


def _propose(client, user, carrier, **changes):
    client.force_login(user)
    page = client.get(_url(carrier))
    return client.post(_url(carrier), change_form_data(page, **changes))


def test_an_editors_save_is_a_proposal_readers_do_not_see(client, carrier):
    editor = factories.editor("ed")
    response = _propose(
        client,
        editor,
        carrier,
        website="https://www.t-mobile.com/support",
        **{"channels-0-value": "+1 800 937 8997"},
    )
    change = CarrierChange.objects.get()
    assert response["Location"] == reverse("admin:kb_carrierchange_change", args=[change.pk])
    carrier.refresh_from_db()
    assert carrier.website == "https://www.t-mobile.com/"
    assert carrier.channels.get().value == "+1 505 998 3793"
    assert change.status == Status.PENDING and change.proposed_by == editor
    assert change.after["carrier"]["website"] == "https://www.t-mobile.com/support"
    assert change.after["channels"][0]["value"] == "+1 800 937 8997"
    assert (
        "https://www.t-mobile.com/support"
        not in client.get(carrier.get_absolute_url()).content.decode()
    )


def test_a_reviewer_sees_the_difference_and_approves(client, carrier):
    editor, reviewer = factories.editor("ed"), factories.reviewer("rev")
    _propose(client, editor, carrier, **{"channels-0-value": "+1 800 937 8997"})
    change = CarrierChange.objects.get()
    client.force_login(reviewer)
    page = client.get(reverse("admin:kb_carrierchange_change", args=[change.pk])).content.decode()
    assert 'data-kb-action="approve"' in page and "diff-ins" in page
    client.post(reverse("admin:kb_carrierchange_decide", args=[change.pk, "approve"]))
    change.refresh_from_db()
    assert change.status == Status.APPROVED and change.decided_by == reviewer
    assert carrier.channels.get().value == "+1 800 937 8997"
    history = client.get(_url(carrier)).content.decode()
    assert "ed" in history and "rev" in history and "Approved" in history


def test_nobody_approves_their_own_proposal_and_editors_approve_nothing(client, carrier):
    reviewer, editor = factories.reviewer("rev"), factories.editor("ed")
    _propose(client, reviewer, carrier, name_zh="T-Mobile 美国")
    change = CarrierChange.objects.get()
    page = client.get(reverse("admin:kb_carrierchange_change", args=[change.pk])).content.decode()
    assert 'data-kb-action="approve"' not in page
    decide = reverse("admin:kb_carrierchange_decide", args=[change.pk, "approve"])
    client.post(decide)
    client.force_login(editor)
    client.post(decide)
    change.refresh_from_db()
    carrier.refresh_from_db()
    assert change.status == Status.PENDING and carrier.name_zh != "T-Mobile 美国"


def test_not_approving_needs_a_reason_which_the_history_keeps(client, carrier):
    _propose(client, factories.editor("ed"), carrier, website="https://example.org/")
    change = CarrierChange.objects.get()
    client.force_login(factories.reviewer("rev"))
    decide = reverse("admin:kb_carrierchange_decide", args=[change.pk, "reject"])
    client.post(decide, {"reason": ""})
    change.refresh_from_db()
    assert change.status == Status.PENDING
    client.post(decide, {"reason": "不是运营商官网"})
    change.refresh_from_db()
    assert (change.status, change.note) == (Status.REJECTED, "不是运营商官网")


def test_a_proposal_made_before_another_was_approved_must_be_made_again(carrier):
    first_editor, second_editor = factories.editor("a"), factories.editor("b")
    facts = catalogue.carrier_facts(carrier)
    first = catalogue.carrier_propose(
        carrier=carrier,
        user=first_editor,
        facts={**facts, "carrier": {**facts["carrier"], "website": "https://one.example/"}},
    )
    second = catalogue.carrier_propose(
        carrier=carrier,
        user=second_editor,
        facts={**facts, "carrier": {**facts["carrier"], "website": "https://two.example/"}},
    )
    catalogue.carrier_change_approve(change=first, user=factories.reviewer())
    with pytest.raises(catalogue.CatalogueError):
        catalogue.carrier_change_approve(change=second, user=factories.reviewer())
    carrier.refresh_from_db()
    assert carrier.website == "https://one.example/"


def test_editors_cannot_add_carriers_directly(client):
    client.force_login(factories.editor("ed"))
    assert client.get("/en/admin/kb/carrier/add/").status_code == 403
    client.force_login(factories.reviewer("rev"))
    assert client.get("/en/admin/kb/carrier/add/").status_code == 200


def test_the_dashboard_counts_waiting_carrier_changes(client, carrier):
    _propose(client, factories.editor("ed"), carrier, website="https://example.org/")
    client.force_login(factories.reviewer("rev"))
    html = client.get("/en/admin/").content.decode()
    row = html[html.index("Carrier changes waiting") :].split("</tr>")[0]
    assert "<strong>1</strong>" in row
