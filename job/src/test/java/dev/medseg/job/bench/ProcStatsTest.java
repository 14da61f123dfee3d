package dev.medseg.job.bench;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.*;

class ProcStatsTest {
    @Test
    void peakResidentIsVmHwmInBytes() {
        String status = "Name:\tjava\nVmPeak:\t 9000000 kB\nVmHWM:\t  3276800 kB\nVmRSS:\t 100 kB\n";
        assertEquals(3276800L * 1024, ProcStats.parsePeakResident(status, "status"));
    }

    @Test
    void malformedStatusIsNamed() {
        var e1 = assertThrows(BenchException.class, () -> ProcStats.parsePeakResident("VmRSS:\t1 kB\n", "/x/status"));
        assertEquals("/x/status: no VmHWM line (not Linux?)", e1.getMessage());
        var e2 = assertThrows(BenchException.class, () -> ProcStats.parsePeakResident("VmHWM:\t12x kB\n", "/x/status"));
        assertEquals("/x/status: bad VmHWM value '12x'", e2.getMessage());
        assertThrows(BenchException.class, () -> ProcStats.parsePeakResident("VmHWM:\t12 MB\n", "s"));
    }

    @Test
    void anExitingProcessHasNoPeakInsteadOfAnError() {
        // A zombie's /proc/PID/status (an executor that exited but is not reaped yet) has no memory lines.
        String zombie = "Name:\tjava\nState:\tZ (zombie)\nTgid:\t28939\nPid:\t28939\nThreads:\t1\n";
        assertTrue(ProcStats.peakOfOther(zombie, "/proc/28939/status").isEmpty());
        assertEquals(7L * 1024, ProcStats.peakOfOther("Name:\tx\nVmHWM:\t7 kB\n", "s").getAsLong());
        assertThrows(BenchException.class, () -> ProcStats.peakOfOther("Name:\tx\nVmHWM:\t7x kB\n", "s"));
    }

    @Test
    void loadAverageIsTheFirstThreeFields() {
        var l = ProcStats.parseLoadAverage("8.66 5.52 3.89 3/512 20114\n", "/proc/loadavg");
        assertEquals(new ProcStats.LoadAverage(8.66, 5.52, 3.89), l);
        assertEquals(java.util.List.of(8.66, 5.52, 3.89), l.asList());
        var e = assertThrows(BenchException.class, () -> ProcStats.parseLoadAverage("1.0 2.0", "/proc/loadavg"));
        assertTrue(e.getMessage().startsWith("/proc/loadavg: expected 3"), e.getMessage());
    }

    @Test
    void peakResidentOfAnotherProcessIsReadByPidAndEmptyWhenItIsGone() {
        long own = ProcStats.peakResidentBytes(ProcessHandle.current().pid()).orElseThrow();
        assertTrue(own > 10L << 20 && own < 1L << 40, "peak " + own);
        assertTrue(ProcStats.peakResidentBytes(Long.MAX_VALUE).isEmpty(), "no such process");
    }

    @Test
    void liveFiguresAreSane() {
        long peak = ProcStats.peakResidentBytes();
        assertTrue(peak > 10L << 20 && peak < 1L << 40, "peak " + peak);
        assertTrue(ProcStats.loadAverage().one() >= 0);
    }
}
