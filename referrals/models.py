# Referrals, residents and consent arrive with the referral marketplace (issue 4).
