using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace GridSweep.Messages.Sweeps;

/// <summary>
/// Reads a YAML sweep file into a <see cref="SweepSpec"/>. The nodes are walked by hand rather than deserialized so
/// that every mistake in the file is reported at once, each with its line, column and dotted field path.
/// </summary>
public static partial class SweepSpecParser
{
    private static readonly string[] SweepKeys = ["name", "dataset", "training", "grid"];
    private static readonly string[] DatasetKeys =
        ["name", "num_words", "word_index", "path", "target", "task", "validation", "split_seed", "standardize"];
    private static readonly string[] ImdbOnlyKeys = ["num_words", "word_index"];
    private static readonly string[] CsvOnlyKeys = ["target", "task", "validation", "split_seed", "standardize"];
    private static readonly string[] Tasks = ["binary", "multiclass", "regression"];
    private static readonly string[] TrainingKeys = ["epochs", "batch_size", "optimizer", "input_layer", "seeds", "device", "early_stopping"];
    private static readonly string[] OptimizerKeys = ["name", "learning_rate", "beta_1", "beta_2", "epsilon", "momentum", "rho"];
    private static readonly string[] GridKeys =
        ["model", "regularizer", "optimizer", "learning_rate", "activation", "batch_size", "epochs", "early_stopping", "exclude", "include"];
    private static readonly string[] ModelKeys = ["hidden", "activation"];
    private static readonly string[] RegularizerKeys = ["l1", "l2", "dropout", "batch_norm"];
    private static readonly string[] EarlyStoppingKeys = ["monitor", "min_delta", "patience", "mode", "restore_best_weights", "start_from_epoch"];

    private static readonly string[] PatternKeys =
    [
        GridAxes.Model, GridAxes.Regularizer, GridAxes.Optimizer, GridAxes.LearningRate,
        GridAxes.Activation, GridAxes.BatchSize, GridAxes.Epochs, GridAxes.EarlyStopping, GridAxes.Seed,
    ];

    private static readonly string[] OptimizerNames = ["adam", "sgd", "rmsprop"];
    private static readonly string[] InputLayers = ["sparse", "dense"];

    private static readonly Bounds<long> Count = new(v => v is >= 1 and <= int.MaxValue, $"1 to {int.MaxValue}");
    private static readonly Bounds<long> EpochsOrNone = new(v => v is >= 0 and <= int.MaxValue, $"0 to {int.MaxValue}");
    private static readonly Bounds<long> Vocabulary = new(v => v is >= 100 and <= 1_000_000, "100 to 1000000");
    private static readonly Bounds<long> AnySeed = new(_ => true, "any 64-bit integer");
    private static readonly Bounds<double> Positive = new(v => v > 0, "> 0");
    private static readonly Bounds<double> NonNegative = new(v => v >= 0, ">= 0");
    private static readonly Bounds<double> Fraction = new(v => v is >= 0 and < 1, ">= 0 and < 1");
    private static readonly Bounds<double> HeldOut = new(v => v is > 0 and < 1, "> 0 and < 1 (or the path of a validation table)");

    /// <summary>Keras defaults; <c>training.optimizer</c> overrides them and grid optimizers fall back to it.</summary>
    private static readonly OptimizerSpec DefaultOptimizer = new("adam", LearningRate: 0.001);

    /// <summary>Reads and parses a sweep file; an unreadable file is reported like any other mistake in it.</summary>
    /// <param name="limit">The most trials the grid may declare; <see cref="TrialLimit.Default"/> when null.</param>
    public static SweepSpec Load(string path, TrialLimit? limit = null)
    {
        string yaml;
        try
        {
            yaml = File.ReadAllText(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            throw new SweepSpecException([new SpecError(path, 0, 0, "", $"cannot read the sweep file: {ex.Message}")]);
        }

        return Parse(yaml, path, limit);
    }

    /// <param name="sourceFile">Named in errors and kept as <see cref="SweepSpec.SourceFile"/>; relative
    /// <c>dataset.word_index</c> paths resolve against its folder.</param>
    /// <param name="limit">The most trials the grid may declare; <see cref="TrialLimit.Default"/> when null.</param>
    /// <exception cref="SweepSpecException">The file has one or more mistakes; all of them are listed. A grid of more
    /// trials than <paramref name="limit"/> allows is refused alone, before its entries are read.</exception>
    public static SweepSpec Parse(string yaml, string sourceFile, TrialLimit? limit = null)
    {
        var reader = new SpecReader(sourceFile);
        var root = reader.LoadRoot(yaml);
        if (root is not null)
            RefuseBeyond(limit ?? TrialLimit.Default, GridSize.Of(root), root, sourceFile);
        var spec = root is not null ? ReadSweep(reader, root, sourceFile) : null;
        reader.ThrowIfAny();
        return spec ?? throw new UnreachableException("a sweep file without errors produced no spec");
    }

    /// <summary>Counted before anything is expanded, so a grid too large to run is refused at once, not after minutes of expansion.</summary>
    private static void RefuseBeyond(TrialLimit limit, GridSize size, YamlNode root, string sourceFile)
    {
        if (size.Trials <= limit.MaxTrials)
            return;
        var at = root is YamlMappingNode sweep && sweep.Children.Keys.FirstOrDefault(key => key is YamlScalarNode { Value: "grid" }) is { } grid
            ? grid.Start
            : root.Start;
        var trials = size.Trials == long.MaxValue ? $"more than {long.MaxValue.ToString("N0", CultureInfo.InvariantCulture)}" : size.Trials.ToString("N0", CultureInfo.InvariantCulture);
        throw new SweepSpecException([new SpecError(sourceFile, checked((int)at.Line), checked((int)at.Column), "grid",
            $"declares {trials} trials ({size}), more than the limit of {limit.MaxTrials.ToString("N0", CultureInfo.InvariantCulture)}; " +
            $"shrink an axis, or raise the limit with {limit.RaiseWith}")]);
    }

    private static SweepSpec? ReadSweep(SpecReader r, YamlNode root, string sourceFile)
    {
        if (r.Mapping(root, "", SweepKeys) is not { } sweep)
            return null;

        var name = r.Name(sweep, "name", required: true);
        var dataset = ReadDataset(r, r.Mapping(sweep, "dataset", DatasetKeys, required: true), sourceFile);
        var training = ReadTraining(r, r.Mapping(sweep, "training", TrainingKeys), dataset);
        var grid = r.Mapping(sweep, "grid", GridKeys, required: true);
        var activations = ReadActivations(r, grid);
        var models = ReadModels(r, grid);
        var regularizers = ReadRegularizers(r, grid);
        var optimizers = ReadOptimizers(r, grid, training.Optimizer);
        var batchSizes = ReadCounts(r, grid, GridAxes.BatchSize, "batch size");
        var epochCounts = ReadCounts(r, grid, GridAxes.Epochs, "epoch count");
        var earlyStopping = ReadEarlyStoppingAxis(r, grid, dataset, training.EarlyStopping);
        // Only patterns name families; a grid without them (a million-value list, say) does not build a name index it never reads.
        var families = grid?["exclude"] is null && grid?["include"] is null
            ? []
            : new Dictionary<string, Dictionary<string, List<string>>>
            {
                [GridAxes.Model] = Families(models),
                [GridAxes.Regularizer] = Families(regularizers),
                [GridAxes.Optimizer] = Families(optimizers),
                [GridAxes.EarlyStopping] = Families(earlyStopping.Count > 0 ? earlyStopping : [Unswept(training.EarlyStopping)]),
            };
        return new SweepSpec(
            name ?? "",
            dataset,
            training,
            RejectRepeats(r, models),
            RejectRepeats(r, regularizers),
            RejectRepeats(r, optimizers),
            sourceFile)
        {
            Activations = activations,
            BatchSizes = batchSizes,
            EpochCounts = epochCounts,
            EarlyStopping = RejectRepeats(r, earlyStopping),
            Exclude = ReadPatterns(r, grid, "exclude", families),
            Include = ReadPatterns(r, grid, "include", families),
        };
    }

    private static DatasetSpec ReadDataset(SpecReader r, Section? dataset, string sourceFile)
    {
        var name = r.OneOf(dataset, "name", DatasetNames.All, required: true) ?? DatasetNames.Imdb;
        if (dataset is not null)
        {
            // Settings that mean nothing for this dataset are mistakes, not silently ignored ones.
            var foreign = name == DatasetNames.Imdb ? ["path", .. CsvOnlyKeys]
                : name == DatasetNames.FashionMnist ? [.. ImdbOnlyKeys, .. CsvOnlyKeys]
                : ImdbOnlyKeys;
            foreach (var key in foreign.Where(dataset.Values.ContainsKey))
                r.Error(dataset.Values[key], YamlPath.Join(dataset.Path, key), $"'{key}' does not apply to dataset '{name}'");
        }

        var isCsv = name == DatasetNames.Csv;
        var (fraction, validationPath) = isCsv ? ReadValidation(r, dataset, sourceFile) : (0.2, null);
        return new DatasetSpec(
            Name: name,
            NumWords: r.Integer(dataset, "num_words", Vocabulary) ?? 10_000,
            WordIndex: r.Text(dataset, "word_index") is { } index ? ResolveAgainst(sourceFile, index) : null,
            Path: r.Text(dataset, "path", required: isCsv) is { } path ? ResolveAgainst(sourceFile, path) : null,
            Target: isCsv ? r.Text(dataset, "target", required: true) : null,
            DeclaredTask: isCsv && r.OneOf(dataset, "task", Tasks, required: true) is { } task ? Enum.Parse<LearningTask>(task, ignoreCase: true) : null,
            ValidationFraction: fraction,
            ValidationPath: validationPath,
            SplitSeed: r.Integer(dataset, "split_seed", AnySeed) ?? 113,
            Standardize: r.Flag(dataset, "standardize") ?? true);
    }

    /// <summary><c>validation</c> is a held-out fraction (0.2) or the path of a second table with the same header.</summary>
    private static (double Fraction, string? Path) ReadValidation(SpecReader r, Section? dataset, string sourceFile)
    {
        if (dataset?["validation"] is not { } node)
            return (0.2, null);
        if (node is YamlScalarNode { Style: ScalarStyle.Plain, Value: { } text } &&
            double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out _))
            return (r.Number(node, YamlPath.Join(dataset.Path, "validation"), HeldOut) ?? 0.2, null);
        return r.Text(dataset, "validation") is { } path ? (0.2, ResolveAgainst(sourceFile, path)) : (0.2, null);
    }

    /// <summary>A relative path in a sweep file means relative to that file, not to wherever the tool was started.</summary>
    private static string ResolveAgainst(string sourceFile, string path)
    {
        var folder = Path.GetDirectoryName(sourceFile) is { Length: > 0 } directory ? directory : ".";
        return Path.GetFullPath(Path.Combine(folder, path));
    }

    private static TrainingSpec ReadTraining(SpecReader r, Section? training, DatasetSpec dataset) => new(
        Epochs: r.Integer(training, "epochs", Count) ?? 20,
        BatchSize: r.Integer(training, "batch_size", Count) ?? 512,
        Optimizer: ReadOptimizer(r, r.Mapping(training, "optimizer", OptimizerKeys), DefaultOptimizer),
        InputLayer: ReadInputLayer(r, training, dataset.Name),
        Seeds: ReadSeeds(r, training) ?? [1],
        Device: r.Choice(training, "device", DevicePattern().IsMatch, "auto, cpu, cuda, cuda:N (N = GPU index)") ?? "auto",
        EarlyStopping: ReadEarlyStopping(r, r.Mapping(training, "early_stopping", EarlyStoppingKeys), dataset));

    /// <summary>
    /// <c>training.early_stopping</c>, Keras' defaults for what it leaves out. On when it sets at least one key, as an
    /// early-stopping grid entry is, and as a regularizer entry regularizes: <c>{patience: 0}</c> is Keras' default callback.
    /// </summary>
    private static EarlyStoppingSpec? ReadEarlyStopping(SpecReader r, Section? settings, DatasetSpec dataset)
    {
        if (settings is null || settings.Values.Count == 0)
            return null;
        var fallback = new EarlyStoppingSpec();
        return new EarlyStoppingSpec(
            Monitor: ReadMonitor(r, settings, dataset) ?? fallback.Monitor,
            MinDelta: r.Number(settings, "min_delta", NonNegative) ?? fallback.MinDelta,
            Patience: r.Integer(settings, "patience", EpochsOrNone) ?? fallback.Patience,
            Mode: r.OneOf(settings, "mode", EarlyStoppingModes.All) ?? fallback.Mode,
            RestoreBestWeights: r.Flag(settings, "restore_best_weights") ?? fallback.RestoreBestWeights,
            StartFromEpoch: r.Integer(settings, "start_from_epoch", EpochsOrNone) ?? fallback.StartFromEpoch);
    }

    /// <summary>
    /// <c>grid.early_stopping</c>: named entries, each falling back to <c>training.early_stopping</c> (or Keras'
    /// defaults) for what it leaves out; an empty entry (<c>off: {}</c>) turns early stopping off. <c>min_delta</c>,
    /// <c>patience</c> and <c>start_from_epoch</c> may list values, which expands the entry as a regularizer's lists do
    /// (<c>patient: {patience: [2, 5]}</c> gives <c>patient-2</c> and <c>patient-5</c>). Empty when not swept.
    /// </summary>
    private static List<Located<EarlyStoppingSpec?>> ReadEarlyStoppingAxis(SpecReader r, Section? grid, DatasetSpec dataset, EarlyStoppingSpec? training)
    {
        if (r.Entries(grid, GridAxes.EarlyStopping) is not { } entries)
            return [];

        var fallback = training ?? new EarlyStoppingSpec();
        var stoppings = new List<Located<EarlyStoppingSpec?>>();
        foreach (var (name, key, value) in entries)
        {
            var path = $"grid.early_stopping.{name}";
            var errorsBefore = r.ErrorCount;
            if (r.Mapping(value, path, EarlyStoppingKeys) is not { } settings)
                continue;
            if (settings.Values.Count == 0)
            {
                stoppings.Add(new(new(name, null), key.Start, path, name));
                continue;
            }

            var monitor = ReadMonitor(r, settings, dataset) ?? fallback.Monitor;
            var mode = r.OneOf(settings, "mode", EarlyStoppingModes.All) ?? fallback.Mode;
            var restore = r.Flag(settings, "restore_best_weights") ?? fallback.RestoreBestWeights;
            Setting?[] numbers =
            [
                ReadSetting(r, settings, "min_delta", NonNegative),
                ReadSetting(r, settings, "patience", EpochsOrNone),
                ReadSetting(r, settings, "start_from_epoch", EpochsOrNone),
            ];
            if (r.ErrorCount != errorsBefore)
                continue;
            foreach (var (variant, values) in Variants(name, numbers))
            {
                var stopping = new EarlyStoppingSpec(
                    Monitor: monitor,
                    MinDelta: values.GetValueOrDefault("min_delta", fallback.MinDelta),
                    Patience: (int)values.GetValueOrDefault("patience", fallback.Patience),
                    Mode: mode,
                    RestoreBestWeights: restore,
                    StartFromEpoch: (int)values.GetValueOrDefault("start_from_epoch", fallback.StartFromEpoch));
                stoppings.Add(new(new(variant, stopping), key.Start, path, name));
            }
        }

        RejectCollisions(r, stoppings);
        return stoppings;
    }

    /// <summary>The one entry of a grid that does not sweep early stopping: <c>training.early_stopping</c>, or none.</summary>
    private static Located<EarlyStoppingSpec?> Unswept(EarlyStoppingSpec? training)
    {
        var label = EarlyStoppingLabels.For(training);
        return new(new(label, training), Mark.Empty, "grid.early_stopping", label);
    }

    /// <summary>A monitor the trial's task records: no accuracy for regression, no mean absolute error for classification.</summary>
    private static string? ReadMonitor(SpecReader r, Section settings, DatasetSpec dataset)
    {
        if (r.OneOf(settings, "monitor", EarlyStoppingMonitors.All) is not { } monitor)
            return null;
        var recorded = EarlyStoppingMonitors.For(dataset.Task);
        if (recorded.Contains(monitor))
            return monitor;
        r.Error(settings["monitor"]!, YamlPath.Join(settings.Path, "monitor"),
            $"'{monitor}' is not recorded for dataset '{dataset.Name}' ({dataset.Task.ToString().ToLowerInvariant()} task); " +
            $"allowed values: {string.Join(", ", recorded)}");
        return null;
    }

    /// <summary>Sparse or dense multi-hot rows are an IMDB matter; the other datasets feed dense rows as they are.</summary>
    private static InputLayer ReadInputLayer(SpecReader r, Section? training, string dataset)
    {
        if (dataset != DatasetNames.Imdb && training?["input_layer"] is { } node)
        {
            r.Error(node, YamlPath.Join(training.Path, "input_layer"), $"'input_layer' applies only to imdb; remove it for dataset '{dataset}'");
            return InputLayer.Sparse;
        }

        return r.OneOf(training, "input_layer", InputLayers) == "dense" ? InputLayer.Dense : InputLayer.Sparse;
    }

    private static List<long>? ReadSeeds(SpecReader r, Section? training)
    {
        if (r.List(training, "seeds") is not { } items)
            return null;

        return Distinct(r, items, (node, path) => r.Integer(node, path, AnySeed), seed => $"duplicate seed {seed}; list each seed once");
    }

    private static OptimizerSpec ReadOptimizer(SpecReader r, Section? optimizer, OptimizerSpec fallback) => new(
        Name: r.OneOf(optimizer, "name", OptimizerNames) ?? fallback.Name,
        LearningRate: r.Number(optimizer, "learning_rate", Positive) ?? fallback.LearningRate,
        Beta1: r.Number(optimizer, "beta_1", Fraction) ?? fallback.Beta1,
        Beta2: r.Number(optimizer, "beta_2", Fraction) ?? fallback.Beta2,
        Epsilon: r.Number(optimizer, "epsilon", Positive) ?? fallback.Epsilon,
        Momentum: r.Number(optimizer, "momentum", Fraction) ?? fallback.Momentum,
        Rho: r.Number(optimizer, "rho", Fraction) ?? fallback.Rho);

    /// <summary>
    /// The model axis. A model may fix its own activation unless <c>grid.activation</c> sweeps it, which would
    /// silently override the model's choice.
    /// </summary>
    private static List<Located<ModelSpec>> ReadModels(SpecReader r, Section? grid)
    {
        var swept = grid?["activation"];
        var models = new List<Located<ModelSpec>>();
        foreach (var (name, key, value) in r.Entries(grid, "model", required: true) ?? [])
        {
            var path = $"grid.model.{name}";
            var errorsBefore = r.ErrorCount;
            var settings = r.Mapping(value, path, ModelKeys);
            var items = r.List(settings, "hidden", required: true) ?? [];
            var hidden = items.Select(item => (int)(r.Integer(item.Node, item.Path, Count) ?? 0)).ToList();
            var activation = r.OneOf(settings, "activation", Activations.All);
            if (activation is not null && swept is not null)
            {
                r.Error(settings!["activation"]!, $"{path}.activation",
                    $"'{name}' sets its own activation while grid.activation (line {swept.Start.Line}) sweeps it; " +
                    "remove one of the two");
            }

            if (r.ErrorCount == errorsBefore)
                models.Add(new(new(name, new ModelSpec(hidden, activation ?? Activations.Relu)), key.Start, path, name));
        }

        return models;
    }

    private static List<Located<RegularizerSpec>> ReadRegularizers(SpecReader r, Section? grid)
    {
        if (r.Entries(grid, "regularizer") is not { } entries)
            return [new(new("none", RegularizerSpec.None), Mark.Empty, "grid.regularizer", "none")];

        var regularizers = new List<Located<RegularizerSpec>>();
        foreach (var (name, key, value) in entries)
        {
            var path = $"grid.regularizer.{name}";
            var errorsBefore = r.ErrorCount;
            var settings = r.Mapping(value, path, RegularizerKeys);
            Setting?[] numbers =
            [
                ReadSetting(r, settings, "l1", NonNegative),
                ReadSetting(r, settings, "l2", NonNegative),
                ReadSetting(r, settings, "dropout", Fraction),
            ];
            var batchNorm = r.Flag(settings, "batch_norm") ?? false;
            if (r.ErrorCount != errorsBefore)
                continue;
            foreach (var (variant, values) in Variants(name, numbers))
            {
                var regularizer = new RegularizerSpec(
                    L1: values.GetValueOrDefault("l1"),
                    L2: values.GetValueOrDefault("l2"),
                    Dropout: values.GetValueOrDefault("dropout"),
                    BatchNorm: batchNorm);
                regularizers.Add(new(new(variant, regularizer), key.Start, path, name));
            }
        }

        RejectCollisions(r, regularizers);
        return regularizers;
    }

    private static List<Located<OptimizerSpec>> ReadOptimizers(SpecReader r, Section? grid, OptimizerSpec training)
    {
        var rateAxis = grid?["learning_rate"];
        List<Located<OptimizerSpec>> optimizers = [new(new(training.Name, training), Mark.Empty, "grid.optimizer", training.Name)];
        if (r.Entries(grid, "optimizer") is { } entries)
        {
            optimizers.Clear();
            foreach (var (name, key, value) in entries)
            {
                var path = $"grid.optimizer.{name}";
                // An entry named after an optimizer is that optimizer unless it says otherwise: {adam: {}, sgd: {}} compares the two.
                var fallback = OptimizerNames.Contains(name) ? training with { Name = name } : training;
                var errorsBefore = r.ErrorCount;
                var settings = r.Mapping(value, path, OptimizerKeys);
                var optimizerName = r.OneOf(settings, "name", OptimizerNames) ?? fallback.Name;
                Setting?[] numbers =
                [
                    ReadSetting(r, settings, "learning_rate", Positive),
                    ReadSetting(r, settings, "beta_1", Fraction),
                    ReadSetting(r, settings, "beta_2", Fraction),
                    ReadSetting(r, settings, "epsilon", Positive),
                    ReadSetting(r, settings, "momentum", Fraction),
                    ReadSetting(r, settings, "rho", Fraction),
                ];
                if (numbers[0] is { Swept: true } && rateAxis is not null)
                {
                    r.Error(settings!["learning_rate"]!, $"{path}.learning_rate",
                        $"'{name}' lists learning rates while grid.learning_rate (line {rateAxis.Start.Line}) sweeps them; " +
                        "list the rates in one of the two places");
                }

                if (r.ErrorCount != errorsBefore)
                    continue;
                foreach (var (variant, values) in Variants(name, numbers))
                {
                    var optimizer = new OptimizerSpec(
                        Name: optimizerName,
                        LearningRate: values.GetValueOrDefault("learning_rate", fallback.LearningRate),
                        Beta1: values.GetValueOrDefault("beta_1", fallback.Beta1),
                        Beta2: values.GetValueOrDefault("beta_2", fallback.Beta2),
                        Epsilon: values.GetValueOrDefault("epsilon", fallback.Epsilon),
                        Momentum: values.GetValueOrDefault("momentum", fallback.Momentum),
                        Rho: values.GetValueOrDefault("rho", fallback.Rho));
                    optimizers.Add(new(new(variant, optimizer), key.Start, path, name));
                }
            }
        }

        if (ReadLearningRates(r, grid) is { } rates)
        {
            optimizers =
            [
                .. from optimizer in optimizers
                   from rate in rates
                   select optimizer with
                   {
                       Entry = new($"{optimizer.Entry.Name}-lr{Format(rate)}",
                                   optimizer.Entry.Value with { LearningRate = rate }),
                   },
            ];
        }

        RejectCollisions(r, optimizers);
        return optimizers;
    }

    private static List<double>? ReadLearningRates(SpecReader r, Section? grid) =>
        r.List(grid, "learning_rate") is { } items
            ? Distinct(r, items, (node, path) => r.Number(node, path, Positive), rate => $"duplicate learning rate {Format(rate)}; list each rate once")
            : null;

    /// <summary><c>grid.activation: [relu, tanh]</c>: an axis of its own, crossed with the models; empty when not swept.</summary>
    private static List<string> ReadActivations(SpecReader r, Section? grid) =>
        r.List(grid, GridAxes.Activation) is { } items
            ? DistinctNames(r, items, (node, path) => r.OneOf(node, path, Activations.All), name => $"duplicate activation {name}; list each activation once")
            : [];

    /// <summary><c>grid.batch_size: [32, 128]</c> or <c>grid.epochs: [10, 20]</c>; empty when not swept.</summary>
    private static List<int> ReadCounts(SpecReader r, Section? grid, string key, string what) =>
        r.List(grid, key) is { } items
            ? Distinct(r, items, (node, path) => r.Integer(node, path, Count) is { } value ? (int)value : (int?)null,
                value => $"duplicate {what} {value}; list each value once")
            : [];

    /// <summary>Reads the items of a list, each once: a repeat would train the same trials twice.</summary>
    private static List<string> DistinctNames(SpecReader r, IReadOnlyList<(YamlNode Node, string Path)> items, Func<YamlNode, string, string?> read, Func<string, string> repeated)
    {
        var values = new List<string>();
        var seen = new HashSet<string>();
        foreach (var (node, path) in items)
        {
            if (read(node, path) is not { } value)
                continue;
            if (seen.Add(value))
                values.Add(value);
            else
                r.Error(node, path, repeated(value));
        }

        return values;
    }

    private static List<T> Distinct<T>(SpecReader r, IReadOnlyList<(YamlNode Node, string Path)> items, Func<YamlNode, string, T?> read, Func<T, string> repeated)
        where T : struct
    {
        var values = new List<T>();
        var seen = new HashSet<T>();
        foreach (var (node, path) in items)
        {
            if (read(node, path) is not { } value)
                continue;
            if (seen.Add(value))
                values.Add(value);
            else
                r.Error(node, path, repeated(value));
        }

        return values;
    }

    /// <summary>
    /// A numeric setting of a regularizer or optimizer entry: one number, or a list of them that expands the entry
    /// into one entry per value. Null when the setting is absent or wrong (the error is recorded).
    /// </summary>
    private static Setting? ReadSetting(SpecReader r, Section? settings, string key, Bounds<double> bounds)
    {
        if (settings?[key] is not { } node)
            return null;
        if (node is not YamlSequenceNode)
            return r.Number(settings, key, bounds) is { } value ? new(key, [value], Swept: false) : null;
        return r.List(settings, key) is { } items
            ? new(key, Distinct(r, items, (item, path) => r.Number(item, path, bounds), value => $"duplicate value {Format(value)}; list each value once"), Swept: true)
            : null;
    }

    /// <summary>An integer setting of an early-stopping entry, one value or a list of them, as <see cref="ReadSetting(SpecReader, Section?, string, Bounds{double})"/>.</summary>
    private static Setting? ReadSetting(SpecReader r, Section? settings, string key, Bounds<long> bounds)
    {
        if (settings?[key] is not { } node)
            return null;
        if (node is not YamlSequenceNode)
            return r.Integer(node, YamlPath.Join(settings.Path, key), bounds) is { } value ? new(key, [value], Swept: false) : null;
        return r.List(settings, key) is { } items
            ? new(key, Distinct(r, items, (item, path) => r.Integer(item, path, bounds) is { } value ? (double)value : (double?)null,
                value => $"duplicate value {Format(value)}; list each value once"), Swept: true)
            : null;
    }

    /// <summary>
    /// The entries one declared entry stands for: the product of its listed settings, first listed setting outermost.
    /// One list names them <c>entry-value</c> (<c>l2-0.001</c>); several name each value after its key
    /// (<c>elastic-l1-0.001-l2-0.01</c>). Numbers are written in invariant round-trip form, as the learning-rate axis writes them.
    /// </summary>
    private static IEnumerable<(string Name, Dictionary<string, double> Values)> Variants(string entry, IReadOnlyList<Setting?> settings)
    {
        var named = settings.Count(s => s is { Swept: true }) > 1;
        List<(string Name, Dictionary<string, double> Values)> variants = [(entry, new Dictionary<string, double>())];
        foreach (var setting in settings.OfType<Setting>())
        {
            variants =
            [
                .. from variant in variants
                   from value in setting.Values
                   select (
                       !setting.Swept ? variant.Name : named ? $"{variant.Name}-{setting.Key}-{Format(value)}" : $"{variant.Name}-{Format(value)}",
                       new Dictionary<string, double>(variant.Values) { [setting.Key] = value }),
            ];
        }

        return variants;
    }

    /// <summary>A generated name taken by another entry would make two entries indistinguishable in results and patterns.</summary>
    private static void RejectCollisions<T>(SpecReader r, List<Located<T>> entries)
    {
        var byName = new Dictionary<string, Located<T>>();
        foreach (var entry in entries)
        {
            if (!byName.TryAdd(entry.Entry.Name, entry) && byName[entry.Entry.Name] is var first && first.Declared != entry.Declared)
            {
                r.Error(entry.At, entry.Path,
                    $"'{entry.Declared}' expands to '{entry.Entry.Name}', which is also the name of an entry from '{first.Declared}' (line {first.At.Line}); rename one");
            }
        }
    }

    /// <summary>
    /// Two entries with the same settings would train the same trials twice under different labels. Entries with
    /// mistakes of their own were left out before, so they cannot show up here as repeats of the defaults.
    /// </summary>
    private static List<GridEntry<T>> RejectRepeats<T>(SpecReader r, List<Located<T>> entries)
    {
        // Keyed through a one-element tuple: an early-stopping entry that turns it off has the value null.
        var first = new Dictionary<ValueTuple<T>, Located<T>>();
        foreach (var entry in entries)
        {
            var key = new ValueTuple<T>(entry.Entry.Value);
            if (!first.TryAdd(key, entry) && first[key] is var earlier && earlier.Entry.Name != entry.Entry.Name)
            {
                r.Error(entry.At, entry.Path,
                    $"'{entry.Entry.Name}' has the same settings as '{earlier.Entry.Name}' (line {earlier.At.Line}); their trials would be identical");
            }
        }

        return [.. entries.Select(e => e.Entry)];
    }

    /// <summary>Every name a pattern may give on an axis, and the entries it stands for: an entry's own name, and
    /// the declared name of an entry that expanded into several (<c>l2</c> for <c>l2-0.001</c> and <c>l2-0.01</c>).</summary>
    private static Dictionary<string, List<string>> Families<T>(List<Located<T>> entries)
    {
        var families = new Dictionary<string, List<string>>();
        // A set beside the lists: one declared entry crossed with a 100,000-value learning-rate list is a family
        // of 100,000 names, and a list lookup per name made parsing such a file quadratic (62 s at 100,000).
        var members = new HashSet<(string Declared, string Name)>();
        foreach (var entry in entries)
        {
            if (!families.TryGetValue(entry.Declared, out var family))
                families[entry.Declared] = family = [];
            if (members.Add((entry.Declared, entry.Entry.Name)))
                family.Add(entry.Entry.Name);
        }

        foreach (var entry in entries)
            families.TryAdd(entry.Entry.Name, [entry.Entry.Name]);
        return families;
    }

    /// <summary>
    /// <c>grid.exclude</c> or <c>grid.include</c>: partial assignments of axes to labels. A declared name that
    /// expanded into several entries stands for all of them, so the pattern is stored once per entry it names,
    /// all at the pattern's line and column. Numbers are stored in invariant round-trip form.
    /// </summary>
    private static List<CellPattern> ReadPatterns(SpecReader r, Section? grid, string key, Dictionary<string, Dictionary<string, List<string>>> families)
    {
        var patterns = new List<CellPattern>();
        foreach (var (node, path) in r.List(grid, key) ?? [])
        {
            var errorsBefore = r.ErrorCount;
            if (r.Mapping(node, path, PatternKeys) is not { } pattern)
                continue;
            if (pattern.Values.Count == 0)
            {
                r.Error(node, path, $"a pattern names at least one axis ({string.Join(", ", PatternKeys)})");
                continue;
            }

            var choices = new List<(string Axis, IReadOnlyList<string> Labels)>();
            foreach (var axis in PatternKeys.Where(pattern.Values.ContainsKey))
            {
                IReadOnlyList<string>? labels = axis switch
                {
                    GridAxes.Model or GridAxes.Regularizer or GridAxes.Optimizer or GridAxes.EarlyStopping => EntryNames(r, grid!, pattern, axis, families[axis]),
                    GridAxes.Activation => r.OneOf(pattern, axis, Activations.All) is { } activation ? [activation] : null,
                    GridAxes.BatchSize or GridAxes.Epochs => r.Integer(pattern, axis, Count) is { } count ? [Format(count)] : null,
                    GridAxes.LearningRate => r.Number(pattern, axis, Positive) is { } rate ? [Format(rate)] : null,
                    _ => r.Integer(pattern[axis]!, YamlPath.Join(path, axis), AnySeed) is { } seed ? [Format(seed)] : null,
                };
                if (labels is not null)
                    choices.Add((axis, labels));
            }

            if (r.ErrorCount != errorsBefore)
                continue;
            IEnumerable<Dictionary<string, string>> assignments = [[]];
            foreach (var (axis, labels) in choices)
                assignments = [.. from assignment in assignments from label in labels select new Dictionary<string, string>(assignment) { [axis] = label }];
            patterns.AddRange(assignments.Select(axes => new CellPattern(axes, checked((int)node.Start.Line)) { Column = checked((int)node.Start.Column) }));
        }

        return patterns;
    }

    private static IReadOnlyList<string>? EntryNames(SpecReader r, Section grid, Section pattern, string axis, Dictionary<string, List<string>> family)
    {
        if (r.Text(pattern, axis) is not { } label)
            return null;
        if (family.TryGetValue(label, out var names))
            return names;
        // An entry left out for mistakes of its own is reported there, not again as unknown here.
        if (grid[axis] is YamlMappingNode declared && declared.Children.Keys.Any(key => key is YamlScalarNode { Value: var name } && name == label))
            return null;
        r.Error(pattern[axis]!, YamlPath.Join(pattern.Path, axis),
            $"'{label}' is not an entry of grid.{axis}; entries: {string.Join(", ", family.Keys)}");
        return null;
    }

    private static string Format(double value) => value.ToString("R", CultureInfo.InvariantCulture);

    private static string Format(long value) => value.ToString(CultureInfo.InvariantCulture);

    [GeneratedRegex("^(auto|cpu|cuda(:[0-9]+)?)$")]
    private static partial Regex DevicePattern();

    /// <summary>A grid entry while parsing: where it was declared, so a later check can point at it, and the name it
    /// was declared under (an entry whose settings list several values expands into entries named after them).</summary>
    private sealed record Located<T>(GridEntry<T> Entry, Mark At, string Path, string Declared);

    /// <summary>A numeric setting of a grid entry, as one value or as a list that expands the entry.</summary>
    private sealed record Setting(string Key, IReadOnlyList<double> Values, bool Swept);
}

/// <summary>Sweep and grid entry names become folder names and InfluxDB tag values, so they keep to a portable set.</summary>
internal static partial class SweepNames
{
    /// <summary>Names become folder and file names (with suffixes) and metrics tags; 255 bytes is a file name's limit on common file systems.</summary>
    public const int MaxLength = 100;

    public const string Rule = "use ASCII letters, digits, '-', '_' and '.', starting with a letter or digit";

    public static bool IsValid(string name) => name.Length <= MaxLength && Pattern().IsMatch(name);

    // A leading letter or digit rules out ".", "..", hidden folders and names that look like command-line options.
    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9._-]*$")]
    private static partial Regex Pattern();
}
