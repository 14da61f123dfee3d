package dev.medseg.model.io;

import java.nio.ByteBuffer;
import java.nio.FloatBuffer;

/**
 * The dtype checks and conversions every reader shares. A subclass only locates a tensor's bytes:
 * {@link #contiguous} returns them in C order with the buffer's byte order set to how they are stored.
 */
abstract class AbstractTensorSource implements TensorSource {

    /**
     * The tensor's {@code numel * dtype size} bytes in C order, positioned at 0 and ordered as stored.
     * Implementations check every declared size against the file before allocating.
     */
    abstract ByteBuffer contiguous(TensorInfo info);

    @Override
    public final float[] readFloat(String name) {
        TensorInfo info = require(name);
        if (!info.dtype().isFloating()) {
            throw new CheckpointFormatException(describe(), name, "is " + info.dtype() + ", not a floating-point tensor; use readLong");
        }
        int n = checkedSize(info);
        return Elements.toFloat(contiguous(info), info.dtype(), n);
    }

    @Override
    public final void readFloatInto(String name, FloatBuffer out) {
        TensorInfo info = require(name);
        if (!info.dtype().isFloating()) {
            throw new CheckpointFormatException(describe(), name, "is " + info.dtype() + ", not a floating-point tensor; use readLong");
        }
        int n = checkedSize(info);
        if (out.remaining() < n) {
            throw new IllegalArgumentException(name + " has " + n + " elements, the buffer room for " + out.remaining());
        }
        Elements.toFloat(contiguous(info), info.dtype(), n, out);
    }

    @Override
    public final long[] readLong(String name) {
        TensorInfo info = require(name);
        if (info.dtype().isFloating()) {
            throw new CheckpointFormatException(describe(), name, "is " + info.dtype() + ", not an integer tensor; use readFloat");
        }
        int n = checkedSize(info);
        return Elements.toLong(contiguous(info), info.dtype(), n);
    }

    @Override
    public final byte[] readRaw(String name) {
        TensorInfo info = require(name);
        return Elements.toLittleEndian(contiguous(info), info.dtype(), checkedSize(info));
    }

    /** The element count, after checking that the tensor's bytes fit one buffer (2 GB, an int index). */
    private int checkedSize(TensorInfo info) {
        long bytes = Shapes.checkedBytes(info.numel(), info.dtype(), describe(), info.name());
        Shapes.checkedArrayLength(bytes, "byte length", describe(), info.name());
        return (int) info.numel();
    }

    /** Closes a zip this source reads from; reads only, so a failing close loses nothing. */
    static void closeQuietly(java.util.zip.ZipFile zip) {
        try {
            zip.close();
        } catch (java.io.IOException ignored) {
            // read-only; nothing is lost
        }
    }
}
