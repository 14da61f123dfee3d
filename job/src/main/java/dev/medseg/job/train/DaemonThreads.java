package dev.medseg.job.train;

import java.util.concurrent.ThreadFactory;

/** Threads for the job's helper pools: daemons (a pool must never keep an executor or the driver alive), named. */
final class DaemonThreads {
    private DaemonThreads() {}

    /** A factory of daemon threads called {@code name} (as they show in thread dumps and JFR). */
    static ThreadFactory named(String name) {
        return r -> {
            Thread t = new Thread(r, name);
            t.setDaemon(true);
            return t;
        };
    }
}
