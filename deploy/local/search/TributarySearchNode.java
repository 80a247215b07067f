/*
 * Starts a single OpenSearch node from jars resolved off Maven Central (see pom.xml), with the
 * distribution's modules loaded as classpath plugins (the way OpenSearch's own MockNode does it).
 * No security manager, no bootstrap checks, no security plugin: a local dev/CI node only.
 *
 * Usage: java -cp "<classes>:<lib>/*" TributarySearchNode <path.home>
 *   <path.home>/config/opensearch.yml and <path.home>/config/log4j2.properties must exist.
 *
 * Compiled by deploy/local/services/search.sh (install_search) into the cache; stopped by SIGTERM.
 */

import org.opensearch.common.logging.LogConfigurator;
import org.opensearch.common.settings.Settings;
import org.opensearch.env.Environment;
import org.opensearch.node.InternalSettingsPreparer;
import org.opensearch.node.Node;
import org.opensearch.plugins.ExtensiblePlugin;
import org.opensearch.plugins.Plugin;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.List;
import java.util.ServiceLoader;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

public final class TributarySearchNode extends Node {

    /** The distribution's modules/ that are published on Maven Central, by plugin class. */
    private static final String[] MODULES = {
        "org.opensearch.transport.Netty4Plugin",                       // transport-netty4 (HTTP + transport)
        "org.opensearch.analysis.common.CommonAnalysisPlugin",         // analysis-common
        "org.opensearch.painless.PainlessPlugin",                      // lang-painless
        "org.opensearch.script.mustache.MustachePlugin",               // lang-mustache (search templates)
        "org.opensearch.index.reindex.ReindexPlugin",                  // reindex, update/delete_by_query
        "org.opensearch.index.mapper.MapperExtrasPlugin",              // scaled_float, rank_feature, search_as_you_type...
        "org.opensearch.join.ParentJoinPlugin",                        // join field
        "org.opensearch.percolator.PercolatorPlugin",                  // percolator
        "org.opensearch.search.aggregations.matrix.MatrixAggregationPlugin", // matrix_stats
        "org.opensearch.index.rankeval.RankEvalPlugin",                // _rank_eval
        "org.opensearch.ingest.common.IngestCommonPlugin",             // ingest processors
        "org.opensearch.geo.GeoModulePlugin",                          // geo_shape, geo aggs
        "org.opensearch.search.pipeline.common.SearchPipelineCommonModulePlugin", // search pipelines
    };

    private TributarySearchNode(Environment env, Collection<Class<? extends Plugin>> plugins) {
        super(env, plugins, true);
    }

    /**
     * Classpath plugins get no SPI extensions from OpenSearch's PluginsService (only plugin bundles
     * declaring extended.plugins do), so lang-painless would miss the allowlists of analysis-common
     * (predicate_token_filter / condition scripts) and ingest-common (Processors.* in ingest scripts).
     * PainlessPlugin keeps those allowlists in a static map, so load them once here, before the Node
     * builds the script engine.
     */
    private static void loadPainlessExtensions() {
        final Class<?> painless;
        try {
            painless = Class.forName("org.opensearch.painless.PainlessPlugin");
        } catch (ClassNotFoundException e) {
            return;
        }
        try {
            ExtensiblePlugin plugin = (ExtensiblePlugin) painless.getConstructor().newInstance();
            plugin.loadExtensions(new ExtensiblePlugin.ExtensionLoader() {
                @Override
                public <T> List<T> loadExtensions(Class<T> extensionPointType) {
                    List<T> found = new ArrayList<>();
                    ServiceLoader.load(extensionPointType, TributarySearchNode.class.getClassLoader()).forEach(found::add);
                    return found;
                }
            });
        } catch (Throwable t) {
            System.err.println("[tributary-search] painless extensions not loaded: " + t);
        }
    }

    public static void main(String[] args) throws Exception {
        if (args.length != 1) {
            System.err.println("usage: TributarySearchNode <path.home>");
            System.exit(64);
        }
        Path home = Path.of(args[0]).toAbsolutePath();
        Settings input = Settings.builder().put(Environment.PATH_HOME_SETTING.getKey(), home.toString()).build();
        // Reads <home>/config/opensearch.yml.
        Environment env = InternalSettingsPreparer.prepareEnvironment(input, Collections.emptyMap(), null, () -> "search-1");

        LogConfigurator.registerErrorListener();
        LogConfigurator.setNodeName(Node.NODE_NAME_SETTING.get(env.settings()));
        LogConfigurator.configure(env);

        List<Class<? extends Plugin>> plugins = new ArrayList<>();
        for (String name : MODULES) {
            try {
                plugins.add(Class.forName(name).asSubclass(Plugin.class));
            } catch (ClassNotFoundException e) {
                System.err.println("[tributary-search] module not on classpath, skipped: " + name);
            }
        }

        loadPainlessExtensions();

        final TributarySearchNode node = new TributarySearchNode(env, plugins);
        final CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                node.close();
                node.awaitClose(20, TimeUnit.SECONDS);
            } catch (Exception e) {
                e.printStackTrace();
            } finally {
                stopped.countDown();
            }
        }, "tributary-search-shutdown"));
        node.start();
        System.out.println("[tributary-search] started with " + plugins.size() + " modules");
        stopped.await();
    }
}
