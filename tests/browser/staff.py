"""Staff accounts for the browser tests, and signing in to the admin as one of them."""

from django.contrib.auth.models import Permission

from tests import factories

PASSWORD = "pw-not-used-123"  # factories.user's password


def staff(username, codenames):
    # Permissions by name: an earlier transactional test may have flushed the editorial groups.
    user = factories.user(username)
    user.user_permissions.add(
        *Permission.objects.filter(content_type__app_label="kb", codename__in=codenames)
    )
    return user


def log_in(page, user):
    page.context.clear_cookies()
    page.goto("/zh-hans/admin/login/")
    page.locator("input[name=username]").fill(user.username)
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("input[type=submit]").click()
    page.wait_for_url("**/zh-hans/admin/")
