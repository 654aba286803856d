from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import SnippetViewSet

from directory.models import NeedTerm


class NeedTermViewSet(SnippetViewSet):
    model = NeedTerm
    icon = "tag"
    menu_label = "Needs"
    add_to_admin_menu = True
    list_display = ["name", "parent", "synonyms"]
    search_fields = ["name", "synonyms"]
    ordering = ["parent__name", "name"]


register_snippet(NeedTermViewSet)
