"""The site's fixed pages: created once, idempotently, by `manage.py setup_site` (and the demo)."""

from django.db import transaction
from wagtail.models import Page, Site

from directory.setup import ensure_directory
from pages.models import HomePage, StandardPage

ACCESSIBILITY_STATEMENT = """
<p>Signpost is run for the NHS and local councils. We want as many people as possible to be able
to use it. You should be able to change colours, contrast levels and fonts; zoom in up to 400%
without the text spilling off the screen; get around the site using just a keyboard or speech
recognition software; and listen to the site using a screen reader.</p>
<h2>How accessible this website is</h2>
<p>We aim to meet the Web Content Accessibility Guidelines (WCAG) version 2.2 at level AA. Every
page works without JavaScript.</p>
<h2>Reporting accessibility problems</h2>
<p>If you find a problem, or need information in a different format such as large print, easy
read or audio, contact us and we will reply within 5 working days.</p>
<h2>Enforcement procedure</h2>
<p>The Equality and Human Rights Commission (EHRC) is responsible for enforcing the accessibility
regulations. If you are not happy with how we respond to your complaint, contact the Equality
Advisory and Support Service (EASS).</p>
"""


@transaction.atomic
def ensure_site() -> HomePage:
    """Make the home page the root of the default site, with the directory and the statement under it."""

    home = HomePage.objects.first()
    if home is None:
        # Wagtail's installation leaves a welcome page as the default site's root; replace it.
        Site.objects.filter(is_default_site=True).delete()
        Page.objects.filter(depth=2, content_type__app_label="wagtailcore", content_type__model="page").delete()
        root = Page.get_first_root_node()
        home = root.add_child(instance=HomePage(title="Signpost", slug="home"))
    Site.objects.update_or_create(
        is_default_site=True,
        defaults={"hostname": "localhost", "port": 80, "root_page": home, "site_name": "Signpost"},
    )
    if not StandardPage.objects.filter(slug="accessibility").exists():
        home.add_child(
            instance=StandardPage(title="Accessibility statement", slug="accessibility", body=ACCESSIBILITY_STATEMENT)
        )
    ensure_directory(home=home)
    return home
