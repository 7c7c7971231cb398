using System.Text.RegularExpressions;
using GridSweep.Coordinator.Actors;
using GridSweep.Coordinator.Commands;
using GridSweep.Messages.Protocol;
using GridSweep.Coordinator.Display;
using GridSweep.Messages.Sweeps;
using GridSweep.Messages.Trials;
using Spectre.Console;

namespace GridSweep.Coordinator.Tests.Display;

/// <summary>What a big sweep shows on an 80-column terminal: the end-of-run table and the live progress rows.</summary>
public sealed partial class SummaryDisplaySpecs
{
    private static (IAnsiConsole Console, StringWriter Text) Console80(bool interactive = false)
    {
        var text = new StringWriter();
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(text),
            Ansi = interactive ? AnsiSupport.Yes : AnsiSupport.No,
            ColorSystem = ColorSystemSupport.NoColors,
            Interactive = interactive ? InteractionSupport.Yes : InteractionSupport.No,
        });
        console.Profile.Width = 80;
        return (console, text);
    }

    private static TrialSpec Trial(int i) => new($"trial-with-a-long-name-{i:D5}", "big", "baseline-with-a-long-name", "dropout-and-l2", "adam-lr0.001", i,
        new ModelSpec([16]), RegularizerSpec.None, new OptimizerSpec("adam", 0.001), 5, 512, InputLayer.Sparse, new DatasetSpec("imdb", 10000));

    [Fact]
    public void The_summary_of_a_big_sweep_lists_the_best_trials_in_rows_that_fit_80_columns()
    {
        var finished = Enumerable.Range(1, 500).Select(i =>
        {
            var epochs = Enumerable.Range(1, 5).Select(e => new EpochMetrics(e, 0.5 / e, 0, 0.3 + (i % 97) / 1000.0 + 0.01 * (e - 3) * (e - 3), 0.8, 0.85, 1)).ToList();
            return (Trial(i), TrialSummary.From(TrialStatus.Completed, epochs, 5));
        }).ToList();
        var (console, text) = Console80();

        SweepDisplay.Summary(console, new SweepFinished("big", 500, 0, 500, 0, 0, finished), "runs/big");

        var lines = text.ToString().Split('\n').Select(l => l.TrimEnd()).Where(l => l.Length > 0).ToList();
        Assert.All(lines, line => Assert.True(line.Length <= 80, $"{line.Length} characters: {line}"));
        var rows = lines.Where(l => l.Contains("trial-with-a-long-name-", StringComparison.Ordinal)).ToList();
        Assert.Equal(SweepDisplay.SummaryRows, rows.Count);
        // The lowest loss first: i % 97 == 0 at i = 97, 194, ...
        Assert.StartsWith("trial-with-a-long-name-00097", rows[0].Trim());
        Assert.Contains(lines, l => l.Contains("the 20 lowest validation losses of 500 trials", StringComparison.Ordinal));
        Assert.Contains("500 completed, 0 diverged, 0 failed", text.ToString());
    }

    [Fact]
    public void A_progress_row_keeps_its_bar_percentage_and_times_on_one_line_at_80_columns()
    {
        var (console, text) = Console80(interactive: true);

        SweepDisplay.Bars(console).Start(context =>
        {
            var task = context.AddTask(Markup.Escape(new string('x', 150) + " [with brackets]"), maxValue: 10);
            task.Value = 4;
            context.Refresh();
        });

        var frames = AnsiCodes().Replace(text.ToString(), "\n").Split('\n').Where(l => l.Contains('%')).ToList();
        Assert.NotEmpty(frames);
        foreach (var line in frames)
        {
            Assert.True(line.TrimEnd().Length <= 80, $"{line.TrimEnd().Length} characters: {line}");
            Assert.Contains("…", line);
            Assert.Contains("40%", line);
            Assert.Matches("━{4,}", line); // the bar
            Assert.Matches(@"(\d\d|--):(\d\d|--):(\d\d|--)", line); // the remaining time, not folded one character a line
        }
    }

    [Fact]
    public void Status_of_a_100000_trial_sweep_on_100_nodes_keeps_its_counts_line_and_its_node_rows_read_at_80_columns()
    {
        var nodes = Enumerable.Range(1, 100)
            .Select(i => new NodeStatus($"trainer-{i}.trainer.gridsweep.svc.cluster.local-{i:D3}", "cuda:0", 10, 10, 970 + i, i % 3)).ToList();
        var status = new SweepStatusResponse("imdb-overfitting-learning-rates", 100_000, 1_000, 1_000, 97_000, 500, 500, nodes,
            new BestTrial("bigger-l2-lr0.003123-s2", "bigger", "l2", 4, 0.28114, "val_accuracy", 0.8841));
        var (console, text) = Console80();

        StatusCommand.Print(console, status);

        var text80 = text.ToString();
        // The counts and the best trial as scripts read them, each on one line (a console wider than 80 columns shows them
        // unbroken; this one folds them at spaces, so they are found with the folds taken out).
        var unfolded = string.Join(' ', text80.Split('\n').Select(l => l.Trim()));
        Assert.Contains("sweep imdb-overfitting-learning-rates: 100000 trials, 1000 queued, 1000 running, 97000 completed, 500 diverged, 500 failed", unfolded);
        Assert.Contains("best so far: bigger / l2 (bigger-l2-lr0.003123-s2), val_loss 0.2811 at epoch 4, val_accuracy 0.8841", unfolded);
        var rows = text80.Split('\n').Select(l => l.TrimEnd()).Where(l => l.Contains("trainer-", StringComparison.Ordinal) && l.Contains("cuda:0", StringComparison.Ordinal)).ToList();
        Assert.Equal(100, rows.Count);
        Assert.All(rows, row => Assert.True(row.Length <= 80, $"{row.Length} characters: {row}"));
    }

    [Fact]
    public void Live_a_big_sweep_prints_a_line_only_for_each_new_best_and_every_line_fits_80_columns()
    {
        var trials = Enumerable.Range(1, 300).Select(i => Trial(i) with { Id = $"t{i}", Model = "m", Regularizer = "r" }).ToList();
        var losses = trials.Select((_, i) => 0.5 - (i * 37 % 101) / 1000.0).ToList();
        var newBests = losses.Select((loss, i) => losses.Take(i).All(earlier => loss < earlier)).Count(b => b);
        var (console, text) = Console80(interactive: true);

        SweepDisplay.Live(console, trials).Track(observer =>
        {
            for (var i = 0; i < trials.Count; i++)
            {
                var epochs = new List<EpochMetrics> { new(1, 0.5, 0, losses[i] + 0.1, 0.8, 0.85, 1), new(2, 0.4, 0, losses[i], 0.8, 0.85, 1) };
                observer.TrialStarted(trials[i], i + 1, trials.Count, "node-1");
                foreach (var epoch in epochs)
                    observer.EpochFinished(trials[i], epoch);
                observer.TrialFinished(trials[i], TrialSummary.From(TrialStatus.Completed, epochs, 1));
            }
            return 0;
        });

        var lines = AnsiCodes().Replace(text.ToString(), "\n").Split('\n').Select(l => l.TrimEnd()).Where(l => l.Length > 0).ToList();
        Assert.All(lines, line => Assert.True(line.Length <= 80, $"{line.Length} characters: {line}"));
        // A printed line wraps past 80 columns; its start, "t12 m/r seed 12: completed, best", stays on the first.
        Assert.Equal(newBests, lines.Count(l => l.Contains(": completed, best", StringComparison.Ordinal)));
        Assert.InRange(newBests, 2, 20);
    }

    [Fact]
    public void The_sweep_row_of_a_big_sweep_counts_its_trials_and_names_each_new_best()
    {
        var tally = new SweepDisplay.SweepTally { Total = 100_000 };
        TrialSummary Ended(TrialStatus status, double loss) =>
            TrialSummary.From(status, [new EpochMetrics(1, 0.5, 0, loss, 0.8, 0.85, 1)], 1);

        var news = new[] { Ended(TrialStatus.Completed, 0.31), Ended(TrialStatus.Completed, 0.35), Ended(TrialStatus.Diverged, 0.4), Ended(TrialStatus.Completed, 0.2811) }
            .Select(tally.Add).ToList();

        Assert.Equal([true, false, false, true], news);
        Assert.Equal("4/100,000 done, best 0.2811, 1,000 running, 1 diverged", tally.Describe(1_000));
        // At 80 columns the whole row is left room beside the bar, percentage and remaining time.
        Assert.Equal(tally.Describe(1_000), SweepDisplay.Fit(tally.Describe(1_000), 80));
    }

    [GeneratedRegex(@"\x1b\[[0-9;?]*[A-Za-z]|\r")]
    private static partial Regex AnsiCodes();
}
