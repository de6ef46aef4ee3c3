from django.shortcuts import render


def search(request):
    return render(request, "kb/search.html", {"query": request.GET.get("q", "")})
