package dev.medseg.model.io;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TensorSourcesTest {
    @TempDir
    Path tmp;

    @Test
    void formatsAreDetectedByContent() throws IOException {
        Map<String, Class<?>> kinds = new LinkedHashMap<>();
        kinds.put("npy/f4_le.npy", TensorSource.class);
        kinds.put("npz/vit_like.npz", NpzSource.class);
        kinds.put("torch/views.pth", TorchCheckpointSource.class);
        kinds.put("safetensors/single.safetensors", SafetensorsSource.class);
        kinds.put("llama_hf", TensorSource.class);
        for (Map.Entry<String, Class<?>> k : kinds.entrySet()) {
            try (TensorSource s = TensorSources.open(Fixtures.path(k.getKey()))) {
                assertTrue(k.getValue().isInstance(s), k.getKey());
                assertTrue(!s.names().isEmpty());
                String any = s.names().get(0);
                Fixtures.assertMatches(s, k.getKey(), Fixtures.recordedNames(k.getKey()).iterator().next());
                assertTrue(s.info(any).isPresent());
            }
        }
        Path junk = Files.writeString(tmp.resolve("junk.bin"), "hello world");
        assertTrue(assertThrows(CheckpointFormatException.class, () -> TensorSources.open(junk)).getMessage()
                .contains("unrecognised tensor file format"));
        assertTrue(assertThrows(CheckpointFormatException.class, () -> TensorSources.open(Fixtures.path("torch/legacy.pth")))
                .getMessage().contains("legacy"));
    }
}
