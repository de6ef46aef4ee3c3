from django.urls import path

from kb.views import corrections, public, search

app_name = "kb"

urlpatterns = [
    path("", public.home, name="home"),
    path("search/", search.search, name="search"),
    path("countries/<slug:slug>/", public.country_detail, name="country"),
    path("carriers/<slug:slug>/", public.carrier_detail, name="carrier"),
    path("tasks/<slug:slug>/", public.task_detail, name="task"),
    path("guides/<slug:slug>/", public.guide_detail, name="guide"),
    path("guides/<slug:slug>/correction/", corrections.correction_form, name="correction"),
    path(
        "guides/<slug:slug>/steps/<int:position>/correction/",
        corrections.correction_form,
        name="correction_step",
    ),
    path("corrections/<str:code>/", corrections.correction_status, name="correction_status"),
]
