"""The zh-hans admin as a reviewer sees it: no English interface text, no raw state codes."""

import html
import re

import pytest
from django.urls import reverse
from django.utils import translation

from kb.models import CarrierChange
from kb.services import catalogue, corrections, workflow
from tests import factories

pytestmark = pytest.mark.django_db

# Latin words that are names, not interface text.
NAMES = {"Mobile", "Markdown", "SIM", "Guides", "App", "eSIM", "Tmobile", "English", "https"}
# Search-only spellings of the test carriers, quoted in the help text of their field.
NAMES |= {"Tmoble", "Verison"}
RAW_CODES = re.compile(
    r"\b(draft|in_review|published|archived|received|reviewing|accepted|rejected|duplicate|"
    r"spam|pending|approved)\b|\((changed|added|removed)\)"
)


def _visible_text(page: str) -> str:
    page = re.sub(r"<(script|style|template)\b.*?</\1>", " ", page, flags=re.S | re.I)
    page = re.sub(r"<textarea\b.*?</textarea>", " ", page, flags=re.S | re.I)
    page = re.sub(
        r'<select\b[^>]*id="(id_language|id_plan_type)".*?</select>', " ", page, flags=re.S
    )
    page = re.sub(r"<[^>]+>", " ", page)
    return re.sub(r"\b(draft-guide|guide-\d+)\b", " ", html.unescape(page))  # test guides' slugs


@pytest.fixture
def pages(settings):
    settings.KB_CORRECTION_RATE = settings.KB_CORRECTION_GUIDE_RATE = "0"
    editor, reviewer = factories.editor("bianji"), factories.reviewer("shenhe")
    draft = factories.guide(title="草稿指南", slug="draft-guide", task_obj=factories.task("renew"))
    guide = factories.guide(title="已发布指南")
    workflow.guide_record_edit(guide=guide, user=editor, changed=["标题"])
    live = workflow.guide_publish(
        guide=workflow.guide_submit(guide=guide, user=editor), user=reviewer
    )
    correction = corrections.correction_submit(
        guide=live,
        step=live.steps.get(position=1),
        kind="outdated",
        proposed_text="新的第一步。",
        language="zh-hans",
    )
    copy = corrections.correction_accept(
        correction=correction, user=editor, text="编辑改写的第一步。"
    )
    carrier = live.carrier
    facts = catalogue.carrier_facts(carrier)
    change = catalogue.carrier_propose(
        carrier=carrier,
        user=editor,
        facts={**facts, "carrier": {**facts["carrier"], "name_zh": "T-Mobile 美国"}},
    )
    assert isinstance(change, CarrierChange)
    with translation.override("zh-hans"):
        urls = [
            reverse("admin:index"),
            reverse("admin:kb_guide_changelist"),
            reverse("admin:kb_guide_change", args=[draft.pk]),
            reverse("admin:kb_guide_change", args=[live.pk]),
            reverse("admin:kb_guide_change", args=[copy.pk]),
            reverse("admin:kb_guide_revisions", args=[live.pk]) + "?current=1",
            reverse("admin:kb_guide_revisions", args=[copy.pk]) + "?current=1",
            reverse("admin:kb_guide_review", args=[copy.pk]),
            reverse("admin:kb_guide_review", args=[draft.pk]),
            reverse("admin:kb_guideevent_changelist"),
            reverse("admin:kb_correction_changelist"),
            reverse("admin:kb_correction_change", args=[correction.pk]),
            reverse("admin:kb_carrier_change", args=[carrier.pk]),
            reverse("admin:kb_carrierchange_changelist"),
            reverse("admin:kb_carrierchange_change", args=[change.pk]),
        ]
    return reviewer, urls, {editor.username, reviewer.username}


def test_the_zh_hans_admin_has_no_english_interface_text_or_raw_state_codes(client, pages):
    reviewer, urls, usernames = pages
    client.force_login(reviewer)
    problems = []
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        text = _visible_text(response.content.decode())
        for word in re.findall(r"[A-Za-z][A-Za-z_]{2,}", text):
            if word not in NAMES and word not in usernames and not word.isupper():
                problems.append((url, word))
        problems += [(url, m.group(0)) for m in RAW_CODES.finditer(text)]
    assert sorted(set(problems)) == []
