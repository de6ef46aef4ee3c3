"""One source of truth for what may be done: in every state and for every role, the buttons the
admin shows are exactly the actions the services carry out."""

import re

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import transaction
from django.urls import reverse

from kb.models import Correction, Guide
from kb.services import corrections, workflow
from tests import factories

pytestmark = pytest.mark.django_db
Status = Guide.Status


class _Undo(Exception):
    pass


def _succeeds(call) -> bool:
    """Whether ``call`` goes through; whatever it changed is rolled back."""
    try:
        with transaction.atomic():
            call()
            raise _Undo
    except _Undo:
        return True
    except Exception:
        return False


def _shown(client, user, url) -> set[str]:
    client.logout()
    if user is not None:
        client.force_login(user)
    response = client.get(url)
    if response.status_code != 200:
        return set()
    return set(re.findall(r'data-kb-action="([a-z_]+)"', response.content.decode()))


@pytest.fixture
def people(settings):
    settings.KB_ALLOW_SELF_PUBLISH = False
    settings.KB_CORRECTION_RATE = settings.KB_CORRECTION_GUIDE_RATE = "0"
    return {
        "anonymous": None,
        "editor": factories.editor("ed"),
        "reviewer": factories.reviewer("rev"),
        "author": factories.reviewer("author"),
    }


def _guide_in(state, people):
    """A guide in ``state``, written by the "author" (a reviewer), published by another."""
    author, other = people["author"], factories.reviewer()

    def written(guide):
        workflow.guide_record_edit(guide=guide, user=author, changed=["title"])
        return guide

    guide = written(factories.guide())
    if state == "draft":
        return guide
    guide = workflow.guide_submit(guide=guide, user=author)
    if state == "in_review":
        return guide
    live = workflow.guide_publish(guide=guide, user=other)
    if state == "published":
        return live
    if state == "archived":
        return workflow.guide_archive(guide=live, user=other)
    copy = written(workflow.guide_start_change(guide=live, user=author))
    if state == "published_with_pending":
        return live
    if state == "pending_draft":
        return copy
    return workflow.guide_submit(guide=copy, user=author)  # pending_in_review


GUIDE_STATES = (
    "draft",
    "in_review",
    "published",
    "published_with_pending",
    "archived",
    "pending_draft",
    "pending_in_review",
)
ROLES = ("anonymous", "editor", "reviewer", "author")


@pytest.mark.parametrize("state", GUIDE_STATES)
def test_guide_buttons_are_exactly_what_the_services_allow(client, people, state):
    guide = _guide_in(state, people)
    data = {"note": "", "reason": "理由", "version": workflow.version_token(guide)}
    url = reverse("admin:kb_guide_change", args=[guide.pk])
    seen_any = set()
    for role in ROLES:
        user = people[role] or AnonymousUser()
        fresh = Guide.objects.get(pk=guide.pk)
        allowed = {
            name
            for name, service in workflow.SERVICES.items()
            if _succeeds(lambda s=service, u=user: s(Guide.objects.get(pk=guide.pk), u, data))
        }
        listed = {t.name for t in workflow.available_actions(guide=fresh, user=user)}
        shown = _shown(client, people[role], url)
        assert listed == allowed, (state, role)
        assert shown == allowed, (state, role)
        seen_any |= allowed
    assert seen_any or state == "anonymous"


def test_the_walk_covers_the_rules_that_drifted(client, people):
    """The cases the old buttons got wrong: a guide with a pending change cannot be taken off
    the site, and the author of a change in review sees no Publish."""
    live = _guide_in("published_with_pending", people)
    reviewer = people["reviewer"]
    assert not workflow.is_allowed("unpublish", guide=live, user=reviewer)
    assert "unpublish" not in _shown(
        client, reviewer, reverse("admin:kb_guide_change", args=[live.pk])
    )
    in_review = _guide_in("in_review", people)
    url = reverse("admin:kb_guide_change", args=[in_review.pk])
    assert "publish" not in _shown(client, people["author"], url)
    assert "publish" in _shown(client, reviewer, url)


def _correction_in(state, people):
    guide = factories.guide(status=Status.PUBLISHED)
    correction = corrections.correction_submit(
        guide=guide,
        step=guide.steps.get(position=2),
        kind="wrong",
        proposed_text="TG @esim1088" if state.startswith("spam") else "新的第二步。",
        language="zh-hans",
    )
    editor = people["editor"]
    if state == "reviewing":
        corrections.correction_start_review(correction=correction, user=editor)
    elif state == "spam_confirmed":
        corrections.correction_mark_spam(correction=correction, user=editor)
    elif state in ("accepted", "accepted_discarded", "published"):
        copy = corrections.correction_accept(correction=correction, user=editor)
        if state == "accepted_discarded":
            workflow.guide_discard_change(guide=copy, user=editor)
        if state == "published":
            workflow.guide_publish(guide=copy, user=people["reviewer"])
    elif state == "rejected":
        corrections.correction_reject(correction=correction, user=editor, reason="unclear")
    elif state == "duplicate":
        original = corrections.correction_submit(
            guide=guide, step=None, kind="other", proposed_text="原始", language="zh-hans"
        )
        corrections.correction_mark_duplicate(correction=correction, user=editor, original=original)
    return Correction.objects.get(pk=correction.pk)


CORRECTION_STATES = (
    "received",
    "reviewing",
    "spam_flagged",
    "spam_confirmed",
    "accepted",
    "accepted_discarded",
    "published",
    "rejected",
    "duplicate",
)


@pytest.mark.parametrize("state", CORRECTION_STATES)
def test_correction_buttons_are_exactly_what_the_services_allow(client, people, state):
    correction = _correction_in(state, people)
    other = corrections.correction_submit(
        guide=correction.guide, step=None, kind="other", proposed_text="另一条", language="en"
    )
    calls = {
        "review": lambda c, u: corrections.correction_start_review(correction=c, user=u),
        "accept": lambda c, u: corrections.correction_accept(correction=c, user=u),
        "reject": lambda c, u: corrections.correction_reject(
            correction=c, user=u, reason="unclear"
        ),
        "duplicate": lambda c, u: corrections.correction_mark_duplicate(
            correction=c, user=u, original=other
        ),
        "spam": lambda c, u: corrections.correction_mark_spam(correction=c, user=u),
        "rescue": lambda c, u: corrections.correction_rescue(correction=c, user=u),
    }
    assert set(calls) == set(corrections.DECISIONS)
    url = reverse("admin:kb_correction_change", args=[correction.pk])
    for role in ("anonymous", "editor", "reviewer"):
        user = people[role] or AnonymousUser()
        allowed = {
            name
            for name, call in calls.items()
            if _succeeds(lambda c=call, u=user: c(Correction.objects.get(pk=correction.pk), u))
        }
        fresh = Correction.objects.get(pk=correction.pk)
        listed = {
            d.name for d in corrections.correction_available_actions(correction=fresh, user=user)
        }
        assert listed == allowed, (state, role)
        assert _shown(client, people[role], url) == allowed, (state, role)
