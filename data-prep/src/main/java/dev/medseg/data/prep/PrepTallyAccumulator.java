package dev.medseg.data.prep;

import org.apache.spark.util.AccumulatorV2;

/** Spark accumulator carrying a {@link PrepTally} from the tasks to the driver (merged once per successful task). */
final class PrepTallyAccumulator extends AccumulatorV2<PrepTally, PrepTally> {

    private static final long serialVersionUID = 1L;

    private PrepTally tally = new PrepTally();

    @Override
    public boolean isZero() {
        return tally.isEmpty();
    }

    @Override
    public AccumulatorV2<PrepTally, PrepTally> copy() {
        PrepTallyAccumulator c = new PrepTallyAccumulator();
        c.tally = tally.copy();
        return c;
    }

    @Override
    public void reset() {
        tally = new PrepTally();
    }

    @Override
    public void add(PrepTally v) {
        tally.merge(v);
    }

    @Override
    public void merge(AccumulatorV2<PrepTally, PrepTally> other) {
        tally.merge(other.value());
    }

    @Override
    public PrepTally value() {
        return tally;
    }
}
