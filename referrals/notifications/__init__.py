"""Notifications: the outbox (``outbox``), the messages (``messages``), sending (``delivery``) and text-message gateways (``sms``)."""
