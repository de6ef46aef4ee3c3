"""Structured data (schema.org JSON-LD) for the public pages. Printed with ``|json_ld``."""

from django.utils.html import strip_tags

from kb.templatetags.kb_public import html_lang


def _text(html: str) -> str:
    return " ".join(strip_tags(html or "").split())


def breadcrumb_list(request, crumbs) -> dict:
    return {
        "@type": "BreadcrumbList",
        "itemListElement": [
            {
                "@type": "ListItem",
                "position": position,
                "name": str(name),
                "item": request.build_absolute_uri(url),
            }
            for position, (name, url) in enumerate(crumbs, start=1)
        ],
    }


def graph(*nodes) -> dict:
    return {"@context": "https://schema.org", "@graph": [node for node in nodes if node]}


def how_to(request, guide, steps) -> dict:
    url = request.build_absolute_uri(guide.get_absolute_url())
    node = {
        "@type": "HowTo",
        "name": guide.title,
        "description": guide.summary,
        "inLanguage": html_lang(guide.shown_in()),
        "url": url,
        "step": [
            {
                "@type": "HowToStep",
                "position": step.position,
                "name": step.title,
                "text": _text(step.body_html) or step.title,
                "url": f"{url}#step-{step.position}",
            }
            for step in steps
        ],
    }
    if guide.published_at:
        node["datePublished"] = guide.published_at.isoformat()
    if guide.content_updated_at:
        node["dateModified"] = guide.content_updated_at.isoformat()
    return node


def faq_page(problems) -> dict | None:
    if not problems:
        return None
    return {
        "@type": "FAQPage",
        "mainEntity": [
            {
                "@type": "Question",
                "name": problem.symptom,
                "acceptedAnswer": {
                    "@type": "Answer",
                    "text": " ".join(
                        part
                        for part in (_text(problem.cause_html), _text(problem.solution_html))
                        if part
                    ),
                },
            }
            for problem in problems
        ],
    }
