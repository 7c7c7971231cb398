using GridSweep.Coordinator.Results;
using GridSweep.Messages.Sweeps;
using GridSweep.Messages.Trials;
using System.Globalization;
using SkiaSharp;

namespace GridSweep.Coordinator.Tests.Reports;

/// <summary>
/// A small run folder written through the real <see cref="RunFolder"/> writer: 2 models x 2 regularizers x
/// 2 seeds over 6 epochs, with one diverged trial (nan from epoch 4) and one failed trial.
/// </summary>
internal static class SampleRun
{
    public const string Name = "sample-sweep";
    public const string DivergedId = "small-l2-s1";
    public const string FailedId = "small-l2-s2";

    /// <summary>Trial id, model, regularizer, seed, epoch of lowest validation loss, that lowest loss.</summary>
    private static readonly (string Id, string Model, string Regularizer, int Seed, int Best, double Floor)[] Completed =
    [
        ("base-none-s1", "baseline", "none", 1, 2, 0.300),
        ("base-none-s2", "baseline", "none", 2, 2, 0.310),
        ("base-l2-s1", "baseline", "l2", 1, 3, 0.280),
        ("base-l2-s2", "baseline", "l2", 2, 5, 0.286),
        ("small-none-s1", "smaller", "none", 1, 4, 0.290),
        ("small-none-s2", "smaller", "none", 2, 5, 0.295),
    ];

    public static string[] CompletedIds => Completed.Select(t => t.Id).ToArray();

    /// <summary>Writes the sample into <c>&lt;parent&gt;/sample-sweep/</c> and returns that folder.</summary>
    public static string Create(string parent)
    {
        var folder = Path.Combine(parent, Name);
        using var run = RunFolder.Open(folder);
        foreach (var (id, model, regularizer, seed, best, floor) in Completed)
        {
            var epochs = Enumerable.Range(1, 6)
                .Select(e => new EpochMetrics(e, 0.6 / e, 0, floor + 0.02 * (e - best) * (e - best), 0.7 + 0.02 * e, 0.8 + 0.01 * e, 0.5))
                .ToList();
            Write(run, Trial(id, model, regularizer, seed), epochs, TrialStatus.Completed);
        }

        var diverged = Enumerable.Range(1, 4)
            .Select(e => new EpochMetrics(e, e < 4 ? 0.5 / e : double.NaN, 0.01, e < 4 ? 0.45 - 0.03 * e : double.NaN, 0.7, 0.75, 0.5))
            .ToList();
        Write(run, Trial(DivergedId, "smaller", "l2", 1), diverged, TrialStatus.Diverged);

        var failed = Enumerable.Range(1, 2).Select(e => new EpochMetrics(e, 0.5, 0.01, 0.5, 0.7, 0.75, 0.5)).ToList();
        Write(run, Trial(FailedId, "smaller", "l2", 2), failed, TrialStatus.Failed, "out of memory, \"twice\"");
        return folder;
    }

    public const string RegressionName = "sample-regression";

    /// <summary>
    /// A regression run: 2 models x 2 learning rates (Adam at 0.001 and 0.01), one seed, 5 epochs, the MAE
    /// lowest at a different epoch per trial; no accuracy, as a regression trainer reports.
    /// </summary>
    public static string CreateRegression(string parent)
    {
        var folder = Path.Combine(parent, RegressionName);
        using var run = RunFolder.Open(folder);
        var index = 0;
        foreach (var model in new[] { "baseline", "bigger" })
        {
            foreach (var rate in new[] { 0.001, 0.01 })
            {
                index++;
                var best = 1 + index;
                var epochs = Enumerable.Range(1, 5)
                    .Select(e => new EpochMetrics(e, 30.0 / e, 0, 9 + (e - best) * (e - best), double.NaN, double.NaN, 0.2,
                        TrainMae: 4.0 / e, ValMae: RegressionMae(index, e)))
                    .ToList();
                var trial = new TrialSpec($"reg-{index}", RegressionName, model, "none", $"adam-lr{rate.ToString(CultureInfo.InvariantCulture)}", 1,
                    new ModelSpec([64, 64]), RegularizerSpec.None, new OptimizerSpec("adam", rate), 5, 32, InputLayer.Dense,
                    new DatasetSpec(DatasetNames.Csv, 0, Path: "/data/housing.csv", Target: "MEDV", DeclaredTask: LearningTask.Regression));
                Write(run, trial, epochs, TrialStatus.Completed);
            }
        }
        return folder;
    }

    /// <summary>Validation MAE of regression trial <paramref name="index"/> (1 to 4) at <paramref name="epoch"/>: lowest, 2 + index / 4, at epoch 1 + index.</summary>
    public static double RegressionMae(int index, int epoch) => 2 + index / 4.0 + 0.1 * (epoch - 1 - index) * (epoch - 1 - index);

    private static void Write(RunFolder run, TrialSpec trial, List<EpochMetrics> epochs, TrialStatus status, string? error = null)
    {
        foreach (var epoch in epochs)
            run.AppendEpoch(trial, epoch);
        run.AppendTrial(trial, TrialSummary.From(status, epochs, 3.0, error));
    }

    private static TrialSpec Trial(string id, string model, string regularizer, int seed) => new(
        id, Name, model, regularizer, "adam", seed, new ModelSpec([16, 16]), RegularizerSpec.None,
        new OptimizerSpec("adam", 0.001), 6, 512, InputLayer.Sparse, new DatasetSpec("imdb", 10000));

    /// <summary>The rows of the folder's trials.csv, read the way the report reads them.</summary>
    public static List<Dictionary<string, string>> TrialRows(string folder) =>
        RunFolder.ReadRows(Path.Combine(folder, RunFolder.TrialsFile), RunFolder.TrialColumns);

    /// <summary>How many different colours a picture has: a blank or single-colour image has one or two.</summary>
    public static int DistinctColors(SKBitmap bitmap)
    {
        var colors = new HashSet<uint>();
        for (var y = 0; y < bitmap.Height; y += 2)
        {
            for (var x = 0; x < bitmap.Width; x += 2)
                colors.Add((uint)bitmap.GetPixel(x, y));
        }
        return colors.Count;
    }

    /// <summary>Pixels close to a colour (each channel within 24): how much of a series colour was drawn.</summary>
    public static int PixelsNear(SKBitmap bitmap, SKColor color, int top = 0, int bottom = int.MaxValue)
    {
        var count = 0;
        for (var y = top; y < Math.Min(bottom, bitmap.Height); y++)
        {
            for (var x = 0; x < bitmap.Width; x++)
            {
                var pixel = bitmap.GetPixel(x, y);
                if (Math.Abs(pixel.Red - color.Red) < 24 && Math.Abs(pixel.Green - color.Green) < 24 && Math.Abs(pixel.Blue - color.Blue) < 24)
                    count++;
            }
        }
        return count;
    }
}
