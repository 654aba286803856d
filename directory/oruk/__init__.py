"""Open Referral UK 3.0: import and export of the directory (see mapping.py for what maps to what)."""
