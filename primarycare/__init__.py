"""General practice as Signpost knows it: GP practices and primary care networks (PCNs), loaded from
the NHS's organisation data (ODS) files, with the NHSmail addresses administrators add.

Below referrals in the layers: a resident's practice, a link worker's PCNs and a service's area are
references to these records; nothing here knows about referrals.
"""
