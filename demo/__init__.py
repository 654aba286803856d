"""The demo behind `manage.py load_demo`: places and a catalogue (data files in data/), a seeded plan,
its build through the shared factories, demo users, and demo referrals.

It sits above the domain apps and is installed only in development and test settings.
"""
