"""The demo directory behind `manage.py load_demo`: places, a catalogue, a seeded plan, and its build."""
