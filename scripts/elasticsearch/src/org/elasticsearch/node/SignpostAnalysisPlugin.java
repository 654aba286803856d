package org.elasticsearch.node;

import java.io.IOException;
import java.io.StringReader;
import java.io.UncheckedIOException;
import java.text.ParseException;
import java.util.List;
import java.util.Map;

import org.apache.lucene.analysis.Analyzer;
import org.apache.lucene.analysis.LowerCaseFilter;
import org.apache.lucene.analysis.TokenStream;
import org.apache.lucene.analysis.Tokenizer;
import org.apache.lucene.analysis.en.PorterStemFilter;
import org.apache.lucene.analysis.standard.StandardTokenizer;
import org.apache.lucene.analysis.synonym.SolrSynonymParser;
import org.apache.lucene.analysis.synonym.SynonymGraphFilter;
import org.apache.lucene.analysis.synonym.SynonymMap;
import org.elasticsearch.common.settings.Settings;
import org.elasticsearch.index.analysis.AbstractTokenFilterFactory;
import org.elasticsearch.index.analysis.TokenFilterFactory;
import org.elasticsearch.indices.analysis.AnalysisModule.AnalysisProvider;
import org.elasticsearch.plugins.AnalysisPlugin;
import org.elasticsearch.plugins.Plugin;

/**
 * The two token filters Signpost's index uses that the distribution ships in its
 * analysis-common module (which Maven Central does not carry), under the same names and
 * settings, so the same mapping works here and on any Elasticsearch 8 server:
 * `porter_stem`, and `synonym_graph` with an inline Solr-format `synonyms` list.
 */
public class SignpostAnalysisPlugin extends Plugin implements AnalysisPlugin {

    @Override
    public Map<String, AnalysisProvider<TokenFilterFactory>> getTokenFilters() {
        return Map.of(
            "porter_stem", (indexSettings, env, name, settings) -> new AbstractTokenFilterFactory(name, settings) {
                @Override
                public TokenStream create(TokenStream stream) {
                    return new PorterStemFilter(stream);
                }
            },
            "synonym_graph", (indexSettings, env, name, settings) -> synonymGraph(name, settings)
        );
    }

    private static TokenFilterFactory synonymGraph(String name, Settings settings) {
        SynonymMap map = parse(settings.getAsList("synonyms"));
        return new AbstractTokenFilterFactory(name, settings) {
            @Override
            public TokenStream create(TokenStream stream) {
                return map.fst == null ? stream : new SynonymGraphFilter(stream, map, true);
            }
        };
    }

    private static SynonymMap parse(List<String> rules) {
        // Rules are parsed with the analysis that precedes the filter: standard tokens, lower case.
        Analyzer analyzer = new Analyzer() {
            @Override
            protected TokenStreamComponents createComponents(String field) {
                Tokenizer tokenizer = new StandardTokenizer();
                return new TokenStreamComponents(tokenizer, new LowerCaseFilter(tokenizer));
            }
        };
        try {
            SolrSynonymParser parser = new SolrSynonymParser(true, true, analyzer);
            parser.parse(new StringReader(String.join("\n", rules)));
            return parser.build();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (ParseException e) {
            throw new IllegalArgumentException("Bad synonym rule: " + e.getMessage(), e);
        }
    }
}
