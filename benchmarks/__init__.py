"""Benchmarks that print figures (`make bench-*`): search, pages and reporting, with results/ beside them.

Above the domain apps, like the demo, and installed only in development and test settings.
"""
