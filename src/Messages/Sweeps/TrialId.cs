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
        For(trial.Dataset, trial.ModelConfig, trial.RegularizerConfig, trial.OptimizerConfig, trial.Epochs, trial.BatchSize, trial.Seed);

    public static string For(
        DatasetSpec dataset,
        ModelSpec model,
        RegularizerSpec regularizer,
        OptimizerSpec optimizer,
        int epochs,
        int batchSize,
        long seed)
    {
        var text = CanonicalText(dataset, model, regularizer, optimizer, epochs, batchSize, seed);
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes(text));
        return Convert.ToHexStringLower(hash)[..Length];
    }

    /// <summary>
    /// One <c>key=value</c> line per setting, in a fixed order, numbers in invariant round-trip form. Settings added
    /// after version 1 (the activation, datasets other than IMDB) add their lines only when they differ from what
    /// version 1 implied (relu, IMDB), so the ids of sweep files written before them stay as they were.
    /// </summary>
    internal static string CanonicalText(
        DatasetSpec dataset,
        ModelSpec model,
        RegularizerSpec regularizer,
        OptimizerSpec optimizer,
        int epochs,
        int batchSize,
        long seed) =>
        string.Join('\n', [.. Version1Lines(dataset, model, regularizer, optimizer, epochs, batchSize, seed), .. LaterLines(dataset, model)]);

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
