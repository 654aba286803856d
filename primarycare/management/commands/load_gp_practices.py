"""Load GP practices from the NHS's organisation data file of GP practices (ODS ``epraccur.csv``).

    python manage.py load_gp_practices epraccur.csv

Loading again updates each practice in place by its ODS code and keeps the NHSmail addresses
administrators entered. Closed practices are kept, marked closed. Rows that cannot be read are
listed with their line numbers and what to fix; the others load. A file that is not the practices
file changes nothing. The rules are in ``primarycare.loading``.
"""

from primarycare.loading import load_gp_practices
from primarycare.management.commands._loading import LoadingCommand


class Command(LoadingCommand):
    help = "Load GP practices from the NHS's ODS GP practices file (epraccur.csv)."
    unit = "practice"

    def load(self, source, **kwargs):
        return load_gp_practices(source, **kwargs)
