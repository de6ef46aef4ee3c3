"""Readers' signals: "did this work?" answers, guide requests, read counts, and the rate limit
that keeps them honest. Editors see the counts; nothing here is shown on a public page except
the ranking of tasks by reads."""

import atexit
import hashlib
import hmac
import logging
import threading
import time
from collections import Counter, OrderedDict
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from django.conf import settings
from django.db import DatabaseError, IntegrityError, transaction
from django.db.models import Count, F, Q, Sum
from django.utils import timezone

from kb import ratelimit
from kb.models import Guide, GuideFeedback, GuideReadCount, GuideRequest, Task

logger = logging.getLogger(__name__)

RATE = ratelimit.Rate(count=20, seconds=3600)
READS_FLUSH_SECONDS = 60
READS_FLUSH_PENDING = 500


@dataclass(frozen=True)
class FeedbackCounts:
    yes: int = 0
    no: int = 0

    @property
    def total(self) -> int:
        return self.yes + self.no

    @property
    def yes_share(self) -> int | None:
        """Percentage of "yes" answers, or None without answers."""
        return round(100 * self.yes / self.total) if self.total else None


def reader_key(*, address: str, user_agent: str, day: date | None = None) -> str:
    """A keyed hash of a reader for one day: it counts one answer per reader without keeping
    their address, and cannot be linked from one day to the next. The key is the sender key's
    rotating one (``kb.ratelimit.period_key``): once ``purge_personal_data`` deletes that
    period's salt, nobody can compute a reader's key for those days again, not even with the
    secret key; the keys themselves are erased after ``KB_PERSONAL_DATA_DAYS``."""
    day = day or timezone.localdate()
    noon = datetime.combine(day, datetime.min.time(), tzinfo=UTC).timestamp() + 12 * 3600
    key = ratelimit.period_key("kb.reader-key", now=noon)
    message = f"{day.isoformat()}|{address}|{user_agent[:300]}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()[:40]


def reader_keys_purge(*, cutoff, dry_run: bool = False) -> int:
    """Erase the reader keys of answers and guide requests last touched before ``cutoff``; the
    counts stay. How many were (or would be) erased."""
    answers = GuideFeedback.objects.filter(voter__isnull=False, updated_at__lt=cutoff)
    requests = GuideRequest.objects.filter(voter__isnull=False, created_at__lt=cutoff)
    if dry_run:
        return answers.count() + requests.count()
    # update() leaves updated_at alone: the answer's date stays the reader's.
    return answers.update(voter=None) + requests.update(voter=None)


def rate_limited(*, address: str) -> bool:
    """Count one answer or request from ``address``; True once it is over the hourly limit.

    Uses the project's shared limiter (kb.ratelimit). When the cache is down the answer is
    taken: an answer is one row per reader and day whatever the limit says.
    """
    network = ratelimit.network_key(address)
    ident = hashlib.sha256(f"{settings.SECRET_KEY}|{network}".encode()).hexdigest()[:32]
    return not ratelimit.hit("reader", ident, RATE, on_error=True)


@transaction.atomic
def feedback_record(
    *, guide: Guide, helpful: bool, voter: str, reason: str = "", comment: str = ""
) -> GuideFeedback:
    """Store a reader's answer for a published guide; a second answer the same day replaces
    the first (a reader who changes their mind is counted once)."""
    values = {
        "helpful": helpful,
        "reason": reason or "",
        "comment": (comment or "").strip()[:500],
        "language": guide.language,
    }
    try:
        with transaction.atomic():
            feedback, _created = GuideFeedback.objects.update_or_create(
                guide=guide, voter=voter, defaults=values
            )
    except IntegrityError:
        # Two answers from the same reader at the same moment: the other one created the row.
        GuideFeedback.objects.filter(guide=guide, voter=voter).update(
            **values, updated_at=timezone.now()
        )
        feedback = GuideFeedback.objects.get(guide=guide, voter=voter)
    return feedback


@transaction.atomic
def guide_request_record(*, carrier, task, language: str, voter: str) -> bool:
    """Record that a reader wants a guide for ``task`` at ``carrier``; False if they already
    asked today."""
    try:
        with transaction.atomic():
            GuideRequest.objects.create(carrier=carrier, task=task, language=language, voter=voter)
    except IntegrityError:
        return False
    return True


def counts_for(guide_ids) -> dict[int, FeedbackCounts]:
    """ "Did this work?" counts for each guide id (one query); guides without answers are 0/0."""
    ids = list(guide_ids)
    counts = {pk: FeedbackCounts() for pk in ids}
    rows = (
        GuideFeedback.objects.filter(guide_id__in=ids)
        .values("guide_id")
        .annotate(yes=Count("id", filter=Q(helpful=True)), no=Count("id", filter=Q(helpful=False)))
    )
    for row in rows:
        counts[row["guide_id"]] = FeedbackCounts(yes=row["yes"], no=row["no"])
    return counts


def request_counts(*, carrier=None, since_days: int = 365):
    """Open requests per carrier and task, most asked first."""
    since = timezone.now() - timedelta(days=since_days)
    rows = GuideRequest.objects.filter(created_at__gte=since)
    if carrier is not None:
        rows = rows.filter(carrier=carrier)
    return (
        rows.values("carrier__name", "task__name_en", "task__name_zh", "language")
        .annotate(n=Count("id"))
        .order_by("-n")
    )


# --- Reads ------------------------------------------------------------------------------------
# Each process counts in memory and adds its counts to the database at most once a minute, so
# that serving a (cached) guide page never waits for a write.

_pending: Counter = Counter()
_pending_lock = threading.Lock()
_last_flush = time.monotonic()

_BOTS = ("bot", "spider", "crawl", "slurp", "preview", "monitor", "curl", "wget", "python")


# One client counts once per guide and hour, in each process; nothing is stored about it.
READS_SEEN_MAX = 50_000
_reads_seen: OrderedDict = OrderedDict()


def _first_read(address: str, guide_id: int) -> bool:
    """True the first time this hour that ``address`` (its network) reads ``guide_id`` here."""
    network = ratelimit.network_key(address)
    key = (
        hashlib.blake2b(network.encode(), digest_size=8).digest(),
        guide_id,
        int(time.time() // 3600),
    )
    if key in _reads_seen:
        return False
    _reads_seen[key] = None
    while len(_reads_seen) > READS_SEEN_MAX:
        _reads_seen.popitem(last=False)
    return True


def reads_record(guide_id: int, *, user_agent: str = "", address: str = "") -> None:
    """Count one read of a published guide (bots are not readers; a client reloading a guide
    counts once an hour)."""
    agent = user_agent.lower()
    if not agent or any(word in agent for word in _BOTS):
        return
    with _pending_lock:
        if address and not _first_read(address, guide_id):
            return
        _pending[(guide_id, timezone.localdate())] += 1
        due = (
            time.monotonic() - _last_flush >= READS_FLUSH_SECONDS
            or len(_pending) >= READS_FLUSH_PENDING
        )
    if due:
        _reads_hand_off()


def _reads_hand_off() -> None:
    """Give this process's counts to a background task: the request writes one row, not N."""
    global _last_flush
    with _pending_lock:
        batch = [[guide_id, day.isoformat(), n] for (guide_id, day), n in _pending.items()]
        _pending.clear()
        _last_flush = time.monotonic()
    if not batch:
        return
    from kb import background, tasks

    try:
        background.enqueue(tasks.reads_add, counts=batch)
    except DatabaseError as exc:
        logger.warning("read counts not saved: %s", type(exc).__name__)


def reads_add(*, counts: list[list]) -> int:
    """Add read counts given as [guide id, ISO day, count]; returns how many rows were touched."""
    batch = {(int(g), date.fromisoformat(d)): int(n) for g, d, n in counts}
    return _write_counts(batch)


def reads_discard() -> None:
    """Forget this process's pending read counts (tests start from nothing)."""
    global _last_flush
    with _pending_lock:
        _pending.clear()
        _reads_seen.clear()
        _last_flush = time.monotonic()


@atexit.register
def _flush_at_exit() -> None:
    try:
        reads_flush(quiet=True)
    except Exception:  # the process is ending; nothing is left to tell
        pass


def reads_flush(*, quiet: bool = False) -> int:
    """Write this process's pending read counts; returns how many rows were touched."""
    global _last_flush
    with _pending_lock:
        batch = dict(_pending)
        _pending.clear()
        _last_flush = time.monotonic()
    return _write_counts(batch, quiet=quiet)


def _write_counts(batch: dict, *, quiet: bool = False) -> int:
    touched = 0
    for (guide_id, day), n in batch.items():
        try:
            with transaction.atomic():
                updated = GuideReadCount.objects.filter(guide_id=guide_id, day=day).update(
                    count=F("count") + n
                )
                if not updated:
                    GuideReadCount.objects.create(guide_id=guide_id, day=day, count=n)
            touched += 1
        except IntegrityError:
            # Another process created the row in between, or the guide was deleted.
            try:
                GuideReadCount.objects.filter(guide_id=guide_id, day=day).update(
                    count=F("count") + n
                )
            except DatabaseError:
                pass
        except DatabaseError as exc:
            if not quiet:
                logger.warning("read counts not saved: %s", type(exc).__name__)
    return touched


def popular_tasks(*, limit: int = 6, days: int = 30):
    """Tasks ranked by reads of their published guides over the last ``days`` days; tasks
    nobody read yet follow in the editors' order. One query."""
    since = timezone.localdate() - timedelta(days=days)
    return Task.objects.annotate(
        reads=Sum(
            "guides__read_counts__count",
            filter=Q(guides__read_counts__day__gte=since, guides__status=Guide.Status.PUBLISHED),
            default=0,
        )
    ).order_by("-reads", "position", "slug")[:limit]
