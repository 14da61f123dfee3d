package dev.medseg.job.cli;

import picocli.CommandLine;

import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;

/** Versions of this build and of the libraries it runs on. */
public final class Versions implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
        return new String[]{"medseg " + medseg(), "spark " + spark(), "dl4j/nd4j " + nd4j(),
                "java " + System.getProperty("java.version") + " (" + System.getProperty("java.vendor") + ")"};
    }

    public static String medseg() {
        String v = Versions.class.getPackage().getImplementationVersion();
        return v == null ? "dev (not packaged)" : v;
    }

    public static String spark() { return orUnknown(org.apache.spark.package$.MODULE$.SPARK_VERSION()); }

    public static String nd4j() {
        return mavenVersion("org.nd4j", "nd4j-api");
    }

    /** The version Maven recorded in a dependency's jar. */
    static String mavenVersion(String group, String artifact) {
        String path = "META-INF/maven/" + group + "/" + artifact + "/pom.properties";
        try (InputStream in = Versions.class.getClassLoader().getResourceAsStream(path)) {
            if (in == null) return "unknown";
            var p = new Properties();
            p.load(in);
            return orUnknown(p.getProperty("version"));
        } catch (IOException e) {
            return "unknown";
        }
    }

    private static String orUnknown(String s) { return s == null || s.isBlank() ? "unknown" : s; }
}
