# Reports are about referrals: the same services, staff, provider and sign-in fixtures.
from tests.referrals.conftest import *  # noqa: F401,F403
