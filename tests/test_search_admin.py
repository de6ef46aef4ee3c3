"""Search gaps in the admin: editors read them, most frequent first, from the dashboard."""

import pytest
from django.urls import reverse

from kb.admin.search import search_gaps
from kb.models import SearchGap
from kb.search import gaps
from tests import factories

pytestmark = pytest.mark.django_db


def _gaps():
    for _ in range(3):
        gaps.search_gap_record(query="giffgaff 保号", language="zh-hans", found=False)
    gaps.search_gap_record(query="T-Mobile 註銷", language="zh-hans", found=True)
    gaps.search_gap_record(query="T-Mobile 注销", language="zh-hans", found=True)
    gaps.search_gap_click(query="t-mobile 注销", language="zh-hans")
    gaps.search_gap_record(query="tim ricarica", language="en", found=True)


def test_gaps_count_no_results_and_result_pages_without_a_click():
    _gaps()
    rows = {(g.query, g.language): g for g in SearchGap.objects.all()}
    assert rows[("giffgaff 保号", "zh-hans")].gap == 3
    tmobile = rows[("t-mobile 注销", "zh-hans")]
    assert (tmobile.searches, tmobile.clicks, tmobile.no_clicks, tmobile.gap) == (2, 1, 1, 1)
    assert rows[("tim ricarica", "en")].gap == 1


def test_more_clicks_than_searches_never_make_a_negative_gap():
    gaps.search_gap_record(query="iliad", language="en", found=True)
    gaps.search_gap_click(query="iliad", language="en")
    gaps.search_gap_click(query="iliad", language="en")
    assert SearchGap.objects.get().gap == 0


def test_an_editor_sees_the_gaps_most_frequent_first(client):
    _gaps()
    client.force_login(factories.editor())
    response = client.get(reverse("admin:kb_searchgap_changelist"))
    assert response.status_code == 200
    html = response.content.decode()
    assert html.index("giffgaff 保号") < html.index("t-mobile 注销")
    assert "/zh-hans/search/?q=giffgaff" in html


def test_an_editor_cannot_add_or_edit_gaps_and_only_a_reviewer_may_delete(client):
    _gaps()
    gap = SearchGap.objects.first()
    editor = factories.editor()
    client.force_login(editor)
    assert client.get(reverse("admin:kb_searchgap_add")).status_code == 403
    response = client.post(reverse("admin:kb_searchgap_delete", args=[gap.pk]), {"post": "yes"})
    assert response.status_code == 403
    client.force_login(factories.reviewer())
    client.post(reverse("admin:kb_searchgap_delete", args=[gap.pk]), {"post": "yes"})
    assert not SearchGap.objects.filter(pk=gap.pk).exists()


def test_the_dashboard_counts_the_gaps_for_those_who_may_see_them(rf):
    _gaps()
    request = rf.get("/")
    request.user = factories.editor()
    row = search_gaps(request)
    assert row["count"] == 3
    assert row["url"] == reverse("admin:kb_searchgap_changelist")
    request.user = factories.user(groups=[])
    assert search_gaps(request) is None


def test_the_gap_filter_separates_no_results_from_unclicked_results(client):
    _gaps()
    client.force_login(factories.editor())
    html = client.get(reverse("admin:kb_searchgap_changelist"), {"kind": "zero"}).content.decode()
    assert "giffgaff 保号" in html and "tim ricarica" not in html
    html = client.get(
        reverse("admin:kb_searchgap_changelist"), {"kind": "no_click"}
    ).content.decode()
    assert "giffgaff 保号" not in html and "tim ricarica" in html
