using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace GridSweep.Messages.Sweeps;

/// <summary>
/// Stable trial ids: a hash of everything that changes what a trial learns, and nothing else. Labels, the sweep
/// name, the input layer and the device are left out, so renaming an entry or moving to a GPU keeps the id and the
/// results already recorded under it. The canonical text is versioned: changing it changes every id.
/// </summary>
public static class TrialId
{
    /// <summary>Length in lowercase hex characters: 48 bits, ample for the trials of a grid.</summary>
    public const int Length = 12;

    /// <summary>The id of an expanded trial; its own <see cref="TrialSpec.Id"/> and labels are ignored.</summary>
    public static string For(TrialSpec trial) =>
        For(trial.Dataset, trial.ModelConfig, trial.RegularizerConfig, trial.OptimizerConfig, trial.Epochs, trial.BatchSize, trial.Seed,
            trial.EarlyStopping);

    public static string For(
        DatasetSpec dataset,
        ModelSpec model,
        RegularizerSpec regularizer,
        OptimizerSpec optimizer,
        int epochs,
        int batchSize,
        long seed,
        EarlyStoppingSpec? earlyStopping = null)
    {
        var text = CanonicalText(dataset, model, regularizer, optimizer, epochs, batchSize, seed, earlyStopping);
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes(text));
        return Convert.ToHexStringLower(hash)[..Length];
    }

    /// <summary>
    /// One <c>key=value</c> line per setting, in a fixed order, numbers in invariant round-trip form. Settings added
    /// after version 1 (the activation, datasets other than IMDB, early stopping) add their lines only when they differ
    /// from what version 1 implied (relu, IMDB, every epoch trained), so the ids of sweep files written before them stay
    /// as they were.
    /// </summary>
    internal static string CanonicalText(
        DatasetSpec dataset,
        ModelSpec model,
        RegularizerSpec regularizer,
        OptimizerSpec optimizer,
        int epochs,
        int batchSize,
        long seed,
        EarlyStoppingSpec? earlyStopping = null) =>
        string.Join('\n', [
            .. Version1Lines(dataset, model, regularizer, optimizer, epochs, batchSize, seed),
            .. LaterLines(dataset, model),
            .. EarlyStoppingLines(earlyStopping),
        ]);

    /// <summary>
    /// Where a trial stops changes its curve, and which weights it keeps changes its model: every setting counts,
    /// the mode as resolved (<c>auto</c> on val_loss is <c>min</c>), so two spellings of one criterion share an id.
    /// </summary>
    private static IEnumerable<string> EarlyStoppingLines(EarlyStoppingSpec? stopping)
    {
        if (stopping is null)
            yield break;
        yield return $"early_stopping.monitor={stopping.Monitor}";
        yield return $"early_stopping.mode={(stopping.Maximizes ? EarlyStoppingModes.Max : EarlyStoppingModes.Min)}";
        yield return $"early_stopping.min_delta={Format(stopping.MinDelta)}";
        yield return $"early_stopping.patience={Format(stopping.Patience)}";
        yield return $"early_stopping.start_from_epoch={Format(stopping.StartFromEpoch)}";
        yield return $"early_stopping.restore_best_weights={(stopping.RestoreBestWeights ? "true" : "false")}";
    }

    private static IEnumerable<string> LaterLines(DatasetSpec dataset, ModelSpec model)
    {
        if (model.Activation != Activations.Relu)
            yield return $"model.activation={model.Activation}";
        if (dataset.Name != DatasetNames.Csv)
            yield break;
        // The table by file name, not path: the same table moved to another folder or machine keeps its ids.
        yield return $"dataset.file={Path.GetFileName(dataset.Path)}";
        yield return $"dataset.target={dataset.Target}";
        yield return $"dataset.task={dataset.Task.ToString().ToLowerInvariant()}";
        yield return dataset.ValidationPath is { } validation
            ? $"dataset.validation_file={Path.GetFileName(validation)}"
            : $"dataset.validation={Format(dataset.ValidationFraction)}";
        yield return $"dataset.split_seed={Format(dataset.SplitSeed)}";
        yield return $"dataset.standardize={(dataset.Standardize ? "true" : "false")}";
    }

    private static string[] Version1Lines(
        DatasetSpec dataset,
        ModelSpec model,
        RegularizerSpec regularizer,
        OptimizerSpec optimizer,
        int epochs,
        int batchSize,
        long seed) =>
        [
            "gridsweep-trial/1",
            $"dataset.name={dataset.Name}",
            $"dataset.num_words={Format(dataset.NumWords)}",
            $"model.hidden={string.Join(',', model.Hidden.Select(size => Format(size)))}",
            $"regularizer.l1={Format(regularizer.L1)}",
            $"regularizer.l2={Format(regularizer.L2)}",
            $"regularizer.dropout={Format(regularizer.Dropout)}",
            $"regularizer.batch_norm={(regularizer.BatchNorm ? "true" : "false")}",
            $"optimizer.name={optimizer.Name}",
            $"optimizer.learning_rate={Format(optimizer.LearningRate)}",
            $"optimizer.beta_1={Format(optimizer.Beta1)}",
            $"optimizer.beta_2={Format(optimizer.Beta2)}",
            $"optimizer.epsilon={Format(optimizer.Epsilon)}",
            $"optimizer.momentum={Format(optimizer.Momentum)}",
            $"optimizer.rho={Format(optimizer.Rho)}",
            $"training.epochs={Format(epochs)}",
            $"training.batch_size={Format(batchSize)}",
            $"seed={Format(seed)}",
        ];

    private static string Format(long value) => value.ToString(CultureInfo.InvariantCulture);

    // -0 and 0 train alike, so they must hash alike; "R" alone would print "-0".
    private static string Format(double value) => (value == 0 ? 0.0 : value).ToString("R", CultureInfo.InvariantCulture);
}
