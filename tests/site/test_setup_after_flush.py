"""`setup_site` on a database a flush has emptied (as a transactional test leaves it): the site comes back."""

import pytest
from wagtail.models import Locale, Page

from pages.setup import ensure_site


@pytest.mark.django_db(transaction=True)
def test_a_flushed_database_gets_its_locale_root_and_home_page_back():
    Page.objects.all().delete()
    Locale.objects.all().delete()
    home = ensure_site()
    assert home.get_parent().is_root()
    assert home.locale.language_code == "en-gb"
    assert home.get_children().filter(slug="accessibility").exists()
