package dev.finetune;

import static com.tngtech.archunit.core.domain.JavaClass.Predicates.resideInAPackage;
import static com.tngtech.archunit.core.domain.JavaClass.Predicates.resideOutsideOfPackage;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import dev.finetune.app.cli.Main;
import dev.finetune.config.RunConfig;
import dev.finetune.pipeline.packing.WindowPacker;
import dev.finetune.trainer.model.CausalLM;
import java.net.URL;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/**
 * What the modules' poms and the package-info files promise about imports, checked on the compiled main classes
 * of every module (tests excluded). A module's classes are those of the jar or classes folder it was built into,
 * so the rules hold for the module, whatever package names it uses. A failure names the class and the
 * dependency that breaks the rule; docs/architecture.md says why each rule exists.
 */
class PackageContractsTest {
    private static final ImportOption MAIN_ONLY = new ImportOption.DoNotIncludeTests();

    private static final JavaClasses COMMON = module(RunConfig.class);
    private static final JavaClasses PIPELINE = module(WindowPacker.class);
    private static final JavaClasses TRAINER = module(CausalLM.class);
    private static final JavaClasses APP = module(Main.class);
    private static final JavaClasses ALL = new ClassFileImporter()
            .withImportOption(MAIN_ONLY)
            .importUrls(Arrays.asList(
                    where(RunConfig.class), where(WindowPacker.class), where(CausalLM.class), where(Main.class)));

    private static JavaClasses module(Class<?> member) {
        return new ClassFileImporter().withImportOption(MAIN_ONLY).importUrl(where(member));
    }

    /** The jar or classes folder a class was loaded from: its module's build output. */
    private static URL where(Class<?> member) {
        return member.getProtectionDomain().getCodeSource().getLocation();
    }

    @Test
    void theModulesAreTheOnesThisTestThinksTheyAre() {
        // guards the rules below against an empty import (a rule over no classes passes vacuously)
        for (JavaClasses m : new JavaClasses[] {COMMON, PIPELINE, TRAINER, APP}) {
            if (m.size() < 10) {
                throw new AssertionError("imported only " + m.size() + " classes of a module: " + m);
            }
        }
        if (!TRAINER.contain(CausalLM.class) || TRAINER.contain(Main.class) || !APP.contain(Main.class)) {
            throw new AssertionError("the trainer and app modules were not told apart by their class locations");
        }
    }

    @Test
    void commonImportsNeitherSparkNorTheModulesBuiltOnIt() {
        noClasses()
                .should()
                .dependOnClassesThat()
                .resideInAnyPackage(
                        "org.apache.spark..", "scala..", "dev.finetune.pipeline..", "dev.finetune.trainer..")
                .because("common is what the pipeline and the trainer share; it must load without Spark")
                .check(COMMON);
    }

    @Test
    void theConfigurationImportsNoDjl() {
        noClasses()
                .that()
                .resideInAPackage("dev.finetune.config..")
                .should()
                .dependOnClassesThat()
                .resideInAnyPackage("ai.djl..", "org.apache.spark..")
                .check(COMMON);
    }

    @Test
    void chatTemplatesKnowNothingOfTokenizers() {
        noClasses()
                .that()
                .resideInAPackage("dev.finetune.templates..")
                .should()
                .dependOnClassesThat()
                .resideInAnyPackage("dev.finetune.tokenize..", "ai.djl..")
                .check(COMMON);
    }

    @Test
    void thePipelineNeverImportsTheTrainer() {
        noClasses()
                .should()
                .dependOnClassesThat()
                .resideInAnyPackage("dev.finetune.trainer..")
                .because("pipeline and trainer are siblings over common; only app joins them")
                .check(PIPELINE);
    }

    @Test
    void onlyThePrepareJobAndItsBenchmarkImportSpark() {
        noClasses()
                .that()
                .resideOutsideOfPackages("dev.finetune.pipeline.spark..", "dev.finetune.pipeline.bench..")
                .should()
                .dependOnClassesThat()
                .resideInAnyPackage("org.apache.spark..", "scala..")
                .because("ingest, records, packing and inspect are plain Java that the Spark job calls")
                .check(PIPELINE);
    }

    @Test
    void theTrainerImportsNeitherSparkNorThePipelineNorTheApp() {
        noClasses()
                .should()
                .dependOnClassesThat()
                .resideInAnyPackage("org.apache.spark..", "scala..", "dev.finetune.pipeline..", "dev.finetune.app..")
                .because("training in one process needs no Spark on the classpath; the CLI lives in app")
                .check(TRAINER);
    }

    @Test
    void trainingReachesOtherRanksOnlyThroughGradientSync() {
        noClasses()
                .that()
                .resideInAPackage("dev.finetune.trainer.train..")
                .should()
                .dependOnClassesThat()
                .resideInAnyPackage("dev.finetune.trainer.collective..", "dev.finetune.trainer.distributed..")
                .check(TRAINER);
    }

    @Test
    void safetensorsKnowNoModel() {
        noClasses()
                .that()
                .resideInAPackage("dev.finetune.trainer.safetensors..")
                .should()
                .dependOnClassesThat(resideInAPackage("dev.finetune..")
                        .and(resideOutsideOfPackage("dev.finetune.trainer.safetensors..")))
                .because("the reader and writer hand tensors over by name; what they mean is the model's business")
                .check(TRAINER);
    }

    @Test
    void deviceChoiceUsesDjlsApiAndNothingOfOurs() {
        noClasses()
                .that()
                .resideInAPackage("dev.finetune.trainer.device..")
                .should()
                .dependOnClassesThat(
                        resideInAPackage("dev.finetune..").and(resideOutsideOfPackage("dev.finetune.trainer.device..")))
                .orShould()
                .dependOnClassesThat()
                .resideInAPackage("ai.djl.pytorch..")
                .because("train, generate, bench and the rank launcher all ask it; it must not depend on them")
                .check(TRAINER);
    }

    @Test
    void mergeDoesItsArithmeticWithoutDjlArrays() {
        noClasses()
                .that()
                .resideInAPackage("dev.finetune.trainer.merge..")
                .should()
                .dependOnClassesThat()
                .resideInAnyPackage("ai.djl.ndarray..")
                .because("merge adds B·A into the base in FP32 on the heap, one tensor at a time")
                .check(TRAINER);
    }

    @Test
    void onlyTheTensorPackageReachesIntoDjlsPyTorchEngine() {
        noClasses()
                .that()
                .resideOutsideOfPackage("dev.finetune.trainer.tensor..")
                .should()
                .dependOnClassesThat()
                .resideInAPackage("ai.djl.pytorch..")
                .because("grad mode, backward with an upstream gradient, TorchScript kernels and the profiler are "
                        + "PyTorch specifics; everything else speaks DJL's engine-neutral NDArray API")
                .check(ALL);
    }

    @Test
    void tensorHelpersKnowNothingOfOurs() {
        noClasses()
                .that()
                .resideInAPackage("dev.finetune.trainer.tensor..")
                .should()
                .dependOnClassesThat(
                        resideInAPackage("dev.finetune..").and(resideOutsideOfPackage("dev.finetune.trainer.tensor..")))
                .because("the model, LoRA, NF4 and the optimizer build on these helpers")
                .check(TRAINER);
    }

    @Test
    void theModelKnowsNoneOfThePackagesBuiltOnIt() {
        noClasses()
                .that()
                .resideInAPackage("dev.finetune.trainer.model..")
                .should()
                .dependOnClassesThat()
                .resideInAnyPackage(
                        "dev.finetune.trainer.nf4..",
                        "dev.finetune.trainer.train..",
                        "dev.finetune.trainer.generate..",
                        "dev.finetune.trainer.merge..",
                        "dev.finetune.trainer.collective..",
                        "dev.finetune.trainer.distributed..",
                        "dev.finetune.trainer.lora..",
                        "dev.finetune.trainer.bench..")
                .because("NF4 plugs in behind LinearWeight, LoRA behind ProjectionAdapter and the benchmark's timer "
                        + "behind PhaseObserver; training, generation and merge call the model")
                .check(TRAINER);
    }

    @Test
    void nothingOutsideTheCommandLineDependsOnIt() {
        noClasses()
                .that()
                .resideOutsideOfPackage("dev.finetune.app.cli..")
                .should()
                .dependOnClassesThat()
                .resideInAPackage("dev.finetune.app.cli..")
                .check(ALL);
    }

    @Test
    void theAppsClassesLiveInTheAppsPackages() {
        classes()
                .should()
                .resideInAPackage("dev.finetune.app..")
                .because("a package belongs to one module: the trainer's packages are dev.finetune.trainer..")
                .check(APP);
    }

    @Test
    void noModuleButTheAppUsesItsPackages() {
        noClasses().should().resideInAPackage("dev.finetune.app..").check(COMMON);
        noClasses().should().resideInAPackage("dev.finetune.app..").check(PIPELINE);
        noClasses().should().resideInAPackage("dev.finetune.app..").check(TRAINER);
    }

    @Test
    void theTrainerPackagesAreFreeOfCycles() {
        slices().matching("dev.finetune.trainer.(*)..")
                .should()
                .beFreeOfCycles()
                .check(ALL);
    }

    @Test
    void theAppPackagesAreFreeOfCycles() {
        slices().matching("dev.finetune.app.(*)..").should().beFreeOfCycles().check(APP);
    }
}
