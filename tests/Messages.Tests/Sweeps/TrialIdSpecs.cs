using GridSweep.Messages.Sweeps;

namespace GridSweep.Messages.Tests.Sweeps;

/// <summary>Trial ids name results across runs and machines, so they depend on the configuration and nothing else.</summary>
public sealed class TrialIdSpecs
{
    private static readonly DatasetSpec Imdb = new("imdb", 10_000);
    private static readonly ModelSpec Baseline = new([16, 16]);
    private static readonly OptimizerSpec Adam = new("adam", 0.001);

    private static string BaselineId() => TrialId.For(Imdb, Baseline, RegularizerSpec.None, Adam, epochs: 20, batchSize: 512, seed: 1);

    [Fact]
    public void The_baseline_trial_has_a_known_id()
    {
        // Pinned: if this changes, every recorded result loses its trial. Change the canonical form only on purpose.
        Assert.Equal("528aa9148d28", BaselineId());
    }

    [Fact]
    public void A_grid_gives_each_trial_the_id_of_its_canonical_text_whatever_its_axes()
    {
        // The grid encodes the shared settings once per run of cells; each trial must still get the canonical text's id.
        var wide = SweepGrid.Expand(TestSweeps.Parse(GridExampleSpecs.Example));
        var csvWithEarlyStopping = SweepGrid.Expand(TestSweeps.Parse(TestSweeps.Sweep(
            dataset: "{name: csv, path: table.csv, target: y, task: binary, validation: 0.25, standardize: false}",
            training: "{seeds: [1, -7], early_stopping: {patience: 2}}",
            model: "{a: {hidden: [4]}, b: {hidden: [8, 8], activation: gelu}}",
            grid: """
                regularizer: {none: {}, l1: {l1: [0.001, 0.01]}}
                early_stopping: {off: {}, patient: {patience: [1, 5], monitor: val_accuracy}}
                epochs: [3, 4]
                """)));

        Assert.Equal(772, wide.Count);
        Assert.Equal(72, csvWithEarlyStopping.Count);
        Assert.All(wide.Concat(csvWithEarlyStopping), trial => Assert.Equal(TrialId.For(trial), trial.Id));
    }

    [Fact]
    public void An_id_is_the_sha256_of_the_canonical_settings_text()
    {
        // The canonical form spelled out, so another tool can compute the same ids.
        const string canonical = """
            gridsweep-trial/1
            dataset.name=imdb
            dataset.num_words=10000
            model.hidden=16,16
            regularizer.l1=0
            regularizer.l2=0
            regularizer.dropout=0
            regularizer.batch_norm=false
            optimizer.name=adam
            optimizer.learning_rate=0.001
            optimizer.beta_1=0.9
            optimizer.beta_2=0.999
            optimizer.epsilon=1E-07
            optimizer.momentum=0
            optimizer.rho=0.9
            training.epochs=20
            training.batch_size=512
            seed=1
            """;
        var hash = System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(canonical.ReplaceLineEndings("\n")));

        Assert.Equal(Convert.ToHexStringLower(hash)[..12], BaselineId());
    }

    [Fact]
    public void An_id_is_12_lowercase_hex_characters()
    {
        Assert.Matches("^[0-9a-f]{12}$", BaselineId());
    }

    [Fact]
    public void Equal_configurations_built_separately_get_the_same_id()
    {
        var id = TrialId.For(new("imdb", 10_000), new ModelSpec([16, 16]), new RegularizerSpec(), new("adam", 0.001), 20, 512, 1);

        Assert.Equal(BaselineId(), id);
    }

    public static TheoryData<string> Changes => [.. Changed.Keys];

    private static readonly Dictionary<string, Func<string>> Changed = new()
    {
        ["dataset.num_words"] = () => TrialId.For(Imdb with { NumWords = 5000 }, Baseline, RegularizerSpec.None, Adam, 20, 512, 1),
        ["dataset.name"] = () => TrialId.For(Imdb with { Name = "imdb2" }, Baseline, RegularizerSpec.None, Adam, 20, 512, 1),
        ["model.hidden size"] = () => TrialId.For(Imdb, new([16, 17]), RegularizerSpec.None, Adam, 20, 512, 1),
        ["model.hidden depth"] = () => TrialId.For(Imdb, new([16, 16, 16]), RegularizerSpec.None, Adam, 20, 512, 1),
        ["model.hidden order"] = () => TrialId.For(Imdb, new([161, 6]), RegularizerSpec.None, Adam, 20, 512, 1),
        ["regularizer.l1"] = () => TrialId.For(Imdb, Baseline, new(L1: 0.001), Adam, 20, 512, 1),
        ["regularizer.l2"] = () => TrialId.For(Imdb, Baseline, new(L2: 0.001), Adam, 20, 512, 1),
        ["regularizer.dropout"] = () => TrialId.For(Imdb, Baseline, new(Dropout: 0.5), Adam, 20, 512, 1),
        ["regularizer.batch_norm"] = () => TrialId.For(Imdb, Baseline, new(BatchNorm: true), Adam, 20, 512, 1),
        ["optimizer.name"] = () => TrialId.For(Imdb, Baseline, RegularizerSpec.None, Adam with { Name = "rmsprop" }, 20, 512, 1),
        ["optimizer.learning_rate"] = () => TrialId.For(Imdb, Baseline, RegularizerSpec.None, Adam with { LearningRate = 0.0010000000000000002 }, 20, 512, 1),
        ["optimizer.beta_1"] = () => TrialId.For(Imdb, Baseline, RegularizerSpec.None, Adam with { Beta1 = 0.8 }, 20, 512, 1),
        ["optimizer.beta_2"] = () => TrialId.For(Imdb, Baseline, RegularizerSpec.None, Adam with { Beta2 = 0.99 }, 20, 512, 1),
        ["optimizer.epsilon"] = () => TrialId.For(Imdb, Baseline, RegularizerSpec.None, Adam with { Epsilon = 1e-8 }, 20, 512, 1),
        ["optimizer.momentum"] = () => TrialId.For(Imdb, Baseline, RegularizerSpec.None, Adam with { Momentum = 0.9 }, 20, 512, 1),
        ["optimizer.rho"] = () => TrialId.For(Imdb, Baseline, RegularizerSpec.None, Adam with { Rho = 0.95 }, 20, 512, 1),
        ["training.epochs"] = () => TrialId.For(Imdb, Baseline, RegularizerSpec.None, Adam, 21, 512, 1),
        ["training.batch_size"] = () => TrialId.For(Imdb, Baseline, RegularizerSpec.None, Adam, 20, 256, 1),
        ["seed"] = () => TrialId.For(Imdb, Baseline, RegularizerSpec.None, Adam, 20, 512, 2),
    };

    [Theory]
    [MemberData(nameof(Changes))]
    public void Changing_any_setting_that_affects_training_changes_the_id(string setting)
    {
        Assert.NotEqual(BaselineId(), Changed[setting]());
    }

    [Fact]
    public void Positive_and_negative_zero_get_the_same_id()
    {
        Assert.Equal(BaselineId(), TrialId.For(Imdb, Baseline, new(L2: -0.0), Adam, 20, 512, 1));
    }

    [Fact]
    public void Labels_sweep_name_input_layer_and_device_do_not_change_ids()
    {
        var original = SweepGrid.Expand(TestSweeps.Parse(TestSweeps.Sweep(training: "{input_layer: sparse, device: cpu}", model: "{baseline: {hidden: [16, 16]}}", grid: "regularizer: {none: {}}", name: "first")));
        var relabelled = SweepGrid.Expand(TestSweeps.Parse(TestSweeps.Sweep(training: "{input_layer: dense, device: \"cuda:1\"}", model: "{medium: {hidden: [16, 16]}}", grid: "regularizer: {plain: {}}", name: "second")));

        Assert.Equal(original.Single().Id, relabelled.Single().Id);
    }

    [Fact]
    public void An_expanded_trial_gets_the_id_of_its_configuration()
    {
        var trial = SweepGrid.Expand(TestSweeps.Parse(TestSweeps.Sweep(model: "{baseline: {hidden: [16, 16]}}"))).Single();

        Assert.Equal(BaselineId(), trial.Id);
    }

    [Fact]
    public void The_id_of_a_trial_ignores_its_own_id_and_labels()
    {
        var trial = SweepGrid.Expand(TestSweeps.Parse(TestSweeps.Minimal)).Single();

        Assert.Equal(trial.Id, TrialId.For(trial with { Id = "other", Sweep = "x", Model = "y", Regularizer = "z", Optimizer = "w" }));
    }
}
