"""Load primary care networks and their member practices from the NHS's ePCN file.

    python manage.py load_pcn_membership "PCN Core Partner Details.csv"

The file is the "PCN Core Partner Details" sheet of the ePCN workbook saved as CSV (or ODS's
``epcncorepartnerdetails`` report). Load the practices first (``load_gp_practices``): rows for
practices Signpost does not hold are counted and left out. The rules are in ``primarycare.loading``.
"""

from primarycare.loading import load_pcn_membership
from primarycare.management.commands._loading import LoadingCommand


class Command(LoadingCommand):
    help = "Load PCNs and their member practices from the ePCN “PCN Core Partner Details” sheet saved as CSV."
    unit = "row"

    def load(self, source, **kwargs):
        return load_pcn_membership(source, **kwargs)
