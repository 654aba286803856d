import os
import sys
from pathlib import Path

# `site/` is a source root (see docs/layout.md), put first on the path for every entry point.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from django.core.wsgi import get_wsgi_application  # noqa: E402

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.production")
application = get_wsgi_application()
