package dev.finetune.trainer.generate;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.finetune.trainer.lora.LoraAdapter;
import dev.finetune.trainer.model.CausalLM;
import dev.finetune.trainer.model.Goldens;
import dev.finetune.trainer.model.ModelLoader;
import dev.finetune.trainer.model.TestDevice;
import dev.finetune.trainer.model.TrainingBatch;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Generation against transformers' greedy output and against laws (cache == recompute, batched == alone). */
class GeneratorTest {

    static CausalLM loadWithAdapter(Path fam, NDManager[] adapterScope) throws Exception {
        CausalLM model = ModelLoader.load(fam.resolve("base"), TestDevice.fp32());
        adapterScope[0] = model.manager().newSubManager();
        model.setAdapter(LoraAdapter.load(fam.resolve("adapter"), model.config, adapterScope[0], false));
        return model;
    }

    static GenerationOptions greedy(int n) {
        GenerationOptions o = new GenerationOptions();
        o.greedy = true;
        o.maxNewTokens = n;
        o.eosTokenIds = Collections.singletonList(-1L); // the reference ignores EOS
        return o;
    }

    static long[] ids(JsonNode a) {
        long[] out = new long[a.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = a.get(i).asLong();
        }
        return out;
    }

    @Test
    void greedyGenerationWithAdapterEqualsTransformersForEveryFamily() throws Exception {
        for (Path fam : Goldens.families()) {
            JsonNode ref =
                    new ObjectMapper().readTree(fam.resolve("generate.json").toFile());
            NDManager[] scope = new NDManager[1];
            try (CausalLM model = loadWithAdapter(fam, scope)) {
                List<Long> streamed = new ArrayList<>();
                long[] want = ids(ref.get("greedy_ids"));
                long[] got = new Generator(model)
                        .generate(
                                Collections.singletonList(ids(ref.get("prompt_ids"))),
                                greedy(want.length),
                                (p, id) -> streamed.add(id),
                                null)
                        .get(0);
                System.out.println(fam.getFileName() + " greedy " + Arrays.toString(got));
                assertArrayEquals(want, got, fam.getFileName() + " greedy tokens");
                assertEquals(want.length, streamed.size(), "every token is streamed");
            }
        }
    }

    @Test
    void kvCacheGenerationEqualsRecomputingTheWholeSequence() throws Exception {
        for (Path fam : Goldens.families()) {
            JsonNode ref =
                    new ObjectMapper().readTree(fam.resolve("generate.json").toFile());
            NDManager[] scope = new NDManager[1];
            try (CausalLM model = loadWithAdapter(fam, scope)) {
                long[] prompt = ids(ref.get("prompt_ids"));
                long[] cached = new Generator(model)
                        .generate(Collections.singletonList(prompt), greedy(10), TokenListener.NONE, null)
                        .get(0);
                long[] seq = prompt;
                for (int step = 0; step < 10; step++) {
                    try (NDManager s = model.manager().newSubManager()) {
                        long[] seg = new long[seq.length];
                        Arrays.fill(seg, 1);
                        float[] logits = model.logits(
                                        s, TrainingBatch.of(1, seq.length, seq, seg, new boolean[seq.length]))
                                .get(0, seq.length - 1)
                                .toFloatArray();
                        seq = Arrays.copyOf(seq, seq.length + 1);
                        seq[seq.length - 1] = Sampler.argMax(logits);
                    }
                }
                assertArrayEquals(
                        Arrays.copyOfRange(seq, prompt.length, seq.length),
                        cached,
                        fam.getFileName().toString());
            }
        }
    }

    @Test
    void promptsOfDifferentLengthsGeneratedTogetherEqualEachAlone() throws Exception {
        for (Path fam : Goldens.families()) {
            JsonNode ref =
                    new ObjectMapper().readTree(fam.resolve("generate.json").toFile());
            NDManager[] scope = new NDManager[1];
            try (CausalLM model = loadWithAdapter(fam, scope)) {
                long[] a = ids(ref.get("prompt_ids"));
                long[] b = Arrays.copyOfRange(a, 3, a.length);
                long[] c = {7, 300, 41, 5, 99, 23, 250, 11, 3};
                List<long[]> together =
                        new Generator(model).generate(Arrays.asList(a, b, c), greedy(12), TokenListener.NONE, null);
                Generator g = new Generator(model);
                assertArrayEquals(
                        g.generate(Collections.singletonList(a), greedy(12), TokenListener.NONE, null)
                                .get(0),
                        together.get(0),
                        fam.getFileName() + " prompt a");
                assertArrayEquals(
                        g.generate(Collections.singletonList(b), greedy(12), TokenListener.NONE, null)
                                .get(0),
                        together.get(1),
                        fam.getFileName() + " prompt b");
                assertArrayEquals(
                        g.generate(Collections.singletonList(c), greedy(12), TokenListener.NONE, null)
                                .get(0),
                        together.get(2),
                        fam.getFileName() + " prompt c");
            }
        }
    }

    @Test
    void generationStopsAtEosAndReturnsTokensBeforeIt() throws Exception {
        Path fam = Goldens.families().get(0);
        JsonNode ref = new ObjectMapper().readTree(fam.resolve("generate.json").toFile());
        NDManager[] scope = new NDManager[1];
        try (CausalLM model = loadWithAdapter(fam, scope)) {
            long[] want = ids(ref.get("greedy_ids"));
            GenerationOptions o = greedy(12);
            o.eosTokenIds = Collections.singletonList(want[4]);
            long[] got = new Generator(model)
                    .generate(Collections.singletonList(ids(ref.get("prompt_ids"))), o, TokenListener.NONE, null)
                    .get(0);
            int firstEos = 0;
            while (want[firstEos] != want[4]) {
                firstEos++;
            }
            assertArrayEquals(Arrays.copyOf(want, firstEos), got);
        }
    }

    @Test
    void samplerKeepsOnlyTheTopKAndTheNucleus() {
        float[] logits = {0f, 3f, 1f, 2.9f, -1f};
        GenerationOptions o = new GenerationOptions();
        o.temperature = 1.0;
        o.topK = 2;
        Sampler s = new Sampler(o);
        Set<Integer> seen = new HashSet<>();
        for (int i = 0; i < 500; i++) {
            seen.add(s.next(logits));
        }
        assertEquals(new HashSet<>(Arrays.asList(1, 3)), seen);
        o.topK = 0;
        o.topP = 0.01; // the nucleus is the single most likely token
        Sampler nucleus = new Sampler(o);
        for (int i = 0; i < 100; i++) {
            assertEquals(1, nucleus.next(logits));
        }
        o.topP = 1.0;
        Sampler all = new Sampler(o);
        Set<Integer> any = new HashSet<>();
        for (int i = 0; i < 2000; i++) {
            any.add(all.next(logits));
        }
        assertTrue(any.size() == 5, "plain sampling reaches every token, saw " + any);
    }
}
