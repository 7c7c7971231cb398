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
    internal static IEnumerable<string> EarlyStoppingLines(EarlyStoppingSpec? stopping)
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

    internal static IEnumerable<string> LaterLines(DatasetSpec dataset, ModelSpec model)
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
            .. RegularizerLines(regularizer),
            .. OptimizerLines(optimizer),
            $"training.epochs={Format(epochs)}",
            $"training.batch_size={Format(batchSize)}",
            $"seed={Format(seed)}",
        ];

    internal static string[] RegularizerLines(RegularizerSpec regularizer) =>
    [
        $"regularizer.l1={Format(regularizer.L1)}",
        $"regularizer.l2={Format(regularizer.L2)}",
        $"regularizer.dropout={Format(regularizer.Dropout)}",
        $"regularizer.batch_norm={(regularizer.BatchNorm ? "true" : "false")}",
    ];

    private static string[] OptimizerLines(OptimizerSpec optimizer) =>
    [
        $"optimizer.name={optimizer.Name}",
        $"optimizer.learning_rate={Format(optimizer.LearningRate)}",
        $"optimizer.beta_1={Format(optimizer.Beta1)}",
        $"optimizer.beta_2={Format(optimizer.Beta2)}",
        $"optimizer.epsilon={Format(optimizer.Epsilon)}",
        $"optimizer.momentum={Format(optimizer.Momentum)}",
        $"optimizer.rho={Format(optimizer.Rho)}",
    ];

    internal static string Format(long value) => value.ToString(CultureInfo.InvariantCulture);

    // -0 and 0 train alike, so they must hash alike; "R" alone would print "-0".
    internal static string Format(double value) => (value == 0 ? 0.0 : value).ToString("R", CultureInfo.InvariantCulture);
}

/// <summary>
/// The ids of one grid's trials, the same as <see cref="TrialId.For(TrialSpec)"/> gives, with a small constant per trial:
/// the grid hands out its cells in order (seed innermost), so the canonical text of the dataset, model, regularizer
/// and early stopping is encoded when it changes from the trial before and reused otherwise; the rest is written in place. Memory stays
/// constant however large the grid.
/// </summary>
internal sealed class TrialIdEncoder
{
    private readonly byte[] hash = new byte[SHA256.HashSizeInBytes];
    private readonly Part dataset = new(), model = new(), regularizer = new(), earlyStopping = new();
    private byte[] buffer = new byte[1024];

    public string For(
        DatasetSpec dataset, ModelSpec model, RegularizerSpec regularizer, OptimizerSpec optimizer,
        int epochs, int batchSize, long seed, EarlyStoppingSpec? earlyStopping)
    {
        // The canonical text, piece by piece: version-1 lines, then the later ones each after a line break.
        var datasetText = this.dataset.Of(dataset, static d => (
            $"gridsweep-trial/1\ndataset.name={d.Name}\ndataset.num_words={TrialId.Format(d.NumWords)}\n",
            Later(TrialId.LaterLines(d, new ModelSpec([])))));
        var modelText = this.model.Of(model, static m => (
            $"model.hidden={string.Join(',', m.Hidden.Select(size => TrialId.Format(size)))}\n",
            Later(TrialId.LaterLines(new DatasetSpec(DatasetNames.Imdb, 0), m))));
        var regularizerText = this.regularizer.Of(regularizer, static r => (Lines(TrialId.RegularizerLines(r)), ""));
        var stoppingText = this.earlyStopping.Of(earlyStopping, static e => ("", Later(TrialId.EarlyStoppingLines(e))));

        var length = 0;
        Append(datasetText.Head);
        Append(modelText.Head);
        Append(regularizerText.Head);
        // Written in place: a learning-rate list gives every trial an optimizer of its own, so caching its text saves nothing.
        Append("optimizer.name="u8);
        Ensure(Encoding.UTF8.GetMaxByteCount(optimizer.Name.Length));
        length += Encoding.UTF8.GetBytes(optimizer.Name, buffer.AsSpan(length));
        Real("\noptimizer.learning_rate="u8, optimizer.LearningRate);
        Real("\noptimizer.beta_1="u8, optimizer.Beta1);
        Real("\noptimizer.beta_2="u8, optimizer.Beta2);
        Real("\noptimizer.epsilon="u8, optimizer.Epsilon);
        Real("\noptimizer.momentum="u8, optimizer.Momentum);
        Real("\noptimizer.rho="u8, optimizer.Rho);
        Append("\n"u8);
        Number("training.epochs="u8, epochs, "\n"u8);
        Number("training.batch_size="u8, batchSize, "\n"u8);
        Number("seed="u8, seed, ""u8);
        Append(modelText.Tail);
        Append(datasetText.Tail);
        Append(stoppingText.Tail);
        SHA256.HashData(buffer.AsSpan(0, length), hash);
        return Convert.ToHexStringLower(hash, 0, TrialId.Length / 2);

        void Append(ReadOnlySpan<byte> bytes)
        {
            Ensure(bytes.Length);
            bytes.CopyTo(buffer.AsSpan(length));
            length += bytes.Length;
        }

        void Number(ReadOnlySpan<byte> key, long value, ReadOnlySpan<byte> end)
        {
            Append(key);
            Ensure(20);
            value.TryFormat(buffer.AsSpan(length), out var written, default, CultureInfo.InvariantCulture);
            length += written;
            Append(end);
        }

        // As TrialId.Format(double): round-trip form, -0 as 0.
        void Real(ReadOnlySpan<byte> key, double value)
        {
            Append(key);
            Ensure(32);
            (value == 0 ? 0.0 : value).TryFormat(buffer.AsSpan(length), out var written, "R", CultureInfo.InvariantCulture);
            length += written;
        }

        void Ensure(int more)
        {
            if (length + more > buffer.Length)
                Array.Resize(ref buffer, Math.Max(buffer.Length * 2, length + more));
        }
    }

    private static string Lines(IEnumerable<string> lines) => string.Concat(lines.Select(line => line + "\n"));

    private static string Later(IEnumerable<string> lines) => string.Concat(lines.Select(line => "\n" + line));

    /// <summary>The encoded text of the last object of one kind, kept until another comes (compared by reference).</summary>
    private sealed class Part
    {
        private object? key;
        private (byte[] Head, byte[] Tail) text = ([], []);

        public (byte[] Head, byte[] Tail) Of<T>(T? value, Func<T, (string Head, string Tail)> encode)
            where T : class
        {
            if (value is null)
                return ([], []);
            if (!ReferenceEquals(key, value))
            {
                var (head, tail) = encode(value);
                (key, text) = (value, (Encoding.UTF8.GetBytes(head), Encoding.UTF8.GetBytes(tail)));
            }
            return text;
        }
    }
}
