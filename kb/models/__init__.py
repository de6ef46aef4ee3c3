from kb.models.catalogue import Carrier, Country, SupportChannel, Task
from kb.models.guides import Guide, GuideEvent, GuideRevision, Language, Problem, Source, Step

__all__ = [
    "Carrier",
    "Country",
    "Guide",
    "GuideEvent",
    "GuideRevision",
    "Language",
    "Problem",
    "Source",
    "Step",
    "SupportChannel",
    "Task",
]
