using GridSweep.Messages.Sweeps;

namespace GridSweep.Messages.Tests.Sweeps;

/// <summary>
/// Resumes and dashboards find results by trial id, so the grid axes added later must leave the ids of existing
/// sweep files as they were. The ids below were computed at commit a2bbd6d, before the new axes.
/// </summary>
public sealed class TrialIdStabilitySpecs
{
    private static readonly string ShippedFile = Path.Combine(TestSweeps.RepoRoot(), "sweeps", "imdb-overfitting.yaml");

    private static Dictionary<string, string> Ids(IEnumerable<TrialSpec> trials) =>
        trials.ToDictionary(t => $"{t.Model}/{t.Regularizer}/{t.Optimizer}/{t.Seed}", t => t.Id);

    private static IReadOnlyList<TrialSpec> Expand(string yaml) => SweepGrid.Expand(TestSweeps.Parse(yaml));

    [Fact]
    public void The_shipped_sweep_keeps_its_ids()
    {
        Assert.Equal(
            new Dictionary<string, string>
            {
                ["baseline/none/adam/1"] = "528aa9148d28",
                ["baseline/l2/adam/1"] = "221083afb232",
                ["baseline/dropout/adam/1"] = "a586fa9eef75",
                ["smaller/none/adam/1"] = "827b2770a02d",
                ["smaller/l2/adam/1"] = "0049c05dee08",
                ["smaller/dropout/adam/1"] = "f21e323359d3",
                ["bigger/none/adam/1"] = "03ad84289540",
                ["bigger/l2/adam/1"] = "8a3a22c5349d",
                ["bigger/dropout/adam/1"] = "e5360822db01",
            },
            Ids(SweepGrid.Expand(SweepSpecParser.Load(ShippedFile))));
    }

    [Fact]
    public void A_fixture_with_regularizer_and_optimizer_axes_keeps_its_ids()
    {
        var ids = Ids(Expand(TestSweeps.Sweep(training: "{seeds: [1, 2]}", model: "{a: {hidden: [4]}, b: {hidden: [8]}}", grid: """
            regularizer: {none: {}, l2: {l2: 0.001}}
            optimizer: {adam: {}, sgd: {}}
            """)));

        Assert.Equal(16, ids.Count);
        Assert.Equal("e5a269d69230", ids["a/none/adam/1"]);
        Assert.Equal("03fd77c1a60b", ids["a/none/adam/2"]);
        Assert.Equal("2b69e3729ea5", ids["a/l2/sgd/1"]);
        Assert.Equal("e34ebbac3889", ids["b/l2/sgd/2"]);
    }

    [Fact]
    public void A_fixture_with_a_learning_rate_axis_keeps_its_ids()
    {
        var ids = Ids(Expand(TestSweeps.Sweep(model: "{a: {hidden: [4]}}", grid: """
            optimizer: {adam: {}, sgd: {momentum: 0.9}}
            learning_rate: [0.001, 0.0003]
            """)));

        Assert.Equal(
            new Dictionary<string, string>
            {
                ["a/none/adam-lr0.001/1"] = "e5a269d69230",
                ["a/none/adam-lr0.0003/1"] = "f8184960453b",
                ["a/none/sgd-lr0.001/1"] = "86d06f58e1aa",
                ["a/none/sgd-lr0.0003/1"] = "d31e57bb5d0c",
            },
            ids);
    }

    [Fact]
    public void A_fixture_with_its_own_training_settings_keeps_its_ids()
    {
        var ids = Ids(Expand(TestSweeps.Sweep(training: "{epochs: 4, batch_size: 64, seeds: [1, 2]}", model: "{a: {hidden: [4]}}")));

        Assert.Equal(new Dictionary<string, string> { ["a/none/adam/1"] = "19a57326c280", ["a/none/adam/2"] = "2e7d96370178" }, ids);
    }

    [Fact]
    public void The_new_axes_at_their_default_values_keep_the_ids()
    {
        var shipped = File.ReadAllText(ShippedFile);
        var withAxes = shipped.TrimEnd() + """

              activation: [relu]
              batch_size: [512]
              epochs: [20]
            """;
        var withModelActivation = shipped.Replace("{hidden: [16, 16]}", "{hidden: [16, 16], activation: relu}");

        var expected = SweepGrid.Expand(SweepSpecParser.Load(ShippedFile)).Select(t => t.Id).ToList();

        Assert.Equal(expected, SweepGrid.Expand(SweepSpecParser.Parse(withAxes, ShippedFile)).Select(t => t.Id));
        Assert.Equal(expected, SweepGrid.Expand(SweepSpecParser.Parse(withModelActivation, ShippedFile)).Select(t => t.Id));
    }

    [Fact]
    public void A_scalar_axis_value_equal_to_the_training_setting_keeps_the_id()
    {
        var training = Expand(TestSweeps.Sweep(training: "{epochs: 4, batch_size: 64}", model: "{a: {hidden: [4]}}"));
        var swept = Expand(TestSweeps.Sweep(model: "{a: {hidden: [4]}}", grid: """
            batch_size: [64, 128]
            epochs: [4]
            """));

        Assert.Equal("19a57326c280", training.Single().Id);
        Assert.Equal("19a57326c280", swept[0].Id);
    }

    [Fact]
    public void Trimming_a_grid_with_exclude_keeps_the_ids_of_the_cells_left()
    {
        var trimmed = Ids(SweepGrid.Expand(SweepSpecParser.Parse(File.ReadAllText(ShippedFile).TrimEnd() + """

              exclude:
                - {model: bigger}
            """, ShippedFile)));

        Assert.Equal(6, trimmed.Count);
        Assert.Equal("528aa9148d28", trimmed["baseline/none/adam/1"]);
        Assert.Equal("f21e323359d3", trimmed["smaller/dropout/adam/1"]);
    }

    [Fact]
    public void Activation_enters_the_id_only_when_it_is_not_relu()
    {
        var trials = Expand(TestSweeps.Sweep(model: "{a: {hidden: [4]}}", grid: "activation: [relu, tanh]"));

        Assert.Equal("e5a269d69230", trials[0].Id);
        Assert.NotEqual("e5a269d69230", trials[1].Id);
        Assert.Equal(Sha256Prefix(MinimalCanonical + "\nmodel.activation=tanh"), trials[1].Id);
    }

    [Fact]
    public void The_canonical_text_of_a_relu_trial_has_no_activation_line()
    {
        var relu = Expand(TestSweeps.Sweep(model: "{a: {hidden: [4], activation: relu}}")).Single();

        Assert.Equal(Sha256Prefix(MinimalCanonical), relu.Id);
    }

    [Fact]
    public void An_early_stopping_axis_entry_that_turns_it_off_keeps_the_ids()
    {
        var withAxis = File.ReadAllText(ShippedFile).TrimEnd() + """

              early_stopping: {off: {}}
            """;

        Assert.Equal(
            SweepGrid.Expand(SweepSpecParser.Load(ShippedFile)).Select(t => t.Id),
            SweepGrid.Expand(SweepSpecParser.Parse(withAxis, ShippedFile)).Select(t => t.Id));
    }

    [Fact]
    public void Early_stopping_enters_the_id_with_every_setting_and_the_mode_as_resolved()
    {
        var trials = Expand(TestSweeps.Sweep(model: "{a: {hidden: [4]}}", grid: """
            early_stopping: {off: {}, on: {patience: 2, min_delta: 0.001}}
            """));

        Assert.Equal("e5a269d69230", trials[0].Id);
        Assert.Equal(Sha256Prefix(MinimalCanonical + """

            early_stopping.monitor=val_loss
            early_stopping.mode=min
            early_stopping.min_delta=0.001
            early_stopping.patience=2
            early_stopping.start_from_epoch=0
            early_stopping.restore_best_weights=true
            """), trials[1].Id);
    }

    /// <summary>The version-1 canonical text of <see cref="TestSweeps.Minimal"/>'s one trial.</summary>
    private const string MinimalCanonical = """
        gridsweep-trial/1
        dataset.name=imdb
        dataset.num_words=10000
        model.hidden=4
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

    private static string Sha256Prefix(string text) =>
        Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(text.ReplaceLineEndings("\n"))))[..12];
}
