using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using YamlDotNet.RepresentationModel;

namespace TTL.Training.Config;

/// <summary>Where the cases come from and how they are divided and preprocessed.</summary>
public sealed record DataConfig
{
    /// <summary>An MSD dataset.json, an nnU-Net folder or a classification CSV (relative to the config file).</summary>
    public string Dataset { get; init; } = "";
    /// <summary>A pipeline YAML (TTL.Imaging): deterministic steps are cached, random steps run per sample.</summary>
    public string? Pipeline { get; init; }
    public SplitConfig Split { get; init; } = new();
    /// <summary>Folder for the deterministic-pipeline cache (default: next to the run directory).</summary>
    public string? Cache { get; init; }
    /// <summary>Segmentation patches: fraction centred on foreground.</summary>
    public double ForegroundRatio { get; init; } = 0.33;
    /// <summary>Where the pipeline's steps run: cpu, or cuda / cuda:N (TTL.Cuda's kernels, with the CPU steps' results).</summary>
    public string Device { get; init; } = "cpu";
}

/// <summary>kfold (folds, fold, seed from the experiment), column (a split column) or lists (train/val ids).</summary>
public sealed record SplitConfig
{
    public string Kind { get; init; } = "kfold";
    public int Folds { get; init; } = 5;
    public int Fold { get; init; }
    public List<string>? Train { get; init; }
    public List<string>? Val { get; init; }
}

public sealed record ModelConfig
{
    /// <summary>Architecture name (resnet18, resnet50-std, densenet121, unet-genesis, cbr-small, …).</summary>
    public string Arch { get; init; } = "resnet18";
    /// <summary>ResNet shortcut A or B (default: MedicalNet's for the depth).</summary>
    public string? Shortcut { get; init; }
    /// <summary>Pretrained weights (.pth, .pt, .safetensors or a toolkit checkpoint).</summary>
    public string? Weights { get; init; }
    /// <summary>scratch, full, linear, lwft:K, transfusion:K, meanvar, truncate:K.</summary>
    public string Strategy { get; init; } = "scratch";
    /// <summary>Number of classes or output channels (default: from the dataset's labels).</summary>
    public int? Classes { get; init; }
    public double Dropout { get; init; }
    public int InChannels { get; init; } = 1;
    /// <summary>Network width (null: the architecture's own): a ResNet's stem and layer1 planes, doubled at each later stage (64 in the published networks); unet's level-1 channels (32).</summary>
    public int? Width { get; init; }
    /// <summary>ResNet conv1 stride (D, H, W) (null: the layout's own, 2 for MedicalNet, (1, 2, 2) for resnetN-std).</summary>
    public int[]? Conv1Stride { get; init; }
}

public sealed record LossConfig
{
    /// <summary>auto (cross-entropy for classification, dice_ce for segmentation), ce, dice_ce.</summary>
    public string Kind { get; init; } = "auto";
    /// <summary>none, balanced (n / (K · n_k) from the training split), or one weight per class.</summary>
    public JsonNode? ClassWeights { get; init; }
    public double LabelSmoothing { get; init; }
}

public sealed record OptimizerConfig
{
    /// <summary>sgd, adam or adamw.</summary>
    public string Kind { get; init; } = "adamw";
    public double Lr { get; init; } = 1e-3;
    public double Momentum { get; init; } = 0.9;
    public bool Nesterov { get; init; } = true;
    public double WeightDecay { get; init; } = 1e-4;
}

public sealed record ScheduleConfig
{
    /// <summary>constant, step, exponential, cosine (with linear warm-up), poly (nnU-Net's) or plateau.</summary>
    public string Kind { get; init; } = "cosine";
    public int WarmupEpochs { get; init; }
    public int StepSize { get; init; } = 10;
    public double Gamma { get; init; } = 0.1;
    public int Patience { get; init; } = 5;
    public double Factor { get; init; } = 0.5;
    public double MinLr { get; init; }
}

public sealed record TrainConfig
{
    public int Epochs { get; init; } = 10;
    public int BatchSize { get; init; } = 4;
    /// <summary>Segmentation patch size (I, J, K); classification uses whole volumes.</summary>
    public int[]? PatchSize { get; init; }
    /// <summary>Patches per training case per epoch (segmentation).</summary>
    public int PatchesPerCase { get; init; } = 2;
    public int ValEvery { get; init; } = 1;
    /// <summary>Model-selection metric: auto (AUPRC for two classes, AUROC for more, Dice for segmentation) or a metric name.</summary>
    public string Metric { get; init; } = "auto";
    /// <summary>Stop after this many validations without improvement (null: never).</summary>
    public int? EarlyStopping { get; init; }
    public int Workers { get; init; } = 2;
    public int Prefetch { get; init; } = 4;
    public double? GradClip { get; init; }
    /// <summary>Sliding-window overlap for segmentation validation.</summary>
    public double Overlap { get; init; } = 0.5;
    /// <summary>
    /// After training, score the best checkpoint once on the dataset's labelled test cases (never
    /// used for model selection): test.json and test_cases.csv in the run directory.
    /// </summary>
    public bool EvaluateTest { get; init; }
    /// <summary>Mixed precision: none, bf16 (autocast to bfloat16) or fp16 (autocast to float16 with loss scaling; CUDA only).</summary>
    public string Amp { get; init; } = "none";
}

/// <summary>
/// Data-parallel training over several processes (`ttl train --nproc N`, torchrun-style launcher
/// variables, or Slurm): how gradients travel and how long a silent peer is waited for.
/// </summary>
public sealed record DistributedConfig
{
    /// <summary>Batch-norm statistics over the global batch (torch.nn.SyncBatchNorm) instead of each rank's share.</summary>
    public bool SyncBn { get; init; }
    /// <summary>Gradients are all-reduced in buckets of about this many MiB.</summary>
    public double BucketMb { get; init; } = 25;
    /// <summary>A rank that sends nothing for this long is taken as failed: every collective, the rendezvous and the search's stage barriers give up.</summary>
    public double TimeoutS { get; init; } = 600;
}

/// <summary>
/// One experiment: data, model and strategy, loss, optimizer and schedule, training loop, seed,
/// device and threads. Read from YAML (snake_case keys, unknown keys refused), with
/// <c>--set a.b=value</c> overrides applied before typing; the resolved form (every default
/// filled in, paths absolute) is what a run directory keeps.
/// </summary>
public sealed record ExperimentConfig
{
    public DataConfig Data { get; init; } = new();
    public ModelConfig Model { get; init; } = new();
    public LossConfig Loss { get; init; } = new();
    public OptimizerConfig Optimizer { get; init; } = new();
    public ScheduleConfig Schedule { get; init; } = new();
    public TrainConfig Train { get; init; } = new();
    public DistributedConfig Distributed { get; init; } = new();
    public long Seed { get; init; }
    public string Device { get; init; } = "cpu";
    /// <summary>CPU threads (0: all cores).</summary>
    public int Threads { get; init; }

    private static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
        WriteIndented = true,
    };

    /// <summary>Reads a config file, applies overrides, resolves relative paths against the file's folder.</summary>
    public static ExperimentConfig Load(string path, IEnumerable<string>? overrides = null)
    {
        string name = Path.GetFileName(path);
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: no such config file", path);
        JsonNode tree;
        try { tree = YamlToJson(File.ReadAllText(path)) ?? new JsonObject(); }
        catch (YamlDotNet.Core.YamlException e) { throw new InvalidDataException($"{name}: not valid YAML ({e.Message})"); }
        return FromTree(tree, name, Path.GetDirectoryName(Path.GetFullPath(path))!, overrides);
    }

    /// <summary>Parses YAML text (for tests and embedded configs); relative paths resolve against <paramref name="baseDir"/>.</summary>
    public static ExperimentConfig Parse(string yaml, string baseDir, IEnumerable<string>? overrides = null) =>
        FromTree(YamlToJson(yaml) ?? new JsonObject(), "config", baseDir, overrides);

    private static ExperimentConfig FromTree(JsonNode tree, string name, string baseDir, IEnumerable<string>? overrides)
    {
        if (tree is not JsonObject root) throw new InvalidDataException($"{name}: the top level must be a mapping");
        foreach (var o in overrides ?? []) ApplyOverride(root, o);
        ExperimentConfig cfg;
        try { cfg = root.Deserialize<ExperimentConfig>(Json) ?? new ExperimentConfig(); }
        catch (JsonException e) { throw new InvalidDataException($"{name}: {Explain(e)}"); }
        cfg = cfg with
        {
            Data = cfg.Data with
            {
                Dataset = Absolute(baseDir, cfg.Data.Dataset),
                Pipeline = cfg.Data.Pipeline is null ? null : Absolute(baseDir, cfg.Data.Pipeline),
                Cache = cfg.Data.Cache is null ? null : Absolute(baseDir, cfg.Data.Cache),
            },
            Model = cfg.Model with { Weights = cfg.Model.Weights is null ? null : Absolute(baseDir, cfg.Model.Weights) },
        };
        cfg.Check(name);
        return cfg;
    }

    private void Check(string name)
    {
        if (string.IsNullOrEmpty(Data.Dataset)) throw new InvalidDataException($"{name}: data.dataset is required");
        if (Train.Epochs < 1) throw new InvalidDataException($"{name}: train.epochs must be at least 1");
        if (Train.BatchSize < 1) throw new InvalidDataException($"{name}: train.batch_size must be at least 1");
        if (Train.ValEvery < 1) throw new InvalidDataException($"{name}: train.val_every must be at least 1");
        if (Train.Workers < 0 || Train.Prefetch < 1) throw new InvalidDataException($"{name}: train.workers must be ≥ 0 and train.prefetch ≥ 1");
        if (Model.Conv1Stride is { } cs && (cs.Length != 3 || cs.Any(v => v < 1))) throw new InvalidDataException($"{name}: model.conv1_stride needs three positive strides");
        if (Model.Width is < 1) throw new InvalidDataException($"{name}: model.width must be at least 1");
        if (Train.PatchSize is { Length: not 3 }) throw new InvalidDataException($"{name}: train.patch_size needs three sizes");
        if (Optimizer.Lr <= 0) throw new InvalidDataException($"{name}: optimizer.lr must be positive");
        if (Optimizer.Kind is not ("sgd" or "adam" or "adamw")) throw new InvalidDataException($"{name}: optimizer.kind '{Optimizer.Kind}' is not sgd, adam or adamw");
        if (Schedule.Kind is not ("constant" or "step" or "exponential" or "cosine" or "poly" or "plateau"))
            throw new InvalidDataException($"{name}: schedule.kind '{Schedule.Kind}' is not constant, step, exponential, cosine, poly or plateau");
        if (Loss.Kind is not ("auto" or "ce" or "dice_ce")) throw new InvalidDataException($"{name}: loss.kind '{Loss.Kind}' is not auto, ce or dice_ce");
        if (!(Distributed.BucketMb > 0)) throw new InvalidDataException($"{name}: distributed.bucket_mb must be positive");
        if (!(Distributed.TimeoutS > 0)) throw new InvalidDataException($"{name}: distributed.timeout_s must be positive");
        if (Data.Split.Kind is not ("kfold" or "column" or "lists")) throw new InvalidDataException($"{name}: data.split.kind '{Data.Split.Kind}' is not kfold, column or lists");
        if (Train.Amp is not ("none" or "bf16" or "fp16")) throw new InvalidDataException($"{name}: train.amp '{Train.Amp}' is not none, bf16 or fp16");
        if (Device != "auto" && !IsDevice(Device)) throw new InvalidDataException($"{name}: device '{Device}' is not cpu, auto, cuda or cuda:N");
        if (!IsDevice(Data.Device)) throw new InvalidDataException($"{name}: data.device '{Data.Device}' is not cpu, cuda or cuda:N");
    }

    private static bool IsDevice(string text)
    {
        try { TTL.Torch.Device.Parse(text); return true; }
        catch (ArgumentException) { return false; }
    }

    /// <summary>The resolved configuration as YAML (what a run directory stores).</summary>
    public string ToYaml() => JsonToYaml(JsonSerializer.SerializeToNode(this, Json)!);

    /// <summary>Applies "a.b.c=value" (value parsed as YAML: numbers, booleans, [lists], strings).</summary>
    public static void ApplyOverride(JsonObject root, string assignment)
    {
        int eq = assignment.IndexOf('=');
        if (eq <= 0) throw new ArgumentException($"--set {assignment}: expected key.path=value");
        var keys = assignment[..eq].Trim().Split('.');
        JsonObject node = root;
        for (int k = 0; k < keys.Length - 1; k++)
        {
            if (node[keys[k]] is not JsonObject child)
            {
                child = new JsonObject();
                node[keys[k]] = child;
            }
            node = child;
        }
        var value = YamlToJson("v: " + assignment[(eq + 1)..]) as JsonObject;
        node[keys[^1]] = value?["v"]?.DeepClone();
    }

    private static string Explain(JsonException e)
    {
        string path = e.Path is null ? "" : e.Path.TrimStart('$', '.');
        string message = e.Message.Split(". Path:")[0];
        return path.Length > 0 ? $"{path}: {message}" : message;
    }

    private static string Absolute(string baseDir, string path) => path.Length == 0 ? path : Path.GetFullPath(Path.Combine(baseDir, path));

    // ---- YAML <-> JSON trees -------------------------------------------------------------

    private static JsonNode? YamlToJson(string yaml)
    {
        var stream = new YamlStream();
        stream.Load(new StringReader(yaml));
        return stream.Documents.Count == 0 ? null : Convert(stream.Documents[0].RootNode);
    }

    private static JsonNode? Convert(YamlNode node) => node switch
    {
        YamlMappingNode m => new JsonObject(m.Children.Select(kv => KeyValuePair.Create(((YamlScalarNode)kv.Key).Value ?? "", Convert(kv.Value)))),
        YamlSequenceNode s => new JsonArray(s.Children.Select(Convert).ToArray()),
        YamlScalarNode sc => Scalar(sc),
        _ => null,
    };

    private static JsonNode? Scalar(YamlScalarNode s)
    {
        string v = s.Value ?? "";
        if (s.Style is YamlDotNet.Core.ScalarStyle.SingleQuoted or YamlDotNet.Core.ScalarStyle.DoubleQuoted) return JsonValue.Create(v);
        if (v is "" or "~" or "null") return null;
        if (v is "true" or "True") return JsonValue.Create(true);
        if (v is "false" or "False") return JsonValue.Create(false);
        if (long.TryParse(v, NumberStyles.Integer, CultureInfo.InvariantCulture, out long l)) return JsonValue.Create(l);
        if (double.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out double d)) return JsonValue.Create(d);
        return JsonValue.Create(v);
    }

    private static string JsonToYaml(JsonNode node)
    {
        var sb = new System.Text.StringBuilder();
        Emit(sb, node, 0);
        return sb.ToString();
    }

    private static void Emit(System.Text.StringBuilder sb, JsonNode? node, int indent)
    {
        string pad = new(' ', indent);
        if (node is JsonObject o)
        {
            foreach (var (k, v) in o)
            {
                if (v is JsonObject child && child.Count > 0)
                {
                    sb.Append(pad).Append(k).Append(":\n");
                    Emit(sb, child, indent + 2);
                }
                else sb.Append(pad).Append(k).Append(": ").Append(Inline(v)).Append('\n');
            }
        }
    }

    private static string Inline(JsonNode? v) => v switch
    {
        null => "null",
        JsonArray a => "[" + string.Join(", ", a.Select(Inline)) + "]",
        JsonObject => "{}",
        JsonValue jv when jv.TryGetValue<string>(out var s) => JsonSerializer.Serialize(s),
        _ => v.ToJsonString(),
    };
}
