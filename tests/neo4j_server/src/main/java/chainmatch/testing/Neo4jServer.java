package chainmatch.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.CountDownLatch;

import org.neo4j.configuration.GraphDatabaseSettings;
import org.neo4j.configuration.connectors.BoltConnector;
import org.neo4j.configuration.connectors.BoltConnectorInternalSettings;
import org.neo4j.configuration.connectors.ConnectorPortRegister;
import org.neo4j.configuration.connectors.ConnectorType;
import org.neo4j.configuration.helpers.SocketAddress;
import org.neo4j.dbms.api.DatabaseManagementService;
import org.neo4j.dbms.api.DatabaseManagementServiceBuilder;
import org.neo4j.graphdb.GraphDatabaseService;
import org.neo4j.graphdb.QueryExecutionException;
import org.neo4j.kernel.internal.GraphDatabaseAPI;
import org.neo4j.kernel.internal.Version;

/**
 * A throw-away Neo4j Community DBMS for chainmatch's tests (tier 3): embedded, with its Bolt connector on
 * 127.0.0.1, its data under a temporary home folder.
 *
 * <pre>java -cp target/classes:$(cat target/classpath.txt) chainmatch.testing.Neo4jServer HOME PORT [SETTING=VALUE ...]</pre>
 *
 * PORT 0 takes a free port. The SETTING=VALUE pairs are Neo4j settings (neo4j.conf names, e.g.
 * server.memory.pagecache.size=256m), written to HOME/neo4j.conf. Authentication is on when the environment variable
 * CHAINMATCH_TEST_NEO4J_PASSWORD is set (the user neo4j gets that password; it is never on the command line), off
 * otherwise. Once the default database answers, one line goes to standard output:
 *
 * <pre>READY bolt://127.0.0.1:PORT neo4j/5.26.x</pre>
 *
 * The DBMS shuts down cleanly when standard input closes (the test process ended, however it ended) or on SIGTERM /
 * SIGINT; then "STOPPED" is printed. Restarting on the same HOME keeps the data.
 */
public final class Neo4jServer {
    private Neo4jServer() {}

    public static void main(String[] args) throws Exception {
        if (args.length < 2) {
            System.err.println("usage: Neo4jServer HOME PORT [SETTING=VALUE ...]");
            System.exit(2);
        }
        Path home = Path.of(args[0]).toAbsolutePath();
        int port = Integer.parseInt(args[1]);
        String password = System.getenv("CHAINMATCH_TEST_NEO4J_PASSWORD");
        Files.createDirectories(home);
        Path conf = home.resolve("neo4j.conf");
        Files.write(conf, Arrays.asList(Arrays.copyOfRange(args, 2, args.length)), StandardCharsets.UTF_8);

        PrintStream out = System.out;
        long started = System.nanoTime();
        DatabaseManagementService dbms = new DatabaseManagementServiceBuilder(home)
                .loadPropertiesFromFile(conf)
                .setConfig(BoltConnector.enabled, true)
                .setConfig(BoltConnector.listen_address, new SocketAddress("127.0.0.1", port))
                .setConfig(BoltConnector.advertised_address, new SocketAddress("127.0.0.1", port))
                .setConfig(GraphDatabaseSettings.auth_enabled, password != null)
                // No 5-second waits for open connections and Bolt threads at shutdown: the tests restart it often.
                .setConfig(BoltConnectorInternalSettings.connection_shutdown_wait_time, Duration.ofMillis(100))
                .setConfig(BoltConnectorInternalSettings.thread_pool_shutdown_wait_time, Duration.ofMillis(100))
                .setConfig(BoltConnectorInternalSettings.enable_local_connector, false)
                .build();

        // Every way out (end of standard input, SIGTERM, SIGINT) goes through System.exit and so through this hook.
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            dbms.shutdown();
            out.println("STOPPED");
            out.flush();
        }, "neo4j-test-server-shutdown"));

        if (password != null) {
            GraphDatabaseService system = dbms.database(GraphDatabaseSettings.SYSTEM_DATABASE_NAME);
            try {
                system.executeTransactionally("ALTER USER neo4j SET PASSWORD $password CHANGE NOT REQUIRED",
                        Map.of("password", password));
            } catch (QueryExecutionException e) {
                if (!e.getMessage().contains("Old password and new password cannot be the same")) {
                    throw e;  // a restart on the same home finds the password already set
                }
            }
        }
        GraphDatabaseService db = dbms.database(GraphDatabaseSettings.DEFAULT_DATABASE_NAME);
        db.executeTransactionally("RETURN 1");
        int bound = ((GraphDatabaseAPI) db).getDependencyResolver()
                .resolveDependency(ConnectorPortRegister.class)
                .getLocalAddress(ConnectorType.BOLT).getPort();
        String version = Version.getNeo4jVersion();
        out.printf("READY bolt://127.0.0.1:%d neo4j/%s %.1fs%n", bound, version, (System.nanoTime() - started) / 1e9);
        out.flush();

        Thread watcher = new Thread(() -> {
            try (InputStream in = System.in) {
                byte[] buffer = new byte[256];
                while (in.read(buffer) >= 0) {
                    // anything written is ignored: only the end of the stream counts
                }
            } catch (IOException ignored) {
                // a broken pipe is an end too
            }
            System.exit(0);
        }, "neo4j-test-server-stdin");
        watcher.setDaemon(true);
        watcher.start();
        new CountDownLatch(1).await();  // until System.exit
    }
}
