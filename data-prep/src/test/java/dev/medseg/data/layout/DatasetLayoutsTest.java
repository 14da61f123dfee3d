package dev.medseg.data.layout;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class DatasetLayoutsTest {

    @Test
    void everyNameResolvesToALayoutOfThatName() {
        assertEquals(List.of("synapse", "acdc", "decathlon", "isic2017", "busi", "cvc-clinicdb", "cvc-colondb", "images-masks"),
                DatasetLayouts.names());
        for (String name : DatasetLayouts.names()) {
            assertEquals(name, DatasetLayouts.forName(name).name());
        }
    }

    @Test
    void aliasesAndCaseInsensitivity() {
        assertInstanceOf(SynapseLayout.class, DatasetLayouts.forName("btcv"));
        assertInstanceOf(DecathlonLayout.class, DatasetLayouts.forName(" MSD "));
        assertInstanceOf(CvcClinicDbLayout.class, DatasetLayouts.forName("CVC-ClinicDB"));
    }

    @Test
    void unknownNameListsTheKnownOnes() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> DatasetLayouts.forName("kvasir"));
        assertTrue(e.getMessage().startsWith("unknown dataset layout 'kvasir'; known: synapse, acdc, decathlon, isic2017, busi, "
                + "cvc-clinicdb, cvc-colondb, images-masks"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> DatasetLayouts.forName(null));
    }
}
