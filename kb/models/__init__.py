from kb.models.catalogue import Carrier, Country, SupportChannel, Task
from kb.models.corrections import ClientHashKey, Correction, CorrectionEvent
from kb.models.feedback import GuideFeedback, GuideReadCount, GuideRequest
from kb.models.guides import (
    Guide,
    GuideEvent,
    GuideRevision,
    Language,
    PlanType,
    Problem,
    Source,
    Step,
)
from kb.models.proposals import CarrierChange
from kb.models.search import SearchDocument, SearchGap

__all__ = [
    "Carrier",
    "CarrierChange",
    "ClientHashKey",
    "Correction",
    "CorrectionEvent",
    "Country",
    "Guide",
    "GuideEvent",
    "GuideFeedback",
    "GuideReadCount",
    "GuideRequest",
    "GuideRevision",
    "Language",
    "PlanType",
    "Problem",
    "SearchDocument",
    "SearchGap",
    "Source",
    "Step",
    "SupportChannel",
    "Task",
]
