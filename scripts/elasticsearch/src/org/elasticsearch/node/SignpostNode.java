package org.elasticsearch.node;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Collection;
import java.util.List;

import org.elasticsearch.common.logging.LogConfigurator;
import org.elasticsearch.common.settings.Settings;
import org.elasticsearch.env.Environment;
import org.elasticsearch.plugins.MockPluginsService;
import org.elasticsearch.plugins.Plugin;
import org.elasticsearch.plugins.PluginsService;
import org.elasticsearch.transport.netty4.Netty4Plugin;

/**
 * One genuine Elasticsearch 8 node in one JVM, for the test suite and `make demo`.
 *
 * Maven Central has the Elasticsearch server and its Netty transport but not the packaged
 * distribution, so we construct the server's own Node with its modules given as classpath
 * plugins, the way Elasticsearch's test framework does (hence this package), bound to
 * loopback only. Arguments: home directory, HTTP port (transport port = HTTP port + 100);
 * alone, that makes one single-node cluster named "signpost". For a cluster of several
 * nodes on this machine (scripts/elasticsearch-cluster.sh) four more: cluster name, node
 * name, seed hosts (host:transport-port, comma-separated) and the initial master nodes'
 * names (comma-separated).
 */
public class SignpostNode extends Node {

    private static final Collection<Class<? extends Plugin>> PLUGINS = List.of(
        Netty4Plugin.class,
        SignpostAnalysisPlugin.class
    );

    SignpostNode(Environment environment) {
        super(NodeConstruction.prepareConstruction(environment, new NodeServiceProvider() {
            @Override
            PluginsService newPluginService(Environment env, Settings settings) {
                return new MockPluginsService(settings, env, PLUGINS);
            }
        }, true));
    }

    public static void main(String[] args) throws Exception {
        Path home = Paths.get(args[0]).toAbsolutePath();
        int httpPort = Integer.parseInt(args[1]);
        Path config = home.resolve("config");
        Files.createDirectories(config);
        Settings.Builder builder = Settings.builder()
            .put("path.home", home.toString())
            .put("path.data", home.resolve("data").toString())
            .put("path.logs", home.resolve("logs").toString())
            .put("network.host", "127.0.0.1")
            .put("http.port", httpPort)
            .put("transport.port", httpPort + 100)
            // A development node: never refuse writes because a laptop disk is nearly full.
            .put("cluster.routing.allocation.disk.threshold_enabled", false);
        if (args.length >= 6) {
            builder.put("cluster.name", args[2])
                .put("node.name", args[3])
                .putList("discovery.seed_hosts", List.of(args[4].split(",")))
                .putList("cluster.initial_master_nodes", List.of(args[5].split(",")));
        } else {
            builder.put("cluster.name", "signpost")
                .put("node.name", "signpost-1")
                .put("discovery.type", "single-node");
        }
        Settings settings = builder.build();
        LogConfigurator.configureWithoutConfig(settings);
        Node node = new SignpostNode(new Environment(settings, config));
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                node.close();
            } catch (Exception e) {
                e.printStackTrace();
            }
        }));
        node.start();
        System.out.println("Elasticsearch node " + settings.get("node.name") + " started on 127.0.0.1:" + httpPort);
        Thread.currentThread().join();
    }
}
