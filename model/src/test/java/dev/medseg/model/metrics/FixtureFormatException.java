package dev.medseg.model.metrics;

/** A metrics fixture file is malformed; the message names the file, the line and the problem. */
final class FixtureFormatException extends RuntimeException {
    FixtureFormatException(String message) {
        super(message);
    }
}
