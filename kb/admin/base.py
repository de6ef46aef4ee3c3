from django.db import models

# URLs typed without a scheme are https (Django 6's default; silences the 5.x warning).
URL_FIELDS_HTTPS = {models.URLField: {"assume_scheme": "https"}}
