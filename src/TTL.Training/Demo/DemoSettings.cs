namespace TTL.Training.Demo;

/// <summary>Which question the demo asks of the target task.</summary>
public enum DemoTaskKind
{
    /// <summary>Is the lesion texture present? ResNet, AUROC / AUPRC.</summary>
    Classification,
    /// <summary>Where is the lesion? U-Net, Dice / HD95.</summary>
    Segmentation,
}

/// <summary>A strategy the demo compares: its row label, its strategy string, and whether it starts from the pretrained weights.</summary>
public sealed record DemoStrategy(string Label, string Spec, bool Pretrained)
{
    /// <summary>The run directory's name: the label with separators replaced.</summary>
    public string Folder => DemoSettings.FolderName(Label);
}

/// <summary>
/// Everything that fixes a demo: data sizes, the network, the budget, the strategies and the
/// statistics. Fixed before any result is seen and the same for every strategy and seed (only the
/// two-phase recipe changes its optimizer mid-run, by definition); the presets differ in size, not
/// in protocol. See docs/demo.md.
/// </summary>
public sealed record DemoSettings
{
    public required string Name { get; init; }
    public required DemoTaskKind Task { get; init; }

    /// <summary>Seeds: each its own pretraining, small target training and validation sets, and initialisation.</summary>
    public required int Seeds { get; init; }
    public int[] Size { get; init; } = [24, 24, 24];

    public required int SourceCases { get; init; }
    public required int PretrainEpochs { get; init; }
    public int PretrainBatch { get; init; } = 16;
    public double PretrainLr { get; init; } = 2e-3;

    /// <summary>Target cases per seed for training and for validation (model selection, the search).</summary>
    public required int TrainCases { get; init; }
    public required int ValCases { get; init; }
    /// <summary>Held-out target cases shared by every seed and strategy, never used for selection.</summary>
    public required int TestCases { get; init; }
    public required int Epochs { get; init; }
    public int Batch { get; init; } = 8;
    public double Lr { get; init; } = 1e-3;

    public required string Arch { get; init; }
    public required int Width { get; init; }
    public int[]? Conv1Stride { get; init; }

    public required IReadOnlyList<DemoStrategy> Strategies { get; init; }
    /// <summary>Truncate at every cut point (else at the coarse ones: the search's first stage).</summary>
    public bool EveryCut { get; init; }
    /// <summary>Test cases the SVCCA comparison runs over (per seed).</summary>
    public int SvccaCases { get; init; } = 200;
    public int BootstrapReplicates { get; init; } = 2000;

    /// <summary>
    /// The README's main job: 3 seeds, a narrow ResNet-18 on 24³ volumes, 2000 source cases, 40 + 40
    /// target cases per seed, 400 test cases; under 10 minutes on 2 cores.
    /// </summary>
    public static DemoSettings Quick => Classification("quick", seeds: 3, sourceCases: 2000, testCases: 400, everyCut: false, svccaCases: 200);

    /// <summary>The same protocol with 8 seeds, 4000 source cases, 1000 test cases, and truncation at every cut point.</summary>
    public static DemoSettings Full => Classification("full", seeds: 8, sourceCases: 4000, testCases: 1000, everyCut: true, svccaCases: 400);

    /// <summary>The U-Net demo on the segmentation variants of the tasks.</summary>
    public static DemoSettings SegmentationDemo => new()
    {
        Name = "segmentation",
        Task = DemoTaskKind.Segmentation,
        Seeds = 5,
        SourceCases = 600,
        PretrainEpochs = 3,
        PretrainBatch = 8,
        TrainCases = 20,
        ValCases = 20,
        TestCases = 200,
        Epochs = 20,
        Batch = 4,
        Arch = "unet",
        Width = 8,
        Strategies = [new("scratch", "scratch", false), new("full", "full", true)],
        EveryCut = true,
        SvccaCases = 100,
    };

    private static DemoSettings Classification(string name, int seeds, int sourceCases, int testCases, bool everyCut, int svccaCases) => new()
    {
        Name = name,
        Task = DemoTaskKind.Classification,
        Seeds = seeds,
        SourceCases = sourceCases,
        PretrainEpochs = 5,
        TrainCases = 40,
        ValCases = 40,
        TestCases = testCases,
        Epochs = 30,
        Arch = "resnet18-std",
        Width = 16,
        Conv1Stride = [2, 2, 2],
        Strategies = ClassificationStrategies,
        EveryCut = everyCut,
        SvccaCases = svccaCases,
    };

    /// <summary>
    /// The compared strategies besides truncation: K = layer2 for layer-wise fine-tuning and
    /// TransFusion (half the network), layer3 for the two-phase recipe (its second phase fine-tunes
    /// layer4, the top blocks), after 10 of the 30 epochs, at a tenth of the learning rate.
    /// </summary>
    public static IReadOnlyList<DemoStrategy> ClassificationStrategies { get; } =
    [
        new("scratch", "scratch", false),
        new("full", "full", true),
        new("linear", "linear", true),
        new("lwft:layer2", "lwft:layer2", true),
        new("transfusion:layer2", "transfusion:layer2", true),
        new("meanvar", "meanvar", true),
        new("twophase:layer3", "twophase:layer3,head_epochs=10,lr_factor=0.1", true),
    ];

    /// <summary>A setting small enough for a test of the whole path (minutes on 2 cores).</summary>
    public static DemoSettings Tiny(DemoTaskKind task) => task == DemoTaskKind.Classification
        ? Classification("tiny", seeds: 2, sourceCases: 24, testCases: 16, everyCut: false, svccaCases: 8) with
        {
            PretrainEpochs = 1, TrainCases = 8, ValCases = 8, Epochs = 2, Batch = 4, BootstrapReplicates = 200,
        }
        : SegmentationDemo with
        {
            Name = "tiny-segmentation", Seeds = 2, SourceCases = 12, PretrainEpochs = 1, TrainCases = 4, ValCases = 4, TestCases = 6, Epochs = 1,
            SvccaCases = 4, BootstrapReplicates = 200,
        };

    /// <summary>The metrics the table reports, the first one the model-selection metric.</summary>
    public IReadOnlyList<string> Metrics => Task == DemoTaskKind.Classification ? ["auroc", "auprc"] : ["dice", "hd95"];

    /// <summary>A run folder name for a row label: "twophase:layer3" → "twophase-layer3".</summary>
    public static string FolderName(string label) =>
        new(label.Select(c => char.IsLetterOrDigit(c) || c is '-' or '_' or '.' ? c : '-').ToArray());
}
