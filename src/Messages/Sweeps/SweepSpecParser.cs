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
    private static readonly string[] TrainingKeys = ["epochs", "batch_size", "optimizer", "input_layer", "seeds", "device"];
    private static readonly string[] OptimizerKeys = ["name", "learning_rate", "beta_1", "beta_2", "epsilon", "momentum", "rho"];
    private static readonly string[] GridKeys = ["model", "regularizer", "optimizer", "learning_rate"];
    private static readonly string[] ModelKeys = ["hidden"];
    private static readonly string[] RegularizerKeys = ["l1", "l2", "dropout", "batch_norm"];

    private static readonly string[] OptimizerNames = ["adam", "sgd", "rmsprop"];
    private static readonly string[] InputLayers = ["sparse", "dense"];

    private static readonly Bounds<long> Count = new(v => v is >= 1 and <= int.MaxValue, $"1 to {int.MaxValue}");
    private static readonly Bounds<long> Vocabulary = new(v => v is >= 100 and <= 1_000_000, "100 to 1000000");
    private static readonly Bounds<long> AnySeed = new(_ => true, "any 64-bit integer");
    private static readonly Bounds<double> Positive = new(v => v > 0, "> 0");
    private static readonly Bounds<double> NonNegative = new(v => v >= 0, ">= 0");
    private static readonly Bounds<double> Fraction = new(v => v is >= 0 and < 1, ">= 0 and < 1");
    private static readonly Bounds<double> HeldOut = new(v => v is > 0 and < 1, "> 0 and < 1 (or the path of a validation table)");

    /// <summary>Keras defaults; <c>training.optimizer</c> overrides them and grid optimizers fall back to it.</summary>
    private static readonly OptimizerSpec DefaultOptimizer = new("adam", LearningRate: 0.001);

    /// <summary>Reads and parses a sweep file; an unreadable file is reported like any other mistake in it.</summary>
    public static SweepSpec Load(string path)
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

        return Parse(yaml, path);
    }

    /// <param name="sourceFile">Named in errors and kept as <see cref="SweepSpec.SourceFile"/>; relative
    /// <c>dataset.word_index</c> paths resolve against its folder.</param>
    /// <exception cref="SweepSpecException">The file has one or more mistakes; all of them are listed.</exception>
    public static SweepSpec Parse(string yaml, string sourceFile)
    {
        var reader = new SpecReader(sourceFile);
        var spec = reader.LoadRoot(yaml) is { } root ? ReadSweep(reader, root, sourceFile) : null;
        reader.ThrowIfAny();
        return spec ?? throw new UnreachableException("a sweep file without errors produced no spec");
    }

    private static SweepSpec? ReadSweep(SpecReader r, YamlNode root, string sourceFile)
    {
        if (r.Mapping(root, "", SweepKeys) is not { } sweep)
            return null;

        var name = r.Name(sweep, "name", required: true);
        var dataset = ReadDataset(r, r.Mapping(sweep, "dataset", DatasetKeys, required: true), sourceFile);
        var training = ReadTraining(r, r.Mapping(sweep, "training", TrainingKeys));
        var grid = r.Mapping(sweep, "grid", GridKeys, required: true);
        return new SweepSpec(
            name ?? "",
            dataset,
            training,
            ReadModels(r, grid),
            ReadRegularizers(r, grid),
            ReadOptimizers(r, grid, training.Optimizer),
            sourceFile);
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

    private static TrainingSpec ReadTraining(SpecReader r, Section? training) => new(
        Epochs: r.Integer(training, "epochs", Count) ?? 20,
        BatchSize: r.Integer(training, "batch_size", Count) ?? 512,
        Optimizer: ReadOptimizer(r, r.Mapping(training, "optimizer", OptimizerKeys), DefaultOptimizer),
        InputLayer: r.OneOf(training, "input_layer", InputLayers) == "dense" ? InputLayer.Dense : InputLayer.Sparse,
        Seeds: ReadSeeds(r, training) ?? [1],
        Device: r.Choice(training, "device", DevicePattern().IsMatch, "auto, cpu, cuda, cuda:N (N = GPU index)") ?? "auto");

    private static List<long>? ReadSeeds(SpecReader r, Section? training)
    {
        if (r.List(training, "seeds") is not { } items)
            return null;

        var seeds = new List<long>();
        foreach (var (node, path) in items)
        {
            if (r.Integer(node, path, AnySeed) is not { } seed)
                continue;
            if (seeds.Contains(seed))
                r.Error(node, path, $"duplicate seed {seed}; list each seed once");
            else
                seeds.Add(seed);
        }

        return seeds;
    }

    private static OptimizerSpec ReadOptimizer(SpecReader r, Section? optimizer, OptimizerSpec fallback) => new(
        Name: r.OneOf(optimizer, "name", OptimizerNames) ?? fallback.Name,
        LearningRate: r.Number(optimizer, "learning_rate", Positive) ?? fallback.LearningRate,
        Beta1: r.Number(optimizer, "beta_1", Fraction) ?? fallback.Beta1,
        Beta2: r.Number(optimizer, "beta_2", Fraction) ?? fallback.Beta2,
        Epsilon: r.Number(optimizer, "epsilon", Positive) ?? fallback.Epsilon,
        Momentum: r.Number(optimizer, "momentum", Fraction) ?? fallback.Momentum,
        Rho: r.Number(optimizer, "rho", Fraction) ?? fallback.Rho);

    private static IReadOnlyList<GridEntry<ModelSpec>> ReadModels(SpecReader r, Section? grid)
    {
        var models = new List<Located<ModelSpec>>();
        foreach (var (name, key, value) in r.Entries(grid, "model", required: true) ?? [])
        {
            var path = $"grid.model.{name}";
            var errorsBefore = r.ErrorCount;
            var items = r.List(r.Mapping(value, path, ModelKeys), "hidden", required: true) ?? [];
            var hidden = items.Select(item => (int)(r.Integer(item.Node, item.Path, Count) ?? 0)).ToList();
            if (r.ErrorCount == errorsBefore)
                models.Add(new(new(name, new ModelSpec(hidden)), key.Start, path));
        }

        return RejectRepeats(r, models, (a, b) => a.Hidden.SequenceEqual(b.Hidden));
    }

    private static IReadOnlyList<GridEntry<RegularizerSpec>> ReadRegularizers(SpecReader r, Section? grid)
    {
        if (r.Entries(grid, "regularizer") is not { } entries)
            return [new("none", RegularizerSpec.None)];

        var regularizers = new List<Located<RegularizerSpec>>();
        foreach (var (name, key, value) in entries)
        {
            var path = $"grid.regularizer.{name}";
            var errorsBefore = r.ErrorCount;
            var settings = r.Mapping(value, path, RegularizerKeys);
            var regularizer = new RegularizerSpec(
                L1: r.Number(settings, "l1", NonNegative) ?? 0,
                L2: r.Number(settings, "l2", NonNegative) ?? 0,
                Dropout: r.Number(settings, "dropout", Fraction) ?? 0,
                BatchNorm: r.Flag(settings, "batch_norm") ?? false);
            if (r.ErrorCount == errorsBefore)
                regularizers.Add(new(new(name, regularizer), key.Start, path));
        }

        return RejectRepeats(r, regularizers, (a, b) => a == b);
    }

    private static IReadOnlyList<GridEntry<OptimizerSpec>> ReadOptimizers(SpecReader r, Section? grid, OptimizerSpec training)
    {
        List<Located<OptimizerSpec>> optimizers = [new(new(training.Name, training), Mark.Empty, "grid.optimizer")];
        if (r.Entries(grid, "optimizer") is { } entries)
        {
            optimizers.Clear();
            foreach (var (name, key, value) in entries)
            {
                var path = $"grid.optimizer.{name}";
                // An entry named after an optimizer is that optimizer unless it says otherwise: {adam: {}, sgd: {}} compares the two.
                var fallback = OptimizerNames.Contains(name) ? training with { Name = name } : training;
                var errorsBefore = r.ErrorCount;
                var optimizer = ReadOptimizer(r, r.Mapping(value, path, OptimizerKeys), fallback);
                if (r.ErrorCount == errorsBefore)
                    optimizers.Add(new(new(name, optimizer), key.Start, path));
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
                       Entry = new($"{optimizer.Entry.Name}-lr{rate.ToString("R", CultureInfo.InvariantCulture)}",
                                   optimizer.Entry.Value with { LearningRate = rate }),
                   },
            ];
        }

        return RejectRepeats(r, optimizers, (a, b) => a == b);
    }

    private static List<double>? ReadLearningRates(SpecReader r, Section? grid)
    {
        if (r.List(grid, "learning_rate") is not { } items)
            return null;

        var rates = new List<double>();
        foreach (var (node, path) in items)
        {
            if (r.Number(node, path, Positive) is not { } rate)
                continue;
            if (rates.Contains(rate))
                r.Error(node, path, $"duplicate learning rate {rate.ToString("R", CultureInfo.InvariantCulture)}; list each rate once");
            else
                rates.Add(rate);
        }

        return rates;
    }

    /// <summary>
    /// Two entries with the same settings would train the same trials twice under different labels. Entries with
    /// mistakes of their own were left out before, so they cannot show up here as repeats of the defaults.
    /// </summary>
    private static List<GridEntry<T>> RejectRepeats<T>(SpecReader r, List<Located<T>> entries, Func<T, T, bool> same)
    {
        for (var i = 0; i < entries.Count; i++)
        {
            if (entries.Take(i).FirstOrDefault(earlier => same(earlier.Entry.Value, entries[i].Entry.Value)) is { } first)
            {
                r.Error(entries[i].At, entries[i].Path,
                    $"'{entries[i].Entry.Name}' has the same settings as '{first.Entry.Name}' (line {first.At.Line}); their trials would be identical");
            }
        }

        return [.. entries.Select(e => e.Entry)];
    }

    [GeneratedRegex("^(auto|cpu|cuda(:[0-9]+)?)$")]
    private static partial Regex DevicePattern();

    /// <summary>A grid entry while parsing: where it was declared, so a later check can point at it.</summary>
    private sealed record Located<T>(GridEntry<T> Entry, Mark At, string Path);
}

/// <summary>Sweep and grid entry names become folder names and InfluxDB tag values, so they keep to a portable set.</summary>
internal static partial class SweepNames
{
    public const string Rule = "use ASCII letters, digits, '-', '_' and '.', starting with a letter or digit";

    public static bool IsValid(string name) => Pattern().IsMatch(name);

    // A leading letter or digit rules out ".", "..", hidden folders and names that look like command-line options.
    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9._-]*$")]
    private static partial Regex Pattern();
}
