package dev.medseg.job.cli;

/** A command whose contract is fixed but whose implementation has not landed in this build. */
final class NotAvailableYet extends RuntimeException {
    NotAvailableYet(String command, String what) {
        super("medseg " + command + ": not available in this build yet (" + what + "). "
                + "Run 'medseg info' for what this build provides; README lists the status of each command.");
    }
}
