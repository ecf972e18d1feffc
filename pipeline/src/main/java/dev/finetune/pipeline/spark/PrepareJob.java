package dev.finetune.pipeline.spark;

import dev.finetune.hub.DatasetFiles;
import dev.finetune.hub.HubClient;
import dev.finetune.hub.HubRepo;
import dev.finetune.hub.HubSettings;
import dev.finetune.pipeline.ingest.FileFormat;
import dev.finetune.pipeline.ingest.FileProblems;
import dev.finetune.pipeline.ingest.Holdout;
import dev.finetune.pipeline.ingest.InputFiles;
import dev.finetune.pipeline.ingest.RecordEncoderFactory;
import dev.finetune.pipeline.ingest.SourceSpec;
import dev.finetune.pipeline.packing.Overflow;
import dev.finetune.pipeline.packing.PackStats;
import dev.finetune.pipeline.packing.PackingOptions;
import dev.finetune.shards.Manifest;
import dev.finetune.shards.ShardFormat;
import dev.finetune.storage.AtomicOutput;
import java.io.IOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.DataFrameReader;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.util.LongAccumulator;

/**
 * {@code prepare}: sources → records → encoder → packing windows → shards + manifest.json, published
 * atomically. See the package documentation for the passes; SHARD-FORMAT.md for the output.
 */
public final class PrepareJob {
    private static final String FILE_COL = "__ft_file";
    private static final String ID_COL = "__ft_id";

    private final SparkSession spark;
    private final PrepareOptions options;
    private final RecordEncoderFactory factory;
    private final String command;
    private HubSettings hub;
    private final Map<String, DatasetFiles> hubFiles = new LinkedHashMap<>();

    public PrepareJob(SparkSession spark, PrepareOptions options, RecordEncoderFactory factory, String command) {
        this.spark = spark;
        this.options = options.validate();
        this.factory = factory;
        this.command = command;
    }

    /** Hub settings for {@code hf://} sources; default: from the environment (HF_ENDPOINT, HF_TOKEN, ...). */
    public PrepareJob withHub(HubSettings settings) {
        this.hub = settings;
        return this;
    }

    /** One source read as a unit, and how its documents map to splits. */
    static final class SourcePlan {
        final String label;
        final InputFiles files;
        final SplitAssigner assigner;

        SourcePlan(String label, InputFiles files, SplitAssigner assigner) {
            this.label = label;
            this.files = files;
            this.assigner = assigner;
        }
    }

    /**
     * Runs the job. Returns the published manifest, or the existing one when the output is already complete
     * and overwrite is off (nothing is recomputed).
     */
    public Manifest run() throws IOException {
        Configuration conf = spark.sparkContext().hadoopConfiguration();
        OutputDir out = new OutputDir(options.output, conf);
        if (out.isComplete() && !options.overwrite) {
            System.err.println("prepare: " + out.path() + " is complete; nothing to do (give --overwrite to redo it)");
            return Manifest.read(new Path(out.path(), ShardFormat.MANIFEST), conf);
        }
        Manifest.Tokenizer tokenizer = factory.tokenizerInfo();
        List<SourcePlan> plans = plan(conf);
        PackingOptions packing = new PackingOptions(
                options.maxSeqLength, options.packing, Overflow.parse(options.longDocuments), tokenizer.padTokenId);
        AtomicOutput publish = out.begin(options.overwrite);
        Path tmp = publish.dir();
        try {
            Map<Integer, Manifest.Split> splits = new LinkedHashMap<>();
            for (SourcePlan plan : plans) {
                List<WindowResult> results;
                try {
                    results = runSource(plan, tmp, conf, packing);
                } catch (Exception e) { // SparkException is checked, though Scala code throws it undeclared
                    RuntimeException named = unreadable(plan, conf, e);
                    if (named != null) {
                        throw named;
                    }
                    throw e;
                }
                for (WindowResult r : results) {
                    Manifest.Split s = splits.computeIfAbsent(r.split, k -> new Manifest.Split());
                    s.shards.add(r.shard());
                    add(s, r.stats);
                }
            }
            Manifest m = manifest(tokenizer, plans, splits);
            m.write(new Path(tmp, ShardFormat.MANIFEST), conf);
            publish.commit();
            if (!hubFiles.isEmpty()) {
                Path staging = new Path(stagingDir());
                staging.getFileSystem(conf).delete(staging, true);
            }
            for (Map.Entry<String, Manifest.Split> e : m.splits.entrySet()) {
                Manifest.Split s = e.getValue();
                System.err.printf(
                        "prepare: %s: %,d documents → %,d rows of %d, %,d tokens (%,d trained), "
                                + "packing efficiency %.4f, %d split, %d truncated, %d shards%n",
                        e.getKey(),
                        s.documents,
                        s.rows,
                        options.maxSeqLength,
                        s.tokens,
                        s.lossTokens,
                        s.packingEfficiency,
                        s.splitDocuments,
                        s.truncatedDocuments,
                        s.shards.size());
            }
            System.err.println("prepare: published " + out.path());
            return m;
        } catch (IOException | RuntimeException e) {
            publish.abort();
            throw e;
        }
    }

    private List<SourcePlan> plan(Configuration conf) throws IOException {
        SourceSpec source = SourceSpec.parse(options.source);
        FileFormat forced = options.fileFormat();
        InputFiles train =
                source.isHub() ? stage(source, options.split, conf) : InputFiles.expand(source.paths, forced, conf);
        List<SourcePlan> plans = new ArrayList<>();
        if (options.holdoutFraction > 0) {
            plans.add(new SourcePlan(
                    "source", train, SplitAssigner.holdout(new Holdout(options.holdoutFraction, options.holdoutSeed))));
        } else {
            plans.add(new SourcePlan("train", train, SplitAssigner.fixed(SplitAssigner.TRAIN)));
        }
        if (options.validationSplit != null) {
            if (!source.isHub()) {
                throw new IllegalArgumentException(
                        "validation_split: only for Hub sources; for files give " + "validation_source");
            }
            plans.add(new SourcePlan(
                    "validation",
                    stage(source, options.validationSplit, conf),
                    SplitAssigner.fixed(SplitAssigner.VALIDATION)));
        }
        if (options.validationSource != null) {
            InputFiles v = InputFiles.expand(SourceSpec.parse(options.validationSource).paths, forced, conf);
            plans.add(new SourcePlan("validation", v, SplitAssigner.fixed(SplitAssigner.VALIDATION)));
        }
        return plans;
    }

    /** Lists one split of a Hub dataset on the driver and fetches its files on the executors. */
    private InputFiles stage(SourceSpec source, String split, Configuration conf) throws IOException {
        HubSettings settings = hub != null ? hub : HubSettings.fromEnvironment();
        DatasetFiles listing = HubClient.create(settings)
                .listDatasetFiles(HubRepo.dataset(source.hubRepo), options.revision, options.config, split);
        if (listing.files().isEmpty()) {
            throw new IllegalArgumentException("source: " + source + " split " + split + " has no files");
        }
        if (listing.partial()) {
            System.err.println("prepare: WARNING " + source + " split " + split + ": the Hub converted only part of "
                    + "this dataset to parquet (partial-" + split + "); only that part is prepared");
        }
        hubFiles.put(split, listing);
        return HubStaging.stage(
                JavaSparkContext.fromSparkContext(spark.sparkContext()),
                settings,
                listing,
                stagingDir(),
                new HadoopConf(conf));
    }

    private String stagingDir() {
        return options.stagingDir != null ? options.stagingDir : options.output.replaceAll("/+$", "") + "._staging";
    }

    private List<WindowResult> runSource(SourcePlan plan, Path tmp, Configuration conf, PackingOptions packing) {
        System.err.printf("prepare: %s: %d %s files%n", plan.label, plan.files.files.size(), plan.files.format);
        Dataset<Row> df = read(plan.files);
        List<String> columns = factory.columns();
        List<String> present = Arrays.asList(df.columns());
        for (String c : columns) {
            if (!present.contains(c)) {
                String problem = problem(plan.files, conf);
                if (problem != null) {
                    throw new IllegalArgumentException(plan.label + ": " + problem);
                }
                throw new IllegalArgumentException(plan.label + ": column \"" + c + "\" not found in "
                        + plan.files.files.get(0) + (plan.files.files.size() > 1 ? " …" : "") + "; it has "
                        + present + "; set the column option (e.g. --text-column) to one of them");
            }
        }
        List<Column> cols = new ArrayList<>();
        for (String c : columns) {
            cols.add(functions.col(c));
        }
        cols.add(functions.input_file_name().as(FILE_COL));
        cols.add(functions.monotonically_increasing_id().as(ID_COL));
        Dataset<Row> keyed = df.select(cols.toArray(new Column[0]));

        // Pass one: the documents' global order (file, position), independent of Spark's partitioning.
        List<DocumentOrder.Run> runs = keyed.select(FILE_COL, ID_COL)
                .javaRDD()
                .mapPartitions(DocumentOrder::runs)
                .collect();
        DocumentOrder order = new DocumentOrder(runs);
        if (order.documents() == 0) {
            throw new IllegalArgumentException(
                    plan.label + ": the dataset is empty (no records in " + String.join(", ", plan.files.files) + ")");
        }
        long[] windowOffset = new long[SplitAssigner.NAMES.length];
        long windows = 0;
        for (int s = 0; s < SplitAssigner.NAMES.length; s++) {
            windowOffset[s] = windows;
            long docs = plan.assigner.count(s, order.documents());
            windows += (docs + options.windowDocuments - 1) / options.windowDocuments;
        }

        // Pass two: encode records on the executors, then one shuffle groups each window's documents.
        JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
        Broadcast<DocumentOrder> orderB = jsc.broadcast(order);
        LongAccumulator docs = spark.sparkContext().longAccumulator("prepare documents");
        LongAccumulator tokens = spark.sparkContext().longAccumulator("prepare tokens");
        int partitions = (int) Math.max(1, Math.min(windows, 2L * jsc.defaultParallelism()));
        try (Progress progress = new Progress(spark.sparkContext(), plan.label, order.documents(), docs, tokens, 10)) {
            List<WindowResult> results = keyed.javaRDD()
                    .mapPartitionsToPair(new EncodePartition(
                            factory,
                            orderB,
                            plan.assigner,
                            docs,
                            tokens,
                            plan.files.format,
                            plan.label,
                            new HadoopConf(conf)))
                    .repartitionAndSortWithinPartitions(
                            new WindowPartitioner(partitions, options.windowDocuments, windowOffset))
                    .mapPartitions(
                            new WriteWindows(tmp.toString(), new HadoopConf(conf), packing, options.windowDocuments))
                    .collect();
            System.err.println(progress.line(order.documents()));
            List<WindowResult> sorted = new ArrayList<>(results);
            sorted.sort(Comparator.<WindowResult>comparingInt(r -> r.split).thenComparingLong(r -> r.window));
            return sorted;
        } finally {
            orderB.destroy();
        }
    }

    /**
     * A Spark failure reading a source, said as what is wrong with which file when a file is the cause (a parquet
     * file without its footer, a JSON file that does not parse), else null (the failure stands as it is).
     */
    static RuntimeException unreadable(SourcePlan plan, Configuration conf, Exception e) {
        if (e instanceof IllegalArgumentException) {
            return null; // already says what is wrong
        }
        String problem = problem(plan.files, conf);
        return problem == null ? null : new IllegalArgumentException(plan.label + ": " + problem, e);
    }

    /** What is wrong with the files when Spark reads no usable columns from them (empty, not JSON), or null. */
    static String problem(InputFiles files, Configuration conf) {
        try {
            return FileProblems.first(files, conf);
        } catch (IOException | RuntimeException e) {
            return null; // the caller's own message stands
        }
    }

    private Dataset<Row> read(InputFiles files) {
        String[] paths = files.files.toArray(new String[0]);
        if (files.format != FileFormat.PARQUET && factory.onlyStringColumns()) {
            // Check the columns on a 1% sample, then read only them as strings: no full inference pass.
            List<String> sampled = Arrays.asList(jsonReader(files)
                    .option("samplingRatio", "0.01")
                    .load(paths)
                    .columns());
            if (sampled.containsAll(factory.columns())) {
                List<StructField> fields = new ArrayList<>();
                for (String c : factory.columns()) {
                    fields.add(DataTypes.createStructField(c, DataTypes.StringType, true));
                }
                return jsonReader(files)
                        .schema(DataTypes.createStructType(fields))
                        .load(paths);
            }
        }
        return files.format == FileFormat.PARQUET
                ? spark.read().parquet(paths)
                : jsonReader(files).load(paths);
    }

    private DataFrameReader jsonReader(InputFiles files) {
        DataFrameReader reader = spark.read().format("json");
        return files.format == FileFormat.JSON ? reader.option("multiLine", "true") : reader;
    }

    private static void add(Manifest.Split s, PackStats p) {
        s.documents += p.documents;
        s.rows += p.rows;
        s.tokens += p.tokens;
        s.lossTokens += p.lossTokens;
        s.paddingTokens += p.paddingTokens;
        s.truncatedDocuments += p.truncatedDocuments;
        s.splitDocuments += p.splitDocuments;
    }

    private Manifest manifest(
            Manifest.Tokenizer tokenizer, List<SourcePlan> plans, Map<Integer, Manifest.Split> splits) {
        Manifest m = new Manifest();
        m.maxSeqLength = options.maxSeqLength;
        m.tokenizer = tokenizer;
        m.template = factory.templateInfo();
        m.packing = options.packing;
        for (int s = 0; s < SplitAssigner.NAMES.length; s++) {
            Manifest.Split split = splits.get(s);
            if (split != null) {
                long all = split.rows * (long) options.maxSeqLength;
                split.packingEfficiency = all == 0 ? 0 : (double) split.tokens / all;
                m.splits.put(SplitAssigner.NAMES[s], split);
            }
        }
        if (!m.splits.containsKey("train") || m.splits.get("train").tokens == 0) {
            throw new IllegalArgumentException("source: no tokens for the train split; the records are empty");
        }
        m.source.put("source", options.source);
        m.source.put("config", options.config);
        m.source.put("split", options.split);
        m.source.put("revision", options.revision);
        for (SourcePlan p : plans) {
            m.source.put(p.label + "_files", p.files.files);
        }
        for (Map.Entry<String, DatasetFiles> e : hubFiles.entrySet()) {
            Map<String, Object> h = new LinkedHashMap<>();
            h.put("dataset", e.getValue().repo().id());
            h.put("config", e.getValue().config());
            h.put("commit", e.getValue().commit());
            h.put("from", e.getValue().source().name().toLowerCase(java.util.Locale.ROOT));
            h.put("partial", e.getValue().partial());
            List<String> paths = new ArrayList<>();
            e.getValue().files().forEach(f -> paths.add(f.path()));
            h.put("files", paths);
            m.source.put("hub_" + e.getKey(), h);
        }
        m.command = command;
        m.config = options.toMap();
        m.created = Instant.now().toString();
        return m;
    }
}
