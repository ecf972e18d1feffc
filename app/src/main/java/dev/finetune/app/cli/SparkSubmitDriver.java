package dev.finetune.app.cli;

import java.util.Properties;

/**
 * Whether spark-submit started this JVM as a Spark driver, read from the system properties it sets there. In
 * client mode SparkSubmit calls the main class in its own JVM after copying the whole Spark configuration into
 * system properties (spark.master, spark.submit.deployMode = client, ...); in YARN cluster mode the
 * ApplicationMaster loads the submitted configuration the same way and sets spark.master = yarn and
 * spark.submit.deployMode = cluster itself before it calls the main class. Both must be present: a
 * {@code -Dspark.master} given by hand to {@code jobs/finetune} does not make a driver.
 */
final class SparkSubmitDriver {
    static final String MASTER = "spark.master";
    static final String DEPLOY_MODE = "spark.submit.deployMode";

    private SparkSubmitDriver() {}

    static boolean in(Properties system) {
        return system.getProperty(MASTER) != null && system.getProperty(DEPLOY_MODE) != null;
    }

    /** This JVM's system properties. */
    static boolean inThisJvm() {
        return in(System.getProperties());
    }

    /** Why {@link #in} answers as it does, for the console: the two properties and their values. */
    static String why(Properties system) {
        if (in(system)) {
            return "spark-submit started this JVM: " + MASTER + "=" + system.getProperty(MASTER) + ", " + DEPLOY_MODE
                    + "=" + system.getProperty(DEPLOY_MODE);
        }
        return "spark-submit did not start this JVM: no " + (system.getProperty(MASTER) == null ? MASTER : DEPLOY_MODE)
                + " system property";
    }
}
