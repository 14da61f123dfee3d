package dev.medseg.model;

import org.junit.jupiter.api.Test;
import org.nd4j.linalg.factory.Nd4j;
import static org.junit.jupiter.api.Assertions.*;

class BackendSmokeTest {
    @Test
    void backendLoads() {
        var a = Nd4j.ones(2, 2);
        assertEquals(4.0, a.sumNumber().doubleValue(), 0);
        System.out.println(Nd4j.getBackend().getClass() + " " + Nd4j.getExecutioner().getEnvironmentInformation());
    }
}
