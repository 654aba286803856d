"""The directory's template tags: maps of venues (``directory.maps``) and the sections other apps
add to an activity's page (``directory.joining``)."""

from django import template

from directory import joining, maps

register = template.Library()

# {% venue_map_data venues as map_data %}, or {% venue_map_data venue link=False as map_data %}
register.simple_tag(maps.venue_map_data, name="venue_map_data")


@register.simple_tag(takes_context=True)
def join_sections(context, activity):
    """{% join_sections page %}: how to join ``activity``, as the apps that offer ways to join render it."""
    return joining.join_sections(context.get("request"), activity)
