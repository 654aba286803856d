"""The referral API for clinical systems and providers: /api/v1/referrals/ (documented at /api/v1/schema/)."""
