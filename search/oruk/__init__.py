"""The read-only Open Referral UK 3.0 API at ``/oruk/``: the public directory in the ORUK shape,
for other directories (a council's, the NHS's) and for another Signpost to harvest.

``params`` reads a request's query into an ``OrukQuery`` (or a 400 that names the parameter),
``selectors`` answers it from the directory (the ORUK objects are built by
``directory.oruk.writing``, the same code as the file export), ``openapi`` adapts the profile's
OpenAPI document to this site, and ``views`` adds what HTTP needs: JSON, CORS, ETags.
"""
