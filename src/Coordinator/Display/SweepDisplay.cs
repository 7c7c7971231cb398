using System.Globalization;
using GridSweep.Coordinator.Results;
using GridSweep.Coordinator.Actors;
using GridSweep.Coordinator.Sweeps;
using GridSweep.Messages.Sweeps;
using GridSweep.Messages.Trials;
using GridSweep.Runtime.Progress;
using Spectre.Console;

namespace GridSweep.Coordinator.Display;

/// <summary>
/// The console side of a run: live progress bars on a terminal, one plain line per event when the output
/// is redirected (CI logs, <c>tee</c>) or <c>--plain</c> is given.
/// </summary>
public abstract class SweepDisplay
{
    private Func<TrialSpec, string> cell = trial => $"{trial.Model}/{trial.Regularizer}";

    /// <param name="trials">The sweep's trials: the axes on which they differ beside model and regularizer
    /// (optimizer and learning rate, activation, batch size, epochs, early stopping) are added to every trial's label.</param>
    public static SweepDisplay Create(bool plain, IReadOnlyList<TrialSpec> trials)
    {
        SweepDisplay display;
        if (!plain && AnsiConsole.Profile.Capabilities.Interactive && !System.Console.IsOutputRedirected)
        {
            display = new LiveDisplay();
        }
        else
        {
            // Logs have no width; Spectre would assume 80 columns and fold the summary table.
            AnsiConsole.Profile.Width = Math.Max(AnsiConsole.Profile.Width, 160);
            display = new PlainDisplay();
        }
        display.cell = CellLabel(trials);
        return display;
    }

    /// <summary>
    /// <c>model/regularizer</c>, then the labels of the other axes that the sweep varies, so two trials of one
    /// model and regularizer that differ only in learning rate never read alike: <c>bigger/none/adam-lr0.01/tanh/batch 32</c>.
    /// </summary>
    internal static Func<TrialSpec, string> CellLabel(IReadOnlyList<TrialSpec> trials)
    {
        var varying = SweptAxes.Varying(trials, ("optimizer", t => t.Optimizer), ("activation", t => t.Activation),
            ("batch size", t => $"batch {t.BatchSize.ToString(CultureInfo.InvariantCulture)}"),
            ("epochs", t => $"{t.Epochs.ToString(CultureInfo.InvariantCulture)} epochs"),
            ("early stopping", t => $"early stopping {t.EarlyStoppingLabel}"));
        return varying.Count == 0
            ? trial => $"{trial.Model}/{trial.Regularizer}"
            : trial => string.Join('/', varying.Select(axis => axis.Label(trial)).Prepend(trial.Regularizer).Prepend(trial.Model));
    }

    public void Note(string markup) => AnsiConsole.MarkupLine(markup);

    public abstract Task<T> LoadDataAsync<T>(Func<IProgress<DataProgress>, Task<T>> load);

    public abstract T Track<T>(Func<ISweepObserver, T> work);

    /// <summary>"ledger: SQLite runs/x/ledger.db; 12 trials finished before", what the grid gained and lost, attempts still out.</summary>
    public static IEnumerable<string> DescribeLedger(string ledger, GridChange? change, int finished, int stillOut)
    {
        yield return $"ledger: {ledger}; {finished} trial(s) finished before";
        if (change is not null)
        {
            static string Some(IReadOnlyList<string> ids) => string.Join(", ", ids.Take(5)) + (ids.Count > 5 ? $" and {ids.Count - 5} more" : "");
            var parts = new List<string>();
            if (change.Added.Count > 0)
                parts.Add($"{change.Added.Count} trial(s) added ({Some(change.Added)}), trained now");
            if (change.Removed.Count > 0)
                parts.Add($"{change.Removed.Count} removed ({Some(change.Removed)}), kept in the ledger but left out of counts, report and exports");
            yield return $"the sweep file changed since the ledger last saw it: {string.Join("; ", parts)}";
        }
        if (stillOut > 0)
            yield return $"{stillOut} attempt(s) were still out: their trainers' results are adopted when they come back";
    }

    public void Summary(SweepFinished outcome, string folder)
    {
        var regression = outcome.Finished.Any(f => f.Trial.Task == LearningTask.Regression);
        var anyStopped = outcome.Finished.Any(f => f.Summary.StoppedEarly);
        var table = new Table().Border(TableBorder.Simple)
            .AddColumns("trial", "model", "regularizer", "seed", "status", "best epoch", "best val loss", "final val loss", "final gap",
                regression ? "best val MAE" : "best val acc", "seconds");
        if (anyStopped)
            table.AddColumn("stopped epoch");
        foreach (var (trial, summary) in outcome.Finished.OrderBy(f => double.IsNaN(f.Summary.BestValLoss) ? double.MaxValue : f.Summary.BestValLoss))
        {
            string[] cells =
            [
                trial.Id, Markup.Escape(trial.Model), Markup.Escape(trial.Regularizer), trial.Seed.ToString(CultureInfo.InvariantCulture),
                RunFolder.StatusName(summary.Status), summary.BestEpoch.ToString(CultureInfo.InvariantCulture),
                Format(summary.BestValLoss), Format(summary.FinalValLoss), Format(summary.FinalGap), Format(BestMetric(trial, summary)),
                summary.Seconds.ToString("F1", CultureInfo.InvariantCulture),
            ];
            table.AddRow(anyStopped ? [.. cells, summary.StoppedEarly ? summary.StoppedEpoch.ToString(CultureInfo.InvariantCulture) : ""] : cells);
        }
        if (outcome.Finished.Count > 0)
            AnsiConsole.Write(table);
        AnsiConsole.MarkupLine(
            $"{outcome.Completed} completed, {outcome.Diverged} diverged, {outcome.Failed} failed, {outcome.Skipped} already done " +
            $"of {outcome.Total}; results in [bold]{Markup.Escape(folder)}[/] ({RunFolder.EpochsFile}, {RunFolder.TrialsFile})");
    }

    protected string Label(TrialSpec trial) => $"{cell(trial)} seed {trial.Seed}";

    protected static string Format(double value) => value.ToString("F4", CultureInfo.InvariantCulture);

    /// <summary>One epoch in one line; the metric follows the task: val_acc, or val_mae for regression.</summary>
    protected static string Describe(TrialSpec trial, EpochMetrics m) =>
        $"epoch {m.Epoch}/{trial.Epochs} train_loss {Format(m.TrainLoss)} val_loss {Format(m.ValLoss)} " +
        (trial.Task == LearningTask.Regression ? $"val_mae {Format(m.ValMae)}" : $"val_acc {Format(m.ValAccuracy)}") +
        $" {m.Seconds.ToString("F2", CultureInfo.InvariantCulture)}s";

    /// <summary>The task's metric at its best: the highest accuracy, or the lowest MAE for regression.</summary>
    protected static double BestMetric(TrialSpec trial, TrialSummary summary) =>
        trial.Task == LearningTask.Regression ? summary.BestValMae : summary.BestValAccuracy;

    protected static string DescribeBest(TrialSpec trial, TrialSummary summary) =>
        $"best val_loss {Format(summary.BestValLoss)}, best {(trial.Task == LearningTask.Regression ? "val_mae" : "val_acc")} {Format(BestMetric(trial, summary))}";

    /// <summary>", stopped early at epoch 5: val_loss did not improve ..." for a trial early stopping ended; empty otherwise.</summary>
    protected static string DescribeStop(TrialSummary summary) =>
        summary.StoppedEarly ? $", stopped early at epoch {summary.StoppedEpoch}: {summary.StopReason}" : "";

    private sealed class PlainDisplay : SweepDisplay, ISweepObserver
    {
        private readonly Dictionary<string, string> numbers = [];

        public override async Task<T> LoadDataAsync<T>(Func<IProgress<DataProgress>, Task<T>> load)
        {
            var lastStage = "";
            var lastTenth = -1L;
            var progress = new Progress<DataProgress>(p =>
            {
                var tenth = p.Total > 0 ? p.Done * 10 / p.Total : 0;
                if (p.Stage == lastStage && tenth == lastTenth)
                    return;
                (lastStage, lastTenth) = (p.Stage, tenth);
                System.Console.WriteLine(p.Total > 0 ? $"data: {p.Stage} {tenth * 10}%" : $"data: {p.Stage}");
            });
            return await load(progress);
        }

        public override T Track<T>(Func<ISweepObserver, T> work) => work(this);

        public void TrialStarted(TrialSpec trial, int number, int total, string node)
        {
            numbers[trial.Id] = $"[{number}/{total}]";
            System.Console.WriteLine($"{numbers[trial.Id]} {trial.Id} {Label(trial)} started on {node}");
        }

        public void TrialResumed(TrialSpec trial, int afterEpoch, string node) =>
            System.Console.WriteLine($"{numbers.GetValueOrDefault(trial.Id)} {trial.Id} {Label(trial)} resumed on {node} from its checkpoint after epoch {afterEpoch}/{trial.Epochs}");

        public void EpochFinished(TrialSpec trial, EpochMetrics metrics) =>
            System.Console.WriteLine($"{numbers.GetValueOrDefault(trial.Id)} {trial.Id} {Label(trial)} {Describe(trial, metrics)}");

        public void TrialFinished(TrialSpec trial, TrialSummary summary) =>
            System.Console.WriteLine($"{numbers.GetValueOrDefault(trial.Id)} {trial.Id} {Label(trial)} {RunFolder.StatusName(summary.Status)}: " +
                $"best epoch {summary.BestEpoch}, {DescribeBest(trial, summary)}{DescribeStop(summary)}" +
                (summary.Error is null ? "" : $" ({summary.Error})"));

        public void TrialRequeued(TrialSpec trial, string reason) =>
            System.Console.WriteLine($"{numbers.GetValueOrDefault(trial.Id)} {trial.Id} {Label(trial)} queued again: {reason}");

        public void LedgerOpened(string ledger, GridChange? change, int finished, int stillOut)
        {
            foreach (var line in DescribeLedger(ledger, change, finished, stillOut))
                System.Console.WriteLine(line);
        }

        public void TrialAdopted(TrialSpec trial, int atEpoch, string node) =>
            System.Console.WriteLine($"{numbers.GetValueOrDefault(trial.Id)} {trial.Id} {Label(trial)} adopted on {node} at epoch {atEpoch}/{trial.Epochs}");
    }

    private sealed class LiveDisplay : SweepDisplay
    {
        private static Progress Bars() => AnsiConsole.Progress()
            .AutoClear(true)
            .HideCompleted(true)
            .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(), new PercentageColumn(),
                new ElapsedTimeColumn(), new RemainingTimeColumn());

        public override Task<T> LoadDataAsync<T>(Func<IProgress<DataProgress>, Task<T>> load) =>
            Bars().StartAsync(async context =>
            {
                var tasks = new Dictionary<string, ProgressTask>();
                var progress = new Progress<DataProgress>(p =>
                {
                    if (!tasks.TryGetValue(p.Stage, out var task))
                    {
                        foreach (var earlier in tasks.Values)
                            earlier.StopTask();
                        tasks[p.Stage] = task = context.AddTask($"data: {p.Stage}", maxValue: Math.Max(1, p.Total));
                        if (p.Total <= 0)
                            task.IsIndeterminate = true;
                    }
                    if (p.Total > 0)
                    {
                        task.MaxValue = p.Total;
                        task.Value = p.Done;
                    }
                });
                return await load(progress);
            });

        public override T Track<T>(Func<ISweepObserver, T> work) =>
            Bars().Start(context => work(new Observer(context, Label)));

        private sealed class Observer(ProgressContext context, Func<TrialSpec, string> Label) : ISweepObserver
        {
            private readonly Dictionary<string, ProgressTask> running = [];
            private ProgressTask? sweep;

            public void TrialStarted(TrialSpec trial, int number, int total, string node)
            {
                sweep ??= context.AddTask("sweep", maxValue: total);
                sweep.Description = $"sweep: {total} trials";
                if (running.Remove(trial.Id, out var earlier))
                    earlier.StopTask();
                running[trial.Id] = context.AddTask(Markup.Escape($"{Label(trial)} on {node}"), maxValue: trial.Epochs);
            }

            public void TrialResumed(TrialSpec trial, int afterEpoch, string node)
            {
                if (running.TryGetValue(trial.Id, out var task))
                    task.Value = afterEpoch;
                AnsiConsole.MarkupLine(Markup.Escape($"{trial.Id} {Label(trial)} resumed on {node} from its checkpoint after epoch {afterEpoch}/{trial.Epochs}"));
            }

            public void EpochFinished(TrialSpec trial, EpochMetrics metrics)
            {
                if (!running.TryGetValue(trial.Id, out var task))
                    return;
                task.Value = metrics.Epoch;
                task.Description = Markup.Escape($"{Label(trial)}: {Describe(trial, metrics)}");
            }

            public void LedgerOpened(string ledger, GridChange? change, int finished, int stillOut)
            {
                foreach (var line in DescribeLedger(ledger, change, finished, stillOut))
                    AnsiConsole.MarkupLine(Markup.Escape(line));
            }

            public void TrialAdopted(TrialSpec trial, int atEpoch, string node) =>
                AnsiConsole.MarkupLine(Markup.Escape($"{trial.Id} {Label(trial)} adopted on {node} at epoch {atEpoch}/{trial.Epochs}"));

            public void TrialRequeued(TrialSpec trial, string reason)
            {
                if (running.Remove(trial.Id, out var task))
                    task.StopTask();
                AnsiConsole.MarkupLine(Markup.Escape($"{trial.Id} {Label(trial)} queued again: {reason}"));
            }

            public void TrialFinished(TrialSpec trial, TrialSummary summary)
            {
                if (running.Remove(trial.Id, out var task))
                    task.StopTask();
                sweep?.Increment(1);
                var colour = summary.Status switch { TrialStatus.Completed => "green", TrialStatus.Diverged => "yellow", _ => "red" };
                AnsiConsole.MarkupLine(Markup.Escape($"{trial.Id} {Label(trial)}: ") +
                    $"[{colour}]{RunFolder.StatusName(summary.Status)}[/]" +
                    Markup.Escape($", best epoch {summary.BestEpoch}, {DescribeBest(trial, summary)}, final gap {Format(summary.FinalGap)}{DescribeStop(summary)}" +
                        (summary.Error is null ? "" : $" ({summary.Error})")));
            }
        }
    }
}
