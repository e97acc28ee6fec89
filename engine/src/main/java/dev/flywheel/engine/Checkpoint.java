package dev.flywheel.engine;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.OptionalLong;

/**
 * Checkpoint directories (docs/model.md): {@code model.safetensors} in the GPT-2, Llama or Flywheel tensor layout,
 * {@code config.json}, {@code optimizer.safetensors} and {@code trainer.json}. A GPT-2-shaped model is written
 * exactly as Hugging Face's GPT2LMHeadModel stores it and a Llama-shaped one as LlamaForCausalLM, so other tools
 * load them without conversion.
 *
 * <p>Saving writes a sibling temporary directory and swaps it in, so a crash never leaves a half-written
 * checkpoint under the real name; if the crash falls between the two renames, loading finds the previous one.
 */
public final class Checkpoint {

    public enum Layout {
        GPT2, LLAMA, FLYWHEEL;

        public static Layout of(ModelConfig c) {
            return c.isGpt2Layout() ? GPT2 : c.isLlamaLayout() ? LLAMA : FLYWHEEL;
        }

        public String id() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /**
     * One stored tensor: its name and shape in the file, and where it comes from in the flat buffer — a row-major
     * (rows, cols) block at {@code offset}, stored transposed when {@code transpose} (Conv1D orientation).
     */
    public record Stored(String name, int[] shape, int offset, int rows, int cols, boolean transpose) {
        public int size() {
            return rows * cols;
        }
    }

    /** What {@link #load} returns: the model, and the optimizer and trainer state when the checkpoint has them. */
    public record Loaded(Gpt model, Map<String, Object> trainerState, float[] adamM, float[] adamV, float[] muon) {}

    public static final String MODEL = "model.safetensors", CONFIG = "config.json", OPTIMIZER = "optimizer.safetensors",
            TRAINER = "trainer.json";

    private Checkpoint() {}

    /** The stored tensors of a model in its layout, in file order. */
    public static List<Stored> storedTensors(ModelConfig c, ParameterLayout layout) {
        var out = new ArrayList<Stored>();
        var lay = Layout.of(c);
        int C = c.dim();
        for (var t : layout.tensors()) {
            String n = t.name();
            int rows = t.rows(), cols = t.cols();
            boolean matrix = t.shape().length == 2;
            switch (lay) {
                case FLYWHEEL -> out.add(new Stored(n, t.shape(), t.offset(), rows, cols, false));
                case GPT2 -> {
                    String hf = gpt2Name(n);
                    boolean conv1d = matrix && !n.equals("wte") && !n.equals("wpe");
                    int[] shape = conv1d ? new int[] {cols, rows} : t.shape();
                    out.add(new Stored(hf, shape, t.offset(), rows, cols, conv1d));
                }
                case LLAMA -> {
                    if (n.endsWith("attn.qkv.weight")) {
                        String p = "model.layers." + layer(n) + ".self_attn.";
                        String[] parts = {"q_proj", "k_proj", "v_proj"};
                        for (int i = 0; i < 3; i++) {
                            out.add(new Stored(p + parts[i] + ".weight", new int[] {C, C}, t.offset() + i * C * C, C, C,
                                    false));
                        }
                    } else {
                        out.add(new Stored(llamaName(n), t.shape(), t.offset(), rows, cols, false));
                    }
                }
            }
        }
        return out;
    }

    private static String layer(String n) {
        return n.split("\\.")[1];
    }

    private static String gpt2Name(String n) {
        if (n.equals("wte")) return "transformer.wte.weight";
        if (n.equals("wpe")) return "transformer.wpe.weight";
        if (n.startsWith("norm_f.")) return "transformer.ln_f." + n.substring("norm_f.".length());
        String p = "transformer.h." + layer(n) + ".";
        String rest = n.substring(n.indexOf('.', 2) + 1);
        return p + switch (rest) {
            case "norm1.weight" -> "ln_1.weight";
            case "norm1.bias" -> "ln_1.bias";
            case "attn.qkv.weight" -> "attn.c_attn.weight";
            case "attn.qkv.bias" -> "attn.c_attn.bias";
            case "attn.proj.weight" -> "attn.c_proj.weight";
            case "attn.proj.bias" -> "attn.c_proj.bias";
            case "norm2.weight" -> "ln_2.weight";
            case "norm2.bias" -> "ln_2.bias";
            case "mlp.fc.weight" -> "mlp.c_fc.weight";
            case "mlp.fc.bias" -> "mlp.c_fc.bias";
            case "mlp.proj.weight" -> "mlp.c_proj.weight";
            case "mlp.proj.bias" -> "mlp.c_proj.bias";
            default -> throw new IllegalStateException("no GPT-2 name for " + n);
        };
    }

    private static String llamaName(String n) {
        if (n.equals("wte")) return "model.embed_tokens.weight";
        if (n.equals("norm_f.weight")) return "model.norm.weight";
        if (n.equals("lm_head.weight")) return "lm_head.weight";
        String p = "model.layers." + layer(n) + ".";
        String rest = n.substring(n.indexOf('.', 2) + 1);
        return p + switch (rest) {
            case "norm1.weight" -> "input_layernorm.weight";
            case "attn.proj.weight" -> "self_attn.o_proj.weight";
            case "norm2.weight" -> "post_attention_layernorm.weight";
            case "mlp.gate.weight" -> "mlp.gate_proj.weight";
            case "mlp.up.weight" -> "mlp.up_proj.weight";
            case "mlp.proj.weight" -> "mlp.down_proj.weight";
            default -> throw new IllegalStateException("no Llama name for " + n);
        };
    }

    /** Writes {@code buffer} (parameters or gradients, in the flat layout) as the model's stored tensors. */
    public static void writeTensors(Path file, ModelConfig cfg, ParameterLayout layout, float[] buffer,
                                    Map<String, String> metadata) throws IOException {
        var w = new Safetensors.Writer();
        metadata.forEach(w::meta);
        w.meta("format", "pt");
        for (var s : storedTensors(cfg, layout)) {
            if (s.transpose()) {
                float[] t = new float[s.size()];
                for (int i = 0; i < s.rows(); i++)
                    for (int j = 0; j < s.cols(); j++) t[j * s.rows() + i] = buffer[s.offset() + i * s.cols() + j];
                w.f32(s.name(), t, 0, s.shape());
            } else {
                w.f32(s.name(), buffer, s.offset(), s.shape());
            }
        }
        w.write(file);
    }

    /** Reads the stored tensors of {@code file} into a flat buffer, checking every name and shape. */
    public static void readTensors(Safetensors st, ModelConfig cfg, ParameterLayout layout, float[] buffer) {
        for (var s : storedTensors(cfg, layout)) {
            var e = st.entry(s.name());
            if (!java.util.Arrays.equals(e.shape(), s.shape())) {
                throw new CheckpointException("tensor '" + s.name() + "' has shape " + java.util.Arrays.toString(e.shape())
                        + " but the config says " + java.util.Arrays.toString(s.shape()));
            }
            float[] data = st.floats(s.name());
            if (s.transpose()) {
                for (int i = 0; i < s.rows(); i++)
                    for (int j = 0; j < s.cols(); j++) buffer[s.offset() + i * s.cols() + j] = data[j * s.rows() + i];
            } else {
                System.arraycopy(data, 0, buffer, s.offset(), data.length);
            }
        }
    }

    /**
     * Saves a model, and when {@code trainer} is given its optimizer state and counters, into {@code dir}.
     * {@code extra} entries are added to trainer.json (data source, tokenizer, recipe, ...).
     */
    public static void save(Path dir, Gpt model, Trainer trainer, Map<String, Object> extra) {
        save(dir, model, trainer, extra, Map.of());
    }

    /** As {@link #save(Path, Gpt, Trainer, Map)}, also copying {@code files} (name in the checkpoint → source) in. */
    public static void save(Path dir, Gpt model, Trainer trainer, Map<String, Object> extra, Map<String, Path> files) {
        Path tmp = dir.resolveSibling(dir.getFileName() + ".tmp");
        Path old = dir.resolveSibling(dir.getFileName() + ".old");
        try {
            AtomicFiles.deleteTree(tmp);
            Files.createDirectories(tmp);
            var cfg = model.config();
            var meta = new LinkedHashMap<String, String>();
            meta.put("layout", Layout.of(cfg).id());
            writeTensors(tmp.resolve(MODEL), cfg, model.layout(), model.params, meta);
            AtomicFiles.writeString(tmp.resolve(CONFIG), Json.pretty(configJson(cfg)));
            var state = new LinkedHashMap<String, Object>();
            if (trainer != null) {
                var opt = trainer.optimizer();
                var w = new Safetensors.Writer();
                w.f32("adam.m", opt.m, 0, opt.m.length);
                w.f32("adam.v", opt.v, 0, opt.v.length);
                w.f32("muon.momentum", opt.muonMomentum, 0, opt.muonMomentum.length);
                w.write(tmp.resolve(OPTIMIZER));
                state.put("step", trainer.currentStep());
                state.put("data_step", trainer.dataStep());
                state.put("tokens", trainer.tokens());
                state.put("train_seconds", trainer.trainSeconds());
                state.put("lr_scale", trainer.lrScale());
                state.put("warmup_end_progress", Double.isNaN(trainer.warmupEndProgress()) ? null : trainer.warmupEndProgress());
                state.put("train", trainConfigJson(trainer.config()));
            }
            state.putAll(extra);
            AtomicFiles.writeString(tmp.resolve(TRAINER), Json.pretty(state));
            for (var f : files.entrySet()) Files.copy(f.getValue(), tmp.resolve(f.getKey()), StandardCopyOption.REPLACE_EXISTING);
            AtomicFiles.deleteTree(old);
            if (Files.exists(dir)) Files.move(dir, old, StandardCopyOption.ATOMIC_MOVE);
            Files.move(tmp, dir, StandardCopyOption.ATOMIC_MOVE);
            AtomicFiles.deleteTree(old);
        } catch (IOException e) {
            try {
                AtomicFiles.deleteTree(tmp); // a half-written copy would only hold on to the space that ran out
            } catch (IOException ignored) {
                // left for the next save, which deletes it first
            }
            throw new CheckpointException("cannot write the checkpoint " + dir + " (" + e.getMessage() + "); "
                    + (stored(dir) != null ? "the previous checkpoint is intact; " : "")
                    + "free some space or choose another folder, and resume");
        }
    }

    /**
     * The directory holding the checkpoint saved under {@code dir}: {@code dir} itself, or — when a crash fell
     * between the two renames of {@link #save} — the previous checkpoint, still under its {@code .old} name.
     * Null when there is neither.
     */
    private static Path stored(Path dir) {
        if (Files.isDirectory(dir)) return dir;
        Path old = dir.resolveSibling(dir.getFileName() + ".old");
        return Files.isDirectory(old) ? old : null;
    }

    /**
     * The step a run can resume from with the checkpoint saved under {@code dir} — what {@link #load} then
     * {@link #restoreTrainer} would continue at — or empty when there is nothing to resume: no checkpoint, one saved
     * without optimizer state, or one whose trainer.json is unreadable or lacks its counters. Cheap: it reads
     * trainer.json only, not the tensors.
     */
    public static OptionalLong resumableStep(Path dir) {
        Path d = stored(dir);
        if (d == null) return OptionalLong.empty();
        for (String f : List.of(MODEL, CONFIG, OPTIMIZER, TRAINER)) {
            if (!Files.isRegularFile(d.resolve(f))) return OptionalLong.empty();
        }
        try {
            var state = Json.parseObject(Files.readString(d.resolve(TRAINER), StandardCharsets.UTF_8));
            for (String k : COUNTERS) num(state, k);
            long step = num(state, "step").longValue();
            return step >= 0 ? OptionalLong.of(step) : OptionalLong.empty();
        } catch (IOException | IllegalArgumentException | CheckpointException e) {
            return OptionalLong.empty();
        }
    }

    /** The numbers of trainer.json that {@link #restoreTrainer} needs. */
    private static final List<String> COUNTERS = List.of("step", "data_step", "tokens", "train_seconds", "lr_scale");

    /** Loads the model (and any optimizer and trainer state) of a checkpoint directory. */
    @SuppressWarnings("unchecked")
    public static Loaded load(Path dir, Parallel pool) {
        Path stored = stored(dir);
        if (stored == null) {
            throw new CheckpointException("no checkpoint at " + dir + " (expected a directory with " + MODEL + " and " + CONFIG + ")");
        }
        dir = stored;
        Path cfgFile = dir.resolve(CONFIG), modelFile = dir.resolve(MODEL);
        if (!Files.isRegularFile(cfgFile) || !Files.isRegularFile(modelFile)) {
            throw new CheckpointException(dir + " is not a checkpoint: it needs both " + MODEL + " and " + CONFIG);
        }
        ModelConfig cfg;
        try {
            var json = Json.parseObject(Files.readString(cfgFile, StandardCharsets.UTF_8));
            Object fw = json.get("flywheel");
            if (!(fw instanceof Map)) throw new CheckpointException(cfgFile + " has no 'flywheel' model config; was it written by Flywheel?");
            cfg = configFromJson((Map<String, Object>) fw);
        } catch (IOException e) {
            throw new CheckpointException("cannot read " + cfgFile + ": " + e.getMessage());
        } catch (IllegalArgumentException | ClassCastException | NullPointerException e) {
            throw new CheckpointException(cfgFile + " is corrupt or incomplete: " + e.getMessage());
        }
        var weights = Safetensors.read(modelFile);
        requireStoredParameters(cfg, cfgFile, weights, modelFile);
        var model = new Gpt(cfg, pool);
        readTensors(weights, cfg, model.layout(), model.params);
        for (float p : model.params) {
            if (!Float.isFinite(p)) throw new CheckpointException(modelFile + " holds NaN or infinite weights");
        }
        Map<String, Object> state = null;
        float[] m = null, v = null, mu = null;
        Path trainerFile = dir.resolve(TRAINER), optFile = dir.resolve(OPTIMIZER);
        try {
            if (Files.isRegularFile(trainerFile)) state = Json.parseObject(Files.readString(trainerFile, StandardCharsets.UTF_8));
        } catch (IOException | IllegalArgumentException e) {
            throw new CheckpointException(trainerFile + " is corrupt: " + e.getMessage());
        }
        if (Files.isRegularFile(optFile)) {
            var st = Safetensors.read(optFile);
            m = st.floats("adam.m");
            v = st.floats("adam.v");
            mu = st.floats("muon.momentum");
            if (m.length != model.params.length || v.length != model.params.length) {
                throw new CheckpointException(optFile + " does not match the model: " + m.length + " moments for "
                        + model.params.length + " parameters");
            }
        }
        return new Loaded(model, state, m, v, mu);
    }

    /**
     * Refuses a config.json that describes a model the weights file cannot hold before anything is allocated for it:
     * a damaged config could otherwise ask for billions of parameters.
     */
    private static void requireStoredParameters(ModelConfig cfg, Path cfgFile, Safetensors weights, Path modelFile) {
        ParameterLayout layout;
        try {
            layout = new ParameterLayout(cfg);
        } catch (IllegalArgumentException e) {
            throw new CheckpointException(cfgFile + " describes a model this engine cannot build (" + e.getMessage()
                    + "); the checkpoint is corrupt");
        }
        long stored = weights.entries().values().stream().mapToLong(Safetensors.Entry::elements).sum();
        if (layout.size() > stored)
            throw new CheckpointException(cfgFile + " describes a model of " + layout.size() + " parameters, but "
                    + modelFile + " holds only " + stored + "; the checkpoint is corrupt or its files are mixed up");
    }

    /** Restores a trainer's optimizer moments and counters from a loaded checkpoint. */
    public static void restoreTrainer(Loaded loaded, Trainer trainer) {
        var s = loaded.trainerState();
        if (s == null || loaded.adamM() == null) throw new CheckpointException("the checkpoint has no optimizer state to resume from");
        var opt = trainer.optimizer();
        System.arraycopy(loaded.adamM(), 0, opt.m, 0, opt.m.length);
        System.arraycopy(loaded.adamV(), 0, opt.v, 0, opt.v.length);
        if (loaded.muon().length == opt.muonMomentum.length) {
            System.arraycopy(loaded.muon(), 0, opt.muonMomentum, 0, opt.muonMomentum.length);
        } else {
            throw new CheckpointException("the checkpoint's optimizer (" + (loaded.muon().length > 0 ? "muon" : "adamw")
                    + ") differs from the run's");
        }
        Object wep = s.get("warmup_end_progress");
        trainer.restoreCounters(num(s, "step").longValue(), num(s, "data_step").longValue(), num(s, "tokens").longValue(),
                num(s, "train_seconds").doubleValue(), num(s, "lr_scale").doubleValue(),
                wep == null ? Double.NaN : ((Number) wep).doubleValue());
    }

    private static Number num(Map<String, Object> m, String k) {
        Object v = m.get(k);
        if (!(v instanceof Number n)) throw new CheckpointException("trainer.json lacks the number '" + k + "'");
        return n;
    }

    /** config.json: Hugging Face's config for the GPT-2 and Llama layouts, always with our full config under "flywheel". */
    public static Map<String, Object> configJson(ModelConfig c) {
        var j = new LinkedHashMap<String, Object>();
        switch (Layout.of(c)) {
            case GPT2 -> {
                j.put("architectures", List.of("GPT2LMHeadModel"));
                j.put("model_type", "gpt2");
                j.put("vocab_size", c.vocabSize());
                j.put("n_positions", c.seqLen());
                j.put("n_ctx", c.seqLen());
                j.put("n_embd", c.dim());
                j.put("n_layer", c.layers());
                j.put("n_head", c.heads());
                j.put("n_inner", c.mlpHidden());
                j.put("activation_function", "gelu_new");
                j.put("layer_norm_epsilon", decimal(c.normEps()));
                j.put("resid_pdrop", 0.0);
                j.put("embd_pdrop", 0.0);
                j.put("attn_pdrop", 0.0);
                j.put("initializer_range", 0.02);
                j.put("tie_word_embeddings", true);
                j.put("torch_dtype", "float32");
            }
            case LLAMA -> {
                j.put("architectures", List.of("LlamaForCausalLM"));
                j.put("model_type", "llama");
                j.put("vocab_size", c.vocabSize());
                j.put("hidden_size", c.dim());
                j.put("intermediate_size", c.mlpHidden());
                j.put("num_hidden_layers", c.layers());
                j.put("num_attention_heads", c.heads());
                j.put("num_key_value_heads", c.heads());
                j.put("head_dim", c.headSize());
                j.put("max_position_embeddings", c.seqLen());
                j.put("rms_norm_eps", decimal(c.normEps()));
                j.put("rope_theta", decimal(c.ropeTheta()));
                j.put("hidden_act", "silu");
                j.put("attention_bias", false);
                j.put("mlp_bias", false);
                j.put("tie_word_embeddings", false);
                j.put("torch_dtype", "float32");
            }
            case FLYWHEEL -> j.put("model_type", "flywheel");
        }
        j.put("flywheel", flywheelJson(c));
        return j;
    }

    public static Map<String, Object> flywheelJson(ModelConfig c) {
        var f = new LinkedHashMap<String, Object>();
        f.put("layout", Layout.of(c).id());
        f.put("vocab_size", c.vocabSize());
        f.put("seq_len", c.seqLen());
        f.put("layers", c.layers());
        f.put("heads", c.heads());
        f.put("dim", c.dim());
        f.put("mlp_hidden", c.mlpHidden());
        f.put("norm", c.norm().name().toLowerCase(Locale.ROOT));
        f.put("position", c.position().name().toLowerCase(Locale.ROOT));
        f.put("activation", c.activation().name().toLowerCase(Locale.ROOT));
        f.put("tied_head", c.tiedHead());
        f.put("bias", c.bias());
        f.put("qk_norm", c.qkNorm());
        f.put("z_loss", decimal(c.zLoss()));
        f.put("attn_soft_cap", decimal(c.attnSoftCap()));
        f.put("rope_theta", decimal(c.ropeTheta()));
        f.put("norm_eps", decimal(c.normEps()));
        return f;
    }

    /** A float as the double with its shortest decimal form (1e-5, not 9.999999747378752e-06), for readers of JSON. */
    static double decimal(float f) {
        return Double.parseDouble(Float.toString(f));
    }

    public static ModelConfig configFromJson(Map<String, Object> f) {
        return new ModelConfig(i(f, "vocab_size"), i(f, "seq_len"), i(f, "layers"), i(f, "heads"), i(f, "dim"),
                i(f, "mlp_hidden"), ModelConfig.Norm.valueOf(s(f, "norm")), ModelConfig.Position.valueOf(s(f, "position")),
                ModelConfig.Activation.valueOf(s(f, "activation")), (Boolean) f.get("tied_head"), (Boolean) f.get("bias"),
                (Boolean) f.get("qk_norm"), fl(f, "z_loss"), fl(f, "attn_soft_cap"), fl(f, "rope_theta"), fl(f, "norm_eps"));
    }

    private static int i(Map<String, Object> f, String k) {
        var v = java.util.Objects.requireNonNull(f.get(k), "missing " + k);
        // intValue() would wrap -2147483649 round to a model of 2^31 tokens
        if (!(v instanceof Long n) || n != n.intValue()) throw new IllegalArgumentException(k + " must be a whole number, not " + v);
        return (int) (long) n;
    }

    private static float fl(Map<String, Object> f, String k) {
        return ((Number) java.util.Objects.requireNonNull(f.get(k), "missing " + k)).floatValue();
    }

    private static String s(Map<String, Object> f, String k) {
        return ((String) java.util.Objects.requireNonNull(f.get(k), "missing " + k)).toUpperCase(Locale.ROOT);
    }

    public static Map<String, Object> trainConfigJson(TrainConfig t) {
        var j = new LinkedHashMap<String, Object>();
        j.put("batch", t.batch());
        j.put("seq", t.seq());
        j.put("accum", t.accum());
        var o = t.optimizer();
        j.put("optimizer", Map.of("kind", o.kind().name().toLowerCase(Locale.ROOT), "lr", decimal(o.lr()),
                "min_lr_ratio", decimal(o.minLrRatio()), "beta1", decimal(o.beta1()), "beta2", decimal(o.beta2()),
                "eps", decimal(o.eps()), "weight_decay", decimal(o.weightDecay()), "grad_clip", decimal(o.gradClip()),
                "muon_lr", decimal(o.muonLr()), "muon_momentum", decimal(o.muonMomentum())));
        j.put("schedule", t.schedule().kind());
        j.put("warmup", t.schedule().warmup());
        j.put("budget", t.budget().toString());
        j.put("seed", t.seed());
        return j;
    }

}
