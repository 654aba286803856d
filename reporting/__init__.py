"""Commissioner reporting: the figures (``figures``), who may see which referrals (``scope``), small-number suppression."""
