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
    ReaderLanguage,
    Source,
    Step,
)
from kb.models.images import GuideImage, ImageAsset
from kb.models.proposals import CarrierChange
from kb.models.search import SearchDocument, SearchGap
from kb.models.sources import SourceBaseline, SourcePage
from kb.models.tasks import CacheBump, ScheduledRun, TaskRecord

__all__ = [
    "CacheBump",
    "Carrier",
    "CarrierChange",
    "ClientHashKey",
    "Correction",
    "CorrectionEvent",
    "Country",
    "Guide",
    "GuideEvent",
    "GuideFeedback",
    "GuideImage",
    "GuideReadCount",
    "GuideRequest",
    "GuideRevision",
    "ImageAsset",
    "Language",
    "ReaderLanguage",
    "PlanType",
    "Problem",
    "ScheduledRun",
    "SearchDocument",
    "SearchGap",
    "Source",
    "SourceBaseline",
    "SourcePage",
    "Step",
    "SupportChannel",
    "Task",
    "TaskRecord",
]
