package dev.medseg.model.io;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.ZipFile;

/** Opens any supported tensor file by looking at its content, not just its name. */
public final class TensorSources {
    private TensorSources() {
    }

    /**
     * Opens {@code path} as the right {@link TensorSource}: a directory or {@code *.index.json} (sharded
     * safetensors), {@code .npy}, {@code .npz}, a torch zip checkpoint ({@code .pth}/{@code .pt}/{@code .bin}),
     * or {@code .safetensors}. Legacy torch files and unknown formats give a {@link CheckpointFormatException}.
     */
    public static TensorSource open(Path path) {
        if (Files.isDirectory(path) || path.getFileName().toString().endsWith(".index.json")) {
            return SafetensorsSource.open(path);
        }
        byte[] head;
        try (InputStream in = Files.newInputStream(path)) {
            head = in.readNBytes(9);
        } catch (IOException e) {
            throw new CheckpointFormatException(path.toString(), null, "cannot open: " + e.getMessage(), e);
        }
        if (head.length >= 6 && (head[0] & 0xff) == 0x93 && head[1] == 'N' && head[2] == 'U') {
            return NpyFormat.open(path);
        }
        if (head.length >= 4 && head[0] == 'P' && head[1] == 'K') {
            return isTorchZip(path) ? TorchCheckpointSource.open(path) : NpzSource.open(path);
        }
        if (head.length >= 1 && (head[0] & 0xff) == 0x80) {
            return TorchCheckpointSource.open(path); // explains that legacy torch files must be re-saved
        }
        if (head.length == 9 && head[8] == '{') {
            long n = ByteBuffer.wrap(head, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
            if (n > 0) {
                return SafetensorsSource.openFile(path);
            }
        }
        throw new CheckpointFormatException(path.toString(), "unrecognised tensor file format"
                + " (expected .npy, .npz, .safetensors or a torch.save zip checkpoint)");
    }

    private static boolean isTorchZip(Path path) {
        try (ZipFile zip = new ZipFile(path.toFile())) {
            return zip.stream().anyMatch(e -> e.getName().endsWith("/data.pkl"));
        } catch (IOException e) {
            return false; // let the npz reader report the broken zip
        }
    }
}
