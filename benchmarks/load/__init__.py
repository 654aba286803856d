"""The load test (`make bench-load`): the production stack on this machine, driven over HTTP by Locust.

``benchmarks.management.commands.bench_load`` prepares the data and starts and stops the stack;
``locustfile`` is the mix of users; ``helpers`` are the plain functions the users need (TOTP
codes, CSRF tokens, links in emails, percentiles), importable without Django or Locust.
"""
