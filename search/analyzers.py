"""Text analysis for the Elasticsearch index: English stemming, and the needs taxonomy's
synonyms applied when searching (so editing a synonym needs only a rebuild, not a re-tag).

Only components every Elasticsearch 8 server has are used: the standard tokenizer,
``lowercase``, ``stop``, and from the analysis-common module ``porter_stem`` and
``synonym_graph`` (the test node in scripts/elasticsearch provides those two itself).
"""

ENGLISH = "signpost_english"
ENGLISH_WITH_SYNONYMS = "signpost_english_synonyms"
SYNONYM_FILTER = "signpost_needs_synonyms"


def analysis_settings(synonym_rules: list[str]) -> dict:
    return {
        "filter": {
            "signpost_english_stop": {"type": "stop", "stopwords": "_english_"},
            SYNONYM_FILTER: {"type": "synonym_graph", "synonyms": synonym_rules or ["signpost, signpost"], "lenient": True},
        },
        "analyzer": {
            ENGLISH: {
                "type": "custom",
                "tokenizer": "standard",
                "filter": ["lowercase", "signpost_english_stop", "porter_stem"],
            },
            # Synonyms are expanded in the query only: a graph filter belongs at search time.
            ENGLISH_WITH_SYNONYMS: {
                "type": "custom",
                "tokenizer": "standard",
                "filter": ["lowercase", SYNONYM_FILTER, "signpost_english_stop", "porter_stem"],
            },
        },
    }
