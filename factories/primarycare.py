"""GP practices and primary care networks in code, for the tests and the demo."""

import itertools

from primarycare.models import GpPractice, PrimaryCareNetwork

_sequence = itertools.count(1)


def make_pcn(name: str | None = None, *, ods_code: str | None = None, **fields) -> PrimaryCareNetwork:
    number = next(_sequence)
    return PrimaryCareNetwork.objects.create(
        ods_code=ods_code or f"U{90000 + number}", name=name or f"Harbour PCN {number}", **fields
    )


def make_practice(name: str | None = None, *, ods_code: str | None = None, pcn=None, postcode: str = "BH15 1AB",
                  nhsmail: str | None = None, **fields) -> GpPractice:
    """A practice with an NHSmail address unless ``nhsmail=""`` (a practice that gets letters)."""
    number = next(_sequence)
    code = ods_code or f"J{80000 + number}"
    return GpPractice.objects.create(
        ods_code=code, name=name or f"Harbour Surgery {number}", pcn=pcn, postcode=postcode,
        address="1 Quay Road, Poole", nhsmail=f"harbour.surgery{number}@nhs.net" if nhsmail is None else nhsmail,
        **fields,
    )
