package dev.medseg.job.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** Linux /proc figures the benchmarks record: peak resident memory and the load averages. */
public final class ProcStats {
    private ProcStats() {}

    /** The 1, 5 and 15 minute load averages (runnable tasks), as {@code uptime} prints them. */
    public record LoadAverage(double one, double five, double fifteen) {
        /** For a JSON config: [1 min, 5 min, 15 min]. */
        public List<Double> asList() { return List.of(one, five, fifteen); }
    }

    /** This process's peak resident set size (VmHWM) in bytes. */
    public static long peakResidentBytes() {
        return parsePeakResident(read(Path.of("/proc/self/status")), "/proc/self/status");
    }

    /**
     * Peak resident set size (VmHWM) of process {@code pid} in bytes; empty when it is gone or unreadable (it may
     * exit between listing and reading) or exiting (a zombie's status has no memory lines).
     */
    public static java.util.OptionalLong peakResidentBytes(long pid) {
        Path status = Path.of("/proc", Long.toString(pid), "status");
        String text;
        try {
            text = Files.readString(status);
        } catch (IOException | java.io.UncheckedIOException e) {
            return java.util.OptionalLong.empty();
        }
        return peakOfOther(text, status.toString());
    }

    /** VmHWM of another process's status text; empty for an exiting process (a zombie has no memory lines). */
    static java.util.OptionalLong peakOfOther(String status, String file) {
        if (!status.startsWith("VmHWM:") && !status.contains("\nVmHWM:")) return java.util.OptionalLong.empty();
        return java.util.OptionalLong.of(parsePeakResident(status, file));
    }

    /** The current load averages from /proc/loadavg. */
    public static LoadAverage loadAverage() {
        return parseLoadAverage(read(Path.of("/proc/loadavg")), "/proc/loadavg");
    }

    /** VmHWM of a /proc/PID/status text, in bytes. */
    static long parsePeakResident(String status, String file) {
        for (String line : status.split("\n")) {
            if (!line.startsWith("VmHWM:")) continue;
            String[] f = line.substring(6).trim().split("\\s+");
            if (f.length != 2 || !f[1].equals("kB")) throw new BenchException(file + ": unexpected VmHWM line '" + line + "'");
            try {
                long kb = Long.parseLong(f[0]);
                if (kb < 0 || kb > Long.MAX_VALUE / 1024) throw new NumberFormatException("out of range");
                return kb * 1024;
            } catch (NumberFormatException e) {
                throw new BenchException(file + ": bad VmHWM value '" + f[0] + "'");
            }
        }
        throw new BenchException(file + ": no VmHWM line (not Linux?)");
    }

    /** The first three fields of a /proc/loadavg text. */
    static LoadAverage parseLoadAverage(String text, String file) {
        String[] f = text.trim().split("\\s+");
        if (f.length < 3) throw new BenchException(file + ": expected 3 load averages, got '" + text.trim() + "'");
        try {
            return new LoadAverage(Double.parseDouble(f[0]), Double.parseDouble(f[1]), Double.parseDouble(f[2]));
        } catch (NumberFormatException e) {
            throw new BenchException(file + ": bad load average in '" + text.trim() + "'");
        }
    }

    private static String read(Path p) {
        try {
            return Files.readString(p);
        } catch (IOException e) {
            throw new BenchException(p + ": cannot read (" + e.getMessage() + ")", e);
        }
    }
}
