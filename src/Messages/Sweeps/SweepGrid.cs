using System.Globalization;
using System.Runtime.InteropServices;

namespace GridSweep.Messages.Sweeps;

/// <summary>Turns a sweep into its trials: every grid cell once per seed, less the excluded cells, plus the included ones.</summary>
public static class SweepGrid
{
    /// <summary>
    /// The cartesian product model × regularizer × optimizer × activation × batch size × epochs × early stopping × seed in declaration
    /// order, model outermost and seed innermost, so the trials of one cell run next to each other. A learning-rate
    /// axis and entries whose settings list several values are already expanded by the parser. An axis the grid does
    /// not sweep has one value: the model's own activation, the training section's batch size, epochs and early stopping. Then the
    /// cells matching an <see cref="SweepSpec.Exclude"/> pattern are left out and the
    /// <see cref="SweepSpec.Include"/> cells appended, each pattern in order, those already present once.
    /// </summary>
    /// <remarks>Linear in the number of cells (times the number of exclude patterns): grids of 100,000 cells are normal.</remarks>
    /// <exception cref="SweepSpecException">
    /// Two cells resolve to the same configuration, so they would share an id; an exclude pattern matches no cell;
    /// the exclusions leave no cell; an include pattern names nothing the grid has.
    /// </exception>
    public static IReadOnlyList<TrialSpec> Expand(SweepSpec spec)
    {
        var grid = new Grid(spec);
        var errors = new List<SpecError>();
        var excludes = spec.Exclude.Select(pattern => Compile(pattern, grid, errors)).ToList();
        var hits = new int[excludes.Count];
        var cells = new Cells(spec, errors);

        for (var m = 0; m < grid.Models.Count; m++)
        for (var r = 0; r < grid.Regularizers.Count; r++)
        for (var o = 0; o < grid.Optimizers.Count; o++)
        for (var a = 0; a < grid.Activations.Count; a++)
        for (var b = 0; b < grid.BatchSizes.Count; b++)
        for (var e = 0; e < grid.EpochCounts.Count; e++)
        for (var x = 0; x < grid.EarlyStopping.Count; x++)
        for (var s = 0; s < grid.Seeds.Count; s++)
        {
            var excluded = false;
            for (var p = 0; p < excludes.Count; p++)
            {
                // Once a cell is out, a pattern is still tried if it has not matched yet, so that a pattern
                // covered by an earlier one is not taken for a typo.
                if ((excluded && hits[p] > 0) || !excludes[p].Matches(m, r, o, a, b, e, x, s))
                    continue;
                hits[p]++;
                excluded = true;
            }

            if (!excluded)
            {
                cells.Add(grid.Models[m], grid.Regularizers[r], grid.Optimizers[o],
                    grid.Activations[a] ?? grid.Models[m].Value.Activation, grid.BatchSizes[b], grid.EpochCounts[e], grid.EarlyStopping[x],
                    grid.Seeds[s], included: false);
            }
        }

        ReportUnmatched(spec, excludes, hits, errors);
        if (cells.Count == 0 && spec.Exclude.Count > 0 && spec.Include.Count == 0 && errors.Count == 0)
        {
            errors.Add(new SpecError(spec.SourceFile, 0, 0, "grid.exclude",
                "the exclusions leave no cell of the grid; narrow or remove an exclude pattern"));
        }

        foreach (var group in Written(spec.Include))
            Include(group, grid, cells, errors);

        if (errors.Count > 0)
            throw new SweepSpecException([.. errors.OrderBy(e => e.Line).ThenBy(e => e.Column)]);
        return cells.Trials;
    }

    /// <summary>The values of every axis; an axis the grid does not sweep has its one value (null activation: the model's own).</summary>
    private sealed class Grid(SweepSpec spec)
    {
        public SweepSpec Spec { get; } = spec;
        public IReadOnlyList<GridEntry<ModelSpec>> Models { get; } = spec.Models;
        public IReadOnlyList<GridEntry<RegularizerSpec>> Regularizers { get; } = spec.Regularizers;
        public IReadOnlyList<GridEntry<OptimizerSpec>> Optimizers { get; } = spec.Optimizers;
        public IReadOnlyList<string?> Activations { get; } = spec.Activations.Count > 0 ? [.. spec.Activations] : [null];
        public IReadOnlyList<int> BatchSizes { get; } = spec.BatchSizes.Count > 0 ? spec.BatchSizes : [spec.Training.BatchSize];
        public IReadOnlyList<int> EpochCounts { get; } = spec.EpochCounts.Count > 0 ? spec.EpochCounts : [spec.Training.Epochs];

        public IReadOnlyList<GridEntry<EarlyStoppingSpec?>> EarlyStopping { get; } = spec.EarlyStopping.Count > 0
            ? spec.EarlyStopping
            : [new(EarlyStoppingLabels.For(spec.Training.EarlyStopping), spec.Training.EarlyStopping)];

        public IReadOnlyList<long> Seeds { get; } = spec.Training.Seeds;
    }

    /// <summary>The trials so far, by id, so a repeated configuration is found in constant time.</summary>
    private sealed class Cells(SweepSpec spec, List<SpecError> errors)
    {
        private readonly Dictionary<string, TrialSpec> byId = [];
        private readonly HashSet<(string, string)> reported = [];

        private readonly TrialIdEncoder ids = new();

        // Every trial of a model with a swept activation shares one copy of the model per activation, not one each.
        private readonly Dictionary<(ModelSpec, string), ModelSpec> models = [];

        public List<TrialSpec> Trials { get; } = [];

        public int Count => Trials.Count;

        private ModelSpec ModelWith(ModelSpec model, string activation)
        {
            if (model.Activation == activation)
                return model;
            ref var copy = ref CollectionsMarshal.GetValueRefOrAddDefault(models, (model, activation), out var exists);
            if (!exists)
                copy = model with { Activation = activation };
            return copy!;
        }

        public void Add(
            GridEntry<ModelSpec> model, GridEntry<RegularizerSpec> regularizer, GridEntry<OptimizerSpec> optimizer,
            string activation, int batchSize, int epochs, GridEntry<EarlyStoppingSpec?> earlyStopping, long seed, bool included)
        {
            var modelConfig = ModelWith(model.Value, activation);
            var trial = new TrialSpec(
                Id: ids.For(spec.Dataset, modelConfig, regularizer.Value, optimizer.Value, epochs, batchSize, seed, earlyStopping.Value),
                Sweep: spec.Name,
                Model: model.Name,
                Regularizer: regularizer.Name,
                Optimizer: optimizer.Name,
                Seed: seed,
                ModelConfig: modelConfig,
                RegularizerConfig: regularizer.Value,
                OptimizerConfig: optimizer.Value,
                Epochs: epochs,
                BatchSize: batchSize,
                InputLayer: spec.Training.InputLayer,
                Dataset: spec.Dataset)
            {
                EarlyStopping = earlyStopping.Value,
                EarlyStoppingLabel = earlyStopping.Name,
            };

            if (byId.TryAdd(trial.Id, trial))
            {
                Trials.Add(trial);
            }
            else if (included && byId[trial.Id] == trial)
            {
                // An included cell the grid already has: it is there once.
            }
            else if (reported.Add((CellLabel(byId[trial.Id]), CellLabel(trial))))
            {
                // Reported once per pair of cells, not once per seed.
                var first = byId[trial.Id];
                errors.Add(new SpecError(spec.SourceFile, 0, 0, "grid",
                    $"'{Label(trial)}' resolves to the same configuration as '{Label(first)}' (trial id {trial.Id}); " +
                    "give the entries different settings or remove one"));
            }
        }

        /// <summary>Model, regularizer and optimizer, then the scalar axes that differ from what a grid without them gives.</summary>
        private string CellLabel(TrialSpec trial)
        {
            var label = $"{trial.Model}/{trial.Regularizer}/{trial.Optimizer}";
            if (trial.Activation != Sweeps.Activations.Relu)
                label += $"/{trial.Activation}";
            if (trial.BatchSize != spec.Training.BatchSize)
                label += $"/batch {trial.BatchSize}";
            if (trial.Epochs != spec.Training.Epochs)
                label += $"/epochs {trial.Epochs}";
            if (trial.EarlyStoppingLabel != EarlyStoppingLabels.For(spec.Training.EarlyStopping))
                label += $"/early stopping {trial.EarlyStoppingLabel}";
            return label;
        }

        private string Label(TrialSpec trial) => $"{CellLabel(trial)}/seed {trial.Seed}";
    }

    /// <summary>An exclude pattern as one set of admitted indices per axis it names; null admits the whole axis.</summary>
    private sealed record Compiled(CellPattern Pattern, bool[]? Models, bool[]? Regularizers, bool[]? Optimizers,
        bool[]? Activations, bool[]? BatchSizes, bool[]? EpochCounts, bool[]? EarlyStopping, bool[]? Seeds)
    {
        public bool Matches(int m, int r, int o, int a, int b, int e, int x, int s) =>
            (Models?[m] ?? true) && (Regularizers?[r] ?? true) && (Optimizers?[o] ?? true) && (Activations?[a] ?? true) &&
            (BatchSizes?[b] ?? true) && (EpochCounts?[e] ?? true) && (EarlyStopping?[x] ?? true) && (Seeds?[s] ?? true);
    }

    private static Compiled Compile(CellPattern pattern, Grid grid, List<SpecError> errors)
    {
        var models = Admit(pattern, GridAxes.Model, grid.Models, (entry, label) => entry.Name == label);
        var activation = Label(pattern, GridAxes.Activation);
        if (activation is not null && grid.Spec.Activations.Count == 0)
        {
            // Not swept: the pattern's activation picks the models that have it.
            models ??= [.. grid.Models.Select(_ => true)];
            for (var m = 0; m < models.Length; m++)
                models[m] &= grid.Models[m].Value.Activation == activation;
        }

        var optimizers = Admit(pattern, GridAxes.Optimizer, grid.Optimizers, (entry, label) => entry.Name == label);
        if (Number(pattern, GridAxes.LearningRate, grid.Spec, errors) is { } rate)
        {
            optimizers ??= [.. grid.Optimizers.Select(_ => true)];
            for (var o = 0; o < optimizers.Length; o++)
                optimizers[o] &= grid.Optimizers[o].Value.LearningRate == rate;
        }

        CheckAxes(pattern, grid.Spec, errors);
        return new Compiled(
            pattern,
            models,
            Admit(pattern, GridAxes.Regularizer, grid.Regularizers, (entry, label) => entry.Name == label),
            optimizers,
            grid.Spec.Activations.Count > 0 ? Admit(pattern, GridAxes.Activation, grid.Activations, (value, label) => value == label) : null,
            AdmitNumber(GridAxes.BatchSize, grid.BatchSizes.Select(value => (double)value)),
            AdmitNumber(GridAxes.Epochs, grid.EpochCounts.Select(value => (double)value)),
            Admit(pattern, GridAxes.EarlyStopping, grid.EarlyStopping, (entry, label) => entry.Name == label),
            Seed(pattern, grid.Spec, errors) is { } seed ? [.. grid.Seeds.Select(value => value == seed)] : null);

        bool[]? AdmitNumber(string axis, IEnumerable<double> values) =>
            Number(pattern, axis, grid.Spec, errors) is { } number ? [.. values.Select(value => value == number)] : null;
    }

    private static bool[]? Admit<T>(CellPattern pattern, string axis, IReadOnlyList<T> values, Func<T, string, bool> matches) =>
        Label(pattern, axis) is { } label ? [.. values.Select(value => matches(value, label))] : null;

    private static string? Label(CellPattern pattern, string axis) => pattern.Axes.GetValueOrDefault(axis);

    /// <summary>A number in a pattern, compared as a number (<c>1e-3</c> is <c>0.001</c>); null when absent or unreadable.</summary>
    private static double? Number(CellPattern pattern, string axis, SweepSpec spec, List<SpecError> errors)
    {
        if (Label(pattern, axis) is not { } label)
            return null;
        if (double.TryParse(label, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) && double.IsFinite(value))
            return value;
        errors.Add(new SpecError(spec.SourceFile, pattern.Line, pattern.Column, $"grid.{axis}", $"expected a number, found '{label}'"));
        return null;
    }

    /// <summary>Seeds are 64-bit integers, compared exactly.</summary>
    private static long? Seed(CellPattern pattern, SweepSpec spec, List<SpecError> errors)
    {
        if (Label(pattern, GridAxes.Seed) is not { } label)
            return null;
        if (long.TryParse(label, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var seed))
            return seed;
        errors.Add(new SpecError(spec.SourceFile, pattern.Line, pattern.Column, "grid.seed", $"expected an integer, found '{label}'"));
        return null;
    }

    /// <summary>Patterns built by the parser name only known axes; one built otherwise is told so.</summary>
    private static void CheckAxes(CellPattern pattern, SweepSpec spec, List<SpecError> errors)
    {
        foreach (var axis in pattern.Axes.Keys.Where(axis => !Axes.Contains(axis)))
        {
            errors.Add(new SpecError(spec.SourceFile, pattern.Line, pattern.Column, "grid",
                $"unknown axis '{axis}' in a pattern; axes: {string.Join(", ", Axes)}"));
        }
    }

    private static readonly string[] Axes =
    [
        GridAxes.Model, GridAxes.Regularizer, GridAxes.Optimizer, GridAxes.LearningRate,
        GridAxes.Activation, GridAxes.BatchSize, GridAxes.Epochs, GridAxes.EarlyStopping, GridAxes.Seed,
    ];

    /// <summary>
    /// An exclude pattern that matches no cell is almost always a typo. The parser stores a pattern naming a declared
    /// entry once per entry it expanded into, all at one place: together they must match a cell.
    /// </summary>
    private static void ReportUnmatched(SweepSpec spec, List<Compiled> excludes, int[] hits, List<SpecError> errors)
    {
        var groups = excludes
            .Select((compiled, index) => (compiled.Pattern, Hits: hits[index], Key: WrittenAt(compiled.Pattern, index)))
            .GroupBy(x => x.Key);
        foreach (var group in groups.Where(group => group.All(x => x.Hits == 0)))
        {
            var pattern = group.First().Pattern;
            errors.Add(new SpecError(spec.SourceFile, pattern.Line, pattern.Column, "grid.exclude",
                $"{Describe(group.Select(x => x.Pattern))} matches no cell of the grid; check its names and values against the axes"));
        }
    }

    /// <summary><c>{model: bigger, regularizer: l2-0.1|l2-0.2}</c>: the pattern as written, its expanded names joined by '|'.</summary>
    private static string Describe(IEnumerable<CellPattern> patterns)
    {
        var axes = patterns.SelectMany(p => p.Axes).GroupBy(pair => pair.Key, pair => pair.Value);
        return "{" + string.Join(", ", axes.Select(axis => $"{axis.Key}: {string.Join('|', axis.Distinct())}")) + "}";
    }

    /// <summary>
    /// Adds the cells of one include pattern: its values crossed with every value of the axes it leaves out.
    /// Activation, batch size, epochs and seed may take values the axes do not have; the entry axes only their entries.
    /// The parser stores a pattern naming a declared entry once per entry it expanded into: together they must name one.
    /// </summary>
    private static void Include(IReadOnlyList<CellPattern> group, Grid grid, Cells cells, List<SpecError> errors)
    {
        var spec = grid.Spec;
        var first = group[0];
        var errorsBefore = errors.Count;
        // The members differ only in entry names, so a wrong value is reported once, for the first.
        var resolved = group.Select((pattern, index) => Resolve(pattern, grid, index == 0 ? errors : [])).ToList();
        if (resolved.All(cell => cell is null))
        {
            if (errors.Count == errorsBefore)
            {
                errors.Add(new SpecError(spec.SourceFile, first.Line, first.Column, "grid.include",
                    $"{Describe(group)} matches no entry of the grid; give names of grid.model, grid.regularizer and grid.optimizer entries, " +
                    "and a learning_rate one of the optimizers has"));
            }

            return;
        }

        foreach (var (models, regularizers, optimizers, activations, batchSizes, epochCounts, earlyStopping, seeds) in resolved.OfType<IncludeAxes>())
        foreach (var model in models)
        foreach (var regularizer in regularizers)
        foreach (var optimizer in optimizers)
        foreach (var activation in activations)
        foreach (var batchSize in batchSizes)
        foreach (var epochs in epochCounts)
        foreach (var stopping in earlyStopping)
        foreach (var seed in seeds)
            cells.Add(model, regularizer, optimizer, activation ?? model.Value.Activation, batchSize, epochs, stopping, seed, included: true);
    }

    /// <summary>The values an include pattern gives or leaves to the grid, axis by axis; null when it gives nothing to add.</summary>
    private sealed record IncludeAxes(
        IReadOnlyList<GridEntry<ModelSpec>> Models, IReadOnlyList<GridEntry<RegularizerSpec>> Regularizers,
        IReadOnlyList<GridEntry<OptimizerSpec>> Optimizers, IReadOnlyList<string?> Activations,
        IReadOnlyList<int> BatchSizes, IReadOnlyList<int> EpochCounts, IReadOnlyList<GridEntry<EarlyStoppingSpec?>> EarlyStopping,
        IReadOnlyList<long> Seeds);

    private static IncludeAxes? Resolve(CellPattern pattern, Grid grid, List<SpecError> errors)
    {
        var spec = grid.Spec;
        var errorsBefore = errors.Count;
        CheckAxes(pattern, spec, errors);
        var models = Pick(grid.Models, Label(pattern, GridAxes.Model), entry => entry.Name);
        var regularizers = Pick(grid.Regularizers, Label(pattern, GridAxes.Regularizer), entry => entry.Name);
        var optimizers = Pick(grid.Optimizers, Label(pattern, GridAxes.Optimizer), entry => entry.Name);
        var earlyStopping = Pick(grid.EarlyStopping, Label(pattern, GridAxes.EarlyStopping), entry => entry.Name);
        if (Number(pattern, GridAxes.LearningRate, spec, errors) is { } rate)
            optimizers = [.. optimizers.Where(entry => entry.Value.LearningRate == rate)];

        IReadOnlyList<string?> activations = grid.Activations;
        if (Label(pattern, GridAxes.Activation) is { } activation)
        {
            activations = [activation];
            if (!Sweeps.Activations.All.Contains(activation))
                Fail($"'{activation}' is not allowed; allowed values: {string.Join(", ", Sweeps.Activations.All)}");
        }

        var batchSizes = Count(GridAxes.BatchSize, grid.BatchSizes);
        var epochCounts = Count(GridAxes.Epochs, grid.EpochCounts);
        IReadOnlyList<long> seeds = grid.Seeds;
        if (Seed(pattern, spec, errors) is { } seed)
            seeds = [seed];

        return errors.Count == errorsBefore && models.Count > 0 && regularizers.Count > 0 && optimizers.Count > 0 && earlyStopping.Count > 0
            ? new IncludeAxes(models, regularizers, optimizers, activations, batchSizes, epochCounts, earlyStopping, seeds)
            : null;

        IReadOnlyList<int> Count(string axis, IReadOnlyList<int> values)
        {
            if (Number(pattern, axis, spec, errors) is not { } value)
                return values;
            if (value is >= 1 and <= int.MaxValue && value == Math.Floor(value))
                return [(int)value];
            Fail($"'{Label(pattern, axis)}' is out of range; allowed range: 1 to {int.MaxValue}");
            return [];
        }

        void Fail(string message) =>
            errors.Add(new SpecError(spec.SourceFile, pattern.Line, pattern.Column, $"grid.include", message));
    }

    /// <summary>The patterns the parser stored for one written pattern: same line and column. Built in code (line 0), each stands alone.</summary>
    private static IEnumerable<IReadOnlyList<CellPattern>> Written(IReadOnlyList<CellPattern> patterns) =>
        patterns
            .Select((pattern, index) => (Pattern: pattern, Key: WrittenAt(pattern, index)))
            .GroupBy(x => x.Key, x => x.Pattern)
            .Select(group => (IReadOnlyList<CellPattern>)[.. group]);

    private static (int, int) WrittenAt(CellPattern pattern, int index) =>
        pattern.Line > 0 ? (pattern.Line, pattern.Column) : (-index - 1, 0);

    private static IReadOnlyList<T> Pick<T>(IReadOnlyList<T> entries, string? label, Func<T, string> name) =>
        label is null ? entries : [.. entries.Where(entry => name(entry) == label)];
}
