package org.fhirledger.server.testing;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.junit.platform.launcher.LauncherSession;
import org.junit.platform.launcher.LauncherSessionListener;
import org.springframework.boot.context.event.ApplicationPreparedEvent;
import org.springframework.context.ApplicationListener;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * Closes every server a test JVM still runs (cached Spring test contexts, the shared member server) once its tests
 * are over, before the JVM exits. Left to the JVM's shutdown hooks, they closed while the JVM's PostgreSQL and shared
 * anvil stopped in hooks of their own at the same moment; HAPI's scheduler, the connection pools and the background
 * jobs then waited for connections that could not come, until surefire killed the fork 30 s later.
 *
 * <p>Two registrations (test resources): a Spring {@link ApplicationListener} ({@code META-INF/spring.factories})
 * that notes each application context as it is prepared, and a JUnit {@link LauncherSessionListener}
 * ({@code META-INF/services}) told when the launcher session ends, once per test JVM, after its last test.
 */
public final class CloseServersBeforeExit
        implements LauncherSessionListener, ApplicationListener<ApplicationPreparedEvent> {

    // in the order they were prepared; the ones closed meanwhile are let go at the next one
    private static final List<ConfigurableApplicationContext> ORDER = new ArrayList<>();

    @Override
    public void onApplicationEvent(ApplicationPreparedEvent event) {
        ConfigurableApplicationContext ctx = event.getApplicationContext();
        synchronized (ORDER) {
            ORDER.removeIf(ConfigurableApplicationContext::isClosed);
            if (!ORDER.contains(ctx)) ORDER.add(ctx);
        }
    }

    @Override
    public void launcherSessionClosed(LauncherSession session) {
        List<ConfigurableApplicationContext> open;
        synchronized (ORDER) {
            open = new ArrayList<>(ORDER);
            ORDER.clear();
        }
        Collections.reverse(open); // the newest first: one started later may use an older one, never the reverse
        for (ConfigurableApplicationContext ctx : open) {
            try {
                if (ctx.isActive()) ctx.close();
            } catch (RuntimeException e) {
                System.err.println("closing a test server after the last test failed: " + e);
            }
        }
    }
}
