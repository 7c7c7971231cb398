using System.Globalization;
using GridSweep.Messages.Sweeps;

namespace GridSweep.Runtime.Trials;

/// <summary>
/// A trial's label on every grid axis and its task, as text: the values of the CSV columns and InfluxDB tags
/// of the same names, so a results file and a dashboard filter agree on what a cell is called.
/// </summary>
public static class TrialLabels
{
    /// <summary>The task's name as a sweep file writes it: binary, multiclass or regression.</summary>
    public const string TaskColumn = "task";

    public static string Task(LearningTask task) => task switch
    {
        LearningTask.Binary => "binary",
        LearningTask.Multiclass => "multiclass",
        LearningTask.Regression => "regression",
        _ => throw new ArgumentOutOfRangeException(nameof(task), task, null),
    };

    /// <summary>The shortest text that reads back as the same rate, as the sweep file's labels write it (0.001, 1E-05).</summary>
    public static string LearningRate(TrialSpec trial) =>
        (trial.OptimizerConfig.LearningRate == 0 ? 0.0 : trial.OptimizerConfig.LearningRate).ToString("R", CultureInfo.InvariantCulture);

    /// <summary>
    /// The axes that were not labels before issue 9, in column order: optimizer, learning_rate, activation,
    /// batch_size, epochs, task.
    /// </summary>
    public static IReadOnlyList<(string Name, string Label)> NewAxes(TrialSpec trial) =>
    [
        (GridAxes.Optimizer, trial.Optimizer),
        (GridAxes.LearningRate, LearningRate(trial)),
        (GridAxes.Activation, trial.Activation),
        (GridAxes.BatchSize, trial.BatchSize.ToString(CultureInfo.InvariantCulture)),
        (GridAxes.Epochs, trial.Epochs.ToString(CultureInfo.InvariantCulture)),
        (TaskColumn, Task(trial.Task)),
    ];

    /// <summary>
    /// The trial's label on the early-stopping axis, as a column of its own after the metrics (added with issue 10):
    /// a <c>grid.early_stopping</c> entry's name, <c>on</c> for <c>training.early_stopping</c>, <c>none</c> without.
    /// </summary>
    public static (string Name, string Label) EarlyStopping(TrialSpec trial) => (GridAxes.EarlyStopping, trial.EarlyStoppingLabel);

    /// <summary>True when the task's metric is accuracy (classification); false when it is mean absolute error.</summary>
    public static bool MeasuresAccuracy(LearningTask task) => task != LearningTask.Regression;
}
