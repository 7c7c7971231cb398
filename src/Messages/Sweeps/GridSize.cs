using System.Globalization;
using YamlDotNet.RepresentationModel;

namespace GridSweep.Messages.Sweeps;

/// <summary>
/// How many trials a grid may declare, and how the user raises it (named in the refusal). Checked before the grid's
/// entries are read or expanded, so a grid of a billion cells is refused in the time it takes to load the file.
/// </summary>
/// <param name="RaiseWith">The flag or setting that raises it, as the message should name it.</param>
public sealed record TrialLimit(long MaxTrials, string RaiseWith)
{
    public const long DefaultMaxTrials = 1_000_000;

    public static readonly TrialLimit Default = new(DefaultMaxTrials, "--max-trials");
}

/// <summary>
/// The trials a sweep file declares, axis by axis, counted from the YAML before anything is expanded: a list counts its
/// items, an entry whose settings list values counts the product of their lengths, the learning-rate list multiplies
/// the optimizers. The product is of the axes, before <c>exclude</c> and <c>include</c>; repeated values (an error
/// the parser reports later) count too.
/// </summary>
/// <param name="Axes">Each axis the grid declares, <c>model</c> first and <c>seed</c> last (they always count).</param>
public sealed record GridSize(IReadOnlyList<(string Axis, long Count)> Axes)
{
    /// <summary>The product of the axes, saturating at <see cref="long.MaxValue"/>.</summary>
    public long Trials => Axes.Aggregate(1L, (product, axis) => Multiply(product, axis.Count));

    /// <summary><c>model 1 x learning_rate 1,001 x batch_size 1,000 x seed 1</c>.</summary>
    public override string ToString() =>
        string.Join(" x ", Axes.Select(axis => $"{axis.Axis} {axis.Count.ToString("N0", CultureInfo.InvariantCulture)}"));

    private static readonly string[] RegularizerLists = ["l1", "l2", "dropout"];
    private static readonly string[] OptimizerLists = ["learning_rate", "beta_1", "beta_2", "epsilon", "momentum", "rho"];
    private static readonly string[] EarlyStoppingLists = ["min_delta", "patience", "start_from_epoch"];

    /// <summary>Counts the grid of a loaded sweep file; a part that is missing or misshapen counts 1 (the parser reports it).</summary>
    internal static GridSize Of(YamlNode root)
    {
        var grid = Child(root, "grid");
        var axes = new List<(string, long)> { (GridAxes.Model, Child(grid, GridAxes.Model) is YamlMappingNode models ? models.Children.Count : 1) };
        AddEntries(GridAxes.Regularizer, RegularizerLists);
        AddEntries(GridAxes.Optimizer, OptimizerLists);
        foreach (var axis in new[] { GridAxes.LearningRate, GridAxes.Activation, GridAxes.BatchSize, GridAxes.Epochs })
        {
            if (Child(grid, axis) is { } list)
                axes.Add((axis, Items(list)));
        }
        AddEntries(GridAxes.EarlyStopping, EarlyStoppingLists);
        axes.Add((GridAxes.Seed, Child(Child(root, "training"), "seeds") is { } seeds ? Items(seeds) : 1));
        return new GridSize(axes);

        void AddEntries(string axis, string[] lists)
        {
            if (Child(grid, axis) is not YamlMappingNode entries)
                return;
            // An entry with lists stands for the product of their lengths (elastic: {l1: [a, b], l2: [c, d]} is 4).
            long count = 0;
            foreach (var settings in entries.Children.Values)
                count = Math.Min(long.MaxValue - 1, count) + lists.Aggregate(1L, (product, key) => Multiply(product, Items(Child(settings, key))));
            axes.Add((axis, Math.Max(1, count)));
        }
    }

    private static long Multiply(long a, long b) => a == 0 || b == 0 ? 0 : a > long.MaxValue / b ? long.MaxValue : a * b;

    private static long Items(YamlNode? node) => node is YamlSequenceNode list ? Math.Max(1, list.Children.Count) : 1;

    private static YamlNode? Child(YamlNode? node, string key) =>
        node is YamlMappingNode mapping && mapping.Children.TryGetValue(new YamlScalarNode(key), out var child) ? child : null;
}
