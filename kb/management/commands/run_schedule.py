from django.core.management.base import BaseCommand

from kb import background
from kb.schedule import schedule_run
from kb.services import hooks


class Command(BaseCommand):
    help = (
        "Enqueue the daily and hourly background jobs whose period has not run yet, once per "
        "period even when several machines run this at the same time, send tasks that "
        "never reached the queue, and retry page-cache bumps the cache did not take. Run it every few minutes from cron or a systemd timer."
    )

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="Only say what is due.")

    def handle(self, *args, dry_run=False, **options):
        for outcome in schedule_run(dry_run=dry_run):
            if outcome.enqueued:
                verb = "due" if dry_run else f"enqueued (task #{outcome.record_id})"
            else:
                verb = "already enqueued"
            self.stdout.write(f"{outcome.job} {outcome.period}: {verb}")
        if not dry_run:
            sent = background.resend_lost()
            if sent:
                self.stdout.write(f"Sent {sent} task(s) that had not reached the queue.")
            try:
                bumped = hooks.cache_bumps_retry()["bumped"]
            except Exception as exc:  # the cache still does not answer: next run
                self.stdout.write(f"Page-cache bumps still pending: {type(exc).__name__}.")
            else:
                if bumped:
                    self.stdout.write(f"Retried {bumped} page-cache bump(s).")
