from django.urls import path

from kb.views import corrections, feeds, public, search, webapp

app_name = "kb"

urlpatterns = [
    path("", public.home, name="home"),
    path("search/", search.search, name="search"),
    path("search/go/<int:pk>/", search.search_click, name="search_click"),
    path("choose/", public.choose, name="choose"),
    path("manifest.webmanifest", webapp.web_manifest, name="manifest"),
    path("saved/", webapp.saved_guides, name="saved"),
    path("countries/<slug:slug>/", public.country_detail, name="country"),
    path("carriers/<slug:slug>/", public.carrier_detail, name="carrier"),
    path("carriers/<slug:slug>/feed/", feeds.carrier_feed, name="carrier_feed"),
    path("request/<slug:carrier>/<slug:task>/", public.guide_request, name="guide_request"),
    path("tasks/<slug:slug>/", public.task_detail, name="task"),
    path("guides/<slug:slug>/", public.guide_detail, name="guide"),
    path("guides/<slug:slug>/feedback/", public.guide_feedback, name="guide_feedback"),
    path("feed/", feeds.site_feed, name="feed"),
    path("guides/<slug:slug>/correction/", corrections.correction_form, name="correction"),
    path(
        "guides/<slug:slug>/steps/<int:position>/correction/",
        corrections.correction_form,
        name="correction_step",
    ),
    path("corrections/<str:code>/", corrections.correction_status, name="correction_status"),
    path("corrections/<str:code>/thanks/", corrections.correction_thanks, name="correction_thanks"),
]
