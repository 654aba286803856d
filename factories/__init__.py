"""Building directory content and referrals in code, shared by the tests, the demo and the benchmarks.

Outside the domain apps: production code never imports it (an import-linter contract).
"""
