package org.fhirledger.server.exchange;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import java.lang.reflect.Proxy;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.fhirledger.ledger.DirectoryLedger;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * A release or rotation that fails for any reason (here the directory throws an unexpected runtime error) is one
 * WARN line naming the error's class, without the patient or the account, and the worker takes the next task.
 */
class KeyReleasesFailureTest {

    @Test
    void anyFailureIsOneLineByClassAndTheWorkerGoesOn() throws Exception {
        CountDownLatch secondTask = new CountDownLatch(1);
        DirectoryLedger directory = (DirectoryLedger) Proxy.newProxyInstance(
                DirectoryLedger.class.getClassLoader(), new Class<?>[] {DirectoryLedger.class}, (p, m, a) -> {
                    if (m.getName().equals("institutionOf")) {
                        if ("0x2222222222222222222222222222222222222222".equals(a[0])) secondTask.countDown();
                        throw new IllegalStateException("patient-4711 at 0x1111111111111111111111111111111111111111");
                    }
                    throw new UnsupportedOperationException(m.getName());
                });
        Logger logger = (Logger) LoggerFactory.getLogger(KeyReleases.class);
        ListAppender<ILoggingEvent> lines = new ListAppender<>();
        lines.start();
        logger.addAppender(lines);
        try (KeyReleases releases =
                new KeyReleases(directory, null, null, null, null, "0x3333333333333333333333333333333333333333")) {
            releases.granted("patient-4711", List.of("0x1111111111111111111111111111111111111111"));
            releases.revoked("patient-4711", List.of("0x2222222222222222222222222222222222222222"));
            assertThat(secondTask.await(10, TimeUnit.SECONDS))
                    .as("the worker took the next task")
                    .isTrue();
            for (int i = 0; i < 200 && lines.list.size() < 2; i++) Thread.sleep(10);
        } finally {
            logger.detachAppender(lines);
        }
        assertThat(lines.list).hasSize(2).allSatisfy(line -> {
            assertThat(line.getLevel()).isEqualTo(Level.WARN);
            assertThat(line.getThrowableProxy()).as("no stack trace").isNull();
            assertThat(line.getFormattedMessage())
                    .endsWith(": IllegalStateException")
                    .doesNotContain("4711")
                    .doesNotContain("0x1111");
        });
    }
}
