import json
import secrets

from django.conf import settings
from django.contrib.auth.models import Group, User
from django.core.management.base import BaseCommand, CommandError

from kb.services.demo import DemoDataError, load_demo, load_demo_corrections

DEMO_ACCOUNTS = (("demo-editor", "Editors"), ("demo-reviewer", "Reviewers"))


class Command(BaseCommand):
    help = (
        "Load the demo catalogue and guides from kb/data/demo/. Safe to run again: what exists "
        "is kept as it is. With DJANGO_DEBUG=1 it also creates a demo editor and reviewer."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--no-accounts", action="store_true", help="Do not create demo accounts."
        )

    def handle(self, *args, no_accounts=False, **options):
        try:
            report = load_demo()
        except DemoDataError as exc:
            self._fail(exc, f"{len(exc.problems)} problem(s) in the demo data; nothing was loaded")
        for kind in ("countries", "tasks", "carriers", "guides"):
            self.stdout.write(
                f"{kind}: {report.created.get(kind, 0)} created, {report.kept.get(kind, 0)} already there"
            )
        reviewer = None
        if not no_accounts and not settings.DEBUG:
            self.stdout.write("accounts: none created (DJANGO_DEBUG is off; use createsuperuser)")
        elif not no_accounts:
            for username, password in self._demo_accounts():
                self.stdout.write(f"login: {username} / {password}")
            reviewer = User.objects.get(username="demo-reviewer")
        try:
            created = load_demo_corrections(reviewer=reviewer)
        except DemoDataError as exc:
            self._fail(exc, "the demo corrections could not be loaded")
        self.stdout.write(f"corrections: {created} created")

    def _fail(self, exc: DemoDataError, summary: str):
        for problem in exc.problems:
            self.stderr.write(f"error: {problem}")
        raise CommandError(summary) from None

    def _demo_accounts(self):
        """Demo accounts with random passwords, kept in var/ so a second run reuses them."""
        store = settings.VAR_DIR / "demo-accounts.json"
        try:
            known = json.loads(store.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            known = {}
        accounts = []
        for username, group_name in DEMO_ACCOUNTS:
            user = User.objects.filter(username=username).first()
            password = known.get(username)
            if user is None or not password or not user.check_password(password):
                password = secrets.token_urlsafe(12)
                user = user or User(username=username, email="")
                user.is_staff = True
                user.set_password(password)
                user.save()
            user.groups.add(Group.objects.get(name=group_name))
            known[username] = password
            accounts.append((username, password))
        store.parent.mkdir(parents=True, exist_ok=True)
        store.write_text(json.dumps(known), encoding="utf-8")
        store.chmod(0o600)
        return accounts
