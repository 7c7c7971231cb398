using System.Text.Json.Serialization;

namespace GridSweep.Messages.Sweeps;

/// <summary>A declared sweep, as read from a YAML sweep file: what to train, and the grid to train it over.</summary>
/// <remarks>
/// The scalar axes (<see cref="Activations"/>, <see cref="BatchSizes"/>, <see cref="EpochCounts"/>) are empty when
/// the grid does not sweep them: every cell then takes the model's activation and the training section's values.
/// </remarks>
public sealed record SweepSpec(
    string Name,
    DatasetSpec Dataset,
    TrainingSpec Training,
    IReadOnlyList<GridEntry<ModelSpec>> Models,
    IReadOnlyList<GridEntry<RegularizerSpec>> Regularizers,
    IReadOnlyList<GridEntry<OptimizerSpec>> Optimizers,
    string SourceFile)
{
    public IReadOnlyList<string> Activations { get; init; } = [];
    public IReadOnlyList<int> BatchSizes { get; init; } = [];
    public IReadOnlyList<int> EpochCounts { get; init; } = [];

    /// <summary>
    /// <c>grid.early_stopping</c>: named settings, a null value for an entry that turns early stopping off; empty
    /// when the grid does not sweep it, every cell then taking <see cref="TrainingSpec.EarlyStopping"/>.
    /// </summary>
    public IReadOnlyList<GridEntry<EarlyStoppingSpec?>> EarlyStopping { get; init; } = [];

    /// <summary>Cells matching any of these partial assignments are left out of the product.</summary>
    public IReadOnlyList<CellPattern> Exclude { get; init; } = [];

    /// <summary>Cells added after the exclusions, each partial assignment crossed with every value of the axes it leaves out.</summary>
    public IReadOnlyList<CellPattern> Include { get; init; } = [];

    /// <summary>What the sweep learns: follows from the dataset.</summary>
    public LearningTask Task => Dataset.Task;
}

/// <summary>
/// A partial assignment of grid axes to labels (<c>{model: bigger, batch_size: 32}</c>), as written in
/// <c>grid.exclude</c> or <c>grid.include</c>; <paramref name="Line"/> points at it in the sweep file.
/// </summary>
public sealed record CellPattern(IReadOnlyDictionary<string, string> Axes, int Line)
{
    /// <summary>With <see cref="Line"/>, where the pattern was written: the parser stores a pattern naming a declared
    /// entry that expanded into several (<c>regularizer: l2</c> for <c>l2-0.001</c> and <c>l2-0.01</c>) once per entry,
    /// all at the same place, and a pattern matches when one of them does.</summary>
    public int Column { get; init; }
}

/// <summary>The names of the grid axes, as written in sweep files and used as CSV columns and InfluxDB tags.</summary>
public static class GridAxes
{
    public const string Model = "model";
    public const string Regularizer = "regularizer";
    public const string Optimizer = "optimizer";
    public const string LearningRate = "learning_rate";
    public const string Activation = "activation";
    public const string BatchSize = "batch_size";
    public const string Epochs = "epochs";
    public const string EarlyStopping = "early_stopping";
    public const string Seed = "seed";
}

/// <summary>One named value on a grid axis, e.g. <c>baseline: {hidden: [16, 16]}</c>.</summary>
public sealed record GridEntry<T>(string Name, T Value);

/// <summary>What a trial learns: it fixes the output layer, the loss and the metric.</summary>
public enum LearningTask
{
    /// <summary>One sigmoid unit, binary cross-entropy, accuracy.</summary>
    Binary,

    /// <summary>Softmax over the classes, sparse categorical cross-entropy, accuracy.</summary>
    Multiclass,

    /// <summary>One linear unit, mean squared error as the loss, mean absolute error as the metric.</summary>
    Regression,
}

/// <summary>The dataset names a sweep file may give.</summary>
public static class DatasetNames
{
    public const string Imdb = "imdb";
    public const string FashionMnist = "fashion_mnist";
    public const string Csv = "csv";

    public static readonly IReadOnlyList<string> All = [Imdb, FashionMnist, Csv];
}

/// <param name="Name"><c>imdb</c>, <c>fashion_mnist</c> or <c>csv</c> (<see cref="DatasetNames"/>).</param>
/// <param name="NumWords">IMDB: vocabulary size; words ranked at or beyond it become out-of-vocabulary.</param>
/// <param name="WordIndex">IMDB: optional Keras <c>imdb_word_index.json</c>; without it words are ranked by train-split frequency.</param>
/// <param name="Path">CSV: the table, absolute (resolved against the sweep file). A trainer's <c>--data</c> overrides it.</param>
/// <param name="Target">CSV: the label column; every other column is a feature.</param>
/// <param name="DeclaredTask">CSV: the task as declared; the other datasets have theirs (see <see cref="Task"/>).</param>
/// <param name="ValidationFraction">CSV: the held-out fraction of the rows, when <paramref name="ValidationPath"/> is not given.</param>
/// <param name="ValidationPath">CSV: a second table with the same header to validate on, absolute.</param>
/// <param name="SplitSeed">CSV: seeds the hold-out split.</param>
/// <param name="Standardize">CSV: features scaled by the train split's mean and standard deviation.</param>
public sealed record DatasetSpec(
    string Name,
    int NumWords,
    string? WordIndex = null,
    string? Path = null,
    string? Target = null,
    LearningTask? DeclaredTask = null,
    double ValidationFraction = 0.2,
    string? ValidationPath = null,
    long SplitSeed = 113,
    bool Standardize = true)
{
    /// <summary>IMDB is binary, Fashion-MNIST multiclass, a CSV table what it declares.</summary>
    [JsonIgnore]
    public LearningTask Task => Name switch
    {
        DatasetNames.Imdb => LearningTask.Binary,
        DatasetNames.FashionMnist => LearningTask.Multiclass,
        _ => DeclaredTask ?? LearningTask.Regression,
    };
}

public enum InputLayer { Sparse, Dense }

public sealed record TrainingSpec(
    int Epochs,
    int BatchSize,
    OptimizerSpec Optimizer,
    InputLayer InputLayer,
    IReadOnlyList<long> Seeds,
    string Device = "auto",
    EarlyStoppingSpec? EarlyStopping = null);

/// <summary>
/// Keras' <c>EarlyStopping</c> callback: stop a trial once <paramref name="Monitor"/> has not improved by more than
/// <paramref name="MinDelta"/> for <paramref name="Patience"/> epochs (0: at the first epoch that does not improve).
/// Keras' defaults, except <paramref name="RestoreBestWeights"/>, which Keras leaves off.
/// </summary>
/// <param name="Monitor">One of <see cref="EarlyStoppingMonitors"/>, a metric the trial's task records.</param>
/// <param name="MinDelta">How much better than the best so far a value must be to count as an improvement; >= 0.</param>
/// <param name="Mode"><c>min</c>, <c>max</c>, or <c>auto</c>: maximize accuracies, minimize the rest.</param>
/// <param name="RestoreBestWeights">Keep the weights of the best epoch under the monitor rather than the last.</param>
/// <param name="StartFromEpoch">Epochs left unmonitored at the start (warm-up): monitoring begins with the next one.</param>
public sealed record EarlyStoppingSpec(
    string Monitor = EarlyStoppingMonitors.ValLoss,
    double MinDelta = 0,
    int Patience = 0,
    string Mode = EarlyStoppingModes.Auto,
    bool RestoreBestWeights = true,
    int StartFromEpoch = 0)
{
    /// <summary>True when a higher value is better: <c>max</c>, or <c>auto</c> on an accuracy.</summary>
    [JsonIgnore]
    public bool Maximizes => Mode == EarlyStoppingModes.Max ||
        (Mode == EarlyStoppingModes.Auto && Monitor is EarlyStoppingMonitors.ValAccuracy or EarlyStoppingMonitors.TrainAccuracy);
}

/// <summary>What early stopping may watch: the per-epoch figures of <c>epochs.csv</c>, and the train/validation gap.</summary>
public static class EarlyStoppingMonitors
{
    public const string ValLoss = "val_loss";
    public const string TrainLoss = "train_loss";
    public const string ValAccuracy = "val_accuracy";
    public const string TrainAccuracy = "train_accuracy";
    public const string ValMae = "val_mae";
    public const string TrainMae = "train_mae";

    /// <summary>val_loss - train_loss, as <c>trials.csv</c>'s final_gap and the InfluxDB <c>gap</c> field; minimized.</summary>
    public const string Gap = "gap";

    public static readonly IReadOnlyList<string> All = [ValLoss, TrainLoss, ValAccuracy, TrainAccuracy, ValMae, TrainMae, Gap];

    /// <summary>The monitors a task records: accuracies for classification, mean absolute errors for regression.</summary>
    public static IReadOnlyList<string> For(LearningTask task) => task == LearningTask.Regression
        ? [ValLoss, TrainLoss, ValMae, TrainMae, Gap]
        : [ValLoss, TrainLoss, ValAccuracy, TrainAccuracy, Gap];
}

public static class EarlyStoppingModes
{
    public const string Auto = "auto";
    public const string Min = "min";
    public const string Max = "max";

    public static readonly IReadOnlyList<string> All = [Auto, Min, Max];
}

/// <summary>Dense hidden layers and the output layer the task asks for (<see cref="LearningTask"/>).</summary>
/// <param name="Activation">Of the hidden layers: relu, tanh, elu, gelu or sigmoid (<see cref="Activations"/>).</param>
public sealed record ModelSpec(IReadOnlyList<int> Hidden, string Activation = Activations.Relu)
{
    public bool Equals(ModelSpec? other) =>
        other is not null && Hidden.SequenceEqual(other.Hidden) && Activation == other.Activation;

    public override int GetHashCode()
    {
        // Every layer counts: a grid of many one-layer models would otherwise share one hash and check repeats in quadratic time.
        var hash = new HashCode();
        foreach (var units in Hidden)
            hash.Add(units);
        hash.Add(Activation);
        return hash.ToHashCode();
    }
}

/// <summary>Hidden-layer activations, named as Keras names them.</summary>
public static class Activations
{
    public const string Relu = "relu";
    public const string Tanh = "tanh";
    public const string Elu = "elu";
    public const string Gelu = "gelu";
    public const string Sigmoid = "sigmoid";

    public static readonly IReadOnlyList<string> All = [Relu, Tanh, Elu, Gelu, Sigmoid];
}

/// <summary>Keras semantics: L1/L2 penalties on the hidden kernels are added to the loss; dropout after each hidden layer.</summary>
public sealed record RegularizerSpec(double L1 = 0, double L2 = 0, double Dropout = 0, bool BatchNorm = false)
{
    public static readonly RegularizerSpec None = new();
}

/// <param name="Name"><c>adam</c>, <c>sgd</c> or <c>rmsprop</c>, with Keras defaults.</param>
public sealed record OptimizerSpec(
    string Name,
    double LearningRate,
    double Beta1 = 0.9,
    double Beta2 = 0.999,
    double Epsilon = 1e-7,
    double Momentum = 0.0,
    double Rho = 0.9);

/// <summary>One grid cell with one seed, fully resolved: everything a trainer needs to train it.</summary>
/// <param name="Id">Stable id derived from the resolved configuration: the same configuration always gets the same id.</param>
public sealed record TrialSpec(
    string Id,
    string Sweep,
    string Model,
    string Regularizer,
    string Optimizer,
    long Seed,
    ModelSpec ModelConfig,
    RegularizerSpec RegularizerConfig,
    OptimizerSpec OptimizerConfig,
    int Epochs,
    int BatchSize,
    InputLayer InputLayer,
    DatasetSpec Dataset)
{
    /// <summary>The hidden layers' activation: the cell's label on the activation axis.</summary>
    [JsonIgnore]
    public string Activation => ModelConfig.Activation;

    [JsonIgnore]
    public LearningTask Task => Dataset.Task;

    /// <summary>When to stop before <see cref="Epochs"/>; null trains every epoch.</summary>
    public EarlyStoppingSpec? EarlyStopping { get; init; }

    /// <summary>The cell's label on the early-stopping axis: a <c>grid.early_stopping</c> entry's name, or
    /// <see cref="EarlyStoppingLabels.On"/> / <see cref="EarlyStoppingLabels.None"/> when the grid does not sweep it.</summary>
    public string EarlyStoppingLabel { get; init; } = EarlyStoppingLabels.None;
}

/// <summary>The labels of trials whose grid does not sweep early stopping.</summary>
public static class EarlyStoppingLabels
{
    /// <summary>No early stopping: the label of every trial of a sweep that does not use it.</summary>
    public const string None = "none";

    /// <summary>Early stopping from <c>training.early_stopping</c>, the same for every cell.</summary>
    public const string On = "on";

    /// <summary>The label of a trial of a grid without <c>grid.early_stopping</c>.</summary>
    public static string For(EarlyStoppingSpec? training) => training is null ? None : On;
}
