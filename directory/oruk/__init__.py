"""Open Referral UK 3.0: import and export of the directory (see records.py for what maps to what)."""
